//! The built-in rule pack (`rules/sigma/`): every rule and correlation loads,
//! carries ATT&CK ids, a level and a description, and has a fixture in
//! `rules/tests/`: lines (from the lab run, or built from the vector's
//! description) that must make it fire, and lines that must leave it quiet.
//! A correlation's fixture gives two streams of events, read in order.

use std::path::PathBuf;

use serde::Deserialize;
use vigie_detect::correlate::{Correlator, KeptEvents};
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
    /// A correlation: `fires` and `quiet` are each one stream of events.
    #[serde(default)]
    sequence: bool,
    /// More streams (of a correlation) or lines that must each fire on their
    /// own: the same behaviour logged by other servers (Exim beside Postfix,
    /// Cyrus beside Dovecot), so a behaviour rule is shown to be one.
    #[serde(default)]
    fires_also: Vec<Vec<String>>,
}

/// Parses each line and hands its events to `visit`.
fn each_event(lines: &[String], mut visit: impl FnMut(&Event<'_>)) {
    let mut time = TimeContext::new(
        jiff::tz::TimeZone::UTC,
        Timestamp::from_unix(1_795_996_800, 0),
    );
    for (n, line) in lines.iter().enumerate() {
        let mut ctx = LineContext {
            path: "fixture",
            number: n as u64 + 1,
            time: &mut time,
        };
        let format = classify(line).unwrap_or(Format::Syslog);
        let parsed = parse_line(format, line, &mut ctx, &mut visit);
        assert!(parsed.is_ok(), "fixture line does not parse: {line}");
    }
}

/// How many rules of `detector` fire on one line.
fn fired(detector: &Detector, line: &str) -> usize {
    let mut count = 0;
    each_event(&[line.to_string()], |e| count += detector.detect(e).len());
    count
}

/// How many findings of the correlation titled `title` a stream makes, with
/// the whole pack loaded (correlations build on its rules). Stage two runs
/// twice, the kept events ordered in memory and through sorted runs of two
/// events on disk: the findings must be the same.
fn correlated(pack: &RuleSet, lines: &[String], title: &str) -> usize {
    let detector = Detector::new(pack, Mapping::builtin());
    let run = |correlator: &Correlator| {
        let mut kept = KeptEvents::default();
        each_event(lines, |e| {
            let matched = detector.detect(e);
            if correlator.wants(&matched) {
                correlator.keep(&mut kept, e, &matched, "fixture");
            }
        });
        let mut findings = correlator
            .run(kept, pack)
            .expect("the kept events spill to a temporary file");
        vigie_event::Finding::sort(&mut findings);
        findings
    };
    let correlator = Correlator::new(pack, &detector, Mapping::builtin());
    let findings = run(&correlator);
    let spilled = run(&correlator.with_memory_limit(2));
    assert_eq!(findings, spilled, "{title}: ordered on disk");
    findings.iter().filter(|f| f.title == title).count()
}

/// The same, fed as `vigie watch` feeds them: each event as it comes
/// (`Live::Process`), or held back in reverse order (files read one after
/// the other) and released in time order (`Live::HoldReversed`).
fn correlated_live(pack: &RuleSet, lines: &[String], title: &str, how: Live) -> usize {
    let detector = Detector::new(pack, Mapping::builtin());
    let correlator = Correlator::new(pack, &detector, Mapping::builtin());
    let mut live = correlator.live(pack);
    let mut findings = Vec::new();
    let lines: Vec<String> = match how {
        Live::Process => lines.to_vec(),
        Live::HoldReversed => lines.iter().rev().cloned().collect(),
    };
    each_event(&lines, |e| {
        let matched = detector.detect(e);
        match how {
            Live::Process => findings.extend(live.process(e, &matched, "fixture")),
            Live::HoldReversed => live.hold(e, &matched, "fixture", true),
        }
    });
    findings.extend(live.release());
    findings.iter().filter(|f| f.title == title).count()
}

#[derive(Clone, Copy, Debug)]
enum Live {
    Process,
    HoldReversed,
}

#[test]
fn every_rule_has_metadata_and_a_fixture_that_fires_and_stays_quiet() {
    let pack = RuleSet::load(&[rules_dir().join("sigma")]);
    assert!(pack.errors.is_empty(), "{:?}", pack.errors);
    let metadata = pack
        .collection
        .rules
        .iter()
        .map(|r| {
            (
                &r.title,
                r.id.is_some() && r.level.is_some() && r.description.is_some(),
                &r.tags,
            )
        })
        .chain(pack.collection.correlations.iter().map(|c| {
            (
                &c.title,
                c.id.is_some() && c.level.is_some() && c.description.is_some(),
                &c.tags,
            )
        }));
    for (title, complete, tags) in metadata {
        assert!(complete, "{title}: id, level and description are required");
        assert!(
            tags.iter().any(|t| t.starts_with("attack.t")),
            "{title}: no ATT&CK technique"
        );
    }

    let mut fixtures = 0;
    for entry in std::fs::read_dir(rules_dir().join("tests"))
        .unwrap()
        .flatten()
    {
        let fixture: Fixture =
            yaml_serde::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
        let path = rules_dir().join("sigma").join(&fixture.rule);
        fixtures += 1;
        let set = RuleSet::load(&[&path]);
        if fixture.sequence {
            let title = &set.collection.correlations[0].title;
            assert!(
                correlated(&pack, &fixture.fires, title) >= 1,
                "{} should fire on its `fires` stream",
                fixture.rule
            );
            for stream in &fixture.fires_also {
                assert!(
                    correlated(&pack, stream, title) >= 1,
                    "{} should fire on its `fires_also` stream {stream:?}",
                    fixture.rule
                );
            }
            assert_eq!(
                correlated(&pack, &fixture.quiet, title),
                0,
                "{} should stay quiet on its `quiet` stream",
                fixture.rule
            );
            for how in [Live::Process, Live::HoldReversed] {
                assert!(
                    correlated_live(&pack, &fixture.fires, title, how) >= 1,
                    "{} should fire live ({how:?}) on its `fires` stream",
                    fixture.rule
                );
                assert_eq!(
                    correlated_live(&pack, &fixture.quiet, title, how),
                    0,
                    "{} should stay quiet live ({how:?}) on its `quiet` stream",
                    fixture.rule
                );
            }
            continue;
        }
        assert_eq!(set.rule_count(), 1, "{}", fixture.rule);
        let detector = Detector::new(&set, Mapping::builtin());
        for line in fixture
            .fires
            .iter()
            .chain(fixture.fires_also.iter().flatten())
        {
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
    }
    let rules = pack.rule_count() + pack.collection.correlations.len();
    assert_eq!(
        fixtures, rules,
        "every rule and correlation needs a fixture in rules/tests/"
    );
}

/// Every rule and correlation of the pack stays quiet on ordinary public web
/// traffic that holds no webmail (`testdata/elastic-apache/`: a blog's
/// Apache log with crawlers and scanners, among them a tag page named
/// `installer failure`).
#[test]
fn the_pack_stays_quiet_on_ordinary_public_web_traffic() {
    let pack = RuleSet::load(&[rules_dir().join("sigma")]);
    let lines: Vec<String> = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/elastic-apache/access.log"),
    )
    .unwrap()
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(lines.len(), 600);
    let detector = Detector::new(&pack, Mapping::builtin());
    let mut events = 0;
    each_event(&lines, |e| {
        events += 1;
        let titles: Vec<&str> = detector
            .detect(e)
            .iter()
            .map(|&r| detector.rules()[r].title.as_str())
            .collect();
        assert!(titles.is_empty(), "line {} fires {titles:?}", e.line);
    });
    assert_eq!(events, 600, "every line is an access-log event");
    for c in &pack.collection.correlations {
        assert_eq!(correlated(&pack, &lines, &c.title), 0, "{} fires", c.title);
    }
}

/// A correlation grouped by account does not fire on failures that name no
/// account: SOGo's refused `POST /SOGo/connect` in the access log (a real lab
/// line, `lab/webmails.py` sogo-intrusion) carries only the address, so the
/// per-source rules may fire but "brute force against one account" must not
/// make a finding about nobody.
#[test]
fn a_per_account_correlation_ignores_failures_without_an_account() {
    let pack = RuleSet::load(&[rules_dir().join("sigma")]);
    let lines: Vec<String> = (0..8)
        .map(|s| {
            format!(
                "127.0.0.66 - - [01/Dec/2026:03:36:{:02} +0000] \"POST /SOGo/connect HTTP/1.1\" 403 33 \"-\" \"Mozilla/5.0\"",
                50 + s
            )
        })
        .collect();
    let per_account = "Webmail brute force against one account";
    let per_source = "Repeated webmail login failures from one source";
    assert_eq!(correlated(&pack, &lines, per_account), 0);
    assert_eq!(
        correlated_live(&pack, &lines, per_account, Live::Process),
        0
    );
    assert_eq!(correlated(&pack, &lines, per_source), 1);
}
