//! Where a followed file was left, and finding what remains of it after a
//! rotation or a copytruncate: the lines written after that point, in the
//! live file or in a rotation of it (`mail.log.1`, `mail.log.1.gz`).

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use vigie_event::Event;

use super::SNIFF_BYTES;
use crate::source::{Input, Line, LineReader, is_rotation, open_input};
use crate::{IngestOptions, InputReport, LineParser, sniff};

/// Bytes of a file's start whose hash tells it from another file that
/// took its inode (a reused inode is not the old file).
pub const HEAD_BYTES: usize = 4096;

/// Where a followed file was left: which file it was and the end of its
/// last line whose events were handed over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The followed path (`/var/log/mail.log`).
    pub path: PathBuf,
    /// Device of the file then at that path.
    pub device: u64,
    /// Its inode.
    pub inode: u64,
    /// How many of its first bytes `head_hash` covers (at most [`HEAD_BYTES`]).
    pub head_len: u32,
    /// FNV-1a 64 of those bytes.
    pub head_hash: u64,
    /// Byte offset just after the last complete line handed over.
    pub offset: u64,
    /// Number of that line, counted from where following began.
    pub line: u64,
}

/// A file's head: how many bytes and their hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) len: u32,
    pub(crate) hash: u64,
}

impl Head {
    /// Reads the first [`HEAD_BYTES`] of `file` without moving its cursor.
    pub(crate) fn of(file: &File) -> io::Result<Head> {
        let mut buf = [0; HEAD_BYTES];
        let mut len = 0;
        while len < HEAD_BYTES {
            match file.read_at(&mut buf[len..], len as u64) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Head::of_bytes(&buf[..len]))
    }

    /// The head of bytes already read.
    pub(crate) fn of_bytes(bytes: &[u8]) -> Head {
        let bytes = &bytes[..bytes.len().min(HEAD_BYTES)];
        Head {
            len: bytes.len() as u32,
            hash: fnv1a(bytes),
        }
    }

    /// Whether `bytes` (a file's start) begins with this head.
    pub(crate) fn starts(&self, bytes: &[u8]) -> bool {
        let len = self.len as usize;
        bytes.len() >= len && fnv1a(&bytes[..len]) == self.hash
    }
}

/// FNV-1a, 64 bits: stable across builds, unlike the standard hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Device and inode: what tells a rotated file from its successor.
pub(crate) fn identity(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

impl Position {
    /// Whether `file` (with `meta`) is the file this position was taken in,
    /// still holding at least the lines read.
    pub(crate) fn is(&self, file: &File, meta: &Metadata) -> io::Result<bool> {
        if identity(meta) != (self.device, self.inode) || meta.len() < self.offset {
            return Ok(false);
        }
        let head = Head::of(file)?;
        Ok(head.len >= self.head_len && self.head().starts_with_head(file, head)?)
    }

    fn head(&self) -> Head {
        Head {
            len: self.head_len,
            hash: self.head_hash,
        }
    }
}

impl Head {
    /// Whether `file`, whose head is `current`, begins with `self`.
    pub(crate) fn starts_with_head(&self, file: &File, current: Head) -> io::Result<bool> {
        if current.len <= self.len {
            return Ok(current == *self);
        }
        let mut buf = vec![0; self.len as usize];
        file.read_exact_at(&mut buf, 0)?;
        Ok(self.starts(&buf))
    }
}

/// What was read of a followed file's remains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// The files read, in order: the old file's rotation first, then
    /// files rotated after it.
    pub files: Vec<PathBuf>,
    /// Lines read from them.
    pub lines: u64,
}

