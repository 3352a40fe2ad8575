//! `vigie-ingest-only FILE…`: parses every line of the files into events (zone
//! UTC, formats detected as `vigie events` detects them) and prints the wall
//! time and the counts of lines, events and skipped lines.

use std::time::Instant;

use vigie_ingest::{IngestOptions, Input, ingest_input};

fn main() {
    let options = IngestOptions {
        zone: jiff::tz::TimeZone::UTC,
        ..IngestOptions::default()
    };
    let start = Instant::now();
    let (mut lines, mut events, mut skipped) = (0u64, 0u64, 0u64);
    for path in std::env::args().skip(1) {
        let report = ingest_input(&Input::File(path.into()), &options, &mut |_| events += 1);
        if let Some(error) = &report.error {
            eprintln!("{error:?}");
        }
        lines += report.lines;
        skipped += report.skipped_lines();
    }
    println!(
        "{:.3} s, lines {lines}, events {events}, skipped {skipped}",
        start.elapsed().as_secs_f64()
    );
}
