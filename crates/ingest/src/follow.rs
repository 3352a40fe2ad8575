//! Following live logs (`vigie watch`): the lines files gain, as they gain them.
//!
//! A [`Follower`] polls. Each poll it looks at every file again: a file whose
//! path now names another file (logrotate's create mode) is read to its end
//! and replaced by the new one, read from its start; a file shorter than what
//! was read (copytruncate) is read again from its start; a folder's new live
//! files are followed from their start. Rotated and compressed files
//! (`mail.log.1`, `mail.log.2.gz`) are history, not followed. A line is
//! parsed once its newline is written; a line longer than the limit is
//! counted as too long, and its bytes past the limit are not kept. Standard
//! input (`-`, e.g. `journalctl -f -o json`) is read by a thread into a
//! bounded queue, so a poll never waits for it.

mod position;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use vigie_event::isolate::{isolate, test_panic_point};
use vigie_event::{Event, Timestamp};

use crate::source::{Compression, Line, LineReader, is_rotation};
use crate::{IngestOptions, InputReport, LineParser, sniff};

/// Why a FIFO, socket or device is not followed.
const NOT_REGULAR: &str = "not a regular file (a FIFO, socket or device), not followed";

pub use position::{HEAD_BYTES, Position, Recovered, read_before};
use position::{Head, identity, read_remains};

/// Most bytes read from one file in one poll after the first, so one busy
/// file cannot hold back the others' alerts.
const READ_PER_POLL: usize = 8 * 1024 * 1024;

/// Bytes of a file's start that detect its format.
const SNIFF_BYTES: usize = 64 * 1024;

/// Something a poll noticed about a followed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A file is followed from now on (`from_start`: read from its first line).
    Followed {
        /// The file.
        path: PathBuf,
        /// Whether its existing lines are read.
        from_start: bool,
    },
    /// The path names a new file: the old one was read to its end.
    Rotated(PathBuf),
    /// The file shrank: it is read again from its start.
    Truncated(PathBuf),
    /// The file is gone; it is followed again if it comes back.
    Removed(PathBuf),
    /// A file in a followed folder is not followed: compressed, or no line
    /// of its start has the shape of a log.
    Ignored {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: &'static str,
    },
    /// Standard input reached its end (its writer closed it).
    Ended,
    /// After a restart, the file is followed from where it was left.
    Resumed {
        /// The file.
        path: PathBuf,
        /// The byte it is read from.
        offset: u64,
    },
    /// The file was left at a position, then rotated or truncated (while
    /// the watch was stopped, or by copytruncate): the lines written after
    /// that position were read from its rotations.
    Recovered {
        /// The file.
        path: PathBuf,
        /// Where its lines were found, and how many.
        from: Recovered,
    },
    /// The file was left at a position, then rotated or truncated, and no
    /// rotation of it holds the lines written after that position.
    Lost {
        /// The file.
        path: PathBuf,
        /// The byte offset it was left at.
        offset: u64,
    },
    /// Reading failed; the file is tried again at the next poll.
    Failed {
        /// The file.
        path: PathBuf,
        /// The error.
        error: String,
    },
}

/// Files and folders followed for the lines they gain.
pub struct Follower {
    roots: Vec<PathBuf>,
    options: IngestOptions,
    files: BTreeMap<PathBuf, Followed>,
    /// Files of folders that are not followed, so they are reported once.
    ignored: BTreeMap<PathBuf, &'static str>,
    started: bool,
    from_start: bool,
    /// Standard input, when `-` is among the roots.
    stdin: Option<StdinFollow>,
    /// Paths under the roots that are not logs (mail stores), not walked.
    skip: Option<Box<Skip>>,
    /// What every file is read through, allocated once.
    buf: Vec<u8>,
    /// Where the files were left before a restart ([`Follower::resume`]).
    resume: BTreeMap<PathBuf, Position>,
}

/// Why a file is no longer followed after vigie failed on it (a panic,
/// reported as [`Change::Failed`] once).
const FAILED_ON: &str = "vigie failed while reading it";

