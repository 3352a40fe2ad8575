//! VA007 `mail_sent_from_new_address`.
//!
//! ## What it detects
//! Mail sent by an account, through the webmail (Roundcube's `sendmail` log)
//! or by authenticated SMTP submission (Postfix `sasl_username=`, followed by
//! its queue id to the `to=` lines), from an address the account never logged
//! in from on an earlier day, once the account is out of its warm-up
//! (rolling baseline, [`super::Baseline`]), to a free-mail provider or to
//! many external recipients.
//!
//! ## Why it matters
//! An intruder who holds the account uses it: to forward what was read to a
//! mailbox of their own (often a free-mail one), or to phish the account's
//! correspondents from a trusted sender (Winter Vivern and APT28 do both).
//!
//! ## Example
//! alice's session from 203.0.113.66, new for her, sends to
//! `collector@gmail.com` ten minutes after logging in.
//!
//! ## False positives
//! A user on the road writing to a private address. Free-mail domains are the
//! list in `rules/data/freemail-domains.txt`; local domains are those of the
//! accounts that log in and of the mail the server delivers itself.
//!
//! ## References
//! ATT&CK T1078 (Valid Accounts), T1048 (Exfiltration Over Alternative
//! Protocol), T1534 (Internal Spearphishing).

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

use ahash::{AHashMap, AHashSet};
use serde::{Deserialize, Serialize};
use vigie_event::{Category, Dataset, Event, Finding, Outcome};

use super::spill::{Combine, SpillMap};
use super::{Analytic, Facts, LoginRef, finding, is_webmail_host, keep_earliest};

/// Free-mail domains, one a line (`#` comments), shipped with the rule pack.
static FREEMAIL: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../../rules/data/freemail-domains.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Whether `domain` is a free-mail provider's (`rules/data/freemail-domains.txt`).
pub fn is_freemail(domain: &str) -> bool {
    FREEMAIL.contains(domain.to_ascii_lowercase().as_str())
}

/// Distinct recipient domains counted per account, address and day; the rest
/// are counted together as external.
const DOMAINS_KEPT: usize = 64;

/// Submissions waiting for their `to=` lines, per rotated set; past this
/// many, the oldest half is dropped (a queue id lives seconds, not days).
const PENDING_KEPT: usize = 100_000;

/// Mail sent per account, then per source address, all days together:
/// `(messages, recipients, recipients bounced or deferred)`.
pub type SentTotals = AHashMap<Arc<str>, AHashMap<IpAddr, (u64, u64, u64)>>;

/// Mail sent per account, source address and day, gathered in stage one.
/// Its two tables grow with the days the logs cover and spill to
/// temporary files past [`spill::IN_MEMORY`](super::spill::IN_MEMORY) entries
/// or [`spill::MEMORY_BUDGET`](super::spill::MEMORY_BUDGET) bytes each.
#[derive(Default, Serialize, Deserialize)]
pub struct OutboundHistory {
    /// Per account, day (days since the epoch, UTC) and source address.
    pub(super) days: SpillMap<(Arc<str>, i64, IpAddr), Sent>,
    /// Domains the server delivers to itself (LMTP, local, virtual).
    local_domains: AHashSet<Box<str>>,
    /// Postfix submissions and Exim authenticated arrivals by queue or
    /// message id, until their recipients are seen.
    pending: AHashMap<Box<str>, (Arc<str>, LoginRef)>,
    /// Per account and hour of submission (hours since the epoch), all its
    /// addresses together: the short window bulk sending is judged in.
    pub(super) hours: SpillMap<(Arc<str>, i64), Burst>,
}

