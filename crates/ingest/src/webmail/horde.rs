//! Horde Groupware: IMP (mail), Ingo (filters), Turba (contacts) and the
//! Horde framework's own services, whatever the prefix Horde is installed
//! under (`/horde/` on Debian's `php-horde-webmail`, `/` elsewhere).
//!
//! Sources (horde/imp at fd9212ca, horde/horde at 02533d18):
//! - `view.php`: `actionID` = `view_source`, `view_attach`, `print_attach`,
//!   `compose_attach_preview`; the part in `id`, the message in `mailbox`
//!   (base64url in IMP 6) with `buid`/`uid`, or `muid` (`{5}INBOX12`).
//! - `lib/Application.php` `download()`, reached through the framework's
//!   `services/download/?app=imp`: `download_attach`, `download_all`,
//!   `download_render` (attachments), `download_mbox` (whole mailboxes, `mbox_list`),
//!   `save_message` (the message as `.eml`).
//! - `services/ajax.php/imp/<action>` (`lib/Ajax/Application/Handler/Common.php`):
//!   `showMessage`, `viewPort`, `dynamicInit`, `sendMessage`, `smartmobileSendMessage`,
//!   `redirectMessage`; the message and mailbox are in the POST body.
//! - `basic.php`, `dynamic.php`, `minimal.php` `?page=message|mailbox`; IMP 5's
//!   `message.php`, `message-dimp.php`, `message-mimp.php`.
//! - Ingo: `basic.php?page=rule|forward|vacation|filters` (Ingo 3), `rule.php`,
//!   `forward.php`, `vacation.php`, `filters.php` (Ingo 1/2); a POST saves.
//! - Turba: `browse.php`, `search.php` (contact pages), `data.php?actionID=export`.
//! - Horde: `login.php` (POST logs in; `horde_logout_token` or `logout_reason` logs out),
//!   `services/prefs.php`.

use super::{Meaning, Request};

/// What a Horde request did; `None` when the path is not Horde's.
pub(super) fn classify<'a>(request: &Request<'a>) -> Option<Meaning<'a>> {
    let path = request.path;
    if let Some(at) = path.find("/services/ajax.php/imp/") {
        let call = &path[at + "/services/ajax.php/imp/".len()..];
        let action = match call.trim_end_matches('/') {
            "showMessage" | "smartmobileShowMessage" => "message-open",
            "viewPort" | "dynamicInit" => "mailbox-list",
            "sendMessage" | "smartmobileSendMessage" | "redirectMessage" => "send",
            _ => "http-request",
        };
        return Some(Meaning::new(action));
    }
    if path.contains("/services/download/") && request.raw("app") == Some("imp") {
        let action = match request.raw("actionID").unwrap_or("") {
            "download_attach" | "download_all" | "download_render" => "attachment-download",
            "download_mbox" => {
                return Some(Meaning {
                    action: "mailbox-export",
                    mailbox: request
                        .param("mbox_list")
                        .map(|m| base64url(&m).map_or(m, Into::into)),
                    ..Meaning::default()
                });
            }
            "save_message" => "message-source",
            _ => "http-request",
        };
        return Some(message(request, action));
    }
    if path.contains("/services/prefs.php") {
        return Some(Meaning::new("settings"));
    }
    let (app, script) = app_and_script(path)?;
    let logout =
        request.raw("horde_logout_token").is_some() || request.raw("logout_reason").is_some();
    if app.is_empty() && !logout {
        return None;
    }
    let page = request.raw("page").unwrap_or("");
    let action = match (app, script) {
        ("imp", "view.php") => match request.raw("actionID").unwrap_or("") {
            "view_source" => "message-source",
            "view_attach" | "print_attach" | "download_attach" | "download_all" => {
                "attachment-download"
            }
            "save_message" => "message-source",
            _ => "http-request",
        },
        ("imp", "basic.php" | "dynamic.php" | "minimal.php" | "smartmobile.php") => match page {
            "message" => "message-open",
            "mailbox" => "mailbox-list",
            _ => "http-request",
        },
        ("imp", "message.php" | "message-dimp.php" | "message-mimp.php") => "message-open",
        ("imp", "mailbox.php" | "mailbox-mimp.php") => "mailbox-list",
        ("ingo", "basic.php")
            if request.is_post()
                && matches!(page, "rule" | "forward" | "vacation" | "filters" | "script") =>
        {
            "sieve-put"
        }
        ("ingo", "rule.php" | "forward.php" | "vacation.php" | "filters.php" | "redirect.php")
            if request.is_post() =>
        {
            "sieve-put"
        }
        ("turba", "browse.php" | "search.php") => "addressbook-list",
        ("turba", "data.php") if request.raw("actionID") == Some("export") => "addressbook-export",
        ("horde", "login.php") | ("", "login.php") => {
            if logout {
                "logout"
            } else if request.is_post() {
                "login-attempt"
            } else {
                "http-request"
            }
        }
        (_, _) => "http-request",
    };
    Some(message(request, action))
}

