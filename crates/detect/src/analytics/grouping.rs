//! Noise you can read: address churn grouped per account.
//!
//! Phones on carrier networks (CGNAT pools), home connections with dynamic
//! addresses and travellers produce one "login from a new address" and one
//! "login from a new network" per address: hundreds per account in a month.
//! Past [`GROUP_AT`] such findings of one kind for one account, they are
//! replaced by one summary per account, at level low, that says how
//! many addresses and networks it stands for, over which period, and keeps
//! the earliest evidence.
//!
//! The other way round, one address that raises the same medium or low
//! finding for more than [`SHARED_AT`] accounts (a backup host reading every
//! mailbox each week) gets one finding per address and kind that lists the
//! accounts; so do such findings without an address that start on the same
//! day (Dovecot's logout lines name no address). High and critical findings
//! are never grouped.

use std::collections::BTreeMap;

use vigie_event::{EVIDENCE_KEPT, Finding};

/// Findings of one kind for one account beyond which they are grouped.
pub const GROUP_AT: usize = 3;

/// Accounts one address's findings of one kind must cover to be grouped per address.
pub const SHARED_AT: usize = 10;

/// The analytics whose findings are grouped: VA001 (new address) and VA002 (new network).
const GROUPED: [&str; 2] = ["VA001", "VA002"];

/// Replaces the address-churn findings of each account by one summary per
/// account and kind when there are more than [`GROUP_AT`].
pub fn group_churn(findings: &mut Vec<Finding>) {
    group_per_account(findings);
    group_per_address(findings);
}

/// One finding per address and kind for findings (medium or below) that
/// name more than [`SHARED_AT`] accounts.
fn group_per_address(findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let churn = GROUPED.contains(&f.rule_id.as_str());
        if !churn
            && f.entity.user.is_some()
            && matches!(f.level.as_str(), "medium" | "low" | "informational")
        {
            // Without an address, the same kind for many accounts starting on
            // the same day is one scheduled job (Dovecot's logout lines name no address).
            let key = match &f.entity.source_ip {
                Some(ip) => ip.clone(),
                None => format!(
                    "no address, first seen on {}",
                    &f.first_seen.to_string()[..10]
                ),
            };
            groups.entry((f.rule_id.clone(), key)).or_default().push(i);
        }
    }
    let mut drop = vec![false; findings.len()];
    let mut summaries = Vec::new();
    for ((_, ip), members) in groups {
        let users: std::collections::BTreeSet<&str> = members
            .iter()
            .filter_map(|i| findings[*i].entity.user.as_deref())
            .collect();
        if users.len() <= SHARED_AT {
            continue;
        }
        let mut group: Vec<&Finding> = members.iter().map(|i| &findings[*i]).collect();
        group.sort_by_key(|f| f.first_seen);
        let Some(first) = group.first() else {
            continue;
        };
        let last_seen = group
            .iter()
            .map(|f| f.last_seen)
            .max()
            .unwrap_or(first.last_seen);
        let mut evidence: Vec<_> = group
            .iter()
            .flat_map(|f| f.evidence.first().cloned())
            .take(EVIDENCE_KEPT)
            .collect();
        evidence.sort();
        let named: Vec<&str> = users.iter().take(10).copied().collect();
        let summary = Finding {
            rule_id: first.rule_id.clone(),
            title: format!("{} ({} accounts, grouped)", first.title, users.len()),
            level: first.level.clone(),
            attack: first.attack.clone(),
            entity: vigie_event::Entity {
                user: None,
                source_ip: first.entity.source_ip.clone(),
                session: None,
            },
            first_seen: first.first_seen,
            last_seen,
            count: group.iter().map(|f| f.count).sum(),
            evidence,
            reason: format!(
                "{ip}: raised for {} accounts ({}{}) in {} findings from {} to {last_seen}: one address acting on every account is a shared system (a backup host, a migration tool, a proxy); first: {}",
                users.len(),
                named.join(", "),
                if users.len() > named.len() {
                    ", …"
                } else {
                    ""
                },
                group.len(),
                first.first_seen,
                first.reason,
            ),
        };
        for i in members {
            drop[i] = true;
        }
        summaries.push(summary);
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    findings.extend(summaries);
}

