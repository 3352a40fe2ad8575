//! Ingestion: every log of a mail server, read into [`vigie_event::Event`]s.
//!
//! [`expand_inputs`] turns command-line arguments into rotated sets of
//! [`Input`]s; [`ingest_input`] opens one (decompressing by content), detects
//! its [`Format`] from its first lines ([`sniff::detect`]), splits it into lines
//! with a bounded buffer ([`source::LineReader`]) and hands each line to its
//! parser ([`parse::parse_line`]). Each event goes to the caller's sink as soon
//! as it is made; nothing holds a whole file. What did not become an event is
//! counted in the [`InputReport`] by [`SkipReason`], with the first line numbers.
//!
//! ```no_run
//! use vigie_ingest::{IngestOptions, expand_inputs, ingest_input};
//!
//! let (sets, errors) = expand_inputs(&["/var/log/mail.log"]);
//! assert!(errors.is_empty());
//! let options = IngestOptions::default();
//! for input in sets.iter().flatten() {
//!     let report = ingest_input(input, &options, &mut |event| {
//!         if event.is_authentication_failure() {
//!             println!("{} {:?}", event.timestamp, event.user_name);
//!         }
//!     });
//!     println!("{} lines, {} events", report.lines, report.events);
//! }
//! ```

pub mod follow;
pub mod parse;
pub mod sniff;
pub mod source;
pub mod webmail;

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::time::SystemTime;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use vigie_event::{Event, Timestamp};

pub use parse::{Format, SkipReason};
pub use source::{Compression, Input, expand_inputs, expand_patterns};

use parse::{LineContext, timestamp::TimeContext};

/// An error that stops one input (the others go on).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or its first bytes read.
    #[error("{}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A folder could not be walked completely.
    #[error("{}: {message}", path.display())]
    Walk {
        /// The folder argument.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An entry of a folder left unread on purpose: a link to a folder (a
    /// loop cannot trap the walk), a link that leads nowhere, a FIFO, socket
    /// or device (reading one could block). Named, but not a failure.
    #[error("{}: skipped: {message}", path.display())]
    Skipped {
        /// The entry.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A glob pattern matched no file.
    #[error("{}: the pattern matches no file", pattern.display())]
    NoMatch {
        /// The pattern.
        pattern: PathBuf,
    },
    /// A glob pattern is malformed.
    #[error("{}: bad pattern: {message}", pattern.display())]
    BadGlob {
        /// The pattern.
        pattern: PathBuf,
        /// Why.
        message: String,
    },
}

impl Error {
    /// Whether this names an entry left unread on purpose ([`Error::Skipped`]),
    /// which does not make a run fail.
    pub fn is_skip(&self) -> bool {
        matches!(self, Error::Skipped { .. })
    }
}

/// How inputs are read.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Zone of timestamps that carry no offset (`--tz`).
    pub zone: TimeZone,
    /// Instant that year-less timestamps are placed before (default: each file's modification time).
    pub reference: Option<Timestamp>,
    /// Forces a format for every input (`--log-format`) instead of detecting it.
    pub format: Option<Format>,
    /// Longest line read whole, in bytes.
    pub max_line: usize,
    /// How far a compressed input may expand.
    pub expansion: source::Expansion,
}

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions {
            zone: TimeZone::system(),
            reference: None,
            format: None,
            max_line: 1024 * 1024,
            expansion: source::Expansion {
                max_bytes: 64 * 1024 * 1024 * 1024,
                max_ratio: 100,
            },
        }
    }
}

/// How often something happened on an input's lines (a skip reason, a
/// line that may hold joined records), and on which lines first.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SkipTally {
    /// Lines skipped for this reason.
    pub count: u64,
    /// The first few line numbers (at most [`FIRST_LINES_KEPT`]).
    pub first_lines: Vec<u64>,
}

impl SkipTally {
    fn count_line(&mut self, line: u64) {
        self.count += 1;
        if self.first_lines.len() < FIRST_LINES_KEPT {
            self.first_lines.push(line);
        }
    }

