//! VA010 `credential_spraying`.
//!
//! ## What it detects
//! A password-spraying or credential-stuffing campaign seen across the whole
//! server: an hour (or a run of hours) in which a login service refuses far
//! more credentials than its own rhythm, from many addresses that each stay
//! below the per-source thresholds of the correlation rules, whether or not
//! the log names the account (Postfix writes none on a failed SASL login).
//! The campaign is then chained, per account, to the first successful login
//! from any of its addresses within a day after it (critical), or from a
//! public address the account never used before, on the attacked service,
//! during the campaign or within an hour after it (high: the intruder may
//! switch to a clean address once a password works), with what that account
//! did next (mail sent from that address, with its bounces and deferrals, and
//! the findings about the account from then on). A campaign nothing came of
//! is medium; one followed by a success is high.
//!
//! Only refused logins from strangers count, not the office's typos: a
//! refusal that names an account is a typo when that account had logged in
//! successfully from the same address before the hour (its desktop, its
//! phone); one that names none (Postfix's SASL failures) when any account
//! had logged in from the address a day or more before. At 2,000 accounts,
//! 9 a.m. alone gave twenty typos from twenty office desktops, four times
//! the median hour. The test is per account where the log allows it, so an
//! intruder who logs in with one account from every bot first does not make
//! the bots' refusals for other accounts typos.
//!
//! The rhythm is rolling, not a baseline period: each hour is compared with
//! the median hour of the same service over the [`CredentialSpraying::days`]
//! days before it. In the warm-up (less than a day of history before the
//! hour) it is compared with the first days of the logs instead, so that an
//! intruder early in the logs is not invisible; the finding says which.
//!
//! ## Why it matters
//! Distributed spraying (a few tries an hour from twenty addresses against
//! fifty accounts) is how botnets take mailboxes for spam and how state
//! services take them for collection; no single address or account trips a
//! threshold, and the one success is lost in the office's own logins.
//!
//! ## Example
//! `postfix/submission/smtpd[…]: warning: unknown[193.0.2.7]: SASL LOGIN
//! authentication failed: UGFzc3dvcmQ6` from 20 addresses, 30 an hour for
//! eight hours where the server usually sees four, then
//! `client=unknown[193.0.2.7], sasl_method=LOGIN, sasl_username=bob@…`.
//!
//! ## False positives
//! A misconfigured device retrying from many addresses (a phone pool behind
//! carrier NAT with a stale password): the addresses are then the account's
//! own and the chain names them.
//!
//! ## False negatives
//! Refusals that name no account, from addresses some account had logged in
//! from a day or more before (a compromised office machine, a shared carrier
//! NAT, bots an intruder logged in from with an account it holds), are not
//! counted here; the per-source and per-account rules still see them.
//!
//! ## References
//! ATT&CK T1110.003 (Password Spraying), T1110.004 (Credential Stuffing), T1078.

use std::net::IpAddr;
use std::sync::Arc;

use ahash::AHashMap;
use serde::{Deserialize, Serialize};

use vigie_event::{Category, Event, Evidence, Finding, Outcome, Timestamp};

use super::spill::{Combine, SpillMap};
use super::whole_mailbox_download::is_public;
use super::{
    Analytic, FIRST_KEPT, Facts, LoginHistory, LoginRef, SentTotals, SourceHistory,
    is_webmail_host, service_bit,
};

/// Sources counted per service and hour; past it, the rest are counted
/// together (memory stays bounded under a flood).
const SOURCES_KEPT: usize = 4096;

/// Refused recipients (bounced or deferred) from a new address that make its
/// login part of a campaign: an ordinary mistyped address refuses one or two.
const REFUSED_MIN: u64 = 5;

/// Accounts named by refused logins counted per source and hour; past it,
/// the rest are counted as naming none.
const ACCOUNTS_KEPT: usize = 4096;

