//! The Debian package database, `/var/lib/dpkg/status` (`deb822` stanzas;
//! format in `dpkg(1)`'s FILES and `deb-control(5)`).
//!
//! Only installed packages count (`Status: install ok installed`, or
//! `half-configured`/`unpacked`: their files are on disk). RPM's database
//! (`/var/lib/rpm/rpmdb.sqlite`, or Berkeley DB before RPM 4.16) holds
//! binary RPM headers inside SQLite/BDB; no small pure-Rust reader exists,
//! so an RPM system is audited by its files only and the report says so.

use std::collections::BTreeMap;

/// The dpkg database path, as the system names it.
pub const DPKG_STATUS: &str = "/var/lib/dpkg/status";

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Binary package name.
    pub name: String,
    /// Its version (Debian syntax).
    pub version: String,
    /// Its source package (the name the security tracker uses).
    pub source: String,
    /// 1-based line of the `Package:` field in the status file.
    pub line: u32,
}

/// Installed packages by name.
pub type Packages = BTreeMap<String, Package>;

/// Reads the status file's text. Stanzas without a name or a version, and
/// packages not installed, are left out.
pub fn parse_status(text: &str) -> Packages {
    let mut out = Packages::new();
    let mut cur = Stanza::default();
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            cur.finish(&mut out);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a multi-line field (Description, Conffiles)
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Package" => {
                cur.name = value.to_string();
                cur.line = line_no;
            }
            "Version" => cur.version = value.to_string(),
            "Status" => {
                cur.installed = value.ends_with(" installed")
                    || value.ends_with(" half-configured")
                    || value.ends_with(" unpacked")
            }
            // `Source: roundcube (1.6.5+dfsg-1)` names the source and, when it
            // differs, its version.
            "Source" => cur.source = value.split_whitespace().next().unwrap_or("").to_string(),
            _ => {}
        }
    }
    cur.finish(&mut out);
    out
}

#[derive(Default)]
struct Stanza {
    name: String,
    version: String,
    source: String,
    installed: bool,
    line: u32,
}

impl Stanza {
    fn finish(&mut self, out: &mut Packages) {
        let s = std::mem::take(self);
        if s.installed && !s.name.is_empty() && !s.version.is_empty() {
            let source = if s.source.is_empty() {
                s.name.clone()
            } else {
                s.source
            };
            out.insert(
                s.name.clone(),
                Package {
                    name: s.name,
                    version: s.version,
                    source,
                    line: s.line,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_installed_stanzas() {
        // Shape of a real status stanza (roundcube-core, `dpkg -s`).
        let text = "Package: roundcube-core\nStatus: install ok installed\nPriority: optional\nVersion: 1.6.5+dfsg-1+deb12u14\nSource: roundcube\nDescription: skinnable AJAX based webmail solution\n for IMAP servers - metapackage\n\nPackage: exim4-base\nStatus: deinstall ok config-files\nVersion: 4.96-15+deb12u11\n\nPackage: postfix\nStatus: install ok installed\nVersion: 3.7.11-0+deb12u1\n";
        let p = super::parse_status(text);
        assert_eq!(p.len(), 2);
        let rc = &p["roundcube-core"];
        assert_eq!(
            (rc.version.as_str(), rc.source.as_str(), rc.line),
            ("1.6.5+dfsg-1+deb12u14", "roundcube", 1)
        );
        assert_eq!(p["postfix"].source, "postfix");
        assert!(!p.contains_key("exim4-base"));
    }
}
