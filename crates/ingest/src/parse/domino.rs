//! HCL (IBM, Lotus) Domino's console log (`console.log`, `log.nsf` exported
//! as text): `date time[ AM|PM]  Task: message`, optionally after the
//! `[pid:thread-thread]` prefix `debug_show_pid`/console logging adds. The
//! date follows the server's locale: `mm/dd/yyyy` with a 12-hour clock
//! (US), `dd/mm/yyyy` or `dd-mm-yyyy` with a 24-hour clock elsewhere; a day
//! above 12 settles it, otherwise the clock decides (a 12-hour clock is US).
//! Messages (Domino SMTP/IMAP/POP3 tasks, as shown in HCL support notes and
//! administrators' published console logs):
//!
//! - `SMTP Server: Authentication failed for user bob ; connecting host 192.0.2.1`
//! - `SMTP Server: Authentication succeeded for user bob; connecting host 192.0.2.1`
//! - `smtp: bob [192.0.2.1] authentication failure using internet password`
//! - `IMAP Server: bob logged in from 192.0.2.1`, `POP3 Server: bob logged in; connecting host 192.0.2.1`
//! - `SMTP Server [1D44:0658-0C6C] Connection from [192.0.2.1] rejected for policy reasons. …`
//! - `SMTP Server: 192.0.2.1 connected`, `SMTP Server: 192.0.2.1 disconnected. 1 message[s] received`
//! - `SMTP Server: Message 0025ABCD (MessageID: <x@y>) received from a@b size 1234 bytes`

use vigie_event::{Category, CivilDateTime, Dataset, Event, Outcome};

use super::text::{self, after};
use super::timestamp::{RawTime, digits};
use super::{LineContext, Miss, SkipReason};

/// `[0A44:000F-080C] ` before the date, when present: the rest.
fn strip_pid(line: &str) -> &str {
    line.strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .filter(|(pid, _)| {
            pid.contains(':')
                && pid
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'-')
        })
        .map_or(line, |(_, rest)| rest)
}

/// The date and time at the start of `b` and the bytes used.
fn stamp(b: &[u8]) -> Option<(CivilDateTime, usize)> {
    let sep = *b.get(2)?;
    if !(sep == b'/' || sep == b'-') || b.get(5) != Some(&sep) || b.get(10) != Some(&b' ') {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (first, second) = (digits(b, 2)?, digits(&b[3..], 2)?);
    let mut hour = digits(&b[11..], 2)?;
    let mut used = 19;
    let meridiem = match b.get(19..22) {
        Some(b" AM") => Some(false),
        Some(b" PM") => Some(true),
        _ => None,
    };
    if let Some(pm) = meridiem {
        used = 22;
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let day_first = first > 12 || (second <= 12 && meridiem.is_none());
    let (day, month) = if day_first {
        (first, second)
    } else {
        (second, first)
    };
    let civil = CivilDateTime {
        year: digits(&b[6..], 4)? as i32,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: digits(&b[14..], 2)? as u8,
        second: digits(&b[17..], 2)? as u8,
        micros: 0,
    };
    Some((civil, used))
}

/// The task and message of a line (`SMTP Server`, `Authentication failed …`),
/// also when the task names its thread instead of a colon:
/// `SMTP Server [1D44:0658-0C6C] Connection from …`.
fn task(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.trim_start();
    let by_thread = text::split_once(rest, " [").and_then(|(task, tail)| {
        let (thread, message) = tail.split_once("] ")?;
        let hex = thread.contains(':')
            && thread
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'-');
        (hex && !task.contains(": ")).then_some((task, message))
    });
    let (task, message) = by_thread.or_else(|| text::split_once(rest, ": "))?;
    let plain = task
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'/');
    (!task.is_empty() && task.len() <= 40 && plain).then_some((task, message))
}

/// Whether a line has a Domino console shape.
pub fn looks_like(line: &str) -> bool {
    let rest = strip_pid(line);
    stamp(rest.as_bytes())
        .and_then(|(_, used)| rest.get(used..))
        .is_some_and(|r| r.starts_with("  ") && task(r).is_some())
}

/// Parses a console log line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let rest = strip_pid(line);
    let (civil, used) = stamp(rest.as_bytes()).ok_or(Miss::NotMine)?;
    let body = rest.get(used..).ok_or(Miss::NotMine)?;
    let (task_name, message) = task(body).ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::Domino, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(RawTime::Civil(civil))
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    event.process_name = Some(task_name.into());
    event.message = Some(message.into());
    let lower = task_name.to_ascii_lowercase();
    let protocol = if lower.starts_with("smtp") {
        Some("smtp")
    } else if lower.starts_with("imap") {
        Some("imap")
    } else if lower.starts_with("pop3") {
        Some("pop3")
    } else if lower.starts_with("http") {
        Some("http")
    } else {
        None
    };
    event.protocol = protocol.map(Into::into);
    interpret(message, &mut event);
    Ok(event)
}

