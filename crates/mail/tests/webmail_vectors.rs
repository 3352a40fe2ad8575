//! The mail-borne vectors of the other webmails (Zimbra, MDaemon, Horde) and
//! the rule that a CVE is named only where the shape is specific to it.
//!
//! Each vector is built from its published description (cited beside it) into
//! a message, and must be flagged high or critical, with its CVE when it has
//! one: as written, split across quoted-printable lines, base64-encoded,
//! entity-encoded and nested in a `data:` document, where that encoding can
//! carry the vector (a header has no `data:` document).

use base64::Engine as _;
use vigie_mail::indicators::{self as kinds, ALL};
use vigie_mail::store::RawMessage;
use vigie_mail::{Level, MessageReport};

/// Every indicator that names a CVE, with the shape that earns it. A new
/// CVE-bearing indicator fails this test until it is listed here.
const CVE_SHAPES: &[(&str, &str, &str)] = &[
    (
        "VM001",
        "CVE-2024-37383",
        "SVG animate/set attributeName=\"href \" (trailing whitespace), Roundcube < 1.5.7/1.6.7",
    ),
    (
        "VM002",
        "CVE-2025-68461",
        "SVG animate/set attributeName=\"xlink:href\", Roundcube < 1.5.12/1.6.12",
    ),
    (
        "VM004",
        "CVE-2023-5631",
        "SVG use/image href=data:image/s vg+xml (whitespace in the MIME type), Roundcube < 1.6.4",
    ),
    (
        "VM006",
        "CVE-2024-42009",
        "<body> attribute value with bgcolor= and an on* handler (html4inline desanitization)",
    ),
    (
        "VM007",
        "CVE-2020-35730",
        "text/plain linkref with markup before ##str_replacement_N##",
    ),
    (
        "VM008",
        "CVE-2023-43770",
        "text/plain linkref brackets holding < or > before a URL",
    ),
    (
        "VM009",
        "CVE-2024-42008",
        "renderable attachment with an XHTML-namespace script element",
    ),
    (
        "VM019",
        "CVE-2022-27926",
        "link to Zimbra /public/launchNewWindow.jsp carrying markup",
    ),
    (
        "VM021",
        "CVE-2024-27443",
        "script markup in the X-Zimbra-Calendar-Intended-For header",
    ),
    (
        "VM022",
        "CVE-2025-27915",
        "script markup in an iCalendar (text/calendar, .ics) part",
    ),
    (
        "VM023",
        "CVE-2023-37580",
        "link to Zimbra /m/momoveto carrying markup",
    ),
];

#[test]
fn only_cve_specific_indicators_name_a_cve() {
    let named: Vec<(&str, &str)> = ALL
        .iter()
        .filter_map(|k| k.cve.map(|c| (k.code, c)))
        .collect();
    let listed: Vec<(&str, &str)> = CVE_SHAPES.iter().map(|(k, c, _)| (*k, *c)).collect();
    assert_eq!(
        named, listed,
        "an indicator names a CVE without a listed shape"
    );
    // The generic ones: a handler, a script URL, a script element, header markup.
    for generic in [
        kinds::EVENT_HANDLER,
        kinds::SCRIPTED_EVENT_HANDLER,
        kinds::SCRIPT_URL,
        kinds::SCRIPT_ELEMENT,
        kinds::HEADER_MARKUP,
        kinds::OBFUSCATED_SCRIPT,
    ] {
        assert_eq!(generic.cve, None, "{} is generic", generic.code);
        assert!(
            !generic.attack.is_empty(),
            "{} has an ATT&CK technique",
            generic.code
        );
    }
    for (code, cve, shape) in CVE_SHAPES {
        println!("{code} {cve}: {shape}");
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

/// An HTML vector in every encoding: (what, indicator code, CVE, payload).
const HTML_VECTORS: &[(&str, &str, Option<&str>, &str)] = &[
    (
        // Winter Vivern's Zimbra link (Proofpoint 2023; THREATS.md §1 CVE-2022-27926).
        "Zimbra launchNewWindow.jsp link",
        "VM019",
        Some("CVE-2022-27926"),
        r#"<html><body><p>Your mailbox</p><a href="https://mail.victim.example/public/launchNewWindow.jsp?skin=%22%3E%3Cscript%20src%3Dhttps://x.example/a.js%3E%3C/script%3E">Open</a></body></html>"#,
    ),
    (
        // Google TAG: /m/momoveto?st= with markup (THREATS.md §1 CVE-2023-37580).
        "Zimbra momoveto link",
        "VM023",
        Some("CVE-2023-37580"),
        r#"<html><body><a href="https://mail.victim.example/m/momoveto?st=%22%3E%3Cimg%20src=x%20onerror=eval(atob('YWxlcnQoMSk='))%3E">Move</a></body></html>"#,
    ),
    (
        // The img onerror APT28 sent to MDaemon (CVE-2024-11182: "JavaScript in an img tag",
        // no public shape) and to Horde IMP (no CVE): generic, so no CVE named.
        "img onerror (MDaemon, Horde IMP)",
        "VM011",
        None,
        r#"<html><body><p>Hello</p><img src="x" onerror="eval(atob('dmFyIHM9ZG9jdW1lbnQ='))" style="display:none"></body></html>"#,
    ),
];

#[test]
fn every_other_webmail_vector_is_flagged_in_every_encoding() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (what, code, cve, payload) in HTML_VECTORS {
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
            (
                "entity-encoded",
                message("", html, "", "8bit", &entity_encoded(payload)),
            ),
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
