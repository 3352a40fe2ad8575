//! Posture audit of an installed mail stack, read from its own files.
//!
//! [`audit`] takes a folder standing for `/` (the running system, a mounted
//! image, an offline copy) and reads, without running anything: the dpkg
//! database ([`packages`]), Roundcube trees and their PHP configuration
//! ([`roundcube`], [`php_config`]), Dovecot and Pigeonhole ([`dovecot`]),
//! Postfix ([`postfix`]), Exim ([`exim`]), nginx and Apache ([`web`]), PHP's
//! ini files ([`php_ini`]) and fail2ban/CrowdSec ([`protection`]). Versions
//! are judged against `data/vulnerabilities.json` ([`vulns`]) with Debian's
//! version ordering ([`debversion`]); settings against the table of
//! [`checks`]. The result is a [`Report`]: [`Finding`]s sorted by level,
//! each with file and line, plus the components seen and the files that
//! could not be read.
//!
//! ```no_run
//! let report = vigie_audit::audit(std::path::Path::new("/")).unwrap();
//! for f in &report.findings {
//!     println!("{} {} {}:{:?}", f.check_id, f.level.as_str(), f.path, f.line);
//! }
//! ```

pub mod checks;
pub mod debversion;
pub mod dovecot;
pub mod exim;
pub mod finding;
pub mod packages;
pub mod php_config;
pub mod php_ini;
pub mod postfix;
pub mod protection;
pub mod root;
pub mod roundcube;
pub mod vulns;
pub mod web;

use std::path::{Path, PathBuf};

pub use finding::{Finding, Level};
use root::SystemRoot;
use vulns::{Installed, Origin};

/// Why an audit could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The root folder does not exist or is not a folder.
    #[error("{path}: not a folder")]
    NotAFolder {
        /// The folder given.
        path: PathBuf,
    },
    /// Nothing of a mail stack is under the root: no package database, no
    /// Roundcube tree, no configuration of the servers the audit reads (a
    /// mistyped mount point must not pass as a clean system).
    #[error(
        "{path}: nothing to audit: no package database (var/lib/dpkg/status), no Roundcube, and no configuration of Dovecot, Postfix, Exim, nginx or Apache under it"
    )]
    NothingToAudit {
        /// The folder given.
        path: PathBuf,
    },
    /// The compiled-in vulnerability data is malformed (a build defect).
    #[error("vulnerability data: {0}")]
    Data(#[from] serde_json::Error),
}

/// A component whose version the audit read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Component {
    /// Component name (`roundcube`, `dovecot`, …).
    pub name: &'static str,
    /// Version as written.
    pub version: String,
    /// Where it was read (`dpkg` or `upstream`), with the Debian release.
    pub origin: String,
    /// Evidence path.
    pub path: String,
    /// Evidence line.
    pub line: u32,
}

/// What an audit found.
#[derive(Debug)]
pub struct Report {
    /// Findings, highest level first, then by check id, path and line.
    pub findings: Vec<Finding>,
    /// Components and versions seen.
    pub components: Vec<Component>,
    /// Notes on coverage (an RPM database not read, a release unknown).
    pub notes: Vec<String>,
}

impl Report {
    /// Whether any finding is high.
    pub fn has_high(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::High)
    }
}

/// dpkg packages that carry each component's version, first found wins.
const PACKAGE_OF: &[(&str, &[&str])] = &[
    ("roundcube", &["roundcube-core"]),
    ("dovecot", &["dovecot-core"]),
    ("postfix", &["postfix"]),
    (
        "exim",
        &["exim4-daemon-heavy", "exim4-daemon-light", "exim4-base"],
    ),
    (
        "nginx",
        &[
            "nginx-core",
            "nginx-full",
            "nginx-light",
            "nginx-extras",
            "nginx",
            "nginx-common",
        ],
    ),
    ("apache", &["apache2-bin", "apache2"]),
    ("sogo", &["sogo"]),
];

