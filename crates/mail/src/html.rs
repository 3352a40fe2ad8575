//! HTML and SVG analysis of what webmail exploits use, on markup tokenized
//! by html5ever (the WHATWG tokenizer browsers follow: character references
//! decoded, attribute names lower-cased, script bodies read as raw text),
//! never by regular expressions over markup.
//!
//! Markup found inside `data:` URLs (base64 or percent-encoded) is decoded
//! and scanned again, to a bounded depth and size.

use std::cell::RefCell;

use base64::Engine as _;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use crate::indicators::{self as kinds, Indicator, Kind};

/// How deep `data:` documents inside documents are followed.
pub const MAX_DEPTH: usize = 3;

/// The largest decoded `data:` document scanned.
pub const MAX_DATA_DOCUMENT: usize = 1024 * 1024;

/// What a document is: it decides which findings apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markup {
    /// An HTML body (text/html).
    Html,
    /// An attachment a browser may render (XML, SVG, XHTML).
    Attachment,
}

/// Scans `text` (decoded markup of MIME part `part`) and returns what it
/// finds; a `data:` document nested past [`MAX_DEPTH`] or larger than
/// [`MAX_DATA_DOCUMENT`] is not scanned, and said so in `problems`.
pub fn scan(text: &str, part: &str, markup: Markup, problems: &mut Vec<String>) -> Vec<Indicator> {
    scan_with_scripts(text, part, markup, problems).0
}

/// As [`scan`], with the code the markup would run: script bodies, event
/// handler values and `javascript:` URLs (at most [`MAX_SCRIPTS`]), for
/// [`crate::payload`] to decode.
pub fn scan_with_scripts(
    text: &str,
    part: &str,
    markup: Markup,
    problems: &mut Vec<String>,
) -> (Vec<Indicator>, Vec<String>) {
    let mut found = Vec::new();
    let mut scripts = Vec::new();
    scan_into(text, part, markup, 0, &mut found, &mut scripts, problems);
    (found, scripts)
}

/// Scripts kept per document for payload decoding.
pub const MAX_SCRIPTS: usize = 200;

fn scan_into(
    text: &str,
    part: &str,
    markup: Markup,
    depth: usize,
    found: &mut Vec<Indicator>,
    scripts: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let sink = Sink {
        state: RefCell::new(State {
            part: part.to_string(),
            markup,
            depth,
            found: Vec::new(),
            hidden: Vec::new(),
            in_script: false,
            script: String::new(),
            script_line: 0,
            nested: Vec::new(),
            scripts: Vec::new(),
            unread: Vec::new(),
            raw_open: [0; BREAKOUT_ELEMENTS.len()],
            reparse: Vec::new(),
        }),
    };
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(text));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let state = tokenizer.sink.state.into_inner();
    found.extend(state.found);
    scripts.extend(state.scripts);
    scripts.truncate(MAX_SCRIPTS);
    problems.extend(state.unread);
    for (document, inner) in state.nested {
        scan_into(
            &document,
            &inner,
            Markup::Attachment,
            depth + 1,
            found,
            scripts,
            problems,
        );
    }
    // Markup a browser reads out of an attribute value (a raw-text breakout):
    // scanned as the same kind of document, so its handlers are found too.
    for (markup_text, inner) in state.reparse {
        scan_into(
            &markup_text,
            &inner,
            markup,
            depth + 1,
            found,
            scripts,
            problems,
        );
    }
}

struct Sink {
    state: RefCell<State>,
}

