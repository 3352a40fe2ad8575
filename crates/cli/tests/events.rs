//! `vigie events` as a user runs it: inputs of every kind, outputs, exit codes.

use std::io::Write;
use std::path::PathBuf;

use assert_cmd::Command;

fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/lab-intrusion/logs")
        .join(path)
}

fn vigie() -> Command {
    let mut cmd = Command::cargo_bin("vigie").unwrap();
    cmd.env("TZ", "UTC");
    cmd
}

fn stats(args: &[&str]) -> serde_json::Value {
    let out = vigie()
        .args(["events", "--stats", "--json"])
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_embedded_incident_parses_whole() {
    let dir = example("");
    let summary = stats(&[dir.to_str().unwrap()]);
    let totals = &summary["totals"];
    assert_eq!(
        totals["lines"],
        totals["events"].as_u64().unwrap() + totals["skipped"].as_u64().unwrap()
    );
    // Only PHP-FPM's blank separator lines are not events.
    for input in summary["inputs"].as_array().unwrap() {
        for (reason, _) in input["skipped"].as_object().unwrap() {
            let path = input["path"].as_str().unwrap();
            assert!(
                reason == "empty-line" && path.ends_with("php8.2-fpm.log"),
                "{path}: {reason}"
            );
        }
    }
    assert!(totals["events"].as_u64().unwrap() > 300);
}

#[test]
fn jsonl_is_nested_ecs_with_file_and_line() {
    let out = vigie()
        .args(["events", "--tz", "UTC"])
        .arg(example("roundcube/userlogins.log"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 17);
    // The attacker's login as alice, from the attacker's browser address.
    let success = lines
        .iter()
        .find(|e| e["event"]["action"] == "login" && e["source"]["ip"] == "127.0.0.66")
        .unwrap();
    assert_eq!(success["user"]["name"], "alice@lab.test");
    assert_eq!(success["event"]["dataset"], "roundcube.userlogins");
    assert!(
        success["log"]["file"]["path"]
            .as_str()
            .unwrap()
            .ends_with("userlogins.log")
    );
    assert!(success["log"]["file"]["line"].as_u64().unwrap() >= 1);
}

#[test]
fn stdin_gzip_and_csv() {
    let raw = std::fs::read(example("mail.log")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let out = vigie()
        .args(["events", "--format", "csv", "-"])
        .write_stdin(gz.finish().unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("@timestamp,event.dataset,"));
    assert_eq!(
        text.lines().count(),
        1 + raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count()
    );
    // The last two columns are log.file.path and log.file.line: stdin is `-`,
    // guarded like every cell that starts with a formula character.
    assert!(
        text.lines().nth(1).unwrap().ends_with(",\"'-\",1"),
        "{text}"
    );
}

#[test]
fn a_missing_input_is_exit_2_and_the_rest_is_still_read() {
    let out = vigie()
        .args(["events", "--stats", "/no/such/file"])
        .arg(example("mail.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("mail.log"));
}

/// A new-user trial: scan named a missing input twice, once from the log
/// listing and once from the mail side ("file not readable").
#[test]
fn a_missing_input_is_named_once_by_scan() {
    let case = tempfile::tempdir().unwrap();
    let out = vigie()
        .args(["scan", "--tz", "UTC", "--findings-only", "--case"])
        .arg(case.path())
        .arg("/no/such/file")
        .arg(example("mail.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("/no/such/file").count(), 1, "{stderr}");
}

#[test]
fn usage_errors_are_exit_2() {
    vigie()
        .args(["events", "--tz", "Mars/Olympus", "-"])
        .assert()
        .code(2);
    vigie().args(["events"]).assert().code(2);
}

#[test]
fn a_truncated_gzip_is_reported_with_exit_2() {
    let raw = std::fs::read(example("dovecot.log")).unwrap().repeat(50);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let compressed = gz.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dovecot.log.1.gz");
    std::fs::write(&path, &compressed[..compressed.len() / 2]).unwrap();
    let out = vigie()
        .args(["events", "--stats", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        summary["inputs"][0]["error"]
            .as_str()
            .unwrap()
            .contains("after line")
    );
    assert!(summary["inputs"][0]["events"].as_u64().unwrap() > 100);
}

#[test]
fn rotated_sets_are_read_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let line = |day: u32| {
        format!("2026-11-{day:02}T10:00:00+00:00 mail postfix/qmgr[1]: ABC123DEF0: removed\n")
    };
    std::fs::write(dir.path().join("mail.log"), line(3)).unwrap();
    std::fs::write(dir.path().join("mail.log.1"), line(2)).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(line(1).as_bytes()).unwrap();
    std::fs::write(dir.path().join("mail.log.2.gz"), gz.finish().unwrap()).unwrap();
    let out = vigie()
        .args(["events", "-j", "1"])
        .arg(dir.path())
        .output()
        .unwrap();
    let days: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["@timestamp"]
                .as_str()
                .unwrap()[..10]
                .to_string()
        })
        .collect();
    assert_eq!(days, ["2026-11-01", "2026-11-02", "2026-11-03"]);
}

/// Issue 15: `vigie events -` writes each event as its line arrives (a pipe
/// from `tail -f` or a collector never ends): the first event is out while
/// standard input is still open.
#[test]
fn events_from_a_pipe_stream_before_the_input_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command as Std, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut child = Std::new(assert_cmd::cargo::cargo_bin("vigie"))
        .args(["events", "--tz", "UTC", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A real Dovecot line of the lab run (examples/lab-intrusion/logs/dovecot.log).
    stdin
        .write_all(b"2026-11-29T02:10:41.512000+00:00 mail dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<carol@lab.test>, method=PLAIN, rip=127.0.0.67, lip=127.0.0.1, session=<fs22zGBha8x/AABD>\n")
        .unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let first = receive.recv_timeout(Duration::from_secs(20));
    drop(stdin);
    let status = child.wait().unwrap();
    let first = first.expect("no event written while the input was open");
    assert!(first.contains("\"dataset\":\"dovecot\""), "{first}");
    assert!(first.contains("login-failed"), "{first}");
    assert!(status.success());
}

#[test]
fn stats_totals_label_files_as_the_table_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.log"), "\n\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "fix the bike\n").unwrap();
    std::fs::copy(
        example("roundcube/sendmail.log"),
        dir.path().join("sendmail.log"),
    )
    .unwrap();
    // A syslog line longer than --max-line: a format, no event.
    std::fs::write(
        dir.path().join("syslog"),
        format!(
            "Nov 29 02:08:48 mx1 postfix/smtpd[1]: {}\n",
            "x".repeat(2000)
        ),
    )
    .unwrap();
    let totals = &stats(&["--max-line", "1024", dir.path().to_str().unwrap()])["totals"];
    assert_eq!(totals["files"], 4, "{totals}");
    assert_eq!(totals["formats"]["empty"], 1, "{totals}");
    assert_eq!(totals["formats"]["unknown"], 1, "{totals}");
    assert_eq!(totals["formats"]["roundcube"], 1, "{totals}");
    assert_eq!(totals["formats"]["syslog"], 1, "{totals}");
    assert_eq!(totals["eventless"], 1, "{totals}");
}
