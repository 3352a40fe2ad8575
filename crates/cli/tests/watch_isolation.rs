//! Issue 11: a log file the watch fails on (a panic while reading it) is
//! named on stderr and no longer followed; the watch goes on with the
//! other files instead of dying with it.

mod common;

use std::time::Duration;

/// The debug build's test hook (`VIGIE_TEST_PANIC_ON`) panics on a file
/// whose path holds this.
const POISON: &str = "POISON-issue-11-watch";

#[test]
#[cfg(debug_assertions)]
fn a_log_file_vigie_fails_on_is_named_and_the_others_are_still_followed() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // The lab's Dovecot log twice: one copy poisoned by its name.
    let dovecot = common::example().join("logs/dovecot.log");
    let poisoned = logs.join(format!("{POISON}.log"));
    std::fs::copy(&dovecot, &poisoned).unwrap();
    std::fs::copy(&dovecot, logs.join("dovecot.log")).unwrap();
    let lines = std::fs::read_to_string(&dovecot).unwrap().lines().count();
    let out = assert_cmd::Command::cargo_bin("vigie")
        .unwrap()
        .env("VIGIE_TEST_PANIC_ON", POISON)
        .args(["watch", "--json", "--tz", "UTC", "--no-intel-store"])
        .args(["--interval", "0.05", "--stop-after", "1"])
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg(&logs)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Not the panic's exit status (101): the watch ran to its stop.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: vigie failed while reading it (panic: test panic",
            poisoned.display()
        )),
        "{stderr}"
    );
    // The other copy was read whole as the baseline.
    assert!(
        stderr.contains(&format!("following 1 files ({lines} lines already there")),
        "{stderr}"
    );
}
