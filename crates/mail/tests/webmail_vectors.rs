//! The mail-borne vectors of the other webmails (Zimbra, MDaemon, Horde) and
//! the rule that a CVE is named only where the shape is specific to it.
//!
//! Each vector is built from its published description (cited beside it) into
//! a message, and must be flagged high or critical, with its CVE when it has
//! one: as written, split across quoted-printable lines, base64-encoded,
//! entity-encoded and nested in a `data:` document, where that encoding can
//! carry the vector (a header has no `data:` document).

use base64::Engine as _;
use vigie_mail::indicators::ALL;
use vigie_mail::store::RawMessage;
use vigie_mail::{Level, MessageReport};

/// Every indicator, with the CVE it names (or none) and the shape that
/// justifies it. A new indicator, or a CVE added to or taken from one, fails
/// this test until it is listed here with its reason.
const INDICATOR_SHAPES: &[(&str, Option<&str>, &str)] = &[
    (
        "VM001",
        Some("CVE-2024-37383"),
        "SVG animate/set attributeName=\"href \" (whitespace around it), Roundcube < 1.5.7/1.6.7",
    ),
    (
        "VM002",
        Some("CVE-2025-68461"),
        "SVG animate/set attributeName=\"xlink:href\", Roundcube < 1.5.12/1.6.12",
    ),
    (
        "VM003",
        None,
        "SVG animate/set retargeting href to javascript: (the family of VM001/VM002, any sanitizer)",
    ),
    (
        "VM004",
        Some("CVE-2023-5631"),
        "SVG use/image href=data:image/s vg+xml (whitespace in the MIME type), Roundcube < 1.6.4",
    ),
    (
        "VM005",
        None,
        "SVG element referencing a data: SVG document (smuggling, any webmail)",
    ),
    (
        "VM006",
        Some("CVE-2024-42009"),
        "<body> attribute value with bgcolor= and an on* handler (html4inline desanitization)",
    ),
    (
        "VM007",
        Some("CVE-2020-35730"),
        "text/plain linkref with markup before ##str_replacement_N##",
    ),
    (
        "VM008",
        Some("CVE-2023-43770"),
        "text/plain linkref brackets holding < or > before a URL",
    ),
    (
        "VM009",
        Some("CVE-2024-42008"),
        "renderable attachment with an XHTML-namespace script element",
    ),
    ("VM010", None, "any on* handler (generic)"),
    (
        "VM011",
        None,
        "an on* handler that runs code: <img onerror> of Horde IMP and many others (generic)",
    ),
    ("VM012", None, "javascript:/vbscript: URL (generic)"),
    ("VM013", None, "<script> element in an HTML part (generic)"),
    (
        "VM014",
        None,
        "eval/atob/fromCharCode in script (generic obfuscation)",
    ),
    (
        "VM015",
        None,
        "data: URL carrying an HTML/SVG document (generic)",
    ),
    (
        "VM016",
        None,
        "hidden or autofilled password input (SpyPress technique, no flaw)",
    ),
    (
        "VM017",
        None,
        "password form in the mail (phishing, no flaw)",
    ),
    (
        "VM018",
        None,
        "script markup in any header (generic; the Zimbra header is VM021)",
    ),
    (
        "VM019",
        Some("CVE-2022-27926"),
        "link to Zimbra /public/launchNewWindow.jsp carrying markup",
    ),
    (
        "VM020",
        None,
        "SpyPress / Roundish payload strings (a toolkit, not a flaw)",
    ),
    (
        "VM021",
        Some("CVE-2024-27443"),
        "script markup in the X-Zimbra-Calendar-Intended-For header",
    ),
    (
        "VM022",
        Some("CVE-2025-27915"),
        "script markup in an iCalendar (text/calendar, .ics) part",
    ),
    (
        "VM023",
        Some("CVE-2023-37580"),
        "link to Zimbra /m/momoveto carrying markup",
    ),
    (
        "VM024",
        Some("CVE-2024-11182"),
        "</noembed> then a tag with script inside an attribute value of an element within <noembed> (ESET RoundPress, MDaemon)",
    ),
    (
        "VM025",
        Some("CVE-2026-8496"),
        "SVG with an onrepeat handler in an iCalendar part (CERT/CC VU#487613, SOGo < 5.12.8)",
    ),
    (
        "VM026",
        None,
        "the same breakout out of noscript/noframes/xmp/iframe (generic mutation XSS)",
    ),
    (
        "VM040",
        None,
        "MIME structure two readers cut differently (evasion, no flaw)",
    ),
    (
        "VM041",
        None,
        "a value decoded out of a payload (informational)",
    ),
    ("VM090", None, "MIME structure past vigie's bounds"),
    (
        "VM091",
        None,
        "analysis past vigie's time limit (a bound, no flaw)",
    ),
    ("VM092", None, "another of vigie's bounds reached (no flaw)"),
];

