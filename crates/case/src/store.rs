//! The case database (`DIR/case.sqlite`): sources read, findings with their
//! evidence, entities (accounts, addresses, sessions), what each set of
//! inputs taught about the accounts (their activity), each account's scope
//! and exfiltration estimate, and the logs' coverage. A later scan of more
//! input adds to it: findings and evidence are keyed by their content, so
//! what is already there is not stored twice, and a set of inputs read
//! again replaces its activity. Every other file of the case is written
//! from what this database holds after the scan ([`findings`], [`activity`],
//! [`sources`]), so a case built by several scans reads whole.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};
use vigie_event::{Entity, Evidence, Finding, Timestamp};

use crate::activity::{Activity, ActivityState, PackedState, Selection};
use crate::scope::CaseScope;

/// One input file as the scan read it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SourceRow {
    /// Its path.
    pub path: String,
    /// The format detected (`syslog`, `nginx-access`, …).
    pub format: Option<String>,
    /// Lines read.
    pub lines: u64,
    /// Lines that became events.
    pub events: u64,
    /// Lines skipped, per reason, as JSON.
    pub skipped: String,
    /// Why reading stopped early, if it did.
    pub error: Option<String>,
    /// The earliest event time in the file.
    pub first_seen: Option<String>,
    /// The latest event time in the file.
    pub last_seen: Option<String>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, format TEXT, lines INTEGER, events INTEGER, skipped TEXT, error TEXT, scanned_at TEXT,
    first_seen TEXT, last_seen TEXT);
CREATE TABLE IF NOT EXISTS findings (
    key TEXT PRIMARY KEY, rule_id TEXT, title TEXT, level TEXT, attack TEXT, user TEXT, source_ip TEXT,
    session TEXT, first_seen TEXT, last_seen TEXT, count INTEGER, reason TEXT);
CREATE TABLE IF NOT EXISTS evidence (
    finding TEXT REFERENCES findings(key), path TEXT, line INTEGER, part TEXT,
    UNIQUE (finding, path, line, part));
CREATE TABLE IF NOT EXISTS entities (kind TEXT, value TEXT, UNIQUE (kind, value));
CREATE TABLE IF NOT EXISTS scope (account TEXT PRIMARY KEY, worst TEXT, attacker_sources TEXT, intrusion_start TEXT, json TEXT);
CREATE TABLE IF NOT EXISTS exfiltration (
    account TEXT, channel TEXT, bytes INTEGER, messages INTEGER, confidence TEXT, basis TEXT, UNIQUE (account, channel));
CREATE TABLE IF NOT EXISTS coverage (family TEXT PRIMARY KEY, events INTEGER, first TEXT, last TEXT, gaps TEXT);
CREATE TABLE IF NOT EXISTS hypotheses (
    name TEXT PRIMARY KEY, kind TEXT, campaign TEXT, score REAL, support TEXT, json TEXT);
CREATE TABLE IF NOT EXISTS activity (input TEXT PRIMARY KEY, json TEXT);
CREATE INDEX IF NOT EXISTS evidence_finding ON evidence (finding);
";

