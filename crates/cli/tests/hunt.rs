//! `vigie hunt` and `vigie rules check` as a user runs them.

use std::path::PathBuf;

use assert_cmd::Command;

fn errors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../detect/tests/testdata/errors")
}

const RULE: &str = "title: Attacker login\nid: 7d0e0c0a-0000-4000-8000-000000000066\nlogsource: {product: roundcube}\ndetection:\n  sel:\n    event.action: login\n    source.ip|cidr: 127.0.0.64/30\n  condition: sel\nlevel: high\n";

#[test]
fn hunts_vigie_events_piped_from_vigie_events() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rule.yml"), RULE).unwrap();
    let events = Command::cargo_bin("vigie")
        .unwrap()
        .args(["events", "--tz", "UTC"])
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/lab-intrusion/logs/roundcube/userlogins.log"),
        )
        .output()
        .unwrap();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["hunt", "--sigma"])
        .arg(dir.path().join("rule.yml"))
        .arg("-")
        .write_stdin(events.stdout)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "matches give exit 1");
    let matches: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        matches.len(),
        1,
        "one attacker login in the lab run: {matches:?}"
    );
    assert_eq!(matches[0]["title"], "Attacker login");
    assert_eq!(matches[0]["level"], "high");
    assert_eq!(matches[0]["file"], "-");
    assert_eq!(matches[0]["index"], 17);
}

#[test]
fn no_match_is_exit_0_and_bad_json_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rule.yml"), RULE).unwrap();
    std::fs::write(
        dir.path().join("quiet.json"),
        r#"[{"event": {"action": "login"}, "source": {"ip": "192.0.2.1"}}]"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.jsonl"), "{not json\n").unwrap();
    let mut cmd = Command::cargo_bin("vigie").unwrap();
    cmd.args(["hunt", "--sigma"])
        .arg(dir.path().join("rule.yml"))
        .arg(dir.path().join("quiet.json"));
    cmd.assert().code(0).stdout("");
    let mut cmd = Command::cargo_bin("vigie").unwrap();
    cmd.args(["hunt", "--sigma"])
        .arg(dir.path().join("rule.yml"))
        .arg(dir.path().join("bad.jsonl"));
    cmd.assert().code(2);
}

#[test]
fn rules_check_lists_every_broken_rule_and_still_counts_the_good_one() {
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["rules", "check", "--json"])
        .arg(errors_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rules_loaded"], 1);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    assert!(
        errors
            .iter()
            .all(|e| e["path"].as_str().unwrap().ends_with(".yml") && e["line"].is_u64())
    );
    let text = Command::cargo_bin("vigie")
        .unwrap()
        .args(["rules", "check"])
        .arg(errors_dir())
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("1.yml:6: Unknown modifier 'frobnicate'"),
        "{text}"
    );
    assert!(
        text.contains("1 rules, 0 correlations, 0 filters loaded; 5 not loaded"),
        "{text}"
    );
}
