//! Hostile messages (issue 11) are read to a bound, reported, and never
//! abort the analysis: deep nesting in every form mail-parser knows, many
//! parts, huge headers, boundary tricks, encodings within encodings.

#[path = "generator/hostile_mail.rs"]
mod hostile_mail;

use std::time::{Duration, Instant};

use vigie_mail::limits::{MAX_ANALYSIS_TIME, MAX_MIME_DEPTH, MAX_MIME_PARTS};
use vigie_mail::store::{MAX_MESSAGE, RawMessage};
use vigie_mail::{MessageReport, analyze_within};

/// Analyses `bytes` without a time limit: these tests check the structure
/// bounds, whatever the speed of the machine (a debug build on a busy one
/// can pass the time limit first).
fn run(bytes: Vec<u8>) -> MessageReport {
    analyze_within(
        &RawMessage {
            location: Default::default(),
            bytes,
        },
        None,
        Duration::MAX,
    )
}

fn has_problem(report: &MessageReport, text: &str) -> bool {
    report.problems.iter().any(|p| p.contains(text))
}

fn flagged_as_structure_bomb(report: &MessageReport) -> bool {
    report.indicators.iter().any(|i| i.code == "VM090")
}

#[test]
fn the_issues_16000_level_message_is_read_to_the_limit_and_reported() {
    let report = run(hostile_mail::nested_multipart(16_000));
    let reason = format!("MIME nesting deeper than {MAX_MIME_DEPTH}");
    assert!(has_problem(&report, &reason), "{:?}", report.problems);
    assert!(flagged_as_structure_bomb(&report));
    assert_eq!(report.subject.as_deref(), Some("nest"));
    // The levels above the cut are read: the outermost multipart's part 1.1.1…
    assert!(report.parts.is_empty() || report.parts[0].part.starts_with("1.1"));
}

#[test]
fn a_million_levels_within_the_size_limit_do_not_abort() {
    let raw = hostile_mail::nested_multipart_compact(1_000_000);
    assert!(raw.len() <= MAX_MESSAGE, "{} bytes", raw.len());
    let started = Instant::now();
    let report = run(raw);
    assert!(has_problem(
        &report,
        &format!("MIME nesting deeper than {MAX_MIME_DEPTH}")
    ));
    assert!(flagged_as_structure_bomb(&report));
    eprintln!("1,000,000 levels: {:?}", started.elapsed());
}

#[test]
fn digests_and_mid_line_delimiters_are_measured_as_mail_parser_reads_them() {
    // Digest parts without a Content-Type are messages (RFC 2046 §5.1.5),
    // and mail-parser finds delimiters in mid-line.
    for raw in [
        hostile_mail::nested_digests(200_000),
        hostile_mail::nested_midline(200_000),
        hostile_mail::nested_messages(300_000),
    ] {
        let report = run(raw);
        assert!(flagged_as_structure_bomb(&report), "{:?}", report.subject);
    }
}

#[test]
fn nesting_the_raw_check_cannot_see_is_still_bounded() {
    // RFC 2231 boundary continuations are joined by mail-parser, not by the
    // raw check: the walk's own bound and the flat drop keep it safe.
    let report = run(hostile_mail::nested_rfc2231(200_000));
    assert!(!flagged_as_structure_bomb(&report));
    assert!(
        has_problem(
            &report,
            &format!("MIME nesting deeper than {MAX_MIME_DEPTH}")
        ),
        "{:?}",
        report.problems
    );
}

#[test]
fn too_many_parts_are_cut_and_reported() {
    let report = run(hostile_mail::many_parts(MAX_MIME_PARTS * 3));
    assert!(has_problem(
        &report,
        &format!("more than {MAX_MIME_PARTS} MIME parts")
    ));
    assert!(report.parts.len() <= MAX_MIME_PARTS);
    assert!(report.parts.len() > MAX_MIME_PARTS / 2);
    let fine = run(hostile_mail::many_parts(500));
    assert_eq!(fine.parts.len(), 500);
    assert!(fine.problems.is_empty() && !flagged_as_structure_bomb(&fine));
}

