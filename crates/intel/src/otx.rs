//! AlienVault OTX pulses (the JSON of `/api/v1/pulses/<id>`, a list of
//! pulses, or a `{"results": [pulse, …]}` page of subscribed pulses).
//!
//! A pulse (OTX DirectConnect API documentation, otx.alienvault.com/api)
//! holds `name`, `tags`, `adversary`, `malware_families`, `attack_ids`,
//! `references` and `indicators: [{"id", "indicator", "type", "created",
//! "expiration", "is_active", "title", "description"}]`; an indicator's `type`
//! is `IPv4`, `IPv6`, `CIDR`, `domain`, `hostname`, `URL`, `URI`, `email`,
//! `FileHash-MD5|SHA1|SHA256`, or one vigie does not match (`Mutex`, `CVE`,
//! `FilePath`, `YARA`, `JA3`, …), refused by name. References are never
//! indicators.

use serde_json::Value;

use crate::import::Sink;
use crate::indicator::{Indicator, kind_named, normalize};

fn is_pulse(v: &Value) -> bool {
    v.get("indicators")
        .and_then(Value::as_array)
        .is_some_and(|i| i.first().is_none_or(|e| e.get("indicator").is_some()))
        && (v.get("name").is_some() || v.get("author_name").is_some())
}

/// The pulses of `json`, when it is OTX's.
pub fn pulses(json: &Value) -> Vec<&Value> {
    let items = match json {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => match json.get("results").and_then(Value::as_array) {
            Some(items) => items.iter().collect(),
            None => vec![json],
        },
        _ => Vec::new(),
    };
    if !items.is_empty() && items.iter().all(|p| is_pulse(p)) {
        items
    } else {
        Vec::new()
    }
}

/// A name out of a string or an object's `display_name` / `id` / `name`.
fn names(pulse: &Value, key: &str) -> Vec<String> {
    pulse
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.as_str()),
            other => ["display_name", "id", "name"]
                .iter()
                .find_map(|k| other.get(*k).and_then(Value::as_str)),
        })
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads the indicators of every pulse.
pub fn import(pulses: &[&Value], sink: &mut Sink<'_>) {
    for pulse in pulses {
        let mut tags = names(pulse, "tags");
        tags.extend(names(pulse, "malware_families"));
        tags.extend(names(pulse, "attack_ids"));
        let actor = pulse
            .get("adversary")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let pulse_id = pulse.get("id").and_then(Value::as_str).unwrap_or_default();
        for entry in pulse
            .get("indicators")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let value = entry.get("indicator").and_then(Value::as_str);
            let kind_name = entry.get("type").and_then(Value::as_str).unwrap_or("?");
            sink.begin(&format!("{kind_name} {}", value.unwrap_or("")));
            let Some(value) = value else {
                sink.refuse("no value");
                continue;
            };
            if entry.get("is_active").and_then(Value::as_u64) == Some(0) {
                sink.refuse("inactive");
                continue;
            }
            let Some(kind) = kind_named(kind_name) else {
                sink.refuse_owned(format!("type {kind_name}"));
                continue;
            };
            match normalize(kind, value) {
                Ok(value) => {
                    sink.add(Indicator {
                        reference: Some(format!("otx:{pulse_id}")),
                        first_seen: entry
                            .get("created")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        last_seen: entry
                            .get("expiration")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        tags: tags.clone(),
                        actor: actor.clone(),
                        ..Indicator::new(kind, value)
                    });
                    sink.report.used += 1;
                }
                Err(reason) => sink.refuse(reason),
            }
        }
    }
}
