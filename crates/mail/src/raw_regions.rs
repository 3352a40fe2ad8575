//! The message split again from its raw bytes, as the webmail's IMAP server
//! splits it, so that no difference between two MIME parsers hides a part
//! from the analysis.
//!
//! Roundcube shows a message through the structure Dovecot computes
//! (`BODYSTRUCTURE`) and the parts Dovecot cuts (`BODY[n]`), then decodes
//! each by its `Content-Transfer-Encoding`. Dovecot's `message-parser.c`
//! takes a boundary only at the start of a line, lets the line continue
//! after it (`--BND` also opens `--BNDX`, the longest open boundary winning),
//! and keeps the first `Content-Type` of a header block. mail-parser 0.11
//! also takes `--BND` in the middle of a line, which cut the HTML part of
//! issue 15's message short. [`split`] follows Dovecot; [`decode`] gives
//! every decoding a part may receive (each of its transfer encodings, and a
//! second layer when the first yields base64 or quoted-printable again);
//! [`split`] also names what makes the structure ambiguous, since two
//! readers of such a message may see two messages ([`Ambiguity`]).
//!
//! Everything is bounded: [`MAX_OPEN`] nested multiparts, [`MAX_REGIONS`]
//! parts, [`MAX_LAYERS`] decoding layers.

use std::ops::Range;

use base64::Engine as _;
use mail_parser::{MimeHeaders, PartType};

use crate::analyze::{ContentScan, MessageReport};
use crate::html::{self, Markup};
use crate::indicators::{self as kinds, Indicator};
use crate::limits::Deadline;

/// Multiparts open at once; deeper ones are read as plain parts.
pub const MAX_OPEN: usize = 64;

/// Parts kept per message; the rest are counted in [`Split::truncated`].
pub const MAX_REGIONS: usize = 2_000;

/// Decoding layers tried on one part (its own encoding, then one inside it).
pub const MAX_LAYERS: usize = 2;

/// A part holding content (no multipart container), as cut from the raw message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// IMAP part number (`1`, `2.1`), as Dovecot numbers it.
    pub part: String,
    /// Every `Content-Type` of its header block, `type/subtype` lower-cased,
    /// in order (the first is the one Dovecot uses); empty: `text/plain`.
    pub content_types: Vec<String>,
    /// Every `Content-Transfer-Encoding`, lower-cased, in order.
    pub encodings: Vec<String>,
    /// Its file name (`filename` or `name` parameter), when given.
    pub name: Option<String>,
    /// Its content, as raw bytes of the message (still encoded).
    pub body: Range<usize>,
    /// The line of the message where its content starts (1-based).
    pub line: u64,
}

impl Region {
    /// The content type Dovecot gives the part (`text/plain` by default).
    pub fn content_type(&self) -> &str {
        self.content_types
            .first()
            .map_or("text/plain", String::as_str)
    }
}

/// What makes a message's structure ambiguous: two MIME readers may cut or
/// decode it differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AmbiguityKind {
    /// An open boundary's delimiter (`--BND`) inside a line: mail-parser
    /// splits there, Dovecot and Python do not.
    BoundaryInsideLine,
    /// A line that starts with an open boundary and goes on (`--BNDX`):
    /// Dovecot splits there, Python does not.
    BoundaryPrefixLine,
    /// A multipart whose boundary is a prefix of an enclosing one's, or the reverse.
    NestedBoundaryPrefix,
    /// Two `Content-Type` headers in one header block.
    DuplicateContentType,
    /// Two `Content-Transfer-Encoding` headers in one header block.
    DuplicateTransferEncoding,
    /// A `Content-Type` with two `boundary` parameters.
    DuplicateBoundary,
    /// A part whose decoded content is itself encoded (base64 inside quoted-printable).
    NestedEncoding,
}

