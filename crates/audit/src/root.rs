//! Reading files of an installed system mounted or copied under a folder.
//!
//! Paths are the system's own (`/etc/dovecot/dovecot.conf`); they are
//! resolved under the audited root, and so are symbolic links: an absolute
//! link target (`/etc/roundcube`, as Debian's `/var/lib/roundcube/config`)
//! means the root's `/etc/roundcube`, never the auditing machine's. A file
//! that exists but cannot be read is remembered with the reason, and the audit
//! goes on.

use std::cell::{Cell, RefCell};
use std::path::{Component, Path, PathBuf};

/// Largest configuration file read (bytes); a larger one is named unreadable.
const MAX_FILE: u64 = 8 << 20;
/// Files read by one audit at most: includes that repeat a file fan out
/// exponentially (three `!include` lines of a file including itself), and a
/// hostile configuration must not stall the audit.
const MAX_READS: usize = 4096;
/// Symbolic links followed while resolving one path.
const MAX_LINKS: usize = 40;

/// A file that exists but could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The system path (as the audited system sees it).
    pub path: String,
    /// Why it could not be read.
    pub reason: String,
}

/// The audited system: a folder standing for `/`.
#[derive(Debug)]
pub struct SystemRoot {
    base: PathBuf,
    unreadable: RefCell<Vec<Unreadable>>,
    /// The files being read, each including the next (see [`SystemRoot::enter`]).
    including: RefCell<Vec<String>>,
    /// Files read so far, bounded by [`MAX_READS`].
    reads: Cell<usize>,
}

/// A configuration file being read with what it includes; dropping it ends
/// that (see [`SystemRoot::enter`]).
pub struct Including<'a> {
    root: &'a SystemRoot,
}

impl Drop for Including<'_> {
    fn drop(&mut self) {
        self.root.including.borrow_mut().pop();
    }
}

impl SystemRoot {
    /// A root at `base` (`/` for the running system).
    pub fn new(base: &Path) -> Self {
        Self {
            base: base.to_path_buf(),
            unreadable: RefCell::new(Vec::new()),
            including: RefCell::new(Vec::new()),
            reads: Cell::new(0),
        }
    }

