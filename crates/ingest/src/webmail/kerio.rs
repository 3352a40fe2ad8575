//! Kerio Connect WebMail: sign-in posts to `/webmail/login/dologin` (the
//! Metasploit `kerio_connect_login` module's `AuthPath`); every other call
//! is JSON-RPC to `/webmail/api/jsonrpc/` with the method in the body,
//! except downloads: `/webmail/api/download/attachment/<session>/<mail id>/<part>/<name>`
//! (Kerio Connect API `Attachment.url`, as the kerio-api Go bindings document it).

use super::{Meaning, Request, after_prefix};

/// What a Kerio WebMail request did; `None` when the path is not Kerio's.
pub(super) fn classify<'a>(request: &Request<'a>) -> Option<Meaning<'a>> {
    let rest = after_prefix(request.path, "/webmail/")?;
    if rest.starts_with("login/dologin") {
        return Some(Meaning::new("login-attempt"));
    }
    if let Some(download) = rest.strip_prefix("api/download/attachment/") {
        let mut fields = download.split('/');
        let (_session, mail, part) = (fields.next(), fields.next(), fields.next());
        if mail != Some("tmp") {
            let mut meaning = Meaning::new("attachment-download");
            meaning.uid = mail.map(Into::into);
            meaning.part = part.map(Into::into);
            return Some(meaning);
        }
    }
    // `/webmail/` alone is also Roundcube's and SquirrelMail's usual prefix: only Kerio's API counts.
    rest.starts_with("api/")
        .then(|| Meaning::new("http-request"))
}