impl AmbiguityKind {
    /// What it is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            AmbiguityKind::BoundaryInsideLine => "boundary delimiter inside a line",
            AmbiguityKind::BoundaryPrefixLine => "line starting with a boundary and going on",
            AmbiguityKind::NestedBoundaryPrefix => "boundary that is a prefix of another",
            AmbiguityKind::DuplicateContentType => "two Content-Type headers in one part",
            AmbiguityKind::DuplicateTransferEncoding => {
                "two Content-Transfer-Encoding headers in one part"
            }
            AmbiguityKind::DuplicateBoundary => "two boundary parameters in one Content-Type",
            AmbiguityKind::NestedEncoding => "transfer encoding nested in another",
        }
    }
}

/// One ambiguity, where it was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambiguity {
    /// What it is.
    pub kind: AmbiguityKind,
    /// The part it concerns (`headers` for the top-level header block).
    pub part: String,
    /// The line of the message (1-based).
    pub line: u64,
    /// The line as written (attacker text, to be escaped by whoever shows it).
    pub snippet: String,
}

/// A message split from its raw bytes.
#[derive(Clone, Debug, Default)]
pub struct Split {
    /// Its parts holding content, in order.
    pub regions: Vec<Region>,
    /// What makes its structure ambiguous (one per kind and part).
    pub ambiguities: Vec<Ambiguity>,
    /// Parts left out past [`MAX_REGIONS`] or multiparts read as plain past [`MAX_OPEN`].
    pub truncated: usize,
}

impl Split {
    fn ambiguous(&mut self, kind: AmbiguityKind, part: &str, line: u64, text: &[u8]) {
        if self
            .ambiguities
            .iter()
            .any(|a| a.kind == kind && a.part == part)
        {
            return;
        }
        self.ambiguities.push(Ambiguity {
            kind,
            part: part.to_string(),
            line,
            snippet: crate::indicators::shorten(&String::from_utf8_lossy(text), 120),
        });
    }
}

/// An open multipart.
struct Open {
    boundary: Vec<u8>,
    part: String,
    children: usize,
    /// Its content as one part, kept if no delimiter of its own follows
    /// (Python then reads it as one text part, Dovecot as a preamble).
    alone: Region,
}

/// Ends multipart `o` at `end`: without parts, its content is one.
fn close(o: Open, end: usize, out: &mut Split) {
    if o.children == 0 {
        let mut state = State::Body(o.alone);
        finish(&mut state, end, out);
    }
}

/// Where the reader is.
enum State {
    /// Reading the header block of the entity numbered `part` (`""` for the message).
    Headers {
        part: String,
        start_line: u64,
        lines: Vec<Vec<u8>>,
        /// A `message/rfc822` body: its parts are numbered under `part`.
        nested: bool,
    },
    /// Reading the content of a part, from `start`.
    Body(Region),
    /// Between parts (preamble, epilogue): nothing kept.
    Skip,
}