/// Refused credentials per login service and hour; the table spills to
/// temporary files past [`spill::IN_MEMORY`](super::spill::IN_MEMORY) entries
/// or [`spill::MEMORY_BUDGET`](super::spill::MEMORY_BUDGET) bytes.
#[derive(Default, Serialize, Deserialize)]
pub struct FailureHistory {
    /// Per service and hour since the epoch.
    hours: SpillMap<(Service, i64), Hour>,
}

/// A login service (`smtp`, `imap`, `pop3`, `webmail`, …: the parsers'
/// vocabulary), which travels as text and comes back through
/// [`vigie_event::wire::intern`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Service(&'static str);

impl Serialize for Service {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Service {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Service, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Service(vigie_event::wire::intern(&text)))
    }
}

#[derive(Default, Clone, Serialize, Deserialize)]
struct Hour {
    failures: u64,
    /// Failures per source address ([`SOURCES_KEPT`] at most).
    sources: AHashMap<IpAddr, u64>,
    /// Failures from sources beyond those kept.
    other: u64,
    /// Failures per source address and the account they named, where the
    /// log names one ([`ACCOUNTS_KEPT`] at most).
    #[serde(default, with = "vigie_event::wire::entries")]
    accounts: AHashMap<(IpAddr, Arc<str>), u64>,
    /// The first few, as evidence.
    first: Vec<LoginRef>,
}

impl FailureHistory {
    /// Records a refused login (any service, with or without an account name).
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let refused = event.category == Some(Category::Authentication)
            && event.outcome == Some(Outcome::Failure);
        let Some(source) = event.source_ip else {
            return;
        };
        if !refused || is_webmail_host(source) {
            return;
        }
        let service = event.auth_service().unwrap_or("other");
        let hour = event.timestamp.unix_seconds().div_euclid(3600);
        let login = LoginRef {
            timestamp: event.timestamp,
            source,
            path: Arc::clone(path),
            line: event.line,
        };
        let h = self.hours.entry((Service(service), hour));
        h.add(source, 1, [login]);
        if let Some(user) = event.user_name.as_deref() {
            h.count_account(source, user.into(), 1);
        }
    }

    /// An empty history whose table writes out every `limit` entries.
    pub(crate) fn spilling(limit: usize) -> FailureHistory {
        FailureHistory {
            hours: SpillMap::with_limit(limit),
        }
    }

    /// Adds another worker's history to this one.
    pub fn merge(&mut self, other: FailureHistory) {
        self.hours.merge(other.hours);
    }

    /// Writes the table's entries in memory out ([`SpillMap::write_out`]).
    pub fn write_out(&mut self) {
        self.hours.write_out();
    }

    /// The first error reading the spilled table back, when a read ended
    /// early because of it.
    pub fn error(&self) -> Option<String> {
        self.hours.error()
    }
}

impl Combine for Hour {
    fn heap_bytes(&self) -> usize {
        // A hash table's slot and its control byte.
        self.sources.capacity() * (std::mem::size_of::<(IpAddr, u64)>() + 1)
            + self.accounts.capacity() * (std::mem::size_of::<((IpAddr, Arc<str>), u64)>() + 1)
            + self.first.capacity() * std::mem::size_of::<LoginRef>()
    }

    /// Which sources and accounts are counted apart past
    /// [`SOURCES_KEPT`] and [`ACCOUNTS_KEPT`] depends on the order the
    /// parts come in; the totals do not.
    fn combine(&mut self, theirs: Hour) {
        self.failures += theirs.failures;
        self.other += theirs.other;
        for (source, n) in theirs.sources {
            self.count_source(source, n);
        }
        for ((source, user), n) in theirs.accounts {
            self.count_account(source, user, n);
        }
        for login in theirs.first {
            self.keep(login);
        }
    }
}

impl Hour {
    fn add(&mut self, source: IpAddr, n: u64, logins: impl IntoIterator<Item = LoginRef>) {
        self.failures += n;
        self.count_source(source, n);
        for login in logins {
            self.keep(login);
        }
    }

    fn count_source(&mut self, source: IpAddr, n: u64) {
        if let Some(count) = self.sources.get_mut(&source) {
            *count += n;
        } else if self.sources.len() < SOURCES_KEPT {
            self.sources.insert(source, n);
        } else {
            self.other += n;
        }
    }

