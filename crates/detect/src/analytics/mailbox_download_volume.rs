//! VA005 `mailbox_download_volume`.
//!
//! ## What it detects
//! A day on which an account's IMAP/POP3 sessions sent far more mail to
//! their clients than on any earlier day (rolling baseline, each day against
//! the days before it, [`super::Baseline`]): more than
//! [`MailboxDownloadVolume::factor`] times its busiest earlier day and more
//! than [`MailboxDownloadVolume::floor`] bytes.
//!
//! ## Why it matters
//! Intruders copy whole mailboxes over IMAP with the stolen password (APT28's
//! bulk fetches); the Dovecot logout counters (`out=`) are the only trace of
//! how much left.
//!
//! ## Example
//! `imap(bob)…: Disconnected: Logged out in=190 out=734003200 …` on a day when
//! bob's sessions usually total a few megabytes.
//!
//! ## False positives
//! A new device's first synchronisation; days with fewer than three earlier
//! days of the account to compare with are left out. A backup host that reads every mailbox (an
//! address among the largest sessions of more than [`SHARED_READER`]
//! accounts on one day) is not counted: its bytes are taken out of the day.
//!
//! ## References
//! ATT&CK T1114.002 (Remote Email Collection), T1030.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use vigie_event::{Event, Finding, Timestamp};

use super::spill::{Combine, SpillMap};
use super::{Analytic, Facts, LoginRef, finding};

/// Accounts one address must read in bulk on one day to count as a backup host.
pub const SHARED_READER: usize = 10;

/// Sessions kept per account and day as evidence: the largest.
const SESSIONS_KEPT: usize = 5;

/// Bytes sent to IMAP/POP3 clients per account and day; the table spills
/// to temporary files past [`spill::IN_MEMORY`](super::spill::IN_MEMORY) entries
/// or [`spill::MEMORY_BUDGET`](super::spill::MEMORY_BUDGET) bytes.
#[derive(Default, Serialize, Deserialize)]
pub struct VolumeHistory {
    /// Per account and day since the epoch.
    days: SpillMap<(Arc<str>, i64), Day>,
}

#[derive(Default, Clone, Serialize, Deserialize)]
struct Day {
    bytes: u64,
    sessions: u64,
    /// The largest sessions ([`SESSIONS_KEPT`]), largest first.
    largest: Vec<(u64, LoginRef)>,
}

impl Combine for Day {
    fn heap_bytes(&self) -> usize {
        self.largest.capacity() * std::mem::size_of::<(u64, LoginRef)>()
    }

    fn combine(&mut self, other: Day) {
        self.add(other.bytes, other.sessions, other.largest);
    }
}

impl VolumeHistory {
    /// Records a Dovecot IMAP or POP3 logout with its `out=` counter;
    /// `login_source` is the address of the session's login when the logout
    /// line does not name it.
    pub fn add(
        &mut self,
        event: &Event<'_>,
        path: &Arc<str>,
        login_source: Option<std::net::IpAddr>,
    ) {
        let mail_protocol = matches!(event.protocol.as_deref(), Some("imap" | "pop3"));
        let (Some(user), Some(bytes)) = (event.user_name.as_deref(), event.bytes_out) else {
            return;
        };
        if !mail_protocol || event.action != Some("logout") {
            return;
        }
        let day = event.timestamp.unix_seconds().div_euclid(86_400);
        let source = event
            .source_ip
            .or(login_source)
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let login = LoginRef {
            timestamp: event.timestamp,
            source,
            path: Arc::clone(path),
            line: event.line,
        };
        self.days
            .entry((user.into(), day))
            .add(bytes, 1, [(bytes, login)]);
    }

    /// An empty history whose table writes out every `limit` entries.
    pub(crate) fn spilling(limit: usize) -> VolumeHistory {
        VolumeHistory {
            days: SpillMap::with_limit(limit),
        }
    }

