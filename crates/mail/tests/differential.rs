//! Differential test (issue 15): vigie's MIME parts against Python's
//! `email` package (`policy.default`) over a whole mail corpus.
//!
//! Every message under `$VIGIE_MAIL_CORPUS` (for the project,
//! `../shared/corpus/mail`) is read as `vigie scan` reads it; its exact
//! bytes and two vigie views of its leaf parts are written to a temporary
//! folder: `parser` (mail-parser, the parts vigie reports and analyses) and
//! `raw` (the raw split of `raw_regions.rs`, as Dovecot cuts). Then
//! `differential.py` parses the same bytes with Python and classifies each
//! disagreement; every kind must be one the script explains. Where PHP and
//! Roundcube are installed, Roundcube's own parser is a third view, listed.
//!
//! `VIGIE_MAIL_CORPUS=../shared/corpus/mail cargo test -p vigie-mail --test differential -- --nocapture`
//! prints the table and the list. Skipped (with the reason on stderr) when
//! the variable or `python3` is absent.

use std::io::Write;
use std::path::{Path, PathBuf};

use mail_parser::{Encoding, Message, MessageParser, MimeHeaders, PartType};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigie_mail::raw_regions;
use vigie_mail::store::{RawMessage, discover, read_store};

fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn eol(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for (i, b) in data.iter().enumerate() {
        if *b == b'\r' && data.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(*b);
    }
    out
}

fn trimmed(data: &[u8]) -> Vec<u8> {
    let mut out = eol(data);
    while out.last() == Some(&b'\n') {
        out.pop();
    }
    out
}

/// A leaf as the Python side compares it.
fn leaf(content_type: String, content: &[u8], raw: Option<Vec<u8>>) -> Value {
    json!({
        "content_type": content_type,
        "size": content.len(),
        "sha256": hex(content),
        "eol_sha256": hex(&eol(content)),
        "trim_sha256": hex(&trimmed(content)),
        "raw_sha256": raw.map(|r| hex(&r)),
    })
}

/// mail-parser's leaf parts, in the order `analyze` walks them.
fn parser_leaves(message: &Message<'_>, id: usize, raw: &[u8], depth: usize, out: &mut Vec<Value>) {
    let Some(part) = message.parts.get(id) else {
        return;
    };
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "text/plain".to_string())
        .to_ascii_lowercase();
    let undecoded = || {
        let range = part.offset_body as usize..part.offset_end as usize;
        raw.get(range).map(|body| {
            let encoding = match part.encoding {
                Encoding::Base64 => "base64",
                Encoding::QuotedPrintable => "quoted-printable",
                Encoding::None => "8bit",
            };
            raw_regions::decode_transfer(encoding, body)
        })
    };
    match &part.body {
        PartType::Multipart(children) => {
            for child in children {
                parser_leaves(message, *child as usize, raw, depth, out);
            }
        }
        PartType::Message(nested) if depth < 16 => parser_leaves(nested, 0, raw, depth + 1, out),
        PartType::Message(_) => {}
        PartType::Text(t) | PartType::Html(t) => {
            out.push(leaf(content_type, t.as_bytes(), undecoded()))
        }
        PartType::Binary(b) | PartType::InlineBinary(b) => out.push(leaf(content_type, b, None)),
    }
}

/// The raw split's leaf parts, each decoded by its first transfer encoding
/// (the one Dovecot reports), compared as bytes.
fn raw_leaves(raw: &[u8]) -> Vec<Value> {
    raw_regions::split(raw)
        .regions
        .iter()
        .map(|r| {
            let encoding = r.encodings.first().map_or("8bit", String::as_str);
            let bytes = raw_regions::decode_transfer(encoding, &raw[r.body.clone()]);
            let mut v = leaf(r.content_type().to_string(), &bytes, None);
            v["raw_sha256"] = json!(hex(&bytes));
            v
        })
        .collect()
}

fn corpus() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("VIGIE_MAIL_CORPUS") else {
        eprintln!("skipped: VIGIE_MAIL_CORPUS is not set (e.g. ../shared/corpus/mail)");
        return None;
    };
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if python.is_err() {
        eprintln!("skipped: python3 is not installed");
        return None;
    }
    Some(PathBuf::from(dir))
}

#[test]
fn vigie_and_python_email_split_the_corpus_alike_or_for_a_known_reason() {
    let Some(root) = corpus() else { return };
    let out = tempfile::tempdir().unwrap();
    let mut jsonl = std::fs::File::create(out.path().join("vigie.jsonl")).unwrap();
    let (stores, errors) = discover(std::slice::from_ref(&root));
    assert!(errors.is_empty(), "{errors:?}");
    let mut messages: Vec<RawMessage> = Vec::new();
    for store in &stores {
        read_store(store, &mut |m| messages.push(m), &mut |u| panic!("{u:?}"));
    }
    messages.sort_by(|a, b| {
        (&a.location.path, a.location.line).cmp(&(&b.location.path, b.location.line))
    });
    for (id, m) in messages.iter().enumerate() {
        std::fs::write(out.path().join(format!("{id}.eml")), &m.bytes).unwrap();
        let mut parser = Vec::new();
        if let Some(message) = MessageParser::default().parse(&m.bytes[..]) {
            parser_leaves(&message, 0, &m.bytes, 0, &mut parser);
        }
        let where_ = format!(
            "{}:{}",
            Path::new(&m.location.path)
                .strip_prefix(&root)
                .unwrap_or(Path::new(&m.location.path))
                .display(),
            m.location.line
        );
        let record =
            json!({"id": id, "where": where_, "parser": parser, "raw": raw_leaves(&m.bytes)});
        writeln!(jsonl, "{record}").unwrap();
    }
    drop(jsonl);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential.py");
    let mut python = std::process::Command::new("python3");
    python.arg(&script).arg(out.path()).arg("--table");
    // Roundcube's own parser too, where PHP and Roundcube are installed (the shared lab's).
    let roundcube = std::env::var_os("ROUNDCUBE_LIB")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/roundcube/program/lib/Roundcube"));
    if roundcube.join("rcube_mime_decode.php").is_file() {
        python.arg("--roundcube");
    } else {
        eprintln!(
            "roundcube view skipped: no Roundcube at {}",
            roundcube.display()
        );
    }
    let run = python.output().unwrap();
    eprintln!("{}", String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "differential.py failed");
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["messages"], messages.len());
    assert_eq!(summary["unexplained"], json!([]), "{summary}");
}
