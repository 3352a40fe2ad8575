//! The indicators a message can carry: each a stable code, a name, a level,
//! the CVE or ATT&CK technique it stands for, and why it matters.

use serde::Serialize;

/// How serious an indicator (and a message's verdict) is, in Sigma's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing.
    Informational,
    /// Unusual.
    Low,
    /// Suspicious.
    Medium,
    /// Hostile by construction.
    High,
    /// A known exploit.
    Critical,
}

impl Level {
    /// The level's name, as findings spell it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// Reads a level name (YARA rule metadata); unknown names are `None`.
    pub fn from_name(name: &str) -> Option<Level> {
        Some(match name.to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
}

/// A kind of indicator.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    /// Stable code (`VM001`).
    pub code: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Level when found.
    pub level: Level,
    /// The CVE it exploits, when one fits.
    pub cve: Option<&'static str>,
    /// ATT&CK technique ids.
    pub attack: &'static [&'static str],
    /// What it is and why it matters.
    pub description: &'static str,
}

macro_rules! kinds {
    ($($ident:ident = $code:literal, $name:literal, $level:ident, $cve:expr, [$($attack:literal),*], $description:literal;)*) => {
        $(
            #[doc = $description]
            pub const $ident: Kind = Kind {
                code: $code,
                name: $name,
                level: Level::$level,
                cve: $cve,
                attack: &[$($attack),*],
                description: $description,
            };
        )*
        /// Every indicator kind, in code order.
        pub const ALL: &[Kind] = &[$($ident),*];
    };
}

