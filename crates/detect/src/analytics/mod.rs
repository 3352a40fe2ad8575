//! Analytics: what Sigma cannot say, in Rust behind one small trait.
//!
//! Each analytic reads the history of successful logins of the whole scan
//! (every account, every source, time-ordered; gathered in stage one as
//! compact [`Login`] records) and a baseline period, and returns findings.
//! One analytic per file, registered in [`all`], each with a stable code.

mod login_at_unusual_hour;
mod login_from_new_address;
mod login_from_new_network;

use std::net::IpAddr;
use std::sync::Arc;

use vigie_event::{Category, Event, Evidence, Finding, Outcome, Timestamp};

/// A successful login, as analytics see it.
#[derive(Clone, Debug)]
pub struct Login {
    /// When.
    pub timestamp: Timestamp,
    /// The account.
    pub user: Arc<str>,
    /// From where.
    pub source: IpAddr,
    /// The log it came from (`roundcube.userlogins`, `dovecot`, …).
    pub dataset: &'static str,
    /// Its line.
    pub evidence: Evidence,
}

impl Login {
    /// The login an event records, if it is a successful login from a known
    /// address other than the webmail host (whose proxied logins the
    /// webmail's own log records with the browser's address).
    pub fn from_event(event: &Event<'_>) -> Option<Login> {
        let is_login = event.category == Some(Category::Authentication)
            && event.outcome == Some(Outcome::Success)
            && event.action == Some("login");
        let source = event.source_ip.filter(|ip| !is_webmail_host(*ip))?;
        let user = event.user_name.as_deref().filter(|_| is_login)?;
        Some(Login {
            timestamp: event.timestamp,
            user: user.into(),
            source,
            dataset: event.dataset.name(),
            evidence: Evidence {
                path: event.path.to_string(),
                line: event.line,
            },
        })
    }
}

fn is_webmail_host(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets() == [127, 0, 0, 1],
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// The logins before `until` are the baseline each account is compared with.
#[derive(Clone, Copy, Debug)]
pub struct Baseline {
    /// End of the baseline period (exclusive).
    pub until: Timestamp,
}

impl Baseline {
    /// The first half of the time the logins cover: a default when the
    /// analyst gives no `--baseline-until`.
    pub fn first_half(logins: &[Login]) -> Option<Baseline> {
        let first = logins.iter().map(|l| l.timestamp).min()?;
        let last = logins.iter().map(|l| l.timestamp).max()?;
        Some(Baseline {
            until: Timestamp(first.0 + (last.0 - first.0) / 2),
        })
    }
}

/// A detection that Sigma cannot express.
pub trait Analytic: Send + Sync {
    /// Stable code (`VA001`), used as the finding's `rule_id`.
    fn code(&self) -> &'static str;
    /// What the finding is called.
    fn title(&self) -> &'static str;
    /// Findings over the time-ordered logins of the scan.
    fn run(&self, logins: &[Login], baseline: Baseline) -> Vec<Finding>;
}

/// Every analytic vigie has.
pub fn all() -> Vec<Box<dyn Analytic>> {
    vec![
        Box::new(login_from_new_address::LoginFromNewAddress),
        Box::new(login_from_new_network::LoginFromNewNetwork),
        Box::new(login_at_unusual_hour::LoginAtUnusualHour::default()),
    ]
}

/// A finding about one account and source from the logins that make it.
pub(crate) fn finding(
    analytic: &dyn Analytic,
    level: &str,
    attack: &[&str],
    logins: &[&Login],
    reason: String,
) -> Option<Finding> {
    let first = logins.first()?;
    let mut evidence: Vec<Evidence> = logins
        .iter()
        .map(|l| l.evidence.clone())
        .take(vigie_event::EVIDENCE_KEPT)
        .collect();
    evidence.sort();
    Some(Finding {
        rule_id: analytic.code().to_string(),
        title: analytic.title().to_string(),
        level: level.to_string(),
        attack: attack.iter().map(|a| a.to_string()).collect(),
        entity: vigie_event::Entity {
            user: Some(first.user.to_string()),
            source_ip: Some(first.source.to_string()),
            session: None,
        },
        first_seen: logins.iter().map(|l| l.timestamp).min()?,
        last_seen: logins.iter().map(|l| l.timestamp).max()?,
        count: logins.len() as u64,
        evidence,
        reason,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A login of `user` from `ip` at `minute` minutes past the epoch.
    pub fn login(user: &str, ip: &str, minute: i64) -> Login {
        Login {
            timestamp: Timestamp::from_unix(minute * 60, 0),
            user: user.into(),
            source: ip.parse().unwrap(),
            dataset: "roundcube.userlogins",
            evidence: Evidence {
                path: "userlogins.log".into(),
                line: minute as u64 + 1,
            },
        }
    }
}