/// Splits `raw` into its content parts as Dovecot does, with the ambiguities seen.
pub fn split(raw: &[u8]) -> Split {
    let mut out = Split::default();
    let mut open: Vec<Open> = Vec::new();
    let mut state = State::Headers {
        part: String::new(),
        start_line: 1,
        lines: Vec::new(),
        nested: false,
    };
    let mut at = 0;
    let mut line_no = 0u64;
    while at < raw.len() {
        let end = memchr::memchr(b'\n', &raw[at..]).map_or(raw.len(), |p| at + p + 1);
        let line = trim_eol(&raw[at..end]);
        line_no += 1;
        let start = at;
        at = end;

        if !open.is_empty() {
            check_inside_line(line, &open, &state, line_no, &mut out);
            if let Some(i) = boundary_of(line, &open) {
                // The [CR]LF before a delimiter belongs to it.
                let body_end = start
                    - usize::from(start > 0 && raw[start - 1] == b'\n')
                    - usize::from(start > 1 && raw[start - 1] == b'\n' && raw[start - 2] == b'\r');
                finish(&mut state, body_end, &mut out);
                let after = &line[2 + open[i].boundary.len()..];
                let closing = after.starts_with(b"--");
                let rest = if closing { &after[2..] } else { after };
                if !rest.iter().all(|b| *b == b' ' || *b == b'\t') {
                    let part = open[i].part.clone();
                    out.ambiguous(AmbiguityKind::BoundaryPrefixLine, &part, line_no, line);
                }
                for o in open.drain(i + 1..).rev() {
                    close(o, body_end, &mut out);
                }
                if closing {
                    if let Some(o) = open.pop() {
                        close(o, body_end, &mut out);
                    }
                    state = State::Skip;
                } else {
                    let mp = &mut open[i];
                    mp.children += 1;
                    state = State::Headers {
                        part: child(&mp.part, mp.children),
                        start_line: line_no + 1,
                        lines: Vec::new(),
                        nested: false,
                    };
                }
                continue;
            }
        }

        // The content begins after the blank line, or (as Python's parser
        // reads it) at a line that is no header.
        let content = match &mut state {
            State::Headers { .. } if line.is_empty() => (at, line_no + 1),
            State::Headers { lines, .. } => {
                match lines.last_mut() {
                    Some(last) if matches!(line[0], b' ' | b'\t') => {
                        last.push(b' ');
                        last.extend_from_slice(line.trim_ascii_start());
                        continue;
                    }
                    _ if memchr::memchr(b':', line).is_some() => {
                        lines.push(line.to_vec());
                        continue;
                    }
                    _ => {}
                }
                (start, line_no)
            }
            State::Body(_) | State::Skip => continue,
        };
        if let State::Headers {
            part,
            start_line,
            lines,
            nested,
        } = std::mem::replace(&mut state, State::Skip)
        {
            state = entity(
                part, nested, start_line, &lines, content.0, content.1, &mut open, &mut out,
            );
        }
    }
    // A header block without its blank line, at the end of the message.
    if matches!(state, State::Headers { .. })
        && let State::Headers {
            part,
            start_line,
            lines,
            nested,
        } = std::mem::replace(&mut state, State::Skip)
    {
        state = entity(
            part,
            nested,
            start_line,
            &lines,
            raw.len(),
            line_no + 1,
            &mut open,
            &mut out,
        );
    }
    finish(&mut state, raw.len(), &mut out);
    while let Some(o) = open.pop() {
        close(o, raw.len(), &mut out);
    }
    out
}

/// `line` without its `\n` or `\r\n`.
fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn child(parent: &str, n: usize) -> String {
    if parent.is_empty() {
        n.to_string()
    } else {
        format!("{parent}.{n}")
    }
}

/// Ends the part being read at `end`.
fn finish(state: &mut State, end: usize, out: &mut Split) {
    if let State::Body(mut region) = std::mem::replace(state, State::Skip) {
        region.body.end = end.max(region.body.start);
        if out.regions.len() < MAX_REGIONS {
            out.regions.push(region);
        } else {
            out.truncated += 1;
        }
    }
}

/// The open multipart whose boundary starts `line` (the longest, as
/// Dovecot's `boundary_find`), by index in `open`.
fn boundary_of(line: &[u8], open: &[Open]) -> Option<usize> {
    let rest = line.strip_prefix(b"--")?;
    open.iter()
        .enumerate()
        .filter(|(_, o)| rest.starts_with(&o.boundary))
        .max_by_key(|(i, o)| (o.boundary.len(), *i))
        .map(|(i, _)| i)
}

/// Notes an open boundary's delimiter in the middle of `line`.
fn check_inside_line(line: &[u8], open: &[Open], state: &State, line_no: u64, out: &mut Split) {
    if line.len() < 3 || memchr::memmem::find(&line[1..], b"--").is_none() {
        return;
    }
    for o in open {
        let mut delimiter = Vec::with_capacity(o.boundary.len() + 2);
        delimiter.extend_from_slice(b"--");
        delimiter.extend_from_slice(&o.boundary);
        if memchr::memmem::find(&line[1..], &delimiter).is_some() {
            let part = match state {
                State::Body(r) => r.part.clone(),
                State::Headers { part, .. } if !part.is_empty() => part.clone(),
                _ => o.part.clone(),
            };
            let part = if part.is_empty() {
                "headers".to_string()
            } else {
                part
            };
            out.ambiguous(AmbiguityKind::BoundaryInsideLine, &part, line_no, line);
            return;
        }
    }
}