struct State {
    part: String,
    markup: Markup,
    depth: usize,
    found: Vec<Indicator>,
    /// Open elements hidden by style or attribute (their names).
    hidden: Vec<String>,
    in_script: bool,
    script: String,
    script_line: u64,
    /// `data:` documents to scan next: (text, where).
    nested: Vec<(String, String)>,
    /// Code the document would run, for payload decoding.
    scripts: Vec<String>,
    /// `data:` documents not scanned, and why.
    unread: Vec<String>,
    /// How many of each of [`BREAKOUT_ELEMENTS`] are open: elements a browser
    /// reads as raw text and this tokenizer as markup (as a sanitizer does).
    /// Counts, so that hostile nesting costs nothing per attribute.
    raw_open: [u32; BREAKOUT_ELEMENTS.len()],
    /// Markup a browser reads out of an attribute value: (text, where).
    reparse: Vec<(String, String)>,
}

/// Elements whose content a browser reads as raw text up to their end tag
/// (WHATWG "parsing HTML fragments": noembed, noframes, xmp, iframe, and
/// noscript when scripting is on), while a sanitizer that parses them as
/// markup sees an attribute value where the browser sees `</noembed>` and
/// a live tag after it.
const BREAKOUT_ELEMENTS: &[&str] = &["noembed", "noscript", "noframes", "xmp", "iframe"];

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => return state.tag(&tag, line),
            Token::CharacterTokens(text) if state.in_script => state.script.push_str(&text),
            Token::EOFToken if state.in_script => state.end_script(),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Code-running words in script text, handlers and URLs.
const RUNS_CODE: &[&str] = &[
    "eval(",
    "atob(",
    "fetch(",
    "document.",
    "window.",
    "fromcharcode",
    "import(",
    "xmlhttprequest",
    "location",
    "settimeout(",
    "cookie",
    "alert(",
    "prompt(",
    "confirm(",
    "top.",
    "parent.",
];

/// Words that decode a hidden payload at run time.
const OBFUSCATION: &[&str] = &[
    "eval(",
    "atob(",
    "fromcharcode",
    "unescape(",
    "function(",
    "string.raw",
    "decodeuricomponent(",
    "\\x",
    "\\u00",
];

/// Strings of APT28's Roundcube payloads (SpyPress, the 2026 "Roundish" toolkit).
const SPYPRESS: &[&str] = &[
    "c_c_f_u_",
    "k_t_f_u_",
    "t_e_f_u_",
    "m_f_u_",
    "c_r_m_f_u_",
    "_action_type[0]=redirect_copy",
    "plugin.managesieve-save",
    "advenwolf@proton.me",
    "systemhealthchek",
];

fn contains_any(haystack: &str, needles: &[&str]) -> Option<usize> {
    let lower = haystack.to_ascii_lowercase();
    needles.iter().find_map(|n| lower.find(n))
}

/// A URL as a browser resolves its scheme: control characters and
/// whitespace removed, lower-cased.
fn scheme_view(url: &str) -> String {
    url.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase()
}

impl State {
    fn add(&mut self, kind: &Kind, line: u64, snippet: &str) {
        self.found
            .push(Indicator::new(kind, &self.part, line, snippet));
    }

    fn end_script(&mut self) {
        self.in_script = false;
        let script = std::mem::take(&mut self.script);
        let line = self.script_line;
        if self.scripts.len() < MAX_SCRIPTS {
            self.scripts.push(script.clone());
        }
        if contains_any(&script, OBFUSCATION).is_some() {
            self.add(&kinds::OBFUSCATED_SCRIPT, line, &script);
        }
        if let Some(at) = contains_any(&script, SPYPRESS) {
            self.add(
                &kinds::SPYPRESS_MARKER,
                line,
                &script[at.min(script.len())..],
            );
        }
    }

