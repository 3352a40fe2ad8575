//! How Sigma rules see vigie events: field names and logsource routing, as
//! data (`rules/mappings/vigie.yml`, built in; users may pass their own).

use std::collections::HashMap;

use ahash::AHashMap;
use std::path::Path;

use rsigma_parser::LogSource;
use serde::Deserialize;
use vigie_event::{Dataset, Field};

/// The mapping shipped with vigie.
pub const BUILTIN: &str = include_str!("../../../rules/mappings/vigie.yml");

/// A mapping file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct MappingError {
    /// The mapping file.
    pub path: String,
    /// What is wrong, with the line when the YAML parser gives one.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    fields: HashMap<String, String>,
    logsources: Vec<LogsourceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsourceEntry {
    logsource: HashMap<String, String>,
    datasets: Vec<String>,
}

/// Sigma field names to event fields, and logsources to datasets.
#[derive(Clone, Debug)]
pub struct Mapping {
    fields: AHashMap<String, Field>,
    logsources: Vec<(HashMap<String, String>, Vec<Dataset>)>,
}

impl Mapping {
    /// The mapping shipped with vigie.
    pub fn builtin() -> Mapping {
        // The built-in file is checked by a unit test; it cannot fail here.
        Mapping::from_yaml("rules/mappings/vigie.yml", BUILTIN).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads a mapping; every field and dataset it names must exist.
    pub fn from_yaml(path: &str, text: &str) -> Result<Mapping, MappingError> {
        let fail = |message: String| MappingError {
            path: path.to_string(),
            message,
        };
        let file: MappingFile = yaml_serde::from_str(text).map_err(|e| fail(e.to_string()))?;
        // ECS names first, so that a rule's field costs one lookup; a mapped
        // name that happens to equal one overrides it.
        let mut fields: AHashMap<String, Field> = Field::ALL
            .iter()
            .map(|f| (f.name().to_string(), *f))
            .collect();
        for (sigma, ecs) in file.fields {
            let field = Field::from_name(&ecs).ok_or_else(|| {
                fail(format!(
                    "field {sigma:?} maps to {ecs:?}, which vigie events do not have"
                ))
            })?;
            fields.insert(sigma, field);
        }
        let mut logsources = Vec::new();
        for entry in file.logsources {
            // `*`: every dataset, for logsources that a field selects (the
            // behaviour rules on `event.category: authentication`), so a new
            // parser gets them without an edit here.
            if entry.datasets.iter().any(|d| d == "*") {
                logsources.push((entry.logsource, Dataset::ALL.to_vec()));
                continue;
            }
            let datasets = entry
                .datasets
                .iter()
                .map(|d| {
                    Dataset::from_name(d).ok_or_else(|| fail(format!("unknown dataset {d:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            logsources.push((entry.logsource, datasets));
        }
        Ok(Mapping { fields, logsources })
    }

    /// Reads a mapping file.
    pub fn from_file(path: &Path) -> Result<Mapping, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|e| MappingError {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Mapping::from_yaml(&path.display().to_string(), &text)
    }

    /// The event field a rule's field name means: a mapped Sigma name, or an ECS name.
    pub fn field(&self, name: &str) -> Option<Field> {
        self.fields.get(name).copied()
    }

    /// The datasets a rule's logsource covers: those of the first entry whose
    /// keys all appear in the logsource with the same values. Empty when no
    /// entry does (a Windows rule, say): the rule is not run on mail logs.
    pub fn datasets(&self, logsource: &LogSource) -> &[Dataset] {
        let value = |key: &str| match key {
            "category" => logsource.category.as_deref(),
            "product" => logsource.product.as_deref(),
            "service" => logsource.service.as_deref(),
            other => logsource.custom.get(other).map(String::as_str),
        };
        self.logsources
            .iter()
            .find(|(keys, _)| keys.iter().all(|(k, v)| value(k) == Some(v.as_str())))
            .map_or(&[], |(_, datasets)| datasets.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logsource(
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> LogSource {
        LogSource {
            product: product.map(Into::into),
            category: category.map(Into::into),
            service: service.map(Into::into),
            ..LogSource::default()
        }
    }

    #[test]
    fn the_builtin_mapping_loads_and_routes() {
        let m = Mapping::builtin();
        assert_eq!(m.field("cs-uri-query"), Some(Field::UrlQuery));
        assert_eq!(m.field("source.ip"), Some(Field::SourceIp));
        assert_eq!(
            m.datasets(&logsource(None, Some("webserver"), None)),
            [Dataset::NginxAccess, Dataset::ApacheAccess]
        );
        assert_eq!(
            m.datasets(&logsource(Some("roundcube"), None, Some("access"))),
            [Dataset::NginxAccess, Dataset::ApacheAccess]
        );
        assert!(
            m.datasets(&logsource(Some("roundcube"), None, None))
                .contains(&Dataset::RoundcubeUserlogins)
        );
        assert!(
            m.datasets(&logsource(Some("windows"), Some("process_creation"), None))
                .is_empty()
        );
    }

    #[test]
    fn a_mapping_to_an_unknown_field_is_an_error() {
        let err = Mapping::from_yaml("m.yml", "fields: {c-ip: no.such.field}\nlogsources: []\n")
            .unwrap_err();
        assert!(err.to_string().contains("no.such.field"));
    }
}