/// The end of a header block: what follows it (a multipart's preamble, a
/// nested message's headers, or a part's content from `body`).
#[allow(clippy::too_many_arguments)]
fn entity(
    part: String,
    nested: bool,
    start_line: u64,
    lines: &[Vec<u8>],
    body: usize,
    body_line: u64,
    open: &mut Vec<Open>,
    out: &mut Split,
) -> State {
    let mut content_types = Vec::new();
    let mut encodings = Vec::new();
    let mut boundaries: Vec<Vec<u8>> = Vec::new();
    let mut name = None;
    let shown = if part.is_empty() {
        "headers".to_string()
    } else {
        part.clone()
    };
    for (i, header) in lines.iter().enumerate() {
        let Some(colon) = memchr::memchr(b':', header) else {
            continue;
        };
        let field = header[..colon].trim_ascii();
        let value = &header[colon + 1..];
        let line = start_line + i as u64;
        if field.eq_ignore_ascii_case(b"content-type") {
            let (ctype, params) = parse_content_type(value);
            if !content_types.is_empty() {
                out.ambiguous(AmbiguityKind::DuplicateContentType, &shown, line, header);
            }
            let mut here = 0;
            for (key, value) in params {
                if key == "boundary" {
                    here += 1;
                    if here == 2 {
                        out.ambiguous(AmbiguityKind::DuplicateBoundary, &shown, line, header);
                    }
                    if content_types.is_empty() && here == 1 {
                        boundaries.push(value.into_bytes());
                    }
                } else if (key == "name") && name.is_none() {
                    name = Some(value);
                }
            }
            content_types.push(ctype);
        } else if field.eq_ignore_ascii_case(b"content-transfer-encoding") {
            if !encodings.is_empty() {
                out.ambiguous(
                    AmbiguityKind::DuplicateTransferEncoding,
                    &shown,
                    line,
                    header,
                );
            }
            encodings.push(
                String::from_utf8_lossy(value.trim_ascii())
                    .trim_matches('"')
                    .to_ascii_lowercase(),
            );
        } else if field.eq_ignore_ascii_case(b"content-disposition") {
            let (_, params) = parse_content_type(value);
            if let Some((_, file)) = params.into_iter().find(|(k, _)| k == "filename") {
                name = Some(file);
            }
        }
    }
    let ctype = content_types
        .first()
        .cloned()
        .unwrap_or_else(|| "text/plain".to_string());
    // A message's own content (not multipart) is its part 1 (`2.1` inside part 2).
    let number = if part.is_empty() || nested {
        child(&part, 1)
    } else {
        part.clone()
    };
    let region = Region {
        part: number,
        content_types,
        encodings,
        name,
        body: body..body,
        line: body_line,
    };
    if ctype.starts_with("multipart/")
        && let Some(boundary) = boundaries.into_iter().next().filter(|b| !b.is_empty())
    {
        if open.len() >= MAX_OPEN {
            out.truncated += 1;
        } else {
            if let Some(other) = open
                .iter()
                .find(|o| o.boundary.starts_with(&boundary) || boundary.starts_with(&o.boundary))
            {
                let snippet = format!(
                    "boundary {:?} inside {:?}",
                    String::from_utf8_lossy(&boundary),
                    String::from_utf8_lossy(&other.boundary)
                );
                out.ambiguous(
                    AmbiguityKind::NestedBoundaryPrefix,
                    &shown,
                    start_line,
                    snippet.as_bytes(),
                );
            }
            open.push(Open {
                boundary,
                part,
                children: 0,
                alone: region,
            });
            return State::Skip;
        }
    }
    if ctype == "message/rfc822" && region.encodings.iter().all(|e| is_identity(e)) {
        return State::Headers {
            part: region.part,
            start_line: body_line,
            lines: Vec::new(),
            nested: true,
        };
    }
    State::Body(region)
}

/// `type/subtype` lower-cased and the parameters (names lower-cased, quotes removed).
fn parse_content_type(value: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(value);
    let mut fields = split_params(&text).into_iter();
    let ctype = fields
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let params = fields
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((k.trim().to_ascii_lowercase(), v.replace("\\\"", "\"")))
        })
        .collect();
    (ctype, params)
}

