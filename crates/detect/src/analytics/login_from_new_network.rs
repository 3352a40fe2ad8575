//! VA002 `login_from_new_network`.
//!
//! ## What it detects
//! A successful login to an account from a network (IPv4 /24, IPv6 /48) that
//! account never logged in from during the baseline period.
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
//! Travel, mobile networks; accounts with no baseline login are left out.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts); THREATS.md §5 detection idea 14.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

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
        let (logins, baseline) = (facts.logins, facts.baseline);
        let mut known: HashMap<&str, HashSet<Vec<u8>>> = HashMap::new();
        for ((user, source), h) in &logins.sources {
            if h.first
                .first()
                .is_some_and(|l| l.timestamp < baseline.until)
            {
                known.entry(user).or_default().insert(network(*source));
            }
        }
        let mut new: HashMap<(&str, Vec<u8>), Gathered<'_>> = HashMap::new();
        for ((user, source), h) in &logins.sources {
            let net = network(*source);
            let after = h
                .first
                .first()
                .is_some_and(|l| l.timestamp >= baseline.until);
            if after && known.get(&**user).is_some_and(|seen| !seen.contains(&net)) {
                let entry = new.entry((user, net)).or_default();
                entry.0.extend(h.first.iter());
                entry.1 += h.count;
            }
        }
        new.into_iter()
            .filter_map(|((user, _), (mut refs, count))| {
                refs.sort_by_key(|l| l.timestamp);
                let first = refs.first()?;
                let reason = format!(
                    "{user} logged in from {} ({count} logins from that network), a network not seen for this account before {}",
                    first.source, baseline.until
                );
                finding(self, "medium", &["T1078"], user, &refs, count, reason)
            })
            .collect()
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
            ("alice", "192.0.2.99", 20),
            ("alice", "2001:db8:1::5", 21),
        ]);
        let found = run_on(
            &LoginFromNewNetwork,
            &logins,
            Timestamp::from_unix(10 * 60, 0),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("2001:db8:1::5"));
    }
}
