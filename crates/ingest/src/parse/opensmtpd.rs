//! OpenSMTPD (`smtpd[pid]: smtp-in: …`): sessions, accepted messages,
//! failed commands and authentication failures.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, after, kv, number, word};

/// Interprets an OpenSMTPD message; `false` when it is not one (`smtpd` is also Postfix's daemon name without the `postfix/` prefix).
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let Some(rest) = message
        .strip_prefix("smtp-in: ")
        .or_else(|| message.strip_prefix("smtp-out: "))
    else {
        return false;
    };
    event.dataset = Dataset::OpenSmtpd;
    event.protocol = Some("smtp".into());
    if let Some(session) = after(rest, "session ") {
        event.session_id = Some(word(session).0.trim_end_matches(':').into());
    }
    if let Some(host) = after(rest, " from host ") {
        // `from host name [ip]` (`[local]` for the local socket).
        if let Some(address) = host.split('[').nth(1).and_then(|a| a.split(']').next()) {
            event.set_source(address);
        }
        event.source_domain = Some(word(host).0.into());
        event.classify(Category::Network, "connect", Outcome::Success);
    } else if rest.starts_with("Accepted message") {
        event.email_from = kv(rest, "from=").map(Into::into);
        event.email_to = kv(rest, "to=").map(Into::into);
        event.email_size = kv(rest, "size=").and_then(number);
        event.classify(Category::Email, "received", Outcome::Success);
    } else if rest.contains("Authentication failed") || rest.contains("authentication failed") {
        event.user_name = kv(rest, "user=")
            .or_else(|| after(rest, "for user ").map(|u| word(u).0))
            .map(Into::into);
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some(rest.into());
    } else if rest.starts_with("Failed command") {
        event.classify(Category::Network, "reject", Outcome::Failure);
        event.reason = text::split_once(rest, " => ").map(|(_, r)| r.into());
    } else if rest.starts_with("Closing session")
        || rest.starts_with("Received disconnect")
        || rest.starts_with("Disconnecting session")
    {
        event.classify(Category::Network, "disconnect", Outcome::Unknown);
    }
    true
}
