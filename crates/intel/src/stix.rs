//! STIX 2.1 bundles: indicators whose patterns reduce to observables.
//!
//! A pattern is reduced as far as matching one observable at a time can
//! honour it: comparisons joined by `OR` give each of their observables;
//! inside one observation (`[…]`), `AND` keeps the identifying comparisons
//! (an address, a name, a digest) and drops the ones that only narrow them
//! (a port, a file name next to its digest), which can only add matches of
//! the same object. What cannot be reduced — `AND`/`FOLLOWEDBY` between
//! observations, `LIKE`/`MATCHES`, objects vigie never sees — is refused
//! with the reason, and counted.
//!
//! Observables are read too, as OpenCTI exports them: cyber-observable
//! objects at the top of a bundle (`ipv4-addr`, `ipv6-addr`, `domain-name`,
//! `url`, `email-addr`, `file` with `hashes`) and those embedded in STIX 2.0
//! `observed-data` (`objects: {"0": {…}}`). Other observables (autonomous
//! systems, certificates, network traffic) describe, they do not indicate,
//! and are not entries.

use std::collections::HashMap;

use serde_json::Value;

use crate::import::Sink;
use crate::indicator::{Indicator, Kind, normalize};

/// Reads the indicators of a STIX 2.x bundle (or a lone object, or a list).
pub fn import(json: &Value, sink: &mut Sink<'_>) {
    let objects: Vec<&Value> = match json {
        Value::Array(items) => items.iter().collect(),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("bundle") => o
            .get("objects")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        other => vec![other],
    };
    let actors = attributed_actors(&objects);
    let mut observed = Vec::new();
    for object in objects {
        match object.get("type").and_then(Value::as_str) {
            Some("indicator") => {}
            Some("observed-data") => {
                let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
                let embedded = object.get("objects").and_then(Value::as_object);
                observed.extend(
                    embedded
                        .into_iter()
                        .flat_map(|o| o.values())
                        .map(|o| (id, o)),
                );
                continue;
            }
            _ => {
                let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
                observed.push((id, object));
                continue;
            }
        }
        sink.begin(
            object
                .get("pattern")
                .and_then(Value::as_str)
                .unwrap_or("(no pattern)"),
        );
        let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
        if object.get("revoked").and_then(Value::as_bool) == Some(true) {
            sink.refuse("revoked");
            continue;
        }
        let pattern_type = object
            .get("pattern_type")
            .and_then(Value::as_str)
            .unwrap_or("stix");
        if pattern_type != "stix" {
            sink.refuse_owned(format!("pattern type {pattern_type}"));
            continue;
        }
        let Some(pattern) = object.get("pattern").and_then(Value::as_str) else {
            sink.refuse("no pattern");
            continue;
        };
        let observables = match reduce(pattern) {
            Ok(found) => found,
            Err(reason) => {
                sink.refuse_owned(reason);
                continue;
            }
        };
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
        let mut tags: Vec<String> = ["labels", "indicator_types"]
            .iter()
            .filter_map(|k| object.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        tags.extend(kill_chain_techniques(object));
        let mut used = false;
        for (kind, value) in observables {
            match normalize(kind, &value) {
                Ok(value) => {
                    used = true;
                    sink.add(Indicator {
                        reference: Some(id.to_string()),
                        first_seen: text("valid_from"),
                        last_seen: text("valid_until"),
                        confidence: object
                            .get("confidence")
                            .and_then(Value::as_u64)
                            .map(|c| c.min(100) as u8),
                        tags: tags.clone(),
                        actor: actors.get(id).cloned(),
                        ..Indicator::new(kind, value)
                    });
                }
                Err(reason) => sink.note(reason),
            }
        }
        if used {
            sink.report.used += 1;
        } else {
            sink.refuse("no observable value could be read");
        }
    }
    for (id, object) in observed {
        read_observable(id, object, actors.get(id), sink);
    }
}

/// One cyber-observable object (`ipv4-addr`, `domain-name`, `url`,
/// `email-addr`, `file`), an entry of its own; other types are not entries.
fn read_observable(id: &str, object: &Value, actor: Option<&String>, sink: &mut Sink<'_>) {
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let value = object.get("value").and_then(Value::as_str);
    let found: Vec<(Kind, &str)> = match (kind, value) {
        ("ipv4-addr" | "ipv6-addr", Some(v)) => vec![(Kind::Ip, v)],
        ("domain-name", Some(v)) => vec![(Kind::Domain, v)],
        ("url", Some(v)) => vec![(Kind::Url, v)],
        ("email-addr", Some(v)) => vec![(Kind::Email, v)],
        ("file", _) => object
            .get("hashes")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(name, v)| {
                let kind = match normalize_hash_name(name).as_deref() {
                    Some("MD5") => Kind::Md5,
                    Some("SHA1") => Kind::Sha1,
                    Some("SHA256") => Kind::Sha256,
                    _ => return None,
                };
                Some((kind, v.as_str()?))
            })
            .collect(),
        ("ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr", None) => Vec::new(),
        _ => return,
    };
    sink.begin(&format!("{kind} {}", value.unwrap_or_default()));
    if found.is_empty() {
        sink.refuse("observable without a value or a known hash");
        return;
    }
    let confidence = ["x_opencti_score", "confidence"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_u64))
        .map(|c| c.min(100) as u8);
    let labels = object
        .get("x_opencti_labels")
        .or_else(|| object.get("labels"))
        .and_then(Value::as_array);
    let tags: Vec<String> = labels
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    let mut used = false;
    for (kind, value) in found {
        match normalize(kind, value) {
            Ok(value) => {
                used = true;
                sink.add(Indicator {
                    reference: Some(id.to_string()),
                    confidence,
                    tags: tags.clone(),
                    actor: actor.cloned(),
                    ..Indicator::new(kind, value)
                });
            }
            Err(reason) => sink.note(reason),
        }
    }
    if used {
        sink.report.used += 1;
    } else {
        sink.refuse("no observable value could be read");
    }
}

