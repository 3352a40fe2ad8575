//! Stage one's detection state survives a trip through bytes: a Spark
//! executor serializes what it gathered from its part of the logs and the
//! driver merges the parts. On the embedded sample incident
//! (`examples/lab-intrusion/logs`, one part per rotated set as `vigie scan`
//! reads them), merging the parts as they are, merging them after a trip
//! each, and sending the merged whole on a trip give the same findings:
//! stateless rules, correlations and analytics.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vigie_detect::analytics::{Baseline, Histories};
use vigie_detect::correlate::{Correlator, KeptEvents};
use vigie_detect::detector::Detector;
use vigie_detect::findings::FindingSet;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;
use vigie_event::{Finding, wire};
use vigie_ingest::{IngestOptions, expand_inputs, ingest_input};

/// What one worker gathers for detection.
#[derive(Default, Serialize, Deserialize)]
struct Part {
    findings: FindingSet,
    kept: KeptEvents,
    histories: Histories,
}

impl Part {
    fn merge(&mut self, other: Part) {
        self.findings.merge(other.findings);
        self.kept.merge(other.kept);
        self.histories.merge(other.histories);
    }

    fn trip(self) -> Part {
        let bytes = wire::to_bytes(&self).expect("serialize");
        wire::from_bytes(&bytes).expect("deserialize")
    }
}

struct Rules {
    pack: RuleSet,
    detector: Detector,
    correlator: Correlator,
}

fn rules() -> Rules {
    let pack = RuleSet::builtin();
    assert!(pack.errors.is_empty(), "{:?}", pack.errors);
    let detector = Detector::new(&pack, Mapping::builtin());
    let correlator = Correlator::new(&pack, &detector, Mapping::builtin());
    Rules {
        pack,
        detector,
        correlator,
    }
}

/// One part per rotated set of the sample incident's logs.
fn parts(rules: &Rules) -> Vec<Part> {
    let logs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion/logs");
    let (sets, errors) = expand_inputs(&[logs]);
    assert!(errors.is_empty(), "{errors:?}");
    let options = IngestOptions {
        zone: jiff::tz::TimeZone::UTC,
        ..IngestOptions::default()
    };
    sets.iter()
        .map(|set| {
            let mut part = Part::default();
            for input in set {
                let name: Arc<str> = input.display_name().into();
                ingest_input(input, &options, &mut |event| {
                    let matched = rules.detector.detect(event);
                    for &rule in &matched {
                        if !rules.correlator.is_silent(rule) {
                            part.findings.add(rule, event);
                        }
                    }
                    if rules.correlator.wants(&matched) {
                        rules
                            .correlator
                            .keep(&mut part.kept, event, &matched, &name);
                    }
                    part.histories.add(event, &name);
                });
            }
            part
        })
        .collect()
}

/// Stage two over a merged part: the findings as `findings.jsonl` lines.
fn findings(rules: &Rules, part: Part) -> Vec<String> {
    let mut findings: Vec<Finding> = part.findings.into_findings(rules.detector.rules());
    findings.extend(
        rules
            .correlator
            .run(part.kept, &rules.pack)
            .expect("kept events"),
    );
    vigie_event::Finding::sort(&mut findings);
    if let Some(baseline) = Baseline::rolling(&part.histories.logins) {
        part.histories.run(None, baseline, &mut findings);
    }
    // The analytics walk hash maps: `vigie scan` puts the whole list in this order last.
    findings.sort_by(|a, b| {
        (a.first_seen, &a.rule_id, &a.entity).cmp(&(b.first_seen, &b.rule_id, &b.entity))
    });
    findings
        .iter()
        .map(|f| serde_json::to_string(f).expect("json"))
        .collect()
}

fn merged(parts: Vec<Part>) -> Part {
    let mut all = Part::default();
    for part in parts {
        all.merge(part);
    }
    all
}

#[test]
fn merging_after_a_trip_finds_what_merging_finds() {
    let rules = rules();
    let direct = findings(&rules, merged(parts(&rules)));
    let tripped_parts = findings(
        &rules,
        merged(parts(&rules).into_iter().map(Part::trip).collect()),
    );
    let tripped_whole = findings(&rules, merged(parts(&rules)).trip());
    // The sample incident makes findings of every kind: a stateless rule,
    // a correlation (`VC…`-less Sigma correlations carry their own ids) and
    // an analytic (`VA…`).
    assert!(direct.len() > 10, "{direct:#?}");
    assert!(
        direct.iter().any(|f| f.contains(r#""rule_id":"VA"#)),
        "{direct:#?}"
    );
    same(&tripped_parts, &direct);
    same(&tripped_whole, &direct);
}

/// Fails on the first finding that differs (the lists are long).
fn same(got: &[String], want: &[String]) {
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w);
    }
    assert_eq!(got.len(), want.len());
}

#[test]
fn a_trip_keeps_every_kept_event_and_refuses_a_cut_record() {
    let rules = rules();
    let whole = merged(parts(&rules));
    let events = whole.kept.len();
    assert!(events > 0);
    let back = whole.trip();
    assert_eq!(back.kept.len(), events);

    let bytes = wire::to_bytes(&back.kept).expect("serialize");
    // The records are the last field: cutting one byte off the end of the
    // state cuts a record, or the length no longer matches.
    let cut = &bytes[..bytes.len() - 1];
    assert!(wire::from_bytes::<KeptEvents>(cut).is_err());
}