/// Bytes read from a file at a time.
const READ_BUFFER: usize = 256 * 1024;

/// Says which paths a [`Follower`] leaves out ([`Follower::skipping`]).
type Skip = dyn Fn(&Path) -> bool;

/// Most lines of standard input parsed in one poll, and waiting to be.
const STDIN_LINES_PER_POLL: usize = 65_536;

/// Standard input, split into lines by a thread so a poll never blocks on it.
struct StdinFollow {
    lines: mpsc::Receiver<StdinLine>,
    parser: LineParser,
    sniffing: bool,
}

/// What the reading thread sends.
enum StdinLine {
    /// A line: its bytes (at most `max_line`), number, and whether it was cut.
    Line(Vec<u8>, u64, bool),
    /// The end, or the error that ended it.
    End(Option<String>),
}

impl StdinFollow {
    fn start(options: &IngestOptions) -> StdinFollow {
        let (send, lines) = mpsc::sync_channel(STDIN_LINES_PER_POLL);
        let max_line = options.max_line;
        std::thread::spawn(move || {
            let mut reader = LineReader::new(io::stdin().lock(), max_line);
            let end = loop {
                match reader.next_line() {
                    Ok(Some(line)) => {
                        let sent = StdinLine::Line(line.bytes.to_vec(), line.number, line.too_long);
                        if send.send(sent).is_err() {
                            return;
                        }
                    }
                    Ok(None) => break None,
                    Err(e) => break Some(e.to_string()),
                }
            };
            let _ = send.send(StdinLine::End(end));
        });
        let mut report = InputReport::new("-".to_string());
        report.format = options.format;
        StdinFollow {
            lines,
            parser: LineParser::new(report, options.zone.clone(), now()),
            sniffing: options.format.is_none(),
        }
    }

    /// Parses the lines waiting; tells when the input ended.
    fn poll(&mut self, sink: &mut dyn FnMut(&Event<'_>)) -> Option<Change> {
        let mut waiting = Vec::new();
        let mut ended = None;
        while waiting.len() < STDIN_LINES_PER_POLL {
            match self.lines.try_recv() {
                Ok(StdinLine::Line(bytes, number, too_long)) => {
                    waiting.push((bytes, number, too_long));
                }
                Ok(StdinLine::End(error)) => {
                    ended = Some(match error {
                        Some(error) => Change::Failed {
                            path: PathBuf::from("-"),
                            error,
                        },
                        None => Change::Ended,
                    });
                    break;
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    ended = Some(Change::Ended);
                    break;
                }
            }
        }
        if self.sniffing && !waiting.is_empty() {
            self.sniffing = false;
            let head: Vec<u8> = waiting
                .iter()
                .take(200)
                .flat_map(|(bytes, _, _)| bytes.iter().copied().chain([b'\n']))
                .collect();
            self.parser.report.format = sniff::detect(&head, "-");
        }
        self.parser.set_reference(now());
        for (bytes, number, too_long) in &waiting {
            let line = Line {
                bytes,
                number: *number,
                too_long: *too_long,
            };
            self.parser.line(&line, sink);
        }
        ended
    }
}

/// One followed file.
struct Followed {
    file: File,
    identity: (u64, u64),
    /// The file's first bytes, which tell it from a successor on the same inode.
    head: Head,
    /// Size and modification time at the last poll.
    seen: (u64, Option<std::time::SystemTime>),
    /// Bytes read.
    offset: u64,
    /// Byte offset after the last complete line handed over.
    line_start: u64,
    /// The bytes of the line not finished yet (at most `max_line`).
    pending: Vec<u8>,
    /// Whether that line already passed the limit.
    overlong: bool,
    /// Line number of the last line given out, in the current file.
    number: u64,
    parser: LineParser,
    /// Whether the format still waits for the file's first bytes.
    sniffing: bool,
}

impl Follower {
    /// Follows `roots` (files and folders, `-` for standard input). At the
    /// first poll existing lines are skipped, unless `from_start`; files
    /// that appear later are always read from their start. Standard input
    /// is read from the second poll on, so none of it counts as there at
    /// the start.
    pub fn new(roots: Vec<PathBuf>, options: IngestOptions, from_start: bool) -> Follower {
        let (stdin, roots): (Vec<PathBuf>, Vec<PathBuf>) =
            roots.into_iter().partition(|r| r.as_os_str() == "-");
        Follower {
            stdin: (!stdin.is_empty()).then(|| StdinFollow::start(&options)),
            roots,
            options,
            files: BTreeMap::new(),
            ignored: BTreeMap::new(),
            started: false,
            from_start,
            skip: None,
            buf: vec![0; READ_BUFFER],
            resume: BTreeMap::new(),
        }
    }

