//! Analytics: what Sigma cannot say, in Rust behind one small trait.
//!
//! Each analytic reads the history of successful logins of the whole scan
//! ([`LoginHistory`]: per account and address, per account and hour,
//! gathered in stage one) and a baseline period, and returns findings.
//! One analytic per file, registered in [`all`], each with a stable code.

mod account_takeover_chain;
mod behind_proxy;
mod bulk_sending_burst;
mod credential_spraying;
mod grouping;
mod login_at_unusual_hour;
mod login_from_new_address;
mod login_from_new_country_or_asn;
mod login_from_new_network;
mod mail_sent_from_new_address;
mod mailbox_download_volume;
mod mass_mailing;
pub mod spill;
mod webmail_reading_volume;
mod whole_mailbox_download;

pub use behind_proxy::ProxyHistory;
pub use credential_spraying::FailureHistory;
pub use grouping::{GROUP_AT, SHARED_AT, group_churn};
pub use mail_sent_from_new_address::{OutboundHistory, SentTotals, is_freemail};
pub use mailbox_download_volume::VolumeHistory;
pub use webmail_reading_volume::WebReadingHistory;
pub use whole_mailbox_download::DownloadHistory;

use std::net::IpAddr;
use std::sync::Arc;

use ahash::AHashMap;
use serde::{Deserialize, Serialize};

use vigie_event::{Category, Dataset, Event, Evidence, Finding, Outcome, Timestamp};

use crate::geo::GeoDb;

/// One login kept as evidence.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRef {
    /// When.
    pub timestamp: Timestamp,
    /// From where.
    pub source: IpAddr,
    /// The log file.
    pub path: Arc<str>,
    /// The line in it.
    pub line: u64,
}

/// Logins of one account from one address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SourceHistory {
    /// Logins counted.
    pub count: u64,
    /// The first few, in time order ([`FIRST_KEPT`] at most).
    pub first: Vec<LoginRef>,
    /// The login services used from this address ([`service_bit`] of each).
    pub services: u8,
}

/// A login service (`Event::auth_service`: `smtp`, `imap`, `pop3`,
/// `managesieve`, `webmail`, `http`, anything else) as one bit of
/// [`SourceHistory::services`].
pub fn service_bit(service: Option<&str>) -> u8 {
    match service {
        Some("smtp") => 1,
        Some("imap") => 2,
        Some("pop3") => 4,
        Some("managesieve") => 8,
        Some("webmail") => 16,
        Some("http") => 32,
        _ => 64,
    }
}

/// Logins of one account at one hour of the day (UTC), over all days:
/// the first day and the first logins, all VA003 asks of an hour (a
/// count per hour and day, kept before, was the largest share of a scan's
/// memory: 24 entries per account and day, 1 GB on a 10 GB set).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HourOfDay {
    /// The first day (days since the epoch) with a login at this hour, and
    /// how many logins at this hour that day.
    pub first_day: Option<(i64, u64)>,
    /// The first few ([`FIRST_KEPT`] at most), in time order: the evidence
    /// when this hour turns out unusual, which it only does when no baseline
    /// login falls in it, so that these are then logins after the baseline.
    pub first: Vec<LoginRef>,
}

impl HourOfDay {
    fn add(&mut self, day: i64, count: u64) {
        match &mut self.first_day {
            Some((first, n)) if *first == day => *n += count,
            Some((first, _)) if *first < day => {}
            _ => self.first_day = Some((day, count)),
        }
    }

    fn keep(&mut self, login: LoginRef) {
        keep_first(&mut self.first, login);
    }
}

/// Logins of one account by hour of the day (UTC) and by day.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccountHours {
    /// Per hour of the day, 0 to 23.
    pub hours: [HourOfDay; 24],
    /// Logins per day (days since the epoch), all hours together, in day
    /// order: one entry of 8 bytes per day the account logged in.
    pub days: Vec<(i32, u32)>,
}