kinds! {
    SVG_ANIMATE_HREF = "VM001", "svg_animate_href", Critical, Some("CVE-2024-37383"), ["T1203", "T1059.007"],
        "An SVG <animate> or <set> whose attributeName is href with surrounding whitespace (Roundcube < 1.5.7 / 1.6.7 keeps it and the browser retargets a link to its javascript: values).";
    SVG_ANIMATE_XLINK_HREF = "VM002", "svg_animate_xlink_href", Critical, Some("CVE-2025-68461"), ["T1203", "T1059.007"],
        "An SVG <animate> or <set> whose attributeName is a namespaced href (xlink:href): the Roundcube sanitizer (< 1.5.12 / 1.6.12) compared the name without the prefix.";
    SVG_ANIMATE_SCRIPT_URL = "VM003", "svg_animate_script_url", High, None, ["T1203", "T1059.007"],
        "An SVG <animate>/<set> that retargets href to a javascript: URL: the XSS family of CVE-2024-37383 and CVE-2025-68461, caught by current sanitizers but never benign in mail.";
    SVG_USE_DATA_MIME_SPACE = "VM004", "svg_use_data_mime_space", Critical, Some("CVE-2023-5631"), ["T1203", "T1059.007"],
        "An SVG <use>/<image>/<feImage> whose href is a data: SVG with whitespace inside the MIME type (image/s vg+xml): Winter Vivern's 2023 Roundcube 0-day (< 1.4.15, 1.5.5, 1.6.4).";
    SVG_DATA_SMUGGLED = "VM005", "svg_data_smuggled", High, None, ["T1027.006", "T1203"],
        "An SVG element referencing a data: SVG document: markup smuggled past the sanitizer; its decoded content is scanned again.";
    BODY_DESANITIZATION = "VM006", "body_desanitization", Critical, Some("CVE-2024-42009"), ["T1203", "T1059.007"],
        "A <body> attribute value that carries bgcolor= and an event handler: Roundcube's html4inline() (<= 1.5.7 / 1.6.7) rewrote it into live attributes.";
    LINKREF_PLACEHOLDER = "VM007", "linkref_placeholder", Critical, Some("CVE-2020-35730"), ["T1203", "T1059.007"],
        "A text/plain link reference with markup followed by Roundcube's internal ##str_replacement_N## placeholder (< 1.2.13, 1.3.16, 1.4.10; APT28).";
    LINKREF_MARKUP = "VM008", "linkref_markup", High, Some("CVE-2023-43770"), ["T1203", "T1059.007"],
        "A text/plain link reference whose brackets hold < or > before a URL: rcube_string_replacer (< 1.4.14, 1.5.4, 1.6.3) emitted it as markup (APT28, CERT-UA#10859).";
    XHTML_SCRIPT_ATTACHMENT = "VM009", "xhtml_script_attachment", Critical, Some("CVE-2024-42008"), ["T1203", "T1059.007"],
        "An attachment (XML, SVG, any type a browser renders) holding an XHTML-namespace script element: Roundcube (<= 1.6.7) served it inline.";
    EVENT_HANDLER = "VM010", "event_handler", Medium, None, ["T1059.007"],
        "An HTML/SVG element with an on* event-handler attribute: sanitizers remove them, mail senders have no use for them.";
    SCRIPTED_EVENT_HANDLER = "VM011", "scripted_event_handler", High, None, ["T1203", "T1059.007"],
        "An event handler that runs code (eval, atob, fetch, document., window., fromCharCode, import): the <img onerror> APT28 placed in mail to Horde IMP (no CVE) and hid in MDaemon's noembed breakout (VM024); generic, so it names no CVE.";
    SCRIPT_URL = "VM012", "script_url", High, None, ["T1059.007"],
        "A javascript:/vbscript: URL in a link, source, form action or SVG href (after entity decoding and whitespace removal).";
    SCRIPT_ELEMENT = "VM013", "script_element", Medium, None, ["T1059.007"],
        "A <script> element in an HTML part.";
    OBFUSCATED_SCRIPT = "VM014", "obfuscated_script", High, None, ["T1027", "T1059.007"],
        "Script (element, handler or URL) using eval/atob/fromCharCode/unescape/Function/String.raw: decoding a hidden payload at run time.";
    DATA_DOCUMENT_URL = "VM015", "data_document_url", High, None, ["T1027.006", "T1059.007"],
        "A data: URL carrying an HTML or SVG document in a link, frame, object or image.";
    HIDDEN_CREDENTIAL_FORM = "VM016", "hidden_credential_form", High, None, ["T1056.003"],
        "A password input in a hidden element or with autocomplete: the SpyPress trick that lets the browser fill in the victim's saved webmail password.";
    CREDENTIAL_FORM = "VM017", "credential_form", Medium, None, ["T1566.002", "T1056.003"],
        "A form with a password field inside the message: phishing that asks for the password in the mail itself.";
    HEADER_MARKUP = "VM018", "header_markup", High, None, ["T1203", "T1059.007"],
        "A header value with script markup (<script, on*=, javascript:): a webmail that shows the header unescaped runs it.";
    WEBMAIL_REFLECTED_XSS_LINK = "VM019", "webmail_reflected_xss_link", High, Some("CVE-2022-27926"), ["T1204.001", "T1059.007"],
        "A link to Zimbra's /public/launchNewWindow.jsp carrying markup or script: the reflected XSS of ZCS 9.0 < P24 that Winter Vivern sent.";
    SPYPRESS_MARKER = "VM020", "spypress_marker", Critical, None, ["T1114.003", "T1111", "T1087.003"],
        "Strings of the APT28 SpyPress / Roundish Roundcube payloads: C2 prefixes (c_c_f_u_, k_t_f_u_, t_e_f_u_, m_f_u_), the managesieve redirect form or its known targets.";
    ZIMBRA_CALENDAR_HEADER_MARKUP = "VM021", "zimbra_calendar_header_markup", Critical, Some("CVE-2024-27443"), ["T1203", "T1059.007"],
        "Script markup in the X-Zimbra-Calendar-Intended-For header: Zimbra Classic's CalendarInvite (ZCS 9.0 < P39, 10.0 < 10.0.7) wrote it into the page unescaped (APT28 RoundPress).";
    ICS_SCRIPT_MARKUP = "VM022", "ics_script_markup", Critical, Some("CVE-2025-27915"), ["T1203", "T1059.007"],
        "An iCalendar (text/calendar or .ics) part whose text holds script markup (<script, an on*= handler in a tag, javascript:): Zimbra Classic (ZCS 9.0 < P44, 10.0 < 10.0.13, 10.1 < 10.1.5) rendered ICS content unsanitized.";
    ZIMBRA_MOMOVETO_XSS_LINK = "VM023", "zimbra_momoveto_xss_link", High, Some("CVE-2023-37580"), ["T1204.001", "T1059.007"],
        "A link to Zimbra's mobile /m/momoveto carrying markup in its parameters: the reflected XSS of ZCS 8.8.15 < P41 Winter Vivern used (Google TAG).";
    MDAEMON_NOEMBED_BREAKOUT = "VM024", "mdaemon_noembed_breakout", Critical, Some("CVE-2024-11182"), ["T1203", "T1059.007"],
        "An attribute value (ESET: a title) of an element inside <noembed> that holds </noembed> and then a tag with script: a sanitizer reads it as text of the attribute, a browser ends the noembed there and runs the hidden <img onerror> (MDaemon WorldClient <= 24.5.0, APT28 RoundPress 0-day).";
    SOGO_ICS_SVG_ONREPEAT = "VM025", "sogo_ics_svg_onrepeat", Critical, Some("CVE-2026-8496"), ["T1203", "T1059.007"],
        "An iCalendar (text/calendar or .ics) part whose text holds SVG with an onrepeat handler: SOGo (< 5.12.8) rendered the invitation's description with too little sanitizing (CERT/CC VU#487613, TA458).";
    RAW_TEXT_BREAKOUT = "VM026", "raw_text_breakout", High, None, ["T1203", "T1059.007", "T1027"],
        "An attribute value inside <noscript>, <noframes>, <xmp> or <iframe> that closes that element and then holds a tag with script: markup a sanitizer reads as an attribute and a browser as a live tag (mutation XSS); generic, so it names no CVE.";
    MIME_AMBIGUOUS = "VM040", "mime_ambiguous", Medium, None, ["T1027", "T1036"],
        "A message whose MIME structure two readers may cut or decode differently (boundary text inside a line, a boundary that prefixes another, duplicate Content-Type or Content-Transfer-Encoding, an encoding nested in another): the way to show a webmail a part its scanner does not see.";
    PAYLOAD_VALUE = "VM041", "payload_value", Informational, None, ["T1027", "T1071.001"],
        "A URL, host, address or e-mail address decoded out of a script, handler or javascript: URL (atob, fromCharCode, unescape, escapes, data: URLs, concatenation): where the payload calls home, matched against the indicator feeds.";
    MIME_STRUCTURE_LIMIT = "VM090", "mime_structure_limit", Medium, None, [],
        "A MIME structure past vigie's bounds (nesting deeper than 100, the default of Postfix's mime_nesting_limit, or more than 10,000 parts) or one whose multiparts list a part twice or their own ancestor (each part is read once): no mail client writes one; it is built to exhaust or crash the tools that read it. The message is read up to that point.";
    ANALYSIS_TIME_LIMIT = "VM091", "analysis_time_limit", Medium, None, [],
        "A message whose analysis took longer than vigie's limit (30 s): the parts and regions not reached by then were not analysed. Real mail takes milliseconds; a message built to be slow aims to stall the tools that read it.";
    READ_IN_PART = "VM092", "read_in_part", Low, None, [],
        "A message another of vigie's bounds cut short (a calendar text past 4 MiB, markup past the analysis bounds, messages nested in messages deeper than the limit): what lies past the bound was not examined, and the reason names it. Flagged so that no message read in part goes unnamed.";
}

/// One indicator found in a message.
#[derive(Clone, Debug, Serialize)]
pub struct Indicator {
    /// Its code (`VM001`), or `YARA:<rule>` for a YARA match.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: Level,
    /// The CVE, when one fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    /// ATT&CK technique ids.
    pub attack: Vec<String>,
    /// The MIME part (`1.2`), `headers` for the header block.
    pub part: String,
    /// Line in the part's decoded content (or in the `data:` document named by `part`).
    pub line: u64,
    /// What was seen, shortened; raw attacker text, to be escaped by whoever shows it.
    pub snippet: String,
}

impl Indicator {
    /// An indicator of `kind` in `part` at `offset`.
    pub fn new(kind: &Kind, part: &str, line: u64, snippet: &str) -> Indicator {
        Indicator {
            code: kind.code.to_string(),
            name: kind.name.to_string(),
            level: kind.level,
            cve: kind.cve.map(str::to_string),
            attack: kind.attack.iter().map(|a| a.to_string()).collect(),
            part: part.to_string(),
            line,
            snippet: shorten(snippet, 160),
        }
    }
}

/// `text` cut to at most `max` characters, on a character boundary.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_order() {
        let codes: Vec<&str> = ALL.iter().map(|k| k.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }
}
