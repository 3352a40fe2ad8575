//! Zimbra Collaboration `mailbox.log` and `audit.log` (`/opt/zimbra/log/`),
//! written by log4j with Zimbra's layout `%d %-5p [%t] [%z] %c{1} - %m`
//! (conf/log4j.properties.in): the `[%z]` context carries `name=` (account),
//! `aname=` (delegated admin), `ip=` (peer), `oip=` (the client behind the
//! proxy), `ua=` (user agent), `via=`, `soapId=`.
//!
//! - `2024-03-24 02:04:32,123 INFO  [qtp1-56:https://mail.example.org/service/soap/AuthRequest] [name=bob@example.org;oip=192.0.2.1;ua=ZimbraWebClient - FF124 (Linux)/10.0.6_GA_4585;] security - cmd=Auth; account=bob@example.org; protocol=soap;`
//! - `… WARN  […] [oip=192.0.2.1;ua=…;] security - cmd=Auth; account=bob@example.org; protocol=soap; error=authentication failed for [bob@example.org], invalid password;`
//! - `… INFO  [ImapSSLServer-12] [ip=10.0.0.5;oip=192.0.2.1;via=10.0.0.5(nginx/1.20.0);] imap - user bob@example.org authenticated, mechanism=PLAIN [TLS]`
//!
//! Recognized by its shape (time, padded level, `[thread]`), never as Exim.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, after, kv};
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

const LEVELS: [&str; 6] = ["INFO", "WARN", "ERROR", "DEBUG", "FATAL", "TRACE"];

/// The level and the rest after it, when `line` has Zimbra's log4j shape.
fn split(line: &str) -> Option<(timestamp::RawTime, &str, &str)> {
    let (time, used) = timestamp::iso(line.as_bytes())?;
    let rest = line.get(used..)?.strip_prefix(' ')?;
    let (level, rest) = rest.split_once(' ')?;
    if !LEVELS.contains(&level) {
        return None;
    }
    let rest = rest.trim_start();
    rest.starts_with('[').then_some((time, level, rest))
}

/// Whether a line is a Zimbra log4j line (cheap check for format detection).
pub fn looks_like(line: &str) -> bool {
    split(line).is_some()
}

/// Parses a `mailbox.log` / `audit.log` line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let (time, level, rest) = split(line).ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::Zimbra, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    event.level = Some(level.into());
    // `[thread] [context] category - message`
    let (thread, rest) = bracketed(rest).ok_or(Miss::NotMine)?;
    event.process_name = Some(thread.split(':').next().unwrap_or(thread).into());
    let (context, rest) = bracketed(rest.trim_start()).unwrap_or(("", rest));
    let (category, message) = text::split_once(rest.trim_start(), " - ").unwrap_or(("", rest));
    event.message = Some(message.into());
    context_fields(context, &mut event);
    if thread.starts_with("Imap") {
        event.protocol = Some("imap".into());
    } else if thread.starts_with("Pop3") {
        event.protocol = Some("pop3".into());
    }
    if let Some(auth) = message.strip_prefix("cmd=Auth;") {
        if let Some(account) = kv(auth, "account=").map(|a| a.trim_end_matches(';')) {
            event.user_name = Some(account.into());
        }
        match kv(auth, "protocol=").map(|p| p.trim_end_matches(';')) {
            // SOAP is the web client's (and mobile apps') login.
            Some("soap" | "http_basic" | "http") => event.protocol = Some("webmail".into()),
            Some(p @ ("imap" | "pop3")) => event.protocol = Some(p.into()),
            _ => {}
        }
        match after(auth, "error=") {
            Some(error) => {
                event.classify(Category::Authentication, "login-failed", Outcome::Failure);
                event.reason = Some(error.trim_end_matches(';').into());
            }
            None => event.classify(Category::Authentication, "login", Outcome::Success),
        }
    } else if let Some(user) = message
        .strip_prefix("user ")
        .and_then(|m| m.split_once(" authenticated"))
        .map(|(u, _)| u)
    {
        event.user_name = Some(user.into());
        event.classify(Category::Authentication, "login", Outcome::Success);
    } else if let Some(user) =
        after(message, "authentication failed for [").and_then(|u| u.split(']').next())
    {
        event.user_name = Some(user.into());
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some(message.into());
    } else if category == "security" || category == "account" {
        event.reason = None;
    }
    Ok(event)
}

/// `[content]` at the start of `text` and what follows it.
fn bracketed(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('[')?;
    let close = inner.find(']')?;
    Some((&inner[..close], &inner[close + 1..]))
}

/// `name=…;oip=…;ip=…;ua=…;` from the `[%z]` context.
fn context_fields<'a>(context: &'a str, event: &mut Event<'a>) {
    let mut peer = None;
    let mut original = None;
    for pair in context.split(';') {
        match pair.split_once('=') {
            Some(("name", v)) => event.user_name = Some(v.into()),
            Some(("aname", v)) => event.auth_master_user = Some(v.into()),
            Some(("ip", v)) => peer = vigie_event::parse_ip(v),
            Some(("oip", v)) => original = vigie_event::parse_ip(v),
            Some(("ua", v)) => event.user_agent = Some(v.into()),
            Some(("soapId", v)) => event.session_id = Some(v.into()),
            _ => {}
        }
    }
    // `oip` is the client behind the proxy; `ip` the proxy that spoke to Zimbra.
    event.source_ip = original.or(peer);
    if original.is_some() && peer != original {
        event.client_ip = peer;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::timestamp::TimeContext;
    use vigie_event::Timestamp;

    fn parse_one(line: &'static str) -> Event<'static> {
        let time = Box::leak(Box::new(TimeContext::new(
            jiff::tz::TimeZone::UTC,
            Timestamp::from_unix(1_795_996_800, 0),
        )));
        let mut ctx = LineContext {
            path: "t",
            number: 1,
            time,
        };
        parse(line, &mut ctx).unwrap()
    }

    #[test]
    fn audit_and_mailbox_authentication() {
        let e = parse_one(
            "2024-03-24 02:04:32,123 WARN  [qtp1-56:https://mail.example.org/service/soap/AuthRequest] [oip=192.0.2.1;ua=ZimbraWebClient - FF124 (Linux)/10.0.6_GA_4585;] security - cmd=Auth; account=bob@example.org; protocol=soap; error=authentication failed for [bob@example.org], invalid password;",
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
                Some("192.0.2.1".into()),
                Some("webmail")
            )
        );
        let e = parse_one(
            "2024-03-24 02:04:33,001 INFO  [ImapSSLServer-12] [ip=10.0.0.5;oip=192.0.2.1;via=10.0.0.5(nginx/1.20.0);] imap - user bob@example.org authenticated, mechanism=PLAIN [TLS]",
        );
        assert_eq!(
            (
                e.action,
                e.auth_service(),
                e.client_ip.map(|i| i.to_string())
            ),
            (Some("login"), Some("imap"), Some("10.0.0.5".into()))
        );
        assert!(looks_like(
            "2024-03-24 02:04:32,123 INFO  [main] [] misc - x"
        ));
        assert!(!looks_like(
            "2024-02-15 03:49:17 login authenticator failed for (U8kjDR) [192.0.2.66]: 535"
        ));
    }
}
