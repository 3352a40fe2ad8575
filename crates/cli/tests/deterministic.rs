//! The same inputs give a byte-identical case whatever the number of worker
//! threads and however they are scheduled: `vigie scan` of the embedded lab
//! intrusion (logs and mailboxes), and of the lab run `VIGIE_LAB_RUN` names
//! when it is set, with 1, 2 and 8 threads, several times each. A forensic
//! result must be reproducible; the takeover chain (VA004) once listed its
//! steps in a different order from run to run.
//!
//! Every second run cuts the web, Roundcube and syslog files into pieces of
//! 1000 bytes (`VIGIE_SCAN_PIECE_BYTES`), read on all the threads: the case
//! is the same as when each file is read whole (a Dovecot session's login
//! and logout in two pieces are still joined).
//!
//! The scan time is fixed through `SOURCE_DATE_EPOCH` (it is recorded in the
//! database and dates the exports); every case folder has the same name (it
//! names the exports and the report).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

mod common;

/// Runs per thread count.
const RUNS: usize = 2;

/// Every file of a case folder, by name.
fn files_of(case: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(case)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// `vigie scan --threads THREADS` of `inputs` into `ROOT/case`, large files
/// cut in pieces of `piece_bytes` when given.
fn scan(
    root: &Path,
    threads: usize,
    piece_bytes: Option<&str>,
    inputs: &[PathBuf],
) -> BTreeMap<String, Vec<u8>> {
    let case = root.join("case");
    let mut command = Command::cargo_bin("vigie").unwrap();
    if let Some(bytes) = piece_bytes {
        command.env("VIGIE_SCAN_PIECE_BYTES", bytes);
    }
    let out = command
        .env("SOURCE_DATE_EPOCH", "1764547200")
        .args(["scan", "--tz", "UTC", "--no-intel-store", "--threads"])
        .arg(threads.to_string())
        .arg("--case")
        .arg(&case)
        .args(inputs)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    files_of(&case)
}

/// Scans `inputs` with 1, 2 and 8 threads, [`RUNS`] times each, and requires
/// every case file to equal the first scan's byte for byte.
fn same_case_every_time(inputs: &[PathBuf]) {
    let mut first: Option<BTreeMap<String, Vec<u8>>> = None;
    for threads in [1, 2, 8] {
        for run in 0..RUNS {
            let root = tempfile::tempdir().unwrap();
            let piece_bytes = (run % 2 == 1).then_some("1000");
            let files = scan(root.path(), threads, piece_bytes, inputs);
            let Some(first) = &first else {
                for name in [
                    "findings.jsonl",
                    "answers.json",
                    "scope.json",
                    "timeline.csv",
                ] {
                    assert!(files.contains_key(name), "{name} missing from the case");
                }
                first = Some(files);
                continue;
            };
            assert_eq!(
                first.keys().collect::<Vec<_>>(),
                files.keys().collect::<Vec<_>>(),
                "{threads} threads, run {run}: other files"
            );
            for (name, bytes) in &files {
                assert!(
                    first[name] == *bytes,
                    "{threads} threads, run {run}: {name} differs from the first scan's"
                );
            }
        }
    }
}

#[test]
fn the_sample_intrusion_gives_the_same_case_with_any_number_of_threads() {
    let run = common::example();
    same_case_every_time(&[run.join("logs"), run.join("vmail")]);
}

#[test]
fn the_lab_run_gives_the_same_case_with_any_number_of_threads() {
    let Some(run) = std::env::var_os("VIGIE_LAB_RUN").map(PathBuf::from) else {
        eprintln!("not run: VIGIE_LAB_RUN is not set (a finished lab run's folder)");
        return;
    };
    let mut inputs: Vec<PathBuf> = common::LAB_LOGS
        .iter()
        .map(|name| common::logs_dir(&run).join(name))
        .filter(|p| p.exists())
        .collect();
    if run.join("vmail").is_dir() {
        inputs.push(run.join("vmail"));
    }
    same_case_every_time(&inputs);
}

/// A `SOURCE_DATE_EPOCH` that is not whole seconds from 1970 to 9999 is an
/// error naming it (exit 2), not a silent fall back to the current time or
/// a year 294247 in the STIX bundle.
#[test]
fn a_source_date_epoch_that_is_no_time_is_refused() {
    let run = common::example();
    for bad in ["abc", "-5", "99999999999999"] {
        let root = tempfile::tempdir().unwrap();
        let out = Command::cargo_bin("vigie")
            .unwrap()
            .env("SOURCE_DATE_EPOCH", bad)
            .args(["scan", "--tz", "UTC", "--no-intel-store", "--case"])
            .arg(root.path().join("case"))
            .arg(run.join("logs"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("SOURCE_DATE_EPOCH"), "{bad}: {stderr}");
    }
}
