//! VA003 `login_at_unusual_hour`.
//!
//! ## What it detects
//! A successful login at an hour of the day (UTC) at which the account never
//! logged in during the baseline, within one hour either side, for accounts
//! with enough baseline logins to have a habit.
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
//! `min_baseline` baseline logins are left out.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts).

use std::collections::HashMap;

use vigie_event::Finding;

use super::{Analytic, Facts, LoginRef, finding};

/// See the module documentation.
pub struct LoginAtUnusualHour {
    /// Baseline logins an account needs before its hours count as a habit.
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
        let until = facts.baseline.until;
        let bucket_start = |day: i64, hour: usize| day * 86_400 + hour as i64 * 3600;
        let mut found = Vec::new();
        for (user, hours) in &facts.logins.hours {
            let mut histogram = [0u64; 24];
            for (hour, h) in hours.iter().enumerate() {
                histogram[hour] = h
                    .days
                    .iter()
                    .filter(|(day, _)| bucket_start(*day, hour) + 3600 <= until.unix_seconds())
                    .map(|(_, count)| count)
                    .sum();
            }
            if histogram.iter().sum::<u64>() < self.min_baseline {
                continue;
            }
            let mut odd: HashMap<std::net::IpAddr, Vec<&LoginRef>> = HashMap::new();
            let mut count = 0;
            for (hour, h) in hours.iter().enumerate() {
                let near: u64 = [(hour + 23) % 24, hour, (hour + 1) % 24]
                    .iter()
                    .map(|&x| histogram[x])
                    .sum();
                if near > 0 {
                    continue;
                }
                count += h
                    .days
                    .iter()
                    .filter(|(day, _)| bucket_start(*day, hour) >= until.unix_seconds())
                    .map(|(_, count)| count)
                    .sum::<u64>();
                for login in h.first.iter().filter(|l| l.timestamp >= until) {
                    odd.entry(login.source).or_default().push(login);
                }
            }
            let sources = odd.len();
            for (source, mut refs) in odd {
                refs.sort_by_key(|l| l.timestamp);
                let Some(first) = refs.first() else { continue };
                let hour = first.timestamp.unix_seconds().rem_euclid(86_400) / 3600;
                let reason = format!(
                    "{user} logged in at {hour:02}:xx UTC from {source}, an hour with no login in the account's baseline"
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
            Timestamp::from_unix(15 * 86_400, 0),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.7"));
    }
}
