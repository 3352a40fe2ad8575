//! Every Roundcube exploit vector of `shared/THREATS.md` §1 that travels in
//! mail, built from its description into a message and flagged high or
//! critical with the right CVE: as written, split across quoted-printable
//! lines, base64-encoded, entity-encoded and nested in a `data:` SVG (the
//! last two where the vector is markup).

use base64::Engine as _;
use vigie_mail::store::RawMessage;
use vigie_mail::{Level, MessageReport};

/// A vector: its CVE, the part it travels in, and the payload.
struct Vector {
    cve: &'static str,
    content_type: &'static str,
    /// An attachment name, when the vector is an attachment.
    attachment: Option<&'static str>,
    payload: &'static str,
    /// Whether entity-encoding and `data:` SVG nesting apply (markup vectors).
    markup: bool,
}

const VECTORS: &[Vector] = &[
    Vector {
        cve: "CVE-2020-35730",
        content_type: "text/plain; charset=utf-8",
        attachment: None,
        payload: "Hello,\n\nsee [<script>evil()</script>]:##str_replacement_0##\n\nRegards",
        markup: false,
    },
    Vector {
        cve: "CVE-2023-43770",
        content_type: "text/plain; charset=utf-8",
        attachment: None,
        payload: "Hello,\n\nthe report is at [<script>evil</script>] https://google.com\n",
        markup: false,
    },
    Vector {
        cve: "CVE-2023-5631",
        content_type: "text/html; charset=utf-8",
        attachment: None,
        // The decoded SVG holds <image href="x" onerror="…">.
        payload: r#"<html><body><p>Invoice</p><svg><use href="data:image/s vg+xml;base64,PHN2ZyBpZD0ieCIgeG1sbnM9Imh0dHA6Ly93d3cudzMub3JnLzIwMDAvc3ZnIj48aW1hZ2UgaHJlZj0ieCIgb25lcnJvcj0iZXZhbChhdG9iKCdZV3hsY25Rb01Taz0nKSkiLz48L3N2Zz4=#x"></use></svg></body></html>"#,
        markup: true,
    },
    Vector {
        cve: "CVE-2024-37383",
        content_type: "text/html; charset=utf-8",
        attachment: None,
        payload: r#"<html><body><svg><a><animate attributeName="href " values="javascript:alert(origin)"></animate><text x="20" y="20">Click</text></a></svg></body></html>"#,
        markup: true,
    },
    Vector {
        cve: "CVE-2024-42009",
        content_type: "text/html; charset=utf-8",
        attachment: None,
        payload: r#"<html><body title="bgcolor=foo" name="bar style=animation-name:progress-bar-stripes onanimationstart=alert(origin) foo=bar">Foo</body></html>"#,
        markup: true,
    },
    Vector {
        cve: "CVE-2024-42008",
        content_type: "text/xml",
        attachment: Some("invoice.xml"),
        payload: r#"<?xml version="1.0"?><doc><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(origin)</x:script></doc>"#,
        markup: false,
    },
    Vector {
        cve: "CVE-2025-68461",
        content_type: "text/html; charset=utf-8",
        attachment: None,
        payload: r#"<html><body><svg><a><animate attributeName="xlink:href" values="javascript:alert(origin)"></animate><text y="20">Open</text></a></svg></body></html>"#,
        markup: true,
    },
];

/// A message whose part holds `body` in `encoding`, inline or as an attachment.
fn message(v: &Vector, encoding: &str, body: &str) -> RawMessage {
    let disposition = match v.attachment {
        Some(name) => format!("Content-Disposition: attachment; filename=\"{name}\"\r\n"),
        None => String::new(),
    };
    let text = format!(
        "From: \"IT support\" <it-support@lab-test.example>\r\nTo: alice@lab.test\r\nSubject: Mailbox quota\r\nMessage-ID: <vector@lab-test.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n--b1\r\nContent-Type: {}\r\nContent-Transfer-Encoding: {encoding}\r\n{disposition}\r\n{body}\r\n--b1--\r\n",
        v.content_type
    );
    RawMessage {
        location: Default::default(),
        bytes: text.into_bytes(),
    }
}

/// Quoted-printable with a soft line break every 7 characters, so that every
/// keyword of the payload is split across lines.
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
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Attribute values entity-encoded, as a sender may to hide keywords: every
/// letter of every quoted value becomes a numeric character reference.
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

/// The payload's markup inside an SVG document that the mail references as
/// `<use href="data:image/svg+xml;base64,…">`.
fn nested_in_data_svg(html: &str) -> String {
    let inner = format!(r#"<svg xmlns="http://www.w3.org/2000/svg">{html}</svg>"#);
    let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
    format!(
        r#"<html><body><svg><use href="data:image/svg+xml;base64,{b64}#a"></use></svg></body></html>"#
    )
}

fn check(v: &Vector, how: &str, report: &MessageReport) -> Option<String> {
    let has_cve = report
        .indicators
        .iter()
        .any(|i| i.cve.as_deref() == Some(v.cve));
    let high = report.level >= Some(Level::High);
    (!has_cve || !high).then(|| {
        format!(
            "{} {how}: level {:?}, indicators {:?}",
            v.cve,
            report.level,
            report
                .indicators
                .iter()
                .map(|i| (&i.code, &i.cve))
                .collect::<Vec<_>>()
        )
    })
}

#[test]
fn every_roundcube_vector_is_flagged_in_every_encoding() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in VECTORS {
        let mut variants = vec![
            ("as written (8bit)", message(v, "8bit", v.payload)),
            (
                "quoted-printable split",
                message(v, "quoted-printable", &quoted_printable(v.payload)),
            ),
            ("base64", message(v, "base64", &base64_lines(v.payload))),
        ];
        if v.markup {
            variants.push((
                "entity-encoded",
                message(v, "8bit", &entity_encoded(v.payload)),
            ));
            if v.cve != "CVE-2024-42009" {
                // A <body> inside an SVG document is no body; the others nest.
                let nested = nested_in_data_svg(v.payload);
                variants.push((
                    "nested in a data: SVG",
                    message(v, "base64", &base64_lines(&nested)),
                ));
            }
        }
        for (how, raw) in variants {
            let report = vigie_mail::analyze(&raw, None);
            failures.extend(check(v, how, &report));
            checked += 1;
        }
    }
    println!(
        "{checked} vector messages checked, {} not flagged",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[cfg(feature = "yara")]
#[test]
fn the_shipped_yara_rules_flag_the_same_messages() {
    let rules = vigie_mail::yara::YaraRules::load(true, &[]);
    let mut scanner = rules.scanner();
    for v in VECTORS {
        let raw = message(v, "8bit", v.payload);
        let mut scan = |data: &[u8], part: &str| scanner.scan(data, part);
        let report = vigie_mail::analyze(&raw, Some(&mut scan));
        let yara_cve = report
            .indicators
            .iter()
            .any(|i| i.code.starts_with("YARA:") && i.cve.as_deref() == Some(v.cve));
        // CVE-2023-43770 has no YARA rule: its shape (markup in brackets
        // before a URL) is too common in text for a content rule.
        assert!(
            yara_cve || v.cve == "CVE-2023-43770",
            "{} {:?}",
            v.cve,
            report.indicators
        );
    }
}