/// The message a Horde request names: `mailbox` with `buid` (IMP 6, the
/// mailbox base64url-encoded) or `uid` (IMP 5, the mailbox as is), or `muid`.
fn message<'a>(request: &Request<'a>, action: &'static str) -> Meaning<'a> {
    let mut meaning = Meaning::new(action);
    let buid = request.param("buid");
    meaning.mailbox = request.param("mailbox");
    if buid.is_some() {
        meaning.mailbox = meaning.mailbox.map(|m| base64url(&m).map_or(m, Into::into));
    }
    meaning.uid = request.param("uid").or(buid);
    if meaning.uid.is_none()
        && let Some(muid) = request.param("muid")
    {
        match split_muid(&muid) {
            Some((mailbox, uid)) => {
                meaning.mailbox = Some(mailbox.to_owned().into());
                meaning.uid = Some(uid.to_owned().into());
            }
            None => meaning.uid = Some(muid),
        }
    }
    meaning.part = request.param("id");
    meaning
}

/// IMP 6's `muid` (`IMP_Indices::__toString`, as its message page links its
/// attachments: `muid=%7B5%7DINBOX1`): `{<length>}<mailbox><uid>`, the mailbox
/// as is. (mailbox, uid) when it names one message; `None` otherwise (a uid
/// range, a malformed length), the value then kept whole as the uid.
fn split_muid(muid: &str) -> Option<(&str, &str)> {
    let (length, rest) = muid.strip_prefix('{')?.split_once('}')?;
    let length: usize = length.parse().ok()?;
    let (mailbox, uid) = (rest.get(..length)?, rest.get(length..)?);
    let one = !uid.is_empty() && uid.bytes().all(|b| b.is_ascii_digit());
    one.then_some((mailbox, uid))
}

/// The Horde application and script of a path: (`imp`, `view.php`) for
/// `/horde/imp/view.php`, (`horde`, `login.php`) for `/horde/login.php`,
/// (`""`, `login.php`) for a Horde at the root. Only Horde's applications
/// count: a bare `/login.php` is anyone's, and is claimed only when the
/// request carries Horde's logout parameters.
fn app_and_script(path: &str) -> Option<(&'static str, &str)> {
    let (dir, script) = path.rsplit_once('/')?;
    if !script.ends_with(".php") {
        return None;
    }
    let parent = dir.rsplit('/').next().unwrap_or("");
    let app = match parent {
        "imp" => "imp",
        "ingo" => "ingo",
        "turba" => "turba",
        "horde" => "horde",
        "" if script == "login.php" => "",
        _ => return None,
    };
    Some((app, script))
}

/// IMP 6's mailbox names (`IMP_Mailbox::formTo`): base64url without padding.
/// `None` when `text` is not that, or does not decode to UTF-8 text.
fn base64url(text: &str) -> Option<String> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' | b'+' => Some(62),
        b'_' | b'/' => Some(63),
        _ => None,
    };
    let text = text.trim_end_matches('=');
    if text.is_empty() || text.len() % 4 == 1 || text.len() > 4096 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0);
    for c in text.bytes() {
        bits = (bits << 6) | u32::from(value(c)?);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    (!decoded.chars().any(char::is_control)).then_some(decoded)
}
