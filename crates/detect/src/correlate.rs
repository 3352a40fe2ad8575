//! Correlation (Sigma v2 `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`, value aggregations): the second stage of a scan.
//!
//! Stage one runs in parallel over files and keeps, of the events that
//! matched a rule some correlation refers to, a compact copy ([`Kept`]: time,
//! which of those rules it matched, the values of the fields correlations
//! group by, file and line; about a hundred bytes). Stage two orders those by
//! time across all sources and feeds them, with the rule matches stage one
//! found, to rsigma's correlation engine; each group that reaches its
//! condition becomes one finding whose evidence is the lines of the events in
//! its window.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use rsigma_eval::event::{Event as SigmaEvent, EventValue};
use rsigma_eval::{
    CorrelationConfig, CorrelationEngine, CorrelationEventMode, Engine, EvaluationResult,
};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use vigie_event::{EVIDENCE_KEPT, Entity, Event, Evidence, Field, Finding, Timestamp, Value};

use crate::detector::{Detector, RuleInfo, rule_info};
use crate::event_view::EventView;
use crate::mapping::Mapping;
use crate::sigma::RuleSet;

/// Rules of one kept event that correlations refer to (more are not kept:
/// no correlation of the pack reads more than two rules of one event).
const KEPT_RULES: usize = 4;

/// Separates the values of a kept event (a control character no parser keeps).
const SEPARATOR: char = '\u{1f}';

/// A compact, owned copy of an event that a correlation needs.
pub struct Kept {
    timestamp: Timestamp,
    rules: [u16; KEPT_RULES],
    rule_count: u8,
    /// The values of [`Correlator::fields`], in order, separated by [`SEPARATOR`].
    values: Box<str>,
    path: Arc<str>,
    line: u64,
}

impl Kept {
    fn rules(&self) -> &[u16] {
        &self.rules[..usize::from(self.rule_count)]
    }
}

/// A kept event as rsigma sees it; `id` is its position in the time-ordered list.
struct KeptView<'k> {
    kept: &'k Kept,
    index: usize,
    fields: &'k [Field],
    mapping: &'k Mapping,
}

impl KeptView<'_> {
    fn values(&self) -> impl Iterator<Item = (Field, &str)> {
        self.fields
            .iter()
            .copied()
            .zip(self.kept.values.split(SEPARATOR))
            .filter(|(_, v)| !v.is_empty())
    }
}

impl SigmaEvent for KeptView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if path == "id" {
            return Some(EventValue::Str(Cow::Owned(self.index.to_string())));
        }
        let field = self.mapping.field(path)?;
        let (_, value) = self.values().find(|(f, _)| *f == field)?;
        Some(EventValue::Str(Cow::Borrowed(value)))
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.values().any(|(_, v)| pred(v))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.values().map(|(_, v)| Cow::Borrowed(v)).collect()
    }

    fn to_json(&self) -> Json {
        let mut map = Map::new();
        map.insert("id".into(), Json::String(self.index.to_string()));
        for (f, v) in self.values() {
            map.insert(f.name().into(), Json::String(v.to_string()));
        }
        Json::Object(map)
    }
}

/// The correlation rules of a rule set, ready for stage two.
pub struct Correlator {
    mapping: Mapping,
    correlations: Vec<rsigma_parser::CorrelationRule>,
    /// For each detector rule some correlation refers to, an engine holding it
    /// alone, and the match it gives (made once, from the first event it matched).
    referenced: HashMap<usize, (Engine, OnceLock<Option<EvaluationResult>>)>,
    /// Referenced rules whose own matches are not findings (Sigma's `generate: false`).
    silent: HashSet<usize>,
    /// The fields a kept event carries: what the correlations group by and count.
    fields: Vec<Field>,
    infos: HashMap<String, RuleInfo>,
}

