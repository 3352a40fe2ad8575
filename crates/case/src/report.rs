//! The case report: one self-contained HTML file (no external fetch, charts
//! as inline SVG, a Content-Security-Policy that allows no script at all and
//! only the report's own style, by hash) and a Markdown summary. Every
//! string that came from a log or a mail is attacker-written: all of it is
//! escaped, control characters included.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// HTML-escapes `text`; control characters (ANSI escapes…) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `text` for a Markdown table cell (no HTML, no pipes, one line).
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#1b1f24;padding:0 1em}\
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #d0d7de}table{border-collapse:collapse;width:100%;margin:.6em 0}\
td,th{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}th{background:#f6f8fa}\
.critical{background:#7d1111;color:#fff}.high{background:#d1242f;color:#fff}.medium{background:#f5a623}.low{background:#ddf4ff}\
.informational{background:#eee}.lvl{padding:1px 6px;border-radius:3px;white-space:nowrap}code,.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}\
.answer{background:#f6f8fa;border-left:4px solid #0969da;padding:.5em 1em;margin:.5em 0}.caveat{color:#57606a}svg{background:#fff;border:1px solid #d0d7de;max-width:100%;height:auto}\
details.quiet{margin:.4em 0}";

const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

fn level_color(level: &str) -> &'static str {
    match level {
        "critical" => "#7d1111",
        "high" => "#d1242f",
        "medium" => "#f5a623",
        "low" => "#54aeff",
        _ => "#8c959f",
    }
}

fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_default()
}

fn seconds(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// A rule id as a table shows it: a Sigma UUID by its first eight hex
/// digits (the whole id is the cell's tooltip), vigie's own ids (`VA004`) whole.
fn short_id(id: &str) -> &str {
    let uuid = id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if uuid { &id[..8] } else { id }
}

/// Whether a finding's time is a file's modification time (a Sieve script
/// on disk), not an event's: marked, and kept off the time axis.
fn is_file_time(f: &Value) -> bool {
    s(f, "rule_id").starts_with("VS")
}

/// Renders the HTML report of a case from its findings, scope, attribution
/// and answers (`answers.json`; `Null` for a case written before it existed),
/// and the posture audit's findings (`audit.jsonl`, empty when the scan had
/// no `--audit-root`).
pub fn html(
    case_name: &str,
    findings: &[Value],
    scope: &Value,
    attribution: &Value,
    answers: &Value,
    posture: &[Value],
) -> String {
    let style_hash =
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'none'; style-src 'sha256-{style_hash}'; img-src data:; base-uri 'none'; form-action 'none'\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n<title>vigie case {}</title>\n<style>{STYLE}</style></head><body>\n",
        escape(case_name)
    );
    let _ = writeln!(out, "<h1>vigie case report: {}</h1>", escape(case_name));
    let mut by_level: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *by_level.entry(s(f, "level")).or_default() += 1;
    }
    let counts: Vec<String> = LEVELS
        .iter()
        .filter_map(|l| {
            by_level
                .get(l)
                .map(|n| format!("<span class=\"lvl {l}\">{l} {n}</span>"))
        })
        .collect();
    let _ = writeln!(
        out,
        "<p>{} findings: {}</p>",
        findings.len(),
        counts.join(" ")
    );

    // The four questions.
    let severe: Vec<&Value> = findings
        .iter()
        .filter(|f| matches!(s(f, "level"), "high" | "critical"))
        .collect();
    let first_severe = severe.iter().map(|f| s(f, "first_seen")).min();
    let accounts = scope["accounts"].as_array().cloned().unwrap_or_default();
    let compromised: Vec<&Value> = accounts
        .iter()
        .filter(|a| {
            a["attacker_sources"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
        })
        .collect();
    out.push_str("<h2>Answers</h2>\n");
    let when = &answers["when"];
    let breached = if answers.is_null() {
        match first_severe {
            Some(t) => format!(
                "{} high or critical findings; the first at <span class=\"mono\">{}</span>.",
                severe.len(),
                escape(t)
            ),
            None => "no high or critical finding in what was read.".to_string(),
        }
    } else if when.is_null() {
        "no high or critical finding attributable to an intruder in what was read.".to_string()
    } else {
        let evidence = when["evidence"]
            .as_array()
            .and_then(|e| e.first())
            .map(|e| match e["part"].as_str() {
                Some(p) => format!("{}#part={}", escape(s(e, "path")), escape(p)),
                None => format!("{}:{}", escape(s(e, "path")), e["line"]),
            })
            .unwrap_or_default();
        format!(
            "the first step attributable to an intruder is at <span class=\"mono\">{}</span>: {} (account {}, from {}), evidence <span class=\"mono\">{}</span>; confidence {} ({}).",
            escape(s(when, "time")),
            escape(s(when, "title")),
            escape(when["account"].as_str().unwrap_or("none named")),
            escape(when["source_ip"].as_str().unwrap_or("no address")),
            evidence,
            escape(s(when, "confidence")),
            escape(s(when, "basis"))
        )
    };
    let _ = writeln!(
        out,
        "<div class=\"answer\"><b>Were we breached, and when?</b> {breached} Accounts with an intruder's address: {}.</div>",
        if compromised.is_empty() {
            "none identified".to_string()
        } else {
            compromised
                .iter()
                .map(|a| escape(s(a, "account")))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let reached: Vec<String> = compromised
        .iter()
        .map(|a| {
            let opened: usize = a["web"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|w| w["attacker"] == true)
                .flat_map(|w| w["items"].as_array().cloned().unwrap_or_default())
                .filter(|i| {
                    matches!(
                        s(i, "action"),
                        "message-open"
                            | "message-source"
                            | "attachment-download"
                            | "mailbox-export"
                            | "addressbook-export"
                    )
                })
                .count();
            let sessions: u64 = a["mail_sessions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["attacker"] == true)
                .map(|m| m["sessions"].as_u64().unwrap_or(0))
                .sum();
            format!(
                "{}: {opened} webmail reads/downloads/exports, {sessions} mail-client sessions",
                escape(s(a, "account"))
            )
        })
        .collect();
    answer(
        &mut out,
        "What did the intruder reach?",
        &reached,
        "; ",
        "nothing attributed.",
        "",
    );
    let left: Vec<String> = answers["left"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let items: Vec<String> = a["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| {
                    let bytes = i["bytes"].as_u64().map(human_bytes);
                    let what = format!(
                        "{} {} by {}",
                        i["items"],
                        escape(s(i, "kind")),
                        escape(s(i, "channel"))
                    );
                    let text = match bytes {
                        Some(b) => format!("{what}: {b}"),
                        None => format!("{what} (size not logged)"),
                    };
                    if i["content"] == true {
                        text
                    } else {
                        format!("<span class=\"caveat\">{text}, not counted</span>")
                    }
                })
                .collect();
            format!(
                "{}: {} of content counted ({})",
                escape(s(a, "account")),
                human_bytes(a["content_bytes"].as_u64().unwrap_or(0)),
                items.join("; ")
            )
        })
        .collect();
    answer(
        &mut out,
        "Did data leave?",
        &left,
        "<br>",
        "no channel shows data leaving from an intruder's address.",
        " <span class=\"caveat\">(limits of the logs: see each account's caveats)</span>",
    );
    let hypotheses: Vec<&Value> = attribution["hypotheses"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let ranked: Vec<&Value> = if answers.is_null() {
        hypotheses.clone()
    } else {
        answers["whom"].as_array().into_iter().flatten().collect()
    };
    let top: Vec<String> = ranked
        .iter()
        .take(4)
        .map(|h| {
            format!(
                "{} ({} support, score {})",
                escape(s(h, "name")),
                escape(s(h, "support")),
                h["score"]
            )
        })
        .collect();
    answer(
        &mut out,
        "Whom does the evidence point to?",
        &top,
        "; ",
        &escape(
            attribution["statement"]
                .as_str()
                .unwrap_or("attribution was not computed for this case."),
        ),
        " <span class=\"caveat\">(hypotheses weighed below, none is a verdict)</span>",
    );

    out.push_str("<h2>Activity per account over time</h2>\n");
    out.push_str(&timeline_svg(findings, &accounts));
    out.push_str("<h2>Bytes out per intruder session</h2>\n");
    out.push_str(&bytes_svg(&compromised));
    let places = &scope["places"];
    out.push_str("<h2>Sources of findings</h2>\n");
    out.push_str(&sources_svg(findings, places));

    out.push_str("<h2>Accounts</h2>\n");
    // Accounts with findings in full; those only tried (no finding) folded.
    let (with, without): (Vec<&Value>, Vec<&Value>) = accounts
        .iter()
        .partition(|a| a["findings"].as_u64().unwrap_or(0) > 0);
    for a in with {
        account_section(&mut out, a, places);
    }
    if !without.is_empty() {
        let _ = writeln!(
            out,
            "<details class=\"quiet\"><summary>{} accounts without a finding (targeted by an intruder's address, or listed with --all-accounts)</summary>",
            without.len()
        );
        for a in without {
            account_section(&mut out, a, places);
        }
        out.push_str("</details>\n");
    }
    read_section(&mut out, &answers["read"]);
    posture_section(&mut out, posture);
    out.push_str("<h2>Log coverage</h2>\n<table><tr><th>family</th><th>events</th><th>from</th><th>to</th><th>gaps of a day or more</th></tr>\n");
    for c in scope["coverage"].as_array().into_iter().flatten() {
        let gaps: Vec<String> = c["gaps"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| {
                format!(
                    "{} – {}",
                    escape(g[0].as_str().unwrap_or_default()),
                    escape(g[1].as_str().unwrap_or_default())
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            escape(s(c, "family")),
            c["events"],
            escape(s(c, "first")),
            escape(s(c, "last")),
            if gaps.is_empty() {
                "none".to_string()
            } else {
                gaps.join("<br>")
            }
        );
    }
    out.push_str("</table>\n");
    attribution_section(&mut out, attribution, &hypotheses);
    out.push_str("<h2>Findings</h2>\n<table><tr><th>first seen</th><th>level</th><th>rule</th><th>title</th><th>account</th><th>address</th><th>session</th><th>count</th><th>reason</th><th>evidence</th></tr>\n");
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| {
        (
            LEVELS.iter().position(|l| *l == s(f, "level")).unwrap_or(9),
            s(f, "first_seen").to_string(),
        )
    });
    for f in sorted {
        let evidence: Vec<String> = f["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .take(5)
            .map(|e| match e["part"].as_str() {
                Some(p) => format!("{}#part={}", escape(s(e, "path")), escape(p)),
                None => format!("{}:{}", escape(s(e, "path")), e["line"]),
            })
            .collect();
        let more = f["evidence"]
            .as_array()
            .map_or(0, Vec::len)
            .saturating_sub(5);
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td><span class=\"lvl {lvl}\">{lvl}</span></td><td class=\"mono\" title=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}{}</td></tr>",
            escape(s(f, "first_seen")),
            escape(s(f, "rule_id")),
            escape(short_id(s(f, "rule_id"))),
            escape(s(f, "title")),
            escape(f["entity"]["user"].as_str().unwrap_or("")),
            escape(f["entity"]["source_ip"].as_str().unwrap_or("")),
            escape(f["entity"]["session"].as_str().unwrap_or("")),
            f["count"],
            escape(s(f, "reason")),
            evidence.join("<br>"),
            if more > 0 {
                format!("<br>(+{more} more)")
            } else {
                String::new()
            },
            lvl = escape(s(f, "level")),
        );
    }
    out.push_str("</table>\n<p class=\"caveat\">Made by vigie. Every value above comes from the logs and mail read; none is a verdict.</p>\n</body></html>\n");
    out
}

/// One of the report's answers: `parts` (already escaped) joined by `sep`,
/// or `none` when there are none, then `note`.
/// The posture audit of the system the logs came from (`vigie scan
/// --audit-root`): each finding with its level, check, version and CVE, file
/// and line, why it matters and the fix.
fn posture_section(out: &mut String, posture: &[Value]) {
    if posture.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>Posture of the mail stack ({} finding{})</h2>\n<table>\n<tr><th>level</th><th>check</th><th>what</th><th>where</th><th>why</th><th>fix</th></tr>",
        posture.len(),
        if posture.len() == 1 { "" } else { "s" }
    );
    for f in posture {
        let mut what = escape(s(f, "title"));
        for (key, label) in [("component", ""), ("version", ""), ("cve", "")] {
            if let Some(v) = f[key].as_str() {
                let _ = write!(what, "{label} <span class=\"mono\">{}</span>", escape(v));
            }
        }
        let exploited: Vec<String> = f["exploited_by"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(escape)
            .collect();
        if !exploited.is_empty() {
            let _ = write!(what, " (exploited by {})", exploited.join(", "));
        }
        let place = match f["line"].as_u64() {
            Some(line) => format!("{}:{line}", s(f, "path")),
            None => s(f, "path").to_string(),
        };
        let level = s(f, "level");
        let _ = writeln!(
            out,
            "<tr><td><span class=\"lvl {}\">{}</span></td><td class=\"mono\">{}</td><td>{what}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(level),
            escape(level),
            escape(s(f, "check_id")),
            escape(&place),
            escape(s(f, "why")),
            escape(s(f, "fix"))
        );
    }
    out.push_str("</table>\n");
}

/// What the case read: files by format, lines, events, skipped lines by
/// reason, files of no known format, mail stores, findings by level.
fn read_section(out: &mut String, read: &Value) {
    if read.is_null() {
        return;
    }
    out.push_str("<h2>What was read</h2>\n<table>\n");
    let map = |v: &Value| -> String {
        let parts: Vec<String> = v
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, n)| format!("{} {n}", escape(k)))
            .collect();
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    };
    let rows = [
        (
            "log files",
            format!("{} ({})", read["files"], map(&read["formats"])),
        ),
        ("lines read", read["lines"].to_string()),
        ("events", read["events"].to_string()),
        ("lines skipped, by reason", map(&read["skipped"])),
        ("mail stores", map(&read["mail_stores"])),
        ("findings, by level", map(&read["findings"])),
    ];
    for (what, value) in rows {
        let _ = writeln!(out, "<tr><th>{what}</th><td>{value}</td></tr>");
    }
    let unknown: Vec<String> = read["unknown"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|p| format!("<span class=\"mono\">{}</span>", escape(p)))
        .collect();
    let _ = writeln!(
        out,
        "<tr><th>files of no known format (not understood)</th><td>{} {}</td></tr>",
        read["unknown_count"],
        unknown.join(" ")
    );
    for e in read["errors"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "<tr><th>not read to the end</th><td><span class=\"mono\">{}</span>: {}</td></tr>",
            escape(e[0].as_str().unwrap_or_default()),
            escape(e[1].as_str().unwrap_or_default())
        );
    }
    out.push_str("</table>\n");
}

fn answer(out: &mut String, question: &str, parts: &[String], sep: &str, none: &str, note: &str) {
    let text = if parts.is_empty() {
        none.to_string()
    } else {
        parts.join(sep)
    };
    let _ = writeln!(
        out,
        "<div class=\"answer\"><b>{question}</b> {text}{note}</div>"
    );
}

/// The hypotheses side by side: score, support, evidence for and against,
/// what would raise or lower each.
fn attribution_section(out: &mut String, attribution: &Value, hypotheses: &[&Value]) {
    out.push_str("<h2>Attribution hypotheses</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"caveat\">{} Profiles: {}.</p>",
        escape(s(attribution, "statement")),
        escape(s(attribution, "profiles"))
    );
    if hypotheses.is_empty() {
        return;
    }
    out.push_str("<table><tr><th>hypothesis</th><th>score</th><th>support</th><th>evidence for</th><th>evidence against</th><th>would raise it</th><th>would lower it</th></tr>\n");
    let list = |v: &Value| -> String {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(escape)
            .collect::<Vec<_>>()
            .join("<br>")
    };
    for h in hypotheses {
        let mut name = escape(s(h, "name"));
        if let Some(c) = h["campaign"].as_str() {
            let _ = write!(name, "<br><small>campaign: {}</small>", escape(c));
        }
        if let Some(c) = h["country"].as_str() {
            let _ = write!(name, "<br><small>country: {}</small>", escape(c));
        }
        let _ = writeln!(
            out,
            "<tr><td>{name}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(s(h, "kind")),
            h["score"],
            escape(s(h, "support")),
            list(&h["evidence_for"]),
            list(&h["evidence_against"]),
            list(&h["would_raise"]),
            list(&h["would_lower"]),
        );
    }
    out.push_str("</table>\n");
}

/// An address with its country and network operator, when the scan had GeoIP/ASN databases.
fn located(address: &str, places: &Value) -> String {
    let place = &places[address];
    let mut parts = Vec::new();
    if let Some(country) = place["country"].as_str() {
        parts.push(country.to_string());
    }
    if let Some(asn) = place["asn"].as_u64() {
        parts.push(format!("AS{asn}"));
    }
    if parts.is_empty() {
        address.to_string()
    } else {
        format!("{address} ({})", parts.join(", "))
    }
}

fn account_section(out: &mut String, a: &Value, places: &Value) {
    let _ = writeln!(
        out,
        "<h3>{} <span class=\"lvl {w}\">{w}</span></h3>\n<p>{} findings; intruder addresses: {}; intrusion from {}</p>",
        escape(s(a, "account")),
        a["findings"],
        escape(
            &a["attacker_sources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|ip| located(ip, places))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        escape(a["intrusion_start"].as_str().unwrap_or("-")),
        w = escape(s(a, "worst")),
    );
    let x = &a["exfiltration"];
    out.push_str("<table><tr><th>channel</th><th>bytes</th><th>messages</th><th>confidence</th><th>basis</th></tr>\n");
    for c in x["channels"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(s(c, "channel")),
            c["bytes"]
                .as_u64()
                .map(|b| format!("{b} ({})", human_bytes(b)))
                .unwrap_or_else(|| "not in the logs".to_string()),
            c["messages"]
                .as_u64()
                .map(|m| m.to_string())
                .unwrap_or_default(),
            escape(s(c, "confidence")),
            escape(s(c, "basis"))
        );
    }
    let _ = writeln!(
        out,
        "</table><p><b>Total counted: {}</b></p>",
        human_bytes(x["total_bytes"].as_u64().unwrap_or(0))
    );
    let caveats: Vec<String> = x["caveats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|c| format!("<li>{}</li>", escape(c)))
        .collect();
    let _ = writeln!(out, "<ul class=\"caveat\">{}</ul>", caveats.join(""));
    out.push_str("<table><tr><th>kind</th><th>address</th><th>protocol / day</th><th>first</th><th>last</th><th>sessions / requests</th><th>bytes out</th><th>user agents / actions</th></tr>\n");
    for m in a["mail_sessions"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td></td></tr>",
            if m["attacker"] == true {
                "<b>intruder</b> mail client"
            } else {
                "mail client"
            },
            escape(&located(s(m, "source"), places)),
            escape(s(m, "protocol")),
            escape(s(m, "first")),
            escape(s(m, "last")),
            m["sessions"],
            m["bytes_out"]
        );
        // An intruder's sessions one by one (the first few of each day).
        let each: Vec<String> = m["each"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|_| m["attacker"] == true)
            .map(|one| {
                format!(
                    "{} → {}: {} bytes, {} messages",
                    escape(s(one, "start")),
                    escape(one["end"].as_str().unwrap_or("no logout")),
                    one["bytes_out"],
                    one["bodies"]
                )
            })
            .collect();
        if !each.is_empty() {
            let _ = writeln!(
                out,
                "<tr><td></td><td colspan=\"7\" class=\"mono\">{}</td></tr>",
                each.join("<br>")
            );
        }
    }
    for w in a["web"].as_array().into_iter().flatten() {
        let agents: Vec<&str> = w["user_agents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let actions: Vec<String> = w["actions"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}: {}", v[0]))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}<br>{}</td></tr>",
            if w["attacker"] == true {
                "<b>intruder</b> webmail"
            } else {
                "webmail"
            },
            escape(&located(s(w, "source"), places)),
            escape(s(w, "day")),
            escape(w["first"].as_str().unwrap_or("")),
            escape(w["last"].as_str().unwrap_or("")),
            w["requests"],
            w["bytes_out"],
            escape(&agents.join(" | ")),
            escape(&actions.join(", "))
        );
    }
    out.push_str("</table>\n");
    let items: Vec<&Value> = a["web"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|w| w["attacker"] == true)
        .flat_map(|w| w["items"].as_array().into_iter().flatten())
        .collect();
    let marks: Vec<&Value> = a["marks"].as_array().into_iter().flatten().collect();
    if !items.is_empty() || !marks.is_empty() {
        out.push_str("<details><summary>Intruder webmail actions, logins, failures, forwards, mail sent</summary><table><tr><th>time</th><th>what</th><th>detail</th><th>line</th></tr>\n");
        let mut rows: Vec<(String, String, String, String)> = items
            .iter()
            .map(|i| {
                (
                    s(i, "timestamp").to_string(),
                    s(i, "action").to_string(),
                    format!(
                        "mbox {} uid {} part {} → {} bytes (HTTP {})",
                        i["mailbox"].as_str().unwrap_or("-"),
                        i["uid"].as_str().unwrap_or("-"),
                        i["part"].as_str().unwrap_or("-"),
                        i["bytes"],
                        i["status"]
                    ),
                    format!("{}:{}", s(&i["evidence"], "path"), i["evidence"]["line"]),
                )
            })
            .collect();
        rows.extend(marks.iter().map(|m| {
            (
                s(m, "timestamp").to_string(),
                s(m, "kind").to_string(),
                format!("{} {}", m["source"].as_str().unwrap_or(""), s(m, "detail")),
                format!("{}:{}", s(&m["evidence"], "path"), m["evidence"]["line"]),
            )
        }));
        rows.sort();
        for (t, what, detail, line) in rows {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                escape(&t),
                escape(&what),
                escape(&detail),
                escape(&line)
            );
        }
        out.push_str("</table></details>\n");
    }
}

