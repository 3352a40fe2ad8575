//! `vigie scan`: read logs, run the rules, write the case's findings. The
//! pipeline is `vigie_engine`'s; this is its flags, progress and printing.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Result;
use indicatif::ProgressBar;
use vigie_engine::mail::MailScan;
use vigie_engine::{Detection, Engine, EngineConfig, Observer, StageOne, case};
use vigie_event::{Event, Finding};
use vigie_ingest::{Input, InputReport};
use vigie_intel::attribution::Attribution;
use vigie_mail::{StoreKind, Unread};

use crate::args::{RuleArgs, ScanArgs};
use crate::events_out::{Batch, EventsOut};
use crate::input::Inputs;
use crate::terminal::{cell, sanitize};

/// Says which `--sigma` paths hold no YAML file at all (an empty folder,
/// a folder of other files): the scan then runs without what the analyst
/// meant to add. A path that does not exist is a rule error already, and a
/// YAML file that is not a rule is named when the rules load.
fn note_folders_without_rules(paths: &[std::path::PathBuf]) {
    for path in paths.iter().filter(|p| p.is_dir()) {
        let yaml = walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| {
                e.file_type().is_file()
                    && e.path()
                        .extension()
                        .is_some_and(|x| x == "yml" || x == "yaml")
            });
        if !yaml {
            eprintln!(
                "vigie: no Sigma rule in --sigma {}: no .yml or .yaml file there",
                sanitize(&path.display().to_string())
            );
        }
    }
}

