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

use crate::indicators::{self as kinds, Indicator, Kind};

/// The header Zimbra's calendar invites carry the intended recipient in.
pub const ZIMBRA_CALENDAR_HEADER: &str = "X-Zimbra-Calendar-Intended-For";

/// The largest iCalendar text examined for script markup, in bytes (4 MiB;
/// real invitations are kilobytes); what lies past it is reported.
pub const MAX_CALENDAR: usize = 4 * 1024 * 1024;

/// Whether `text` carries script markup: `<script`, `javascript:`, or a tag
/// with an `on…=` handler (see [`script_markup_at`]).
pub fn has_script_markup(text: &str) -> bool {
    script_markup_at(&text.to_ascii_lowercase()).is_some()
}

/// Where the first script markup of lower-cased `text` starts: `<script`,
/// `javascript:`, or a tag (`<` and a letter, to its `>` outside quotes)
/// holding an `on…=` handler attribute, spaces allowed before the `=` as a
/// browser reads them. A handler-like word outside a tag (`online=yes`, a
/// link's `?onboarding=1` in `<https://…>`) is not one.
fn script_markup_at(lower: &str) -> Option<usize> {
    let bytes = lower.as_bytes();
    let mut handler = None;
    let mut from = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[from..]).map(|i| from + i) {
        if !bytes.get(at + 1).is_some_and(u8::is_ascii_alphabetic) {
            from = at + 1;
            continue;
        }
        let end = tag_end(bytes, at);
        if has_handler_attribute(&bytes[at..end]) {
            handler = Some(at);
            break;
        }
        from = end;
    }
    [lower.find("<script"), lower.find("javascript:"), handler]
        .into_iter()
        .flatten()
        .min()
}

/// The end of the tag that starts at `start` (its `>`, or the end of
/// `bytes`), quoted attribute values skipped.
fn tag_end(bytes: &[u8], start: usize) -> usize {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(start + 1) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return i,
            None => {}
        }
    }
    bytes.len()
}

/// Whether the lower-cased tag text `tag` has an `on…` attribute of three
/// letters or more after `on` followed by `=` (spaces allowed before it),
/// the name starting after a space, `/` or a quote as attribute names do.
fn has_handler_attribute(tag: &[u8]) -> bool {
    memchr::memmem::find_iter(tag, b"on").any(|at| {
        let separated = at > 0
            && matches!(
                tag[at - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'"' | b'\''
            );
        let letters = tag[at + 2..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let rest = &tag[at + 2 + letters..];
        let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        separated && letters > 2 && rest.first() == Some(&b'=')
    })
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
    let lower = unescaped.to_ascii_lowercase();
    let at = script_markup_at(&lower)?;
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
