//! A generator of hostile mail: messages built to exhaust or crash the tools
//! that read them (issue 11). Shared by vigie-mail's tests and the CLI's
//! (`#[path]`-included there), so each kind is written once.
#![allow(dead_code)]

use std::fmt::Write;

/// The head every generated message starts with.
fn head(subject: &str) -> String {
    format!(
        "MIME-Version: 1.0\r\nFrom: hostile@example.org\r\nTo: victim@example.org\r\n\
         Message-ID: <{subject}@hostile.example.org>\r\nSubject: {subject}\r\n"
    )
}

/// Issue 11's message: `n` nested `multipart/mixed`, each a Content-Type
/// line and a boundary, around one short text part.
pub fn nested_multipart(n: usize) -> Vec<u8> {
    let mut m = head("nest");
    for i in 0..n {
        let _ = write!(
            m,
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        );
    }
    m.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
    for i in (0..n).rev() {
        let _ = write!(m, "--b{i}--\r\n");
    }
    m.into_bytes()
}

/// The same in as few bytes as possible (short boundaries, no closing
/// delimiters): a million levels fit in 64 MB.
pub fn nested_multipart_compact(n: usize) -> Vec<u8> {
    let mut m = head("nest-compact");
    for i in 0..n {
        let _ = write!(
            m,
            "Content-Type:multipart/mixed;boundary={i:x}\n\n--{i:x}\n"
        );
    }
    m.push_str("\nhello\n");
    m.into_bytes()
}

/// `n` messages nested as `message/rfc822` parts.
pub fn nested_messages(n: usize) -> Vec<u8> {
    let mut m = head("nested-messages");
    for _ in 0..n {
        m.push_str("Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n");
    }
    m.push_str("\r\ninnermost\r\n");
    m.into_bytes()
}

/// `n` nested `multipart/digest`, whose parts without a Content-Type are
/// messages (RFC 2046 §5.1.5): nested messages no header names.
pub fn nested_digests(n: usize) -> Vec<u8> {
    let mut m = head("digests");
    for i in 0..n {
        let _ = write!(
            m,
            "Content-Type: multipart/digest; boundary=d{i}\r\n\r\n--d{i}\r\n\r\n"
        );
    }
    m.push_str("Subject: last\r\n\r\ninnermost\r\n");
    m.into_bytes()
}

/// `n` nested multiparts whose delimiters sit in the middle of lines, where
/// mail-parser finds them and a line-based reader does not.
pub fn nested_midline(n: usize) -> Vec<u8> {
    let mut m = head("midline");
    for i in 0..n {
        let _ = write!(
            m,
            "Content-Type: multipart/mixed; boundary=m{i}\r\n\r\nx--m{i}\r\n"
        );
    }
    m.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
    m.into_bytes()
}

/// `n` nested multiparts whose boundaries are RFC 2231 continuations
/// (`boundary*0=…; boundary*1=…`), which mail-parser joins.
pub fn nested_rfc2231(n: usize) -> Vec<u8> {
    let mut m = head("rfc2231");
    for i in 0..n {
        let _ = write!(
            m,
            "Content-Type: multipart/mixed; boundary*0=\"r\"; boundary*1=\"{i}\"\r\n\r\n--r{i}\r\n"
        );
    }
    m.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
    m.into_bytes()
}

/// `n` sibling parts, each a small text.
pub fn many_parts(n: usize) -> Vec<u8> {
    let mut m = head("many-parts");
    m.push_str("Content-Type: multipart/mixed; boundary=p\r\n\r\n");
    for i in 0..n {
        let _ = write!(m, "--p\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n");
    }
    m.push_str("--p--\r\n");
    m.into_bytes()
}

/// A header of `bytes` bytes, folded into 998-byte lines, and a subject of
/// as many RFC 2047 encoded words.
pub fn huge_headers(bytes: usize) -> Vec<u8> {
    let mut m = head("huge-headers");
    m.push_str("X-Filler: ");
    for i in 0..bytes / 998 {
        let _ = write!(
            m,
            "{}\r\n ",
            char::from(b'a' + (i % 26) as u8).to_string().repeat(996)
        );
    }
    m.push_str("end\r\nX-Words:");
    for _ in 0..bytes / 16 {
        m.push_str(" =?utf-8?B?w6k=?=");
    }
    m.push_str("\r\n\r\nbody\r\n");
    m.into_bytes()
}

