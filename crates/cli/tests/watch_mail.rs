//! `vigie watch` over the lab's mail stores and logs (examples/lab-intrusion,
//! a real run of the lab: Postfix, Dovecot, Roundcube and nginx): the live
//! link from a webmail request to the exploit mail it opened (`VC001`, as
//! `vigie scan` makes it), and mail delivered while the watch was stopped
//! analysed when it starts again (issue 18).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The exploit mail in alice's INBOX (IMAP UID 4 in its `dovecot-uidlist`).
const EXPLOIT_MAIL: &str = "vmail/alice/Maildir/cur/1795918129.M44549P9854.vm,S=1484,W=1524:2,S";

/// The intruder's first requests after logging in to alice's account
/// (lines 63 and 64 of the run's nginx access log): UID 4, the exploit
/// mail, then UID 3, a plain one.
const OPEN_EXPLOIT: &str = r#"127.0.0.66 - - [29/Nov/2026:02:10:38 +0000] "GET /?_task=mail&_action=show&_uid=4&_mbox=INBOX HTTP/1.1" 200 25212 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0""#;
const OPEN_PLAIN: &str = r#"127.0.0.66 - - [29/Nov/2026:02:10:38 +0000] "GET /?_task=mail&_action=show&_uid=3&_mbox=INBOX HTTP/1.1" 200 24952 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0""#;

/// A copy of the run's logs (the access log cut before the intruder's
/// first request, line 63) and mail stores in a temporary folder.
fn lab_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&common::example().join("vmail"), &dir.path().join("vmail"));
    copy_tree(&common::example().join("logs"), &dir.path().join("logs"));
    let access = dir.path().join("logs/nginx/roundcube.access.log");
    let text = std::fs::read_to_string(&access).unwrap();
    let before: Vec<&str> = text.lines().take(62).collect();
    assert_eq!(text.lines().nth(62), Some(OPEN_EXPLOIT));
    std::fs::write(&access, before.join("\n") + "\n").unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn append(path: &Path, line: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    writeln!(file, "{line}").unwrap();
}

/// A running watch of `logs` and `vmail` and the alerts it printed.
struct Watch {
    child: Child,
    printed: Arc<Mutex<Vec<Value>>>,
    said: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    fn start(dir: &Path) -> Watch {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("vigie"))
            .arg("watch")
            .arg(dir.join("logs"))
            .arg(dir.join("vmail"))
            .arg("--state-dir")
            .arg(dir.join("state"))
            .args(["--json", "--tz", "UTC", "--interval", "0.2"])
            .args(["--no-intel-store"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let printed = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let kept = Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_str(&line.unwrap()).unwrap());
            }
        });
        let said = common::echo_lines(child.stderr.take().unwrap());
        let watch = Watch {
            child,
            printed,
            said,
        };
        watch.wait_until("the watch to start", |_, said| {
            said.iter()
                .any(|l| l.contains("following") || l.contains("resuming"))
        });
        watch
    }

    /// Waits (30 s at most) until `ready` holds of the alerts and stderr.
    fn wait_until(&self, what: &str, ready: impl Fn(&[Value], &[String]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if ready(&self.printed.lock().unwrap(), &self.said.lock().unwrap()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("waited in vain for {what}");
    }

    /// Waits for an alert of `rule`.
    fn wait_for(&self, rule: &str) {
        self.wait_until(rule, |printed, _| {
            printed.iter().any(|f| f["rule_id"] == rule)
        });
    }

    /// Stops the watch with SIGTERM; returns what it printed.
    fn stop(mut self) -> Vec<Value> {
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        self.printed.lock().unwrap().clone()
    }

    /// Kills the watch (SIGKILL); returns what it printed.
    fn kill(mut self) -> Vec<Value> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        self.printed.lock().unwrap().clone()
    }
}

fn of_rule<'a>(printed: &'a [Value], rule: &str) -> Vec<&'a Value> {
    printed.iter().filter(|f| f["rule_id"] == rule).collect()
}

