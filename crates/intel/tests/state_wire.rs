//! Indicator hits survive a trip through bytes (a Spark executor sends them
//! to the driver): on the embedded sample incident's logs
//! (`examples/lab-intrusion/logs`), with a plain list naming the intruders'
//! addresses from its ground truth (127.0.0.66 and 127.0.0.67), merging the
//! hits of each rotated set after a trip gives the same findings and actor
//! matches as merging them as they are.

use std::path::PathBuf;
use std::sync::Arc;

use vigie_event::wire;
use vigie_ingest::{IngestOptions, expand_inputs, ingest_input};
use vigie_intel::import::import_bytes;
use vigie_intel::matcher::{IntelHits, IntelIndex};

fn parts(index: &IntelIndex) -> Vec<IntelHits> {
    let logs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion/logs");
    let (sets, errors) = expand_inputs(&[logs]);
    assert!(errors.is_empty(), "{errors:?}");
    let options = IngestOptions {
        zone: jiff::tz::TimeZone::UTC,
        ..IngestOptions::default()
    };
    sets.iter()
        .map(|set| {
            let mut hits = IntelHits::default();
            for input in set {
                let name: Arc<str> = input.display_name().into();
                ingest_input(input, &options, &mut |event| {
                    hits.add_event(index, event, &name);
                });
            }
            hits
        })
        .collect()
}

fn findings(index: &IntelIndex, parts: Vec<IntelHits>) -> (Vec<String>, usize) {
    let mut all = IntelHits::default();
    for part in parts {
        all.merge(part);
    }
    let actors = all.actor_matches(index).len();
    let lines = all
        .into_findings(index)
        .iter()
        .map(|f| serde_json::to_string(f).expect("json"))
        .collect();
    (lines, actors)
}

#[test]
fn hits_merged_after_a_trip_make_the_same_findings() {
    let (indicators, _) =
        import_bytes(b"127.0.0.66\n127.0.0.67\n", "intruders.txt", "test").expect("feed");
    let index = IntelIndex::new(indicators);
    let direct = findings(&index, parts(&index));
    assert!(direct.0.len() >= 2, "{:#?}", direct.0);
    let tripped = parts(&index)
        .into_iter()
        .map(|hits| {
            let bytes = wire::to_bytes(&hits).expect("serialize");
            wire::from_bytes::<IntelHits>(&bytes).expect("deserialize")
        })
        .collect();
    assert_eq!(findings(&index, tripped), direct);
}
