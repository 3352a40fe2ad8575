//! `vigie report`: the HTML report and Markdown summary of a case folder.

use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::Value;
use vigie_case::report;

use crate::args::ReportArgs;
use crate::terminal::sanitize;

/// Runs the subcommand.
pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let read = |name: &str| {
        let path = args.case.join(name);
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
                args.case.join("findings.jsonl").display(),
                i + 1
            )
        })?;
        findings.push(value);
    }
    let scope: Value = serde_json::from_str(&read("scope.json")?).with_context(|| {
        format!(
            "{}: not a scope file",
            args.case.join("scope.json").display()
        )
    })?;
    // Cases written before attribution existed have no attribution.json.
    let attribution: Value = match read("attribution.json") {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not an attribution file",
                args.case.join("attribution.json").display()
            )
        })?,
        Err(_) => Value::Null,
    };
    let name = args.name.clone().unwrap_or_else(|| {
        args.case
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| args.case.display().to_string())
    });
    let html = args.case.join("report.html");
    std::fs::write(&html, report::html(&name, &findings, &scope, &attribution))
        .with_context(|| format!("cannot write {}", html.display()))?;
    let md = args.case.join("report.md");
    std::fs::write(
        &md,
        report::markdown(&name, &findings, &scope, &attribution),
    )
    .with_context(|| format!("cannot write {}", md.display()))?;
    println!(
        "{}\n{}",
        sanitize(&html.display().to_string()),
        sanitize(&md.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
