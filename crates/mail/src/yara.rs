//! YARA-X over mail content: one compiled rule set shared by all threads, a
//! scanner per thread. The shipped rules (`rules/yara/`) are compiled in;
//! user rules come from `--yara DIR`. A rule file that does not compile is
//! reported with its file and line, and the others still load.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::indicators::{Indicator, Level};

/// The shipped rules: (name, source).
pub const BUILTIN: &[(&str, &str)] = &[(
    "rules/yara/webmail_exploits.yar",
    include_str!("../../../rules/yara/webmail_exploits.yar"),
)];

/// How long one scan of one part may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A YARA rule file that could not be compiled.
#[derive(Clone, Debug)]
pub struct RuleError {
    /// The file.
    pub path: String,
    /// yara-x's message, which names the line and column.
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A compiled rule set.
pub struct YaraRules {
    rules: yara_x::Rules,
    /// How many rules it holds.
    pub count: usize,
    /// Files that did not compile.
    pub errors: Vec<RuleError>,
}

impl YaraRules {
    /// Compiles the shipped rules (unless `builtin` is false) and every
    /// `.yar`/`.yara` file under `dirs`.
    pub fn load(builtin: bool, dirs: &[PathBuf]) -> YaraRules {
        let mut sources: Vec<(String, Result<String, String>)> = Vec::new();
        if builtin {
            sources.extend(
                BUILTIN
                    .iter()
                    .map(|(n, s)| (n.to_string(), Ok(s.to_string()))),
            );
        }
        for dir in dirs {
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                let path = match entry {
                    Ok(e) if e.file_type().is_file() => e.into_path(),
                    Ok(_) => continue,
                    Err(e) => {
                        sources.push((dir.display().to_string(), Err(e.to_string())));
                        continue;
                    }
                };
                if is_rule_file(&path) {
                    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string());
                    sources.push((path.display().to_string(), text));
                }
            }
        }
        let mut compiler = yara_x::Compiler::new();
        let mut errors = Vec::new();
        for (i, (path, text)) in sources.iter().enumerate() {
            let text = match text {
                Ok(t) => t,
                Err(e) => {
                    errors.push(RuleError {
                        path: path.clone(),
                        message: e.clone(),
                    });
                    continue;
                }
            };
            // One namespace per file, so that two files may reuse a rule name.
            compiler.new_namespace(&format!("file{i}"));
            let source = yara_x::SourceCode::from(text.as_str()).with_origin(path.as_str());
            if let Err(e) = compiler.add_source(source) {
                errors.push(RuleError {
                    path: path.clone(),
                    message: e.to_string(),
                });
            }
        }
        let rules = compiler.build();
        let count = rules.iter().count();
        YaraRules {
            rules,
            count,
            errors,
        }
    }

    /// A scanner for one thread.
    pub fn scanner(&self) -> YaraScanner<'_> {
        let mut scanner = yara_x::Scanner::new(&self.rules);
        scanner.set_timeout(TIMEOUT);
        YaraScanner { scanner }
    }
}

fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara"))
}

/// A scanner bound to one thread.
pub struct YaraScanner<'r> {
    scanner: yara_x::Scanner<'r>,
}

impl YaraScanner<'_> {
    /// The indicators of the rules that match `data` (MIME part `part`).
    /// A scan that fails (timeout) is an informational indicator saying so.
    pub fn scan(&mut self, data: &[u8], part: &str) -> Vec<Indicator> {
        let results = match self.scanner.scan(data) {
            Ok(r) => r,
            Err(e) => {
                return vec![Indicator {
                    code: "YARA".to_string(),
                    name: "yara_scan_failed".to_string(),
                    level: Level::Informational,
                    cve: None,
                    attack: Vec::new(),
                    part: part.to_string(),
                    line: 0,
                    snippet: e.to_string(),
                }];
            }
        };
        results
            .matching_rules()
            .map(|rule| {
                let meta = |key: &str| {
                    rule.metadata().find_map(|(k, v)| match v {
                        yara_x::MetaValue::String(s) if k == key => Some(s.to_string()),
                        _ => None,
                    })
                };
                let first = rule.patterns().flat_map(|p| p.matches()).next();
                let (line, snippet) = match &first {
                    Some(m) => {
                        let range = m.range();
                        let line = data[..range.start.min(data.len())]
                            .iter()
                            .filter(|b| **b == b'\n')
                            .count() as u64
                            + 1;
                        let end = range.end.min(data.len()).min(range.start + 200);
                        (
                            line,
                            String::from_utf8_lossy(&data[range.start.min(end)..end]).into_owned(),
                        )
                    }
                    None => (0, String::new()),
                };
                Indicator {
                    code: format!("YARA:{}", rule.identifier()),
                    name: meta("description").unwrap_or_else(|| rule.identifier().to_string()),
                    level: meta("level")
                        .and_then(|l| Level::from_name(&l))
                        .unwrap_or(Level::Medium),
                    cve: meta("cve"),
                    attack: meta("attack")
                        .map(|a| a.split(',').map(|t| t.trim().to_string()).collect())
                        .unwrap_or_default(),
                    part: part.to_string(),
                    line,
                    snippet: crate::indicators::shorten(&snippet, 160),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_compile_and_match_their_vectors() {
        let rules = YaraRules::load(true, &[]);
        assert!(rules.errors.is_empty(), "{:?}", rules.errors);
        assert!(rules.count >= 8);
        let mut scanner = rules.scanner();
        let hits = scanner.scan(
            br#"<svg><animate attributeName="href " values="javascript:alert(1)"/></svg>"#,
            "1",
        );
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].cve.as_deref(), Some("CVE-2024-37383"));
        assert_eq!(hits[0].level, Level::Critical);
        assert!(scanner.scan(b"<p>hello</p>", "1").is_empty());
    }

    #[test]
    fn a_broken_rule_file_is_reported_with_its_line_and_the_others_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("good.yar"),
            "rule good { strings: $a = \"evil\" condition: $a }\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("bad.yar"),
            "rule ok { condition: true }\n\nrule bad {\n  condition: $missing\n}\n",
        )
        .unwrap();
        let rules = YaraRules::load(false, &[dir.path().to_path_buf()]);
        assert_eq!(rules.errors.len(), 1, "{:?}", rules.errors);
        let message = rules.errors[0].to_string();
        assert!(message.contains("bad.yar:4"), "{message}");
        let hits = rules.scanner().scan(b"so evil", "1");
        assert!(hits.iter().any(|h| h.code == "YARA:good"), "{hits:?}");
    }
}
