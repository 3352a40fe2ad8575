//! Dovecot's configuration (`dovecot.conf` and what it includes) and
//! Pigeonhole's Sieve settings, for Dovecot 2.3 and 2.4 names.
//!
//! Format (doc.dovecot.org, "Configuration file syntax"): `key = value`
//! lines, `name [arg] {` … `}` sections, `#` comments, `!include PATH` and
//! `!include_try PATH` with globs, relative to the including file's folder.
//! `<file` values and `$variables` are kept as written.

use crate::checks::*;
use crate::finding::{Finding, Level};
use crate::root::{SystemRoot, join};

/// The main file.
pub const DOVECOT_CONF: &str = "/etc/dovecot/dovecot.conf";
const MAX_DEPTH: usize = 16;

/// One setting as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Enclosing sections, outermost first (`["service imap-login", "inet_listener imap"]`).
    pub sections: Vec<String>,
    /// Key.
    pub key: String,
    /// Value as written (trimmed).
    pub value: String,
    /// System path of the file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
}

/// Every setting of the configuration, in file order with includes inlined.
#[derive(Debug, Default)]
pub struct Config {
    /// The settings.
    pub entries: Vec<Entry>,
    /// Whether `dovecot.conf` was found.
    pub present: bool,
    /// Every section header met, even one holding only comments.
    pub sections: Vec<String>,
}

impl Config {
    /// The last top-level value of `key` (Dovecot: the last one wins).
    pub fn top(&self, key: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.sections.is_empty() && e.key == key)
    }

    /// Every entry whose key is `key`, at any depth.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.key == key)
    }
}

/// Reads the configuration under the root.
pub fn read(root: &SystemRoot) -> Config {
    let mut cfg = Config::default();
    if !root.exists(DOVECOT_CONF) {
        return cfg;
    }
    cfg.present = true;
    let mut sections = Vec::new();
    read_file(root, DOVECOT_CONF, &mut sections, &mut cfg, 0);
    cfg
}

fn read_file(
    root: &SystemRoot,
    path: &str,
    sections: &mut Vec<String>,
    cfg: &mut Config,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        root.note(path, "include nesting too deep".into());
        return;
    }
    let Some(_including) = root.enter(path) else {
        return;
    };
    let Some(text) = root.read(path) else { return };
    let path = &root.real_path(path);
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let l = strip_comment(raw).trim();
        if l.is_empty() {
            continue;
        }
        if let Some(rest) = l
            .strip_prefix("!include_try")
            .or_else(|| l.strip_prefix("!include"))
        {
            let pattern = join(path, rest.trim().trim_matches('"'));
            for file in root.glob(&pattern) {
                read_file(root, &file, sections, cfg, depth + 1);
            }
            continue;
        }
        if l == "}" {
            sections.pop();
            continue;
        }
        if let Some(head) = l.strip_suffix('{') {
            // `name = value {` is a 2.4 filter/named block; keep its head.
            let head = head.trim().replace(" = ", " ");
            cfg.sections.push(head.clone());
            sections.push(head);
            continue;
        }
        if let Some((k, v)) = l.split_once('=') {
            cfg.entries.push(Entry {
                sections: sections.clone(),
                key: k.trim().to_string(),
                value: v.trim().trim_matches('"').to_string(),
                path: path.to_string(),
                line,
            });
        }
    }
}

fn strip_comment(l: &str) -> &str {
    // `#` starts a comment unless inside quotes.
    let mut quoted = false;
    for (i, c) in l.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &l[..i],
            _ => {}
        }
    }
    l
}

fn yes(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1")
}

