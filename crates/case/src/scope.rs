//! Compromise scope and exfiltration estimate per account, from the scan's
//! activity and findings, with the limits of the evidence: which time each
//! log family covers, and its gaps.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use vigie_detect::geo::GeoDb;
use vigie_event::{Evidence, Finding, Timestamp};

use crate::activity::{Activity, GAP_SECS, Mark, Selection, Sessions, WebDay};
use crate::answers::content_kind;
use crate::owner::names_an_intruder;

/// Mail-client sessions from one address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionScope {
    /// The address.
    pub source: String,
    /// Whether the findings tie it to the intrusion.
    pub attacker: bool,
    /// The sessions (per protocol and day).
    #[serde(flatten)]
    pub sessions: Sessions,
}

/// Webmail requests from one browser address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebScope {
    /// The address.
    pub source: String,
    /// Whether the findings tie it to the intrusion.
    pub attacker: bool,
    /// Its first day (`YYYY-MM-DD`).
    pub day: String,
    /// What it did.
    #[serde(flatten)]
    pub web: WebDay,
}

/// One channel data may have left by.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Channel {
    /// `imap/pop3 download`, `webmail download`, `sieve forwarding`, `mail
    /// sent`, `mail sent inside the organisation` (not data leaving).
    pub channel: String,
    /// Bytes, when the logs count them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Messages, when the logs count them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<u64>,
    /// `high` (a server's own byte counter), `medium` (includes more than mail
    /// content), `low` (a count without sizes).
    pub confidence: String,
    /// How it was computed.
    pub basis: String,
    /// Lines (a few).
    pub evidence: Vec<Evidence>,
}

/// What left, by channel, and what cannot be excluded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exfiltration {
    /// Bytes counted by the channels that count bytes.
    pub total_bytes: u64,
    /// Per channel.
    pub channels: Vec<Channel>,
    /// The limits: what the logs do not cover.
    pub caveats: Vec<String>,
}

/// Everything the logs show of one account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountScope {
    /// The account.
    pub account: String,
    /// Worst finding level about it.
    pub worst: String,
    /// Findings about it.
    pub findings: usize,
    /// Addresses the findings tie to the intrusion of this account.
    pub attacker_sources: Vec<String>,
    /// When the first of those addresses was first seen acting on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intrusion_start: Option<Timestamp>,
    /// Mail-client sessions.
    pub mail_sessions: Vec<SessionScope>,
    /// Webmail activity from addresses attributed to the account.
    pub web: Vec<WebScope>,
    /// Logins, failures, forwards and mail sent.
    pub marks: Vec<Mark>,
    /// Flagged messages in the account's mailbox, and their openings.
    pub messages: Vec<MessageScope>,
    /// The estimate.
    pub exfiltration: Exfiltration,
}

/// A flagged message of the account (from the mailbox scan's findings).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageScope {
    /// Arrival, or the opening for `VC001`.
    pub time: Timestamp,
    /// The finding's rule (`VM…` for the message, `VC001` for an opening).
    pub rule_id: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: String,
    /// Who opened it from where, for an opening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The message file and part, then the requests.
    pub evidence: Vec<Evidence>,
}

/// The time one family of logs covers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FamilyCoverage {
    /// `dovecot`, `mta`, `web access`, `roundcube`.
    pub family: String,
    /// Events read.
    pub events: u64,
    /// The earliest event, to the second.
    pub first: Timestamp,
    /// The latest event, to the second.
    pub last: Timestamp,
    /// Stretches of [`GAP_SECS`] or more without any event.
    pub gaps: Vec<(Timestamp, Timestamp)>,
}

/// The case's scope file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CaseScope {
    /// Per account.
    pub accounts: Vec<AccountScope>,
    /// Per log family.
    pub coverage: Vec<FamilyCoverage>,
    /// Country and network operator of the addresses the scope and the
    /// findings name, from the GeoIP/ASN databases given (`--geoip`, `--asn`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub places: BTreeMap<String, Place>,
}

/// Where an address is, as the databases say.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// ISO country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Autonomous system number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
}

