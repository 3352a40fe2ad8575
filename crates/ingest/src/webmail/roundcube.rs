//! Roundcube: every request names its task and action in `_task` and
//! `_action` (`program/include/rcmail.php`, `program/actions/<task>/<action>.php`
//! in roundcube/roundcubemail); the message in `_mbox` and `_uid`, the MIME
//! part in `_part`.

use vigie_event::Event;

use super::{Meaning, Request};

/// What a Roundcube request did, from its task and action.
pub(super) fn classify<'a>(event: &Event<'a>, request: &Request<'a>) -> Meaning<'a> {
    let task = event.roundcube_task.as_deref().unwrap_or("");
    let action = event.roundcube_action.as_deref().unwrap_or("");
    let post = request.is_post();
    let name = match (task, action) {
        // The login form posts `_action=login` in its body, which access logs do not show.
        ("login", "login") => "login-attempt",
        ("login", _) if post => "login-attempt",
        (_, "logout") => "logout",
        ("mail", "show" | "preview") => "message-open",
        ("mail", "viewsource") => "message-source",
        ("mail", "get")
            if event.roundcube_part.is_some() || request.raw("_download") == Some("1") =>
        {
            "attachment-download"
        }
        ("mail", a) if a.starts_with("plugin.zipdownload") => "mailbox-export",
        ("mail", "download") => "mailbox-export",
        ("mail", "list") => "mailbox-list",
        ("mail", "send") => "send",
        ("addressbook", "export") => "addressbook-export",
        ("addressbook", "search" | "list") => "addressbook-list",
        ("settings", a)
            if a.starts_with("plugin.managesieve")
                && post
                && (a.contains("save") || a.contains("action")) =>
        {
            "sieve-put"
        }
        ("settings", a) if a.contains("twofactor") || a.contains("2fa") => "2fa-settings",
        _ => "http-request",
    };
    Meaning {
        action: name,
        mailbox: event.roundcube_mbox.clone(),
        uid: event.roundcube_uid.clone(),
        part: event.roundcube_part.clone(),
    }
}
