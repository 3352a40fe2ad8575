//! `vigie watch`: follow logs as they are written and alert the moment the
//! rules, correlations, indicators or analytics find something.
//!
//! The same detection as `vigie scan`, fed one line at a time: Sigma rules
//! on each event, correlations in one engine whose windows stay open
//! between polls, indicators on each event, and the analytics every few
//! seconds over the histories gathered so far. The lines already in the
//! files at start are read first, silently: they are the baseline new
//! logins are compared with, and they open the correlation windows an
//! attack already under way needs.
//!
//! A watch resumes ([`crate::watch_state`]): a restart takes up each file
//! where the last run left it, with the correlation windows it had open
//! (rsigma's snapshot: windows need lines that may since be rotated away)
//! and the histories the analytics compare with rebuilt by reading the
//! files again up to those positions (the same lines the last run had
//! read, without storing what can be large); alerts already delivered are
//! not delivered again.
//!
//! The detection is the engine's ([`vigie_engine::live::Live`], and
//! [`vigie_engine::mail_watch`] for the mailboxes); this is the follower,
//! the state files, the sinks and what is said on the terminal.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use vigie_detect::geo::GeoDb;
use vigie_event::{Entity, Finding, Timestamp};
use vigie_ingest::follow::{Change, Follower};
use vigie_ingest::{Format, IngestOptions};
use vigie_intel::matcher::IntelIndex;
use vigie_intel::store::IntelStore;

use crate::args::{IntelArgs, WatchArgs};
use crate::commands::intel::load_for_scan;
use crate::commands::scan::{load_detection, rank};
use crate::sinks::syslog::Syslog;
use crate::sinks::webhook::Webhook;
use crate::terminal::{sanitize, sanitize_lines};
use crate::watch_state::{Delivered, Saved, SavedFinding, StateDir, alert_key};
use vigie_engine::Detection;
use vigie_engine::config::zone;
use vigie_engine::live::Live;
use vigie_engine::mail_watch::MailWatch;

/// Rule and entity pairs remembered for `--quiet-for` before the stale ones go.
const QUIET_ENTRIES_KEPT: usize = 100_000;

/// How many alerts the analytics see as earlier findings (the takeover chain reads them).
const RECENT_ALERTS_KEPT: usize = 10_000;

/// How often the state is written, at most.
const SAVE_EVERY: Duration = Duration::from_secs(2);

/// How long the last alerts may take to reach the webhook when the watch stops.
const WEBHOOK_PATIENCE: Duration = Duration::from_secs(10);