/// Runs the subcommand.
pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let config = EngineConfig::from(&args);
    let mut engine = Engine::new(&config)?;
    for e in engine.rule_errors() {
        eprintln!(
            "vigie: rule not loaded: {}",
            sanitize(&one_line(&e.to_string()))
        );
    }
    note_folders_without_rules(&args.rules.sigma);
    let mut inputs = Inputs::prepare(&args.input)?;
    refuse_case_around_inputs(&args.case, &args.input.paths)?;
    case::create(&args.case)?;
    let intel_failed = print_intel_notes(&engine);
    // Mail first: which messages are flagged decides which webmail requests
    // stage one keeps (those that opened them).
    let mut mail = if args.no_mail {
        MailScan::default()
    } else {
        engine.scan_mail(&vigie_ingest::expand_patterns(&args.input.paths))
    };
    for e in &mail.rule_errors {
        eprintln!("vigie: YARA rule not loaded: {}", sanitize(&one_line(e)));
    }
    // The case folder among the inputs (`--case /var/log/case /var/log`),
    // or an earlier case's: their files are not logs.
    let case_folder = real_path(&args.case);
    inputs.without(|path| {
        mail.owns(path)
            || std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(&case_folder))
            || path.parent().is_some_and(is_case_folder)
    });
    inputs.report_errors();
    engine.watch_openings(&mail);
    let events_out = EventsOut::open(args.events_parquet, &args.case)?;

    // Each set's state is merged as soon as the set is read, so memory holds
    // one total and the sets in flight, not every set's until the end.
    let total = Mutex::new(StageOne::default());
    let cut_over = cut_over(&inputs.sets);
    inputs.for_each_set(|set, progress| {
        let mut seen = Progress {
            progress,
            events_out: &events_out,
            batch: Batch::default(),
        };
        // A large file past its share is read in pieces on every core (not
        // when its events are copied out: they go in order).
        let cut = (!args.events_parquet && set_bytes(set) > cut_over)
            .then(|| engine.stage_one_cut(set, piece_bytes()))
            .flatten();
        let mine = match cut {
            Some(mine) => {
                seen.progress.inc(set.len() as u64);
                mine
            }
            None => engine.stage_one_set(set, &mut seen),
        };
        events_out.flush(&mut seen.batch);
        total.lock().unwrap_or_else(|e| e.into_inner()).merge(mine);
    });
    events_out.close()?;
    let merged = total.into_inner().unwrap_or_else(|e| e.into_inner());
    let earlier = if args.findings_only {
        None
    } else {
        case::earlier(&args.case)?
    };
    let outcome = engine.stage_two(merged, &mut mail, earlier.as_ref())?;

    // Before the case's files: the report shows the posture audit.
    let posture = match &args.audit_root {
        Some(root) => Some(super::audit::write_jsonl(
            root,
            &args.case.join("audit.jsonl"),
        )?),
        None => None,
    };
    let case::Summary {
        findings,
        attribution,
        findings_path: path,
    } = case::write(&args.case, &engine, &outcome)?;
    let reports = &outcome.reports;

    // Always said, also when nothing was found or understood.
    let mut tally = vigie_case::tally::Tally::new(&outcome.sources, &findings);
    tally.messages = (!mail.stores.is_empty()).then_some(mail.messages);
    tally.messages_partial = (!mail.stores.is_empty()).then_some(mail.partial);
    if args.json {
        eprintln!("{}", serde_json::to_string(&tally)?);
    } else {
        eprintln!("vigie: {}", sanitize(&tally.line()));
    }
    if args.json {
        let mut out = io::stdout().lock();
        for f in &findings {
            serde_json::to_writer(&mut out, f)?;
            out.write_all(b"\n")?;
        }
    } else if io::stdout().is_terminal() || !findings.is_empty() {
        print_summary(
            &findings,
            reports,
            &mail,
            &path.display().to_string(),
            outcome.exposure,
        )?;
        print_attribution(&attribution)?;
        if let Some((path, all, high)) = &posture {
            println!(
                "posture audit: {all} finding(s), {high} high: {}",
                sanitize(path)
            );
        }
    }
    for r in reports.iter().filter(|r| r.error.is_some()) {
        eprintln!(
            "vigie: {}: {}",
            sanitize(&r.path),
            sanitize(r.error.as_deref().unwrap_or_default())
        );
    }
    for u in &mail.unread {
        // A file neither read as a log nor as mail, or a missing input, is
        // named once, as a log.
        let named = u.location.line == 0
            && (inputs.names(&u.location.path)
                || reports
                    .iter()
                    .any(|r| r.error.is_some() && r.path == u.location.path));
        if !named {
            eprintln!("vigie: {}", unread_text(u));
        }
    }
    // "Nothing found" is no answer when nothing read was understood (the
    // wrong folder, a format vigie does not read): a script must not take
    // it for a clean server.
    let failed = inputs.failed()
        || tally.understood_nothing()
        || reports.iter().any(|r| r.error.is_some())
        || !engine.rule_errors().is_empty()
        || !mail.rule_errors.is_empty()
        || intel_failed
        || !mail.unread.is_empty();
    Ok(ExitCode::from(if failed {
        2
    } else if findings.is_empty() {
        0
    } else {
        1
    }))
}

/// The size of the pieces a large file is cut into: 16 MiB, or
/// `VIGIE_SCAN_PIECE_BYTES` (tests set it small so that their small files
/// are cut too).
fn piece_bytes() -> usize {
    piece_bytes_set().unwrap_or(16 << 20)
}

fn piece_bytes_set() -> Option<usize> {
    std::env::var("VIGIE_SCAN_PIECE_BYTES")
        .ok()
        .and_then(|s| s.parse().ok())
}

/// The bytes past which a set is cut: an even share of all the sets' bytes
/// per worker thread. The sets are read side by side, so a set under its
/// share leaves no core idle, and cutting it only adds the merging and the
/// pieces in memory (measured on the 1.1 GB bench set of ten files: 9.5 s
/// whole, 10.5 s and twice the memory cut); a larger one would be read
/// alone at the end. With `VIGIE_SCAN_PIECE_BYTES` set, every set.
fn cut_over(sets: &[Vec<Input>]) -> u64 {
    if piece_bytes_set().is_some() {
        return 0;
    }
    let threads = rayon::current_num_threads().max(1) as u64;
    sets.iter().map(|set| set_bytes(set)).sum::<u64>() / threads
}

