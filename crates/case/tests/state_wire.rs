//! The case's stage-one activity survives a trip through bytes (a Spark
//! executor sends it to the driver): on the embedded sample incident's logs
//! (`examples/lab-intrusion/logs`), one [`Activity`] per rotated set, merging
//! them after a trip each gives the same state the case database keeps as
//! merging them as they are: sessions, webmail days, marks and coverage.

use std::path::PathBuf;
use std::sync::Arc;

use vigie_case::activity::Activity;
use vigie_event::wire;
use vigie_ingest::{IngestOptions, expand_inputs, ingest_input};

fn parts() -> Vec<Activity> {
    let logs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion/logs");
    let (sets, errors) = expand_inputs(&[logs]);
    assert!(errors.is_empty(), "{errors:?}");
    let options = IngestOptions {
        zone: jiff::tz::TimeZone::UTC,
        ..IngestOptions::default()
    };
    sets.iter()
        .map(|set| {
            let mut activity = Activity::default();
            for input in set {
                let name: Arc<str> = input.display_name().into();
                ingest_input(input, &options, &mut |event| activity.add(event, &name));
            }
            activity
        })
        .collect()
}

fn state(parts: Vec<Activity>) -> String {
    let mut all = Activity::default();
    for part in parts {
        all.merge(part);
    }
    serde_json::to_string(&all.into_state()).expect("json")
}

#[test]
fn activity_merged_after_a_trip_is_the_same() {
    let direct = state(parts());
    assert!(direct.contains("127.0.0.66"), "{direct}");
    let tripped = parts()
        .into_iter()
        .map(|a| {
            let bytes = wire::to_bytes(&a).expect("serialize");
            wire::from_bytes::<Activity>(&bytes).expect("deserialize")
        })
        .collect();
    assert_eq!(state(tripped), direct);
}

/// The size of stage one's state against the size of its input, per rotated
/// set of the folder `VIGIE_STATE_INPUT` (for `docs/scale.md`): detection
/// (findings being built, kept events, histories) and activity, serialized.
/// `VIGIE_STATE_INPUT=/data/office cargo test -p vigie-case --release --test state_wire -- --ignored --nocapture`
#[test]
#[ignore = "a measurement over VIGIE_STATE_INPUT"]
fn state_size_against_input_size() {
    use vigie_detect::analytics::Histories;
    use vigie_detect::correlate::{Correlator, KeptEvents};
    use vigie_detect::detector::Detector;
    use vigie_detect::findings::FindingSet;
    use vigie_detect::mapping::Mapping;
    use vigie_detect::sigma::RuleSet;

    let Some(dir) = std::env::var_os("VIGIE_STATE_INPUT") else {
        eprintln!("skipped: set VIGIE_STATE_INPUT to a folder of logs");
        return;
    };
    let pack = RuleSet::builtin();
    let detector = Detector::new(&pack, Mapping::builtin());
    let correlator = Correlator::new(&pack, &detector, Mapping::builtin());
    let (sets, _) = expand_inputs(&[PathBuf::from(dir)]);
    let options = IngestOptions::default();
    let (mut input_total, mut state_total) = (0u64, 0u64);
    for set in &sets {
        let (mut findings, mut kept, mut histories) = (
            FindingSet::default(),
            KeptEvents::default(),
            Histories::default(),
        );
        let mut activity = Activity::default();
        let mut bytes_in = 0;
        for input in set {
            if let vigie_ingest::Input::File(path) = input {
                bytes_in += std::fs::metadata(path).map_or(0, |m| m.len());
            }
            let name: Arc<str> = input.display_name().into();
            ingest_input(input, &options, &mut |event| {
                let matched = detector.detect(event);
                for &rule in &matched {
                    if !correlator.is_silent(rule) {
                        findings.add(rule, event);
                    }
                }
                if correlator.wants(&matched) {
                    correlator.keep(&mut kept, event, &matched, &name);
                }
                histories.add(event, &name);
                activity.add(event, &name);
            });
        }
        // With VIGIE_STATE_DUMP, each set's state is also written there (to try compressors on).
        let dump = std::env::var_os("VIGIE_STATE_DUMP").map(PathBuf::from);
        let mut n = 0;
        let mut size = |bytes: Vec<u8>| {
            if let Some(dir) = &dump {
                n += 1;
                let name = format!("{}.{n}.msgpack", set[0].display_name().replace('/', "_"));
                std::fs::write(dir.join(name), &bytes).unwrap();
            }
            bytes.len() as u64
        };
        let f = size(wire::to_bytes(&findings).unwrap());
        let k = size(wire::to_bytes(&kept).unwrap());
        let h = size(wire::to_bytes(&histories).unwrap());
        let a = size(wire::to_bytes(&activity).unwrap());
        let state = f + k + h + a;
        input_total += bytes_in;
        state_total += state;
        println!(
            "{}: input {bytes_in} B, state {state} B ({:.2} %): findings {f}, kept events {k} ({} events), histories {h}, activity {a}",
            set[0].display_name(),
            100.0 * state as f64 / bytes_in.max(1) as f64,
            kept.len(),
        );
    }
    println!(
        "total: input {input_total} B, state {state_total} B ({:.2} %)",
        100.0 * state_total as f64 / input_total.max(1) as f64
    );
}
