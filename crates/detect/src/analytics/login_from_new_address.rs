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

use std::collections::HashSet;

use vigie_event::Finding;

use super::{Analytic, Facts, LoginRef, finding};

/// See the module documentation.
pub struct LoginFromNewAddress;

impl Analytic for LoginFromNewAddress {
    fn code(&self) -> &'static str {
        "VA001"
    }

    fn title(&self) -> &'static str {
        "Login from an address new for the account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let (logins, baseline) = (facts.logins, facts.baseline);
        let known: HashSet<&str> = logins
            .sources
            .iter()
            .filter(|(_, h)| {
                h.first
                    .first()
                    .is_some_and(|l| l.timestamp < baseline.until)
            })
            .map(|((user, _), _)| &**user)
            .collect();
        logins
            .sources
            .iter()
            .filter(|((user, _), h)| known.contains(&**user) && h.first.first().is_some_and(|l| l.timestamp >= baseline.until))
            .filter_map(|((user, source), h)| {
                let refs: Vec<&LoginRef> = h.first.iter().collect();
                let reason = format!(
                    "{user} logged in from {source} ({} times), an address not seen for this account before {}",
                    h.count, baseline.until
                );
                finding(self, "low", &["T1078"], user, &refs, h.count, reason)
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
    fn flags_a_new_address_of_a_known_account_only() {
        let logins = history(&[
            ("alice", "192.0.2.10", 1),
            ("bob", "192.0.2.11", 2),
            ("alice", "192.0.2.10", 20),
            ("alice", "198.51.100.66", 21),
            ("carol", "203.0.113.5", 22),
        ]);
        let found = run_on(
            &LoginFromNewAddress,
            &logins,
            Timestamp::from_unix(10 * 60, 0),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.66"));
        assert_eq!(found[0].evidence[0].line, 22);
    }
}