    fn count_account(&mut self, source: IpAddr, user: Arc<str>, n: u64) {
        let key = (source, user);
        if let Some(count) = self.accounts.get_mut(&key) {
            *count += n;
        } else if self.accounts.len() < ACCOUNTS_KEPT {
            self.accounts.insert(key, n);
        }
    }

    fn keep(&mut self, login: LoginRef) {
        super::keep_earliest(&mut self.first, login);
    }
}

/// See the module documentation.
pub struct CredentialSpraying {
    /// Days of rolling history each hour is compared with.
    pub days: i64,
    /// Failures an hour must reach in any case.
    pub floor: u64,
    /// How many times the median hour it must reach.
    pub times: u64,
    /// Distinct sources an hour must have.
    pub sources: usize,
    /// The most failures one source may have in the hour for the campaign to
    /// count as distributed (above it, the per-source rules speak).
    pub per_source: u64,
    /// How long after the campaign a success from one of its addresses is chained to it, in seconds.
    pub follow: i64,
    /// How long after the campaign a success from an address new for the
    /// account is chained to it, in seconds (shorter: such logins are common).
    pub new_follow: i64,
}

impl Default for CredentialSpraying {
    fn default() -> CredentialSpraying {
        CredentialSpraying {
            days: 7,
            floor: 20,
            times: 4,
            sources: 10,
            per_source: 10,
            follow: 86_400,
            new_follow: 3600,
        }
    }
}

/// A run of hours of one service above its rhythm.
struct Campaign {
    service: &'static str,
    from: i64,
    to: i64,
    failures: u64,
    median: u64,
    warm: bool,
    sources: AHashMap<IpAddr, u64>,
    first: Vec<LoginRef>,
}

/// One hour's refused logins from strangers (see the module documentation).
struct Strangers {
    failures: u64,
    sources: AHashMap<IpAddr, u64>,
    first: Vec<LoginRef>,
}

/// What the rhythm of a service reads of one hour's [`Strangers`].
struct Rhythm {
    hour: i64,
    failures: u64,
    sources: usize,
    busiest_source: u64,
}

/// The first successful logins the typo test reads, in seconds since the
/// epoch: per address (any account), and per account and address.
struct Known<'l> {
    addresses: AHashMap<IpAddr, i64>,
    pairs: AHashMap<(&'l str, IpAddr), i64>,
}

