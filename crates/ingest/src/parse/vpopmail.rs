//! vpopmail's `vchkpw`, the checkpassword qmail-pop3d, qmail-smtpd (SMTP
//! AUTH patches) and the IMAP servers of a qmail system call (vpopmail
//! vchkpw.c `vlog()`, syslog tag `vpopmail`):
//!
//! - `vchkpw-pop3: (PLAIN) login success bob@example.org:192.0.2.1`
//! - `vchkpw-smtp: password fail (pass: '…') bob@example.org:192.0.2.1`
//! - `vchkpw-submission: vpopmail user not found bob@example.org:192.0.2.1`
//!
//! The service is the suffix of `vchkpw-`; the echoed password never reaches `event.reason`.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text;

/// Interprets a `vpopmail` message; `false` when it is not a `vchkpw-` line.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let Some((service, rest)) = message
        .strip_prefix("vchkpw-")
        .and_then(|m| text::split_once(m, ": "))
    else {
        return false;
    };
    event.dataset = Dataset::Vpopmail;
    event.protocol = Some(
        match service {
            "pop3" | "pop3s" => "pop3",
            "imap" | "imaps" => "imap",
            "smtp" | "submission" | "smtps" => "smtp",
            other => other,
        }
        .into(),
    );
    // `… user@domain:ip` closes the line.
    let last = rest.rsplit(' ').next().unwrap_or(rest);
    if let Some((user, ip)) = last.rsplit_once(':') {
        event.user_name = Some(user.into());
        event.set_source(ip);
    }
    // `(PLAIN) login success …`: the mechanism comes first when logged.
    let text = rest
        .strip_prefix('(')
        .and_then(|r| r.split_once(") "))
        .map_or(rest, |(_, t)| t);
    if text.starts_with("login success") {
        event.classify(Category::Authentication, "login", Outcome::Success);
    } else if text.starts_with("password fail")
        || text.starts_with("vpopmail user not found")
        || text.starts_with("user not found")
    {
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        let reason = text.split(" (pass:").next().unwrap_or(text);
        let reason = reason.strip_suffix(last).unwrap_or(reason).trim_end();
        event.reason = Some(reason.into());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_and_failures_without_the_password() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(
            "vchkpw-smtp: password fail (pass: 'hunter2') bob@example.org:192.0.2.1",
            &mut e
        ));
        assert!(e.is_authentication_failure());
        assert_eq!(
            (
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.reason.as_deref(),
                e.auth_service()
            ),
            (
                Some("bob@example.org"),
                Some("192.0.2.1".into()),
                Some("password fail"),
                Some("smtp")
            )
        );
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(
            "vchkpw-pop3: (PLAIN) login success bob@example.org:192.0.2.1",
            &mut e
        ));
        assert_eq!((e.action, e.auth_service()), (Some("login"), Some("pop3")));
    }
}