/// What one account submitted in one hour; deliveries count in the hour
/// their message was submitted, whenever they were tried.
#[derive(Default, Clone, Serialize, Deserialize)]
pub(super) struct Burst {
    pub(super) messages: u64,
    /// Recipients accepted or bounced.
    pub(super) recipients: u64,
    /// Recipients the remote server refused for good.
    pub(super) bounces: u64,
    /// Recipients put off: rate limits, greylisting.
    pub(super) deferrals: u64,
    /// The earliest submissions, as evidence ([`keep_earliest`]).
    pub(super) first: Vec<LoginRef>,
}

impl Combine for Burst {
    fn heap_bytes(&self) -> usize {
        self.first.capacity() * std::mem::size_of::<LoginRef>()
    }

    fn combine(&mut self, other: Burst) {
        self.messages += other.messages;
        self.recipients += other.recipients;
        self.bounces += other.bounces;
        self.deferrals += other.deferrals;
        for login in other.first {
            keep_earliest(&mut self.first, login);
        }
    }
}

impl Burst {
    fn delivery(&mut self, outcome: Option<Outcome>) {
        match outcome {
            Some(Outcome::Unknown) => self.deferrals += 1,
            Some(Outcome::Failure) => {
                self.bounces += 1;
                self.recipients += 1;
            }
            _ => self.recipients += 1,
        }
    }
}

/// What one account sent from one address in one day.
#[derive(Default, Clone, Serialize, Deserialize)]
pub(super) struct Sent {
    pub(super) messages: u64,
    pub(super) recipients: u64,
    /// Recipients the remote server refused for good (Exim `**`, Postfix `status=bounced`).
    pub(super) bounces: u64,
    /// Recipients put off (Exim `==`, Postfix `status=deferred`): rate limits, greylisting.
    pub(super) deferrals: u64,
    /// Recipients per domain ([`DOMAINS_KEPT`] domains at most), in the
    /// order first met: a list, not a map, as there is one per account,
    /// address and day and most name one or two domains.
    domains: Vec<(Box<str>, u64)>,
    /// Recipients beyond the domains kept (external by assumption).
    other: u64,
    /// The earliest sends, as evidence ([`keep_earliest`]).
    pub(super) first: Vec<LoginRef>,
}

impl Combine for Sent {
    fn heap_bytes(&self) -> usize {
        self.first.capacity() * std::mem::size_of::<LoginRef>()
            + self.domains.capacity() * std::mem::size_of::<(Box<str>, u64)>()
            + self.domains.iter().map(|(d, _)| d.len()).sum::<usize>()
    }

    /// The domains are counted in the order `self` met them first, then
    /// `other`'s: past [`DOMAINS_KEPT`], which domains are named depends on
    /// that order, not the totals.
    fn combine(&mut self, other: Sent) {
        self.messages += other.messages;
        self.recipients += other.recipients;
        self.bounces += other.bounces;
        self.deferrals += other.deferrals;
        self.other += other.other;
        for (domain, n) in other.domains {
            self.count_domain(&domain, n);
        }
        for login in other.first {
            self.keep(login);
        }
    }
}

impl Sent {
    pub(super) fn add_recipient(&mut self, address: &str) {
        let Some((_, domain)) = address.trim_matches(['<', '>', ' ']).rsplit_once('@') else {
            return;
        };
        self.recipients += 1;
        self.count_domain(&domain.to_ascii_lowercase(), 1);
    }

    /// Adds `n` recipients at `domain` (lower case), or to `other` once
    /// [`DOMAINS_KEPT`] domains are kept.
    fn count_domain(&mut self, domain: &str, n: u64) {
        if let Some((_, m)) = self.domains.iter_mut().find(|(d, _)| **d == *domain) {
            *m += n;
        } else if self.domains.len() < DOMAINS_KEPT {
            self.domains.reserve_exact(1);
            self.domains.push((domain.into(), n));
        } else {
            self.other += n;
        }
    }

    /// One recipient's outcome: a deferral is counted apart (the same
    /// recipient comes again when retried), a bounce also as a recipient.
    fn delivery(&mut self, to: &str, outcome: Option<Outcome>) {
        match outcome {
            Some(Outcome::Unknown) => self.deferrals += 1,
            Some(Outcome::Failure) => {
                self.bounces += 1;
                self.add_recipient(to);
            }
            _ => self.add_recipient(to),
        }
    }

