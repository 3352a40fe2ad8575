//! `vigie watch` on the lab run's logs, written again line by line in the
//! order the servers wrote them: what happened before the intruder came to
//! the webmail is in the files when the watch starts, the rest is appended
//! while it runs.
//!
//! What `vigie scan` finds in the same logs with the same rules and
//! indicators must be raised live: every line a rule matches after the
//! start, every correlation that completes after it, every indicator match;
//! the lines already there at start raise nothing; the login of the
//! intruder's address is compared with that baseline.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One log line of the run: its file (relative to the logs folder), number, text and time.
struct LogLine {
    file: PathBuf,
    number: u64,
    text: String,
    micros: i64,
}

/// Every line of the run's logs, in the order of their times (a line that
/// makes no event takes the time of the line before it in its file).
fn lines_in_time_order(logs: &Path) -> Vec<LogLine> {
    let inputs: Vec<PathBuf> = common::LAB_LOGS
        .iter()
        .map(|p| logs.join(p))
        .filter(|p| p.exists())
        .collect();
    let events = assert_cmd::Command::cargo_bin("vigie")
        .unwrap()
        .args(["events", "--tz", "UTC"])
        .args(&inputs)
        .output()
        .unwrap();
    assert!(events.status.success());
    let mut times: BTreeMap<(PathBuf, u64), i64> = BTreeMap::new();
    for line in String::from_utf8(events.stdout).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let path = PathBuf::from(e["log"]["file"]["path"].as_str().unwrap());
        let at: jiff::Timestamp = e["@timestamp"].as_str().unwrap().parse().unwrap();
        let key = (path, e["log"]["file"]["line"].as_u64().unwrap());
        times.insert(key, at.as_microsecond());
    }
    let mut all = Vec::new();
    for input in &inputs {
        let files: Vec<PathBuf> = if input.is_dir() {
            std::fs::read_dir(input)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect()
        } else {
            vec![input.clone()]
        };
        for path in files {
            let mut last = i64::MIN;
            for (i, text) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
                let number = i as u64 + 1;
                last = times.get(&(path.clone(), number)).copied().unwrap_or(last);
                all.push(LogLine {
                    file: path.strip_prefix(logs).unwrap().to_path_buf(),
                    number,
                    text: text.to_string(),
                    micros: last,
                });
            }
        }
    }
    // Stable: lines of one file keep their order.
    all.sort_by_key(|l| l.micros);
    all
}

