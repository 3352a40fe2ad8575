//! Stage one: what reading the logs gathers, per rotated set or per piece of
//! a file, and how two such gatherings merge.

use std::sync::Arc;

use vigie_case::activity::{Activity, PackedState};
use vigie_detect::analytics::{Histories, is_session_line};
use vigie_detect::correlate::KeptEvents;
use vigie_detect::findings::FindingSet;
use vigie_event::Event;
use vigie_event::isolate::{isolate, test_panic_point};
use vigie_ingest::InputReport;
use vigie_intel::matcher::IntelHits;

use crate::cut::SessionLines;
use crate::engine::Engine;
use crate::installer::InstallerGuard;
use crate::mail::Opens;

/// What stage one gathers: per rotated set (or piece of a file), then for
/// the whole case by [`merge`](StageOne::merge), in any order.
///
/// Serializable ([`vigie_event::wire`]), so that a worker can ship its part
/// to the process that merges (the Spark driver, `vigie_engine::arrow`); the
/// parts must come from engines of the same configuration (rules and
/// indicators are referred to by their index).
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct StageOne {
    /// The stateless rules' hits, per rule and entity.
    pub findings: FindingSet,
    /// The events the correlations need (spilled to a temporary file when large).
    pub kept: KeptEvents,
    /// Logins and other histories the analytics read.
    pub histories: Histories,
    /// The webmail requests that displayed a flagged message, and webmail logins.
    pub opens: Opens,
    /// Per-account activity for the scope (empty with `findings_only`).
    pub activity: Activity,
    /// Indicator hits.
    pub intel: IntelHits,
    /// One report per input (several for the pieces of one file until
    /// stage two adds them up).
    pub reports: Vec<InputReport>,
    /// The activity of each rotated set read, for the case database, keyed
    /// by the set's file names joined by `\n` (pieces of one set are added
    /// up by stage two).
    pub states: Vec<(String, PackedState)>,
    /// What Roundcube's installer rule is held to.
    pub installer: InstallerGuard,
    /// For a piece of a cut file: its session lines, which the histories and
    /// the activity take in file order once the pieces are read
    /// ([`crate::cut`]); `None` when they take them as they come.
    #[serde(skip)]
    pub(crate) sessions: Option<SessionLines>,
}

impl StageOne {
    /// Adds another set's or piece's gathering.
    pub fn merge(&mut self, other: StageOne) {
        self.findings.merge(other.findings);
        self.kept.merge(other.kept);
        self.histories.merge(other.histories);
        self.opens.merge(other.opens);
        self.activity.merge(other.activity);
        self.intel.merge(other.intel);
        self.reports.extend(other.reports);
        self.states.extend(other.states);
        self.installer.merge(other.installer);
        debug_assert!(other.sessions.is_none());
    }

    /// An empty gathering for `engine`'s run.
    pub(crate) fn new(engine: &Engine) -> StageOne {
        StageOne {
            opens: engine.opens.worker(),
            ..StageOne::default()
        }
    }

    /// What one event of the input `name` adds.
    pub(crate) fn add(&mut self, engine: &Engine, event: &Event<'_>, name: &Arc<str>) {
        let Engine {
            detection,
            intel,
            installer_rule,
            config,
            ..
        } = engine;
        let (detector, correlator) = (&detection.detector, &detection.correlator);
        let matched = detector.detect(event);
        for &rule in &matched {
            if !correlator.is_silent(rule) {
                self.findings.add(rule, event);
            }
        }
        if correlator.wants(&matched) {
            correlator.keep(&mut self.kept, event, &matched, name);
        }
        let installer = installer_rule.is_some_and(|r| matched.contains(&r));
        self.installer.add(event, name, installer);
        self.opens.add(event, name);
        if !intel.is_empty() {
            self.intel.add_event(intel, event, name);
        }
        let Some(sessions) = &mut self.sessions else {
            self.histories.add(event, name);
            if !config.findings_only {
                self.activity.add(event, name);
            }
            return;
        };
        self.histories.add_except_sessions(event, name);
        if !config.findings_only {
            self.activity.add_except_sessions(event, name);
        }
        if is_session_line(event) {
            sessions.push(event);
        }
    }

    /// Ends a set (or piece) read under the key `set`: its logins join its
    /// activity, whose state is kept for the case database; the activity
    /// keeps only what stage two reads of it (its owner part), so that a
    /// scan holds each set's sessions and web requests once, not also
    /// merged across sets.
    pub(crate) fn finish_set(&mut self, engine: &Engine, set: String) {
        if !engine.config.findings_only {
            let logins = self.histories.logins.sources.keys();
            let logins = logins.map(|(user, ip)| (user.to_string(), *ip));
            self.activity.logins.extend(logins);
            let activity = std::mem::take(&mut self.activity);
            self.activity = activity.owner_part();
            self.states
                .push((set, PackedState::pack(&activity.into_state())));
        }
    }
}

/// Reads one log file where a panic is caught: the file is then reported
/// as failed (the run exits 2), the others are read.
pub(crate) fn read_isolated(name: &str, read: impl FnOnce() -> InputReport) -> InputReport {
    isolate(|| {
        test_panic_point(name.as_bytes());
        read()
    })
    .unwrap_or_else(|panic| {
        let mut report = InputReport::new(name.to_string());
        report.error = Some(format!(
            "vigie failed while reading it (panic: {panic}); its events up to there were kept, the other files were read"
        ));
        report
    })
}

/// What a driver of [`Engine::stage_one_set`] sees while a set is read
/// (progress, a copy of the events); every method does nothing by default,
/// and `()` observes nothing.
pub trait Observer {
    /// The input `name` is about to be read.
    fn reading(&mut self, _name: &str) {}
    /// An event was made (after stage one took what it needs).
    fn event(&mut self, _event: &Event<'_>) {}
    /// An input was read.
    fn read(&mut self, _report: &InputReport) {}
}

impl Observer for () {}
