//! The account owner's own lines, told apart from an intruder's.
//!
//! A correlation grouped by account (a webmail brute force against one
//! account) counts every failed login of that account, the owner's typo
//! from her office as much as the intruder's guesses. Such a finding's
//! evidence is split by the address each line came from: lines from an
//! address the owner logs in from, which no severe finding names, are left
//! out, and the finding starts at the first remaining line. A finding left
//! with none of its lines is about the owner alone and is dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use vigie_event::{Evidence, Finding, Timestamp};

use crate::activity::Activity;

/// Findings whose address is an intruder's: severe, and neither about a
/// message's sending server (`VM…`) nor the owner opening one (`VC001`).
pub fn names_an_intruder(f: &Finding) -> bool {
    matches!(f.level.as_str(), "high" | "critical")
        && !f.rule_id.starts_with("VM")
        && f.rule_id != "VC001"
}

/// What was left out of the findings, for the scan's tally.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Evidence lines left out (the owner's).
    pub lines: u64,
    /// Findings dropped because only the owner's lines made them.
    pub findings: u64,
}

/// Leaves the owner's own lines out of the findings that name an account
/// but no address; see the module documentation.
pub fn leave_out_owner_lines(findings: &mut Vec<Finding>, activity: &Activity) -> LeftOut {
    let intruders: BTreeSet<IpAddr> = findings
        .iter()
        .filter(|f| names_an_intruder(f))
        .filter_map(|f| f.entity.source_ip.as_deref()?.parse().ok())
        .collect();
    // The owner's addresses: where the account logged in from, but for an intruder's.
    let mut owner: HashMap<String, BTreeSet<IpAddr>> = HashMap::new();
    let logins = activity.logins.iter().map(|(u, ip)| (u.as_str(), *ip));
    let web_logins = activity
        .marks
        .iter()
        .filter(|m| m.kind == "web-login")
        .filter_map(|m| Some((m.user.as_str(), m.source?)));
    for (user, ip) in logins.chain(web_logins) {
        if !intruders.contains(&ip) {
            owner
                .entry(user.to_ascii_lowercase())
                .or_default()
                .insert(ip);
        }
    }
    // The address and time of each failed attempt's line (the first ones
    // of each account and address: all of an owner's few typos).
    let attempts: BTreeMap<&Evidence, (IpAddr, Timestamp)> = activity
        .marks
        .iter()
        .filter(|m| m.kind == "auth-failure")
        .filter_map(|m| Some((&m.evidence, (m.source?, m.timestamp))))
        .collect();
    let mut left_out = LeftOut::default();
    findings.retain_mut(|f| {
        let (Some(user), None) = (f.entity.user.as_deref(), f.entity.source_ip.as_deref()) else {
            return true;
        };
        let Some(own) = owner.get(&user.to_ascii_lowercase()) else {
            return true;
        };
        let is_owners = |e: &Evidence| attempts.get(e).is_some_and(|(ip, _)| own.contains(ip));
        let removed: Vec<IpAddr> = f
            .evidence
            .iter()
            .filter(|e| is_owners(e))
            .filter_map(|e| attempts.get(e).map(|(ip, _)| *ip))
            .collect();
        if removed.is_empty() {
            return true;
        }
        f.evidence.retain(|e| !is_owners(e));
        left_out.lines += removed.len() as u64;
        if f.evidence.is_empty() {
            left_out.findings += 1;
            return false;
        }
        f.count = f
            .count
            .saturating_sub(removed.len() as u64)
            .max(f.evidence.len() as u64);
        if let Some(first) = f
            .evidence
            .iter()
            .filter_map(|e| attempts.get(e).map(|(_, t)| *t))
            .min()
        {
            f.first_seen = f.first_seen.max(first);
        }
        let addresses: BTreeSet<String> = removed.iter().map(ToString::to_string).collect();
        f.reason.push_str(&format!(
            "; {} line(s) from the account's own address ({}) left out",
            removed.len(),
            addresses.into_iter().collect::<Vec<_>>().join(", ")
        ));
        true
    });
    left_out
}
