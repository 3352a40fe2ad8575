//! `vigie audit`: the posture of an installed mail stack, from its files.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use vigie_audit::{Finding, Level};

use crate::args::AuditArgs;
use crate::terminal::sanitize;

/// Runs the subcommand.
pub fn run(args: AuditArgs) -> Result<ExitCode> {
    if args.list_checks {
        let mut out = io::BufWriter::new(io::stdout().lock());
        for c in vigie_audit::checks::CHECKS {
            if args.json {
                let row = serde_json::json!({
                    "check_id": c.id, "level": c.level, "component": c.component,
                    "title": c.title, "attack": c.attack, "why": c.why, "fix": c.fix,
                });
                serde_json::to_writer(&mut out, &row)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{}  {:<6} {:<11} {:<22} {}",
                    c.id,
                    c.level.as_str(),
                    c.component,
                    c.attack.join(","),
                    c.title
                )?;
            }
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = vigie_audit::audit(&args.root)
        .with_context(|| format!("can not audit {}", args.root.display()))?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.json {
        for f in &report.findings {
            serde_json::to_writer(&mut out, f)?;
            out.write_all(b"\n")?;
        }
    } else {
        table(&mut out, &args, &report)?;
    }
    out.flush()?;
    Ok(if report.has_high() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Audits `root` into a JSON-lines file (`vigie scan --audit-root`);
/// returns the file's name, the number of findings and of high ones.
pub fn write_jsonl(root: &Path, path: &Path) -> Result<(String, usize, usize)> {
    let report =
        vigie_audit::audit(root).with_context(|| format!("can not audit {}", root.display()))?;
    let mut file = io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
    );
    for f in &report.findings {
        serde_json::to_writer(&mut file, f)?;
        file.write_all(b"\n")?;
    }
    file.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    let high = report
        .findings
        .iter()
        .filter(|f| f.level == Level::High)
        .count();
    Ok((path.display().to_string(), report.findings.len(), high))
}

fn table(out: &mut impl Write, args: &AuditArgs, report: &vigie_audit::Report) -> Result<()> {
    writeln!(
        out,
        "vigie audit of {}",
        sanitize(&args.root.display().to_string())
    )?;
    for c in &report.components {
        writeln!(
            out,
            "  {:<10} {} ({}, {}:{})",
            c.name,
            sanitize(&c.version),
            c.origin,
            sanitize(&c.path),
            c.line
        )?;
    }
    for n in &report.notes {
        writeln!(out, "  note: {}", sanitize(n))?;
    }
    for level in [Level::High, Level::Medium, Level::Low, Level::Info] {
        let of_level: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.level == level)
            .collect();
        if of_level.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n{} ({})",
            level.as_str().to_uppercase(),
            of_level.len()
        )?;
        for f in of_level {
            let place = match f.line {
                Some(l) => format!("{}:{l}", f.path),
                None => format!("{} (absent)", f.path),
            };
            let cve = f
                .cve
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {}{} {} — {}",
                f.check_id,
                cve,
                sanitize(f.title),
                sanitize(&place)
            )?;
            writeln!(out, "      found: {}", sanitize(&f.evidence))?;
            if let Some(by) = &f.exploited_by {
                writeln!(out, "      exploited by: {}", sanitize(by))?;
            }
            let attack = if f.attack.is_empty() {
                String::new()
            } else {
                format!(" [{}]", f.attack.join(", "))
            };
            writeln!(out, "      why: {}{attack}", sanitize(&f.why))?;
            writeln!(out, "      fix: {}", sanitize(&f.fix))?;
        }
    }
    let high = report
        .findings
        .iter()
        .filter(|f| f.level == Level::High)
        .count();
    writeln!(out, "\n{} finding(s), {high} high", report.findings.len())?;
    Ok(())
}
