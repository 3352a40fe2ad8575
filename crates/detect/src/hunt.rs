//! Sigma over arbitrary JSON documents: what `vigie hunt` runs.
//!
//! A document that is a vigie event (`event.dataset` names one of vigie's
//! datasets, as `vigie events` writes it) is routed as `vigie scan` routes
//! the event: a rule runs on it only when the [`Mapping`] maps the rule's
//! logsource to that dataset (no Roundcube rule on a Dovecot event). Other
//! documents (Windows event logs, foreign JSON) are seen by every rule.
//! Correlation rules run over the detections, in document order, their
//! windows timed by the documents' `@timestamp`.

use std::collections::HashMap;

use rsigma_eval::event::JsonEvent;
use rsigma_eval::{CorrelationConfig, CorrelationEngine};
use serde::Serialize;
use serde_json::{Map, Value};
use vigie_event::Dataset;

use crate::mapping::Mapping;
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
    /// Whether a correlation rule fired (its window closed on this document).
    pub correlation: bool,
}

/// A compiled rule set that evaluates JSON documents, one after the other.
pub struct Hunter {
    engine: CorrelationEngine,
    /// The datasets each detection rule (by id, else title) runs on.
    routes: HashMap<String, Vec<Dataset>>,
}

fn key(id: Option<&str>, title: &str) -> String {
    id.unwrap_or(title).to_string()
}

/// The vigie dataset a document names in `event.dataset` (nested or dotted).
fn dataset(document: &Value) -> Option<Dataset> {
    let name = document
        .get("event")
        .and_then(|e| e.get("dataset"))
        .or_else(|| document.get("event.dataset"))?
        .as_str()?;
    Dataset::from_name(name)
}

impl Hunter {
    /// Compiles every rule and correlation of the set (each rule compiled
    /// once already when loaded, so this cannot fail for a rule of the set);
    /// `mapping` routes rules to vigie datasets by logsource.
    pub fn new(rules: &RuleSet, mapping: &Mapping) -> Hunter {
        let mut engine = CorrelationEngine::new(CorrelationConfig::default());
        let mut routes = HashMap::new();
        for rule in &rules.collection.rules {
            // Every rule of a RuleSet compiled alone when it was loaded.
            let _ = engine.add_rule(rule);
            routes.insert(
                key(rule.id.as_deref(), &rule.title),
                mapping.datasets(&rule.logsource).to_vec(),
            );
        }
        for correlation in &rules.collection.correlations {
            // A correlation naming no loaded rule is reported when loaded.
            let _ = engine.add_correlation(correlation);
        }
        Hunter { engine, routes }
    }

    /// The rules that match `document`, and the correlations it completes.
    /// Windows event-log JSON (`{"Event": {"System": …, "EventData": …}}`) is
    /// first flattened to the field names Sigma's Windows rules use.
    pub fn matches(&mut self, document: &Value) -> Vec<RuleMatch> {
        let flattened = windows_event(document);
        let event = JsonEvent::borrow(flattened.as_ref().unwrap_or(document));
        let mut detections = self.engine.evaluate(&event);
        if let Some(dataset) = dataset(document) {
            detections.retain(|d| {
                let key = key(d.header.rule_id.as_deref(), &d.header.rule_title);
                self.routes
                    .get(&key)
                    .is_some_and(|datasets| datasets.contains(&dataset))
            });
        }
        self.engine
            .correlate_detections(&event, detections)
            .into_iter()
            .map(|m| RuleMatch {
                correlation: m.is_correlation(),
                rule_id: m.header.rule_id.clone(),
                title: m.header.rule_title.clone(),
                level: m
                    .header
                    .level
                    .map(|l| format!("{l:?}").to_ascii_lowercase()),
            })
            .collect()
    }

    /// Number of detection rules compiled.
    pub fn rule_count(&self) -> usize {
        self.engine.detection_rule_count()
    }

    /// Number of correlation rules compiled.
    pub fn correlation_count(&self) -> usize {
        self.engine.correlation_rule_count()
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
