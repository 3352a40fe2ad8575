//! The log inputs of `events` and `scan`: flags resolved into ingestion
//! options, arguments expanded into rotated sets, and the parallel walk over
//! the sets with a progress bar on a terminal.

use std::io::{self, IsTerminal};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use vigie_ingest::{IngestOptions, Input, expand_inputs};

use crate::args::InputArgs;
use crate::terminal::sanitize;

/// Resolved inputs, ready to read.
pub struct Inputs {
    /// How every input is read.
    pub options: IngestOptions,
    /// Rotated sets, each read oldest first by one worker.
    pub sets: Vec<Vec<Input>>,
    /// Arguments (or entries of folders) that named nothing readable; said
    /// on stderr by [`Inputs::report_errors`].
    pub errors: Vec<vigie_ingest::Error>,
}

impl Inputs {
    /// Resolves the flags, starts the worker pool and expands the paths.
    pub fn prepare(args: &InputArgs) -> Result<Inputs> {
        let options = vigie_engine::config::InputConfig::from(args).options()?;
        if let Some(n) = args.threads {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global()
                .context("cannot start the worker threads")?;
        }
        let (sets, errors) = expand_inputs(&args.paths);
        if sets.is_empty() {
            for e in &errors {
                eprintln!("vigie: {}", sanitize(&e.to_string()));
            }
            bail!("no input to read");
        }
        Ok(Inputs {
            options,
            sets,
            errors,
        })
    }

    /// Whether an input could not be read (entries skipped on purpose do not count).
    pub fn failed(&self) -> bool {
        self.errors.iter().any(|e| !e.is_skip())
    }

    /// Says on stderr what could not be read.
    pub fn report_errors(&self) {
        for e in &self.errors {
            eprintln!("vigie: {}", sanitize(&e.to_string()));
        }
    }

    /// Whether the listing's errors already name the input `path` (one
    /// that does not exist): the mail side's own error for it is not
    /// printed again.
    pub fn names(&self, path: &str) -> bool {
        self.errors.iter().any(|e| {
            matches!(e, vigie_ingest::Error::Open { path: p, .. } if p.to_string_lossy() == path)
        })
    }

    /// Drops the files `is_mail` claims (mail stores are not logs), and the
    /// errors of entries it claims (the mail side names those itself); sets
    /// left empty go.
    pub fn without(&mut self, is_mail: impl Fn(&std::path::Path) -> bool) {
        self.errors.retain(|e| {
            !matches!(e, vigie_ingest::Error::Walk { path, .. }
                | vigie_ingest::Error::Skipped { path, .. } if is_mail(path))
        });
        for set in &mut self.sets {
            set.retain(|input| match input {
                Input::File(path) => !is_mail(path),
                Input::Stdin => true,
            });
        }
        self.sets.retain(|set| !set.is_empty());
    }

    /// Calls `per_set` on every rotated set in parallel, with a progress bar
    /// on a terminal, and returns the results in set order.
    pub fn for_each_set<T: Send>(
        &self,
        per_set: impl Fn(&[Input], &ProgressBar) -> T + Sync,
    ) -> Vec<T> {
        let progress = progress_bar(self.sets.iter().map(Vec::len).sum());
        let results = self
            .sets
            .par_iter()
            .map(|set| per_set(set, &progress))
            .collect();
        progress.finish_and_clear();
        results
    }

    /// The zone used for timestamps without an offset, by name.
    pub fn zone_name(&self) -> String {
        self.options
            .zone
            .iana_name()
            .unwrap_or("the system zone (unnamed)")
            .to_string()
    }
}

fn progress_bar(inputs: usize) -> ProgressBar {
    if !io::stderr().is_terminal() || inputs < 2 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(inputs as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed} {wide_msg}")
    {
        bar.set_style(style);
    }
    bar
}
