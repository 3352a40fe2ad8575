//! Attacker-written input: truncated compressed files, invalid UTF-8, a 10 MB
//! line, binary garbage, a decompression bomb. Nothing panics, nothing is lost
//! silently: every line is an event or a counted skip, and an early end is an error.

use std::io::Write;

use vigie_ingest::{IngestOptions, Input, SkipReason, ingest_input};

const GOOD: &str = "Nov 28 22:39:29 auth: Info: passwd-file(carol@lab.test,127.0.0.67,<TOOB2V1huY9/AABD>): Password mismatch\n";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn ingest(bytes: &[u8], options: &IngestOptions) -> vigie_ingest::InputReport {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let report = ingest_input(
        &Input::File(file.path().to_path_buf()),
        options,
        &mut |_| {},
    );
    assert_eq!(
        report.lines,
        report.events + report.skipped_lines(),
        "{report:?}"
    );
    report
}

#[test]
fn a_truncated_gzip_keeps_what_was_read_and_reports_the_end() {
    let data = GOOD.repeat(20_000);
    let compressed = gzip(data.as_bytes());
    let report = ingest(
        &compressed[..compressed.len() / 2],
        &IngestOptions::default(),
    );
    assert!(report.events > 1000, "{report:?}");
    assert!(
        report.error.as_deref().unwrap().contains("after line"),
        "{report:?}"
    );
}

#[test]
fn invalid_utf8_is_parsed_with_replacement_and_counted() {
    let mut data = GOOD.as_bytes().to_vec();
    data.extend(
        b"Nov 28 22:39:30 auth: Info: passwd-file(\xff\xfe@lab.test,127.0.0.67): unknown user\n",
    );
    let report = ingest(&data, &IngestOptions::default());
    assert_eq!((report.events, report.invalid_utf8_lines), (2, 1));
}

#[test]
fn a_10_mb_line_is_skipped_and_the_next_line_still_parses() {
    let mut data = GOOD.as_bytes().to_vec();
    data.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    data.push(b'\n');
    data.extend(GOOD.as_bytes());
    let report = ingest(&data, &IngestOptions::default());
    assert_eq!(report.events, 2);
    assert_eq!(
        report.skipped[&SkipReason::LineTooLong].first_lines,
        vec![2]
    );
}

#[test]
fn a_copytruncate_hole_and_cr_line_ends_lose_no_line() {
    // logrotate's `copytruncate` while the writer keeps its offset: NUL
    // bytes up to where the writer went on, then its next line, whole.
    // The gap is as large as the rotated file: here past the line limit.
    let mut data = vec![0u8; 3 * 1024 * 1024];
    data.extend(GOOD.repeat(3).as_bytes());
    data.extend(b"\0\0\0\0\n");
    let report = ingest(&data, &IngestOptions::default());
    assert_eq!((report.lines, report.events), (4, 3), "{report:?}");
    assert_eq!(report.skipped[&SkipReason::EmptyLine].first_lines, [4]);
    assert!(report.format.is_some(), "sniffed behind the gap");

    let mac = GOOD.repeat(5).replace('\n', "\r");
    let report = ingest(mac.as_bytes(), &IngestOptions::default());
    assert_eq!((report.lines, report.events), (5, 5), "{report:?}");
}

/// Records joined on one line (a lost line end, a CR-ended writer's lines in
/// an LF file) are read as one line, so their second record is not read:
/// such lines are counted apart with their numbers, never silently.
#[test]
fn lines_that_may_hold_joined_records_are_counted() {
    let ok = "Nov 28 22:39:30 mail dovecot: imap-login: Login: user=<alice@lab.test>, method=PLAIN, rip=127.0.0.10, lip=127.0.0.1, mpid=1, secured, session=<a>\n";
    let glued = format!("{}{ok}", GOOD.trim_end());
    let mixed = format!("{}\r{ok}", GOOD.trim_end());
    let report = ingest(
        format!("{GOOD}{glued}{ok}{mixed}").as_bytes(),
        &IngestOptions::default(),
    );
    assert_eq!(report.joined.count, 2, "{report:?}");
    assert_eq!(report.joined.first_lines, [2, 4]);
    let roundcube = "[28-Nov-2026 22:39:28 +0000]: <x1> Successful login for alice@lab.test (ID: 1) from 127.0.0.10 in session s1";
    let joined = format!("{roundcube}\n{roundcube}{roundcube}\n");
    let report = ingest(joined.as_bytes(), &IngestOptions::default());
    assert_eq!(report.joined.first_lines, [2], "{report:?}");
    // A time inside a message is not a record (Postfix's anvil,
    // testdata/corpus: `… at Feb 14 19:38:13`).
    let anvil = "Feb 14 19:41:33 z1 postfix/anvil[130741]: statistics: max connection rate 2/60s for (smtp:192.168.13.99) at Feb 14 19:38:13\n";
    let report = ingest(
        format!("{GOOD}{ok}{anvil}").repeat(3).as_bytes(),
        &IngestOptions::default(),
    );
    assert_eq!(report.joined.count, 0);
}

#[test]
fn binary_garbage_is_counted_not_parsed() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let garbage: Vec<u8> = (0..1_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let report = ingest(&garbage, &IngestOptions::default());
    assert_eq!(report.events, 0);
    assert!(report.lines > 1000);
}

#[test]
fn a_decompression_bomb_stops_at_the_limit() {
    let bomb = gzip(&vec![b'\n'; 50 * 1024 * 1024]);
    let options = IngestOptions {
        expansion: vigie_ingest::source::Expansion {
            max_bytes: 1024 * 1024,
            max_ratio: 0,
        },
        ..IngestOptions::default()
    };
    let report = ingest(&bomb, &options);
    assert!(
        report.error.as_deref().unwrap().contains("limit"),
        "{report:?}"
    );
    assert!(report.lines <= 1024 * 1024 + 1);
}

/// The default ratio bound (100 times a file's size) leaves a real log,
/// compressed about ten times, read whole.
#[test]
fn a_real_log_is_read_whole_under_the_default_ratio_bound() {
    let log = GOOD.repeat(50_000);
    let report = ingest(&gzip(log.as_bytes()), &IngestOptions::default());
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(report.events, 50_000);
}

#[test]
fn links_in_a_folder_are_read_or_named_never_skipped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(dir.path().join("other")).unwrap();
    std::fs::write(dir.path().join("target.log"), "line\n").unwrap();
    std::os::unix::fs::symlink("../target.log", logs.join("mail.log")).unwrap();
    std::os::unix::fs::symlink("../other", logs.join("folder")).unwrap();
    std::os::unix::fs::symlink("nowhere", logs.join("dangling")).unwrap();
    // A link to its own folder: not followed, so no loop.
    std::os::unix::fs::symlink(".", logs.join("loop")).unwrap();
    let (sets, errors) = vigie_ingest::expand_inputs(&[&logs]);
    let read: Vec<String> = sets.iter().flatten().map(|i| i.display_name()).collect();
    assert_eq!(read, [logs.join("mail.log").display().to_string()]);
    let mut named: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    named.sort();
    assert_eq!(named.len(), 3, "{named:?}");
    assert!(named[0].contains("dangling") && named[0].contains("cannot be followed"));
    assert!(named[1].contains("folder") && named[1].contains("not followed"));
    assert!(named[2].contains("loop") && named[2].contains("not followed"));
}