/// Audits the system under `base`.
///
/// # Errors
/// [`Error::NotAFolder`] when `base` is not a folder. Unreadable files are
/// not errors: each becomes a `VAUD000` finding.
pub fn audit(base: &Path) -> Result<Report, Error> {
    if !base.is_dir() {
        return Err(Error::NotAFolder {
            path: base.to_path_buf(),
        });
    }
    let table = vulns::table()?;
    let root = SystemRoot::new(base);
    let mut findings = Vec::new();
    let mut components = Vec::new();
    let mut notes = Vec::new();

    let os_release = os_release(&root);
    let packages = root
        .read(packages::DPKG_STATUS)
        .map(|t| packages::parse_status(&t))
        .unwrap_or_default();
    if root.exists("/var/lib/rpm") {
        notes.push("an RPM database is present (/var/lib/rpm) but is not read: versions of RPM packages are not judged, only Roundcube trees and configuration".into());
    }
    let mut installed: Vec<Installed> = Vec::new();
    for (component, names) in PACKAGE_OF {
        if let Some(p) = names.iter().find_map(|n| packages.get(*n)) {
            let release = vulns::release_of_version(&p.version)
                .map(str::to_string)
                .or_else(|| os_release.clone());
            installed.push(Installed {
                component,
                version: p.version.clone(),
                origin: Origin::Debian { release },
                path: packages::DPKG_STATUS.into(),
                line: p.line,
            });
        }
    }
    // PHP: one row per php<version>-common package.
    for p in packages.values().filter(|p| {
        p.name.starts_with("php")
            && p.name.ends_with("-common")
            && p.name[3..].starts_with(|c: char| c.is_ascii_digit())
    }) {
        let release = vulns::release_of_version(&p.version)
            .map(str::to_string)
            .or_else(|| os_release.clone());
        installed.push(Installed {
            component: "php",
            version: p.version.clone(),
            origin: Origin::Debian { release },
            path: packages::DPKG_STATUS.into(),
            line: p.line,
        });
    }

    let web = web::read(&root);
    let served: Vec<String> = web.served.iter().map(|s| s.dir.clone()).collect();
    let installs = roundcube::find(&root, &served);
    const SERVERS: [&str; 6] = [
        "/etc/dovecot",
        "/etc/postfix",
        "/etc/exim4",
        "/etc/exim",
        "/etc/nginx",
        "/etc/apache2",
    ];
    if packages.is_empty()
        && installs.is_empty()
        && !SERVERS.iter().any(|p| root.exists(p))
        && !root.exists("/etc/httpd")
    {
        return Err(Error::NothingToAudit {
            path: base.to_path_buf(),
        });
    }
    let debian_roundcube = packages.contains_key("roundcube-core");
    for install in &installs {
        if let Some((version, line)) = &install.version {
            // A Debian tree's constant says 1.6.5 for every backported fix:
            // the package version judges it.
            let packaged = debian_roundcube
                && (install.tree == "/usr/share/roundcube"
                    || install.install_path == "/var/lib/roundcube");
            if packaged {
                continue;
            }
            installed.push(Installed {
                component: "roundcube",
                version: version.clone(),
                origin: Origin::Upstream,
                path: format!("{}/program/include/iniset.php", install.tree),
                line: *line,
            });
        }
    }
    for i in &installed {
        components.push(Component {
            name: i.component,
            version: i.version.clone(),
            origin: match &i.origin {
                Origin::Debian { release } => {
                    format!("dpkg ({})", release.as_deref().unwrap_or("release unknown"))
                }
                Origin::Upstream => "upstream tree".into(),
            },
            path: i.path.clone(),
            line: i.line,
        });
        findings.extend(vulns::judge(i, &table));
    }

    let protection = protection::read(&root);
    for install in &installs {
        roundcube::check(install, &mut findings);
    }
    if !installs.is_empty() && protection.webmail.is_none() {
        let install = &installs[0];
        let mut f = match install.get("login_rate_limit") {
            Some(s) if matches!(s.value, php_config::PhpValue::Int(n) if n > 0) => {
                let mut f = Finding::new(
                    &checks::NO_JAIL_WEBMAIL,
                    &s.path,
                    Some(s.line),
                    format!(
                        "no fail2ban/CrowdSec jail for the webmail; Roundcube's own {} applies",
                        s.text
                    ),
                );
                f.level = Level::Low;
                f
            }
            _ => Finding::new(
                &checks::NO_JAIL_WEBMAIL,
                install.config_file.as_deref().unwrap_or(&install.tree),
                None,
                "no fail2ban jail or CrowdSec collection for the webmail, and no Roundcube login_rate_limit",
            ),
        };
        f.version = install.version.as_ref().map(|v| v.0.clone());
        findings.push(f);
    }
    let dovecot = dovecot::read(&root);
    dovecot::check(&dovecot, protection.imap.is_some(), &mut findings);
    postfix::check(&postfix::read(&root), &mut findings);
    if exim::present(&root) {
        exim::check(&root, &mut findings);
    }
    web::check(&root, &web, &installs, &mut findings);
    php_ini::check(&root, &mut findings);

    // A configuration finding names the version of its component when the
    // package database gave one (Pigeonhole ships with Dovecot's packages).
    for f in findings.iter_mut().filter(|f| f.version.is_none()) {
        let name = if f.component == "pigeonhole" {
            "dovecot"
        } else {
            f.component
        };
        f.version = components
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.version.clone());
    }
    for u in root.unreadable() {
        findings.push(Finding::new(&checks::UNREADABLE, &u.path, None, u.reason));
    }
    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.check_id.cmp(b.check_id))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.cve.cmp(&b.cve))
    });
    findings.dedup_by(|a, b| {
        a.check_id == b.check_id
            && a.path == b.path
            && a.line == b.line
            && a.cve == b.cve
            && a.evidence == b.evidence
    });
    if packages.is_empty() && !root.exists(packages::DPKG_STATUS) {
        notes.push("no dpkg database (/var/lib/dpkg/status): package versions not judged".into());
    }
    Ok(Report {
        findings,
        components,
        notes,
    })
}

/// `VERSION_CODENAME` of `/etc/os-release` (Debian), if any.
fn os_release(root: &SystemRoot) -> Option<String> {
    let text = root
        .read("/etc/os-release")
        .or_else(|| root.read("/usr/lib/os-release"))?;
    let is_debian = text.lines().any(|l| l.trim() == "ID=debian");
    if !is_debian {
        return None;
    }
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim_matches('"').to_string())
}