/// ATT&CK ids named in an indicator's external references.
fn kill_chain_techniques(object: &Value) -> Vec<String> {
    object
        .get("external_references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("source_name").and_then(Value::as_str) == Some("mitre-attack"))
        .filter_map(|r| r.get("external_id").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The actor each indicator or observable points to (through a relationship to an
/// intrusion set, threat actor or campaign), by indicator id.
fn attributed_actors(objects: &[&Value]) -> HashMap<String, String> {
    let name_of: HashMap<&str, &str> = objects
        .iter()
        .filter(|o| {
            matches!(
                o.get("type").and_then(Value::as_str),
                Some("intrusion-set" | "threat-actor" | "campaign")
            )
        })
        .filter_map(|o| Some((o.get("id")?.as_str()?, o.get("name")?.as_str()?)))
        .collect();
    let mut actors = HashMap::new();
    for r in objects
        .iter()
        .filter(|o| o.get("type").and_then(Value::as_str) == Some("relationship"))
    {
        let (Some(source), Some(target)) = (
            r.get("source_ref").and_then(Value::as_str),
            r.get("target_ref").and_then(Value::as_str),
        ) else {
            continue;
        };
        // An indicator or an observable `indicates` / `related-to` the actor.
        if let Some(name) = name_of.get(target) {
            actors.insert(source.to_string(), name.to_string());
        }
    }
    actors
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    LParen,
    RParen,
    Comma,
    Str(String),
    Word(String),
}

fn tokenize(pattern: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '[' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ']' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '(' => {
                chars.next();
                tokens.push(Token::LParen);
            }
            ')' => {
                chars.next();
                tokens.push(Token::RParen);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                tokens.push(Token::Str(quoted(&mut chars)?));
            }
            _ => {
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    match c {
                        // A quoted path step (`hashes.'SHA-256'`) or an index
                        // (`to_refs[*]`) belongs to the path.
                        '\'' if word.ends_with('.') => {
                            chars.next();
                            word.push_str(&quoted(&mut chars)?);
                        }
                        '[' if word.contains(':') => {
                            for (_, c) in chars.by_ref() {
                                word.push(c);
                                if c == ']' {
                                    break;
                                }
                            }
                        }
                        c if c.is_whitespace() || "[]()',".contains(c) => break,
                        c => {
                            chars.next();
                            word.push(c);
                        }
                    }
                }
                // A typed literal (t'…', h'…', b'…'): the quote follows.
                if matches!(word.as_str(), "t" | "h" | "b")
                    && chars.peek().is_some_and(|&(_, c)| c == '\'')
                {
                    chars.next();
                    tokens.push(Token::Str(quoted(&mut chars)?));
                } else {
                    tokens.push(Token::Word(word));
                }
            }
        }
    }
    Ok(tokens)
}

fn quoted(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Result<String, String> {
    let mut out = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or("unterminated string")?.1),
            '\'' => return Ok(out),
            c => out.push(c),
        }
    }
    Err("syntax error: unterminated string".into())
}

