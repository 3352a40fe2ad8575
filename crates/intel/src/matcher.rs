//! Matching indicators against events and messages.
//!
//! Addresses are one hash lookup, networks one longest-prefix walk of a
//! prefix tree per address family; domains are looked up label by label
//! (`a.b.evil.example` → `b.evil.example` → `evil.example`), which gives
//! subdomain matches on label boundaries (`notevil.example` does not match
//! `evil.example`, as a substring search would); e-mail addresses and
//! digests are hash lookups; URLs are found inside any URL-bearing text by
//! one Aho-Corasick automaton over all URL indicators. Every lookup is
//! O(length of the value), whatever the number of indicators.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use ahash::AHashMap;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use serde::{Deserialize, Serialize};
use vigie_event::{EVIDENCE_KEPT, Entity, Event, Evidence, Finding, Timestamp};

use crate::indicator::{Indicator, Kind};

/// Indicator ids (positions in the index) sharing one value.
type Ids = Vec<u32>;

/// All loaded indicators, ready to match.
#[derive(Default)]
pub struct IntelIndex {
    indicators: Vec<Indicator>,
    addresses: AHashMap<IpAddr, Ids>,
    v4: PrefixMap<Ipv4Net, Ids>,
    v6: PrefixMap<Ipv6Net, Ids>,
    domains: AHashMap<Box<str>, Ids>,
    emails: AHashMap<Box<str>, Ids>,
    digests: AHashMap<Box<str>, Ids>,
    urls: Option<AhoCorasick>,
    url_ids: Vec<u32>,
}

impl IntelIndex {
    /// Builds the index.
    pub fn new(indicators: Vec<Indicator>) -> IntelIndex {
        let mut index = IntelIndex::default();
        let mut urls = Vec::new();
        for (id, indicator) in indicators.iter().enumerate() {
            let id = id as u32;
            let value = indicator.value.as_str();
            match indicator.kind {
                Some(Kind::Ip) => {
                    if let Ok(ip) = value.parse::<IpAddr>() {
                        index.addresses.entry(ip).or_default().push(id);
                    } else if let Ok(net) = value.parse::<IpNet>() {
                        match net {
                            IpNet::V4(n) => index.v4.entry(n).or_default().push(id),
                            IpNet::V6(n) => index.v6.entry(n).or_default().push(id),
                        }
                    }
                }
                Some(Kind::Domain) => index.domains.entry(value.into()).or_default().push(id),
                Some(Kind::Email) => index.emails.entry(value.into()).or_default().push(id),
                Some(Kind::Md5 | Kind::Sha1 | Kind::Sha256) => {
                    index.digests.entry(value.into()).or_default().push(id)
                }
                Some(Kind::Url) => {
                    urls.push(value.to_string());
                    index.url_ids.push(id);
                }
                None => {}
            }
        }
        if !urls.is_empty() {
            index.urls = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&urls)
                .ok();
        }
        index.indicators = indicators;
        index
    }

    /// How many indicators it holds.
    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// The indicator `id`.
    pub fn indicator(&self, id: u32) -> &Indicator {
        &self.indicators[id as usize]
    }

    /// Calls `hit` with each indicator naming `ip` or a network holding it.
    pub fn ip(&self, ip: IpAddr, hit: &mut dyn FnMut(u32)) {
        if let Some(ids) = self.addresses.get(&ip) {
            ids.iter().for_each(|&id| hit(id));
        }
        let found = match ip {
            IpAddr::V4(a) if !self.v4.is_empty() => Ipv4Net::new(a, 32)
                .ok()
                .and_then(|n| self.v4.get_lpm(&n).map(|(_, ids)| ids)),
            IpAddr::V6(a) if !self.v6.is_empty() => Ipv6Net::new(a, 128)
                .ok()
                .and_then(|n| self.v6.get_lpm(&n).map(|(_, ids)| ids)),
            _ => None,
        };
        found.into_iter().flatten().for_each(|&id| hit(id));
    }

    /// Calls `hit` for a host name (or its parent domains), or an address written as a host.
    pub fn host(&self, host: &str, hit: &mut dyn FnMut(u32)) {
        let host = host.trim_end_matches('.');
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.ip(ip, hit);
        }
        if self.domains.is_empty() {
            return;
        }
        let host = lower(host);
        let mut rest: &str = &host;
        loop {
            if let Some(ids) = self.domains.get(rest) {
                ids.iter().for_each(|&id| hit(id));
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => break,
            }
        }
    }

    /// Calls `hit` for an e-mail address (`<…>` and case ignored); its domain is checked too.
    pub fn email(&self, address: &str, hit: &mut dyn FnMut(u32)) {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        if !self.emails.is_empty()
            && let Some(ids) = self.emails.get(lower(address).as_ref())
        {
            ids.iter().for_each(|&id| hit(id));
        }
        if let Some((_, domain)) = address.rsplit_once('@') {
            self.host(domain, hit);
        }
    }

    /// Calls `hit` for each URL indicator inside `text`, and for the URL's host.
    pub fn url(&self, text: &str, hit: &mut dyn FnMut(u32)) {
        if let Some(urls) = &self.urls {
            for m in urls.find_overlapping_iter(text) {
                // `evil.example/x` (a URL kept without its scheme) is not
                // in `https://notevil.example/x`.
                let glued = text.as_bytes()[..m.start()]
                    .last()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
                if !glued {
                    hit(self.url_ids[m.pattern().as_usize()]);
                }
            }
        }
        if let Some(host) = url_host(text) {
            self.host(host, hit);
        }
    }

    /// Calls `hit` for a hex digest.
    pub fn digest(&self, hex: &str, hit: &mut dyn FnMut(u32)) {
        if let Some(ids) = self.digests.get(lower(hex).as_ref()) {
            ids.iter().for_each(|&id| hit(id));
        }
    }

    /// Calls `hit(id, field, value)` for each indicator an event's
    /// addresses, hosts, senders, recipients and URLs match.
    pub fn event(&self, event: &Event<'_>, hit: &mut dyn FnMut(u32, &'static str, &str)) {
        for (field, ip) in [
            ("source.ip", event.source_ip),
            ("client.ip", event.client_ip),
            ("destination.ip", event.destination_ip),
        ] {
            if let Some(ip) = ip {
                self.ip(ip, &mut |id| hit(id, field, &ip.to_string()));
            }
        }
        for (field, host) in [
            ("source.domain", event.source_domain.as_deref()),
            ("url.domain", event.url_domain.as_deref()),
            ("destination.address", event.destination_address.as_deref()),
        ] {
            if let Some(host) = host {
                self.host(host, &mut |id| hit(id, field, host));
            }
        }
        if event.source_ip.is_none()
            && let Some(address) = event.source_address.as_deref()
        {
            self.host(address, &mut |id| hit(id, "source.address", address));
        }
        for (field, address) in [
            ("email.from.address", event.email_from.as_deref()),
            ("email.to.address", event.email_to.as_deref()),
            ("roundcube.from", event.roundcube_from.as_deref()),
        ] {
            if let Some(address) = address.filter(|a| a.contains('@')) {
                for one in address.split(',') {
                    self.email(one, &mut |id| hit(id, field, one.trim()));
                }
            }
        }
        for (field, url) in [
            ("http.request.referrer", event.http_referrer.as_deref()),
            ("url.original", event.url_original.as_deref()),
        ] {
            if let Some(url) = url.filter(|u| *u != "-") {
                self.url(url, &mut |id| hit(id, field, url));
            }
        }
    }
}

