//! Import of real published feeds from the package registry: the STIX 2.1
//! examples that OASIS ships in `stix2-validator` and the MISP events, STIX
//! bundle and CSV lists of `pymisp`'s test data (fetched by
//! `intel/fetch-test-feeds` into `VIGIE_FEEDS`, or into this test's target
//! folder on first run). Every file is imported; entries read, used and
//! refused by reason are printed, and checked against the files themselves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vigie_intel::import::{FeedFormat, ImportReport, import_file};
use vigie_intel::indicator::refang;

fn feeds() -> PathBuf {
    if let Some(dir) = std::env::var_os("VIGIE_FEEDS") {
        return PathBuf::from(dir);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("feeds");
    if !dir.join("VERSIONS").exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../intel/fetch-test-feeds");
        let status = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .status()
            .expect("bash");
        assert!(
            status.success(),
            "fetching the feeds from PyPI failed: run `bash intel/fetch-test-feeds DIR` and set VIGIE_FEEDS=DIR"
        );
    }
    dir
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "json" || e == "csv") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Entries a file holds, counted from its JSON independently of the importer:
/// STIX objects of type `indicator` and observables that indicate (addresses,
/// domains, URLs, e-mail addresses, files); MISP attributes, in events and objects.
fn entries(json: &Value) -> u64 {
    const OBSERVABLES: [&str; 7] = [
        "indicator",
        "ipv4-addr",
        "ipv6-addr",
        "domain-name",
        "url",
        "email-addr",
        "file",
    ];
    match json {
        Value::Object(o)
            if o.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| OBSERVABLES.contains(&t)) =>
        {
            1
        }
        Value::Object(o) => {
            let attributes = o
                .get("Attribute")
                .and_then(Value::as_array)
                .map_or(0, |a| a.len() as u64);
            let nested: u64 = o
                .iter()
                .filter(|(k, _)| k.as_str() != "Attribute")
                .map(|(_, v)| entries(v))
                .sum();
            attributes + nested
        }
        Value::Array(items) => items.iter().map(entries).sum(),
        _ => 0,
    }
}

#[test]
fn real_stix_and_misp_feeds_are_imported_and_every_refusal_has_a_reason() {
    let dir = feeds();
    let mut totals: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut refusals: BTreeMap<String, u64> = BTreeMap::new();
    let mut not_feeds = Vec::new();
    println!(
        "{:<64} {:>6} {:>5} {:>5} {:>7}",
        "FILE", "FORMAT", "READ", "USED", "REFUSED"
    );
    for path in files(&dir) {
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        let (indicators, report): (_, ImportReport) = match import_file(&path, "test") {
            Ok(r) => r,
            Err(e) => {
                // JSON that is not a feed (pymisp's sharing groups, search
                // index, an empty event) is named, never half-read.
                println!("{name:<64} not a feed: {e}");
                not_feeds.push(name);
                continue;
            }
        };
        let refused: u64 = report.refused.values().sum();
        let format = report.format.unwrap();
        println!(
            "{name:<64} {:>6} {:>5} {:>5} {:>7}",
            format.name(),
            report.read,
            report.used,
            refused
        );
        assert_eq!(
            report.used + refused,
            report.read,
            "{name}: every entry used or refused"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        if format != FeedFormat::Plain {
            let json: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(report.read, entries(&json), "{name}: entries read");
        }
        // Every indicator kept is in the file (case and defanging aside;
        // networks compared by their address part).
        let haystack = refang(&text).to_ascii_lowercase();
        for i in &indicators {
            let needle = i.value.split('/').next().unwrap();
            assert!(
                haystack.contains(needle),
                "{name}: {} not in the file",
                i.value
            );
        }
        let t = totals.entry(format.name()).or_default();
        *t = (
            t.0 + 1,
            t.1 + report.read,
            t.2 + report.used,
            t.3 + indicators.len() as u64,
        );
        for (reason, n) in report.refused {
            *refusals.entry(reason).or_default() += n;
        }
    }
    println!("\nformat: files, entries read, used, indicators");
    for (format, t) in &totals {
        println!("  {format:<6} {:>3} {:>6} {:>6} {:>6}", t.0, t.1, t.2, t.3);
    }
    println!("refused, by reason:");
    for (reason, n) in &refusals {
        println!("  {n:>5}  {reason}");
    }
    println!("not feeds: {}", not_feeds.len());
    let stix = totals["stix"];
    let misp = totals["misp"];
    assert!(stix.0 >= 8 && stix.2 >= 35, "STIX: {stix:?}");
    assert!(misp.0 >= 20 && misp.2 >= 700, "MISP: {misp:?}");
    assert!(totals["plain"].3 >= 19, "CSV lists");
    // The refusals one expects from these files, each with its reason.
    assert!(refusals.contains_key("object x509-certificate"));
    assert!(refusals.contains_key("operator MATCHES"));
    assert!(refusals.contains_key("type link"));
    assert!(refusals.contains_key("deleted"));
}