type Observables = Vec<(Kind, String)>;

/// What an expression reduces to: observables, or why it cannot.
type Reduced = Result<Observables, String>;

/// Reduces a STIX pattern to the observables it names.
pub fn reduce(pattern: &str) -> Reduced {
    let tokens = tokenize(pattern).map_err(|e| format!("syntax error: {e}"))?;
    let mut parser = Parser {
        tokens,
        at: 0,
        narrowing: None,
    };
    let found = parser.observation_expression(0)?;
    if parser.at != parser.tokens.len() {
        return Err("syntax error: unexpected text after the pattern".into());
    }
    Ok(found)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// The last comparison on a property that only narrows an object.
    narrowing: Option<String>,
}

/// Nesting allowed in a pattern (hostile feeds).
const MAX_DEPTH: usize = 32;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self) -> Option<String> {
        match self.peek() {
            Some(Token::Word(w)) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }

    /// `obs (OR|AND|FOLLOWEDBY obs)*`, with qualifiers after each.
    fn observation_expression(&mut self, depth: usize) -> Reduced {
        if depth > MAX_DEPTH {
            return Err("pattern nested too deeply".into());
        }
        let mut found = self.observation(depth)?;
        loop {
            match self.keyword().as_deref() {
                Some("OR") => {
                    self.at += 1;
                    found = either(Ok(found), self.observation(depth))?;
                }
                Some("AND") => {
                    self.at += 1;
                    self.observation(depth)?;
                    return Err("AND between observations (needs a correlation)".into());
                }
                Some("FOLLOWEDBY") => {
                    self.at += 1;
                    self.observation(depth)?;
                    return Err("FOLLOWEDBY (needs a sequence)".into());
                }
                _ => return Ok(found),
            }
        }
    }

    fn observation(&mut self, depth: usize) -> Reduced {
        let found = match self.next() {
            Some(Token::Open) => {
                let found = self.comparison_or(depth + 1)?;
                if self.next() != Some(Token::Close) {
                    return Err("syntax error: `]` expected".into());
                }
                found
            }
            Some(Token::LParen) => {
                let found = self.observation_expression(depth + 1);
                if self.next() != Some(Token::RParen) {
                    return Err("syntax error: `)` expected".into());
                }
                found
            }
            _ => return Err("syntax error: `[` expected".into()),
        };
        self.qualifiers()?;
        found
    }

    /// `WITHIN n SECONDS`, `REPEATS n TIMES`, `START t STOP t`: they narrow
    /// when a match counts, never what matches.
    fn qualifiers(&mut self) -> Result<(), String> {
        loop {
            match self.keyword().as_deref() {
                Some("WITHIN") | Some("REPEATS") => self.at += 3,
                Some("START") => self.at += 4,
                _ => return Ok(()),
            }
            if self.at > self.tokens.len() {
                return Err("syntax error: incomplete qualifier".into());
            }
        }
    }

    fn comparison_or(&mut self, depth: usize) -> Result<Reduced, String> {
        let mut found = self.comparison_and(depth)?;
        while self.keyword().as_deref() == Some("OR") {
            self.at += 1;
            found = either(found, self.comparison_and(depth)?);
        }
        Ok(found)
    }

    fn comparison_and(&mut self, depth: usize) -> Result<Reduced, String> {
        let mut parts = vec![self.comparison(depth)?];
        while self.keyword().as_deref() == Some("AND") {
            self.at += 1;
            parts.push(self.comparison(depth)?);
        }
        if let [only] = parts.as_slice() {
            return Ok(match only {
                Ok(found) if found.is_empty() => Err(format!(
                    "property {}",
                    self.narrowing.as_deref().unwrap_or("vigie cannot match")
                )),
                other => other.clone(),
            });
        }
        // The identifying comparisons stand for the object; the others
        // (Ok(empty): a narrowing property) are dropped.
        let first_reason = parts.iter().find_map(|p| p.clone().err());
        let found: Observables = parts.into_iter().flatten().flatten().collect();
        Ok(if found.is_empty() {
            Err(first_reason.unwrap_or_else(|| "AND of comparisons vigie cannot match".into()))
        } else {
            Ok(found)
        })
    }

    /// One comparison, or a parenthesized comparison expression. The outer
    /// error is a syntax error; the inner one says why it cannot be used.
    fn comparison(&mut self, depth: usize) -> Result<Reduced, String> {
        if depth > MAX_DEPTH {
            return Err("pattern nested too deeply".into());
        }
        if self.peek() == Some(&Token::LParen) {
            self.at += 1;
            let found = self.comparison_or(depth + 1)?;
            if self.next() != Some(Token::RParen) {
                return Err("syntax error: `)` expected".into());
            }
            return Ok(found);
        }
        let Some(Token::Word(path)) = self.next() else {
            return Err("syntax error: object path expected".into());
        };
        let mut op = match self.next() {
            Some(Token::Word(op)) => op.to_ascii_uppercase(),
            _ => return Err("syntax error: operator expected".into()),
        };
        if op == "NOT" {
            match self.next() {
                Some(Token::Word(o)) => op = format!("NOT {}", o.to_ascii_uppercase()),
                _ => return Err("syntax error: operator expected".into()),
            }
        }
        let values = match self.next() {
            Some(Token::Str(s)) => vec![s],
            Some(Token::Word(w)) => vec![w],
            Some(Token::LParen) => {
                let mut values = Vec::new();
                loop {
                    match self.next() {
                        Some(Token::Str(s)) => values.push(s),
                        Some(Token::Word(w)) => values.push(w),
                        _ => return Err("syntax error: value expected".into()),
                    }
                    match self.next() {
                        Some(Token::Comma) => {}
                        Some(Token::RParen) => break,
                        _ => return Err("syntax error: `,` or `)` expected".into()),
                    }
                }
                values
            }
            _ => return Err("syntax error: value expected".into()),
        };
        let found = observable(&path, &op, values);
        if found.as_ref().is_ok_and(Vec::is_empty) {
            self.narrowing = Some(path);
        }
        Ok(found)
    }
}

