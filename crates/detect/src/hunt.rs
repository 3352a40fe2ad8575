//! Sigma over arbitrary JSON documents: what `vigie hunt` runs.

use rsigma_eval::Engine;
use rsigma_eval::event::JsonEvent;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::sigma::RuleSet;

/// One rule that matched one document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleMatch {
    /// The rule's `id`, when it has one.
    pub rule_id: Option<String>,
    /// The rule's title.
    pub title: String,
    /// The rule's level (`informational` … `critical`), when set.
    pub level: Option<String>,
}

/// A compiled rule set that evaluates JSON documents.
pub struct Hunter {
    engine: Engine,
}

impl Hunter {
    /// Compiles every rule of the set (they were each compiled once already
    /// when loaded, so this cannot fail for a rule of the set).
    pub fn new(rules: &RuleSet) -> Hunter {
        let mut engine = Engine::new();
        for rule in &rules.collection.rules {
            // Every rule of a RuleSet compiled alone when it was loaded.
            let _ = engine.add_rule(rule);
        }
        for filter in &rules.collection.filters {
            let _ = engine.apply_filter(filter);
        }
        Hunter { engine }
    }

    /// The rules that match `document`. Windows event-log JSON
    /// (`{"Event": {"System": …, "EventData": …}}`) is first flattened to the
    /// field names Sigma's Windows rules use.
    pub fn matches(&self, document: &Value) -> Vec<RuleMatch> {
        let flattened = windows_event(document);
        let event = JsonEvent::borrow(flattened.as_ref().unwrap_or(document));
        self.engine
            .evaluate(&event)
            .into_iter()
            .map(|m| RuleMatch {
                rule_id: m.header.rule_id.clone(),
                title: m.header.rule_title.clone(),
                level: m
                    .header
                    .level
                    .map(|l| format!("{l:?}").to_ascii_lowercase()),
            })
            .collect()
    }

    /// Number of rules compiled.
    pub fn rule_count(&self) -> usize {
        self.engine.rule_count()
    }
}

/// `Event.EventData` (or `UserData`) fields at the top level, with the
/// `System` fields Sigma names (`EventID`, `Channel`, `Provider_Name`, …).
fn windows_event(document: &Value) -> Option<Value> {
    let event = document.get("Event")?;
    let system = event.get("System")?;
    let mut flat = Map::new();
    let data = event.get("EventData").or_else(|| {
        event
            .get("UserData")
            .and_then(|u| u.as_object()?.values().next())
    });
    if let Some(Value::Object(fields)) = data {
        for (k, v) in fields {
            if k == "#attributes" {
                continue;
            }
            // Defender and others name data `Threat Name`; Sigma writes `ThreatName`.
            if k.contains(' ') {
                flat.insert(k.replace(' ', ""), v.clone());
            }
            flat.insert(k.clone(), v.clone());
        }
    }
    if let Value::Object(fields) = system {
        for (k, v) in fields {
            match v {
                Value::Object(inner) => {
                    if let Some(Value::Object(attrs)) = inner.get("#attributes") {
                        for (ak, av) in attrs {
                            flat.insert(format!("{k}_{ak}"), av.clone());
                        }
                    }
                    if let Some(text) = inner.get("#text") {
                        flat.insert(k.clone(), text.clone());
                    }
                }
                other => {
                    flat.insert(k.clone(), other.clone());
                }
            }
        }
    }
    flat.insert("Event".into(), event.clone());
    Some(Value::Object(flat))
}