    /// Adds a later piece's tally of the same input.
    fn add(&mut self, later: SkipTally) {
        self.count += later.count;
        self.first_lines.extend(later.first_lines);
        self.first_lines.sort_unstable();
        self.first_lines.truncate(FIRST_LINES_KEPT);
    }
}

/// How many line numbers a [`SkipTally`] keeps.
pub const FIRST_LINES_KEPT: usize = 5;

/// What reading one input gave.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputReport {
    /// The input as shown in `log.file.path`.
    pub path: String,
    /// The detected (or forced) format; `None` when nothing in the file was recognized.
    pub format: Option<Format>,
    /// The compression found by content.
    pub compression: Compression,
    /// Lines read.
    pub lines: u64,
    /// Events made.
    pub events: u64,
    /// Events per `event.dataset`.
    #[serde(with = "vigie_event::wire::entries")]
    pub datasets: BTreeMap<&'static str, u64>,
    /// Lines that made no event, by reason.
    pub skipped: BTreeMap<SkipReason, SkipTally>,
    /// Lines whose bytes were not valid UTF-8 (parsed with U+FFFD in their place).
    pub invalid_utf8_lines: u64,
    /// Lines that may hold more than one record, read as one
    /// ([`parse::may_hold_records`]: a CR inside, a second record's time).
    #[serde(default)]
    pub joined: SkipTally,
    /// Timestamps read in the `--tz` zone because the line had no offset.
    pub zone_resolved: u64,
    /// The earliest event time (the span the file covers starts here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// The latest event time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// An error that ended the input early (unreadable, truncated or oversized
    /// compressed stream); the lines before it were read and counted.
    pub error: Option<String>,
}

impl InputReport {
    /// An empty report for the input shown as `path`.
    pub fn new(path: String) -> InputReport {
        InputReport {
            path,
            format: None,
            compression: Compression::None,
            lines: 0,
            events: 0,
            datasets: BTreeMap::new(),
            skipped: BTreeMap::new(),
            invalid_utf8_lines: 0,
            joined: SkipTally::default(),
            zone_resolved: 0,
            first_seen: None,
            last_seen: None,
            error: None,
        }
    }

    /// Lines that made no event.
    pub fn skipped_lines(&self) -> u64 {
        self.skipped.values().map(|t| t.count).sum()
    }

    /// Adds the report of a later piece of the same input (see
    /// [`ingest_bytes`]): counts are summed, the span widened, the first
    /// skipped line numbers kept in order; the format and compression are
    /// this report's when it has them, the error the first one.
    pub fn absorb(&mut self, later: InputReport) {
        self.format = self.format.or(later.format);
        if self.compression == Compression::None {
            self.compression = later.compression;
        }
        self.lines += later.lines;
        self.events += later.events;
        for (dataset, n) in later.datasets {
            *self.datasets.entry(dataset).or_default() += n;
        }
        for (reason, tally) in later.skipped {
            self.skipped.entry(reason).or_default().add(tally);
        }
        self.invalid_utf8_lines += later.invalid_utf8_lines;
        self.joined.add(later.joined);
        self.zone_resolved += later.zone_resolved;
        self.first_seen = match (self.first_seen, later.first_seen) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_seen = match (self.last_seen, later.last_seen) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.error = self.error.take().or(later.error);
    }

    fn skip(&mut self, reason: SkipReason, line: u64) {
        self.skipped.entry(reason).or_default().count_line(line);
    }
}

/// A system time as an event time, to the second.
fn timestamp_of(when: SystemTime) -> Timestamp {
    let secs = when
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(i64::MAX / 1_000_000), 0)
}

