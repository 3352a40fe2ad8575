//! What a scan, or a whole case, read: files by format, lines, events,
//! lines skipped by reason, files of no known format, mail stores, and
//! findings by level. Said out loud, so that "nothing found" and "nothing
//! understood" never look the same.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigie_event::Finding;

use crate::store::SourceRow;

/// The format name a mail store's row carries in the case's sources
/// (`mailbox:maildir`): a store, not a log file.
pub const MAILBOX_PREFIX: &str = "mailbox:";

/// Files of unknown format named one by one (the rest are counted).
const UNKNOWN_LISTED: usize = 20;

/// Finding levels, most severe first.
const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

/// What a file read is counted as: its `format`, else `empty` (no line
/// but blank ones), `unreadable` (reading failed before a first line: a
/// truncated or over-ratio compressed file) or `unknown`. The scan's tally
/// and `vigie events --stats` both label files with it.
pub fn file_format(format: Option<&str>, empty: bool, failed: bool) -> &str {
    match (format, empty, failed) {
        (Some(format), _, _) => format,
        (None, true, false) => "empty",
        (None, true, true) => "unreadable",
        (None, false, _) => "unknown",
    }
}

/// The tally.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Tally {
    /// Log files read.
    pub files: u64,
    /// Log files per detected format (`unknown` for none, `empty` for a
    /// file without a line, `unreadable` for one whose reading failed
    /// before its first line: a truncated or over-ratio compressed file).
    pub formats: BTreeMap<String, u64>,
    /// Lines read.
    pub lines: u64,
    /// Events made.
    pub events: u64,
    /// Lines that made no event, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Files of no known format: lines, none recognized (the first
    /// [`UNKNOWN_LISTED`]).
    pub unknown: Vec<String>,
    /// How many files were of no known format.
    pub unknown_count: u64,
    /// Files whose format was recognized but none of whose lines made an
    /// event (a syslog header before a 50 MB line, say; the first
    /// [`UNKNOWN_LISTED`]). Apart from [`unknown`](Tally::unknown): their
    /// format is known, their content not understood.
    pub eventless: Vec<String>,
    /// How many files of a known format made no event.
    pub eventless_count: u64,
    /// Files whose reading stopped early, with why.
    pub errors: Vec<(String, String)>,
    /// Mail stores per kind (`maildir`, `mbox`, `eml`, `sieve`, `dovecot-state`).
    pub mail_stores: BTreeMap<String, u64>,
    /// Messages read in the mail stores, when this scan read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<u64>,
    /// Of those, messages read in part (a bound reached: nesting, parts,
    /// time, a calendar's size), when this scan read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_partial: Option<u64>,
    /// Findings per level (every level, zeros included).
    pub findings: BTreeMap<String, u64>,
    /// Findings in all.
    pub findings_total: u64,
}

impl Tally {
    /// The tally of the files `sources` lists and of `findings`.
    pub fn new(sources: &[SourceRow], findings: &[Finding]) -> Tally {
        let mut t = Tally::default();
        for s in sources {
            if let Some(kind) = s
                .format
                .as_deref()
                .and_then(|f| f.strip_prefix(MAILBOX_PREFIX))
            {
                *t.mail_stores.entry(kind.to_string()).or_default() += 1;
                continue;
            }
            t.files += 1;
            let mut blank_only = true;
            if let Ok(serde_json::Value::Object(reasons)) = serde_json::from_str(&s.skipped) {
                for (reason, tally) in reasons {
                    blank_only &= reason == "empty-line";
                    *t.skipped.entry(reason).or_default() += tally["count"].as_u64().unwrap_or(0);
                }
            }
            // A file of blank lines only is as empty as one of no byte.
            let empty = s.events == 0 && (s.lines == 0 || blank_only);
            let format = file_format(s.format.as_deref(), empty, s.error.is_some());
            *t.formats.entry(format.to_string()).or_default() += 1;
            t.lines += s.lines;
            t.events += s.events;
            if s.events == 0 && !empty {
                let (count, listed) = if s.format.is_none() {
                    (&mut t.unknown_count, &mut t.unknown)
                } else {
                    (&mut t.eventless_count, &mut t.eventless)
                };
                *count += 1;
                if listed.len() < UNKNOWN_LISTED {
                    listed.push(s.path.clone());
                }
            }
            if let Some(e) = &s.error {
                t.errors.push((s.path.clone(), e.clone()));
            }
        }
        for level in LEVELS {
            t.findings.insert(level.to_string(), 0);
        }
        for f in findings {
            *t.findings.entry(f.level.clone()).or_default() += 1;
        }
        t.findings_total = findings.len() as u64;
        t
    }

    /// Whether nothing read was understood: no event, and no mail store.
    pub fn understood_nothing(&self) -> bool {
        self.events == 0
            && self
                .mail_stores
                .iter()
                .all(|(kind, _)| kind == "dovecot-state")
    }

