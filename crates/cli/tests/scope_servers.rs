//! The scope is built from every mail server's sessions, not only Dovecot's
//! and Postfix's: an IMAP login and its logout with the bytes sent, from
//! MDaemon's session log, make a session of the account, and the coverage
//! names the IMAP/POP3 servers' logs as read (issue 12: "bytes where they
//! log them").

use std::ffi::OsStr;
use std::path::PathBuf;

mod common;

fn mdaemon_log() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ingest/tests/testdata/mailservers/mdaemon.log")
}

#[test]
fn an_mdaemon_imap_session_counts_in_the_scope_with_its_bytes() {
    let case = tempfile::tempdir().unwrap();
    common::scan_any(
        case.path(),
        &[OsStr::new("--all-accounts")],
        &[mdaemon_log()],
    );
    let scope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.path().join("scope.json")).unwrap()).unwrap();
    let dave = scope["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == "dave@example.org")
        .expect("dave's IMAP login makes him an account of the scope");
    let session = &dave["mail_sessions"][0];
    assert_eq!(session["protocol"], "imap");
    assert_eq!(session["source"], "203.0.113.14");
    // `IMAP session complete, (Bytes in/out: 812/48211)`, joined to the login by its session.
    assert_eq!(session["bytes_out"], 48211);
    let families: Vec<&str> = scope["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["family"].as_str().unwrap())
        .collect();
    assert!(families.contains(&"IMAP/POP3 server"), "{families:?}");
    assert!(families.contains(&"mta"), "{families:?}");
    let caveats = dave["exfiltration"]["caveats"].to_string();
    assert!(
        !caveats.contains("no IMAP/POP3 server log was read"),
        "{caveats}"
    );
}
