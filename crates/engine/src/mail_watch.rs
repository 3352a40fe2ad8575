//! Mail for `vigie watch`: messages delivered into the Maildirs under the
//! watched folders, and the Sieve scripts written beside them, read as they
//! come. The exploit mail of a RoundPress-style intrusion arrives before
//! anything else happens: it is analysed the moment it lands.
//!
//! Each poll looks at the times of every Maildir's `new/` and `cur/` and
//! lists only those that changed; a message is known by the base of its
//! file name, which stays when Dovecot moves it from `new/` to `cur/`. The
//! folders are walked for new Maildirs and scripts every
//! `DISCOVER_EVERY` (10 s), never into `cur/`, `new/` or `tmp/`.
//!
//! A webmail request that displays a message (`_action=show` with its
//! `_mbox` and `_uid`, and the other webmails' own identifiers) is tied to
//! the message as `vigie scan` ties it (`VC001`): the UID is looked up in
//! the Maildir's `dovecot-uidlist`, read again when it names a UID not
//! seen yet (Dovecot gives one when a client first lists the message); a
//! message there before the watch started is analysed then.
//!
//! What is known of the stores is carried over a restart
//! ([`SavedMail`]): the messages delivered while the watch was stopped are
//! analysed when it starts again.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use vigie_detect::analytics::LoginHistory;
use vigie_event::{Dataset, Event, Finding, Outcome};
use vigie_intel::matcher::{IntelHits, IntelIndex};
use vigie_mail::scan::{Rules, analyze_message};
use vigie_mail::store::{
    is_maildir, mailbox_name, read_location, read_uidlist, split_maildir_name,
};
use vigie_mail::{Level, Location, MessageReport, Unread};

use crate::mail::{
    LoginSeen, displayed, load_rules, match_message, match_script, message_finding,
    normalize_mailbox, opened_now, read_script, redirect_findings, user_folder,
};

/// What a watch of mail stores carries over a restart (`mail.json`).
#[derive(Serialize, Deserialize, Default)]
pub struct SavedMail {
    /// Each Maildir's messages, by the base of their file names.
    pub maildirs: BTreeMap<PathBuf, Vec<String>>,
    /// Each Sieve script and its last change when it was last read.
    pub scripts: BTreeMap<PathBuf, Option<SystemTime>>,
    /// The opens linked (`VC001`): Maildir, message, address.
    pub linked: Vec<(PathBuf, String, IpAddr)>,
}

/// How often the folders are walked for Maildirs and scripts that appeared.
const DISCOVER_EVERY: Duration = Duration::from_secs(10);

/// Reports of messages of level high or above kept to link their opens;
/// past it, such a message is analysed again when it is opened.
const HIGH_KEPT: usize = 1_000;

/// Addresses whose last webmail logins are remembered (to name the
/// session of an open); past it, the oldest half is forgotten.
const LOGIN_ADDRESSES_KEPT: usize = 50_000;

/// Logins remembered per address.
const LOGINS_PER_ADDRESS: usize = 8;

/// Opens of a message by an address already linked, so each is raised once;
/// past it, the memory starts again (the quiet period still holds).
const LINKED_KEPT: usize = 100_000;

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
    /// Messages of level high or above whose reports are kept.
    high: usize,
    /// The last webmail logins of each address, newest last.
    logins: HashMap<IpAddr, Vec<LoginSeen>>,
    /// The messages (Maildir, base of the file name) each address opened
    /// that were linked (`VC001`).
    linked: HashSet<(PathBuf, String, IpAddr)>,
    /// Messages and scripts read while linking an open, not yet told.
    unread: Vec<Unread>,
    /// Whether a former run's state was taken up.
    resumed: bool,
    /// Whether what [`MailWatch::saved`] returns changed since it was last taken.
    changed: bool,
}

/// What is known of one Maildir.
#[derive(Default)]
struct Known {
    /// Its messages, by the base of their file names.
    messages: HashMap<String, Seen>,
    /// The times of `new/` and `cur/` when they were last listed.
    listed: [Option<SystemTime>; 2],
    /// The base of each message by IMAP UID, from `dovecot-uidlist`.
    uids: HashMap<u32, String>,
    /// The time and size of `dovecot-uidlist` when it was last read.
    uidlist: Option<(SystemTime, u64)>,
}

