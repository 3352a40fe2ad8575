//! Cyrus IMAP (`imapd`, `imaps`, `pop3d`, `pop3s`, `lmtpd`) and its ManageSieve
//! daemon `sieve`/`timsieved`: `badlogin: host[ip] MECH [SASL…] failure`.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::host_bracket;

/// Whether a syslog tag is a Cyrus process.
pub fn is_cyrus_program(base: &str) -> bool {
    matches!(
        base,
        "imapd" | "imaps" | "pop3d" | "pop3s" | "lmtpd" | "sieve" | "timsieved" | "master"
    ) || base.starts_with("cyrus")
}

/// Interprets a Cyrus message; only `badlogin` lines are claimed.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let Some(rest) = message.strip_prefix("badlogin: ") else {
        return false;
    };
    let token = rest.split(' ').next().unwrap_or(rest);
    let Some((_, address, _)) = host_bracket(token) else {
        return false;
    };
    event.dataset = Dataset::Cyrus;
    event.set_source(address);
    // `(user)` in parentheses after the mechanism, when Cyrus logs it.
    if let Some(user) = rest
        .split_once(" (")
        .and_then(|(_, u)| u.split_once(')'))
        .map(|(u, _)| u)
        && !user.contains(' ')
    {
        event.user_name = Some(user.into());
    }
    event.classify(Category::Authentication, "login-failed", Outcome::Failure);
    event.reason = Some(rest.into());
    true
}
