//! What the templates print: the case's typed structs turned into rows of
//! text and chart geometry. No markup here; the templates escape every value.

use std::collections::BTreeMap;

use askama::Template;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use vigie_event::{Evidence, Finding};

use super::svg::{self, Bars, Timeline};
use super::{CaseFiles, HypothesisRow, PostureFinding};
use crate::answers::{Answers, When, is_file_time, is_undated, off_the_time_axis};
use crate::scope::{AccountScope, Place};
use crate::tally::Tally;

/// Finding levels, most severe first.
const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

/// Evidence lines a finding's row lists.
const EVIDENCE_SHOWN: usize = 5;

/// Bytes in kB, MB or GB, as people read them.
pub fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// A rule id as a table shows it: a Sigma UUID by its first eight hex
/// digits (the whole id is the cell's tooltip), vigie's own ids (`VA004`) whole.
fn short_id(id: &str) -> &str {
    let uuid = id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if uuid { &id[..8] } else { id }
}

/// An evidence line as `path:line`, or `path#part=1.2` for a MIME part.
fn evidence(e: &Evidence) -> String {
    match &e.part {
        Some(part) => format!("{}#part={part}", e.path),
        None => format!("{}:{}", e.path, e.line),
    }
}

/// An address with its country and network operator, when known.
fn located(address: &str, places: &BTreeMap<String, Place>) -> String {
    let Some(place) = places.get(address) else {
        return address.to_string();
    };
    let mut parts = Vec::new();
    if let Some(country) = &place.country {
        parts.push(country.clone());
    }
    if let Some(asn) = place.asn {
        parts.push(format!("AS{asn}"));
    }
    if parts.is_empty() {
        address.to_string()
    } else {
        format!("{address} ({})", parts.join(", "))
    }
}

/// "When", as the report says it.
pub struct WhenView {
    pub time: String,
    pub title: String,
    pub rule: String,
    pub account: String,
    pub source: String,
    pub evidence: Vec<String>,
    pub confidence: String,
    pub basis: String,
}

impl WhenView {
    fn new(w: &When) -> WhenView {
        WhenView {
            time: w.time.to_string(),
            title: w.title.clone(),
            rule: short_id(&w.rule_id).to_string(),
            account: w.account.clone().unwrap_or_else(|| "none named".into()),
            source: w.source_ip.clone().unwrap_or_else(|| "no address".into()),
            evidence: w.evidence.iter().take(3).map(evidence).collect(),
            confidence: w.confidence.clone(),
            basis: w.basis.clone(),
        }
    }
}

/// One line of "what left".
pub struct LeftLine {
    pub text: String,
    pub counted: bool,
}

/// What left one account.
pub struct LeftView {
    pub account: String,
    pub content: String,
    pub items: Vec<LeftLine>,
}

/// One hypothesis in the answer's short list.
pub struct WhomLine {
    pub name: String,
    pub support: String,
    pub score: String,
}

/// One line of evidence for a hypothesis: the behaviour, its weight, the findings.
pub struct EvidenceLine {
    pub what: String,
    pub weight: String,
    pub findings: String,
}

/// A hypothesis in the attribution table.
pub struct HypothesisView {
    pub name: String,
    pub kind: String,
    pub campaign: Option<String>,
    pub country: Option<String>,
    pub score: String,
    pub support: String,
    pub evidence_for: Vec<EvidenceLine>,
    pub evidence_against: Vec<String>,
    pub would_raise: Vec<String>,
    pub would_lower: Vec<String>,
}

/// The weight an attribution line carries (`(+2)`, `(−0.5)`), if any.
fn weight_of(line: &str) -> Option<f64> {
    let open = line.find("(+").or_else(|| line.find("(\u{2212}"))?;
    let rest = &line[open + 1..];
    let close = rest.find(')')?;
    let number = rest[..close].replace('\u{2212}', "-");
    number
        .trim_start_matches('+')
        .parse::<f64>()
        .ok()
        .map(|w| if number.starts_with('-') { -w.abs() } else { w })
}

