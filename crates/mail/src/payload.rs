//! Indicators out of decoded script payloads: the strings of a message's
//! scripts, event handlers and `javascript:` URLs decoded as the browser
//! would decode them (`atob`/base64, `String.fromCharCode`, `unescape` and
//! percent escapes, `\x` and `\u` escapes, `data:` URLs, concatenations of
//! literals), and the URLs, host names, addresses and e-mail addresses
//! found in them, for matching against indicator feeds.
//!
//! Bounded: [`MAX_DEPTH`] decodings inside one another, [`MAX_DECODED`]
//! bytes decoded per script, [`MAX_VALUES`] values per script.

use base64::Engine as _;
use serde::Serialize;

use crate::analyze::MessageReport;
use crate::indicators::{self as kinds, Indicator};

/// Decodings followed inside one another.
pub const MAX_DEPTH: usize = 3;

/// Bytes decoded per script, all layers together.
pub const MAX_DECODED: usize = 64 * 1024;

/// Values kept per script.
pub const MAX_VALUES: usize = 100;

/// What a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    /// An `http(s)://`, `ftp://` or `ws(s)://` URL.
    Url,
    /// A host name (of a URL, or of an e-mail address).
    Domain,
    /// An IPv4 or IPv6 address (the host of a URL).
    Ip,
    /// An e-mail address.
    Email,
}

/// A value found in a decoded payload.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PayloadValue {
    /// What it is.
    pub kind: ValueKind,
    /// The value (attacker text).
    pub value: String,
    /// How it was decoded (`atob`, `fromCharCode`, `atob > unescape`).
    pub how: String,
}

/// The values hidden in `script` (a script body, handler or URL), with how
/// each was decoded; values written in clear are left out (the message's
/// links already hold them).
pub fn values(script: &str) -> Vec<PayloadValue> {
    let mut state = Decoder::default();
    state.script(script, "", 0);
    state.found.sort();
    state.found.dedup();
    state.found
}

#[derive(Default)]
struct Decoder {
    budget: usize,
    found: Vec<PayloadValue>,
}

impl Decoder {
    /// Decodes what `text` (script code) hides; `how` names the layers so far.
    fn script(&mut self, text: &str, how: &str, depth: usize) {
        if depth >= MAX_DEPTH {
            return;
        }
        let literals = literals(text);
        // Concatenated literals ('ht' + 'tp://…') as one string too.
        let mut joined = Vec::new();
        for run in concatenations(text) {
            joined.push(run);
        }
        for (value, escaped) in literals.iter() {
            if *escaped {
                self.decoded(value, &join(how, "escapes"), depth);
            }
            self.literal(value, how, depth);
        }
        for value in joined {
            self.decoded(&value, &join(how, "concatenation"), depth);
            self.literal(&value, how, depth);
        }
        for codes in char_codes(text) {
            self.decoded(&codes, &join(how, "fromCharCode"), depth);
        }
    }

    /// A string literal: base64, percent-escaped or a `data:` URL inside it.
    fn literal(&mut self, value: &str, how: &str, depth: usize) {
        let trimmed = value.trim();
        if let Some(rest) = trimmed
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("data:"))
            .map(|_| &trimmed[5..])
        {
            let (header, payload) = rest.split_once(',').unwrap_or((rest, ""));
            let bytes = if header.to_ascii_lowercase().contains(";base64") {
                base64_decode(payload)
            } else {
                Some(percent_decode(payload))
            };
            if let Some(bytes) = bytes {
                self.decoded(&String::from_utf8_lossy(&bytes), &join(how, "data:"), depth);
            }
            return;
        }
        if looks_base64(trimmed)
            && let Some(bytes) = base64_decode(trimmed)
            && printable(&bytes)
        {
            self.decoded(&String::from_utf8_lossy(&bytes), &join(how, "atob"), depth);
        }
        if trimmed.contains('%') {
            let bytes = percent_decode(trimmed);
            if bytes != trimmed.as_bytes() {
                self.decoded(
                    &String::from_utf8_lossy(&bytes),
                    &join(how, "unescape"),
                    depth,
                );
            }
        }
    }

    /// A decoded string: its values, then what it hides in turn.
    fn decoded(&mut self, text: &str, how: &str, depth: usize) {
        if self.budget + text.len() > MAX_DECODED {
            return;
        }
        self.budget += text.len();
        for (kind, value) in extract(text) {
            if self.found.len() < MAX_VALUES {
                self.found.push(PayloadValue {
                    kind,
                    value,
                    how: how.to_string(),
                });
            }
        }
        self.script(text, how, depth + 1);
        self.literal(text, how, depth + 1);
    }
}

fn join(how: &str, step: &str) -> String {
    if how.is_empty() {
        step.to_string()
    } else {
        format!("{how} > {step}")
    }
}

