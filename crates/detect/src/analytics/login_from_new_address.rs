//! VA001 `login_from_new_address`.
//!
//! ## What it detects
//! A successful login to an account from an IP address that account never
//! logged in from before, once the account is out of its warm-up (rolling
//! baseline, [`super::Baseline`]).
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
//! Travel, new home connections, dynamic addresses (grouped into one summary
//! per account); an account's first week is its warm-up (little to compare with).
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts).

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
        let mut found = Vec::new();
        for (user, addresses) in facts.logins.by_first_seen() {
            let Some(&(first, _, _)) = addresses.first() else {
                continue;
            };
            let judged = facts.baseline.judged_from(first);
            for (seen, (t, source, h)) in addresses.iter().enumerate() {
                if *t < judged {
                    continue;
                }
                let refs: Vec<&LoginRef> = h.first.iter().collect();
                let reason = format!(
                    "{user} logged in from {source} ({} times), an address not seen for this account before; {}",
                    h.count,
                    facts
                        .baseline
                        .compared(first, &format!("its {seen} earlier address(es)"))
                );
                found.extend(finding(
                    self,
                    "low",
                    &["T1078"],
                    user,
                    &refs,
                    h.count,
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

    const DAY: i64 = 1440;

    #[test]
    fn flags_a_new_address_of_an_account_out_of_its_warm_up_only() {
        let logins = history(&[
            ("alice", "192.0.2.10", 1),
            // In alice's first week (her warm-up): learnt, not judged.
            ("alice", "192.0.2.44", 3 * DAY),
            ("bob", "192.0.2.11", 2),
            ("alice", "192.0.2.10", 8 * DAY),
            ("alice", "198.51.100.66", 8 * DAY + 1),
            // carol's first login: her own warm-up.
            ("carol", "203.0.113.5", 8 * DAY + 2),
        ]);
        let found = run_on(&LoginFromNewAddress, &logins, Timestamp::from_unix(60, 0));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.66"));
        assert_eq!(found[0].evidence[0].line, 8 * DAY as u64 + 2);
        assert!(
            found[0].reason.contains("its 2 earlier address(es)")
                && found[0].reason.contains("warm-up"),
            "{}",
            found[0].reason
        );
    }

    #[test]
    fn a_baseline_given_by_the_analyst_is_not_judged() {
        let logins = history(&[
            ("alice", "192.0.2.10", 1),
            ("alice", "198.51.100.66", 9 * DAY),
            ("alice", "198.51.100.67", 12 * DAY),
        ]);
        let until = Timestamp::from_unix(10 * DAY * 60, 0);
        let found = run_on(&LoginFromNewAddress, &logins, until);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.67"));
    }
}
