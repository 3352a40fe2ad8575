//! VA009 `mass_mailing`.
//!
//! ## What it detects
//! A day on which an account sends mail to far more recipients than it
//! ever did on a day of the baseline (from any address, through the
//! webmail or by SMTP submission): at least [`MassMailing::many`]
//! recipients, and at least [`MassMailing::times`] its busiest baseline day.
//!
//! ## Why it matters
//! Access sold on or used by criminals is spent on spam, phishing and
//! invoice fraud sent from a trusted sender; a state service collecting
//! quietly does not do that. It is the behaviour that tells the financially
//! motivated hypothesis from espionage (`intel/webmail-supplement.json`).
//!
//! ## Example
//! bob, who writes to a dozen people a day, sends to 400 recipients in one
//! night.
//!
//! ## False positives
//! Newsletters and announcements sent by hand from a personal account;
//! accounts with no mail in the baseline count from zero.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts), T1534 (Internal Spearphishing), T1566
//! (Phishing).

use ahash::AHashMap;
use vigie_event::Finding;

use super::{Analytic, FIRST_KEPT, Facts, LoginRef, finding};

/// See the module documentation.
pub struct MassMailing {
    /// Recipients in a day that count as many, whatever the habit.
    pub many: u64,
    /// How many times the busiest baseline day a day must reach.
    pub times: u64,
}

impl Default for MassMailing {
    fn default() -> MassMailing {
        MassMailing {
            many: 100,
            times: 10,
        }
    }
}

/// An account's mail on one day, all its source addresses together.
#[derive(Default)]
struct Day<'h> {
    messages: u64,
    recipients: u64,
    first: Vec<&'h LoginRef>,
}

impl Analytic for MassMailing {
    fn code(&self) -> &'static str {
        "VA009"
    }

    fn title(&self) -> &'static str {
        "Mass mailing from an account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let until_day = facts.baseline.until.unix_seconds().div_euclid(86_400);
        let mut days: AHashMap<(&str, i64), Day<'_>> = AHashMap::new();
        for ((user, _, day), sent) in &facts.outbound.days {
            let d = days.entry((&**user, *day)).or_default();
            d.messages += sent.messages;
            d.recipients += sent.recipients;
            d.first.extend(&sent.first);
        }
        // The busiest day of each account before the baseline ends.
        let mut habit: AHashMap<&str, u64> = AHashMap::new();
        for ((user, day), d) in &days {
            if *day < until_day {
                let busiest = habit.entry(user).or_default();
                *busiest = (*busiest).max(d.recipients);
            }
        }
        let mut found = Vec::new();
        for ((user, day), mut d) in days {
            let busiest = habit.get(user).copied().unwrap_or(0);
            if day < until_day
                || d.recipients < self.many
                || d.recipients < self.times.saturating_mul(busiest.max(1))
            {
                continue;
            }
            d.first.sort_by_key(|l| l.timestamp);
            d.first.truncate(FIRST_KEPT);
            let reason = format!(
                "{user} sent {} messages to {} recipients in one day; its busiest day before {} had {busiest}",
                d.messages, d.recipients, facts.baseline.until
            );
            found.extend(finding(
                self,
                "high",
                &["T1078", "T1534", "T1566"],
                user,
                &d.first,
                d.messages,
                reason,
            ));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::{history, sent};
    use crate::analytics::{Baseline, OutboundHistory, VolumeHistory, WebReadingHistory};
    use vigie_event::Timestamp;

    /// A minute on day `day` (days since the epoch).
    fn on_day(day: i64, minute: i64) -> i64 {
        day * 1440 + minute
    }

    fn run(outbound: &OutboundHistory) -> Vec<Finding> {
        MassMailing::default().run(&Facts {
            logins: &history(&[]),
            volumes: &VolumeHistory::default(),
            outbound,
            web_reading: &WebReadingHistory::default(),
            geo: None,
            baseline: Baseline {
                until: Timestamp::from_unix(10 * 86_400, 0),
            },
            findings: &[],
        })
    }

    fn recipients(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("r{i}@partner{i}.example")).collect()
    }

    #[test]
    fn a_day_far_above_the_accounts_habit_is_flagged_across_its_addresses() {
        let mut outbound = OutboundHistory::default();
        let habit = recipients(14);
        let habit: Vec<&str> = habit.iter().map(String::as_str).collect();
        sent(
            &mut outbound,
            "bob@corp.example",
            "192.0.2.11",
            on_day(3, 600),
            &habit,
        );
        let burst = recipients(130);
        let burst: Vec<&str> = burst.iter().map(String::as_str).collect();
        // Two addresses on the same night: 65 + 65 is one account's day.
        sent(
            &mut outbound,
            "bob@corp.example",
            "203.0.113.66",
            on_day(12, 60),
            &burst[..65],
        );
        sent(
            &mut outbound,
            "bob@corp.example",
            "203.0.113.67",
            on_day(12, 61),
            &burst[65..],
        );
        assert!(run(&outbound).is_empty(), "130 is not ten times 14");
        let more = recipients(200);
        let more: Vec<&str> = more.iter().map(String::as_str).collect();
        sent(
            &mut outbound,
            "bob@corp.example",
            "203.0.113.66",
            on_day(12, 62),
            &more,
        );
        let found = run(&outbound);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].count, 3);
        assert!(
            found[0].reason.contains("330 recipients"),
            "{}",
            found[0].reason
        );
        assert!(found[0].reason.contains("had 14"), "{}", found[0].reason);
    }

    #[test]
    fn a_busy_baseline_day_is_not_flagged_and_few_recipients_never_are() {
        let mut outbound = OutboundHistory::default();
        let many = recipients(150);
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        sent(
            &mut outbound,
            "news@corp.example",
            "192.0.2.20",
            on_day(2, 0),
            &many,
        );
        assert!(run(&outbound).is_empty(), "the baseline is habit, not news");
        sent(
            &mut outbound,
            "carol@corp.example",
            "192.0.2.12",
            on_day(11, 0),
            &many[..99],
        );
        assert!(run(&outbound).is_empty(), "99 is not many");
    }
}