/// Fills `scope.places` for every address of the scope and the findings.
pub fn locate(scope: &mut CaseScope, findings: &[Finding], geo: &GeoDb) {
    if geo.is_empty() {
        return;
    }
    let named = findings
        .iter()
        .filter_map(|f| f.entity.source_ip.clone())
        .chain(scope.accounts.iter().flat_map(|a| {
            a.attacker_sources
                .iter()
                .cloned()
                .chain(a.mail_sessions.iter().map(|m| m.source.clone()))
                .chain(a.web.iter().map(|w| w.source.clone()))
        }))
        .collect::<BTreeSet<String>>();
    for address in named {
        let Ok(ip) = address.parse::<IpAddr>() else {
            continue;
        };
        let place = Place {
            country: geo.country(ip),
            asn: geo.asn(ip),
        };
        if place != Place::default() {
            scope.places.insert(address, place);
        }
    }
}

const RANK: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

fn rank(level: &str) -> usize {
    RANK.iter().position(|l| *l == level).unwrap_or(0)
}

fn day(timestamp: Timestamp) -> String {
    timestamp.to_string().chars().take(10).collect()
}

/// The coverage of each log family.
pub fn coverage(activity: &Activity) -> Vec<FamilyCoverage> {
    activity
        .coverage()
        .iter()
        .filter(|(_, c)| !c.hours.is_empty())
        .map(|(family, c)| {
            let hours: Vec<i64> = c.hours.iter().copied().collect();
            let gaps = hours
                .windows(2)
                .filter(|w| (w[1] - w[0] - 1) * 3600 >= GAP_SECS)
                .map(|w| {
                    (
                        Timestamp::from_unix((w[0] + 1) * 3600, 0),
                        Timestamp::from_unix(w[1] * 3600, 0),
                    )
                })
                .collect();
            FamilyCoverage {
                family: family.to_string(),
                events: c.events,
                first: c
                    .first
                    .unwrap_or_else(|| Timestamp::from_unix(hours[0] * 3600, 0)),
                last: c.last.unwrap_or_else(|| {
                    Timestamp::from_unix((hours[hours.len() - 1] + 1) * 3600, 0)
                }),
                gaps,
            }
        })
        .collect()
}

/// The scope of every account with a finding or targeted by an intruder's
/// address (or of every account seen, with `all`). `activity` must hold
/// the sessions and webmail requests [`selection`] names for the same
/// findings (or more).
pub fn scope(activity: &Activity, findings: &[Finding], all: bool) -> CaseScope {
    let coverage = coverage(activity);
    let accounts = accounts(activity, findings, all);
    let index = Index::new(activity, activity.web.keys().copied());
    let scopes = accounts
        .into_iter()
        .map(|account| account_scope(&account, activity, findings, &index, &coverage))
        .collect();
    CaseScope {
        accounts: scopes,
        coverage,
        places: BTreeMap::new(),
    }
}

/// What [`scope`] reads of the case's sessions and webmail requests: those
/// of the accounts in the case and of the browser addresses attributed to
/// them, chosen from the case's `outline` (its marks and logins, read with
/// [`Selection::outline`]) and the addresses of every webmail request it
/// holds. With `all`, everything.
pub fn selection(
    outline: &Activity,
    web_addresses: &BTreeSet<IpAddr>,
    findings: &[Finding],
    all: bool,
) -> Selection {
    if all {
        return Selection::everything();
    }
    let accounts = accounts(outline, findings, false);
    let index = Index::new(outline, web_addresses.iter().copied());
    let web_from = accounts
        .iter()
        .filter_map(|account| index.web_sources.get(account))
        .flatten()
        .copied()
        .collect();
    Selection {
        sessions_of: Some(accounts),
        web_from: Some(web_from),
    }
}

