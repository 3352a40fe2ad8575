//! Correlation (Sigma v2 `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`, value aggregations): the second stage of a scan.
//!
//! Stage one runs in parallel over files and keeps, of the events that
//! matched a rule some correlation refers to, a compact copy ([`KeptEvents`]:
//! time, which of those rules it matched, the values of the fields
//! correlations group by, file and line; a record of 32 bytes and the values
//! in a temporary file, file names interned). Stage two drops those no correlation can use (a login
//! from an address that never failed cannot complete "login after
//! failures"), orders the rest by time across all sources and feeds them,
//! with the rule matches stage one found, to rsigma's correlation engine;
//! each group that reaches its condition becomes one finding whose evidence
//! is the lines of the events in its window.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use ahash::AHashMap;
use std::sync::Arc;

use rsigma_eval::event::{Event as SigmaEvent, EventValue};
use rsigma_eval::result::{CorrelationBody, ResultBody};
use rsigma_eval::{
    CorrelationConfig, CorrelationEngine, CorrelationEventMode, EvaluationResult, ProcessResult,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use vigie_event::{EVIDENCE_KEPT, Entity, Event, Evidence, Field, Finding, Timestamp, Value};

use crate::detector::{Detector, RuleInfo, rule_info};
use crate::mapping::Mapping;
use crate::sigma::RuleSet;

mod ordered;
use ordered::{Fed, Sorter};

/// Rules of one kept event that correlations refer to (more are not kept:
/// no correlation of the pack reads more than two rules of one event).
const KEPT_RULES: usize = 4;

/// Events fed to the correlation engine between two evictions of its expired windows.
const EVICT_EVERY: usize = 4096;

/// Marks an unused slot of [`Kept::rules`].
const NO_RULE: u16 = u16::MAX;

/// Separates the values of a kept event (a control character no parser keeps).
const SEPARATOR: char = '\u{1f}';

/// Per group (its hash), moments in seconds.
type Moments = AHashMap<u64, Vec<i64>>;

/// A compact copy of an event that a correlation needs; its values travel
/// beside it (see [`RECORD`]).
#[derive(Clone, Copy)]
struct Kept {
    timestamp: Timestamp,
    line: u64,
    /// The file, an index into [`KeptEvents::paths`].
    path: u32,
    rules: [u16; KEPT_RULES],
}

/// The size of a [`Kept`] in a spill file: a record of 32 bytes (time,
/// line, the length of the values, file, rules), followed by that many
/// bytes of values (those of [`Correlator::fields`], UTF-8, separated by
/// [`SEPARATOR`]).
const RECORD: usize = 32;

/// The longest values a record carries, in bytes: 16 times the longest line
/// read by default (`--max-line`, 1 MiB), so that values are cut (at a
/// character boundary) only past a line length raised beyond that; a
/// longer length read back is a damaged file.
const MAX_VALUES: usize = 16 << 20;

impl Kept {
    fn rules(&self) -> impl Iterator<Item = usize> + '_ {
        self.rules
            .iter()
            .take_while(|r| **r != NO_RULE)
            .map(|r| usize::from(*r))
    }

    /// The record of this event, whose values are `values_len` bytes long.
    fn encode(&self, values_len: u32) -> [u8; RECORD] {
        let mut out = [0u8; RECORD];
        out[..8].copy_from_slice(&self.timestamp.0.to_le_bytes());
        out[8..16].copy_from_slice(&self.line.to_le_bytes());
        out[16..20].copy_from_slice(&values_len.to_le_bytes());
        out[20..24].copy_from_slice(&self.path.to_le_bytes());
        for (i, rule) in self.rules.iter().enumerate() {
            out[24 + 2 * i..26 + 2 * i].copy_from_slice(&rule.to_le_bytes());
        }
        out
    }

    /// The event of a record, and the length of the values that follow it.
    fn decode(record: &[u8; RECORD]) -> (Kept, usize) {
        let u64_at = |i: usize| u64::from_le_bytes(record[i..i + 8].try_into().unwrap_or_default());
        let u32_at = |i: usize| u32::from_le_bytes(record[i..i + 4].try_into().unwrap_or_default());
        let mut rules = [NO_RULE; KEPT_RULES];
        for (i, rule) in rules.iter_mut().enumerate() {
            *rule = u16::from_le_bytes([record[24 + 2 * i], record[25 + 2 * i]]);
        }
        let kept = Kept {
            timestamp: Timestamp(u64_at(0) as i64),
            line: u64_at(8),
            path: u32_at(20),
            rules,
        };
        (kept, u32_at(16) as usize)
    }

    /// Writes the record and its values.
    fn write(&self, values: &str, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.encode(values.len() as u32))?;
        out.write_all(values.as_bytes())
    }

    /// Reads a record and its values (into `values`). Fails on a record cut
    /// short, values longer than [`MAX_VALUES`] or not UTF-8.
    fn read(from: &mut impl Read, values: &mut String) -> io::Result<Kept> {
        let mut record = [0u8; RECORD];
        from.read_exact(&mut record)?;
        let (kept, len) = Kept::decode(&record);
        if len > MAX_VALUES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a kept event's values are {len} bytes long, more than {MAX_VALUES}"),
            ));
        }
        let mut bytes = std::mem::take(values).into_bytes();
        bytes.resize(len, 0);
        from.read_exact(&mut bytes)?;
        *values = String::from_utf8(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "a kept event's values are not UTF-8",
            )
        })?;
        Ok(kept)
    }
}

/// `values` cut to at most [`MAX_VALUES`] bytes, at a character boundary.
fn bounded(values: &str) -> &str {
    if values.len() <= MAX_VALUES {
        return values;
    }
    let mut end = MAX_VALUES;
    while !values.is_char_boundary(end) {
        end -= 1;
    }
    &values[..end]
}

