//! Web requests with meaning: each webmail's URLs and API calls, read from an
//! access-log line, mapped onto one `event.action` vocabulary so that rules
//! and analytics are written once per behaviour and fire for every webmail.
//!
//! The vocabulary (what Roundcube requests have always been named):
//! `login-attempt`, `logout`, `message-open`, `message-source` (the raw
//! message: source view or `.eml` download), `attachment-download`,
//! `mailbox-export`, `mailbox-list`, `addressbook-list` (a page of contacts),
//! `addressbook-export`, `sieve-put` (a filter, forwarding or vacation rule
//! saved), `2fa-settings` (a page holding or creating the two-factor secret),
//! `app-password` (an application password created), `settings`, `send`;
//! anything else is `http-request`.
//!
//! A webmail is recognised by its paths, whatever the virtual host: one file
//! per product says which paths are its own and what each means, and fills
//! `webmail.mailbox`, `webmail.uid` and `webmail.part` where the request
//! names them. Request bodies are not in access logs: a call whose meaning
//! is only in its body keeps the product and stays `http-request`.

mod horde;
mod kerio;
mod mdaemon;
mod roundcube;
mod sogo;
mod zimbra;

use vigie_event::{Event, Text};

use crate::parse::text::percent_decode;

/// One request as the access log shows it; `path` and `query` are raw
/// (percent-encoded), `query` is empty when there is none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
}

impl<'a> Request<'a> {
    /// The raw value of query parameter `key` (the first one).
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then_some(v)
        })
    }

    /// The decoded value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<Text<'a>> {
        self.raw(key).map(|v| percent_decode(v, true))
    }

    /// Whether the request was a form post.
    pub fn is_post(&self) -> bool {
        self.method == "POST"
    }
}

/// What a webmail request did.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Meaning<'a> {
    pub action: &'static str,
    pub mailbox: Option<Text<'a>>,
    pub uid: Option<Text<'a>>,
    pub part: Option<Text<'a>>,
}

impl<'a> Meaning<'a> {
    fn new(action: &'static str) -> Meaning<'a> {
        Meaning {
            action,
            ..Meaning::default()
        }
    }
}

/// Names what `request` did and sets `webmail.*` on `event`; returns
/// `http-request` for a request no webmail claims. Roundcube's own request
/// parameters (`roundcube.*`) must already be on the event.
pub fn classify<'a>(
    event: &mut Event<'a>,
    method: &'a str,
    path: &'a str,
    query: &'a str,
) -> &'static str {
    let request = Request {
        method,
        path,
        query,
    };
    let found = if event.roundcube_task.is_some() || event.roundcube_action.is_some() {
        Some(("roundcube", roundcube::classify(event, &request)))
    } else {
        mdaemon::classify(&request)
            .map(|m| ("mdaemon", m))
            .or_else(|| sogo::classify(&request).map(|m| ("sogo", m)))
            .or_else(|| zimbra::classify(&request).map(|m| ("zimbra", m)))
            .or_else(|| horde::classify(&request).map(|m| ("horde", m)))
            .or_else(|| kerio::classify(&request).map(|m| ("kerio", m)))
    };
    let Some((product, meaning)) = found else {
        return "http-request";
    };
    event.webmail_product = Some(product);
    event.webmail_mailbox = meaning.mailbox;
    event.webmail_uid = meaning.uid;
    event.webmail_part = meaning.part;
    meaning.action
}

/// The path's segments after `prefix` (compared ASCII case-insensitively), or `None`.
fn after_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &path[prefix.len()..])
}

#[cfg(test)]
mod tests;
