//! Hostile variants of every mail-server golden line (issue 12's parsers):
//! each line cut at every character, with each byte in turn replaced by a
//! separator a parser splits on, and doubled, is fed to every format's
//! parser. Nothing may panic, and every call ends in an event or a counted
//! skip. Deterministic, no extra dependency; the inputs are the golden
//! cases' own lines (`testdata/mailservers/`).

use std::path::PathBuf;

use vigie_event::Timestamp;
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{Format, LineContext, parse_line};

/// Characters the parsers split on, and a multi-byte one.
const SEPARATORS: [char; 12] = [' ', ':', '[', ']', '<', '>', '(', ')', '/', '\'', '"', 'é'];

fn variants(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in line.char_indices() {
        out.push(line[..i].to_string());
        out.push(line[i..].to_string());
    }
    for (n, (i, c)) in line.char_indices().enumerate() {
        let sep = SEPARATORS[n % SEPARATORS.len()];
        out.push(format!("{}{sep}{}", &line[..i], &line[i + c.len_utf8()..]));
    }
    out.push(format!("{line}{line}"));
    out
}

#[test]
fn every_format_survives_cut_and_mangled_mail_server_lines() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/mailservers");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") {
            let text = std::fs::read_to_string(&path).unwrap();
            lines.extend(text.lines().map(str::to_string));
        }
    }
    assert!(lines.len() > 50, "the golden lines are read");
    let mut calls = 0u64;
    for line in &lines {
        for variant in variants(line) {
            for &format in Format::ALL {
                let mut time = TimeContext::new(
                    jiff::tz::TimeZone::UTC,
                    Timestamp::from_unix(1_795_996_800, 0),
                );
                let mut ctx = LineContext {
                    path: "hostile",
                    number: 1,
                    time: &mut time,
                };
                let mut events = 0;
                let result = parse_line(format, &variant, &mut ctx, &mut |_| events += 1);
                assert!(
                    result.is_ok() == (events == 1),
                    "{format:?} on {variant:?}: {result:?} with {events} events"
                );
                calls += 1;
            }
        }
    }
    assert!(calls > 100_000, "{calls}");
}