    /// The folder standing for `/`.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Resolves a system path to a host path under the root, following
    /// symbolic links inside the root. Returns the resolved system path too.
    /// `None` when a link loops or climbs too often.
    pub fn resolve(&self, system_path: &str) -> Option<(String, PathBuf)> {
        let mut parts: Vec<String> = Vec::new();
        let mut pending: Vec<String> = components(system_path).into_iter().rev().collect();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                parts.pop();
                continue;
            }
            parts.push(part);
            let host = self.host_path(&parts);
            let Ok(meta) = std::fs::symlink_metadata(&host) else {
                continue; // missing: the rest cannot be links either
            };
            if !meta.file_type().is_symlink() {
                continue;
            }
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let Ok(target) = std::fs::read_link(&host) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            parts.pop();
            if target.starts_with('/') {
                parts.clear();
            }
            pending.extend(components(&target).into_iter().rev());
        }
        let system = format!("/{}", parts.join("/"));
        Some((system, self.host_path(&parts)))
    }

    fn host_path(&self, parts: &[String]) -> PathBuf {
        let mut p = self.base.clone();
        p.extend(parts);
        p
    }

    /// Whether the system path exists (after links).
    pub fn exists(&self, system_path: &str) -> bool {
        self.resolve(system_path).is_some_and(|(_, h)| h.exists())
    }

    /// Whether the system path is a folder (after links).
    pub fn is_dir(&self, system_path: &str) -> bool {
        self.resolve(system_path).is_some_and(|(_, h)| h.is_dir())
    }

    /// Reads a text file. `None` when it does not exist; when it exists but
    /// cannot be read (permissions, too large, a folder) it is remembered in
    /// [`SystemRoot::unreadable`] and `None` is returned. Invalid UTF-8 is
    /// replaced, not refused (configuration comments in Latin-1 are common).
    pub fn read(&self, system_path: &str) -> Option<String> {
        let (_, host) = self.resolve(system_path)?;
        let meta = match std::fs::metadata(&host) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.note(system_path, e.to_string());
                return None;
            }
        };
        if meta.is_dir() {
            return None;
        }
        if meta.len() > MAX_FILE {
            self.note(system_path, format!("larger than {MAX_FILE} bytes"));
            return None;
        }
        match std::fs::read(&host) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => {
                self.note(system_path, e.to_string());
                None
            }
        }
    }

    /// The system path after links (`/etc/nginx/sites-enabled/default` →
    /// `/etc/nginx/sites-available/default`): evidence names the file to edit.
    pub fn real_path(&self, system_path: &str) -> String {
        self.resolve(system_path)
            .map_or_else(|| system_path.to_string(), |(p, _)| p)
    }

    /// Starts reading `system_path` as a configuration file that may include
    /// others, until the guard is dropped. `None`, with a note, when the file
    /// is already being read further up the include chain (it includes
    /// itself, directly or through others), or when the audit has read
    /// [`MAX_READS`] files: what it includes is then not read again.
    pub fn enter(&self, system_path: &str) -> Option<Including<'_>> {
        let real = self.real_path(system_path);
        let reads = self.reads.get() + 1;
        self.reads.set(reads);
        if reads == MAX_READS + 1 {
            self.note(
                system_path,
                format!("more than {MAX_READS} configuration files read: includes repeat or loop; no more are read"),
            );
        }
        if reads > MAX_READS {
            return None;
        }
        let mut including = self.including.borrow_mut();
        if including.contains(&real) {
            let chain = including.join(" → ");
            drop(including);
            self.note(
                system_path,
                format!("includes itself ({chain} → {real}): not read again"),
            );
            return None;
        }
        including.push(real);
        Some(Including { root: self })
    }

    /// Names a file that exists but could not be used.
    pub fn note(&self, system_path: &str, reason: String) {
        self.unreadable.borrow_mut().push(Unreadable {
            path: system_path.to_string(),
            reason,
        });
    }

    /// System paths matching a glob pattern (`*`, `?`, `[...]`) in the file
    /// name part only, sorted; the folder part is resolved through links.
    pub fn glob(&self, pattern: &str) -> Vec<String> {
        let (dir, name) = match pattern.rsplit_once('/') {
            Some((d, n)) => (if d.is_empty() { "/" } else { d }, n),
            None => ("/", pattern),
        };
        if !name.contains(['*', '?', '[']) {
            return if self.exists(pattern) {
                vec![pattern.to_string()]
            } else {
                Vec::new()
            };
        }
        let Ok(matcher) = glob::Pattern::new(name) else {
            return Vec::new();
        };
        let mut out: Vec<String> = self
            .list(dir)
            .into_iter()
            .filter(|n| !n.starts_with('.') && matcher.matches(n))
            .map(|n| format!("{}/{n}", dir.trim_end_matches('/')))
            .collect();
        out.sort();
        out
    }

    /// File names in a system folder, sorted; empty when absent. A folder
    /// that cannot be listed is remembered.
    pub fn list(&self, system_dir: &str) -> Vec<String> {
        let Some((_, host)) = self.resolve(system_dir) else {
            return Vec::new();
        };
        match std::fs::read_dir(&host) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Vec::new(),
            Err(e) => {
                self.note(system_dir, e.to_string());
                Vec::new()
            }
        }
    }

    /// The files that could not be read, in the order met.
    pub fn unreadable(&self) -> Vec<Unreadable> {
        self.unreadable.borrow().clone()
    }
}

/// Whether a list of listening addresses (`127.0.0.1, ::1`, `localhost`,
/// `loopback-only`) names only loopback addresses.
pub fn loopback_only(list: &str) -> bool {
    let mut any = false;
    for a in list.split([',', ' ', '\t']).filter(|a| !a.is_empty()) {
        let a = a.trim_matches(['[', ']']);
        if !(a.starts_with("127.") || a == "::1" || a == "localhost" || a == "loopback-only") {
            return false;
        }
        any = true;
    }
    any
}

/// Joins a path found in a configuration file to the folder of the file
/// that named it, when relative.
pub fn join(dir_of: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        let dir = dir_of.rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{path}")
    }
}

fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("etc/roundcube")).unwrap();
        std::fs::write(base.join("etc/roundcube/config.inc.php"), "<?php\n").unwrap();
        std::fs::create_dir_all(base.join("var/lib/roundcube")).unwrap();
        std::os::unix::fs::symlink("/etc/roundcube", base.join("var/lib/roundcube/config"))
            .unwrap();
        std::os::unix::fs::symlink("../../../etc/passwd", base.join("var/lib/roundcube/up"))
            .unwrap();
        let root = SystemRoot::new(base);
        let (system, host) = root
            .resolve("/var/lib/roundcube/config/config.inc.php")
            .unwrap();
        assert_eq!(system, "/etc/roundcube/config.inc.php");
        assert!(host.starts_with(base));
        assert_eq!(
            root.read("/var/lib/roundcube/config/config.inc.php")
                .as_deref(),
            Some("<?php\n")
        );
        // `..` never climbs above the root.
        let (system, host) = root
            .resolve("/var/lib/roundcube/up/../../../../etc")
            .unwrap();
        assert_eq!(system, "/etc");
        assert!(host.starts_with(base));
    }

    #[test]
    fn link_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("/a", dir.path().join("b")).unwrap();
        let root = SystemRoot::new(dir.path());
        assert!(root.resolve("/a/x").is_none());
        assert!(root.read("/a/x").is_none());
    }
}
