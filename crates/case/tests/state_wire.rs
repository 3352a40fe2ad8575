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
