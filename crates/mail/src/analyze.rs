//! One message, parsed by mail-parser (every part decoded: base64,
//! quoted-printable, RFC 2047/2231 headers, charsets; nested messages),
//! described part by part and searched for webmail exploits.

use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::Duration;

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};
use vigie_event::isolate::test_slow_point;

use crate::html::{self, Markup};
use crate::indicators::{self as kinds, Indicator, Level};
use crate::limits::{self, Deadline, MAX_MIME_DEPTH};
use crate::store::{Location, RawMessage};
use crate::webmail_vectors;

/// How deep nested messages (`message/rfc822` inside each other) are followed.
pub const MAX_NESTING: usize = 8;

/// A part of a message.
#[derive(Clone, Debug, Serialize)]
pub struct PartReport {
    /// IMAP-style part number (`1`, `2.1`).
    pub part: String,
    /// `type/subtype`.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// File name (Content-Disposition `filename` or Content-Type `name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SHA-256 of the decoded content, for attachments and binary parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// What vigie says about one message.
#[derive(Clone, Debug, Serialize)]
pub struct MessageReport {
    /// Where it was read.
    pub location: Location,
    /// SHA-256 of the message as stored.
    pub sha256: String,
    /// `Message-ID`, without angle brackets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Decoded subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// First `From` address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `To` and `Cc` addresses.
    pub to: Vec<String>,
    /// `Delivered-To` (the mailbox owner, as the delivering server wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_to: Option<String>,
    /// `Date`, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The addresses of the `Received` hops, newest first.
    pub received_from: Vec<String>,
    /// The `http(s)://` links of its text and HTML parts (at most [`MAX_LINKS`], no repeats).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Every part that holds content (multipart containers left out).
    pub parts: Vec<PartReport>,
    /// URLs, hosts, addresses and e-mail addresses decoded out of its
    /// scripts (at most [`crate::payload::MAX_VALUES`] per script), for
    /// matching against indicator feeds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub payload: Vec<crate::payload::PayloadValue>,
    /// What was found.
    pub indicators: Vec<Indicator>,
    /// The highest level among the indicators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Why the message was analysed only in part (empty: fully parsed).
    pub problems: Vec<String>,
}

impl MessageReport {
    /// The CVEs of its indicators, without repeats.
    pub fn cves(&self) -> Vec<&str> {
        let mut cves: Vec<&str> = self
            .indicators
            .iter()
            .filter_map(|i| i.cve.as_deref())
            .collect();
        cves.sort_unstable();
        cves.dedup();
        cves
    }
}

/// Extra scanning of content (YARA-X), called with each decoded part and the
/// raw message (`part` then `message`).
pub type ContentScan<'s> = &'s mut dyn FnMut(&[u8], &str) -> Vec<Indicator>;

static LINKREF_PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[[^\]\n]*[<>][^\]\n]*\]:?\s*##str_replacement_\d+##").expect("valid regex")
});
static LINKREF_MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\[[^\]\n]*[<>][^\]\n]*\]:?\s*(?:https?://|ftp://|www\.)").expect("valid regex")
});

/// Links kept per message (for indicator matching).
pub const MAX_LINKS: usize = 500;

/// Collects the `http://` and `https://` links of `text` (scheme in any case).
pub(crate) fn links(text: &str, report: &mut MessageReport) {
    let bytes = text.as_bytes();
    for at in memchr::memmem::find_iter(bytes, b"://") {
        if report.links.len() >= MAX_LINKS {
            return;
        }
        let start = [5, 4].into_iter().find(|&n| {
            at >= n && {
                let scheme = &bytes[at - n..at];
                scheme.eq_ignore_ascii_case(b"https") || scheme.eq_ignore_ascii_case(b"http")
            }
        });
        let Some(n) = start else { continue };
        let end = bytes[at + 3..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || b"\"'<>()[]{}\\^`|".contains(b))
            .map_or(bytes.len(), |p| at + 3 + p);
        // Both ends sit on ASCII bytes, so the slice is valid UTF-8.
        let link = &text[at - n..end];
        if end > at + 3 && !report.links.iter().any(|l| l == link) {
            report.links.push(link.to_string());
        }
    }
}

/// Parses and analyses `raw`; `extra` scans content further when given.
/// Stops after [`limits::MAX_ANALYSIS_TIME`] (see [`analyze_within`]).
pub fn analyze(raw: &RawMessage, extra: Option<ContentScan<'_>>) -> MessageReport {
    analyze_within(raw, extra, limits::MAX_ANALYSIS_TIME)
}