    /// Adds another worker's history to this one.
    pub fn merge(&mut self, other: VolumeHistory) {
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

impl Day {
    fn add(
        &mut self,
        bytes: u64,
        sessions: u64,
        largest: impl IntoIterator<Item = (u64, LoginRef)>,
    ) {
        self.bytes += bytes;
        self.sessions += sessions;
        // Largest first, then earliest: the same list whatever order the
        // sessions come in.
        fn key((bytes, l): &(u64, LoginRef)) -> (std::cmp::Reverse<u64>, Timestamp, &str, u64) {
            (std::cmp::Reverse(*bytes), l.timestamp, &l.path, l.line)
        }
        for session in largest {
            let at = self.largest.partition_point(|s| key(s) <= key(&session));
            if at < SESSIONS_KEPT {
                // Allocated at its final size, as keep_first does: one a day
                // and account.
                if self.largest.len() == SESSIONS_KEPT {
                    self.largest.pop();
                }
                self.largest
                    .reserve_exact(SESSIONS_KEPT - self.largest.len());
                self.largest.insert(at, session);
            }
        }
    }
}

/// See the module documentation.
pub struct MailboxDownloadVolume {
    /// How many times the busiest baseline day a day must exceed.
    pub factor: u64,
    /// Bytes a day must exceed in any case.
    pub floor: u64,
}

impl Default for MailboxDownloadVolume {
    fn default() -> MailboxDownloadVolume {
        MailboxDownloadVolume {
            factor: 5,
            floor: 50 * 1024 * 1024,
        }
    }
}

impl Analytic for MailboxDownloadVolume {
    fn code(&self) -> &'static str {
        "VA005"
    }

    fn title(&self) -> &'static str {
        "Mailbox download volume far above the account's habit"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        // Each account's days in order: the busiest day before each one (rolling).
        let firsts = facts.logins.first_logins();
        let judged_day = |user: &str| {
            let first = firsts.get(user).copied().unwrap_or(facts.baseline.until);
            facts
                .baseline
                .judged_from(first)
                .unix_seconds()
                .div_euclid(86_400)
        };
        // Addresses that read many accounts' mail in bulk on one day (backup hosts).
        let mut readers: HashMap<(i64, IpAddr), HashSet<Arc<str>>> = HashMap::new();
        for ((user, day), d) in facts.volumes.days.sorted() {
            for (bytes, l) in &d.largest {
                if *bytes > self.floor / 10 && !l.source.is_unspecified() {
                    readers
                        .entry((day, l.source))
                        .or_default()
                        .insert(Arc::clone(&user));
                }
            }
        }
        let shared = |day: i64, l: &LoginRef| {
            readers
                .get(&(day, l.source))
                .is_some_and(|u| u.len() > SHARED_READER)
        };
        let mut found: Vec<Finding> = Vec::new();
        for (user, days) in facts.volumes.days.grouped() {
            let user = &*user;
            let judged = judged_day(user);
            // The busiest earlier day and how many days came before (rolling).
            let mut busiest = (0, 0);
            for (day, d) in days {
                let (habit, earlier) = busiest;
                busiest = (busiest.0.max(d.bytes), busiest.1 + 1);
                if day < judged {
                    continue;
                }
                let backup: u64 = d
                    .largest
                    .iter()
                    .filter(|(_, l)| shared(day, l))
                    .map(|(b, _)| b)
                    .sum();
                let bytes = d.bytes - backup.min(d.bytes);
                if earlier < 3 || bytes <= self.floor || bytes <= habit.saturating_mul(self.factor)
                {
                    continue;
                }
                let refs: Vec<&LoginRef> = d
                    .largest
                    .iter()
                    .filter(|(_, l)| !shared(day, l))
                    .map(|(_, l)| l)
                    .collect();
                let date = Timestamp::from_unix(day * 86_400, 0).to_string();
                let reason = format!(
                    "{user}: {} MB sent to mail clients in {} sessions on {}; compared with its {earlier} earlier day(s) of mail reading, at most {} MB a day (rolling baseline; an account's first week is its warm-up)",
                    bytes / 1_000_000,
                    d.sessions,
                    &date[..10],
                    habit / 1_000_000
                );
                found.extend(finding(
                    self,
                    "medium",
                    &["T1114.002", "T1030"],
                    user,
                    &refs,
                    d.sessions,
                    reason,
                ));
            }
        }
        found.sort_by(|a, b| (&a.entity.user, a.first_seen).cmp(&(&b.entity.user, b.first_seen)));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{Baseline, LoginHistory};

    fn volumes(days: &[(&str, i64, u64)]) -> VolumeHistory {
        spilling(usize::MAX, days)
    }

    /// As [`volumes`], the table written out every `limit` entries.
    fn spilling(limit: usize, days: &[(&str, i64, u64)]) -> VolumeHistory {
        let mut v = VolumeHistory::spilling(limit);
        for &(user, day, bytes) in days {
            let login = LoginRef {
                timestamp: Timestamp::from_unix(day * 86_400 + 3600, 0),
                source: "192.0.2.1".parse().unwrap(),
                path: "dovecot.log".into(),
                line: day as u64,
            };
            v.days
                .entry((user.into(), day))
                .add(bytes, 1, [(bytes, login)]);
        }
        v
    }

    #[test]
    fn days_stay_in_order_and_merge_whatever_the_order_read() {
        let a = volumes(&[("bob", 5, 10), ("bob", 3, 1), ("bob", 5, 20), ("bob", 4, 2)]);
        let mut b = volumes(&[("bob", 4, 100), ("bob", 9, 7)]);
        b.merge(a);
        let days: Vec<(i64, u64, u64)> = b
            .days
            .sorted()
            .map(|((_, day), d)| (day, d.bytes, d.sessions))
            .collect();
        assert_eq!(days, [(3, 1, 1), (4, 102, 2), (5, 30, 2), (9, 7, 1)]);
        let (_, fifth) = b.days.grouped().next().unwrap().1.remove(2);
        let largest: Vec<u64> = fifth.largest.iter().map(|(n, _)| *n).collect();
        assert_eq!(largest, [20, 10]);
    }

    #[test]
    fn a_mailbox_copied_in_one_day_stands_out() {
        let mut days: Vec<(&str, i64, u64)> = (0..10).map(|d| ("bob", d, 4_000_000)).collect();
        days.extend((0..10).map(|d| ("carol", d, 3_000_000)));
        days.push(("bob", 12, 800_000_000));
        days.push(("carol", 12, 5_000_000));
        // dave's spike on his third day has two earlier days only: not judged.
        days.extend([("dave", 0, 1_000_000), ("dave", 1, 1_000_000)]);
        days.push(("dave", 2, 900_000_000));
        let logins = LoginHistory::default();
        // Kept in memory, and written out every few entries.
        for v in [volumes(&days), spilling(3, &days)] {
            let facts = Facts {
                logins: &logins,
                volumes: &v,
                outbound: &crate::analytics::OutboundHistory::default(),
                web_reading: &crate::analytics::WebReadingHistory::default(),
                failures: &crate::analytics::FailureHistory::default(),
                downloads: &crate::analytics::DownloadHistory::default(),
                geo: None,
                baseline: Baseline {
                    until: Timestamp::from_unix(0, 0),
                },
                findings: &[],
            };
            let found = MailboxDownloadVolume::default().run(&facts);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].entity.user.as_deref(), Some("bob"));
            assert!(
                found[0].reason.contains("its 10 earlier day(s)"),
                "{}",
                found[0].reason
            );
        }
    }
}