#[test]
fn every_indicator_names_a_cve_only_for_its_specific_shape() {
    let named: Vec<(&str, Option<&str>)> = ALL.iter().map(|k| (k.code, k.cve)).collect();
    let listed: Vec<(&str, Option<&str>)> =
        INDICATOR_SHAPES.iter().map(|(k, c, _)| (*k, *c)).collect();
    assert_eq!(
        named, listed,
        "an indicator's CVE (or its absence) is not listed with its shape"
    );
    // The generic ones name no CVE but an ATT&CK technique.
    for kind in ALL
        .iter()
        .filter(|k| k.cve.is_none() && !["VM090", "VM091", "VM092"].contains(&k.code))
    {
        assert!(
            !kind.attack.is_empty(),
            "{} has an ATT&CK technique",
            kind.code
        );
    }
    // A CVE-bearing indicator is high or critical: it is an exploit's shape.
    for kind in ALL.iter().filter(|k| k.cve.is_some()) {
        assert!(
            kind.level >= Level::High,
            "{} is high or critical",
            kind.code
        );
    }
    for (code, cve, shape) in INDICATOR_SHAPES {
        println!("{code} {}: {shape}", cve.unwrap_or("no CVE"));
    }
}

/// A message with `headers` and a part of `content_type` holding `body` in `encoding`.
fn message(
    headers: &str,
    content_type: &str,
    disposition: &str,
    encoding: &str,
    body: &str,
) -> RawMessage {
    let text = format!(
        "From: \"Calendar\" <calendar@partner.example>\r\nTo: alice@lab.test\r\nSubject: Meeting\r\nMessage-ID: <v@partner.example>\r\n{headers}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b1\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n{disposition}\r\n{body}\r\n--b1--\r\n"
    );
    RawMessage {
        location: Default::default(),
        bytes: text.into_bytes(),
    }
}

fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    let mut column = 0;
    for b in text.bytes() {
        let encoded = match b {
            b'\n' => {
                out.push_str("\r\n");
                column = 0;
                continue;
            }
            b'=' | 0..=31 | 127.. => format!("={b:02X}"),
            _ => (b as char).to_string(),
        };
        if column + encoded.len() > 7 {
            out.push_str("=\r\n");
            column = 0;
        }
        column += encoded.len();
        out.push_str(&encoded);
    }
    out
}

