//! The case folder: `findings.jsonl`, the case database (`case.sqlite`,
//! which every scan of the case adds to), the scope, timeline, exports,
//! answers and the report, written from what stage two found.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use vigie_case::activity::{Activity, Selection};
use vigie_case::tally::MAILBOX_PREFIX;
use vigie_case::timeline::{self, Profile};
use vigie_case::{answers, export, report, scope, store};
use vigie_event::Finding;
use vigie_ingest::InputReport;
use vigie_intel::attribution::{self, Attribution, Profiles};
use vigie_mail::StoreKind;

use crate::mail::MailScan;
use crate::stage_two::{Earlier, Outcome};
use crate::{Engine, Error};

/// What writing the case gave, for the caller to show.
pub struct Summary {
    /// Every finding the case holds, as written to `findings.jsonl` (with
    /// `findings_only`, this scan's).
    pub findings: Vec<Finding>,
    /// The attribution hypotheses over them.
    pub attribution: Attribution,
    /// `findings.jsonl`.
    pub findings_path: PathBuf,
}

/// Turns a store error on `path` into [`Error::Database`].
fn database_error<E: std::error::Error + Send + Sync + 'static>(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(E) -> Error + use<E> {
    let path = path.to_path_buf();
    move |source| Error::Database {
        action,
        path,
        source: Box::new(source),
    }
}

/// Creates the case folder `case`.
///
/// # Errors
/// [`Error::CaseFolder`] when it cannot be created or is a file.
pub fn create(case: &Path) -> Result<(), Error> {
    let fail = |source| Error::CaseFolder {
        path: case.to_path_buf(),
        source,
    };
    // create_dir_all on a file says only "File exists".
    if case.exists() && !case.is_dir() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "a file, not a folder, is there",
        )));
    }
    std::fs::create_dir_all(case).map_err(fail)
}

/// What earlier scans recorded in the case folder `case`, when it has a
/// database; for [`Engine::stage_two`].
///
/// # Errors
/// [`Error::Database`] when the database does not read.
pub fn earlier(case: &Path) -> Result<Option<Earlier>, Error> {
    let database = case.join("case.sqlite");
    if !database.is_file() {
        return Ok(None);
    }
    // Stage two reads the webmail requests and marks of earlier scans
    // (who opened a flagged message), not their mail-client sessions.
    let earlier = Selection {
        sessions_of: Some(Default::default()),
        web_from: None,
    };
    let (activity, _) =
        store::activity(&database, &earlier).map_err(database_error("read", &database))?;
    let findings = store::findings(&database).map_err(database_error("read", &database))?;
    Ok(Some(Earlier { activity, findings }))
}

/// Writes the case folder `case` (created beforehand, [`create`]): this
/// scan is added to the case database, then `findings.jsonl`, the scope,
/// timeline, exports, answers and report are written from all the case
/// holds. With `findings_only`, only `findings.jsonl` of this scan.
/// `report.html` shows `audit.jsonl` when it is there (write it first).
///
/// # Errors
/// A file or the database that cannot be written or read back.
pub fn write(case: &Path, engine: &Engine, outcome: &Outcome) -> Result<Summary, Error> {
    let path = case.join("findings.jsonl");
    let (findings, attribution) = if engine.config.findings_only {
        write_findings(&path, &outcome.findings)?;
        let attribution = attribution::attribute(
            &outcome.findings,
            &outcome.actor_matches,
            &Profiles::builtin(),
        );
        (outcome.findings.clone(), attribution)
    } else {
        // The case is the store: this scan is added to it, then every file
        // of the case is written from all it holds.
        let database = case.join("case.sqlite");
        let now = scan_time()?;
        store::add_scan(
            &database,
            &outcome.sources,
            &outcome.findings,
            &outcome.states,
            &now.to_string(),
        )
        .map_err(database_error("write", &database))?;
        let findings = store::findings(&database).map_err(database_error("read", &database))?;
        // The scope reads the sessions and webmail requests of the
        // accounts in the case, not every account's: first the outline
        // (marks, logins) that says which.
        let read = |selection: &Selection| {
            store::activity(&database, selection).map_err(database_error("read", &database))
        };
        let (outline, web_addresses) = read(&Selection::outline())?;
        let selection = scope::selection(
            &outline,
            &web_addresses,
            &findings,
            engine.config.all_accounts,
        );
        drop(outline);
        let (activity, _) = read(&selection)?;
        write_findings(&path, &findings)?;
        let attribution =
            attribution::attribute(&findings, &outcome.actor_matches, &Profiles::builtin());
        write_case(case, engine, activity, &findings, &attribution, now)?;
        (findings, attribution)
    };
    Ok(Summary {
        findings,
        attribution,
        findings_path: path,
    })
}

