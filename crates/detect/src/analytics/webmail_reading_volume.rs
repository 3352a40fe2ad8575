//! VA008 `webmail_reading_volume`.
//!
//! ## What it detects
//! A day on which an account opened far more messages, or downloaded far
//! more attachments, through the webmail than on any earlier day (rolling
//! baseline, each day against the days before it, [`super::Baseline`]; at
//! least three earlier days): more than [`WebmailReadingVolume::factor`]
//! times its busiest earlier day
//! and more than the floors ([`WebmailReadingVolume::messages_floor`],
//! [`WebmailReadingVolume::attachments_floor`]).
//!
//! ## Why it matters
//! An intruder in a webmail session reads what the account holds: message
//! after message, attachment after attachment (the December 2025 intruder
//! reached document files). The web server's access log is the trace
//! (`_action=show|preview`, `_action=get` with a part or `_download=1`).
//!
//! ## Example
//! A browser at 203.0.113.66, where only alice logged in, opens 400 messages
//! in a night; alice's busiest earlier day was 30.
//!
//! ## False positives
//! A user catching up after holidays. Access logs name no account: requests
//! count for the one account that logged in from their address, and
//! addresses several accounts used (a NAT) are left out.
//!
//! ## References
//! ATT&CK T1114 (Email Collection), T1213 (Data from Information Repositories).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vigie_event::{Event, Finding, Timestamp};

use super::spill::{Combine, SpillMap};
use super::{Analytic, Facts, LoginRef, finding, keep_earliest};

/// Messages opened and attachments downloaded through the webmail, per
/// browser address and day, gathered in stage one; the table spills to
/// temporary files past [`spill::IN_MEMORY`](super::spill::IN_MEMORY) entries
/// or [`spill::MEMORY_BUDGET`](super::spill::MEMORY_BUDGET) bytes.
#[derive(Default, Serialize, Deserialize)]
pub struct WebReadingHistory {
    days: SpillMap<(IpAddr, i64), Reading>,
}

#[derive(Default, Clone, Copy, Serialize, Deserialize)]
struct Counts {
    opened: u64,
    attachments: u64,
}

#[derive(Default, Clone, Serialize, Deserialize)]
struct Reading {
    counts: Counts,
    /// The earliest requests ([`keep_earliest`]).
    first: Vec<LoginRef>,
}

impl Combine for Reading {
    fn heap_bytes(&self) -> usize {
        self.first.capacity() * std::mem::size_of::<LoginRef>()
    }

    fn combine(&mut self, other: Reading) {
        self.counts.opened += other.counts.opened;
        self.counts.attachments += other.counts.attachments;
        for login in other.first {
            keep_earliest(&mut self.first, login);
        }
    }
}

impl WebReadingHistory {
    /// Records a webmail request that opened a message or downloaded an attachment.
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let opened = match event.action {
            Some("message-open") => true,
            Some("attachment-download") => false,
            _ => return,
        };
        let Some(source) = event.source_ip else {
            return;
        };
        if event.http_status.is_some_and(|s| s >= 400) {
            return;
        }
        let day = event.timestamp.unix_seconds().div_euclid(86_400);
        let reading = self.days.entry((source, day));
        if opened {
            reading.counts.opened += 1;
        } else {
            reading.counts.attachments += 1;
        }
        keep_earliest(
            &mut reading.first,
            LoginRef {
                timestamp: event.timestamp,
                source,
                path: Arc::clone(path),
                line: event.line,
            },
        );
    }

    /// An empty history whose table writes out every `limit` entries.
    pub(crate) fn spilling(limit: usize) -> WebReadingHistory {
        WebReadingHistory {
            days: SpillMap::with_limit(limit),
        }
    }

    /// Adds another worker's history to this one.
    pub fn merge(&mut self, other: WebReadingHistory) {
        self.days.merge(other.days);
    }

    /// Writes the table's entries in memory out ([`SpillMap::write_out`]).
    pub fn write_out(&mut self) {
        self.days.write_out();
    }

    /// The first error reading the spilled table back, when a read ended
    /// early because of it.
    pub fn error(&self) -> Option<String> {
        self.days.error()
    }
}

/// See the module documentation.
pub struct WebmailReadingVolume {
    /// How many times the busiest baseline day a day must exceed.
    pub factor: u64,
    /// Messages opened a day must exceed in any case.
    pub messages_floor: u64,
    /// Attachments downloaded a day must exceed in any case.
    pub attachments_floor: u64,
}

impl Default for WebmailReadingVolume {
    fn default() -> WebmailReadingVolume {
        WebmailReadingVolume {
            factor: 5,
            messages_floor: 100,
            attachments_floor: 25,
        }
    }
}

