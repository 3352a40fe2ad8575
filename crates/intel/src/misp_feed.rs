//! MISP feed folders, as MISP publishes and reads them (`PyMISP`'s
//! `feed-generator`, MISP's `Feed` model): a `manifest.json` mapping each
//! event UUID to its summary (`{"<uuid>": {"info", "Orgc", "Tag", "date",
//! "timestamp", …}}`), and one `<uuid>.json` per event holding `{"Event":
//! {…}}`, beside the manifest or under `events/`. Every event the manifest
//! lists is read; one missing or broken is refused with its reason.

use std::path::Path;

use serde_json::Value;

use crate::import::{FeedFormat, ImportError, ImportReport, Sink, read_bounded};
use crate::indicator::Indicator;
use crate::misp;

fn is_uuid(key: &str) -> bool {
    key.len() == 36
        && key.bytes().enumerate().all(|(i, b)| {
            matches!(i, 8 | 13 | 18 | 23) == (b == b'-') && (b == b'-' || b.is_ascii_hexdigit())
        })
}

/// Whether `json` is a MISP feed manifest: UUID keys, event summaries as values.
pub fn is_manifest(json: &Value) -> bool {
    json.as_object().is_some_and(|m| {
        !m.is_empty() && m.iter().all(|(k, v)| is_uuid(k) && v.get("info").is_some())
    })
}

/// Reads the feed folder `dir` (named `file` in reports) into the set `source`.
pub fn import(
    dir: &Path,
    file: &str,
    source: &str,
) -> Result<(Vec<Indicator>, ImportReport), ImportError> {
    let not_a_feed = |reason: String| ImportError::NotAFeed {
        file: file.to_string(),
        reason,
    };
    let manifest_path = dir.join("manifest.json");
    if !manifest_path.is_file() {
        return Err(not_a_feed(
            "a folder without manifest.json (only MISP feed folders are read whole)".into(),
        ));
    }
    let bytes = read_bounded(&manifest_path, file)?;
    let manifest: Value = serde_json::from_slice(&bytes)
        .ok()
        .filter(is_manifest)
        .ok_or_else(|| not_a_feed("manifest.json is not a MISP feed manifest".into()))?;
    let mut report = ImportReport {
        file: file.to_string(),
        format: Some(FeedFormat::MispFeed),
        ..ImportReport::default()
    };
    let mut out = Vec::new();
    let mut sink = Sink::new(&mut report, &mut out, source);
    let mut uuids: Vec<&String> = manifest
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    uuids.sort();
    for uuid in uuids {
        let name = format!("{uuid}.json");
        let path = [dir.join(&name), dir.join("events").join(&name)]
            .into_iter()
            .find(|p| p.is_file());
        let event = path
            .ok_or_else(|| "event file missing".to_string())
            .and_then(|p| {
                let bytes =
                    read_bounded(&p, file).map_err(|e| format!("event file not read: {e}"))?;
                serde_json::from_slice::<Value>(&bytes)
                    .map_err(|e| format!("event file not JSON: line {}", e.line()))
            })
            .and_then(|json| {
                if misp::is_misp(&json) {
                    Ok(json)
                } else {
                    Err("event file not a MISP event".to_string())
                }
            });
        match event {
            Ok(json) => misp::import(&json, &mut sink),
            Err(reason) => {
                sink.begin(&name);
                sink.refuse_owned(reason);
            }
        }
    }
    Ok((out, report))
}
