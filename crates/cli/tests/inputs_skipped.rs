//! Entries of a folder left unread on purpose — a link to a folder (a loop
//! cannot trap the walk), a link that leads nowhere, a FIFO (reading one
//! could block) — are named, each with its reason, and do not make the run
//! fail: the exit status still says what was found (found by a new-user
//! trial: a link loop in a folder turned "findings" into "error").

use assert_cmd::Command;

const LINE: &str = "Nov 28 22:39:29 mx dovecot: auth: Info: passwd-file(carol@lab.test,127.0.0.67,<TOOB2V1huY9/AABD>): Password mismatch\n";

#[test]
fn links_to_folders_dangling_links_and_fifos_are_named_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("a")).unwrap();
    std::fs::write(logs.join("mail.log"), LINE).unwrap();
    std::os::unix::fs::symlink("..", logs.join("a/up")).unwrap();
    std::os::unix::fs::symlink("nowhere", logs.join("gone.log")).unwrap();
    let fifo = logs.join("pipe.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
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
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
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

    let case = logs.join("case");
    for _ in 0..2 {
        let (code, err) = scan(&case, &[logs.as_os_str()]);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("read 1 log file (syslog 1)"), "{err}");
    }
}
