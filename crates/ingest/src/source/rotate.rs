//! Rotated sets: `mail.log.2.gz`, `mail.log.1`, `mail.log` (or
//! `maillog-20261127`, `maillog`) are one log, read oldest first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Groups files that are rotations of one log, each group ordered oldest
/// first; groups come back in path order.
pub fn group_rotations(files: Vec<PathBuf>) -> Vec<Vec<PathBuf>> {
    let mut sets: BTreeMap<(PathBuf, String), Vec<(RotationAge, PathBuf)>> = BTreeMap::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (base, age) = rotation_of(&name);
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        sets.entry((dir, base)).or_default().push((age, file));
    }
    sets.into_values()
        .map(|mut set| {
            set.sort();
            set.into_iter().map(|(_, path)| path).collect()
        })
        .collect()
}

/// Whether a file name is a rotation of a log (`mail.log.1`,
/// `maillog-20261127`, `mail.log.2.gz`), not the live file.
pub fn is_rotation(name: &str) -> bool {
    rotation_of(name).1 != RotationAge::Current
}

/// How old a rotation is: smaller sorts first, so older files have smaller ages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RotationAge {
    /// `.N`: larger N is older.
    Numbered(std::cmp::Reverse<u32>),
    /// `-YYYYMMDD` (or `.YYYYMMDD`): earlier dates are older.
    Dated(u32),
    /// The live file.
    Current,
}

/// Splits a file name into the log's base name and its rotation age.
fn rotation_of(name: &str) -> (String, RotationAge) {
    let mut stem = name;
    for ext in [".gz", ".zst", ".xz", ".bz2"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    if let Some((base, suffix)) = stem.rsplit_once(['.', '-'])
        && !base.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_digit())
        && !suffix.is_empty()
    {
        if suffix.len() == 8 {
            if let Ok(date) = suffix.parse() {
                return (base.to_string(), RotationAge::Dated(date));
            }
        } else if suffix.len() <= 4
            && stem.as_bytes()[base.len()] == b'.'
            && let Ok(n) = suffix.parse()
        {
            return (
                base.to_string(),
                RotationAge::Numbered(std::cmp::Reverse(n)),
            );
        }
    }
    (stem.to_string(), RotationAge::Current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_numbered_and_dated_rotations_oldest_first() {
        let files = [
            "d/mail.log",
            "d/mail.log.1",
            "d/mail.log.10.gz",
            "d/mail.log.2.gz",
            "d/other.log",
            "d/maillog-20261127.xz",
            "d/maillog",
            "d/maillog-20261120",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let sets = group_rotations(files);
        let names: Vec<Vec<String>> = sets
            .iter()
            .map(|s| {
                s.iter()
                    .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                    .collect()
            })
            .collect();
        assert_eq!(
            names,
            vec![
                vec!["mail.log.10.gz", "mail.log.2.gz", "mail.log.1", "mail.log"],
                vec!["maillog-20261120", "maillog-20261127.xz", "maillog"],
                vec!["other.log"],
            ]
        );
    }
}
