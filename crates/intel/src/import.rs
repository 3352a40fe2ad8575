//! Reading a feed file: its format found by content, every indicator counted
//! as used or refused with the reason.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::indicator::{Indicator, Kind};
use crate::{abusech, misp, misp_feed, otx, plain, stix};

/// The largest feed file read (a hostile or mistaken input must not exhaust memory).
pub const MAX_FEED_BYTES: u64 = 512 << 20;

/// The formats vigie reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedFormat {
    /// A STIX 2.x bundle (or list of objects): indicators and observables.
    Stix,
    /// A MISP event (or a list or search response of events).
    Misp,
    /// A MISP feed folder: `manifest.json` and one `<uuid>.json` per event.
    MispFeed,
    /// ThreatFox (abuse.ch) CSV or JSON export, or API answer.
    #[serde(rename = "threatfox")]
    ThreatFox,
    /// URLhaus (abuse.ch) CSV, text or JSON export, or API answer.
    Urlhaus,
    /// Feodo Tracker (abuse.ch) IP blocklist, CSV, JSON or text.
    Feodo,
    /// SSLBL (abuse.ch): certificate SHA1 fingerprints or IP blacklist.
    Sslbl,
    /// AlienVault OTX pulses.
    Otx,
    /// One indicator a line, or CSV with an indicator column.
    Plain,
}

impl FeedFormat {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FeedFormat::Stix => "stix",
            FeedFormat::Misp => "misp",
            FeedFormat::MispFeed => "misp-feed",
            FeedFormat::ThreatFox => "threatfox",
            FeedFormat::Urlhaus => "urlhaus",
            FeedFormat::Feodo => "feodo",
            FeedFormat::Sslbl => "sslbl",
            FeedFormat::Otx => "otx",
            FeedFormat::Plain => "plain",
        }
    }
}

/// What one file gave.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ImportReport {
    /// The file.
    pub file: String,
    /// Its format, once known.
    pub format: Option<FeedFormat>,
    /// Indicator entries read (STIX indicators, MISP attributes, list lines).
    pub read: u64,
    /// Entries that gave at least one usable indicator.
    pub used: u64,
    /// Indicators kept (an entry can give several).
    pub indicators: u64,
    /// Entries refused, by reason.
    pub refused: BTreeMap<String, u64>,
    /// Values inside used entries that were dropped, by reason.
    pub notes: BTreeMap<String, u64>,
    /// Indicators kept, by kind (`ip`, `domain`, …): what the types were taken to be.
    pub kinds: BTreeMap<String, u64>,
    /// The first entries refused for each reason (pattern, value or line), to look at.
    pub examples: BTreeMap<String, Vec<String>>,
}

/// Refused entries shown per reason.
const EXAMPLES_KEPT: usize = 3;

/// Where an importer puts what it reads.
pub struct Sink<'a> {
    /// The counts.
    pub report: &'a mut ImportReport,
    /// The indicators.
    pub out: &'a mut Vec<Indicator>,
    /// The set name written into each indicator.
    pub source: &'a str,
    /// The entry being read (a STIX pattern, a MISP value, a line), for examples.
    entry: String,
    /// What this file gave already: an indicator named twice (an OpenCTI
    /// indicator and its observable) is kept once.
    seen: HashSet<(Kind, String)>,
}

impl<'a> Sink<'a> {
    /// A sink writing into `report` and `out`, for the set `source`.
    pub(crate) fn new(
        report: &'a mut ImportReport,
        out: &'a mut Vec<Indicator>,
        source: &'a str,
    ) -> Sink<'a> {
        Sink {
            report,
            out,
            source,
            entry: String::new(),
            seen: HashSet::new(),
        }
    }

    /// Starts reading an entry (`text` is what refusals show of it).
    pub fn begin(&mut self, text: &str) {
        self.report.read += 1;
        self.entry.clear();
        // One line, no control character: it is shown on terminals.
        self.entry.extend(
            text.chars()
                .take(200)
                .map(|c| if c.is_control() { ' ' } else { c }),
        );
    }

    /// Keeps an indicator.
    pub fn add(&mut self, mut indicator: Indicator) {
        if let Some(kind) = indicator.kind
            && !self.seen.insert((kind, indicator.value.clone()))
        {
            self.note("given again by a later entry (kept once)");
            return;
        }
        indicator.source = self.source.to_string();
        self.report.indicators += 1;
        let kind = indicator.kind.map_or("?", crate::indicator::Kind::name);
        *self.report.kinds.entry(kind.to_string()).or_default() += 1;
        self.out.push(indicator);
    }

    /// Counts a refused entry.
    pub fn refuse(&mut self, reason: &str) {
        self.refuse_owned(reason.to_string());
    }

    /// Counts a refused entry (an owned reason).
    pub fn refuse_owned(&mut self, reason: String) {
        let examples = self.report.examples.entry(reason.clone()).or_default();
        if examples.len() < EXAMPLES_KEPT {
            examples.push(self.entry.clone());
        }
        *self.report.refused.entry(reason).or_default() += 1;
    }

    /// Counts a value dropped from an entry that was otherwise used.
    pub fn note(&mut self, reason: &str) {
        *self.report.notes.entry(reason.to_string()).or_default() += 1;
    }
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// It could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// It is larger than [`MAX_FEED_BYTES`].
    #[error("{file}: larger than {MAX_FEED_BYTES} bytes")]
    TooLarge {
        /// The file.
        file: String,
    },
    /// It is broken JSON.
    #[error("{file}: {reason}")]
    Format {
        /// The file.
        file: String,
        /// What is wrong, with the line and column.
        reason: String,
    },
    /// It is not a feed: binary, prose, JSON of another kind, a folder
    /// without a MISP manifest.
    #[error("{file}: {reason}")]
    NotAFeed {
        /// The file.
        file: String,
        /// Why it was taken not to be one.
        reason: String,
    },
}