/// `a OR b`: every observable of either; an unusable side only loses matches.
fn either(a: Reduced, b: Reduced) -> Reduced {
    match (a, b) {
        (Ok(mut a), Ok(b)) => {
            a.extend(b);
            Ok(a)
        }
        (Ok(a), Err(_)) | (Err(_), Ok(a)) => Ok(a),
        (Err(a), Err(_)) => Err(a),
    }
}

/// The observables of one comparison; `Ok(empty)` for a property that only
/// narrows an object (`dst_port`, `name` beside a digest).
fn observable(path: &str, op: &str, values: Vec<String>) -> Reduced {
    let (object, property) = path.split_once(':').unwrap_or((path, ""));
    let kind = match (object, property) {
        ("ipv4-addr" | "ipv6-addr", "value") => Some(Kind::Ip),
        ("domain-name", "value") => Some(Kind::Domain),
        ("url", "value") => Some(Kind::Url),
        ("email-addr", "value") => Some(Kind::Email),
        ("email-message", p) if p.ends_with(".value") && p.contains("_ref") => Some(Kind::Email),
        ("network-traffic", "src_ref.value" | "dst_ref.value") => None,
        ("file", p) if p.starts_with("hashes.") => match normalize_hash_name(&p[7..]).as_deref() {
            Some("MD5") => Some(Kind::Md5),
            Some("SHA1") => Some(Kind::Sha1),
            Some("SHA256") => Some(Kind::Sha256),
            _ => return Err(format!("hash {}", &p[7..])),
        },
        ("file" | "network-traffic" | "email-message", _) => {
            return if op == "=" || op == "IN" {
                Ok(Vec::new())
            } else {
                Err(format!("operator {op}"))
            };
        }
        _ => return Err(format!("object {object}")),
    };
    let values = match op {
        "=" | "IN" => values,
        "ISSUBSET" if kind == Some(Kind::Ip) || object == "network-traffic" => values,
        other => return Err(format!("operator {other}")),
    };
    Ok(values
        .into_iter()
        .map(|v| {
            let kind = kind.unwrap_or_else(|| {
                // network-traffic refs name an address or a domain.
                if crate::indicator::normalize(Kind::Ip, &v).is_ok() {
                    Kind::Ip
                } else {
                    Kind::Domain
                }
            });
            (kind, v)
        })
        .collect())
}

