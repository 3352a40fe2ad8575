//! Issue 14: every scan says what it read, on stderr in one line (JSON with
//! `--json`), so that "0 findings" and "nothing understood" differ.

use std::ffi::OsStr;

mod common;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_clean_log_says_zero_findings() {
    let case = tempfile::tempdir().unwrap();
    let log = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/messy-tree/mail.log");
    let out = common::scan_any(case.path(), &[], &[log]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("read 1 log file (syslog 1), 351 lines, 351 events"),
        "{err}"
    );
    assert!(err.contains("; 0 findings"), "{err}");
    assert!(!err.contains("nothing read was understood"), "{err}");
}

#[test]
fn a_folder_of_non_logs_says_it_understood_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("photo.jpg"),
        [
            0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1,
        ],
    )
    .unwrap();
    std::fs::write(
        dir.path().join("notes.txt"),
        "groceries: milk, bread\nfix the bike\n",
    )
    .unwrap();
    let case = tempfile::tempdir().unwrap();
    let out = common::run(case.path(), &[], &[dir.path().to_path_buf()]);
    let err = stderr(&out);
    // Not 0, which a script would take for a clean server.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("2 files of no known format"), "{err}");
    assert!(
        err.contains("0 findings — nothing read was understood"),
        "{err}"
    );
    let json = common::run(
        case.path(),
        &[OsStr::new("--json")],
        &[dir.path().to_path_buf()],
    );
    let tally: serde_json::Value =
        serde_json::from_str(stderr(&json).lines().last().unwrap()).unwrap();
    assert_eq!(tally["events"], 0);
    assert_eq!(tally["unknown_count"], 2);
    assert_eq!(tally["findings_total"], 0);
}

#[test]
fn the_lab_run_tally_counts_files_mail_and_findings_by_level() {
    let case = tempfile::tempdir().unwrap();
    let out = common::scan(case.path(), &[], &[common::example()]);
    let err = stderr(&out);
    assert!(err.contains("mail stores: "), "{err}");
    assert!(err.contains("14 messages"), "{err}");
    assert!(err.contains(" critical"), "{err}");
    let answers: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.path().join("answers.json")).unwrap())
            .unwrap();
    assert_eq!(answers["read"]["mail_stores"]["maildir"], 3);
    // Dovecot's `.dovecot.sieve` links to the active script, read as a
    // Sieve store, and carol's Maildir lost its empty cur/ (git keeps no
    // empty folder), leaving Dovecot's index and UID files: none is a file
    // of no known format.
    let unknown = answers["read"]["unknown"].as_array().unwrap();
    assert!(
        !unknown.iter().any(|p| {
            let p = p.as_str().unwrap();
            p.ends_with(".dovecot.sieve") || p.contains("/dovecot")
        }),
        "{unknown:?}"
    );
    assert!(answers["read"]["events"].as_u64().unwrap() > 400);
}

/// A new-user trial: a message read in part (a bound reached) with nothing
/// found left no trace in the one line a quiet scan prints.
#[test]
fn a_message_read_in_part_is_said_in_the_tally() {
    let case = tempfile::tempdir().unwrap();
    // The fuzzer's message whose multipart lists its own ancestor (read once).
    let message = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../mail/tests/testdata/fuzz/mail-shared-parts.eml");
    let out = common::scan_any(case.path(), &[], &[message]);
    let err = stderr(&out);
    assert!(err.contains("1 message (1 read in part)"), "{err}");
}