/// What identifies a finding across scans: its rule, entity and first time
/// (an overlapping older row of the same rule and entity is replaced).
fn finding_key(f: &Finding) -> String {
    // The first evidence line tells apart findings of one rule, entity and
    // time about different things (two messages of the same date).
    let text = format!(
        "{}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{:?}",
        f.rule_id,
        f.entity.user,
        f.entity.source_ip,
        f.entity.session,
        f.first_seen,
        f.evidence.first()
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Opens the case database at `path`, creating or upgrading its tables.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let db = Connection::open(path)?;
    db.execute_batch(SCHEMA)?;
    // A case written by an earlier vigie lacks the newer columns.
    for column in ["first_seen", "last_seen"] {
        let present = db
            .prepare("SELECT 1 FROM pragma_table_info('sources') WHERE name = ?1")?
            .exists([column])?;
        if !present {
            db.execute(&format!("ALTER TABLE sources ADD COLUMN {column} TEXT"), [])?;
        }
    }
    Ok(db)
}

/// Adds one scan to the case database at `path`: the files it read, its
/// findings (replacing the same findings seen with less input) and the
/// activity of each set of inputs, as `(the set's files, one a line;
/// its state)` (replacing what the same set taught before).
pub fn add_scan(
    path: &Path,
    sources: &[SourceRow],
    findings: &[Finding],
    activity: &[(String, PackedState)],
    scanned_at: &str,
) -> rusqlite::Result<()> {
    let mut db = open(path)?;
    let tx = db.transaction()?;
    {
        let mut source = tx.prepare(
            "INSERT OR REPLACE INTO sources (path, format, lines, events, skipped, error, scanned_at, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for s in sources {
            source.execute(params![
                s.path,
                s.format,
                s.lines as i64,
                s.events as i64,
                s.skipped,
                s.error,
                scanned_at,
                s.first_seen,
                s.last_seen
            ])?;
        }
        let mut finding = tx.prepare(
            "INSERT OR REPLACE INTO findings (key, rule_id, title, level, attack, user, source_ip, session, first_seen, last_seen, count, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut evidence = tx.prepare(
            "INSERT OR IGNORE INTO evidence (finding, path, line, part) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut entity =
            tx.prepare("INSERT OR IGNORE INTO entities (kind, value) VALUES (?1, ?2)")?;
        // A finding of the same rule and entity whose time overlaps this
        // one is the same finding seen with less input (a rescan with
        // earlier logs moves its first time, hence its key): it is replaced.
        let mut superseded = tx.prepare(
            "SELECT key FROM findings WHERE rule_id = ?1 AND user IS ?2 AND source_ip IS ?3 AND session IS ?4
             AND first_seen <= ?5 AND last_seen >= ?6 AND key != ?7",
        )?;
        let mut forget_evidence = tx.prepare("DELETE FROM evidence WHERE finding = ?1")?;
        let mut forget_finding = tx.prepare("DELETE FROM findings WHERE key = ?1")?;
        // Only rows of earlier scans are superseded: two findings of this
        // scan are two findings.
        let mut this_scan = std::collections::HashSet::new();
        for f in findings {
            let key = finding_key(f);
            this_scan.insert(key.clone());
            let older: Vec<String> = superseded
                .query_map(
                    params![
                        f.rule_id,
                        f.entity.user,
                        f.entity.source_ip,
                        f.entity.session,
                        f.last_seen.to_string(),
                        f.first_seen.to_string(),
                        key
                    ],
                    |r| r.get(0),
                )?
                .collect::<rusqlite::Result<_>>()?;
            for old in older.iter().filter(|k| !this_scan.contains(*k)) {
                forget_evidence.execute([old])?;
                forget_finding.execute([old])?;
            }
            finding.execute(params![
                key,
                f.rule_id,
                f.title,
                f.level,
                f.attack.join(" "),
                f.entity.user,
                f.entity.source_ip,
                f.entity.session,
                f.first_seen.to_string(),
                f.last_seen.to_string(),
                f.count as i64,
                f.reason
            ])?;
            for e in &f.evidence {
                // NULL parts would never collide in UNIQUE: store "" for a log line.
                evidence.execute(params![
                    key,
                    e.path,
                    e.line as i64,
                    e.part.as_deref().unwrap_or("")
                ])?;
            }
            for (kind, value) in [
                ("account", &f.entity.user),
                ("address", &f.entity.source_ip),
                ("session", &f.entity.session),
            ] {
                if let Some(v) = value {
                    entity.execute(params![kind, v])?;
                }
            }
        }
        let mut set =
            tx.prepare("INSERT OR REPLACE INTO activity (input, json) VALUES (?1, ?2)")?;
        for (input, state) in activity {
            let json = state
                .json()
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            set.execute(params![input, json])?;
        }
    }
    tx.commit()
}

/// Writes the case's scope, exfiltration estimate, coverage and
/// hypotheses, computed from everything the case holds: each replaces
/// what an earlier scan wrote.
pub fn write_answers(
    path: &Path,
    scope: &CaseScope,
    hypotheses: &[serde_json::Value],
) -> rusqlite::Result<()> {
    let mut db = open(path)?;
    let tx = db.transaction()?;
    {
        tx.execute_batch("DELETE FROM scope; DELETE FROM exfiltration; DELETE FROM coverage;")?;
        let mut account = tx.prepare(
            "INSERT OR REPLACE INTO scope (account, worst, attacker_sources, intrusion_start, json) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut channel = tx.prepare(
            "INSERT OR REPLACE INTO exfiltration (account, channel, bytes, messages, confidence, basis) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for a in &scope.accounts {
            let json = serde_json::to_string(a).unwrap_or_default();
            account.execute(params![
                a.account,
                a.worst,
                a.attacker_sources.join(" "),
                a.intrusion_start.map(|t| t.to_string()),
                json
            ])?;
            for c in &a.exfiltration.channels {
                channel.execute(params![
                    a.account,
                    c.channel,
                    c.bytes.map(|b| b as i64),
                    c.messages.map(|m| m as i64),
                    c.confidence,
                    c.basis
                ])?;
            }
        }
        let mut coverage = tx.prepare("INSERT OR REPLACE INTO coverage (family, events, first, last, gaps) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for c in &scope.coverage {
            let gaps = serde_json::to_string(&c.gaps).unwrap_or_default();
            coverage.execute(params![
                c.family,
                c.events as i64,
                c.first.to_string(),
                c.last.to_string(),
                gaps
            ])?;
        }
        // Hypotheses are the latest scan's weighing of everything: replaced whole.
        tx.execute("DELETE FROM hypotheses", [])?;
        let mut hypothesis = tx.prepare(
            "INSERT INTO hypotheses (name, kind, campaign, score, support, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for h in hypotheses {
            hypothesis.execute(params![
                h["name"].as_str(),
                h["kind"].as_str(),
                h["campaign"].as_str(),
                h["score"].as_f64(),
                h["support"].as_str(),
                h.to_string()
            ])?;
        }
    }
    tx.commit()
}

fn column_error(
    column: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
}

/// Every finding the case holds, in time order (then rule and entity),
/// each with its evidence in the order it was stored.
pub fn findings(path: &Path) -> rusqlite::Result<Vec<Finding>> {
    let db = open(path)?;
    let mut evidence_of =
        db.prepare("SELECT path, line, part FROM evidence WHERE finding = ?1 ORDER BY rowid")?;
    let mut rows = db.prepare(
        "SELECT key, rule_id, title, level, attack, user, source_ip, session, first_seen, last_seen, count, reason FROM findings",
    )?;
    let mut findings = Vec::new();
    let mut read = rows.query([])?;
    while let Some(r) = read.next()? {
        let key: String = r.get(0)?;
        let time = |i: usize| -> rusqlite::Result<Timestamp> {
            r.get::<_, String>(i)?
                .parse()
                .map_err(|e| column_error(i, e))
        };
        let evidence = evidence_of
            .query_map([&key], |e| {
                let part: String = e.get(2)?;
                Ok(Evidence {
                    path: e.get(0)?,
                    line: e.get::<_, i64>(1)?.max(0) as u64,
                    part: (!part.is_empty()).then_some(part),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let attack: String = r.get(4)?;
        findings.push(Finding {
            rule_id: r.get(1)?,
            title: r.get(2)?,
            level: r.get(3)?,
            attack: attack.split_whitespace().map(str::to_string).collect(),
            entity: Entity {
                user: r.get(5)?,
                source_ip: r.get(6)?,
                session: r.get(7)?,
            },
            first_seen: time(8)?,
            last_seen: time(9)?,
            count: r.get::<_, i64>(10)?.max(0) as u64,
            evidence,
            reason: r.get(11)?,
        });
    }
    Finding::sort(&mut findings);
    Ok(findings)
}

/// The activity of every set of inputs the case holds, merged, of what
/// `selection` names; and the address of every webmail request the case
/// holds, kept or not (what the scope needs to choose its [`Selection`]).
pub fn activity(
    path: &Path,
    selection: &Selection,
) -> rusqlite::Result<(Activity, BTreeSet<IpAddr>)> {
    let db = open(path)?;
    let mut rows = db.prepare("SELECT input, json FROM activity ORDER BY input")?;
    let mut all = Activity::default();
    let mut web_addresses = BTreeSet::new();
    let mut read = rows.query([])?;
    while let Some(r) = read.next()? {
        let (input, json): (String, String) = (r.get(0)?, r.get(1)?);
        let state =
            ActivityState::read_selected(&json, selection, &mut web_addresses).map_err(|e| {
                let damaged = format!("the stored activity of {input} is damaged: {e}");
                column_error(
                    1,
                    std::io::Error::new(std::io::ErrorKind::InvalidData, damaged),
                )
            })?;
        all.merge(Activity::from_state(state));
    }
    Ok((all, web_addresses))
}

/// Every file the case has read, by path.
pub fn sources(path: &Path) -> rusqlite::Result<Vec<SourceRow>> {
    let db = open(path)?;
    let mut rows = db.prepare(
        "SELECT path, format, lines, events, skipped, error, first_seen, last_seen FROM sources ORDER BY path",
    )?;
    rows.query_map([], |r| {
        Ok(SourceRow {
            path: r.get(0)?,
            format: r.get(1)?,
            lines: r.get::<_, Option<i64>>(2)?.unwrap_or(0).max(0) as u64,
            events: r.get::<_, Option<i64>>(3)?.unwrap_or(0).max(0) as u64,
            skipped: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            error: r.get(5)?,
            first_seen: r.get(6)?,
            last_seen: r.get(7)?,
        })
    })?
    .collect()
}
