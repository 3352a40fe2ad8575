//! Oracle Communications Messaging Server's MTA transaction log
//! (`msg-svr-base/data/log/mail.log_current`), in the entry format of the
//! Messaging Server documentation ("MTA transaction log entry format",
//! msg.wikidoc.info and docs.oracle.com/cd/E19566-01/819-4428):
//! `dd-Mon-yyyy hh:mm:ss.cc [host] [pid.thread.seq] source-channel [dest-channel] [+|-] code …`
//!
//! - enqueue / dequeue: `11-Jun-2019 08:59:34.42 tcp_local ims-ms EEQ 12 a@example.net rfc822;b@example.org b@ims-ms-daemon mailsrv mx.example.net ([192.0.2.140])`
//!   (`E` enqueued, `D` dequeued, `R` returned, `J` rejected, `Q` deferred; the number is the size in blocks)
//! - connections (`LOG_CONNECTION`): `04-Sep-2002 01:00:06.49 tcp_local + O TCP|198.51.100.42|25|192.0.2.7|4303 SMTP/…`
//!   (`O` open, `C` close, `X` rejected, `Y` failed; `TCP|mta-ip|mta-port|peer-ip|peer-port`)

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::text;
use super::timestamp::{self, RawTime};
use super::{LineContext, Miss, SkipReason};

/// `dd-Mon-yyyy hh:mm:ss.cc ` at the start: the time and the rest.
fn time(line: &str) -> Option<(RawTime, &str)> {
    let b = line.as_bytes();
    // `timestamp::php` reads `dd-Mmm-YYYY HH:MM:SS` with a fraction and no zone.
    if b.get(2) != Some(&b'-') || b.get(6) != Some(&b'-') || b.get(11) != Some(&b' ') {
        return None;
    }
    let (raw, used) = timestamp::php(b)?;
    let rest = line.get(used..)?.strip_prefix(' ')?;
    Some((raw, rest))
}

/// Whether a token is an entry code (`E`, `DEQ`, `O`, …).
fn is_code(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 4
        && token.bytes().all(|b| b"BDEJKQRVWZCOUXYIALS".contains(&b))
}

/// The channel tokens before the entry code, the direction, the code and the rest.
fn entry(rest: &str) -> Option<(Vec<&str>, Option<char>, &str, &str)> {
    let mut channels = Vec::new();
    let mut direction = None;
    let mut rest = rest.trim_start();
    for _ in 0..6 {
        let (token, after) = text::word(rest);
        if is_code(token) {
            return Some((channels, direction, token, after.trim_start()));
        }
        match token {
            "+" => direction = Some('+'),
            "-" => direction = Some('-'),
            "" => return None,
            _ => channels.push(token),
        }
        rest = after.trim_start();
    }
    None
}

/// Whether a line has the MTA transaction log shape.
pub fn looks_like(line: &str) -> bool {
    time(line).is_some_and(|(_, rest)| {
        entry(rest).is_some_and(|(channels, _, _, _)| {
            channels
                .iter()
                .any(|c| c.starts_with("tcp_") || c.starts_with("ims") || *c == "process")
        })
    })
}

/// Parses a transaction log line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    if !looks_like(line) {
        return Err(Miss::NotMine);
    }
    let (raw, rest) = time(line).ok_or(Miss::NotMine)?;
    let (channels, direction, code, rest) = entry(rest).ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::OracleMessaging, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(raw)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    event.message = Some(rest.into());
    // `host pid source [dest]`: the channels are the last one or two tokens.
    let channels: Vec<&str> = channels
        .into_iter()
        .filter(|c| c.contains('_') || c.contains('-') || !c.contains('.'))
        .collect();
    event.process_name = channels.first().map(|c| (*c).into());
    if let Some(transport) = rest.strip_prefix("TCP|") {
        connection(transport, direction, code, &mut event);
    } else if matches!(code, "O" | "C" | "X" | "Y") {
        connection("", direction, code, &mut event);
    } else {
        transaction(rest, code, &mut event);
    }
    Ok(event)
}

