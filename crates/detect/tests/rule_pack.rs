//! The built-in rule pack (`rules/sigma/`): every rule loads, carries ATT&CK
//! ids, a level and a description, and has a fixture in `rules/tests/` whose
//! `fires` lines (from the lab run, or built from the vector's description)
//! make it fire and whose `quiet` lines do not.

use std::path::PathBuf;

use serde::Deserialize;
use vigie_detect::detector::Detector;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;
use vigie_event::{Event, Timestamp};
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{Format, LineContext, classify, parse_line};

fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

#[derive(Deserialize)]
struct Fixture {
    rule: String,
    fires: Vec<String>,
    quiet: Vec<String>,
}

/// How many of the rules in `detector` fire on a log line.
fn fired(detector: &Detector, line: &str) -> usize {
    let mut time = TimeContext::new(
        jiff::tz::TimeZone::UTC,
        Timestamp::from_unix(1_795_996_800, 0),
    );
    let mut ctx = LineContext {
        path: "fixture",
        number: 1,
        time: &mut time,
    };
    let mut count = 0;
    let format = classify(line).unwrap_or(Format::Syslog);
    let parsed = parse_line(format, line, &mut ctx, &mut |e: &Event<'_>| {
        count += detector.detect(e).len()
    });
    assert!(parsed.is_ok(), "fixture line does not parse: {line}");
    count
}

#[test]
fn every_rule_has_metadata_and_a_fixture_that_fires_and_stays_quiet() {
    let all = RuleSet::load(&[rules_dir().join("sigma")]);
    assert!(all.errors.is_empty(), "{:?}", all.errors);
    for rule in &all.collection.rules {
        assert!(
            rule.id.is_some() && rule.level.is_some() && rule.description.is_some(),
            "{}",
            rule.title
        );
        assert!(
            rule.tags.iter().any(|t| t.starts_with("attack.t")),
            "{}: no ATT&CK technique",
            rule.title
        );
    }
    let mut fixtures = 0;
    for entry in std::fs::read_dir(rules_dir().join("tests"))
        .unwrap()
        .flatten()
    {
        let fixture: Fixture =
            yaml_serde::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
        let set = RuleSet::load(&[rules_dir().join("sigma").join(&fixture.rule)]);
        assert_eq!(set.rule_count(), 1, "{}", fixture.rule);
        let detector = Detector::new(&set, Mapping::builtin());
        for line in &fixture.fires {
            assert_eq!(
                fired(&detector, line),
                1,
                "{} should fire on\n{line}",
                fixture.rule
            );
        }
        for line in &fixture.quiet {
            assert_eq!(
                fired(&detector, line),
                0,
                "{} should stay quiet on\n{line}",
                fixture.rule
            );
        }
        fixtures += 1;
    }
    assert_eq!(
        fixtures,
        all.rule_count(),
        "every rule needs a fixture in rules/tests/"
    );
}