/// Findings per account over time, each a dot coloured by level, the
/// intrusion window (from the first intruder activity to the last severe
/// finding) shaded.
fn timeline_svg(all: &[Value], accounts: &[Value]) -> String {
    let (file_times, events): (Vec<&Value>, Vec<&Value>) =
        all.iter().partition(|f| is_file_time(f));
    let note = if file_times.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"caveat\">Kept off the axis, their time being a file's last change, not an event's: {}.</p>",
            file_times
                .iter()
                .map(|f| format!(
                    "{} ({}, file time {})",
                    escape(s(f, "title")),
                    escape(f["entity"]["user"].as_str().unwrap_or("no account")),
                    escape(s(f, "first_seen"))
                ))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let findings: Vec<Value> = events.into_iter().cloned().collect();
    let findings = findings.as_slice();
    let times: Vec<i64> = findings
        .iter()
        .filter_map(|f| seconds(s(f, "first_seen")))
        .collect();
    let (Some(&t0), Some(&t1)) = (times.iter().min(), times.iter().max()) else {
        return format!("<p>No finding on the time axis.</p>{note}");
    };
    let span = (t1 - t0).max(1) as f64;
    let mut lanes: Vec<String> = accounts
        .iter()
        .map(|a| s(a, "account").to_string())
        .collect();
    lanes.push("(no account)".to_string());
    let (width, left, lane) = (1100.0, 220.0, 26.0);
    let height = 40.0 + lane * lanes.len() as f64;
    let x = |t: i64| left + (t - t0) as f64 / span * (width - left - 20.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"findings per account over time\">"
    );
    for (i, name) in lanes.iter().enumerate() {
        let y = 20.0 + lane * i as f64;
        if let Some(a) = accounts.get(i)
            && let Some(start) = a["intrusion_start"].as_str().and_then(seconds)
        {
            let end = findings
                .iter()
                .filter(|f| {
                    f["entity"]["user"].as_str() == Some(name.as_str())
                        && matches!(s(f, "level"), "high" | "critical")
                })
                .filter_map(|f| seconds(s(f, "last_seen")))
                .max()
                .unwrap_or(start)
                .max(start);
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#ffd8d3\"><title>intrusion window</title></rect>",
                x(start),
                y - 9.0,
                (x(end) - x(start)).max(3.0),
                18.0
            );
        }
        let _ = write!(
            svg,
            "<text x=\"4\" y=\"{:.1}\" font-size=\"12\">{}</text><line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d0d7de\"/>",
            y + 4.0,
            escape(name),
            width - 20.0
        );
    }
    for f in findings {
        let Some(t) = seconds(s(f, "first_seen")) else {
            continue;
        };
        let user = f["entity"]["user"].as_str().unwrap_or("(no account)");
        let i = lanes
            .iter()
            .position(|l| l == user)
            .unwrap_or(lanes.len() - 1);
        let y = 20.0 + lane * i as f64;
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"{}\"><title>{}: {}</title></circle>",
            x(t),
            level_color(s(f, "level")),
            escape(s(f, "first_seen")),
            escape(s(f, "title"))
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"{:.1}\" font-size=\"11\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        height - 6.0,
        escape(
            findings
                .iter()
                .map(|f| s(f, "first_seen"))
                .min()
                .unwrap_or_default()
        ),
        width - 20.0,
        height - 6.0,
        escape(
            findings
                .iter()
                .map(|f| s(f, "first_seen"))
                .max()
                .unwrap_or_default()
        )
    );
    svg.push_str(&note);
    svg
}

