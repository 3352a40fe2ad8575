//! What `vigie watch` keeps between runs, so a restart (a crash, `kill -9`,
//! a service manager at 3 a.m.) loses no line and repeats no alert.
//!
//! One folder per set of watched paths (`--state-dir`, by default
//! `$XDG_STATE_HOME/vigie/watch-<hash of the canonical paths>`):
//!
//! - `state.json`: per followed file its identity (device, inode, a hash of
//!   its first bytes) and the offset after its last line whose detection is
//!   complete; the correlation windows (rsigma's snapshot); when the
//!   baseline ended; the quiet-period memory; the analytics findings
//!   raised. Written whole to a temporary file, synced, renamed over the
//!   old one, every few seconds and when the watch stops.
//! - `delivered`: the key of every alert handed to the sinks, one a line,
//!   appended and synced as they go, so an alert delivered just before a
//!   crash is not delivered again when its lines are read again.
//! - `mail.json`: the messages known in each watched Maildir, the Sieve
//!   scripts' times and the opens linked (`vigie_engine::mail_watch::SavedMail`), written the same
//!   way when they changed, so the mail delivered while the watch was
//!   stopped is analysed when it starts again.
//! - `webhook/`: alerts waiting for the webhook ([`crate::sinks::webhook`]).
//! - `status.json`: what `vigie watch --status` prints.
//!
//! A state file that cannot be read, or that another set of paths wrote,
//! is renamed aside (`state.json.set-aside-<unix time>`) and the watch
//! starts as new, saying so.

use std::collections::HashSet;

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use vigie_detect::correlate::LiveState;
use vigie_engine::mail_watch::SavedMail;
use vigie_event::{Entity, Evidence, Finding, Timestamp};
use vigie_ingest::follow::Position;

use crate::terminal::{sanitize, sanitize_lines};

/// What `state.json` says it is.
const FORMAT: &str = "vigie-watch-state";

/// Its layout version; another is set aside.
const VERSION: u32 = 1;

/// Alert keys the `delivered` journal keeps when it is compacted.
const DELIVERED_KEPT: usize = 100_000;

/// What a watch carries over a restart (`state.json`).
#[derive(Serialize, Deserialize)]
pub struct Saved {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The watched paths, as given; another set is a foreign state.
    pub roots: Vec<PathBuf>,
    /// When it was written (Unix seconds).
    pub saved_at: i64,
    /// Where each followed file was left.
    pub positions: Vec<Position>,
    /// When the baseline of the first start ended (microseconds since the epoch).
    pub baseline_until: i64,
    /// The correlation windows open.
    pub correlations: Option<LiveState>,
    /// Per rule and entity, the time of its last alert (`--quiet-for`), in microseconds.
    pub quiet: Vec<(String, Entity, i64)>,
    /// The analytics findings raised: rule, entity, first time (microseconds).
    pub analysed: Vec<(String, Entity, i64)>,
    /// The latest alerts, which the analytics read as earlier findings
    /// (the account-takeover chain joins a brute force to what follows).
    #[serde(default)]
    pub recent: Vec<SavedFinding>,
}

/// A [`Finding`] as the state keeps it (times in microseconds).
#[derive(Serialize, Deserialize)]
pub struct SavedFinding {
    rule_id: String,
    title: String,
    level: String,
    attack: Vec<String>,
    entity: Entity,
    first_seen: i64,
    last_seen: i64,
    count: u64,
    /// Path, line and MIME part of each evidence.
    evidence: Vec<(String, u64, Option<String>)>,
    reason: String,
}

impl From<&Finding> for SavedFinding {
    fn from(f: &Finding) -> SavedFinding {
        SavedFinding {
            rule_id: f.rule_id.clone(),
            title: f.title.clone(),
            level: f.level.clone(),
            attack: f.attack.clone(),
            entity: f.entity.clone(),
            first_seen: f.first_seen.0,
            last_seen: f.last_seen.0,
            count: f.count,
            evidence: f
                .evidence
                .iter()
                .map(|e| (e.path.clone(), e.line, e.part.clone()))
                .collect(),
            reason: f.reason.clone(),
        }
    }
}

impl From<SavedFinding> for Finding {
    fn from(f: SavedFinding) -> Finding {
        Finding {
            rule_id: f.rule_id,
            title: f.title,
            level: f.level,
            attack: f.attack,
            entity: f.entity,
            first_seen: Timestamp(f.first_seen),
            last_seen: Timestamp(f.last_seen),
            count: f.count,
            evidence: f
                .evidence
                .into_iter()
                .map(|(path, line, part)| Evidence { path, line, part })
                .collect(),
            reason: f.reason,
        }
    }
}

impl Saved {
    /// A state of `roots` to fill in.
    pub fn new(roots: &[PathBuf]) -> Saved {
        Saved {
            format: FORMAT.to_string(),
            version: VERSION,
            roots: roots.to_vec(),
            saved_at: jiff::Timestamp::now().as_second(),
            positions: Vec::new(),
            baseline_until: 0,
            correlations: None,
            quiet: Vec::new(),
            analysed: Vec::new(),
            recent: Vec::new(),
        }
    }
}