impl<'l> Known<'l> {
    fn of(logins: &'l LoginHistory) -> Known<'l> {
        let mut known = Known {
            addresses: AHashMap::new(),
            pairs: AHashMap::new(),
        };
        for ((user, ip), h) in &logins.sources {
            if let Some(first) = h.first.first() {
                let at = first.timestamp.unix_seconds();
                known.pairs.insert((&**user, *ip), at);
                known
                    .addresses
                    .entry(*ip)
                    .and_modify(|t| *t = (*t).min(at))
                    .or_insert(at);
            }
        }
        known
    }
}

impl Strangers {
    /// What of `h` (hour `hour` since the epoch) was not a typo (see the
    /// module documentation).
    fn of(h: &Hour, hour: i64, known: &Known<'_>) -> Strangers {
        let start = hour * 3600;
        // Per source: refusals naming an account, and those that were typos.
        let mut named: AHashMap<IpAddr, (u64, u64)> = AHashMap::new();
        for ((ip, user), n) in &h.accounts {
            let typo = known
                .pairs
                .get(&(&**user, *ip))
                .is_some_and(|&first| first < start);
            let entry = named.entry(*ip).or_default();
            entry.0 += n;
            if typo {
                entry.1 += n;
            }
        }
        let mut sources: AHashMap<IpAddr, u64> = AHashMap::new();
        for (ip, n) in &h.sources {
            let (with_account, typos) = named.get(ip).copied().unwrap_or_default();
            let known_address = known
                .addresses
                .get(ip)
                .is_some_and(|&first| first <= start - 86_400);
            let without = n.saturating_sub(with_account);
            let strangers = with_account - typos + if known_address { 0 } else { without };
            if strangers > 0 {
                sources.insert(*ip, strangers);
            }
        }
        // Sources past those kept are not told apart: counted as strangers.
        let failures = sources.values().sum::<u64>() + h.other;
        let first = h
            .first
            .iter()
            .filter(|l| sources.contains_key(&l.source))
            .cloned()
            .collect();
        Strangers {
            failures,
            sources,
            first,
        }
    }
}

impl CredentialSpraying {
    /// The campaigns of `history`, by service (in name order) then hour:
    /// a first read of the table gives each hour's rhythm, a second the
    /// raised hours' sources and evidence.
    fn campaigns(&self, history: &FailureHistory, logins: &LoginHistory) -> Vec<Campaign> {
        let known = Known::of(logins);
        let mut services: Vec<(Service, Vec<Rhythm>)> = Vec::new();
        for ((service, hour), h) in history.hours.sorted() {
            let s = Strangers::of(&h, hour, &known);
            let rhythm = Rhythm {
                hour,
                failures: s.failures,
                sources: s.sources.len(),
                busiest_source: s.sources.values().copied().max().unwrap_or(0),
            };
            match services.last_mut() {
                Some((last, hours)) if *last == service => hours.push(rhythm),
                _ => services.push((service, vec![rhythm])),
            }
        }
        // The raised hours, with the median they were compared with and
        // whether it was the warm-up's.
        let mut raised: AHashMap<(Service, i64), (u64, bool)> = AHashMap::new();
        for (service, hours) in &services {
            let Some(first_hour) = hours.first().map(|r| r.hour) else {
                continue;
            };
            let last_hour = hours.last().map_or(first_hour, |r| r.hour);
            for h in hours {
                let hour = h.hour;
                // The rolling rhythm: every hour of the days before, the
                // silent ones as zero; in the warm-up (less than a day
                // before), the first days of the logs instead.
                let warm = hour - first_hour >= 24;
                let (from, to) = if warm {
                    ((hour - self.days * 24).max(first_hour), hour)
                } else {
                    (first_hour, (first_hour + self.days * 24).min(last_hour + 1))
                };
                // The hours are in order: the window is one slice of them.
                let lo = hours.partition_point(|r| r.hour < from);
                let hi = hours.partition_point(|r| r.hour < to);
                let mut counts: Vec<u64> = hours[lo..hi]
                    .iter()
                    .filter(|r| r.hour != hour)
                    .map(|r| r.failures)
                    .collect();
                let span = (to - from - i64::from(!warm && hour < to)).max(0) as usize;
                counts.resize(span.max(counts.len()), 0);
                counts.sort_unstable();
                let median = counts.get(counts.len() / 2).copied().unwrap_or(0);
                if h.failures >= self.floor
                    && h.failures >= self.times.saturating_mul(median.max(1))
                    && h.sources >= self.sources
                    && h.busiest_source <= self.per_source
                {
                    raised.insert((*service, hour), (median, warm));
                }
            }
        }
        let mut campaigns: Vec<Campaign> = Vec::new();
        if raised.is_empty() {
            return campaigns;
        }
        for ((service, hour), h) in history.hours.sorted() {
            let Some(&(median, warm)) = raised.get(&(service, hour)) else {
                continue;
            };
            let h = Strangers::of(&h, hour, &known);
            match campaigns.last_mut() {
                Some(c) if c.service == service.0 && c.to + 1 >= hour => {
                    c.to = hour;
                    c.failures += h.failures;
                    c.median = c.median.max(median);
                    c.warm &= warm;
                    for (ip, n) in &h.sources {
                        *c.sources.entry(*ip).or_default() += n;
                    }
                }
                _ => campaigns.push(Campaign {
                    service: service.0,
                    from: hour,
                    to: hour,
                    failures: h.failures,
                    median,
                    warm,
                    sources: h.sources,
                    first: h.first,
                }),
            }
        }
        campaigns
    }
}

impl Analytic for CredentialSpraying {
    fn code(&self) -> &'static str {
        "VA010"
    }

