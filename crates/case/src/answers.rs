//! The four answers of a case, for machines (`answers.json`): when the
//! intrusion began, what the intruder reached, what left, and whom the
//! evidence points to. Each gives its evidence lines and how sure it is;
//! none says more than the findings and the logs' coverage allow.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigie_event::{Evidence, Finding, Timestamp};

use crate::activity::OneSession;
use crate::owner::names_an_intruder;
use crate::scope::{AccountScope, CaseScope, FamilyCoverage, saturating_sum};
use crate::store::SourceRow;
use crate::tally::Tally;

/// Evidence lines listed per answer.
const EVIDENCE_LISTED: usize = 10;

/// The case's answers.
#[derive(Debug, Serialize, Deserialize)]
pub struct Answers {
    /// The first step attributable to an intruder; `None` when no high or
    /// critical finding is.
    pub when: Option<When>,
    /// What the intruder reached, per account with an intruder's address.
    pub reached: Vec<Reached>,
    /// What left, per account with an intruder's address.
    pub left: Vec<Left>,
    /// The attribution hypotheses, best first (none without a severe finding).
    pub whom: Vec<Whom>,
    /// The time each log family and each file covers.
    pub coverage: Coverage,
    /// What the case read, over all its scans.
    pub read: Tally,
}

/// When it began.
#[derive(Debug, Serialize, Deserialize)]
pub struct When {
    /// The time of the first step.
    pub time: Timestamp,
    /// The finding's rule.
    pub rule_id: String,
    /// Its title: the step.
    pub title: String,
    /// The account it is about.
    pub account: Option<String>,
    /// The intruder's address (for a message, its sending server).
    pub source_ip: Option<String>,
    /// Its lines.
    pub evidence: Vec<Evidence>,
    /// `high` (a critical finding, or severe findings of two or more rules
    /// about the same account or address), `medium` (one rule).
    pub confidence: String,
    /// Why that confidence.
    pub basis: String,
}

/// What one account's intruder reached.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reached {
    /// The account.
    pub account: String,
    /// The intruder's addresses.
    pub sources: Vec<String>,
    /// When the first of them acted on the account.
    pub since: Option<Timestamp>,
    /// Webmail actions on mail or settings, by action (`message-open`: 3).
    pub web_actions: BTreeMap<String, u64>,
    /// Mail-client sessions (IMAP, POP3, ManageSieve, submission) from them.
    pub mail_sessions: u64,
    /// Flagged messages of the account and their openings.
    pub messages: usize,
    /// Lines.
    pub evidence: Vec<Evidence>,
}

/// What left one account.
#[derive(Debug, Serialize, Deserialize)]
pub struct Left {
    /// The account.
    pub account: String,
    /// Bytes of content (mail, attachments, exports, address books) that
    /// the counters show leaving: page overhead is not counted.
    pub content_bytes: u64,
    /// Per channel and content kind.
    pub items: Vec<LeftItem>,
    /// What the logs do not cover.
    pub caveats: Vec<String>,
}

/// One kind of content by one channel.
#[derive(Debug, Serialize, Deserialize)]
pub struct LeftItem {
    /// `webmail`, `imap/pop3`, `sieve forwarding`, `mail sent`.
    pub channel: String,
    /// `message`, `attachment`, `mailbox export`, `address book`,
    /// `page overhead`, `mail-client session`, `forwarded message`, `sent message`.
    pub kind: String,
    /// Bytes, when the logs count them.
    pub bytes: Option<u64>,
    /// Requests, sessions or messages.
    pub items: u64,
    /// Whether `bytes` is content (counted in the total).
    pub content: bool,
    /// `high` (a server's own counter), `medium`, `low` (a count without sizes).
    pub confidence: String,
    /// Lines.
    pub evidence: Vec<Evidence>,
    /// For IMAP and POP3, the sessions one by one (login, logout, bytes
    /// sent to the client), the first [`crate::activity::SESSIONS_LISTED`] of the day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<OneSession>,
}

/// One attribution hypothesis.
#[derive(Debug, Serialize, Deserialize)]
pub struct Whom {
    /// Actor or hypothesis name.
    pub name: String,
    /// `actor` or `generic`.
    pub kind: String,
    /// The campaign it is known for, when the evidence matches one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Score (support, not probability).
    pub score: f64,
    /// `weak`, `moderate`, `substantial`, `strong`.
    pub support: String,
    /// What supports it.
    pub evidence_for: Vec<String>,
}

