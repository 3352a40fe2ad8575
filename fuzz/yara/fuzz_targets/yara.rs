#![no_main]
//! Fuzzes YARA-X rule loading from users' rule folders (`--yara DIR`): the
//! rules compiled beside the shipped ones, a broken file reported and the
//! others kept, then a scan of one message's part with what compiled, so
//! the reading of each matching rule's metadata is fuzzed too.

use std::sync::LazyLock;

use vigie_mail::yara::YaraRules;

static DIR: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary folder"));

/// A part the shipped rules and most users' rules have something to say about.
const PART: &[u8] = b"<svg><animate attributeName=\"href\" values=\"javascript:alert(1)\"/>\
    <script>eval(atob('aHR0cHM6Ly9leGFtcGxlLm9yZy8='))</script></svg>";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = DIR.path().join("user.yar");
    std::fs::write(&file, data).expect("writing the rule file");
    let rules = YaraRules::load(false, &[DIR.path().to_path_buf()]);
    assert!(rules.errors.len() <= 1);
    let mut scanner = rules.scanner();
    for indicator in scanner.scan(PART, "1") {
        assert!(indicator.code.starts_with("YARA"));
    }
});
