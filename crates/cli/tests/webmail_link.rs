//! The mail-to-web link (VC001) through each webmail's own identifiers: the
//! lab's exploit mail (alice's INBOX, IMAP UID 4) opened through SOGo (folder
//! path and UID in the URL) and through Horde IMP (base64url mailbox and BUID)
//! is linked to the request that opened it, with the address it came from.

use std::path::PathBuf;

mod common;

/// A case scanning the lab's mail stores and one access log of `lines`.
fn link_findings(lines: &[&str]) -> Vec<serde_json::Value> {
    let logs = tempfile::tempdir().unwrap();
    let access = logs.path().join("webmail.access.log");
    std::fs::write(&access, lines.join("\n") + "\n").unwrap();
    let case = tempfile::tempdir().unwrap();
    let vmail: PathBuf = common::example().join("vmail");
    common::scan(case.path(), &[], &[vmail, access]);
    common::findings_of(case.path())
        .into_iter()
        .filter(|f| f["rule_id"] == "VC001")
        .collect()
}

fn assert_linked(webmail: &str, request: &str) {
    let line = format!(
        r#"198.51.100.23 - - [29/Nov/2026:02:30:00 +0000] "{request} HTTP/1.1" 200 25212 "-" "Mozilla/5.0""#
    );
    let found = link_findings(&[&line]);
    let link = found
        .iter()
        .find(|f| f["entity"]["source_ip"] == "198.51.100.23")
        .unwrap_or_else(|| panic!("{webmail}: no VC001 from the opening address in {found:#?}"));
    assert_eq!(
        link["entity"]["user"], "alice@lab.test",
        "{webmail}: {link}"
    );
    let evidence = link["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("webmail.access.log")),
        "{webmail}: the opening request is evidence: {link}"
    );
}

#[test]
fn an_exploit_mail_opened_through_sogo_is_linked_to_its_request() {
    assert_linked(
        "sogo",
        "POST /SOGo/so/alice@lab.test/Mail/0/folderINBOX/4/view",
    );
}

#[test]
fn an_exploit_mail_opened_through_horde_is_linked_to_its_request() {
    // IMP 6: the mailbox base64url-encoded (SU5CT1g = INBOX), the message by BUID.
    assert_linked(
        "horde",
        "GET /horde/imp/dynamic.php?page=message&mailbox=SU5CT1g&buid=4",
    );
}

#[test]
fn another_message_opened_is_not_linked() {
    let line = r#"198.51.100.23 - - [29/Nov/2026:02:30:00 +0000] "POST /SOGo/so/alice@lab.test/Mail/0/folderINBOX/2/view HTTP/1.1" 200 25212 "-" "Mozilla/5.0""#;
    let found = link_findings(&[line]);
    assert!(
        !found
            .iter()
            .any(|f| f["entity"]["source_ip"] == "198.51.100.23"),
        "{found:#?}"
    );
}
