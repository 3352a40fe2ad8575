//! Stateless detection over vigie events: one compiled rsigma engine per
//! dataset, holding only the rules whose logsource covers that dataset, so an
//! event meets only the rules that can apply to it.

use std::collections::HashMap;
use std::path::PathBuf;

use rsigma_eval::Engine;
use serde::Serialize;
use vigie_event::{Dataset, Event};

use crate::event_view::EventView;
use crate::mapping::Mapping;
use crate::sigma::RuleSet;

/// What a finding needs to know of the rule that made it.
#[derive(Clone, Debug, Serialize)]
pub struct RuleInfo {
    /// The rule's `id` (its title when it has none).
    pub id: String,
    /// The title.
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical`.
    pub level: String,
    /// ATT&CK technique ids from the rule's `attack.tNNNN` tags (`T1110.003`).
    pub attack: Vec<String>,
    /// The rule's description.
    pub description: Option<String>,
    /// The file the rule came from.
    pub path: PathBuf,
}

/// Compiled detection rules, routed by dataset.
pub struct Detector {
    mapping: Mapping,
    engines: HashMap<Dataset, Engine>,
    rules: Vec<RuleInfo>,
    by_id: HashMap<String, usize>,
    /// Rules whose logsource covers no vigie dataset (not run).
    pub not_applicable: Vec<String>,
}

impl Detector {
    /// Compiles every rule of `rules` into the engines of the datasets it covers.
    pub fn new(rules: &RuleSet, mapping: Mapping) -> Detector {
        let mut engines: HashMap<Dataset, Engine> = HashMap::new();
        let mut infos = Vec::new();
        let mut by_id = HashMap::new();
        let mut not_applicable = Vec::new();
        for (rule, path) in rules.collection.rules.iter().zip(&rules.rule_paths) {
            let datasets = mapping.datasets(&rule.logsource);
            if datasets.is_empty() {
                not_applicable.push(rule.title.clone());
                continue;
            }
            for dataset in datasets {
                // Each rule compiled alone when the set was loaded.
                let _ = engines.entry(*dataset).or_default().add_rule(rule);
            }
            let info = rule_info(
                rule.id.as_deref(),
                &rule.title,
                rule.level,
                &rule.tags,
                rule.description.as_deref(),
                path,
            );
            by_id.insert(info.id.clone(), infos.len());
            infos.push(info);
        }
        Detector {
            mapping,
            engines,
            rules: infos,
            by_id,
            not_applicable,
        }
    }

    /// Indices (into [`Detector::rules`]) of the rules that match `event`.
    pub fn detect(&self, event: &Event<'_>) -> Vec<usize> {
        let Some(engine) = self.engines.get(&event.dataset) else {
            return Vec::new();
        };
        let view = EventView::new(event, &self.mapping);
        engine
            .evaluate(&view)
            .into_iter()
            .filter_map(|m| {
                let id = m
                    .header
                    .rule_id
                    .clone()
                    .unwrap_or_else(|| m.header.rule_title.clone());
                self.by_id.get(&id).copied()
            })
            .collect()
    }

    /// The index of the rule with this id (or title, for a rule without id).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The rules, in the order [`Detector::detect`] indexes them.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }
}

/// What findings need of a detection or correlation rule.
pub(crate) fn rule_info(
    id: Option<&str>,
    title: &str,
    level: Option<rsigma_parser::Level>,
    tags: &[String],
    description: Option<&str>,
    path: &std::path::Path,
) -> RuleInfo {
    RuleInfo {
        id: id.unwrap_or(title).to_string(),
        title: title.to_string(),
        level: level.map_or_else(
            || "medium".into(),
            |l| format!("{l:?}").to_ascii_lowercase(),
        ),
        attack: attack_ids(tags),
        description: description.map(str::to_string),
        path: path.to_path_buf(),
    }
}

/// `attack.t1110.003` → `T1110.003`; tactic tags (`attack.credential-access`) are left out.
fn attack_ids(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| t.strip_prefix("attack.t"))
        .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|t| format!("T{}", t.to_ascii_uppercase()))
        .collect()
}
