//! One large file on every core: a plain file of a
//! [`Format::line_independent`] format (or a syslog file, see [`Boundary`])
//! is cut at line boundaries into pieces
//! of about [`Engine::stage_one_cut`]'s `piece_bytes`, read a few pieces at a
//! time (one per worker thread), each piece gathered as
//! [`Engine::stage_one_chunk`] gathers it, with its exact first line number,
//! and the gatherings merged in file order. The one state a syslog file
//! keeps across seconds, a mail-client session opened by its login line and
//! closed by its logout line (joined by session id, minutes or hours apart),
//! is not gathered in the pieces: their login and logout lines
//! ([`SessionLine`]) are handed to the histories and the activity in file
//! order as the pieces merge. The merged gathering equals
//! [`Engine::stage_one_set`]'s for the file (its report and activity state
//! are in pieces, which stage two adds up).

use std::fs::File;
use std::io::{self, Read};

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use rayon::prelude::*;
use vigie_case::activity::{Activity, PackedState};
use vigie_event::{Category, Dataset, Event, Outcome, Text, Timestamp};
use vigie_ingest::source::line_end;
use vigie_ingest::{Compression, Format, Input, sniff};

use crate::engine::{Chunk, Engine, set_key};
use crate::stage_one::StageOne;

/// The bytes sniffed for the format, as a whole-file read does.
const HEAD: usize = 64 * 1024;

impl Engine {
    /// Stage one over a set that is one plain file of a line-independent
    /// format or of syslog, larger than `piece_bytes`, cut into pieces read
    /// on all the current rayon pool's threads; `None` for any other set (a
    /// rotated set of several files, standard input, a compressed file, an
    /// MDaemon file, a small file, a file with CR line ends, a file that does
    /// not open), which the caller reads with
    /// [`stage_one_set`](Engine::stage_one_set).
    ///
    /// Memory holds about `piece_bytes` per worker thread, plus a line
    /// longer than that (a piece always ends at the end of a line); past
    /// `piece_bytes` and `--max-line` without a place to cut, the file is
    /// read whole instead.
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
        let boundary = match format {
            f if Format::line_independent(f) => Boundary::Line,
            Format::Syslog => Boundary::NewSecond,
            _ => return None,
        };
        // A file with CR line ends has no LF to cut at.
        if line_end(&head) != b'\n' {
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
            boundary,
            piece_bytes,
            longest: piece_bytes.saturating_add(self.options.max_line),
            line: 1,
        };
        let mut total = StageOne::default();
        let shared_name: Arc<str> = name.as_str().into();
        let mut sessions = Activity::default();
        // The batch before, merged while this one is read.
        let mut gathered: Vec<StageOne> = Vec::new();
        let mut merge = |gathered: Vec<StageOne>| {
            for mut piece in gathered {
                let lines = piece.sessions.take().unwrap_or_default();
                total.merge(piece);
                // In file order, as a whole read takes them.
                for line in &lines {
                    let event = line.event(&name);
                    total.histories.add_session(&event, &shared_name);
                    if !self.config.findings_only {
                        sessions.add_session(&event, &shared_name);
                    }
                }
            }
        };
        loop {
            // A read that fails half-way: the file is read whole instead,
            // which reports the failure where it happens.
            let Ok(batch) = pieces.next_batch(workers) else {
                return Some(self.stage_one_set(set, &mut ()));
            };
            if batch.is_empty() {
                merge(gathered);
                break;
            }
            let before = std::mem::take(&mut gathered);
            // The merge is in file order on one thread: the workers read the
            // next pieces meanwhile rather than wait for it.
            (gathered, ()) = rayon::join(
                || {
                    batch
                        .par_iter()
                        .map(|(first_line, data)| {
                            let chunk = Chunk {
                                path: &name,
                                set: Some(&key),
                                format: Some(format),
                                first_line: *first_line,
                                modified,
                                data,
                            };
                            self.stage_one_piece(&chunk, Some(Vec::new()))
                        })
                        .collect()
                },
                || merge(before),
            );
        }
        if !self.config.findings_only {
            // Pieces' states are added up by key in stage two; the sessions
            // are one more part of the file's.
            total
                .states
                .push((key, PackedState::pack(&sessions.into_state())));
        }
        Some(total)
    }
}

/// A login or logout line of a piece ([`is_session_line`]), with what the
/// histories' and the activity's sessions read of it, kept until the pieces
/// before it are read.
///
/// [`is_session_line`]: vigie_detect::analytics::is_session_line
pub(crate) struct SessionLine {
    timestamp: Timestamp,
    dataset: Dataset,
    category: Option<Category>,
    action: Option<&'static str>,
    outcome: Option<Outcome>,
    protocol: Option<Box<str>>,
    session_id: Option<Box<str>>,
    user_name: Option<Box<str>>,
    source_ip: Option<IpAddr>,
    bytes_out: Option<u64>,
    /// A logout's counters (`retr=`, `body_count=`, `body_bytes=`) are in its
    /// message or reason.
    message: Option<Box<str>>,
    reason: Option<Box<str>>,
    line: u64,
}

