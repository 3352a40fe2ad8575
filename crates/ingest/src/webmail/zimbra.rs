//! Zimbra Collaboration: the web clients (classic Ajax, modern, mobile)
//! all speak SOAP to `/service/soap/<Name>Request`, the request name in the
//! path; messages, parts and folders are fetched from the user servlet
//! `/service/home/<account or ~>/<folder>?id=…&part=…&fmt=…`.
//!
//! Sources: Zimbra/zm-mailbox `store/src/java/com/zimbra/cs/service/mail/MailService.java`
//! and `account/AccountService.java` (the request names), `UserServlet.java`
//! (`id`, `part`, `fmt`, `view`), the Zimbra Show original action
//! (`/service/home/~/?auth=co&view=text&id=<id>`, zm-x-web / carbonio mails-ui
//! `show-original`), the Zimbra wiki's Import/Export (`?fmt=tgz`,
//! `Contacts?fmt=csv`), the print view (`/h/printmessage?id=`).
//!
//! A message is named by its item id, unique in its account whatever its
//! folder (zm-mailbox `MailItem.getId`; the store keeps it as the blob's name,
//! `<id>-<revision>.msg`). A request naming an item id is given the mailbox
//! [`ACCOUNT`] (`~`, as Zimbra's URLs name the signed-in account), the name
//! vigie's mail store gives every message of a Zimbra store, so that an
//! opened message meets its blob in the mail-to-web link.

use super::{Meaning, Request, after_prefix};

/// The mailbox of a request that names an item id (see the module doc; the
/// same as `vigie_mail::store::ZIMBRA_ACCOUNT`).
const ACCOUNT: &str = "~";

/// What a Zimbra request did; `None` when the path is not Zimbra's.
pub(super) fn classify<'a>(request: &Request<'a>) -> Option<Meaning<'a>> {
    let path = request.path;
    if let Some(call) = after_prefix(path, "/service/soap/") {
        return Some(Meaning::new(soap(call.trim_end_matches('/'))));
    }
    if path.eq_ignore_ascii_case("/service/preauth") {
        return Some(Meaning::new("login-attempt"));
    }
    if let Some(rest) = after_prefix(path, "/service/home/") {
        return Some(user_servlet(request, rest));
    }
    // `/home/` is the servlet's short form, but many sites have a `/home/`:
    // only an account part (`~` or an address) makes it Zimbra's.
    if let Some(rest) = after_prefix(path, "/home/") {
        let account = rest.split('/').next().unwrap_or("");
        if account == "~" || account.contains('@') {
            return Some(user_servlet(request, rest));
        }
    }
    // The print view every Zimbra UI opens (`/h/printmessage?id=281`, `id=C:12` for a
    // conversation; zm-web-client `ZmMailListController` print, carbonio mails-ui `message-print`).
    if path.eq_ignore_ascii_case("/h/printmessage") {
        let mut meaning = Meaning::new("message-open");
        meaning.uid = request.param("id");
        meaning.mailbox = meaning.uid.is_some().then(|| ACCOUNT.into());
        return Some(meaning);
    }
    // The pages of the reflected-XSS links (CVE-2022-27926, CVE-2023-37580): Zimbra's, meaningless alone.
    if path.starts_with("/public/launchNewWindow.jsp") || path.starts_with("/m/momoveto") {
        return Some(Meaning::new("http-request"));
    }
    None
}

/// A SOAP request name (`GetMsgRequest`) as an action.
fn soap(name: &str) -> &'static str {
    match name {
        "AuthRequest" => "login-attempt",
        "EndSessionRequest" => "logout",
        "GetMsgRequest" | "GetConvRequest" => "message-open",
        "SearchRequest" | "SearchConvRequest" => "mailbox-list",
        "GetContactsRequest" => "addressbook-list",
        "ExportContactsRequest" => "addressbook-export",
        "ModifyFilterRulesRequest" | "ModifyOutgoingFilterRulesRequest" => "sieve-put",
        // Forwarding (`zimbraPrefMailForwardingAddress`) is a preference: its value is in the body.
        "ModifyPrefsRequest" | "ModifyPropertiesRequest" => "settings",
        "EnableTwoFactorAuthRequest" => "2fa-settings",
        "CreateAppSpecificPasswordRequest" => "app-password",
        "SendMsgRequest" => "send",
        _ => "http-request",
    }
}

/// The user servlet: `<account>/<folder path>?id=&part=&fmt=&view=`.
fn user_servlet<'a>(request: &Request<'a>, rest: &'a str) -> Meaning<'a> {
    // `~/Inbox` or `bob@example.org/Contacts`: the folder follows the account.
    let folder = rest
        .split_once('/')
        .map_or("", |(_, f)| f)
        .trim_end_matches('/');
    let mut meaning = Meaning::new("http-request");
    if !folder.is_empty() {
        meaning.mailbox = Some(crate::parse::text::percent_decode(folder, false));
    }
    meaning.uid = request.param("id");
    meaning.part = request.param("part");
    if meaning.uid.is_some() {
        // The item id names the message account-wide; the folder path adds nothing.
        meaning.mailbox = Some(ACCOUNT.into());
    }
    let fmt = request.raw("fmt").unwrap_or("");
    meaning.action = if matches!(fmt, "csv" | "vcf") {
        "addressbook-export"
    } else if matches!(fmt, "tgz" | "zip" | "tar") {
        "mailbox-export"
    } else if meaning.uid.is_some() && meaning.part.is_some() {
        "attachment-download"
    } else if meaning.uid.is_some() {
        // `view=text` is Show original; a bare `id` serves the message in its native (raw) form.
        "message-source"
    } else {
        "http-request"
    };
    meaning
}