impl Correlator {
    /// Prepares the correlations of `rules`, whose base rules `detector` runs.
    pub fn new(rules: &RuleSet, detector: &Detector, mapping: Mapping) -> Correlator {
        let names: HashSet<&str> = rules
            .collection
            .correlations
            .iter()
            .flat_map(|c| c.rules.iter().map(String::as_str))
            .collect();
        let generating: HashSet<&str> = rules
            .collection
            .correlations
            .iter()
            .filter(|c| c.generate)
            .flat_map(|c| c.rules.iter().map(String::as_str))
            .collect();
        let mut referenced = HashMap::new();
        let mut silent = HashSet::new();
        let mut names_read: HashSet<String> = HashSet::new();
        for c in &rules.collection.correlations {
            names_read.extend(c.group_by.iter().cloned());
            if let rsigma_parser::CorrelationCondition::Threshold {
                field: Some(fields),
                ..
            } = &c.condition
            {
                names_read.extend(fields.iter().cloned());
            }
            for alias in &c.aliases {
                names_read.extend(alias.mapping.values().cloned());
            }
        }
        for rule in &rules.collection.rules {
            let keys = [rule.id.as_deref(), rule.name.as_deref()];
            if !keys.iter().flatten().any(|k| names.contains(k)) {
                continue;
            }
            let id = rule.id.clone().unwrap_or_else(|| rule.title.clone());
            let Some(index) = detector.index_of(&id) else {
                continue;
            };
            let mut engine = Engine::new();
            // Each rule compiled alone when the set was loaded.
            let _ = engine.add_rule(rule);
            referenced.insert(index, (engine, OnceLock::new()));
            if !keys.iter().flatten().any(|k| generating.contains(k)) {
                silent.insert(index);
            }
        }
        let mut fields: Vec<Field> = names_read.iter().filter_map(|n| mapping.field(n)).collect();
        fields.sort();
        fields.dedup();
        let infos = rules
            .collection
            .correlations
            .iter()
            .map(|c| {
                let info = rule_info(
                    c.id.as_deref(),
                    &c.title,
                    c.level,
                    &c.tags,
                    c.description.as_deref(),
                    std::path::Path::new(""),
                );
                (info.id.clone(), info)
            })
            .collect();
        Correlator {
            mapping,
            correlations: rules.collection.correlations.clone(),
            referenced,
            silent,
            fields,
            infos,
        }
    }

    /// Whether an event that matched these detector rules must be kept for stage two.
    pub fn wants(&self, matched: &[usize]) -> bool {
        matched.iter().any(|r| self.referenced.contains_key(r))
    }

    /// Whether a rule's own matches stay out of the findings: it only feeds
    /// correlations that do not ask for them (Sigma's `generate: false`, the default).
    pub fn is_silent(&self, rule: usize) -> bool {
        self.silent.contains(&rule)
    }

    /// The compact copy of `event`, which matched `rules`, that stage two reads.
    pub fn keep(&self, event: &Event<'_>, rules: Vec<usize>, path: &Arc<str>) -> Kept {
        let mut kept_rules = [0u16; KEPT_RULES];
        let mut rule_count = 0;
        for rule in rules {
            let Some((engine, template)) = self.referenced.get(&rule) else {
                continue;
            };
            if usize::from(rule_count) == KEPT_RULES {
                break;
            }
            template.get_or_init(|| {
                engine
                    .evaluate(&EventView::new(event, &self.mapping))
                    .into_iter()
                    .next()
            });
            kept_rules[usize::from(rule_count)] = u16::try_from(rule).unwrap_or(u16::MAX);
            rule_count += 1;
        }
        let mut values = String::new();
        for (i, &field) in self.fields.iter().enumerate() {
            if i > 0 {
                values.push(SEPARATOR);
            }
            match event.value(field) {
                None => {}
                Some(Value::Str(s)) => values.extend(s.chars().filter(|c| *c != SEPARATOR)),
                Some(Value::UInt(n)) => values.push_str(&n.to_string()),
                Some(Value::Ip(ip)) => values.push_str(&ip.to_string()),
                Some(Value::Time(t)) => values.push_str(&t.to_string()),
                Some(Value::Keywords(k)) => values.push_str(&k.join(",")),
            }
        }
        Kept {
            timestamp: event.timestamp,
            rules: kept_rules,
            rule_count,
            values: values.into_boxed_str(),
            path: Arc::clone(path),
            line: event.line,
        }
    }

