//! The driver's plan: the inputs listed as `vigie scan` lists them, cut into
//! units of work.
//!
//! A rotated set of several files is one unit, read from disk by one worker
//! as `vigie scan` reads it (state spans the files: a session's login in
//! `mail.log.1`, its logout in `mail.log`). A set of one plain file whose
//! format may be cut ([`Format::line_independent`]) and that is larger than
//! `chunk_bytes` is cut at line ends into pieces of about `chunk_bytes`,
//! each with the exact number of its first line (newlines are counted in a
//! first pass over the file). Other files (compressed, Syslog, MDaemon) are
//! one unit each.
//!
//! The plan is a record batch, one row per unit or piece:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `key` | Utf8 | the case |
//! | `path` | Utf8 | the file as evidence names it |
//! | `set` | Utf8 | the rotated set's key ([`set_key`]) |
//! | `format` | Utf8, nullable | for a piece: the file's format |
//! | `first_line` | UInt64 | 1-based |
//! | `offset`, `length` | UInt64 | the piece's bytes in the file (a whole file: 0 and its size) |
//! | `modified` | Timestamp(µs, UTC), nullable | the file's modification time |
//! | `whole` | Boolean | read from disk by the worker (with the other rows of its set) |

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_array::builder::{
    BooleanBuilder, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use vigie_engine::Engine;
use vigie_engine::engine::set_key;
use vigie_engine::mail::MailScan;
use vigie_ingest::{Compression, Format, Input, expand_inputs, sniff};

/// What [`plan`] gives.
pub struct Plan {
    /// One row per unit of work (see the module documentation).
    pub chunks: RecordBatch,
    /// Inputs not read, one line each.
    pub errors: Vec<String>,
    /// Whether one of `errors` is an error, not an entry skipped on purpose.
    pub failed: bool,
    /// Bytes of all the inputs.
    pub bytes: u64,
}

/// Bytes read to tell compression and format.
const HEAD: usize = 64 * 1024;

/// A piece of a file: `(offset, length, first line)`.
type Piece = (u64, u64, u64);

/// One row of the plan.
struct Unit {
    path: String,
    set: String,
    format: Option<Format>,
    first_line: u64,
    offset: u64,
    length: u64,
    modified: Option<i64>,
    whole: bool,
}

/// Lists `paths` (folders walked, globs expanded, rotated sets grouped; the
/// mail stores of `mail` left out) and cuts them into units of work.
pub fn plan(
    engine: &Engine,
    paths: &[PathBuf],
    key: &str,
    chunk_bytes: u64,
    mail: &MailScan,
) -> io::Result<Plan> {
    let (mut sets, mut errors) = expand_inputs(paths);
    // As `vigie scan` does: mail stores are not logs.
    errors.retain(|e| {
        !matches!(e, vigie_ingest::Error::Walk { path, .. }
            | vigie_ingest::Error::Skipped { path, .. } if mail.owns(path))
    });
    for set in &mut sets {
        set.retain(|input| match input {
            Input::File(path) => !mail.owns(path),
            Input::Stdin => false,
        });
    }
    sets.retain(|set| !set.is_empty());
    let mut units = Vec::new();
    let mut bytes = 0;
    for set in &sets {
        let set_name = set_key(set);
        let cut = match set.as_slice() {
            [Input::File(path)] => cuttable(engine, path, chunk_bytes)?,
            _ => None,
        };
        match cut {
            Some((format, pieces)) => {
                let path = set[0].display_name();
                let modified = modified(&set[0]);
                for (offset, length, first_line) in pieces {
                    bytes += length;
                    units.push(Unit {
                        path: path.clone(),
                        set: set_name.clone(),
                        format: Some(format),
                        first_line,
                        offset,
                        length,
                        modified,
                        whole: false,
                    });
                }
            }
            None => {
                for input in set {
                    let length = match input {
                        Input::File(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
                        Input::Stdin => 0,
                    };
                    bytes += length;
                    units.push(Unit {
                        path: input.display_name(),
                        set: set_name.clone(),
                        format: None,
                        first_line: 1,
                        offset: 0,
                        length,
                        modified: modified(input),
                        whole: true,
                    });
                }
            }
        }
    }
    let failed = errors.iter().any(|e| !e.is_skip());
    Ok(Plan {
        chunks: batch(key, &units).map_err(io::Error::other)?,
        errors: errors.iter().map(ToString::to_string).collect(),
        failed,
        bytes,
    })
}

/// For a plain file of a format that may be cut and larger than
/// `chunk_bytes`: its format and pieces `(offset, length, first line)`.
fn cuttable(
    engine: &Engine,
    path: &std::path::Path,
    chunk_bytes: u64,
) -> io::Result<Option<(Format, Vec<Piece>)>> {
    let Ok(mut file) = File::open(path) else {
        // Not readable: the worker reads it whole and reports why.
        return Ok(None);
    };
    let size = file.metadata()?.len();
    if size <= chunk_bytes {
        return Ok(None);
    }
    let mut head = vec![0; HEAD];
    let n = read_full(&mut file, &mut head)?;
    head.truncate(n);
    if Compression::sniff(&head) != Compression::None {
        return Ok(None);
    }
    let name = vigie_event::path::to_text(path);
    let format = match engine.options().format {
        Some(format) => format,
        None => match sniff::detect(&head, &name) {
            Some(format) => format,
            None => return Ok(None),
        },
    };
    if !format.line_independent() {
        return Ok(None);
    }
    Ok(Some((format, pieces(File::open(path)?, chunk_bytes)?)))
}

/// Cuts a file at the first line end after every `chunk_bytes`:
/// `(offset, length, first line)` of each piece.
fn pieces(mut file: File, chunk_bytes: u64) -> io::Result<Vec<Piece>> {
    let mut out = Vec::new();
    let mut buf = vec![0; 1 << 20];
    let (mut at, mut start, mut line, mut start_line) = (0u64, 0u64, 1u64, 1u64);
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        for end in memchr::memchr_iter(b'\n', &buf[..n]) {
            line += 1;
            let after = at + end as u64 + 1;
            if after - start >= chunk_bytes {
                out.push((start, after - start, start_line));
                start = after;
                start_line = line;
            }
        }
        at += n as u64;
    }
    if at > start {
        out.push((start, at - start, start_line));
    }
    Ok(out)
}

fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn modified(input: &Input) -> Option<i64> {
    let Input::File(path) = input else {
        return None;
    };
    let when = std::fs::metadata(path).ok()?.modified().ok()?;
    let since = when.duration_since(std::time::UNIX_EPOCH).ok()?;
    // Whole seconds, as a scan reads the time (vigie_engine::Chunk::modified).
    i64::try_from(since.as_secs()).ok()?.checked_mul(1_000_000)
}

fn batch(key: &str, units: &[Unit]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut keys = StringBuilder::new();
    let mut paths = StringBuilder::new();
    let mut sets = StringBuilder::new();
    let mut formats = StringBuilder::new();
    let mut first = UInt64Builder::new();
    let mut offsets = UInt64Builder::new();
    let mut lengths = UInt64Builder::new();
    let mut modified = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    let mut whole = BooleanBuilder::new();
    for u in units {
        keys.append_value(key);
        paths.append_value(&u.path);
        sets.append_value(&u.set);
        formats.append_option(u.format.map(Format::name));
        first.append_value(u.first_line);
        offsets.append_value(u.offset);
        lengths.append_value(u.length);
        modified.append_option(u.modified);
        whole.append_value(u.whole);
    }
    let columns: Vec<(&str, arrow_array::ArrayRef)> = vec![
        ("key", Arc::new(keys.finish())),
        ("path", Arc::new(paths.finish())),
        ("set", Arc::new(sets.finish())),
        ("format", Arc::new(formats.finish())),
        ("first_line", Arc::new(first.finish())),
        ("offset", Arc::new(offsets.finish())),
        ("length", Arc::new(lengths.finish())),
        ("modified", Arc::new(modified.finish())),
        ("whole", Arc::new(whole.finish())),
    ];
    RecordBatch::try_from_iter(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_start_at_line_ends_with_their_line_numbers() {
        let dir = std::env::temp_dir().join(format!("vigie-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("access.log");
        let text: String = (1..=1000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        let cut = pieces(File::open(&path).unwrap(), 1000).unwrap();
        assert!(cut.len() > 5);
        let mut next = (0, 1);
        for &(offset, length, first) in &cut {
            assert_eq!((offset, first), next);
            let piece = &text.as_bytes()[offset as usize..(offset + length) as usize];
            assert!(piece.ends_with(b"\n"));
            assert!(piece.starts_with(format!("line {first}\n").as_bytes()));
            next = (
                offset + length,
                first + memchr::memchr_iter(b'\n', piece).count() as u64,
            );
        }
        assert_eq!(next, (text.len() as u64, 1001));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
