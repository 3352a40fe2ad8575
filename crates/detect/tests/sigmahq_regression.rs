//! The SigmaHQ regression suite (`testdata/sigma/regression_data/`): each
//! `info.yml` names a rule and the event file that must match it. Every case
//! runs its rule, alone, over its events through the same `Hunter` that
//! `vigie hunt` uses; the share that matches is printed and must be 100%.

use std::path::{Path, PathBuf};

use vigie_detect::hunt::Hunter;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;

/// The repository's `testdata/` (see its README), or a wider tree of the same
/// layout named by `VIGIE_TESTDATA` (the team's `shared/` folder).
fn testdata() -> PathBuf {
    std::env::var_os("VIGIE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata"))
}

/// Every rule file under `testdata/sigma/rules*`, by the `id:` it declares.
fn rule_files_by_id(sigma: &Path) -> std::collections::HashMap<String, PathBuf> {
    let mut by_id = std::collections::HashMap::new();
    for dir in std::fs::read_dir(sigma).unwrap().flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        if !name.starts_with("rules") {
            continue;
        }
        for entry in walkdir::WalkDir::new(dir.path()).into_iter().flatten() {
            if entry.path().extension().is_some_and(|e| e == "yml") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                if let Some(id) = text.lines().find_map(|l| l.strip_prefix("id: ")) {
                    by_id.insert(id.trim().to_string(), entry.path().to_path_buf());
                }
            }
        }
    }
    by_id
}

#[test]
fn every_regression_case_matches_its_rule() {
    let sigma = testdata().join("sigma");
    let rules = rule_files_by_id(&sigma);
    let mut cases = 0;
    let mut failures = Vec::new();
    for entry in walkdir::WalkDir::new(sigma.join("regression_data"))
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if entry.file_name() != "info.yml" {
            continue;
        }
        let info = std::fs::read_to_string(entry.path()).unwrap();
        let Some(rule_id) = info
            .lines()
            .skip_while(|l| !l.starts_with("rule_metadata"))
            .find_map(|l| l.trim().strip_prefix("- id: "))
        else {
            continue;
        };
        cases += 1;
        let case = entry.path().parent().unwrap();
        let Some(rule_path) = rules.get(rule_id.trim()) else {
            failures.push(format!("{}: rule {rule_id} not found", case.display()));
            continue;
        };
        let set = RuleSet::load(&[rule_path]);
        if set.rule_count() == 0 {
            failures.push(format!(
                "{}: rule did not load: {:?}",
                rule_path.display(),
                set.errors
            ));
            continue;
        }
        let mut hunter = Hunter::new(&set, &Mapping::builtin());
        // JSON event dumps, or raw text lines (`.raw`) for rules on unstructured logs.
        let json = std::fs::read_to_string(case.join(format!("{}.json", rule_id.trim())));
        let documents: Vec<serde_json::Value> = match json {
            Ok(text) => serde_json::Deserializer::from_str(&text)
                .into_iter()
                .flatten()
                .collect(),
            Err(_) => std::fs::read_to_string(case.join(format!("{}.raw", rule_id.trim())))
                .unwrap_or_default()
                .lines()
                .map(|line| serde_json::json!({ "message": line }))
                .collect(),
        };
        let matched = documents.iter().any(|doc| {
            hunter
                .matches(doc)
                .iter()
                .any(|m| m.rule_id.as_deref() == Some(rule_id.trim()))
        });
        if !matched {
            failures.push(format!(
                "{}: events do not match {}",
                case.display(),
                rule_path.display()
            ));
        }
    }
    println!(
        "SigmaHQ regression: {}/{cases} cases match their rule",
        cases - failures.len()
    );
    assert!(cases > 100, "found only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