/// Writes `findings.jsonl`.
///
/// # Errors
/// [`Error::Write`] when the file cannot be written.
pub fn write_findings(path: &Path, findings: &[Finding]) -> Result<(), Error> {
    let written = (|| {
        let mut file = io::BufWriter::new(std::fs::File::create(path)?);
        for f in findings {
            serde_json::to_writer(&mut file, f)?;
            file.write_all(b"\n")?;
        }
        file.flush()
    })();
    written.map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The files and mail stores a scan read, as the case database lists them
/// (a store's format is `mailbox:<kind>`).
pub fn source_rows(reports: &[InputReport], mail: &MailScan) -> Vec<store::SourceRow> {
    // Dovecot's state files beside the mailboxes are neither logs nor mail.
    let stores = mail
        .stores
        .iter()
        .filter(|s| s.kind != StoreKind::DovecotState)
        .map(|s| store::SourceRow {
            path: s.path.display().to_string(),
            format: Some(format!("{MAILBOX_PREFIX}{}", store_kind(s.kind))),
            lines: 0,
            events: 0,
            skipped: "{}".to_string(),
            error: None,
            first_seen: None,
            last_seen: None,
        });
    reports
        .iter()
        .map(|r| store::SourceRow {
            path: r.path.clone(),
            format: r.format.map(|f| f.name().to_string()),
            lines: r.lines,
            events: r.events,
            skipped: serde_json::to_value(r)
                .map(|v| v["skipped"].to_string())
                .unwrap_or_default(),
            error: r.error.clone(),
            first_seen: r.first_seen.map(|t| t.to_string()),
            last_seen: r.last_seen.map(|t| t.to_string()),
        })
        .chain(stores)
        .collect()
}

fn store_kind(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Maildir => "maildir",
        StoreKind::Mbox => "mbox",
        StoreKind::Eml => "eml",
        StoreKind::Sieve => "sieve",
        StoreKind::DovecotState => "dovecot-state",
    }
}

/// Writes one case file with `body`.
fn write_file(
    case: &Path,
    name: &str,
    body: &dyn Fn(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let path = case.join(name);
    let written = std::fs::File::create(&path).and_then(|file| {
        let mut file = io::BufWriter::new(file);
        body(&mut file).and_then(|()| file.flush())
    });
    written.map_err(|source| Error::Write { path, source })
}

/// Writes the case's scope, timeline, exports and report from everything
/// the case database holds (`findings` and `activity` were read from it).
fn write_case(
    case: &Path,
    engine: &Engine,
    activity: Activity,
    findings: &[Finding],
    attribution: &Attribution,
    now: vigie_event::Timestamp,
) -> Result<(), Error> {
    let config = &engine.config;
    let mut scope = scope::scope(&activity, findings, config.all_accounts);
    drop(activity);
    scope::locate(&mut scope, findings, &engine.geo);
    let write =
        |name: &str, body: &dyn Fn(&mut dyn Write) -> io::Result<()>| write_file(case, name, body);
    write("attribution.json", &|out| {
        serde_json::to_writer_pretty(&mut *out, attribution)?;
        out.write_all(b"\n")
    })?;
    write("scope.json", &|out| {
        serde_json::to_writer_pretty(&mut *out, &scope)?;
        out.write_all(b"\n")
    })?;
    let profile = Profile::from_name(&config.timeline_profile).unwrap_or(Profile::Standard);
    write("timeline.csv", &|out| {
        timeline::write_csv(out, findings, profile)
    })?;
    write("timeline.jsonl", &|out| {
        timeline::write_jsonl(out, findings, profile)
    })?;
    let name = case_name(case);
    let exports = [
        (
            "stix-bundle.json",
            export::stix_bundle(&name, findings, &scope, now),
        ),
        (
            "misp-event.json",
            export::misp_event(&name, findings, &scope, now),
        ),
        ("attack-layer.json", export::attack_layer(&name, findings)),
    ];
    for (file, value) in exports {
        write(file, &|out| {
            serde_json::to_writer_pretty(&mut *out, &value)?;
            out.write_all(b"\n")
        })?;
    }
    let database = case.join("case.sqlite");
    let hypotheses: Vec<serde_json::Value> = attribution
        .hypotheses
        .iter()
        .filter_map(|h| serde_json::to_value(h).ok())
        .collect();
    store::write_answers(&database, &scope, &hypotheses)
        .map_err(database_error("write", &database))?;
    let sources = store::sources(&database).map_err(database_error("read", &database))?;
    let answers = answers::answers(findings, &scope, &hypotheses, &sources);
    write("answers.json", &|out| {
        serde_json::to_writer_pretty(&mut *out, &answers)?;
        out.write_all(b"\n")
    })?;
    // The report is rendered from what was just written, still in memory:
    // read back, the scope's JSON (100 MB for an office's 3 GB of logs)
    // and its copy would double the case writing's peak.
    let files = report::CaseFiles {
        name,
        findings: findings.to_vec(),
        scope,
        attribution: read_json(case, "attribution.json")?,
        answers: Some(answers),
        posture: read_lines(case, "audit.jsonl")?,
    };
    render_report(case, &files)?;
    Ok(())
}

/// The name a case goes by: its folder's.
pub fn case_name(case: &Path) -> String {
    case.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| case.display().to_string())
}

