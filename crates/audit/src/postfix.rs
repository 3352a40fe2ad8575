//! Postfix `main.cf` and `master.cf` (formats in `postconf(5)` and
//! `master(5)`): `name = value` with indented continuation lines; master.cf
//! service lines with `-o name=value` overrides on continuation lines.

use std::collections::BTreeMap;

use crate::checks::*;
use crate::finding::Finding;
use crate::root::SystemRoot;

/// main.cf path.
pub const MAIN_CF: &str = "/etc/postfix/main.cf";
/// master.cf path.
pub const MASTER_CF: &str = "/etc/postfix/master.cf";

/// A parameter with where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Value (continuations joined with a space).
    pub value: String,
    /// System path.
    pub path: String,
    /// Line of the `name =`.
    pub line: u32,
}

/// One `smtpd` service of master.cf.
#[derive(Debug, Clone)]
pub struct Service {
    /// Service name (`smtp`, `submission`, `127.0.0.1:25`).
    pub name: String,
    /// Line of the service.
    pub line: u32,
    /// `-o` overrides.
    pub overrides: BTreeMap<String, Param>,
}

/// The Postfix configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// main.cf parameters (last wins).
    pub main: BTreeMap<String, Param>,
    /// smtpd services from master.cf.
    pub services: Vec<Service>,
    /// Whether main.cf exists.
    pub present: bool,
}

/// Reads main.cf and master.cf.
pub fn read(root: &SystemRoot) -> Config {
    let mut cfg = Config::default();
    let Some(text) = root.read(MAIN_CF) else {
        return cfg;
    };
    cfg.present = true;
    for (line, l) in logical_lines(&text) {
        if let Some((k, v)) = l.split_once('=') {
            cfg.main.insert(
                k.trim().to_string(),
                Param {
                    value: v.trim().to_string(),
                    path: MAIN_CF.into(),
                    line,
                },
            );
        }
    }
    if let Some(text) = root.read(MASTER_CF) {
        // A service line, then indented continuation lines; each `-o`
        // keeps its own physical line as evidence.
        let mut current: Option<Service> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut words: Vec<&str> = t.split_whitespace().collect();
            if !raw.starts_with([' ', '\t']) {
                cfg.services.extend(current.take());
                // name type private unpriv chroot wakeup maxproc command
                if words.len() >= 8 && words[1] == "inet" && words[7].starts_with("smtpd") {
                    current = Some(Service {
                        name: words[0].to_string(),
                        line,
                        overrides: BTreeMap::new(),
                    });
                }
                words.drain(..words.len().min(8));
            }
            let Some(svc) = current.as_mut() else {
                continue;
            };
            let mut w = words.iter();
            while let Some(word) = w.next() {
                if *word == "-o"
                    && let Some((k, v)) = w.next().and_then(|o| o.split_once('='))
                {
                    svc.overrides.insert(
                        k.to_string(),
                        Param {
                            value: v.to_string(),
                            path: MASTER_CF.into(),
                            line,
                        },
                    );
                }
            }
        }
        cfg.services.extend(current);
    }
    cfg
}

/// Joins continuation lines (leading whitespace), drops comments and blanks.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(t);
            }
            continue;
        }
        out.push((line, t.to_string()));
    }
    out
}

/// Parameter value for a service: its `-o`, else main.cf, else `default`.
fn param<'a>(cfg: &'a Config, svc: Option<&'a Service>, name: &str) -> Option<&'a Param> {
    svc.and_then(|s| s.overrides.get(name))
        .or_else(|| cfg.main.get(name))
}

