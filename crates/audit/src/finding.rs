//! What the audit reports: one [`Finding`] per weakness, with its evidence.

use serde::Serialize;

use crate::checks::Check;

/// How much a finding opens the door, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Context worth knowing (a file the audit could not read).
    Info,
    /// Hardening that slows an intruder or keeps evidence.
    Low,
    /// A weakness an intruder uses once inside or with stolen passwords.
    Medium,
    /// Exploited vulnerability or a setting that gives access directly.
    High,
}

impl Level {
    /// The lowercase name (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// One weakness, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable check id (`VAUD101`); see [`crate::checks::CHECKS`].
    pub check_id: &'static str,
    /// Short title of the check.
    pub title: &'static str,
    /// Level of this finding (a check may raise or lower its default).
    pub level: Level,
    /// The component (`roundcube`, `dovecot`, `postfix`, `exim`, `nginx`,
    /// `apache`, `php`, `pigeonhole`, `brute-force`, `audit`).
    pub component: &'static str,
    /// Installed version, where the finding is about one.
    pub version: Option<String>,
    /// The CVE, for a vulnerable version.
    pub cve: Option<String>,
    /// Who exploited it in the wild, with the source; `None` when not known
    /// to be exploited.
    pub exploited_by: Option<String>,
    /// The system path of the evidence (as the audited system names it).
    pub path: String,
    /// 1-based line of the evidence; `None` when the weakness is an absence
    /// (a setting left at its default, a file missing).
    pub line: Option<u32>,
    /// What was read there (the setting as written, or the version).
    pub evidence: String,
    /// Why it matters: the intrusion step it enables.
    pub why: String,
    /// ATT&CK technique ids of that step.
    pub attack: &'static [&'static str],
    /// How to fix it.
    pub fix: String,
}

impl Finding {
    /// A finding of `check` at `path:line`, its texts from the check table.
    pub fn new(
        check: &'static Check,
        path: &str,
        line: Option<u32>,
        evidence: impl Into<String>,
    ) -> Self {
        Self {
            check_id: check.id,
            title: check.title,
            level: check.level,
            component: check.component,
            version: None,
            cve: None,
            exploited_by: None,
            path: path.to_string(),
            line,
            evidence: evidence.into(),
            why: check.why.to_string(),
            attack: check.attack,
            fix: check.fix.to_string(),
        }
    }

    /// The same finding at another level.
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}
