//! Issue 15: a message whose MIME structure two readers cut or decode
//! differently must not hide its exploit. The issue's message (a mid-line
//! `--BND` before a CVE-2024-37383 payload, CRLF) and its family of
//! variants are each flagged critical with the CVE by the markup analysis
//! alone (no YARA), and each carries the ambiguity indicator `VM040`; the
//! same payload in a well-formed message is flagged without `VM040`.

use base64::Engine as _;
use vigie_mail::store::RawMessage;
use vigie_mail::{Level, MessageReport};

/// The CVE-2024-37383 payload of the issue (an `<animate>` retargeting `href `).
const PAYLOAD: &str = "<html><body><p>visit --BND for details</p>\n<svg><animate attributeName=\"href \" values=\"javascript:alert(origin)\" begin=\"0s\" dur=\"1s\" /><a><text x=\"20\" y=\"20\">Open</text></a></svg>\n</body></html>";

/// The issue's message, byte for byte (with CRLF line endings).
const ISSUE: &str = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BND\"\n\n--BND\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<html><body><p>visit --BND for details</p>\n<svg><animate attributeName=3D\"href \" values=3D\"javascript:alert(origin)\" beg=\nin=3D\"0s\" dur=3D\"1s\" /><a><text x=3D\"20\" y=3D\"20\">Open</text></a></svg>\n</body></html>\n--BND--\n";

fn crlf(text: &str) -> RawMessage {
    RawMessage {
        location: Default::default(),
        bytes: text
            .replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .into_bytes(),
    }
}

