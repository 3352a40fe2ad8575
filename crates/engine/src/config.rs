//! What an [`Engine`](crate::Engine) is made from: the rules, indicators,
//! databases and reading options of one run, as plain data (serde), so a
//! driver can ship it to workers as JSON.

use std::path::PathBuf;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use vigie_event::Timestamp;
use vigie_ingest::source::Expansion;
use vigie_ingest::{Format, IngestOptions};

use crate::Error;

/// Everything a run is configured with (the flags of `vigie scan`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineConfig {
    /// The Sigma rules.
    pub rules: RuleConfig,
    /// The indicators matched.
    pub intel: IntelConfig,
    /// How the logs are read.
    pub input: InputConfig,
    /// YARA rule files or folders added to the shipped ones (`--yara`).
    pub yara: Vec<PathBuf>,
    /// MaxMind/DB-IP country database (`--geoip`).
    pub geoip: Option<PathBuf>,
    /// MaxMind/DB-IP ASN database (`--asn`).
    pub asn: Option<PathBuf>,
    /// End of the analytics' baseline, RFC 3339 or `YYYY-MM-DD`
    /// (`--baseline-until`); by default a rolling baseline after a week's warm-up
    /// (at most half the span).
    pub baseline_until: Option<String>,
    /// Findings only: no activity, scope or case database (`--findings-only`).
    pub findings_only: bool,
    /// The scope lists every account, not only those with findings (`--all-accounts`).
    pub all_accounts: bool,
    /// The timeline's profile by name (`--timeline-profile`; unknown names read as `standard`).
    pub timeline_profile: String,
}

/// Which Sigma rules run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleConfig {
    /// Rule files or folders added to the built-in pack (`--sigma`).
    pub sigma: Vec<PathBuf>,
    /// Leave the built-in pack out (`--no-builtin-rules`).
    pub no_builtin_rules: bool,
    /// A field mapping replacing the built-in one (`--mapping`).
    pub mapping: Option<PathBuf>,
}

/// Which indicators are matched.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IntelConfig {
    /// Feed files read for this run only (`--ioc`).
    pub ioc: Vec<PathBuf>,
    /// The indicator store (`--intel-dir`; default: the user's data folder).
    pub intel_dir: Option<PathBuf>,
    /// Leave the store out (`--no-intel-store`).
    pub no_intel_store: bool,
}

/// How logs are read (the input flags of `vigie scan`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct InputConfig {
    /// Forces a format by name (`--log-format`; unknown names detect).
    pub log_format: Option<String>,
    /// IANA zone of times without an offset (`--tz`; default: this machine's).
    pub tz: Option<String>,
    /// Instant year-less times are placed before, RFC 3339 or `YYYY-MM-DD`
    /// (`--reference-time`; default: each file's modification time).
    pub reference_time: Option<String>,
    /// Longest line read whole, in bytes (at least 1024).
    pub max_line: usize,
    /// Most bytes a compressed input may expand to.
    pub max_decompressed: u64,
    /// Most output bytes per compressed byte (0: no such bound).
    pub max_ratio: u64,
}

impl Default for InputConfig {
    fn default() -> InputConfig {
        InputConfig {
            log_format: None,
            tz: None,
            reference_time: None,
            max_line: 1024 * 1024,
            max_decompressed: 64 * 1024 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

impl InputConfig {
    /// The ingestion options these stand for.
    ///
    /// # Errors
    /// [`Error::Zone`] for an unknown `tz`, [`Error::Date`] for an unreadable `reference_time`.
    pub fn options(&self) -> Result<IngestOptions, Error> {
        Ok(IngestOptions {
            zone: zone(self.tz.as_deref())?,
            reference: self
                .reference_time
                .as_deref()
                .map(|t| parse_date(t, "--reference-time"))
                .transpose()?,
            format: self.log_format.as_deref().and_then(Format::from_name),
            max_line: self.max_line.max(1024),
            expansion: Expansion {
                max_bytes: self.max_decompressed,
                max_ratio: self.max_ratio,
            },
        })
    }
}

/// The zone of `--tz` (an IANA name), or this machine's.
///
/// # Errors
/// [`Error::Zone`] when the name is not a known zone.
pub fn zone(tz: Option<&str>) -> Result<TimeZone, Error> {
    match tz {
        Some(name) => TimeZone::get(name).map_err(|source| Error::Zone {
            name: name.to_string(),
            source,
        }),
        None => Ok(TimeZone::system()),
    }
}

/// A date flag: RFC 3339, or `YYYY-MM-DD` (midnight UTC); `flag` names it in the error.
///
/// # Errors
/// [`Error::Date`] when the text is neither.
pub fn parse_date(text: &str, flag: &str) -> Result<Timestamp, Error> {
    let bad = |source| Error::Date {
        flag: flag.to_string(),
        text: text.to_string(),
        source,
    };
    let instant = if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        ts
    } else {
        let date: jiff::civil::Date = text.parse().map_err(bad)?;
        TimeZone::UTC
            .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .compatible()
            .map_err(bad)?
    };
    Ok(Timestamp::from_unix(instant.as_second(), 0))
}