/// The events stage one keeps for the correlations. They go to an anonymous
/// temporary file as they come (stage one may keep millions: every login,
/// when a correlation refers to logins), each with its values, so that
/// memory holds only the interned file names; stage two reads them back
/// twice, the second time keeping only those some correlation can use.
/// One per worker, merged before stage two.
#[derive(Default)]
pub struct KeptEvents {
    /// This worker's spill file, created at the first event.
    writer: Option<BufWriter<File>>,
    written: u64,
    /// Spill files merged from other workers, with their file ids mapped onto ours.
    merged: Vec<Spill>,
    paths: Interner,
    scratch: String,
    /// The first error writing the spill file; stage two reports it.
    error: Option<io::Error>,
}

/// A finished spill file: its events, and the map from the file ids in it
/// to those of the [`KeptEvents`] that holds it (none: the same).
struct Spill {
    file: File,
    events: u64,
    paths: Option<Vec<u32>>,
}

impl KeptEvents {
    /// How many events are kept.
    pub fn len(&self) -> u64 {
        self.written + self.merged.iter().map(|s| s.events).sum::<u64>()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&mut self, kept: Kept, values: &str) {
        if self.error.is_some() {
            return;
        }
        let writer = match &mut self.writer {
            Some(w) => w,
            None => match tempfile::tempfile() {
                Ok(file) => self.writer.insert(BufWriter::with_capacity(1 << 16, file)),
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            },
        };
        match kept.write(bounded(values), writer) {
            Ok(()) => self.written += 1,
            Err(e) => self.error = Some(e),
        }
    }

    /// All spill files, this worker's own first, finished for reading.
    fn spills(&mut self) -> io::Result<&mut [Spill]> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if let Some(writer) = self.writer.take() {
            let file = writer
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?;
            self.merged.insert(
                0,
                Spill {
                    file,
                    events: self.written,
                    paths: None,
                },
            );
            self.written = 0;
        }
        Ok(&mut self.merged)
    }

    /// Moves the events of `other` into this one.
    pub fn merge(&mut self, mut other: KeptEvents) {
        // Into an empty one, taken whole.
        if self.writer.is_none() && self.merged.is_empty() && self.error.is_none() {
            *self = other;
            return;
        }
        let spills = match other.spills() {
            Ok(_) => std::mem::take(&mut other.merged),
            Err(e) => {
                self.error.get_or_insert(e);
                return;
            }
        };
        let paths: Vec<u32> = other
            .paths
            .strings
            .iter()
            .map(|s| self.paths.intern(s))
            .collect();
        for spill in spills {
            let paths = match spill.paths {
                None => paths.clone(),
                Some(inner) => inner.iter().map(|&i| paths[i as usize]).collect(),
            };
            self.merged.push(Spill {
                file: spill.file,
                events: spill.events,
                paths: Some(paths),
            });
        }
    }

    /// Calls `each` on every kept event and its values, in no particular order.
    fn for_each(&mut self, mut each: impl FnMut(Kept, &str)) -> io::Result<()> {
        let mut values = String::new();
        for spill in self.spills()? {
            spill.file.seek(SeekFrom::Start(0))?;
            let mut reader = BufReader::with_capacity(1 << 16, &spill.file);
            for _ in 0..spill.events {
                let mut kept = Kept::read(&mut reader, &mut values)?;
                kept.path = mapped(&spill.paths, kept.path);
                each(kept, &values);
            }
        }
        Ok(())
    }

    fn evidence(&self, kept: &Kept) -> Evidence {
        Evidence {
            path: self.paths.strings[kept.path as usize].to_string(),
            line: kept.line,
            part: None,
        }
    }
}

/// The id `ids` maps `id` to (none: itself).
fn mapped(ids: &Option<Vec<u32>>, id: u32) -> u32 {
    ids.as_ref()
        .map_or(id, |ids| ids.get(id as usize).copied().unwrap_or(id))
}

/// What a [`KeptEvents`] holds, as it travels between processes: every kept
/// event as its record and values (file ids into `paths`), the spill files
/// read back. Written by `Serialize`, made a [`KeptEvents`] again (with a
/// new spill file) by `Deserialize`.
#[derive(Serialize, Deserialize)]
struct KeptWire {
    paths: Vec<Arc<str>>,
    #[serde(with = "serde_bytes")]
    records: Vec<u8>,
}

