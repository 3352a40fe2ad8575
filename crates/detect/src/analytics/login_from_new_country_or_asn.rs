//! VA006 `login_from_new_country_or_asn`.
//!
//! ## What it detects
//! With `--geoip` and/or `--asn` databases: a successful login to an account
//! from a country or an autonomous system that none of the account's earlier
//! logins came from, once the account is out of its warm-up (rolling
//! baseline, [`super::Baseline`]).
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
//! Travel, roaming; an account's first week (its warm-up), and addresses the
//! databases do not know, are left out.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts); THREATS.md §5 detection idea 14.

use std::collections::BTreeSet;

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
        let mut found = Vec::new();
        for (user, addresses) in facts.logins.by_first_seen() {
            let Some(&(first, _, _)) = addresses.first() else {
                continue;
            };
            let judged = facts.baseline.judged_from(first);
            // What the account's logins came from so far, in time order.
            let mut countries: BTreeSet<String> = BTreeSet::new();
            let mut asns: BTreeSet<u32> = BTreeSet::new();
            for (t, source, h) in &addresses {
                let country = geo.country(*source);
                let asn = geo.asn(*source);
                let new_country = country
                    .as_ref()
                    .filter(|c| *t >= judged && !countries.is_empty() && !countries.contains(*c));
                let new_asn = asn.filter(|a| *t >= judged && !asns.is_empty() && !asns.contains(a));
                let mut what = Vec::new();
                if let Some(c) = new_country {
                    let known: Vec<&str> = countries.iter().map(String::as_str).collect();
                    what.push(format!("country {c} (before: {})", known.join(", ")));
                }
                if let Some(a) = new_asn {
                    let known: Vec<String> = asns.iter().map(|n| format!("AS{n}")).collect();
                    what.push(format!("AS{a} (before: {})", known.join(", ")));
                }
                if !what.is_empty() {
                    let level = if new_country.is_some() {
                        "medium"
                    } else {
                        "low"
                    };
                    let refs: Vec<&LoginRef> = h.first.iter().collect();
                    let reason = format!(
                        "{user} logged in from {source}: {}; {}",
                        what.join("; "),
                        facts.baseline.compared(
                            first,
                            "the countries and operators of its earlier addresses"
                        )
                    );
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
                countries.extend(country);
                asns.extend(asn);
            }
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
            ("alice", "192.0.2.77", 8 * 1440),
            ("alice", "198.51.100.66", 8 * 1440 + 1),
            ("bob", "203.0.113.5", 2),
            ("bob", "198.51.100.9", 8 * 1440 + 2),
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
                until: Timestamp::from_unix(0, 0),
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
            found[0].reason.contains("country RU (before: FR)"),
            "{}",
            found[0].reason
        );
        assert!(found[0].reason.contains("AS64511"));
        assert_eq!(found[0].level, "medium");
    }
}
