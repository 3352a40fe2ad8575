//! Shared by the line-parser targets: parse one line as a format (with the
//! fallback to other formats that real ingestion uses) and serialize every
//! event, so the JSON and CSV writers are fuzzed too.

use vigie_event::{Event, Timestamp};
use vigie_ingest::Format;
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{LineContext, parse_line};

pub fn parse_as(format: Format, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let zone = jiff::tz::TimeZone::get("Europe/Paris").expect("bundled zone");
    let mut time = TimeContext::new(zone, Timestamp::from_unix(1_795_905_569, 0));
    for (number, line) in text.lines().enumerate() {
        let mut ctx = LineContext { path: "fuzz", number: number as u64 + 1, time: &mut time };
        let _ = parse_line(format, line, &mut ctx, &mut |event: &Event<'_>| {
            let mut out = Vec::new();
            vigie_event::json::write_event(&mut out, event).expect("writing to a Vec");
            vigie_event::csv::write_event(&mut out, event).expect("writing to a Vec");
        });
    }
}