    fn keep(&mut self, login: LoginRef) {
        keep_earliest(&mut self.first, login);
    }
}

impl OutboundHistory {
    /// Records a sent message, a submission login or a delivery.
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let reference = |source| LoginRef {
            timestamp: event.timestamp,
            source,
            path: Arc::clone(path),
            line: event.line,
        };
        match (event.dataset, event.action) {
            (Dataset::RoundcubeSendmail, Some("send")) => {
                let (Some(user), Some(source), Some(to)) = (
                    event.user_name.as_deref(),
                    event.source_ip,
                    event.email_to.as_deref(),
                ) else {
                    return;
                };
                let sent = self.day(user, reference(source));
                sent.messages += 1;
                let mut n = 0;
                for address in to.split([',', ' ']).filter(|a| a.contains('@')) {
                    sent.add_recipient(address);
                    n += 1;
                }
                let burst = self.hour(user, reference(source));
                burst.messages += 1;
                burst.recipients += n;
            }
            (Dataset::Postfix, Some("login")) => {
                let is_login = event.category == Some(Category::Authentication)
                    && event.outcome == Some(Outcome::Success);
                let (Some(user), Some(source), Some(queue)) = (
                    event.user_name.as_deref(),
                    event.source_ip,
                    event.session_id.as_deref(),
                ) else {
                    return;
                };
                // The webmail's own submissions are in its sendmail log.
                if !is_login || is_webmail_host(source) {
                    return;
                }
                self.make_room();
                let user: Arc<str> = user.into();
                self.day(&user, reference(source)).messages += 1;
                self.hour(&user, reference(source)).messages += 1;
                self.pending.insert(queue.into(), (user, reference(source)));
            }
            (Dataset::Exim, Some("received")) => {
                // An authenticated arrival (`A=dovecot_login:bob`): a remote
                // client submitted it; local ones (`U=www-data`) have no address.
                let (Some(user), Some(source), Some(id)) = (
                    event.user_name.as_deref(),
                    event.source_ip,
                    event.session_id.as_deref(),
                ) else {
                    return;
                };
                if is_webmail_host(source) {
                    return;
                }
                self.make_room();
                let user: Arc<str> = user.into();
                self.day(&user, reference(source)).messages += 1;
                self.hour(&user, reference(source)).messages += 1;
                self.pending.insert(id.into(), (user, reference(source)));
            }
            (Dataset::Exim, Some("send" | "deliver")) => {
                let (Some(to), Some(id)) = (event.email_to.as_deref(), event.session_id.as_deref())
                else {
                    return;
                };
                let Some((user, login)) = self.pending.get(id).cloned() else {
                    return;
                };
                self.hour(&user, login.clone()).delivery(event.outcome);
                self.day(&user, login).delivery(to, event.outcome);
            }
            (Dataset::Exim, Some("completed")) => {
                if let Some(id) = event.session_id.as_deref() {
                    self.pending.remove(id);
                }
            }
            // `postfix/smtp` (remote) is `send`, lmtp/local/virtual `deliver`.
            (Dataset::Postfix, Some("deliver" | "send")) => {
                let Some(to) = event.email_to.as_deref() else {
                    return;
                };
                let relay = event.destination_address.as_deref().unwrap_or_default();
                if ["lmtp", "local", "virtual", "dovecot"]
                    .iter()
                    .any(|r| relay.contains(r))
                    && let Some((_, domain)) = to.rsplit_once('@')
                {
                    self.local_domains
                        .insert(domain.to_ascii_lowercase().into());
                }
                let Some((user, login)) = event
                    .session_id
                    .as_deref()
                    .and_then(|queue| self.pending.get(queue))
                    .cloned()
                else {
                    return;
                };
                self.hour(&user, login.clone()).delivery(event.outcome);
                self.day(&user, login).delivery(to, event.outcome);
            }
            _ => {}
        }
    }

    fn make_room(&mut self) {
        if self.pending.len() >= PENDING_KEPT {
            let mut ages: Vec<_> = self.pending.values().map(|(_, l)| l.timestamp).collect();
            ages.sort_unstable();
            let median = ages[ages.len() / 2];
            self.pending.retain(|_, (_, l)| l.timestamp >= median);
        }
    }

    /// Messages, recipients and recipients bounced or deferred per account
    /// and source address, all days together: one pass, for readers that
    /// look up many pairs.
    pub fn totals(&self) -> SentTotals {
        let mut totals = SentTotals::new();
        for ((user, _, ip), s) in self.days.sorted() {
            let t = totals.entry(user).or_default().entry(ip).or_default();
            t.0 += s.messages;
            t.1 += s.recipients;
            t.2 += s.bounces + s.deferrals;
        }
        totals
    }

    /// Writes the tables' entries in memory out ([`SpillMap::write_out`]).
    pub fn write_out(&mut self) {
        self.days.write_out();
        self.hours.write_out();
    }

    /// The first error reading a spilled table back, when a read ended
    /// early because of it (the analytics then saw part of the mail sent).
    pub fn error(&self) -> Option<String> {
        self.days.error().or_else(|| self.hours.error())
    }

    pub(super) fn day(&mut self, user: &str, login: LoginRef) -> &mut Sent {
        let day = login.timestamp.unix_seconds().div_euclid(86_400);
        let sent = self.days.entry((user.into(), day, login.source));
        sent.keep(login);
        sent
    }

    fn hour(&mut self, user: &str, login: LoginRef) -> &mut Burst {
        let hour = login.timestamp.unix_seconds().div_euclid(3600);
        let burst = self.hours.entry((user.into(), hour));
        keep_earliest(&mut burst.first, login);
        burst
    }

    /// An empty history whose tables write out every `limit` entries.
    pub(crate) fn spilling(limit: usize) -> OutboundHistory {
        OutboundHistory {
            days: SpillMap::with_limit(limit),
            hours: SpillMap::with_limit(limit),
            ..OutboundHistory::default()
        }
    }

    /// Adds another worker's history to this one.
    pub fn merge(&mut self, other: OutboundHistory) {
        self.local_domains.extend(other.local_domains);
        self.hours.merge(other.hours);
        self.days.merge(other.days);
    }
}