    fn title(&self) -> &'static str {
        "Distributed credential spraying across the server"
    }

    fn run(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let mut found = Vec::new();
        let campaigns = self.campaigns(facts.failures, facts.logins);
        if campaigns.is_empty() {
            return found;
        }
        let index = Index::of(facts, self.code());
        for c in campaigns {
            let hours = c.to - c.from + 1;
            let mut top: Vec<(IpAddr, u64)> = c.sources.iter().map(|(ip, n)| (*ip, *n)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let compared = if c.warm {
                format!(
                    "a median hour of {} refused logins over the {} days before",
                    c.median, self.days
                )
            } else {
                format!(
                    "a median hour of {} refused logins over the first {} days of the logs (warm-up: less than a day before it)",
                    c.median, self.days
                )
            };
            let start = Timestamp::from_unix(c.from * 3600, 0);
            let end = Timestamp::from_unix(c.to * 3600 + 3599, 0);
            let chained = self.chain(facts, &index, &c, end);
            // A campaign nothing came of is to be looked at (medium); one
            // followed by a success is an intrusion to answer (high).
            let (level, outcome) = match chained.len() {
                0 => (
                    "medium",
                    "no success followed from its addresses or from an address new for an account"
                        .to_string(),
                ),
                n => (
                    "high",
                    format!(
                        "{n} account(s) logged in from its addresses or from a new address in its window (see the findings that follow)"
                    ),
                ),
            };
            let reason = format!(
                "{} refused {} {} logins in {hours} hour(s) from {} addresses, none above {} an hour (below per-source thresholds); compared with {compared}; {outcome}",
                c.service,
                c.failures,
                c.service,
                c.sources.len(),
                self.per_source,
            );
            let first_seen = c.first.iter().map(|l| l.timestamp).min().unwrap_or(start);
            found.push(Finding {
                rule_id: self.code().to_string(),
                title: self.title().to_string(),
                level: level.to_string(),
                attack: vec!["T1110.003".to_string(), "T1110.004".to_string()],
                entity: vigie_event::Entity {
                    user: None,
                    source_ip: top.first().map(|(ip, _)| ip.to_string()),
                    session: None,
                },
                first_seen,
                last_seen: end,
                count: c.failures,
                evidence: evidence(&c.first.iter().collect::<Vec<_>>()),
                reason,
            });
            found.extend(chained);
        }
        found
    }
}

/// How a successful login is tied to a campaign.
enum Link {
    /// From one of the campaign's own addresses.
    CampaignAddress,
    /// From an address the account never used before, on the attacked
    /// service, inside the campaign's window.
    NewAddress,
}