/// Splits on `;` outside double quotes.
fn split_params(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if quoted && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => quoted = !quoted,
            ';' if !quoted => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        escaped = false;
    }
    out.push(&text[start..]);
    out
}

fn is_identity(encoding: &str) -> bool {
    matches!(encoding, "" | "7bit" | "8bit" | "binary")
}

/// One decoding of a part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// How it was decoded (`quoted-printable`, `base64 inside quoted-printable`).
    pub how: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
}

/// Every decoding of `region` a reader may apply: by each of its transfer
/// encodings (identity when it has none or an unknown one), then once more
/// when a decoded layer is itself wholly base64 or quoted-printable (noted
/// in `split` as [`AmbiguityKind::NestedEncoding`]).
pub fn decode(raw: &[u8], region: &Region, split: &mut Split) -> Vec<Layer> {
    let body = &raw[region.body.clone()];
    let mut encodings: Vec<&str> = region
        .encodings
        .iter()
        .map(String::as_str)
        .filter(|e| matches!(*e, "base64" | "quoted-printable"))
        .collect();
    encodings.dedup();
    let mut layers: Vec<Layer> = Vec::new();
    // A reader that does not know (or does not take) an encoding shows the part as written.
    if encodings.is_empty()
        || region
            .encodings
            .iter()
            .any(|e| !matches!(e.as_str(), "base64" | "quoted-printable"))
    {
        layers.push(Layer {
            how: "none".to_string(),
            bytes: body.to_vec(),
        });
    }
    for e in encodings {
        layers.push(Layer {
            how: e.to_string(),
            bytes: decode_transfer(e, body),
        });
    }
    let first = layers.len();
    let markup_type = region.content_types.iter().any(|t| is_markup_type(t));
    for i in 0..first {
        if MAX_LAYERS < 2 || layers[i].how == "none" {
            continue;
        }
        let inner = if looks_base64(&layers[i].bytes) {
            "base64"
        } else if layers[i].how != "quoted-printable" && looks_quoted_printable(&layers[i].bytes) {
            "quoted-printable"
        } else {
            continue;
        };
        let bytes = decode_transfer(inner, &layers[i].bytes);
        // Only what a browser would render matters (a base64 text file in base64 does not).
        if !bytes.is_empty() && (markup_type || looks_markup(&bytes)) {
            let how = format!("{inner} inside {}", layers[i].how);
            split.ambiguous(
                AmbiguityKind::NestedEncoding,
                &region.part,
                region.line,
                how.as_bytes(),
            );
            layers.push(Layer { how, bytes });
        }
    }
    layers
}

/// Whether a content type is one a browser renders as a document (HTML, SVG, XML).
pub fn is_markup_type(content_type: &str) -> bool {
    content_type.contains("html") || content_type.contains("svg") || content_type.contains("xml")
}

/// Whether a file name is one a browser renders as a document.
fn has_markup_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".svg", ".xml", ".xhtml", ".xht", ".html", ".htm"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// Whether `bytes` hold the start of an HTML or SVG element a webmail
/// exploit needs (case ignored), in their first megabyte.
pub fn looks_markup(bytes: &[u8]) -> bool {
    const TAGS: &[&[u8]] = &[
        b"<html",
        b"<body",
        b"<svg",
        b"<script",
        b"<img",
        b"<iframe",
        b"<animate",
        b"<set",
        b"<object",
        b"<embed",
        b"<math",
        b"<form",
        b"<a ",
        b"<div",
        b"<!doctype",
        b"<?xml",
        b"<style",
        b"<meta",
        b"<table",
        b"<p>",
    ];
    let head = &bytes[..bytes.len().min(1 << 20)];
    memchr::memchr_iter(b'<', head).any(|at| {
        TAGS.iter().any(|t| {
            head.get(at..at + t.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(t))
        })
    })
}

/// `bytes` decoded by the transfer encoding named `encoding` (lower-case;
/// `base64` and `quoted-printable` decoded leniently, any other kept as is).
pub fn decode_transfer(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    match encoding {
        "base64" => base64_lenient(bytes),
        "quoted-printable" => quoted_printable(bytes),
        _ => bytes.to_vec(),
    }
}

