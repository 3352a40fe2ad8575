//! Installed versions against the exploited vulnerabilities of
//! `data/vulnerabilities.json` (sources and the method in its `about`).
//!
//! A version a distribution installed (`1.6.5+dfsg-1+deb12u5`) is judged by
//! that distribution's fixed version with dpkg's ordering, since Debian
//! backports fixes into old version numbers. An upstream tree (`1.6.5` read
//! from Roundcube's own source) is judged by the upstream fixed release of
//! its branch.

use serde::Deserialize;

use crate::checks::VULNERABLE_VERSION;
use crate::debversion::compare;
use crate::finding::{Finding, Level};

/// The data file, compiled in.
const DATA: &str = include_str!("../data/vulnerabilities.json");

/// One row of the data file.
#[derive(Debug, Clone, Deserialize)]
pub struct Vulnerability {
    /// CVE id.
    pub cve: String,
    /// Component (`roundcube`, `exim`, …).
    pub component: String,
    /// One-line description.
    pub title: String,
    /// First affected upstream release, when the flaw was introduced late.
    #[serde(default)]
    pub affected_from: Option<String>,
    /// First fixed upstream release per branch.
    pub upstream_fixed: Vec<String>,
    /// Debian fixed version per release codename, or `not-affected`.
    pub debian_fixed: std::collections::BTreeMap<String, String>,
    /// Who exploited it, with the source; `None` when not known exploited.
    pub exploited_by: Option<String>,
    /// Whether CISA's KEV catalog lists it (`None`: not checked).
    pub kev: Option<bool>,
    /// Where each fact comes from.
    pub sources: Vec<String>,
}

#[derive(Deserialize)]
struct DataFile {
    vulnerabilities: Vec<Vulnerability>,
}

/// The rows of the data file.
///
/// # Errors
/// Only if the compiled-in file is malformed, which its unit test rules out.
pub fn table() -> Result<Vec<Vulnerability>, serde_json::Error> {
    serde_json::from_str::<DataFile>(DATA).map(|d| d.vulnerabilities)
}

/// Where a version was read, which decides how it is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A distribution package (dpkg status), with the Debian release
    /// codename when known (`bookworm`).
    Debian {
        /// Release codename, from the version (`+deb12u…`) or `/etc/os-release`.
        release: Option<String>,
    },
    /// An upstream tree (the product's own version constant).
    Upstream,
}

/// An installed component version, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Component name as in the data file.
    pub component: &'static str,
    /// The version as written.
    pub version: String,
    /// How to judge it.
    pub origin: Origin,
    /// System path of the evidence (status file, iniset.php).
    pub path: String,
    /// Line of the evidence.
    pub line: u32,
}

/// The Debian release a package version was built for, from the
/// security-update suffix (`+deb12u3`, `~deb11u1`).
pub fn release_of_version(version: &str) -> Option<&'static str> {
    let at = version.rfind("deb")?;
    let digits: String = version[at + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    codename(&digits)
}

/// Debian codename of a major release number.
pub fn codename(major: &str) -> Option<&'static str> {
    Some(match major {
        "10" => "buster",
        "11" => "bullseye",
        "12" => "bookworm",
        "13" => "trixie",
        "14" => "forky",
        _ => return None,
    })
}

/// Judges one installed version against every row of its component.
pub fn judge(installed: &Installed, table: &[Vulnerability]) -> Vec<Finding> {
    let mut out = Vec::new();
    for v in table.iter().filter(|v| v.component == installed.component) {
        let Some((fixed, basis)) = verdict(installed, v) else {
            continue;
        };
        let exploited = v.exploited_by.is_some();
        let mut f = Finding::new(
            &VULNERABLE_VERSION,
            &installed.path,
            Some(installed.line),
            format!("{} {}", installed.component, installed.version),
        )
        .level(if exploited {
            Level::High
        } else {
            Level::Medium
        });
        f.component = installed.component;
        f.version = Some(installed.version.clone());
        f.cve = Some(v.cve.clone());
        f.exploited_by = v.exploited_by.clone();
        f.why = format!(
            "{} ({}): {}. Fixed in {fixed} ({basis}). Sources: {}.",
            v.cve,
            v.title,
            if exploited {
                "exploited in the wild"
            } else {
                "no exploitation known to this data"
            },
            v.sources.join("; ")
        );
        f.fix = format!("Upgrade {} to {fixed} or later.", installed.component);
        out.push(f);
    }
    out
}

/// `Some((fixed version, basis))` when the installed version is affected.
fn verdict(installed: &Installed, v: &Vulnerability) -> Option<(String, String)> {
    if let Origin::Debian {
        release: Some(release),
    } = &installed.origin
        && let Some(fixed) = v.debian_fixed.get(release)
    {
        if fixed == "not-affected" {
            return None;
        }
        return (compare(&installed.version, fixed).is_lt())
            .then(|| (fixed.clone(), format!("Debian {release}'s fixed version")));
    }
    let upstream = match &installed.origin {
        Origin::Debian { .. } => {
            crate::debversion::DebVersion::parse(&installed.version)?.upstream_release()
        }
        Origin::Upstream => installed.version.as_str(),
    };
    let basis = match &installed.origin {
        Origin::Debian { release } => format!(
            "upstream release; no Debian fixed version for {} in the data, so a backported fix would not be seen",
            release.as_deref().unwrap_or("this release")
        ),
        Origin::Upstream => "upstream release of its branch".to_string(),
    };
    upstream_affected(upstream, v).map(|fixed| (fixed, basis))
}

