//! Every line of every real log in `testdata/corpus/logs/` and of the lab's
//! sample run is either an event or a counted skip with a reason, and the
//! per-file counts match the reviewed snapshot in `testdata/corpus.snapshot`.
//!
//! Regenerate the snapshot only on purpose, and review its diff:
//! `UPDATE_GOLDENFILES=1 cargo test -p vigie-ingest --test corpus`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use vigie_event::Timestamp;
use vigie_ingest::{IngestOptions, Input, expand_inputs, ingest_input};

/// The repository's `testdata/` (see its README), or a wider tree of the same
/// layout named by `VIGIE_TESTDATA` (the team's `shared/` folder).
fn testdata() -> PathBuf {
    std::env::var_os("VIGIE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata"))
}

fn snapshot_of(root: &Path, label: &str, out: &mut String) -> (u64, u64, u64) {
    let options = IngestOptions {
        zone: jiff::tz::TimeZone::UTC,
        reference: Some(Timestamp::from_unix(1_795_996_800, 0)),
        ..IngestOptions::default()
    };
    let (sets, errors) = expand_inputs(&[root]);
    assert!(errors.is_empty(), "{errors:?}");
    let (mut lines, mut events, mut skipped) = (0, 0, 0);
    for input in sets.iter().flatten() {
        // Each source folder's licence and provenance notes are not logs.
        if let Input::File(path) = input
            && path
                .file_name()
                .is_some_and(|n| n == "LICENSE" || n == "PROVENANCE.md")
        {
            continue;
        }
        let report = ingest_input(input, &options, &mut |_| {});
        assert!(
            report.error.is_none(),
            "{}: {:?}",
            report.path,
            report.error
        );
        assert_eq!(
            report.lines,
            report.events + report.skipped_lines(),
            "{}: a line is unaccounted for",
            report.path
        );
        let rel = Path::new(&report.path)
            .strip_prefix(root)
            .map_or(report.path.clone(), |p| p.display().to_string());
        let reasons: Vec<String> = report
            .skipped
            .iter()
            .map(|(r, t)| format!("{}={}", r.name(), t.count))
            .collect();
        let format = report.format.map_or("unknown", |f| f.name());
        writeln!(
            out,
            "{label}/{rel}\t{format}\t{}\t{}\t{}",
            report.lines,
            report.events,
            reasons.join(",")
        )
        .unwrap();
        lines += report.lines;
        events += report.events;
        skipped += report.skipped_lines();
    }
    (lines, events, skipped)
}

#[test]
fn every_corpus_line_is_an_event_or_a_counted_skip() {
    let mut snapshot = String::new();
    let (lines, events, skipped) =
        snapshot_of(&testdata().join("corpus/logs"), "corpus", &mut snapshot);
    let lab = snapshot_of(&testdata().join("lab/sample-run"), "lab", &mut snapshot);
    println!(
        "corpus: {lines} lines, {events} events, {skipped} skipped; lab sample run: {} lines, {} events, {} skipped",
        lab.0, lab.1, lab.2
    );
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/corpus.snapshot");
    if std::env::var_os("UPDATE_GOLDENFILES").is_some() {
        std::fs::write(&golden, &snapshot).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    if expected != snapshot {
        let failed = golden.with_extension("failed");
        std::fs::write(&failed, &snapshot).unwrap();
        panic!(
            "per-file counts changed: diff {} {}",
            golden.display(),
            failed.display()
        );
    }
}

#[test]
fn the_lab_logs_parse_whole() {
    // The mail-stack logs of the lab (not its ground truth or sink dumps) make
    // an event of every line: the shared sample run and the embedded one.
    let embedded =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion/logs");
    for root in [testdata().join("lab/sample-run"), embedded] {
        lab_logs_parse_whole(&root);
    }
}

fn lab_logs_parse_whole(root: &Path) {
    for log in [
        "dovecot.log",
        "mail.log",
        "nginx/roundcube.access.log",
        "roundcube/errors.log",
        "roundcube/sendmail.log",
        "roundcube/session.log",
        "roundcube/userlogins.log",
    ] {
        let (sets, _) = expand_inputs(&[root.join(log)]);
        let report = ingest_input(&sets[0][0], &IngestOptions::default(), &mut |_| {});
        assert!(report.lines > 0, "{}: {log}", root.display());
        assert_eq!(report.events, report.lines, "{log}: {:?}", report.skipped);
    }
}
