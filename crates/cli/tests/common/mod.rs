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

/// The lab run tests read: the folder `VIGIE_LAB_RUN` names (`DIR/intrusion`
/// of `sudo lab/run DIR`, as `.ci/run` makes on the real stack), or the
/// embedded one.
pub fn lab_run() -> PathBuf {
    std::env::var_os("VIGIE_LAB_RUN")
        .map(PathBuf::from)
        .unwrap_or_else(example)
}

/// Where a run's logs are: `logs/` in the embedded run, the run folder in a collected one.
pub fn logs_dir(dir: &Path) -> PathBuf {
    if dir.join("logs").is_dir() {
        dir.join("logs")
    } else {
        dir.to_path_buf()
    }
}

/// The log files and folders the lab's servers write, under [`logs_dir`].
pub const LAB_LOGS: [&str; 5] = [
    "dovecot.log",
    "mail.log",
    "nginx",
    "roundcube",
    "php8.2-fpm.log",
];

/// The run's ground-truth files, parsed, in name order.
pub fn ground_truths(dir: &Path) -> Vec<serde_json::Value> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("ground-truth")
        })
        .collect();
    found.sort();
    found
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// The findings of a case folder.
pub fn findings_of(case: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(case.join("findings.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `vigie scan --tz UTC [flags] --case CASE INPUTS…`, whatever its exit status.
pub fn run(case: &Path, flags: &[&OsStr], inputs: &[PathBuf]) -> Output {
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

/// Whether a program the test needs from outside the repository answers
/// `probe` (for example `["python3", "-c", "import stix2"]`). Without it the
/// part that needs it reports itself as not run on stderr, naming `what` is
/// missing, and the caller skips that part; under CI (`CI` set, as it is for
/// `.ci/run`, which installs every such program) a missing program fails.
pub fn needs(test: &str, probe: &[&str], what: &str) -> bool {
    let found = std::process::Command::new(probe[0])
        .args(&probe[1..])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {what} is missing, and .ci/run installs it"
        );
        eprintln!("not run: {test}: {what} is missing (see README, \"Tests\")");
    }
    found
}

/// Reads a child's `stream` line by line on a thread of its own into the
/// returned list, echoing each line to the test's stderr, so a failing test
/// shows what the child said.
pub fn echo_lines(
    stream: impl std::io::Read + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use std::io::BufRead;
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&said);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            eprintln!("{line}");
            kept.lock().unwrap().push(line);
        }
    });
    said
}
