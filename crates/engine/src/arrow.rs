//! Arrow in, Arrow out: the two stages over record batches, so that a
//! distributed engine (Spark's `mapInArrow` and `groupBy().applyInArrow`,
//! through the `vigie_spark._native` module) runs the code `vigie scan` runs.
//!
//! Three batch shapes (all columns non-null unless said):
//!
//! **Chunks in** ([`chunk_schema`]), one row per [`Chunk`]:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `path` | Utf8 | the file as `vigie scan` names it (evidence paths) |
//! | `set` | Utf8, nullable | the rotated set's key ([`set_key`](crate::engine::set_key)); null: `path` |
//! | `format` | Utf8, nullable | the format's name (`nginx-access`); null: detected from the data (a chunk that starts the file only) |
//! | `first_line` | UInt64 | 1-based number of the chunk's first line in the file |
//! | `modified` | Timestamp(µs, UTC), nullable | the file's modification time (year-less times are placed before it) |
//! | `data` | Binary or LargeBinary, nullable | whole lines, or a whole (possibly compressed) file; null: read the file `path` from disk |
//!
//! Consecutive rows of one `set` whose `data` is null are read as that
//! rotated set, oldest first, by one [`Engine::stage_one_set`] (what `vigie
//! scan` does): state that spans files (a session's login and logout) is
//! kept. A row with `data` is one [`Engine::stage_one_chunk`].
//!
//! **Stage one out** ([`stage_one_schema`]), one row per chunk:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `key` | Utf8 | the stage-two key: the case (one server's logs, one `vigie scan`) |
//! | `path`, `first_line` | Utf8, UInt64 | the chunk |
//! | `lines`, `events` | UInt64 | lines read and events made |
//! | `state` | Binary | the chunk's [`StageOne`], [`STATE_FORMAT`] |
//!
//! **Stage two out** ([`findings_schema`]), one row per finding of a key:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `key` | Utf8 | the case |
//! | `rule_id`, `level`, `title` | Utf8, nullable | the finding's rule |
//! | `user`, `source_ip` | Utf8, nullable | its entity |
//! | `first_seen`, `last_seen` | Timestamp(µs, UTC), nullable | its span |
//! | `count` | UInt64, nullable | events behind it |
//! | `finding` | Utf8, nullable | the exact `findings.jsonl` line |
//! | `outcome` | Binary, nullable | on the first row of a key only: the rest of stage two's [`Outcome`] (reports, activity states, sources, actor matches, exposure), [`STATE_FORMAT`]; a key without findings has this one row with the finding columns null |
//!
//! [`outcomes`] rebuilds each key's [`Outcome`] from those rows, for
//! [`case::write`](crate::case::write) on the driver.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};
use vigie_case::activity::PackedState;
use vigie_case::store::SourceRow;
use vigie_event::{Finding, Timestamp, wire};
use vigie_ingest::{Format, InputReport};
use vigie_intel::matcher::ActorMatch;

use crate::mail::MailScan;
use crate::{Chunk, Earlier, Engine, Outcome, StageOne};

/// How the `state` and `outcome` columns are encoded: MessagePack with named
/// fields ([`vigie_event::wire`]) compressed with zstd; the version changes
/// with the layout. Also in the schemas' metadata (`vigie.state`).
pub const STATE_FORMAT: &str = "vigie-state/1 msgpack-named+zstd";

/// zstd level of the state: level 1 took a 49 MB state of 100 MB of office
/// logs to 7.2 MB in 0.13 s.
const ZSTD_LEVEL: i32 = 1;

/// The largest state read back, decompressed (a chunk of 32 MB made about
/// 15 MB; a whole case's merged state is not shipped).
const STATE_MAX: usize = 4 << 30;

/// Why a batch could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A column is missing or of another type than the schema says.
    #[error("column {name:?}: {why}")]
    Column {
        /// The column.
        name: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A `state` or `outcome` value does not decode (or encode).
    #[error("stage state: {0}")]
    State(String),
    /// Arrow refused the batch.
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Stage two failed.
    #[error(transparent)]
    Engine(#[from] crate::Error),
}

fn metadata() -> std::collections::HashMap<String, String> {
    [("vigie.state".to_string(), STATE_FORMAT.to_string())].into()
}

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The chunks-in schema (see the module documentation); `data` may also be LargeBinary.
pub fn chunk_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("set", DataType::Utf8, true),
        Field::new("format", DataType::Utf8, true),
        Field::new("first_line", DataType::UInt64, false),
        Field::new("modified", utc_micros(), true),
        Field::new("data", DataType::Binary, true),
    ]))
}

