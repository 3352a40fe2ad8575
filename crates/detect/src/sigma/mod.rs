//! Loading Sigma rules: files and folders in, a compiled rule set and the
//! list of what could not be loaded (with file, line and reason) out.

use std::path::{Path, PathBuf};

use rsigma_parser::SigmaCollection;
use serde::Serialize;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Rule files larger than this are refused (no real rule comes near it).
const MAX_RULE_FILE: u64 = 1024 * 1024;

/// A rule (or rule file) that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RuleError {
    /// The rule file.
    pub path: PathBuf,
    /// 1-based line of the problem, when it can be told.
    pub line: Option<u32>,
    /// The rule's title, when the file got far enough to have one.
    pub title: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Rules loaded from files, ready to compile, and what failed.
#[derive(Default)]
pub struct RuleSet {
    /// Every rule, correlation and filter that parsed.
    pub collection: SigmaCollection,
    /// For each rule of `collection.rules`, the file it came from.
    pub rule_paths: Vec<PathBuf>,
    /// Rule files read.
    pub files: usize,
    /// What could not be loaded.
    pub errors: Vec<RuleError>,
    /// YAML files that are not Sigma rules (a field mapping, test fixtures):
    /// no top-level `title`, `detection`, `correlation` or `filter`. They are
    /// neither loaded nor errors.
    pub skipped: Vec<PathBuf>,
}

/// Whether `text` holds a Sigma rule, correlation or filter (or a broken
/// one): one of their keys at the top level of some document. Anything else in a rule
/// folder (a mapping, a test fixture) is not a broken rule but no rule.
fn is_sigma(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start_matches('\u{feff}');
        ["title:", "detection:", "correlation:", "filter:", "action:"]
            .iter()
            .any(|k| l.starts_with(k))
    })
}

impl RuleSet {
    /// Loads every `.yml`/`.yaml` file of the given files and folders (recursively).
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> RuleSet {
        let mut set = RuleSet::default();
        for root in paths {
            let root = root.as_ref();
            if root.is_file() {
                set.add_file(root);
                continue;
            }
            if !root.is_dir() {
                set.errors
                    .push(error(root, None, None, "no such file or folder".into()));
                continue;
            }
            for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => set.add_file(e.path()),
                    Ok(_) => {}
                    Err(e) => set.errors.push(error(root, None, None, e.to_string())),
                }
            }
        }
        set
    }

    /// The rule pack built into vigie (`rules/sigma/`), named `builtin:<path>`.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::default();
        for (path, yaml) in BUILTIN_RULES {
            set.files += 1;
            set.add_text(Path::new(&format!("builtin:{path}")), yaml);
        }
        set
    }

    /// Adds the rules of another set (the user's beside the built-in ones).
    pub fn extend(&mut self, other: RuleSet) {
        self.collection.rules.extend(other.collection.rules);
        self.collection
            .correlations
            .extend(other.collection.correlations);
        self.collection.filters.extend(other.collection.filters);
        self.rule_paths.extend(other.rule_paths);
        self.files += other.files;
        self.errors.extend(other.errors);
        self.skipped.extend(other.skipped);
    }

    /// Loads rules from YAML text, `name` standing for its file in errors.
    pub fn from_yaml(name: &str, yaml: &str) -> RuleSet {
        let mut set = RuleSet::default();
        set.add_text(Path::new(name), yaml);
        set
    }

    fn add_file(&mut self, path: &Path) {
        self.files += 1;
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_RULE_FILE {
            self.errors.push(error(path, None, None, format!("file of {size} bytes is larger than the {MAX_RULE_FILE}-byte limit for a rule file")));
            return;
        }
        match std::fs::read(path) {
            Err(e) => self.errors.push(error(path, None, None, e.to_string())),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(e) => {
                    self.errors
                        .push(error(path, None, None, format!("not UTF-8 text ({e})")))
                }
                Ok(text) if !is_sigma(&text) => self.skipped.push(path.to_path_buf()),
                Ok(text) => self.add_text(path, &text),
            },
        }
    }

    fn add_text(&mut self, path: &Path, text: &str) {
        // rsigma is fuzzed, but a rule file is input too: a panic in it must
        // cost one file, not the run.
        let parsed = std::panic::catch_unwind(|| rsigma_parser::parse_sigma_yaml(text));
        let collection = match parsed {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.errors.push(error(
                    path,
                    line_of_error(&e.to_string(), text),
                    None,
                    e.to_string(),
                ));
                return;
            }
            Err(_) => {
                self.errors.push(error(
                    path,
                    None,
                    None,
                    "the Sigma parser failed on this file".into(),
                ));
                return;
            }
        };
        for message in &collection.errors {
            self.errors.push(error(
                path,
                line_of_error(message, text),
                None,
                message.clone(),
            ));
        }
        // Compile each rule alone so that one that does not compile (a bad
        // regular expression, say) is reported and left out, not the file.
        for rule in collection.rules {
            let mut probe = rsigma_eval::Engine::new();
            let title = rule.title.clone();
            if let Err(e) = probe.add_rule(&rule) {
                let message = e.to_string();
                let line = condition_naming(text, &message)
                    .or_else(|| line_of_error(&message, text))
                    .or_else(|| locate(text, &format!("title: {title}")));
                self.errors
                    .push(error(path, line, Some(title), e.to_string()));
                continue;
            }
            self.collection.rules.push(rule);
            self.rule_paths.push(path.to_path_buf());
        }
        self.collection.correlations.extend(collection.correlations);
        self.collection.filters.extend(collection.filters);
    }

    /// Number of detection rules loaded.
    pub fn rule_count(&self) -> usize {
        self.collection.rules.len()
    }
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

