//! UTC instants as integer microseconds, and the civil-calendar arithmetic that
//! parsers need on their hot path (no allocation, no time-zone database).

use std::fmt;

/// An instant in UTC, in microseconds since 1970-01-01T00:00:00Z.
///
/// Parsers produce it after resolving the source's offset (or the `--tz` zone
/// for logs that carry none); it prints as RFC 3339 with a `Z` suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds an instant from whole seconds since the epoch and a microsecond fraction.
    pub fn from_unix(seconds: i64, micros: u32) -> Timestamp {
        Timestamp(
            seconds
                .saturating_mul(1_000_000)
                .saturating_add(i64::from(micros)),
        )
    }

    /// Whole seconds since the epoch (rounded towards negative infinity).
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// The microsecond part within the second.
    pub fn subsec_micros(self) -> u32 {
        // Bounded by 1_000_000, so the cast cannot truncate.
        self.0.rem_euclid(1_000_000) as u32
    }

    /// The UTC civil date and time of this instant.
    pub fn to_civil(self) -> CivilDateTime {
        let secs = self.unix_seconds();
        let days = secs.div_euclid(86_400);
        let in_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year,
            month,
            day,
            hour: (in_day / 3600) as u8,
            minute: (in_day / 60 % 60) as u8,
            second: (in_day % 60) as u8,
            micros: self.subsec_micros(),
        }
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2026-11-28T22:37:26Z`, with `.ffffff` only when the
    /// source had sub-second precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.to_civil();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )?;
        if c.micros != 0 {
            if c.micros.is_multiple_of(1000) {
                write!(f, ".{:03}", c.micros / 1000)?;
            } else {
                write!(f, ".{:06}", c.micros)?;
            }
        }
        f.write_str("Z")
    }
}

impl std::str::FromStr for Timestamp {
    type Err = InvalidTimestamp;

    /// Reads what [`Timestamp`]'s `Display` writes: `YYYY-MM-DDTHH:MM:SS`,
    /// an optional fraction of up to six digits, then `Z`.
    fn from_str(text: &str) -> Result<Timestamp, InvalidTimestamp> {
        let b = text.as_bytes();
        let digits = |from: usize, to: usize| -> Option<i64> {
            let part = b.get(from..to)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let fixed = b.len() >= 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b.last() == Some(&b'Z');
        if !fixed {
            return Err(InvalidTimestamp);
        }
        let micros = match &b[19..b.len() - 1] {
            [] => 0,
            [b'.', fraction @ ..] if (1..=6).contains(&fraction.len()) => {
                let n = digits(20, b.len() - 1).ok_or(InvalidTimestamp)?;
                n * 10i64.pow(6 - fraction.len() as u32)
            }
            _ => return Err(InvalidTimestamp),
        };
        let civil = CivilDateTime {
            year: digits(0, 4).ok_or(InvalidTimestamp)? as i32,
            month: digits(5, 7).ok_or(InvalidTimestamp)? as u8,
            day: digits(8, 10).ok_or(InvalidTimestamp)? as u8,
            hour: digits(11, 13).ok_or(InvalidTimestamp)? as u8,
            minute: digits(14, 16).ok_or(InvalidTimestamp)? as u8,
            second: digits(17, 19).ok_or(InvalidTimestamp)? as u8,
            micros: micros as u32,
        };
        if !civil.is_valid() {
            return Err(InvalidTimestamp);
        }
        Ok(civil.at_offset(0))
    }
}

/// A text that is not an RFC 3339 UTC time as [`Timestamp`] prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidTimestamp;

impl fmt::Display for InvalidTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a UTC time of the form 2026-11-28T22:37:26Z")
    }
}

impl std::error::Error for InvalidTimestamp {}

/// A date and time of day with no zone attached: what a log line says before
/// the zone is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CivilDateTime {
    /// Proleptic Gregorian year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 60 (a leap second is accepted and folds into the next second).
    pub second: u8,
    /// Fraction of the second, 0 to 999,999.
    pub micros: u32,
}

impl CivilDateTime {
    /// Whether every component is within its calendar range (February 30th is not).
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self.micros < 1_000_000
    }

    /// Seconds since the epoch if this civil time were UTC.
    pub fn unix_seconds_as_utc(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The instant of this civil time at a fixed offset east of UTC, in seconds.
    pub fn at_offset(&self, offset_seconds: i32) -> Timestamp {
        Timestamp::from_unix(
            self.unix_seconds_as_utc() - i64::from(offset_seconds),
            self.micros,
        )
    }
}

/// Number of days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Gregorian leap-year rule.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_across_four_centuries() {
        for days in (-200_000..200_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn reads_back_what_it_prints() {
        for t in [
            Timestamp::from_unix(0, 0),
            Timestamp::from_unix(1_795_918_129, 0),
            Timestamp::from_unix(1_795_918_129, 120_000),
            Timestamp::from_unix(1_795_918_129, 123_456),
            Timestamp::from_unix(-86_401, 0),
        ] {
            assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
        }
        for bad in [
            "",
            "2026-11-29T02:08:49",
            "2026-11-29 02:08:49Z",
            "2026-02-30T02:08:49Z",
            "2026-11-29T02:08:49.1234567Z",
            "2026-11-29T02:08:49+01:00",
        ] {
            assert_eq!(bad.parse::<Timestamp>(), Err(InvalidTimestamp), "{bad}");
        }
    }

    #[test]
    fn formats_rfc3339_with_the_precision_the_source_had() {
        assert_eq!(
            Timestamp::from_unix(0, 0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix(1_795_905_446, 238_373).to_string(),
            "2026-11-28T22:37:26.238373Z"
        );
        assert_eq!(
            Timestamp::from_unix(1_795_905_446, 500_000).to_string(),
            "2026-11-28T22:37:26.500Z"
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        let mut c = CivilDateTime {
            year: 2023,
            month: 2,
            day: 29,
            ..Default::default()
        };
        assert!(!c.is_valid());
        c.year = 2024;
        assert!(c.is_valid());
    }
}
