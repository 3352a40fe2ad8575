//! Every timestamp shape of the mail stack, parsed by hand (no regex, no
//! allocation), and the context that turns a zone-less or year-less time into
//! a UTC instant.

use jiff::tz::TimeZone;
use vigie_event::{CivilDateTime, Timestamp};

/// A time as the line wrote it, before the zone and year are resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RawTime {
    /// The line carried an offset (or was UTC by definition).
    Instant(Timestamp),
    /// Date and time without an offset: read in the `--tz` zone.
    Civil(CivilDateTime),
    /// Date without a year (classic syslog): the year comes from the file's context.
    NoYear(CivilDateTime),
}

/// Resolves raw times of one input: the zone for zone-less times and the
/// reference instant for year-less ones. Cheap to clone; caches the last
/// zone offset looked up.
#[derive(Clone, Debug)]
pub struct TimeContext {
    zone: TimeZone,
    named: Option<(String, TimeZone)>,
    reference: CivilDateTime,
    cached_hour: i64,
    cached_offset: i32,
    /// How many times were read in the `--tz` zone because the line had no offset.
    pub zone_resolved: u64,
    /// What earlier lines of this input said of MDaemon sessions (their
    /// client and login), which later lines of the same block do not repeat.
    pub(crate) mdaemon: super::mdaemon::Sessions,
}

impl TimeContext {
    /// Zone-less times are read in `zone`; a year-less time takes the latest
    /// year that does not put it more than a day after `reference` (the file's
    /// modification time), so December lines of a file closed in January fall in
    /// the previous year.
    pub fn new(zone: TimeZone, reference: Timestamp) -> TimeContext {
        TimeContext {
            zone,
            named: None,
            reference: reference.to_civil(),
            cached_hour: i64::MIN,
            cached_offset: 0,
            zone_resolved: 0,
            mdaemon: Default::default(),
        }
    }

    /// Changes the reference instant (the next file of a rotated set).
    pub fn set_reference(&mut self, reference: Timestamp) {
        self.reference = reference.to_civil();
    }

    /// The UTC instant of a raw time; `None` when the date does not exist.
    pub fn resolve(&mut self, raw: RawTime) -> Option<Timestamp> {
        match raw {
            RawTime::Instant(t) => Some(t),
            RawTime::Civil(c) => self.in_zone(c),
            RawTime::NoYear(mut c) => {
                c.year = self.reference.year;
                let reference = self.reference.unix_seconds_as_utc();
                if c.month == 2 && c.day == 29 {
                    while !vigie_event::is_leap_year(c.year)
                        || c.unix_seconds_as_utc() > reference + 86_400
                    {
                        c.year -= 1;
                    }
                } else if c.unix_seconds_as_utc() > reference + 86_400 {
                    c.year -= 1;
                }
                self.in_zone(c)
            }
        }
    }

    /// The instant of a civil time in a zone the line names (PHP writes
    /// `[02-May-2021 13:16:15 America/Boise]`); `None` for an unknown zone.
    pub fn resolve_in_named_zone(&mut self, c: CivilDateTime, name: &str) -> Option<Timestamp> {
        if !c.is_valid() {
            return None;
        }
        if self.named.as_ref().is_none_or(|(n, _)| n != name) {
            self.named = Some((name.to_string(), TimeZone::get(name).ok()?));
        }
        let (_, zone) = self.named.as_ref()?;
        let dt = jiff::civil::DateTime::new(
            i16::try_from(c.year).ok()?,
            i8::try_from(c.month).ok()?,
            i8::try_from(c.day).ok()?,
            i8::try_from(c.hour).ok()?,
            i8::try_from(c.minute).ok()?,
            i8::try_from(c.second.min(59)).ok()?,
            0,
        )
        .ok()?;
        let instant = zone.to_ambiguous_timestamp(dt).compatible().ok()?;
        Some(Timestamp::from_unix(instant.as_second(), c.micros))
    }

    fn in_zone(&mut self, c: CivilDateTime) -> Option<Timestamp> {
        if !c.is_valid() {
            return None;
        }
        self.zone_resolved += 1;
        let local = c.unix_seconds_as_utc();
        let hour = local.div_euclid(3600);
        if hour != self.cached_hour {
            let dt = jiff::civil::DateTime::new(
                i16::try_from(c.year).ok()?,
                i8::try_from(c.month).ok()?,
                i8::try_from(c.day).ok()?,
                i8::try_from(c.hour).ok()?,
                0,
                0,
                0,
            )
            .ok()?;
            let instant = self.zone.to_ambiguous_timestamp(dt).compatible().ok()?;
            self.cached_offset = i32::try_from(hour * 3600 - instant.as_second()).ok()?;
            self.cached_hour = hour;
        }
        Some(c.at_offset(self.cached_offset))
    }
}