fn normalize_hash_name(name: &str) -> Option<String> {
    Some(
        name.trim_matches('\'')
            .replace('-', "")
            .to_ascii_uppercase(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(p: &str) -> Vec<(Kind, String)> {
        reduce(p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn comparisons_reduce_to_observables() {
        assert_eq!(
            values("[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32']"),
            vec![
                (Kind::Ip, "198.51.100.1/32".into()),
                (Kind::Ip, "203.0.113.33/32".into())
            ]
        );
        assert_eq!(
            values(
                "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:name = 'x.exe']"
            ),
            vec![(
                Kind::Sha256,
                "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f".into()
            )]
        );
        assert_eq!(
            values(
                "[email-message:from_ref.value = 'a@b.example'] OR [domain-name:value = 'evil.example'] WITHIN 300 SECONDS"
            ),
            vec![
                (Kind::Email, "a@b.example".into()),
                (Kind::Domain, "evil.example".into())
            ]
        );
        assert_eq!(
            values(
                "[network-traffic:dst_ref.value IN ('10.0.0.1', 'c2.example') AND network-traffic:dst_port = 443]"
            ),
            vec![
                (Kind::Ip, "10.0.0.1".into()),
                (Kind::Domain, "c2.example".into())
            ]
        );
        assert_eq!(
            values("[ipv4-addr:value ISSUBSET '10.2.0.0/16']"),
            vec![(Kind::Ip, "10.2.0.0/16".into())]
        );
    }

    #[test]
    fn what_cannot_be_matched_is_refused_with_its_reason() {
        assert_eq!(
            reduce("[url:value LIKE '%evil%']"),
            Err("operator LIKE".into())
        );
        assert_eq!(
            reduce("[process:name = 'x.exe']"),
            Err("object process".into())
        );
        assert_eq!(
            reduce("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example']"),
            Err("AND between observations (needs a correlation)".into())
        );
        assert!(
            reduce("[ipv4-addr:value = '1.2.3.4'")
                .unwrap_err()
                .starts_with("syntax")
        );
        assert!(reduce(&"(".repeat(200)).is_err());
        // Parentheses far past MAX_DEPTH, around observations and comparisons.
        let deep = format!(
            "{}[ipv4-addr:value = '1.2.3.4']{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(reduce(&deep).is_err());
        let deep = format!(
            "[{}ipv4-addr:value = '1.2.3.4'{}]",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(reduce(&deep).is_err());
    }
}
