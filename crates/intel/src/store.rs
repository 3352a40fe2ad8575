//! Imported indicator sets, kept as one JSON file each under the user's data
//! directory (`$XDG_DATA_HOME/vigie/intel`, `~/.local/share/vigie/intel`) or
//! a directory given with `--intel-dir`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::import::ImportReport;
use crate::indicator::Indicator;

/// One imported set.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IndicatorSet {
    /// Its name (the file name, without `.json`).
    pub name: String,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
    /// What each file gave.
    pub files: Vec<ImportReport>,
    /// The indicators.
    pub indicators: Vec<Indicator>,
}

/// The store's directory.
#[derive(Clone, Debug)]
pub struct IntelStore {
    dir: PathBuf,
}

/// A set name safe as a file name: letters, digits, `.`, `_`, `-`.
pub fn set_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() {
        "set".to_string()
    } else {
        name.chars().take(100).collect()
    }
}

impl IntelStore {
    /// The default directory, from `XDG_DATA_HOME` or `HOME`.
    pub fn default_dir() -> Option<PathBuf> {
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))?;
        Some(data.join("vigie").join("intel"))
    }

    /// A store in `dir` (created on the first save).
    pub fn new(dir: PathBuf) -> IntelStore {
        IntelStore { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}.json", set_name(name)))
    }

    /// Saves `set`, replacing a set of the same name; returns whether one was replaced.
    pub fn save(&self, set: &IndicatorSet) -> io::Result<bool> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(&set.name);
        let replaced = path.exists();
        // Written beside, then renamed: a crash never leaves half a set.
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        serde_json::to_writer(io::BufWriter::new(&mut file), set)?;
        file.flush()?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(replaced)
    }

    /// The files of the sets, in name order (none when the store does not exist yet).
    pub fn files(&self) -> io::Result<Vec<PathBuf>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Every set, by name; a set that cannot be read is an error naming its file.
    pub fn sets(&self) -> io::Result<Vec<Result<IndicatorSet, String>>> {
        Ok(self
            .files()?
            .into_iter()
            .map(|path| {
                let file =
                    std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                serde_json::from_reader(io::BufReader::new(file))
                    .map_err(|e| format!("{}: line {}: {e}", path.display(), e.line()))
            })
            .collect())
    }

    /// Removes the set `name`; returns whether it existed.
    pub fn remove(&self, name: &str) -> io::Result<bool> {
        match std::fs::remove_file(self.path(name)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Kind;

    #[test]
    fn sets_are_saved_listed_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = IntelStore::new(dir.path().join("intel"));
        assert!(store.sets().unwrap().is_empty());
        let set = IndicatorSet {
            name: "Lab IOCs/1".into(),
            indicators: vec![Indicator::new(Kind::Ip, "127.0.0.66".into())],
            ..IndicatorSet::default()
        };
        assert!(!store.save(&set).unwrap());
        assert!(store.save(&set).unwrap());
        let sets = store.sets().unwrap();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].as_ref().unwrap().indicators, set.indicators);
        assert!(store.dir().join("lab_iocs_1.json").exists());
        assert!(store.remove("Lab IOCs/1").unwrap());
        assert!(!store.remove("Lab IOCs/1").unwrap());
    }
}
