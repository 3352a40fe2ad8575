//! Brute-force protection in front of the webmail and IMAP: fail2ban jails
//! (`jail.conf`, `jail.local`, `jail.d/*.conf|*.local`, later files win)
//! and CrowdSec collections (`/etc/crowdsec/collections/*.yaml`, installed
//! from the hub as links). Only what is enabled counts.

use std::collections::BTreeMap;

use crate::root::SystemRoot;

/// Which services a jail or collection covers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Protection {
    /// Something bans failed webmail logins (fail2ban `roundcube-auth`,
    /// `sogo-auth`, `horde`; a CrowdSec Roundcube collection).
    pub webmail: Option<String>,
    /// Something bans failed IMAP/POP3/ManageSieve logins (fail2ban
    /// `dovecot`, `sieve`; CrowdSec `dovecot`).
    pub imap: Option<String>,
}

const WEBMAIL: &[&str] = &["roundcube", "sogo", "horde", "squirrelmail", "webmail"];
const IMAP: &[&str] = &["dovecot", "sieve", "imap"];

/// Reads what protection is enabled.
pub fn read(root: &SystemRoot) -> Protection {
    // fail2ban: section -> (enabled, file:line).
    let mut jails: BTreeMap<String, (bool, String)> = BTreeMap::new();
    let mut files = vec!["/etc/fail2ban/jail.conf".to_string()];
    files.extend(root.glob("/etc/fail2ban/jail.d/*.conf"));
    files.push("/etc/fail2ban/jail.local".to_string());
    files.extend(root.glob("/etc/fail2ban/jail.d/*.local"));
    for path in files {
        let Some(text) = root.read(&path) else {
            continue;
        };
        let mut section = String::new();
        for (i, l) in text.lines().enumerate() {
            let t = l.trim();
            if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                section = name.trim().to_ascii_lowercase();
                continue;
            }
            if let Some((k, v)) = t.split_once('=')
                && k.trim() == "enabled"
                && section != "default"
            {
                let enabled =
                    matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "1");
                jails.insert(section.clone(), (enabled, format!("{path}:{}", i + 1)));
            }
        }
    }
    let mut p = Protection::default();
    for (name, (enabled, at)) in &jails {
        if !enabled {
            continue;
        }
        if p.webmail.is_none() && WEBMAIL.iter().any(|w| name.contains(w)) {
            p.webmail = Some(format!("fail2ban jail [{name}] ({at})"));
        }
        if p.imap.is_none() && IMAP.iter().any(|w| name.contains(w)) {
            p.imap = Some(format!("fail2ban jail [{name}] ({at})"));
        }
    }
    for c in root.glob("/etc/crowdsec/collections/*.yaml") {
        let name = c.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        if p.webmail.is_none() && WEBMAIL.iter().any(|w| name.contains(w)) {
            p.webmail = Some(format!("CrowdSec collection {c}"));
        }
        if p.imap.is_none() && IMAP.iter().any(|w| name.contains(w)) {
            p.imap = Some(format!("CrowdSec collection {c}"));
        }
    }
    p
}