/// Reads a case file `file` of the case folder as `T`; `None` when it is absent.
fn read_json<T: serde::de::DeserializeOwned>(case: &Path, file: &str) -> Result<Option<T>, Error> {
    let path = case.join(file);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| Error::CaseFile { path, source })
}

/// Reads a JSON-lines case file `file` as `T`s; empty when it is absent.
fn read_lines<T: serde::de::DeserializeOwned>(case: &Path, file: &str) -> Result<Vec<T>, Error> {
    let path = case.join(file);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|source| Error::CaseLine {
                path: path.clone(),
                line: i + 1,
                source,
            })
        })
        .collect()
}

/// Turns a template error into [`Error::Render`].
fn render_error<E: std::error::Error + Send + Sync + 'static>(
    what: &'static str,
) -> impl FnOnce(E) -> Error {
    move |source| Error::Render {
        what,
        source: Box::new(source),
    }
}

/// Writes `report.html` and `report.md` of the case folder `case` from its
/// findings, scope, answers, attribution and posture files; returns their paths.
///
/// # Errors
/// [`Error::Missing`] without `findings.jsonl` or `scope.json`; a case file
/// that does not read; a report that does not render or cannot be written.
pub fn write_report(case: &Path, name: &str) -> Result<(PathBuf, PathBuf), Error> {
    let needed = |file: &str| {
        let path = case.join(file);
        if path.is_file() {
            Ok(())
        } else {
            Err(Error::Missing(path))
        }
    };
    needed("findings.jsonl")?;
    needed("scope.json")?;
    let files = report::CaseFiles {
        name: name.to_string(),
        findings: read_lines(case, "findings.jsonl")?,
        scope: read_json(case, "scope.json")?.unwrap_or_default(),
        // Cases written before attribution or the answers existed lack them.
        attribution: read_json(case, "attribution.json")?,
        answers: read_json(case, "answers.json")?,
        // The posture audit, when the scan was given --audit-root.
        posture: read_lines(case, "audit.jsonl")?,
    };
    render_report(case, &files)
}

/// Writes `report.html` and `report.md` of the case folder `case` from
/// `files`; returns their paths.
///
/// # Errors
/// A report that does not render or cannot be written.
fn render_report(case: &Path, files: &report::CaseFiles) -> Result<(PathBuf, PathBuf), Error> {
    let html = case.join("report.html");
    let text = report::html(files).map_err(render_error("HTML report"))?;
    std::fs::write(&html, text).map_err(|source| Error::Write {
        path: html.clone(),
        source,
    })?;
    let md = case.join("report.md");
    let text = report::markdown(files).map_err(render_error("Markdown summary"))?;
    std::fs::write(&md, text).map_err(|source| Error::Write {
        path: md.clone(),
        source,
    })?;
    Ok((html, md))
}

/// When this scan is recorded as made: `SOURCE_DATE_EPOCH` (seconds since
/// 1970, the reproducible-builds.org convention) when it is set, so two
/// scans of the same inputs into folders of the same name write
/// byte-identical case files (the time is in the database, the exports'
/// `created` and their ids); otherwise now, to the second.
///
/// # Errors
/// [`Error::SourceDateEpoch`] when it is set to anything but whole seconds
/// from 1970 to the end of 9999: a reproducible run that silently took the
/// current time, or wrote a year no STIX reader accepts, would mislead.
fn scan_time() -> Result<vigie_event::Timestamp, Error> {
    /// 9999-12-31T23:59:59Z.
    const LAST: i64 = 253_402_300_799;
    let Some(text) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(vigie_event::Timestamp::from_unix(
            jiff::Timestamp::now().as_second(),
            0,
        ));
    };
    let text = text.to_string_lossy();
    match text.trim().parse::<i64>() {
        Ok(seconds) if (0..=LAST).contains(&seconds) => {
            Ok(vigie_event::Timestamp::from_unix(seconds, 0))
        }
        _ => Err(Error::SourceDateEpoch(text.into_owned())),
    }
}
