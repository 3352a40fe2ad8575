#![no_main]
//! Fuzzes each feed format's reading of its entries, one format at a time:
//! the first byte picks the format, and every following line (`TYPE<TAB>VALUE`,
//! or a STIX pattern) becomes an entry of a well-formed document of that
//! format. The `intel` target mutates whole documents, whose JSON mostly
//! breaks; this one keeps the layout so the mutations reach the values:
//! STIX patterns and observables, MISP attributes, OTX indicators,
//! ThreatFox, URLhaus and Feodo Tracker entries, plain lists and CSV.

use serde_json::{Value, json};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .map(|l| l.split_once('\t').unwrap_or(("", l)))
        .collect();
    let document: Value = match first % 8 {
        0 => json!({"type": "bundle", "id": "bundle--1", "objects": text.lines().map(|p| json!({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--1",
            "pattern_type": "stix", "pattern": p, "labels": ["malicious-activity"],
        })).collect::<Vec<_>>()}),
        1 => json!({"type": "bundle", "id": "bundle--1", "objects": pairs.iter().map(|(t, v)| json!({
            "type": t, "spec_version": "2.1", "id": format!("{t}--1"), "value": v,
            "hashes": {"SHA-256": v}, "name": v,
        })).collect::<Vec<_>>()}),
        2 => json!({"Event": {"info": "fuzz", "threat_level_id": "1", "Tag": [{"name": "misp-galaxy:threat-actor=\"X\""}],
            "Attribute": pairs.iter().map(|(t, v)| json!({"type": t, "value": v, "to_ids": true}))
                .collect::<Vec<_>>()}}),
        3 => json!({"results": [{"name": "fuzz", "author_name": "a", "adversary": "X",
            "indicators": pairs.iter().map(|(t, v)| json!({"type": t, "indicator": v, "is_active": 1}))
                .collect::<Vec<_>>()}]}),
        4 => json!({"query_status": "ok", "data": pairs.iter().map(|(t, v)| json!({
            "ioc": v, "ioc_type": t, "threat_type": "botnet_cc", "malware": "x", "confidence_level": 100,
            "first_seen": "2026-11-28 22:39:29 UTC", "tags": t,
        })).collect::<Vec<_>>()}),
        5 => json!({"query_status": "ok", "urls": pairs.iter().map(|(t, v)| json!({
            "url": v, "url_status": "online", "threat": t, "date_added": "2026-11-28 22:39:29 UTC",
        })).collect::<Vec<_>>()}),
        6 => Value::Array(pairs.iter().map(|(t, v)| json!({
            "ip_address": v, "port": t, "status": "online", "first_seen": "2026-11-28 22:39:29",
        })).collect()),
        _ => {
            let _ = vigie_intel::import::import_bytes(rest, "fuzz.csv", "fuzz");
            return;
        }
    };
    let bytes = serde_json::to_vec(&document).expect("serializing JSON");
    let _ = vigie_intel::import::import_bytes(&bytes, "fuzz.json", "fuzz");
    if first % 8 == 0 {
        for line in text.lines() {
            let _ = vigie_intel::reduce_stix_pattern(line);
        }
    }
});
