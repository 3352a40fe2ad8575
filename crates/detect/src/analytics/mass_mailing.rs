//! VA009 `mass_mailing`.
//!
//! ## What it detects
//! A day on which an account sends mail to far more recipients than on any
//! earlier day (from any address, through the webmail, by SMTP submission
//! to Postfix or to Exim): at least [`MassMailing::many`] recipients, or
//! half as many with a quarter of them bounced or deferred (spam lists are
//! stale; remote servers rate-limit), and at least [`MassMailing::times`]
//! its busiest earlier day. The baseline rolls: each day is compared with
//! the days before it, so an account that never sent in bulk is flagged on
//! its first bulk day even at the start of the logs (the finding says there
//! was no earlier day to compare with).
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
//! Newsletters and announcements sent by hand from a personal account (the
//! first such day only: it is the habit afterwards).
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts), T1534 (Internal Spearphishing), T1566
//! (Phishing).

use std::net::IpAddr;
use std::sync::Arc;

use vigie_event::Finding;

use super::mail_sent_from_new_address::Sent;
use super::{Analytic, Facts, LoginRef, finding, keep_earliest};

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
struct Day {
    messages: u64,
    recipients: u64,
    refused: u64,
    /// The earliest sends ([`keep_earliest`]).
    first: Vec<LoginRef>,
}

impl Analytic for MassMailing {
    fn code(&self) -> &'static str {
        "VA009"
    }

    fn title(&self) -> &'static str {
        "Mass mailing from an account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let firsts = facts.logins.first_logins();
        let mut found = Vec::new();
        // Each account's days in order (the table's: account, day,
        // address): the busiest day before each one.
        for (user, days) in by_account(facts.outbound.days.sorted()) {
            let user = &*user;
            let mut busiest = 0;
            for (i, (day, d)) in days.into_iter().enumerate() {
                let before = busiest;
                busiest = busiest.max(d.recipients);
                let refused_many = d.refused * 4 >= d.recipients + d.refused;
                let bulk = d.recipients >= self.many
                    || (refused_many && d.recipients + d.refused >= self.many / 2);
                if !bulk || d.recipients < self.times.saturating_mul(before.max(1)) {
                    continue;
                }
                let date = vigie_event::Timestamp::from_unix(day * 86_400, 0).to_string();
                let compared = if i == 0 {
                    "no earlier day of mail from this account to compare with (its first day in the logs); flagged on volume alone".to_string()
                } else {
                    format!(
                        "compared with its {i} earlier day(s) of mail: the busiest had {before} recipients"
                    )
                };
                let at = d
                    .first
                    .first()
                    .map_or(vigie_event::Timestamp::from_unix(day * 86_400, 0), |l| {
                        l.timestamp
                    });
                let reason = format!(
                    "{user} sent {} messages to {} recipients on {} ({} bounced or deferred); {compared}{}",
                    d.messages,
                    d.recipients,
                    &date[..10],
                    d.refused,
                    facts.baseline.warm_up_note(firsts.get(user).copied(), at)
                );
                found.extend(finding(
                    self,
                    "high",
                    &["T1078", "T1534", "T1566"],
                    user,
                    &d.first.iter().collect::<Vec<_>>(),
                    d.messages,
                    reason,
                ));
            }
        }
        found
    }
}

/// The days of `entries` (in account, day and address order), the
/// addresses of a day added up, gathered per account.
fn by_account(
    entries: impl Iterator<Item = ((Arc<str>, i64, IpAddr), Sent)>,
) -> impl Iterator<Item = (Arc<str>, Vec<(i64, Day)>)> {
    let mut entries = entries.peekable();
    std::iter::from_fn(move || {
        let ((user, _, _), _) = entries.peek()?;
        let user = Arc::clone(user);
        let mut days: Vec<(i64, Day)> = Vec::new();
        while let Some(((_, day, _), sent)) = entries.next_if(|((u, _, _), _)| *u == user) {
            if days.last().is_none_or(|(d, _)| *d != day) {
                days.push((day, Day::default()));
            }
            let Some((_, d)) = days.last_mut() else {
                break;
            };
            d.messages += sent.messages;
            d.recipients += sent.recipients;
            d.refused += sent.bounces + sent.deferrals;
            for login in sent.first {
                keep_earliest(&mut d.first, login);
            }
        }
        Some((user, days))
    })
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
            failures: &crate::analytics::FailureHistory::default(),
            downloads: &crate::analytics::DownloadHistory::default(),
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
        // Kept in memory, and written out every few entries.
        for mut outbound in [OutboundHistory::default(), OutboundHistory::spilling(2)] {
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
            assert!(
                found[0].reason.contains("had 14 recipients"),
                "{}",
                found[0].reason
            );
        }
    }

    #[test]
    fn a_first_bulk_day_is_flagged_even_early_then_it_is_habit_and_few_recipients_never_are() {
        // Kept in memory, and written out every few entries.
        for mut outbound in [OutboundHistory::default(), OutboundHistory::spilling(2)] {
            let many = recipients(150);
            let many: Vec<&str> = many.iter().map(String::as_str).collect();
            sent(
                &mut outbound,
                "news@corp.example",
                "192.0.2.20",
                on_day(2, 0),
                &many,
            );
            let found = run(&outbound);
            assert_eq!(found.len(), 1, "no baseline period hides the first day");
            assert!(
                found[0].reason.contains("no earlier day"),
                "{}",
                found[0].reason
            );
            sent(
                &mut outbound,
                "news@corp.example",
                "192.0.2.20",
                on_day(9, 0),
                &many,
            );
            assert_eq!(run(&outbound).len(), 1, "the second bulk day is habit");
            let mut outbound = OutboundHistory::default();
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
}
