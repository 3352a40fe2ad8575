//! `vigie events`: parse logs into normalized events, or count them.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Result;
use serde::Serialize;
use vigie_case::tally::file_format;
use vigie_event::Event;
use vigie_ingest::{Format, Input, InputReport, SkipReason, ingest_input};

use crate::args::{EventsArgs, OutputFormat};
use crate::input::Inputs;
use crate::terminal::sanitize;

/// Output is handed to the shared writer in chunks of about this size, so
/// threads rarely wait on each other and each line stays whole.
const CHUNK: usize = 256 * 1024;

/// Runs the subcommand.
pub fn run(args: EventsArgs) -> Result<ExitCode> {
    let inputs = Inputs::prepare(&args.input)?;
    inputs.report_errors();
    let options = &inputs.options;
    let stdout = Mutex::new(io::stdout());
    let writer = EventWriter {
        format: if args.stats { None } else { Some(args.format) },
        out: &stdout,
    };
    if writer.format == Some(OutputFormat::Csv) {
        writer.flush(&mut header_row())?;
    }
    let reports: Vec<Result<Vec<InputReport>>> = inputs.for_each_set(|set, progress| {
        let mut buffer = Vec::with_capacity(CHUNK * 2);
        let mut write_error = None;
        let mut reports = Vec::with_capacity(set.len());
        for input in set {
            progress.set_message(sanitize(&input.display_name()));
            // A pipe streams: each event is written as its line is read.
            let live = matches!(input, Input::Stdin);
            let report = ingest_input(input, options, &mut |event: &Event<'_>| {
                if write_error.is_none()
                    && let Err(e) = writer.write(&mut buffer, event).and_then(|()| {
                        if live {
                            writer.flush(&mut buffer)
                        } else {
                            Ok(())
                        }
                    })
                {
                    write_error = Some(e);
                }
            });
            progress.inc(1);
            reports.push(report);
        }
        if let Some(e) = write_error {
            return Err(e.into());
        }
        writer.flush(&mut buffer)?;
        Ok(reports)
    });
    let mut all = Vec::new();
    for r in reports {
        match r {
            Ok(reports) => all.extend(reports),
            Err(e) if is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(e.context("cannot write the output")),
        }
    }
    let zone_name = inputs.zone_name();
    let input_errors = &inputs.errors;
    let failed = inputs.failed() || all.iter().any(|r| r.error.is_some());
    if args.stats {
        let summary = Summary::new(&all, &zone_name, input_errors);
        if args.json {
            serde_json::to_writer_pretty(io::stdout().lock(), &summary)?;
            println!();
        } else {
            print_stats(&summary)?;
        }
    } else {
        for r in all.iter().filter(|r| r.error.is_some()) {
            eprintln!(
                "vigie: {}: {}",
                sanitize(&r.path),
                sanitize(r.error.as_deref().unwrap_or_default())
            );
        }
        let zone_used: u64 = all.iter().map(|r| r.zone_resolved).sum();
        if zone_used > 0 && io::stderr().is_terminal() {
            eprintln!(
                "vigie: {zone_used} timestamps without an offset were read as {zone_name} (--tz to change)"
            );
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn header_row() -> Vec<u8> {
    let mut row = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = vigie_event::csv::write_header(&mut row);
    row
}

/// Whether `e` (or any error it wraps) is a write to a closed pipe (`| head`):
/// the reader has all it wants, which is not a failure.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

/// Serializes events into a thread's buffer and hands full chunks to stdout.
struct EventWriter<'o, W: Write> {
    format: Option<OutputFormat>,
    out: &'o Mutex<W>,
}

impl<W: Write> EventWriter<'_, W> {
    fn write(&self, buffer: &mut Vec<u8>, event: &Event<'_>) -> io::Result<()> {
        match self.format {
            None => return Ok(()),
            Some(OutputFormat::Jsonl) => vigie_event::json::write_event(buffer, event)?,
            Some(OutputFormat::Csv) => vigie_event::csv::write_event(buffer, event)?,
        }
        if buffer.len() >= CHUNK {
            self.flush(buffer)?;
        }
        Ok(())
    }

    fn flush(&self, buffer: &mut Vec<u8>) -> io::Result<()> {
        if buffer.is_empty() {
            return Ok(());
        }
        let mut out = self
            .out
            .lock()
            .map_err(|_| io::Error::other("output lock poisoned"))?;
        out.write_all(buffer)?;
        out.flush()?;
        buffer.clear();
        Ok(())
    }
}

/// The `--stats` document.
#[derive(Serialize)]
struct Summary<'r> {
    /// Zone used for timestamps without an offset.
    timezone: &'r str,
    inputs: &'r [InputReport],
    totals: Totals,
    /// Inputs that could not be read (exit status 2).
    errors: Vec<String>,
    /// Inputs left unread on purpose (a FIFO, a link to a folder), named but
    /// no failure.
    skipped_inputs: Vec<String>,
}

