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