/// See the module documentation.
pub struct MailSentFromNewAddress {
    /// External recipients in a day that count as many.
    pub many: u64,
}

impl Default for MailSentFromNewAddress {
    fn default() -> MailSentFromNewAddress {
        MailSentFromNewAddress { many: 10 }
    }
}

impl Analytic for MailSentFromNewAddress {
    fn code(&self) -> &'static str {
        "VA007"
    }

    fn title(&self) -> &'static str {
        "Mail to free-mail or many external recipients from an address new for the account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let logins = facts.logins;
        let outbound = facts.outbound;
        let mut local: HashSet<&str> = outbound.local_domains.iter().map(|d| &**d).collect();
        local.extend(
            logins
                .hours
                .keys()
                .filter_map(|u| u.rsplit_once('@').map(|(_, d)| d)),
        );
        let firsts = logins.first_logins();
        // The address's logins for the account began on an earlier day.
        let known = |user: &str, source: IpAddr, day: i64| {
            logins
                .sources
                .get(&(Arc::from(user), source))
                .and_then(|h| h.first.first())
                .is_some_and(|l| l.timestamp.unix_seconds().div_euclid(86_400) < day)
        };
        let mut found = Vec::new();
        // In account, day and address order: the table's own.
        for ((user, day, source), sent) in outbound.days.sorted() {
            let (Some(sent_first), Some(&first)) = (sent.first.first(), firsts.get(&*user)) else {
                continue;
            };
            let judged = facts.baseline.judged_from(first);
            if sent_first.timestamp < judged || known(&user, source, day) {
                continue;
            }
            let freemail: Vec<&str> = sent
                .domains
                .iter()
                .map(|(d, _)| &**d)
                .filter(|d| FREEMAIL.contains(d))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let external: u64 = sent
                .domains
                .iter()
                .filter(|(d, _)| !local.contains(&**d))
                .map(|(_, n)| n)
                .sum::<u64>()
                + sent.other;
            if freemail.is_empty() && external < self.many {
                continue;
            }
            let refs: Vec<&LoginRef> = sent.first.iter().collect();
            let reason = format!(
                "{user} sent {} messages to {} recipients ({external} external{}) from {source}, an address not seen for this account on an earlier day; {}",
                sent.messages,
                sent.recipients,
                if freemail.is_empty() {
                    String::new()
                } else {
                    format!(", free-mail: {}", freemail.join(", "))
                },
                facts.baseline.compared(first, "its addresses")
            );
            found.extend(finding(
                self,
                "high",
                &["T1078", "T1048", "T1534"],
                &user,
                &refs,
                sent.messages,
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
    use crate::analytics::{Baseline, VolumeHistory};
    use vigie_event::Timestamp;

    fn run(outbound: &OutboundHistory) -> Vec<Finding> {
        let logins = history(&[
            ("alice@corp.example", "192.0.2.10", 1),
            ("alice@corp.example", "192.0.2.10", 12000),
            ("alice@corp.example", "203.0.113.66", 13000),
        ]);
        MailSentFromNewAddress::default().run(&Facts {
            logins: &logins,
            volumes: &VolumeHistory::default(),
            outbound,
            web_reading: &crate::analytics::WebReadingHistory::default(),
            failures: &crate::analytics::FailureHistory::default(),
            downloads: &crate::analytics::DownloadHistory::default(),
            geo: None,
            baseline: Baseline {
                until: Timestamp::from_unix(0, 0),
            },
            findings: &[],
        })
    }

    #[test]
    fn free_mail_from_a_new_address_is_flagged_but_not_from_the_usual_one() {
        // Kept in memory, and written out every few entries.
        for mut outbound in [OutboundHistory::default(), OutboundHistory::spilling(2)] {
            sent(
                &mut outbound,
                "alice@corp.example",
                "192.0.2.10",
                12001,
                &["me@gmail.com"],
            );
            sent(
                &mut outbound,
                "alice@corp.example",
                "203.0.113.66",
                13001,
                &["bob@corp.example"],
            );
            assert!(run(&outbound).is_empty());
            sent(
                &mut outbound,
                "alice@corp.example",
                "203.0.113.66",
                13002,
                &["drop@GMAIL.com"],
            );
            let found = run(&outbound);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].entity.source_ip.as_deref(), Some("203.0.113.66"));
            assert!(found[0].reason.contains("gmail.com"), "{}", found[0].reason);
        }
    }

    #[test]
    fn many_external_recipients_from_a_new_address_are_flagged() {
        // Kept in memory, and written out every few entries.
        for mut outbound in [OutboundHistory::default(), OutboundHistory::spilling(2)] {
            let many: Vec<String> = (0..12)
                .map(|i| format!("p{i}@partner{i}.example"))
                .collect();
            let many: Vec<&str> = many.iter().map(String::as_str).collect();
            sent(
                &mut outbound,
                "alice@corp.example",
                "203.0.113.66",
                13001,
                &many[..9],
            );
            assert!(run(&outbound).is_empty(), "nine is not many");
            sent(
                &mut outbound,
                "alice@corp.example",
                "203.0.113.66",
                13002,
                &many[9..],
            );
            assert_eq!(run(&outbound).len(), 1);
        }
    }
}