impl SessionLine {
    pub(crate) fn of(event: &Event<'_>) -> SessionLine {
        let owned = |text: &Option<Text<'_>>| text.as_deref().map(Box::from);
        let logout = event.action == Some("logout");
        SessionLine {
            timestamp: event.timestamp,
            dataset: event.dataset,
            category: event.category,
            action: event.action,
            outcome: event.outcome,
            protocol: owned(&event.protocol),
            session_id: owned(&event.session_id),
            user_name: owned(&event.user_name),
            source_ip: event.source_ip,
            bytes_out: event.bytes_out,
            message: if logout { owned(&event.message) } else { None },
            reason: if logout { owned(&event.reason) } else { None },
            line: event.line,
        }
    }

    /// The line as an event of the file `path`.
    fn event<'s>(&'s self, path: &'s str) -> Event<'s> {
        let text = |t: &'s Option<Box<str>>| t.as_deref().map(Cow::Borrowed);
        let mut event = Event::new(self.dataset, path, self.line);
        event.timestamp = self.timestamp;
        event.category = self.category;
        event.action = self.action;
        event.outcome = self.outcome;
        event.protocol = text(&self.protocol);
        event.session_id = text(&self.session_id);
        event.user_name = text(&self.user_name);
        event.source_ip = self.source_ip;
        event.bytes_out = self.bytes_out;
        event.message = text(&self.message);
        event.reason = text(&self.reason);
        event
    }
}

/// Where a file may be cut.
#[derive(Clone, Copy, PartialEq)]
enum Boundary {
    /// Between any two lines ([`Format::line_independent`]).
    Line,
    /// Between two lines whose times differ in their second: syslog, whose
    /// only state across lines is Horde's login written twice within one
    /// second (`vigie_ingest::parse::horde::LoginEchoes`, which forgets an
    /// attempt as soon as a login of another second comes), so a piece
    /// that starts on a new second reads as the whole file does there.
    NewSecond,
}

impl Boundary {
    /// Whether a piece may end after `before` (a whole line, no newline)
    /// and the next start with `after` (at least what the key needs, or
    /// the rest of the data).
    fn allows(self, before: &[u8], after: &[u8]) -> bool {
        match self {
            Boundary::Line => true,
            Boundary::NewSecond => match (second_key(before), second_key(after)) {
                (Some(a), Some(b)) => a != b,
                _ => false,
            },
        }
    }
}

/// The text of a syslog line's time down to the second: `Mmm dd hh:mm:ss`
/// (RFC 3164) or `YYYY-MM-DDThh:mm:ss` (RFC 3339, fraction and zone left
/// out). Two lines of one second share it; a line of another shape gives
/// its first bytes, which can only make a cut between two lines of one
/// second of no known shape, where no Horde login is. `None` for a line too
/// short to say (an empty line is never cut after or before).
fn second_key(line: &[u8]) -> Option<&[u8]> {
    let len = if line.first().is_some_and(u8::is_ascii_digit) {
        19
    } else {
        15
    };
    let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
    line.get(..len)
}

/// The pieces of one file, in order: each ends at the end of a line (or of
/// the file), and knows the number of its first line.
struct Pieces {
    file: File,
    /// Bytes read and not yet in a piece (the start of the next one).
    carry: Vec<u8>,
    /// Where a piece may end.
    boundary: Boundary,
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
                // `piece_bytes` bytes where the boundary allows, or after
                // the first such newline past them.
                let cut = self.last_cut(self.piece_bytes).or_else(|| {
                    let from = searched.max(self.piece_bytes);
                    self.first_cut(from)
                });
                if let Some(end) = cut {
                    let rest = self.carry.split_off(end + 1);
                    let piece = std::mem::replace(&mut self.carry, rest);
                    return Ok(Some(self.numbered(piece)));
                }
                // The last lines could not all be judged yet.
                searched = self.carry.len().saturating_sub(64);
                if searched > self.longest {
                    return Err(io::Error::other(
                        "no place to cut within a piece and --max-line",
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

    /// The last newline before `limit` after which the carry may be cut.
    fn last_cut(&self, limit: usize) -> Option<usize> {
        let carry = &self.carry;
        let mut end = limit;
        while let Some(at) = memchr::memrchr(b'\n', &carry[..end]) {
            if self.may_cut(at) {
                return Some(at);
            }
            end = at;
        }
        None
    }

    /// The first newline from `from` on after which the carry may be cut
    /// (the line after it must be in the carry far enough to be judged).
    fn first_cut(&self, from: usize) -> Option<usize> {
        memchr::memchr_iter(b'\n', &self.carry[from..])
            .map(|i| from + i)
            .take_while(|&at| self.boundary == Boundary::Line || self.carry.len() - at > 32)
            .find(|&at| self.may_cut(at))
    }

    /// Whether the carry may be cut after its newline at `at` (a next line
    /// that is not whole in the carry yet is judged by what is there).
    fn may_cut(&self, at: usize) -> bool {
        let carry = &self.carry;
        if self.boundary == Boundary::NewSecond && carry.len() - at <= 32 {
            return false;
        }
        let start = memchr::memrchr(b'\n', &carry[..at]).map_or(0, |i| i + 1);
        self.boundary.allows(&carry[start..at], &carry[at + 1..])
    }

    /// `piece` with its first line's number; the next piece's follows it.
    fn numbered(&mut self, piece: Vec<u8>) -> (u64, Vec<u8>) {
        let first = self.line;
        self.line += memchr::memchr_iter(b'\n', &piece).count() as u64;
        (first, piece)
    }
}