impl Analytic for WebmailReadingVolume {
    fn code(&self) -> &'static str {
        "VA008"
    }

    fn title(&self) -> &'static str {
        "Webmail reading far above the account's habit"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        // Per account and day, over the addresses attributed to it.
        let mut per_day: HashMap<(&str, i64), (Counts, Vec<LoginRef>)> = HashMap::new();
        for ((source, day), reading) in facts.web_reading.days.sorted() {
            let Some(user) = facts.logins.only_account_of(source) else {
                continue;
            };
            let entry = per_day.entry((user, day)).or_default();
            entry.0.opened += reading.counts.opened;
            entry.0.attachments += reading.counts.attachments;
            entry.1.extend(reading.first);
        }
        // Each account's days in order: the busiest day before each one (rolling).
        let firsts = facts.logins.first_logins();
        let mut per_day: Vec<_> = per_day.into_iter().collect();
        per_day.sort_unstable_by_key(|((user, day), _)| (*user, *day));
        let mut busiest: HashMap<&str, (Counts, u32)> = HashMap::new();
        let mut found = Vec::new();
        for ((user, day), (counts, mut refs)) in per_day {
            let b = busiest.entry(user).or_default();
            let (habit, days) = *b;
            b.0.opened = b.0.opened.max(counts.opened);
            b.0.attachments = b.0.attachments.max(counts.attachments);
            b.1 += 1;
            let first = firsts.get(user).copied().unwrap_or(facts.baseline.until);
            let judged_day = facts
                .baseline
                .judged_from(first)
                .unix_seconds()
                .div_euclid(86_400);
            if day < judged_day || days < 3 {
                continue;
            }
            let above = |now: u64, usual: u64, floor: u64| {
                now > floor && now > usual.saturating_mul(self.factor)
            };
            let opened = above(counts.opened, habit.opened, self.messages_floor);
            let attached = above(
                counts.attachments,
                habit.attachments,
                self.attachments_floor,
            );
            if !opened && !attached {
                continue;
            }
            refs.sort_by(|a, b| {
                (a.timestamp, &a.path, a.line).cmp(&(b.timestamp, &b.path, b.line))
            });
            refs.truncate(vigie_event::EVIDENCE_KEPT);
            let refs: Vec<&LoginRef> = refs.iter().collect();
            let date = Timestamp::from_unix(day * 86_400, 0).to_string();
            let reason = format!(
                "{user}: {} messages opened and {} attachments downloaded through the webmail on {}; compared with its {days} earlier day(s) of webmail reading, at most {} and {} a day (rolling baseline; an account's first week is its warm-up)",
                counts.opened,
                counts.attachments,
                &date[..10],
                habit.opened,
                habit.attachments
            );
            found.extend(finding(
                self,
                "medium",
                &["T1114", "T1213"],
                user,
                &refs,
                counts.opened + counts.attachments,
                reason,
            ));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::history;
    use crate::analytics::{Baseline, OutboundHistory, VolumeHistory};

    fn reading(web: &mut WebReadingHistory, ip: &str, day: i64, opened: u64, attachments: u64) {
        let reading = web.days.entry((ip.parse().unwrap(), day));
        reading.counts.opened += opened;
        reading.counts.attachments += attachments;
        reading.first.push(LoginRef {
            timestamp: Timestamp::from_unix(day * 86_400 + 7200, 0),
            source: ip.parse().unwrap(),
            path: "access.log".into(),
            line: day as u64,
        });
    }

    #[test]
    fn a_night_of_reading_stands_out_but_an_ordinary_day_does_not() {
        let logins = history(&[
            ("alice", "192.0.2.10", 60),
            ("alice", "203.0.113.66", 12 * 1440 + 60),
            ("bob", "192.0.2.10", 61),
        ]);
        let mut web = WebReadingHistory::default();
        for day in 0..10 {
            reading(&mut web, "192.0.2.20", day, 30, 4);
        }
        reading(&mut web, "203.0.113.66", 12, 40, 3);
        let run = |web: &WebReadingHistory| {
            WebmailReadingVolume::default().run(&Facts {
                logins: &logins,
                volumes: &VolumeHistory::default(),
                outbound: &OutboundHistory::default(),
                web_reading: web,
                failures: &crate::analytics::FailureHistory::default(),
                downloads: &crate::analytics::DownloadHistory::default(),
                geo: None,
                baseline: Baseline {
                    until: Timestamp::from_unix(0, 0),
                },
                findings: &[],
            })
        };
        // 192.0.2.20 has no login: nobody to attribute it to.
        assert!(run(&web).is_empty());
        // Kept in memory, and written out every few entries.
        for mut web in [WebReadingHistory::default(), WebReadingHistory::spilling(2)] {
            for day in 0..10 {
                reading(&mut web, "203.0.113.66", day, 30, 4);
            }
            reading(&mut web, "203.0.113.66", 12, 400, 3);
            let found = run(&web);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].entity.user.as_deref(), Some("alice"));
            assert!(
                found[0].reason.contains("400 messages"),
                "{}",
                found[0].reason
            );
        }
    }
}