    fn tag(&mut self, tag: &Tag, line: u64) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if tag.kind == TagKind::EndTag {
            if name == "script" && self.in_script {
                self.end_script();
            }
            if let Some(i) = BREAKOUT_ELEMENTS.iter().position(|e| *e == name) {
                self.raw_open[i] = self.raw_open[i].saturating_sub(1);
            }
            if let Some(at) = self.hidden.iter().rposition(|h| h == name) {
                self.hidden.truncate(at);
            }
            return TokenSinkResult::Continue;
        }
        let attr = |wanted: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == wanted)
                .map(|a| &*a.value)
        };
        let shown = format!("<{name} {}>", attributes(tag));
        if self.raw_open.iter().any(|n| *n > 0) {
            self.breakout(tag, line);
        }
        if !tag.self_closing
            && let Some(i) = BREAKOUT_ELEMENTS.iter().position(|e| *e == name)
        {
            self.raw_open[i] = self.raw_open[i].saturating_add(1);
        }

        // Script elements: any name ending in `script` (x:script in XHTML attachments).
        let local = name.rsplit(':').next().unwrap_or(name);
        if local == "script" {
            // In an attachment a browser renders inline, any script runs
            // (x:script in the XHTML namespace is the sanitizer bypass).
            if self.markup == Markup::Attachment {
                self.add(&kinds::XHTML_SCRIPT_ATTACHMENT, line, &shown);
            } else {
                self.add(&kinds::SCRIPT_ELEMENT, line, &shown);
            }
            if let Some(src) = attr("src")
                && scheme_view(src).starts_with("data:")
            {
                self.add(&kinds::DATA_DOCUMENT_URL, line, src);
            }
            if !tag.self_closing {
                self.in_script = true;
                self.script_line = line;
                return TokenSinkResult::RawData(RawKind::ScriptData);
            }
            return TokenSinkResult::Continue;
        }

        // Event handlers.
        for a in &tag.attrs {
            let attr_name: &str = &a.name.local;
            let attr_local = attr_name.rsplit(':').next().unwrap_or(attr_name);
            if attr_local.len() > 2
                && attr_local.starts_with("on")
                && attr_local[2..].bytes().all(|b| b.is_ascii_alphabetic())
            {
                let snippet = format!("<{name} {attr_name}=\"{}\">", &*a.value);
                if self.scripts.len() < MAX_SCRIPTS {
                    self.scripts.push(a.value.to_string());
                }
                if contains_any(&a.value, RUNS_CODE).is_some() {
                    self.add(&kinds::SCRIPTED_EVENT_HANDLER, line, &snippet);
                } else {
                    self.add(&kinds::EVENT_HANDLER, line, &snippet);
                }
                if contains_any(&a.value, OBFUSCATION).is_some() {
                    self.add(&kinds::OBFUSCATED_SCRIPT, line, &snippet);
                }
                if contains_any(&a.value, SPYPRESS).is_some() {
                    self.add(&kinds::SPYPRESS_MARKER, line, &snippet);
                }
            }
        }

        // SVG animation retargeting href.
        if matches!(local, "animate" | "set")
            && let Some(target) = attr("attributename")
        {
            let trimmed = target.trim();
            let bare = trimmed
                .rsplit(':')
                .next()
                .unwrap_or(trimmed)
                .trim()
                .to_ascii_lowercase();
            if bare == "href" {
                let script_values = ["values", "to", "from", "by"]
                    .iter()
                    .filter_map(|n| attr(n))
                    .any(|v| scheme_view(v).contains("javascript:"));
                if trimmed.len() != target.len() {
                    self.add(&kinds::SVG_ANIMATE_HREF, line, &shown);
                } else if trimmed.contains(':') {
                    self.add(&kinds::SVG_ANIMATE_XLINK_HREF, line, &shown);
                } else if script_values {
                    self.add(&kinds::SVG_ANIMATE_SCRIPT_URL, line, &shown);
                }
            }
        }

        // <body> desanitization (html4inline: a bgcolor= inside a value).
        if local == "body" {
            let values: Vec<String> = tag
                .attrs
                .iter()
                .map(|a| a.value.to_ascii_lowercase())
                .collect();
            let bgcolor = values.iter().any(|v| v.contains("bgcolor="));
            let handler = values.iter().any(|v| has_handler_text(v));
            if bgcolor && handler {
                self.add(&kinds::BODY_DESANITIZATION, line, &shown);
            }
        }

        // URLs.
        for a in &tag.attrs {
            let attr_name: &str = &a.name.local;
            let attr_local = attr_name.rsplit(':').next().unwrap_or(attr_name);
            if !matches!(
                attr_local,
                "href"
                    | "src"
                    | "action"
                    | "formaction"
                    | "data"
                    | "background"
                    | "poster"
                    | "srcdoc"
            ) {
                continue;
            }
            let url: &str = &a.value;
            let view = scheme_view(url);
            if view.starts_with("javascript:") || view.starts_with("vbscript:") {
                if self.scripts.len() < MAX_SCRIPTS {
                    self.scripts.push(url.to_string());
                }
                self.add(
                    &kinds::SCRIPT_URL,
                    line,
                    &format!("<{name} {attr_name}=\"{url}\">"),
                );
                if contains_any(url, OBFUSCATION).is_some() {
                    self.add(&kinds::OBFUSCATED_SCRIPT, line, url);
                }
            }
            if let Some(rest) = url.trim_start().strip_prefix("data:").or_else(|| {
                url.trim_start()
                    .get(..5)
                    .filter(|p| p.eq_ignore_ascii_case("data:"))
                    .map(|_| &url.trim_start()[5..])
            }) {
                self.data_url(name, local, rest, line);
            }
            if attr_local == "href" {
                let lower = url.to_ascii_lowercase();
                let markup = ["<", "%3c", "javascript", "eval", "atob", "onerror"]
                    .iter()
                    .any(|m| lower.contains(m));
                if markup && lower.contains("/public/launchnewwindow.jsp") {
                    self.add(&kinds::WEBMAIL_REFLECTED_XSS_LINK, line, url);
                }
                if markup && lower.contains("/m/momoveto") {
                    self.add(&kinds::ZIMBRA_MOMOVETO_XSS_LINK, line, url);
                }
            }
        }

        // Credential forms.
        let style = attr("style")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .replace(' ', "");
        let hidden_here = attr("hidden").is_some()
            || style.contains("display:none")
            || style.contains("visibility:hidden")
            || style.contains("opacity:0")
            || attr("type").is_some_and(|t| t.eq_ignore_ascii_case("hidden"));
        if local == "input" && attr("type").is_some_and(|t| t.eq_ignore_ascii_case("password")) {
            let autofill = attr("autocomplete").is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v == "on" || v.contains("password") || v.contains("username")
            });
            if hidden_here || !self.hidden.is_empty() || autofill {
                self.add(&kinds::HIDDEN_CREDENTIAL_FORM, line, &shown);
            } else {
                self.add(&kinds::CREDENTIAL_FORM, line, &shown);
            }
        }
        const VOID: &[&str] = &[
            "input", "img", "br", "hr", "meta", "link", "area", "base", "col", "embed", "source",
            "wbr",
        ];
        if hidden_here && !tag.self_closing && !VOID.contains(&local) {
            self.hidden.push(name.to_string());
        }
        match local {
            "style" => TokenSinkResult::RawData(RawKind::Rawtext),
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            _ => TokenSinkResult::Continue,
        }
    }

    /// An attribute value of `tag` (inside an open raw-text element) that
    /// closes that element and then holds script markup: what a browser
    /// parses as a live tag after the end tag is flagged and scanned again.
    fn breakout(&mut self, tag: &Tag, line: u64) {
        for a in &tag.attrs {
            let value: &str = &a.value;
            let lower = value.to_ascii_lowercase();
            let Some((element, at)) = BREAKOUT_ELEMENTS
                .iter()
                .zip(self.raw_open)
                .filter(|(_, open)| *open > 0)
                .find_map(|(e, _)| {
                    let closing = format!("</{e}");
                    lower.find(&closing).map(|at| (*e, at))
                })
            else {
                continue;
            };
            // The browser's markup starts after the end tag's `>`.
            let after = lower[at..]
                .find('>')
                .map_or(value.len(), |end| at + end + 1);
            let markup = &value[after..];
            if !crate::webmail_vectors::has_script_markup(markup) {
                continue;
            }
            let kind = if element == "noembed" {
                &kinds::MDAEMON_NOEMBED_BREAKOUT
            } else {
                &kinds::RAW_TEXT_BREAKOUT
            };
            let snippet = format!("<{} {}=\"{value}\">", &*tag.name, &*a.name.local);
            self.add(kind, line, &snippet);
            if self.depth < MAX_DEPTH {
                let inner = format!(
                    "{} (markup after </{element}> in an attribute, line {line})",
                    self.part
                );
                self.reparse.push((markup.to_string(), inner));
            }
        }
    }

    /// A `data:` URL in attribute of element `name`: `rest` is what follows `data:`.
    fn data_url(&mut self, name: &str, local: &str, rest: &str, line: u64) {
        let (header, payload) = rest.split_once(',').unwrap_or((rest, ""));
        let mime = header.split(';').next().unwrap_or_default();
        let squeezed: String = mime
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let is_svg = squeezed.contains("svg");
        let is_document = is_svg || squeezed.contains("html") || squeezed.contains("xml");
        let svg_reference = matches!(local, "use" | "image" | "feimage");
        let shown = format!(
            "<{name} …=\"data:{}\">",
            crate::indicators::shorten(rest, 100)
        );
        if svg_reference && mime.chars().any(char::is_whitespace) {
            self.add(&kinds::SVG_USE_DATA_MIME_SPACE, line, &shown);
        } else if svg_reference && is_svg {
            self.add(&kinds::SVG_DATA_SMUGGLED, line, &shown);
        } else if is_document && local != "img" {
            self.add(&kinds::DATA_DOCUMENT_URL, line, &shown);
        }
        if !is_document {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.unread.push(format!(
                "{}: data: document at line {line} not scanned (data: documents nested deeper than {MAX_DEPTH})",
                self.part
            ));
            return;
        }
        let payload = payload.split('#').next().unwrap_or_default();
        let decoded = if header.to_ascii_lowercase().contains(";base64") {
            let clean: String = payload.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(clean.trim_end_matches('='))
                .or_else(|_| {
                    base64::engine::general_purpose::STANDARD_NO_PAD
                        .decode(clean.trim_end_matches('='))
                })
                .ok()
        } else {
            Some(percent_decode(payload))
        };
        match decoded {
            Some(bytes) if bytes.len() <= MAX_DATA_DOCUMENT => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let inner = format!("{} (data: document, line {line})", self.part);
                self.nested.push((text, inner));
            }
            Some(_) => self.unread.push(format!(
                "{}: data: document at line {line} not scanned (larger than {MAX_DATA_DOCUMENT} bytes decoded)",
                self.part
            )),
            None => {}
        }
    }
}