/// The accounts (lower-cased) in the case: named by a finding, or that an
/// intruder's address tried to get into; with `all`, every account seen.
fn accounts(activity: &Activity, findings: &[Finding], all: bool) -> BTreeSet<String> {
    let mut accounts: BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f.entity.user.as_deref().map(str::to_ascii_lowercase))
        .collect();
    let severe: BTreeSet<&str> = findings
        .iter()
        .filter(|f| names_an_intruder(f))
        .filter_map(|f| f.entity.source_ip.as_deref())
        .collect();
    accounts.extend(
        activity
            .marks
            .iter()
            .filter(|m| m.kind == "auth-failure")
            .filter(|m| {
                m.source
                    .is_some_and(|s| severe.contains(s.to_string().as_str()))
            })
            .map(|m| m.user.to_ascii_lowercase()),
    );
    if all {
        accounts.extend(
            activity
                .sessions
                .keys()
                .map(|(u, ..)| u.to_ascii_lowercase()),
        );
        accounts.extend(activity.marks.iter().map(|m| m.user.to_ascii_lowercase()));
    }
    accounts
}

/// An account's sessions from one address, protocol and day.
type SessionKey = (std::sync::Arc<str>, IpAddr, &'static str, i64);

/// Who is behind each address, built once for all accounts (per-account
/// scans of every login and mark would be quadratic on a large case).
struct Index {
    /// Accounts (lower-cased) that logged in from each address.
    logged_in: HashMap<IpAddr, BTreeSet<String>>,
    /// The browser addresses attributed to each account: the only account
    /// that logged in from it, or a Roundcube login of it from there.
    web_sources: HashMap<String, BTreeSet<IpAddr>>,
    /// Marks per account (lower-cased).
    marks: HashMap<String, Vec<usize>>,
    /// Mail-client session keys per account (lower-cased).
    sessions: HashMap<String, Vec<SessionKey>>,
}

impl Index {
    /// The index of `activity`'s logins, marks and sessions, and of the
    /// browser addresses `web_addresses` (of its webmail requests).
    fn new(activity: &Activity, web_addresses: impl Iterator<Item = IpAddr>) -> Index {
        let mut logged_in: HashMap<IpAddr, BTreeSet<String>> = HashMap::new();
        for (user, ip) in &activity.logins {
            logged_in
                .entry(*ip)
                .or_default()
                .insert(user.to_ascii_lowercase());
        }
        let mut web_sources: HashMap<String, BTreeSet<IpAddr>> = HashMap::new();
        let web_ips: BTreeSet<IpAddr> = web_addresses.collect();
        for ip in web_ips {
            if let Some(users) = logged_in.get(&ip)
                && users.len() == 1
                && let Some(user) = users.first()
            {
                web_sources.entry(user.clone()).or_default().insert(ip);
            }
        }
        let mut marks: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in activity.marks.iter().enumerate() {
            let user = m.user.to_ascii_lowercase();
            if m.kind == "web-login"
                && let Some(ip) = m.source
            {
                web_sources.entry(user.clone()).or_default().insert(ip);
            }
            marks.entry(user).or_default().push(i);
        }
        let mut sessions: HashMap<String, Vec<SessionKey>> = HashMap::new();
        for key in activity.sessions.keys() {
            sessions
                .entry(key.0.to_ascii_lowercase())
                .or_default()
                .push(key.clone());
        }
        Index {
            logged_in,
            web_sources,
            marks,
            sessions,
        }
    }
}

fn account_scope(
    account: &str,
    activity: &Activity,
    findings: &[Finding],
    index: &Index,
    coverage: &[FamilyCoverage],
) -> AccountScope {
    let about: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.entity
                .user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(account))
        })
        .collect();
    let logged_in_from = |source: IpAddr| {
        index
            .logged_in
            .get(&source)
            .is_some_and(|users| users.contains(account))
    };
    // Addresses tied to the intrusion: of severe findings naming the
    // account, and of severe findings naming only an address that then
    // logged in to this account.
    let mut attackers: BTreeSet<IpAddr> = BTreeSet::new();
    for f in findings.iter().filter(|f| names_an_intruder(f)) {
        let Some(source) = f.entity.source_ip.as_deref().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let names_it = f
            .entity
            .user
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(account));
        if names_it || (f.entity.user.is_none() && logged_in_from(source)) {
            attackers.insert(source);
        }
    }
    let mut mail_sessions: Vec<SessionScope> = index
        .sessions
        .get(account)
        .into_iter()
        .flatten()
        .filter_map(|key| {
            let attacker = attackers.contains(&key.1);
            let mut sessions = activity.sessions.get(key)?.clone();
            // One by one for the intruder's addresses; totals for the others.
            if !attacker {
                sessions.each.clear();
            }
            Some(SessionScope {
                source: key.1.to_string(),
                attacker,
                sessions,
            })
        })
        .collect();
    // Two spellings of one account (`Alice`, `alice`) can tie on all but
    // their lines: those break the tie, not the map's order.
    mail_sessions.sort_by(|a, b| {
        (
            a.sessions.first,
            &a.source,
            &a.sessions.protocol,
            &a.sessions.evidence,
        )
            .cmp(&(
                b.sessions.first,
                &b.source,
                &b.sessions.protocol,
                &b.sessions.evidence,
            ))
    });
    let sources = index.web_sources.get(account);
    let mut web: Vec<WebScope> = activity
        .web
        .iter()
        .filter(|(source, _)| sources.is_some_and(|s| s.contains(source)))
        .map(|(source, w)| WebScope {
            source: source.to_string(),
            attacker: attackers.contains(source),
            day: w.first.map(day).unwrap_or_default(),
            web: w.clone(),
        })
        .collect();
    web.sort_by(|a, b| (a.web.first, &a.source).cmp(&(b.web.first, &b.source)));
    let mut marks: Vec<Mark> = index
        .marks
        .get(account)
        .into_iter()
        .flatten()
        .map(|&i| activity.marks[i].clone())
        .collect();
    marks.sort_by(|a, b| {
        (a.timestamp, &a.kind, &a.evidence).cmp(&(b.timestamp, &b.kind, &b.evidence))
    });

    let intrusion_start = mail_sessions
        .iter()
        .filter(|s| s.attacker)
        .map(|s| s.sessions.first)
        .chain(
            web.iter()
                .filter(|w| w.attacker)
                .filter_map(|w| w.web.first),
        )
        .chain(
            marks
                .iter()
                .filter(|m| m.source.is_some_and(|s| attackers.contains(&s)))
                .map(|m| m.timestamp),
        )
        .min();
    let exfiltration = estimate(
        &mail_sessions,
        &web,
        &marks,
        &attackers,
        intrusion_start,
        coverage,
    );
    let messages = about
        .iter()
        .filter(|f| f.rule_id.starts_with("VM") || f.rule_id == "VC001")
        .map(|f| MessageScope {
            time: f.first_seen,
            rule_id: f.rule_id.clone(),
            title: f.title.clone(),
            level: f.level.clone(),
            source: f.entity.source_ip.clone(),
            evidence: f.evidence.iter().take(10).cloned().collect(),
        })
        .collect();
    AccountScope {
        account: account.to_string(),
        worst: about
            .iter()
            .map(|f| f.level.as_str())
            .max_by_key(|l| rank(l))
            .unwrap_or("informational")
            .to_string(),
        findings: about.len(),
        attacker_sources: attackers.iter().map(ToString::to_string).collect(),
        intrusion_start,
        mail_sessions,
        web,
        marks,
        messages,
        exfiltration,
    }
}