/// Boundary tricks: a boundary that prefixes another, an empty one, one of
/// dashes, delimiters never closed, parts after the close.
pub fn boundary_tricks() -> Vec<u8> {
    let mut m = head("boundary-tricks");
    m.push_str(
        "Content-Type: multipart/mixed; boundary=\"a\"\r\n\r\n\
         --a\r\nContent-Type: multipart/alternative; boundary=\"aa\"\r\n\r\n\
         --aa\r\nContent-Type: multipart/related; boundary=\"\"\r\n\r\n--\r\n\r\nempty boundary\r\n\
         --aa\r\nContent-Type: multipart/mixed; boundary=\"---\"\r\n\r\n-----\r\n-------\r\n\r\ndashes\r\n\
         --a--\r\n--aa\r\nafter the close\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>late part\r\n",
    );
    m.into_bytes()
}

/// A message carried base64 in a message carried base64…, `n` times, the
/// innermost an HTML part quoted-printable.
pub fn encodings_within_encodings(n: usize) -> Vec<u8> {
    use base64::Engine as _;
    let mut inner = "Subject: core\r\nContent-Type: text/html\r\n\
                     Content-Transfer-Encoding: quoted-printable\r\n\r\n<p =3D\"x\">core</p>\r\n"
        .to_string();
    for _ in 0..n {
        let encoded = base64::engine::general_purpose::STANDARD.encode(inner.as_bytes());
        let mut wrapped = "Subject: wrap\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n--w\r\n\
                           Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_string();
        for chunk in encoded.as_bytes().chunks(76) {
            wrapped.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            wrapped.push_str("\r\n");
        }
        wrapped.push_str("--w--\r\n");
        inner = wrapped;
    }
    let mut m = head("encodings");
    m.push_str(inner.split_once("\r\n").map_or("", |(_, rest)| rest));
    m.into_bytes()
}

/// `n` sibling HTML parts, each markup with a script, quoted-printable and
/// declared twice (so the raw split decodes it again): a message built to
/// be slow, each part analysed several ways.
pub fn many_markup_parts(n: usize) -> Vec<u8> {
    let mut m = head("many-markup-parts");
    m.push_str("Content-Type: multipart/mixed; boundary=p\r\n\r\n");
    for i in 0..n {
        let _ = write!(
            m,
            "--p\r\nContent-Type: text/html\r\nContent-Type: image/svg+xml\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\r\n\
             <svg><a href=3D\"javascript:x{i}()\"><text>{i}</text></a>\
             <script>eval(atob('aHR0cHM6Ly9leGFtcGxlLm9yZy8=')+{i})</script></svg>\r\n"
        );
    }
    m.push_str("--p--\r\n");
    m.into_bytes()
}

/// One line of `bytes` bytes of HTML (no newline anywhere).
pub fn one_long_line(bytes: usize) -> Vec<u8> {
    let mut m = head("long-line");
    m.push_str("Content-Type: text/html\r\n\r\n");
    m.push_str(&"<b>".repeat(bytes / 3));
    m.into_bytes()
}

/// Every kind, named, at sizes a test runs in seconds.
pub fn all() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("nested-multipart", nested_multipart(16_000)),
        (
            "nested-multipart-compact",
            nested_multipart_compact(200_000),
        ),
        ("nested-messages", nested_messages(100_000)),
        ("nested-digests", nested_digests(50_000)),
        ("nested-midline", nested_midline(50_000)),
        ("nested-rfc2231", nested_rfc2231(50_000)),
        ("many-parts", many_parts(30_000)),
        ("huge-headers", huge_headers(4 << 20)),
        ("boundary-tricks", boundary_tricks()),
        ("encodings", encodings_within_encodings(6)),
        ("long-line", one_long_line(8 << 20)),
    ]
}

/// Every kind at sizes a debug build scans in a few seconds (for the CLI's
/// tests), and whether the raw check cuts it (flagged VM090).
pub fn small() -> Vec<(&'static str, Vec<u8>, bool)> {
    vec![
        ("nested-multipart", nested_multipart(16_000), true),
        ("nested-messages", nested_messages(20_000), true),
        ("nested-digests", nested_digests(5_000), true),
        ("nested-midline", nested_midline(5_000), true),
        ("nested-rfc2231", nested_rfc2231(5_000), false),
        ("many-parts", many_parts(12_000), true),
        ("huge-headers", huge_headers(1 << 20), false),
        ("boundary-tricks", boundary_tricks(), false),
        ("encodings", encodings_within_encodings(6), false),
        ("long-line", one_long_line(1 << 20), false),
    ]
}