/// Reads one input to the end, giving every event to `sink`.
pub fn ingest_input(
    input: &Input,
    options: &IngestOptions,
    sink: &mut dyn FnMut(&Event<'_>),
) -> InputReport {
    let mut report = InputReport::new(input.display_name());
    let opened = match source::open_input(input, options.expansion) {
        Ok(o) => o,
        Err(e) => {
            // The report names the file: its error says only what happened.
            report.error = Some(match e {
                Error::Open { source, .. } => format!("not readable: {source}"),
                other => other.to_string(),
            });
            return report;
        }
    };
    report.compression = opened.compression;
    let reference = options
        .reference
        .unwrap_or_else(|| timestamp_of(opened.modified.unwrap_or_else(SystemTime::now)));
    let lines = source::LineReader::new(opened.reader, options.max_line);
    // A file is sniffed from its first 64 KiB; standard input from what it
    // has sent once a line is whole, so that a pipe streams (each line is
    // still tried by its own shape when the sniff guessed wrong).
    let stdin = matches!(input, Input::Stdin);
    read_after_head(
        lines,
        stdin,
        options.format,
        report,
        options,
        reference,
        sink,
    )
}

/// Reads the input's head (64 KiB, or the first line of a pipe), takes
/// its format (`forced`, else sniffed) and its line end from it, then
/// every line into `report`.
fn read_after_head<R: io::Read>(
    mut lines: source::LineReader<R>,
    pipe: bool,
    forced: Option<Format>,
    mut report: InputReport,
    options: &IngestOptions,
    reference: Timestamp,
    sink: &mut dyn FnMut(&Event<'_>),
) -> InputReport {
    let head = if pipe {
        lines.peek_line(64 * 1024)
    } else {
        lines.peek(64 * 1024)
    };
    let (format, end) = match head {
        Ok(head) => (
            forced.or_else(|| sniff::detect(head, &report.path)),
            source::line_end(head),
        ),
        Err(e) => {
            report.error = Some(format!("not readable: {e}"));
            return report;
        }
    };
    lines.set_terminator(end);
    report.format = format;
    read_lines(lines, report, options.zone.clone(), reference, sink)
}

/// Parses every line of `lines` into `report`'s input, giving each event to `sink`.
fn read_lines<R: io::Read>(
    mut lines: source::LineReader<R>,
    report: InputReport,
    zone: TimeZone,
    reference: Timestamp,
    sink: &mut dyn FnMut(&Event<'_>),
) -> InputReport {
    let mut parser = LineParser::new(report, zone, reference);
    loop {
        match lines.next_line() {
            Ok(Some(line)) => parser.line(&line, sink),
            Ok(None) => break,
            Err(e) => {
                parser.report.error = Some(format!("after line {}: {e}", parser.report.lines));
                break;
            }
        }
    }
    parser.finish()
}

/// Reads an input held in memory, or whole lines of one, as
/// [`ingest_input`] reads a file: for a driver that hands out pieces of
/// files (a distributed scan).
///
/// `data` is either a whole input (compressed or not, found by content,
/// bounded by `options.expansion` as a file is) or whole lines of an
/// uncompressed one whose first is line `first_line` (1-based) of the file:
/// events and skipped lines are numbered as a scan of the whole file numbers
/// them. `path` is the input's name as [`Input::display_name`] gives it.
/// The format is `options.format` when forced, else `format` (a piece after
/// the first must be given the format detected from the file's head, see
/// [`sniff::detect`]), else detected from `data`. Year-less times are placed
/// before `options.reference`, else `modified` (the file's modification
/// time, as a scan reads it), else now. Only a [`Format::line_independent`]
/// input may be cut between lines with the same result as the whole.
///
/// Problems are in the report's `error`: a compressed piece that does not
/// start the input, a stream that ends early or expands too far.
pub fn ingest_bytes(
    path: &str,
    data: &[u8],
    format: Option<Format>,
    first_line: u64,
    modified: Option<Timestamp>,
    options: &IngestOptions,
    sink: &mut dyn FnMut(&Event<'_>),
) -> InputReport {
    let mut report = InputReport::new(path.to_string());
    let compression = Compression::sniff(data);
    report.compression = compression;
    if compression != Compression::None && first_line > 1 {
        report.error = Some(format!(
            "compressed data cannot start at line {first_line}: a compressed input is read whole"
        ));
        return report;
    }
    let reader: Box<dyn io::Read + Send + '_> = match compression.decoder(data) {
        Ok(decoder) if compression == Compression::None => decoder,
        Ok(decoder) => {
            let (limit, flag) = options.expansion.limit(Some(data.len() as u64));
            Box::new(source::Limited::new(decoder, limit, flag))
        }
        Err(e) => {
            report.error = Some(format!("not readable: {e}"));
            return report;
        }
    };
    let reference = options
        .reference
        .or(modified)
        .unwrap_or_else(|| timestamp_of(SystemTime::now()));
    let lines = source::LineReader::starting_at(reader, options.max_line, first_line.max(1));
    let forced = options.format.or(format);
    read_after_head(lines, false, forced, report, options, reference, sink)
}

/// Turns the lines of one input into events and counts them in its
/// [`InputReport`]: what [`ingest_input`] does to a whole file, and
/// [`follow`] to the lines a live file gains.
pub struct LineParser {
    /// The counts so far; its `format` is the parser tried first.
    pub report: InputReport,
    time: TimeContext,
    /// Horde 5's login attempts written twice (`[imp]` and `[horde]`).
    horde_echoes: parse::horde::LoginEchoes,
}

impl LineParser {
    /// Parses into `report` (whose path and format are set), reading
    /// zone-less times in `zone` and year-less ones before `reference`.
    pub fn new(report: InputReport, zone: TimeZone, reference: Timestamp) -> LineParser {
        LineParser {
            report,
            time: TimeContext::new(zone, reference),
            horde_echoes: parse::horde::LoginEchoes::default(),
        }
    }

    /// Changes the instant year-less times are placed before (a followed
    /// file's lines are written now).
    pub fn set_reference(&mut self, reference: Timestamp) {
        self.time.set_reference(reference);
    }

    /// Parses one line, giving its event to `sink` or counting why it made none.
    pub fn line(&mut self, line: &source::Line<'_>, sink: &mut dyn FnMut(&Event<'_>)) {
        let report = &mut self.report;
        report.lines += 1;
        if line.too_long {
            report.skip(SkipReason::LineTooLong, line.number);
            return;
        }
        let bytes = line.bytes;
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => {
                report.invalid_utf8_lines += 1;
                String::from_utf8_lossy(bytes)
            }
        };
        // In a file of a known format only: a file nothing recognized is
        // counted line by line as skipped already.
        if report
            .format
            .is_some_and(|format| parse::may_hold_records(format, bytes))
        {
            report.joined.count_line(line.number);
        }
        let preferred = report.format.unwrap_or(Format::Syslog);
        let mut ctx = LineContext {
            path: &report.path,
            number: line.number,
            time: &mut self.time,
        };
        let (first, last) = (&mut report.first_seen, &mut report.last_seen);
        let echoes = &mut self.horde_echoes;
        let mut spanned = |event: &Event<'_>| {
            // An unknown time (zero) says nothing of the span.
            if event.timestamp != Timestamp::default() {
                *first = Some(first.map_or(event.timestamp, |t| t.min(event.timestamp)));
                *last = Some(last.map_or(event.timestamp, |t| t.max(event.timestamp)));
            }
            if echoes.is_echo(event) {
                sink(&parse::horde::as_echo(event))
            } else {
                sink(event)
            }
        };
        // A file with no recognizable first lines is still read: each line is
        // tried by its own shape, and what nothing claims is counted.
        match parse::parse_line(preferred, &text, &mut ctx, &mut spanned) {
            Ok(dataset) => {
                report.events += 1;
                *report.datasets.entry(dataset.name()).or_default() += 1;
            }
            Err(reason) => report.skip(reason, line.number),
        }
    }

    /// The input's report, once its last line is parsed.
    pub fn finish(mut self) -> InputReport {
        self.report.zone_resolved = self.time.zone_resolved;
        self.report
    }
}
