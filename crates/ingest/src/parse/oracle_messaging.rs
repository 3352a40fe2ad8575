//! Oracle Communications Messaging Server (Sun Java System / iPlanet
//! Messaging Server) store and service logs: `imap`, `pop`, `http`
//! (Messaging Express / Convergence back end) and `default` under
//! `msg-svr-base/data/log/`. Shape (Messaging Server Administration Guide,
//! "Managing Logging": `[date] host process[pid]: category severity: text`):
//!
//! - `[29/May/2019:08:39:42 +0200] mail imapd[17849]: Account Notice: badlogin: [192.0.2.6:45711] plaintext bob@example.org Authentication failed`
//! - `[30/Aug/2004:16:53:13 -0700] mail imapd[13027]: Account Information: login [192.0.2.64:40718] bob plaintext`
//! - `[15/Jul/2019:14:04:56 +0200] mail popd[25234]: Account Notice: close [192.0.2.5:46109] bob@example.org 2019/7/15 14:04:56 0:00:00 32 185 1`
//!   (login date and time, duration, bytes from the client, bytes to the client, mailboxes selected)
//! - `[02/Jul/2019:11:26:57 +0200] mmp ImapProxy[12607]: General Notice: (id 1019831) badguy 192.0.2.25 now has 3 badness`
//!
//! The MTA's `mail.log_current` (transaction log) is not read yet.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text;
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// What follows the bracketed time.
struct Parts<'a> {
    host: &'a str,
    process: &'a str,
    pid: Option<u64>,
    category: &'a str,
    severity: &'a str,
    text: &'a str,
}

/// The parts after the bracketed time.
fn split(rest: &str) -> Option<Parts<'_>> {
    let (host, rest) = rest.split_once(' ')?;
    let (process, rest) = text::split_once(rest, ": ")?;
    let (name, pid) = match process.split_once('[') {
        Some((n, p)) => (n, p.strip_suffix(']').and_then(|p| p.parse().ok())),
        None => (process, None),
    };
    // `Account Notice: …`, `Store Information:append:…`
    let (category, rest) = rest.split_once(' ')?;
    let colon = rest.find(':')?;
    let severity = &rest[..colon];
    if !matches!(
        category,
        "General" | "Account" | "Store" | "LDAP" | "Network" | "Protocol" | "Stats" | "Default"
    ) || severity.contains(' ')
    {
        return None;
    }
    Some(Parts {
        host,
        process: name,
        pid,
        category,
        severity,
        text: rest[colon + 1..].trim_start(),
    })
}

/// The bracketed time and the rest, when `line` starts with `[dd/Mon/yyyy:HH:MM:SS +zzzz] `.
fn time(line: &str) -> Option<(timestamp::RawTime, &str)> {
    let inner = line.strip_prefix('[')?;
    let (time, used) = timestamp::clf(inner.as_bytes())?;
    let rest = inner.get(used..)?.strip_prefix("] ")?;
    Some((time, rest))
}

/// Whether a line has the Messaging Server log shape.
pub fn looks_like(line: &str) -> bool {
    time(line).is_some_and(|(_, rest)| split(rest).is_some())
}

/// Parses a store or service log line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let (raw, rest) = time(line).ok_or(Miss::NotMine)?;
    let Parts {
        host,
        process,
        pid,
        category,
        severity,
        text: message,
    } = split(rest).ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::OracleMessaging, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(raw)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    event.host_name = Some(host.into());
    event.process_name = Some(process.into());
    event.process_pid = pid;
    event.level = Some(severity.into());
    event.message = Some(message.into());
    let lower = process.to_ascii_lowercase();
    event.protocol = if lower.starts_with("imap") {
        Some("imap".into())
    } else if lower.starts_with("pop") {
        Some("pop3".into())
    } else if lower.contains("http") {
        Some("webmail".into())
    } else {
        None
    };
    let handled = matches!(category, "Account" | "General") && account(message, &mut event);
    if !handled && let Some(ip) = text::after(message, ") badguy ").map(|t| text::word(t).0) {
        event.set_source(ip);
        event.classify(Category::Network, "rate-limit", Outcome::Failure);
    }
    Ok(event)
}

/// `[ip:port]` at the start of `text`: the rest after it.
fn client<'a>(text: &'a str, event: &mut Event<'a>) -> &'a str {
    let Some((inside, rest)) = text.strip_prefix('[').and_then(|t| t.split_once("] ")) else {
        return text;
    };
    // An IPv6 address has colons of its own: the port is after the last one.
    match inside.rsplit_once(':') {
        Some((ip, port))
            if port.bytes().all(|b| b.is_ascii_digit()) && vigie_event::parse_ip(ip).is_some() =>
        {
            event.set_source(ip);
            event.source_port = port.parse().ok();
        }
        _ => event.set_source(inside),
    }
    rest
}

/// Logins, failures and closes (`Account`, and `General` in some versions);
/// `false` for other messages.
fn account<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    if let Some(tail) = message.strip_prefix("badlogin: ") {
        // `[ip:port] plaintext user reason`
        let rest = client(tail, event);
        let (_mechanism, rest) = text::word(rest);
        let (user, reason) = text::word(rest);
        if !user.is_empty() {
            event.user_name = Some(user.into());
        }
        if !reason.is_empty() {
            event.reason = Some(reason.into());
        }
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
    } else if let Some(tail) = message.strip_prefix("login ") {
        // `[ip:port] user mechanism`
        let rest = client(tail, event);
        let (user, _mechanism) = text::word(rest);
        event.user_name = Some(user.into());
        event.classify(Category::Authentication, "login", Outcome::Success);
    } else if let Some(tail) = message.strip_prefix("close ") {
        // `[ip:port] user date time duration in out mailboxes`
        let rest = client(tail, event);
        let (user, rest) = text::word(rest);
        if !user.starts_with('[') {
            event.user_name = Some(user.into());
        }
        let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
        if let [.., bytes_in, bytes_out, _mailboxes] = fields.as_slice() {
            event.bytes_in = text::number(bytes_in);
            event.bytes_out = text::number(bytes_out);
        }
        event.classify(Category::Session, "logout", Outcome::Success);
    } else {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_lines_never_panic() {
        let line = "[15/Jul/2019:14:04:56 +0200] mail popd[25234]: Account Notice: close [2001:db8::5:46109] bob@example.org 2019/7/15 14:04:56 0:00:00 32 185 1";
        assert!(looks_like(line));
        for cut in 0..line.len() {
            if let Some(part) = line.get(..cut) {
                let _ = looks_like(part);
                let mut e = Event::new(Dataset::OracleMessaging, "t", 1);
                if let Some((_, rest)) = time(part)
                    && let Some(parts) = split(rest)
                {
                    let _ = account(parts.text, &mut e);
                }
            }
        }
        assert!(!looks_like("[17/Jun/2011 17:00:45] Attempt to deliver"));
    }
}