impl HypothesisView {
    fn new(h: &HypothesisRow) -> HypothesisView {
        // Strongest evidence first: the behaviours by weight, then the
        // overlap of techniques (shared by many profiles, so weakest).
        let mut lines: Vec<(f64, &String)> = h
            .evidence_for
            .iter()
            .map(|l| (weight_of(l).unwrap_or(f64::MIN), l))
            .collect();
        lines.sort_by(|a, b| b.0.total_cmp(&a.0));
        let evidence_for = lines
            .into_iter()
            .map(|(_, line)| match line.split_once("): ") {
                Some((head, findings)) => match head.rsplit_once(" (") {
                    Some((what, weight)) => EvidenceLine {
                        what: what.to_string(),
                        weight: format!("({weight})"),
                        findings: findings.to_string(),
                    },
                    None => EvidenceLine {
                        what: line.clone(),
                        weight: String::new(),
                        findings: String::new(),
                    },
                },
                None => EvidenceLine {
                    what: line.clone(),
                    weight: String::new(),
                    findings: String::new(),
                },
            })
            .collect();
        HypothesisView {
            name: h.name.clone(),
            kind: h.kind.clone(),
            campaign: h.campaign.clone(),
            country: h.country.clone(),
            score: format!("{:.1}", h.score),
            support: h.support.clone(),
            evidence_for,
            evidence_against: h.evidence_against.clone(),
            would_raise: h.would_raise.clone(),
            would_lower: h.would_lower.clone(),
        }
    }
}

/// A finding whose time is a file's modification time.
pub struct FileTimeRow {
    pub title: String,
    pub account: String,
    /// "file modified <time>" or "no arrival time".
    pub time: String,
}

/// One channel of an account's exfiltration estimate.
pub struct ChannelRow {
    pub channel: String,
    pub bytes: String,
    pub messages: String,
    pub confidence: String,
    pub basis: String,
}

/// Mail-client sessions or webmail requests from one address.
pub struct SessionRow {
    pub intruder: bool,
    pub kind: &'static str,
    pub source: String,
    pub protocol_or_day: String,
    pub first: String,
    pub last: String,
    pub count: u64,
    pub bytes: String,
    pub agents: String,
    pub actions: String,
    /// An intruder's sessions one by one.
    pub each: Vec<String>,
}

/// One intruder action on an account.
pub struct ActionRow {
    pub time: String,
    pub what: String,
    pub detail: String,
    pub line: String,
}

/// One account.
pub struct AccountView {
    pub account: String,
    pub worst: String,
    pub findings: usize,
    pub sources: String,
    pub since: String,
    pub channels: Vec<ChannelRow>,
    pub total: String,
    pub caveats: Vec<String>,
    pub sessions: Vec<SessionRow>,
    pub actions: Vec<ActionRow>,
}