fn lower(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// The host of an absolute URL (`scheme://user@host:port/…`).
fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        &host[..host.find(']').map_or(host.len(), |i| i + 1)]
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    (!host.is_empty()).then_some(host)
}

/// Matches gathered during a scan, one group per indicator, field and entity.
#[derive(Default, Serialize, Deserialize)]
pub struct IntelHits {
    groups: AHashMap<HitKey, HitGroup>,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct HitKey {
    indicator: u32,
    #[serde(with = "vigie_event::wire::static_str")]
    field: vigie_event::wire::StaticStr,
    user: Option<Box<str>>,
    source: Option<IpAddr>,
    /// Log lines, messages and Sieve scripts make different findings.
    origin: Origin,
}

/// Where a match was found.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum Origin {
    Log,
    Message,
    Script,
}

#[derive(Serialize, Deserialize)]
struct HitGroup {
    value: String,
    first: Timestamp,
    last: Timestamp,
    count: u64,
    evidence: Vec<Evidence>,
}

impl HitGroup {
    /// Keeps an evidence line, up to [`EVIDENCE_KEPT`], without repeats.
    fn keep(&mut self, evidence: Evidence) {
        if self.evidence.len() < EVIDENCE_KEPT && !self.evidence.contains(&evidence) {
            self.evidence.push(evidence);
        }
    }
}

/// A match of an indicator attributed to an actor, for attribution.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ActorMatch {
    /// The actor the feed names.
    pub actor: String,
    /// The indicator's kind and value (`ip 203.0.113.5`).
    pub indicator: String,
    /// Its set.
    pub source: String,
}

/// Where a message (or a Sieve script) is, for a match in it.
pub struct MessageAt<'a> {
    /// The mailbox owner, when known.
    pub user: Option<&'a str>,
    /// Its arrival (a script: its last change).
    pub timestamp: Timestamp,
    /// The file and line.
    pub evidence: Evidence,
}

