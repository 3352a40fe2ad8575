//! Mail-borne vectors whose shape belongs to one webmail's flaw, so that the
//! CVE they name is earned by the shape, not by a generic handler:
//! - Zimbra CVE-2024-27443: script markup in the `X-Zimbra-Calendar-Intended-For`
//!   header, which Zimbra Classic's CalendarInvite wrote into the page (THREATS.md §1,
//!   ESET RoundPress).
//! - Zimbra CVE-2025-27915: script markup in an iCalendar part, which Zimbra Classic
//!   rendered unsanitized (Zimbra security advisories, ZCS 9.0.0 P44 / 10.0.13 / 10.1.5).
//! - SOGo CVE-2026-8496: SVG with an `onrepeat` handler in an iCalendar part's
//!   description, which SOGo < 5.12.8 rendered (CVE record by CERT/CC, VU#487613).
//!
//! The reflected-XSS links (CVE-2022-27926, CVE-2023-37580) are links, and
//! MDaemon's CVE-2024-11182 is a `<noembed>` breakout in an attribute value,
//! both found by [`crate::html`]; the generic code-running handler (`img
//! onerror`, Horde IMP's vector among others) names no CVE.

use crate::html::has_handler_text;
use crate::indicators::{self as kinds, Indicator, Kind};

/// The header Zimbra's calendar invites carry the intended recipient in.
pub const ZIMBRA_CALENDAR_HEADER: &str = "X-Zimbra-Calendar-Intended-For";

/// The largest iCalendar text examined.
const MAX_CALENDAR: usize = 4 * 1024 * 1024;

/// Whether `text` carries script markup: `<script`, `javascript:`, or a tag
/// with an `on…=` handler.
pub fn has_script_markup(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("<script")
        || lower.contains("javascript:")
        || (lower.contains('<') && has_handler_text(&lower))
}

/// The indicator kind for script markup found in header `name`.
pub fn header_kind(name: &str) -> &'static Kind {
    if name.eq_ignore_ascii_case(ZIMBRA_CALENDAR_HEADER) {
        &kinds::ZIMBRA_CALENDAR_HEADER_MARKUP
    } else {
        &kinds::HEADER_MARKUP
    }
}

/// Whether a part is iCalendar, by its type or its file name.
pub fn is_calendar(content_type: &str, name: Option<&str>) -> bool {
    matches!(
        content_type,
        "text/calendar" | "application/ics" | "text/x-vcalendar"
    ) || name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.ends_with(".ics") || n.ends_with(".ical") || n.ends_with(".ifb")
    })
}

/// The indicator when the iCalendar `text` of `part` carries script markup:
/// SOGo's CVE-2026-8496 for SVG with an `onrepeat` handler, else Zimbra's
/// CVE-2025-27915. Folded lines (RFC 5545 §3.1) are joined and text escapes
/// (§3.3.11: `\\` `\,` `\;` `\n`) undone first, as a calendar client does;
/// the indicator's line is the part's line the markup starts on.
pub fn calendar(text: &str, part: &str) -> Option<Indicator> {
    let text = &text[..text.floor_char_boundary(MAX_CALENDAR)];
    let (unescaped, line_starts) = unfold_unescape(text);
    if !has_script_markup(&unescaped) {
        return None;
    }
    let lower = unescaped.to_ascii_lowercase();
    let at = ["<script", "javascript:", "<"]
        .iter()
        .find_map(|m| lower.find(m))
        .unwrap_or(0);
    let line = line_starts.partition_point(|&start| start <= at) as u64 + 1;
    let snippet = unescaped.get(at..).unwrap_or_default();
    let kind = if lower.contains("<svg") && has_handler_named(&lower, "onrepeat") {
        &kinds::SOGO_ICS_SVG_ONREPEAT
    } else {
        &kinds::ICS_SCRIPT_MARKUP
    };
    Some(Indicator::new(kind, part, line, snippet))
}

/// iCalendar `text` with its folded lines joined (a line break followed by a
/// space or tab, RFC 5545 §3.1) and its text escapes undone (§3.3.11), in
/// one pass; beside it, for each line break of `text`, the offset in the
/// result where the next line of `text` starts (ascending), so that an
/// offset in the result maps back to a line of `text`. Offsets in the two
/// strings differ, so one is never used to cut the other.
fn unfold_unescape(text: &str) -> (String, Vec<usize>) {
    // A fold: CRLF or LF, then one space or tab; its length.
    let fold = |rest: &str| -> Option<usize> {
        let after = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))?;
        after
            .starts_with([' ', '\t'])
            .then(|| rest.len() - after.len() + 1)
    };
    let mut out = String::with_capacity(text.len());
    let mut line_starts = Vec::new();
    let mut rest = text;
    let mut escaped = false;
    while let Some(c) = rest.chars().next() {
        if let Some(len) = fold(rest) {
            line_starts.push(out.len());
            rest = &rest[len..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if escaped {
            escaped = false;
            match c {
                '\\' | ',' | ';' => out.push(c),
                'n' | 'N' => out.push('\n'),
                _ => {
                    out.push('\\');
                    out.push(c);
                }
            }
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
        if c == '\n' {
            line_starts.push(out.len());
        }
    }
    if escaped {
        out.push('\\');
    }
    (out, line_starts)
}

/// Whether lower-cased `text` holds handler `name` as an attribute (`name=`,
/// spaces allowed before the `=`).
fn has_handler_named(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let boundary = before.is_none_or(|c| !c.is_ascii_alphanumeric());
        boundary && text[at + name.len()..].trim_start().starts_with('=')
    })
}

/// `value` with its RFC 2047 encoded words decoded; `None` when it has none.
pub fn decode_encoded_words(value: &str) -> Option<String> {
    if !value.contains("=?") {
        return None;
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find("=?") {
        out.push_str(&rest[..at]);
        let word = &rest[at..];
        let mut stream = mail_parser::parsers::MessageStream::new(&word.as_bytes()[1..]);
        match stream.decode_rfc2047() {
            Some(text) => {
                out.push_str(&text);
                rest = word.get(1 + stream.offset()..).unwrap_or_default();
            }
            None => {
                out.push_str("=?");
                rest = &word[2..];
            }
        }
    }
    out.push_str(rest);
    Some(out)
}
