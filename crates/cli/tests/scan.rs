//! `vigie scan` on the embedded lab intrusion: findings written to the case,
//! each pointing at real lines; exit 1 with findings, 0 without.

use std::ffi::OsStr;
use std::path::PathBuf;

use assert_cmd::Command;

mod common;

fn logs() -> PathBuf {
    common::example().join("logs")
}

#[test]
fn the_lab_intrusion_gives_findings_with_evidence_on_real_lines() {
    let case = tempfile::tempdir().unwrap();
    common::scan(case.path(), &[], &[logs()]);
    let text = std::fs::read_to_string(case.path().join("findings.jsonl")).unwrap();
    let findings: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let export = findings
        .iter()
        .find(|f| f["title"] == "Webmail address book exported")
        .expect("address-book export found");
    assert_eq!(export["entity"]["source_ip"], "127.0.0.66");
    // The access log knows only the address; alice is the one account that logged in from it.
    assert_eq!(export["entity"]["user"], "alice@lab.test");
    assert_eq!(export["attack"][0], "T1087.003");
    // Both redirect rules (alice's via the webmail, bob's via ManageSieve) forwarded one message each.
    let mut redirected: Vec<&str> = findings
        .iter()
        .filter(|f| f["title"] == "Mail forwarded by a Sieve redirect")
        .map(|f| f["entity"]["user"].as_str().unwrap())
        .collect();
    redirected.sort();
    assert_eq!(redirected, ["alice@lab.test", "bob@lab.test"]);
    for f in &findings {
        for e in f["evidence"].as_array().unwrap() {
            let content = std::fs::read_to_string(e["path"].as_str().unwrap()).unwrap();
            let line = e["line"].as_u64().unwrap() as usize;
            assert!(content.lines().nth(line - 1).is_some(), "{e}");
        }
    }
    let evidence = &export["evidence"][0];
    let line = std::fs::read_to_string(evidence["path"].as_str().unwrap())
        .unwrap()
        .lines()
        .nth(evidence["line"].as_u64().unwrap() as usize - 1)
        .unwrap()
        .to_string();
    assert!(line.contains("_task=addressbook&_action=export"), "{line}");
}

#[test]
fn no_finding_is_exit_0_with_an_empty_findings_file() {
    let case = tempfile::tempdir().unwrap();
    Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--case"])
        .arg(case.path())
        .arg(logs().join("php8.2-fpm.log"))
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(case.path().join("findings.jsonl")).unwrap(),
        ""
    );
}

#[test]
fn an_unreadable_geoip_database_is_a_usage_error_naming_the_file() {
    let case = tempfile::tempdir().unwrap();
    let bad = case.path().join("broken.mmdb");
    std::fs::write(&bad, b"not a MaxMind database").unwrap();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--case"])
        .arg(case.path())
        .arg("--geoip")
        .arg(&bad)
        .arg(logs().join("mail.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.mmdb"));
}

#[test]
fn geoip_places_the_scopes_addresses_and_the_report_charts_countries() {
    let case = tempfile::tempdir().unwrap();
    // The lab's intruder addresses (127.0.0.64/26) and its office (127.0.0.0/27).
    let (country, asn) = vigie_detect::geo::testing::write_databases(
        case.path(),
        &[
            ("127.0.0.64/26", "RU", 64_511),
            ("127.0.0.0/27", "FR", 64_500),
        ],
    );
    common::scan(
        case.path(),
        &[
            "--geoip".as_ref(),
            country.as_os_str(),
            "--asn".as_ref(),
            asn.as_os_str(),
        ],
        &[logs()],
    );
    let scope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.path().join("scope.json")).unwrap())
            .unwrap();
    assert_eq!(
        scope["places"]["127.0.0.66"],
        serde_json::json!({"country": "RU", "asn": 64511})
    );
    assert_eq!(scope["places"]["127.0.0.10"]["country"], "FR");
    let report = Command::cargo_bin("vigie")
        .unwrap()
        .arg("report")
        .arg(case.path())
        .output()
        .unwrap();
    assert!(report.status.success());
    let html = std::fs::read_to_string(case.path().join("report.html")).unwrap();
    assert!(html.contains("findings per source country"));
    assert!(html.contains("127.0.0.66 (RU, AS64511)"));
}

