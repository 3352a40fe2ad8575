//! `vigie intel`: import feeds into the store, list and remove sets; and
//! the loading of indicators that `vigie scan` matches.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vigie_intel::import::{ImportReport, import_file};
use vigie_intel::indicator::Indicator;
use vigie_intel::store::{IndicatorSet, IntelStore, set_name};

use crate::args::{IntelArgs, IntelDirArgs, IntelImportArgs, IntelRemoveArgs};
use crate::terminal::sanitize;

fn store(args: &IntelDirArgs) -> Result<IntelStore> {
    match &args.intel_dir {
        Some(dir) => Ok(IntelStore::new(dir.clone())),
        None => IntelStore::default_dir()
            .map(IntelStore::new)
            .context("no data directory: set HOME or XDG_DATA_HOME, or give --intel-dir"),
    }
}

/// `vigie intel import`.
pub fn import(args: IntelImportArgs) -> Result<ExitCode> {
    let store = store(&args.store)?;
    let name = set_name(&args.name.clone().unwrap_or_else(|| {
        let first = &args.files[0];
        let stem = first.file_stem().map(|s| s.to_string_lossy().into_owned());
        stem.unwrap_or_else(|| "set".into())
    }));
    let mut set = IndicatorSet {
        name: name.clone(),
        imported_at: jiff::Timestamp::now().to_string(),
        ..IndicatorSet::default()
    };
    let mut failed = false;
    for file in &args.files {
        match import_file(file, &name) {
            Ok((found, report)) => {
                set.indicators.extend(found);
                set.files.push(report);
            }
            Err(e) => {
                eprintln!("vigie: {}", sanitize(&e.to_string()));
                failed = true;
            }
        }
    }
    if set.files.is_empty() {
        // Nothing was a feed: no empty set replaces one of the same name.
        eprintln!("vigie: no feed read; set {} not saved", sanitize(&name));
        return Ok(ExitCode::from(2));
    }
    let replaced = store
        .save(&set)
        .with_context(|| format!("cannot write the set into {}", store.dir().display()))?;
    let mut out = io::stdout().lock();
    if args.store.json {
        for r in &set.files {
            serde_json::to_writer(&mut out, r)?;
            out.write_all(b"\n")?;
        }
    } else {
        for r in &set.files {
            print_report(&mut out, r)?;
        }
        writeln!(
            out,
            "set {} {}: {} indicators in {}",
            sanitize(&name),
            if replaced { "replaced" } else { "saved" },
            set.indicators.len(),
            sanitize(&store.dir().display().to_string())
        )?;
    }
    Ok(ExitCode::from(if failed { 2 } else { 0 }))
}

fn print_report(out: &mut dyn Write, r: &ImportReport) -> io::Result<()> {
    writeln!(
        out,
        "{}: {}, {} read, {} used ({} indicators), {} refused",
        sanitize(&r.file),
        r.format.map_or("?", |f| f.name()),
        r.read,
        r.used,
        r.indicators,
        r.refused.values().sum::<u64>()
    )?;
    for (kind, n) in &r.kinds {
        writeln!(out, "  kept    {n:>6}  {kind}")?;
    }
    for (reason, n) in &r.refused {
        writeln!(out, "  refused {n:>6}  {}", sanitize(reason))?;
        for example in r.examples.get(reason).into_iter().flatten() {
            writeln!(out, "                  e.g. {}", sanitize(example))?;
        }
    }
    for (reason, n) in &r.notes {
        writeln!(
            out,
            "  dropped {n:>6}  {} (inside a used entry)",
            sanitize(reason)
        )?;
    }
    Ok(())
}

/// `vigie intel list`.
pub fn list(args: IntelDirArgs) -> Result<ExitCode> {
    let store = store(&args)?;
    let mut out = io::stdout().lock();
    let mut failed = false;
    if !args.json {
        writeln!(
            out,
            "{:<32} {:>10}  {:<26} FILES",
            "SET", "INDICATORS", "IMPORTED"
        )?;
    }
    for set in store
        .sets()
        .with_context(|| format!("cannot read {}", store.dir().display()))?
    {
        let set = match set {
            Ok(s) => s,
            Err(e) => {
                eprintln!("vigie: {}", sanitize(&e));
                failed = true;
                continue;
            }
        };
        let files: Vec<&str> = set.files.iter().map(|f| f.file.as_str()).collect();
        if args.json {
            let row = serde_json::json!({
                "name": set.name,
                "indicators": set.indicators.len(),
                "imported_at": set.imported_at,
                "files": files,
            });
            serde_json::to_writer(&mut out, &row)?;
            out.write_all(b"\n")?;
        } else {
            writeln!(
                out,
                "{:<32} {:>10}  {:<26} {}",
                sanitize(&set.name),
                set.indicators.len(),
                sanitize(&set.imported_at),
                sanitize(&files.join(", "))
            )?;
        }
    }
    Ok(ExitCode::from(if failed { 2 } else { 0 }))
}

/// `vigie intel remove`.
pub fn remove(args: IntelRemoveArgs) -> Result<ExitCode> {
    let store = store(&args.store)?;
    if !store.remove(&args.name)? {
        bail!(
            "no set named {} in {}",
            set_name(&args.name),
            store.dir().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The indicators a watch matches: the stored sets (unless
/// `--no-intel-store`) and the `--ioc` feeds. Problems are printed; the
/// returned flag says whether indicators were lost.
pub fn load_for_scan(args: &IntelArgs) -> (Vec<Indicator>, bool) {
    let (indicators, notes) = vigie_engine::indicators::load(&args.into());
    for note in &notes {
        eprintln!("vigie: {}", sanitize(&note.text));
    }
    (indicators, notes.iter().any(|n| n.failed))
}
