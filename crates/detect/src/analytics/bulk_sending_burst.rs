//! VA012 `bulk_sending_burst`.
//!
//! ## What it detects
//! An hour (or a run of hours) in which one account submits mail to far more
//! recipients than in any earlier hour of its own and than the server's
//! accounts do in an hour, through any MTA whose log ties recipients to an
//! authenticated submission (Postfix `sasl_username=` with its queue id,
//! Exim `A=…` with its message id, the webmail's sendmail log): at least
//! [`BulkSendingBurst::floor`] recipients and deferrals, at least
//! [`BulkSendingBurst::times`] the account's busiest earlier hour and the
//! 99th-percentile hour of the server's other accounts. Bounces (`**`, `status=bounced`)
//! and deferrals (`==`, `status=deferred`: rate limits, greylisting) are
//! counted apart: stale spam lists bounce, receivers rate-limit. High when a
//! fifth or more were refused or when the account had a finding of at least
//! medium level in the day before (a takeover); medium otherwise.
//!
//! The account's habit rolls (each hour against the hours before it), so a
//! burst on the first day is judged; the server's is the whole scan's.
//!
//! ## Why it matters
//! A taken-over account is spent on spam within the hour, before the owner
//! or a receiver's complaint stops it; a day's total (VA009) can stay under
//! its threshold while the hour is unmistakable.
//!
//! ## Example
//! After 60 refused SMTP AUTH attempts on Exim, `1j7pb0-0008Ht-Oi <= bob@…
//! A=dovecot_login:bob` then 6 messages to 150 recipients in 20 minutes, 40
//! of them `**` or `==`.
//!
//! ## False positives
//! Announcements sent by hand to a long list (medium: no refusals, no
//! finding before); the second such hour is the habit.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts), T1534 (Internal Spearphishing), T1566
//! (Phishing).

use std::collections::BTreeMap;

use vigie_event::{Finding, Timestamp};

use super::{Analytic, FIRST_KEPT, Facts, LoginRef, finding};

/// See the module documentation.
pub struct BulkSendingBurst {
    /// Recipients and deferrals an hour must reach in any case.
    pub floor: u64,
    /// How many times the account's busiest earlier hour and the server's
    /// 99th-percentile account-hour it must reach.
    pub times: u64,
    /// How long before the burst a finding about the account makes it a
    /// takeover's, in seconds.
    pub after: i64,
}

impl Default for BulkSendingBurst {
    fn default() -> BulkSendingBurst {
        BulkSendingBurst {
            floor: 30,
            times: 5,
            after: 86_400,
        }
    }
}

/// A run of burst hours of one account.
struct Run<'h> {
    from: i64,
    to: i64,
    messages: u64,
    recipients: u64,
    bounces: u64,
    deferrals: u64,
    habit: u64,
    earlier: usize,
    first: Vec<&'h LoginRef>,
}