fn list(v: &str) -> Vec<&str> {
    v.split([',', ' ', '\t'])
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether a network in mynetworks reaches far beyond a site (IPv4 prefix
/// shorter than /8, IPv6 shorter than /16, or everything).
fn wide(net: &str) -> bool {
    let net = net.trim_matches(['[', ']']);
    let (addr, len) = match net.rsplit_once('/') {
        Some((a, l)) => (
            a.trim_end_matches(']').trim_start_matches('['),
            l.parse::<u32>().unwrap_or(128),
        ),
        None => return false,
    };
    if addr.contains(':') {
        len < 16
    } else {
        len < 8
    }
}

/// Checks VAUD401–404.
pub fn check(cfg: &Config, out: &mut Vec<Finding>) {
    if !cfg.present {
        return;
    }
    let at = |check, name: &str, p: &Param| {
        Finding::new(
            check,
            &p.path,
            Some(p.line),
            format!("{name} = {}", p.value),
        )
    };
    if let Some(p) = cfg.main.get("mynetworks")
        && list(&p.value).iter().any(|n| wide(n))
    {
        out.push(at(&POSTFIX_MYNETWORKS, "mynetworks", p));
    }
    // Relay decision: smtpd_relay_restrictions (2.10+), else recipient restrictions.
    let mut services: Vec<Option<&Service>> = vec![None];
    services.extend(cfg.services.iter().map(Some));
    for svc in &services {
        for name in ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"] {
            let Some(p) = param(cfg, *svc, name) else {
                continue;
            };
            let items = list(&p.value);
            let refuse = items.iter().position(|r| {
                matches!(
                    *r,
                    "reject_unauth_destination" | "defer_unauth_destination" | "reject"
                )
            });
            let permit = items.iter().position(|r| *r == "permit");
            if permit.is_some_and(|pp| refuse.is_none_or(|r| pp < r)) {
                let mut f = at(&POSTFIX_RELAY, name, p);
                if let Some(s) = svc {
                    f.evidence = format!("{} (service {})", f.evidence, s.name);
                }
                out.push(f);
            }
        }
    }
    // SASL where TLS is optional and AUTH is not limited to TLS.
    let loopback = cfg
        .main
        .get("inet_interfaces")
        .filter(|p| crate::root::loopback_only(&p.value));
    let mut rate_done = false;
    for svc in &services {
        if svc.is_none() && !cfg.services.is_empty() {
            continue; // main.cf alone speaks through its services
        }
        let Some(sasl) = param(cfg, *svc, "smtpd_sasl_auth_enable").filter(|p| p.value == "yes")
        else {
            continue;
        };
        let level = param(cfg, *svc, "smtpd_tls_security_level").map_or("", |p| p.value.as_str());
        let auth_only = param(cfg, *svc, "smtpd_tls_auth_only").is_some_and(|p| p.value == "yes");
        let wrapper = param(cfg, *svc, "smtpd_tls_wrappermode").is_some_and(|p| p.value == "yes");
        if level != "encrypt" && !auth_only && !wrapper {
            let mut f = at(&POSTFIX_SASL_NO_TLS, "smtpd_sasl_auth_enable", sasl);
            f.evidence = format!(
                "{} (service {}, smtpd_tls_security_level = {})",
                f.evidence,
                svc.map_or("main.cf", |s| s.name.as_str()),
                if level.is_empty() { "none" } else { level }
            );
            if let Some(l) = loopback {
                f.level = crate::finding::Level::Low;
                f.evidence = format!(
                    "{} (listens on loopback only: inet_interfaces = {}, {}:{})",
                    f.evidence, l.value, l.path, l.line
                );
            }
            out.push(f);
        }
        if !rate_done
            && param(cfg, *svc, "smtpd_client_auth_rate_limit").is_none_or(|p| p.value == "0")
        {
            rate_done = true;
            let mut f = at(&POSTFIX_NO_RATE, "smtpd_sasl_auth_enable", sasl);
            f.evidence
                .push_str(" with smtpd_client_auth_rate_limit unset (0: unlimited)");
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wide_networks() {
        for (n, w) in [
            ("0.0.0.0/0", true),
            ("10.0.0.0/8", false),
            ("1.0.0.0/4", true),
            ("[::]/0", true),
            ("[::1]/128", false),
            ("127.0.0.0/8", false),
            ("host", false),
        ] {
            assert_eq!(super::wide(n), w, "{n}");
        }
    }
}