fn evidence_paths(finding: &Value) -> Vec<String> {
    finding["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["path"].as_str().unwrap(), e["line"]))
        .collect()
}

/// Lets the watch poll (0.2 s) and save its state (every 2 s) at least once.
fn settle() {
    std::thread::sleep(Duration::from_millis(2500));
}

#[test]
fn issue_18_an_exploit_mail_opened_while_the_watch_runs_is_linked_to_its_request_once() {
    let dir = lab_copy();
    let access = dir.path().join("logs/nginx/roundcube.access.log");
    let watch = Watch::start(dir.path());
    settle();
    // The mail there at start is the baseline: not alerted by itself.
    append(&access, OPEN_EXPLOIT);
    watch.wait_for("VC001");
    // Opened again by the same address, and another message: no second link.
    append(&access, OPEN_EXPLOIT);
    append(&access, OPEN_PLAIN);
    settle();
    let printed = watch.stop();
    let links = of_rule(&printed, "VC001");
    assert_eq!(links.len(), 1, "{links:#?}");
    let link = links[0];
    // As `vigie scan` links it: the owner, the address, the Roundcube
    // session of its login (userlogins.log line 17), the mail and the request.
    assert_eq!(link["level"], "critical");
    assert_eq!(link["entity"]["user"], "alice@lab.test");
    assert_eq!(link["entity"]["source_ip"], "127.0.0.66");
    assert_eq!(link["entity"]["session"], "tudmqd189thv49i3");
    assert_eq!(link["first_seen"], "2026-11-29T02:10:38Z");
    let evidence = evidence_paths(link);
    assert!(
        evidence[0].ends_with(&format!("{EXPLOIT_MAIL}:1")),
        "{evidence:?}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.ends_with("logs/nginx/roundcube.access.log:63")),
        "{evidence:?}"
    );
    assert!(
        of_rule(&printed, "VM001").is_empty(),
        "the mail there at start is the baseline"
    );
}

#[test]
fn issue_18_a_uid_given_after_the_watch_started_is_read_from_the_uidlist_and_linked() {
    let dir = lab_copy();
    let access = dir.path().join("logs/nginx/roundcube.access.log");
    let bob = dir.path().join("vmail/bob/Maildir");
    let watch = Watch::start(dir.path());
    settle();
    // The exploit mail delivered to bob as well, while the watch runs:
    // analysed as it lands; Dovecot gives it UID 6 when a client lists it.
    let base = "1795918400.M1P20000.vm,S=1484,W=1524";
    std::fs::copy(dir.path().join(EXPLOIT_MAIL), bob.join("new").join(base)).unwrap();
    watch.wait_for("VM001");
    append(&bob.join("dovecot-uidlist"), &format!("6 :{base}"));
    append(
        &access,
        &OPEN_EXPLOIT
            .replace("127.0.0.66", "198.51.100.7")
            .replace("_uid=4", "_uid=6"),
    );
    watch.wait_for("VC001");
    settle();
    let printed = watch.stop();
    let links = of_rule(&printed, "VC001");
    assert_eq!(links.len(), 1, "{links:#?}");
    assert_eq!(links[0]["entity"]["source_ip"], "198.51.100.7");
    // UID 6 of alice's INBOX does not exist: only bob's message is linked.
    let evidence = evidence_paths(links[0]);
    assert!(
        evidence[0].ends_with(&format!("vmail/bob/Maildir/new/{base}:1")),
        "{evidence:?}"
    );
}

#[test]
fn issue_18_mail_delivered_while_the_watch_was_stopped_is_analysed_at_the_restart() {
    let dir = lab_copy();
    let bob = dir.path().join("vmail/bob/Maildir");
    let watch = Watch::start(dir.path());
    settle();
    assert!(dir.path().join("state/mail.json").is_file());
    // Killed: nothing saved at the end; what was saved 2 s before holds.
    assert!(of_rule(&watch.kill(), "VM001").is_empty());
    let base = "1795918400.M1P20000.vm,S=1484,W=1524";
    std::fs::copy(dir.path().join(EXPLOIT_MAIL), bob.join("new").join(base)).unwrap();
    let watch = Watch::start(dir.path());
    watch.wait_for("VM001");
    settle();
    let printed = watch.stop();
    // The message delivered while stopped, once; not those read before.
    let found = of_rule(&printed, "VM001");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        evidence_paths(found[0])[0].ends_with(&format!("vmail/bob/Maildir/new/{base}:1")),
        "{found:#?}"
    );
    // A third run: nothing new, nothing again.
    let watch = Watch::start(dir.path());
    settle();
    assert!(of_rule(&watch.stop(), "VM001").is_empty());
}