/// Whether an attribute value holds text that would become an event handler
/// (`onanimationstart=…`), as the html4inline desanitization produces.
pub(crate) fn has_handler_text(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    while let Some(at) = value[i..].find("on") {
        let start = i + at;
        let boundary = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let letters = bytes[start + 2..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let after = start + 2 + letters;
        if boundary && letters > 2 && bytes.get(after) == Some(&b'=') {
            return true;
        }
        i = start + 2;
    }
    false
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn attributes(tag: &Tag) -> String {
    tag.attrs
        .iter()
        .map(|a| format!("{}=\"{}\"", &*a.name.local, &*a.value))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(html: &str) -> Vec<String> {
        let mut c: Vec<String> = scan(html, "1", Markup::Html, &mut Vec::new())
            .into_iter()
            .map(|i| i.code)
            .collect();
        c.sort();
        c.dedup();
        c
    }

    #[test]
    fn animate_href_variants_map_to_their_cves() {
        assert_eq!(
            codes(r#"<svg><animate attributeName="href " values="javascript:alert(1)"/></svg>"#),
            ["VM001"]
        );
        assert_eq!(
            codes(
                r#"<svg><animate attributeName="xlink:href" values="javascript:alert(1)"/></svg>"#
            ),
            ["VM002"]
        );
        assert_eq!(
            codes(r#"<svg><set attributeName="href" to="javascript:void(0)"/></svg>"#),
            ["VM003"]
        );
        assert!(codes(r#"<svg><animate attributeName="opacity" values="0;1"/></svg>"#).is_empty());
    }

    #[test]
    fn data_documents_past_the_depth_are_reported_not_scanned() {
        use base64::Engine as _;
        // An SVG in a data: SVG in a data: SVG…, ten deep.
        let mut doc = r#"<svg><animate attributeName="href " values="javascript:alert(1)"/></svg>"#
            .to_string();
        for _ in 0..10 {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&doc);
            doc = format!(r#"<svg><use href="data:image/svg+xml;base64,{b64}#x"/></svg>"#);
        }
        let mut problems = Vec::new();
        let found = scan(&doc, "1", Markup::Html, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains(&format!("nested deeper than {MAX_DEPTH}")));
        // The levels read are flagged; the payload ten deep is not reached.
        assert!(found.iter().all(|i| i.code == "VM005"));
        assert_eq!(found.len(), MAX_DEPTH + 1);
    }

    #[test]
    fn entity_encoded_attributes_are_decoded_first() {
        let html = r#"<svg><animate attributeName="&#x68;ref&#32;" values="&#106;avascript:alert(1)"/></svg>"#;
        assert_eq!(codes(html), ["VM001"]);
    }

    #[test]
    fn data_svg_documents_are_scanned_again() {
        let inner = r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="x" onerror="eval(atob('YQ=='))"/></svg>"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
        let html = format!(r#"<svg><use href="data:image/s vg+xml;base64,{b64}#x"/></svg>"#);
        let found = codes(&html);
        assert!(found.contains(&"VM004".to_string()), "{found:?}");
        assert!(found.contains(&"VM011".to_string()), "{found:?}");
        assert!(found.contains(&"VM014".to_string()), "{found:?}");
    }

    #[test]
    fn body_desanitization_and_hidden_forms() {
        let html = r#"<body title="bgcolor=foo" name="bar style=animation-name:progress-bar-stripes onanimationstart=alert(origin) foo=bar">x</body>"#;
        assert_eq!(codes(html), ["VM006"]);
        let form = r#"<div style="display: none"><form><input type="text" name="username" autocomplete="on"><input type="password" name="password"></form></div>"#;
        assert_eq!(codes(form), ["VM016"]);
        assert_eq!(
            codes(r#"<form><input type="password" name="p"></form>"#),
            ["VM017"]
        );
    }

    #[test]
    fn ordinary_newsletter_markup_is_quiet() {
        let html = r##"<html><head><style>a{color:red}</style></head><body bgcolor="#ffffff"><table><tr><td><a href="https://example.com/?a=1&amp;b=2"><img src="https://example.com/x.png" alt="x"></a></td></tr></table></body></html>"##;
        assert!(codes(html).is_empty());
    }

    #[test]
    fn breakouts_are_found_once_per_attribute_whatever_the_nesting() {
        // Hostile nesting: 20,000 open noembed elements cost one count, and each
        // attribute is looked at once (not once per open element).
        let mut html = "<noembed><i title=\"a\">".repeat(20_000);
        html.push_str(r#"<b title="</noembed><img src=x onerror=eval(atob('YQ=='))>">"#);
        let found = codes(&html);
        assert_eq!(
            found.iter().filter(|c| *c == "VM024").count(),
            1,
            "{found:?}"
        );
        assert!(found.iter().any(|c| c == "VM011"), "{found:?}");
        // Closed before the attribute: no breakout.
        let closed = r#"<noembed>x</noembed><b title="</noembed><img src=x onerror=eval(1)>">"#;
        assert!(!codes(closed).iter().any(|c| c == "VM024"));
    }
}
