//! Roundcube's PHP configuration files, read without running PHP.
//!
//! Roundcube's `config/*.inc.php` are lists of assignments
//! (`$config['des_key'] = '…';`, `$rcmail_config[…]` before 1.0) and
//! `include`/`require` of other files (Debian's `config.inc.php` includes
//! `/etc/roundcube/debian-db-roundcube.php`). This reader takes the literal
//! values (strings, booleans, numbers, arrays of literals) with the line of
//! the assignment, and the literal include paths; anything computed is kept
//! as its source text.

use std::collections::BTreeMap;

/// A literal PHP value, or the source text of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhpValue {
    /// A quoted string, unescaped.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// `null`.
    Null,
    /// `[…]` or `array(…)`: the literal string/number items (keys dropped).
    List(Vec<String>),
    /// Anything else, as written.
    Expr(String),
}

impl PhpValue {
    /// PHP truthiness for the literal forms (`Expr` counts as true).
    pub fn truthy(&self) -> bool {
        match self {
            PhpValue::Str(s) => !s.is_empty() && s != "0",
            PhpValue::Bool(b) => *b,
            PhpValue::Int(i) => *i != 0,
            PhpValue::Null => false,
            PhpValue::List(l) => !l.is_empty(),
            PhpValue::Expr(_) => true,
        }
    }
}

/// One assignment, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value.
    pub value: PhpValue,
    /// System path of the file.
    pub path: String,
    /// 1-based line of the assignment.
    pub line: u32,
    /// The assignment as written (one line, trimmed, at most 200 chars).
    pub text: String,
}

/// Settings by key; a later assignment replaces an earlier one.
pub type Settings = BTreeMap<String, Setting>;

/// What one file holds.
#[derive(Debug, Default)]
pub struct PhpFile {
    /// Assignments in order.
    pub settings: Vec<(String, Setting)>,
    /// Literal include paths, as written (may be relative).
    pub includes: Vec<String>,
}

/// Reads one PHP configuration file's text.
pub fn parse(path: &str, text: &str) -> PhpFile {
    let mut out = PhpFile::default();
    for (line, stmt) in statements(text) {
        let s = stmt.trim();
        if let Some(rest) = s
            .strip_prefix("$config[")
            .or_else(|| s.strip_prefix("$rcmail_config["))
        {
            let Some((key, after)) = string_literal(rest.trim_start()) else {
                continue;
            };
            let Some(after) = after.trim_start().strip_prefix(']') else {
                continue;
            };
            let Some(expr) = after.trim_start().strip_prefix('=') else {
                continue;
            };
            let value = value(expr.trim());
            let text: String = s.lines().next().unwrap_or("").chars().take(200).collect();
            out.settings.push((
                key,
                Setting {
                    value,
                    path: path.to_string(),
                    line,
                    text,
                },
            ));
        } else if let Some(target) = include_target(s) {
            out.includes.push(target);
        }
    }
    out
}

/// `include "x";`, `@include_once('x')`, `require __DIR__ . '/x'`.
fn include_target(s: &str) -> Option<String> {
    let s = s.trim_start_matches('@');
    let rest = ["include_once", "require_once", "include", "require"]
        .iter()
        .find_map(|k| s.strip_prefix(k))?;
    let rest = rest
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    if let Some((lit, _)) = string_literal(rest) {
        return Some(lit);
    }
    // `__DIR__ . '/file.php'` and `RCUBE_CONFIG_DIR . 'file.php'`: relative
    // to the including file's folder.
    let (_, tail) = rest.split_once('.')?;
    let (lit, _) = string_literal(tail.trim())?;
    Some(lit.trim_start_matches('/').to_string())
}

