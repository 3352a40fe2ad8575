//! Broken rules are golden: each `testdata/errors/N.yml` gives the reviewed
//! errors of `N.out` (file name, line, message), and loading never panics.
//! Regenerate with `UPDATE_GOLDENFILES=1` and review the diff.

use std::path::PathBuf;

use vigie_detect::sigma::RuleSet;

#[test]
fn broken_rules_report_file_line_and_reason() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/errors");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    let mut mismatches = Vec::new();
    for case in cases {
        let set = RuleSet::load(&[&case]);
        let mut got = format!("rules loaded: {}\n", set.rule_count());
        for e in &set.errors {
            let name = e.path.file_name().unwrap().to_string_lossy();
            let first_line = e.message.lines().next().unwrap_or_default();
            got.push_str(&format!(
                "{name}:{}: {first_line}\n",
                e.line.map_or("?".into(), |l| l.to_string())
            ));
        }
        let expected_path = case.with_extension("out");
        if std::env::var_os("UPDATE_GOLDENFILES").is_some() {
            std::fs::write(&expected_path, &got).unwrap();
        }
        if std::fs::read_to_string(&expected_path).unwrap_or_default() != got {
            mismatches.push(format!("{}:\n{got}", case.display()));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
