//! Group-Office's `info_log` (`$config['info_log']`), written by
//! `go_infolog()` (Group-Office 3.x–6.1 `classes/base/util.php`):
//! `'['.date('Y-m-d G:i:s').']'`, then `[username] ` when a session has one,
//! then the message. The login code (`classes/base/security.class.inc.php`,
//! `modules/imapauth/imapauth.class.inc.php`) writes:
//!
//! - `[2026-03-24 2:06:32]LOGIN FAILED for user: "bob" from IP: 192.0.2.1`
//!
//! The hour has no leading zero (`G`).

use vigie_event::{Category, CivilDateTime, Dataset, Event, Outcome};

use super::timestamp::{RawTime, digits};
use super::{LineContext, Miss, SkipReason};

/// `[Y-m-d G:i:s]` at the start of the line: the time and the bytes used.
fn stamp(b: &[u8]) -> Option<(CivilDateTime, usize)> {
    if b.first() != Some(&b'[') || b.get(5) != Some(&b'-') || b.get(8) != Some(&b'-') {
        return None;
    }
    if b.get(11) != Some(&b' ') {
        return None;
    }
    let hour_len = if b.get(13) == Some(&b':') { 1 } else { 2 };
    let h = 12 + hour_len;
    if b.get(h) != Some(&b':') || b.get(h + 3) != Some(&b':') || b.get(h + 6) != Some(&b']') {
        return None;
    }
    // `G` never pads the hour, and the message follows the bracket without a
    // space: `[2012-02-13 07:21:54] NOTICE[…]` (Asterisk) or
    // `[…] [user] …` (ZNC) are other products'.
    if (hour_len == 2 && b[12] == b'0') || matches!(b.get(h + 7), None | Some(b' ')) {
        return None;
    }
    let civil = CivilDateTime {
        year: digits(&b[1..], 4)? as i32,
        month: digits(&b[6..], 2)? as u8,
        day: digits(&b[9..], 2)? as u8,
        hour: digits(&b[12..], hour_len)? as u8,
        minute: digits(&b[h + 1..], 2)? as u8,
        second: digits(&b[h + 4..], 2)? as u8,
        micros: 0,
    };
    Some((civil, h + 7))
}

/// Whether a line has Group-Office's `info_log` shape.
pub fn looks_like(line: &str) -> bool {
    stamp(line.as_bytes()).is_some()
}

/// Parses an `info_log` line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let (civil, used) = stamp(line.as_bytes()).ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::GroupOffice, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(RawTime::Civil(civil))
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let mut rest = &line[used..];
    // `[username] `: the session's user.
    if let Some((user, after)) = rest.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        event.user_name = Some(user.into());
        rest = after;
    }
    event.message = Some(rest.into());
    event.protocol = Some("webmail".into());
    if let Some(tail) = rest.strip_prefix("LOGIN FAILED for user: ") {
        let (user, address) = tail.rsplit_once(" from IP: ").unwrap_or((tail, ""));
        let user = user
            .strip_prefix('"')
            .and_then(|u| u.strip_suffix('"'))
            .unwrap_or(user);
        event.user_name = Some(user.into());
        event.set_source(address.trim());
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some("LOGIN FAILED".into());
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_digit_hours_and_never_panics() {
        assert_eq!(
            stamp(b"[2026-03-24 2:06:32]x").map(|(c, n)| (c.hour, n)),
            Some((2, 20))
        );
        assert_eq!(
            stamp(b"[2026-03-24 12:06:32]x").map(|(c, n)| (c.hour, n)),
            Some((12, 21))
        );
        assert_eq!(
            stamp(b"[2012-02-13 17:21:54] NOTICE[1638] chan_sip.c: x"),
            None
        );
        assert_eq!(stamp(b"[2018-10-27 01:40:55][girst] failed"), None);
        let line = "[2026-03-24 12:06:32]LOGIN FAILED for user: \"bob\" from IP: 192.0.2.1";
        for cut in 0..line.len() {
            let _ = stamp(&line.as_bytes()[..cut]);
        }
    }
}