impl Analytic for BulkSendingBurst {
    fn code(&self) -> &'static str {
        "VA012"
    }

    fn title(&self) -> &'static str {
        "Burst of mail from an account within the hour"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let hours = &facts.outbound.hours;
        // The server's hours by volume: how many hours had each volume.
        let mut volumes: BTreeMap<u64, u64> = BTreeMap::new();
        for (_, b) in hours.sorted() {
            *volumes.entry(b.recipients + b.deferrals).or_default() += 1;
        }
        let all = Cumulative::of(&volumes);
        let firsts = facts.logins.first_logins();
        let mut found = Vec::new();
        // One account's hours at a time, in hour order (the table's order).
        for (user, account_hours) in hours.grouped() {
            let user = &*user;
            // The server's habit: the other accounts' 99th-percentile hour.
            let mut own: Vec<u64> = account_hours
                .iter()
                .map(|(_, b)| b.recipients + b.deferrals)
                .collect();
            own.sort_unstable();
            let server = all.percentile_without(&own, 99);
            let mut busiest = 0;
            let mut runs: Vec<Run<'_>> = Vec::new();
            for (i, (hour, b)) in account_hours.iter().enumerate() {
                let volume = b.recipients + b.deferrals;
                let before = busiest;
                busiest = busiest.max(volume);
                // The next hour carries a run on when it is above the habit
                // the run was judged against.
                let run_on = runs.last().filter(|r| r.to + 1 >= *hour).map(|r| r.habit);
                let habit = run_on.unwrap_or(before);
                let burst = volume >= self.times.saturating_mul(habit.max(1))
                    && volume >= self.times.saturating_mul(server.max(1))
                    && (run_on.is_some() || volume >= self.floor);
                if !burst {
                    continue;
                }
                match runs.last_mut() {
                    Some(r) if run_on.is_some() => {
                        r.to = *hour;
                        r.messages += b.messages;
                        r.recipients += b.recipients;
                        r.bounces += b.bounces;
                        r.deferrals += b.deferrals;
                    }
                    _ => runs.push(Run {
                        from: *hour,
                        to: *hour,
                        messages: b.messages,
                        recipients: b.recipients,
                        bounces: b.bounces,
                        deferrals: b.deferrals,
                        habit: before,
                        earlier: i,
                        first: b.first.iter().collect(),
                    }),
                }
            }
            for mut r in runs {
                r.first.sort_by_key(|l| l.timestamp);
                r.first.truncate(FIRST_KEPT);
                let start = r
                    .first
                    .first()
                    .map_or(Timestamp::from_unix(r.from * 3600, 0), |l| l.timestamp);
                let takeover = self.before(facts, user, start);
                let refused = r.bounces + r.deferrals;
                let refused_many = refused * 5 >= r.recipients + r.deferrals;
                let level = if refused_many || !takeover.is_empty() {
                    "high"
                } else {
                    "medium"
                };
                let habit = if r.earlier == 0 {
                    "no earlier hour of mail from this account".to_string()
                } else {
                    format!(
                        "its busiest of {} earlier hour(s) with mail had {} recipients",
                        r.earlier, r.habit
                    )
                };
                let after = if takeover.is_empty() {
                    String::new()
                } else {
                    format!("; after {}", takeover.join(", "))
                };
                let reason = format!(
                    "{user} submitted {} messages to {} recipients in {} hour(s) from {start} ({} bounced, {} deferred: rate limits and greylisting defer); compared with the account's habit ({habit}; rolling) and the server's (99% of the other accounts' hours with mail reach at most {server} recipients){after}{}",
                    r.messages,
                    r.recipients,
                    r.to - r.from + 1,
                    r.bounces,
                    r.deferrals,
                    facts
                        .baseline
                        .warm_up_note(firsts.get(user).copied(), start),
                );
                found.extend(finding(
                    self,
                    level,
                    &["T1078", "T1534", "T1566"],
                    user,
                    &r.first,
                    r.recipients + r.deferrals,
                    reason,
                ));
            }
        }
        found
    }
}

/// The server's hour volumes as `(volume, hours at or below it)`, in
/// volume order: the distribution without one entry per hour.
struct Cumulative(Vec<(u64, u64)>);

impl Cumulative {
    fn of(volumes: &BTreeMap<u64, u64>) -> Cumulative {
        let mut total = 0;
        Cumulative(
            volumes
                .iter()
                .map(|(&v, &n)| {
                    total += n;
                    (v, total)
                })
                .collect(),
        )
    }

    /// The `q`th percentile of the hours once those of `own` (sorted, a
    /// part of them) are taken out. Zero when nothing is left.
    fn percentile_without(&self, own: &[u64], q: u64) -> u64 {
        let all = self.0.last().map_or(0, |(_, n)| *n);
        let others = all.saturating_sub(own.len() as u64);
        if others == 0 {
            return 0;
        }
        let rank = others * q / 100;
        // The first volume with more than `rank` of the others at or below it.
        let at = self
            .0
            .partition_point(|&(v, n)| n - own.partition_point(|&x| x <= v) as u64 <= rank);
        self.0.get(at).map_or(0, |(v, _)| *v)
    }
}