fn error(path: &Path, line: Option<u32>, title: Option<String>, message: String) -> RuleError {
    RuleError {
        path: path.to_path_buf(),
        line,
        title,
        message,
    }
}

/// The line an error message points to: YAML errors say `at line N`;
/// others name the offending token (`Unknown modifier 'foo'`), found in the text.
fn line_of_error(message: &str, text: &str) -> Option<u32> {
    if let Some(rest) = message.split("at line ").nth(1)
        && let Some(n) = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
    {
        return Some(n);
    }
    // Condition errors quote the condition as `1 | <condition>`: find that in the file.
    if let Some(condition) = message
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("1 | "))
        && let Some(line) = locate(text, condition.trim())
    {
        return Some(line);
    }
    let quoted = message
        .split('\'')
        .nth(1)
        .filter(|q| !q.is_empty() && message.matches('\'').count() >= 2)?;
    locate(text, quoted)
}

/// The `condition:` line that names the last word of `message`
/// (`unknown detection identifier: filter`).
fn condition_naming(text: &str, message: &str) -> Option<u32> {
    let word = message
        .rsplit([' ', ':'])
        .next()
        .filter(|w| !w.is_empty())?;
    let index = text.lines().position(|l| {
        let l = l.trim_start();
        l.starts_with("condition:")
            && l.split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == word)
    })?;
    Some(u32::try_from(index + 1).unwrap_or(u32::MAX))
}

/// 1-based line of the first occurrence of `needle`.
fn locate(text: &str, needle: &str) -> Option<u32> {
    let at = text.find(needle)?;
    Some(u32::try_from(text[..at].matches('\n').count() + 1).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "title: Good\nlogsource: {product: dovecot}\ndetection:\n  sel: {user.name: bob}\n  condition: sel\n";

    #[test]
    fn a_broken_rule_is_reported_with_its_line_and_the_good_one_still_loads() {
        let broken = format!(
            "{GOOD}---\ntitle: Bad modifier\nlogsource: {{product: dovecot}}\ndetection:\n  sel:\n    user.name|frobnicate: bob\n  condition: sel\n"
        );
        let set = RuleSet::from_yaml("rules.yml", &broken);
        assert_eq!(set.rule_count(), 1);
        assert_eq!(set.errors.len(), 1, "{:?}", set.errors);
        assert_eq!(set.errors[0].line, Some(11), "{:?}", set.errors);
        assert!(set.errors[0].message.contains("frobnicate"));
    }

    #[test]
    fn the_builtin_pack_loads_whole() {
        let set = RuleSet::builtin();
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        // One rule or one correlation per file.
        assert_eq!(
            set.rule_count() + set.collection.correlations.len(),
            BUILTIN_RULES.len()
        );
    }

    #[test]
    fn broken_conditions_and_yaml_are_errors_not_panics() {
        for text in [
            "title: x\nlogsource: {product: a}\ndetection:\n  sel: {a: b}\n  condition: sel and (\n",
            "title: x\nlogsource: {product: a}\ndetection:\n  sel: {a: b}\n  condition: sel and nothing\n",
            "title: [unclosed\n",
            "title: x\nlogsource: {product: a}\ndetection:\n  sel: {a|re: '(unclosed'}\n  condition: sel\n",
        ] {
            let set = RuleSet::from_yaml("r.yml", text);
            assert_eq!(set.rule_count(), 0, "{text:?} {:?}", set.errors);
            assert!(!set.errors.is_empty(), "{text}");
        }
    }

    #[test]
    fn a_yaml_bomb_is_refused_quickly() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for i in 0..9 {
            let (prev, next) = ((b'a' + i) as char, (b'b' + i) as char);
            bomb.push_str(&format!("{next}: &{next} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        bomb.push_str(
            "title: bomb\nlogsource: {product: a}\ndetection:\n  sel: {x: *j}\n  condition: sel\n",
        );
        let started = std::time::Instant::now();
        let set = RuleSet::from_yaml("bomb.yml", &bomb);
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(set.rule_count(), 0);
        assert!(!set.errors.is_empty());
    }
}
