//! VA004 `account_takeover_chain`.
//!
//! ## What it detects
//! One intrusion told as one finding: a credential attack (ATT&CK T1110)
//! followed by collection, persistence or exfiltration (T1114, T1087, T1111,
//! T1020, T1030, T1041, T1534), the findings being about the same account or
//! the same source address, in that order.
//!
//! ## Why it matters
//! Each step alone is a line in a long list; the chain is what the analyst
//! has to report: who got in, from where, and what they did next.
//!
//! ## Example
//! Webmail brute force on alice from 185.220.101.66, then a login from it,
//! then the address book exported and a Sieve redirect saved from it.
//!
//! ## False positives
//! A user who mistypes a password a few times and then archives mail; the
//! chain needs a credential-attack finding (high or critical) first.
//! Findings are not linked through an address shared by more than five
//! accounts (a reverse proxy, a backup host, an office NAT), nor through
//! informational ones, nor through the address of a login-novelty finding
//! (VA001, VA002: most often a phone's carrier address, shared by chance).
//!
//! ## References
//! THREATS.md §2 (post-exploitation); ATT&CK T1110, T1078, T1114.

use std::collections::{BTreeSet, HashMap};

use vigie_event::{EVIDENCE_KEPT, Entity, Evidence, Finding};

use super::{Analytic, Facts};

/// See the module documentation.
pub struct AccountTakeoverChain;

/// Accounts past which an address's findings are not linked through it.
const SHARED_BY: usize = 5;

fn is_credential_attack(f: &Finding) -> bool {
    matches!(f.level.as_str(), "high" | "critical")
        && f.attack.iter().any(|a| a.starts_with("T1110"))
}

fn is_follow_up(f: &Finding) -> bool {
    const AFTER: [&str; 7] = [
        "T1114", "T1087", "T1111", "T1020", "T1030", "T1041", "T1534",
    ];
    f.level != "informational"
        && f.attack
            .iter()
            .any(|a| AFTER.iter().any(|p| a.starts_with(p)))
}

impl Analytic for AccountTakeoverChain {
    fn code(&self) -> &'static str {
        "VA004"
    }

    fn title(&self) -> &'static str {
        "Account takeover: credential attack, then collection or persistence"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let findings: Vec<&Finding> = facts
            .findings
            .iter()
            .filter(|f| f.rule_id != self.code() && f.level != "informational")
            .collect();
        // An address behind which many accounts act (a proxy, a backup host,
        // an office NAT) says nothing about one actor: it links nothing.
        let mut users_of: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for f in &findings {
            if let (Some(ip), Some(user)) =
                (f.entity.source_ip.as_deref(), f.entity.user.as_deref())
            {
                users_of.entry(ip).or_default().insert(user);
            }
        }
        let shared = |ip: &str| users_of.get(ip).is_some_and(|u| u.len() > SHARED_BY);
        // Findings are linked when they share an account or a source address;
        // each linked group is one candidate chain.
        let mut group: Vec<usize> = (0..findings.len()).collect();
        fn root(group: &mut [usize], mut i: usize) -> usize {
            while group[i] != i {
                group[i] = group[group[i]];
                i = group[i];
            }
            i
        }
        // Linear: each finding joins the first finding seen with its account
        // and the first seen with its source.
        let mut first_of: HashMap<(bool, &str), usize> = HashMap::new();
        for (i, f) in findings.iter().enumerate() {
            let keys = [
                (true, f.entity.user.as_deref()),
                (false, f.entity.source_ip.as_deref()),
            ];
            for (is_user, key) in keys {
                // A login-novelty finding's address is most often the
                // account's own phone or home: it links no other account.
                let novelty = matches!(f.rule_id.as_str(), "VA001" | "VA002");
                let Some(key) = key.filter(|k| is_user || !(shared(k) || novelty)) else {
                    continue;
                };
                let j = *first_of.entry((is_user, key)).or_insert(i);
                let (ri, rj) = (root(&mut group, i), root(&mut group, j));
                group[ri] = rj;
            }
        }
        let mut chains = Vec::new();
        let mut groups: HashMap<usize, Vec<&Finding>> = HashMap::new();
        for (i, f) in findings.iter().enumerate() {
            groups.entry(root(&mut group, i)).or_default().push(f);
        }
        for mut members in groups.into_values() {
            // A total order: findings reach the analytics in an order that
            // depends on thread timing, and steps of equal time would
            // otherwise list (and title the chain) in that order.
            members.sort_by(|a, b| step_order(a).cmp(&step_order(b)));
            let Some(start) = members.iter().position(|f| is_credential_attack(f)) else {
                continue;
            };
            let attack_time = members[start].first_seen;
            let steps: Vec<&Finding> = members
                .iter()
                .copied()
                .filter(|f| {
                    f.first_seen >= attack_time
                        && (is_credential_attack(f)
                            || is_follow_up(f)
                            || f.attack.iter().any(|a| a.starts_with("T1078")))
                })
                .collect();
            if !steps.iter().any(|f| is_follow_up(f)) {
                continue;
            }
            chains.push(chain_finding(self, &steps));
        }
        chains
    }
}

/// The key a chain's steps are listed by: time first, then what the finding
/// is and whom it is about, so equal times list the same way every run.
fn step_order(f: &Finding) -> impl Ord + '_ {
    (
        f.first_seen,
        f.last_seen,
        f.rule_id.as_str(),
        &f.entity,
        f.title.as_str(),
        f.count,
        f.evidence.first(),
    )
}