impl AccountHours {
    fn add(&mut self, day: i64, count: u64) {
        // Days since the epoch of any `Timestamp` fit an i32 (±1.07e8).
        let day32 = day.clamp(i32::MIN.into(), i32::MAX.into()) as i32;
        let count32 = u32::try_from(count).unwrap_or(u32::MAX);
        match self.days.last_mut() {
            Some((last, n)) if *last == day32 => *n = n.saturating_add(count32),
            Some((last, _)) if *last < day32 => self.days.push((day32, count32)),
            None => self.days.push((day32, count32)),
            Some(_) => match self.days.binary_search_by_key(&day32, |(d, _)| *d) {
                Ok(i) => self.days[i].1 = self.days[i].1.saturating_add(count32),
                Err(i) => self.days.insert(i, (day32, count32)),
            },
        }
    }

    /// The account's logins on the days before `day`, at every hour.
    pub fn logins_before(&self, day: i64) -> u64 {
        let end = self.days.partition_point(|(d, _)| i64::from(*d) < day);
        self.days[..end].iter().map(|(_, n)| u64::from(*n)).sum()
    }
}

/// Keeps `login` in `first` if it is among the [`FIRST_KEPT`] earliest.
/// The list is allocated at its final size: there is one per account and
/// address and per account and hour of the day, the largest share of a
/// scan's memory, and growing by doubling would leave 8 places for 5.
fn keep_first(first: &mut Vec<LoginRef>, login: LoginRef) {
    let at = first.partition_point(|l| l.timestamp <= login.timestamp);
    if at < FIRST_KEPT {
        if first.len() == FIRST_KEPT {
            first.pop();
        }
        first.reserve_exact(FIRST_KEPT - first.len());
        first.insert(at, login);
    }
}

/// Keeps `login` in `first` if it is among the [`FIRST_KEPT`] earliest by
/// time, then file and line: the same list whatever order the logins come
/// in, as a table that spills ([`spill::SpillMap`]) combines its parts in
/// the order they were written out. Grows one place at a time: there is one
/// such list per account and hour or day of mail sent or read (the largest
/// share of a long scan's heap), most hold one or two logins, and a `Vec`'s
/// first growth makes room for four.
pub(crate) fn keep_earliest(first: &mut Vec<LoginRef>, login: LoginRef) {
    fn key(l: &LoginRef) -> (Timestamp, &str, u64) {
        (l.timestamp, &l.path, l.line)
    }
    let at = first.partition_point(|l| key(l) <= key(&login));
    if at < FIRST_KEPT {
        if first.len() == FIRST_KEPT {
            first.pop();
        } else {
            first.reserve_exact(1);
        }
        first.insert(at, login);
    }
}

/// Logins gathered into one finding, and how many they stand for.
pub(crate) type Gathered<'h> = (Vec<&'h LoginRef>, u64);

/// How many logins of an account and address are kept as evidence.
pub const FIRST_KEPT: usize = 5;

/// The successful logins of a scan, aggregated so that memory grows with
/// accounts, addresses and active days, not with the number of logins.
#[derive(Default, Serialize, Deserialize)]
pub struct LoginHistory {
    /// Per account and address.
    pub sources: AHashMap<(Arc<str>, IpAddr), SourceHistory>,
    /// Per account, by hour of the day (UTC) and by day.
    pub hours: AHashMap<Arc<str>, Box<AccountHours>>,
    /// Earliest and latest login.
    pub span: Option<(Timestamp, Timestamp)>,
}