/// What is known of one message.
enum Seen {
    /// Not analysed by this run: there at start, or analysed by a former run.
    Listed,
    /// Analysed, below high: an open of it is not linked.
    Below,
    /// Analysed, high or above: an open of it is linked.
    High(Box<MessageReport>),
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
            high: 0,
            logins: HashMap::new(),
            linked: HashSet::new(),
            unread: Vec::new(),
            resumed: false,
            changed: false,
        };
        (watch, errors)
    }

    /// Takes up what a former run knew: its messages are not analysed
    /// again, and those delivered since are.
    pub fn resume(&mut self, saved: SavedMail) {
        self.resumed = true;
        for (maildir, bases) in saved.maildirs {
            let known = self.maildirs.entry(maildir).or_default();
            known
                .messages
                .extend(bases.into_iter().map(|b| (b, Seen::Listed)));
        }
        self.scripts.extend(saved.scripts);
        self.linked.extend(saved.linked);
    }

    /// Whether a former run's state was taken up.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// What to carry over a restart, when it changed since last asked.
    pub fn saved(&mut self) -> Option<SavedMail> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        Some(SavedMail {
            maildirs: self
                .maildirs
                .iter()
                .map(|(dir, known)| {
                    let mut bases: Vec<String> = known.messages.keys().cloned().collect();
                    bases.sort_unstable();
                    (dir.clone(), bases)
                })
                .collect(),
            scripts: self.scripts.clone(),
            linked: self.linked.iter().cloned().collect(),
        })
    }

    /// Whether `path` belongs to a mail store: a Maildir, a Sieve script,
    /// Dovecot's state beside them. The log follower leaves them alone.
    pub fn is_mail(path: &Path) -> bool {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        is_maildir(path)
            || name.ends_with(".sieve")
            || name.ends_with(".svbin")
            || name == ".dovecot.lda-dupes"
            // Dovecot's own files beside a Maildir (one copied without its
            // empty `cur/` is not known as a Maildir).
            || name.starts_with("dovecot-uid")
            || name.starts_with("dovecot.index")
            || name.starts_with("dovecot.list.index")
            || name == "dovecot.mailbox.log"
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
        out.unread.append(&mut self.unread);
        let hits = Mutex::new(IntelHits::default());
        let maildirs: Vec<PathBuf> = self.maildirs.keys().cloned().collect();
        for maildir in maildirs {
            for (base, new) in self.arrivals(&maildir) {
                if baseline {
                    continue;
                }
                match self.analyse(&maildir, &base, new) {
                    Ok(report) => {
                        out.messages += 1;
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
            if self.scripts.insert(path.clone(), changed) == Some(changed) {
                continue;
            }
            self.changed = true;
            if baseline {
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
                    if is_maildir(path) && !self.maildirs.contains_key(path) {
                        self.maildirs.insert(path.to_path_buf(), Known::default());
                        self.changed = true;
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
                    self.changed = true;
                }
            }
        }
    }

    /// The messages of `maildir` not known yet (the base of the file name,
    /// and where it is), from the subfolders whose time changed since they
    /// were last listed; they are known from then on.
    fn arrivals(&mut self, maildir: &Path) -> Vec<(String, Location)> {
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
                if known.messages.contains_key(&base) {
                    continue;
                }
                known.messages.insert(base.clone(), Seen::Listed);
                self.changed = true;
                new.push((
                    base,
                    Location {
                        path: vigie_event::path::to_text(&file).into_owned(),
                        line: 1,
                        mailbox: Some(mailbox_name(maildir)),
                        uid: None,
                        flags,
                    },
                ));
            }
        }
        new
    }

    /// Analyses the message `base` of `maildir` at `location`, and records
    /// what it is (a report of level high or above is kept, to link its opens).
    fn analyse(
        &mut self,
        maildir: &Path,
        base: &str,
        location: Location,
    ) -> Result<MessageReport, Unread> {
        let report =
            read_location(location).and_then(|raw| analyze_message(&raw, self.rules.as_ref()))?;
        self.learn_owner(&report);
        let seen = if report.level < Some(Level::High) {
            Seen::Below
        } else if self.high < HIGH_KEPT {
            self.high += 1;
            Seen::High(Box::new(report.clone()))
        } else {
            Seen::Listed
        };
        if let Some(known) = self.maildirs.get_mut(maildir) {
            known.messages.insert(base.to_string(), seen);
        }
        Ok(report)
    }

    /// Follows `event`, read from `path`: a webmail login is remembered
    /// (it names the session of later opens); with `link`, a request that
    /// displayed a message of level high or above, by an address that had
    /// not opened it yet, adds its finding (`VC001`) to `found`. `logins`
    /// tell which account an address logs in to; `earlier` are the alerts
    /// so far.
    pub fn on_event(
        &mut self,
        event: &Event<'_>,
        (path, logins, earlier): (&Arc<str>, &LoginHistory, &VecDeque<Finding>),
        link: bool,
        found: &mut Vec<Finding>,
    ) {
        if event.dataset == Dataset::RoundcubeUserlogins {
            self.remember_login(event);
            return;
        }
        if !link {
            return;
        }
        let Some((mailbox, uid, source)) = displayed(event) else {
            return;
        };
        let Ok(uid) = uid.parse::<u32>() else {
            return;
        };
        if self.last_discovery.is_none() {
            // The lines there at start with --from-start come before the first look.
            self.discover(false);
        }
        let maildirs: Vec<PathBuf> = self
            .maildirs
            .keys()
            .filter(|dir| normalize_mailbox(&mailbox_name(dir)) == mailbox)
            .cloned()
            .collect();
        for maildir in maildirs {
            let Some(base) = self.base_of(&maildir, uid) else {
                continue;
            };
            let key = (maildir, base, source);
            if self.linked.contains(&key) {
                continue;
            }
            let Some(report) = self.report_of(&key.0, &key.1, uid) else {
                continue;
            };
            // Only what came after the open can join its chain.
            let later: Vec<Finding> = earlier
                .iter()
                .filter(|f| f.first_seen >= event.timestamp)
                .cloned()
                .collect();
            let account = logins.only_account_of(source);
            let seen = self.logins.get(&source).map_or(&[][..], Vec::as_slice);
            let Some(finding) = opened_now(&report, event, path, account, seen, &later) else {
                continue;
            };
            if self.linked.len() >= LINKED_KEPT {
                self.linked.clear();
            }
            self.linked.insert(key);
            self.changed = true;
            found.push(finding);
        }
    }

    /// Remembers a successful webmail login (account, time, session).
    fn remember_login(&mut self, event: &Event<'_>) {
        let (Some(Outcome::Success), Some(user), Some(source), Some(session)) = (
            event.outcome,
            event.user_name.as_deref(),
            event.source_ip,
            event.session_id.as_deref(),
        ) else {
            return;
        };
        if self.logins.len() >= LOGIN_ADDRESSES_KEPT && !self.logins.contains_key(&source) {
            // The addresses whose last login is the oldest go first.
            let mut times: Vec<_> = self
                .logins
                .values()
                .filter_map(|l| l.last().map(|l| l.timestamp))
                .collect();
            times.sort_unstable();
            let median = times[times.len() / 2];
            self.logins
                .retain(|_, l| l.last().is_some_and(|l| l.timestamp > median));
        }
        let seen = self.logins.entry(source).or_default();
        if seen.len() == LOGINS_PER_ADDRESS {
            seen.remove(0);
        }
        seen.push(LoginSeen {
            user: user.to_string(),
            timestamp: event.timestamp,
            session: session.to_string(),
        });
    }

    /// The base of the file name of the message `uid` of `maildir`, from
    /// its `dovecot-uidlist`, read again when it changed since last read.
    fn base_of(&mut self, maildir: &Path, uid: u32) -> Option<String> {
        let known = self.maildirs.get_mut(maildir)?;
        if let Some(base) = known.uids.get(&uid) {
            return Some(base.clone());
        }
        let list = std::fs::metadata(maildir.join("dovecot-uidlist")).ok()?;
        let version = (list.modified().ok()?, list.len());
        if known.uidlist == Some(version) {
            // A UID the list does not name: nothing to read again.
            return None;
        }
        known.uidlist = Some(version);
        known.uids = read_uidlist(maildir)
            .into_iter()
            .map(|(base, uid)| (uid, base))
            .collect();
        known.uids.get(&uid).cloned()
    }

    /// The report of the message `base` of `maildir` when it is of level
    /// high or above, analysing it when this run has not; `uid` is its IMAP UID.
    fn report_of(&mut self, maildir: &Path, base: &str, uid: u32) -> Option<MessageReport> {
        let mut report = match self.maildirs.get(maildir)?.messages.get(base) {
            Some(Seen::Below) => return None,
            Some(Seen::High(report)) => (**report).clone(),
            Some(Seen::Listed) | None => {
                let location = find_message(maildir, base)?;
                // Delivered since the last listing: known from now on.
                self.changed = true;
                match self.analyse(maildir, base, location) {
                    Ok(report) if report.level >= Some(Level::High) => report,
                    Ok(_) => return None,
                    Err(unread) => {
                        self.unread.push(unread);
                        return None;
                    }
                }
            }
        };
        report.location.uid = Some(uid);
        Some(report)
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

/// Where the message `base` of `maildir` is, in `cur/` or `new/`.
fn find_message(maildir: &Path, base: &str) -> Option<Location> {
    for sub in ["cur", "new"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let (found, flags) = split_maildir_name(&name);
            if found == base {
                return Some(Location {
                    path: vigie_event::path::to_text(&entry.path()).into_owned(),
                    line: 1,
                    mailbox: Some(mailbox_name(maildir)),
                    uid: None,
                    flags,
                });
            }
        }
    }
    None
}