/// One summary per account of its address churn (new addresses and new networks together).
fn group_per_account(findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let Some(user) = &f.entity.user
            && GROUPED.contains(&f.rule_id.as_str())
        {
            groups.entry(user.clone()).or_default().push(i);
        }
    }
    let mut drop = vec![false; findings.len()];
    let mut summaries = Vec::new();
    for (user, members) in groups {
        let addresses = members
            .iter()
            .filter(|i| findings[**i].rule_id == "VA001")
            .count();
        let new_networks = members.len() - addresses;
        if addresses <= GROUP_AT && new_networks <= GROUP_AT {
            continue;
        }
        let mut group: Vec<&Finding> = members.iter().map(|i| &findings[*i]).collect();
        group.sort_by_key(|f| f.first_seen);
        let Some(first) = group.first() else {
            continue;
        };
        let networks: std::collections::BTreeSet<&str> = group
            .iter()
            .filter_map(|f| f.entity.source_ip.as_deref())
            .map(|ip| ip.rsplit_once('.').map_or(ip, |(net, _)| net))
            .collect();
        // VA002 counts the same logins again, by network.
        let logins: u64 = group
            .iter()
            .filter(|f| f.rule_id == "VA001" || addresses == 0)
            .map(|f| f.count)
            .sum();
        let mut evidence: Vec<_> = group
            .iter()
            .flat_map(|f| f.evidence.first().cloned())
            .take(EVIDENCE_KEPT)
            .collect();
        evidence.sort();
        let summary = Finding {
            rule_id: "VA001".to_string(),
            title: "Logins from many addresses new for the account (grouped)".to_string(),
            level: "low".to_string(),
            attack: first.attack.clone(),
            entity: vigie_event::Entity {
                user: Some(user.clone()),
                source_ip: None,
                session: None,
            },
            first_seen: first.first_seen,
            last_seen: group
                .iter()
                .map(|f| f.last_seen)
                .max()
                .unwrap_or(first.last_seen),
            count: logins,
            evidence,
            reason: format!(
                "{user}: {addresses} addresses new for the account in {} /24 networks ({new_networks} of them new networks), {logins} logins, from {} to {}; grouped as address churn (phones on carrier networks, dynamic home addresses, travel) instead of {} findings; first: {}",
                networks.len(),
                first.first_seen,
                group
                    .iter()
                    .map(|f| f.last_seen)
                    .max()
                    .unwrap_or(first.last_seen),
                group.len(),
                first.reason,
            ),
        };
        for i in members {
            drop[i] = true;
        }
        summaries.push(summary);
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    findings.extend(summaries);
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_event::{Entity, Timestamp};

    fn new_address(user: &str, ip: &str, at: i64) -> Finding {
        Finding {
            rule_id: "VA001".into(),
            title: "Login from an address new for the account".into(),
            level: "low".into(),
            attack: vec!["T1078".into()],
            entity: Entity {
                user: Some(user.into()),
                source_ip: Some(ip.into()),
                session: None,
            },
            first_seen: Timestamp::from_unix(at, 0),
            last_seen: Timestamp::from_unix(at + 60, 0),
            count: 2,
            evidence: vec![],
            reason: "r".into(),
        }
    }

    #[test]
    fn churn_is_one_summary_and_a_few_new_addresses_stay_apart() {
        let mut findings: Vec<Finding> = (0..40)
            .map(|i| new_address("phone@corp.example", &format!("37.171.{i}.9"), i * 3600))
            .collect();
        for i in 0..5 {
            let mut network = new_address("phone@corp.example", &format!("37.171.{i}.9"), i * 3600);
            network.rule_id = "VA002".into();
            network.level = "medium".into();
            findings.push(network);
        }
        findings.push(new_address("desk@corp.example", "203.0.113.9", 10));
        findings.push(new_address("desk@corp.example", "203.0.113.10", 20));
        group_churn(&mut findings);
        assert_eq!(findings.len(), 3, "{findings:?}");
        let summary = findings
            .iter()
            .find(|f| f.entity.user.as_deref() == Some("phone@corp.example"))
            .unwrap();
        assert_eq!(summary.count, 80);
        assert!(
            summary.reason.contains("40 addresses"),
            "{}",
            summary.reason
        );
        assert_eq!(summary.first_seen, Timestamp::from_unix(0, 0));
    }
}