    /// One line saying it all.
    pub fn line(&self) -> String {
        let formats = self
            .formats
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut out = format!(
            "read {} log file{}{}, {} lines, {} events",
            self.files,
            if self.files == 1 { "" } else { "s" },
            if formats.is_empty() {
                String::new()
            } else {
                format!(" ({formats})")
            },
            self.lines,
            self.events
        );
        let skipped: u64 = self.skipped.values().sum();
        if skipped > 0 {
            let reasons = self
                .skipped
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let lines = if skipped == 1 { "line" } else { "lines" };
            out.push_str(&format!(", {skipped} {lines} skipped ({reasons})"));
        }
        if self.unknown_count > 0 {
            out.push_str(&format!(
                ", {} file{} of no known format",
                self.unknown_count,
                if self.unknown_count == 1 { "" } else { "s" }
            ));
        }
        if self.eventless_count > 0 {
            out.push_str(&format!(
                ", {} file{} of a known format without one event",
                self.eventless_count,
                if self.eventless_count == 1 { "" } else { "s" }
            ));
        }
        if !self.mail_stores.is_empty() {
            let stores = self
                .mail_stores
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push_str(&format!("; mail stores: {stores}"));
            if let Some(m) = self.messages {
                out.push_str(&format!(", {m} message{}", if m == 1 { "" } else { "s" }));
            }
            if let Some(p) = self.messages_partial.filter(|p| *p > 0) {
                out.push_str(&format!(" ({p} read in part)"));
            }
        }
        let levels = LEVELS
            .iter()
            .filter_map(|l| Some((l, self.findings.get(*l).copied().filter(|n| *n > 0)?)))
            .map(|(l, n)| format!("{n} {l}"))
            .collect::<Vec<_>>();
        out.push_str(&format!(
            "; {} finding{}",
            self.findings_total,
            if self.findings_total == 1 { "" } else { "s" }
        ));
        if !levels.is_empty() {
            out.push_str(&format!(" ({})", levels.join(", ")));
        }
        if self.understood_nothing() {
            out.push_str(
                " — nothing read was understood: no line of a known log format, no mail store",
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, format: Option<&str>, lines: u64, events: u64, skipped: &str) -> SourceRow {
        SourceRow {
            path: path.into(),
            format: format.map(str::to_string),
            lines,
            events,
            skipped: skipped.into(),
            error: None,
            first_seen: None,
            last_seen: None,
        }
    }

    #[test]
    fn zero_findings_and_nothing_understood_are_said() {
        let t = Tally::new(
            &[row(
                "a.pdf",
                None,
                40,
                0,
                r#"{"unrecognized":{"count":40,"first_lines":[1]}}"#,
            )],
            &[],
        );
        assert!(t.understood_nothing());
        let line = t.line();
        assert!(line.contains("0 findings"), "{line}");
        assert!(line.contains("1 file of no known format"), "{line}");
        assert!(line.contains("unrecognized 40"), "{line}");
        assert!(line.contains("nothing read was understood"), "{line}");
    }

    /// A fresh user's trial: an empty file was counted "unknown", and a
    /// syslog header before one 50 MB line was counted both "syslog 1"
    /// and "1 file of no known format".
    #[test]
    fn empty_and_eventless_files_are_told_apart_from_unknown_ones() {
        let t = Tally::new(
            &[
                row("empty.log", None, 0, 0, "{}"),
                row(
                    "blank.log",
                    None,
                    3,
                    0,
                    r#"{"empty-line":{"count":3,"first_lines":[1,2,3]}}"#,
                ),
                row(
                    "big.log",
                    Some("syslog"),
                    1,
                    0,
                    r#"{"line-too-long":{"count":1,"first_lines":[1]}}"#,
                ),
                row("mail.log", Some("syslog"), 3, 3, "{}"),
                SourceRow {
                    error: Some("after line 0: incomplete frame".into()),
                    ..row("truncated.log.zst", None, 0, 0, "{}")
                },
            ],
            &[],
        );
        assert_eq!(t.formats.get("unreadable"), Some(&1));
        assert_eq!(t.formats.get("empty"), Some(&2));
        assert_eq!(t.formats.get("syslog"), Some(&2));
        assert!(!t.formats.contains_key("unknown"), "{:?}", t.formats);
        assert_eq!((t.unknown_count, t.eventless_count), (0, 1));
        assert_eq!(t.eventless, ["big.log"]);
        let line = t.line();
        assert!(!line.contains("no known format"), "{line}");
        assert!(
            line.contains("1 file of a known format without one event"),
            "{line}"
        );
    }

    #[test]
    fn a_clean_log_is_understood_with_zero_findings() {
        let t = Tally::new(&[row("mail.log", Some("syslog"), 10, 10, "{}")], &[]);
        assert!(!t.understood_nothing());
        assert_eq!(
            t.line(),
            "read 1 log file (syslog 1), 10 lines, 10 events; 0 findings"
        );
    }
}