/// The stage-one-out schema (see the module documentation).
pub fn stage_one_schema() -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("path", DataType::Utf8, false),
            Field::new("first_line", DataType::UInt64, false),
            Field::new("lines", DataType::UInt64, false),
            Field::new("events", DataType::UInt64, false),
            Field::new("state", DataType::Binary, false),
        ],
        metadata(),
    ))
}

/// The stage-two-out schema (see the module documentation).
pub fn findings_schema() -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("rule_id", DataType::Utf8, true),
            Field::new("level", DataType::Utf8, true),
            Field::new("title", DataType::Utf8, true),
            Field::new("user", DataType::Utf8, true),
            Field::new("source_ip", DataType::Utf8, true),
            Field::new("first_seen", utc_micros(), true),
            Field::new("last_seen", utc_micros(), true),
            Field::new("count", DataType::UInt64, true),
            Field::new("finding", DataType::Utf8, true),
            Field::new("outcome", DataType::Binary, true),
        ],
        metadata(),
    ))
}

/// Encodes a value as [`STATE_FORMAT`].
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, BatchError> {
    let bytes = wire::to_bytes(value).map_err(|e| BatchError::State(e.to_string()))?;
    zstd::bulk::compress(&bytes, ZSTD_LEVEL).map_err(|e| BatchError::State(e.to_string()))
}

/// Decodes a value [`encode`] wrote.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BatchError> {
    let size = zstd::bulk::Decompressor::upper_bound(bytes)
        .unwrap_or(STATE_MAX)
        .min(STATE_MAX);
    let raw = zstd::bulk::decompress(bytes, size).map_err(|e| BatchError::State(e.to_string()))?;
    wire::from_bytes(&raw).map_err(|e| BatchError::State(e.to_string()))
}

fn column<'b>(batch: &'b RecordBatch, name: &'static str) -> Result<&'b ArrayRef, BatchError> {
    batch.column_by_name(name).ok_or(BatchError::Column {
        name,
        why: "missing".into(),
    })
}

fn wrong(name: &'static str, array: &ArrayRef) -> BatchError {
    BatchError::Column {
        name,
        why: format!("is {}", array.data_type()),
    }
}

/// Reads a Utf8 column (or LargeUtf8) as optional texts.
fn texts<'b>(
    batch: &'b RecordBatch,
    name: &'static str,
) -> Result<Vec<Option<&'b str>>, BatchError> {
    let array = column(batch, name)?;
    match array.data_type() {
        DataType::Utf8 => Ok(array.as_string::<i32>().iter().collect()),
        DataType::LargeUtf8 => Ok(array.as_string::<i64>().iter().collect()),
        DataType::Utf8View => Ok(array.as_string_view().iter().collect()),
        _ => Err(wrong(name, array)),
    }
}

/// Reads a Binary column (or LargeBinary) as optional byte slices.
fn binaries<'b>(
    batch: &'b RecordBatch,
    name: &'static str,
) -> Result<Vec<Option<&'b [u8]>>, BatchError> {
    let array = column(batch, name)?;
    match array.data_type() {
        DataType::Binary => Ok(array.as_binary::<i32>().iter().collect()),
        DataType::LargeBinary => Ok(array.as_binary::<i64>().iter().collect()),
        DataType::BinaryView => Ok(array.as_binary_view().iter().collect()),
        _ => Err(wrong(name, array)),
    }
}

