//! Cyrus IMAP 2.2–3.x (`imapd`, `imaps`, `pop3d`, `pop3s`, `lmtpd`, and the
//! `cyrus/imap`-style names cyrus.conf gives its services) and its
//! ManageSieve daemon `sieve`/`timsieved`. The formats are cyrus-imapd's own
//! `syslog()` calls (imap/imapd.c `cmd_login`/`cmd_authenticate`,
//! imap/pop3d.c, timsieved/actions.c):
//!
//! - `login: host [ip] user mech[+TLS] User logged in SESSIONID=<id>`
//! - `badlogin: host [ip] mech [SASL(-13): authentication failure: …]`
//! - `badlogin: host [ip] plaintext user SASL(-13): authentication failure: …`
//! - `Delivered: <msgid> to mailbox: user.bob` (lmtpd)
//!
//! The client is `name [ip]` (2.3+) or `name[ip]` (2.2).

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::text::{self, after, kv, word};

/// Whether a syslog tag is a Cyrus process. `imap`, `pop3` and `lmtp` are
/// Cyrus only as a cyrus.conf service name under a prefix (`cyrus/imap`):
/// bare, they are Dovecot's.
pub fn is_cyrus_program(program: &str, base: &str) -> bool {
    matches!(
        base,
        "imapd" | "imaps" | "pop3d" | "pop3s" | "lmtpd" | "sieve" | "timsieved" | "master"
    ) || base.starts_with("cyrus")
        || (program.contains('/') && matches!(base, "imap" | "pop3" | "lmtp" | "lmtpunix"))
}

/// Interprets a Cyrus message; claims `login:`, `badlogin:` and lmtpd deliveries.
pub fn parse<'a>(base: &str, message: &'a str, event: &mut Event<'a>) -> bool {
    let protocol = if base.starts_with("pop3") {
        "pop3"
    } else if matches!(base, "sieve" | "timsieved") {
        "managesieve"
    } else if base.starts_with("lmtp") {
        "lmtp"
    } else {
        "imap"
    };
    if let Some(rest) = message.strip_prefix("badlogin: ") {
        let Some(after_client) = client(rest, event) else {
            return false;
        };
        finish(event, protocol);
        // `plaintext user SASL(…)…` names the user; `MECH [SASL(…)]` does not.
        let (mech, tail) = word(after_client);
        let (maybe_user, reason) = word(tail);
        if mech.eq_ignore_ascii_case("plaintext")
            && !maybe_user.is_empty()
            && !maybe_user.starts_with('[')
            && !maybe_user.starts_with("SASL")
        {
            event.user_name = Some(maybe_user.into());
            event.reason = Some(reason.into());
        } else {
            event.reason = Some(tail.trim_start_matches('[').trim_end_matches(']').into());
        }
        // 2.2 wrote `(user)` after the mechanism.
        if let Some(user) = after_client
            .split_once(" (")
            .and_then(|(_, u)| u.split_once(')'))
            .map(|(u, _)| u)
            .filter(|u| !u.contains(' ') && !u.is_empty())
        {
            event.user_name = Some(user.into());
        }
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        return true;
    }
    if let Some(rest) = message.strip_prefix("login: ") {
        let Some(after_client) = client(rest, event) else {
            return false;
        };
        finish(event, protocol);
        let (user, _) = word(after_client);
        event.user_name = Some(user.into());
        if let Some(session) = kv(after_client, "SESSIONID=") {
            event.session_id = Some(session.into());
        }
        event.classify(Category::Authentication, "login", Outcome::Success);
        return true;
    }
    // lmtpd: `Delivered: <msgid> to mailbox: user.bob`.
    if let Some(rest) = message.strip_prefix("Delivered: ") {
        finish(event, protocol);
        let (id, tail) = word(rest);
        event.email_message_id = Some(strip_angles(id).into());
        if let Some(mailbox) = after(tail, "to mailbox: ") {
            event.mailbox = Some(mailbox.trim().into());
        }
        event.classify(Category::Email, "deliver", Outcome::Success);
        return true;
    }
    false
}

fn finish(event: &mut Event<'_>, protocol: &'static str) {
    event.dataset = Dataset::Cyrus;
    event.protocol = Some(protocol.into());
}

/// Reads `name [ip] ` or `name[ip] ` and returns what follows.
fn client<'a>(rest: &'a str, event: &mut Event<'a>) -> Option<&'a str> {
    let open = text::find(rest, "[")?;
    let close = open + text::find(&rest[open..], "]")?;
    let address = &rest[open + 1..close];
    vigie_event::parse_ip(address)?;
    event.set_source(address);
    let name = rest[..open].trim_end();
    if !name.is_empty() && name != "unknown" {
        event.source_domain = Some(name.into());
    }
    Some(rest[close + 1..].trim_start())
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
    fn logins_failures_and_deliveries() {
        // greengrocer README (robn/greengrocer), a Fastmail Cyrus line.
        let e = msg(
            "imap",
            "login: frontend1.nyi.internal [10.202.2.160] robntest plaintext User logged in SESSIONID=<sloti30t15-4101108-1450760746-1-6931901653674999381>",
        );
        assert_eq!(
            (
                e.action,
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.session_id.as_deref()
            ),
            (
                Some("login"),
                Some("robntest"),
                Some("10.202.2.160".into()),
                Some("sloti30t15-4101108-1450760746-1-6931901653674999381")
            )
        );
        // imapd.c cmd_login: `badlogin: %s plaintext %s %s`.
        let e = msg(
            "imapd",
            "badlogin: mail.example.net [192.0.2.44] plaintext bob SASL(-13): authentication failure: checkpass failed",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(e.user_name.as_deref(), Some("bob"));
        assert_eq!(
            e.reason.as_deref(),
            Some("SASL(-13): authentication failure: checkpass failed")
        );
        let e = msg(
            "pop3d",
            "badlogin: unknown [192.0.2.45] PLAIN [SASL(-13): authentication failure: Password verification failed]",
        );
        assert_eq!(
            (e.protocol.as_deref(), e.source_ip.map(|i| i.to_string())),
            (Some("pop3"), Some("192.0.2.45".into()))
        );
        let e = msg(
            "lmtpunix",
            "Delivered: <20240101.abc@example.org> to mailbox: user.bob",
        );
        assert_eq!(
            (e.action, e.mailbox.as_deref()),
            (Some("deliver"), Some("user.bob"))
        );
    }
}
