//! MDaemon's session logs (`MDaemon-YYYY-MM-DD-SMTP-(in).log`, `-IMAP.log`,
//! `-POP3.log`, `-all.log`): `Www YYYY-MM-DD HH:MM:SS[.mmm]: ` then, in
//! recent versions, a level (`05: `) and sometimes the session number in
//! brackets, then the text. MDaemon writes each session as one block opened
//! by `Session N; child M` and its `Accepting … connection` line, so the
//! client address and the login name of later lines come from the block:
//! [`Sessions`] carries them from line to line within one file.
//!
//! - `Wed 2018-04-25 00:00:34: Accepting SMTP connection from [192.0.2.244:2767] to [198.51.100.2:25]`
//! - `Tue 2026-08-18 00:00:48.993: 05: Session 09012313; child 0001`
//! - `Tue 2026-08-18 12:10:38.432: 03: --> 535 5.7.8 Authentication failed` (SMTP AUTH refused)
//! - `… <-- a1 LOGIN bob@example.org ******`, `… --> a1 NO LOGIN failed` (IMAP, RFC 3501 replies)
//! - `… <-- USER bob@example.org`, `… --> -ERR …` after `PASS` (POP3, RFC 1939 replies)
//! - `… SMTP session successful (Bytes in/out: 1787/342)`, `… SMTP session terminated (Bytes in/out: 73/316)`

use std::collections::HashMap;
use std::net::IpAddr;

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text;
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// What one session's block has said so far.
#[derive(Clone, Debug, Default)]
struct Peer {
    id: String,
    ip: Option<IpAddr>,
    port: Option<u16>,
    protocol: Option<&'static str>,
    user: Option<String>,
    last_command: Option<&'static str>,
    /// A login of this block succeeded: its user owns the session's bytes.
    logged_in: bool,
}

/// The sessions of one MDaemon file: the current block, and those named by
/// number on each line (bounded: an old session is dropped past a few thousand).
#[derive(Clone, Debug, Default)]
pub struct Sessions {
    current: Peer,
    tagged: HashMap<u64, Peer>,
}

/// At most this many numbered sessions are remembered.
const MAX_TAGGED: usize = 4096;

/// The time and the text after `Www YYYY-MM-DD HH:MM:SS[.mmm]: `.
fn split(line: &str) -> Option<(timestamp::RawTime, &str)> {
    let b = line.as_bytes();
    if b.len() < 4 || !b[..3].iter().all(u8::is_ascii_alphabetic) || b[3] != b' ' {
        return None;
    }
    let (time, used) = timestamp::iso(&b[4..])?;
    let rest = line.get(4 + used..)?;
    let rest = rest
        .strip_prefix(": ")
        .or_else(|| (rest == ":").then_some(""))?;
    Some((time, rest))
}

/// Whether a line has MDaemon's shape.
pub fn looks_like(line: &str) -> bool {
    split(line).is_some()
}

/// Parses a session log line, reading and updating the file's sessions.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let (raw, mut rest) = split(line).ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::Mdaemon, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(raw)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    // `05: ` or `02 `: the level of recent versions.
    let b = rest.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() {
        if b[2] == b':' {
            event.level = Some(rest[..2].into());
            rest = rest[3..].trim_start();
        } else if b[2] == b' ' {
            event.level = Some(rest[..2].into());
            rest = &rest[3..];
        }
    }
    // `[1234] `: the session number.
    let tag = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .and_then(|(n, r)| text::number(n).map(|n| (n, r)));
    let sessions = &mut ctx.time.mdaemon;
    let peer = match tag {
        Some((n, after)) => {
            rest = after;
            if sessions.tagged.len() >= MAX_TAGGED && !sessions.tagged.contains_key(&n) {
                sessions.tagged.clear();
            }
            let peer = sessions.tagged.entry(n).or_default();
            if peer.id.is_empty() {
                peer.id = n.to_string();
            }
            peer
        }
        None => &mut sessions.current,
    };
    event.message = Some(rest.into());
    interpret(rest, peer, &mut event);
    if !peer.id.is_empty() {
        event.session_id = Some(peer.id.clone().into());
    }
    if event.source_ip.is_none() {
        event.source_ip = peer.ip;
        event.source_port = event.source_port.or(peer.port);
    }
    if event.protocol.is_none() {
        event.protocol = peer.protocol.map(Into::into);
    }
    // The user a failure or a login names, and the owner of a logged-in
    // session's closing counts; never a failed login's name on the counts.
    let owned = event.category == Some(Category::Authentication)
        || (event.category == Some(Category::Session) && peer.logged_in);
    if event.user_name.is_none()
        && owned
        && let Some(user) = &peer.user
    {
        event.user_name = Some(user.clone().into());
    }
    Ok(event)
}

