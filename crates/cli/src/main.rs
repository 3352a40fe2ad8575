//! `vigie`: the command line over the vigie libraries. Flags parse into
//! plain structs ([`args`]); each subcommand lives in [`commands`].

mod args;
mod commands;
mod config;
mod events_out;
mod input;
mod sinks;
mod terminal;
mod watch_state;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: a scan allocates and frees small
/// strings per event on every core, where glibc's arenas were about a
/// quarter of a profile (issue 21); measured in `bench/runs/2026-12-02-mimalloc`.
/// Without the `mimalloc` feature, glibc's, which heap profilers see.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Events(events) => commands::events::run(events),
        args::Command::Scan(scan) => commands::scan::run(*scan),
        args::Command::Watch(watch) => commands::watch::run(*watch),
        args::Command::Hunt(hunt) => commands::hunt::run(hunt),
        args::Command::Rules(args::RulesCommand::Check(check)) => commands::rules::check(check),
        args::Command::Report(report) => commands::report::run(report),
        args::Command::Intel(args::IntelCommand::Import(import)) => commands::intel::import(import),
        args::Command::Intel(args::IntelCommand::List(list)) => commands::intel::list(list),
        args::Command::Intel(args::IntelCommand::Remove(remove)) => commands::intel::remove(remove),
        args::Command::Audit(audit) => commands::audit::run(audit),
    };
    match result {
        Ok(code) => code,
        // `vigie scan … | head`: the reader left, nothing is wrong.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vigie: {}", terminal::sanitize(&message(&e)));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-separated, leaving out a cause whose
/// text the one before already gives (rusqlite's conversion error, for
/// one, prints its cause and returns it as its source too).
fn message(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let cause = cause.to_string();
        if text.ends_with(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}