/// Runs the subcommand.
pub fn run(args: WatchArgs) -> Result<ExitCode> {
    if args.status {
        let state = StateDir::open(args.state_dir.as_deref(), &args.paths)?;
        return crate::watch_state::print_status(&state, args.json);
    }
    for path in &args.paths {
        if path.as_os_str() != "-" && !path.exists() {
            bail!("{}: no such file or folder", path.display());
        }
    }
    if !(args.interval > 0.0 && args.interval.is_finite()) {
        bail!("--interval must be a positive number of seconds");
    }
    // Leaked so the correlation engine can borrow it for the whole run; a
    // reload (SIGHUP) leaks the rules it replaces (rare, a few MB).
    let detection: &'static Detection = Box::leak(Box::new(load_detection(&args.rules)?));
    let mut state = StateDir::open(args.state_dir.as_deref(), &args.paths)?;
    state.lock()?;
    let saved = state.load(&args.paths);
    if saved.is_some() && args.from_start {
        eprintln!("vigie: --from-start: resuming where the last run left the files instead");
    }
    let (indicators, intel_failed) = load_for_scan(&args.intel);
    if intel_failed {
        bail!("an indicator set could not be read (see above); a watch would miss its matches");
    }
    let intel_files = intel_files(&args.intel);
    let options = IngestOptions {
        zone: zone(args.tz.as_deref())?,
        format: args.log_format.as_deref().and_then(Format::from_name),
        max_line: args.max_line.max(1024),
        ..IngestOptions::default()
    };
    // Leaked, as the rules: the live engine borrows it for the whole run.
    let geo: &'static GeoDb = Box::leak(Box::new(GeoDb::open(
        args.geo.geoip.as_deref(),
        args.geo.asn.as_deref(),
    )?));
    let mut follower =
        Follower::new(args.paths.clone(), options.clone(), true).skipping(MailWatch::is_mail);
    if let Some(saved) = &saved {
        follower = follower.resume(saved.positions.clone());
    }
    let folders: Vec<PathBuf> = args.paths.iter().filter(|p| p.is_dir()).cloned().collect();
    let mut mail = if args.no_mail || folders.is_empty() {
        None
    } else {
        let (mail, errors) = MailWatch::new(&folders, &args.yara);
        for e in &errors {
            eprintln!("vigie: YARA rule not loaded: {}", sanitize(e));
        }
        Some(mail)
    };
    if let (Some(mail), Some(_)) = (&mut mail, &saved)
        && let Some(known) = state.load_mail()
    {
        mail.resume(known);
    }
    let mut watcher = Watcher {
        live: Live::new(
            detection,
            IntelIndex::new(indicators),
            (!geo.is_empty()).then_some(geo),
            args.from_start,
            args.from_start && saved.is_none(),
            now(),
        ),
        intel_files,
        alerts: Alerts::open(&args, &state)?,
    };
    if let Some(saved) = saved {
        watcher.resume(saved, &options);
    }
    let term = Arc::new(AtomicBool::new(false));
    let hup = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal while the state is written ends the watch at once.
        signal_hook::flag::register_conditional_shutdown(signal, 2, Arc::clone(&term))?;
        signal_hook::flag::register(signal, Arc::clone(&term))?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))?;
    let mut last_save: Option<Instant> = None;
    let mut last_saved = None;
    let stop_at = args
        .stop_after
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    // Reading what is there at start can take a while: say so on a terminal.
    let progress = if io::stderr().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    progress.enable_steady_tick(Duration::from_millis(200));
    progress.set_message("reading the files as they are, the baseline");
    let resumed = !watcher.live.reading_baseline;
    let mut first_poll = true;
    loop {
        let mut found = Vec::new();
        let changes = follower.poll(&mut |event| {
            watcher.live.on_event(event, &mut found);
            if let Some(mail) = &mut mail {
                // The opens there at start are the baseline (the logins name later sessions).
                let w = &watcher;
                let link = !w.live.reading_baseline || w.live.from_start;
                let context = (w.live.path(), w.live.logins(), &w.alerts.recent);
                mail.on_event(event, context, link, &mut found);
            }
            // The lines already there at start are the baseline, not news:
            // what they match is not gathered only to be dropped.
            if watcher.live.reading_baseline && !watcher.live.from_start {
                found.clear();
            }
            if watcher.live.reading_baseline && watcher.live.unanalysed().is_multiple_of(1 << 16) {
                let read = watcher.live.unanalysed();
                progress.set_message(format!("{read} events read as the baseline"));
            }
        });
        progress.finish_and_clear();
        if watcher.live.reading_baseline
            && let Err(e) = watcher.live.baseline_read(&mut found)
        {
            eprintln!(
                "vigie: the correlations of the lines there at start could not be read back ({e}); only their last window is alerted"
            );
        }
        if let Some(mail) = &mut mail {
            // The messages there at the first start are only recorded, unless
            // --from-start; at a restart, those the last run did not know are read.
            let baseline = first_poll && !mail.resumed() && (resumed || !args.from_start);
            let polled = mail.poll(watcher.live.intel(), baseline);
            for u in &polled.unread {
                eprintln!("vigie: {}", crate::commands::scan::unread_text(u));
            }
            found.extend(polled.findings);
        }
        report_changes(&changes, first_poll, resumed, &follower);
        first_poll = false;
        if !watcher.live.reading_baseline || watcher.live.from_start {
            for finding in found {
                watcher.alerts.raise(finding)?;
            }
        }
        // The last look (standard input ended) runs them whatever the time.
        watcher.analyse(!follower.is_following())?;
        watcher.alerts.delivered.sync()?;
        if hup.swap(false, Ordering::Relaxed) {
            watcher.reload_rules(&args);
        }
        watcher.reload_indicators(&args.intel);
        watcher.live.reading_baseline = false;
        let stopping = term.load(Ordering::Relaxed)
            || stop_at.is_some_and(|t| Instant::now() >= t)
            || !follower.is_following();
        if stopping || last_save.is_none_or(|t| t.elapsed() >= SAVE_EVERY) {
            // An idle watch does not rewrite the same state every 2 s.
            let mark = (
                follower.positions(),
                watcher.alerts.raised,
                watcher.alerts.webhook.as_ref().map(Webhook::counts),
            );
            if stopping || last_saved.as_ref() != Some(&mark) {
                watcher.save(&state, &follower, &args.paths)?;
                last_saved = Some(mark);
            }
            if let Some(known) = mail.as_mut().and_then(MailWatch::saved) {
                state.save_mail(&known)?;
            }
            last_save = Some(Instant::now());
        }
        if stopping {
            break;
        }
        // Sleeps in steps, so a signal is answered within a tenth of a second.
        let wake = Instant::now() + Duration::from_secs_f64(args.interval);
        while Instant::now() < wake && !term.load(Ordering::Relaxed) && !hup.load(Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_millis(50).min(wake - Instant::now()));
        }
    }
    watcher.alerts.hooks.finish(Duration::from_secs(10));
    if let Some(webhook) = watcher.alerts.webhook.take() {
        webhook.finish(WEBHOOK_PATIENCE);
    }
    watcher.save(&state, &follower, &args.paths)?;
    state.end();
    Ok(ExitCode::from(if watcher.alerts.raised > 0 {
        1
    } else {
        0
    }))
}

