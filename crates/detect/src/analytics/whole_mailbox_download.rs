//! VA011 `whole_mailbox_download`.
//!
//! ## What it detects
//! One IMAP or POP3 session that fetched thousands of messages (Dovecot's
//! logout counters: POP3 `retr=N/bytes`, IMAP `body_count=N`) or more than
//! [`WholeMailboxDownload::bytes`] bytes, from a public address the account
//! had never logged in from before that session. No baseline period is
//! needed: the comparison is with the account's own earlier logins, however
//! few, so an intruder on the first night of the logs is seen. Night-time
//! (00:00-06:00 UTC) is said in the finding. Addresses that fetch several
//! accounts' mailboxes in bulk (a backup or migration host) are left out.
//!
//! ## Why it matters
//! Copying a whole mailbox with a stolen password is the collection step of
//! most mail intrusions (APT28's bulk IMAP fetches, POP3 "download all" by
//! spam gangs harvesting addresses); it is one line in the logs.
//!
//! ## Example
//! `pop3(bob)<4242><…>: Info: Disconnected: Logged out top=0/0,
//! retr=18000/900000000, del=0/18000, size=900000000` at 03:10 after
//! `pop3-login: Info: Login: user=<bob>, …, rip=203.0.113.9, …` from an
//! address bob never used.
//!
//! ## False positives
//! A user setting up a new POP3 client at home (it downloads everything
//! once): the address is then the user's own provider's; the finding says
//! what was compared.
//!
//! ## References
//! ATT&CK T1114.002 (Remote Email Collection), T1078.

use std::net::IpAddr;
use std::sync::Arc;

use ahash::AHashMap;
use serde::{Deserialize, Serialize};

use vigie_event::{Event, Finding, Timestamp};

use super::{Analytic, Facts, LoginRef, finding};

/// Logins waiting for their logout; past this many, the oldest half is dropped.
const PENDING_KEPT: usize = 200_000;

/// Bulk sessions kept; past this many, the smallest are dropped.
const BULK_KEPT: usize = 10_000;

/// Messages a session must fetch to be kept as bulk.
const BULK_MESSAGES: u64 = 1000;

/// Bytes a session must send to be kept as bulk when it does not count messages.
const BULK_BYTES: u64 = 200 * 1024 * 1024;

/// Large IMAP/POP3 sessions with the address they came from.
#[derive(Default, Serialize, Deserialize)]
pub struct DownloadHistory {
    /// Dovecot session id -> its login line (where and when).
    pending: AHashMap<Box<str>, LoginRef>,
    /// Sessions that fetched in bulk.
    bulk: Vec<BulkSession>,
}

/// One session that fetched in bulk.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct BulkSession {
    user: Arc<str>,
    #[serde(with = "vigie_event::wire::static_str")]
    protocol: vigie_event::wire::StaticStr,
    /// The login line, which names the address.
    login: LoginRef,
    messages: Option<u64>,
    bytes: u64,
    /// The logout line; `source` is the login's address.
    logout: LoginRef,
}

impl DownloadHistory {
    /// Records a Dovecot IMAP/POP3 login (its address) or logout (its
    /// counters); returns a logout's login address.
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) -> Option<IpAddr> {
        let protocol = match event.protocol.as_deref() {
            Some("imap") => "IMAP",
            Some("pop3") => "POP3",
            _ => return None,
        };
        let session = event.session_id.as_deref()?;
        match event.action {
            Some("login") if event.outcome == Some(vigie_event::Outcome::Success) => {
                let source = event.source_ip?;
                if self.pending.len() >= PENDING_KEPT {
                    let mut ages: Vec<Timestamp> =
                        self.pending.values().map(|l| l.timestamp).collect();
                    ages.sort_unstable();
                    let median = ages[ages.len() / 2];
                    self.pending.retain(|_, l| l.timestamp >= median);
                }
                let login = LoginRef {
                    timestamp: event.timestamp,
                    source,
                    path: Arc::clone(path),
                    line: event.line,
                };
                self.pending.insert(session.into(), login);
                None
            }
            Some("logout") => {
                let login = self.pending.remove(session)?;
                let source = login.source;
                let (Some(user), Some(bytes)) = (event.user_name.as_deref(), event.bytes_out)
                else {
                    return Some(source);
                };
                let counters = event
                    .message
                    .as_deref()
                    .or(event.reason.as_deref())
                    .unwrap_or("");
                let messages =
                    counter(counters, "retr=").or_else(|| counter(counters, "body_count="));
                let bulk = messages.map_or(bytes >= BULK_BYTES, |m| m >= BULK_MESSAGES);
                if !bulk {
                    return Some(source);
                }
                self.keep(BulkSession {
                    user: user.into(),
                    protocol,
                    login,
                    messages,
                    bytes,
                    logout: LoginRef {
                        timestamp: event.timestamp,
                        source,
                        path: Arc::clone(path),
                        line: event.line,
                    },
                });
                Some(source)
            }
            _ => None,
        }
    }

    fn keep(&mut self, session: BulkSession) {
        self.bulk.push(session);
        if self.bulk.len() > BULK_KEPT {
            self.bulk.sort_by_key(|s| std::cmp::Reverse(s.bytes));
            self.bulk.truncate(BULK_KEPT / 2);
        }
    }

    /// Adds another worker's history to this one.
    pub fn merge(&mut self, other: DownloadHistory) {
        for session in other.bulk {
            self.keep(session);
        }
        // Sessions still open at the end of a worker's part stay unmatched.
    }
}