/// The time the logs cover.
#[derive(Debug, Serialize, Deserialize)]
pub struct Coverage {
    /// Per log family, with gaps.
    pub families: Vec<FamilyCoverage>,
    /// Per file read: `(path, first event, last event)`.
    pub files: Vec<(String, Option<String>, Option<String>)>,
}

/// Findings whose time is a file's modification time, not an event's
/// (a Sieve script on disk): kept off the time axis and out of "when".
pub fn is_file_time(f: &Finding) -> bool {
    f.rule_id.starts_with("VS")
}

/// Findings about a message that tells no arrival time (no delivery time
/// in its file name, no `Date:`), which the mail stage dates at the Unix
/// epoch and says so in the reason: no time at all, so kept off the time
/// axis and out of "when" (a fresh user's retest found "when" answered
/// 1970-01-01 for an undated exploit message).
pub fn is_undated(f: &Finding) -> bool {
    f.rule_id.starts_with("VM") && f.first_seen == Timestamp::from_unix(0, 0)
}

/// Whether a finding's time is not an event's: a file's modification time
/// ([`is_file_time`]) or none ([`is_undated`]).
pub fn off_the_time_axis(f: &Finding) -> bool {
    is_file_time(f) || is_undated(f)
}

/// Whether a finding is a step of an intruder: severe, and either naming
/// an intruder's address, a malicious message's delivery (`VM…`), or an
/// account alone once the owner's own lines were left out (see [`crate::owner`]).
fn intruder_step(f: &Finding) -> bool {
    matches!(f.level.as_str(), "high" | "critical")
        && !off_the_time_axis(f)
        && (names_an_intruder(f) || f.rule_id.starts_with("VM"))
}

/// The first step attributable to an intruder.
pub fn when(findings: &[Finding]) -> Option<When> {
    let first = findings
        .iter()
        .filter(|f| intruder_step(f))
        .min_by(|a, b| (a.first_seen, &a.rule_id).cmp(&(b.first_seen, &b.rule_id)))?;
    let about_same = |f: &&Finding| {
        (first.entity.user.is_some() && f.entity.user == first.entity.user)
            || (first.entity.source_ip.is_some() && f.entity.source_ip == first.entity.source_ip)
    };
    let rules: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|f| intruder_step(f))
        .filter(about_same)
        .map(|f| f.rule_id.as_str())
        .collect();
    let (confidence, basis) = if first.level == "critical" {
        ("high", format!("a critical finding ({})", first.title))
    } else if rules.len() >= 2 {
        (
            "high",
            format!(
                "{} rules raise severe findings about the same account or address",
                rules.len()
            ),
        )
    } else {
        (
            "medium",
            "one rule alone; no other severe finding about the same account or address".to_string(),
        )
    };
    Some(When {
        time: first.first_seen,
        rule_id: first.rule_id.clone(),
        title: first.title.clone(),
        account: first.entity.user.clone(),
        source_ip: first.entity.source_ip.clone(),
        evidence: first
            .evidence
            .iter()
            .take(EVIDENCE_LISTED)
            .cloned()
            .collect(),
        confidence: confidence.to_string(),
        basis,
    })
}

fn intruded(scope: &CaseScope) -> impl Iterator<Item = &AccountScope> {
    scope
        .accounts
        .iter()
        .filter(|a| !a.attacker_sources.is_empty())
}

fn reached(a: &AccountScope) -> Reached {
    let mut web_actions = BTreeMap::new();
    let mut evidence = Vec::new();
    for w in a.web.iter().filter(|w| w.attacker) {
        for i in &w.web.items {
            *web_actions.entry(i.action.clone()).or_default() += 1;
            evidence.push(i.evidence.clone());
        }
    }
    let sessions = a.mail_sessions.iter().filter(|s| s.attacker);
    for s in sessions.clone() {
        evidence.extend(s.sessions.evidence.iter().cloned());
    }
    evidence.truncate(EVIDENCE_LISTED);
    Reached {
        account: a.account.clone(),
        sources: a.attacker_sources.clone(),
        since: a.intrusion_start,
        web_actions,
        mail_sessions: saturating_sum(sessions.map(|s| s.sessions.sessions)),
        messages: a.messages.len(),
        evidence,
    }
}

/// The kind of content a webmail action transfers.
pub fn content_kind(action: &str) -> &'static str {
    match action {
        "message-open" | "message-source" => "message",
        "attachment-download" => "attachment",
        "mailbox-export" => "mailbox export",
        "addressbook-export" => "address book",
        _ => "page overhead",
    }
}

