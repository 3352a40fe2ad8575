//! Roundcube installations: where they are, their version constant, their
//! merged configuration, and the checks on it (VAUD101–VAUD110 but 109,
//! which needs the web servers, see [`crate::web`]).

use crate::checks::*;
use crate::finding::{Finding, Level};
use crate::php_config::{self, PhpValue, Setting, Settings};
use crate::root::{SystemRoot, join};

/// Where Roundcube trees are usually installed (Debian, RPM, by hand).
const CANDIDATES: &[&str] = &[
    "/usr/share/roundcube",
    "/usr/share/roundcubemail",
    "/var/lib/roundcube",
    "/var/www/roundcube",
    "/var/www/roundcubemail",
    "/var/www/html",
    "/var/www/html/roundcube",
    "/var/www/html/roundcubemail",
    "/var/www/html/webmail",
    "/var/www/webmail",
    "/srv/roundcube",
    "/srv/www/roundcube",
    "/opt/roundcube",
];

/// Default `des_key` published in `config/defaults.inc.php`.
pub const DEFAULT_DES_KEY: &str = "rcmail-!24ByteDESkey*Str";
/// Depth of `include` chains followed.
const MAX_INCLUDES: usize = 16;

/// One Roundcube installation.
#[derive(Debug)]
pub struct Install {
    /// The tree holding `program/include/iniset.php` (system path, links resolved).
    pub tree: String,
    /// `INSTALL_PATH` (Debian: `/var/lib/roundcube`), links not resolved.
    pub install_path: String,
    /// `RCMAIL_VERSION` and the line it was read on.
    pub version: Option<(String, u32)>,
    /// Merged settings (defaults, then config, then plugin configs).
    pub settings: Settings,
    /// The main configuration file, when found.
    pub config_file: Option<String>,
}

impl Install {
    /// A setting, if set anywhere.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key)
    }

    fn plugins(&self) -> Vec<String> {
        match self.get("plugins").map(|s| &s.value) {
            Some(PhpValue::List(l)) => l.clone(),
            _ => Vec::new(),
        }
    }
}

/// Finds Roundcube trees: the usual places and `extra` folders (web roots),
/// each counted once after links.
pub fn find(root: &SystemRoot, extra: &[String]) -> Vec<Install> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut candidates: Vec<String> = CANDIDATES.iter().map(|s| (*s).to_string()).collect();
    for dir in root.glob("/var/www/*") {
        candidates.push(dir);
    }
    for e in extra {
        // A web root at `public_html/` serves the tree above it.
        candidates.push(
            e.trim_end_matches('/')
                .trim_end_matches("/public_html")
                .to_string(),
        );
        candidates.push(e.clone());
    }
    for c in candidates {
        let iniset = format!("{}/program/include/iniset.php", c.trim_end_matches('/'));
        let Some((resolved, _)) = root.resolve(&iniset) else {
            continue;
        };
        if !root.exists(&resolved) || !seen.insert(resolved.clone()) {
            continue;
        }
        let tree = resolved
            .trim_end_matches("/program/include/iniset.php")
            .to_string();
        out.push(load(root, &tree, &resolved));
    }
    out
}

fn load(root: &SystemRoot, tree: &str, iniset: &str) -> Install {
    let text = root.read(iniset).unwrap_or_default();
    let mut version = None;
    let mut install_path = tree.to_string();
    for (i, line) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if let Some(v) = define_value(line, "RCMAIL_VERSION") {
            version = Some((v, n));
        } else if let Some(v) = define_value(line, "INSTALL_PATH") {
            install_path = v.trim_end_matches('/').to_string();
        }
    }
    let config_dir = format!("{install_path}/config");
    let mut settings = Settings::new();
    let defaults = format!("{config_dir}/defaults.inc.php");
    read_into(root, &defaults, &mut settings, 0);
    let main = format!("{config_dir}/config.inc.php");
    let config_file = root
        .exists(&main)
        .then(|| root.resolve(&main).map_or_else(|| main.clone(), |(p, _)| p));
    read_into(root, &main, &mut settings, 0);
    let mut install = Install {
        tree: tree.to_string(),
        install_path,
        version,
        settings,
        config_file,
    };
    // Plugin configurations (Roundcube loads plugins/<name>/config.inc.php;
    // managesieve starts from its config.inc.php.dist values).
    for plugin in install.plugins() {
        if !plugin
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            continue;
        }
        for file in ["config.inc.php.dist", "config.inc.php"] {
            let path = format!("{tree}/plugins/{plugin}/{file}");
            read_into(root, &path, &mut install.settings, 0);
        }
    }
    install
}

/// `define('NAME', 'value');` → value.
fn define_value(line: &str, name: &str) -> Option<String> {
    let l = line.trim();
    let rest = l.strip_prefix("define(")?.trim_start();
    let rest = rest
        .strip_prefix(&format!("'{name}'"))
        .or_else(|| rest.strip_prefix(&format!("\"{name}\"")))?;
    let rest = rest.trim_start().strip_prefix(',')?.trim_start();
    let q = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = rest[1..].find(q)?;
    Some(rest[1..1 + end].to_string())
}