/// Base64 as mail readers decode it: characters outside the alphabet
/// skipped, decoding stopped at padding.
fn base64_lenient(bytes: &[u8]) -> Vec<u8> {
    let clean: Vec<u8> = bytes
        .iter()
        .copied()
        .take_while(|b| *b != b'=')
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    // A lone last character carries no whole byte.
    let usable = clean.len() - usize::from(clean.len() % 4 == 1);
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&clean[..usable])
        .unwrap_or_default()
}

/// Quoted-printable (RFC 2045 §6.7), leniently: a bad `=XX` is kept as written.
fn quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        let rest = &bytes[i + 1..];
        // Soft line break: `=` then optional whitespace, then [CR]LF.
        let spaces = rest
            .iter()
            .take_while(|c| **c == b' ' || **c == b'\t')
            .count();
        match rest.get(spaces..) {
            Some([b'\r', b'\n', ..]) => {
                i += 1 + spaces + 2;
                continue;
            }
            Some([b'\n', ..]) => {
                i += 1 + spaces + 1;
                continue;
            }
            _ => {}
        }
        let hex = |c: u8| (c as char).to_digit(16);
        if let (Some(h), Some(l)) = (
            rest.first().and_then(|c| hex(*c)),
            rest.get(1).and_then(|c| hex(*c)),
        ) {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

/// Wholly base64 (alphabet, line breaks, final padding), long enough to mean it.
fn looks_base64(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii();
    let letters = text.iter().filter(|b| !b.is_ascii_whitespace()).count();
    letters >= 16
        && text.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b'\n' | b' ')
        })
        // Plain words are alphanumeric too: base64 of markup mixes cases and digits.
        && text.iter().any(u8::is_ascii_digit)
        && text.iter().any(u8::is_ascii_uppercase)
        && text.iter().any(u8::is_ascii_lowercase)
        && !text.contains(&b' ')
}

/// Quoted-printable escapes of markup (`=3C`, `=3D`) or soft line breaks.
fn looks_quoted_printable(bytes: &[u8]) -> bool {
    let escapes = memchr::memmem::find_iter(bytes, b"=3D").count()
        + memchr::memmem::find_iter(bytes, b"=3C").count()
        + memchr::memmem::find_iter(bytes, b"=3c").count()
        + memchr::memmem::find_iter(bytes, b"=3d").count();
    escapes >= 2
}

/// The decoded content of every part mail-parser gave and `analyze` scanned
/// as markup, nested messages included.
fn parser_contents<'m>(
    message: &'m mail_parser::Message<'_>,
    depth: usize,
    out: &mut Vec<&'m [u8]>,
) {
    for part in &message.parts {
        let as_markup = part
            .content_type()
            .is_some_and(|ct| ct.subtype().is_some_and(is_markup_type))
            || part.attachment_name().is_some_and(has_markup_name);
        match &part.body {
            PartType::Html(t) => out.push(t.as_bytes()),
            PartType::Text(t) if as_markup => out.push(t.as_bytes()),
            PartType::Binary(b) | PartType::InlineBinary(b) if as_markup => out.push(b),
            PartType::Message(nested) if depth < MAX_OPEN => {
                parser_contents(nested, depth + 1, out)
            }
            _ => {}
        }
    }
}