/// A watch's state folder.
pub struct StateDir {
    dir: PathBuf,
    /// Whether it lasts only this run (standard input alone: nothing to resume).
    temporary: bool,
    /// The `lock` file, locked while a watch uses the folder.
    lock: Option<File>,
}

impl StateDir {
    /// Opens (creating it) `explicit`, or the default folder for `roots`.
    /// A watch of standard input alone has nothing to resume: unless
    /// `explicit`, its folder is a temporary one, removed when it ends.
    pub fn open(explicit: Option<&Path>, roots: &[PathBuf]) -> Result<StateDir> {
        let stdin_only = !roots.is_empty() && roots.iter().all(|r| r.as_os_str() == "-");
        let (dir, temporary) = match explicit {
            Some(dir) => (dir.to_path_buf(), false),
            None if stdin_only => (
                std::env::temp_dir().join(format!("vigie-watch-{}", std::process::id())),
                true,
            ),
            None => (
                default_dir(roots).context(
                    "no state folder: set --state-dir, or HOME or XDG_STATE_HOME for the default",
                )?,
                false,
            ),
        };
        fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the state folder {}", dir.display()))?;
        Ok(StateDir {
            dir,
            temporary,
            lock: None,
        })
    }

    /// Locks the folder for this watch: two watches writing one state
    /// would each undo what the other saved.
    pub fn lock(&mut self) -> Result<()> {
        let path = self.dir.join("lock");
        let file =
            File::create(&path).with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                self.lock = Some(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another vigie watch uses the state folder {} (see --status, or give --state-dir)",
                self.dir.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// Removes a temporary folder (a watch of standard input that ended).
    pub fn end(self) {
        if self.temporary {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Reads `state.json`: `None` when there is none, or when it is damaged
    /// or another set of paths wrote it (then it is set aside, and stderr
    /// says so).
    pub fn load(&self, roots: &[PathBuf]) -> Option<Saved> {
        if self.temporary {
            return None;
        }
        let path = self.dir.join("state.json");
        let bytes = fs::read(&path).ok()?;
        let problem = match serde_json::from_slice::<Saved>(&bytes) {
            Ok(saved) if saved.format != FORMAT || saved.version != VERSION => {
                format!("not a version {VERSION} watch state")
            }
            Ok(saved) if saved.roots != roots => format!(
                "the state of another watch (of {})",
                saved
                    .roots
                    .iter()
                    .map(|r| r.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Ok(saved) => return Some(saved),
            Err(e) => format!("damaged: {e}"),
        };
        let aside = self.dir.join(format!(
            "state.json.set-aside-{}",
            jiff::Timestamp::now().as_second()
        ));
        let moved = fs::rename(&path, &aside).map_or_else(
            |e| format!("could not be set aside ({e})"),
            |()| format!("set aside as {}", aside.display()),
        );
        eprintln!(
            "vigie: {}",
            sanitize(&format!(
                "{} is {problem}; {moved}; the watch starts as new",
                path.display()
            ))
        );
        None
    }

    /// Writes `saved` atomically: a temporary file, synced, renamed over
    /// `state.json`, the folder synced.
    pub fn save(&self, saved: &Saved) -> Result<()> {
        let bytes = serde_json::to_vec(saved)?;
        write_atomically(&self.dir.join("state.json"), &bytes)
    }

    /// Reads `mail.json`; `None` when there is none, or when it is
    /// damaged (stderr says so: the mail there is then the baseline).
    pub fn load_mail(&self) -> Option<SavedMail> {
        let path = self.dir.join("mail.json");
        let bytes = fs::read(&path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(saved) => Some(saved),
            Err(e) => {
                eprintln!(
                    "vigie: {}",
                    sanitize(&format!(
                        "{} is damaged ({e}); the messages there now are taken as read",
                        path.display()
                    ))
                );
                None
            }
        }
    }

    /// Writes `mail.json` atomically.
    pub fn save_mail(&self, saved: &SavedMail) -> Result<()> {
        let bytes = serde_json::to_vec(saved)?;
        write_atomically(&self.dir.join("mail.json"), &bytes)
    }

    /// Writes `status.json` (what `--status` prints).
    pub fn save_status(&self, status: &serde_json::Value) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(status)?;
        bytes.push(b'\n');
        write_atomically(&self.dir.join("status.json"), &bytes)
    }
}

/// Replaces `path` by `bytes` so that a reader or a crash sees the old
/// content or the new, never part of it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        std::io::Result::Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

/// The default state folder of a set of watched paths:
/// `$XDG_STATE_HOME/vigie/watch-<16 hex digits>` (or `~/.local/state/…`),
/// the digits a hash of the paths made absolute and canonical.
pub fn default_dir(roots: &[PathBuf]) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(std::env::var_os("HOME")?).join(".local/state")))?;
    let mut canonical: Vec<String> = roots
        .iter()
        .map(|r| {
            fs::canonicalize(r)
                .unwrap_or_else(|_| r.clone())
                .display()
                .to_string()
        })
        .collect();
    canonical.sort();
    let hash = fnv1a(canonical.join("\n").as_bytes());
    Some(base.join("vigie").join(format!("watch-{hash:016x}")))
}

/// FNV-1a, 64 bits: stable across builds, unlike the standard hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The key an alert is known by across restarts: its rule, entity, first
/// time and first line, hashed (a correlation that fires again on the same
/// lines after a restart has the same key; two lines of one second that a
/// rule matches have two).
pub fn alert_key(finding: &Finding) -> String {
    let e = &finding.entity;
    let first = finding.evidence.first();
    let text = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        finding.rule_id,
        e.user.as_deref().unwrap_or(""),
        e.source_ip.as_deref().unwrap_or(""),
        e.session.as_deref().unwrap_or(""),
        finding.first_seen.0,
        first.map_or("", |e| e.path.as_str()),
        first.map_or(0, |e| e.line),
        first.and_then(|e| e.part.as_deref()).unwrap_or("")
    );
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// The keys of the alerts delivered (`delivered`), appended as they are.
pub struct Delivered {
    path: PathBuf,
    file: File,
    keys: HashSet<String>,
    /// Keys in the file (it is compacted past twice [`DELIVERED_KEPT`]).
    lines: usize,
    /// Whether keys were appended since the last sync.
    unsynced: bool,
}

impl Delivered {
    /// Opens the journal of `state`, reading the keys it holds.
    pub fn open(state: &StateDir) -> Result<Delivered> {
        let path = state.dir.join("delivered");
        let mut keys = HashSet::new();
        let mut lines = 0;
        if let Ok(file) = File::open(&path) {
            for line in BufReader::new(file).lines() {
                let line = line.with_context(|| format!("cannot read {}", path.display()))?;
                // A line cut by a crash is no key.
                if line.len() == 16 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
                    keys.insert(line);
                    lines += 1;
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Delivered {
            path,
            file,
            keys,
            lines,
            unsynced: false,
        })
    }

    /// Whether the alert with `key` was delivered.
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Records that the alert with `key` was delivered.
    pub fn add(&mut self, key: String) -> Result<()> {
        writeln!(self.file, "{key}")
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.keys.insert(key);
        self.lines += 1;
        self.unsynced = true;
        Ok(())
    }

    /// Syncs what was appended; compacts the journal once long.
    pub fn sync(&mut self) -> Result<()> {
        if !self.unsynced {
            return Ok(());
        }
        self.unsynced = false;
        self.file.sync_data()?;
        if self.lines > 2 * DELIVERED_KEPT {
            // The oldest keys go: their lines were rotated away long since.
            let text = fs::read_to_string(&self.path)?;
            let all: Vec<&str> = text.lines().collect();
            let kept = &all[all.len().saturating_sub(DELIVERED_KEPT)..];
            let mut bytes = kept.join("\n").into_bytes();
            bytes.push(b'\n');
            write_atomically(&self.path, &bytes)?;
            self.keys = kept.iter().map(|k| k.to_string()).collect();
            self.lines = kept.len();
            self.file = OpenOptions::new().append(true).open(&self.path)?;
        }
        Ok(())
    }
}

/// Prints the status the watch of `state` last wrote (`--status`): as
/// JSON with `json`, else as text.
pub fn print_status(state: &StateDir, json: bool) -> Result<std::process::ExitCode> {
    let path = state.dir.join("status.json");
    let bytes = fs::read(&path).with_context(|| {
        format!(
            "no status in {} (no watch of these paths has run with this state folder)",
            state.dir.display()
        )
    })?;
    let status: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is damaged", path.display()))?;
    let pid = status["pid"].as_u64().unwrap_or(0);
    let running = pid > 0 && Path::new(&format!("/proc/{pid}")).exists();
    if json {
        let mut status = status;
        status["running"] = serde_json::Value::Bool(running);
        println!("{status}");
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let mut out = format!(
        "state    {}\nwatch    {} (pid {pid}), status written {}\n",
        sanitize(&state.dir.display().to_string()),
        if running { "running" } else { "not running" },
        status["saved_at"].as_str().unwrap_or("?")
    );
    for file in status["files"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "file     {}  offset {}  size {}  lag {} bytes\n",
            sanitize(file["path"].as_str().unwrap_or("?")),
            file["offset"],
            file["size"],
            file["lag_bytes"]
        ));
    }
    out.push_str(&format!(
        "alerts   {} raised this run, {} found again after a restart and not repeated\n",
        status["alerts_raised"], status["alerts_already_delivered"]
    ));
    if let Some(webhook) = status["webhook"].as_object() {
        out.push_str(&format!(
            "webhook  {} queued ({} bytes), {} sent, {} not queued (queue full)\n",
            webhook["queued"], webhook["queued_bytes"], webhook["sent"], webhook["not_queued"]
        ));
    }
    if let Some(failed) = status["syslog_failed"].as_u64() {
        out.push_str(&format!("syslog   {failed} not sent\n"));
    }
    print!("{}", sanitize_lines(&out));
    Ok(std::process::ExitCode::SUCCESS)
}
