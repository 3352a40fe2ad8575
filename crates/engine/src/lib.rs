//! The vigie pipeline as a library: what `vigie scan` and `vigie watch` run,
//! callable by any driver (the binary, a distributed job).
//!
//! A scan is two stages around a merge:
//!
//! 1. **Stage one** ([`Engine::stage_one_set`] over a rotated set of files,
//!    [`Engine::stage_one_chunk`] over whole lines of one file held in
//!    memory): parse, run the stateless Sigma rules, keep what the later
//!    stages need (events for correlations, histories for analytics, the
//!    webmail openings of flagged messages, activity for the scope,
//!    indicator hits, the input reports). Its result, a [`StageOne`], merges
//!    with others in any order ([`StageOne::merge`]).
//! 2. **Stage two** ([`Engine::stage_two`]) over everything one case's stage
//!    one gathered: correlations, the accounts behind webmail findings,
//!    baselines and analytics, the mail findings and their link to the web
//!    requests that opened them, indicator findings; an [`Outcome`] with the
//!    findings in a fixed order.
//!
//! The mail stores are scanned before stage one ([`Engine::scan_mail`]: which
//! messages are flagged decides which webmail requests stage one keeps) and
//! the case folder is written after stage two ([`case::write`]).
//!
//! ```no_run
//! use vigie_engine::{Engine, EngineConfig, StageOne, case};
//! use vigie_ingest::expand_inputs;
//!
//! # fn main() -> Result<(), vigie_engine::Error> {
//! let mut engine = Engine::new(&EngineConfig::default())?;
//! for e in engine.rule_errors() {
//!     eprintln!("rule not loaded: {e}");
//! }
//! let mut mail = engine.scan_mail(&["/srv/mail".into()]);
//! engine.watch_openings(&mail);
//! let (sets, _errors) = expand_inputs(&["/var/log/mail.log"]);
//! let mut all = StageOne::default();
//! for set in &sets {
//!     all.merge(engine.stage_one_set(set, &mut ()));
//! }
//! let outcome = engine.stage_two(all, &mut mail, None)?;
//! let summary = case::write("case".as_ref(), &engine, &outcome)?;
//! println!("{} findings", summary.findings.len());
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod case;
pub mod config;
mod cut;
pub mod detection;
pub mod engine;
pub mod indicators;
pub mod installer;
pub mod live;
pub mod mail;
pub mod mail_watch;
mod stage_one;
mod stage_two;

use std::path::PathBuf;

pub use config::EngineConfig;
pub use detection::Detection;
pub use engine::{Chunk, Engine};
pub use stage_one::{Observer, StageOne};
pub use stage_two::{Earlier, Outcome};

/// What stops a run (problems with single files, rules or messages are data
/// in the reports and lists instead).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--tz` names no known zone.
    #[error("--tz {name:?} is not a known time zone")]
    Zone {
        /// The name given.
        name: String,
        /// Why jiff did not know it.
        #[source]
        source: jiff::Error,
    },
    /// A date option is neither RFC 3339 nor `YYYY-MM-DD`.
    #[error("{flag} {text:?} is neither RFC 3339 nor YYYY-MM-DD")]
    Date {
        /// The option (`--baseline-until`).
        flag: String,
        /// The text given.
        text: String,
        /// Why it did not read.
        #[source]
        source: jiff::Error,
    },
    /// The field mapping file does not load.
    #[error(transparent)]
    Mapping(#[from] vigie_detect::mapping::MappingError),
    /// A GeoIP or ASN database does not open.
    #[error(transparent)]
    Geo(#[from] vigie_detect::geo::GeoError),
    /// `SOURCE_DATE_EPOCH` is set but is not whole seconds between 1970 and
    /// the end of year 9999 (what RFC 3339 and STIX timestamps can hold).
    #[error("SOURCE_DATE_EPOCH={0:?} is not a number of seconds from 1970 to 9999")]
    SourceDateEpoch(String),
    /// The correlations' kept events could not be spilled to a temporary
    /// file (in the folder the message names: `$TMPDIR` or `/tmp`).
    #[error(
        "cannot keep the events correlations need in a temporary file in {} (set TMPDIR to a writable folder)",
        std::env::temp_dir().display()
    )]
    Spill(#[source] std::io::Error),
    /// A table of the analytics spilled to a temporary file could not be
    /// read back ([`vigie_detect::analytics::spill`]).
    #[error("cannot read back the analytics' tables: {0}")]
    AnalyticsSpill(String),
    /// A set's packed activity state did not unpack (bytes damaged between
    /// the processes of a distributed run).
    #[error("cannot read the activity state of {set}")]
    State {
        /// The set's key (its file names).
        set: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A case file or folder could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A case folder cannot be created.
    #[error("cannot create the case folder {}", path.display())]
    CaseFolder {
        /// The folder.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The case database could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Database {
        /// `read` or `write`.
        action: &'static str,
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file the report needs is missing.
    #[error("cannot read {} (run `vigie scan --case` first)", .0.display())]
    Missing(PathBuf),
    /// A case file is not what vigie writes.
    #[error("{}: not a case file vigie can read", path.display())]
    CaseFile {
        /// The file.
        path: PathBuf,
        /// Why it did not read.
        #[source]
        source: serde_json::Error,
    },
    /// A line of a JSON-lines case file does not read.
    #[error("{}: line {line}: not readable", path.display())]
    CaseLine {
        /// The file.
        path: PathBuf,
        /// Its 1-based line.
        line: usize,
        /// Why it did not read.
        #[source]
        source: serde_json::Error,
    },
    /// A report template did not render.
    #[error("cannot render the {what}")]
    Render {
        /// `HTML report` or `Markdown summary`.
        what: &'static str,
        /// The template engine's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
