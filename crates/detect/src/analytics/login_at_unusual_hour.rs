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

use super::{Analytic, Facts, Gathered, finding};

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
        let (logins, baseline) = (facts.logins, facts.baseline);
        let until = baseline.until.unix_seconds();
        let bucket_start = |day: i64, hour: u8| day * 86_400 + i64::from(hour) * 3600;
        let mut habits: HashMap<&str, ([u64; 24], u64)> = HashMap::new();
        for ((user, day, hour), h) in &logins.hours {
            if bucket_start(*day, *hour) + 3600 <= until {
                let entry = habits.entry(user).or_insert(([0; 24], 0));
                entry.0[usize::from(*hour)] += h.count;
                entry.1 += h.count;
            }
        }
        let mut odd: HashMap<(&str, std::net::IpAddr), Gathered<'_>> = HashMap::new();
        for ((user, day, hour), h) in &logins.hours {
            if bucket_start(*day, *hour) < until {
                continue;
            }
            let Some((histogram, total)) = habits.get(&**user) else {
                continue;
            };
            let hr = usize::from(*hour);
            let near: u64 = [(hr + 23) % 24, hr, (hr + 1) % 24]
                .iter()
                .map(|&x| histogram[x])
                .sum();
            if *total >= self.min_baseline && near == 0 {
                let entry = odd.entry((user, h.first.source)).or_default();
                entry.0.push(&h.first);
                entry.1 += h.count;
            }
        }
        odd.into_iter()
            .filter_map(|((user, source), (mut refs, count))| {
                refs.sort_by_key(|l| l.timestamp);
                let first = refs.first()?;
                let hour = first.timestamp.unix_seconds().rem_euclid(86_400) / 3600;
                let reason = format!(
                    "{user} logged in at {hour:02}:xx UTC from {source}, an hour with no login in the account's baseline"
                );
                finding(self, "low", &["T1078"], user, &refs, count, reason)
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