    /// Stage two: the correlation findings of the kept events, in any order.
    pub fn run(&self, mut kept: Vec<Kept>, base_rules: &RuleSet) -> Vec<Finding> {
        if self.correlations.is_empty() || kept.is_empty() {
            return Vec::new();
        }
        kept.sort_by_key(|k| k.timestamp);
        let mut engine = CorrelationEngine::new(CorrelationConfig::default());
        engine.set_correlation_event_mode(CorrelationEventMode::Refs);
        engine.set_max_correlation_events(EVIDENCE_KEPT);
        for rule in &base_rules.collection.rules {
            let _ = engine.add_rule(rule);
        }
        for correlation in &self.correlations {
            let _ = engine.add_correlation(correlation);
        }
        let mut open: HashMap<(String, Vec<(String, String)>), Finding> = HashMap::new();
        for (index, k) in kept.iter().enumerate() {
            let view = KeptView {
                kept: k,
                index,
                fields: &self.fields,
                mapping: &self.mapping,
            };
            // The matches stage one found, as rsigma reports them.
            let detections = k
                .rules()
                .iter()
                .filter_map(|r| self.referenced.get(&usize::from(*r))?.1.get()?.clone())
                .collect();
            let result =
                engine.process_with_detections(&view, detections, k.timestamp.unix_seconds());
            for r in result.into_iter().filter(|r| r.is_correlation()) {
                let id = r
                    .header
                    .rule_id
                    .clone()
                    .unwrap_or_else(|| r.header.rule_title.clone());
                let Some(info) = self.infos.get(&id) else {
                    continue;
                };
                let Some(body) = r.as_correlation() else {
                    continue;
                };
                let refs: Vec<usize> = body
                    .event_refs
                    .iter()
                    .flatten()
                    .filter_map(|e| e.id.as_deref()?.parse().ok())
                    .collect();
                let finding = open
                    .entry((id.clone(), body.group_key.clone()))
                    .or_insert_with(|| Finding {
                        rule_id: info.id.clone(),
                        title: info.title.clone(),
                        level: info.level.clone(),
                        attack: info.attack.clone(),
                        entity: entity(&body.group_key),
                        first_seen: k.timestamp,
                        last_seen: k.timestamp,
                        count: 0,
                        evidence: Vec::new(),
                        reason: String::new(),
                    });
                for &i in &refs {
                    let Some(e) = kept.get(i) else { continue };
                    finding.first_seen = finding.first_seen.min(e.timestamp);
                    finding.last_seen = finding.last_seen.max(e.timestamp);
                    let evidence = Evidence {
                        path: e.path.to_string(),
                        line: e.line,
                    };
                    if finding.evidence.len() < EVIDENCE_KEPT
                        && !finding.evidence.contains(&evidence)
                    {
                        finding.evidence.push(evidence);
                    }
                }
                finding.count = finding
                    .count
                    .max(body.aggregated_value as u64)
                    .max(finding.evidence.len() as u64);
                let group: Vec<String> = body
                    .group_key
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                finding.reason = format!(
                    "{}: {} of {} reached {} within {} s ({})",
                    info.title,
                    format!("{:?}", body.correlation_type).to_ascii_lowercase(),
                    if group.is_empty() {
                        "all events".to_string()
                    } else {
                        group.join(", ")
                    },
                    body.aggregated_value,
                    body.timespan_secs,
                    info.description.as_deref().unwrap_or("correlation")
                );
            }
        }
        let mut findings: Vec<Finding> = open.into_values().collect();
        for f in &mut findings {
            f.evidence.sort();
        }
        findings
    }
}

fn entity(group: &[(String, String)]) -> Entity {
    let get = |names: &[&str]| {
        group
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    Entity {
        user: get(&["user.name", "user", "username"]),
        source_ip: get(&["source.ip", "c-ip", "src_ip"]),
        session: get(&["session.id"]),
    }
}
