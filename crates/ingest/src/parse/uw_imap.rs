//! UW IMAP (`imapd`, `ipop3d` from the University of Washington c-client
//! toolkit; imapd/imapd.c and ipopd/ipop3d.c `syslog()` calls):
//!
//! - `Login user=bob host=client.example [192.0.2.1]` (ipop3d adds `nmsgs=3/3`)
//! - `Login failed user=bob auth=bob host=client.example [192.0.2.1]`
//! - `Excessive login failures user=bob host=client.example [192.0.2.1]`
//!   (`Login excessive login failures …` in some builds)
//! - `Authenticated user=bob host=client.example [192.0.2.1] mech=PLAIN`
//! - `Logout user=bob host=…` / `Autologout …`
//!
//! Recognized by content: the verbs above followed by `user=` and `host=`.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::after;

/// Whether a syslog tag may be UW's (`imapd` is shared with Courier and
/// Cyrus: the content decides).
pub fn is_uw_program(base: &str) -> bool {
    matches!(base, "imapd" | "ipop3d" | "ipop2d")
}

/// Interprets a UW IMAP message; `false` when it is not that shape.
pub fn parse<'a>(base: &str, message: &'a str, event: &mut Event<'a>) -> bool {
    let Some((verb, rest)) = message.split_once(" user=") else {
        return false;
    };
    if !rest.contains("host=") {
        return false;
    }
    let (category, action, outcome) = match verb {
        "Login" | "Authenticated" | "Preauthenticated" => {
            (Category::Authentication, "login", Outcome::Success)
        }
        "Login failed"
        | "Authentication failed"
        | "Excessive login failures"
        | "Login excessive login failures" => {
            (Category::Authentication, "login-failed", Outcome::Failure)
        }
        "Logout" | "Autologout" | "Killed (lost mailbox lock)" => {
            (Category::Session, "logout", Outcome::Success)
        }
        _ => return false,
    };
    event.dataset = Dataset::UwImap;
    event.protocol = Some(if base.contains("pop") { "pop3" } else { "imap" }.into());
    let user = rest.split(' ').next().unwrap_or(rest);
    if !user.is_empty() && user != "???" {
        event.user_name = Some(user.into());
    }
    // `host=name [ip]`: the address is the bracketed part.
    if let Some(host) = after(rest, "host=") {
        let (name, tail) = host.split_once(' ').unwrap_or((host, ""));
        if let Some(ip) = tail.strip_prefix('[').and_then(|t| t.split(']').next()) {
            event.set_source(ip);
            if !name.starts_with('[') {
                event.source_domain = Some(name.into());
            }
        } else if let Some(ip) = name.strip_prefix('[').and_then(|t| t.split(']').next()) {
            event.set_source(ip);
        }
    }
    event.classify(category, action, outcome);
    if outcome == Outcome::Failure {
        event.reason = Some(verb.into());
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
    fn logins_failures_and_logouts() {
        let e = msg(
            "imapd",
            "Login failed user=bob auth=bob host=client.example.net [192.0.2.21]",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.source_domain.as_deref()
            ),
            (
                Some("bob"),
                Some("192.0.2.21".into()),
                Some("client.example.net")
            )
        );
        let e = msg(
            "ipop3d",
            "Login user=bob host=client.example.net [192.0.2.21] nmsgs=3/3",
        );
        assert_eq!(
            (e.action, e.protocol.as_deref()),
            (Some("login"), Some("pop3"))
        );
        let e = msg(
            "imapd",
            "Excessive login failures user=bob host=[192.0.2.22]",
        );
        assert_eq!(
            e.source_ip.map(|i| i.to_string()),
            Some("192.0.2.22".into())
        );
        let e = msg(
            "imapd",
            "Logout user=bob host=client.example.net [192.0.2.21]",
        );
        assert_eq!(e.action, Some("logout"));
    }
}
