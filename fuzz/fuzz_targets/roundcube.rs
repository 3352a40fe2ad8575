#![no_main]
//! Fuzzes the roundcube parser family with arbitrary lines.

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::parse_as(vigie_ingest::Format::Roundcube, data);
});
