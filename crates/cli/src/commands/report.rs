//! `vigie report`: the HTML report and Markdown summary of a case folder.

use std::process::ExitCode;

use anyhow::Result;
use vigie_engine::case::{case_name, write_report};

use crate::args::ReportArgs;
use crate::terminal::sanitize;

/// Runs the subcommand.
pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let name = args.name.clone().unwrap_or_else(|| case_name(&args.case));
    let (html, md) = write_report(&args.case, &name)?;
    println!(
        "{}\n{}",
        sanitize(&html.display().to_string()),
        sanitize(&md.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
