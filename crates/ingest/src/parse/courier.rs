//! Courier mail server: `imapd`/`imapd-ssl`/`pop3d`/`pop3d-ssl` (courier-imap
//! imap/imapd.c, imap/pop3dserver.c) and `courieresmtpd` (courier/module.esmtp).
//! The login daemons write a verb and `key=value` pairs:
//!
//! - `LOGIN, user=bob, ip=[::ffff:192.0.2.1], port=[50123], protocol=IMAP`
//! - `LOGIN FAILED, user=bob, ip=[::ffff:192.0.2.1]` (with `method=` from 4.x)
//! - `LOGOUT, user=bob, ip=[…], headers=0, body=0, rcvd=56, sent=1036, time=12`
//!   (`DISCONNECTED`, `TIMEOUT` likewise; POP3 adds `top=`, `retr=`)
//! - `courieresmtpd: error,relay=::ffff:192.0.2.3,msg="535 Authentication failed.",cmd: AUTH LOGIN`
//!
//! A Courier line is recognized by this content, so a Cyrus `imapd` sharing
//! the tag still reaches its own parser.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{after, kv, number};

/// Whether a syslog tag may be Courier's (`imapd` and `pop3d` are shared
/// with Cyrus and UW: the content decides).
pub fn is_courier_program(base: &str) -> bool {
    matches!(
        base,
        "imapd"
            | "imapd-ssl"
            | "pop3d"
            | "pop3d-ssl"
            | "courieresmtpd"
            | "courierpop3login"
            | "courierpop3d"
            | "courierimaplogin"
    )
}

/// Interprets a Courier message; `false` when it is not Courier's shape.
pub fn parse<'a>(base: &str, message: &'a str, event: &mut Event<'a>) -> bool {
    if base == "courieresmtpd" {
        return esmtpd(message, event);
    }
    let (verb, fields) = match message.split_once(", ") {
        Some((verb, fields)) if fields.contains("ip=[") => (verb, fields),
        _ => return false,
    };
    let (category, action, outcome) = match verb {
        "LOGIN" => (Category::Authentication, "login", Outcome::Success),
        "LOGIN FAILED" => (Category::Authentication, "login-failed", Outcome::Failure),
        "LOGOUT" | "DISCONNECTED" | "TIMEOUT" => (Category::Session, "logout", Outcome::Success),
        "Connection" => (Category::Network, "connect", Outcome::Unknown),
        _ => return false,
    };
    event.dataset = Dataset::Courier;
    event.protocol = Some(
        if base.starts_with("pop3") {
            "pop3"
        } else {
            "imap"
        }
        .into(),
    );
    if let Some(user) = kv(fields, "user=") {
        event.user_name = Some(user.into());
    }
    if let Some(ip) = kv(fields, "ip=").map(|i| i.trim_matches(|c| c == '[' || c == ']')) {
        event.set_source(ip);
    }
    event.source_port = kv(fields, "port=")
        .map(|p| p.trim_matches(|c| c == '[' || c == ']'))
        .and_then(|p| p.parse().ok());
    // `rcvd=` is what the client sent, `sent=` what the server sent it.
    event.bytes_in = kv(fields, "rcvd=").and_then(number);
    event.bytes_out = kv(fields, "sent=").and_then(number);
    event.classify(category, action, outcome);
    // The verb is the reason of a failure and the kind of a session's end.
    if outcome == Outcome::Failure || category == Category::Session {
        event.reason = Some(verb.into());
    }
    true
}

/// `error,relay=::ffff:192.0.2.3[,ident=…],msg="535 Authentication failed.",cmd: AUTH LOGIN`
fn esmtpd<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let Some(relay) = after(message, "relay=") else {
        return false;
    };
    event.dataset = Dataset::Courier;
    event.protocol = Some("smtp".into());
    let relay = relay.split(',').next().unwrap_or(relay);
    event.set_source(relay);
    let msg = after(message, "msg=\"").and_then(|m| m.split('"').next());
    if let Some(msg) = msg {
        event.reason = Some(msg.into());
    }
    let cmd = after(message, "cmd: ").unwrap_or("");
    if cmd.starts_with("AUTH") || msg.is_some_and(|m| m.starts_with("535")) {
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
    } else if message.starts_with("error") {
        event.classify(Category::Network, "reject", Outcome::Failure);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(base: &str, message: &'static str) -> Event<'static> {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(base, message, &mut e), "{message}");
        e
    }

    #[test]
    fn logins_failures_logouts_and_esmtp_auth() {
        let e = msg(
            "imapd-ssl",
            "LOGIN FAILED, method=PLAIN, user=bob@example.org, ip=[::ffff:192.0.2.10]",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (e.user_name.as_deref(), e.source_ip.map(|i| i.to_string())),
            (Some("bob@example.org"), Some("192.0.2.10".into()))
        );
        let e = msg(
            "pop3d",
            "LOGIN, user=bob@example.org, ip=[::ffff:192.0.2.10], port=[50123]",
        );
        assert_eq!(
            (e.action, e.protocol.as_deref(), e.source_port),
            (Some("login"), Some("pop3"), Some(50123))
        );
        let e = msg(
            "imapd",
            "LOGOUT, user=bob@example.org, ip=[::ffff:192.0.2.10], headers=0, body=0, rcvd=56, sent=1036, time=12",
        );
        assert_eq!(
            (e.action, e.bytes_in, e.bytes_out),
            (Some("logout"), Some(56), Some(1036))
        );
        let e = msg(
            "courieresmtpd",
            "error,relay=::ffff:192.0.2.3,msg=\"535 Authentication failed.\",cmd: AUTH LOGIN",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(e.protocol.as_deref(), Some("smtp"));
        let mut other = Event::new(Dataset::Syslog, "t", 1);
        assert!(!parse(
            "imapd",
            "login: host [192.0.2.1] bob plaintext User logged in",
            &mut other
        ));
    }
}
