//! Detections folded into findings: one finding per rule, account and
//! source address, with its time span, count and evidence lines.

use ahash::AHashMap;
use serde::{Deserialize, Serialize};

use vigie_event::{EVIDENCE_KEPT, Entity, Event, Evidence, Finding, Timestamp};

use crate::detector::RuleInfo;

/// Findings being built; one per worker, merged at the end.
#[derive(Default, Serialize, Deserialize)]
pub struct FindingSet {
    open: AHashMap<(usize, Option<String>, Option<String>), Building>,
}

#[derive(Serialize, Deserialize)]
struct Building {
    first: Timestamp,
    last: Timestamp,
    count: u64,
    session: Option<Option<String>>,
    evidence: Vec<Evidence>,
    #[serde(with = "vigie_event::wire::option_static_str")]
    action: Option<vigie_event::wire::StaticStr>,
}

impl FindingSet {
    /// Records that rule `rule` matched `event`.
    pub fn add(&mut self, rule: usize, event: &Event<'_>) {
        let user = event.user_name.as_deref().map(str::to_string);
        let source = event
            .source_ip
            .map(|ip| ip.to_string())
            .or_else(|| event.source_address.as_deref().map(str::to_string));
        let session = event.session_id.as_deref().map(str::to_string);
        let building = self
            .open
            .entry((rule, user, source))
            .or_insert_with(|| Building {
                first: event.timestamp,
                last: event.timestamp,
                count: 0,
                session: None,
                evidence: Vec::new(),
                action: event.action,
            });
        building.first = building.first.min(event.timestamp);
        building.last = building.last.max(event.timestamp);
        building.count += 1;
        building.session = match building.session.take() {
            None => Some(session),
            Some(s) if s == session => Some(s),
            Some(_) => Some(None),
        };
        if building.evidence.len() < EVIDENCE_KEPT {
            building.evidence.push(Evidence {
                path: event.path.to_string(),
                line: event.line,
                part: None,
            });
        }
    }

    /// Adds another worker's findings to these.
    pub fn merge(&mut self, other: FindingSet) {
        for (key, b) in other.open {
            match self.open.remove(&key) {
                None => {
                    self.open.insert(key, b);
                }
                Some(mut a) => {
                    a.first = a.first.min(b.first);
                    a.last = a.last.max(b.last);
                    a.count += b.count;
                    a.session = if a.session == b.session {
                        a.session
                    } else {
                        Some(None)
                    };
                    a.evidence.extend(b.evidence);
                    a.evidence.sort();
                    a.evidence.truncate(EVIDENCE_KEPT);
                    self.open.insert(key, a);
                }
            }
        }
    }

    /// The findings, ordered by first time, then rule.
    pub fn into_findings(self, rules: &[RuleInfo]) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self
            .open
            .into_iter()
            .filter_map(|((rule, user, source_ip), b)| {
                let info = rules.get(rule)?;
                let entity = Entity {
                    user,
                    source_ip,
                    session: b.session.flatten(),
                };
                let reason = reason(info, &entity, b.count, b.action);
                let mut evidence = b.evidence;
                evidence.sort();
                Some(Finding {
                    rule_id: info.id.clone(),
                    title: info.title.clone(),
                    level: info.level.clone(),
                    attack: info.attack.clone(),
                    entity,
                    first_seen: b.first,
                    last_seen: b.last,
                    count: b.count,
                    evidence,
                    reason,
                })
            })
            .collect();
        findings.sort_by(|a, b| {
            (a.first_seen, &a.rule_id, &a.entity).cmp(&(b.first_seen, &b.rule_id, &b.entity))
        });
        findings
    }
}

fn reason(info: &RuleInfo, entity: &Entity, count: u64, action: Option<&str>) -> String {
    let what = action.unwrap_or("matching event");
    let times = if count == 1 {
        "1 event".to_string()
    } else {
        format!("{count} events")
    };
    let who = entity
        .user
        .as_deref()
        .map(|u| format!(" for {u}"))
        .unwrap_or_default();
    let from = entity
        .source_ip
        .as_deref()
        .map(|s| format!(" from {s}"))
        .unwrap_or_default();
    format!("{}: {times} ({what}){who}{from}", info.title)
}
