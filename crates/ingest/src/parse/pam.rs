//! PAM's `pam_unix(service:auth): authentication failure; … rhost=… user=…`,
//! which Dovecot, Cyrus and others log through syslog.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{after, kv};

/// Interprets a PAM authentication failure; `false` when the message is not one.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let Some(rest) = after(message, "pam_unix(") else {
        return false;
    };
    let Some((service, rest)) = rest.split_once(':') else {
        return false;
    };
    if !rest.starts_with("auth): authentication failure") {
        return false;
    }
    if service == "dovecot" {
        event.dataset = Dataset::Dovecot;
    }
    event.classify(Category::Authentication, "login-failed", Outcome::Failure);
    event.reason = Some("authentication failure".into());
    if let Some(host) = kv(rest, "rhost=").filter(|h| !h.is_empty()) {
        event.set_source(host);
    }
    if let Some(user) = kv(rest, "user=")
        .or_else(|| kv(rest, "ruser="))
        .filter(|u| !u.is_empty())
    {
        event.user_name = Some(user.into());
    }
    true
}
