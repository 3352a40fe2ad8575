//! The [`Engine`]: one run's rules, indicators and options, and the entry
//! points of stage one.

use std::path::PathBuf;
use std::sync::Arc;

use vigie_detect::geo::GeoDb;
use vigie_detect::sigma::RuleError;
use vigie_event::Timestamp;
use vigie_ingest::{Format, IngestOptions, Input, ingest_bytes, ingest_input};
use vigie_intel::matcher::IntelIndex;
use vigie_mail::Unread;
use vigie_mail::scan::Rules;
use vigie_mail::store::Store;

use crate::config::{EngineConfig, parse_date};
use crate::detection::Detection;
use crate::indicators::{self, IntelNote};
use crate::mail::{self, MailPart, MailScan, Opens};
use crate::stage_one::{Observer, StageOne, read_isolated};
use crate::{Error, installer};

/// One run of the pipeline: the loaded rules, indicators and databases, and
/// the options every input is read with. Shared by reference between
/// threads; stage one and stage two borrow it.
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) detection: Detection,
    pub(crate) intel: IntelIndex,
    intel_notes: Vec<IntelNote>,
    pub(crate) geo: GeoDb,
    pub(crate) options: IngestOptions,
    pub(crate) baseline_until: Option<Timestamp>,
    pub(crate) installer_rule: Option<usize>,
    /// The flagged messages whose openings stage one records.
    pub(crate) opens: Opens,
}

/// Whole lines of one log file held in memory, or a whole (possibly
/// compressed) file: the unit of work of a driver that cuts files.
#[derive(Clone, Copy, Debug)]
pub struct Chunk<'a> {
    /// The file as `vigie scan` names it (`log.file.path` of its events,
    /// the `path` of evidence).
    pub path: &'a str,
    /// The key of the rotated set the file belongs to, for the case
    /// database's activity rows: the set's file names oldest first joined by
    /// `\n`, as [`set_key`] gives them; `None` for `path`.
    pub set: Option<&'a str>,
    /// The file's format, detected from its head when `None` (a chunk that
    /// does not start the file must be given it, see
    /// [`vigie_ingest::sniff::detect`]). Only a
    /// [`Format::line_independent`] file may be cut inside.
    pub format: Option<Format>,
    /// The 1-based number of the chunk's first line in the file (1 for a
    /// whole file, the only choice for a compressed one).
    pub first_line: u64,
    /// The file's modification time: year-less times are placed before it,
    /// as a scan of the file does (`None`: now, unless the config's
    /// `reference_time` is set).
    pub modified: Option<Timestamp>,
    /// The bytes: whole lines (the last `\n` may be missing), or the whole file.
    pub data: &'a [u8],
}

/// The key a rotated set's activity is stored under (see [`Chunk::set`]).
pub fn set_key(set: &[Input]) -> String {
    let names: Vec<String> = set.iter().map(Input::display_name).collect();
    names.join("\n")
}

impl Engine {
    /// Loads the rules, indicators and databases `config` names.
    ///
    /// Rules and indicator sets that do not load are not errors: they are
    /// listed by [`rule_errors`](Engine::rule_errors) and
    /// [`intel_notes`](Engine::intel_notes) for the caller to show, and the
    /// others run.
    ///
    /// # Errors
    /// An unknown zone, an unreadable date, a mapping that does not load, a
    /// GeoIP/ASN database that does not open.
    pub fn new(config: &EngineConfig) -> Result<Engine, Error> {
        let detection = Detection::load(&config.rules)?;
        let options = config.input.options()?;
        let (found, intel_notes) = indicators::load(&config.intel);
        let geo = GeoDb::open(config.geoip.as_deref(), config.asn.as_deref())?;
        let baseline_until = config
            .baseline_until
            .as_deref()
            .map(|d| parse_date(d, "--baseline-until"))
            .transpose()?;
        let installer_rule = detection.detector.index_of(installer::RULE_ID);
        Ok(Engine {
            config: config.clone(),
            detection,
            intel: IntelIndex::new(found),
            intel_notes,
            geo,
            options,
            baseline_until,
            installer_rule,
            opens: Opens::default(),
        })
    }

    /// The configuration the engine was made from.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The rules and what could not be loaded of them (`rules().errors`).
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    /// The rule files (or rules) that did not load; the others run.
    pub fn rule_errors(&self) -> &[RuleError] {
        &self.detection.rules.errors
    }

    /// What loading the indicators said (sets not read, entries refused).
    pub fn intel_notes(&self) -> &[IntelNote] {
        &self.intel_notes
    }

    /// The indicators matched.
    pub fn intel(&self) -> &IntelIndex {
        &self.intel
    }

    /// The options every input is read with.
    pub fn options(&self) -> &IngestOptions {
        &self.options
    }

