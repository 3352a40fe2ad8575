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
        let result = for_each_document(&name, BufReader::new(reader), |index, doc| {
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
        match result {
            Ok(0) => {}
            Ok(_) => failed = true,
            // The reader left (`| head`) while a match was written:
            // matches were found, whatever came after.
            Err(e) if super::events::is_broken_pipe(&e) => return Ok(ExitCode::from(1)),
            Err(e) => {
                eprintln!(
                    "vigie: {}: {}",
                    sanitize(&name),
                    sanitize(&format!("{e:#}"))
                );
                failed = true;
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::from(1)),
        flushed => flushed.context("cannot write the output")?,
    }
    Ok(ExitCode::from(if failed {
        2
    } else if matched {
        1
    } else {
        0
    }))
}

/// Largest document kept while its lines are gathered (a pretty-printed
/// document spans lines); past it, the document is skipped as invalid.
const MAX_DOCUMENT: usize = 64 << 20;

/// Calls `visit` with each JSON document of `reader` and its 1-based position:
/// JSON lines, or a stream of (pretty-printed) documents, or arrays of them.
/// A document that is not valid JSON is reported on stderr with its position
/// and line, skipped, and the next ones are still read (an attacker's line
/// must not blind the hunt to what follows); the count of those is returned.
fn for_each_document<R: BufRead>(
    name: &str,
    mut reader: R,
    mut visit: impl FnMut(usize, serde_json::Value) -> Result<()>,
) -> Result<usize> {
    let (mut index, mut invalid) = (0, 0);
    // The lines of the document being gathered, with their numbers, and
    // lines to read again after a document that turned out invalid.
    let mut pending: Vec<(usize, String)> = Vec::new();
    let mut again: std::collections::VecDeque<(usize, String)> = Default::default();
    let (mut number, mut buffer, mut size) = (0, Vec::new(), 0);
    loop {
        let next = match again.pop_front() {
            Some(line) => Some(line),
            None => {
                buffer.clear();
                if reader.read_until(b'\n', &mut buffer)? == 0 {
                    None
                } else {
                    number += 1;
                    Some((number, String::from_utf8_lossy(&buffer).into_owned()))
                }
            }
        };
        let at_end = next.is_none();
        if let Some((n, text)) = next {
            if pending.is_empty() && text.trim().is_empty() {
                continue;
            }
            // A document can only end on a line that ends with a closing
            // bracket (or on a line of its own when it is a scalar): parse
            // then, not on every line of a long document.
            let end = text.trim_end();
            let closes = end.ends_with('}') || end.ends_with(']') || pending.is_empty();
            size += text.len();
            pending.push((n, text));
            if !closes && size <= MAX_DOCUMENT {
                continue;
            }
        } else if pending.is_empty() {
            return Ok(invalid);
        }
        let document: String = pending.iter().map(|(_, t)| t.as_str()).collect();
        match serde_json::from_str::<serde_json::Value>(&document) {
            Ok(serde_json::Value::Array(items)) => {
                for item in items {
                    index += 1;
                    visit(index, item)?;
                }
            }
            Ok(document) => {
                index += 1;
                visit(index, document)?;
            }
            // The rest of a document that spans lines is yet to come.
            Err(e) if e.is_eof() && !at_end && size <= MAX_DOCUMENT => continue,
            Err(e) => {
                index += 1;
                invalid += 1;
                let first = pending.remove(0);
                eprintln!(
                    "vigie: {}: document {index} (line {}) is not valid JSON, skipped: {}",
                    sanitize(name),
                    first.0,
                    // (serde's own position is within the document, not the file.)
                    sanitize(e.to_string().split(" at line ").next().unwrap_or_default())
                );
                // Only its first line is known bad: what followed is read again.
                for line in pending.drain(..).rev() {
                    again.push_front(line);
                }
            }
        }
        pending.clear();
        size = 0;
    }
}