impl BulkSendingBurst {
    /// The titles of the findings about `user` of at least medium level in
    /// the [`BulkSendingBurst::after`] seconds before `start` (rules,
    /// correlations, earlier analytics; not the mail volume's own).
    fn before(&self, facts: &Facts<'_>, user: &str, start: Timestamp) -> Vec<String> {
        let since = Timestamp::from_unix(start.unix_seconds() - self.after, 0);
        let mut titles: Vec<String> = facts
            .findings
            .iter()
            .filter(|f| f.entity.user.as_deref() == Some(user))
            .filter(|f| matches!(f.level.as_str(), "medium" | "high" | "critical"))
            .filter(|f| !matches!(f.rule_id.as_str(), "VA009" | "VA012"))
            .filter(|f| f.first_seen >= since && f.first_seen <= start)
            .map(|f| format!("'{}' at {}", f.title, f.first_seen))
            .collect();
        titles.sort_unstable();
        titles.dedup();
        titles.truncate(3);
        titles
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::OutboundHistory;
    use crate::analytics::tests::history;
    use crate::analytics::{Baseline, DownloadHistory, FailureHistory};
    use crate::analytics::{VolumeHistory, WebReadingHistory};

    fn burst(outbound: &mut OutboundHistory, user: &str, hour: i64, recipients: u64, refused: u64) {
        let b = outbound.hours.entry((user.into(), hour));
        b.messages += 1;
        b.recipients += recipients;
        b.deferrals += refused;
        b.first.push(LoginRef {
            timestamp: Timestamp::from_unix(hour * 3600 + 60, 0),
            source: "192.0.2.1".parse().unwrap(),
            path: "mail.log".into(),
            line: hour as u64,
        });
    }

    fn run(outbound: &OutboundHistory) -> Vec<Finding> {
        let logins = history(&[("bob", "192.0.2.1", 1)]);
        BulkSendingBurst::default().run(&Facts {
            logins: &logins,
            volumes: &VolumeHistory::default(),
            outbound,
            web_reading: &WebReadingHistory::default(),
            failures: &FailureHistory::default(),
            downloads: &DownloadHistory::default(),
            geo: None,
            baseline: Baseline {
                until: Timestamp::from_unix(0, 0),
            },
            findings: &[],
        })
    }

    #[test]
    fn an_hour_far_above_the_account_and_the_server_stands_out() {
        // Kept in memory, and written out every few entries.
        for mut outbound in [OutboundHistory::default(), OutboundHistory::spilling(2)] {
            for hour in 0..200 {
                burst(&mut outbound, "alice", hour, 2, 0);
                burst(&mut outbound, "bob", hour, 3, 0);
            }
            burst(&mut outbound, "bob", 300, 35, 15);
            burst(&mut outbound, "bob", 301, 20, 0);
            // alice's 25 recipients stay under the floor.
            burst(&mut outbound, "alice", 300, 25, 0);
            let found = run(&outbound);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].entity.user.as_deref(), Some("bob"));
            assert_eq!(found[0].level, "high", "a fifth deferred");
            assert!(
                found[0].reason.contains("55 recipients in 2 hour(s)")
                    && found[0]
                        .reason
                        .contains("busiest of 200 earlier hour(s) with mail had 3"),
                "{}",
                found[0].reason
            );
        }
    }

    #[test]
    fn the_account_s_own_habit_of_lists_is_a_burst_once() {
        // Kept in memory, and written out every few entries.
        for mut outbound in [OutboundHistory::default(), OutboundHistory::spilling(2)] {
            for hour in 0..1500 {
                burst(&mut outbound, "alice", hour, 2, 0);
                burst(&mut outbound, "carol", hour, 3, 0);
            }
            for day in 0..10 {
                burst(&mut outbound, "bob", day * 24 + 5, 40, 0);
            }
            let found = run(&outbound);
            // Only bob's first list is new for him; medium: nothing refused, nothing before.
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].level, "medium");
            assert!(found[0].reason.contains("no earlier hour of mail"));
        }
    }

    #[test]
    fn the_server_s_habit_leaves_the_account_out() {
        let hours = |volumes: &[u64]| {
            let mut counts = BTreeMap::new();
            for v in volumes {
                *counts.entry(*v).or_default() += 1;
            }
            Cumulative::of(&counts)
        };
        assert_eq!(hours(&[1, 1, 2, 45]).percentile_without(&[45], 99), 2);
        assert_eq!(hours(&[1, 1, 2, 45]).percentile_without(&[1], 50), 2);
        assert_eq!(hours(&[45]).percentile_without(&[45], 99), 0);
        assert_eq!(hours(&[]).percentile_without(&[], 99), 0);
    }

    #[test]
    fn a_server_where_lists_are_the_habit_raises_nothing() {
        // Kept in memory, and written out every few entries.
        for mut outbound in [OutboundHistory::default(), OutboundHistory::spilling(2)] {
            for hour in 0..20 {
                burst(&mut outbound, "bob", hour * 24, 40, 0);
                burst(&mut outbound, "dave", hour * 24 + 1, 45, 0);
            }
            assert!(run(&outbound).is_empty());
        }
    }
}
