//! VA006 `login_from_new_country_or_asn`.
//!
//! ## What it detects
//! With `--geoip` and/or `--asn` databases: a successful login to an account
//! from a country or an autonomous system that none of the account's baseline
//! logins came from.
//!
//! ## Why it matters
//! Intruders log in through VPS providers and anonymising networks far from
//! the victim's usual providers: a new ASN is a stronger sign than a new
//! address, and a new country stronger still.
//!
//! ## Example
//! alice's baseline logins all come from AS64500 in France; a login from
//! AS64511 in another country follows.
//!
//! ## False positives
//! Travel, roaming; accounts without baseline logins, and addresses the
//! databases do not know, are left out.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts); THREATS.md §5 detection idea 14.

use std::collections::{HashMap, HashSet};

use vigie_event::Finding;

use super::{Analytic, Facts, LoginRef, finding};

/// See the module documentation.
pub struct LoginFromNewCountryOrAsn;

impl Analytic for LoginFromNewCountryOrAsn {
    fn code(&self) -> &'static str {
        "VA006"
    }

    fn title(&self) -> &'static str {
        "Login from a country or network operator new for the account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let Some(geo) = facts.geo else {
            return Vec::new();
        };
        let until = facts.baseline.until;
        let mut countries: HashMap<&str, HashSet<String>> = HashMap::new();
        let mut asns: HashMap<&str, HashSet<u32>> = HashMap::new();
        for ((user, source), h) in &facts.logins.sources {
            if h.first.first().is_some_and(|l| l.timestamp < until) {
                countries
                    .entry(user)
                    .or_default()
                    .extend(geo.country(*source));
                asns.entry(user).or_default().extend(geo.asn(*source));
            }
        }
        let mut found = Vec::new();
        for ((user, source), h) in &facts.logins.sources {
            if h.first.first().is_none_or(|l| l.timestamp < until) {
                continue;
            }
            let country = geo.country(*source);
            let asn = geo.asn(*source);
            let known_countries = countries.get(&**user).filter(|c| !c.is_empty());
            let known_asns = asns.get(&**user).filter(|a| !a.is_empty());
            let new_country = country
                .as_ref()
                .zip(known_countries)
                .filter(|(c, known)| !known.contains(*c));
            let new_asn = asn.zip(known_asns).filter(|(a, known)| !known.contains(a));
            if new_country.is_none() && new_asn.is_none() {
                continue;
            }
            let mut what = Vec::new();
            if let Some((c, known)) = new_country {
                let mut known: Vec<&str> = known.iter().map(String::as_str).collect();
                known.sort_unstable();
                what.push(format!("country {c} (baseline: {})", known.join(", ")));
            }
            if let Some((a, known)) = new_asn {
                let mut known: Vec<String> = known.iter().map(|n| format!("AS{n}")).collect();
                known.sort();
                what.push(format!("AS{a} (baseline: {})", known.join(", ")));
            }
            let level = if new_country.is_some() {
                "medium"
            } else {
                "low"
            };
            let refs: Vec<&LoginRef> = h.first.iter().collect();
            let reason = format!("{user} logged in from {source}: {}", what.join("; "));
            found.extend(finding(
                self,
                level,
                &["T1078"],
                user,
                &refs,
                h.count,
                reason,
            ));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::history;
    use crate::analytics::{Baseline, VolumeHistory};
    use crate::geo::{GeoDb, tests::databases};
    use vigie_event::Timestamp;

    #[test]
    fn a_login_from_another_country_and_operator() {
        let dir = std::env::temp_dir().join(format!("vigie-va006-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (country, asn) = databases(&dir);
        let geo = GeoDb::open(Some(&country), Some(&asn)).unwrap();
        let logins = history(&[
            ("alice", "192.0.2.10", 1),
            ("alice", "192.0.2.77", 20),
            ("alice", "198.51.100.66", 21),
            ("bob", "203.0.113.5", 2),
            ("bob", "198.51.100.9", 22),
        ]);
        let facts = Facts {
            logins: &logins,
            volumes: &VolumeHistory::default(),
            outbound: &crate::analytics::OutboundHistory::default(),
            web_reading: &crate::analytics::WebReadingHistory::default(),
            failures: &crate::analytics::FailureHistory::default(),
            downloads: &crate::analytics::DownloadHistory::default(),
            geo: Some(&geo),
            baseline: Baseline {
                until: Timestamp::from_unix(10 * 60, 0),
            },
            findings: &[],
        };
        let found = LoginFromNewCountryOrAsn.run(&facts);
        std::fs::remove_dir_all(&dir).ok();
        // alice's second French address is not new; the Russian one is. bob's
        // baseline address is unknown to the databases: nothing to compare with.
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.66"));
        assert!(
            found[0].reason.contains("country RU (baseline: FR)"),
            "{}",
            found[0].reason
        );
        assert!(found[0].reason.contains("AS64511"));
        assert_eq!(found[0].level, "medium");
    }
}