/// The channel of mail the intruder sent only to the sending account's
/// own domain ([`sent_inside`]).
pub const INSIDE_CHANNEL: &str = "mail sent inside the organisation";

/// Whether every recipient a `sent` mark names (`webmail to a@x, b@y`) is
/// at the sending account's own domain. A fresh user's retest found a
/// message the intruder sent to a colleague counted as data that left.
fn sent_inside(m: &Mark) -> bool {
    let (Some((_, own)), Some(to)) = (
        m.user.rsplit_once('@'),
        m.detail.strip_prefix("webmail to "),
    ) else {
        return false;
    };
    let mut recipients = to
        .split([',', ';', ' '])
        .filter(|r| !r.is_empty())
        .peekable();
    recipients.peek().is_some()
        && recipients.all(|r| {
            r.trim_matches(['<', '>'])
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case(own))
        })
}

fn estimate(
    sessions: &[SessionScope],
    web: &[WebScope],
    marks: &[Mark],
    attackers: &BTreeSet<IpAddr>,
    start: Option<Timestamp>,
    coverage: &[FamilyCoverage],
) -> Exfiltration {
    let mut channels = Vec::new();
    let client: Vec<&SessionScope> = sessions
        .iter()
        .filter(|s| s.attacker && matches!(s.sessions.protocol.as_str(), "imap" | "pop3"))
        .collect();
    if !client.is_empty() {
        channels.push(Channel {
            channel: "imap/pop3 download".to_string(),
            bytes: Some(saturating_sum(client.iter().map(|s| s.sessions.bytes_out))),
            messages: Some(saturating_sum(client.iter().map(|s| s.sessions.bodies))),
            confidence: "high".to_string(),
            basis: format!(
                "Dovecot logout counters (out=, body_count=) of {} sessions from {}",
                client.iter().map(|s| s.sessions.sessions).sum::<u64>(),
                attackers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            evidence: client
                .iter()
                .flat_map(|s| s.sessions.evidence.iter().cloned())
                .take(20)
                .collect(),
        });
    }
    let browser: Vec<&WebScope> = web.iter().filter(|w| w.attacker).collect();
    if !browser.is_empty() {
        let mut by_action: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for w in &browser {
            for (action, (n, b)) in w.web.actions.iter() {
                let e = by_action.entry(action).or_default();
                e.0 = e.0.saturating_add(*n);
                e.1 = e.1.saturating_add(*b);
            }
        }
        let detail: Vec<String> = by_action
            .iter()
            .map(|(a, (n, b))| format!("{a}: {n} requests, {b} bytes"))
            .collect();
        // Content only: pages, logins and listings are overhead.
        let (content, overhead): (Vec<_>, Vec<_>) = by_action
            .iter()
            .partition(|(a, _)| content_kind(a) != "page overhead");
        let sum = |v: &[(&&str, &(u64, u64))]| {
            v.iter().fold((0u64, 0u64), |(n, b), (_, (n2, b2))| {
                (n.saturating_add(*n2), b.saturating_add(*b2))
            })
        };
        let (overhead_requests, overhead_bytes) = sum(&overhead);
        channels.push(Channel {
            channel: "webmail download".to_string(),
            bytes: Some(sum(&content).1),
            messages: Some(
                browser
                    .iter()
                    .flat_map(|w| w.web.items.iter())
                    .filter(|i| matches!(i.action.as_str(), "message-open" | "message-source") && (200..300).contains(&i.status))
                    .map(|i| (i.mailbox.clone(), i.uid.clone()))
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
            ),
            confidence: "medium".to_string(),
            basis: format!(
                "web server response bytes (compressed as sent) of the intruder's requests that carry mail content (messages, attachments, archives, address books); page overhead not counted: {overhead_requests} requests, {overhead_bytes} bytes; per action: {}",
                detail.join("; ")
            ),
            evidence: browser.iter().flat_map(|w| w.web.items.iter().map(|i| i.evidence.clone())).take(20).collect(),
        });
    }
    let after = |m: &&Mark| start.is_some_and(|s| m.timestamp >= s);
    let forwards: Vec<&Mark> = marks
        .iter()
        .filter(|m| m.kind == "sieve-forward")
        .filter(after)
        .collect();
    if !forwards.is_empty() {
        let targets: BTreeSet<&str> = forwards
            .iter()
            .filter_map(|m| {
                m.detail
                    .strip_prefix("forwarded to ")
                    .and_then(|d| d.split(' ').next())
            })
            .collect();
        channels.push(Channel {
            channel: "sieve forwarding".to_string(),
            bytes: None,
            messages: Some(forwards.len() as u64),
            confidence: "low".to_string(),
            basis: format!(
                "Pigeonhole 'forwarded to' lines after the intrusion began, to {}; sizes are not in these lines",
                targets.into_iter().collect::<Vec<_>>().join(", ")
            ),
            evidence: forwards.iter().map(|m| m.evidence.clone()).take(20).collect(),
        });
    }
    let (inside, sent): (Vec<&Mark>, Vec<&Mark>) = marks
        .iter()
        .filter(|m| m.kind == "sent" && m.source.is_some_and(|s| attackers.contains(&s)))
        .partition(|m| sent_inside(m));
    if !inside.is_empty() {
        // The intruder's use of the account (internal phishing), not data
        // leaving: kept out of "did data leave" (answers' `left`).
        channels.push(Channel {
            channel: INSIDE_CHANNEL.to_string(),
            bytes: None,
            messages: Some(inside.len() as u64),
            confidence: "low".to_string(),
            basis: "messages submitted from the intruder's addresses to the sending account's own domain only (Roundcube sendmail log): mail kept inside the organisation, not data leaving it".to_string(),
            evidence: inside.iter().map(|m| m.evidence.clone()).take(20).collect(),
        });
    }
    if !sent.is_empty() {
        channels.push(Channel {
            channel: "mail sent".to_string(),
            bytes: None,
            messages: Some(sent.len() as u64),
            confidence: "low".to_string(),
            basis: "messages submitted from the intruder's addresses (Roundcube sendmail log, Postfix SASL submissions)".to_string(),
            evidence: sent.iter().map(|m| m.evidence.clone()).take(20).collect(),
        });
    }
    let mut caveats = Vec::new();
    for (family, channel) in [
        (crate::activity::IMAP_POP3, "IMAP/POP3 download"),
        ("web access", "webmail download"),
        ("mta", "outbound mail"),
    ] {
        match coverage.iter().find(|c| c.family == family) {
            None => caveats.push(format!(
                "no {family} log was read: {channel} cannot be assessed at all"
            )),
            Some(c) => {
                caveats.push(format!(
                    "{family} logs cover {} to {}: {channel} before or after cannot be excluded",
                    c.first, c.last
                ));
                for (a, b) in &c.gaps {
                    caveats.push(format!(
                        "no {family} log from {a} to {b}: {channel} in that gap cannot be excluded"
                    ));
                }
            }
        }
    }
    if channels.is_empty() {
        caveats.push("no channel shows data leaving from the intruder's addresses within the time the logs cover".to_string());
    }
    Exfiltration {
        total_bytes: saturating_sum(channels.iter().filter_map(|c| c.bytes)),
        channels,
        caveats,
    }
}

/// The sum of byte and message counts read from the logs, which an
/// attacker writes: at most `u64::MAX`, never wrapped (nor a panic in a
/// debug build).
pub(crate) fn saturating_sum(counts: impl Iterator<Item = u64>) -> u64 {
    counts.fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_the_logs_add_up_without_wrapping() {
        assert_eq!(saturating_sum([u64::MAX, 107].into_iter()), u64::MAX);
        assert_eq!(saturating_sum([3, 4].into_iter()), 7);
    }

    fn sent(user: &str, to: &str) -> Mark {
        Mark {
            timestamp: Timestamp::from_unix(0, 0),
            user: user.into(),
            source: None,
            kind: "sent".into(),
            detail: format!("webmail to {to}"),
            evidence: Evidence {
                path: "sendmail.log".into(),
                line: 1,
                part: None,
            },
        }
    }

    #[test]
    fn mail_to_the_accounts_own_domain_only_stays_inside() {
        assert!(sent_inside(&sent("alice@lab.test", "bob@lab.test")));
        assert!(sent_inside(&sent(
            "alice@lab.test",
            "bob@LAB.test, <carol@lab.test>"
        )));
        assert!(!sent_inside(&sent(
            "alice@lab.test",
            "bob@lab.test, x@exfil.example"
        )));
        assert!(!sent_inside(&sent(
            "alice@lab.test",
            "bob@lab.test.exfil.example"
        )));
        assert!(!sent_inside(&sent("alice", "bob@lab.test")));
        assert!(!sent_inside(&sent("alice@lab.test", "")));
    }
}