#[test]
fn every_hostile_kind_is_analysed_in_bounded_time() {
    for (name, raw) in hostile_mail::all() {
        let started = Instant::now();
        let report = run(raw);
        let took = started.elapsed();
        eprintln!(
            "{name}: {took:?}, {} parts, problems {:?}",
            report.parts.len(),
            report.problems
        );
        assert!(took < Duration::from_secs(60), "{name} took {took:?}");
    }
}

fn flagged_as_too_slow(report: &MessageReport) -> bool {
    report.indicators.iter().any(|i| i.code == "VM091")
}

#[test]
fn a_message_past_its_time_limit_is_stopped_and_reported() {
    // Thousands of markup parts, each tokenized, decoded and split again:
    // far more than 50 ms of work, so the limit passes mid-way.
    let raw = RawMessage {
        location: Default::default(),
        bytes: hostile_mail::many_markup_parts(5_000),
    };
    let limit = Duration::from_millis(50);
    let started = Instant::now();
    let report = analyze_within(&raw, None, limit);
    let took = started.elapsed();
    assert!(flagged_as_too_slow(&report), "{:?}", report.problems);
    assert!(
        has_problem(&report, "analysis longer than 0.05 s, stopped at part "),
        "{:?}",
        report.problems
    );
    // Stopped, not finished: parts after the stop are not analysed, and the
    // analysis ends soon after the limit (one part's work, the raw check).
    assert!(report.parts.len() < 5_000, "{} parts", report.parts.len());
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert_eq!(report.subject.as_deref(), Some("many-markup-parts"));

    // The same shape, small, within the documented limit: read whole.
    let small = RawMessage {
        location: Default::default(),
        bytes: hostile_mail::many_markup_parts(20),
    };
    let report = analyze_within(&small, None, MAX_ANALYSIS_TIME);
    assert!(!flagged_as_too_slow(&report), "{:?}", report.problems);
    assert_eq!(report.parts.len(), 20);
}

/// Found by fuzzing (the mail target, 2026-12-02; the input is the fuzzer's,
/// grown from the real messages of testdata/): a multipart whose part list
/// names its own ancestor, as mail-parser reads a broken boundary. The walk
/// took 2^100 paths, stopped by the clock after 30 s with 2.5 to 4.7 GB in
/// use. Each part is read once now: in milliseconds, flagged (VM090) and
/// reported.
#[test]
fn a_multipart_listing_its_own_ancestor_is_read_once_and_reported() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/testdata/fuzz/mail-shared-parts.eml"
    ))
    .expect("the fuzzer's message");
    let report = run(bytes);
    assert!(
        has_problem(&report, "already read"),
        "{:?}",
        report.problems
    );
    assert!(
        flagged_as_structure_bomb(&report),
        "{:?}",
        report.indicators
    );
    // Each part once: far fewer than the walk of every path listed.
    assert!(
        report.parts.len() < 1000,
        "{} parts listed",
        report.parts.len()
    );
}

/// A fresh user's retest: of three messages counted "read in part", only
/// the one past the nesting bound was named; one whose content could not be
/// decoded and one with no MIME structure were counted and never named.
#[test]
fn every_message_read_in_part_is_flagged_with_its_reason() {
    let undecodable = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n!!!!not base64 at all!!!!\r\n"
        .to_vec();
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for bytes in [undecodable, random] {
        let report = run(bytes);
        assert!(!report.problems.is_empty(), "read whole?");
        let flag = report
            .indicators
            .iter()
            .find(|i| ["VM090", "VM091", "VM092"].contains(&i.code.as_str()));
        let flag = flag.unwrap_or_else(|| panic!("read in part, unflagged: {:?}", report.problems));
        if flag.code == "VM092" {
            assert_eq!(flag.snippet, report.problems[0]);
        }
    }
}