fn base64_lines(text: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(text)
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Every letter of every quoted attribute value as a numeric character reference.
fn entity_encoded(html: &str) -> String {
    let mut out = String::new();
    let mut in_value = false;
    for c in html.chars() {
        if c == '"' {
            in_value = !in_value;
            out.push(c);
        } else if in_value && c.is_ascii_alphabetic() {
            out.push_str(&format!("&#{};", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn nested_in_data_svg(html: &str) -> String {
    let inner = format!(r#"<svg xmlns="http://www.w3.org/2000/svg">{html}</svg>"#);
    let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
    format!(
        r#"<html><body><svg><use href="data:image/svg+xml;base64,{b64}#a"></use></svg></body></html>"#
    )
}

/// `None` when the report is high or critical and carries `code` (and `cve`).
fn check(what: &str, code: &str, cve: Option<&str>, report: &MessageReport) -> Option<String> {
    let found = report
        .indicators
        .iter()
        .any(|i| i.code == code && i.cve.as_deref() == cve);
    (!found || report.level < Some(Level::High)).then(|| {
        format!(
            "{what}: level {:?}, indicators {:?}",
            report.level,
            report
                .indicators
                .iter()
                .map(|i| (&i.code, &i.cve))
                .collect::<Vec<_>>()
        )
    })
}

/// An HTML vector in every encoding: (what, indicator code, CVE, payload,
/// its entity-encoded form where encoding every attribute letter would
/// break the exploit in a browser).
type HtmlVector = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
);

const HTML_VECTORS: &[HtmlVector] = &[
    (
        // Winter Vivern's Zimbra link (Proofpoint 2023; THREATS.md §1 CVE-2022-27926).
        "Zimbra launchNewWindow.jsp link",
        "VM019",
        Some("CVE-2022-27926"),
        r#"<html><body><p>Your mailbox</p><a href="https://mail.victim.example/public/launchNewWindow.jsp?skin=%22%3E%3Cscript%20src%3Dhttps://x.example/a.js%3E%3C/script%3E">Open</a></body></html>"#,
        None,
    ),
    (
        // Google TAG: /m/momoveto?st= with markup (THREATS.md §1 CVE-2023-37580).
        "Zimbra momoveto link",
        "VM023",
        Some("CVE-2023-37580"),
        r#"<html><body><a href="https://mail.victim.example/m/momoveto?st=%22%3E%3Cimg%20src=x%20onerror=eval(atob('YWxlcnQoMSk='))%3E">Move</a></body></html>"#,
        None,
    ),
    (
        // The img onerror APT28 sent to Horde IMP (ESET RoundPress: "an old XSS
        // vulnerability in Horde by placing a script in an <img onerror> handler";
        // no CVE): generic, so no CVE named.
        "img onerror (Horde IMP)",
        "VM011",
        None,
        r#"<html><body><p>Hello</p><img src="x" onerror="eval(atob('dmFyIHM9ZG9jdW1lbnQ='))" style="display:none"></body></html>"#,
        None,
    ),
    (
        // MDaemon CVE-2024-11182 as ESET's RoundPress report describes it: "a malformed
        // title attribute with a noembed tag" renders a hidden <img onerror> (THREATS.md §1;
        // ESET via BleepingComputer 2025-05-15). A sanitizer sees one img with a title; a
        // browser ends the noembed at the </noembed> inside it and runs the second img.
        "noembed title breakout (MDaemon)",
        "VM024",
        Some("CVE-2024-11182"),
        r#"<html><body><p><noembed><img title="</noembed><img src onerror=eval(atob('dmFyIHM9ZG9jdW1lbnQ='))>"></noembed></p></body></html>"#,
        // The browser reads noembed's content as raw text: only the hidden img's
        // handler can be entity-encoded (decoded when that img is parsed).
        Some(
            r#"<html><body><p><noembed><img title="</noembed><img src onerror=&#101;&#118;&#97;&#108;(&#97;&#116;&#111;&#98;('dmFyIHM9ZG9jdW1lbnQ='))>"></noembed></p></body></html>"#,
        ),
    ),
];

#[test]
fn every_other_webmail_vector_is_flagged_in_every_encoding() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (what, code, cve, payload, entity_form) in HTML_VECTORS {
        let entities = entity_form.map_or_else(|| entity_encoded(payload), str::to_string);
        let html = "text/html; charset=utf-8";
        let variants = [
            ("as written", message("", html, "", "8bit", payload)),
            (
                "quoted-printable split",
                message("", html, "", "quoted-printable", &quoted_printable(payload)),
            ),
            (
                "base64",
                message("", html, "", "base64", &base64_lines(payload)),
            ),
            ("entity-encoded", message("", html, "", "8bit", &entities)),
            (
                "nested in a data: SVG",
                message(
                    "",
                    html,
                    "",
                    "base64",
                    &base64_lines(&nested_in_data_svg(payload)),
                ),
            ),
        ];
        for (how, raw) in variants {
            failures.extend(check(
                &format!("{what} {how}"),
                code,
                *cve,
                &vigie_mail::analyze(&raw, None),
            ));
            checked += 1;
        }
    }

    // Zimbra CVE-2025-27915: script in an ICS attachment (StrikeReady's case used a
    // <details ontoggle> handler in the calendar text), folded as RFC 5545 folds lines.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Partner//EN\r\nBEGIN:VEVENT\r\nUID:42@partner.example\r\nSUMMARY:Board meeting\r\nDESCRIPTION:Agenda<details open ontoggle=\"eval(atob('YWxlcnQoMSk='))\">\r\n  <summary>x</summary></details>\r\nEND:VEVENT\r\nEND:VCALENDAR";
    let folded = ics.replace("ontoggle", "ont\r\n oggle");
    let calendar = "text/calendar; charset=utf-8; method=REQUEST";
    let attached = "Content-Disposition: attachment; filename=\"invite.ics\"\r\n";
    let ics_variants = [
        ("as written", message("", calendar, "", "8bit", ics)),
        (
            "folded across ICS lines",
            message("", calendar, "", "8bit", &folded),
        ),
        (
            "quoted-printable split",
            message("", calendar, "", "quoted-printable", &quoted_printable(ics)),
        ),
        (
            "base64 .ics attachment",
            message(
                "",
                "application/octet-stream",
                attached,
                "base64",
                &base64_lines(ics),
            ),
        ),
        (
            "entity-encoded handler",
            message("", calendar, "", "8bit", &entity_encoded(ics)),
        ),
    ];
    for (how, raw) in ics_variants {
        failures.extend(check(
            &format!("ICS {how}"),
            "VM022",
            Some("CVE-2025-27915"),
            &vigie_mail::analyze(&raw, None),
        ));
        checked += 1;
    }

    // SOGo CVE-2026-8496: "SVG content embedded in the description field of an ICS file,
    // with an onrepeat event handler" (CVE record, CERT/CC VU#487613; fixed in 5.12.8).
    let sogo = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Partner//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:77@partner.example\r\nSUMMARY:Budget\r\nDESCRIPTION:Agenda<svg><animate onrepeat=\"eval(atob('YWxlcnQoMSk='))\" attributeName=\"x\" dur=\"1s\" repeatCount=\"2\"/></svg>\r\nEND:VEVENT\r\nEND:VCALENDAR";
    let sogo_variants = [
        ("as written", message("", calendar, "", "8bit", sogo)),
        (
            "folded across ICS lines",
            message(
                "",
                calendar,
                "",
                "8bit",
                &sogo.replace("onrepeat", "onre\r\n peat"),
            ),
        ),
        (
            "quoted-printable split",
            message(
                "",
                calendar,
                "",
                "quoted-printable",
                &quoted_printable(sogo),
            ),
        ),
        (
            "base64 .ics attachment",
            message(
                "",
                "application/octet-stream",
                attached,
                "base64",
                &base64_lines(sogo),
            ),
        ),
        (
            "entity-encoded handler",
            message("", calendar, "", "8bit", &entity_encoded(sogo)),
        ),
    ];
    for (how, raw) in sogo_variants {
        failures.extend(check(
            &format!("SOGo ICS {how}"),
            "VM025",
            Some("CVE-2026-8496"),
            &vigie_mail::analyze(&raw, None),
        ));
        checked += 1;
    }

    // Zimbra CVE-2024-27443: markup in X-Zimbra-Calendar-Intended-For (THREATS.md §1, ESET).
    let value = r#"<img src=x onerror="eval(atob('YWxlcnQoMSk='))">"#;
    let b_encoded = format!(
        "=?utf-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(value)
    );
    let q_encoded = format!(
        "=?utf-8?Q?{}?=",
        value
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            })
            .collect::<String>()
    );
    let header_variants = [
        (
            "as written",
            format!("X-Zimbra-Calendar-Intended-For: {value}\r\n"),
        ),
        (
            "folded across header lines",
            "X-Zimbra-Calendar-Intended-For: <img src=x\r\n onerror=\"eval(atob('YWxlcnQoMSk='))\">\r\n".to_string(),
        ),
        (
            "RFC 2047 base64",
            format!("X-Zimbra-Calendar-Intended-For: {b_encoded}\r\n"),
        ),
        (
            "RFC 2047 quoted-printable",
            format!("X-Zimbra-Calendar-Intended-For: {q_encoded}\r\n"),
        ),
        (
            "entity-encoded handler",
            format!(
                "X-Zimbra-Calendar-Intended-For: {}\r\n",
                entity_encoded(value)
            ),
        ),
    ];
    for (how, header) in header_variants {
        let raw = message(
            &header,
            "text/calendar; method=REQUEST",
            "",
            "8bit",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR",
        );
        failures.extend(check(
            &format!("calendar header {how}"),
            "VM021",
            Some("CVE-2024-27443"),
            &vigie_mail::analyze(&raw, None),
        ));
        checked += 1;
    }
    println!(
        "{checked} vector messages checked, {} not flagged",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn ordinary_invites_and_headers_stay_below_high() {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:7@partner.example\r\nSUMMARY:Budget review\r\nDESCRIPTION:Room 4\\, second floor. Bring the <b>draft</b> figures.\r\nX-ALT-DESC;FMTTYPE=text/html:<html><body><p>Room 4</p><a href=\"https://intranet.example/budget\">budget</a></body></html>\r\nEND:VEVENT\r\nEND:VCALENDAR";
    let raw = message(
        "X-Zimbra-Calendar-Intended-For: alice@lab.test\r\n",
        "text/calendar; method=REQUEST",
        "",
        "8bit",
        ics,
    );
    let report = vigie_mail::analyze(&raw, None);
    assert!(report.level < Some(Level::High), "{:?}", report.indicators);
}

#[test]
fn noembed_text_and_titles_without_a_breakout_name_no_cve() {
    let quiet = [
        // A title that mentions markup but is not inside a noembed.
        r#"<html><body><img title="</noembed><img src onerror=eval(1)>" src="cid:logo"></body></html>"#,
        // Inside a noembed, a title that closes it but holds no script after.
        r#"<html><body><noembed><img title="</noembed><b>bold</b>"></noembed></body></html>"#,
    ];
    for html in quiet {
        let raw = message("", "text/html", "", "8bit", html);
        let report = vigie_mail::analyze(&raw, None);
        assert!(
            report
                .indicators
                .iter()
                .all(|i| i.code != "VM024" && i.code != "VM026"),
            "{html}: {:?}",
            report.indicators
        );
    }
    // The same breakout out of noscript is the generic mutation XSS, no CVE.
    let raw = message(
        "",
        "text/html",
        "",
        "8bit",
        r#"<html><body><noscript><p title="</noscript><img src=x onerror=eval(atob('YQ=='))>"></noscript></body></html>"#,
    );
    let report = vigie_mail::analyze(&raw, None);
    let breakout = report.indicators.iter().find(|i| i.code == "VM026");
    assert!(
        breakout.is_some_and(|i| i.cve.is_none()),
        "{:?}",
        report.indicators
    );
    // The hidden img's handler is found in the markup the browser reads.
    assert!(
        report.indicators.iter().any(|i| i.code == "VM011"),
        "{:?}",
        report.indicators
    );
    assert!(report.level >= Some(Level::High));
}

#[test]
fn a_calendar_with_svg_but_no_onrepeat_is_zimbra_shaped_not_sogo() {
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:<svg onload=\"eval(1)\"></svg>\r\nEND:VEVENT\r\nEND:VCALENDAR";
    let raw = message("", "text/calendar", "", "8bit", ics);
    let report = vigie_mail::analyze(&raw, None);
    let codes: Vec<&str> = report.indicators.iter().map(|i| i.code.as_str()).collect();
    assert!(
        codes.contains(&"VM022") && !codes.contains(&"VM025"),
        "{codes:?}"
    );
}

/// Found by fuzzing (the mail target, 2026-12-02): the markup's place in the
/// unfolded, unescaped calendar text was used to cut the text as written,
/// where escapes and folds put it elsewhere, inside a multi-byte character:
/// the scan panicked. The indicator's line is the line of the part the
/// markup starts on, past escapes, folds and multi-byte text.
#[test]
fn calendar_markup_after_escapes_and_multibyte_text_is_placed_on_its_line() {
    let cases = [
        // The fuzzer's shape: an escape shortens the text before two é.
        ("DESCRIPTION:\\,éé<script>alert(1)</script>", 6),
        // Folded lines (RFC 5545 §3.1) and escaped line breaks (§3.3.11)
        // before the markup: neither is a line of the part.
        (
            "DESCRIPTION:Réunion\\nsalle\\, étage 2\r\n  suite\r\n\tfin\r\nX-ALT-DESC:ü<script>x</script>",
            9,
        ),
        // The markup itself folded across two lines starts on the first.
        ("DESCRIPTION:ß\\;ß<scr\r\n ipt>alert(1)</script>", 6),
    ];
    for (description, line) in cases {
        let ics = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Partner//EN\r\nBEGIN:VEVENT\r\nUID:9@partner.example\r\n{description}\r\nEND:VEVENT\r\nEND:VCALENDAR"
        );
        let raw = message("", "text/calendar; charset=utf-8", "", "8bit", &ics);
        let report = vigie_mail::analyze(&raw, None);
        let found: Vec<_> = report
            .indicators
            .iter()
            .filter(|i| i.code == "VM022")
            .map(|i| (i.line, i.snippet.as_str()))
            .collect();
        assert!(
            matches!(found.as_slice(), [(l, s)] if *l == line && s.starts_with("<script")),
            "{description:?}: {found:?}"
        );
    }
}

/// A new-user trial (2026-12-02): any `<` and any `on…=` anywhere in a
/// calendar made it script markup, so ordinary invites with a meeting link
/// were critical; a handler with a space before `=` was missed; and the
/// markup was placed at the first `<` of any kind. A handler counts in a
/// tag only, as a browser reads it, and is placed where its tag starts.
#[test]
fn calendar_markup_is_a_tag_with_a_handler_and_is_placed_at_that_tag() {
    let flagged = [
        ("DESCRIPTION:<img src=x onerror =alert(1)>", 6),
        ("DESCRIPTION:<img src=x onerror\t=alert(1)>", 6),
        ("DESCRIPTION:<img title=\">\" onerror=alert(1)>", 6),
        (
            "DESCRIPTION:a <b>bold</b>\r\nLOCATION:x\r\nX-ALT-DESC;FMTTYPE=text/html:<img src=x onerror=alert(1)>",
            8,
        ),
    ];
    let quiet = [
        "DESCRIPTION:Join the meeting <https://meet.example.com/j/123?onboarding=1&lang=en>",
        "DESCRIPTION:Budget < 5k\\; options=2\\, see notes. Contact: online=yes",
        "DESCRIPTION:Room 4\\, <b>second floor</b>. Reply online=yes",
    ];
    let found = |description: &str| {
        let ics = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Partner//EN\r\nBEGIN:VEVENT\r\nUID:9@partner.example\r\n{description}\r\nEND:VEVENT\r\nEND:VCALENDAR"
        );
        let raw = message("", "text/calendar; charset=utf-8", "", "8bit", &ics);
        vigie_mail::analyze(&raw, None)
            .indicators
            .into_iter()
            .filter(|i| i.code == "VM022")
            .map(|i| (i.line, i.snippet))
            .collect::<Vec<_>>()
    };
    for (description, line) in flagged {
        let found = found(description);
        assert!(
            matches!(found.as_slice(), [(l, s)] if *l == line && s.starts_with("<img")),
            "{description:?}: {found:?}"
        );
    }
    for description in quiet {
        assert_eq!(found(description), [], "{description:?}");
    }
}

/// A new-user trial: 4 MiB of harmless text before the markup hid it
/// without a word. What lies past the bound is reported (the message is
/// then counted as read in part); markup before it is still found, even
/// with a multi-byte character across the bound.
#[test]
fn a_calendar_past_its_bound_is_reported_not_silently_cut() {
    const M: usize = 4 * 1024 * 1024;
    let head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDESCRIPTION:";
    let past = format!(
        "{head}{}😀<script>alert(1)</script>\r\nEND:VEVENT\r\nEND:VCALENDAR",
        "a".repeat(M - 2 - head.len())
    );
    let before = format!(
        "{head}<script>alert(1)</script>{}😀\r\nEND:VEVENT\r\nEND:VCALENDAR",
        "a".repeat(M - 2 - head.len())
    );
    for (ics, found) in [(past, false), (before, true)] {
        let raw = message("", "text/calendar; charset=utf-8", "", "8bit", &ics);
        let report = vigie_mail::analyze(&raw, None);
        assert!(
            report.problems.iter().any(|p| p.contains("past 4 MiB")),
            "{:?}",
            report.problems
        );
        assert_eq!(
            report.indicators.iter().any(|i| i.code == "VM022"),
            found,
            "{:?}",
            report.indicators
        );
    }
}
