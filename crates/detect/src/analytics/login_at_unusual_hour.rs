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

use super::{Analytic, Baseline, Login, finding};

/// See the module documentation.
pub struct LoginAtUnusualHour {
    /// Baseline logins an account needs before its hours count as a habit.
    pub min_baseline: usize,
}

impl Default for LoginAtUnusualHour {
    fn default() -> LoginAtUnusualHour {
        LoginAtUnusualHour { min_baseline: 10 }
    }
}

fn hour(l: &Login) -> usize {
    (l.timestamp.unix_seconds().rem_euclid(86_400) / 3600) as usize
}

impl Analytic for LoginAtUnusualHour {
    fn code(&self) -> &'static str {
        "VA003"
    }

    fn title(&self) -> &'static str {
        "Login at an hour unusual for the account"
    }

    fn run(&self, logins: &[Login], baseline: Baseline) -> Vec<Finding> {
        let mut hours: HashMap<&str, ([usize; 24], usize)> = HashMap::new();
        for l in logins.iter().filter(|l| l.timestamp < baseline.until) {
            let entry = hours.entry(&l.user).or_insert(([0; 24], 0));
            entry.0[hour(l)] += 1;
            entry.1 += 1;
        }
        let mut odd: HashMap<(&str, std::net::IpAddr), Vec<&Login>> = HashMap::new();
        for l in logins.iter().filter(|l| l.timestamp >= baseline.until) {
            let Some((histogram, total)) = hours.get(&*l.user) else {
                continue;
            };
            let h = hour(l);
            let near = [(h + 23) % 24, h, (h + 1) % 24]
                .iter()
                .map(|&x| histogram[x])
                .sum::<usize>();
            if *total >= self.min_baseline && near == 0 {
                odd.entry((&l.user, l.source)).or_default().push(l);
            }
        }
        odd.into_values()
            .filter_map(|logins| {
                let first = logins.first()?;
                let reason = format!(
                    "{} logged in at {:02}:xx UTC from {}, an hour with no login in the account's baseline",
                    first.user,
                    hour(first),
                    first.source
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
    fn a_night_login_after_office_hours_habit() {
        // 12 baseline logins at 09:00-10:59 on successive days, then one at 02:xx.
        let mut logins: Vec<Login> = (0..12)
            .map(|d| login("bob", "192.0.2.11", d * 1440 + 9 * 60 + d))
            .collect();
        logins.push(login("bob", "192.0.2.11", 20 * 1440 + 9 * 60 + 30));
        logins.push(login("bob", "198.51.100.7", 21 * 1440 + 2 * 60 + 13));
        let found = LoginAtUnusualHour::default().run(
            &logins,
            Baseline {
                until: Timestamp::from_unix(15 * 86_400, 0),
            },
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].entity.source_ip.as_deref(), Some("198.51.100.7"));
    }
}
