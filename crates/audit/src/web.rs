//! nginx and Apache: which folders they serve (nginx `root`/`alias`,
//! Apache `DocumentRoot`/`Alias`), which paths they deny, and whether a
//! Roundcube tree's internals are reachable through them (VAUD102, VAUD109),
//! plus folder listing (VAUD601).
//!
//! Only what the servers load is read: nginx from `/etc/nginx/nginx.conf`
//! through its `include`s (so `sites-enabled/`, not `sites-available/`),
//! Apache from `apache2.conf` (Debian) or `httpd.conf` (RPM) through
//! `Include`/`IncludeOptional`.

use crate::checks::*;
use crate::finding::{Finding, Level};
use crate::root::{SystemRoot, join};
use crate::roundcube::Install;

const NGINX_CONF: &str = "/etc/nginx/nginx.conf";
const APACHE_CONFS: &[&str] = &["/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf"];
const MAX_DEPTH: usize = 16;
/// Roundcube folders that must not be served, and the check for each.
const INTERNALS: &[(&str, &Check, Level)] = &[
    ("config", &RC_INTERNALS_SERVED, Level::High),
    ("logs", &RC_INTERNALS_SERVED, Level::Medium),
    ("temp", &RC_INTERNALS_SERVED, Level::Medium),
    ("installer", &RC_INSTALLER_SERVED, Level::Medium),
];

/// A folder a web server serves, with the directive that serves it.
#[derive(Debug, Clone)]
pub struct Served {
    /// `nginx` or `apache`.
    pub server: &'static str,
    /// The folder (system path, as written).
    pub dir: String,
    /// Config file and line of the directive.
    pub path: String,
    /// Line.
    pub line: u32,
    /// The directive as written.
    pub text: String,
}

/// What the web servers' configurations say.
#[derive(Debug, Default)]
pub struct Web {
    /// Served folders.
    pub served: Vec<Served>,
    /// Lowercased arguments of nginx locations (or Apache sections) that
    /// deny access (`deny all`, `return 403/404`, `internal`,
    /// `Require all denied`), and Apache rewrite rules that forbid (`[F]`).
    pub denied: Vec<String>,
    /// Apache folders with `AllowOverride All` (Roundcube's `.htaccess` then
    /// applies).
    pub override_all: Vec<String>,
    /// Directory listing switched on: (path, line, text).
    pub listing: Vec<(String, u32, String)>,
    /// Whether any configuration was found.
    pub present: bool,
}

/// Reads nginx and Apache configurations.
pub fn read(root: &SystemRoot) -> Web {
    let mut web = Web::default();
    if root.exists(NGINX_CONF) {
        web.present = true;
        let mut stack = Vec::new();
        nginx_file(root, NGINX_CONF, &mut stack, &mut web, 0);
    }
    for conf in APACHE_CONFS {
        if root.exists(conf) {
            web.present = true;
            let server_root = conf
                .rsplit_once('/')
                .map_or("/", |(d, _)| d)
                .trim_end_matches("/conf");
            let mut section: Vec<(String, bool)> = Vec::new();
            apache_file(root, conf, server_root, &mut section, &mut web, 0);
        }
    }
    web
}

fn nginx_file(root: &SystemRoot, path: &str, stack: &mut Vec<String>, web: &mut Web, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(_including) = root.enter(path) else {
        return;
    };
    let Some(text) = root.read(path) else { return };
    let path = &root.real_path(path);
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut line = 1u32;
    let mut start = 1u32;
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                flush(&mut word, &mut words);
            }
            '#' => {
                flush(&mut word, &mut words);
                while chars.peek().is_some_and(|c| *c != '\n') {
                    chars.next();
                }
            }
            '"' | '\'' => {
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    if q == '\n' {
                        line += 1;
                    }
                    word.push(q);
                }
            }
            ';' => {
                flush(&mut word, &mut words);
                nginx_directive(root, path, &words, start, stack, web, depth);
                words.clear();
            }
            '{' => {
                flush(&mut word, &mut words);
                stack.push(words.join(" ").to_ascii_lowercase());
                words.clear();
            }
            '}' => {
                flush(&mut word, &mut words);
                words.clear();
                stack.pop();
            }
            c if c.is_whitespace() => flush(&mut word, &mut words),
            c => {
                if words.is_empty() && word.is_empty() {
                    start = line;
                }
                word.push(c);
            }
        }
    }
}

fn nginx_directive(
    root: &SystemRoot,
    path: &str,
    words: &[String],
    line: u32,
    stack: &mut Vec<String>,
    web: &mut Web,
    depth: usize,
) {
    let Some(name) = words.first() else { return };
    let arg = words.get(1).map_or("", String::as_str);
    match name.as_str() {
        "include" => {
            let pattern = join(NGINX_CONF, arg);
            for file in root.glob(&pattern) {
                nginx_file(root, &file, stack, web, depth + 1);
            }
        }
        "root" | "alias" => web.served.push(Served {
            server: "nginx",
            dir: arg.to_string(),
            path: path.to_string(),
            line,
            text: words.join(" "),
        }),
        "deny" if arg == "all" => deny_here(stack, web),
        "internal" => deny_here(stack, web),
        "return" if arg.starts_with("40") => deny_here(stack, web),
        "autoindex" if arg == "on" => web.listing.push((path.to_string(), line, words.join(" "))),
        _ => {}
    }
}

