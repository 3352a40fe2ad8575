//! Mail for `vigie watch`: messages delivered into the Maildirs under the
//! watched folders, and the Sieve scripts written beside them, read as they
//! come. The exploit mail of a RoundPress-style intrusion arrives before
//! anything else happens: it is analysed the moment it lands.
//!
//! Each poll looks at the times of every Maildir's `new/` and `cur/` and
//! lists only those that changed; a message is known by the base of its
//! file name, which stays when Dovecot moves it from `new/` to `cur/`. The
//! folders are walked for new Maildirs and scripts every
//! [`DISCOVER_EVERY`], never into `cur/`, `new/` or `tmp/`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use vigie_event::Finding;
use vigie_intel::matcher::{IntelHits, IntelIndex};
use vigie_mail::scan::{Rules, analyze_message};
use vigie_mail::store::{is_maildir, mailbox_name, read_location, split_maildir_name};
use vigie_mail::{Location, MessageReport, Unread};

use crate::mail::{
    load_rules, match_message, match_script, message_finding, read_script, redirect_findings,
    user_folder,
};

/// How often the folders are walked for Maildirs and scripts that appeared.
const DISCOVER_EVERY: Duration = Duration::from_secs(10);

/// The mail stores under the watched folders, and what is known of them.
pub struct MailWatch {
    roots: Vec<PathBuf>,
    rules: Option<Rules>,
    maildirs: BTreeMap<PathBuf, Known>,
    /// Each Sieve script and its last change when it was last read.
    scripts: BTreeMap<PathBuf, Option<SystemTime>>,
    /// Each user folder's owner, from the Delivered-To of its messages.
    owners: HashMap<PathBuf, String>,
    last_discovery: Option<Instant>,
}

/// What is known of one Maildir.
#[derive(Default)]
struct Known {
    /// Its messages, by the base of their file names.
    messages: HashSet<String>,
    /// The times of `new/` and `cur/` when they were last listed.
    listed: [Option<SystemTime>; 2],
}

/// What one look at the mail stores found.
#[derive(Default)]
pub struct MailPoll {
    /// Findings of the messages and scripts that are new.
    pub findings: Vec<Finding>,
    /// Messages and scripts that could not be read.
    pub unread: Vec<Unread>,
    /// Messages analysed.
    pub messages: u64,
}

impl MailWatch {
    /// Watches the mail stores under `roots` with the shipped YARA rules and
    /// those of `yara`; also returns the rule files that did not compile.
    pub fn new(roots: &[PathBuf], yara: &[PathBuf]) -> (MailWatch, Vec<String>) {
        let (rules, errors) = load_rules(yara);
        let watch = MailWatch {
            roots: roots.to_vec(),
            rules,
            maildirs: BTreeMap::new(),
            scripts: BTreeMap::new(),
            owners: HashMap::new(),
            last_discovery: None,
        };
        (watch, errors)
    }

    /// Whether `path` belongs to a mail store: a Maildir, a Sieve script,
    /// Dovecot's state beside them. The log follower leaves them alone.
    pub fn is_mail(path: &Path) -> bool {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        is_maildir(path)
            || name.ends_with(".sieve")
            || name.ends_with(".svbin")
            || name == ".dovecot.lda-dupes"
    }

    /// Looks at the stores. With `baseline`, what is there is only
    /// recorded (the state at start); otherwise each message and script
    /// that is new or changed is analysed and its findings returned.
    pub fn poll(&mut self, intel: &IntelIndex, baseline: bool) -> MailPoll {
        let mut out = MailPoll::default();
        if self
            .last_discovery
            .is_none_or(|t| t.elapsed() >= DISCOVER_EVERY)
        {
            self.discover(baseline);
        }
        let hits = Mutex::new(IntelHits::default());
        let maildirs: Vec<PathBuf> = self.maildirs.keys().cloned().collect();
        for maildir in maildirs {
            for new in self.arrivals(&maildir) {
                if baseline {
                    continue;
                }
                match read_location(new).and_then(|raw| analyze_message(&raw, self.rules.as_ref()))
                {
                    Ok(report) => {
                        out.messages += 1;
                        self.learn_owner(&report);
                        if !intel.is_empty() {
                            match_message(intel, &report, &hits);
                        }
                        out.findings.extend(message_finding(&report));
                    }
                    Err(unread) => out.unread.push(unread),
                }
            }
        }
        let mut hits = hits.into_inner().unwrap_or_else(|e| e.into_inner());
        let scripts: Vec<PathBuf> = self.scripts.keys().cloned().collect();
        for path in scripts {
            let changed = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
            if self.scripts.insert(path.clone(), changed) == Some(changed) || baseline {
                continue;
            }
            self.learn_owner_of(&path);
            match read_script(&path, &self.owners) {
                Ok(script) => {
                    match_script(intel, &script, &mut hits);
                    out.findings.extend(redirect_findings(&script));
                }
                Err(reason) => out.unread.push(Unread {
                    location: Location {
                        path: vigie_event::path::to_text(&path).into_owned(),
                        ..Location::default()
                    },
                    reason,
                }),
            }
        }
        out.findings.extend(hits.into_findings(intel));
        out
    }