impl CredentialSpraying {
    /// Per account, the first successful login tied to the campaign: from
    /// any of its addresses during it or within [`CredentialSpraying::follow`]
    /// after, or from a public address new for the account on the attacked
    /// service during it or within [`CredentialSpraying::new_follow`] after;
    /// each with what the account did next.
    fn chain(
        &self,
        facts: &Facts<'_>,
        index: &Index<'_>,
        c: &Campaign,
        end: Timestamp,
    ) -> Vec<Finding> {
        let start = Timestamp::from_unix(c.from * 3600, 0);
        let until = Timestamp::from_unix(end.unix_seconds() + self.follow, 0);
        let new_until = Timestamp::from_unix(end.unix_seconds() + self.new_follow, 0);
        let service = service_bit(Some(c.service));
        let mut hits: AHashMap<&str, (&LoginRef, u64, Link)> = AHashMap::new();
        // From the campaign's own addresses.
        for ip in c.sources.keys() {
            for &(user, h) in index.by_address.get(ip).into_iter().flatten() {
                if let Some(first) = h
                    .first
                    .iter()
                    .find(|l| l.timestamp >= start && l.timestamp <= until)
                {
                    keep_earliest(&mut hits, user, first, h.count, Link::CampaignAddress);
                }
            }
        }
        // From an address whose very first login for the account is in the window.
        let from = index.by_first.partition_point(|(at, _, _)| *at < start);
        let to = index
            .by_first
            .partition_point(|(at, _, _)| *at <= new_until);
        for &(_, user, h) in &index.by_first[from..to] {
            let Some(first) = h.first.first() else {
                continue;
            };
            let new = !c.sources.contains_key(&first.source)
                && h.services & service != 0
                && index.earlier_addresses(user, start) > 0
                && is_public(first.source);
            // An office's phones and home routers change address all
            // day: at 2,000 accounts over eight weeks a new address fell
            // inside some campaign's window 38,533 times. Only what the
            // address went on to do tells the intruder apart.
            if new && index.corroborated(user, first) {
                keep_earliest(&mut hits, user, first, h.count, Link::NewAddress);
            }
        }
        let mut hits: Vec<_> = hits.into_iter().collect();
        hits.sort_by_key(|(user, (l, _, _))| (l.timestamp, *user));
        let firsts = facts.logins.first_logins();
        let mut found = Vec::new();
        for (user, (login, count, link)) in hits {
            let next = self.next(facts, index, user, login);
            let (level, how, title) = match link {
                Link::CampaignAddress => (
                    "critical",
                    format!("an address of the {} spraying campaign", c.service),
                    "Login from an address of a credential-spraying campaign",
                ),
                Link::NewAddress => (
                    "high",
                    format!(
                        "an address never seen for this account (its {} earlier addresses), on {} during the {} spraying campaign",
                        index.earlier_addresses(user, start),
                        c.service,
                        c.service
                    ),
                    "Login from a new address during a credential-spraying campaign",
                ),
            };
            let reason = format!(
                "{user} logged in from {} ({count} logins) at {}, {how} of {} to {} ({} refused logins from {} addresses); {next}{}",
                login.source,
                login.timestamp,
                start,
                end,
                c.failures,
                c.sources.len(),
                facts
                    .baseline
                    .warm_up_note(firsts.get(user).copied(), login.timestamp)
            );
            found.extend(super::finding(
                self,
                level,
                &["T1110.003", "T1078"],
                user,
                &[login],
                count,
                reason,
            ));
            if let Some(f) = found.last_mut() {
                f.title = title.to_string();
            }
        }
        found
    }

    /// What `user` did after `login`: mail sent from its address, and the
    /// findings made about the account from then on.
    fn next(&self, facts: &Facts<'_>, index: &Index<'_>, user: &str, login: &LoginRef) -> String {
        let sent = index
            .sent
            .get(user)
            .and_then(|by_ip| by_ip.get(&login.source))
            .copied();
        let mut next = match sent.unwrap_or_default() {
            (0, _, _) => "no mail sent from that address afterwards".to_string(),
            (m, r, 0) => format!("then {m} messages to {r} recipients sent from that address"),
            (m, r, x) => format!(
                "then {m} messages to {r} recipients sent from that address ({x} bounced or deferred)"
            ),
        };
        let mut after: Vec<&str> = facts
            .findings
            .iter()
            .filter(|f| f.entity.user.as_deref() == Some(user))
            .filter(|f| f.last_seen >= login.timestamp && f.rule_id != self.code())
            .filter(|f| !matches!(f.level.as_str(), "informational" | "low"))
            .map(|f| f.title.as_str())
            .collect();
        after.sort_unstable();
        after.dedup();
        if !after.is_empty() {
            next.push_str("; findings about the account from then on: ");
            next.push_str(&after.join(", "));
        }
        next
    }
}