fn protocol_word(word: &str) -> Option<&'static str> {
    match word {
        "SMTP" | "ESMTP" => Some("smtp"),
        "IMAP" | "IMAP4" => Some("imap"),
        "POP" | "POP3" => Some("pop3"),
        _ => None,
    }
}

/// `[ip:port]` or `ip:port` (IPv6 keeps its colons): address and port.
fn endpoint(text: &str) -> (&str, Option<u16>) {
    let text = text.trim_start_matches('[').trim_end_matches(']');
    match text.rsplit_once(':') {
        Some((ip, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() => (
            ip.trim_end_matches(']').trim_start_matches('['),
            port.parse().ok(),
        ),
        _ => (text, None),
    }
}

fn interpret<'a>(text: &'a str, peer: &mut Peer, event: &mut Event<'a>) {
    if let Some(tail) = text.strip_prefix("Session ") {
        // `Session 09012313; child 0001`: a new block.
        let id = tail.split(';').next().unwrap_or(tail);
        if text::number(id).is_some() {
            *peer = Peer {
                id: id.into(),
                ..Peer::default()
            };
        }
    } else if let Some(tail) = text.strip_prefix("Accepting ") {
        let (proto, tail) = text::word(tail);
        let Some(from) = text::after(tail, "connection from ") else {
            return;
        };
        let (from, to) = text::split_once(from, " to ").unwrap_or((from, ""));
        let (ip, port) = endpoint(from.trim());
        event.set_source(ip);
        event.source_port = port;
        let (dst, dst_port) = endpoint(text::word(to).0);
        event.destination_ip = vigie_event::parse_ip(dst);
        event.destination_port = dst_port;
        event.protocol = protocol_word(proto).map(Into::into);
        peer.ip = event.source_ip;
        peer.port = port;
        peer.protocol = protocol_word(proto);
        event.classify(Category::Network, "connect", Outcome::Success);
    } else if let Some(command) = text.strip_prefix("<-- ") {
        client_command(command, peer);
    } else if let Some(reply) = text.strip_prefix("--> ") {
        server_reply(reply, peer, event);
    } else if let Some(counts) = text::after(text, "(Bytes in/out: ") {
        // `SMTP session successful (Bytes in/out: 1787/342)`
        let counts = counts.split(')').next().unwrap_or(counts);
        if let Some((bytes_in, bytes_out)) = counts.split_once('/') {
            event.bytes_in = text::number(bytes_in.trim());
            event.bytes_out = text::number(bytes_out.trim());
        }
        if let Some(proto) = protocol_word(text::word(text).0) {
            event.protocol = Some(proto.into());
        }
        let outcome = if text::contains(text, " terminated") {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        event.classify(Category::Session, "logout", outcome);
    }
}

/// Remembers the login name a client gave (never a password).
fn client_command(command: &str, peer: &mut Peer) {
    let (first, rest) = text::word(command);
    if first.eq_ignore_ascii_case("USER") {
        peer.user = Some(text::word(rest).0.into());
        peer.last_command = Some("USER");
    } else if first.eq_ignore_ascii_case("PASS") {
        peer.last_command = Some("PASS");
    } else if first.eq_ignore_ascii_case("AUTH") {
        peer.last_command = Some("AUTH");
    } else {
        // IMAP: `tag LOGIN user password`, `tag AUTHENTICATE mech`.
        let (verb, args) = text::word(rest);
        if verb.eq_ignore_ascii_case("LOGIN") {
            let user = text::word(args).0.trim_matches('"');
            if !user.is_empty() {
                peer.user = Some(user.into());
            }
            peer.last_command = Some("LOGIN");
        } else if verb.eq_ignore_ascii_case("AUTHENTICATE") {
            peer.last_command = Some("AUTHENTICATE");
        } else if !first.is_empty() {
            peer.last_command = None;
        }
    }
}

fn server_reply<'a>(reply: &'a str, peer: &mut Peer, event: &mut Event<'a>) {
    let after_auth = matches!(peer.last_command, Some("AUTH"));
    let login = matches!(peer.last_command, Some("LOGIN" | "AUTHENTICATE"));
    let (first, rest) = text::word(reply);
    let outcome = if let Some(code) = text::number(first) {
        // SMTP: 235 accepted, 535 refused (also 454 temporary, 504 mechanism).
        match code {
            235 => Some(Outcome::Success),
            535 | 534 | 454 | 504 if after_auth || text::contains(rest, "uthentication") => {
                Some(Outcome::Failure)
            }
            _ => None,
        }
    } else if first == "+OK" && peer.last_command == Some("PASS") {
        Some(Outcome::Success)
    } else if first == "-ERR" && peer.last_command == Some("PASS") {
        Some(Outcome::Failure)
    } else if login {
        // IMAP `tag OK …` / `tag NO …` after LOGIN or AUTHENTICATE.
        match text::word(rest).0 {
            "OK" => Some(Outcome::Success),
            "NO" => Some(Outcome::Failure),
            _ => None,
        }
    } else {
        None
    };
    match outcome {
        Some(Outcome::Success) => {
            event.classify(Category::Authentication, "login", Outcome::Success);
            peer.last_command = None;
            peer.logged_in = true;
        }
        Some(_) => {
            event.classify(Category::Authentication, "login-failed", Outcome::Failure);
            event.reason = Some(reply.into());
            peer.last_command = None;
        }
        None => {}
    }
    if peer.protocol.is_none() && event.category.is_some() {
        peer.protocol = if text::number(first).is_some() {
            Some("smtp")
        } else if first.starts_with('+') || first.starts_with('-') {
            Some("pop3")
        } else {
            Some("imap")
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_carries_its_client_to_the_failure() {
        let mut peer = Peer::default();
        let mut e = Event::new(Dataset::Mdaemon, "t", 1);
        interpret("Session 42; child 1", &mut peer, &mut e);
        interpret(
            "Accepting IMAP connection from [2001:db8::7]:5000 to [198.51.100.2:143]",
            &mut peer,
            &mut e,
        );
        assert_eq!(
            (peer.ip.map(|i| i.to_string()), peer.port, peer.protocol),
            (Some("2001:db8::7".into()), Some(5000), Some("imap"))
        );
        interpret("<-- a1 LOGIN bob@example.org ******", &mut peer, &mut e);
        let mut e = Event::new(Dataset::Mdaemon, "t", 2);
        interpret("--> a1 NO LOGIN failed", &mut peer, &mut e);
        assert!(e.is_authentication_failure());
        assert_eq!(peer.user.as_deref(), Some("bob@example.org"));
    }

    #[test]
    fn cut_lines_never_panic() {
        let line = "Tue 2026-08-18 00:00:48.993: 05: [123] SMTP session successful (Bytes in/out: 1787/342)";
        for cut in 0..line.len() {
            if let Some((_, rest)) = line.get(..cut).and_then(split) {
                let mut peer = Peer::default();
                let mut e = Event::new(Dataset::Mdaemon, "t", 1);
                interpret(rest, &mut peer, &mut e);
                server_reply(rest, &mut peer, &mut e);
                client_command(rest, &mut peer);
            }
        }
    }
}
