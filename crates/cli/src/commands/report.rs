//! `vigie report`: the HTML report and Markdown summary of a case folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::Value;
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

/// Writes `report.html` and `report.md` of the case folder `case` from its
/// findings, scope and attribution files; returns their paths.
pub fn write(case: &Path, name: &str) -> Result<(PathBuf, PathBuf)> {
    let read = |file: &str| {
        let path = case.join(file);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (run `vigie scan --case` first)",
                path.display()
            )
        })
    };
    let mut findings = Vec::new();
    for (i, line) in read("findings.jsonl")?.lines().enumerate() {
        let value: Value = serde_json::from_str(line).with_context(|| {
            format!(
                "{}: line {}: not a finding",
                case.join("findings.jsonl").display(),
                i + 1
            )
        })?;
        findings.push(value);
    }
    let scope: Value = serde_json::from_str(&read("scope.json")?)
        .with_context(|| format!("{}: not a scope file", case.join("scope.json").display()))?;
    // Cases written before attribution existed have no attribution.json.
    let attribution: Value = match read("attribution.json") {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not an attribution file",
                case.join("attribution.json").display()
            )
        })?,
        Err(_) => Value::Null,
    };
    // Cases written before the answers existed have no answers.json.
    let answers: Value = match read("answers.json") {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not an answers file",
                case.join("answers.json").display()
            )
        })?,
        Err(_) => Value::Null,
    };
    // The posture audit, when the scan was given --audit-root.
    let mut posture = Vec::new();
    if let Ok(text) = read("audit.jsonl") {
        for (i, line) in text.lines().enumerate() {
            posture.push(serde_json::from_str(line).with_context(|| {
                format!(
                    "{}: line {}: not an audit finding",
                    case.join("audit.jsonl").display(),
                    i + 1
                )
            })?);
        }
    }
    let html = case.join("report.html");
    std::fs::write(
        &html,
        report::html(name, &findings, &scope, &attribution, &answers, &posture),
    )
    .with_context(|| format!("cannot write {}", html.display()))?;
    let md = case.join("report.md");
    std::fs::write(
        &md,
        report::markdown(name, &findings, &scope, &attribution, &answers, &posture),
    )
    .with_context(|| format!("cannot write {}", md.display()))?;
    Ok((html, md))
}