/// What every campaign's chain reads, indexed once per run. At 2,000
/// accounts over eight weeks the account–address pairs number in the
/// hundreds of thousands and a botnet can make a campaign every few hours:
/// a pass per campaign over the pairs, and one over the mail sent per pair
/// in a campaign's window, took 243 of a 276 s scan.
struct Index<'f> {
    /// Account–address pairs by address.
    by_address: AHashMap<IpAddr, Vec<(&'f str, &'f SourceHistory)>>,
    /// Account–address pairs by the time of their first login, in order.
    by_first: Vec<(Timestamp, &'f str, &'f SourceHistory)>,
    /// Per account, the times of its addresses' first logins, in order.
    firsts: AHashMap<&'f str, Vec<Timestamp>>,
    /// Mail sent per account and address: messages, recipients, refused.
    sent: SentTotals,
    /// Per account, the latest end of a high or critical finding of
    /// another rule.
    latest_finding: AHashMap<&'f str, Timestamp>,
}

impl<'f> Index<'f> {
    /// `code`'s own findings do not corroborate.
    fn of(facts: &Facts<'f>, code: &str) -> Index<'f> {
        let mut by_address: AHashMap<IpAddr, Vec<_>> = AHashMap::new();
        let mut by_first = Vec::new();
        let mut firsts: AHashMap<&str, Vec<Timestamp>> = AHashMap::new();
        for ((user, ip), h) in &facts.logins.sources {
            by_address.entry(*ip).or_default().push((&**user, h));
            if let Some(first) = h.first.first() {
                by_first.push((first.timestamp, &**user, h));
                firsts.entry(&**user).or_default().push(first.timestamp);
            }
        }
        // Pairs of equal first times in a fixed order (the map's is random).
        by_first
            .sort_by(|a, b| (a.0, a.1, a.2.first[0].source).cmp(&(b.0, b.1, b.2.first[0].source)));
        for times in firsts.values_mut() {
            times.sort_unstable();
        }
        let mut latest_finding: AHashMap<&str, Timestamp> = AHashMap::new();
        for f in facts.findings {
            if let Some(user) = f.entity.user.as_deref()
                && f.rule_id != code
                && matches!(f.level.as_str(), "high" | "critical")
            {
                let latest = latest_finding.entry(user).or_insert(f.last_seen);
                *latest = (*latest).max(f.last_seen);
            }
        }
        Index {
            by_address,
            by_first,
            firsts,
            sent: facts.outbound.totals(),
            latest_finding,
        }
    }

    /// How many addresses `user` had logged in from before `start`.
    fn earlier_addresses(&self, user: &str, start: Timestamp) -> usize {
        self.firsts
            .get(user)
            .map_or(0, |times| times.partition_point(|t| *t < start))
    }

    /// Whether a login from an address new for `user` was followed by what
    /// an intruder does and a person rarely does: mail from that address of
    /// which at least [`REFUSED_MIN`] recipients and a fifth were refused
    /// (bounces, deferrals, rate limits: spam), or a high or critical
    /// finding about the account from then on.
    fn corroborated(&self, user: &str, login: &LoginRef) -> bool {
        let (_, recipients, refused) = self
            .sent
            .get(user)
            .and_then(|by_ip| by_ip.get(&login.source))
            .copied()
            .unwrap_or_default();
        let spam = refused >= REFUSED_MIN && refused * 5 >= recipients;
        spam || self
            .latest_finding
            .get(user)
            .is_some_and(|latest| *latest >= login.timestamp)
    }
}

/// Keeps `login` as `user`'s hit unless an earlier one is kept (time, then
/// address: the same whatever order the pairs come in).
fn keep_earliest<'a>(
    hits: &mut AHashMap<&'a str, (&'a LoginRef, u64, Link)>,
    user: &'a str,
    login: &'a LoginRef,
    count: u64,
    link: Link,
) {
    let earlier = hits
        .get(user)
        .is_some_and(|(l, _, _)| (l.timestamp, l.source) <= (login.timestamp, login.source));
    if !earlier {
        hits.insert(user, (login, count, link));
    }
}

fn evidence(first: &[&LoginRef]) -> Vec<Evidence> {
    let mut evidence: Vec<Evidence> = first
        .iter()
        .take(FIRST_KEPT)
        .map(|l| Evidence {
            path: l.path.to_string(),
            line: l.line,
            part: None,
        })
        .collect();
    evidence.sort();
    evidence
}
