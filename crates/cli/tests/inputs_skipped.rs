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