/// As [`analyze`], the analysis stopping once `limit` has passed: at the
/// next part or region, what was found up to there kept, the message
/// counted as read in part (`analysis longer than …`) and flagged
/// [`kinds::ANALYSIS_TIME_LIMIT`].
pub fn analyze_within(
    raw: &RawMessage,
    extra: Option<ContentScan<'_>>,
    limit: Duration,
) -> MessageReport {
    let mut deadline = Deadline::new(limit);
    if test_slow_point(&raw.bytes) {
        deadline.expire();
    }
    let mut report = MessageReport {
        location: raw.location.clone(),
        sha256: hex(&Sha256::digest(&raw.bytes)),
        message_id: None,
        subject: None,
        from: None,
        to: Vec::new(),
        delivered_to: None,
        date: None,
        received_from: Vec::new(),
        links: Vec::new(),
        parts: Vec::new(),
        payload: Vec::new(),
        indicators: Vec::new(),
        level: None,
        problems: Vec::new(),
    };
    let mut extra = extra;
    if let Some(scan) = extra.as_mut() {
        report.indicators.extend(scan(&raw.bytes, "message"));
    }
    let mut bytes = &raw.bytes[..];
    if let Some(cut) = limits::check(bytes) {
        report
            .problems
            .push(format!("{}: read up to line {}", cut.reason, cut.line));
        report.indicators.push(Indicator::new(
            &kinds::MIME_STRUCTURE_LIMIT,
            "message",
            cut.line,
            &cut.reason,
        ));
        bytes = &bytes[..cut.offset];
    }
    let parsed = MessageParser::default().parse(bytes);
    match &parsed {
        Some(message) if !message.parts.is_empty() => {
            describe(message, &mut report);
            let mut work = Work {
                extra: &mut extra,
                deadline: &mut deadline,
                read: HashSet::new(),
                relisted: false,
            };
            walk(message, 0, "", 0, 0, &mut report, &mut work);
        }
        _ => report
            .problems
            .push("no MIME structure could be read".to_string()),
    }
    // The parts as the webmail's server cuts them, where mail-parser differs.
    // (On the bytes within the structure bounds, as mail-parser read them.)
    crate::raw_regions::analyze_into(
        bytes,
        parsed.as_ref(),
        &mut report,
        &mut extra,
        &mut deadline,
    );
    if let Some(message) = parsed {
        dismantle(message);
    }
    // One step may have taken the time without a check in it.
    deadline.passed(|| "its end (one step took the time)".to_string());
    if let Some(at) = deadline.stopped() {
        let reason = format!(
            "analysis longer than {} s, stopped at {at}",
            deadline.limit().as_secs_f64()
        );
        report.indicators.push(Indicator::new(
            &kinds::ANALYSIS_TIME_LIMIT,
            "message",
            0,
            &reason,
        ));
        report.problems.push(reason);
    }
    // Every message read in part is named with its reason: the bounds
    // without an indicator of their own are flagged here.
    if let Some(reason) = report.problems.first()
        && !report.indicators.iter().any(|i| {
            [
                kinds::MIME_STRUCTURE_LIMIT.code,
                kinds::ANALYSIS_TIME_LIMIT.code,
            ]
            .contains(&i.code.as_str())
        })
    {
        let reason = reason.clone();
        report
            .indicators
            .push(Indicator::new(&kinds::READ_IN_PART, "message", 0, &reason));
    }
    report.level = report.indicators.iter().map(|i| i.level).max();
    report
}

fn describe(message: &mail_parser::Message<'_>, report: &mut MessageReport) {
    report.message_id = message.message_id().map(str::to_string);
    report.subject = message.subject().map(str::to_string);
    report.from = message.from().and_then(first_address);
    report.to = message
        .to()
        .into_iter()
        .chain(message.cc())
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address.as_deref().map(str::to_string))
        .collect();
    report.delivered_to = message
        .header_raw("Delivered-To")
        .map(|v| v.trim().trim_matches(['<', '>']).to_string());
    report.date = message.date().map(|d| d.to_rfc3339());
    report.received_from = message
        .received_all()
        .filter_map(|r| r.from_ip().map(|ip| ip.to_string()))
        .collect();
}

fn first_address(address: &Address<'_>) -> Option<String> {
    address.first()?.address.as_deref().map(str::to_string)
}

/// Frees a parsed message without recursion: nested messages are a tree
/// whose drop would recurse once per level.
fn dismantle(message: mail_parser::Message<'_>) {
    let mut pending = vec![message];
    while let Some(mut message) = pending.pop() {
        for part in &mut message.parts {
            if let PartType::Message(_) = part.body
                && let PartType::Message(nested) =
                    std::mem::replace(&mut part.body, PartType::Binary(Default::default()))
            {
                pending.push(nested);
            }
        }
    }
}