/// Three-letter English month abbreviation, any case.
pub fn month(b: &[u8]) -> Option<u8> {
    let m = [b.first()? | 0x20, b.get(1)? | 0x20, b.get(2)? | 0x20];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// Parses exactly `n` ASCII digits at the start of `b`.
pub fn digits(b: &[u8], n: usize) -> Option<u32> {
    let slice = b.get(..n)?;
    let mut v = 0u32;
    for &d in slice {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(d - b'0');
    }
    Some(v)
}

/// `HH:MM:SS` at the start of `b`.
fn clock(b: &[u8]) -> Option<(u8, u8, u8)> {
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    Some((
        digits(b, 2)? as u8,
        digits(&b[3..], 2)? as u8,
        digits(&b[6..], 2)? as u8,
    ))
}

/// A fraction of a second after `.` or `,` at the start of `b`: (microseconds, bytes used).
fn fraction(b: &[u8]) -> (u32, usize) {
    if !matches!(b.first(), Some(b'.' | b',')) {
        return (0, 0);
    }
    let mut micros = 0u32;
    let mut scale = 100_000u32;
    let mut used = 1;
    while let Some(&d) = b.get(used) {
        if !d.is_ascii_digit() {
            break;
        }
        micros += u32::from(d - b'0') * scale;
        scale /= 10;
        used += 1;
    }
    if used == 1 { (0, 0) } else { (micros, used) }
}

/// A zone offset at the start of `b`: `Z`, `±HH:MM`, `±HHMM`, `±HH`: (seconds east, bytes used).
fn offset(b: &[u8]) -> Option<(i32, usize)> {
    match b.first()? {
        b'Z' | b'z' => Some((0, 1)),
        sign @ (b'+' | b'-') => {
            let h = digits(&b[1..], 2)? as i32;
            let (m, used) = if b.get(3) == Some(&b':') {
                (digits(&b[4..], 2)? as i32, 6)
            } else if let Some(m) = digits(&b[3..], 2) {
                (m as i32, 5)
            } else {
                (0, 3)
            };
            let secs = h * 3600 + m * 60;
            Some((if *sign == b'-' { -secs } else { secs }, used))
        }
        _ => None,
    }
}

/// Classic syslog `Mmm dd HH:MM:SS` (day space- or zero-padded), optionally
/// with fractions and a year after the time (`Nov 28 22:39:29 2026`), as
/// rsyslog and some daemons write. Returns the time and the bytes used.
pub fn syslog(b: &[u8]) -> Option<(RawTime, usize)> {
    let mon = month(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let day = if b.get(i + 1) == Some(&b' ') {
        let d = digits(&b[i..], 1)?;
        i += 1;
        d
    } else {
        let d = digits(&b[i..], 2)?;
        i += 2;
        d
    };
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let (hour, minute, second) = clock(b.get(i..)?)?;
    i += 8;
    let (micros, used) = fraction(&b[i..]);
    i += used;
    let mut civil = CivilDateTime {
        year: 0,
        month: mon,
        day: day as u8,
        hour,
        minute,
        second,
        micros,
    };
    // A four-digit year after the time, then a space, `]` or the end (never a host named 2026).
    if b.get(i) == Some(&b' ')
        && matches!(b.get(i + 5), None | Some(b' ' | b']'))
        && let Some(year) = digits(&b[i + 1..], 4)
    {
        civil.year = year as i32;
        return Some((RawTime::Civil(civil), i + 5));
    }
    Some((RawTime::NoYear(civil), i))
}

/// ISO 8601 / RFC 3339 `YYYY-MM-DD[T ]HH:MM:SS[.frac][offset]` (also with
/// `/` date separators, as nginx's error log writes).
pub fn iso(b: &[u8]) -> Option<(RawTime, usize)> {
    let year = digits(b, 4)?;
    let sep = *b.get(4)?;
    if !(sep == b'-' || sep == b'/') || b.get(7) != Some(&sep) {
        return None;
    }
    let month = digits(&b[5..], 2)? as u8;
    let day = digits(&b[8..], 2)? as u8;
    if !matches!(b.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let (hour, minute, second) = clock(b.get(11..)?)?;
    let mut i = 19;
    let (micros, used) = fraction(&b[i..]);
    i += used;
    let civil = CivilDateTime {
        year: year as i32,
        month,
        day,
        hour,
        minute,
        second,
        micros,
    };
    // An offset may follow directly (RFC 3339) or after one space (Exim's `+0100`).
    let after_space = b.get(i) == Some(&b' ') && matches!(b.get(i + 1), Some(b'+' | b'-'));
    let at = if after_space { i + 1 } else { i };
    if let Some((off, n)) = b.get(at..).and_then(offset) {
        // `-` right after the seconds could be part of text; require digits, as `offset` does.
        if !after_space || b.get(at + n).is_none_or(|c| *c == b' ') {
            return Some((RawTime::Instant(civil.at_offset(off)), at + n))
                .filter(|_| civil.is_valid());
        }
    }
    Some((RawTime::Civil(civil), i))
}

/// Common Log Format `dd/Mmm/YYYY:HH:MM:SS +zzzz` (inside the brackets).
/// Without the offset (Kerio writes `dd/Mmm/YYYY HH:MM:SS`) the time is civil.
pub fn clf(b: &[u8]) -> Option<(RawTime, usize)> {
    let (day, mut i) = if b.get(1) == Some(&b'/') {
        (digits(b, 1)?, 2)
    } else {
        (digits(b, 2)?, 3)
    };
    if b.get(i - 1) != Some(&b'/') {
        return None;
    }
    let mon = month(b.get(i..)?)?;
    i += 3;
    if b.get(i) != Some(&b'/') {
        return None;
    }
    let year = digits(&b[i + 1..], 4)?;
    i += 5;
    if !matches!(b.get(i), Some(b':' | b' ')) {
        return None;
    }
    let (hour, minute, second) = clock(b.get(i + 1..)?)?;
    i += 9;
    let (micros, used) = fraction(&b[i..]);
    i += used;
    let civil = CivilDateTime {
        year: year as i32,
        month: mon,
        day: day as u8,
        hour,
        minute,
        second,
        micros,
    };
    if b.get(i) == Some(&b' ')
        && let Some((off, n)) = offset(&b[i + 1..])
    {
        return civil
            .is_valid()
            .then_some((RawTime::Instant(civil.at_offset(off)), i + 1 + n));
    }
    Some((RawTime::Civil(civil), i))
}

/// Roundcube and PHP `dd-Mmm-YYYY HH:MM:SS` followed by ` +zzzz`, ` UTC`, or a
/// zone abbreviation, or nothing (inside the brackets).
pub fn php(b: &[u8]) -> Option<(RawTime, usize)> {
    let day = digits(b, 2)?;
    if b.get(2) != Some(&b'-') || b.get(6) != Some(&b'-') || b.get(11) != Some(&b' ') {
        return None;
    }
    let mon = month(&b[3..])?;
    let year = digits(&b[7..], 4)?;
    let (hour, minute, second) = clock(b.get(12..)?)?;
    let mut i = 20;
    let (micros, used) = fraction(&b[i..]);
    i += used;
    let civil = CivilDateTime {
        year: year as i32,
        month: mon,
        day: day as u8,
        hour,
        minute,
        second,
        micros,
    };
    if b.get(i) == Some(&b' ') {
        let rest = &b[i + 1..];
        if let Some((off, n)) = offset(rest) {
            return civil
                .is_valid()
                .then_some((RawTime::Instant(civil.at_offset(off)), i + 1 + n));
        }
        if rest.starts_with(b"UTC") || rest.starts_with(b"GMT") {
            return civil
                .is_valid()
                .then_some((RawTime::Instant(civil.at_offset(0)), i + 4));
        }
    }
    Some((RawTime::Civil(civil), i))
}

/// `ctime` style `Www Mmm dd HH:MM:SS YYYY` (Apache error log, OpenWebMail).
pub fn ctime(b: &[u8]) -> Option<(RawTime, usize)> {
    if b.get(3) != Some(&b' ') || !b[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let (raw, used) = syslog(&b[4..])?;
    match raw {
        RawTime::Civil(c) => Some((RawTime::Civil(c), used + 4)),
        _ => None,
    }
}

/// daemontools/multilog TAI64N label `@4000000052b2e5c3xxxxxxxx`.
pub fn tai64n(b: &[u8]) -> Option<(RawTime, usize)> {
    if b.first() != Some(&b'@') || b.len() < 25 || !b[1..25].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let hex = std::str::from_utf8(&b[1..25]).ok()?;
    let secs = u64::from_str_radix(&hex[..16], 16).ok()?;
    let nanos = u32::from_str_radix(&hex[16..], 16).ok()?;
    // TAI64 labels are 2^62 + seconds; multilog writes them without leap-second
    // correction (the +10 s TAI offset is not applied by its writers in practice).
    let unix = i64::try_from(secs.checked_sub(1 << 62)?).ok()?;
    Some((
        RawTime::Instant(Timestamp::from_unix(unix, (nanos / 1000).min(999_999))),
        25,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(raw: RawTime) -> String {
        let mut ctx = TimeContext::new(TimeZone::UTC, Timestamp::from_unix(1_795_905_569, 0));
        ctx.resolve(raw).unwrap().to_string()
    }

    #[test]
    fn reads_each_shape() {
        type Parser = fn(&[u8]) -> Option<(RawTime, usize)>;
        let cases: &[(Parser, &str, &str, usize)] = &[
            (syslog, "Nov 28 22:39:29 auth:", "2026-11-28T22:39:29Z", 15),
            (syslog, "Jun  3 06:25:43 srv", "2026-06-03T06:25:43Z", 15),
            (syslog, "Sep 8 07:46:30 canyon", "2026-09-08T07:46:30Z", 14),
            (
                syslog,
                "Dec 30 18:19:15 2013 host",
                "2013-12-30T18:19:15Z",
                20,
            ),
            (
                iso,
                "2026-11-28T22:37:26.238373+00:00 mail",
                "2026-11-28T22:37:26.238373Z",
                32,
            ),
            (
                iso,
                "2017-01-23 03:44:14 dovecot_login",
                "2017-01-23T03:44:14Z",
                19,
            ),
            (
                iso,
                "2017-01-23 03:44:14 +0100 x",
                "2017-01-23T02:44:14Z",
                25,
            ),
            (
                iso,
                "2014/12/30 06:07:37 [error]",
                "2014-12-30T06:07:37Z",
                19,
            ),
            (
                clf,
                "28/Nov/2026:22:39:28 +0100]",
                "2026-11-28T21:39:28Z",
                26,
            ),
            (
                clf,
                "1/Apr/2014:00:00:01 -0500]",
                "2014-04-01T05:00:01Z",
                25,
            ),
            (clf, "17/Jun/2011 17:00:45]", "2011-06-17T17:00:45Z", 20),
            (
                php,
                "28-Nov-2026 22:37:30 +0000]",
                "2026-11-28T22:37:30Z",
                26,
            ),
            (php, "28-Nov-2026 22:37:36 UTC]", "2026-11-28T22:37:36Z", 24),
            (php, "28-Nov-2026 22:15:17]", "2026-11-28T22:15:17Z", 20),
            (
                ctime,
                "Sat Dec 28 19:03:53 2013 - [72926]",
                "2013-12-28T19:03:53Z",
                24,
            ),
            (
                tai64n,
                "@400000004c91b044077a9e94 imap",
                "2010-09-16T05:51:00.125476Z",
                25,
            ),
        ];
        for (f, text, want, used) in cases {
            let (raw, n) = f(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((utc(raw).as_str(), n), (*want, *used), "{text}");
        }
    }

    #[test]
    fn rejects_lookalikes() {
        assert!(syslog(b"Foo 28 22:39:29").is_none());
        assert!(syslog(b"Nov 28 22-39-29").is_none());
        assert!(iso(b"2026-11-28X22:37:26").is_none());
        assert!(clf(b"28/Nov/2026-22:39:28").is_none());
        let mut ctx = TimeContext::new(TimeZone::UTC, Timestamp::default());
        assert_eq!(ctx.resolve(iso(b"2026-02-30 00:00:00").unwrap().0), None);
    }

    #[test]
    fn year_rolls_back_over_new_year() {
        // A file closed on 2 January 2027: its December lines belong to 2026.
        let reference = Timestamp::from_unix(1_798_848_000 + 86_400, 0); // 2027-01-02
        let mut ctx = TimeContext::new(TimeZone::UTC, reference);
        let dec = ctx
            .resolve(syslog(b"Dec 31 23:59:59 h").unwrap().0)
            .unwrap();
        let jan = ctx
            .resolve(syslog(b"Jan  1 00:00:01 h").unwrap().0)
            .unwrap();
        assert_eq!(dec.to_string(), "2026-12-31T23:59:59Z");
        assert_eq!(jan.to_string(), "2027-01-01T00:00:01Z");
    }

    #[test]
    fn zone_less_times_follow_the_zone_and_its_daylight_saving() {
        let zone = TimeZone::get("Europe/Zurich").unwrap();
        let mut ctx = TimeContext::new(zone, Timestamp::default());
        let winter = ctx.resolve(iso(b"2013-01-22 21:28:21").unwrap().0).unwrap();
        let summer = ctx.resolve(iso(b"2005-06-13 16:30:54").unwrap().0).unwrap();
        assert_eq!(winter.to_string(), "2013-01-22T20:28:21Z");
        assert_eq!(summer.to_string(), "2005-06-13T14:30:54Z");
    }
}