impl AccountView {
    fn new(a: &AccountScope, places: &BTreeMap<String, Place>) -> AccountView {
        let x = &a.exfiltration;
        let mut sessions = Vec::new();
        for m in &a.mail_sessions {
            let each = if m.attacker {
                m.sessions
                    .each
                    .iter()
                    .map(|one| {
                        format!(
                            "{} → {}: {} bytes, {} messages",
                            one.start,
                            one.end
                                .map(|e| e.to_string())
                                .unwrap_or_else(|| "no logout".into()),
                            one.bytes_out,
                            one.bodies
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            sessions.push(SessionRow {
                intruder: m.attacker,
                kind: "mail client",
                source: located(&m.source, places),
                protocol_or_day: m.sessions.protocol.clone(),
                first: m.sessions.first.to_string(),
                last: m.sessions.last.to_string(),
                count: m.sessions.sessions,
                bytes: m.sessions.bytes_out.to_string(),
                agents: String::new(),
                actions: String::new(),
                each,
            });
        }
        for w in &a.web {
            sessions.push(SessionRow {
                intruder: w.attacker,
                kind: "webmail",
                source: located(&w.source, places),
                protocol_or_day: w.day.clone(),
                first: w.web.first.map(|t| t.to_string()).unwrap_or_default(),
                last: w.web.last.map(|t| t.to_string()).unwrap_or_default(),
                count: w.web.requests,
                bytes: w.web.bytes_out.to_string(),
                agents: w
                    .web
                    .user_agents
                    .iter()
                    .map(|u| u.as_ref())
                    .collect::<Vec<_>>()
                    .join(" | "),
                actions: w
                    .web
                    .actions
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.0))
                    .collect::<Vec<_>>()
                    .join(", "),
                each: Vec::new(),
            });
        }
        let mut actions: Vec<ActionRow> = a
            .web
            .iter()
            .filter(|w| w.attacker)
            .flat_map(|w| &w.web.items)
            .map(|i| ActionRow {
                time: i.timestamp.to_string(),
                what: i.action.clone(),
                detail: format!(
                    "mbox {} uid {} part {} → {} bytes (HTTP {})",
                    i.mailbox.as_deref().unwrap_or("-"),
                    i.uid.as_deref().unwrap_or("-"),
                    i.part.as_deref().unwrap_or("-"),
                    i.bytes,
                    i.status
                ),
                line: evidence(&i.evidence),
            })
            .collect();
        actions.extend(a.marks.iter().map(|m| ActionRow {
            time: m.timestamp.to_string(),
            what: m.kind.clone(),
            detail: match m.source {
                Some(s) => format!("{s} {}", m.detail),
                None => m.detail.clone(),
            },
            line: evidence(&m.evidence),
        }));
        actions.sort_by(|a, b| (&a.time, &a.what, &a.line).cmp(&(&b.time, &b.what, &b.line)));
        AccountView {
            account: a.account.clone(),
            worst: a.worst.clone(),
            findings: a.findings,
            sources: a
                .attacker_sources
                .iter()
                .map(|ip| located(ip, places))
                .collect::<Vec<_>>()
                .join(", "),
            since: a
                .intrusion_start
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            channels: x
                .channels
                .iter()
                .map(|c| ChannelRow {
                    channel: c.channel.clone(),
                    bytes: c
                        .bytes
                        .map(|b| format!("{b} ({})", human_bytes(b)))
                        .unwrap_or_else(|| "not in the logs".into()),
                    messages: c.messages.map(|m| m.to_string()).unwrap_or_default(),
                    confidence: c.confidence.clone(),
                    basis: c.basis.clone(),
                })
                .collect(),
            total: human_bytes(x.total_bytes),
            caveats: x.caveats.clone(),
            sessions,
            actions,
        }
    }
}

/// One row of the "What was read" table.
pub struct ReadRow {
    pub what: &'static str,
    pub value: String,
}

/// "What was read".
pub struct ReadView {
    pub rows: Vec<ReadRow>,
    pub unknown_count: u64,
    pub unknown: Vec<String>,
    pub eventless_count: u64,
    pub eventless: Vec<String>,
    pub errors: Vec<(String, String)>,
}

fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ReadView {
    fn new(t: &Tally) -> ReadView {
        let findings: Vec<String> = LEVELS
            .iter()
            .filter_map(|l| t.findings.get(*l).map(|n| format!("{l} {n}")))
            .collect();
        let mut rows = vec![
            ReadRow {
                what: "log files",
                value: format!("{} ({})", t.files, counts(&t.formats)),
            },
            ReadRow {
                what: "lines read",
                value: t.lines.to_string(),
            },
            ReadRow {
                what: "events",
                value: t.events.to_string(),
            },
            ReadRow {
                what: "lines skipped, by reason",
                value: counts(&t.skipped),
            },
            ReadRow {
                what: "mail stores",
                value: counts(&t.mail_stores),
            },
        ];
        if let Some(messages) = t.messages {
            rows.push(ReadRow {
                what: "messages read",
                value: messages.to_string(),
            });
        }
        rows.push(ReadRow {
            what: "findings, by level",
            value: format!("{} ({})", t.findings_total, findings.join(", ")),
        });
        ReadView {
            rows,
            unknown_count: t.unknown_count,
            unknown: t.unknown.clone(),
            eventless_count: t.eventless_count,
            eventless: t.eventless.clone(),
            errors: t.errors.clone(),
        }
    }
}

/// One posture audit finding.
pub struct PostureRow {
    pub level: String,
    pub check: String,
    pub title: String,
    pub details: Vec<String>,
    pub exploited_by: Option<String>,
    pub place: String,
    pub why: String,
    pub fix: String,
}

impl PostureRow {
    fn new(f: &PostureFinding) -> PostureRow {
        PostureRow {
            level: f.level.clone(),
            check: f.check_id.clone(),
            title: f.title.clone(),
            details: [&f.component, &f.version, &f.cve]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            exploited_by: f.exploited_by.clone(),
            place: match f.line {
                Some(line) => format!("{}:{line}", f.path),
                None => f.path.clone(),
            },
            why: f.why.clone(),
            fix: f.fix.clone(),
        }
    }
}

/// One log family's coverage.
pub struct CoverageRow {
    pub family: String,
    pub events: u64,
    pub first: String,
    pub last: String,
    pub gaps: Vec<String>,
}

/// One finding in the table.
pub struct FindingRow {
    pub time: String,
    /// The time is a file's modification time, not an event's.
    pub file_time: bool,
    pub level: String,
    pub rule: String,
    pub rule_short: String,
    pub title: String,
    pub who: Vec<String>,
    pub count: u64,
    pub reason: String,
    pub evidence: Vec<String>,
    pub more: usize,
}

impl FindingRow {
    fn new(f: &Finding) -> FindingRow {
        let who = [
            f.entity.user.as_ref().map(|u| format!("account {u}")),
            f.entity.source_ip.as_ref().map(|s| format!("from {s}")),
            f.entity.session.as_ref().map(|s| format!("session {s}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        FindingRow {
            time: if is_undated(f) {
                "no arrival time".to_string()
            } else {
                f.first_seen.to_string()
            },
            file_time: is_file_time(f),
            level: f.level.clone(),
            rule: f.rule_id.clone(),
            rule_short: short_id(&f.rule_id).to_string(),
            title: f.title.clone(),
            who,
            count: f.count,
            reason: f.reason.clone(),
            evidence: f
                .evidence
                .iter()
                .take(EVIDENCE_SHOWN)
                .map(evidence)
                .collect(),
            more: f.evidence.len().saturating_sub(EVIDENCE_SHOWN),
        }
    }
}

fn level_rank(level: &str) -> usize {
    LEVELS
        .iter()
        .position(|l| *l == level)
        .unwrap_or(LEVELS.len())
}

/// The HTML report.
#[derive(Template)]
#[template(path = "report.html")]
pub struct HtmlReport<'a> {
    pub name: &'a str,
    pub style: &'static str,
    pub style_hash: String,
    pub total: usize,
    pub levels: Vec<(&'static str, usize)>,
    /// Whether the case has its answers (`answers.json`).
    pub answered: bool,
    pub when: Option<WhenView>,
    pub intruded: Vec<String>,
    pub reached: Vec<String>,
    pub left: Vec<LeftView>,
    pub whom: Vec<WhomLine>,
    pub statement: String,
    pub profiles: String,
    pub timeline: Option<Timeline>,
    pub file_times: Vec<FileTimeRow>,
    pub bytes: Bars,
    pub sources: Bars,
    pub accounts: Vec<AccountView>,
    pub quiet_accounts: Vec<AccountView>,
    pub read: Option<ReadView>,
    pub posture: Vec<PostureRow>,
    pub coverage: Vec<CoverageRow>,
    pub coverage_files: Vec<(String, String, String)>,
    pub hypotheses: Vec<HypothesisView>,
    pub findings: Vec<FindingRow>,
}

fn reached_lines(answers: &Answers) -> Vec<String> {
    answers
        .reached
        .iter()
        .map(|r| {
            let actions: Vec<String> = r
                .web_actions
                .iter()
                .map(|(a, n)| format!("{a} {n}"))
                .collect();
            format!(
                "{}: {}; {} mail-client sessions; {} flagged messages",
                r.account,
                if actions.is_empty() {
                    "no webmail action".to_string()
                } else {
                    format!("webmail {}", actions.join(", "))
                },
                r.mail_sessions,
                r.messages
            )
        })
        .collect()
}

fn left_views(answers: &Answers) -> Vec<LeftView> {
    answers
        .left
        .iter()
        .map(|a| LeftView {
            account: a.account.clone(),
            content: human_bytes(a.content_bytes),
            items: a
                .items
                .iter()
                .map(|i| {
                    let what = format!("{} ×{} by {}", i.kind, i.items, i.channel);
                    let text = match i.bytes {
                        Some(b) => format!("{what}: {}", human_bytes(b)),
                        None => format!("{what} (size not logged)"),
                    };
                    LeftLine {
                        text,
                        counted: i.content,
                    }
                })
                .collect(),
        })
        .collect()
}

impl<'a> HtmlReport<'a> {
    /// The view of `case`, with the page's style sheet.
    pub fn new(case: &'a CaseFiles, style: &'static str) -> HtmlReport<'a> {
        let findings = &case.findings;
        let scope = &case.scope;
        let mut by_level: BTreeMap<&str, usize> = BTreeMap::new();
        for f in findings {
            *by_level.entry(f.level.as_str()).or_default() += 1;
        }
        let levels = LEVELS
            .iter()
            .filter_map(|l| by_level.get(l).map(|n| (*l, *n)))
            .collect();
        let intruded: Vec<&AccountScope> = scope
            .accounts
            .iter()
            .filter(|a| !a.attacker_sources.is_empty())
            .collect();
        let mut bytes = Vec::new();
        for a in &intruded {
            for m in a.mail_sessions.iter().filter(|m| m.attacker) {
                bytes.push((
                    format!(
                        "{} {} {} ({} sessions)",
                        a.account, m.sessions.protocol, m.source, m.sessions.sessions
                    ),
                    m.sessions.bytes_out,
                ));
            }
            for w in a.web.iter().filter(|w| w.attacker) {
                bytes.push((
                    format!("{} webmail {} {}", a.account, w.source, w.day),
                    w.web.bytes_out,
                ));
            }
        }
        let (with, without): (Vec<&AccountScope>, Vec<&AccountScope>) =
            scope.accounts.iter().partition(|a| a.findings > 0);
        let attribution = case.attribution.clone().unwrap_or_default();
        let answers = case.answers.as_ref();
        let whom: Vec<WhomLine> = answers
            .map(|a| {
                a.whom
                    .iter()
                    .take(4)
                    .map(|h| WhomLine {
                        name: h.name.clone(),
                        support: h.support.clone(),
                        score: format!("{:.1}", h.score),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut sorted: Vec<&Finding> = findings.iter().collect();
        sorted.sort_by_key(|f| (level_rank(&f.level), f.first_seen));
        HtmlReport {
            name: &case.name,
            style,
            style_hash: base64::engine::general_purpose::STANDARD
                .encode(Sha256::digest(style.as_bytes())),
            total: findings.len(),
            levels,
            answered: answers.is_some(),
            when: answers.and_then(|a| a.when.as_ref()).map(WhenView::new),
            intruded: intruded.iter().map(|a| a.account.clone()).collect(),
            reached: answers.map(reached_lines).unwrap_or_default(),
            left: answers.map(left_views).unwrap_or_default(),
            whom,
            statement: if case.attribution.is_some() {
                attribution.statement.clone()
            } else {
                "Attribution was not computed for this case.".into()
            },
            profiles: attribution.profiles.clone(),
            timeline: svg::timeline(findings, &scope.accounts),
            file_times: findings
                .iter()
                .filter(|f| off_the_time_axis(f))
                .map(|f| FileTimeRow {
                    title: f.title.clone(),
                    account: f.entity.user.clone().unwrap_or_else(|| "no account".into()),
                    time: if is_undated(f) {
                        "no arrival time".to_string()
                    } else {
                        format!("file modified {}", f.first_seen)
                    },
                })
                .collect(),
            bytes: svg::bars(&bytes, "bytes out per intruder session", human_bytes),
            sources: svg::sources(findings, &scope.places),
            accounts: with
                .into_iter()
                .map(|a| AccountView::new(a, &scope.places))
                .collect(),
            quiet_accounts: without
                .into_iter()
                .map(|a| AccountView::new(a, &scope.places))
                .collect(),
            read: answers.map(|a| ReadView::new(&a.read)),
            posture: case.posture.iter().map(PostureRow::new).collect(),
            coverage: scope
                .coverage
                .iter()
                .map(|c| CoverageRow {
                    family: c.family.clone(),
                    events: c.events,
                    first: c.first.to_string(),
                    last: c.last.to_string(),
                    gaps: c.gaps.iter().map(|(a, b)| format!("{a} – {b}")).collect(),
                })
                .collect(),
            coverage_files: answers
                .map(|a| {
                    a.coverage
                        .files
                        .iter()
                        .map(|(path, first, last)| {
                            (
                                path.clone(),
                                first.clone().unwrap_or_default(),
                                last.clone().unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            hypotheses: attribution
                .hypotheses
                .iter()
                .map(HypothesisView::new)
                .collect(),
            findings: sorted.into_iter().map(FindingRow::new).collect(),
        }
    }
}

/// One account in the Markdown summary.
pub struct AccountLine {
    pub account: String,
    pub worst: String,
    pub findings: usize,
    pub sources: String,
    pub bytes: String,
    pub channels: String,
}

/// The Markdown summary.
#[derive(Template)]
#[template(path = "report.md")]
pub struct MarkdownReport<'a> {
    pub name: &'a str,
    pub total: usize,
    pub answered: bool,
    pub when: Option<WhenView>,
    pub left: Vec<LeftView>,
    pub read: Option<ReadView>,
    pub posture: Vec<PostureRow>,
    pub accounts: Vec<AccountLine>,
    /// Accounts without a finding, named on one line.
    pub quiet_accounts: Vec<String>,
    pub statement: String,
    pub hypotheses: Vec<HypothesisView>,
    pub severe: Vec<FindingRow>,
}

impl<'a> MarkdownReport<'a> {
    /// The view of `case`.
    pub fn new(case: &'a CaseFiles) -> MarkdownReport<'a> {
        let answers = case.answers.as_ref();
        let attribution = case.attribution.clone().unwrap_or_default();
        MarkdownReport {
            name: &case.name,
            total: case.findings.len(),
            answered: answers.is_some(),
            when: answers.and_then(|a| a.when.as_ref()).map(WhenView::new),
            left: answers.map(left_views).unwrap_or_default(),
            read: answers.map(|a| ReadView::new(&a.read)),
            posture: case.posture.iter().map(PostureRow::new).collect(),
            quiet_accounts: case
                .scope
                .accounts
                .iter()
                .filter(|a| a.findings == 0)
                .map(|a| a.account.clone())
                .collect(),
            accounts: case
                .scope
                .accounts
                .iter()
                .filter(|a| a.findings > 0)
                .map(|a| AccountLine {
                    account: a.account.clone(),
                    worst: a.worst.clone(),
                    findings: a.findings,
                    sources: a.attacker_sources.join(", "),
                    bytes: human_bytes(a.exfiltration.total_bytes),
                    channels: a
                        .exfiltration
                        .channels
                        .iter()
                        .map(|c| c.channel.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            statement: if case.attribution.is_some() {
                attribution.statement.clone()
            } else {
                "Attribution was not computed.".into()
            },
            hypotheses: attribution
                .hypotheses
                .iter()
                .map(HypothesisView::new)
                .collect(),
            severe: case
                .findings
                .iter()
                .filter(|f| matches!(f.level.as_str(), "high" | "critical"))
                .map(FindingRow::new)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_read_with_either_sign() {
        assert_eq!(weight_of("exploit mail opened (+1): x"), Some(1.0));
        assert_eq!(weight_of("mail sent (\u{2212}0.5): y"), Some(-0.5));
        assert_eq!(weight_of("techniques in its profile: T1078"), None);
    }
}
