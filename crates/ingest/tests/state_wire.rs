//! A file's report survives a trip through bytes (a Spark executor sends it
//! to the driver, which writes the case's sources from it): every report of
//! the embedded sample incident's logs (`examples/lab-intrusion/logs`) reads
//! back as the same JSON, datasets and skip reasons included.

use std::path::PathBuf;

use vigie_event::wire;
use vigie_ingest::{IngestOptions, InputReport, expand_inputs, ingest_input};

#[test]
fn reports_come_back_whole() {
    let logs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion/logs");
    let (sets, errors) = expand_inputs(&[logs]);
    assert!(errors.is_empty(), "{errors:?}");
    let options = IngestOptions::default();
    let mut skipped = 0;
    for input in sets.iter().flatten() {
        let report = ingest_input(input, &options, &mut |_| {});
        skipped += report.skipped.len();
        let bytes = wire::to_bytes(&report).expect("serialize");
        let back: InputReport = wire::from_bytes(&bytes).expect("deserialize");
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&report).unwrap()
        );
        assert!(report.events > 0 || report.format.is_none(), "{report:?}");
    }
    // Some line of the sample is skipped, so the skip tallies travel too.
    assert!(skipped > 0);
}