    /// Takes up where a former run left the files (its
    /// [`Follower::positions`]): at the first poll, a file still holding
    /// its lines is read from its position; a file rotated or truncated
    /// since has its rotations searched for the lines after the position
    /// (read first), then is read from its start; files with no position
    /// are new and read from their start.
    pub fn resume(mut self, positions: Vec<Position>) -> Follower {
        self.resume = positions.into_iter().map(|p| (p.path.clone(), p)).collect();
        self.from_start = true;
        self
    }

    /// Where each followed file is: the end of its last line handed over.
    pub fn positions(&self) -> Vec<Position> {
        self.files
            .iter()
            .map(|(path, f)| Position {
                path: path.clone(),
                device: f.identity.0,
                inode: f.identity.1,
                head_len: f.head.len,
                head_hash: f.head.hash,
                offset: f.line_start,
                line: f.number,
            })
            .collect()
    }

    /// Each followed file with the bytes read of it and its size now (what
    /// remains is the lag).
    pub fn sizes(&self) -> Vec<(PathBuf, u64, u64)> {
        self.files
            .iter()
            .map(|(path, f)| {
                let size = f.file.metadata().map_or(f.offset, |m| m.len());
                (path.clone(), f.line_start, size)
            })
            .collect()
    }

    /// Leaves out the files and folders `skip` claims when walking a
    /// folder (mail stores beside the logs: a Maildir holds no log, and
    /// walking its messages at every poll would cost more than the logs).
    pub fn skipping(mut self, skip: impl Fn(&Path) -> bool + 'static) -> Follower {
        self.skip = Some(Box::new(skip));
        self
    }

