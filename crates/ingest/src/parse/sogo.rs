//! SOGo (`sogod`, Alinto/sogo UI/MainUI/SOGoRootPage.m `logWithFormat:`):
//!
//! - `SOGoRootPage successful login from '192.0.2.1' for user 'bob' - expire = -1  grace = -1`
//! - `SOGoRootPage Login from '192.0.2.1' for user 'bob' might not have worked - password policy: 65535  grace: -1  expire: -1  bound: 0`
//!
//! The address is SOGo's `remoteHost`: `x-forwarded-for` when the proxy sets
//! it (its first address is the client), else the peer.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::after;

/// Interprets a `sogod` message; claims every line of the tag.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Sogo;
    event.protocol = Some("http".into());
    let (outcome, rest) = if let Some(rest) = after(message, "successful login from '") {
        (Outcome::Success, rest)
    } else if let Some(rest) =
        after(message, "Login from '").filter(|r| r.contains("might not have worked"))
    {
        (Outcome::Failure, rest)
    } else {
        return true;
    };
    let Some((host, tail)) = rest.split_once("' for user '") else {
        return true;
    };
    let Some((user, tail)) = tail.split_once('\'') else {
        return true;
    };
    event.set_source(host.split(',').next().unwrap_or(host).trim());
    event.user_name = Some(user.into());
    if outcome == Outcome::Success {
        event.classify(Category::Authentication, "login", outcome);
    } else {
        event.classify(Category::Authentication, "login-failed", outcome);
        event.reason = Some(tail.trim_start_matches(" - ").trim().into());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_and_failures() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        parse(
            "SOGoRootPage Login from '203.0.113.5, 10.0.0.2' for user 'bob@example.org' might not have worked - password policy: 65535  grace: -1  expire: -1  bound: 0",
            &mut e,
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.auth_service()
            ),
            (
                Some("bob@example.org"),
                Some("203.0.113.5".into()),
                Some("webmail")
            )
        );
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        parse(
            "SOGoRootPage successful login from '192.0.2.1' for user 'bob' - expire = -1  grace = -1",
            &mut e,
        );
        assert_eq!(e.action, Some("login"));
    }
}