/// What the walk over the parts carries along: the extra scan, the clock,
/// and the parts already read.
struct Work<'w, 's> {
    extra: &'w mut Option<ContentScan<'s>>,
    deadline: &'w mut Deadline,
    /// Parts read, by message (its address: the parsed tree outlives the
    /// walk) and index. mail-parser's parts are a list that multiparts
    /// index into; a hostile structure makes a multipart list a part twice
    /// or its own ancestor (found by fuzzing: two parts listing each other
    /// made a walk of 2^100 paths, stopped only by the clock after 30 s and
    /// 2.5 to 4.7 GB). Each part is read once.
    read: HashSet<(usize, usize)>,
    /// Whether a part listed again was flagged (once per analysis).
    relisted: bool,
}

/// Describes part `id` of `message` and what it holds; `depth` counts the
/// nested messages around it, `level` the containers (multiparts and
/// messages), each bounded.
fn walk(
    message: &mail_parser::Message<'_>,
    id: usize,
    path: &str,
    depth: usize,
    level: usize,
    report: &mut MessageReport,
    work: &mut Work<'_, '_>,
) {
    if work
        .deadline
        .passed(|| format!("part {}", if path.is_empty() { "1" } else { path }))
    {
        return;
    }
    if !work.read.insert((std::ptr::from_ref(message) as usize, id)) {
        report.problems.push(format!(
            "part {path}: part {id} of its message was already read (a multipart listing a part twice or its own ancestor); read once"
        ));
        if !std::mem::replace(&mut work.relisted, true) {
            report.indicators.push(Indicator::new(
                &kinds::MIME_STRUCTURE_LIMIT,
                path,
                0,
                "a multipart lists a part already read",
            ));
        }
        return;
    }
    let extra = &mut *work.extra;
    if level > MAX_MIME_DEPTH {
        // Only a structure the raw check misjudged gets here.
        report.problems.push(format!(
            "part {path}: MIME nesting deeper than {MAX_MIME_DEPTH}"
        ));
        return;
    }
    if id == 0 {
        headers(
            message,
            if path.is_empty() { "headers" } else { path },
            report,
        );
    }
    let Some(part) = message.parts.get(id) else {
        report
            .problems
            .push(format!("part {id} referenced but missing"));
        return;
    };
    let number = if path.is_empty() {
        "1".to_string()
    } else {
        path.to_string()
    };
    if part.is_encoding_problem {
        report
            .problems
            .push(format!("part {number}: content could not be decoded"));
    }
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "text/plain".to_string())
        .to_ascii_lowercase();
    let name = part.attachment_name().map(str::to_string);
    let renderable = renderable(&content_type, name.as_deref());
    let calendar = webmail_vectors::is_calendar(&content_type, name.as_deref());
    match &part.body {
        PartType::Multipart(children) => {
            for (i, child) in children.iter().enumerate() {
                let child_path = if path.is_empty() {
                    (i + 1).to_string()
                } else {
                    format!("{path}.{}", i + 1)
                };
                walk(
                    message,
                    *child as usize,
                    &child_path,
                    depth,
                    level + 1,
                    report,
                    work,
                );
            }
        }
        PartType::Message(nested) => {
            report.parts.push(PartReport {
                part: number.clone(),
                content_type,
                size: part.len(),
                name,
                sha256: None,
            });
            if depth + 1 >= MAX_NESTING {
                report.problems.push(format!(
                    "part {number}: messages nested deeper than {MAX_NESTING}"
                ));
                return;
            }
            walk(nested, 0, &number, depth + 1, level + 1, report, work);
        }
        PartType::Html(text) => {
            content(report, extra, &number, text.as_bytes());
            report
                .parts
                .push(part_report(&number, content_type, text.as_bytes(), name));
            let markup = if renderable && !part_is_body(message, id) {
                Markup::Attachment
            } else {
                Markup::Html
            };
            let (found, scripts) =
                html::scan_with_scripts(text, &number, markup, &mut report.problems);
            report.indicators.extend(found);
            crate::payload::add_to(report, &scripts, &number);
            spypress_text(text, &number, report);
            links(text, report);
        }
        PartType::Text(text) => {
            content(report, extra, &number, text.as_bytes());
            report.parts.push(part_report(
                &number,
                content_type.clone(),
                text.as_bytes(),
                name,
            ));
            if renderable {
                let (found, scripts) = html::scan_with_scripts(
                    text,
                    &number,
                    Markup::Attachment,
                    &mut report.problems,
                );
                report.indicators.extend(found);
                crate::payload::add_to(report, &scripts, &number);
            } else {
                linkrefs(text, &number, report);
            }
            if calendar {
                calendar_part(text, &number, report);
            }
            spypress_text(text, &number, report);
            links(text, report);
        }
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            content(report, extra, &number, bytes);
            report
                .parts
                .push(part_report(&number, content_type, bytes, name));
            if renderable {
                let text = String::from_utf8_lossy(bytes);
                let (found, scripts) = html::scan_with_scripts(
                    &text,
                    &number,
                    Markup::Attachment,
                    &mut report.problems,
                );
                report.indicators.extend(found);
                crate::payload::add_to(report, &scripts, &number);
            }
            if calendar {
                calendar_part(&String::from_utf8_lossy(bytes), &number, report);
            }
        }
    }
}