/// A watch: the live engine, and where its alerts go.
struct Watcher {
    live: Live<'static>,
    /// The files the indicators were read from, as they were then.
    intel_files: Vec<FileState>,
    alerts: Alerts,
}

impl Watcher {
    /// Takes up the state a former run saved: the baseline's end, the
    /// correlation windows, the quiet-period memory, the analytics findings
    /// raised, and the histories, read again from the files up to where
    /// they were left.
    fn resume(&mut self, saved: Saved, options: &IngestOptions) {
        if !self
            .live
            .resume(saved.baseline_until, saved.correlations, saved.analysed)
        {
            eprintln!(
                "vigie: the saved correlation windows are of another version; they start empty"
            );
        }
        for (rule, entity, at) in saved.quiet {
            self.alerts.last.insert((rule, entity), Timestamp(at));
        }
        self.alerts.recent = saved.recent.into_iter().map(Finding::from).collect();
        let mut lines = 0;
        for position in &saved.positions {
            match self.live.read_again(position, options) {
                Ok(n) => lines += n,
                Err(e) => eprintln!(
                    "vigie: {}",
                    sanitize(&format!(
                        "{}: the lines read before the restart could not be read again: {e}",
                        position.path.display()
                    ))
                ),
            }
        }
        eprintln!(
            "vigie: resuming the watch saved at {} ({} files; {lines} lines read again for the analytics)",
            jiff::Timestamp::from_second(saved.saved_at).unwrap_or_default(),
            saved.positions.len()
        );
    }

