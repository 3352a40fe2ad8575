#![no_main]
//! Fuzzes what happens before parsing: decompression by magic bytes (gzip,
//! zstd, xz, bzip2, bounded), the line splitter with a small line limit, and
//! format detection; then every line goes through the detected parser.


use vigie_ingest::Format;
use vigie_ingest::source::{Compression, Limited, LineReader};

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let compression = Compression::sniff(data);
    let Ok(decoder) = compression.decoder(data) else { return };
    let mut lines = LineReader::new(Limited::new(decoder, 1 << 20, "--max-decompressed"), 4096);
    let format = match lines.peek(64 * 1024) {
        Ok(head) => vigie_ingest::sniff::detect(head, "fuzz").unwrap_or(Format::Syslog),
        Err(_) => return,
    };
    let mut text = Vec::new();
    while let Ok(Some(line)) = lines.next_line() {
        text.extend_from_slice(line.bytes);
        text.push(b'\n');
    }
    common::parse_as(format, &text);
});
