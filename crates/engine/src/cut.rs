//! One large file on every core: a plain file of a
//! [`Format::line_independent`] format is cut at line boundaries into pieces
//! of about [`Engine::stage_one_cut`]'s `piece_bytes`, read a few pieces at a
//! time (one per worker thread), each piece gathered by
//! [`Engine::stage_one_chunk`] with its exact first line number, and the
//! gatherings merged in file order. The merged gathering equals
//! [`Engine::stage_one_set`]'s for the file (its report is in pieces, which
//! stage two adds up).

use std::fs::File;
use std::io::{self, Read};

use rayon::prelude::*;
use vigie_event::Timestamp;
use vigie_ingest::source::line_end;
use vigie_ingest::{Compression, Format, Input, sniff};

use crate::engine::{Chunk, Engine, set_key};
use crate::stage_one::StageOne;

/// The bytes sniffed for the format, as a whole-file read does.
const HEAD: usize = 64 * 1024;

impl Engine {
    /// Stage one over a set that is one plain file of a line-independent
    /// format and larger than `piece_bytes`, cut into pieces read on all the
    /// current rayon pool's threads; `None` for any other set (a rotated set
    /// of several files, standard input, a compressed file, a Syslog or
    /// MDaemon file, a small file, a file that does not open), which the
    /// caller reads with [`stage_one_set`](Engine::stage_one_set).
    ///
    /// Memory holds about `piece_bytes` per worker thread, plus a line
    /// longer than that (a piece always ends at the end of a line).
    pub fn stage_one_cut(&self, set: &[Input], piece_bytes: usize) -> Option<StageOne> {
        let [Input::File(path)] = set else {
            return None;
        };
        let mut file = File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        let piece_bytes = piece_bytes.max(1);
        if !meta.is_file() || meta.len() <= piece_bytes as u64 {
            return None;
        }
        let mut head = Vec::with_capacity(HEAD);
        (&mut file).take(HEAD as u64).read_to_end(&mut head).ok()?;
        let name = Input::File(path.clone()).display_name();
        if Compression::sniff(&head) != Compression::None {
            return None;
        }
        let format = self
            .options
            .format
            .or_else(|| sniff::detect(&head, &name))?;
        // A file with CR line ends has no LF to cut at.
        if !Format::line_independent(format) || line_end(&head) != b'\n' {
            return None;
        }
        let modified = meta.modified().ok().map(|t| {
            let since = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            Timestamp::from_unix(since.as_secs() as i64, since.subsec_micros())
        });
        let key = set_key(set);
        let workers = rayon::current_num_threads().max(1);
        let mut pieces = Pieces {
            file,
            carry: head,
            piece_bytes,
            longest: piece_bytes.saturating_add(self.options.max_line),
            line: 1,
        };
        let mut total = StageOne::default();
        loop {
            // A read that fails half-way: the file is read whole instead,
            // which reports the failure where it happens.
            let Ok(batch) = pieces.next_batch(workers) else {
                return Some(self.stage_one_set(set, &mut ()));
            };
            if batch.is_empty() {
                break;
            }
            let gathered: Vec<StageOne> = batch
                .par_iter()
                .map(|(first_line, data)| {
                    self.stage_one_chunk(&Chunk {
                        path: &name,
                        set: Some(&key),
                        format: Some(format),
                        first_line: *first_line,
                        modified,
                        data,
                    })
                })
                .collect();
            for piece in gathered {
                total.merge(piece);
            }
        }
        Some(total)
    }
}

/// The pieces of one file, in order: each ends at the end of a line (or of
/// the file), and knows the number of its first line.
struct Pieces {
    file: File,
    /// Bytes read and not yet in a piece (the start of the next one).
    carry: Vec<u8>,
    piece_bytes: usize,
    /// The most a piece may hold: a longer line is an error, and the file is
    /// read whole by the line reader, which keeps only `--max-line` of it.
    longest: usize,
    /// The number of the carry's first line.
    line: u64,
}

impl Pieces {
    /// Up to `count` next pieces, `(first line, bytes)`; empty at the end.
    fn next_batch(&mut self, count: usize) -> io::Result<Vec<(u64, Vec<u8>)>> {
        let mut batch = Vec::with_capacity(count);
        while batch.len() < count {
            match self.next_piece()? {
                Some(piece) => batch.push(piece),
                None => break,
            }
        }
        Ok(batch)
    }

    fn next_piece(&mut self) -> io::Result<Option<(u64, Vec<u8>)>> {
        let mut searched = 0;
        loop {
            if self.carry.len() >= self.piece_bytes {
                // The piece ends after the last newline of its first
                // `piece_bytes` bytes, or of the line that crosses them.
                let cut = memchr::memrchr(b'\n', &self.carry[..self.piece_bytes]).or_else(|| {
                    let from = searched.max(self.piece_bytes);
                    memchr::memchr(b'\n', &self.carry[from..]).map(|i| from + i)
                });
                if let Some(end) = cut {
                    let rest = self.carry.split_off(end + 1);
                    let piece = std::mem::replace(&mut self.carry, rest);
                    return Ok(Some(self.numbered(piece)));
                }
                searched = self.carry.len();
                if searched > self.longest {
                    return Err(io::Error::other(
                        "a line longer than a piece and --max-line",
                    ));
                }
            }
            let want = self
                .piece_bytes
                .saturating_sub(self.carry.len())
                .max(64 * 1024);
            let read = (&mut self.file)
                .take(want as u64)
                .read_to_end(&mut self.carry)?;
            if read == 0 {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                let piece = std::mem::take(&mut self.carry);
                return Ok(Some(self.numbered(piece)));
            }
        }
    }

    /// `piece` with its first line's number; the next piece's follows it.
    fn numbered(&mut self, piece: Vec<u8>) -> (u64, Vec<u8>) {
        let first = self.line;
        self.line += memchr::memchr_iter(b'\n', &piece).count() as u64;
        (first, piece)
    }
}