/// Quoted-printable as a mailer writes it: `=` escaped, lines cut at 76.
fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    for line in text.split('\n') {
        let mut column = 0;
        for c in line.replace('=', "=3D").chars() {
            if column >= 72 {
                out.push_str("=\n");
                column = 0;
            }
            out.push(c);
            column += 1;
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A one-part multipart message: `headers` of the HTML part, then its `body`.
fn one_part(boundary: &str, headers: &str, body: &str) -> RawMessage {
    crlf(&format!(
        "From: a@lab-test.example\nTo: alice@lab.test\nSubject: invoice\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n\n--{boundary}\n{headers}\n\n{body}\n--{boundary}--\n"
    ))
}

/// The issue's message and its family: (name, message, whether it is ambiguous).
fn family() -> Vec<(&'static str, RawMessage, bool)> {
    let qp = quoted_printable(PAYLOAD);
    let html = "Content-Type: text/html; charset=utf-8";
    let clean = PAYLOAD.replace("--BND", "our site");
    vec![
        ("the issue's message (quoted-printable)", crlf(ISSUE), true),
        (
            "boundary text mid-line, 8bit",
            one_part(
                "BND",
                &format!("{html}\nContent-Transfer-Encoding: 8bit"),
                PAYLOAD,
            ),
            true,
        ),
        (
            "boundary text mid-line, quoted-printable",
            one_part(
                "BND",
                &format!("{html}\nContent-Transfer-Encoding: quoted-printable"),
                &qp,
            ),
            true,
        ),
        (
            "boundary text in a header",
            one_part(
                "BND",
                &format!(
                    "{html}\nContent-Description: see --BND below\nContent-Transfer-Encoding: 8bit"
                ),
                &clean,
            ),
            true,
        ),
        (
            "boundary text in a header, quoted-printable",
            one_part(
                "BND",
                &format!(
                    "Content-Description: notes --BND\n{html}\nContent-Transfer-Encoding: quoted-printable"
                ),
                &quoted_printable(&clean),
            ),
            true,
        ),
        (
            "a boundary that is a prefix of another (inner prefixes outer)",
            crlf(&format!(
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BND-outer\"\n\n--BND-outer\nContent-Type: multipart/alternative; boundary=\"BND\"\n\n--BND\nContent-Type: text/plain\n\nInvoice attached.\n--BND\n{html}\nContent-Transfer-Encoding: 8bit\n\n{PAYLOAD}\n--BND--\n--BND-outer--\n"
            )),
            true,
        ),
        (
            "a boundary that is a prefix of another (outer prefixes inner)",
            crlf(&format!(
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BND\"\n\n--BND\nContent-Type: multipart/alternative; boundary=\"BND-inner\"\n\n--BND-inner\nContent-Type: text/plain\n\nsee --BND-inner and --BND\n--BND-inner\n{html}\nContent-Transfer-Encoding: quoted-printable\n\n{qp}\n--BND-inner--\n--BND--\n"
            )),
            true,
        ),
        (
            "duplicate Content-Type, text/plain first",
            one_part(
                "b1",
                &format!("Content-Type: text/plain\n{html}\nContent-Transfer-Encoding: 8bit"),
                &clean,
            ),
            true,
        ),
        (
            "duplicate Content-Type, text/html first",
            one_part(
                "b1",
                &format!("{html}\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit"),
                &clean,
            ),
            true,
        ),
        (
            "duplicate Content-Transfer-Encoding (base64, then 7bit)",
            one_part(
                "b1",
                &format!(
                    "{html}\nContent-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit"
                ),
                &base64_lines(clean.as_bytes()),
            ),
            true,
        ),
        (
            "base64 inside quoted-printable",
            one_part(
                "b1",
                &format!("{html}\nContent-Transfer-Encoding: quoted-printable"),
                &quoted_printable(&base64_lines(clean.as_bytes())),
            ),
            true,
        ),
        (
            "well-formed control (no ambiguity)",
            one_part(
                "BND",
                &format!("{html}\nContent-Transfer-Encoding: quoted-printable"),
                &quoted_printable(&clean),
            ),
            false,
        ),
    ]
}

fn summary(report: &MessageReport) -> Vec<(String, Option<String>, String)> {
    report
        .indicators
        .iter()
        .map(|i| (i.code.clone(), i.cve.clone(), i.part.clone()))
        .collect()
}

#[test]
fn the_issue_message_and_its_variants_are_flagged_with_their_cve() {
    let mut failures = Vec::new();
    for (name, raw, ambiguous) in family() {
        let report = vigie_mail::analyze(&raw, None);
        let cve = report.cves().contains(&"CVE-2024-37383");
        let critical = report.level == Some(Level::Critical);
        let vm040 = report.indicators.iter().any(|i| i.code == "VM040");
        println!(
            "{name}: level {:?}, CVE-2024-37383 {cve}, VM040 {vm040}",
            report.level
        );
        if !cve || !critical || vm040 != ambiguous {
            failures.push(format!("{name}: {:?}", summary(&report)));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_ambiguity_indicator_names_what_it_saw_and_claims_no_cve() {
    let report = vigie_mail::analyze(&crlf(ISSUE), None);
    let vm040: Vec<_> = report
        .indicators
        .iter()
        .filter(|i| i.code == "VM040")
        .collect();
    assert_eq!(vm040.len(), 1, "{vm040:?}");
    assert_eq!(vm040[0].level, Level::Medium);
    assert_eq!(vm040[0].cve, None);
    assert_eq!(vm040[0].part, "message");
    assert_eq!(vm040[0].line, 8);
    assert!(
        vm040[0]
            .snippet
            .starts_with("boundary delimiter inside a line (part 1): <html><body><p>visit --BND"),
        "{}",
        vm040[0].snippet
    );
    // The whole part is read: the raw split's part holds the payload.
    assert!(
        report
            .indicators
            .iter()
            .any(|i| i.code == "VM001" && i.snippet.contains("javascript:alert(origin)")),
        "{:?}",
        summary(&report)
    );
}

/// Real ham and mailing-list mail (`testdata/ham/`, see its PROVENANCE.md),
/// scanned as `vigie scan` scans (YARA included): no high or critical
/// verdict. Two real messages are ambiguous by construction (a boundary
/// that prefixes its inner one, two `Content-Type` headers) and say so, at
/// medium, without a CVE.
#[test]
fn ham_and_mailing_lists_stay_below_high() {
    use std::sync::Mutex;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/ham");
    let (stores, errors) = vigie_mail::store::discover(&[dir]);
    assert!(errors.is_empty(), "{errors:?}");
    #[cfg(feature = "yara")]
    let rules = Some(vigie_mail::scan::Rules::load(true, &[]));
    #[cfg(not(feature = "yara"))]
    let rules: Option<vigie_mail::scan::Rules> = None;
    let reports = Mutex::new(Vec::new());
    vigie_mail::scan::scan_stores(
        &stores,
        rules.as_ref(),
        &|r| reports.lock().unwrap().push(r),
        &|u| panic!("{u:?}"),
    );
    let mut reports = reports.into_inner().unwrap();
    reports.sort_by(|a, b| {
        (&a.location.path, a.location.line).cmp(&(&b.location.path, b.location.line))
    });
    assert_eq!(reports.len(), 9, "7 files, one an mbox of 3");
    let mut ambiguous = Vec::new();
    for r in &reports {
        let name = r.location.path.rsplit('/').next().unwrap_or_default();
        println!(
            "{name}:{} level {:?} {:?}",
            r.location.line,
            r.level,
            summary(r)
        );
        assert!(r.level < Some(Level::High), "{name}: {:?}", summary(r));
        assert!(r.cves().is_empty(), "{name}");
        if r.indicators.iter().any(|i| i.code == "VM040") {
            ambiguous.push(name.to_string());
        }
    }
    assert_eq!(
        ambiguous,
        [
            "mikel-email_with_similar_boundaries.eml",
            "mikel-multiple_content_types.eml"
        ]
    );
}