impl LoginHistory {
    /// Records `event` if it is a successful login from an address other than
    /// the webmail host (whose proxied logins the webmail's own log records
    /// with the browser's address).
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let is_login = event.category == Some(Category::Authentication)
            && event.outcome == Some(Outcome::Success)
            && event.action == Some("login");
        let (Some(source), Some(user)) = (event.source_ip, event.user_name.as_deref()) else {
            return;
        };
        if !is_login || is_webmail_host(source) {
            return;
        }
        let user = match self.hours.get_key_value(user) {
            Some((u, _)) => Arc::clone(u),
            None => user.into(),
        };
        let login = LoginRef {
            timestamp: event.timestamp,
            source,
            path: Arc::clone(path),
            line: event.line,
        };
        self.record(user, login, 1, service_bit(event.auth_service()));
    }

    fn record(&mut self, user: Arc<str>, login: LoginRef, count: u64, services: u8) {
        self.record_hour(Arc::clone(&user), login.clone(), count);
        self.record_source_only(user, login, count, services);
    }

    fn record_hour(&mut self, user: Arc<str>, login: LoginRef, count: u64) {
        let t = login.timestamp;
        self.span = Some(self.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        let secs = t.unix_seconds();
        let account = self.hours.entry(user).or_default();
        let day = secs.div_euclid(86_400);
        account.add(day, count);
        let hour = &mut account.hours[(secs.rem_euclid(86_400) / 3600) as usize];
        hour.add(day, count);
        hour.keep(login);
    }

    /// Adds another worker's history to this one.
    pub fn merge(&mut self, other: LoginHistory) {
        // Into an empty history, taken whole: adding it login by login
        // would hold two copies of a large history at once.
        if self.sources.is_empty() && self.hours.is_empty() && self.span.is_none() {
            *self = other;
            return;
        }
        for ((user, _), history) in other.sources {
            for (i, login) in history.first.into_iter().enumerate() {
                // The count goes with the first login; the rest only add evidence.
                let count = if i == 0 { history.count } else { 0 };
                self.record_source_only(Arc::clone(&user), login, count, history.services);
            }
        }
        for (user, theirs) in other.hours {
            let mine = self.hours.entry(user).or_default();
            for (day, count) in theirs.days {
                mine.add(day.into(), count.into());
            }
            for (mine, theirs) in mine.hours.iter_mut().zip(theirs.hours) {
                if let Some((day, count)) = theirs.first_day {
                    mine.add(day, count);
                }
                for login in theirs.first {
                    mine.keep(login);
                }
            }
        }
        if let Some((a, b)) = other.span {
            self.span = Some(self.span.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
    }

    /// Accounts that logged in and the weeks their logins span (at least a
    /// day), the denominator of findings per thousand accounts per week.
    pub fn exposure(&self) -> Option<(usize, f64)> {
        let (first, last) = self.span?;
        let days = ((last.unix_seconds() - first.unix_seconds()) as f64 / 86_400.0).max(1.0);
        Some((self.hours.len(), days / 7.0))
    }

    /// The one account that logged in successfully from `source`, if exactly
    /// one did: web-log findings (which know only the browser's address) are
    /// attributed to it.
    pub fn only_account_of(&self, source: IpAddr) -> Option<&str> {
        let mut accounts = self
            .sources
            .keys()
            .filter(|(_, ip)| *ip == source)
            .map(|(user, _)| &**user);
        let first = accounts.next()?;
        accounts.all(|other| other == first).then_some(first)
    }

    fn record_source_only(&mut self, user: Arc<str>, login: LoginRef, count: u64, services: u8) {
        let source = self
            .sources
            .entry((user, login.source))
            .or_insert_with(|| SourceHistory {
                count: 0,
                first: Vec::new(),
                services: 0,
            });
        source.count += count;
        source.services |= services;
        keep_first(&mut source.first, login);
    }
}

pub(crate) fn is_webmail_host(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets() == [127, 0, 0, 1],
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// What each account is compared with: a rolling baseline. Each account is
/// judged from `until` or, if it came later, from [`WARM_UP`] after its first
/// login (its warm-up, learnt from only), and each day against the account's
/// days before it; analytics that need no baseline (VA009, VA010,
/// VA011, VA012) judge from the first line. Every finding says what it was
/// compared with.
#[derive(Clone, Copy, Debug)]
pub struct Baseline {
    /// Nothing before it is judged: the end of the warm-up of the accounts
    /// there from the start ([`Baseline::rolling`]), or of a baseline period
    /// the analyst gave (`--baseline-until`).
    pub until: Timestamp,
}

/// An account's warm-up, in seconds: its first week of logins (an office's
/// rhythm is weekly: the home address of a weekend, the Monday device) is
/// learnt from, never judged.
pub const WARM_UP: i64 = 7 * 86_400;

impl Baseline {
    /// The rolling baseline of a scan: nothing is judged before the end of
    /// the warm-up of the accounts there from the start, which is [`WARM_UP`]
    /// after the first login but at most half the time the logins cover (a
    /// short scan still judges its second half); later, each day against the
    /// days before it. An intrusion early in the logs is found at once by the
    /// analytics that need no baseline.
    pub fn rolling(history: &LoginHistory) -> Option<Baseline> {
        let (first, last) = history.span?;
        let warm_up = (WARM_UP * 1_000_000).min((last.0 - first.0) / 2);
        Some(Baseline {
            until: Timestamp(first.0 + warm_up),
        })
    }

    /// When an account whose first login is `first` starts to be judged: at
    /// `until` for the accounts there before it, a [`WARM_UP`] after their
    /// first login for those that came later.
    pub fn judged_from(&self, first: Timestamp) -> Timestamp {
        if first < self.until {
            self.until
        } else {
            Timestamp(first.0.saturating_add(WARM_UP * 1_000_000))
        }
    }

    /// What a finding about an account first seen at `first` was compared
    /// with: `what` (such as "its 3 earlier addresses"), and from when the
    /// account is judged.
    pub fn compared(&self, first: Timestamp, what: &str) -> String {
        format!(
            "compared with {what} (rolling baseline; nothing before {} is judged: warm-up)",
            self.judged_from(first)
        )
    }
}

/// One account's addresses in the order they were first seen: (first login, address, history).
pub type FirstSeen<'h> = Vec<(Timestamp, IpAddr, &'h SourceHistory)>;

impl Baseline {
    /// For a finding made without a baseline at `at` about an account first
    /// seen at `first`: whether the analytics that compare with the account's
    /// habits were still in its warm-up then, said in words.
    pub fn warm_up_note(&self, first: Option<Timestamp>, at: Timestamp) -> String {
        match first.map(|f| self.judged_from(f)) {
            Some(judged) if at < judged => format!(
                "; the account was in its warm-up until {judged}: the analytics that compare with its habits (new address, network, hour, volume) judge nothing before it"
            ),
            _ => String::new(),
        }
    }
}

impl LoginHistory {
    /// Each account (in name order) with its addresses in the order they
    /// were first seen (ties by address): what a rolling baseline walks.
    pub fn by_first_seen(&self) -> Vec<(&str, FirstSeen<'_>)> {
        let mut accounts: AHashMap<&str, FirstSeen<'_>> = AHashMap::new();
        for ((user, ip), h) in &self.sources {
            if let Some(l) = h.first.first() {
                accounts
                    .entry(user)
                    .or_default()
                    .push((l.timestamp, *ip, h));
            }
        }
        let mut accounts: Vec<_> = accounts.into_iter().collect();
        accounts.sort_unstable_by_key(|(user, _)| *user);
        for (_, addresses) in &mut accounts {
            addresses.sort_unstable_by_key(|(t, ip, _)| (*t, *ip));
        }
        accounts
    }

    /// Each account's first login.
    pub fn first_logins(&self) -> AHashMap<&str, Timestamp> {
        let mut first: AHashMap<&str, Timestamp> = AHashMap::new();
        for ((user, _), h) in &self.sources {
            if let Some(l) = h.first.first() {
                let t = first.entry(user).or_insert(l.timestamp);
                *t = (*t).min(l.timestamp);
            }
        }
        first
    }
}

/// What analytics read: the scan's login history, its baseline, and the
/// findings made before them (rules, correlations, earlier analytics).
pub struct Facts<'s> {
    /// Successful logins, aggregated.
    pub logins: &'s LoginHistory,
    /// Bytes sent to IMAP/POP3 clients per account and day.
    pub volumes: &'s VolumeHistory,
    /// Mail sent per account, address and day.
    pub outbound: &'s OutboundHistory,
    /// Messages opened and attachments downloaded through the webmail per address and day.
    pub web_reading: &'s WebReadingHistory,
    /// Refused logins per service and hour.
    pub failures: &'s FailureHistory,
    /// IMAP/POP3 sessions that fetched in bulk.
    pub downloads: &'s DownloadHistory,
    /// Country and ASN databases, when the analyst gave them.
    pub geo: Option<&'s GeoDb>,
    /// The baseline period.
    pub baseline: Baseline,
    /// Findings so far.
    pub findings: &'s [Finding],
}

/// Whether `event` may change what a session joins: a login or logout
/// (IMAP/POP3 sessions), or a submitted message's login, arrival, delivery
/// or end (Postfix's queue id, Exim's message id, and Roundcube's sends,
/// in [`OutboundHistory`]): the lines [`Histories::add_session`] and the
/// case's activity read in file order. A login without a session id opens
/// none, so it is not one.
pub fn is_session_line(event: &Event<'_>) -> bool {
    match (event.dataset, event.action) {
        (_, Some("logout")) => true,
        (_, Some("login")) => event.session_id.is_some(),
        (
            Dataset::Postfix | Dataset::Exim | Dataset::RoundcubeSendmail,
            Some("send" | "deliver" | "received" | "completed"),
        ) => true,
        _ => false,
    }
}

/// Everything analytics read, gathered from the events as they pass.
#[derive(Default, Serialize, Deserialize)]
pub struct Histories {
    /// Successful logins.
    pub logins: LoginHistory,
    /// Bytes sent to IMAP/POP3 clients.
    pub volumes: VolumeHistory,
    /// Mail sent.
    pub outbound: OutboundHistory,
    /// Messages opened and attachments downloaded through the webmail.
    pub web_reading: WebReadingHistory,
    /// Refused logins.
    pub failures: FailureHistory,
    /// IMAP/POP3 sessions that fetched in bulk.
    pub downloads: DownloadHistory,
    /// Reverse proxies in front of the webmail and the access log's login requests.
    pub proxy: ProxyHistory,
}

impl Histories {
    /// Empty histories whose tables that grow with the days covered (mail
    /// sent, webmail reading, IMAP/POP3 volumes, refused logins) keep at
    /// most `entries` entries each in memory and write the rest out to
    /// temporary files ([`spill::SpillMap`]); [`Histories::default`] keeps
    /// [`spill::IN_MEMORY`]. The findings are the same whatever the bound.
    pub fn with_memory_limit(entries: usize) -> Histories {
        Histories {
            outbound: OutboundHistory::spilling(entries),
            web_reading: WebReadingHistory::spilling(entries),
            volumes: VolumeHistory::spilling(entries),
            failures: FailureHistory::spilling(entries),
            ..Histories::default()
        }
    }

    /// Records what `event` (from the file `path`) tells the analytics.
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        self.add_except_sessions(event, path);
        self.add_session(event, path);
    }

    /// What [`add`](Histories::add) records but the IMAP/POP3 sessions,
    /// whose login and logout lines are joined by session id: the pieces of
    /// a file read on several threads hand the lines [`is_session_line`]
    /// picks to [`add_session`](Histories::add_session) in file order
    /// instead, so that a session whose lines fall in two pieces is joined
    /// as a whole read joins it.
    pub fn add_except_sessions(&mut self, event: &Event<'_>, path: &Arc<str>) {
        self.logins.add(event, path);
        self.web_reading.add(event, path);
        self.failures.add(event, path);
        self.proxy.add(event, path);
    }

    /// Records an IMAP/POP3 login or logout in the sessions (downloads and
    /// volumes), and a submission, arrival or delivery in the mail sent
    /// (joined to its login by queue or message id); any other event is
    /// left alone.
    pub fn add_session(&mut self, event: &Event<'_>, path: &Arc<str>) {
        // A logout's address is its login's (Dovecot names it only there).
        let login_source = self.downloads.add(event, path);
        self.volumes.add(event, path, login_source);
        self.outbound.add(event, path);
    }

    /// Adds another worker's histories to these.
    pub fn merge(&mut self, other: Histories) {
        self.logins.merge(other.logins);
        self.volumes.merge(other.volumes);
        self.outbound.merge(other.outbound);
        self.web_reading.merge(other.web_reading);
        self.failures.merge(other.failures);
        self.downloads.merge(other.downloads);
        self.proxy.merge(other.proxy);
    }

    /// Writes what the spilling tables hold in memory out to their
    /// temporary files, to give the memory to the stage that comes before
    /// the analytics read them ([`spill::SpillMap::write_out`]).
    pub fn write_out(&mut self) {
        self.outbound.write_out();
        self.web_reading.write_out();
        self.volumes.write_out();
        self.failures.write_out();
    }

    /// The first error reading a spilled table back ([`spill::SpillMap`]),
    /// when one was met: the analytics then saw part of what was gathered,
    /// which a caller must say.
    pub fn error(&self) -> Option<String> {
        self.outbound
            .error()
            .or_else(|| self.web_reading.error())
            .or_else(|| self.volumes.error())
            .or_else(|| self.failures.error())
    }

    /// Runs every analytic ([`all`]) against `baseline`, adding their
    /// findings to `findings`; each analytic sees those before it. Findings
    /// made against a reverse proxy's address are given to the client behind
    /// it or lowered ([`ProxyHistory::attribute`]), before the analytics and
    /// again after them; address churn is grouped at the end ([`group_churn`]).
    pub fn run(&self, geo: Option<&GeoDb>, baseline: Baseline, findings: &mut Vec<Finding>) {
        self.proxy.attribute(findings);
        for analytic in all() {
            let found = analytic.run(&Facts {
                logins: &self.logins,
                volumes: &self.volumes,
                outbound: &self.outbound,
                web_reading: &self.web_reading,
                failures: &self.failures,
                downloads: &self.downloads,
                geo,
                baseline,
                findings,
            });
            findings.extend(found);
        }
        // The analytics' own findings on the proxy (mail sent through the
        // webmail, which logs only the proxy) too.
        self.proxy.attribute(findings);
        group_churn(findings);
    }
}

