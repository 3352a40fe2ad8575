//! VA001 `login_from_new_address`.
//!
//! ## What it detects
//! A successful login to an account from an IP address that account never
//! logged in from during the baseline period.
//!
//! ## Why it matters
//! Stolen credentials are used from the intruder's own infrastructure: the
//! first login from a new address is often the first sign of an account
//! takeover (APT28 logs in with credentials phished through the webmail).
//!
//! ## Example
//! `Successful login for alice@lab.test (ID: 1) from 127.0.0.66 in session …`
//! after a baseline in which alice only came from 127.0.0.10.
//!
//! ## False positives
//! Travel, new home connections, dynamic addresses; accounts with no login in
//! the baseline are left out (nothing to compare with).
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use vigie_event::Finding;

use super::{Analytic, Baseline, Login, finding};

/// See the module documentation.
pub struct LoginFromNewAddress;

impl Analytic for LoginFromNewAddress {
    fn code(&self) -> &'static str {
        "VA001"
    }

    fn title(&self) -> &'static str {
        "Login from an address new for the account"
    }

    fn run(&self, logins: &[Login], baseline: Baseline) -> Vec<Finding> {
        let mut known: HashMap<&str, HashSet<IpAddr>> = HashMap::new();
        for l in logins.iter().filter(|l| l.timestamp < baseline.until) {
            known.entry(&l.user).or_default().insert(l.source);
        }
        let mut new: HashMap<(&str, IpAddr), Vec<&Login>> = HashMap::new();
        for l in logins.iter().filter(|l| l.timestamp >= baseline.until) {
            if known
                .get(&*l.user)
                .is_some_and(|seen| !seen.contains(&l.source))
            {
                new.entry((&l.user, l.source)).or_default().push(l);
            }
        }
        new.into_iter()
            .filter_map(|((user, source), logins)| {
                let reason = format!(
                    "{user} logged in from {source} ({} times), an address not seen for this account before {}",
                    logins.len(),
                    baseline.until
                );
                finding(self, "low", &["T1078"], &logins, reason)
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
    fn flags_a_new_address_of_a_known_account_only() {
        let logins = vec![
            login("alice", "192.0.2.10", 1),
            login("bob", "192.0.2.11", 2),
            login("alice", "192.0.2.10", 20),
            login("alice", "198.51.100.66", 21),
            login("carol", "203.0.113.5", 22),
        ];
        let found = LoginFromNewAddress.run(
            &logins,
            Baseline {
                until: Timestamp::from_unix(10 * 60, 0),
            },
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.66"));
        assert_eq!(found[0].evidence[0].line, 22);
    }
}