    /// Reads what the files gained since the last poll, giving each event to
    /// `sink`, and returns what changed.
    pub fn poll(&mut self, sink: &mut dyn FnMut(&Event<'_>)) -> Vec<Change> {
        let mut changes = Vec::new();
        let now = now();
        let initial = !self.started;
        self.started = true;
        for path in self.live_files() {
            if self.files.contains_key(&path) || self.ignored.contains_key(&path) {
                continue;
            }
            let from_start = !initial || self.from_start;
            let explicit = self.roots.contains(&path);
            if let Some(position) = self.resume.remove(&path) {
                match self.open_resumed(&path, position, explicit, &mut changes, sink) {
                    Ok(Ok(followed)) => {
                        self.files.insert(path.clone(), followed);
                    }
                    Ok(Err(reason)) => {
                        self.ignored.insert(path.clone(), reason);
                        changes.push(Change::Ignored { path, reason });
                    }
                    Err(e) => changes.push(Change::Failed {
                        path,
                        error: e.to_string(),
                    }),
                }
                continue;
            }
            match self.open(&path, from_start, explicit) {
                Ok(Ok(followed)) => {
                    self.files.insert(path.clone(), followed);
                    changes.push(Change::Followed { path, from_start });
                }
                Ok(Err(reason)) => {
                    self.ignored.insert(path.clone(), reason);
                    changes.push(Change::Ignored { path, reason });
                }
                Err(e) => changes.push(Change::Failed {
                    path,
                    error: e.to_string(),
                }),
            }
        }
        // Files left at a position that are gone: what remains is in rotations.
        for (path, position) in std::mem::take(&mut self.resume) {
            changes.push(self.recover(path, &position, false, sink));
        }
        // What is there at start is read whole: it is one catch-up, and the
        // caller tells it from what comes after by the first poll.
        let budget = if initial { usize::MAX } else { READ_PER_POLL };
        let mut gone = Vec::new();
        for (path, followed) in &mut self.files {
            followed.parser.set_reference(now);
            // A line vigie fails on must not end the watch: the file is
            // named, no longer followed, and the others go on.
            let polled = isolate(|| {
                test_panic_point(vigie_event::path::to_text(path).as_bytes());
                followed.poll(path, &self.options, budget, &mut self.buf, sink)
            });
            match polled {
                Ok(Ok(Some(change))) => {
                    if matches!(change, Change::Removed(_)) {
                        gone.push(path.clone());
                    }
                    changes.push(change);
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => changes.push(Change::Failed {
                    path: path.clone(),
                    error: e.to_string(),
                }),
                Err(panic) => {
                    gone.push(path.clone());
                    self.ignored.insert(path.clone(), FAILED_ON);
                    changes.push(Change::Failed {
                        path: path.clone(),
                        error: format!(
                            "vigie failed while reading it (panic: {panic}); its events up to there were kept, it is no longer followed, the other files are"
                        ),
                    });
                }
            }
        }
        for path in gone {
            self.files.remove(&path);
        }
        if let Some(stdin) = self.stdin.as_mut().filter(|_| !initial)
            && let Some(end) = stdin.poll(sink)
        {
            changes.push(end);
            self.stdin = None;
        }
        changes
    }

    /// The reports of the files followed now: lines read, events, skips.
    pub fn reports(&self) -> impl Iterator<Item = &InputReport> {
        self.files.values().map(|f| &f.parser.report)
    }

    /// Whether anything is still followed: files or folders, or a standard
    /// input not yet at its end.
    pub fn is_following(&self) -> bool {
        !self.roots.is_empty() || self.stdin.is_some()
    }

    /// The files to follow now: each file root, and the live files of each
    /// folder root (not rotations, not compressed).
    fn live_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for root in &self.roots {
            if !root.is_dir() {
                files.push(root.clone());
                continue;
            }
            let skip = |path: &Path| self.skip.as_ref().is_some_and(|skip| skip(path));
            for entry in walkdir::WalkDir::new(root)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !skip(e.path()))
                .flatten()
            {
                let name = entry.file_name().to_string_lossy();
                if entry.file_type().is_file() && !is_rotation(&name) {
                    files.push(entry.into_path());
                }
            }
        }
        files
    }

    /// Opens `path`, left at `position` by a former run: at that position
    /// if it is still the same file holding those lines, else from its
    /// start once what remains of the old file was read from its rotations.
    fn open_resumed(
        &self,
        path: &Path,
        position: Position,
        explicit: bool,
        changes: &mut Vec<Change>,
        sink: &mut dyn FnMut(&Event<'_>),
    ) -> io::Result<Result<Followed, &'static str>> {
        if !std::fs::metadata(path)?.is_file() {
            return Ok(Err(NOT_REGULAR));
        }
        let same = {
            let file = File::open(path)?;
            position.is(&file, &file.metadata()?)?
        };
        if !same {
            changes.push(self.recover(path.to_path_buf(), &position, false, sink));
            let opened = self.open(path, true, explicit)?;
            if opened.is_ok() {
                changes.push(Change::Followed {
                    path: path.to_path_buf(),
                    from_start: true,
                });
            }
            return Ok(opened);
        }
        let mut followed = match self.open(path, true, explicit)? {
            Ok(f) => f,
            Err(reason) => return Ok(Err(reason)),
        };
        followed.seek_to(position.offset, position.line)?;
        changes.push(Change::Resumed {
            path: path.to_path_buf(),
            offset: position.offset,
        });
        Ok(Ok(followed))
    }

