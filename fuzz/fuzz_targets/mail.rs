#![no_main]
//! Fuzzes one message through vigie's analysis: the raw structure bounds,
//! mail-parser's MIME decoding, the walk over parts, HTML/SVG tokenizing
//! with nested `data:` documents, links and Markdown-reference checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let raw = vigie_mail::RawMessage { location: Default::default(), bytes: data.to_vec() };
    let report = vigie_mail::analyze(&raw, None);
    // The report is what the case stores: it must serialize.
    serde_json::to_vec(&report).expect("a report serializes");
});