    /// Writes the state (and the status) to `state`.
    fn save(&self, state: &StateDir, follower: &Follower, roots: &[PathBuf]) -> Result<()> {
        let mut saved = Saved::new(roots);
        saved.positions = follower.positions();
        saved.baseline_until = self.live.baseline_until();
        saved.correlations = Some(self.live.correlations());
        saved.quiet = self
            .alerts
            .last
            .iter()
            .map(|((rule, entity), at)| (rule.clone(), entity.clone(), at.0))
            .collect();
        saved.analysed = self.live.analysed().collect();
        saved.recent = self.alerts.recent.iter().map(SavedFinding::from).collect();
        state.save(&saved)?;
        let files: Vec<serde_json::Value> = follower
            .sizes()
            .into_iter()
            .map(|(path, offset, size)| {
                serde_json::json!({
                    "path": path,
                    "offset": offset,
                    "size": size,
                    "lag_bytes": size.saturating_sub(offset),
                })
            })
            .collect();
        let webhook = self.alerts.webhook.as_ref().map(|w| {
            let (queued, bytes, not_queued, sent) = w.counts();
            serde_json::json!({
                "queued": queued, "queued_bytes": bytes, "not_queued": not_queued, "sent": sent,
            })
        });
        state.save_status(&serde_json::json!({
            "pid": std::process::id(),
            "saved_at": jiff::Timestamp::now().to_string(),
            "files": files,
            "alerts_raised": self.alerts.raised,
            "alerts_already_delivered": self.alerts.already_delivered,
            "webhook": webhook,
            "syslog_failed": self.alerts.syslog.as_ref().map(|s| s.failed),
        }))
    }

    /// Loads the rules again (SIGHUP); the correlation windows carry over
    /// by their rules' ids. When they cannot load, those in use stay.
    fn reload_rules(&mut self, args: &WatchArgs) {
        match load_detection(&args.rules) {
            Ok(detection) => {
                let detection: &'static Detection = Box::leak(Box::new(detection));
                self.live.set_detection(detection);
                eprintln!(
                    "vigie: rules reloaded: {}",
                    detection.rules.collection.rules.len()
                );
            }
            Err(e) => eprintln!(
                "vigie: rules not reloaded, those in use stay: {}",
                sanitize(&format!("{e:#}"))
            ),
        }
        // The indicators are read again too.
        self.intel_files.clear();
        // logrotate renamed the --alerts file: write to the new one.
        if let Some((path, file)) = &mut self.alerts.file {
            match open_alerts(path) {
                Ok(reopened) => *file = reopened,
                Err(e) => eprintln!("vigie: {}", sanitize(&format!("{e:#}"))),
            }
        }
    }

    /// Reads the indicators again when a set was imported, replaced or
    /// removed (`vigie intel`) or an `--ioc` feed changed since they were
    /// read; on a failure the indicators in use stay.
    fn reload_indicators(&mut self, args: &IntelArgs) {
        let files = intel_files(args);
        if files == self.intel_files {
            return;
        }
        self.intel_files = files;
        let (indicators, failed) = load_for_scan(args);
        if failed {
            eprintln!(
                "vigie: indicators not reloaded; the {} in use stay",
                self.live.intel().len()
            );
            return;
        }
        self.live.set_intel(IntelIndex::new(indicators));
        eprintln!("vigie: indicators reloaded: {}", self.live.intel().len());
    }

    /// Runs the analytics when they are due (always when `now`) and raises what is new.
    fn analyse(&mut self, now: bool) -> Result<()> {
        for finding in self.live.analyse(now, &self.alerts.recent)? {
            self.alerts.raise(finding)?;
        }
        Ok(())
    }
}

/// A file's path, size and modification time.
type FileState = (PathBuf, Option<(u64, SystemTime)>);

/// The files indicators come from: the `--ioc` feeds and the stored sets.
fn intel_files(args: &IntelArgs) -> Vec<FileState> {
    let mut files = args.ioc.clone();
    if !args.no_intel_store
        && let Some(dir) = args.intel_dir.clone().or_else(IntelStore::default_dir)
    {
        files.extend(IntelStore::new(dir).files().unwrap_or_default());
    }
    files
        .into_iter()
        .map(|path| {
            let state = std::fs::metadata(&path)
                .ok()
                .and_then(|m| Some((m.len(), m.modified().ok()?)));
            (path, state)
        })
        .collect()
}