    /// The GeoIP/ASN databases (empty when none was given).
    pub fn geo(&self) -> &GeoDb {
        &self.geo
    }

    /// Finds and scans the mail stores under `paths` (with the config's YARA
    /// rules and the indicators); to be done before stage one, whose
    /// gatherings then record who opened the flagged messages
    /// ([`watch_openings`](Engine::watch_openings)).
    pub fn scan_mail(&self, paths: &[PathBuf]) -> MailScan {
        mail::scan_mail(paths, &self.config.yara, &self.intel)
    }

    /// The mail stores under `paths` (Maildirs, mboxes, `.eml` files, Sieve
    /// scripts, Dovecot's state files), and what could not be looked into:
    /// for a driver that scans them apart ([`scan_stores`](Engine::scan_stores)).
    pub fn discover_mail(&self, paths: &[PathBuf]) -> (Vec<Store>, Vec<Unread>) {
        vigie_mail::store::discover(paths)
    }

    /// The shipped YARA rules and the config's, with the files that did not
    /// compile (loaded once per worker, for [`scan_stores`](Engine::scan_stores)).
    pub fn yara_rules(&self) -> (Option<Rules>, Vec<String>) {
        mail::load_rules(&self.config.yara)
    }

    /// Scans the messages of some stores (one per task, say); the parts of
    /// all stores merged ([`MailPart::merge`]) and
    /// [`finish_mail`](Engine::finish_mail)ed give what
    /// [`scan_mail`](Engine::scan_mail) gives.
    pub fn scan_stores(&self, stores: &[Store], rules: Option<&Rules>) -> MailPart {
        mail::scan_part(stores, rules, &self.intel)
    }

    /// The mail scan from all the stores found, what could not be looked
    /// into, the YARA rule errors and the merged parts (Sieve scripts are
    /// read here, with their owners from the messages).
    pub fn finish_mail(
        &self,
        stores: Vec<Store>,
        unread: Vec<Unread>,
        rule_errors: Vec<String>,
        part: MailPart,
    ) -> MailScan {
        mail::finish(stores, unread, rule_errors, part, &self.intel)
    }

    /// Makes stage one record the webmail requests that opened a message
    /// `mail` flagged.
    pub fn watch_openings(&mut self, mail: &MailScan) {
        self.opens = Opens::new(mail);
    }

    /// As [`watch_openings`](Engine::watch_openings), from the wanted
    /// openings a driver shipped ([`Opens::worker`] of the driver's).
    pub fn set_openings(&mut self, opens: Opens) {
        self.opens = opens;
    }

    /// The openings stage one records (empty ones, to ship to workers).
    pub fn openings(&self) -> Opens {
        self.opens.worker()
    }

    /// Stage one over a rotated set, oldest file first: each file read
    /// (a panic in one is caught and reported in its report), each event
    /// detected and gathered, `observer` told along.
    pub fn stage_one_set(&self, set: &[Input], observer: &mut dyn Observer) -> StageOne {
        let mut mine = StageOne::new(self);
        for input in set {
            let name: Arc<str> = input.display_name().into();
            observer.reading(&name);
            let report = read_isolated(&name, || {
                ingest_input(input, &self.options, &mut |event| {
                    mine.add(self, event, &name);
                    observer.event(event);
                })
            });
            observer.read(&report);
            mine.reports.push(report);
        }
        mine.finish_set(self, set_key(set));
        mine
    }

    /// Stage one over a chunk: the same gathering as
    /// [`stage_one_set`](Engine::stage_one_set) gives for those lines, with
    /// the same line numbers, so that the chunks of a file merged equal the
    /// file read whole (for a [`Format::line_independent`] format; another
    /// file must be one chunk). Problems are in the chunk's report.
    pub fn stage_one_chunk(&self, chunk: &Chunk<'_>) -> StageOne {
        self.stage_one_piece(chunk, None)
    }

    /// [`stage_one_chunk`](Engine::stage_one_chunk), the chunk's session
    /// lines left in `sessions` (see [`StageOne`]'s) when it is `Some`.
    pub(crate) fn stage_one_piece(
        &self,
        chunk: &Chunk<'_>,
        sessions: Option<crate::cut::SessionLines>,
    ) -> StageOne {
        let mut mine = StageOne::new(self);
        mine.sessions = sessions;
        let name: Arc<str> = chunk.path.into();
        let report = read_isolated(&name, || {
            ingest_bytes(
                chunk.path,
                chunk.data,
                chunk.format,
                chunk.first_line,
                chunk.modified,
                &self.options,
                &mut |event| mine.add(self, event, &name),
            )
        });
        mine.reports.push(report);
        mine.finish_set(self, chunk.set.unwrap_or(chunk.path).to_string());
        mine
    }
}
