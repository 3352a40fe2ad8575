//! `ingest_bytes`: an input read in pieces of whole lines, each from its
//! first line's number, gives the events (with their line numbers) and the
//! counts of the whole file read by `ingest_input`, for every golden case of
//! the repository whose format may be cut (`Format::line_independent`); a
//! compressed input is read whole from memory, never from a later line.

use std::io::Write;
use std::path::{Path, PathBuf};

use vigie_event::Timestamp;
use vigie_ingest::{Format, IngestOptions, Input, InputReport, ingest_bytes, ingest_input, sniff};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn options() -> IngestOptions {
    IngestOptions {
        zone: jiff::tz::TimeZone::UTC,
        reference: Some(Timestamp::from_unix(1_795_996_800, 0)),
        ..IngestOptions::default()
    }
}

/// The events of a whole file as JSON lines, and its report.
fn whole(path: &Path) -> (String, InputReport) {
    let mut out = Vec::new();
    let report = ingest_input(&Input::File(path.to_path_buf()), &options(), &mut |e| {
        vigie_event::json::write_event(&mut out, e).unwrap()
    });
    (String::from_utf8(out).unwrap(), report)
}

/// The events of `data` read in `pieces` runs of whole lines, and the
/// pieces' reports added up.
fn in_pieces(
    name: &str,
    data: &[u8],
    format: Option<Format>,
    pieces: usize,
) -> (String, InputReport) {
    let ends: Vec<usize> = memchr_ends(data);
    let per = ends.len().div_ceil(pieces).max(1);
    let mut out = Vec::new();
    let mut total: Option<InputReport> = None;
    let (mut start, mut first) = (0, 1u64);
    let mut runs: Vec<(u64, &[u8])> = Vec::new();
    for group in ends.chunks(per) {
        let end = *group.last().unwrap();
        runs.push((first, &data[start..end]));
        first += group.len() as u64;
        start = end;
    }
    if start < data.len() {
        runs.push((first, &data[start..]));
    }
    assert!(runs.len() > 1 || ends.len() < 2, "{name} not cut");
    for (first_line, bytes) in runs {
        let report = ingest_bytes(
            name,
            bytes,
            format,
            first_line,
            None,
            &options(),
            &mut |e| vigie_event::json::write_event(&mut out, e).unwrap(),
        );
        match &mut total {
            Some(t) => t.absorb(report),
            None => total = Some(report),
        }
    }
    (String::from_utf8(out).unwrap(), total.unwrap())
}

fn memchr_ends(data: &[u8]) -> Vec<usize> {
    data.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(at, _)| at + 1)
        .collect()
}

fn counts(r: &InputReport) -> String {
    serde_json::to_string(&(
        &r.path,
        r.format.map(Format::name),
        r.lines,
        r.events,
        &r.datasets,
        serde_json::to_value(r).unwrap()["skipped"].clone(),
        r.first_seen,
        r.last_seen,
        &r.error,
    ))
    .unwrap()
}

#[test]
fn pieces_of_a_cuttable_file_give_the_events_and_counts_of_the_whole() {
    let cases = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/golden/CASES"),
    )
    .unwrap();
    let mut cut = Vec::new();
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let source = line.split('\t').nth(1).unwrap();
        if source.starts_with("testdata:") {
            continue;
        }
        let path = repo().join(source);
        let data = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let format = sniff::detect(&data[..data.len().min(64 * 1024)], &name);
        if !format.is_some_and(Format::line_independent) {
            continue;
        }
        let (expected, expected_report) = whole(&path);
        let (found, found_report) = in_pieces(&name, &data, format, 3);
        assert_eq!(found, expected, "{name}");
        assert_eq!(counts(&found_report), counts(&expected_report), "{name}");
        cut.push(name);
    }
    // The web and Roundcube logs of the sample incident at least.
    assert!(cut.len() >= 5, "{cut:?}");
}

#[test]
fn a_compressed_input_is_read_whole_from_memory_and_never_from_a_later_line() {
    let path = repo().join("examples/lab-intrusion/logs/nginx/roundcube.access.log");
    let data = std::fs::read(&path).unwrap();
    let name = path.display().to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let gz = gz.finish().unwrap();
    let (expected, expected_report) = whole(&path);
    let mut out = Vec::new();
    let report = ingest_bytes(&name, &gz, None, 1, None, &options(), &mut |e| {
        vigie_event::json::write_event(&mut out, e).unwrap()
    });
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert_eq!(report.compression, vigie_ingest::Compression::Gzip);
    assert_eq!(report.events, expected_report.events);

    let mut events = 0;
    let report = ingest_bytes(&name, &gz, None, 5, None, &options(), &mut |_| events += 1);
    assert_eq!(events, 0);
    assert!(report.error.unwrap().contains("read whole"));
}

#[test]
fn syslog_and_mdaemon_may_not_be_cut() {
    // Horde's login echoes and MDaemon's sessions span lines.
    assert!(!Format::Syslog.line_independent());
    assert!(!Format::Mdaemon.line_independent());
    assert!(Format::NginxAccess.line_independent());
    assert!(Format::Roundcube.line_independent());
}