/// The bytes of a set's files as they are on disk.
fn set_bytes(set: &[Input]) -> u64 {
    set.iter()
        .filter_map(|input| match input {
            Input::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            _ => None,
        })
        .sum()
}

/// A set's reading as the terminal sees it: the progress bar, and the
/// events copied to `--events-parquet`.
struct Progress<'a> {
    progress: &'a ProgressBar,
    events_out: &'a EventsOut,
    batch: Batch,
}

impl Observer for Progress<'_> {
    fn reading(&mut self, name: &str) {
        self.progress.set_message(sanitize(name));
    }

    fn event(&mut self, event: &Event<'_>) {
        self.events_out.add(&mut self.batch, event);
    }

    fn read(&mut self, _report: &InputReport) {
        self.progress.inc(1);
    }
}

/// Loads the rules the flags name; rules that do not load are listed on
/// stderr and the others still run.
pub fn load_detection(args: &RuleArgs) -> Result<Detection> {
    let detection = Detection::load(&args.into())?;
    for e in &detection.rules.errors {
        eprintln!(
            "vigie: rule not loaded: {}",
            sanitize(&one_line(&e.to_string()))
        );
    }
    Ok(detection)
}

/// Says on stderr what loading the indicators said; whether some were lost.
pub fn print_intel_notes(engine: &Engine) -> bool {
    for note in engine.intel_notes() {
        eprintln!("vigie: {}", sanitize(&note.text));
    }
    engine.intel_notes().iter().any(|n| n.failed)
}

/// How an input that could not be read is named on stderr, once, as what
/// it is: a message of an mbox (`file:line`), a message file, or a folder or
/// file met while looking for mail stores (its reason says which).
pub fn unread_text(u: &Unread) -> String {
    let path = sanitize(&u.location.path);
    let reason = sanitize(&u.reason);
    match u.location.line {
        0 => format!("{path}: {reason}"),
        1 => format!("{path}: message not read: {reason}"),
        line => format!("{path}:{line}: message not read: {reason}"),
    }
}

/// Finding levels, most severe first.
pub const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

fn print_summary(
    findings: &[Finding],
    reports: &[InputReport],
    mail: &MailScan,
    path: &str,
    exposure: Option<(usize, f64)>,
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let lines: u64 = reports.iter().map(|r| r.lines).sum();
    let events: u64 = reports.iter().map(|r| r.events).sum();
    writeln!(
        out,
        "{}, {}, {}; {} in {}",
        counted(reports.len() as u64, "file"),
        counted(lines, "line"),
        counted(events, "event"),
        counted(findings.len() as u64, "finding"),
        sanitize(path)
    )?;
    if !mail.stores.is_empty() {
        writeln!(
            out,
            "{} mail stores, {} messages ({} read in part, {} not read), {} flagged; {} Sieve scripts; {} Dovecot state files (indexes, compiled Sieve, duplicate database) not read",
            mail.stores
                .iter()
                .filter(|s| matches!(
                    s.kind,
                    StoreKind::Maildir | StoreKind::Mbox | StoreKind::Eml
                ))
                .count(),
            mail.messages,
            mail.partial,
            mail.unread.len(),
            mail.flagged.len(),
            mail.scripts.len(),
            mail.stores
                .iter()
                .filter(|s| s.kind == StoreKind::DovecotState)
                .count()
        )?;
    }
    for level in LEVELS {
        let n = findings.iter().filter(|f| f.level == level).count();
        if n > 0 {
            writeln!(out, "  {level:<13} {n:>5}")?;
        }
    }
    // The noise a reader faces, comparable across offices and periods.
    if let Some((accounts, weeks)) = exposure.filter(|(a, _)| *a > 0) {
        let rates: Vec<String> = LEVELS
            .iter()
            .map(|level| {
                let n = findings.iter().filter(|f| f.level == *level).count();
                format!("{level} {:.1}", n as f64 * 1000.0 / accounts as f64 / weeks)
            })
            .collect();
        writeln!(
            out,
            "per 1000 accounts per week ({accounts} accounts with logins, {weeks:.1} weeks): {}",
            rates.join(", ")
        )?;
    }
    let mut accounts: Vec<(&str, usize, &str)> = Vec::new();
    for f in findings {
        let user = f.entity.user.as_deref().unwrap_or("(no account)");
        match accounts.iter_mut().find(|(u, _, _)| *u == user) {
            Some((_, n, worst)) => {
                *n += 1;
                if rank(&f.level) < rank(worst) {
                    *worst = &f.level;
                }
            }
            None => accounts.push((user, 1, &f.level)),
        }
    }
    accounts.sort_by_key(|(u, n, worst)| (rank(worst), std::cmp::Reverse(*n), *u));
    writeln!(out, "{:<40} {:>8}  WORST", "ACCOUNT", "FINDINGS")?;
    for (user, n, worst) in accounts.iter().take(20) {
        writeln!(out, "{:<40} {n:>8}  {worst}", cell(user, 40))?;
    }
    Ok(())
}

