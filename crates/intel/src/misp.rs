//! MISP event JSON: attributes and object attributes, with `to_ids`, tags,
//! first/last seen and the actor named by the event's galaxies or tags.

use serde_json::Value;

use crate::import::Sink;
use crate::indicator::{Indicator, Kind, normalize};

/// Whether `json` is a MISP event, a list of them or a search response.
pub fn is_misp(json: &Value) -> bool {
    !events(json).is_empty()
}

fn event(v: &Value) -> Option<&Value> {
    if let Some(e) = v.get("Event") {
        return Some(e);
    }
    let event_keys = ["Attribute", "Object", "analysis", "threat_level_id", "Orgc"];
    (v.get("info").is_some() && event_keys.iter().any(|k| v.get(*k).is_some())).then_some(v)
}

fn events(json: &Value) -> Vec<&Value> {
    match json {
        Value::Array(items) => items.iter().filter_map(event).collect(),
        Value::Object(o) => match o.get("response") {
            Some(Value::Array(items)) => items.iter().filter_map(event).collect(),
            _ => event(json).into_iter().collect(),
        },
        _ => Vec::new(),
    }
}

/// Reads the attributes of every event in `json`.
pub fn import(json: &Value, sink: &mut Sink<'_>) {
    for event in events(json) {
        let event_tags = tags(event);
        let actor = event_actor(event, &event_tags);
        let info = event
            .get("info")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut attributes: Vec<(&Value, Option<&str>)> =
            list(event, "Attribute").map(|a| (a, None)).collect();
        for object in list(event, "Object") {
            let name = object.get("name").and_then(Value::as_str);
            attributes.extend(list(object, "Attribute").map(|a| (a, name)));
        }
        for (attribute, object) in attributes {
            sink.begin(&format!(
                "{} {}",
                attribute.get("type").and_then(Value::as_str).unwrap_or("?"),
                attribute.get("value").and_then(Value::as_str).unwrap_or("")
            ));
            read_attribute(attribute, object, info, &event_tags, actor.as_deref(), sink);
        }
    }
}

fn list<'v>(value: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn tags(value: &Value) -> Vec<String> {
    list(value, "Tag")
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The threat actor an event's galaxy clusters (or galaxy tags) name.
fn event_actor(event: &Value, tags: &[String]) -> Option<String> {
    for galaxy in list(event, "Galaxy") {
        let kind = galaxy
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if matches!(
            kind,
            "threat-actor" | "mitre-intrusion-set" | "mitre-enterprise-attack-intrusion-set"
        ) && let Some(value) =
            list(galaxy, "GalaxyCluster").find_map(|c| c.get("value").and_then(Value::as_str))
        {
            return Some(actor_name(value));
        }
    }
    tags.iter().find_map(|t| {
        let rest = t
            .strip_prefix("misp-galaxy:threat-actor=")
            .or_else(|| t.strip_prefix("misp-galaxy:mitre-intrusion-set="))?;
        Some(actor_name(rest.trim_matches('"')))
    })
}

/// `APT28 - G0007` → `APT28`.
fn actor_name(value: &str) -> String {
    value
        .rsplit_once(" - ")
        .map_or(value, |(name, _)| name)
        .to_string()
}

fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s == "1" || s.eq_ignore_ascii_case("true")),
        Value::Number(n) => Some(n.as_u64() == Some(1)),
        _ => None,
    }
}