impl Serialize for KeptEvents {
    /// Fails when a spill file cannot be read back (or could not be written).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        if let Some(e) = &self.error {
            return Err(S::Error::custom(format!(
                "the kept events could not be written: {e}"
            )));
        }
        let mut records = Vec::new();
        if let Some(writer) = &self.writer {
            // What the writer flushed is in the file, the rest in its buffer;
            // read at an offset so that the writer's position is left alone.
            let buffered = writer.buffer();
            let size = writer.get_ref().metadata().map_err(S::Error::custom)?.len();
            let flushed = usize::try_from(size).map_err(S::Error::custom)?;
            records.resize(flushed, 0);
            read_exact_at(writer.get_ref(), &mut records, 0).map_err(S::Error::custom)?;
            records.extend_from_slice(buffered);
        }
        for spill in &self.merged {
            let size = spill.file.metadata().map_err(S::Error::custom)?.len();
            let start = records.len();
            records.resize(start + usize::try_from(size).map_err(S::Error::custom)?, 0);
            read_exact_at(&spill.file, &mut records[start..], 0).map_err(S::Error::custom)?;
            if spill.paths.is_none() {
                continue;
            }
            // The file id sits at the same place in every record: patched
            // in place, record by record.
            let mut at = start;
            for _ in 0..spill.events {
                let Some(record) = records.get_mut(at..at + RECORD) else {
                    return Err(S::Error::custom("kept events: a spill file is cut short"));
                };
                let Ok(header) = <&mut [u8; RECORD]>::try_from(record) else {
                    return Err(S::Error::custom("kept events: a spill file is cut short"));
                };
                let (mut kept, len) = Kept::decode(header);
                kept.path = mapped(&spill.paths, kept.path);
                *header = kept.encode(len as u32);
                at += RECORD + len;
            }
        }
        KeptWire {
            paths: self.paths.strings.clone(),
            records,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for KeptEvents {
    /// Fails on a record that is cut short, carries values that are too long
    /// or not UTF-8, or names a file that is not there, and when the new
    /// spill file cannot be written.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<KeptEvents, D::Error> {
        use serde::de::Error;
        let wire = KeptWire::deserialize(deserializer)?;
        let mut kept = KeptEvents::default();
        for s in &wire.paths {
            kept.paths.intern(s);
        }
        // Interning merged equal names: map each id onto the interned one.
        let paths: Vec<u32> = wire
            .paths
            .iter()
            .map(|s| kept.paths.index.get(s).copied().unwrap_or_default())
            .collect();
        let mut reader = wire.records.as_slice();
        let mut values = String::new();
        while !reader.is_empty() {
            let mut event = Kept::read(&mut reader, &mut values)
                .map_err(|e| D::Error::custom(format!("kept events: {e}")))?;
            let Some(&p) = paths.get(event.path as usize) else {
                return Err(D::Error::custom(
                    "kept events: a record names a file that is not there",
                ));
            };
            event.path = p;
            kept.push(event, &values);
        }
        if let Some(e) = kept.error.take() {
            return Err(D::Error::custom(format!(
                "cannot keep the events correlations need in a temporary file: {e}"
            )));
        }
        Ok(kept)
    }
}

/// Fills `buf` from `file` at `offset` without moving the file's position
/// (which a spill file's writer shares); for the other spill files of a
/// scan too (the case's packed activity states).
///
/// # Errors
/// The file's read error, or `UnexpectedEof` when it ends before `buf` is full.
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// The match rsigma's engine reports for `rule` (`compiler::evaluate_rule`
/// in rsigma-eval 0.23: the rule's title, id, level, tags and custom
/// attributes), without the matched fields, which correlations do not read.
fn matched_template(rule: &rsigma_parser::SigmaRule) -> EvaluationResult {
    EvaluationResult {
        header: rsigma_eval::result::RuleHeader {
            rule_title: rule.title.clone(),
            rule_id: rule.id.clone(),
            level: rule.level,
            tags: rule.tags.clone(),
            custom_attributes: Arc::new(
                rule.custom_attributes
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), serde_json::to_value(v).ok()?)))
                    .collect(),
            ),
            enrichments: None,
        },
        body: ResultBody::Detection(rsigma_eval::result::DetectionBody {
            matched_selections: Vec::new(),
            matched_fields: Vec::new(),
            event: None,
        }),
    }
}

/// Distinct strings, each stored once, named by their index.
#[derive(Default)]
struct Interner {
    index: AHashMap<Arc<str>, u32>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        let s: Arc<str> = s.into();
        self.index.insert(Arc::clone(&s), i);
        self.strings.push(s);
        i
    }
}

/// A kept event as rsigma sees it; `id` is its position in the time-ordered list.
struct KeptView<'k> {
    values: &'k str,
    index: usize,
    fields: &'k [Field],
    mapping: &'k Mapping,
}

impl KeptView<'_> {
    fn values(&self) -> impl Iterator<Item = (Field, &str)> {
        self.fields
            .iter()
            .copied()
            .zip(self.values.split(SEPARATOR))
            .filter(|(_, v)| !v.is_empty())
    }
}

impl SigmaEvent for KeptView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if path == "id" {
            return Some(EventValue::Str(Cow::Owned(self.index.to_string())));
        }
        let field = self.mapping.field(path)?;
        let (_, value) = self.values().find(|(f, _)| *f == field)?;
        Some(EventValue::Str(Cow::Borrowed(value)))
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.values().any(|(_, v)| pred(v))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.values().map(|(_, v)| Cow::Borrowed(v)).collect()
    }

    fn to_json(&self) -> Json {
        let mut map = Map::new();
        map.insert("id".into(), Json::String(self.index.to_string()));
        for (f, v) in self.values() {
            map.insert(f.name().into(), Json::String(v.to_string()));
        }
        Json::Object(map)
    }
}

/// The correlation rules of a rule set, ready for stage two.
pub struct Correlator {
    mapping: Mapping,
    correlations: Vec<rsigma_parser::CorrelationRule>,
    /// For each detector rule some correlation refers to, its match as rsigma
    /// reports it (the header rsigma's engine gives the rule; correlations
    /// read only its id). Made from the rule, not from an event, so that the
    /// correlator holds no state of stage one: another process's correlator
    /// (a Spark executor's) runs stage two on what this one kept.
    referenced: HashMap<usize, EvaluationResult>,
    /// Referenced rules whose own matches are not findings (Sigma's `generate: false`).
    silent: HashSet<usize>,
    /// The fields a kept event carries: what the correlations group by and count.
    fields: Vec<Field>,
    infos: HashMap<String, RuleInfo>,
    /// How many `group-by` fields each correlation has, by id: a firing whose
    /// group lacks one (events without `user.name` counted "per account") is
    /// not a finding, as a SIEM's `stats … by user.name` drops such events.
    group_by: HashMap<String, usize>,
    /// The correlations that let stage two drop events ([`Pruning`]).
    prunings: Vec<Pruning>,
    /// Referenced rules whose every event is kept: some correlation that
    /// cannot prune (a count, a chain) reads them.
    always: HashSet<usize>,
    /// For the other referenced rules, the prunings that read them, and at
    /// which position of their rules.
    pruned_by: HashMap<usize, Vec<(usize, usize)>>,
    /// The longest timespan of the correlations, in seconds.
    longest_timespan: i64,
    /// How many kept events stage two holds in memory while it orders them,
    /// and of those it has fed ([`ordered::CHUNK`] unless set by
    /// [`Correlator::with_memory_limit`]).
    chunk: usize,
}

