//! Exim: Debian's debconf answers (`/etc/exim4/update-exim4.conf.conf`:
//! `dc_relay_nets`), and the configuration itself, split
//! (`/etc/exim4/conf.d/*/*`) or single (`exim4.conf.template`,
//! `/etc/exim4/exim4.conf`, `/etc/exim/exim.conf`): `hostlist
//! relay_from_hosts = …` and the `AUTH_SERVER_ALLOW_NOTLS_PASSWORDS` macro.

use crate::checks::*;
use crate::finding::Finding;
use crate::root::SystemRoot;

const DEBCONF: &str = "/etc/exim4/update-exim4.conf.conf";
const SINGLE: &[&str] = &[
    "/etc/exim4/exim4.conf",
    "/etc/exim/exim.conf",
    "/etc/exim4/exim4.conf.template",
];
/// Debian's own file of local macros, read by both layouts.
const LOCALMACROS: &str = "/etc/exim4/exim4.conf.localmacros";

/// Whether an Exim configuration is present.
pub fn present(root: &SystemRoot) -> bool {
    root.exists(DEBCONF)
        || SINGLE.iter().any(|p| root.exists(p))
        || root.is_dir("/etc/exim4/conf.d")
}

/// Checks VAUD411–412.
pub fn check(root: &SystemRoot, out: &mut Vec<Finding>) {
    if let Some(text) = root.read(DEBCONF) {
        for (i, l) in text.lines().enumerate() {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if let Some(v) = l.trim().strip_prefix("dc_relay_nets=") {
                let v = v.trim_matches(['\'', '"']);
                if v.split(':').any(|n| wide(n.trim())) {
                    out.push(Finding::new(&EXIM_RELAY, DEBCONF, Some(line), l.trim()));
                }
            }
        }
    }
    // The split configuration wins on Debian when dc_use_split_config is
    // true; reading both is harmless: a setting found is a setting present.
    let mut files: Vec<String> = SINGLE.iter().map(|s| (*s).to_string()).collect();
    for dir in root.glob("/etc/exim4/conf.d/*") {
        files.extend(root.glob(&format!("{dir}/*")));
    }
    files.push(LOCALMACROS.into());
    for path in files {
        let Some(text) = root.read(&path) else {
            continue;
        };
        for (i, l) in text.lines().enumerate() {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let t = l.trim();
            if t.starts_with('#') {
                continue;
            }
            if let Some(v) = t
                .strip_prefix("hostlist")
                .map(str::trim)
                .and_then(|r| r.strip_prefix("relay_from_hosts"))
            {
                let v = v.trim().trim_start_matches('=').trim();
                if v.split(':')
                    .any(|n| wide(n.trim().trim_start_matches('<').trim()))
                {
                    out.push(Finding::new(&EXIM_RELAY, &path, Some(line), t));
                }
            }
            if t.starts_with("AUTH_SERVER_ALLOW_NOTLS_PASSWORDS") {
                out.push(Finding::new(&EXIM_AUTH_NO_TLS, &path, Some(line), t));
            }
        }
    }
}

/// `*`, `0.0.0.0/0` or a prefix shorter than /8 (IPv6 /16).
fn wide(net: &str) -> bool {
    if net == "*" || net == "0.0.0.0/0" {
        return true;
    }
    match net.rsplit_once('/') {
        Some((a, l)) => l
            .parse::<u32>()
            .is_ok_and(|l| if a.contains(':') { l < 16 } else { l < 8 }),
        None => false,
    }
}
