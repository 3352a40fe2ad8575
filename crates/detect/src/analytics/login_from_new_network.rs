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

use super::{Analytic, Baseline, Login, finding};

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

    fn run(&self, logins: &[Login], baseline: Baseline) -> Vec<Finding> {
        let mut known: HashMap<&str, HashSet<Vec<u8>>> = HashMap::new();
        for l in logins.iter().filter(|l| l.timestamp < baseline.until) {
            known.entry(&l.user).or_default().insert(network(l.source));
        }
        let mut new: HashMap<(&str, Vec<u8>), Vec<&Login>> = HashMap::new();
        for l in logins.iter().filter(|l| l.timestamp >= baseline.until) {
            let net = network(l.source);
            if known.get(&*l.user).is_some_and(|seen| !seen.contains(&net)) {
                new.entry((&l.user, net)).or_default().push(l);
            }
        }
        new.into_values()
            .filter_map(|logins| {
                let first = logins.first()?;
                let reason = format!(
                    "{} logged in from {} ({} logins from that network), a network not seen for this account before {}",
                    first.user,
                    first.source,
                    logins.len(),
                    baseline.until
                );
                finding(self, "medium", &["T1078"], &logins, reason)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::login;
    use vigie_event::Timestamp;

    #[test]
    fn a_new_address_in_a_known_network_is_not_a_new_network() {
        let logins = vec![
            login("alice", "192.0.2.10", 1),
            login("alice", "192.0.2.99", 20),
            login("alice", "2001:db8:1::5", 21),
        ];
        let found = LoginFromNewNetwork.run(
            &logins,
            Baseline {
                until: Timestamp::from_unix(10 * 60, 0),
            },
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("2001:db8:1::5"));
    }
}
