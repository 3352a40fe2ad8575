//! Shared by the CLI tests: where the embedded lab run is, and `vigie scan`
//! into a case folder (never reading the user's stored indicator sets).
#![allow(dead_code)] // each test file uses its part

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// `examples/lab-intrusion`: logs, mailboxes and ground truth of a real lab run.
pub fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion")
}

fn run(case: &Path, flags: &[&OsStr], inputs: &[PathBuf]) -> Output {
    Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--tz", "UTC", "--no-intel-store"])
        .args(flags)
        .arg("--case")
        .arg(case)
        .args(inputs)
        .output()
        .unwrap()
}

/// `vigie scan --tz UTC [flags] --case CASE INPUTS…`, which must find something (exit 1).
pub fn scan(case: &Path, flags: &[&OsStr], inputs: &[PathBuf]) -> Output {
    let out = run(case, flags, inputs);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The same, where finding nothing (exit 0) is right too.
pub fn scan_any(case: &Path, flags: &[&OsStr], inputs: &[PathBuf]) -> Output {
    let out = run(case, flags, inputs);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
