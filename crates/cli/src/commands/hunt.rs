//! `vigie hunt`: Sigma rules and correlations over JSON documents, vigie
//! events routed by logsource through the same mapping as `vigie scan`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use vigie_detect::hunt::Hunter;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;

use crate::args::HuntArgs;
use crate::terminal::sanitize;

/// Runs the subcommand.
pub fn run(args: HuntArgs) -> Result<ExitCode> {
    let rules = RuleSet::load(&args.sigma);
    for e in &rules.errors {
        eprintln!("vigie: rule not loaded: {}", sanitize(&e.to_string()));
    }
    if rules.rule_count() == 0 {
        anyhow::bail!("no rule could be loaded from {:?}", args.sigma);
    }
    let mapping = match &args.mapping {
        Some(path) => Mapping::from_file(path)?,
        None => Mapping::builtin(),
    };
    let mut hunter = Hunter::new(&rules, &mapping);
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut matched = false;
    let mut failed = !rules.errors.is_empty();
    for file in &args.files {
        let name = vigie_event::path::to_text(file).into_owned();
        let reader: Box<dyn Read> = if file == Path::new("-") {
            Box::new(io::stdin().lock())
        } else {
            match std::fs::File::open(file) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("vigie: {}: {e}", sanitize(&name));
                    failed = true;
                    continue;
                }
            }
        };
        let result = for_each_document(BufReader::new(reader), |index, doc| {
            for m in hunter.matches(&doc) {
                matched = true;
                let line = serde_json::json!({
                    "rule_id": m.rule_id, "title": m.title, "level": m.level, "file": name, "index": index,
                    "correlation": m.correlation,
                });
                serde_json::to_writer(&mut out, &line)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        });
        if let Err(e) = result {
            eprintln!(
                "vigie: {}: {}",
                sanitize(&name),
                sanitize(&format!("{e:#}"))
            );
            failed = true;
        }
    }
    out.flush().context("cannot write the output")?;
    Ok(ExitCode::from(if failed {
        2
    } else if matched {
        1
    } else {
        0
    }))
}

/// Calls `visit` with each JSON document of `reader` and its 1-based position:
/// JSON lines, or a stream of (pretty-printed) documents, or one array of them.
fn for_each_document<R: BufRead>(
    reader: R,
    mut visit: impl FnMut(usize, serde_json::Value) -> Result<()>,
) -> Result<()> {
    let mut index = 0;
    for document in serde_json::Deserializer::from_reader(reader).into_iter::<serde_json::Value>() {
        let document =
            document.with_context(|| format!("document {} is not valid JSON", index + 1))?;
        match document {
            serde_json::Value::Array(items) => {
                for item in items {
                    index += 1;
                    visit(index, item)?;
                }
            }
            other => {
                index += 1;
                visit(index, other)?;
            }
        }
    }
    Ok(())
}