/// Issue 15: what cannot be read in a mail store is named once, as what it
/// is (a folder or a link to nothing where a message file was expected),
/// never as "message not read: path:0", and the scan's status says so (2).
#[test]
fn unreadable_entries_of_a_mail_store_are_named_as_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("Maildir/cur");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.path().join("Maildir").join(sub)).unwrap();
    }
    let lab = common::example().join("vmail/bob/Maildir/cur");
    let message = std::fs::read_dir(&lab)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_file())
        .unwrap();
    std::fs::copy(&message, cur.join(message.file_name().unwrap())).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("gone"),
        cur.join("1795918117.M1P1.vm,S=10:2,"),
    )
    .unwrap();
    std::fs::create_dir(cur.join("1795918118.M2P2.vm,S=10:2,")).unwrap();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--tz", "UTC", "--no-intel-store", "--case"])
        .arg(dir.path().join("case"))
        .arg(dir.path().join("Maildir"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("1795918117.M1P1.vm,S=10:2,: message not read: a symbolic link to nothing"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "1795918118.M2P2.vm,S=10:2,: message not read: a folder where a message file was expected"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(":0:"), "{stderr}");
    assert_eq!(stderr.matches("1795918117.M1P1").count(), 1, "{stderr}");
}

/// Issue 15: paths are kept as the OS gives them. A log and a message whose
/// file names are not UTF-8 give evidence paths (escaped `\xNN`, plain JSON
/// strings) that lead back to the very files.
#[test]
fn evidence_paths_of_files_named_in_no_utf8_can_be_opened() {
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join(OsStr::from_bytes(b"logs-caf\xe9"));
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::copy(
        common::example().join("logs/dovecot.log"),
        logs.join(OsStr::from_bytes(b"dovecot-\xff.log")),
    )
    .unwrap();
    let maildir = dir.path().join("alice/Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    // The lab's CVE-2024-37383 message, under a name with a Latin-1 byte.
    std::fs::copy(
        common::example()
            .join("vmail/alice/Maildir/cur/1795918129.M44549P9854.vm,S=1484,W=1524:2,S"),
        maildir.join(OsStr::from_bytes(
            b"1795918129.M44549P9854.vm\xe9,S=1484:2,S",
        )),
    )
    .unwrap();
    let case = dir.path().join("case");
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--tz", "UTC", "--no-intel-store", "--case"])
        .arg(&case)
        .arg(&logs)
        .arg(dir.path().join("alice"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = std::fs::read_to_string(case.join("findings.jsonl")).unwrap();
    let mut paths = std::collections::BTreeSet::new();
    for line in findings.lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        for e in f["evidence"].as_array().into_iter().flatten() {
            paths.insert(e["path"].as_str().unwrap().to_string());
        }
    }
    assert!(
        paths.iter().any(|p| p.ends_with("dovecot-\\xff.log")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.contains("vm\\xe9,S=1484:2,S")),
        "{paths:?}"
    );
    for p in &paths {
        assert!(!p.contains('\u{fffd}'), "{p}");
        assert!(
            vigie_event::path::from_text(p).is_file(),
            "{p} does not lead back to its file"
        );
    }
}

/// Issue 15: a file that cannot be read (here one whose first read fails:
/// `/proc/self/mem` at offset 0 gives EIO, the way a failing disk does) is
/// named once, by `scan` as by `events`, with what happened, not its path
/// twice; the status is 2.
#[test]
fn a_file_that_cannot_be_read_is_named_once() {
    let unreadable = std::path::Path::new("/proc/self/mem");
    if !unreadable.exists() {
        eprintln!("skipped: no /proc/self/mem on this system");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--tz", "UTC", "--no-intel-store", "--case"])
        .arg(dir.path().join("case"))
        .arg(unreadable)
        .arg(common::example().join("logs/dovecot.log"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("/proc/self/mem").count(), 1, "{stderr}");
    assert!(
        stderr.contains("vigie: /proc/self/mem: not readable: "),
        "{stderr}"
    );
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["events", "--tz", "UTC"])
        .arg(unreadable)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("/proc/self/mem").count(), 1, "{stderr}");
}

#[test]
fn every_help_page_gives_examples() {
    let help = |args: &[&str]| {
        let out = Command::cargo_bin("vigie")
            .unwrap()
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    for command in [
        &[][..],
        &["scan"],
        &["events"],
        &["hunt"],
        &["report"],
        &["watch"],
        &["audit"],
        &["intel"],
        &["rules"],
        &["intel", "import"],
        &["intel", "list"],
        &["intel", "remove"],
        &["rules", "check"],
    ] {
        let text = help(command);
        assert!(
            text.contains("\nExamples:\n  vigie"),
            "{command:?}:\n{text}"
        );
    }
}

/// A fresh user's retest: with no usable temporary folder the correlations'
/// spill file could not be made, no event was counted, and the scan wrote
/// its findings without any correlation's (the whole intrusion) and exit 1.
#[test]
fn no_temporary_folder_is_an_error_not_missing_correlations() {
    let case = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .env("TMPDIR", "/nonexistent/vigie-test")
        .args([
            "scan",
            "--tz",
            "UTC",
            "--no-intel-store",
            "--findings-only",
            "--case",
        ])
        .arg(case.path())
        .arg(logs())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "cannot keep the events correlations need in a temporary file in /nonexistent/vigie-test"
        ),
        "{err}"
    );
}

/// A fresh user's retest: `--sigma` given an empty folder ran without a word.
#[test]
fn a_sigma_folder_without_rules_is_named() {
    let case = tempfile::tempdir().unwrap();
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("README.txt"), "my rules go here\n").unwrap();
    let out = common::run(
        case.path(),
        &[
            OsStr::new("--findings-only"),
            OsStr::new("--sigma"),
            rules.path().as_os_str(),
        ],
        &[logs()],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Sigma rule in --sigma") && err.contains("no .yml or .yaml file"),
        "{err}"
    );
    // The built-in pack still ran.
    assert_eq!(out.status.code(), Some(1), "{err}");
}