/// How a `temporal` or `temporal_ordered` correlation lets stage two drop
/// kept events: it fires only when every rule it refers to has an event in
/// the same group within its timespan, so an event with no such company is of
/// no use to it. A rule it refers to may be an `event_count` correlation;
/// then only the moments that count reaches its threshold are company. (A
/// login from an address that never failed three times in half an hour
/// cannot complete "login after failures": this keeps stage two small.)
struct Pruning {
    /// Positions in [`Correlator::fields`] of the fields it groups by.
    positions: Vec<usize>,
    /// The rules it refers to.
    refs: Vec<Reference>,
    /// Its timespan, in seconds.
    timespan: i64,
}

/// One rule a [`Pruning`] correlation refers to.
struct Reference {
    /// The detector rules whose events stand for it: the rule itself, or the
    /// base rules of the correlation it chains on.
    rules: Vec<usize>,
    /// For a chained `event_count` with a lower bound: how many of those
    /// events, within how many seconds, make it fire.
    at_least: Option<(usize, i64)>,
}

impl Correlator {
    /// Prepares the correlations of `rules`, whose base rules `detector` runs.
    pub fn new(rules: &RuleSet, detector: &Detector, mapping: Mapping) -> Correlator {
        let names: HashSet<&str> = rules
            .collection
            .correlations
            .iter()
            .flat_map(|c| c.rules.iter().map(String::as_str))
            .collect();
        let generating: HashSet<&str> = rules
            .collection
            .correlations
            .iter()
            .filter(|c| c.generate)
            .flat_map(|c| c.rules.iter().map(String::as_str))
            .collect();
        let mut referenced = HashMap::new();
        let mut silent = HashSet::new();
        let mut rule_index: HashMap<&str, usize> = HashMap::new();
        let mut names_read: HashSet<String> = HashSet::new();
        for c in &rules.collection.correlations {
            names_read.extend(c.group_by.iter().cloned());
            if let rsigma_parser::CorrelationCondition::Threshold {
                field: Some(fields),
                ..
            } = &c.condition
            {
                names_read.extend(fields.iter().cloned());
            }
            for alias in &c.aliases {
                names_read.extend(alias.mapping.values().cloned());
            }
        }
        for rule in &rules.collection.rules {
            let keys = [rule.id.as_deref(), rule.name.as_deref()];
            if !keys.iter().flatten().any(|k| names.contains(k)) {
                continue;
            }
            let id = rule.id.clone().unwrap_or_else(|| rule.title.clone());
            let Some(index) = detector.index_of(&id) else {
                continue;
            };
            for key in keys.into_iter().flatten() {
                rule_index.insert(key, index);
            }
            referenced.insert(index, matched_template(rule));
            if !keys.iter().flatten().any(|k| generating.contains(k)) {
                silent.insert(index);
            }
        }
        let mut fields: Vec<Field> = names_read.iter().filter_map(|n| mapping.field(n)).collect();
        fields.sort();
        fields.dedup();
        let infos = rules
            .collection
            .correlations
            .iter()
            .map(|c| {
                let info = rule_info(
                    c.id.as_deref(),
                    &c.title,
                    c.level,
                    &c.tags,
                    c.description.as_deref(),
                    std::path::Path::new(""),
                );
                (info.id.clone(), info)
            })
            .collect();
        let group_by = rules
            .collection
            .correlations
            .iter()
            .map(|c| {
                let id = c.id.clone().unwrap_or_else(|| c.title.clone());
                (id, c.group_by.len())
            })
            .collect();
        let mut prunings = Vec::new();
        let mut always = HashSet::new();
        let mut pruned_by: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        let correlations = &rules.collection.correlations;
        for c in correlations {
            let pruning = Pruning::of(c, correlations, &rule_index, &fields, &mapping);
            let direct = c
                .rules
                .iter()
                .enumerate()
                .filter_map(|(position, r)| Some((position, *rule_index.get(r.as_str())?)));
            match pruning {
                Some(p) => {
                    for (position, rule) in direct {
                        pruned_by
                            .entry(rule)
                            .or_default()
                            .push((prunings.len(), position));
                    }
                    prunings.push(p);
                }
                None => always.extend(direct.map(|(_, rule)| rule)),
            }
        }
        let longest_timespan = correlations
            .iter()
            .map(|c| seconds(&c.timespan))
            .max()
            .unwrap_or(0);
        Correlator {
            longest_timespan,
            chunk: ordered::CHUNK,
            mapping,
            correlations: correlations.clone(),
            referenced,
            silent,
            fields,
            infos,
            group_by,
            prunings,
            always,
            pruned_by,
        }
    }

    /// The same correlator holding at most `events` kept events in memory
    /// (at least one) while stage two orders them; the rest go to sorted
    /// runs in temporary files. The findings do not depend on it: tests set
    /// a tiny limit to read the spilled path on small inputs.
    pub fn with_memory_limit(mut self, events: usize) -> Correlator {
        self.chunk = events.max(1);
        self
    }