    /// Walks the roots for Maildirs and Sieve scripts not known yet.
    fn discover(&mut self, baseline: bool) {
        self.last_discovery = Some(Instant::now());
        for root in &self.roots {
            let mut walk = walkdir::WalkDir::new(root).follow_links(false).into_iter();
            while let Some(Ok(entry)) = walk.next() {
                let path = entry.path();
                if entry.file_type().is_dir() {
                    if is_maildir(path) {
                        self.maildirs.entry(path.to_path_buf()).or_default();
                    }
                    let name = entry.file_name();
                    if (name == "cur" || name == "new" || name == "tmp")
                        && path.parent().is_some_and(is_maildir)
                    {
                        walk.skip_current_dir();
                    }
                } else if entry.file_type().is_file()
                    && path.extension().is_some_and(|e| e == "sieve")
                    && !self.scripts.contains_key(path)
                {
                    // A script there at start is the baseline; one that
                    // appears later is read.
                    let known = baseline
                        .then(|| std::fs::metadata(path).and_then(|m| m.modified()).ok())
                        .flatten();
                    self.scripts.insert(path.to_path_buf(), known);
                }
            }
        }
    }

    /// The messages of `maildir` not known yet, from the subfolders whose
    /// time changed since they were last listed.
    fn arrivals(&mut self, maildir: &Path) -> Vec<Location> {
        let Some(known) = self.maildirs.get_mut(maildir) else {
            return Vec::new();
        };
        let mut new = Vec::new();
        for (i, sub) in ["new", "cur"].into_iter().enumerate() {
            let dir = maildir.join(sub);
            let time = std::fs::metadata(&dir).and_then(|m| m.modified()).ok();
            if time.is_none() || known.listed[i] == time {
                continue;
            }
            known.listed[i] = time;
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
            files.sort();
            for file in files {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let (base, flags) = split_maildir_name(&name);
                if known.messages.insert(base) {
                    new.push(Location {
                        path: vigie_event::path::to_text(&file).into_owned(),
                        line: 1,
                        mailbox: Some(mailbox_name(maildir)),
                        uid: None,
                        flags,
                    });
                }
            }
        }
        new
    }

    /// Records the owner of the user folder a message was delivered to.
    fn learn_owner(&mut self, report: &MessageReport) {
        if let (Some(folder), Some(owner)) = (
            user_folder(&vigie_event::path::from_text(&report.location.path)),
            report.delivered_to.as_deref(),
        ) {
            self.owners
                .entry(folder)
                .or_insert_with(|| owner.to_ascii_lowercase());
        }
    }

    /// Learns the owner of a script's user folder from one of its messages,
    /// when no delivery taught it yet.
    fn learn_owner_of(&mut self, script: &Path) {
        let Some(folder) = user_folder(script) else {
            return;
        };
        if self.owners.contains_key(&folder) {
            return;
        }
        let messages = ["cur", "new"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(folder.join("Maildir").join(sub)).ok())
            .flat_map(|entries| entries.filter_map(|e| Some(e.ok()?.path())));
        for file in messages {
            let location = Location {
                path: vigie_event::path::to_text(&file).into_owned(),
                line: 1,
                ..Location::default()
            };
            if let Ok(report) = read_location(location).and_then(|raw| analyze_message(&raw, None))
                && report.delivered_to.is_some()
            {
                self.learn_owner(&report);
                return;
            }
        }
    }
}