/// A detection that Sigma cannot express.
pub trait Analytic: Send + Sync {
    /// Stable code (`VA001`), used as the finding's `rule_id`.
    fn code(&self) -> &'static str;
    /// What the finding is called.
    fn title(&self) -> &'static str;
    /// Findings over what the scan gathered.
    fn run(&self, facts: &Facts<'_>) -> Vec<Finding>;
}

/// Every analytic vigie has, in the order they run (each sees the findings
/// of those before it).
pub fn all() -> Vec<Box<dyn Analytic>> {
    vec![
        Box::new(login_from_new_address::LoginFromNewAddress),
        Box::new(login_from_new_network::LoginFromNewNetwork),
        Box::new(login_from_new_country_or_asn::LoginFromNewCountryOrAsn),
        Box::new(login_at_unusual_hour::LoginAtUnusualHour::default()),
        Box::new(mailbox_download_volume::MailboxDownloadVolume::default()),
        Box::new(mail_sent_from_new_address::MailSentFromNewAddress::default()),
        Box::new(webmail_reading_volume::WebmailReadingVolume::default()),
        Box::new(mass_mailing::MassMailing::default()),
        Box::new(whole_mailbox_download::WholeMailboxDownload::default()),
        // After those whose findings it names as what the account did next.
        Box::new(credential_spraying::CredentialSpraying::default()),
        // After the findings that tell a takeover (rules, VA001-VA011).
        Box::new(bulk_sending_burst::BulkSendingBurst::default()),
        Box::new(account_takeover_chain::AccountTakeoverChain),
    ]
}

/// A finding about one account from the logins that make it.
pub(crate) fn finding(
    analytic: &dyn Analytic,
    level: &str,
    attack: &[&str],
    user: &str,
    logins: &[&LoginRef],
    count: u64,
    reason: String,
) -> Option<Finding> {
    let first = logins.first()?;
    let mut evidence: Vec<Evidence> = logins
        .iter()
        .take(vigie_event::EVIDENCE_KEPT)
        .map(|l| Evidence {
            path: l.path.to_string(),
            line: l.line,
            part: None,
        })
        .collect();
    evidence.sort();
    Some(Finding {
        rule_id: analytic.code().to_string(),
        title: analytic.title().to_string(),
        level: level.to_string(),
        attack: attack.iter().map(|a| a.to_string()).collect(),
        entity: vigie_event::Entity {
            user: Some(user.to_string()),
            source_ip: Some(first.source.to_string()),
            session: None,
        },
        first_seen: logins.iter().map(|l| l.timestamp).min()?,
        last_seen: logins.iter().map(|l| l.timestamp).max()?,
        count,
        evidence,
        reason,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runs `analytic` on `logins` with the baseline ending at `until` and no earlier findings.
    pub fn run_on(
        analytic: &dyn Analytic,
        logins: &LoginHistory,
        until: Timestamp,
    ) -> Vec<Finding> {
        analytic.run(&Facts {
            logins,
            volumes: &VolumeHistory::default(),
            outbound: &OutboundHistory::default(),
            web_reading: &crate::analytics::WebReadingHistory::default(),
            failures: &crate::analytics::FailureHistory::default(),
            downloads: &crate::analytics::DownloadHistory::default(),
            geo: None,
            baseline: Baseline { until },
            findings: &[],
        })
    }

    /// Records a message `user` sent from `ip` at `minute` to `to`.
    pub fn sent(outbound: &mut OutboundHistory, user: &str, ip: &str, minute: i64, to: &[&str]) {
        let login = LoginRef {
            timestamp: Timestamp::from_unix(minute * 60, 0),
            source: ip.parse().unwrap(),
            path: "sendmail.log".into(),
            line: minute as u64,
        };
        let day = outbound.day(user, login);
        day.messages += 1;
        for address in to {
            day.add_recipient(address);
        }
    }

    /// A history of `(user, address, minute)` logins.
    pub fn history(logins: &[(&str, &str, i64)]) -> LoginHistory {
        let mut h = LoginHistory::default();
        for &(user, ip, minute) in logins {
            let login = LoginRef {
                timestamp: Timestamp::from_unix(minute * 60, 0),
                source: ip.parse().unwrap(),
                path: "userlogins.log".into(),
                line: minute as u64 + 1,
            };
            h.record(user.into(), login, 1, service_bit(Some("imap")));
        }
        h
    }

    #[test]
    fn an_address_used_by_one_account_names_it() {
        let h = history(&[
            ("alice", "192.0.2.66", 1),
            ("alice", "192.0.2.66", 2),
            ("bob", "192.0.2.9", 3),
            ("carol", "192.0.2.9", 4),
        ]);
        assert_eq!(
            h.only_account_of("192.0.2.66".parse().unwrap()),
            Some("alice")
        );
        assert_eq!(h.only_account_of("192.0.2.9".parse().unwrap()), None);
        assert_eq!(h.only_account_of("192.0.2.1".parse().unwrap()), None);
    }

    #[test]
    fn merging_two_workers_keeps_counts_and_earliest_evidence() {
        let mut a = history(&[("alice", "192.0.2.1", 10), ("alice", "192.0.2.1", 30)]);
        a.merge(history(&[
            ("alice", "192.0.2.1", 5),
            ("bob", "192.0.2.2", 7),
        ]));
        let alice = &a.sources[&(Arc::from("alice"), "192.0.2.1".parse().unwrap())];
        assert_eq!(alice.count, 3);
        assert_eq!(alice.first[0].line, 6);
        assert_eq!(
            a.span,
            Some((Timestamp::from_unix(300, 0), Timestamp::from_unix(1800, 0)))
        );
    }
}