fn left(a: &AccountScope) -> Left {
    let mut items: Vec<LeftItem> = Vec::new();
    let mut web: BTreeMap<&'static str, LeftItem> = BTreeMap::new();
    for w in a.web.iter().filter(|w| w.attacker) {
        for (action, (n, bytes)) in &w.web.actions {
            let kind = content_kind(action);
            let item = web.entry(kind).or_insert_with(|| LeftItem {
                channel: "webmail".to_string(),
                kind: kind.to_string(),
                bytes: Some(0),
                items: 0,
                content: kind != "page overhead",
                confidence: "medium".to_string(),
                evidence: Vec::new(),
                sessions: Vec::new(),
            });
            item.items = item.items.saturating_add(*n);
            item.bytes = item.bytes.map(|b| b.saturating_add(*bytes));
        }
        for i in &w.web.items {
            if let Some(item) = web.get_mut(content_kind(&i.action))
                && item.evidence.len() < EVIDENCE_LISTED
            {
                item.evidence.push(i.evidence.clone());
            }
        }
    }
    items.extend(web.into_values());
    for s in a
        .mail_sessions
        .iter()
        .filter(|s| s.attacker && matches!(s.sessions.protocol.as_str(), "imap" | "pop3"))
    {
        // Where Dovecot logs the bodies fetched (`body_bytes=`), they are the
        // content and the rest of `out=` is the protocol's own, shown but not
        // counted; otherwise (POP3's `retr=` is content) all of it counts.
        let (content, overhead) = match s.sessions.body_bytes {
            Some(bodies) => (bodies, s.sessions.bytes_out.checked_sub(bodies)),
            None => (s.sessions.bytes_out, None),
        };
        items.push(LeftItem {
            channel: s.sessions.protocol.clone(),
            kind: "mail-client session".to_string(),
            bytes: Some(content),
            items: s.sessions.sessions,
            content: true,
            confidence: "high".to_string(),
            evidence: s.sessions.evidence.clone(),
            sessions: s.sessions.each.clone(),
        });
        if let Some(overhead) = overhead.filter(|b| *b > 0) {
            items.push(LeftItem {
                channel: s.sessions.protocol.clone(),
                kind: "protocol overhead".to_string(),
                bytes: Some(overhead),
                items: s.sessions.sessions,
                content: false,
                confidence: "high".to_string(),
                evidence: s.sessions.evidence.clone(),
                sessions: Vec::new(),
            });
        }
    }
    for c in &a.exfiltration.channels {
        let kind = match c.channel.as_str() {
            "sieve forwarding" => "forwarded message",
            "mail sent" => "sent message",
            _ => continue,
        };
        items.push(LeftItem {
            channel: c.channel.clone(),
            kind: kind.to_string(),
            bytes: c.bytes,
            items: c.messages.unwrap_or_default(),
            content: true,
            confidence: c.confidence.clone(),
            evidence: c.evidence.iter().take(EVIDENCE_LISTED).cloned().collect(),
            sessions: Vec::new(),
        });
    }
    Left {
        account: a.account.clone(),
        content_bytes: saturating_sum(items.iter().filter(|i| i.content).filter_map(|i| i.bytes)),
        items,
        caveats: a.exfiltration.caveats.clone(),
    }
}

/// The answers of a case from its findings, scope, hypotheses (as
/// `attribution.json` lists them) and files read.
pub fn answers(
    findings: &[Finding],
    scope: &CaseScope,
    hypotheses: &[serde_json::Value],
    sources: &[SourceRow],
) -> Answers {
    let when = when(findings);
    let whom = if when.is_none() {
        Vec::new()
    } else {
        hypotheses
            .iter()
            .map(|h| Whom {
                name: h["name"].as_str().unwrap_or_default().to_string(),
                kind: match h["kind"].as_str() {
                    Some("actor") => "actor",
                    _ => "generic",
                }
                .to_string(),
                campaign: h["campaign"].as_str().map(str::to_string),
                score: h["score"].as_f64().unwrap_or_default(),
                support: h["support"].as_str().unwrap_or_default().to_string(),
                evidence_for: h["evidence_for"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect(),
            })
            .collect()
    };
    Answers {
        when,
        reached: intruded(scope).map(reached).collect(),
        left: intruded(scope).map(left).collect(),
        whom,
        coverage: Coverage {
            families: scope.coverage.clone(),
            files: sources
                .iter()
                .filter(|s| s.first_seen.is_some())
                .map(|s| (s.path.clone(), s.first_seen.clone(), s.last_seen.clone()))
                .collect(),
        },
        read: Tally::new(sources, findings),
    }
}