fn chain_finding(analytic: &AccountTakeoverChain, steps: &[&Finding]) -> Finding {
    let users: BTreeSet<&str> = steps
        .iter()
        .filter_map(|f| f.entity.user.as_deref())
        .collect();
    let sources: BTreeSet<&str> = steps
        .iter()
        .filter_map(|f| f.entity.source_ip.as_deref())
        .collect();
    let attack: BTreeSet<String> = steps
        .iter()
        .flat_map(|f| f.attack.iter().cloned())
        .collect();
    let mut evidence: Vec<Evidence> = steps
        .iter()
        .flat_map(|f| f.evidence.iter().cloned())
        .collect();
    evidence.sort();
    evidence.dedup();
    evidence.truncate(EVIDENCE_KEPT);
    let mut titles: Vec<&str> = Vec::new();
    for f in steps {
        if !titles.contains(&f.title.as_str()) {
            titles.push(&f.title);
        }
    }
    let join = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
    Finding {
        rule_id: analytic.code().to_string(),
        title: analytic.title().to_string(),
        level: "critical".to_string(),
        attack: attack.into_iter().collect(),
        entity: Entity {
            user: (users.len() == 1).then(|| join(&users)),
            source_ip: (sources.len() == 1).then(|| join(&sources)),
            session: None,
        },
        first_seen: steps.iter().map(|f| f.first_seen).min().unwrap_or_default(),
        last_seen: steps.iter().map(|f| f.last_seen).max().unwrap_or_default(),
        count: steps.len() as u64,
        evidence,
        reason: format!(
            "accounts [{}] from [{}]: {}",
            join(&users),
            join(&sources),
            titles.join(" → ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{Baseline, LoginHistory, VolumeHistory};
    use vigie_event::Timestamp;

    fn finding(
        title: &str,
        level: &str,
        attack: &str,
        user: Option<&str>,
        source: Option<&str>,
        minute: i64,
    ) -> Finding {
        Finding {
            rule_id: title.into(),
            title: title.into(),
            level: level.into(),
            attack: vec![attack.into()],
            entity: Entity {
                user: user.map(Into::into),
                source_ip: source.map(Into::into),
                session: None,
            },
            first_seen: Timestamp::from_unix(minute * 60, 0),
            last_seen: Timestamp::from_unix(minute * 60, 0),
            count: 1,
            evidence: vec![Evidence {
                path: "log".into(),
                line: minute as u64,
                part: None,
            }],
            reason: String::new(),
        }
    }

    fn run(findings: &[Finding]) -> Vec<Finding> {
        let logins = LoginHistory::default();
        AccountTakeoverChain.run(&Facts {
            logins: &logins,
            volumes: &VolumeHistory::default(),
            outbound: &crate::analytics::OutboundHistory::default(),
            web_reading: &crate::analytics::WebReadingHistory::default(),
            failures: &crate::analytics::FailureHistory::default(),
            downloads: &crate::analytics::DownloadHistory::default(),
            geo: None,
            baseline: Baseline {
                until: Timestamp::default(),
            },
            findings,
        })
    }

    #[test]
    fn brute_force_then_export_through_a_shared_address_is_one_chain() {
        let findings = vec![
            finding("Brute force", "high", "T1110.001", Some("alice"), None, 1),
            finding(
                "Spraying",
                "high",
                "T1110.003",
                Some("alice"),
                Some("198.51.100.66"),
                2,
            ),
            finding(
                "Address book exported",
                "medium",
                "T1087.003",
                None,
                Some("198.51.100.66"),
                5,
            ),
            finding(
                "Filter saved",
                "low",
                "T1114.003",
                Some("carol"),
                Some("192.0.2.12"),
                3,
            ),
        ];
        let chains = run(&findings);
        assert_eq!(chains.len(), 1, "{chains:?}");
        assert_eq!(chains[0].entity.user.as_deref(), Some("alice"));
        assert_eq!(chains[0].count, 3);
        assert!(
            chains[0]
                .reason
                .contains("Brute force → Spraying → Address book exported")
        );
    }

    #[test]
    fn the_chain_is_the_same_whatever_order_its_steps_arrive_in() {
        // Two steps at the same minute: their order in the input (thread
        // timing in a scan) must not change the chain's title or evidence.
        let steps = [
            finding("Brute force", "high", "T1110.001", Some("alice"), None, 1),
            finding("Mail sent", "high", "T1114", Some("alice"), None, 4),
            finding(
                "Address book exported",
                "medium",
                "T1087.003",
                Some("alice"),
                None,
                4,
            ),
            finding("Filter saved", "low", "T1114.003", Some("alice"), None, 4),
        ];
        let mut reversed = steps.to_vec();
        reversed[1..].reverse();
        let (a, b) = (run(&steps), run(&reversed));
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a, b);
        assert!(
            a[0].reason
                .ends_with("Brute force → Address book exported → Filter saved → Mail sent"),
            "{}",
            a[0].reason
        );
    }

    #[test]
    fn collection_before_the_attack_or_without_one_is_no_chain() {
        let findings = vec![
            finding(
                "Address book exported",
                "medium",
                "T1087.003",
                Some("bob"),
                Some("192.0.2.11"),
                1,
            ),
            finding("Brute force", "high", "T1110.001", Some("bob"), None, 5),
            finding(
                "Filter saved",
                "low",
                "T1114.003",
                Some("carol"),
                Some("192.0.2.12"),
                3,
            ),
        ];
        assert!(run(&findings).is_empty());
    }
}