/// The hypotheses, best first, a line each (the detail is in attribution.json).
fn print_attribution(attribution: &Attribution) -> io::Result<()> {
    if attribution.hypotheses.is_empty() {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "HYPOTHESES (support, not verdicts)           SCORE  SUPPORT"
    )?;
    for h in attribution.hypotheses.iter().take(8) {
        let name = match &h.campaign {
            Some(c) => format!("{} [{c}]", h.name),
            None => h.name.clone(),
        };
        writeln!(
            out,
            "  {:<42} {:>5.1}  {}",
            cell(&name, 42),
            h.score,
            h.support
        )?;
    }
    Ok(())
}

/// How severe a level is: 0 for critical, higher for less (unknown last).
pub fn rank(level: &str) -> usize {
    LEVELS
        .iter()
        .position(|l| *l == level)
        .unwrap_or(LEVELS.len())
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}

/// `n` and `noun`, plural (an `s` added) but for one: "1 finding", "2 findings".
fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A case folder that holds an input (`--case /`, `--case .` among the
/// evidence) would write a dozen case files into the evidence: refused. A
/// case folder inside an input is fine; it is left out of the inputs.
fn refuse_case_around_inputs(case: &std::path::Path, paths: &[std::path::PathBuf]) -> Result<()> {
    let case = real_path(case);
    for path in vigie_ingest::expand_patterns(paths) {
        if path == std::path::Path::new("-") {
            continue;
        }
        if real_path(&path).starts_with(&case) {
            anyhow::bail!(
                "the case folder {} holds the input {}: its files would be written among the evidence; name a folder outside the inputs",
                sanitize(&case.display().to_string()),
                sanitize(&path.display().to_string())
            );
        }
    }
    Ok(())
}

/// `path` with its links and `..` resolved, as far as it exists (a case
/// folder may not yet): `logs/..`, `./logs` and a link to `logs` are one
/// folder.
fn real_path(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut real = std::path::PathBuf::new();
    // Each link resolved as it is met, so that `..` after it leaves its
    // target, as the kernel does.
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                real.pop();
            }
            Component::CurDir => {}
            other => {
                real.push(other);
                if let Ok(resolved) = std::fs::canonicalize(&real) {
                    real = resolved;
                }
            }
        }
    }
    real
}

/// Whether `dir` is a case folder vigie wrote (findings.jsonl and
/// case.sqlite): an earlier case among the inputs is no evidence.
fn is_case_folder(dir: &std::path::Path) -> bool {
    dir.join("findings.jsonl").is_file() && dir.join("case.sqlite").is_file()
}