pub(crate) fn read_bounded(path: &Path, file: &str) -> Result<Vec<u8>, ImportError> {
    let io = |e| ImportError::Io {
        file: file.to_string(),
        source: e,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FEED_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FEED_BYTES {
        return Err(ImportError::TooLarge {
            file: file.to_string(),
        });
    }
    Ok(bytes)
}

/// Reads `path` into indicators of the set `source`: a feed file, or a MISP
/// feed folder (the folder, or its `manifest.json`).
pub fn import_file(
    path: &Path,
    source: &str,
) -> Result<(Vec<Indicator>, ImportReport), ImportError> {
    let file = vigie_event::path::to_text(path).into_owned();
    if path.is_dir() {
        return misp_feed::import(path, &file, source);
    }
    let bytes = read_bounded(path, &file)?;
    if path.file_name().is_some_and(|n| n == "manifest.json")
        && serde_json::from_slice::<Value>(&bytes).is_ok_and(|j| misp_feed::is_manifest(&j))
    {
        let dir = path.parent().unwrap_or(Path::new("."));
        return misp_feed::import(dir, &file, source);
    }
    import_bytes(&bytes, &file, source)
}

/// Why `bytes` are not text: a NUL byte, or too many bytes that are neither
/// UTF-8 nor printable in its first 8 KiB.
fn binary(bytes: &[u8]) -> Option<String> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Some(format!("binary content (a NUL byte at offset {at})"));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]);
    let (mut odd, mut all) = (0usize, 0usize);
    for c in head.chars() {
        all += 1;
        if c == '\u{fffd}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')) {
            odd += 1;
        }
    }
    (odd * 20 > all)
        .then(|| format!("binary content ({odd} of its first {all} characters are not text)"))
}

/// Reads the feed `bytes` (named `file` in reports) into indicators of the set `source`.
pub fn import_bytes(
    bytes: &[u8],
    file: &str,
    source: &str,
) -> Result<(Vec<Indicator>, ImportReport), ImportError> {
    let not_a_feed = |reason: String| ImportError::NotAFeed {
        file: file.to_string(),
        reason,
    };
    if let Some(reason) = binary(bytes) {
        return Err(not_a_feed(reason));
    }
    let mut report = ImportReport {
        file: file.to_string(),
        ..ImportReport::default()
    };
    let mut out = Vec::new();
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let mut sink = Sink::new(&mut report, &mut out, source);
    let format = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let json: Value = serde_json::from_str(trimmed).map_err(|e| ImportError::Format {
            file: file.to_string(),
            reason: format!(
                "invalid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        })?;
        read_json(&json, &mut sink).map_err(not_a_feed)?
    } else {
        plain::import(trimmed, file, &mut sink).map_err(not_a_feed)?
    };
    sink.report.format = Some(format);
    Ok((out, report))
}

/// Reads a JSON feed of any layout vigie knows; the layout, or why it is none.
pub(crate) fn read_json(json: &Value, sink: &mut Sink<'_>) -> Result<FeedFormat, String> {
    if misp::is_misp(json) {
        misp::import(json, sink);
        return Ok(FeedFormat::Misp);
    }
    if is_stix(json) {
        stix::import(json, sink);
        return Ok(FeedFormat::Stix);
    }
    let pulses = otx::pulses(json);
    if !pulses.is_empty() {
        otx::import(&pulses, sink);
        return Ok(FeedFormat::Otx);
    }
    if let Some((format, entries)) = abusech::entries(json) {
        abusech::import(format, &entries, sink);
        return Ok(format);
    }
    if misp_feed::is_manifest(json) {
        return Err(
            "a MISP feed manifest: import its folder (or the manifest by its name, manifest.json)"
                .into(),
        );
    }
    Err("JSON that is none of STIX, MISP, OTX, ThreatFox, URLhaus or Feodo Tracker".into())
}

fn is_stix(json: &Value) -> bool {
    let typed = |v: &Value| {
        v.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t == "bundle" || v.get("spec_version").is_some() || t == "indicator")
    };
    match json {
        Value::Array(items) => items.first().is_some_and(typed),
        other => typed(other),
    }
}