/// Checks VAUD201–206 and VAUD301–302. `jail` says whether a brute-force
/// jail covers Dovecot.
pub fn check(cfg: &Config, jail: bool, out: &mut Vec<Finding>) {
    if !cfg.present {
        return;
    }
    let at = |check, e: &Entry| {
        Finding::new(
            check,
            &e.path,
            Some(e.line),
            format!("{} = {}", e.key, e.value),
        )
    };
    let ssl_off = cfg
        .top("ssl")
        .filter(|e| e.value.eq_ignore_ascii_case("no"));
    // Passwords in clear on loopback never cross a network: say so, low.
    let loopback = cfg
        .top("listen")
        .filter(|e| crate::root::loopback_only(&e.value));
    let on_loopback = |mut f: Finding| {
        if let Some(l) = loopback {
            f.level = Level::Low;
            f.evidence = format!(
                "{} (listens on loopback only: listen = {}, {}:{})",
                f.evidence, l.value, l.path, l.line
            );
        }
        f
    };
    if let Some(e) = ssl_off {
        out.push(on_loopback(at(&DOVECOT_SSL_OFF, e)));
    }
    // 2.3: disable_plaintext_auth = no; 2.4: auth_allow_cleartext = yes.
    let cleartext = cfg
        .top("disable_plaintext_auth")
        .filter(|e| !yes(&e.value))
        .or_else(|| cfg.top("auth_allow_cleartext").filter(|e| yes(&e.value)));
    if let Some(e) = cleartext {
        let mut f = at(&DOVECOT_CLEARTEXT, e);
        if let Some(m) = cfg.top("auth_mechanisms") {
            f.evidence.push_str(&format!(
                "; auth_mechanisms = {} ({}:{})",
                m.value, m.path, m.line
            ));
        }
        if ssl_off.is_some() {
            f.level = Level::High;
        }
        out.push(on_loopback(f));
    }
    let listen_all = match cfg.top("listen") {
        None => true, // default `*, ::`
        Some(e) => e
            .value
            .split([',', ' '])
            .any(|a| a == "*" || a == "::" || a == "0.0.0.0"),
    };
    let inet = cfg.sections.iter().any(|s| {
        s.starts_with("service imap-login")
            || s.starts_with("service managesieve-login")
            || s.starts_with("service pop3-login")
    });
    if listen_all
        && !jail
        && (inet
            || cfg.top("protocols").is_some_and(|p| {
                p.value
                    .split_whitespace()
                    .any(|w| w == "imap" || w == "sieve" || w == "pop3")
            }))
    {
        let (path, line, evidence) = match cfg.top("listen") {
            Some(e) => (
                e.path.clone(),
                Some(e.line),
                format!("listen = {}", e.value),
            ),
            None => (
                DOVECOT_CONF.to_string(),
                None,
                "listen not set (default *, ::)".to_string(),
            ),
        };
        out.push(Finding::new(&DOVECOT_LISTEN_ALL, &path, line, evidence));
    }
    // Master users: a passdb with `master = yes` (2.3 and 2.4).
    for e in cfg
        .all("master")
        .filter(|e| yes(&e.value) && e.sections.iter().any(|s| s.starts_with("passdb")))
    {
        out.push(at(&DOVECOT_MASTER_USER, e));
    }
    if let Some(e) = cfg.top("auth_failure_delay")
        && e.value
            .trim_start_matches('0')
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_digit())
    {
        out.push(at(&DOVECOT_FAILURE_DELAY, e));
    }
    // Pigeonhole: extensions that run programs, for user scripts.
    const PROGRAMS: [&str; 3] = [
        "vnd.dovecot.pipe",
        "vnd.dovecot.execute",
        "vnd.dovecot.filter",
    ];
    for e in &cfg.entries {
        let in_plugin_or_top = e.sections.is_empty() || e.sections.iter().any(|s| s == "plugin");
        // 2.3: `sieve_extensions = +vnd.dovecot.pipe`; 2.4: `sieve_extensions { vnd.dovecot.pipe = yes }`.
        let user_ext = (in_plugin_or_top
            && e.key == "sieve_extensions"
            && PROGRAMS.iter().any(|p| e.value.contains(p)))
            || (e.sections.last().is_some_and(|s| s == "sieve_extensions")
                && PROGRAMS.contains(&e.key.as_str())
                && yes(&e.value));
        if user_ext {
            out.push(at(&SIEVE_EXTPROGRAMS, e));
        }
        if e.key == "sieve_max_redirects"
            && let Ok(n) = e.value.parse::<u32>()
            && n > 4
        {
            out.push(at(&SIEVE_REDIRECTS, e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/dovecot/conf.d")).unwrap();
        std::fs::write(
            dir.path().join("etc/dovecot/dovecot.conf"),
            "# c\nprotocols = imap sieve\n!include conf.d/*.conf\n!include_try missing.conf\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("etc/dovecot/conf.d/10-auth.conf"), "passdb {\n  driver = passwd-file\n  master = yes # m\n}\nauth_mechanisms = plain \"#x\"\n").unwrap();
        let root = SystemRoot::new(dir.path());
        let cfg = read(&root);
        let m = cfg.all("master").next().unwrap();
        assert_eq!(
            (m.path.as_str(), m.line, m.sections.as_slice()),
            (
                "/etc/dovecot/conf.d/10-auth.conf",
                3,
                &["passdb".to_string()][..]
            )
        );
        assert_eq!(cfg.top("auth_mechanisms").unwrap().value, "plain \"#x");
        assert!(root.unreadable().is_empty());
    }

    #[test]
    fn a_file_that_includes_itself_is_read_once_and_named() {
        // Three self-includes fanned out to 3^16 reads before (a hang); a
        // conf.d file including the main file again is the same loop.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/dovecot/conf.d")).unwrap();
        std::fs::write(
            dir.path().join("etc/dovecot/dovecot.conf"),
            "!include dovecot.conf\n!include dovecot.conf\n!include conf.d/*.conf\nssl = no\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/dovecot/conf.d/a.conf"),
            "!include ../dovecot.conf\nauth_mechanisms = plain\n",
        )
        .unwrap();
        let root = SystemRoot::new(dir.path());
        let cfg = read(&root);
        assert_eq!(cfg.all("ssl").count(), 1);
        assert_eq!(cfg.all("auth_mechanisms").count(), 1);
        let notes = root.unreadable();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes
                .iter()
                .all(|n| n.reason.starts_with("includes itself"))
        );
    }
}