/// Tells stderr what a poll changed: the files followed (counted at the
/// first poll), rotations, and files that cannot be read.
fn report_changes(changes: &[Change], first_poll: bool, resumed: bool, follower: &Follower) {
    for change in changes {
        let line = match change {
            Change::Followed { path, .. } if !first_poll => {
                format!("now following {}", path.display())
            }
            Change::Followed { .. } => continue,
            Change::Rotated(path) => {
                format!("{} was rotated; following the new file", path.display())
            }
            Change::Truncated(path) => {
                format!("{} was truncated; reading it again", path.display())
            }
            Change::Removed(path) => format!("{} was removed", path.display()),
            Change::Resumed { .. } => continue,
            Change::Recovered { path, from } => format!(
                "{} was rotated or truncated while not followed; {} lines written after its last position read from {}",
                path.display(),
                from.lines,
                from.files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Change::Lost { path, offset } => format!(
                "{} was rotated or truncated while not followed, and no rotation of it was found: the lines written after byte {offset} of the old file are not read",
                path.display()
            ),
            Change::Ended => continue,
            Change::Ignored { path, reason } => {
                format!("not following {}: {reason}", path.display())
            }
            Change::Failed { path, error } => format!("{}: {error}", path.display()),
        };
        eprintln!("vigie: {}", sanitize(&line));
    }
    if first_poll && !resumed {
        let files = follower.reports().count();
        let lines: u64 = follower.reports().map(|r| r.lines).sum();
        eprintln!(
            "vigie: following {files} files ({lines} lines already there read as the baseline)"
        );
    }
}

/// Where alerts go, and which were raised already.
struct Alerts {
    json: bool,
    file: Option<(PathBuf, File)>,
    quiet_for: i64,
    /// Per rule and entity, the time of the last alert.
    last: HashMap<(String, Entity), Timestamp>,
    /// The latest alerts, which the analytics read as earlier findings.
    recent: VecDeque<Finding>,
    raised: u64,
    min_rank: usize,
    exec: Option<String>,
    hooks: Hooks,
    /// The alerts delivered, this run and before.
    delivered: Delivered,
    /// Alerts found again after a restart that were delivered before it.
    already_delivered: u64,
    webhook: Option<Webhook>,
    syslog: Option<Syslog>,
}

/// Most `--exec` commands running at once; alerts beyond are not handed
/// to the command (and counted on stderr), so a hung command cannot pile
/// up processes.
const HOOKS_AT_ONCE: usize = 16;

/// The `--exec` commands running.
#[derive(Default)]
struct Hooks {
    running: Vec<Child>,
}

impl Hooks {
    /// Starts `command` for `finding`, its JSON `line` on standard input.
    fn run(&mut self, command: &str, finding: &Finding, line: &[u8]) {
        self.running
            .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
        if self.running.len() >= HOOKS_AT_ONCE {
            eprintln!(
                "vigie: --exec: {HOOKS_AT_ONCE} commands still running; alert {} not handed over",
                sanitize(&finding.rule_id)
            );
            return;
        }
        let started = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("VIGIE_RULE_ID", &finding.rule_id)
            .env("VIGIE_LEVEL", &finding.level)
            .stdin(Stdio::piped())
            .spawn();
        match started {
            Ok(mut child) => {
                // The command reads the alert when it likes: a thread writes it.
                if let Some(mut stdin) = child.stdin.take() {
                    let line = line.to_vec();
                    std::thread::spawn(move || stdin.write_all(&line));
                }
                self.running.push(child);
            }
            Err(e) => eprintln!("vigie: --exec: cannot start sh: {e}"),
        }
    }

    /// Waits up to `patience` for the commands still running, so the last
    /// alerts are handed over before the watch ends.
    fn finish(&mut self, patience: Duration) {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            self.running
                .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
            if self.running.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "vigie: --exec: {} commands still running at the end",
            self.running.len()
        );
    }
}

