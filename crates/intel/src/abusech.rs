//! The JSON exports and API answers of abuse.ch (ThreatFox, URLhaus, Feodo
//! Tracker), read by field: the indicator field only, never the reference,
//! report link, malware name or reporter.
//!
//! Layouts (from each project's API documentation, threatfox.abuse.ch/api,
//! urlhaus.abuse.ch/api, feodotracker.abuse.ch/blocklist):
//! - ThreatFox export `{"<id>": [{"ioc_value", "ioc_type", "threat_type",
//!   "malware", "malware_printable", "first_seen_utc", "last_seen_utc",
//!   "confidence_level", "reference", "tags", "reporter", …}], …}`; API answer
//!   `{"query_status": "ok", "data": [{"id", "ioc", "ioc_type", …, "tags": [...]}]}`;
//! - URLhaus export `{"<id>": [{"dateadded", "url", "url_status", "threat",
//!   "tags": [...], "urlhaus_link", "reporter"}]}`; API answer `{"urls": [...]}`;
//! - Feodo Tracker `ipblocklist.json`: `[{"ip_address", "port", "status",
//!   "hostname", "first_seen", "last_online", "malware"}]`.

use serde_json::Value;

use crate::import::{FeedFormat, Sink};
use crate::indicator::{Indicator, Kind, kind_named, normalize};

type Entries<'v> = Vec<(Option<&'v str>, &'v Value)>;

fn list(v: Option<&Value>) -> Option<Entries<'_>> {
    Some(v?.as_array()?.iter().map(|e| (None, e)).collect())
}

/// The layout of `json` and its entries (with their ids), when it is one of these.
pub fn entries(json: &Value) -> Option<(FeedFormat, Entries<'_>)> {
    let has = |v: &Value, key: &str| v.get(key).is_some();
    if has(json, "query_status") {
        if let Some(found) = list(json.get("data")) {
            return Some((FeedFormat::ThreatFox, found));
        }
        if let Some(found) = list(json.get("urls")) {
            return Some((FeedFormat::Urlhaus, found));
        }
    }
    match json {
        Value::Array(items) if items.first().is_some_and(|e| has(e, "ip_address")) => {
            Some((FeedFormat::Feodo, items.iter().map(|e| (None, e)).collect()))
        }
        Value::Object(map) => {
            // An export keyed by entry id, each a list of one entry.
            let mut found = Vec::new();
            for (id, entries) in map {
                found.extend(entries.as_array()?.iter().map(|e| (Some(id.as_str()), e)));
            }
            let first = found.first()?.1;
            let format = if has(first, "ioc_value") {
                FeedFormat::ThreatFox
            } else if has(first, "urlhaus_link") || has(first, "url_status") {
                FeedFormat::Urlhaus
            } else {
                return None;
            };
            Some((format, found))
        }
        _ => None,
    }
}

fn text<'v>(entry: &'v Value, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| entry.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty() && *s != "None")
}

/// Tag cells: a list, or a comma-separated string (`"elf,Mozi"`).
fn tags(entry: &Value, keys: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        let found: Vec<&str> = match entry.get(*key) {
            Some(Value::String(s)) => s.split(',').collect(),
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for t in found.into_iter().map(str::trim) {
            if !t.is_empty() && t != "None" && !out.iter().any(|o| o == t) {
                out.push(t.to_string());
            }
        }
    }
    out
}

/// Reads the entries of one of these layouts.
pub fn import(format: FeedFormat, found: &[(Option<&str>, &Value)], sink: &mut Sink<'_>) {
    for (id, entry) in found {
        let (value, kind) = match format {
            FeedFormat::ThreatFox => {
                let kind = text(entry, &["ioc_type"]);
                (
                    text(entry, &["ioc_value", "ioc"]),
                    kind.map(|k| (k, kind_named(k))),
                )
            }
            FeedFormat::Urlhaus => (text(entry, &["url"]), Some(("url", Some(Kind::Url)))),
            _ => (text(entry, &["ip_address"]), Some(("ip", Some(Kind::Ip)))),
        };
        sink.begin(value.unwrap_or("(no value)"));
        let Some(value) = value else {
            sink.refuse("no value");
            continue;
        };
        let kind = match kind {
            Some((_, Some(kind))) => kind,
            Some((name, None)) => {
                sink.refuse_owned(format!("type {name}"));
                continue;
            }
            None => {
                sink.refuse("no type");
                continue;
            }
        };
        let value = match normalize(kind, value) {
            Ok(v) => v,
            Err(reason) => {
                sink.refuse(reason);
                continue;
            }
        };
        let id = id.map(str::to_string).or_else(|| {
            entry
                .get("id")
                .map(|v| v.to_string().trim_matches('"').into())
        });
        sink.add(Indicator {
            reference: id.map(|id| format!("{}:{id}", format.name())),
            first_seen: text(
                entry,
                &["first_seen_utc", "first_seen", "dateadded", "date_added"],
            )
            .map(str::to_string),
            last_seen: text(entry, &["last_seen_utc", "last_seen", "last_online"])
                .map(str::to_string),
            confidence: entry
                .get("confidence_level")
                .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
                .map(|c| c.min(100) as u8),
            tags: tags(entry, &["malware_printable", "malware", "threat", "tags"]),
            ..Indicator::new(kind, value)
        });
        sink.report.used += 1;
    }
}