/// Stage one over a batch of chunks ([`chunk_schema`]): one stage-one row
/// ([`stage_one_schema`]) per chunk, under the stage-two key `key`.
///
/// # Errors
/// A column missing or of the wrong type, an unknown format name, a state
/// that does not encode.
pub fn stage_one(
    engine: &Engine,
    key: &str,
    chunks: &RecordBatch,
) -> Result<RecordBatch, BatchError> {
    let paths = texts(chunks, "path")?;
    let sets = match chunks.column_by_name("set") {
        Some(_) => texts(chunks, "set")?,
        None => vec![None; chunks.num_rows()],
    };
    let formats = texts(chunks, "format")?;
    let first_lines = column(chunks, "first_line")?;
    let first_lines = first_lines
        .as_primitive_opt::<arrow_array::types::UInt64Type>()
        .ok_or_else(|| wrong("first_line", first_lines))?;
    let modified = match chunks.column_by_name("modified") {
        Some(array) => Some(
            array
                .as_primitive_opt::<TimestampMicrosecondType>()
                .ok_or_else(|| wrong("modified", array))?,
        ),
        None => None,
    };
    let data = binaries(chunks, "data")?;

    let n = chunks.num_rows();
    let mut out_key = StringBuilder::new();
    let mut out_path = StringBuilder::new();
    let mut out_first = UInt64Builder::with_capacity(n);
    let mut out_lines = UInt64Builder::with_capacity(n);
    let mut out_events = UInt64Builder::with_capacity(n);
    let mut out_state = BinaryBuilder::new();
    let mut row = 0;
    while row < n {
        let path = paths[row].unwrap_or_default();
        if data[row].is_none() {
            // A rotated set read from disk: this row and the next ones of the set.
            let set = sets[row];
            let mut inputs = Vec::new();
            while row < n && data[row].is_none() && sets[row] == set {
                inputs.push(vigie_ingest::Input::File(
                    paths[row].unwrap_or_default().into(),
                ));
                row += 1;
            }
            let state = engine.stage_one_set(&inputs, &mut ());
            let (lines, events) = state
                .reports
                .iter()
                .fold((0, 0), |(l, e), r| (l + r.lines, e + r.events));
            out_key.append_value(key);
            out_path.append_value(path);
            out_first.append_value(1);
            out_lines.append_value(lines);
            out_events.append_value(events);
            out_state.append_value(encode(&state)?);
            continue;
        }
        let format = match formats[row] {
            Some(name) => Some(Format::from_name(name).ok_or_else(|| BatchError::Column {
                name: "format",
                why: format!("{name:?} is not a format vigie reads"),
            })?),
            None => None,
        };
        let first_line = if first_lines.is_null(row) {
            1
        } else {
            first_lines.value(row).max(1)
        };
        let chunk = Chunk {
            path,
            set: sets[row],
            format,
            first_line,
            modified: modified
                .filter(|m| !m.is_null(row))
                .map(|m| Timestamp(m.value(row))),
            data: data[row].unwrap_or_default(),
        };
        let state = engine.stage_one_chunk(&chunk);
        let (lines, events) = state
            .reports
            .iter()
            .fold((0, 0), |(l, e), r| (l + r.lines, e + r.events));
        out_key.append_value(key);
        out_path.append_value(path);
        out_first.append_value(first_line);
        out_lines.append_value(lines);
        out_events.append_value(events);
        out_state.append_value(encode(&state)?);
        row += 1;
    }
    Ok(RecordBatch::try_new(
        stage_one_schema(),
        vec![
            Arc::new(out_key.finish()),
            Arc::new(out_path.finish()),
            Arc::new(out_first.finish()),
            Arc::new(out_lines.finish()),
            Arc::new(out_events.finish()),
            Arc::new(out_state.finish()),
        ],
    )?)
}

/// Merges the `state` column of stage-one batches ([`stage_one_schema`]).
///
/// # Errors
/// A missing column or a state that does not decode.
pub fn merge_states<'b>(
    batches: impl IntoIterator<Item = &'b RecordBatch>,
) -> Result<StageOne, BatchError> {
    let mut all = StageOne::default();
    for batch in batches {
        for state in binaries(batch, "state")?.into_iter().flatten() {
            all.merge(decode(state)?);
        }
    }
    Ok(all)
}

/// Stage two's outcome but its findings, as the `outcome` column carries it.
#[derive(Serialize, Deserialize)]
struct OutcomeRest {
    reports: Vec<InputReport>,
    states: Vec<(String, PackedState)>,
    actor_matches: Vec<ActorMatch>,
    exposure: Option<(usize, f64)>,
    sources: Vec<SourceRow>,
}

/// Stage two over all the stage-one rows of the key `key` (merged here):
/// its findings as rows of [`findings_schema`], the first carrying the rest
/// of the [`Outcome`].
///
/// # Errors
/// A state that does not decode, or [`Engine::stage_two`]'s error.
pub fn stage_two<'b>(
    engine: &Engine,
    key: &str,
    stage_one: impl IntoIterator<Item = &'b RecordBatch>,
    mail: &mut MailScan,
    earlier: Option<&Earlier>,
) -> Result<RecordBatch, BatchError> {
    let merged = merge_states(stage_one)?;
    let outcome = engine.stage_two(merged, mail, earlier)?;
    findings_batch(key, outcome)
}