fn deny_here(stack: &[String], web: &mut Web) {
    if let Some(loc) = stack.iter().rev().find(|s| s.starts_with("location")) {
        web.denied.push(loc.clone());
    }
}

fn apache_file(
    root: &SystemRoot,
    path: &str,
    server_root: &str,
    section: &mut Vec<(String, bool)>,
    web: &mut Web,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(_including) = root.enter(path) else {
        return;
    };
    let Some(text) = root.read(path) else { return };
    let path = &root.real_path(path);
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(close) = t.strip_prefix("</") {
            let name = close.trim_end_matches('>').to_ascii_lowercase();
            if name.starts_with("directory")
                || name.starts_with("location")
                || name.starts_with("files")
            {
                section.pop();
            }
            continue;
        }
        if let Some(open) = t.strip_prefix('<') {
            let open = open.trim_end_matches('>');
            let lower = open.to_ascii_lowercase();
            if lower.starts_with("directory")
                || lower.starts_with("location")
                || lower.starts_with("files")
            {
                let arg = open
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, a)| a)
                    .trim()
                    .trim_matches('"');
                section.push((arg.to_string(), false));
            }
            continue;
        }
        let mut words = t.split_whitespace();
        let name = words.next().unwrap_or("").to_ascii_lowercase();
        let args: Vec<&str> = words.map(|w| w.trim_matches('"')).collect();
        let lower_args = args.join(" ").to_ascii_lowercase();
        match name.as_str() {
            "include" | "includeoptional" => {
                let pattern = if args.first().is_some_and(|a| a.starts_with('/')) {
                    args[0].to_string()
                } else {
                    format!("{server_root}/{}", args.first().unwrap_or(&""))
                };
                for file in root.glob(&pattern) {
                    apache_file(root, &file, server_root, section, web, depth + 1);
                }
            }
            "documentroot" => web.served.push(Served {
                server: "apache",
                dir: args.first().unwrap_or(&"").to_string(),
                path: path.into(),
                line,
                text: t.into(),
            }),
            "alias" if args.len() >= 2 => web.served.push(Served {
                server: "apache",
                dir: args[1].to_string(),
                path: path.into(),
                line,
                text: t.into(),
            }),
            "require" if lower_args == "all denied" => apache_deny(section, web),
            "deny" if lower_args == "from all" => apache_deny(section, web),
            "rewriterule" if lower_args.contains("[f") => web.denied.push(lower_args.clone()),
            "allowoverride" if lower_args == "all" => {
                if let Some((dir, _)) = section.last() {
                    web.override_all.push(dir.clone());
                }
            }
            "options"
                if args.iter().any(|a| {
                    a.eq_ignore_ascii_case("indexes") || a.eq_ignore_ascii_case("+indexes")
                }) =>
            {
                web.listing.push((path.to_string(), line, t.to_string()));
            }
            _ => {}
        }
    }
}

fn apache_deny(section: &mut [(String, bool)], web: &mut Web) {
    if let Some((arg, denied)) = section.last_mut()
        && !*denied
    {
        *denied = true;
        web.denied.push(arg.to_ascii_lowercase());
    }
}

/// Checks VAUD102, VAUD109 and VAUD601.
pub fn check(root: &SystemRoot, web: &Web, installs: &[Install], out: &mut Vec<Finding>) {
    for (path, line, text) in &web.listing {
        out.push(Finding::new(
            &WEB_DIRECTORY_LISTING,
            path,
            Some(*line),
            text.clone(),
        ));
    }
    for install in installs {
        let tree_paths: Vec<String> = [install.tree.as_str(), install.install_path.as_str()]
            .iter()
            .filter_map(|p| root.resolve(p).map(|(s, _)| s))
            .collect();
        for served in &web.served {
            let Some((dir, _)) = root.resolve(&served.dir) else {
                continue;
            };
            if !tree_paths.contains(&dir.trim_end_matches('/').to_string()) {
                continue;
            }
            for (sub, check, level) in INTERNALS {
                let subdir = format!("{}/{sub}", served.dir.trim_end_matches('/'));
                if !root.exists(&subdir) || denied(root, web, served, sub) {
                    continue;
                }
                let mut f = Finding::new(
                    check,
                    &served.path,
                    Some(served.line),
                    format!(
                        "{} serves {}/ ({} not denied)",
                        served.text, served.dir, subdir
                    ),
                );
                f.level = *level;
                f.version = install.version.as_ref().map(|v| v.0.clone());
                out.push(f);
            }
        }
    }
}

/// Whether `sub` (a Roundcube folder) is denied for what `served` serves.
fn denied(root: &SystemRoot, web: &Web, served: &Served, sub: &str) -> bool {
    let mentions = |d: &String| d.contains(sub);
    if web.denied.iter().any(mentions) {
        return true;
    }
    // Apache with AllowOverride All on the tree: Roundcube's own .htaccess
    // forbids these folders with a RewriteRule … [F] (Debian: /etc/roundcube/htaccess).
    if served.server == "apache"
        && web
            .override_all
            .iter()
            .any(|d| d.trim_end_matches('/') == served.dir.trim_end_matches('/'))
        && let Some(ht) = root.read(&format!("{}/.htaccess", served.dir.trim_end_matches('/')))
    {
        return ht.lines().any(|l| {
            let l = l.trim().to_ascii_lowercase();
            l.starts_with("rewriterule") && l.contains(sub) && l.contains("[f")
        });
    }
    false
}