/// The upstream fixed release that `version` lacks, if affected: the fix of
/// its own branch (same major.minor), or, for a branch with no fix listed,
/// the lowest fix above it (an older branch that never got one).
fn upstream_affected(version: &str, v: &Vulnerability) -> Option<String> {
    if let Some(from) = &v.affected_from
        && compare(version, from).is_lt()
    {
        return None;
    }
    let branch = |s: &str| s.split('.').take(2).collect::<Vec<_>>().join(".");
    let mine = branch(version);
    if let Some(fixed) = v.upstream_fixed.iter().find(|f| branch(f) == mine) {
        return compare(version, fixed).is_lt().then(|| fixed.clone());
    }
    v.upstream_fixed
        .iter()
        .filter(|f| compare(version, f).is_lt())
        .min_by(|a, b| compare(a, b))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed(version: &str, origin: Origin) -> Installed {
        Installed {
            component: "roundcube",
            version: version.to_string(),
            origin,
            path: "/x".into(),
            line: 1,
        }
    }

    fn cves(found: &[Finding]) -> Vec<&str> {
        found.iter().filter_map(|f| f.cve.as_deref()).collect()
    }

    #[test]
    fn data_file_loads_and_cites() {
        let t = table().unwrap();
        assert!(t.len() >= 10);
        for v in &t {
            assert!(!v.sources.is_empty(), "{} has no source", v.cve);
            assert!(!v.upstream_fixed.is_empty(), "{}", v.cve);
        }
    }

    #[test]
    fn upstream_165_lacks_the_later_fixes() {
        let t = table().unwrap();
        let found = judge(&installed("1.6.5", Origin::Upstream), &t);
        assert_eq!(
            cves(&found),
            [
                "CVE-2024-37383",
                "CVE-2024-42009",
                "CVE-2024-42008",
                "CVE-2025-49113",
                "CVE-2025-68461"
            ]
        );
        let f = found
            .iter()
            .find(|f| f.cve.as_deref() == Some("CVE-2025-49113"))
            .unwrap();
        assert!(f.why.contains("Fixed in 1.6.11"), "{}", f.why);
        assert!(f.exploited_by.as_deref().unwrap().contains("TA458"));
        assert_eq!(f.level, Level::High);
        // 1.6.12 has every listed fix; 1.4.9 lacks the old ones too.
        assert!(judge(&installed("1.6.12", Origin::Upstream), &t).is_empty());
        assert!(
            cves(&judge(&installed("1.4.9", Origin::Upstream), &t)).contains(&"CVE-2020-35730")
        );
    }

    #[test]
    fn debian_backports_judged_by_debian_versions() {
        let t = table().unwrap();
        let bookworm = || Origin::Debian {
            release: Some("bookworm".into()),
        };
        // deb12u4 has the fixes up to deb12u3 but not CVE-2025-49113 (deb12u5).
        let found = judge(&installed("1.6.5+dfsg-1+deb12u4", bookworm()), &t);
        assert_eq!(cves(&found), ["CVE-2025-49113", "CVE-2025-68461"]);
        assert!(found[0].why.contains("1.6.5+dfsg-1+deb12u5"));
        assert!(found[0].why.contains("Debian bookworm's fixed version"));
        // Upstream 1.6.5 is vulnerable; Debian's deb12u6 is not.
        assert!(judge(&installed("1.6.5+dfsg-1+deb12u6", bookworm()), &t).is_empty());
        assert!(judge(&installed("1.6.5+dfsg-1+deb12u14", bookworm()), &t).is_empty());
        // A release the data does not know falls back to upstream, and says so.
        let other = judge(
            &installed(
                "1.6.5+dfsg-1+deb12u14",
                Origin::Debian {
                    release: Some("forky".into()),
                },
            ),
            &t,
        );
        assert!(!other.is_empty() && other[0].why.contains("backported fix would not be seen"));
    }

    #[test]
    fn bullseye_and_trixie_rows() {
        let t = table().unwrap();
        let rel = |r: &str| Origin::Debian {
            release: Some(r.into()),
        };
        // bullseye deb11u3 has CVE-2024-37383's fix (deb11u3) but not -42008/-42009 (deb11u4);
        // the data has no bullseye row for CVE-2025-49113/-68461, so upstream judges and says so.
        let found = judge(&installed("1.4.15+dfsg.1-1+deb11u3", rel("bullseye")), &t);
        assert_eq!(
            cves(&found),
            [
                "CVE-2024-42009",
                "CVE-2024-42008",
                "CVE-2025-49113",
                "CVE-2025-68461"
            ]
        );
        assert!(found[0].why.contains("1.4.15+dfsg.1-1+deb11u4"));
        assert!(found[2].why.contains("backported fix would not be seen"));
        // trixie shipped 1.6.11: CVE-2025-68461 is fixed in 1.6.12+dfsg-0+deb13u1.
        let found = judge(&installed("1.6.11+dfsg-1", rel("trixie")), &t);
        assert_eq!(cves(&found), ["CVE-2025-68461"]);
    }

    #[test]
    fn release_from_suffix() {
        assert_eq!(
            release_of_version("1.6.5+dfsg-1+deb12u14"),
            Some("bookworm")
        );
        assert_eq!(release_of_version("8.2.36-1~deb12u1"), Some("bookworm"));
        assert_eq!(
            release_of_version("1.4.15+dfsg.1-1+deb11u4"),
            Some("bullseye")
        );
        assert_eq!(release_of_version("3.7.11-0"), None);
    }
}