fn connection<'a>(transport: &'a str, direction: Option<char>, code: &str, event: &mut Event<'a>) {
    event.protocol = Some("smtp".into());
    let transport = text::word(transport).0;
    let mut fields = transport.split('|');
    let (_mta, _mta_port) = (fields.next(), fields.next());
    let (peer, peer_port) = (fields.next(), fields.next().and_then(|p| p.parse().ok()));
    if let Some(peer) = peer {
        if direction == Some('-') {
            event.destination_ip = vigie_event::parse_ip(peer);
            event.destination_port = peer_port;
        } else {
            event.set_source(peer);
            event.source_port = peer_port;
        }
    }
    match code {
        "O" => event.classify(Category::Network, "connect", Outcome::Success),
        "C" => event.classify(Category::Network, "disconnect", Outcome::Success),
        "X" | "Y" => event.classify(Category::Network, "connect", Outcome::Failure),
        _ => {}
    }
}

fn transaction<'a>(rest: &'a str, code: &str, event: &mut Event<'a>) {
    let (size, mut rest) = text::word(rest.trim_start());
    if text::number(size).is_none() {
        return;
    }
    rest = rest.trim_start();
    let (first, after) = text::word(rest);
    if !first.starts_with("rfc822;") {
        if !first.is_empty() {
            event.email_from = Some(first.into());
        }
        rest = after.trim_start();
    }
    let (original, after) = text::word(rest);
    let (to, after) = text::word(after.trim_start());
    let recipient = original.strip_prefix("rfc822;").unwrap_or(original);
    if !recipient.is_empty() {
        event.email_to = Some(recipient.into());
    } else if !to.is_empty() {
        event.email_to = Some(to.into());
    }
    // The last `<…>` token is the message id.
    if let Some(id) = after
        .split_ascii_whitespace()
        .rev()
        .find(|t| t.starts_with('<') && t.ends_with('>') && t.len() > 2)
    {
        event.email_message_id = Some(strip_angles(id).into());
    }
    // `(host [ip])` or `([ip])`: the client the message came from.
    if let Some(open) = after.rfind('[')
        && let Some(close) = after[open..].find(']')
    {
        event.set_source(&after[open + 1..open + close]);
    }
    // A diagnostic such as `smtp;250 2.1.5 Ok` or `… Dead (unresponsive) host`.
    if let Some(diag) = text::after(after, "smtp;") {
        event.reason = Some(diag.into());
    }
    let (action, outcome) = match code.as_bytes().first() {
        Some(b'E') => ("received", Outcome::Success),
        Some(b'D') => ("deliver", Outcome::Success),
        Some(b'R') => ("deliver", Outcome::Failure),
        Some(b'J') => ("rejected", Outcome::Failure),
        Some(b'Q') => ("deliver", Outcome::Unknown),
        _ => return,
    };
    event.classify(Category::Email, action, outcome);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_cut_lines() {
        assert!(looks_like(
            "11-Jun-2019 09:07:57.65 ims-ms                    D 5  rfc822;a@example.org a@ims-ms-daemon mailsrv"
        ));
        assert!(!looks_like("11-Jun-2019 09:07:57 garbage"));
        let line = "19-Jan-1998 13:13:27.10 hosta   2e2d.5.1 tcp_local   tcp_intranet E 1 a@example.net rfc822;b@example.org b 276 /q/ZZ.00 <e@x> <m@x> mailsrv x (x [192.0.2.66]) 0 3";
        assert!(looks_like(line));
        for cut in 0..line.len() {
            if let Some(part) = line.get(..cut)
                && let Some((_, rest)) = time(part)
                && let Some((_, direction, code, rest)) = entry(rest)
            {
                let mut e = Event::new(Dataset::OracleMessaging, "t", 1);
                transaction(rest, code, &mut e);
                connection(rest, direction, code, &mut e);
            }
        }
    }
}