fn value(expr: &str) -> PhpValue {
    let lower = expr.to_ascii_lowercase();
    match lower.as_str() {
        "true" => return PhpValue::Bool(true),
        "false" => return PhpValue::Bool(false),
        "null" => return PhpValue::Null,
        _ => {}
    }
    if let Ok(i) = expr.parse::<i64>() {
        return PhpValue::Int(i);
    }
    if let Some((s, rest)) = string_literal(expr)
        && rest.trim().is_empty()
    {
        return PhpValue::Str(s);
    }
    let inner = expr
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .or_else(|| {
            lower.starts_with("array").then(|| {
                expr[5..]
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
            })
        });
    if let Some(inner) = inner {
        let mut items = Vec::new();
        let mut rest = inner.trim();
        while !rest.is_empty() {
            if let Some((s, after)) = string_literal(rest) {
                let after = after.trim_start();
                if let Some(v) = after.strip_prefix("=>") {
                    // `'key' => value`: keep the value when literal.
                    rest = v.trim_start();
                    continue;
                }
                items.push(s);
                rest = after;
            } else {
                let end = rest.find(',').unwrap_or(rest.len());
                let token = rest[..end].trim();
                if !token.is_empty() {
                    items.push(token.to_string());
                }
                rest = &rest[end..];
            }
            rest = rest.trim_start().trim_start_matches(',').trim_start();
        }
        return PhpValue::List(items);
    }
    PhpValue::Expr(expr.to_string())
}

/// A leading `'…'` or `"…"` literal, unescaped, and the text after it.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    if n != quote && n != '\\' {
                        out.push('\\');
                    }
                    out.push(n);
                }
            }
            c if c == quote => return Some((out, &s[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

/// Splits PHP source into statements (on `;` outside strings and comments),
/// each with the line it starts on; comments are dropped, `<?php`/`?>` too.
fn statements(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start_line = 1u32;
    let mut line = 1u32;
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if cur.trim().is_empty() && !c.is_whitespace() {
            start_line = line;
        }
        match c {
            '\n' => {
                line += 1;
                cur.push(' ');
            }
            '#' => skip_to_eol(&b, &mut i),
            '/' if b.get(i + 1) == Some(&'/') => skip_to_eol(&b, &mut i),
            '/' if b.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                    if b[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            '\'' | '"' => {
                cur.push(c);
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == '\\' && i + 1 < b.len() {
                        cur.push(b[i]);
                        i += 1;
                    }
                    if b[i] == '\n' {
                        line += 1;
                    }
                    cur.push(b[i]);
                    i += 1;
                }
                if i < b.len() {
                    cur.push(c);
                }
            }
            ';' => {
                out.push((start_line, std::mem::take(&mut cur)));
            }
            '<' if b[i..].starts_with(&['<', '?', 'p', 'h', 'p']) => i += 4,
            '?' if b.get(i + 1) == Some(&'>') => i += 1,
            c => cur.push(c),
        }
        i += 1;
    }
    if !cur.trim().is_empty() {
        out.push((start_line, cur));
    }
    out
}

fn skip_to_eol(b: &[char], i: &mut usize) {
    while *i + 1 < b.len() && b[*i + 1] != '\n' {
        *i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_assignments_and_includes() {
        // Lines in the shape of Debian's config.inc.php (roundcube-core 1.6.5+dfsg-1+deb12u14).
        let text = "<?php\n/* header\n comment */\n$config = [];\n\n// db\ninclude(\"/etc/roundcube/debian-db-roundcube.php\");\n$config['imap_host'] = 'localhost:143';\n$config['des_key'] = 'a\\'b;c';\n$config['plugins'] = [\n    'archive',\n    'zipdownload', // zip\n];\n$config['ip_check'] = TRUE;\n$config['session_lifetime'] = 10;\n@include_once __DIR__ . '/local.php';\n$rcmail_config['x'] = array('a' => 'b');\n?>\n";
        let f = parse("/etc/roundcube/config.inc.php", text);
        assert_eq!(
            f.includes,
            ["/etc/roundcube/debian-db-roundcube.php", "local.php"]
        );
        let get = |k: &str| {
            f.settings
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, s)| s)
                .unwrap()
        };
        assert_eq!(get("imap_host").line, 8);
        assert_eq!(get("des_key").value, PhpValue::Str("a'b;c".into()));
        assert_eq!(
            get("plugins").value,
            PhpValue::List(vec!["archive".into(), "zipdownload".into()])
        );
        assert_eq!(get("plugins").line, 10);
        assert_eq!(get("ip_check").value, PhpValue::Bool(true));
        assert_eq!(get("session_lifetime").value, PhpValue::Int(10));
        assert_eq!(get("x").value, PhpValue::List(vec!["b".into()]));
    }

    #[test]
    fn hostile_text_does_not_panic() {
        for t in [
            "$config['",
            "$config['a'] = '",
            "/*",
            "<?ph",
            "$config[\"a\"] = array(",
            "'\\",
            "$config['é'] = \"\\\";",
        ] {
            let _ = parse("/x", t);
        }
    }
}
