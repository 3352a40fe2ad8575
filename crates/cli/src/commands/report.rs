//! `vigie report`: the HTML report and Markdown summary of a case folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use vigie_case::report;

use crate::args::ReportArgs;
use crate::terminal::sanitize;

/// Runs the subcommand.
pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let name = args.name.clone().unwrap_or_else(|| case_name(&args.case));
    let (html, md) = write(&args.case, &name)?;
    println!(
        "{}\n{}",
        sanitize(&html.display().to_string()),
        sanitize(&md.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

/// The name a case goes by: its folder's.
pub fn case_name(case: &Path) -> String {
    case.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| case.display().to_string())
}

/// Reads a case file `file` of the case folder as `T`; `None` when it is absent.
fn read_json<T: serde::de::DeserializeOwned>(case: &Path, file: &str) -> Result<Option<T>> {
    let path = case.join(file);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .with_context(|| format!("{}: not a case file vigie can read", path.display()))
}

/// Reads a JSON-lines case file `file` as `T`s; empty when it is absent.
fn read_lines<T: serde::de::DeserializeOwned>(case: &Path, file: &str) -> Result<Vec<T>> {
    let path = case.join(file);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{}: line {}: not readable", path.display(), i + 1))
        })
        .collect()
}

/// Writes `report.html` and `report.md` of the case folder `case` from its
/// findings, scope, answers, attribution and posture files; returns their paths.
pub fn write(case: &Path, name: &str) -> Result<(PathBuf, PathBuf)> {
    let needed = |file: &str| {
        let path = case.join(file);
        if path.is_file() {
            Ok(())
        } else {
            Err(anyhow::anyhow!(
                "cannot read {} (run `vigie scan --case` first)",
                path.display()
            ))
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
    let html = case.join("report.html");
    std::fs::write(
        &html,
        report::html(&files).context("cannot render the HTML report")?,
    )
    .with_context(|| format!("cannot write {}", html.display()))?;
    let md = case.join("report.md");
    std::fs::write(
        &md,
        report::markdown(&files).context("cannot render the Markdown summary")?,
    )
    .with_context(|| format!("cannot write {}", md.display()))?;
    Ok((html, md))
}
