//! `vigie scan --events-parquet`: every event of the scan is in
//! `CASE/events.parquet`, one ECS column per field. Read back with the
//! parquet crate's Arrow reader and compared with what `vigie events`
//! writes as JSON for the same logs: the same events (by file and line),
//! with the same times and source addresses.

mod common;

use std::collections::BTreeMap;
use std::fs::File;

use arrow_array::{Array, StringArray, TimestampMicrosecondArray, UInt64Array};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

#[test]
fn every_event_is_in_the_parquet_file() {
    let logs = common::example().join("logs");
    let case = tempfile::tempdir().unwrap();
    common::scan(
        case.path(),
        &["--events-parquet".as_ref()],
        std::slice::from_ref(&logs),
    );

    // (path, line) → (microseconds, source.ip), from the JSON events.
    let events = Command::cargo_bin("vigie")
        .unwrap()
        .args(["events", "--tz", "UTC"])
        .arg(&logs)
        .output()
        .unwrap();
    let mut expected: BTreeMap<(String, u64), (i64, Option<String>)> = BTreeMap::new();
    for line in String::from_utf8(events.stdout).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let at: jiff::Timestamp = e["@timestamp"].as_str().unwrap().parse().unwrap();
        expected.insert(
            (
                e["log"]["file"]["path"].as_str().unwrap().to_string(),
                e["log"]["file"]["line"].as_u64().unwrap(),
            ),
            (
                at.as_microsecond() as i64,
                e["source"]["ip"].as_str().map(str::to_string),
            ),
        );
    }

    let file = File::open(case.path().join("events.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut found = BTreeMap::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let paths = column("log.file.path")
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let lines = column("log.file.line")
            .as_any()
            .downcast_ref::<UInt64Array>()
            .unwrap();
        let times = column("@timestamp")
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        let sources = column("source.ip")
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        for row in 0..batch.num_rows() {
            found.insert(
                (paths.value(row).to_string(), lines.value(row)),
                (
                    times.value(row),
                    (!sources.is_null(row)).then(|| sources.value(row).to_string()),
                ),
            );
        }
    }
    println!(
        "{} events in events.parquet, {} from vigie events",
        found.len(),
        expected.len()
    );
    assert!(expected.len() > 400);
    assert_eq!(found, expected);
}