/// Adds to `report` what the raw split shows beyond mail-parser's `message`:
/// its ambiguities ([`kinds::MIME_AMBIGUOUS`]), and the HTML/SVG indicators,
/// links and `extra` scans of every decoding of a part that mail-parser did
/// not give as such (a part it cut short, a second `Content-Type`, an
/// encoding nested in another).
pub(crate) fn analyze_into(
    raw: &[u8],
    message: Option<&mail_parser::Message<'_>>,
    report: &mut MessageReport,
    extra: &mut Option<ContentScan<'_>>,
    deadline: &mut Deadline,
) {
    if deadline.passed(|| "the raw split".to_string()) {
        return;
    }
    let mut split = split(raw);
    let mut seen = Vec::new();
    if let Some(message) = message {
        parser_contents(message, 0, &mut seen);
    }
    let regions = std::mem::take(&mut split.regions);
    for region in &regions {
        if deadline.passed(|| format!("part {} (raw split)", region.part)) {
            break;
        }
        let markup_type = region.content_types.iter().any(|t| is_markup_type(t))
            || region.name.as_deref().is_some_and(has_markup_name);
        // A part no browser renders (an attachment, one declared type) is not decoded again.
        let rendered = markup_type
            || region.content_type().starts_with("text/")
            || region.content_types.len() > 1
            || region.encodings.len() > 1;
        if !rendered {
            continue;
        }
        for layer in decode(raw, region, &mut split) {
            if deadline.passed(|| format!("part {} (raw split, {})", region.part, layer.how)) {
                break;
            }
            let nested = layer.how.contains(" inside ");
            if !(markup_type || nested && looks_markup(&layer.bytes))
                || seen.contains(&layer.bytes.as_slice())
            {
                continue;
            }
            let part = if layer.how == "none" {
                format!("{} (raw split)", region.part)
            } else {
                format!("{} (raw split, {})", region.part, layer.how)
            };
            let html_body =
                region.content_types.iter().any(|t| t == "text/html") && region.name.is_none();
            let markup = if html_body {
                Markup::Html
            } else {
                Markup::Attachment
            };
            let text = String::from_utf8_lossy(&layer.bytes);
            let (mut found, scripts) =
                html::scan_with_scripts(&text, &part, markup, &mut report.problems);
            crate::payload::add_to(report, &scripts, &part);
            if let Some(scan) = extra.as_mut() {
                found.extend(scan(&layer.bytes, &part));
            }
            for indicator in found {
                let known = report
                    .indicators
                    .iter()
                    .any(|i| i.code == indicator.code && i.snippet == indicator.snippet);
                if !known {
                    report.indicators.push(indicator);
                }
            }
            crate::analyze::links(&text, report);
        }
    }
    for a in &split.ambiguities {
        // Located as YARA's raw-message matches are: part `message`, its line.
        report.indicators.push(Indicator::new(
            &kinds::MIME_AMBIGUOUS,
            "message",
            a.line,
            &format!("{} (part {}): {}", a.kind.describe(), a.part, a.snippet),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crlf(text: &str) -> Vec<u8> {
        text.replace('\n', "\r\n").into_bytes()
    }

    const ISSUE: &str = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BND\"\n\n--BND\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<html><body><p>visit --BND for details</p>\n<svg><animate attributeName=3D\"href \" values=3D\"javascript:alert(origin)\" beg=\nin=3D\"0s\" dur=3D\"1s\" /><a><text x=3D\"20\" y=3D\"20\">Open</text></a></svg>\n</body></html>\n--BND--\n";

    #[test]
    fn a_boundary_inside_a_line_neither_splits_nor_passes_unseen() {
        for raw in [crlf(ISSUE), ISSUE.as_bytes().to_vec()] {
            let mut split = split(&raw);
            assert_eq!(split.regions.len(), 1, "{split:?}");
            let region = split.regions[0].clone();
            assert_eq!(region.part, "1");
            assert_eq!(region.content_type(), "text/html");
            let layers = decode(&raw, &region, &mut split);
            let text = String::from_utf8_lossy(&layers[0].bytes).into_owned();
            assert!(text.starts_with("<html>"), "{text}");
            assert!(text.ends_with("</body></html>"), "{text:?}");
            assert!(text.contains("values=\"javascript:alert(origin)\" begin=\"0s\""));
            let kinds: Vec<_> = split.ambiguities.iter().map(|a| a.kind).collect();
            assert_eq!(kinds, [AmbiguityKind::BoundaryInsideLine]);
            assert_eq!(split.ambiguities[0].line, 8);
        }
    }

    #[test]
    fn parts_are_numbered_as_imap_numbers_them() {
        let raw = crlf(
            "Content-Type: multipart/mixed; boundary=a\n\npreamble\n--a\n\nplain\n--a\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n--a\nContent-Type: message/rfc822\n\nSubject: inner\n\nhello\n--a--\nepilogue\n",
        );
        let split = split(&raw);
        let parts: Vec<(&str, &str, &[u8])> = split
            .regions
            .iter()
            .map(|r| (r.part.as_str(), r.content_type(), &raw[r.body.clone()]))
            .collect();
        assert_eq!(
            parts,
            [
                ("1", "text/plain", &b"plain"[..]),
                ("2.1", "text/html", b"<p>x</p>"),
                ("3.1", "text/plain", b"hello"),
            ]
        );
        assert!(split.ambiguities.is_empty(), "{:?}", split.ambiguities);
    }

    #[test]
    fn the_longest_open_boundary_wins_and_prefixes_are_noted() {
        let raw = crlf(
            "Content-Type: multipart/mixed; boundary=BND\n\n--BND\nContent-Type: multipart/alternative; boundary=BND2\n\n--BND2\nContent-Type: text/html\n\n<b>in</b>\n--BND2--\n--BNDX\n\ntail\n--BND--\n",
        );
        let split = split(&raw);
        let parts: Vec<(&str, &[u8])> = split
            .regions
            .iter()
            .map(|r| (r.part.as_str(), &raw[r.body.clone()]))
            .collect();
        assert_eq!(parts, [("1.1", &b"<b>in</b>"[..]), ("2", b"tail")]);
        let mut kinds: Vec<_> = split.ambiguities.iter().map(|a| a.kind).collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                AmbiguityKind::BoundaryPrefixLine,
                AmbiguityKind::NestedBoundaryPrefix
            ]
        );
    }

    #[test]
    fn duplicate_headers_keep_the_first_and_are_noted() {
        let raw = crlf(
            "Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\nContent-Type: text/html\nContent-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\n\nPGI+eDwvYj4=\n--z--\n",
        );
        let mut split = split(&raw);
        let region = split.regions[0].clone();
        assert_eq!(region.content_types, ["text/plain", "text/html"]);
        let layers = decode(&raw, &region, &mut split);
        let decoded: Vec<&[u8]> = layers.iter().map(|l| l.bytes.as_slice()).collect();
        assert_eq!(decoded, [&b"PGI+eDwvYj4="[..], b"<b>x</b>"]);
        let kinds: Vec<_> = split.ambiguities.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                AmbiguityKind::DuplicateContentType,
                AmbiguityKind::DuplicateTransferEncoding
            ]
        );
    }

    #[test]
    fn base64_inside_quoted_printable_is_decoded_twice() {
        let raw = crlf(
            "Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\nPHN2Zz48YW5pbWF0ZSBhdHRyaWJ1dGVOYW1lPSJocmVmICIvPjwvc3ZnPg=3D=3D\n",
        );
        let mut split = split(&raw);
        let region = split.regions[0].clone();
        let layers = decode(&raw, &region, &mut split);
        assert_eq!(layers.len(), 2);
        assert_eq!(layers[1].how, "base64 inside quoted-printable");
        assert_eq!(
            layers[1].bytes,
            b"<svg><animate attributeName=\"href \"/></svg>"
        );
        assert_eq!(split.ambiguities[0].kind, AmbiguityKind::NestedEncoding);
    }

    #[test]
    fn every_cut_of_a_hostile_message_is_read_without_panic() {
        let mut raw = crlf(ISSUE);
        raw.extend_from_slice(b"\r\n--BND\r\nContent-Type: text/html\r\nContent-Type: x\r\nContent-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nPHN2Zz4=3D\r\n--BNDX--\r\n\xff\xfe--");
        for end in 0..=raw.len() {
            let mut split = split(&raw[..end]);
            for region in split.regions.clone() {
                assert!(region.body.end <= end);
                decode(&raw[..end], &region, &mut split);
            }
        }
    }

    #[test]
    fn ordinary_text_is_not_taken_for_an_encoding() {
        let raw = crlf(
            "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nHello Bob=2C see you at 10=3A30.\n",
        );
        let mut split = split(&raw);
        let region = split.regions[0].clone();
        assert_eq!(decode(&raw, &region, &mut split).len(), 1);
        assert!(split.ambiguities.is_empty());
    }
}