/// The instant the intruder came to the webmail: the start of the
/// attacker's first web step. Before it, the victim read the exploit mail
/// from her usual address (and, in a full run, the benign day happened).
fn intruder_arrival(run: &Path) -> i64 {
    common::ground_truths(run)
        .iter()
        .flat_map(|t| t["steps"].as_array().unwrap().clone())
        .filter(|s| s["actor"] == "attacker" && s["protocol"] == "http")
        .map(|s| {
            let at: jiff::Timestamp = s["start"].as_str().unwrap().parse().unwrap();
            at.as_microsecond()
        })
        .min()
        .expect("the run has the intruder on the webmail")
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// A finding's evidence as (file, line), the file named by `at`.
fn evidence(finding: &Value, at: &dyn Fn(&str) -> PathBuf) -> BTreeSet<(PathBuf, u64)> {
    finding["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (at(e["path"].as_str().unwrap()), e["line"].as_u64().unwrap()))
        .collect()
}

/// Requires of `raised` what scan found (`expected`), per rule and address
/// (scan names the account of a webmail address, and splits by account):
/// for a rule, an alert for every line it matched but those `before` the
/// start; for a correlation, lines of the window scan saw. `scanned_at` and
/// `alerted_at` name the files of both sides alike.
fn assert_raised_like_scan(
    expected: &[&Value],
    raised: &[Value],
    scanned_at: impl Fn(&str) -> PathBuf,
    alerted_at: impl Fn(&str) -> PathBuf,
    before: &BTreeSet<(PathBuf, u64)>,
) {
    let mut by_key: BTreeMap<(String, String), (bool, BTreeSet<_>)> = BTreeMap::new();
    for f in expected {
        let entry = by_key.entry(key(f)).or_default();
        entry.0 |= is_correlation(f);
        entry.1.extend(evidence(f, &scanned_at));
    }
    for (k, (correlation, scanned)) in by_key {
        let alerted: BTreeSet<_> = raised
            .iter()
            .filter(|a| key(a) == k)
            .flat_map(|a| evidence(a, &alerted_at))
            .collect();
        if correlation {
            assert!(
                alerted.is_subset(&scanned),
                "{k:?}: {alerted:?} ⊄ {scanned:?}"
            );
        } else {
            let after: BTreeSet<_> = scanned.difference(before).cloned().collect();
            assert_eq!(alerted, after, "{k:?}");
        }
    }
}

/// A finding's rule and source address.
fn key(finding: &Value) -> (String, String) {
    (
        finding["rule_id"].as_str().unwrap().to_string(),
        finding["entity"]["source_ip"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Whether a finding is a correlation's (its reason says what was reached within how long).
fn is_correlation(finding: &Value) -> bool {
    finding["reason"]
        .as_str()
        .unwrap_or_default()
        .contains(" within ")
}

/// A running `vigie watch --json`: its alerts and its stderr lines as they
/// come; killed when the test ends, passed or not.
struct Watch {
    child: Child,
    alerts: mpsc::Receiver<Value>,
    stderr: mpsc::Receiver<String>,
    /// Its state folder, removed with it.
    _state: tempfile::TempDir,
}

impl Watch {
    /// `vigie watch --json --tz UTC --interval 0.05 --quiet-for 0 ARGS…`.
    fn start(args: &[&std::ffi::OsStr]) -> Watch {
        let state = tempfile::tempdir().unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("vigie"))
            .args(["watch", "--json", "--tz", "UTC"])
            .args(["--interval", "0.05", "--quiet-for", "0"])
            .args(args)
            // Each watch starts as new, and leaves no state in HOME.
            .arg("--state-dir")
            .arg(state.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (alerts_tx, alerts) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = alerts_tx.send(serde_json::from_str(&line).unwrap());
            }
        });
        let (stderr_tx, stderr_lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = stderr_tx.send(line);
            }
        });
        Watch {
            child,
            alerts,
            stderr: stderr_lines,
            _state: state,
        }
    }

    /// Waits (a minute at most) for a stderr line starting with `start`.
    fn wait_for_stderr(&self, start: &str) {
        loop {
            let line = self
                .stderr
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("the watch never said {start:?}"));
            if line.starts_with(start) {
                return;
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_raises_live_what_scan_finds_after_the_start_and_nothing_before() {
    let run = common::lab_run();
    let logs = common::logs_dir(&run);
    let start = intruder_arrival(&run);
    let lines = lines_in_time_order(&logs);
    let work = tempfile::tempdir().unwrap();
    // The intruder's web address and the relay of the exploit mail, as a feed.
    let feed = work.path().join("feed.csv");
    std::fs::write(&feed, "127.0.0.66\ncollector@exfil[.]example\n").unwrap();
    let live = work.path().join("live");
    for line in lines.iter() {
        let path = live.join(&line.file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if line.micros < start {
            append(&path, &format!("{}\n", line.text));
        } else {
            append(&path, "");
        }
    }

    let scan_case = work.path().join("case");
    let inputs: Vec<PathBuf> = common::LAB_LOGS.iter().map(|p| logs.join(p)).collect();
    let flags = [
        "--findings-only".as_ref(),
        "--ioc".as_ref(),
        feed.as_os_str(),
    ];
    common::scan(&scan_case, &flags, &inputs);
    let scanned = common::findings_of(&scan_case);

    // The lab's intruder addresses (127.0.0.64/26) abroad, its office (127.0.0.0/27) at home.
    let (country, asn) = vigie_detect::geo::testing::write_databases(
        work.path(),
        &[
            ("127.0.0.64/26", "RU", 64_511),
            ("127.0.0.0/27", "FR", 64_500),
        ],
    );
    let watch = Watch::start(&[
        "--no-intel-store".as_ref(),
        "--ioc".as_ref(),
        feed.as_os_str(),
        "--geoip".as_ref(),
        country.as_os_str(),
        "--asn".as_ref(),
        asn.as_os_str(),
        live.as_os_str(),
    ]);
    let alerts = &watch.alerts;
    // The watch says how many files it follows once it has read the baseline.
    watch.wait_for_stderr("vigie: following ");
    assert!(
        alerts.try_recv().is_err(),
        "the lines there at start raised an alert"
    );

    // The intrusion, appended second by second in the order it was written.
    let after: Vec<&LogLine> = lines.iter().filter(|l| l.micros >= start).collect();
    for second in after.chunk_by(|a, b| a.micros / 1_000_000 == b.micros / 1_000_000) {
        for line in second {
            append(&live.join(&line.file), &format!("{}\n", line.text));
        }
        std::thread::sleep(Duration::from_millis(120));
    }

    // What scan finds after the start, but for what needs the mailboxes
    // (not given) or the whole run's login history (the analytics).
    let expected: Vec<&Value> = scanned
        .iter()
        .filter(|f| !f["rule_id"].as_str().unwrap().starts_with("VA"))
        .filter(|f| {
            let last: jiff::Timestamp = f["last_seen"].as_str().unwrap().parse().unwrap();
            last.as_microsecond() >= start
        })
        .collect();
    assert!(expected.len() >= 8, "{expected:#?}");
    let mut raised: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    // The intruder's login compared with the baseline: a new address, and a
    // new country and network, for alice.
    let new_address = ("VA001".to_string(), "127.0.0.66".to_string());
    let new_country = ("VA006".to_string(), "127.0.0.66".to_string());
    let missing = |raised: &[Value]| -> Vec<(String, String)> {
        let keys: BTreeSet<_> = raised.iter().map(key).collect();
        expected
            .iter()
            .map(|f| key(f))
            .chain([new_address.clone(), new_country.clone()])
            .filter(|k| !keys.contains(k))
            .collect()
    };
    while !missing(&raised).is_empty() && Instant::now() < deadline {
        if let Ok(alert) = alerts.recv_timeout(Duration::from_millis(200)) {
            raised.push(alert);
        }
    }
    // Whatever else comes within a second.
    while let Ok(alert) = alerts.recv_timeout(Duration::from_secs(1)) {
        raised.push(alert);
    }
    assert_eq!(
        missing(&raised),
        Vec::<(String, String)>::new(),
        "{raised:#?}"
    );

    let before_start: BTreeSet<(PathBuf, u64)> = lines
        .iter()
        .filter(|l| l.micros < start)
        .map(|l| (l.file.clone(), l.number))
        .collect();
    let scanned_at = |p: &str| Path::new(p).strip_prefix(&logs).unwrap().to_path_buf();
    let alerted_at = |p: &str| Path::new(p).strip_prefix(&live).unwrap().to_path_buf();
    assert_raised_like_scan(&expected, &raised, scanned_at, alerted_at, &before_start);
    // A rule's alert never names a line that was there at start.
    for a in raised
        .iter()
        .filter(|a| !is_correlation(a) && !a["rule_id"].as_str().unwrap().starts_with("VA"))
    {
        assert!(evidence(a, &alerted_at).is_disjoint(&before_start), "{a:#}");
    }
    for analytic in [new_address, new_country] {
        let alert = raised.iter().find(|a| key(a) == analytic).unwrap();
        assert_eq!(alert["entity"]["user"], "alice@lab.test");
    }
}

/// `vigie watch --json … -` with `input` piped in, which must end by itself
/// having raised something (exit 1): its alerts, one JSON line each.
fn watch_piped(input: &Path, flags: &[&std::ffi::OsStr]) -> Vec<String> {
    let out = assert_cmd::Command::cargo_bin("vigie")
        .unwrap()
        .args(["watch", "--json", "--tz", "UTC", "--no-intel-store"])
        .args(["--interval", "0.05"])
        .args(flags)
        .arg("-")
        .pipe_stdin(input)
        .unwrap()
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn watch_reads_standard_input_as_it_comes_and_ends_with_it() {
    let logs = common::logs_dir(&common::lab_run());
    let dovecot = logs.join("dovecot.log");
    let work = tempfile::tempdir().unwrap();
    let case = work.path().join("case");
    common::scan(
        &case,
        &["--findings-only".as_ref()],
        std::slice::from_ref(&dovecot),
    );
    let scanned = common::findings_of(&case);
    let expected: Vec<&Value> = scanned
        .iter()
        .filter(|f| !f["rule_id"].as_str().unwrap().starts_with("VA"))
        .collect();
    assert!(expected.len() >= 5, "{expected:#?}");

    // `journalctl -f | vigie watch -` ends when journalctl does.
    let raised: Vec<Value> = watch_piped(&dovecot, &["--quiet-for".as_ref(), "0".as_ref()])
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let file = |_: &str| PathBuf::from("dovecot.log");
    assert_raised_like_scan(&expected, &raised, file, file, &BTreeSet::new());
    let keys: BTreeSet<_> = raised.iter().map(key).collect();
    for f in &expected {
        assert!(keys.contains(&key(f)), "{f:#}");
    }
    assert!(raised.iter().all(|a| a["evidence"][0]["path"] == "-"));
}

#[test]
fn alerts_below_the_minimum_level_are_not_raised_and_each_alert_runs_the_command() {
    let dovecot = common::logs_dir(&common::lab_run()).join("dovecot.log");
    let hooks = tempfile::tempdir().unwrap();
    // One file a command, named by the level it was given.
    let command = format!("cat > {}/\"$VIGIE_LEVEL-$$.json\"", hooks.path().display());
    let flags = [
        "--min-level".as_ref(),
        "high".as_ref(),
        "--exec".as_ref(),
        command.as_ref(),
    ];
    let raised: BTreeSet<String> = watch_piped(&dovecot, &flags).into_iter().collect();
    assert!(!raised.is_empty());
    for line in &raised {
        let alert: Value = serde_json::from_str(line).unwrap();
        assert!(
            ["high", "critical"].contains(&alert["level"].as_str().unwrap()),
            "{alert:#}"
        );
    }
    let mut handed: BTreeSet<String> = BTreeSet::new();
    for entry in std::fs::read_dir(hooks.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let alert: Value = serde_json::from_str(&text).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(&format!("{}-", alert["level"].as_str().unwrap())),
            "{name}"
        );
        handed.insert(text.trim_end().to_string());
    }
    assert_eq!(handed, raised);
}

#[test]
fn a_set_imported_while_watching_is_matched_from_then_on() {
    let work = tempfile::tempdir().unwrap();
    let (store, live) = (work.path().join("intel"), work.path().join("live"));
    std::fs::create_dir(&live).unwrap();
    let log = live.join("dovecot.log");
    std::fs::write(&log, "").unwrap();
    let watch = Watch::start(&["--intel-dir".as_ref(), store.as_os_str(), live.as_os_str()]);
    watch.wait_for_stderr("vigie: following ");
    // The IMAP intruder's address, imported into the store the watch reads.
    let feed = work.path().join("imap-intruder.txt");
    std::fs::write(&feed, "127.0.0[.]67\n").unwrap();
    assert_cmd::Command::cargo_bin("vigie")
        .unwrap()
        .args(["intel", "import", "--intel-dir"])
        .arg(&store)
        .arg(&feed)
        .assert()
        .success();
    watch.wait_for_stderr("vigie: indicators reloaded: 1");
    let dovecot = common::logs_dir(&common::lab_run()).join("dovecot.log");
    append(&log, &std::fs::read_to_string(dovecot).unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let alert = watch
            .alerts
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("no alert on the imported address");
        if alert["rule_id"] == "VI001" {
            assert_eq!(alert["entity"]["source_ip"], "127.0.0.67");
            assert!(alert["reason"].as_str().unwrap().contains("imap-intruder"));
            break;
        }
    }
}

/// Copies the tree `from` to `to` (symbolic links as links), but the files
/// `left_out` (relative to `from`).
fn copy_tree(from: &Path, to: &Path, left_out: &BTreeSet<PathBuf>) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source).unwrap(), &target).unwrap();
        } else if kind.is_dir() {
            let inner: BTreeSet<PathBuf> = left_out
                .iter()
                .filter_map(|p| Some(p.strip_prefix(entry.file_name()).ok()?.to_path_buf()))
                .collect();
            copy_tree(&source, &target, &inner);
        } else if !left_out.contains(Path::new(&entry.file_name())) {
            std::fs::copy(&source, &target).unwrap();
        }
    }
}

