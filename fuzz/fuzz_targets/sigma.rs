#![no_main]
//! Fuzzes Sigma rule loading (users' rule folders): YAML, detections,
//! conditions and correlations, through rsigma and vigie's mapping.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vigie_detect::sigma::RuleSet::from_yaml("fuzz.yml", text);
    }
});
