//! The client behind a reverse proxy.
//!
//! When the webmail has no trusted-proxy setting, its own log (Roundcube's
//! `userlogins`) names the proxy for every login, so that every typo in the
//! office looks like one address guessing passwords, and the real attacker is
//! never named. The web server beside it logs the same requests with the
//! client in `X-Forwarded-For` (the ingest trusts that header only from a
//! private or loopback peer: it then becomes `source.ip`, and the peer
//! `client.ip`).
//!
//! [`ProxyHistory`] learns which addresses are such proxy peers and keeps the
//! access log's login requests; [`ProxyHistory::attribute`] then rewrites
//! findings made against a proxy address: the client is recovered by joining
//! on time with the access log's login requests of the same seconds (the
//! client with most of them, if one has most), or, when none can be
//! recovered, the finding is lowered to informational and says why. No attack
//! finding is left standing against an address that is only the proxy.

use std::net::IpAddr;
use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use serde::{Deserialize, Serialize};

use vigie_event::{Category, Dataset, Event, Finding, Outcome, Timestamp};

/// Login requests kept from the access log; past this, the oldest half goes.
const REQUESTS_KEPT: usize = 500_000;

/// Forwarded requests a peer must have sent to count as a proxy.
const PROXY_REQUESTS: u64 = 10;

/// Analytics that judge an address new for an account (VA001, VA002, VA007).
const NOVELTY: [&str; 3] = ["VA001", "VA002", "VA007"];

/// Seconds either side of a finding's span in which login requests are joined.
const SLACK: i64 = 2;

/// Proxy peers and the access log's login requests.
#[derive(Default, Serialize, Deserialize)]
pub struct ProxyHistory {
    /// Peers that sent requests with a trusted `X-Forwarded-For`, and how many.
    peers: AHashMap<IpAddr, u64>,
    /// Webmail login requests (POST `_task=login`): when, from which client, refused or not.
    logins: Vec<(i64, IpAddr, bool)>,
    /// The webmail's own logs and the private addresses they name ([`ADDRESSES_KEPT`] each).
    webmail_logs: AHashMap<Arc<str>, AHashSet<IpAddr>>,
}

/// Private addresses kept per webmail log.
const ADDRESSES_KEPT: usize = 64;