    /// Reads what remains of the file `position` was taken in from its
    /// rotations, saying what was found.
    fn recover(
        &self,
        path: PathBuf,
        position: &Position,
        only_old: bool,
        sink: &mut dyn FnMut(&Event<'_>),
    ) -> Change {
        recover(path, position, &self.options, only_old, sink)
    }

    /// Opens `path`; `Ok(Err(reason))` when a folder's file is not a log,
    /// or `path` is no regular file.
    fn open(
        &self,
        path: &Path,
        from_start: bool,
        explicit: bool,
    ) -> io::Result<Result<Followed, &'static str>> {
        // Opening a FIFO blocks until something writes to it: a planted
        // `mkfifo mail.log` would hang the watch past any signal.
        if !std::fs::metadata(path)?.is_file() {
            return Ok(Err(NOT_REGULAR));
        }
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let head = read_head(&mut file)?;
        if Compression::sniff(&head) != Compression::None {
            return Ok(Err("compressed: a rotation, not a live log"));
        }
        let format = match self.options.format {
            Some(f) => Some(f),
            None => sniff::detect(&head, &vigie_event::path::to_text(path)),
        };
        if format.is_none() && !head.is_empty() && !explicit {
            return Ok(Err("no line of its start has the shape of a log"));
        }
        let mut report = InputReport::new(vigie_event::path::to_text(path).into_owned());
        report.format = format;
        let mut followed = Followed {
            identity: identity(&meta),
            head: Head::of_bytes(&head),
            seen: (meta.len(), meta.modified().ok()),
            offset: 0,
            line_start: 0,
            pending: Vec::new(),
            overlong: false,
            number: 0,
            parser: LineParser::new(report, self.options.zone.clone(), now()),
            sniffing: head.is_empty() && self.options.format.is_none(),
            file,
        };
        if !from_start {
            followed.skip_to_last_line_end(meta.len())?;
        }
        Ok(Ok(followed))
    }
}

impl Followed {
    /// Reads what the file gained; reports a rotation, truncation or removal.
    fn poll(
        &mut self,
        path: &Path,
        options: &IngestOptions,
        budget: usize,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&Event<'_>),
    ) -> io::Result<Option<Change>> {
        let max_line = options.max_line;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.read_new(max_line, usize::MAX, buf, sink)?;
                return Ok(Some(Change::Removed(path.to_path_buf())));
            }
            Err(e) => return Err(e),
        };
        if identity(&meta) != self.identity {
            // The old file keeps what was written before the rotation.
            self.read_new(max_line, usize::MAX, buf, sink)?;
            if !meta.is_file() {
                // Replaced by a FIFO or device: not opened (it could block).
                return Ok(Some(Change::Removed(path.to_path_buf())));
            }
            self.file = File::open(path)?;
            self.identity = identity(&self.file.metadata()?);
            self.restart();
            self.read_new(max_line, budget, buf, sink)?;
            return Ok(Some(Change::Rotated(path.to_path_buf())));
        }
        // A file truncated and written again past the old size before this
        // poll (copytruncate of a busy log) is known by its first bytes.
        let seen = (meta.len(), meta.modified().ok());
        let rewritten = seen != self.seen
            && meta.len() >= self.offset
            && self.head.len > 0
            && !self
                .head
                .starts_with_head(&self.file, Head::of(&self.file)?)?;
        self.seen = seen;
        if meta.len() < self.offset || rewritten {
            // copytruncate: the lines written between the last read and the
            // copy are only in the copy.
            let left = self.position(path);
            recover(path.to_path_buf(), &left, options, true, sink);
            self.restart();
            self.file.seek(SeekFrom::Start(0))?;
            self.read_new(max_line, budget, buf, sink)?;
            self.head = Head::of(&self.file)?;
            return Ok(Some(Change::Truncated(path.to_path_buf())));
        }
        if meta.len() > self.offset {
            self.read_new(max_line, budget, buf, sink)?;
        }
        Ok(None)
    }

    /// Where this file is, as a [`Position`] of `path`.
    fn position(&self, path: &Path) -> Position {
        Position {
            path: path.to_path_buf(),
            device: self.identity.0,
            inode: self.identity.1,
            head_len: self.head.len,
            head_hash: self.head.hash,
            offset: self.line_start,
            line: self.number,
        }
    }

    /// Goes to `offset`, the end of line `line`, as a former run left it.
    fn seek_to(&mut self, offset: u64, line: u64) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(offset))?;
        self.offset = offset;
        self.line_start = offset;
        self.number = line;
        Ok(())
    }

    /// Forgets the position: the file is read again from its first line.
    fn restart(&mut self) {
        self.offset = 0;
        self.line_start = 0;
        self.number = 0;
        self.pending.clear();
        self.overlong = false;
    }

    /// Starts after the last complete line of a file `len` bytes long.
    fn skip_to_last_line_end(&mut self, len: u64) -> io::Result<()> {
        let tail = len.min(SNIFF_BYTES as u64);
        self.file.seek(SeekFrom::Start(len - tail))?;
        let mut buf = vec![0; tail as usize];
        self.file.read_exact(&mut buf)?;
        let after_newline = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
        self.offset = len - tail + after_newline as u64;
        self.line_start = self.offset;
        self.file.seek(SeekFrom::Start(self.offset))?;
        Ok(())
    }

    /// Reads up to `budget` new bytes through `buf` and parses the lines
    /// they finish.
    fn read_new(
        &mut self,
        max_line: usize,
        budget: usize,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&Event<'_>),
    ) -> io::Result<()> {
        let mut read = 0;
        while read < budget {
            let want = buf.len().min(budget - read);
            let n = match self.file.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if self.sniffing {
                self.sniffing = false;
                let path = self.parser.report.path.clone();
                self.parser.report.format = sniff::detect(&buf[..n], &path);
            }
            read += n;
            let at = self.offset;
            self.offset += n as u64;
            self.take_lines(&buf[..n], at, max_line, sink);
        }
        if read > 0 && (self.head.len as usize) < HEAD_BYTES {
            self.head = Head::of(&self.file)?;
        }
        Ok(())
    }

    /// Parses the lines `chunk` finishes; keeps its unfinished end.
    /// `at` is the offset of the chunk's first byte.
    fn take_lines(
        &mut self,
        chunk: &[u8],
        at: u64,
        max_line: usize,
        sink: &mut dyn FnMut(&Event<'_>),
    ) {
        let mut rest = chunk;
        while let Some(pos) = memchr::memchr(b'\n', rest) {
            self.line_start = at + (chunk.len() - rest.len() + pos + 1) as u64;
            self.keep(&rest[..pos], max_line);
            self.number += 1;
            let bytes = self.pending.strip_suffix(b"\r").unwrap_or(&self.pending);
            let line = Line {
                bytes,
                number: self.number,
                too_long: self.overlong,
            };
            self.parser.line(&line, sink);
            self.pending.clear();
            self.overlong = false;
            rest = &rest[pos + 1..];
        }
        self.keep(rest, max_line);
    }

    /// Adds bytes to the unfinished line, up to `max_line`.
    fn keep(&mut self, bytes: &[u8], max_line: usize) {
        let room = max_line.saturating_sub(self.pending.len());
        if bytes.len() > room {
            self.overlong = true;
        }
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

/// The instant year-less times of a live file are placed before.
fn now() -> Timestamp {
    crate::timestamp_of(std::time::SystemTime::now())
}

/// Reads what remains of the file `position` was taken in from the
/// rotations of `path`, saying what was found.
fn recover(
    path: PathBuf,
    position: &Position,
    options: &IngestOptions,
    only_old: bool,
    sink: &mut dyn FnMut(&Event<'_>),
) -> Change {
    match read_remains(position, options, only_old, sink) {
        Ok(Some(from)) => Change::Recovered { path, from },
        Ok(None) => Change::Lost {
            path,
            offset: position.offset,
        },
        Err(e) => Change::Failed {
            path,
            error: format!("reading what remains of the rotated file: {e}"),
        },
    }
}

/// The first bytes of a file, which tell its compression and format; the
/// file is left at its start.
fn read_head(file: &mut File) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.by_ref()
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Appends `text` to `path`.
    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// Polls once, returning the (line, user) of each event.
    fn lines(follower: &mut Follower) -> Vec<(u64, Option<String>)> {
        let mut seen = Vec::new();
        follower.poll(&mut |e| seen.push((e.line, e.user_name.as_deref().map(str::to_string))));
        seen
    }

    const LOGIN: &str = "Nov 28 22:39:29 mx dovecot: imap-login: Login: user=<alice@lab.test>, method=PLAIN, rip=127.0.0.66, lip=127.0.0.1, mpid=1, session=<a>\n";
    const OTHER: &str = "Nov 28 22:39:30 mx dovecot: imap-login: Login: user=<bob@lab.test>, method=PLAIN, rip=127.0.0.66, lip=127.0.0.1, mpid=2, session=<b>\n";

    #[test]
    fn existing_lines_are_skipped_then_new_and_partial_lines_come_whole() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, LOGIN);
        let mut follower = Follower::new(vec![log.clone()], IngestOptions::default(), false);
        assert!(lines(&mut follower).is_empty());
        let (head, tail) = OTHER.split_at(40);
        append(&log, head);
        assert!(lines(&mut follower).is_empty(), "half a line is not parsed");
        append(&log, tail);
        // Line numbers count from where following began.
        assert_eq!(lines(&mut follower), [(1, Some("bob@lab.test".into()))]);
    }

    #[test]
    fn a_rotated_file_is_read_to_its_end_and_its_successor_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, LOGIN);
        let mut follower = Follower::new(vec![dir.path().into()], IngestOptions::default(), true);
        assert_eq!(lines(&mut follower).len(), 1);
        append(&log, OTHER);
        std::fs::rename(&log, dir.path().join("mail.log.1")).unwrap();
        append(&log, LOGIN);
        let mut seen = Vec::new();
        let changes = follower.poll(&mut |e| seen.push(e.user_name.as_deref().map(str::to_string)));
        assert_eq!(changes, [Change::Rotated(log.clone())]);
        assert_eq!(
            seen,
            [Some("bob@lab.test".into()), Some("alice@lab.test".into())]
        );
    }

    #[test]
    fn a_truncated_file_is_read_again_from_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, &LOGIN.repeat(3));
        let mut follower = Follower::new(vec![log.clone()], IngestOptions::default(), true);
        assert_eq!(lines(&mut follower).len(), 3);
        std::fs::write(&log, OTHER).unwrap();
        let mut seen = Vec::new();
        let changes = follower.poll(&mut |e| seen.push(e.line));
        assert_eq!(changes, [Change::Truncated(log.clone())]);
        assert_eq!(seen, [1]);
    }

    #[test]
    fn an_overlong_line_is_counted_and_not_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        std::fs::write(&log, "").unwrap();
        let options = IngestOptions {
            max_line: 64,
            ..IngestOptions::default()
        };
        let mut follower = Follower::new(vec![log.clone()], options, false);
        follower.poll(&mut |_| {});
        append(&log, &"x".repeat(100));
        follower.poll(&mut |_| {});
        append(&log, &format!("{}\nshort\n", "y".repeat(100)));
        follower.poll(&mut |_| {});
        let report = follower.reports().next().unwrap();
        assert_eq!(report.lines, 2);
        let too_long = &report.skipped[&crate::SkipReason::LineTooLong];
        assert_eq!(
            (too_long.count, too_long.first_lines.as_slice()),
            (1, &[1][..])
        );
    }

    #[test]
    fn a_folders_compressed_and_non_log_files_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old.gz"), [0x1f, 0x8b, 8, 0]).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "hello\n").unwrap();
        append(&dir.path().join("mail.log.1"), LOGIN);
        let mut follower = Follower::new(vec![dir.path().into()], IngestOptions::default(), true);
        let changes = follower.poll(&mut |_| {});
        let ignored: Vec<_> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Ignored { path, .. } => path.file_name(),
                _ => None,
            })
            .collect();
        assert_eq!(ignored, ["notes.txt", "old.gz"]);
        assert_eq!(follower.reports().count(), 0, "mail.log.1 is a rotation");
    }

    /// Polls once, returning the changes and the (line, user) of each event.
    fn changes_and_lines(follower: &mut Follower) -> (Vec<Change>, Vec<(u64, Option<String>)>) {
        let mut seen = Vec::new();
        let changes =
            follower.poll(&mut |e| seen.push((e.line, e.user_name.as_deref().map(str::to_string))));
        (changes, seen)
    }

    #[test]
    fn a_resumed_follower_reads_from_where_the_last_one_left_off() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, LOGIN);
        let mut first = Follower::new(vec![log.clone()], IngestOptions::default(), true);
        assert_eq!(lines(&mut first).len(), 1);
        // Half a line is not handed over: it is read again, whole.
        append(&log, &OTHER[..30]);
        assert!(lines(&mut first).is_empty());
        let positions = first.positions();
        drop(first);
        append(&log, &OTHER[30..]);
        let mut next =
            Follower::new(vec![log.clone()], IngestOptions::default(), false).resume(positions);
        let (changes, seen) = changes_and_lines(&mut next);
        assert_eq!(seen, [(2, Some("bob@lab.test".into()))]);
        assert!(
            matches!(changes[..], [Change::Resumed { offset, .. }] if offset == LOGIN.len() as u64)
        );
    }

    #[test]
    fn lines_of_a_file_rotated_and_compressed_while_stopped_are_read_from_the_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, LOGIN);
        let mut first = Follower::new(vec![log.clone()], IngestOptions::default(), true);
        lines(&mut first);
        let positions = first.positions();
        drop(first);
        // Written after the stop, then rotated and compressed (no delaycompress).
        append(&log, OTHER);
        let rotated = std::fs::read(&log).unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(dir.path().join("mail.log.1.gz")).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(&rotated).unwrap();
        gz.finish().unwrap();
        std::fs::remove_file(&log).unwrap();
        // (It may take the freed inode: its first line tells it apart.)
        append(&log, &LOGIN.replace("alice", "carol"));
        let mut next =
            Follower::new(vec![log.clone()], IngestOptions::default(), false).resume(positions);
        let (changes, seen) = changes_and_lines(&mut next);
        assert_eq!(
            seen,
            [
                (2, Some("bob@lab.test".into())),
                (1, Some("carol@lab.test".into()))
            ],
            "the rotation's unread line, then the new file from its start"
        );
        assert!(
            matches!(&changes[0], Change::Recovered { from, .. } if from.lines == 1 && from.files[0].ends_with("mail.log.1.gz")),
            "{changes:?}"
        );
    }

    #[test]
    fn a_copytruncate_right_after_unread_lines_reads_them_from_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, LOGIN);
        let mut follower = Follower::new(vec![log.clone()], IngestOptions::default(), true);
        lines(&mut follower);
        append(&log, OTHER);
        std::fs::copy(&log, dir.path().join("mail.log.1")).unwrap();
        // Truncated and written again to the very same size: only the head tells.
        std::fs::write(&log, format!("{OTHER}{LOGIN}")).unwrap();
        let (changes, seen) = changes_and_lines(&mut follower);
        assert_eq!(changes, [Change::Truncated(log.clone())]);
        let users: Vec<_> = seen.into_iter().map(|(_, u)| u.unwrap()).collect();
        assert_eq!(users, ["bob@lab.test", "bob@lab.test", "alice@lab.test"]);
    }

    #[test]
    fn a_reused_inode_with_other_first_bytes_is_not_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, LOGIN);
        let mut first = Follower::new(vec![log.clone()], IngestOptions::default(), true);
        lines(&mut first);
        let positions = first.positions();
        drop(first);
        // Same inode, same size, other content: not the file left.
        std::fs::write(&log, OTHER.replace("bob", "eve").replacen("30", "31", 1)).unwrap();
        assert_eq!(
            std::fs::metadata(&log).unwrap().len(),
            LOGIN.len() as u64 - 2
        );
        let mut next =
            Follower::new(vec![log.clone()], IngestOptions::default(), false).resume(positions);
        let (changes, seen) = changes_and_lines(&mut next);
        assert!(matches!(changes[0], Change::Lost { .. }), "{changes:?}");
        assert_eq!(seen, [(1, Some("eve@lab.test".into()))]);
    }
}