fn interpret<'a>(message: &'a str, event: &mut Event<'a>) {
    if let Some(tail) = message.strip_prefix("Authentication failed for user ") {
        let (user, host) = text::split_once(tail, "; connecting host ").unwrap_or((tail, ""));
        event.user_name = Some(user.trim_end().into());
        event.set_source(host.trim());
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some("Authentication failed".into());
    } else if let Some(tail) = message.strip_prefix("Authentication succeeded for user ") {
        let (user, host) = text::split_once(tail, "; connecting host ").unwrap_or((tail, ""));
        event.user_name = Some(user.trim_end().into());
        event.set_source(host.trim());
        event.classify(Category::Authentication, "login", Outcome::Success);
    } else if let Some(head) =
        message.strip_suffix(" authentication failure using internet password")
    {
        // `bob [192.0.2.1]`
        if let Some((user, ip, _)) = text::host_bracket(head) {
            event.user_name = Some(user.trim_end().into());
            event.set_source(ip);
        }
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some("authentication failure using internet password".into());
    } else if let Some((user, tail)) = text::split_once(message, " logged in") {
        event.user_name = Some(user.into());
        let host = after(tail, "connecting host ").or_else(|| tail.strip_prefix(" from "));
        if let Some(host) = host {
            event.set_source(host.trim());
        }
        event.classify(Category::Authentication, "login", Outcome::Success);
    } else if let Some((user, tail)) = text::split_once(message, " logged out") {
        event.user_name = Some(user.into());
        if let Some(host) = after(tail, "connecting host ") {
            event.set_source(host.trim());
        }
        event.classify(Category::Session, "logout", Outcome::Success);
    } else if let Some(tail) = message
        .strip_prefix("Message ")
        .filter(|t| t.contains(") received from "))
    {
        if let Some(id) = after(tail, "(MessageID: ").and_then(|t| t.split(") ").next()) {
            event.email_message_id = Some(vigie_event::strip_angles(id).into());
        }
        if let Some(from) = after(tail, " received from ") {
            let (from, size) = text::split_once(from, " size ").unwrap_or((from, ""));
            event.email_from = Some(from.into());
            event.email_size = text::number(size.split(' ').next().unwrap_or(""));
        }
        event.classify(Category::Email, "received", Outcome::Success);
    } else if let Some(tail) = message.strip_prefix("Connection from [") {
        // `Connection from [ip] rejected for policy reasons. …`
        let (ip, reason) = tail.split_once("] ").unwrap_or((tail, ""));
        event.set_source(ip);
        if let Some(reason) = reason.strip_prefix("rejected") {
            event.reason = Some(reason.trim_start().into());
            event.classify(Category::Network, "reject", Outcome::Failure);
        }
    } else if let Some(ip) = message.strip_suffix(" connected") {
        event.set_source(ip);
        event.classify(Category::Network, "connect", Outcome::Success);
    } else if let Some((ip, _)) = text::split_once(message, " disconnected") {
        event.set_source(ip);
        event.classify(Category::Network, "disconnect", Outcome::Success);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_locale() {
        let (c, used) = stamp(b"09/10/2020 01:37:39 PM  SMTP").unwrap();
        assert_eq!((c.month, c.day, c.hour, used), (9, 10, 13, 22));
        let (c, _) = stamp(b"14/12/2012 18:04:33   SMTP").unwrap();
        assert_eq!((c.month, c.day), (12, 14));
        assert!(looks_like(
            "[0A44:000F-080C] 14/12/2012 18:04:33   SMTP Server: 192.0.2.1 connected"
        ));
        assert!(!looks_like(
            "03/10/2026 05:16:08 [LOGIN] bob (x) from 192.0.2.1: "
        ));
    }

    #[test]
    fn never_panics_on_cut_lines() {
        let line = "[0A44:000F-080C] 09/09/2020 01:37:39 AM  SMTP Server: Authentication failed for user x ; connecting host 192.0.2.1";
        for cut in 0..line.len() {
            if let Some(part) = line.get(..cut) {
                let _ = looks_like(part);
                let mut e = Event::new(Dataset::Domino, "t", 1);
                interpret(part, &mut e);
            }
        }
    }
}