/// `retr=18000/900000000` -> 18000; `body_count=42` -> 42.
fn counter(text: &str, key: &str) -> Option<u64> {
    let at = text.find(key)? + key.len();
    let digits = text[at..].split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// Whether `ip` is a public address (not private, loopback, link-local or
/// carrier-grade NAT): only those can be an intruder's own.
pub(super) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00)
        }
    }
}

/// See the module documentation.
pub struct WholeMailboxDownload {
    /// Bytes one session must exceed when it does not count messages.
    pub bytes: u64,
    /// Messages one session must fetch.
    pub messages: u64,
    /// Accounts an address may fetch in bulk before it counts as a backup host.
    pub accounts: usize,
}

impl Default for WholeMailboxDownload {
    fn default() -> WholeMailboxDownload {
        WholeMailboxDownload {
            bytes: 500 * 1024 * 1024,
            messages: 2000,
            accounts: 2,
        }
    }
}

impl Analytic for WholeMailboxDownload {
    fn code(&self) -> &'static str {
        "VA011"
    }

    fn title(&self) -> &'static str {
        "Whole mailbox downloaded by an address new for the account"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let mut accounts_of: AHashMap<IpAddr, Vec<&str>> = AHashMap::new();
        for s in &facts.downloads.bulk {
            let users = accounts_of.entry(s.logout.source).or_default();
            if !users.contains(&&*s.user) {
                users.push(&s.user);
            }
        }
        let firsts = facts.logins.first_logins();
        let mut found = Vec::new();
        for s in &facts.downloads.bulk {
            let source = s.logout.source;
            let whole = s
                .messages
                .map_or(s.bytes > self.bytes, |m| m >= self.messages);
            let backup = accounts_of
                .get(&source)
                .is_some_and(|u| u.len() > self.accounts);
            if !whole || backup || !is_public(source) {
                continue;
            }
            // Earlier logins of the account from this address (the session's own excepted).
            let history = facts.logins.sources.get(&(Arc::clone(&s.user), source));
            let earlier = history.map_or(0, |h| {
                h.first
                    .iter()
                    .filter(|l| l.timestamp < s.login.timestamp)
                    .count()
            });
            if earlier > 0 {
                continue;
            }
            let accounts = facts
                .logins
                .sources
                .keys()
                .filter(|(u, _)| *u == s.user)
                .count();
            let hour = s.login.timestamp.unix_seconds().rem_euclid(86_400) / 3600;
            let night = if hour < 6 { ", at night (UTC)" } else { "" };
            let what = match s.messages {
                Some(m) => format!("{m} messages ({} MB)", s.bytes / 1_000_000),
                None => format!("{} MB", s.bytes / 1_000_000),
            };
            let reason = format!(
                "{}: one {} session from {source} fetched {what}{night}; compared with the account's earlier logins: none from this address before {} (the account has {} addresses in all); no baseline period needed{}",
                s.user,
                s.protocol,
                s.login.timestamp,
                accounts.saturating_sub(1),
                facts
                    .baseline
                    .warm_up_note(firsts.get(&*s.user).copied(), s.login.timestamp),
            );
            found.extend(finding(
                self,
                "high",
                &["T1114.002", "T1078"],
                &s.user,
                &[&s.login, &s.logout],
                1,
                reason,
            ));
            if let Some(f) = found.last_mut() {
                f.first_seen = s.login.timestamp;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_from_both_protocols() {
        assert_eq!(
            counter("Logged out top=0/0, retr=18000/900, del=0/1", "retr="),
            Some(18000)
        );
        assert_eq!(
            counter("in=1 out=2 body_count=42 body_bytes=9", "body_count="),
            Some(42)
        );
        assert_eq!(counter("Logged out in=1 out=2", "retr="), None);
    }
}
