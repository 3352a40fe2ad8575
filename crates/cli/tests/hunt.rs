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
fn an_invalid_document_is_skipped_and_named_and_the_rest_is_hunted() {
    // One attacker-written line must not hide what follows it: a bad line,
    // a document cut short, then JSON lines, a pretty-printed document and
    // an array, all still evaluated.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rule.yml"), RULE).unwrap();
    let hit = r#"{"event": {"action": "login"}, "source": {"ip": "127.0.0.66"}}"#;
    let input = format!(
        "{hit}\ngarbage\n{hit}\n{{\"cut\":\n{hit}\n{{\n  \"event\": {{\"action\": \"login\"}},\n  \"source\": {{\"ip\": \"127.0.0.65\"}}\n}}\n[{hit}]\n"
    );
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["hunt", "--sigma"])
        .arg(dir.path().join("rule.yml"))
        .arg("-")
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let indexes: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(indexes, [1, 3, 5, 6, 7]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("document 2 (line 2) is not valid JSON, skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("document 4 (line 4) is not valid JSON, skipped"),
        "{stderr}"
    );
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

/// Issue 15: `hunt` routes vigie events by logsource through the mapping,
/// as `scan` does (a Roundcube rule never runs on Dovecot events), and
/// runs correlation rules over the matches.
#[test]
fn hunt_honours_logsources_and_runs_correlations() {
    let dir = tempfile::tempdir().unwrap();
    let failed = |product: &str, name: &str, id: &str| {
        format!(
            "title: {product} login failed\nid: {id}\nname: {name}\nlogsource: {{product: {product}}}\n\
             detection:\n  sel:\n    event.action: login-failed\n  condition: sel\nlevel: low\n"
        )
    };
    std::fs::write(
        dir.path().join("roundcube.yml"),
        failed(
            "roundcube",
            "rc_failed",
            "7d0e0c0a-0000-4000-8000-0000000000a1",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("dovecot.yml"),
        failed(
            "dovecot",
            "dc_failed",
            "7d0e0c0a-0000-4000-8000-0000000000a2",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("burst.yml"),
        "title: Four Dovecot failures from one source\nid: 7d0e0c0a-0000-4000-8000-0000000000a3\n\
         correlation:\n  type: event_count\n  rules: [dc_failed]\n  group-by: [source.ip]\n  timespan: 1h\n  \
         condition: {gte: 4}\nlevel: high\n",
    )
    .unwrap();
    let events = Command::cargo_bin("vigie")
        .unwrap()
        .args(["events", "--tz", "UTC"])
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/lab-intrusion/logs/dovecot.log"),
        )
        .output()
        .unwrap();
    let failures = String::from_utf8_lossy(&events.stdout)
        .matches("\"action\":\"login-failed\"")
        .count();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["hunt", "--sigma"])
        .arg(dir.path())
        .arg("-")
        .write_stdin(events.stdout)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let matches: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let titles = |t: &str| matches.iter().filter(|m| m["title"] == t).count();
    // Every Dovecot login failure of the lab run, and no Roundcube rule.
    assert!(failures >= 4);
    assert_eq!(titles("dovecot login failed"), failures, "{matches:?}");
    assert_eq!(titles("roundcube login failed"), 0, "{matches:?}");
    let burst: Vec<_> = matches
        .iter()
        .filter(|m| m["title"] == "Four Dovecot failures from one source")
        .collect();
    assert!(!burst.is_empty(), "{matches:?}");
    assert!(burst.iter().all(|m| m["correlation"] == true));
}

/// Issue 15: `rules check` on vigie's own rules folder skips the field
/// mapping and the rule test fixtures (YAML, not rules) with a note and
/// passes; a folder with no rule at all fails with a message.
#[test]
fn rules_check_skips_yaml_that_is_not_a_rule_and_fails_on_no_rule() {
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["rules", "check"])
        .arg(&rules)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("mappings/vigie.yml: skipped, not a Sigma rule"),
        "{text}"
    );
    assert!(text.contains("; 0 not loaded; "), "{text}");

    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["rules", "check", "--json"])
        .arg(rules.join("mappings"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["skipped"].as_array().unwrap().len(), 1);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no Sigma rule in"), "{stderr}");

    let empty = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["rules", "check"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // A path that does not exist (a new-user trial got 1, "a rule does not load").
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["rules", "check"])
        .arg(empty.path().join("nonexistent"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `vigie hunt … | head -1`: the reader closing the pipe is not an error of
/// the input file (it was named as one, "ev.jsonl: Broken pipe", found by a
/// new-user trial): vigie stops quietly, with status 1 as the reader saw a
/// match (a later trial: 0 read as "no match" for `${PIPESTATUS[0]}`).
#[test]
fn a_reader_that_closes_the_pipe_is_no_error() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rule.yml"), RULE).unwrap();
    let line = r#"{"@timestamp":"2026-11-29T02:09:00Z","event":{"action":"login","dataset":"roundcube.userlogins"},"source":{"ip":"127.0.0.66"}}"#;
    let events = format!("{line}\n").repeat(200_000);
    std::fs::write(dir.path().join("ev.jsonl"), events).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vigie"))
        .args(["hunt", "--sigma"])
        .arg(dir.path().join("rule.yml"))
        .arg(dir.path().join("ev.jsonl"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("Attacker login"), "{first}");
    // The reader goes away after one line.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}
