//! `vigie rules check`: load rule packs and list what cannot be loaded.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use vigie_detect::sigma::RuleSet;

use crate::args::RulesCheckArgs;
use crate::terminal::sanitize;

/// Runs the subcommand.
pub fn check(args: RulesCheckArgs) -> Result<ExitCode> {
    let set = RuleSet::load(&args.paths);
    let loaded =
        set.rule_count() + set.collection.correlations.len() + set.collection.filters.len();
    let mut out = io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "files": set.files,
            "skipped": set.skipped,
            "rules_loaded": set.rule_count(),
            "correlations_loaded": set.collection.correlations.len(),
            "filters_loaded": set.collection.filters.len(),
            "errors": set.errors,
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        for e in &set.errors {
            let location = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(
                out,
                "{}{location}: {}",
                sanitize(&e.path.display().to_string()),
                sanitize(&one_line(&e.message))
            )?;
        }
        for path in &set.skipped {
            writeln!(
                out,
                "{}: skipped, not a Sigma rule (no title, detection, correlation or filter)",
                sanitize(&path.display().to_string())
            )?;
        }
        let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
        for e in &set.errors {
            *by_reason.entry(reason_kind(&e.message)).or_default() += 1;
        }
        writeln!(
            out,
            "{} files: {} rules, {} correlations, {} filters loaded; {} not loaded{}",
            set.files,
            set.rule_count(),
            set.collection.correlations.len(),
            set.collection.filters.len(),
            set.errors.len(),
            match set.skipped.len() {
                0 => String::new(),
                n => format!("; {n} skipped (not rules)"),
            }
        )?;
        for (reason, n) in by_reason {
            writeln!(out, "  {n:>5}  {}", sanitize(&reason))?;
        }
    }
    // A check that found nothing to check did not pass: no rule, and no
    // rule file either (a path that does not exist is a usage error, not
    // a broken rule).
    if loaded == 0 && (set.errors.is_empty() || set.files == 0) {
        let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "vigie: no Sigma rule in {} ({} YAML files read, {} not rules)",
            sanitize(&paths.join(", ")),
            set.files,
            set.skipped.len()
        );
        return Ok(ExitCode::from(2));
    }
    Ok(if set.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A multi-line parser message (pest draws the condition) folded to its
/// first line and its `= expected …` hint.
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    let first = first
        .split("  -->")
        .next()
        .unwrap_or(first)
        .trim_end_matches(':');
    match message
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("= "))
    {
        Some(hint) => format!("{} ({hint})", first.trim_end()),
        None => first.to_string(),
    }
}

/// The kind of an error message, for the grouped summary: the message with
/// its quoted specifics removed (`Unknown modifier 'x'` → `Unknown modifier`).
fn reason_kind(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or(message);
    let head = first_line
        .split(['\'', '`', '"'])
        .next()
        .unwrap_or(first_line);
    let head = head.split(" at ").next().unwrap_or(head);
    let head = head.split(" at line ").next().unwrap_or(head);
    head.trim().trim_end_matches(':').to_string()
}