/// The string literals of `code` (`'…'`, `"…"`, `` `…` ``), their escapes
/// decoded, with whether any escape was there.
fn literals(code: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut chars = code.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if !matches!(c, '\'' | '"' | '`') {
            continue;
        }
        let quote = c;
        let mut value = String::new();
        let mut escaped = false;
        while let Some((_, c)) = chars.next() {
            if c == quote {
                break;
            }
            if c != '\\' {
                value.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            let hex = |n: usize, chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
                let digits: String = (0..n)
                    .filter_map(|_| chars.next().map(|(_, c)| c))
                    .collect();
                u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
            };
            let decoded = match e {
                'x' => hex(2, &mut chars),
                'u' if chars.peek().is_some_and(|(_, c)| *c == '{') => {
                    chars.next();
                    let digits: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .take_while(|c| *c != '}')
                        .take(6)
                        .collect();
                    u32::from_str_radix(&digits, 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                'u' => hex(4, &mut chars),
                'n' => Some('\n'),
                't' => Some('\t'),
                other => Some(other),
            };
            escaped |= matches!(e, 'x' | 'u');
            value.extend(decoded);
        }
        out.push((value, escaped));
    }
    out
}

/// Runs of literals joined by `+` (`'ht' + "tp://" + 'x'`), as one string each.
fn concatenations(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    let mut run: Vec<String> = Vec::new();
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b'\'' | b'"') {
            let end = bytes[i + 1..]
                .iter()
                .position(|b| *b == c)
                .map_or(bytes.len(), |p| i + 1 + p);
            run.push(code.get(i + 1..end).unwrap_or_default().to_string());
            i = end + 1;
            // Whitespace, then `+`, then whitespace, then another literal keeps the run.
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'+' {
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < bytes.len() && matches!(bytes[j], b'\'' | b'"') {
                    i = j;
                    continue;
                }
            }
            if run.len() > 1 {
                out.push(run.concat());
            }
            run.clear();
            continue;
        }
        i += 1;
    }
    out
}

/// The strings of `String.fromCharCode(…)` calls whose arguments are numbers.
fn char_codes(code: &str) -> Vec<String> {
    let lower = code.to_ascii_lowercase();
    let mut out = Vec::new();
    for (at, _) in lower.match_indices("fromcharcode(") {
        let args = &code[at + "fromcharcode(".len()..];
        let Some(end) = args.find(')') else { continue };
        let text: Option<String> = args[..end]
            .split(',')
            .map(|n| {
                let n = n.trim();
                let value = match n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => n.parse::<u32>().ok(),
                };
                value.and_then(char::from_u32)
            })
            .collect();
        out.extend(text);
    }
    out
}

/// Whether a literal is worth decoding as base64.
fn looks_base64(text: &str) -> bool {
    text.len() >= 8
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
        && text.trim_end_matches('=').len() % 4 != 1
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(clean.trim_end_matches('='))
        .ok()
}

/// Decoded bytes that are text (what a script would use as a string).
fn printable(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace())
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            // %uXXXX, as unescape() reads it.
            if let Some(hex) = text
                .get(i + 2..i + 6)
                .filter(|_| bytes.get(i + 1).is_some_and(|b| *b == b'u' || *b == b'U'))
                && let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 6;
                continue;
            }
            if let Some(hex) = text.get(i + 1..i + 3)
                && let Ok(b) = u8::from_str_radix(hex, 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The URLs (with their hosts) and e-mail addresses written in `text`.
fn extract(text: &str) -> Vec<(ValueKind, String)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let stop = |b: &u8| b.is_ascii_whitespace() || b"\"'<>()[]{}\\^`|;,".contains(b);
    for at in memchr::memmem::find_iter(bytes, b"://") {
        let start = bytes[..at]
            .iter()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |p| p + 1);
        let scheme = text[start..at].to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "ftp" | "ws" | "wss") {
            continue;
        }
        let end = bytes[at + 3..]
            .iter()
            .position(stop)
            .map_or(bytes.len(), |p| at + 3 + p);
        if end <= at + 3 {
            continue;
        }
        let url = &text[start..end];
        out.push((ValueKind::Url, url.to_string()));
        let authority = &text[at + 3..end];
        let host_port = authority
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .rsplit('@')
            .next()
            .unwrap_or_default();
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or_default()
        } else {
            host_port.split(':').next().unwrap_or_default()
        };
        if host.parse::<std::net::IpAddr>().is_ok() {
            out.push((ValueKind::Ip, host.to_string()));
        } else if host.contains('.') {
            out.push((ValueKind::Domain, host.to_ascii_lowercase()));
        }
    }
    for at in memchr::memchr_iter(b'@', bytes) {
        let local = bytes[..at]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || b"._%+-".contains(b)))
            .map_or(0, |p| p + 1);
        let end = bytes[at + 1..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || b".-".contains(b)))
            .map_or(bytes.len(), |p| at + 1 + p);
        let domain = text[at + 1..end].trim_end_matches('.');
        // Not the user part of a URL (`https://user@host`).
        let in_url = text[..local].ends_with("://");
        if local < at && domain.contains('.') && !in_url {
            out.push((
                ValueKind::Email,
                format!("{}@{}", &text[local..at], domain).to_ascii_lowercase(),
            ));
        }
    }
    out
}