#[test]
fn a_message_delivered_and_a_script_written_while_watching_are_read_as_they_land() {
    let vmail = common::lab_run().join("vmail");
    if !vmail.is_dir() {
        return; // a run collected without its mailboxes
    }
    // What scan finds in the mailboxes: the exploit mail, the redirects.
    let work = tempfile::tempdir().unwrap();
    let case = work.path().join("case");
    common::scan(&case, &[], std::slice::from_ref(&vmail));
    let scanned: Vec<Value> = common::findings_of(&case)
        .into_iter()
        .filter(|f| {
            let rule = f["rule_id"].as_str().unwrap();
            rule.starts_with("VM") || rule == "VS001"
        })
        .collect();
    assert!(
        scanned.iter().any(|f| f["rule_id"] == "VS001"),
        "{scanned:#?}"
    );
    assert!(
        scanned.iter().any(|f| f["rule_id"] != "VS001"),
        "{scanned:#?}"
    );
    let relative = |p: &str| Path::new(p).strip_prefix(&vmail).unwrap().to_path_buf();
    let arriving: BTreeSet<PathBuf> = scanned
        .iter()
        .map(|f| relative(f["evidence"][0]["path"].as_str().unwrap()))
        .collect();

    // The mailboxes before they arrived, watched; then they arrive.
    let live = work.path().join("vmail");
    copy_tree(&vmail, &live, &arriving);
    let watch = Watch::start(&["--no-intel-store".as_ref(), live.as_os_str()]);
    watch.wait_for_stderr("vigie: following ");
    for file in &arriving {
        std::fs::copy(vmail.join(file), live.join(file)).unwrap();
    }
    let mut raised: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while raised.len() < scanned.len() && Instant::now() < deadline {
        if let Ok(alert) = watch.alerts.recv_timeout(Duration::from_millis(200)) {
            raised.push(alert);
        }
    }
    // The same findings, about the same message or script line, but for the
    // script's time (the copy's) and the path (the watched tree's).
    let shape = |f: &Value, root: &Path| {
        let evidence = &f["evidence"][0];
        let path = Path::new(evidence["path"].as_str().unwrap());
        (
            f["rule_id"].to_string(),
            f["level"].to_string(),
            f["entity"]["user"].to_string(),
            path.strip_prefix(root).unwrap().to_path_buf(),
            evidence["line"].as_u64(),
            evidence["part"].to_string(),
        )
    };
    let expected: BTreeSet<_> = scanned.iter().map(|f| shape(f, &vmail)).collect();
    let got: BTreeSet<_> = raised.iter().map(|f| shape(f, &live)).collect();
    assert_eq!(got, expected, "{raised:#?}");
}
