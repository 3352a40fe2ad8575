//! PHP's ini settings that matter to a webmail (`php.ini` and the
//! `conf.d/*.ini` of each SAPI under `/etc/php/<version>/`, Debian, or
//! `/etc/php.ini` and `/etc/php.d/`, RPM): VAUD701–702. A later file
//! overrides an earlier one, as PHP scans them.

use crate::checks::*;
use crate::finding::Finding;
use crate::root::SystemRoot;

/// Ini files in the order PHP reads them, per SAPI that serves web pages.
fn files(root: &SystemRoot) -> Vec<Vec<String>> {
    let mut sets = Vec::new();
    for version in root.glob("/etc/php/*") {
        for sapi in ["fpm", "apache2", "cgi"] {
            let ini = format!("{version}/{sapi}/php.ini");
            if root.exists(&ini) {
                let mut set = vec![ini];
                set.extend(root.glob(&format!("{version}/{sapi}/conf.d/*.ini")));
                sets.push(set);
            }
        }
    }
    if root.exists("/etc/php.ini") {
        let mut set = vec!["/etc/php.ini".to_string()];
        set.extend(root.glob("/etc/php.d/*.ini"));
        sets.push(set);
    }
    sets
}

fn on(v: &str) -> bool {
    matches!(
        v.trim().trim_matches('"').to_ascii_lowercase().as_str(),
        "on" | "1" | "yes" | "true" | "stdout" | "stderr"
    )
}

/// Checks VAUD701–702.
pub fn check(root: &SystemRoot, out: &mut Vec<Finding>) {
    for set in files(root) {
        let mut url_include = None;
        let mut display = None;
        for path in &set {
            let Some(text) = root.read(path) else {
                continue;
            };
            for (i, l) in text.lines().enumerate() {
                let t = l.trim();
                if t.starts_with(';') || t.starts_with('[') {
                    continue;
                }
                let Some((k, v)) = t.split_once('=') else {
                    continue;
                };
                let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
                let hit = on(v).then(|| (path.clone(), line, t.to_string()));
                match k.trim() {
                    "allow_url_include" => url_include = hit,
                    "display_errors" => display = hit,
                    _ => {}
                }
            }
        }
        if let Some((p, l, t)) = url_include {
            out.push(Finding::new(&PHP_URL_INCLUDE, &p, Some(l), t));
        }
        if let Some((p, l, t)) = display {
            out.push(Finding::new(&PHP_DISPLAY_ERRORS, &p, Some(l), t));
        }
    }
}
