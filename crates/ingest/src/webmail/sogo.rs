//! SOGo: every object has a URL under `/SOGo/so/<user>/` and every method
//! is a path segment after it (`UI/*/product.plist` in Alinto/sogo at ee2ebbb8).
//!
//! - Mail: `Mail/<account>/folder<Name>[/folder<Sub>…]/<uid>/<method>`:
//!   `view`, `popupview`, `viewplain` (open), `viewsource`, `viewRaw`, `export`
//!   (the raw message), `archiveAttachments`; a body part is
//!   `…/<uid>/<part>[/<subpart>…][/asAttachment]` (`SoObjects/Mailer/SOGoMailBodyPart.m`).
//!   Folder methods: `exportFolder`, `saveMessages` (export), `view`, `headers` (listing).
//! - Contacts: `Contacts/<book>/view` (a page of contacts), `export`, `Contacts/allContactSearch`.
//! - Preferences: `Preferences` renders the page that embeds the TOTP secret as
//!   a QR code (`UI/Templates/PreferencesUI/UIxPreferences.wox`, `totpKey`);
//!   `Preferences/save` rewrites the user's Sieve script (filters, forwarding,
//!   vacation: `UIxPreferences.m` `updateFiltersAndForceActivation`).
//! - `/SOGo/connect` logs in (`UI/MainUI/product.plist`), `<user>/logoff` logs out.

use super::{Meaning, Request, after_prefix};
use vigie_event::Text;

/// What a SOGo request did; `None` when the path is not SOGo's.
pub(super) fn classify<'a>(request: &Request<'a>) -> Option<Meaning<'a>> {
    let rest = after_prefix(request.path, "/SOGo/")?;
    if rest.starts_with("connect") {
        let action = if request.is_post() {
            "login-attempt"
        } else {
            "http-request"
        };
        return Some(Meaning::new(action));
    }
    let Some(rest) = rest.strip_prefix("so/") else {
        return Some(Meaning::new("http-request"));
    };
    let mut segments = rest.split('/').filter(|s| !s.is_empty());
    let _user = segments.next();
    let meaning = match segments.next() {
        Some("logoff") => Meaning::new("logout"),
        Some("Mail") => mail(segments),
        Some("Contacts") => Meaning::new(match segments.next_back() {
            Some("view" | "allContactSearch") => "addressbook-list",
            Some("export") => "addressbook-export",
            _ => "http-request",
        }),
        Some("Preferences") => Meaning::new(match segments.next() {
            None if !request.is_post() => "2fa-settings",
            Some("save") if request.is_post() => "sieve-put",
            _ => "settings",
        }),
        _ => Meaning::new("http-request"),
    };
    Some(meaning)
}

/// `<account>/folderINBOX[/folderSub…][/<uid>[/<part>…]][/<method>]`.
fn mail<'a>(mut segments: impl Iterator<Item = &'a str>) -> Meaning<'a> {
    let _account = segments.next();
    let mut folders: Vec<&str> = Vec::new();
    let mut uid = None;
    let mut parts: Vec<&str> = Vec::new();
    let mut method = None;
    for segment in segments {
        if uid.is_none() {
            if let Some(name) = segment.strip_prefix("folder") {
                folders.push(name);
                continue;
            }
            if segment.bytes().all(|b| b.is_ascii_digit()) {
                uid = Some(segment);
                continue;
            }
        } else if method.is_none() && segment.bytes().all(|b| b.is_ascii_digit()) {
            parts.push(segment);
            continue;
        }
        method = Some(segment);
        break;
    }
    let mut meaning = Meaning::new("http-request");
    if !folders.is_empty() {
        meaning.mailbox = Some(
            crate::parse::text::percent_decode(&folders.join("/"), false)
                .into_owned()
                .into(),
        );
    }
    meaning.uid = uid.map(Text::from);
    if !parts.is_empty() {
        meaning.part = Some(parts.join(".").into());
    }
    meaning.action = match (uid.is_some(), parts.is_empty(), method.unwrap_or("")) {
        (true, false, "" | "asAttachment") => "attachment-download",
        (true, true, "view" | "popupview" | "viewplain") => "message-open",
        (true, true, "viewsource" | "viewRaw" | "export") => "message-source",
        (true, true, "archiveAttachments") => "attachment-download",
        (false, _, "exportFolder" | "saveMessages") => "mailbox-export",
        (false, _, "view" | "headers" | "changes") => "mailbox-list",
        _ => "http-request",
    };
    meaning
}
