#![no_main]
//! Fuzzes the web-server parsers (access and error logs of nginx and Apache).

#[path = "common.rs"]
mod common;

use vigie_ingest::Format;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let format = match data.first().map(|b| b % 4) {
        Some(0) => Format::NginxAccess,
        Some(1) => Format::ApacheAccess,
        Some(2) => Format::NginxError,
        _ => Format::ApacheError,
    };
    common::parse_as(format, data.get(1..).unwrap_or_default());
});
