//! Golden tests: each case in `testdata/golden/CASES` is parsed and its JSONL
//! events compared with the reviewed `NAME.events.jsonl`, with LF, with CRLF
//! and gzip-compressed: the three must give the same events. On a mismatch
//! `NAME.events.failed` is written beside it; regenerate only on purpose with
//! `UPDATE_GOLDENFILES=1 cargo test -p vigie-ingest --test golden`.

use std::io::Write;
use std::path::PathBuf;

use vigie_event::Timestamp;
use vigie_ingest::{IngestOptions, Input, ingest_input};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The repository's `testdata/` (see its README), or a wider tree of the same
/// layout named by `VIGIE_TESTDATA` (the team's `shared/` folder).
fn testdata() -> PathBuf {
    std::env::var_os("VIGIE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("testdata"))
}

/// The events of `bytes` as JSON lines, with `log.file.path` set to `name`.
fn events(name: &str, bytes: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let options = IngestOptions {
        zone: jiff::tz::TimeZone::get("Europe/Paris").unwrap(),
        reference: Some(Timestamp::from_unix(1_795_996_800, 0)),
        ..IngestOptions::default()
    };
    let mut out = Vec::new();
    let report = ingest_input(
        &Input::File(file.path().to_path_buf()),
        &options,
        &mut |event| {
            let mut event = event.clone();
            event.path = name;
            vigie_event::json::write_event(&mut out, &event).unwrap();
        },
    );
    assert!(report.error.is_none(), "{name}: {:?}", report.error);
    String::from_utf8(out).unwrap()
}

#[test]
fn every_golden_case_matches_with_lf_crlf_and_gzip() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/golden");
    let cases = std::fs::read_to_string(dir.join("CASES")).unwrap();
    let mut mismatches = Vec::new();
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut columns = line.split('\t');
        let (name, source) = (columns.next().unwrap(), columns.next().unwrap());
        let first_lines: Option<usize> = columns.next().map(|n| n.parse().unwrap());
        let path = match source.strip_prefix("testdata:") {
            // A source whose licence does not let the repository carry it
            // (testdata/README.md) runs only against the wider corpus.
            Some(rel) if !testdata().join(rel).exists() => {
                eprintln!(
                    "not run: golden case {name}: {rel} is not in testdata/ (set VIGIE_TESTDATA to the wider corpus)"
                );
                continue;
            }
            Some(rel) => testdata().join(rel),
            None => repo().join(source),
        };
        let mut lf = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(n) = first_lines {
            let end = lf
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(n - 1)
                .map_or(lf.len(), |(i, _)| i + 1);
            lf.truncate(end);
        }
        let expected_path = dir.join(format!("{name}.events.jsonl"));
        let got = events(name, &lf);
        if std::env::var_os("UPDATE_GOLDENFILES").is_some() {
            std::fs::write(&expected_path, &got).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            std::fs::write(dir.join(format!("{name}.events.failed")), &got).unwrap();
            mismatches.push(format!("{name}: differs from {}", expected_path.display()));
            continue;
        }
        let crlf: Vec<u8> = String::from_utf8_lossy(&lf)
            .replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .into_bytes();
        let crlf_events = if std::str::from_utf8(&lf).is_ok() {
            events(name, &crlf)
        } else {
            got.clone()
        };
        if crlf_events != expected {
            mismatches.push(format!("{name}: CRLF input gives other events"));
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&lf).unwrap();
        if events(name, &gz.finish().unwrap()) != expected {
            mismatches.push(format!("{name}: gzip input gives other events"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
