//! MDaemon WorldClient: one ISAPI entry point, `WorldClient.dll`, whose
//! `View` parameter names the page; a message is `Number` in folder `FolderID`.
//!
//! Sources (public WorldClient clients and MDaemon's own sign-in page):
//! `WorldClient.dll?Session=…&View=Message&Preview=Yes&Number=<n>&FolderID=<f>`
//! (message view), `View=List&FolderID=<f>` (folder listing), `View=Logout`,
//! `View=Logon&User=…` (sign-in, also after two-factor set-up), `View=Compose`,
//! `View=Contacts`, `View=Options…` (the Options pages). Attachments, filters
//! and forwarding are not mapped: no public source shows their requests.

use super::{Meaning, Request};

/// What a WorldClient request did; `None` when the path is not WorldClient's.
pub(super) fn classify<'a>(request: &Request<'a>) -> Option<Meaning<'a>> {
    let (_, script) = request.path.rsplit_once('/')?;
    if !script.eq_ignore_ascii_case("WorldClient.dll") {
        return None;
    }
    let view = request.raw("View").unwrap_or("");
    let mut meaning = Meaning::new(match view {
        "Message" => "message-open",
        "List" => "mailbox-list",
        "Logout" => "logout",
        "Logon" | "Main" if request.is_post() => "login-attempt",
        "Contacts" => "addressbook-list",
        v if v.starts_with("Options") => "settings",
        "" if request.is_post() && request.raw("Session").is_none() => "login-attempt",
        _ => "http-request",
    });
    meaning.mailbox = request.param("FolderID");
    meaning.uid = request.param("Number");
    Some(meaning)
}
