#![no_main]
//! Fuzzes the Sieve reader (the redirects of scripts an intruder may have written).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for r in vigie_mail::sieve::redirects(&text) {
        assert!(r.line >= 1);
    }
});