    /// Whether an event that matched these detector rules must be kept for stage two.
    pub fn wants(&self, matched: &[usize]) -> bool {
        matched.iter().any(|r| self.referenced.contains_key(r))
    }

    /// Whether a rule's own matches stay out of the findings: it only feeds
    /// correlations that do not ask for them (Sigma's `generate: false`, the default).
    pub fn is_silent(&self, rule: usize) -> bool {
        self.silent.contains(&rule)
    }

    /// Keeps the compact copy of `event`, which matched `rules`, that stage two reads.
    pub fn keep(&self, kept: &mut KeptEvents, event: &Event<'_>, rules: &[usize], path: &str) {
        let mut kept_rules = [NO_RULE; KEPT_RULES];
        let referenced = rules
            .iter()
            .filter_map(|r| Some((*r, self.referenced.get(r)?)));
        for (slot, (rule, _)) in kept_rules.iter_mut().zip(referenced) {
            *slot = u16::try_from(rule).unwrap_or(NO_RULE);
        }
        let mut values = std::mem::take(&mut kept.scratch);
        self.write_values(event, &mut values);
        let path = kept.paths.intern(path);
        let record = Kept {
            timestamp: event.timestamp,
            line: event.line,
            path,
            rules: kept_rules,
        };
        kept.push(record, &values);
        kept.scratch = values;
    }

    /// Writes the values of [`Correlator::fields`] in `event` to `values`,
    /// separated by [`SEPARATOR`].
    fn write_values(&self, event: &Event<'_>, values: &mut String) {
        values.clear();
        for (i, &field) in self.fields.iter().enumerate() {
            if i > 0 {
                values.push(SEPARATOR);
            }
            match event.value(field) {
                None => {}
                Some(Value::Str(s)) => values.extend(s.chars().filter(|c| *c != SEPARATOR)),
                Some(Value::UInt(n)) => write!(values, "{n}").unwrap_or_default(),
                Some(Value::Ip(ip)) => write!(values, "{ip}").unwrap_or_default(),
                Some(Value::Time(t)) => write!(values, "{t}").unwrap_or_default(),
                Some(Value::Keywords(k)) => values.push_str(&k.join(",")),
            }
        }
    }

    /// The kept events some correlation can use ([`Pruning`]), in time
    /// order, at most [`Correlator::chunk`] of them in memory.
    fn usable(&self, kept: &mut KeptEvents) -> io::Result<ordered::Merge> {
        // The group of an event's values, per pruning: a keyed hash of the
        // values it groups by. Two groups that share a hash only keep an
        // event pruning could have dropped; the engine groups by the values.
        let hasher = ahash::RandomState::new();
        let group = |p: &Pruning, values: &str| {
            let mut h = hasher.build_hasher();
            for (i, value) in values.split(SEPARATOR).enumerate() {
                if p.positions.contains(&i) {
                    h.write(value.as_bytes());
                    h.write_u8(0xff);
                }
            }
            h.finish()
        };
        let prunable =
            |rule: usize| !self.always.contains(&rule) && self.pruned_by.contains_key(&rule);
        // Per pruning and rule it refers to: per group, the moments (in
        // seconds, in order) that rule counts as present; gathered only for
        // the rules whose company a prunable rule needs.
        let mut company: Vec<Vec<Option<Moments>>> = self
            .prunings
            .iter()
            .enumerate()
            .map(|(p, pruning)| {
                (0..pruning.refs.len())
                    .map(|j| {
                        let needed = self.pruned_by.iter().any(|(&rule, readers)| {
                            prunable(rule) && readers.iter().any(|&(q, k)| q == p && k != j)
                        });
                        needed.then(AHashMap::new)
                    })
                    .collect()
            })
            .collect();
        kept.for_each(|e, values| {
            for (p, pruning) in self.prunings.iter().enumerate() {
                for (j, reference) in pruning.refs.iter().enumerate() {
                    let Some(times) = &mut company[p][j] else {
                        continue;
                    };
                    if e.rules().any(|r| reference.rules.contains(&r)) {
                        times
                            .entry(group(pruning, values))
                            .or_default()
                            .push(e.timestamp.unix_seconds());
                    }
                }
            }
        })?;
        for (pruning, company) in self.prunings.iter().zip(&mut company) {
            for (reference, times) in pruning.refs.iter().zip(company) {
                let Some(times) = times else { continue };
                for moments in times.values_mut() {
                    moments.sort_unstable();
                    if let Some((count, within)) = reference.at_least {
                        *moments = threshold_reached(moments, count, within);
                    }
                }
                times.retain(|_, moments| !moments.is_empty());
            }
        }
        let mut usable = Sorter::new(ordered::ranks(&kept.paths.strings), self.chunk);
        let mut written = Ok(());
        kept.for_each(|e, values| {
            if written.is_err() {
                return;
            }
            let keep = e.rules().any(|rule| {
                if !prunable(rule) {
                    return self.referenced.contains_key(&rule);
                }
                let t = e.timestamp.unix_seconds();
                self.pruned_by[&rule].iter().any(|&(p, position)| {
                    let group = group(&self.prunings[p], values);
                    // A second of slack either side: windows are compared in
                    // finer time than this test.
                    let span = self.prunings[p].timespan + 1;
                    company[p].iter().enumerate().all(|(j, times)| {
                        j == position
                            || times.as_ref().is_some_and(|times| {
                                times.get(&group).is_some_and(|moments| {
                                    let first = moments.partition_point(|m| *m < t - span);
                                    moments.get(first).is_some_and(|m| *m <= t + span)
                                })
                            })
                    })
                })
            });
            if keep {
                written = usable.push(e, values);
            }
        })?;
        written?;
        // Ties in time are put in file and line order, so that the result does
        // not depend on the order in which workers' events were merged.
        usable.finish()
    }

