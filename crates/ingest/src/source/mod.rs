//! Where lines come from: files, folders (recursive), glob patterns and
//! standard input, decompressed by content, grouped into rotated sets.

mod decompress;
mod lines;
mod rotate;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

pub use decompress::{Compression, Limited};
pub use lines::{Line, LineReader, line_end};
pub use rotate::{group_rotations, is_rotation};

use crate::Error;

/// One input: a file or standard input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Standard input (`-` on the command line).
    Stdin,
}

impl Input {
    /// The name shown in `log.file.path` and in reports (`-` for stdin).
    pub fn display_name(&self) -> String {
        match self {
            // Lossless: a file name that is not UTF-8 can be opened again.
            Input::File(p) => vigie_event::path::to_text(p).into_owned(),
            Input::Stdin => "-".to_string(),
        }
    }
}

/// Expands command-line arguments into rotated sets of inputs (each read in
/// order, oldest first), and the arguments that named nothing readable.
///
/// A folder is walked recursively. A symbolic link in it to a file is read
/// (the file under the link's name); a link to a folder is not followed, so a
/// link loop cannot trap the walk, and is named as [`Error::Skipped`], as are
/// a link that leads nowhere and a FIFO, socket or device, in a folder or
/// named on the command line (an intruder's `mkfifo mail.log.1` would block
/// the run for good), but for the shell's process substitution
/// (`/dev/fd/N`). An argument that does not exist but contains `*`, `?` or
/// `[` is taken as a glob pattern, and what it matches as if named: files,
/// and folders walked. A file named twice under two names (`logs` and
/// `./logs/`, a relative and an absolute path, a link and its target) is read
/// once, under the name it was first reached by.
pub fn expand_inputs<P: AsRef<Path>>(args: &[P]) -> (Vec<Vec<Input>>, Vec<Error>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut stdin = false;
    for arg in args {
        let arg = arg.as_ref();
        if arg == Path::new("-") {
            stdin = true;
        } else if arg.exists() {
            add_named(arg, &mut files, &mut errors);
        } else if arg.to_string_lossy().contains(['*', '?', '[']) {
            match glob::glob(&arg.to_string_lossy()) {
                Ok(paths) => {
                    let mut matched = false;
                    for p in paths.flatten() {
                        matched = true;
                        add_named(&p, &mut files, &mut errors);
                    }
                    if !matched {
                        errors.push(Error::NoMatch {
                            pattern: arg.to_path_buf(),
                        });
                    }
                }
                Err(e) => errors.push(Error::BadGlob {
                    pattern: arg.to_path_buf(),
                    message: e.to_string(),
                }),
            }
        } else {
            errors.push(Error::Open {
                path: arg.to_path_buf(),
                source: io::Error::new(io::ErrorKind::NotFound, "no such file or folder"),
            });
        }
    }
    // The first name given wins, as it does for the mail stores.
    read_once(&mut files);
    files.sort();
    let mut sets: Vec<Vec<Input>> = group_rotations(files)
        .into_iter()
        .map(|set| set.into_iter().map(Input::File).collect())
        .collect();
    if stdin {
        sets.push(vec![Input::Stdin]);
    }
    (sets, errors)
}

/// The arguments with each glob pattern (an argument that does not exist but
/// contains `*`, `?` or `[`, as [`expand_inputs`] takes it) replaced by what
/// it matches, files and folders; the others as given. For a reader of the
/// same arguments that takes no pattern (the mail store search).
pub fn expand_patterns<P: AsRef<Path>>(args: &[P]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for arg in args {
        let arg = arg.as_ref();
        let pattern = !arg.exists() && arg.to_string_lossy().contains(['*', '?', '[']);
        match glob::glob(&arg.to_string_lossy()) {
            Ok(paths) if pattern => out.extend(paths.flatten()),
            _ => out.push(arg.to_path_buf()),
        }
    }
    out
}

/// Why a FIFO, socket or device is not read.
const NOT_REGULAR: &str = "not a regular file (a FIFO, socket or device), not read";

/// Adds what `path` (named, or matched by a pattern) holds: a file, or a
/// folder's files.
fn add_named(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Error>) {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => walk(path, files, errors),
        Ok(meta) if meta.is_file() || is_process_substitution(path) => {
            files.push(path.to_path_buf());
        }
        Ok(_) => errors.push(Error::Skipped {
            path: path.to_path_buf(),
            message: format!("{NOT_REGULAR} (a stream is read from standard input, -)"),
        }),
        Err(source) => errors.push(Error::Open {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Whether `path` is the shell's process substitution (`<(zcat x.gz)`):
/// a pipe the user made, read as a file.
fn is_process_substitution(path: &Path) -> bool {
    path.starts_with("/dev/fd") || path.starts_with("/proc/self/fd")
}

/// Adds the files of folder `dir`, recursively.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Error>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
            // The root itself may be a link the user named: followed.
            Ok(e) if e.depth() > 0 && e.path_is_symlink() => match std::fs::metadata(e.path()) {
                Ok(target) if target.is_file() => files.push(e.into_path()),
                Ok(target) => errors.push(Error::Skipped {
                    path: e.into_path(),
                    message: if target.is_dir() {
                        "a link to a folder, not followed (name the folder to read it)".to_string()
                    } else {
                        "a link to something that is not a file".to_string()
                    },
                }),
                Err(err) => errors.push(Error::Skipped {
                    path: e.into_path(),
                    message: format!("a link that cannot be followed: {err}"),
                }),
            },
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) => errors.push(Error::Skipped {
                path: e.into_path(),
                message: NOT_REGULAR.to_string(),
            }),
            Err(e) => errors.push(Error::Walk {
                path: dir.to_path_buf(),
                message: e.to_string(),
            }),
        }
    }
}

