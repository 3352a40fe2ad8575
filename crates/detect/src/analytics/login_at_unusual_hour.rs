//! VA003 `login_at_unusual_hour`.
//!
//! ## What it detects
//! A successful login at an hour of the day (UTC) at which the account never
//! logged in on any earlier day, within one hour either side, for accounts
//! with enough earlier logins to have a habit and out of their warm-up
//! (rolling baseline, [`super::Baseline`]).
//!
//! ## Why it matters
//! The December 2025 intrusion happened overnight; intruders work in their own
//! time zone, not the victim's office hours.
//!
//! ## Example
//! bob logs in every weekday between 07:00 and 18:00 UTC, then at 02:13.
//!
//! ## False positives
//! Night shifts, travel, automated clients; accounts with fewer than
//! `min_baseline` earlier logins are left out.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts).

use std::collections::BTreeMap;

use vigie_event::Finding;

use super::{Analytic, Facts, LoginRef, finding};

/// See the module documentation.
pub struct LoginAtUnusualHour {
    /// Earlier logins an account needs before its hours count as a habit.
    pub min_baseline: u64,
}

impl Default for LoginAtUnusualHour {
    fn default() -> LoginAtUnusualHour {
        LoginAtUnusualHour { min_baseline: 10 }
    }
}

impl Analytic for LoginAtUnusualHour {
    fn code(&self) -> &'static str {
        "VA003"
    }

    fn title(&self) -> &'static str {
        "Login at an hour unusual for the account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let firsts = facts.logins.first_logins();
        let mut accounts: Vec<_> = facts.logins.hours.iter().collect();
        accounts.sort_unstable_by_key(|(user, _)| &***user);
        let mut found = Vec::new();
        for (user, hours) in accounts {
            let Some(&first) = firsts.get(&**user) else {
                continue;
            };
            let judged = facts.baseline.judged_from(first);
            // Each hour's first day.
            let first_day: Vec<Option<i64>> = hours
                .hours
                .iter()
                .map(|h| h.first_day.map(|(d, _)| d))
                .collect();
            let mut odd: BTreeMap<std::net::IpAddr, Vec<&LoginRef>> = BTreeMap::new();
            let mut count = 0;
            let mut habit = 0;
            for (hour, h) in hours.hours.iter().enumerate() {
                let Some(day) = first_day[hour] else { continue };
                // The hours either side were not used before that day either.
                let near_before = [(hour + 23) % 24, (hour + 1) % 24]
                    .iter()
                    .any(|&x| first_day[x].is_some_and(|d| d < day));
                let logins_before = hours.logins_before(day);
                let judged_hour = day * 86_400 + hour as i64 * 3600 >= judged.unix_seconds();
                if near_before || !judged_hour || logins_before < self.min_baseline {
                    continue;
                }
                habit = habit.max(logins_before);
                count += h.first_day.map_or(0, |(_, n)| n);
                for login in h
                    .first
                    .iter()
                    .filter(|l| l.timestamp.unix_seconds().div_euclid(86_400) == day)
                {
                    odd.entry(login.source).or_default().push(login);
                }
            }
            let sources = odd.len();
            for (source, mut refs) in odd {
                refs.sort_by_key(|l| l.timestamp);
                let Some(first_odd) = refs.first() else {
                    continue;
                };
                let hour = first_odd.timestamp.unix_seconds().rem_euclid(86_400) / 3600;
                let reason = format!(
                    "{user} logged in at {hour:02}:xx UTC from {source}, an hour (within one either side) with no login on the account's earlier days; {}",
                    facts
                        .baseline
                        .compared(first, &format!("its {habit} logins on earlier days"))
                );
                // Counts are kept per hour, not per address: exact when one address is involved.
                let n = if sources == 1 {
                    count
                } else {
                    refs.len() as u64
                };
                found.extend(finding(self, "low", &["T1078"], user, &refs, n, reason));
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
    fn a_night_login_after_office_hours_habit() {
        // 12 baseline logins at 09:00-09:59 on successive days, then one at 09:30 and one at 02:13.
        let mut logins: Vec<(&str, &str, i64)> = (0..12)
            .map(|d| ("bob", "192.0.2.11", d * 1440 + 9 * 60 + d))
            .collect();
        logins.push(("bob", "192.0.2.11", 20 * 1440 + 9 * 60 + 30));
        logins.push(("bob", "198.51.100.7", 21 * 1440 + 2 * 60 + 13));
        let found = run_on(
            &LoginAtUnusualHour::default(),
            &history(&logins),
            Timestamp::from_unix(0, 0),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.7"));
    }
}