    /// Stage two: the correlation findings of the kept events, in any order.
    ///
    /// Fails when the kept events cannot be written to or read back from
    /// their temporary file.
    pub fn run(&self, mut kept: KeptEvents, base_rules: &RuleSet) -> io::Result<Vec<Finding>> {
        // Before the emptiness test: a spill file that could not be
        // created leaves no event counted, and no correlation must then
        // read as none firing.
        if let Some(e) = kept.error.take() {
            return Err(e);
        }
        if self.correlations.is_empty() || kept.is_empty() {
            return Ok(Vec::new());
        }
        let events = self.usable(&mut kept)?;
        let mut fed = Fed::new(self.chunk);
        let mut engine = self.engine(base_rules);
        let mut open: HashMap<(String, Vec<(String, String)>), Finding> = HashMap::new();
        for (index, event) in events.enumerate() {
            let (k, values) = event?;
            fed.push(k)?;
            // The engine drops expired windows only when its state is full
            // (and then the stalest groups, expired or not): in time order,
            // clearing them now and then keeps its memory to the live windows.
            if index % EVICT_EVERY == 0 {
                engine.evict_expired(k.timestamp.unix_seconds());
            }
            let view = KeptView {
                values: &values,
                index,
                fields: &self.fields,
                mapping: &self.mapping,
            };
            // The matches stage one found, as rsigma reports them.
            let detections = k
                .rules()
                .filter_map(|r| self.referenced.get(&r).cloned())
                .collect();
            let result =
                engine.process_with_detections(&view, detections, k.timestamp.unix_seconds());
            for (id, info, body) in self.firings(result) {
                let finding = open
                    .entry((id, body.group_key.clone()))
                    .or_insert_with(|| opened(info, &body, k.timestamp));
                let mut referenced = Vec::new();
                for i in referenced_events(&body) {
                    if let Some(e) = fed.get(i as u64)? {
                        referenced.push((e.timestamp, kept.evidence(&e)));
                    }
                }
                record_firing(finding, info, &body, referenced.into_iter());
            }
        }
        let mut findings: Vec<Finding> = open.into_values().collect();
        for f in &mut findings {
            f.evidence.sort();
        }
        Ok(findings)
    }

    /// A correlation engine holding the base rules and the correlations.
    fn engine(&self, base_rules: &RuleSet) -> CorrelationEngine {
        let mut engine = CorrelationEngine::new(CorrelationConfig::default());
        engine.set_correlation_event_mode(CorrelationEventMode::Refs);
        engine.set_max_correlation_events(EVIDENCE_KEPT);
        for rule in &base_rules.collection.rules {
            let _ = engine.add_rule(rule);
        }
        for correlation in &self.correlations {
            let _ = engine.add_correlation(correlation);
        }
        engine
    }

    /// The correlations that fired in `result`, with their rule.
    fn firings(&self, result: ProcessResult) -> Vec<(String, &RuleInfo, CorrelationBody)> {
        result
            .into_iter()
            .filter_map(|r| {
                let id = r
                    .header
                    .rule_id
                    .clone()
                    .unwrap_or_else(|| r.header.rule_title.clone());
                let info = self.infos.get(&id)?;
                match r.body {
                    ResultBody::Correlation(body)
                        if body.group_key.len() < self.group_by.get(&id).copied().unwrap_or(0) =>
                    {
                        None
                    }
                    ResultBody::Correlation(body) => Some((id, info, body)),
                    ResultBody::Detection(_) => None,
                }
            })
            .collect()
    }

    /// Stage two fed one event at a time, as `vigie watch` reads them: each
    /// correlation is reported the moment it fires.
    pub fn live(&self, base_rules: &RuleSet) -> LiveCorrelation<'_> {
        LiveCorrelation {
            correlator: self,
            engine: self.engine(base_rules),
            recent: VecDeque::new(),
            fed: 0,
            held: Vec::new(),
            latest_held: Timestamp::default(),
            held_after_pruning: 0,
        }
    }
}

/// How many of the last events fed a [`LiveCorrelation`] remembers, to name
/// the lines of a firing (a window older than that loses its first lines).
const LIVE_EVENTS_REMEMBERED: usize = 65_536;

/// Correlation over events as they arrive ([`Correlator::live`]): one engine
/// whose windows stay open between calls.
pub struct LiveCorrelation<'c> {
    correlator: &'c Correlator,
    engine: CorrelationEngine,
    /// Time and line of the last events fed; the first is event number `fed - recent.len()`.
    recent: VecDeque<(Timestamp, Evidence)>,
    fed: usize,
    /// Events held back by [`LiveCorrelation::hold`], fed in time order by
    /// [`LiveCorrelation::release`].
    held: Vec<Prepared>,
    /// The latest time held, and how many were held when it last pruned.
    latest_held: Timestamp,
    held_after_pruning: usize,
}

/// An event a correlation needs, as the engine reads it.
struct Prepared {
    timestamp: Timestamp,
    evidence: Evidence,
    /// The values of [`Correlator::fields`].
    values: String,
    /// The referenced rules it matched.
    rules: Vec<usize>,
}

