#![no_main]
//! Fuzzes feed import (STIX bundles and patterns, MISP events, CSV and plain
//! lists): a feed is as hostile as a log line.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = vigie_intel::import::import_bytes(data, "fuzz", "fuzz");
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vigie_intel::reduce_stix_pattern(text);
    }
});