impl ProxyHistory {
    /// Records an access-log request that came through a proxy, or the
    /// private address a webmail log line names (from the file `path`).
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let webmail_log = matches!(
            event.dataset,
            Dataset::RoundcubeUserlogins | Dataset::RoundcubeSendmail | Dataset::RoundcubeErrors
        );
        if webmail_log {
            if let Some(ip) = event.source_ip.filter(|ip| is_private(*ip)) {
                let ips = match self.webmail_logs.get_mut(path) {
                    Some(ips) => ips,
                    None => self.webmail_logs.entry(Arc::clone(path)).or_default(),
                };
                if ips.len() < ADDRESSES_KEPT {
                    ips.insert(ip);
                }
            }
            return;
        }
        if event.category != Some(Category::Web) {
            return;
        }
        let (Some(client), Some(peer)) = (event.source_ip, event.client_ip) else {
            return;
        };
        if client == peer || !matches!(event.dataset, Dataset::NginxAccess | Dataset::ApacheAccess)
        {
            return;
        }
        *self.peers.entry(peer).or_default() += 1;
        let login = event.roundcube_task.as_deref() == Some("login")
            && event.http_method.as_deref() == Some("POST");
        if login {
            if self.logins.len() >= REQUESTS_KEPT {
                self.logins.sort_unstable_by_key(|(t, _, _)| *t);
                self.logins.drain(..REQUESTS_KEPT / 2);
            }
            self.logins.push((
                event.timestamp.unix_seconds(),
                client,
                event.outcome == Some(Outcome::Failure),
            ));
        }
    }

    /// Adds another worker's history to this one.
    pub fn merge(&mut self, other: ProxyHistory) {
        for (peer, n) in other.peers {
            *self.peers.entry(peer).or_default() += n;
        }
        self.logins.extend(other.logins);
        for (path, ips) in other.webmail_logs {
            self.webmail_logs.entry(path).or_default().extend(ips);
        }
    }

    /// The proxy a finding without an address stands behind: its evidence is
    /// in a webmail log that names a proxy.
    fn proxy_of_evidence(&self, f: &Finding) -> Option<IpAddr> {
        f.evidence.iter().find_map(|e| {
            self.webmail_logs
                .get(e.path.as_str())?
                .iter()
                .copied()
                .filter(|ip| self.is_proxy(*ip))
                .min()
        })
    }

    /// Whether `ip` is a reverse proxy in front of the webmail.
    pub fn is_proxy(&self, ip: IpAddr) -> bool {
        self.peers.get(&ip).is_some_and(|n| *n >= PROXY_REQUESTS)
    }

    /// Rewrites the findings made against a proxy address (see the module documentation).
    pub fn attribute(&self, findings: &mut [Finding]) {
        if self.peers.is_empty() {
            return;
        }
        for f in findings.iter_mut() {
            if f.level == "informational" {
                continue;
            }
            let Some(proxy) = f
                .entity
                .source_ip
                .as_deref()
                .and_then(vigie_event::parse_ip)
                .filter(|ip| self.is_proxy(*ip))
            else {
                // A finding about an account from the webmail's log, without
                // an address: the client is named when it can be recovered.
                if f.entity.source_ip.is_none()
                    && let Some(proxy) = self.proxy_of_evidence(f)
                    && let Some((client, n, total)) =
                        self.client_of(f.first_seen, f.last_seen, is_failure_finding(f))
                {
                    f.entity.source_ip = Some(client.to_string());
                    f.reason.push_str(&format!(
                        "; the webmail's log names only the reverse proxy {proxy}: the client {client} was recovered from the access log's X-Forwarded-For ({n} of the {total} login requests of the same seconds)"
                    ));
                }
                continue;
            };
            // "New address for the account" judged on the proxy's address
            // says nothing about the client: void, whoever it was.
            if NOVELTY.contains(&f.rule_id.as_str()) {
                f.reason.push_str(&format!(
                    "; lowered from {}: the address judged new is {proxy}, the reverse proxy in front of the webmail (the access log's X-Forwarded-For peer), not the client",
                    f.level
                ));
                f.level = "informational".to_string();
                continue;
            }
            match self.client_of(f.first_seen, f.last_seen, is_failure_finding(f)) {
                Some((client, n, total)) => {
                    f.entity.source_ip = Some(client.to_string());
                    f.reason.push_str(&format!(
                        "; the webmail's log names only the reverse proxy {proxy}: the client {client} was recovered from the access log's X-Forwarded-For ({n} of the {total} login requests of the same seconds)"
                    ));
                }
                None => {
                    f.reason.push_str(&format!(
                        "; lowered from {}: {proxy} is the reverse proxy in front of the webmail (the access log's X-Forwarded-For peer), not a client, and no single client could be recovered from the access log for these seconds",
                        f.level
                    ));
                    f.level = "informational".to_string();
                }
            }
        }
    }

    /// The client with most of the login requests between `from` and `to`
    /// (refused ones only when `refused`), if it has more than half of them:
    /// `(client, its requests, all requests)`.
    fn client_of(
        &self,
        from: Timestamp,
        to: Timestamp,
        refused: bool,
    ) -> Option<(IpAddr, usize, usize)> {
        let (lo, hi) = (from.unix_seconds() - SLACK, to.unix_seconds() + SLACK);
        let mut counts: AHashMap<IpAddr, usize> = AHashMap::new();
        let mut total = 0;
        for (t, client, failed) in &self.logins {
            if *t >= lo && *t <= hi && (!refused || *failed) {
                *counts.entry(*client).or_default() += 1;
                total += 1;
            }
        }
        let (client, n) = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        (n * 2 > total).then_some((client, n, total))
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Findings about refused logins are joined with refused login requests.
fn is_failure_finding(f: &Finding) -> bool {
    f.attack.iter().any(|a| a.starts_with("T1110"))
        && !f.title.to_ascii_lowercase().contains("succeeded")
        && !f.title.to_ascii_lowercase().contains("mail sent")
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_event::Entity;

    fn finding(ip: &str, from: i64, to: i64) -> Finding {
        Finding {
            rule_id: "x".into(),
            title: "Webmail brute force against one account".into(),
            level: "high".into(),
            attack: vec!["T1110.001".into()],
            entity: Entity {
                user: Some("bob@corp.example".into()),
                source_ip: Some(ip.into()),
                session: None,
            },
            first_seen: Timestamp::from_unix(from, 0),
            last_seen: Timestamp::from_unix(to, 0),
            count: 10,
            evidence: vec![],
            reason: "r".into(),
        }
    }

    #[test]
    fn a_finding_on_the_proxy_goes_to_the_client_or_is_lowered() {
        let mut h = ProxyHistory::default();
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        h.peers.insert(proxy, 100);
        for t in 0..10 {
            h.logins
                .push((1000 + t * 5, "203.0.113.9".parse().unwrap(), true));
        }
        h.logins.push((1010, "10.1.0.4".parse().unwrap(), true));
        h.logins.push((5000, "10.1.0.4".parse().unwrap(), true));
        h.logins.push((5001, "10.1.0.7".parse().unwrap(), true));
        let mut findings = vec![
            finding("10.0.0.5", 1000, 1045),
            finding("10.0.0.5", 5000, 5001),
            finding("10.0.0.6", 5000, 5001),
        ];
        h.attribute(&mut findings);
        assert_eq!(findings[0].entity.source_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(findings[0].level, "high");
        assert!(
            findings[0].reason.contains("10 of the 11"),
            "{}",
            findings[0].reason
        );
        assert_eq!(findings[1].level, "informational");
        assert_eq!(findings[1].entity.source_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(findings[2].level, "high", "not a proxy: left alone");
    }
}