impl LiveCorrelation<'_> {
    /// Feeds `event`, which matched the detector rules `matched`, and
    /// returns a finding for each correlation it completes; its evidence is
    /// the lines of the window so far.
    pub fn process(&mut self, event: &Event<'_>, matched: &[usize], path: &str) -> Vec<Finding> {
        match self.prepare(event, matched, path) {
            Some(prepared) => self.feed(prepared),
            None => Vec::new(),
        }
    }

    /// Holds `event` back until [`LiveCorrelation::release`]: for lines
    /// read file after file (a watch's start), which must reach the engine
    /// in time order. With `only_last_window`, what is older than the
    /// longest correlation timespan before the latest time held is dropped:
    /// it cannot be in a window still open at the end.
    pub fn hold(
        &mut self,
        event: &Event<'_>,
        matched: &[usize],
        path: &str,
        only_last_window: bool,
    ) {
        let Some(prepared) = self.prepare(event, matched, path) else {
            return;
        };
        self.latest_held = self.latest_held.max(prepared.timestamp);
        self.held.push(prepared);
        if only_last_window && self.held.len() >= 2 * self.held_after_pruning.max(4096) {
            let span = self.correlator.longest_timespan.saturating_mul(1_000_000);
            let oldest = Timestamp(self.latest_held.0.saturating_sub(span));
            self.held.retain(|p| p.timestamp >= oldest);
            self.held_after_pruning = self.held.len();
        }
    }

    /// Feeds the events held back, in time order, and returns the findings
    /// of the correlations they complete.
    pub fn release(&mut self) -> Vec<Finding> {
        let mut held = std::mem::take(&mut self.held);
        held.sort_by_key(|p| p.timestamp);
        self.held_after_pruning = 0;
        held.into_iter().flat_map(|p| self.feed(p)).collect()
    }

    /// What the engine needs of `event`, if a correlation refers to a rule it matched.
    fn prepare(&self, event: &Event<'_>, matched: &[usize], path: &str) -> Option<Prepared> {
        let correlator = self.correlator;
        if correlator.correlations.is_empty() || !correlator.wants(matched) {
            return None;
        }
        let mut rules = Vec::new();
        for &rule in matched {
            if correlator.referenced.contains_key(&rule) {
                rules.push(rule);
            }
        }
        let mut values = String::new();
        correlator.write_values(event, &mut values);
        Some(Prepared {
            timestamp: event.timestamp,
            evidence: Evidence {
                path: path.to_string(),
                line: event.line,
                part: None,
            },
            values,
            rules,
        })
    }

    /// Runs one prepared event through the engine.
    fn feed(&mut self, prepared: Prepared) -> Vec<Finding> {
        let correlator = self.correlator;
        let index = self.fed;
        self.fed += 1;
        let seconds = prepared.timestamp.unix_seconds();
        if index.is_multiple_of(EVICT_EVERY) {
            self.engine.evict_expired(seconds);
        }
        if self.recent.len() == LIVE_EVENTS_REMEMBERED {
            self.recent.pop_front();
        }
        self.recent
            .push_back((prepared.timestamp, prepared.evidence));
        let detections = prepared
            .rules
            .iter()
            .filter_map(|r| correlator.referenced.get(r).cloned())
            .collect();
        let view = KeptView {
            values: &prepared.values,
            index,
            fields: &correlator.fields,
            mapping: &correlator.mapping,
        };
        let result = self
            .engine
            .process_with_detections(&view, detections, seconds);
        let first = self.fed - self.recent.len();
        correlator
            .firings(result)
            .into_iter()
            .map(|(_, info, body)| {
                let mut finding = opened(info, &body, prepared.timestamp);
                let referenced = referenced_events(&body)
                    .filter_map(|i| self.recent.get(i.checked_sub(first)?))
                    .cloned();
                record_firing(&mut finding, info, &body, referenced);
                finding.evidence.sort();
                finding
            })
            .collect()
    }
}

/// What a [`LiveCorrelation`] holds between events, to carry its open
/// windows over a restart ([`LiveCorrelation::state`]): rsigma's snapshot
/// of the engine, keyed by stable correlation ids so it survives a rule
/// reload, and the lines of the last window's events the firings name.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct LiveState {
    engine: rsigma_eval::CorrelationSnapshot,
    fed: usize,
    /// Time (microseconds), path and line of the last events fed.
    recent: Vec<(i64, String, u64)>,
}

impl LiveCorrelation<'_> {
    /// The open windows and the lines of their events (those of the
    /// longest correlation timespan before the latest event).
    pub fn state(&self) -> LiveState {
        let latest = self
            .recent
            .iter()
            .map(|(t, _)| *t)
            .max()
            .unwrap_or_default();
        let span = self.correlator.longest_timespan.saturating_mul(1_000_000);
        let oldest = latest.0.saturating_sub(span);
        let from = self
            .recent
            .iter()
            .position(|(t, _)| t.0 >= oldest)
            .unwrap_or(self.recent.len());
        LiveState {
            engine: self.engine.export_state(),
            fed: self.fed,
            recent: self
                .recent
                .iter()
                .skip(from)
                .map(|(t, e)| (t.0, e.path.clone(), e.line))
                .collect(),
        }
    }

    /// Takes up the windows of `state`; `false` (and nothing taken) when
    /// it was saved by an incompatible rsigma.
    pub fn restore(&mut self, state: LiveState) -> bool {
        if !self.engine.import_state(state.engine) {
            return false;
        }
        self.fed = state.fed.max(state.recent.len());
        self.recent = state
            .recent
            .into_iter()
            .map(|(t, path, line)| {
                let evidence = Evidence {
                    path,
                    line,
                    part: None,
                };
                (Timestamp(t), evidence)
            })
            .collect();
        true
    }
}