impl Alerts {
    fn open(args: &WatchArgs, state: &StateDir) -> Result<Alerts> {
        let file = match &args.alerts {
            Some(path) => Some((path.clone(), open_alerts(path)?)),
            None => None,
        };
        Ok(Alerts {
            json: args.json,
            file,
            quiet_for: i64::try_from(args.quiet_for)
                .unwrap_or(i64::MAX / 1_000_000)
                .saturating_mul(1_000_000),
            last: HashMap::new(),
            recent: VecDeque::new(),
            raised: 0,
            min_rank: rank(&args.min_level),
            exec: args.exec.clone(),
            hooks: Hooks::default(),
            delivered: Delivered::open(state)?,
            already_delivered: 0,
            webhook: match &args.webhook {
                Some(url) => Some(Webhook::start(
                    url,
                    &state.path().join("webhook"),
                    args.webhook_queue_max,
                )?),
                None => None,
            },
            syslog: args.syslog.as_deref().map(Syslog::new).transpose()?,
        })
    }

    /// Raises `finding` unless the same rule raised one for the same
    /// entity less than `--quiet-for` before it.
    fn raise(&mut self, finding: Finding) -> Result<()> {
        if rank(&finding.level) > self.min_rank {
            return Ok(());
        }
        let key = (finding.rule_id.clone(), finding.entity.clone());
        if let Some(last) = self.last.get(&key)
            && finding.first_seen.0.saturating_sub(last.0) < self.quiet_for
        {
            return Ok(());
        }
        self.last.insert(key, finding.first_seen);
        if self.last.len() > QUIET_ENTRIES_KEPT {
            // A spray from many addresses must not grow this for ever: what
            // is past its quiet period would alert again anyway.
            let since = Timestamp(finding.first_seen.0.saturating_sub(self.quiet_for));
            self.last.retain(|_, last| *last >= since);
        }
        let key = alert_key(&finding);
        if self.delivered.contains(&key) {
            // Its lines were read again after a restart: it went out before.
            self.already_delivered += 1;
            self.remember(finding);
            return Ok(());
        }
        let mut line = serde_json::to_vec(&finding)?;
        line.push(b'\n');
        if let Some((path, file)) = &mut self.file {
            file.write_all(&line)
                .with_context(|| format!("cannot write to {}", path.display()))?;
        }
        let mut out = io::stdout().lock();
        if self.json {
            out.write_all(&line)?;
        } else {
            out.write_all(sanitize_lines(&describe(&finding)).as_bytes())?;
        }
        out.flush()?;
        if let Some(webhook) = &self.webhook
            && let Err(e) = webhook.push(&line)
        {
            // A full disk must not stop the other sinks, nor the watch.
            eprintln!(
                "vigie: --webhook: alert not queued: {}",
                sanitize(&format!("{e:#}"))
            );
        }
        if let Some(syslog) = &mut self.syslog {
            syslog.send(&finding, &line);
        }
        if let Some(command) = &self.exec {
            self.hooks.run(command, &finding, &line);
        }
        // Recorded once handed over: a crash in between delivers it twice, never not at all.
        self.delivered.add(key)?;
        self.raised += 1;
        self.remember(finding);
        Ok(())
    }

    /// Keeps `finding` among the recent alerts the analytics read.
    fn remember(&mut self, finding: Finding) {
        if self.recent.len() == RECENT_ALERTS_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(finding);
    }
}

/// Opens the `--alerts` file to append to.
fn open_alerts(path: &std::path::Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} for alerts", path.display()))
}

/// An alert as text: time, level, rule, who, what, and where to look; each
/// value on its line, made one line ([`sanitize`]).
fn describe(finding: &Finding) -> String {
    let who: Vec<&str> = [&finding.entity.user, &finding.entity.source_ip]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let mut text = format!(
        "{}  {:<8}  {}  {}  {}\n",
        finding.first_seen,
        finding.level,
        finding.rule_id,
        if who.is_empty() {
            "-".to_string()
        } else {
            sanitize(&who.join(" "))
        },
        sanitize(&finding.title)
    );
    if !finding.reason.is_empty() {
        text.push_str(&format!("    {}\n", sanitize(&finding.reason)));
    }
    for e in finding.evidence.iter().take(3) {
        text.push_str(&format!("    {}:{}\n", sanitize(&e.path), e.line));
    }
    text
}

/// Now, as an event time.
fn now() -> Timestamp {
    Timestamp::from_unix(jiff::Timestamp::now().as_second(), 0)
}
