//! The mail-to-web link (VC001) for Zimbra: a message is named by its item id,
//! account-wide, in the store (the blob `<store>/0/<mailbox id>/msg/0/<id>-<revision>.msg`,
//! zm-mailbox `FileBlobStore.getBlobPath`) and in the web requests that fetch it
//! (`/service/home/~/?auth=co&view=text&id=<id>`, Show original;
//! `/service/home/~/Inbox?id=<id>`, the message in its native form;
//! `/h/printmessage?id=<id>`, print). The lab's exploit mail is laid out as
//! item 281 of a Zimbra store, so its IMAP UID (4) cannot be what links it.

use std::path::{Path, PathBuf};

mod common;

/// The lab's exploit mail to alice (INBOX UID 4), as Zimbra item 281.
fn zimbra_store(root: &Path) -> PathBuf {
    let lab = common::example().join("vmail/alice/Maildir/cur");
    let exploit = std::fs::read_dir(&lab)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("1795918129.M44549P9854"))
        .expect("the lab's exploit mail");
    let bucket = root.join("store/0/7/msg/0");
    std::fs::create_dir_all(&bucket).unwrap();
    std::fs::copy(exploit, bucket.join("281-3152.msg")).unwrap();
    root.join("store")
}

fn scan(lines: &[&str]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let store = zimbra_store(dir.path());
    let access = dir.path().join("zimbra.access.log");
    std::fs::write(&access, lines.join("\n") + "\n").unwrap();
    let case = tempfile::tempdir().unwrap();
    common::scan(case.path(), &[], &[store, access]);
    common::findings_of(case.path())
}

fn line(time: &str, request: &str) -> String {
    format!(
        r#"198.51.100.23 - - [29/Nov/2026:{time} +0000] "{request} HTTP/1.1" 200 25212 "-" "Mozilla/5.0""#
    )
}

#[test]
fn an_exploit_mail_opened_through_zimbra_is_linked_with_what_followed() {
    let findings = scan(&[
        &line("02:30:00", "GET /service/home/~/?auth=co&view=text&id=281"),
        &line("02:31:10", "POST /service/soap/ModifyFilterRulesRequest"),
    ]);
    let link = findings
        .iter()
        .find(|f| f["rule_id"] == "VC001" && f["entity"]["source_ip"] == "198.51.100.23")
        .unwrap_or_else(|| panic!("no VC001 from the opening address in {findings:#?}"));
    // Who, when, from where.
    assert_eq!(link["entity"]["user"], "alice@lab.test", "{link}");
    assert!(
        link["first_seen"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-29T02:30:00")),
        "{link}"
    );
    let evidence = link["evidence"].as_array().unwrap();
    assert!(
        evidence.iter().any(|e| {
            e["path"].as_str().unwrap().ends_with("zimbra.access.log") && e["line"] == 1
        }),
        "the opening request is evidence: {link}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("281-3152.msg")),
        "the blob is evidence: {link}"
    );
    // What followed: the filter rule saved a minute later, from the same address.
    let reason = link["reason"].as_str().unwrap();
    assert!(reason.contains("filter saved"), "{reason}");
}

#[test]
fn the_print_view_and_the_raw_message_link_too_but_not_another_item() {
    for request in [
        "GET /h/printmessage?id=281&tz=Europe/Paris",
        // The message in its native form, named through its folder.
        "GET /service/home/~/Inbox?auth=co&id=281",
    ] {
        let findings = scan(&[&line("02:30:00", request)]);
        assert!(
            findings
                .iter()
                .any(|f| f["rule_id"] == "VC001" && f["entity"]["source_ip"] == "198.51.100.23"),
            "{request}: {findings:#?}"
        );
    }
    // Item 4 is the mail's IMAP UID in the lab, not its Zimbra id.
    let findings = scan(&[&line(
        "02:30:00",
        "GET /service/home/~/?auth=co&view=text&id=4",
    )]);
    assert!(
        !findings.iter().any(|f| f["rule_id"] == "VC001"),
        "{findings:#?}"
    );
}