/// The finding a correlation opens when it first fires for a group.
fn opened(info: &RuleInfo, body: &CorrelationBody, at: Timestamp) -> Finding {
    Finding {
        rule_id: info.id.clone(),
        title: info.title.clone(),
        level: info.level.clone(),
        attack: info.attack.clone(),
        entity: entity(&body.group_key),
        first_seen: at,
        last_seen: at,
        count: 0,
        evidence: Vec::new(),
        reason: String::new(),
    }
}

/// The positions of the events a firing refers to.
fn referenced_events(body: &CorrelationBody) -> impl Iterator<Item = usize> + '_ {
    body.event_refs
        .iter()
        .flatten()
        .filter_map(|e| e.id.as_deref()?.parse().ok())
}

/// Adds one firing of a correlation to its finding: the time and lines of
/// the events it refers to, its count and the reason.
fn record_firing(
    finding: &mut Finding,
    info: &RuleInfo,
    body: &CorrelationBody,
    referenced: impl Iterator<Item = (Timestamp, Evidence)>,
) {
    for (timestamp, evidence) in referenced {
        finding.first_seen = finding.first_seen.min(timestamp);
        finding.last_seen = finding.last_seen.max(timestamp);
        if finding.evidence.len() < EVIDENCE_KEPT && !finding.evidence.contains(&evidence) {
            finding.evidence.push(evidence);
        }
    }
    finding.count = finding
        .count
        .max(body.aggregated_value as u64)
        .max(finding.evidence.len() as u64);
    let group: Vec<String> = body
        .group_key
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    finding.reason = format!(
        "{}: {} of {} reached {} within {} s ({})",
        info.title,
        format!("{:?}", body.correlation_type).to_ascii_lowercase(),
        if group.is_empty() {
            "all events".to_string()
        } else {
            group.join(", ")
        },
        body.aggregated_value,
        body.timespan_secs,
        info.description.as_deref().unwrap_or("correlation")
    );
}

impl Pruning {
    /// The pruning `correlation` allows, if it is a `temporal` or
    /// `temporal_ordered` one without aliases whose every rule is a base rule
    /// or a correlation of base rules grouped by at least the same fields.
    fn of(
        correlation: &rsigma_parser::CorrelationRule,
        all: &[rsigma_parser::CorrelationRule],
        rule_index: &HashMap<&str, usize>,
        fields: &[Field],
        mapping: &Mapping,
    ) -> Option<Pruning> {
        use rsigma_parser::CorrelationType::{EventCount, Temporal, TemporalOrdered};
        let temporal = matches!(correlation.correlation_type, Temporal | TemporalOrdered);
        if !temporal || !correlation.aliases.is_empty() || correlation.rules.is_empty() {
            return None;
        }
        let group_fields = |c: &rsigma_parser::CorrelationRule| -> Option<Vec<Field>> {
            c.group_by.iter().map(|n| mapping.field(n)).collect()
        };
        let grouped_by = group_fields(correlation)?;
        let positions = grouped_by
            .iter()
            .map(|f| fields.binary_search(f).ok())
            .collect::<Option<Vec<usize>>>()?;
        let refs = correlation
            .rules
            .iter()
            .map(|name| {
                if let Some(&rule) = rule_index.get(name.as_str()) {
                    return Some(Reference {
                        rules: vec![rule],
                        at_least: None,
                    });
                }
                let inner = all.iter().find(|c| {
                    c.id.as_deref() == Some(name.as_str())
                        || c.name.as_deref() == Some(name.as_str())
                })?;
                let inner_fields = group_fields(inner)?;
                if !grouped_by.iter().all(|f| inner_fields.contains(f)) {
                    return None;
                }
                let rules = inner
                    .rules
                    .iter()
                    .map(|r| rule_index.get(r.as_str()).copied())
                    .collect::<Option<Vec<usize>>>()?;
                let at_least = match (&inner.correlation_type, &inner.condition) {
                    (
                        EventCount,
                        rsigma_parser::CorrelationCondition::Threshold { predicates, .. },
                    ) if inner.group_by.len() == grouped_by.len() => {
                        lower_bound(predicates).map(|n| (n, seconds(&inner.timespan)))
                    }
                    _ => None,
                };
                Some(Reference { rules, at_least })
            })
            .collect::<Option<Vec<Reference>>>()?;
        Some(Pruning {
            positions,
            refs,
            timespan: seconds(&correlation.timespan),
        })
    }
}

/// The least count a threshold condition accepts, when it has one.
fn lower_bound(predicates: &[(rsigma_parser::ConditionOperator, u64)]) -> Option<usize> {
    use rsigma_parser::ConditionOperator::{Gt, Gte};
    predicates
        .iter()
        .filter_map(|(op, n)| match op {
            Gte => usize::try_from(*n).ok(),
            Gt => usize::try_from(n.saturating_add(1)).ok(),
            _ => None,
        })
        .max()
}

fn seconds(timespan: &rsigma_parser::Timespan) -> i64 {
    i64::try_from(timespan.seconds).unwrap_or(i64::MAX / 4)
}

/// The moments (of `moments`, in order) at which at least `count` of them
/// fall within the preceding `within` seconds, bounds included.
fn threshold_reached(moments: &[i64], count: usize, within: i64) -> Vec<i64> {
    let mut first = 0;
    let mut reached = Vec::new();
    for (i, &t) in moments.iter().enumerate() {
        while moments[first] < t - within {
            first += 1;
        }
        if i + 1 - first >= count {
            reached.push(t);
        }
    }
    reached
}

fn entity(group: &[(String, String)]) -> Entity {
    let get = |names: &[&str]| {
        group
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    Entity {
        user: get(&["user.name", "user", "username"]),
        source_ip: get(&["source.ip", "c-ip", "src_ip"]),
        session: get(&["session.id"]),
    }
}
