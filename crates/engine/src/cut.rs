//! One large file on every core: a plain file of a
//! [`Format::line_independent`] format (or a syslog file, see [`Boundary`])
//! is cut at line boundaries into pieces
//! of about [`Engine::stage_one_cut`]'s `piece_bytes`, read a few pieces at a
//! time (one per worker thread), each piece gathered as
//! [`Engine::stage_one_chunk`] gathers it, with its exact first line number,
//! and the gatherings merged in file order. The state a mail server's log
//! keeps across lines, minutes or hours apart, is not gathered in the
//! pieces: a mail-client session opened by its login line and closed by its
//! logout line (joined by session id), and a submitted message's login and
//! deliveries (joined by Postfix's queue id or Exim's message id); those
//! lines ([`SessionLines`]) are handed to the histories and the activity in
//! file order as the pieces merge. The merged gathering equals
//! [`Engine::stage_one_set`]'s for the file (its report and activity state
//! are in pieces, which stage two adds up).

use std::fs::File;
use std::io::{self, Read};

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use rayon::prelude::*;
use vigie_case::activity::{Activity, PackedState};
use vigie_event::{Category, Dataset, Event, Outcome, Timestamp};
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
        // A piece's session lines place their texts with 32-bit offsets.
        if piece_bytes.saturating_add(self.options.max_line) > u32::MAX as usize {
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
                for event in lines.events(&name) {
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
                            self.stage_one_piece(&chunk, Some(SessionLines::default()))
                        })
                        .collect()
                },
                || merge(before),
            );
        }
        // Each piece kept its first marks; the file keeps its first.
        total.activity.keep_first_marks();
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

/// The login and logout lines of a piece ([`is_session_line`]), with what
/// the histories' and the activity's sessions read of them, kept until the
/// pieces before it are read. A piece keeps one for about every other line
/// of a mail server's log: their texts share one buffer.
///
/// [`is_session_line`]: vigie_detect::analytics::is_session_line
#[derive(Default)]
pub(crate) struct SessionLines {
    lines: Vec<SessionLine>,
    /// The lines' texts, one after the other.
    text: String,
}

/// One line of [`SessionLines`].
struct SessionLine {
    timestamp: Timestamp,
    line: u64,
    bytes_out: Option<u64>,
    source_ip: Option<IpAddr>,
    action: Option<&'static str>,
    dataset: Dataset,
    category: Option<Category>,
    outcome: Option<Outcome>,
    /// Where the line's texts start in [`SessionLines::text`].
    start: u32,
    /// Where the protocol, the session id, the user name, a logout's
    /// message and reason, the recipient and the relay end in the texts
    /// (each starts where the one before ends); the message and reason hold
    /// only their [`COUNTERS`], all the sessions read of them.
    ends: [u32; 7],
    /// Which of those seven the event has.
    present: u8,
}

/// The counters of a logout line the sessions read: the whole-mailbox
/// download's `retr=` and `body_count=` (VA011, in the message or else the
/// reason) and the activity's `body_count=` and `body_bytes=` (in the
/// message). Each is read from its first place as `key=` and the digits
/// after it.
const COUNTERS: [&str; 3] = ["retr=", "body_count=", "body_bytes="];

/// Appends `text`'s [`COUNTERS`] to `kept` as they are read from it: each
/// key found, with the digits after its first place, space-separated.
fn push_counters(kept: &mut String, text: &str) {
    for key in COUNTERS {
        if let Some(at) = text.find(key) {
            let value = &text[at + key.len()..];
            let digits = value.find(|c: char| !c.is_ascii_digit());
            kept.push_str(key);
            kept.push_str(&value[..digits.unwrap_or(value.len())]);
            kept.push(' ');
        }
    }
}

impl SessionLines {
    /// Keeps `event`, a session line.
    pub(crate) fn push(&mut self, event: &Event<'_>) {
        let logout = event.action == Some("logout");
        let texts = [
            event.protocol.as_deref(),
            event.session_id.as_deref(),
            event.user_name.as_deref(),
            event.message.as_deref().filter(|_| logout),
            event.reason.as_deref().filter(|_| logout),
            event.email_to.as_deref(),
            event.destination_address.as_deref(),
        ];
        // No longer than the piece, which is under 4 GiB (`stage_one_cut`).
        let start = self.text.len() as u32;
        let (mut ends, mut present) = ([0; 7], 0);
        for (i, text) in texts.into_iter().enumerate() {
            if let Some(text) = text {
                present |= 1 << i;
                if matches!(i, 3 | 4) {
                    push_counters(&mut self.text, text);
                } else {
                    self.text.push_str(text);
                }
            }
            ends[i] = self.text.len() as u32;
        }
        self.lines.push(SessionLine {
            timestamp: event.timestamp,
            line: event.line,
            bytes_out: event.bytes_out,
            source_ip: event.source_ip,
            action: event.action,
            dataset: event.dataset,
            category: event.category,
            outcome: event.outcome,
            start,
            ends,
            present,
        });
    }