fn read_into(root: &SystemRoot, path: &str, settings: &mut Settings, depth: usize) {
    if depth > MAX_INCLUDES {
        return;
    }
    let Some(_including) = root.enter(path) else {
        return;
    };
    let Some(text) = root.read(path) else { return };
    // Evidence names the file where it is (Debian: /etc/roundcube/…, not
    // the /var/lib/roundcube/config link).
    let path = root
        .resolve(path)
        .map_or_else(|| path.to_string(), |(p, _)| p);
    let file = php_config::parse(&path, &text);
    for inc in &file.includes {
        read_into(root, &join(&path, inc), settings, depth + 1);
    }
    for (k, s) in file.settings {
        settings.insert(k, s);
    }
}

/// Checks VAUD101, 103–108, 110 on one installation.
pub fn check(install: &Install, out: &mut Vec<Finding>) {
    let absent = || {
        install
            .config_file
            .clone()
            .unwrap_or_else(|| format!("{}/config/config.inc.php", install.install_path))
    };
    let at = |check, s: &Setting| Finding::new(check, &s.path, Some(s.line), s.text.clone());
    let mut push = |f: Finding| {
        let mut f = f;
        f.version = install.version.as_ref().map(|v| v.0.clone());
        out.push(f);
    };

    if let Some(s) = install.get("enable_installer").filter(|s| s.value.truthy()) {
        push(at(&RC_INSTALLER_ENABLED, s));
    }
    match install.get("des_key") {
        Some(s) => {
            // The default is published; a short key is guessable. 12 to 23
            // characters is below the 24 the default cipher (DES-EDE3-CBC)
            // takes, padded with NUL bytes, but random text of that length
            // is not guessable: low, not high.
            if let PhpValue::Str(k) = &s.value {
                let n = k.chars().count();
                if k == DEFAULT_DES_KEY || n < 12 {
                    push(at(&RC_DES_KEY, s));
                } else if n < 24 {
                    let mut f = at(&RC_DES_KEY, s).level(Level::Low);
                    f.evidence = format!(
                        "{} ({n} characters; the default cipher takes 24)",
                        f.evidence
                    );
                    push(f);
                }
            }
        }
        None => push(Finding::new(
            &RC_DES_KEY,
            &absent(),
            None,
            "des_key not set (Roundcube falls back to its published default)",
        )),
    }
    match install.get("ip_check") {
        Some(s) if !s.value.truthy() => push(at(&RC_IP_CHECK, s)),
        None => push(Finding::new(
            &RC_IP_CHECK,
            &absent(),
            None,
            "ip_check not set (default false)",
        )),
        _ => {}
    }
    match install.get("session_lifetime") {
        Some(s) if matches!(s.value, PhpValue::Int(m) if m == 0 || m > 60) => {
            push(at(&RC_SESSION_LIFETIME, s))
        }
        _ => {}
    }
    let plugins = install.plugins();
    let plugin_line = || {
        install
            .get("plugins")
            .map(|s| (s.path.clone(), s.line, s.text.clone()))
    };
    if plugins.iter().any(|p| p == "password")
        && let Some((path, line, text)) = plugin_line()
    {
        let mut f = Finding::new(&RC_PASSWORD_PLUGIN, &path, Some(line), text);
        if install
            .get("password_confirm_current")
            .is_some_and(|s| !s.value.truthy())
        {
            f.evidence.push_str(" (password_confirm_current is off)");
            f.level = Level::Medium;
        }
        push(f);
    }
    if plugins.iter().any(|p| p == "managesieve") {
        let domains_set = install
            .get("managesieve_domains")
            .is_some_and(|s| s.value.truthy());
        if !domains_set {
            let (path, line, text) = match install.get("managesieve_domains") {
                Some(s) => (s.path.clone(), Some(s.line), s.text.clone()),
                None => plugin_line()
                    .map_or((absent(), None, String::new()), |(p, l, t)| (p, Some(l), t)),
            };
            let mut f = Finding::new(&RC_SIEVE_REDIRECT, &path, line, text);
            if install
                .get("managesieve_forward")
                .is_some_and(|s| s.value.truthy())
            {
                f.evidence
                    .push_str(" (and managesieve_forward shows a Forward section)");
            }
            push(f);
        }
    }
    for key in ["im_convert_path", "im_identify_path"] {
        if let Some(s) = install.get(key)
            && let PhpValue::Str(p) = &s.value
            && p.contains([
                ';', '|', '&', '`', '$', '(', ')', '<', '>', '\n', '\'', '"', ' ',
            ])
        {
            push(at(&RC_IM_CONVERT, s));
        }
    }
    match install.get("log_logins") {
        Some(s) if !s.value.truthy() => push(at(&RC_NO_LOGIN_LOG, s)),
        None => push(Finding::new(
            &RC_NO_LOGIN_LOG,
            &absent(),
            None,
            "log_logins not set (default false)",
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_define() {
        assert_eq!(
            super::define_value("define('RCMAIL_VERSION', '1.6.5');", "RCMAIL_VERSION").as_deref(),
            Some("1.6.5")
        );
        assert_eq!(
            super::define_value(
                "    define('INSTALL_PATH', '/var/lib/roundcube/');",
                "INSTALL_PATH"
            )
            .as_deref(),
            Some("/var/lib/roundcube/")
        );
        assert_eq!(
            super::define_value("define('RCMAIL_VERSION_X', '1');", "RCMAIL_VERSION"),
            None
        );
    }
}
