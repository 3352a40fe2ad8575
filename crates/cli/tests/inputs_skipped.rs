//! Entries of a folder left unread on purpose — a link to a folder (a loop
//! cannot trap the walk), a link that leads nowhere, a FIFO (reading one
//! could block) — are named, each with its reason, and do not make the run
//! fail: the exit status still says what was found (found by a new-user
//! trial: a link loop in a folder turned "findings" into "error").

use assert_cmd::Command;

const LINE: &str = "Nov 28 22:39:29 mx dovecot: auth: Info: passwd-file(carol@lab.test,127.0.0.67,<TOOB2V1huY9/AABD>): Password mismatch\n";

/// Makes a FIFO at `path` (an intruder's `mkfifo`).
fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

#[test]
fn links_to_folders_dangling_links_and_fifos_are_named_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("a")).unwrap();
    std::fs::write(logs.join("mail.log"), LINE).unwrap();
    std::os::unix::fs::symlink("..", logs.join("a/up")).unwrap();
    std::os::unix::fs::symlink("nowhere", logs.join("gone.log")).unwrap();
    let fifo = logs.join("pipe.log");
    mkfifo(&fifo);
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["events", "--stats", "--tz", "UTC"])
        .arg(&logs)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("a link to a folder, not followed"), "{said}");
    assert!(said.contains("a link that cannot be followed"), "{said}");
    assert!(said.contains("not a regular file"), "{said}");
    assert!(
        said.contains("1 events") || said.contains("1 event"),
        "{said}"
    );
}

fn scan(case: &std::path::Path, inputs: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--tz", "UTC", "--no-intel-store", "--case"])
        .arg(case)
        .args(inputs)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A new-user trial: a FIFO planted as `mail.log.1` and named by the shell's
/// `mail.log*` hung the scan for good; a folder a quoted pattern matched was
/// "no file"; the same folder named twice (relative and absolute) doubled
/// every count and changed the findings.
#[test]
fn named_fifos_are_skipped_patterns_reach_folders_and_a_file_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("dovecot")).unwrap();
    std::fs::write(logs.join("mail.log"), LINE).unwrap();
    std::fs::write(logs.join("dovecot/dovecot.log"), LINE).unwrap();
    let fifo = logs.join("mail.log.1");
    mkfifo(&fifo);
    let case = dir.path().join("case");
    let (code, err) = scan(
        &case,
        &[logs.join("mail.log").as_os_str(), fifo.as_os_str()],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("mail.log.1: skipped: not a regular file"),
        "{err}"
    );
    assert!(err.contains("1 log file (syslog 1), 1 line"), "{err}");

    let pattern = logs.join("dov*");
    let (code, err) = scan(&case, &[pattern.as_os_str()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 log file (syslog 1), 1 line"), "{err}");

    let relative = dir.path().join(".").join("logs").join("dovecot");
    let absolute = logs.join("dovecot/");
    let (code, err) = scan(&case, &[relative.as_os_str(), absolute.as_os_str()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 log file (syslog 1), 1 line"), "{err}");
}

/// A new-user trial: `--case /` wrote a dozen case files into `/`, among
/// the evidence, and a case folder among the inputs had its own files read
/// as logs on the next scan.
#[test]
fn a_case_around_the_inputs_is_refused_and_a_case_among_them_is_no_input() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("mail.log"), LINE).unwrap();
    let (code, err) = scan(&logs, &[logs.join("mail.log").as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("holds the input"), "{err}");
    assert!(!logs.join("findings.jsonl").exists());

    // The same folder spelt otherwise, or through a link (a retest).
    let (code, err) = scan(&logs.join("sub/.."), &[logs.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&logs, &link).unwrap();
    let (code, err) = scan(&link, &[logs.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(!logs.join("findings.jsonl").exists());

    // A case inside the input, scanned again, and another case beside it:
    // neither's files are read as logs.
    for case in ["case", "case", "case2"] {
        let (code, err) = scan(&logs.join(case), &[logs.as_os_str()]);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("read 1 log file (syslog 1)"), "{err}");
    }
}

/// A retest: `vigie watch` on a FIFO blocked opening it, past SIGTERM. It
/// is now named as not followed and the watch stops when told.
#[test]
fn the_watch_names_a_fifo_and_does_not_wait_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("mail.log");
    mkfifo(&fifo);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vigie"))
        .args(["watch", "--state-dir"])
        .arg(dir.path().join("state"))
        .arg(&fifo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let state = dir.path().join("state");
    while !state.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("not a regular file"), "{err}");
    assert!(status.code().is_some(), "killed, not stopped: {err}");
}
