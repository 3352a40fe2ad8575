//! Roundcube's installer rule, held to Roundcube: a request to
//! `<root>/installer/` is Roundcube's installer only where the same log shows
//! Roundcube under `<root>/` (requests with `_task=`). A blog's
//! `/installer/` page, or another application's, raises nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vigie_event::{Event, Finding};

/// The rule's id (`rules/sigma/roundcube/roundcube_installer_access.yml`).
pub const RULE_ID: &str = "43495c24-37f4-457b-aadc-a6e55a9b0b11";

/// What stage one learns for the check: the Roundcube roots seen per log
/// file, and the installer path of each line the rule matched.
#[derive(Default, Serialize, Deserialize)]
pub struct InstallerGuard {
    /// Per file, the roots (`/`, `/mail/`) Roundcube requests were seen under.
    roots: HashMap<Arc<str>, HashSet<Box<str>>>,
    /// (file, line) → the root the installer request is under.
    hits: HashMap<(Arc<str>, u64), Box<str>>,
}

/// The part of a path before its last `/`, with the `/`.
fn root_of(path: &str) -> &str {
    path.rfind('/').map_or("/", |at| &path[..=at])
}

impl InstallerGuard {
    /// Records what `event` tells; `installer` says whether the rule matched it.
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>, installer: bool) {
        let Some(url) = event.url_path.as_deref() else {
            return;
        };
        if event.roundcube_task.is_some() {
            let root = root_of(url);
            let roots = match self.roots.get_mut(&**path) {
                Some(roots) => roots,
                None => self.roots.entry(Arc::clone(path)).or_default(),
            };
            if !roots.contains(root) {
                roots.insert(root.into());
            }
        }
        if installer && let Some(at) = url.find("/installer/") {
            self.hits
                .insert((Arc::clone(path), event.line), url[..=at].into());
        }
    }

    /// Adds another worker's.
    pub fn merge(&mut self, other: InstallerGuard) {
        for (file, roots) in other.roots {
            self.roots.entry(file).or_default().extend(roots);
        }
        self.hits.extend(other.hits);
    }

    /// Keeps, of the installer findings, the lines under a Roundcube root
    /// of their file, and drops a finding left with none.
    pub fn retain(&self, findings: &mut Vec<Finding>) {
        findings.retain_mut(|f| {
            if f.rule_id != RULE_ID {
                return true;
            }
            let before = f.evidence.len();
            f.evidence.retain(|e| {
                let key = (Arc::<str>::from(e.path.as_str()), e.line);
                let roots = self.roots.get(e.path.as_str());
                self.hits
                    .get(&key)
                    .is_some_and(|root| roots.is_some_and(|r| r.contains(root)))
            });
            let dropped = (before - f.evidence.len()) as u64;
            f.count = f.count.saturating_sub(dropped).max(f.evidence.len() as u64);
            !f.evidence.is_empty()
        });
    }
}