/// The rows of one key's outcome ([`findings_schema`]).
///
/// # Errors
/// A finding or the outcome that does not encode.
pub fn findings_batch(key: &str, outcome: Outcome) -> Result<RecordBatch, BatchError> {
    let Outcome {
        findings,
        reports,
        states,
        actor_matches,
        exposure,
        sources,
    } = outcome;
    let rest = encode(&OutcomeRest {
        reports,
        states,
        actor_matches,
        exposure,
        sources,
    })?;
    let rows = findings.len().max(1);
    let mut keys = StringBuilder::new();
    let (mut rule, mut level, mut title) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let (mut user, mut source) = (StringBuilder::new(), StringBuilder::new());
    let mut first = TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC");
    let mut last = TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC");
    let mut count = UInt64Builder::with_capacity(rows);
    let mut line = StringBuilder::new();
    let mut outcome = BinaryBuilder::new();
    for (i, f) in findings.iter().enumerate() {
        keys.append_value(key);
        rule.append_value(&f.rule_id);
        level.append_value(&f.level);
        title.append_value(&f.title);
        user.append_option(f.entity.user.as_deref());
        source.append_option(f.entity.source_ip.as_deref());
        first.append_value(f.first_seen.0);
        last.append_value(f.last_seen.0);
        count.append_value(f.count);
        line.append_value(serde_json::to_string(f).map_err(|e| BatchError::State(e.to_string()))?);
        if i == 0 {
            outcome.append_value(&rest);
        } else {
            outcome.append_null();
        }
    }
    if findings.is_empty() {
        keys.append_value(key);
        for b in [
            &mut rule,
            &mut level,
            &mut title,
            &mut user,
            &mut source,
            &mut line,
        ] {
            b.append_null();
        }
        first.append_null();
        last.append_null();
        count.append_null();
        outcome.append_value(&rest);
    }
    Ok(RecordBatch::try_new(
        findings_schema(),
        vec![
            Arc::new(keys.finish()),
            Arc::new(rule.finish()),
            Arc::new(level.finish()),
            Arc::new(title.finish()),
            Arc::new(user.finish()),
            Arc::new(source.finish()),
            Arc::new(first.finish()),
            Arc::new(last.finish()),
            Arc::new(count.finish()),
            Arc::new(line.finish()),
            Arc::new(outcome.finish()),
        ],
    )?)
}

/// Each key's [`Outcome`] rebuilt from stage two's rows ([`findings_schema`],
/// in any order and batching), by key; its findings sorted as stage two
/// sorts them.
///
/// # Errors
/// A missing column, a finding line or outcome that does not decode, or a
/// key without its outcome.
pub fn outcomes<'b>(
    batches: impl IntoIterator<Item = &'b RecordBatch>,
) -> Result<Vec<(String, Outcome)>, BatchError> {
    let mut found: std::collections::BTreeMap<String, (Vec<Finding>, Option<OutcomeRest>)> =
        std::collections::BTreeMap::new();
    for batch in batches {
        let keys = texts(batch, "key")?;
        let lines = texts(batch, "finding")?;
        let rests = binaries(batch, "outcome")?;
        for row in 0..batch.num_rows() {
            let entry = found
                .entry(keys[row].unwrap_or_default().to_string())
                .or_default();
            if let Some(line) = lines[row] {
                let finding: Finding = serde_json::from_str(line)
                    .map_err(|e| BatchError::State(format!("a finding does not read: {e}")))?;
                entry.0.push(finding);
            }
            if let Some(rest) = rests[row] {
                entry.1 = Some(decode(rest)?);
            }
        }
    }
    found
        .into_iter()
        .map(|(key, (mut findings, rest))| {
            let rest = rest.ok_or_else(|| {
                BatchError::State(format!("the key {key:?} came without its outcome"))
            })?;
            // Stage two's order (the rows may have been shuffled).
            findings.sort_by(|a, b| {
                (a.first_seen, &a.rule_id, &a.entity).cmp(&(b.first_seen, &b.rule_id, &b.entity))
            });
            Ok((
                key,
                Outcome {
                    findings,
                    reports: rest.reports,
                    states: rest.states,
                    actor_matches: rest.actor_matches,
                    exposure: rest.exposure,
                    sources: rest.sources,
                },
            ))
        })
        .collect()
}
