//! VA002 `login_from_new_network`.
//!
//! ## What it detects
//! A successful login to an account from a network (IPv4 /24, IPv6 /48) that
//! account never logged in from before, once the account is out of its
//! warm-up (rolling baseline, [`super::Baseline`]).
//!
//! ## Why it matters
//! A new address inside a known network is usually the same office or
//! provider; a new network is a new place, and intruders' VPS and VPN exits
//! are new networks for every victim.
//!
//! ## Example
//! alice logs in from 198.51.100.66 after a baseline spent in 192.0.2.0/24.
//!
//! ## False positives
//! Travel, mobile networks (grouped into one summary per account); an
//! account's first week is its warm-up.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts); THREATS.md §5 detection idea 14.

use std::net::IpAddr;

use ahash::AHashMap;
use vigie_event::Finding;

use super::{Analytic, Facts, Gathered, finding};

/// See the module documentation.
pub struct LoginFromNewNetwork;

/// The /24 (IPv4) or /48 (IPv6) an address belongs to, as its first bytes.
fn network(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets()[..3].to_vec(),
        IpAddr::V6(v6) => v6.octets()[..6].to_vec(),
    }
}

impl Analytic for LoginFromNewNetwork {
    fn code(&self) -> &'static str {
        "VA002"
    }

    fn title(&self) -> &'static str {
        "Login from a network new for the account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let mut found = Vec::new();
        for (user, addresses) in facts.logins.by_first_seen() {
            let Some(&(first, _, _)) = addresses.first() else {
                continue;
            };
            let judged = facts.baseline.judged_from(first);
            // Networks in the order first seen: whether new (first seen
            // after the warm-up), and the logins of a new one.
            let mut networks: Vec<(Vec<u8>, bool, Gathered<'_>)> = Vec::new();
            let mut index: AHashMap<Vec<u8>, usize> = AHashMap::new();
            for (t, source, h) in &addresses {
                let net = network(*source);
                match index.get(&net).and_then(|&i| networks.get_mut(i)) {
                    Some((_, true, (refs, count))) => {
                        refs.extend(h.first.iter());
                        *count += h.count;
                    }
                    Some(_) => {}
                    None => {
                        let new = *t >= judged;
                        let gathered = if new {
                            (h.first.iter().collect(), h.count)
                        } else {
                            (Vec::new(), 0)
                        };
                        index.insert(net.clone(), networks.len());
                        networks.push((net, new, gathered));
                    }
                }
            }
            for (seen, (_, new, (mut refs, count))) in networks.into_iter().enumerate() {
                if !new {
                    continue;
                }
                refs.sort_by_key(|l| l.timestamp);
                let Some(at) = refs.first() else { continue };
                let reason = format!(
                    "{user} logged in from {} ({count} logins from that network), a network not seen for this account before; {}",
                    at.source,
                    facts
                        .baseline
                        .compared(first, &format!("its {seen} earlier network(s)"))
                );
                found.extend(finding(
                    self,
                    "medium",
                    &["T1078"],
                    user,
                    &refs,
                    count,
                    reason,
                ));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::{history, run_on};
    use vigie_event::Timestamp;

    #[test]
    fn a_new_address_in_a_known_network_is_not_a_new_network() {
        let logins = history(&[
            ("alice", "192.0.2.10", 1),
            ("alice", "192.0.2.99", 8 * 1440),
            ("alice", "2001:db8:1::5", 8 * 1440 + 1),
        ]);
        let found = run_on(&LoginFromNewNetwork, &logins, Timestamp::from_unix(0, 0));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("2001:db8:1::5"));
    }
}