fn bars_svg(bars: &[(String, u64)], label: &str) -> String {
    if bars.is_empty() {
        return "<p>Nothing to show.</p>".to_string();
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let (width, left, row) = (1100.0, 330.0, 22.0);
    let height = 10.0 + row * bars.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(label)
    );
    for (i, (name, value)) in bars.iter().enumerate() {
        let y = 5.0 + row * i as f64;
        let w = (*value as f64 / max * (width - left - 120.0)).max(1.0);
        let _ = write!(
            svg,
            "<text x=\"4\" y=\"{:.1}\" font-size=\"12\">{}</text><rect x=\"{left}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"16\" fill=\"#0969da\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y + 12.0,
            escape(name),
            left + w + 6.0,
            y + 12.0,
            escape(&format!("{value}"))
        );
    }
    svg.push_str("</svg>");
    svg
}

fn bytes_svg(compromised: &[&Value]) -> String {
    let mut bars = Vec::new();
    for a in compromised {
        let account = s(a, "account");
        for m in a["mail_sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["attacker"] == true)
        {
            bars.push((
                format!(
                    "{account} {} {} ({} sessions)",
                    s(m, "protocol"),
                    s(m, "source"),
                    m["sessions"]
                ),
                m["bytes_out"].as_u64().unwrap_or(0),
            ));
        }
        for w in a["web"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["attacker"] == true)
        {
            bars.push((
                format!("{account} webmail {} {}", s(w, "source"), s(w, "day")),
                w["bytes_out"].as_u64().unwrap_or(0),
            ));
        }
    }
    bars_svg(&bars, "bytes out per intruder session")
}

/// Findings per source country when the scan had a GeoIP database, else per address.
fn sources_svg(findings: &[Value], places: &Value) -> String {
    let by_country = places.as_object().is_some_and(|p| !p.is_empty());
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for f in findings {
        if let Some(ip) = f["entity"]["source_ip"].as_str() {
            let key = if by_country {
                places[ip]["country"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_string()
            } else {
                ip.to_string()
            };
            *counts.entry(key).or_default() += 1;
        }
    }
    let mut bars: Vec<(String, u64)> = counts.into_iter().collect();
    bars.sort_by_key(|b| std::cmp::Reverse(b.1));
    bars.truncate(20);
    if by_country {
        bars_svg(&bars, "findings per source country")
    } else {
        bars_svg(
            &bars,
            "findings per source address (countries need --geoip)",
        )
    }
}

/// The Markdown summary of a case.
pub fn markdown(
    case_name: &str,
    findings: &[Value],
    scope: &Value,
    attribution: &Value,
    answers: &Value,
    posture: &[Value],
) -> String {
    let mut out = format!("# vigie case {}\n\n", escape_markdown(case_name));
    let _ = writeln!(out, "{} findings.\n", findings.len());
    let when = &answers["when"];
    if !answers.is_null() {
        let _ = writeln!(
            out,
            "**When:** {}\n",
            if when.is_null() {
                "no high or critical finding attributable to an intruder.".to_string()
            } else {
                escape_markdown(&format!(
                    "{}: {} (account {}, from {}; confidence {})",
                    s(when, "time"),
                    s(when, "title"),
                    when["account"].as_str().unwrap_or("none named"),
                    when["source_ip"].as_str().unwrap_or("no address"),
                    s(when, "confidence")
                ))
            }
        );
        let read = &answers["read"];
        let _ = writeln!(
            out,
            "**What was read:** {} log files, {} lines, {} events, {} files of no known format.\n",
            read["files"], read["lines"], read["events"], read["unknown_count"]
        );
    }
    if !posture.is_empty() {
        let _ = writeln!(out, "**Posture of the mail stack:**\n");
        for f in posture {
            let line = f["line"]
                .as_u64()
                .map(|l| format!(":{l}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {} {} {}{} — {}{}",
                escape_markdown(s(f, "level")),
                escape_markdown(s(f, "check_id")),
                escape_markdown(s(f, "path")),
                line,
                escape_markdown(s(f, "title")),
                f["cve"]
                    .as_str()
                    .map(|c| format!(" ({})", escape_markdown(c)))
                    .unwrap_or_default()
            );
        }
        out.push('\n');
    }
    out.push_str("| account | worst | findings | intruder addresses | bytes counted | channels |\n|---|---|---|---|---|---|\n");
    for a in scope["accounts"].as_array().into_iter().flatten() {
        let channels: Vec<String> = a["exfiltration"]["channels"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| s(c, "channel").to_string())
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            escape_markdown(s(a, "account")),
            escape_markdown(s(a, "worst")),
            a["findings"],
            escape_markdown(
                &a["attacker_sources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            a["exfiltration"]["total_bytes"],
            escape_markdown(&channels.join(", "))
        );
    }
    let _ = writeln!(
        out,
        "\n{}\n",
        escape_markdown(
            attribution["statement"]
                .as_str()
                .unwrap_or("Attribution was not computed.")
        )
    );
    let hypotheses = attribution["hypotheses"].as_array().into_iter().flatten();
    let mut table =
        String::from("| hypothesis | campaign | score | support |\n|---|---|---|---|\n");
    let mut any = false;
    for h in hypotheses {
        any = true;
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} |",
            escape_markdown(s(h, "name")),
            escape_markdown(s(h, "campaign")),
            h["score"],
            escape_markdown(s(h, "support"))
        );
    }
    if any {
        out.push_str(&table);
    }
    out.push_str(
        "\n| first seen | level | rule | title | account | address |\n|---|---|---|---|---|---|\n",
    );
    for f in findings
        .iter()
        .filter(|f| matches!(s(f, "level"), "high" | "critical"))
    {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            escape_markdown(s(f, "first_seen")),
            escape_markdown(s(f, "level")),
            escape_markdown(s(f, "rule_id")),
            escape_markdown(s(f, "title")),
            escape_markdown(f["entity"]["user"].as_str().unwrap_or("")),
            escape_markdown(f["entity"]["source_ip"].as_str().unwrap_or(""))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup_and_no_control_bytes() {
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)></style>\u{1b}[31m\"'&";
        let e = escape(hostile);
        assert!(
            !e.contains('<') && !e.contains('>') && !e.contains('\u{1b}') && !e.contains('"'),
            "{e}"
        );
        let m = escape_markdown("a|b<script>`x`\u{1b}[0m");
        assert!(
            !m.contains('<') && !m.contains('\u{1b}') && m.contains("\\|"),
            "{m}"
        );
    }
}
