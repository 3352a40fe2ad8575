//! `vigie intel import|list|remove` and a scan matching the stored sets:
//! defanged indicators imported into a store, listed with their counts,
//! matched on the embedded lab run's lines, removed; a damaged set file is
//! named, and the scan says so in its exit status.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

mod common;

fn vigie(args: &[&str], store: &Path) -> std::process::Output {
    Command::cargo_bin("vigie")
        .unwrap()
        .args(args)
        .arg("--intel-dir")
        .arg(store)
        .output()
        .unwrap()
}

#[test]
fn imported_sets_are_listed_matched_by_scans_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("intel");
    let list = dir.path().join("lab-attackers.txt");
    std::fs::write(
        &list,
        "# the lab's web attacker\nhxxp://127.0.0[.]66/\n127.0.0[.]66\nnot an indicator\n",
    )
    .unwrap();
    let out = vigie(
        &[
            "intel",
            "import",
            list.to_str().unwrap(),
            "--name",
            "Lab attackers",
        ],
        &store,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("3 read, 2 used (2 indicators), 1 refused"),
        "{report}"
    );
    assert!(report.contains("e.g. not an indicator"), "{report}");

    let out = vigie(&["intel", "list", "--json"], &store);
    let sets: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sets.len(), 1);
    assert_eq!(
        (sets[0]["name"].as_str(), sets[0]["indicators"].as_u64()),
        (Some("lab_attackers"), Some(2))
    );

    // A scan matches the stored set without being told about the file.
    let case = dir.path().join("case");
    let scan_with_store = || {
        Command::cargo_bin("vigie")
            .unwrap()
            .args(["scan", "--tz", "UTC", "--findings-only", "--intel-dir"])
            .arg(&store)
            .arg("--case")
            .arg(&case)
            .arg(common::example().join("logs"))
            .output()
            .unwrap()
    };
    let scan = scan_with_store();
    assert_eq!(
        scan.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let findings = std::fs::read_to_string(case.join("findings.jsonl")).unwrap();
    let matched: Vec<Value> = findings
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f["rule_id"] == "VI001")
        .collect();
    assert!(!matched.is_empty());
    assert!(
        matched
            .iter()
            .all(|f| f["reason"].as_str().unwrap().contains("(set lab_attackers"))
    );

    // A damaged set is named and makes the scan's status 2; the others still load.
    std::fs::write(store.join("broken.json"), "{ not json").unwrap();
    let scan = scan_with_store();
    assert_eq!(scan.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&scan.stderr).contains("broken.json"));
    std::fs::remove_file(store.join("broken.json")).unwrap();

    assert!(
        vigie(&["intel", "remove", "Lab attackers"], &store)
            .status
            .success()
    );
    let out = vigie(&["intel", "remove", "Lab attackers"], &store);
    assert_eq!(out.status.code(), Some(2));
    let out = vigie(&["intel", "list", "--json"], &store);
    assert!(out.stdout.is_empty());
}

/// The feeds of `vigie-intel`'s tests, in their published layouts.
fn published(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../intel/tests/testdata/published")
        .join(name)
}

/// Issue 15: a ThreatFox export (banner, header in a comment, `", "`
/// separators, `ip:port`) is read by column; a scan then matches the C2
/// address on a Postfix line and not the reference URL (a research site)
/// that a web client sent as its referrer.
#[test]
fn threatfox_export_matches_the_c2_address_and_not_its_reference() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("intel");
    let out = vigie(
        &[
            "intel",
            "import",
            published("threatfox.csv").to_str().unwrap(),
            published("misp-feed").to_str().unwrap(),
            "--name",
            "bianlian",
        ],
        &store,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("threatfox, 6 read, 5 used (5 indicators), 1 refused"),
        "{report}"
    );
    assert!(
        report.contains("misp-feed, 6 read, 3 used (3 indicators), 3 refused"),
        "{report}"
    );
    let set = std::fs::read_to_string(store.join("bianlian.json")).unwrap();
    for never in [
        "search.censys.io",
        "\"win.bianlian\"",
        "\"php.shin_webshell\"",
    ] {
        assert!(
            !set.contains(&format!("\"value\":{never}"))
                && !set.contains(&format!("\"value\":\"{never}")),
            "{never} stored as an indicator"
        );
    }

    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("nginx")).unwrap();
    std::fs::write(
        logs.join("mail.log"),
        "2026-11-30T10:12:01.000000+00:00 mail postfix/smtpd[4242]: connect from unknown[203.0.113.37]\n\
         2026-11-30T10:12:02.000000+00:00 mail postfix/smtpd[4242]: disconnect from unknown[203.0.113.37] ehlo=1 quit=1 commands=2\n",
    )
    .unwrap();
    std::fs::write(
        logs.join("nginx/access.log"),
        "192.0.2.10 - - [30/Nov/2026:10:13:00 +0000] \"GET /?_task=mail HTTP/1.1\" 200 512 \"https://search.censys.io/hosts/203.0.113.37\" \"Mozilla/5.0\"\n",
    )
    .unwrap();
    let case = dir.path().join("case");
    let scan = Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--tz", "UTC", "--findings-only", "--intel-dir"])
        .arg(&store)
        .arg("--case")
        .arg(&case)
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(
        scan.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let findings = std::fs::read_to_string(case.join("findings.jsonl")).unwrap();
    let matched: Vec<String> = findings
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f["rule_id"] == "VI001")
        .map(|f| f["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(
        matched.iter().any(|r| r.contains("203.0.113.37")),
        "{matched:?}"
    );
    assert!(!matched.iter().any(|r| r.contains("censys")), "{matched:?}");
}

/// Issue 15: a README or a binary file given as a feed is refused with its
/// reason and exit 2, no empty set is saved, and no byte of the binary
/// reaches the terminal.
#[test]
fn a_file_that_is_not_a_feed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("intel");
    for (file, why) in [
        ("README.txt", "lines are sentences"),
        ("binary.bin", "binary content (a NUL byte at offset 7)"),
    ] {
        let out = vigie(
            &["intel", "import", published(file).to_str().unwrap()],
            &store,
        );
        assert_eq!(out.status.code(), Some(2), "{file}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(why), "{file}: {stderr}");
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains("ELF"),
            "{stderr:?}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(!store.exists() || std::fs::read_dir(&store).unwrap().next().is_none());
}
