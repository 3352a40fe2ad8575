//! Correlation (Sigma v2 `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`, value aggregations): the second stage of a scan.
//!
//! Stage one runs in parallel over files and keeps, of the events that
//! matched a rule some correlation refers to, a compact copy ([`Kept`]: time,
//! the fields correlations and their rules read, file and line). Stage two
//! orders those by time across all sources and feeds them to rsigma's
//! correlation engine; each group that reaches its condition becomes one
//! finding whose evidence is the lines of the events in its window.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rsigma_eval::event::{Event as SigmaEvent, EventValue};
use rsigma_eval::{CorrelationConfig, CorrelationEngine, CorrelationEventMode, Engine};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use vigie_event::{EVIDENCE_KEPT, Entity, Event, Evidence, Field, Finding, Timestamp, Value};

use crate::detector::{Detector, RuleInfo, rule_info};
use crate::mapping::Mapping;
use crate::sigma::RuleSet;

/// The fields a kept event carries when a rule that correlations build on
/// uses keyword search (which looks at every field): the ones rules and
/// groupings of the pack use. Otherwise a kept event carries only the fields
/// that the correlations group by and their rules test.
const KEYWORD_FIELDS: &[Field] = &[
    Field::EventDataset,
    Field::EventAction,
    Field::EventOutcome,
    Field::UserName,
    Field::SourceIp,
    Field::SessionId,
    Field::ProcessName,
    Field::UrlOriginal,
    Field::Message,
    Field::EmailTo,
    Field::EmailFrom,
];

/// A compact, owned copy of an event that a correlation may need: its time,
/// the rules it matched, the few fields correlations read (in one string),
/// and its file and line.
pub struct Kept {
    timestamp: Timestamp,
    rules: Box<[usize]>,
    text: Box<str>,
    spans: Box<[(Field, u32, u32)]>,
    path: Arc<str>,
    line: u64,
}

impl Kept {
    fn get(&self, field: Field) -> Option<&str> {
        let &(_, start, end) = self.spans.iter().find(|(f, _, _)| *f == field)?;
        self.text.get(start as usize..end as usize)
    }

    fn values(&self) -> impl Iterator<Item = (Field, &str)> {
        self.spans
            .iter()
            .filter_map(|&(f, s, e)| Some((f, self.text.get(s as usize..e as usize)?)))
    }
}

/// A kept event as rsigma sees it; `id` is its position in the time-ordered list.
struct KeptView<'k> {
    kept: &'k Kept,
    index: usize,
    mapping: &'k Mapping,
}

impl SigmaEvent for KeptView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if path == "id" {
            return Some(EventValue::Str(Cow::Owned(self.index.to_string())));
        }
        let field = self.mapping.field(path)?;
        let text = self.kept.get(field)?;
        Some(match field {
            Field::HttpStatus => text
                .parse()
                .map_or(EventValue::Str(Cow::Borrowed(text)), EventValue::Int),
            _ => EventValue::Str(Cow::Borrowed(text)),
        })
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.kept.values().any(|(_, v)| pred(v))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.kept.values().map(|(_, v)| Cow::Borrowed(v)).collect()
    }

    fn to_json(&self) -> Json {
        let mut map = Map::new();
        map.insert("id".into(), Json::String(self.index.to_string()));
        for (f, v) in self.kept.values() {
            map.insert(f.name().into(), Json::String(v.to_string()));
        }
        Json::Object(map)
    }
}

/// The correlation rules of a rule set, ready for stage two.
pub struct Correlator {
    mapping: Mapping,
    correlations: Vec<rsigma_parser::CorrelationRule>,
    /// For each detector rule some correlation refers to, an engine holding it alone.
    referenced: HashMap<usize, Engine>,
    /// Referenced rules whose own matches are not findings (Sigma's `generate: false`).
    silent: HashSet<usize>,
    /// The fields a kept event carries.
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
        let mut names_read: HashSet<String> = rules
            .collection
            .correlations
            .iter()
            .flat_map(|c| c.group_by.iter().cloned())
            .collect();
        let mut keywords = false;
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
            referenced.insert(index, engine);
            if !keys.iter().flatten().any(|k| generating.contains(k)) {
                silent.insert(index);
            }
            for detection in rule.detection.named.values() {
                fields_read(detection, &mut names_read, &mut keywords);
            }
        }
        let fields = if keywords {
            KEYWORD_FIELDS.to_vec()
        } else {
            let mut fields: Vec<Field> =
                names_read.iter().filter_map(|n| mapping.field(n)).collect();
            fields.sort();
            fields.dedup();
            fields
        };
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
        let mut text = String::new();
        let mut spans = Vec::with_capacity(self.fields.len());
        for &field in &self.fields {
            let start = text.len();
            match event.value(field) {
                None => continue,
                Some(Value::Str(s)) => text.push_str(s),
                Some(Value::UInt(n)) => text.push_str(&n.to_string()),
                Some(Value::Ip(ip)) => text.push_str(&ip.to_string()),
                Some(Value::Time(t)) => text.push_str(&t.to_string()),
                Some(Value::Keywords(k)) => text.push_str(&k.join(",")),
            }
            // Offsets fit: a kept event is a handful of short fields of one log line.
            spans.push((field, start as u32, text.len() as u32));
        }
        Kept {
            timestamp: event.timestamp,
            rules: rules.into_boxed_slice(),
            text: text.into_boxed_str(),
            spans: spans.into_boxed_slice(),
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
                mapping: &self.mapping,
            };
            let detections = k
                .rules
                .iter()
                .filter_map(|r| self.referenced.get(r))
                .flat_map(|e| e.evaluate(&view))
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

/// The field names a detection reads; `keywords` when it searches every field.
fn fields_read(
    detection: &rsigma_parser::Detection,
    names: &mut HashSet<String>,
    keywords: &mut bool,
) {
    match detection {
        rsigma_parser::Detection::AllOf(items) => {
            for item in items {
                match &item.field.name {
                    Some(name) => {
                        names.insert(name.clone());
                    }
                    None => *keywords = true,
                }
            }
        }
        rsigma_parser::Detection::AnyOf(detections) | rsigma_parser::Detection::And(detections) => {
            for d in detections {
                fields_read(d, names, keywords);
            }
        }
        rsigma_parser::Detection::ArrayMatch { field, body, .. } => {
            names.insert(field.clone());
            fields_read(body, names, keywords);
        }
        rsigma_parser::Detection::Conditional { named, .. } => {
            for d in named.values() {
                fields_read(d, names, keywords);
            }
        }
        rsigma_parser::Detection::Keywords(_) => *keywords = true,
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