#[derive(Serialize, Default)]
struct Totals {
    files: usize,
    /// Files per label, as the text table labels them ([`label`]): a
    /// format's name, `empty`, `unknown` or `unreadable`.
    formats: std::collections::BTreeMap<&'static str, usize>,
    /// Files of a known format of which no line made an event.
    eventless: usize,
    lines: u64,
    events: u64,
    skipped: u64,
    invalid_utf8_lines: u64,
    inputs_with_errors: usize,
}

impl<'r> Summary<'r> {
    fn new(
        inputs: &'r [InputReport],
        timezone: &'r str,
        input_errors: &[vigie_ingest::Error],
    ) -> Summary<'r> {
        let mut formats = std::collections::BTreeMap::new();
        for r in inputs {
            *formats.entry(label(r)).or_default() += 1;
        }
        let totals = Totals {
            files: inputs.len(),
            formats,
            eventless: inputs
                .iter()
                .filter(|r| r.format.is_some() && r.events == 0)
                .count(),
            lines: inputs.iter().map(|r| r.lines).sum(),
            events: inputs.iter().map(|r| r.events).sum(),
            skipped: inputs.iter().map(InputReport::skipped_lines).sum(),
            invalid_utf8_lines: inputs.iter().map(|r| r.invalid_utf8_lines).sum(),
            inputs_with_errors: inputs.iter().filter(|r| r.error.is_some()).count(),
        };
        let (skipped, errors): (Vec<_>, Vec<_>) = input_errors
            .iter()
            .partition(|e| matches!(e, vigie_ingest::Error::Skipped { .. }));
        let text = |list: Vec<&vigie_ingest::Error>| list.iter().map(ToString::to_string).collect();
        Summary {
            timezone,
            inputs,
            totals,
            errors: text(errors),
            skipped_inputs: text(skipped),
        }
    }
}

/// `r`'s label, as the scan's tally counts it ([`file_format`]): a file of
/// blank lines only is empty.
fn label(r: &InputReport) -> &'static str {
    let empty = r.events == 0 && r.skipped.keys().all(|k| *k == SkipReason::EmptyLine);
    file_format(r.format.map(Format::name), empty, r.error.is_some())
}

fn print_stats(summary: &Summary<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let width = summary
        .inputs
        .iter()
        .map(|r| r.path.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    writeln!(
        out,
        "{:<width$}  {:<13} {:>10} {:>10} {:>9}",
        "FILE", "FORMAT", "LINES", "EVENTS", "SKIPPED"
    )?;
    for r in summary.inputs {
        let format = label(r);
        writeln!(
            out,
            "{:<width$}  {:<13} {:>10} {:>10} {:>9}",
            sanitize(&r.path),
            format,
            r.lines,
            r.events,
            r.skipped_lines()
        )?;
        for (reason, tally) in &r.skipped {
            let lines: Vec<String> = tally.first_lines.iter().map(u64::to_string).collect();
            let more = if tally.count as usize > tally.first_lines.len() {
                ", …"
            } else {
                ""
            };
            writeln!(
                out,
                "{:<width$}    skipped {:>8} {} (lines {}{more})",
                "",
                tally.count,
                reason.name(),
                lines.join(", ")
            )?;
        }
        if r.joined.count > 0 {
            let lines: Vec<String> = r.joined.first_lines.iter().map(u64::to_string).collect();
            let more = if r.joined.count as usize > r.joined.first_lines.len() {
                ", …"
            } else {
                ""
            };
            writeln!(
                out,
                "{:<width$}    {} line{} may hold more than one record (a CR inside, or a second record's time; read as one) (lines {}{more})",
                "",
                r.joined.count,
                if r.joined.count == 1 { "" } else { "s" },
                lines.join(", ")
            )?;
        }
        if r.invalid_utf8_lines > 0 {
            writeln!(
                out,
                "{:<width$}    {} lines with invalid UTF-8 (parsed, bytes replaced)",
                "", r.invalid_utf8_lines
            )?;
        }
        if let Some(e) = &r.error {
            writeln!(out, "{:<width$}    error: {}", "", sanitize(e))?;
        }
    }
    let t = &summary.totals;
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    writeln!(
        out,
        "{}, {}, {}, {} skipped; times without an offset read as {}",
        plural(t.files as u64, "file", "files"),
        plural(t.lines, "line", "lines"),
        plural(t.events, "event", "events"),
        t.skipped,
        summary.timezone
    )?;
    for e in &summary.errors {
        writeln!(out, "error: {}", sanitize(e))?;
    }
    // Each says "skipped" and why.
    for e in &summary.skipped_inputs {
        writeln!(out, "{}", sanitize(e))?;
    }
    Ok(())
}