fn read_attribute(
    attribute: &Value,
    object: Option<&str>,
    info: &str,
    event_tags: &[String],
    actor: Option<&str>,
    sink: &mut Sink<'_>,
) {
    if flag(attribute.get("deleted")) == Some(true) {
        sink.refuse("deleted");
        return;
    }
    let kind_name = attribute
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(raw) = attribute.get("value").and_then(Value::as_str) else {
        sink.refuse("no value");
        return;
    };
    let values: Vec<(Kind, &str)> = match kind_name {
        "ip-src" | "ip-dst" => vec![(Kind::Ip, raw)],
        "ip-src|port" | "ip-dst|port" => vec![(Kind::Ip, first(raw))],
        "domain" | "hostname" => vec![(Kind::Domain, raw)],
        "domain|ip" | "hostname|port" => {
            let (host, ip) = raw.split_once('|').unwrap_or((raw, ""));
            let mut v = vec![(Kind::Domain, host)];
            if kind_name == "domain|ip" && !ip.is_empty() {
                v.push((Kind::Ip, ip));
            }
            v
        }
        "url" | "uri" => vec![(Kind::Url, raw)],
        "email"
        | "email-src"
        | "email-dst"
        | "email-reply-to"
        | "target-email"
        | "whois-registrant-email" => {
            vec![(Kind::Email, raw)]
        }
        "md5" => vec![(Kind::Md5, raw)],
        "sha1" => vec![(Kind::Sha1, raw)],
        "sha256" => vec![(Kind::Sha256, raw)],
        "filename|md5" | "malware-sample" => vec![(Kind::Md5, second(raw))],
        "filename|sha1" => vec![(Kind::Sha1, second(raw))],
        "filename|sha256" => vec![(Kind::Sha256, second(raw))],
        other => {
            sink.refuse_owned(format!("type {other}"));
            return;
        }
    };
    let text = |key: &str| {
        attribute
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut tags: Vec<String> = event_tags.to_vec();
    tags.extend(self::tags(attribute));
    if let Some(object) = object {
        tags.push(format!("misp-object:{object}"));
    }
    let mut used = false;
    for (kind, value) in values {
        match normalize(kind, value) {
            Ok(value) => {
                used = true;
                sink.add(Indicator {
                    reference: text("uuid").or_else(|| Some(info.to_string())),
                    first_seen: text("first_seen"),
                    last_seen: text("last_seen"),
                    tags: tags.clone(),
                    actor: actor.map(str::to_string),
                    detect: flag(attribute.get("to_ids")).unwrap_or(true),
                    ..Indicator::new(kind, value)
                });
            }
            Err(reason) => sink.note(reason),
        }
    }
    if used {
        sink.report.used += 1;
    } else {
        sink.refuse("value not readable as its type");
    }
}

fn first(value: &str) -> &str {
    value.split_once('|').map_or(value, |(a, _)| a)
}

fn second(value: &str) -> &str {
    value.split_once('|').map_or(value, |(_, b)| b)
}

#[cfg(test)]
mod tests {
    use crate::import::{FeedFormat, import_bytes};

    #[test]
    fn attributes_objects_and_the_galaxy_actor_are_read() {
        let event = r#"{"Event": {"info": "RoundPress", "Tag": [{"name": "tlp:green"}],
          "Galaxy": [{"type": "mitre-intrusion-set", "GalaxyCluster": [{"value": "APT28 - G0007"}]}],
          "Attribute": [
            {"type": "ip-dst", "value": "203.161.50[.]145", "to_ids": true, "uuid": "a1"},
            {"type": "email-dst", "value": "advenwolf@proton.me", "to_ids": "0"},
            {"type": "link", "value": "https://example.org/report"},
            {"type": "ip-src", "value": "x", "deleted": true}],
          "Object": [{"name": "file", "Attribute": [
            {"type": "sha256", "value": "AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F"}]}]}}"#;
        let (found, report) = import_bytes(event.as_bytes(), "e.json", "test").unwrap();
        assert_eq!(report.format, Some(FeedFormat::Misp));
        assert_eq!((report.read, report.used, found.len()), (5, 3, 3));
        assert_eq!(report.refused.get("type link"), Some(&1));
        assert_eq!(report.refused.get("deleted"), Some(&1));
        assert_eq!(found[0].value, "203.161.50.145");
        assert_eq!(found[0].actor.as_deref(), Some("APT28"));
        assert!(!found[1].detect);
        assert!(found[2].tags.contains(&"misp-object:file".to_string()));
    }
}