fn part_is_body(message: &mail_parser::Message<'_>, id: usize) -> bool {
    let id = id as u32;
    message.html_body.contains(&id) || message.text_body.contains(&id)
}

fn content(
    report: &mut MessageReport,
    extra: &mut Option<ContentScan<'_>>,
    part: &str,
    bytes: &[u8],
) {
    if let Some(scan) = extra.as_mut() {
        report.indicators.extend(scan(bytes, part));
    }
}

fn part_report(
    number: &str,
    content_type: String,
    bytes: &[u8],
    name: Option<String>,
) -> PartReport {
    let hashed = name.is_some() || !content_type.starts_with("text/");
    PartReport {
        part: number.to_string(),
        content_type,
        size: bytes.len(),
        name,
        sha256: hashed.then(|| hex(&Sha256::digest(bytes))),
    }
}

/// Whether a part other than the body is something a browser renders as a
/// document when served inline (CVE-2024-42008).
fn renderable(content_type: &str, name: Option<&str>) -> bool {
    let by_type = content_type.contains("xml")
        || content_type.contains("svg")
        || content_type.contains("xhtml");
    let by_name = name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        [".svg", ".xml", ".xhtml", ".xht", ".html", ".htm"]
            .iter()
            .any(|e| n.ends_with(e))
    });
    by_type || by_name
}

/// The calendar checks of part `number`'s `text`; a text past
/// [`webmail_vectors::MAX_CALENDAR`] is examined to that bound and the
/// rest reported, not silently left.
fn calendar_part(text: &str, number: &str, report: &mut MessageReport) {
    if text.len() > webmail_vectors::MAX_CALENDAR {
        report.problems.push(format!(
            "part {number}: calendar text past {} MiB not examined for script markup",
            webmail_vectors::MAX_CALENDAR >> 20
        ));
    }
    report
        .indicators
        .extend(webmail_vectors::calendar(text, number));
}

fn headers(message: &mail_parser::Message<'_>, part: &str, report: &mut MessageReport) {
    for (name, value) in message.headers_raw() {
        // Also decoded (RFC 2047): encoded words hide markup from the raw check.
        let decoded = webmail_vectors::decode_encoded_words(value);
        if webmail_vectors::has_script_markup(value)
            || decoded
                .as_deref()
                .is_some_and(webmail_vectors::has_script_markup)
        {
            report.indicators.push(Indicator::new(
                webmail_vectors::header_kind(name),
                part,
                0,
                &format!("{name}:{}", decoded.as_deref().unwrap_or(value)),
            ));
        }
    }
}

fn linkrefs(text: &str, part: &str, report: &mut MessageReport) {
    let line_of = |at: usize| text[..at].matches('\n').count() as u64 + 1;
    for m in LINKREF_PLACEHOLDER.find_iter(text) {
        report.indicators.push(Indicator::new(
            &kinds::LINKREF_PLACEHOLDER,
            part,
            line_of(m.start()),
            m.as_str(),
        ));
    }
    for m in LINKREF_MARKUP.find_iter(text) {
        report.indicators.push(Indicator::new(
            &kinds::LINKREF_MARKUP,
            part,
            line_of(m.start()),
            m.as_str(),
        ));
    }
}

/// SpyPress strings in a text part (its scripts are also checked by `html`).
fn spypress_text(text: &str, part: &str, report: &mut MessageReport) {
    let lower = text.to_ascii_lowercase();
    for marker in [
        "_action_type[0]=redirect_copy",
        "advenwolf@proton.me",
        "c_c_f_u_",
        "k_t_f_u_",
        "t_e_f_u_",
    ] {
        if let Some(at) = lower.find(marker)
            && !report
                .indicators
                .iter()
                .any(|i| i.code == kinds::SPYPRESS_MARKER.code && i.part == part)
        {
            let line = text[..at].matches('\n').count() as u64 + 1;
            report.indicators.push(Indicator::new(
                &kinds::SPYPRESS_MARKER,
                part,
                line,
                &text[at..],
            ));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
