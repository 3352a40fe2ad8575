//! The case timeline: findings and their evidence lines in time order, as
//! CSV (formula-safe cells) or JSON lines, in named column profiles.

use std::io::{self, Write};

use serde_json::json;
use vigie_event::csv::write_cell;
use vigie_event::{Finding, Timestamp};

use crate::answers::is_undated;

/// A set of columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Time, level, rule, title, account, address, session, count, evidence, reason.
    Standard,
    /// Standard, plus ATT&CK ids, last time and every evidence line.
    Verbose,
    /// The columns Timesketch imports: `message`, `datetime`, `timestamp_desc`, and extras.
    Timesketch,
    /// ECS field names (`@timestamp`, `rule.id`, `event.severity`, …).
    Ecs,
}

impl Profile {
    /// Every profile, by name.
    pub const ALL: [(&'static str, Profile); 4] = [
        ("standard", Profile::Standard),
        ("verbose", Profile::Verbose),
        ("timesketch", Profile::Timesketch),
        ("ecs", Profile::Ecs),
    ];

    /// The profile called `name`.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
    }
}

fn evidence_text(f: &Finding, all: bool) -> String {
    let shown = if all {
        f.evidence.len()
    } else {
        f.evidence.len().min(3)
    };
    let mut text: Vec<String> = f.evidence[..shown]
        .iter()
        .map(|e| match &e.part {
            Some(part) => format!("{}#part={part}", e.path),
            None => format!("{}:{}", e.path, e.line),
        })
        .collect();
    if shown < f.evidence.len() {
        text.push(format!("(+{} more)", f.evidence.len() - shown));
    }
    text.join(" ")
}

/// The profile's rows: a header, then one row per finding, in time order.
/// A message that tells no arrival time ([`is_undated`]) comes last with
/// no time in the standard and verbose profiles; Timesketch and ECS
/// require one, so there it keeps the epoch its finding carries (its
/// reason says it has none).
fn rows(findings: &[Finding], profile: Profile) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| (is_undated(f), f.first_seen));
    let time = |f: &Finding, t: Timestamp| {
        if is_undated(f) {
            String::new()
        } else {
            t.to_string()
        }
    };
    match profile {
        Profile::Standard | Profile::Verbose => {
            let verbose = profile == Profile::Verbose;
            let mut header = vec![
                "time",
                "level",
                "rule_id",
                "title",
                "user",
                "source_ip",
                "session",
                "count",
                "evidence",
                "reason",
            ];
            if verbose {
                header.extend(["last_seen", "attack"]);
            }
            let rows = sorted
                .iter()
                .map(|f| {
                    let mut row = vec![
                        time(f, f.first_seen),
                        f.level.clone(),
                        f.rule_id.clone(),
                        f.title.clone(),
                        opt(&f.entity.user),
                        opt(&f.entity.source_ip),
                        opt(&f.entity.session),
                        f.count.to_string(),
                        evidence_text(f, verbose),
                        f.reason.clone(),
                    ];
                    if verbose {
                        row.extend([time(f, f.last_seen), f.attack.join(" ")]);
                    }
                    row
                })
                .collect();
            (header, rows)
        }
        Profile::Timesketch => {
            let header = vec![
                "message",
                "datetime",
                "timestamp_desc",
                "level",
                "rule_id",
                "user",
                "source_ip",
                "attack",
                "evidence",
            ];
            let rows = sorted
                .iter()
                .map(|f| {
                    vec![
                        format!("[{}] {}: {}", f.level, f.title, f.reason),
                        f.first_seen.to_string(),
                        "First seen".to_string(),
                        f.level.clone(),
                        f.rule_id.clone(),
                        opt(&f.entity.user),
                        opt(&f.entity.source_ip),
                        f.attack.join(" "),
                        evidence_text(f, false),
                    ]
                })
                .collect();
            (header, rows)
        }
        Profile::Ecs => {
            let header = vec![
                "@timestamp",
                "event.end",
                "event.severity",
                "rule.id",
                "rule.name",
                "user.name",
                "source.ip",
                "session.id",
                "event.count",
                "threat.technique.id",
                "log.file.path",
                "message",
            ];
            let rows = sorted
                .iter()
                .map(|f| {
                    vec![
                        f.first_seen.to_string(),
                        f.last_seen.to_string(),
                        f.level.clone(),
                        f.rule_id.clone(),
                        f.title.clone(),
                        opt(&f.entity.user),
                        opt(&f.entity.source_ip),
                        opt(&f.entity.session),
                        f.count.to_string(),
                        f.attack.join(" "),
                        evidence_text(f, false),
                        f.reason.clone(),
                    ]
                })
                .collect();
            (header, rows)
        }
    }
}

/// Writes the timeline as CSV.
pub fn write_csv<W: Write + ?Sized>(
    out: &mut W,
    findings: &[Finding],
    profile: Profile,
) -> io::Result<()> {
    let (header, rows) = rows(findings, profile);
    for (i, name) in header.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_cell(out, name)?;
    }
    out.write_all(b"\n")?;
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_cell(out, cell)?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes the timeline as JSON lines, one object per finding with the profile's keys.
pub fn write_jsonl<W: Write + ?Sized>(
    out: &mut W,
    findings: &[Finding],
    profile: Profile,
) -> io::Result<()> {
    let (header, rows) = rows(findings, profile);
    for row in rows {
        let object: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(row)
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        serde_json::to_writer(&mut *out, &object)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