    /// The lines as events of the file `path`, in the piece's order.
    fn events<'s>(&'s self, path: &'s str) -> impl Iterator<Item = Event<'s>> {
        self.lines.iter().map(move |l| {
            let text = |i: usize| {
                let start = if i == 0 { l.start } else { l.ends[i - 1] } as usize;
                let end = l.ends[i] as usize;
                (l.present & (1 << i) != 0).then(|| Cow::Borrowed(&self.text[start..end]))
            };
            let mut event = Event::new(l.dataset, path, l.line);
            event.timestamp = l.timestamp;
            event.category = l.category;
            event.action = l.action;
            event.outcome = l.outcome;
            event.protocol = text(0);
            event.session_id = text(1);
            event.user_name = text(2);
            event.source_ip = l.source_ip;
            event.bytes_out = l.bytes_out;
            event.message = text(3);
            event.reason = text(4);
            event.email_to = text(5);
            event.destination_address = text(6);
            event
        })
    }
}

/// Where a file may be cut.
#[derive(Clone, Copy, PartialEq)]
enum Boundary {
    /// Between any two lines ([`Format::line_independent`]).
    Line,
    /// Between two lines whose times differ in their second, and not
    /// between the two lines of a Horde login ([`Pieces::horde_apart`]):
    /// syslog, whose parser's only state across lines is Horde's login
    /// written twice within one second
    /// (`vigie_ingest::parse::horde::LoginEchoes`, which forgets an attempt
    /// as soon as a login of another second comes), so a piece reads as the
    /// whole file does there.
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

/// Bytes of other lines after a Horde login past which its echo is not
/// looked for (when no later Horde login is in the carry to compare with):
/// the two lines come from one request, milliseconds apart.
const HORDE_CLEARANCE: usize = 1 << 20;

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
        let horde = self.horde_logins();
        let mut end = limit;
        while let Some(at) = memchr::memrchr(b'\n', &carry[..end]) {
            if self.may_cut(at, &horde) {
                return Some(at);
            }
            end = at;
        }
        None
    }

    /// The first newline from `from` on after which the carry may be cut
    /// (the line after it must be in the carry far enough to be judged).
    fn first_cut(&self, from: usize) -> Option<usize> {
        let horde = self.horde_logins();
        memchr::memchr_iter(b'\n', &self.carry[from..])
            .map(|i| from + i)
            .take_while(|&at| self.boundary == Boundary::Line || self.carry.len() - at > 32)
            .find(|&at| self.may_cut(at, &horde))
    }

    /// Whether the carry may be cut after its newline at `at` (a next line
    /// that is not whole in the carry yet is judged by what is there);
    /// `horde`: where the carry's Horde login lines start.
    fn may_cut(&self, at: usize, horde: &[usize]) -> bool {
        let carry = &self.carry;
        if self.boundary == Boundary::NewSecond && carry.len() - at <= 32 {
            return false;
        }
        let start = memchr::memrchr(b'\n', &carry[..at]).map_or(0, |i| i + 1);
        self.boundary.allows(&carry[start..at], &carry[at + 1..])
            && (self.boundary == Boundary::Line || self.horde_apart(at, horde))
    }

    /// Where the carry's lines that may be Horde logins start (a line
    /// holding `HORDE` and `LOGIN for` or `Login success for`, the shapes
    /// `vigie_ingest`'s Horde parser reads as logins), in order; empty for
    /// a cut between any lines.
    fn horde_logins(&self) -> Vec<usize> {
        if self.boundary == Boundary::Line {
            return Vec::new();
        }
        let carry = &self.carry;
        let mut starts: Vec<usize> = Vec::new();
        for at in memchr::memmem::find_iter(carry, b"HORDE") {
            let start = memchr::memrchr(b'\n', &carry[..at]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &carry[at..]).map_or(carry.len(), |i| at + i);
            let line = &carry[start..end];
            let login = memchr::memmem::find(line, b"LOGIN for ").is_some()
                || memchr::memmem::find(line, b"Login success for ").is_some();
            if login && starts.last() != Some(&start) {
                starts.push(start);
            }
        }
        starts
    }

    /// Whether a cut after the newline at `at` leaves Horde's pairs whole:
    /// Horde writes one login twice (`[imp]`, `[horde]`) from one request,
    /// the second known as an echo only after the first, within one second
    /// (`horde::LoginEchoes`), and other lines, even of other seconds (a
    /// relay's clock a second behind), may come between the two. So the
    /// last Horde login before the cut and the first after it must be of
    /// different seconds; with none after it in the carry, the cut must
    /// leave [`HORDE_CLEARANCE`] bytes after it. A Horde login before it
    /// in an earlier piece was judged at that piece's end, against the same
    /// first login after.
    fn horde_apart(&self, at: usize, horde: &[usize]) -> bool {
        let after = horde.partition_point(|&start| start <= at);
        let Some(&before) = after.checked_sub(1).and_then(|i| horde.get(i)) else {
            return true;
        };
        match horde.get(after) {
            Some(&next) => second_key(&self.carry[before..]) != second_key(&self.carry[next..]),
            None => self.carry.len() - at > HORDE_CLEARANCE,
        }
    }

    /// `piece` with its first line's number; the next piece's follows it.
    fn numbered(&mut self, piece: Vec<u8>) -> (u64, Vec<u8>) {
        let first = self.line;
        self.line += memchr::memchr_iter(b'\n', &piece).count() as u64;
        (first, piece)
    }
}