/// Adds to `report` the values decoded out of `scripts` (of MIME part
/// `part`), each once, with an informational [`kinds::PAYLOAD_VALUE`]
/// indicator naming it and how it was decoded.
pub(crate) fn add_to(report: &mut MessageReport, scripts: &[String], part: &str) {
    for script in scripts {
        for value in values(script) {
            if report
                .payload
                .iter()
                .any(|v| v.kind == value.kind && v.value == value.value)
            {
                continue;
            }
            report.indicators.push(Indicator::new(
                &kinds::PAYLOAD_VALUE,
                part,
                0,
                &format!("{:?} {} (decoded: {})", value.kind, value.value, value.how),
            ));
            report.payload.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(script: &str) -> Vec<(String, String)> {
        values(script)
            .into_iter()
            .filter(|v| v.kind == ValueKind::Url)
            .map(|v| (v.value, v.how))
            .collect()
    }

    #[test]
    fn each_encoding_gives_its_url() {
        let url = "https://c2.example.net/x.js";
        let b64 = base64::engine::general_purpose::STANDARD.encode(url);
        assert_eq!(
            urls(&format!("eval(atob('{b64}'))")),
            [(url.to_string(), "atob".to_string())]
        );
        let codes: Vec<String> = url.chars().map(|c| (c as u32).to_string()).collect();
        assert_eq!(
            urls(&format!("String.fromCharCode({})", codes.join(","))),
            [(url.to_string(), "fromCharCode".to_string())]
        );
        let hex: String = url
            .chars()
            .map(|c| format!("\\x{:02x}", c as u32))
            .collect();
        assert_eq!(
            urls(&format!("fetch(\"{hex}\")")),
            [(url.to_string(), "escapes".to_string())]
        );
        let pct: String = url.chars().map(|c| format!("%{:02X}", c as u32)).collect();
        assert_eq!(
            urls(&format!("unescape('{pct}')")),
            [(url.to_string(), "unescape".to_string())]
        );
        assert_eq!(
            urls("s.src = 'https://c2.' + \"example.net\" + '/x.js'"),
            [(url.to_string(), "concatenation".to_string())]
        );
        let inner = base64::engine::general_purpose::STANDARD.encode(format!("fetch('{url}')"));
        assert_eq!(
            urls(&format!("x = 'data:text/javascript;base64,{inner}'")),
            [(url.to_string(), "data:".to_string())]
        );
    }

    #[test]
    fn layers_nest_and_hosts_and_addresses_come_out() {
        let layer1 = "location='http://203.0.113.7:8080/p?u='+'me';n='ops@evil.example'";
        let b64 = base64::engine::general_purpose::STANDARD.encode(layer1);
        let pct: String = b64.chars().map(|c| format!("%{:02x}", c as u32)).collect();
        let found = values(&format!("eval(atob(unescape('{pct}')))"));
        let kinds: Vec<(ValueKind, &str)> =
            found.iter().map(|v| (v.kind, v.value.as_str())).collect();
        assert!(kinds.contains(&(ValueKind::Ip, "203.0.113.7")), "{found:?}");
        assert!(
            kinds.contains(&(ValueKind::Email, "ops@evil.example")),
            "{found:?}"
        );
        assert!(
            found.iter().all(|v| v.how.starts_with("unescape > atob")),
            "{found:?}"
        );
    }

    #[test]
    fn every_cut_of_a_hostile_script_is_read_without_panic() {
        let script = "eval(atob('aHR0cHM6Ly9jMi5leGFtcGxlLm5ldC8=')+String.fromCharCode(0x68,104,\u{1F600}) + '\\u{1F600}\\x4' + unescape('%u00e9%E2%9C%93%') + \"é'\\\"\" + 'data:;base64,' + 'ü@ä.x://@')";
        let mut cuts = 0;
        for (at, _) in script.char_indices() {
            values(&script[..at]);
            cuts += 1;
        }
        assert!(cuts > 100);
    }

    #[test]
    fn clear_text_and_noise_give_nothing() {
        assert!(values("alert(document.domain)").is_empty());
        assert!(values("var a = 'abcdefgh'; x('https://clear.example/')").is_empty());
        // Too deep: the budget of layers runs out instead of the stack.
        let mut script = "'https://deep.example/'".to_string();
        for _ in 0..10 {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&script);
            script = format!("atob('{b64}')");
        }
        assert!(urls(&script).is_empty());
    }
}