/// Keeps the first name of each file: read twice under two names, its
/// every line, count and finding would double.
fn read_once(files: &mut Vec<PathBuf>) {
    let mut seen = std::collections::HashSet::new();
    files.retain(|path| file_id(path).is_none_or(|id| seen.insert(id)));
}

/// What makes a file itself, whatever its name: device and inode.
#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

/// What makes a file itself, whatever its name: its canonical path.
#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// An opened input: the decompressed byte stream and what is known of it.
pub struct Opened {
    /// The decompressed bytes.
    pub reader: Box<dyn Read + Send>,
    /// The compression found by content.
    pub compression: Compression,
    /// Last modification time, the context for year-less timestamps.
    pub modified: Option<std::time::SystemTime>,
}

/// How far a compressed input may expand: at most `max_bytes`, and at most
/// `max_ratio` times the compressed file's size (never below
/// [`RATIO_FLOOR`]; 0 turns the ratio off). Mail logs compress about 5 to 30
/// times (gzip to xz); a file of zeros, about a thousand: the ratio stops a
/// small bomb long before the byte bound would.
#[derive(Clone, Copy, Debug)]
pub struct Expansion {
    /// Most bytes of output.
    pub max_bytes: u64,
    /// Most output bytes per compressed byte, 0 for no such bound.
    pub max_ratio: u64,
}

/// The output a compressed file may always reach whatever its ratio: a small
/// rotated log compresses better than a large one.
pub const RATIO_FLOOR: u64 = 256 * 1024 * 1024;

impl Expansion {
    /// The bound for a compressed input of `compressed` bytes (unknown for
    /// standard input), and which flag sets it.
    pub(crate) fn limit(self, compressed: Option<u64>) -> (u64, &'static str) {
        let by_ratio = match compressed {
            Some(size) if self.max_ratio > 0 => {
                size.saturating_mul(self.max_ratio).max(RATIO_FLOOR)
            }
            _ => u64::MAX,
        };
        if by_ratio < self.max_bytes {
            (by_ratio, "--max-ratio")
        } else {
            (self.max_bytes, "--max-decompressed")
        }
    }
}

/// Opens an input and wraps it in its decompressor, bounded by `expansion`
/// when compressed.
pub fn open_input(input: &Input, expansion: Expansion) -> Result<Opened, Error> {
    let (raw, modified, size): (Box<dyn Read + Send>, _, _) = match input {
        Input::File(path) => {
            let file = File::open(path).map_err(|source| Error::Open {
                path: path.clone(),
                source,
            })?;
            let metadata = file.metadata().ok();
            let modified = metadata.as_ref().and_then(|m| m.modified().ok());
            let size = metadata.filter(|m| m.is_file()).map(|m| m.len());
            (Box::new(file), modified, size)
        }
        Input::Stdin => (Box::new(io::stdin()), None, None),
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let head = io::BufRead::fill_buf(&mut buffered).map_err(|source| Error::Open {
        path: PathBuf::from(input.display_name()),
        source,
    })?;
    let compression = Compression::sniff(head);
    let decoder = compression
        .decoder(buffered)
        .map_err(|source| Error::Open {
            path: PathBuf::from(input.display_name()),
            source,
        })?;
    let reader: Box<dyn Read + Send> = if compression == Compression::None {
        decoder
    } else {
        let (limit, flag) = expansion.limit(size);
        Box::new(Limited::new(decoder, limit, flag))
    };
    Ok(Opened {
        reader,
        compression,
        modified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Expansion = Expansion {
        max_bytes: 64 << 30,
        max_ratio: 100,
    };

    #[test]
    fn a_small_bomb_is_bounded_by_its_ratio_never_below_the_floor() {
        // 21 MB of gzip that would expand to 5 GB: stopped at 2.1 GB.
        assert_eq!(
            DEFAULT.limit(Some(21_000_000)),
            (2_100_000_000, "--max-ratio")
        );
        // A tiny file may still reach the floor.
        assert_eq!(DEFAULT.limit(Some(1_000)), (RATIO_FLOOR, "--max-ratio"));
        // Standard input has no size: only the byte bound holds.
        assert_eq!(DEFAULT.limit(None), (64 << 30, "--max-decompressed"));
        // A large file meets the byte bound first; a ratio of 0 is no bound.
        assert_eq!(
            DEFAULT.limit(Some(1 << 30)),
            (64 << 30, "--max-decompressed")
        );
        let off = Expansion {
            max_ratio: 0,
            ..DEFAULT
        };
        assert_eq!(off.limit(Some(1_000)), (64 << 30, "--max-decompressed"));
    }
}