impl IntelHits {
    /// Matches one event.
    pub fn add_event(&mut self, index: &IntelIndex, event: &Event<'_>, path: &Arc<str>) {
        index.event(event, &mut |id, field, value| {
            let key = HitKey {
                indicator: id,
                field,
                user: event.user_name.as_deref().map(Into::into),
                source: event.source_ip,
                origin: Origin::Log,
            };
            let evidence = Evidence {
                path: path.to_string(),
                line: event.line,
                part: None,
            };
            self.add(key, value, event.timestamp, evidence);
        });
    }

    /// Records matches found in a message (`(id, field, value)` each).
    pub fn add_message(&mut self, hits: &[(u32, &'static str, String)], at: &MessageAt<'_>) {
        self.add_found(hits, at, Origin::Message);
    }

    /// Records matches found in a Sieve script (`at`: the script's line).
    pub fn add_script(&mut self, hits: &[(u32, &'static str, String)], at: &MessageAt<'_>) {
        self.add_found(hits, at, Origin::Script);
    }

    fn add_found(
        &mut self,
        hits: &[(u32, &'static str, String)],
        at: &MessageAt<'_>,
        origin: Origin,
    ) {
        for (id, field, value) in hits {
            let key = HitKey {
                indicator: *id,
                field,
                user: at.user.map(Into::into),
                source: None,
                origin,
            };
            self.add(key, value, at.timestamp, at.evidence.clone());
        }
    }

    fn add(&mut self, key: HitKey, value: &str, at: Timestamp, evidence: Evidence) {
        // No allocation when the group exists: a listed scanner can match millions of lines.
        let group = self.groups.entry(key).or_insert_with(|| HitGroup {
            value: value.to_string(),
            first: at,
            last: at,
            count: 0,
            evidence: Vec::new(),
        });
        group.count += 1;
        group.first = group.first.min(at);
        group.last = group.last.max(at);
        group.keep(evidence);
    }

    /// Adds another worker's matches.
    pub fn merge(&mut self, other: IntelHits) {
        for (key, g) in other.groups {
            match self.groups.get_mut(&key) {
                Some(mine) => {
                    mine.count += g.count;
                    mine.first = mine.first.min(g.first);
                    mine.last = mine.last.max(g.last);
                    g.evidence.into_iter().for_each(|e| mine.keep(e));
                }
                None => {
                    self.groups.insert(key, g);
                }
            }
        }
    }

    /// The matched indicators that name an actor.
    pub fn actor_matches(&self, index: &IntelIndex) -> Vec<ActorMatch> {
        let mut found: Vec<ActorMatch> = self
            .groups
            .keys()
            .filter_map(|k| {
                let i = index.indicator(k.indicator);
                Some(ActorMatch {
                    actor: i.actor.clone()?,
                    indicator: format!("{} {}", i.kind.map_or("", Kind::name), i.value),
                    source: i.source.clone(),
                })
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// One finding per indicator, field and entity: `VI001` for log lines,
    /// `VI002` for messages, `VI003` for Sieve scripts.
    pub fn into_findings(self, index: &IntelIndex) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self
            .groups
            .into_iter()
            .map(|(key, mut g)| {
                let i = index.indicator(key.indicator);
                let kind = i.kind.map_or("indicator", Kind::name);
                let level = match (i.detect, i.confidence) {
                    (false, _) => "low",
                    (true, Some(c)) if c < 50 => "medium",
                    _ => "high",
                };
                let mut about = format!("set {}", i.source);
                if let Some(actor) = &i.actor {
                    about.push_str(&format!(", attributed to {actor}"));
                }
                if let Some(first) = &i.first_seen {
                    about.push_str(&format!(", seen from {first}"));
                }
                if !i.detect {
                    about.push_str(", not meant for detection (to_ids false)");
                }
                g.evidence
                    .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
                let (rule_id, title) = match key.origin {
                    Origin::Log => ("VI001", format!("Known {kind} in the logs: {}", i.value)),
                    Origin::Message => (
                        "VI002",
                        format!("Message matches a known {kind}: {}", i.value),
                    ),
                    Origin::Script => (
                        "VI003",
                        format!("Sieve script names a known {kind}: {}", i.value),
                    ),
                };
                Finding {
                    rule_id: rule_id.to_string(),
                    title,
                    level: level.to_string(),
                    attack: i.tags.iter().filter(|t| is_technique(t)).cloned().collect(),
                    entity: Entity {
                        user: key.user.map(String::from),
                        source_ip: key.source.map(|ip| ip.to_string()),
                        session: None,
                    },
                    first_seen: g.first,
                    last_seen: g.last,
                    count: g.count,
                    evidence: g.evidence,
                    reason: format!(
                        "{} {} matches {kind} {} ({about})",
                        key.field, g.value, i.value
                    ),
                }
            })
            .collect();
        findings.sort_by(|a, b| {
            (a.first_seen, &a.title, &a.entity).cmp(&(b.first_seen, &b.title, &b.entity))
        });
        findings
    }
}

/// `T1234` or `T1234.001`.
fn is_technique(tag: &str) -> bool {
    let b = tag.as_bytes();
    b.len() >= 5
        && b[0] == b'T'
        && b[1..5].iter().all(u8::is_ascii_digit)
        && (b.len() == 5 || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_event::Dataset;

    fn index() -> IntelIndex {
        let i = |kind, v: &str| Indicator::new(kind, v.to_string());
        IntelIndex::new(vec![
            i(Kind::Ip, "127.0.0.66"),
            i(Kind::Ip, "10.9.0.0/16"),
            i(Kind::Ip, "2001:db8::/32"),
            i(Kind::Domain, "evil.example"),
            i(Kind::Email, "collector@exfil.example"),
            i(Kind::Url, "https://zhblz.com/zJ2w9x"),
            i(Kind::Sha256, &"ab".repeat(32)),
            i(Kind::Url, "evil.example/wp/x.php"),
        ])
    }

    fn hits(f: impl FnOnce(&IntelIndex, &mut dyn FnMut(u32))) -> Vec<u32> {
        let index = index();
        let mut found = Vec::new();
        f(&index, &mut |id| found.push(id));
        found
    }

    #[test]
    fn each_kind_matches_and_neighbours_do_not() {
        assert_eq!(hits(|x, h| x.ip("127.0.0.66".parse().unwrap(), h)), [0]);
        assert_eq!(
            hits(|x, h| x.ip("127.0.0.67".parse().unwrap(), h)),
            [] as [u32; 0]
        );
        assert_eq!(hits(|x, h| x.ip("10.9.200.1".parse().unwrap(), h)), [1]);
        assert_eq!(
            hits(|x, h| x.ip("10.10.0.1".parse().unwrap(), h)),
            [] as [u32; 0]
        );
        assert_eq!(hits(|x, h| x.ip("2001:db8:5::1".parse().unwrap(), h)), [2]);
        assert_eq!(hits(|x, h| x.host("Mail.EVIL.example.", h)), [3]);
        assert_eq!(hits(|x, h| x.host("notevil.example", h)), [] as [u32; 0]);
        assert_eq!(hits(|x, h| x.email("<Collector@Exfil.example>", h)), [4]);
        assert_eq!(hits(|x, h| x.email("a@mx.evil.example", h)), [3]);
        assert_eq!(
            hits(|x, h| x.url("https://ZHBLZ.com/zJ2w9x/uploadfile/", h)),
            [5]
        );
        assert_eq!(
            hits(|x, h| x.url("http://user@evil.example:8080/x", h)),
            [3]
        );
        assert_eq!(hits(|x, h| x.digest(&"AB".repeat(32), h)), [6]);
        // A URL without its scheme matches with any scheme, or none, and
        // not inside a longer host.
        assert_eq!(
            hits(|x, h| x.url("https://evil.example/wp/x.php?a=1", h)),
            [7, 3]
        );
        assert_eq!(hits(|x, h| x.url("/r?u=evil.example/wp/x.php", h)), [7]);
        assert_eq!(
            hits(|x, h| x.url("https://notevil.example/wp/x.php", h)),
            [] as [u32; 0]
        );
    }

    #[test]
    fn events_make_one_finding_per_indicator_field_and_entity() {
        let index = index();
        let mut hits = IntelHits::default();
        let path: Arc<str> = "access.log".into();
        for line in 1..=3 {
            let mut e = Event::new(Dataset::NginxAccess, &path, line);
            e.source_ip = Some("127.0.0.66".parse().unwrap());
            e.http_referrer = Some("https://zhblz.com/zJ2w9x?log=u".into());
            hits.add_event(&index, &e, &path);
        }
        let mut other = IntelHits::default();
        let mut e = Event::new(Dataset::Dovecot, &path, 9);
        e.email_to = Some("collector@exfil.example".into());
        e.user_name = Some("alice@lab.test".into());
        other.add_event(&index, &e, &path);
        hits.merge(other);
        let findings = hits.into_findings(&index);
        assert_eq!(findings.len(), 3);
        let ip = findings
            .iter()
            .find(|f| f.reason.starts_with("source.ip"))
            .unwrap();
        assert_eq!(
            (ip.count, ip.evidence.len(), ip.level.as_str()),
            (3, 3, "high")
        );
        let to = findings
            .iter()
            .find(|f| f.reason.starts_with("email.to"))
            .unwrap();
        assert_eq!(to.entity.user.as_deref(), Some("alice@lab.test"));
    }
}
