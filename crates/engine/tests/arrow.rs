//! The stages over Arrow record batches (what the Spark job runs) give the
//! findings of the stages called directly (what `vigie scan` runs): stage
//! one's state goes through bytes, stage two's outcome through rows, as
//! between Spark executors and the driver, and stage two runs on another
//! engine than stage one. On the embedded sample incident
//! (`examples/lab-intrusion/`, see its `ground-truth.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use vigie_engine::config::{EngineConfig, InputConfig, IntelConfig};
use vigie_engine::engine::set_key;
use vigie_engine::{Engine, StageOne, arrow};
use vigie_ingest::{Input, expand_inputs};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion")
}

fn engine() -> Engine {
    let config = EngineConfig {
        input: InputConfig {
            tz: Some("UTC".into()),
            ..InputConfig::default()
        },
        intel: IntelConfig {
            no_intel_store: true,
            ..IntelConfig::default()
        },
        timeline_profile: "standard".into(),
        ..EngineConfig::default()
    };
    Engine::new(&config).unwrap()
}

/// The rows of one set to be read from disk (`data` null), or of one whole
/// file given as bytes (`data` set): both ways the Spark job sends work.
fn chunks(set: &[Input], from_disk: bool) -> RecordBatch {
    let (mut path, mut sets, mut format) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut first = UInt64Builder::new();
    let mut data = BinaryBuilder::new();
    for input in set {
        let Input::File(file) = input else {
            unreachable!("files only")
        };
        path.append_value(input.display_name());
        sets.append_value(set_key(set));
        format.append_null();
        first.append_value(1);
        if from_disk {
            data.append_null();
        } else {
            data.append_value(std::fs::read(file).unwrap());
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("path", Arc::new(path.finish())),
        ("set", Arc::new(sets.finish())),
        ("format", Arc::new(format.finish())),
        ("first_line", Arc::new(first.finish())),
        ("data", Arc::new(data.finish())),
    ];
    RecordBatch::try_from_iter(columns).unwrap()
}

fn lines(findings: &[vigie_event::Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect()
}

#[test]
fn the_stages_over_batches_find_what_the_stages_find() {
    let dir = sample();
    let mut engine = engine();
    let mail_dirs = [dir.join("vmail")];
    let mail = engine.scan_mail(&mail_dirs);
    engine.watch_openings(&mail);
    let (sets, errors) = expand_inputs(&[dir.join("logs")]);
    assert!(errors.is_empty(), "{errors:?}");

    let mut whole = StageOne::default();
    for set in &sets {
        whole.merge(engine.stage_one_set(set, &mut ()));
    }
    let mut mail = engine.scan_mail(&mail_dirs);
    let expected = engine.stage_two(whole, &mut mail, None).unwrap();
    assert!(expected.findings.len() >= 20, "{}", expected.findings.len());

    // Stage two runs in another process than stage one: another engine,
    // given the driver's wanted openings through bytes, as the job ships them.
    let mut other = self::engine();
    let openings = arrow::encode(&engine.openings()).unwrap();
    other.set_openings(arrow::decode(&openings).unwrap());
    for from_disk in [true, false] {
        let stage_one: Vec<RecordBatch> = sets
            .iter()
            .map(|set| arrow::stage_one(&engine, "case", &chunks(set, from_disk)).unwrap())
            .collect();
        assert_eq!(stage_one[0].schema(), arrow::stage_one_schema());
        let mut mail = engine.scan_mail(&mail_dirs);
        let rows = arrow::stage_two(&other, "case", &stage_one, &mut mail, None).unwrap();
        assert_eq!(rows.schema(), arrow::findings_schema());
        assert_eq!(rows.num_rows(), expected.findings.len());
        let mut outcomes = arrow::outcomes([&rows]).unwrap();
        assert_eq!(outcomes.len(), 1);
        let (key, found) = outcomes.remove(0);
        assert_eq!(key, "case");
        assert_eq!(
            lines(&found.findings),
            lines(&expected.findings),
            "from disk: {from_disk}"
        );
        assert_eq!(
            serde_json::to_string(&found.sources).unwrap(),
            serde_json::to_string(&expected.sources).unwrap()
        );
        assert_eq!(found.states.len(), expected.states.len());
    }
}

#[test]
fn a_state_cut_short_is_refused() {
    let engine = engine();
    let (sets, _) = expand_inputs(&[sample().join("logs")]);
    let batch = arrow::stage_one(&engine, "case", &chunks(&sets[0], true)).unwrap();
    let state = batch
        .column_by_name("state")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow_array::BinaryArray>()
        .unwrap()
        .value(0)
        .to_vec();
    assert!(arrow::decode::<StageOne>(&state).is_ok());
    assert!(arrow::decode::<StageOne>(&state[..state.len() / 2]).is_err());
}