/// Finds where the file `position` was taken in went (a rotation of its
/// path: same inode, or same first bytes once compressed or copied) and
/// reads it from the position on; then reads whole the rotations of the
/// same log modified after it (`mail.log` rotated twice), oldest first,
/// unless `only_old`. `None` when no rotation is the old file.
pub(crate) fn read_remains(
    position: &Position,
    options: &IngestOptions,
    only_old: bool,
    sink: &mut dyn FnMut(&Event<'_>),
) -> io::Result<Option<Recovered>> {
    let rotations = rotations_of(&position.path)?;
    let Some((old, modified)) = find_old(position, &rotations) else {
        return Ok(None);
    };
    let mut recovered = Recovered {
        files: vec![old.clone()],
        lines: read_from(&old, position.offset, None, position.line, options, sink)?,
    };
    if !only_old {
        let mut later: Vec<(SystemTime, PathBuf)> = rotations
            .into_iter()
            .filter(|(path, _)| *path != old)
            .filter_map(|(path, meta)| Some((meta.modified().ok()?, path)))
            .filter(|(at, _)| modified.is_some_and(|m| *at > m))
            .collect();
        later.sort();
        for (_, path) in later {
            recovered.lines += read_from(&path, 0, None, 0, options, sink)?;
            recovered.files.push(path);
        }
    }
    Ok(Some(recovered))
}

/// The rotations of the log at `path` in its folder (`mail.log.1`,
/// `mail.log.2.gz`, `mail.log-20261201`), with their metadata.
fn rotations_of(path: &Path) -> io::Result<Vec<(PathBuf, Metadata)>> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(Vec::new());
    };
    let name = name.to_string_lossy();
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let other = entry.file_name().to_string_lossy().into_owned();
        let rotated = other
            .strip_prefix(&*name)
            .is_some_and(|rest| rest.starts_with(['.', '-']))
            && is_rotation(&other);
        if rotated
            && let Ok(meta) = entry.metadata()
            && meta.is_file()
        {
            found.push((entry.path(), meta));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Whether the (decompressed) start of `path` is the head `position` saw.
fn starts_like(path: &Path, position: &Position) -> bool {
    // A damaged rotation is not the old file.
    decompressed_head(path, position.head_len as usize)
        .is_ok_and(|head| position.head().starts(&head))
}

/// The first `len` bytes of `path`, decompressed.
fn decompressed_head(path: &Path, len: usize) -> io::Result<Vec<u8>> {
    let expansion = crate::source::Expansion {
        max_bytes: len as u64 + 1,
        max_ratio: 0,
    };
    let opened = open_input(&Input::File(path.to_path_buf()), expansion)
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut head = Vec::with_capacity(len);
    opened.reader.take(len as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Reads again the lines of the file `position` was taken in up to the
/// position (where it is now: its path, or a rotation of it), numbered
/// from 1: what a watch saw before a restart, for the histories the
/// analytics compare with. Returns how many lines were read; 0 when the
/// file is nowhere to be found.
pub fn read_before(
    position: &Position,
    options: &IngestOptions,
    sink: &mut dyn FnMut(&Event<'_>),
) -> io::Result<u64> {
    let same = match File::open(&position.path) {
        Ok(file) => position.is(&file, &file.metadata()?)?,
        Err(_) => false,
    };
    let path = if same {
        position.path.clone()
    } else {
        match find_old(position, &rotations_of(&position.path)?) {
            Some((path, _)) => path,
            None => return Ok(0),
        }
    };
    read_from(&path, 0, Some(position.offset), 0, options, sink)
}

/// Of `rotations`, the file `position` was taken in: the same inode
/// holding at least its lines, else a file starting with its first bytes
/// (compressed or copied).
fn find_old(
    position: &Position,
    rotations: &[(PathBuf, Metadata)],
) -> Option<(PathBuf, Option<SystemTime>)> {
    let mut old = None;
    for (path, meta) in rotations {
        let same_inode = identity(meta) == (position.device, position.inode);
        if same_inode && meta.len() >= position.offset {
            return Some((path.clone(), meta.modified().ok()));
        }
        if old.is_none() && starts_like(path, position) {
            old = Some((path.clone(), meta.modified().ok()));
        }
    }
    old
}

/// Parses the lines of `path` (decompressed) from byte `offset` to `end`
/// (or its end), numbering them after `line`; returns how many were read.
fn read_from(
    path: &Path,
    offset: u64,
    end: Option<u64>,
    line: u64,
    options: &IngestOptions,
    sink: &mut dyn FnMut(&Event<'_>),
) -> io::Result<u64> {
    let opened = open_input(&Input::File(path.to_path_buf()), options.expansion)
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut reader = opened.reader;
    io::copy(&mut reader.by_ref().take(offset), &mut io::sink())?;
    let reader = reader.take(end.map_or(u64::MAX, |end| end.saturating_sub(offset)));
    let mut lines = LineReader::new(reader, options.max_line);
    let name = path.display().to_string();
    let mut report = InputReport::new(name.clone());
    report.format = options.format.or_else(|| {
        let head = decompressed_head(path, SNIFF_BYTES).ok()?;
        sniff::detect(&head, &name)
    });
    let reference = opened
        .modified
        .map(crate::timestamp_of)
        .unwrap_or_else(|| crate::timestamp_of(SystemTime::now()));
    let mut parser = LineParser::new(report, options.zone.clone(), reference);
    let mut read = 0;
    while let Some(l) = lines.next_line()? {
        read += 1;
        let numbered = Line {
            bytes: l.bytes,
            number: line + l.number,
            too_long: l.too_long,
        };
        parser.line(&numbered, sink);
    }
    Ok(read)
}
