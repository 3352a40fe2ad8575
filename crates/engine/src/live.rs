//! The live engine of `vigie watch`: the same detection as a scan, fed one
//! event at a time. Sigma rules on each event, correlations in one engine
//! whose windows stay open between polls, indicators on each event, and
//! the analytics every few seconds over the histories gathered so far. The
//! lines already in the files at start are the baseline: new logins are
//! compared with them, and they open the correlation windows an attack
//! already under way needs. Where alerts go (and which were delivered) is
//! the caller's.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_detect::analytics::{Baseline, Histories, LoginHistory};
use vigie_detect::correlate::{KeptEvents, LiveCorrelation, LiveState};
use vigie_detect::findings::FindingSet;
use vigie_detect::geo::GeoDb;
use vigie_event::{Entity, Event, Finding, Timestamp};
use vigie_ingest::IngestOptions;
use vigie_ingest::follow::Position;
use vigie_intel::matcher::{IntelHits, IntelIndex};

use crate::detection::Detection;

/// How often the analytics run over the histories, at most.
pub const ANALYTICS_EVERY: Duration = Duration::from_secs(5);

/// The detection of a watch, fed one event at a time.
pub struct Live<'d> {
    detection: &'d Detection,
    intel: IntelIndex,
    geo: Option<&'d GeoDb>,
    live: LiveCorrelation<'d>,
    histories: Histories,
    /// Whether the lines there at start are alerted too (`--from-start`,
    /// at the first start only).
    pub from_start: bool,
    /// Whether the lines read are those there at start (the first poll).
    pub reading_baseline: bool,
    /// The latest time of those lines.
    latest_at_start: Timestamp,
    /// The baseline ends after the last line there at start, in the logs'
    /// own time (a copy of old logs replayed into a watched folder is new).
    baseline: Baseline,
    /// The file of the last event, shared by the evidence of its findings.
    path: Arc<str>,
    /// With --from-start at the first start, the events of the lines there
    /// at start that correlations refer to, kept on disk.
    kept: Option<KeptEvents>,
    /// Events since the analytics last ran, and when that was.
    unanalysed: u64,
    last_analytics: Option<Instant>,
    /// The analytics find their findings again at every run: each is raised once.
    analysed: HashSet<(String, Entity, Timestamp)>,
}

impl<'d> Live<'d> {
    /// A live engine over `detection`, matching `intel`, locating with
    /// `geo`; the baseline ends `now` until the lines there at start are
    /// read. With `keep_baseline_windows` (`--from-start` at a first
    /// start), every correlation window of those lines is alerted, not only
    /// the last.
    pub fn new(
        detection: &'d Detection,
        intel: IntelIndex,
        geo: Option<&'d GeoDb>,
        from_start: bool,
        keep_baseline_windows: bool,
        now: Timestamp,
    ) -> Live<'d> {
        Live {
            detection,
            intel,
            geo,
            live: detection.correlator.live(&detection.rules),
            histories: Histories::default(),
            from_start,
            reading_baseline: true,
            latest_at_start: Timestamp::default(),
            baseline: Baseline { until: now },
            path: "".into(),
            unanalysed: 0,
            last_analytics: None,
            analysed: HashSet::new(),
            kept: keep_baseline_windows.then(KeptEvents::default),
        }
    }

    /// Runs the rules, correlations and indicators on `event`, adding what
    /// they find to `found`, and records it for the analytics.
    pub fn on_event(&mut self, event: &Event<'_>, found: &mut Vec<Finding>) {
        if *self.path != *event.path {
            self.path = event.path.into();
        }
        let path = &self.path;
        let (detector, correlator) = (&self.detection.detector, &self.detection.correlator);
        let matched = detector.detect(event);
        if !matched.is_empty() {
            let mut single = FindingSet::default();
            for &rule in &matched {
                if !correlator.is_silent(rule) {
                    single.add(rule, event);
                }
            }
            found.extend(single.into_findings(detector.rules()));
            if self.reading_baseline {
                // Files are read one after the other: their lines reach the
                // correlations in time order once the baseline is read; only
                // the last window is held in memory. With --from-start every
                // window is alerted: stage two of a scan runs them over the
                // events kept on disk.
                if let Some(kept) = &mut self.kept
                    && correlator.wants(&matched)
                {
                    correlator.keep(kept, event, &matched, path);
                }
                self.live.hold(event, &matched, path, true);
            } else {
                found.extend(self.live.process(event, &matched, path));
            }
        }
        if !self.intel.is_empty() {
            let mut hits = IntelHits::default();
            hits.add_event(&self.intel, event, path);
            found.extend(hits.into_findings(&self.intel));
        }
        self.histories.add(event, path);
        self.unanalysed += 1;
        if self.reading_baseline {
            self.latest_at_start = self.latest_at_start.max(event.timestamp);
        }
    }

    /// Ends the baseline: the correlations get its last window, in time
    /// order; with --from-start, the findings of all its windows.
    ///
    /// # Errors
    /// When the kept events of all windows cannot be read back: only the
    /// last window is in `found` then.
    pub fn baseline_read(&mut self, found: &mut Vec<Finding>) -> std::io::Result<()> {
        let last_window = self.live.release();
        let mut result = Ok(());
        match self.kept.take() {
            None => found.extend(last_window),
            Some(kept) => {
                let detection = self.detection;
                match detection.correlator.run(kept, &detection.rules) {
                    Ok(all) => found.extend(all),
                    Err(e) => {
                        result = Err(e);
                        found.extend(last_window);
                    }
                }
            }
        }
        if self.latest_at_start != Timestamp::default() {
            self.baseline.until = Timestamp(self.latest_at_start.0 + 1);
        }
        result
    }

    /// Takes up what a former run saved: the baseline's end (microseconds),
    /// the correlation windows and the analytics findings raised (rule,
    /// entity, first time in microseconds). Returns whether the windows were
    /// restored (`false`: saved by another version, they start empty).
    pub fn resume(
        &mut self,
        baseline_until: i64,
        correlations: Option<LiveState>,
        analysed: impl IntoIterator<Item = (String, Entity, i64)>,
    ) -> bool {
        self.reading_baseline = false;
        // --from-start was for the first start: what came since is alerted anyway.
        self.from_start = false;
        self.baseline.until = Timestamp(baseline_until);
        let restored = match correlations {
            Some(state) => self.live.restore(state),
            None => true,
        };
        for (rule, entity, at) in analysed {
            self.analysed.insert((rule, entity, Timestamp(at)));
        }
        restored
    }

    /// Rebuilds the histories from a followed file up to where a former run
    /// left it (the same lines it had read); returns the lines read again.
    ///
    /// # Errors
    /// When the file cannot be read again.
    pub fn read_again(
        &mut self,
        position: &Position,
        options: &IngestOptions,
    ) -> std::io::Result<u64> {
        let path: Arc<str> = position.path.display().to_string().into();
        let histories = &mut self.histories;
        vigie_ingest::follow::read_before(position, options, &mut |e| histories.add(e, &path))
    }

    /// The end of the baseline, in microseconds since the epoch.
    pub fn baseline_until(&self) -> i64 {
        self.baseline.until.0
    }

    /// The correlation windows open, to save.
    pub fn correlations(&self) -> LiveState {
        self.live.state()
    }

    /// The analytics findings raised (rule, entity, first time in
    /// microseconds), to save.
    pub fn analysed(&self) -> impl Iterator<Item = (String, Entity, i64)> + '_ {
        self.analysed
            .iter()
            .map(|(rule, entity, at)| (rule.clone(), entity.clone(), at.0))
    }

    /// Detects with `detection` from now on; the correlation windows carry
    /// over by their rules' ids.
    pub fn set_detection(&mut self, detection: &'d Detection) {
        let state = self.live.state();
        self.live = detection.correlator.live(&detection.rules);
        self.live.restore(state);
        self.detection = detection;
    }

    /// Matches `intel` from now on.
    pub fn set_intel(&mut self, intel: IntelIndex) {
        self.intel = intel;
    }

    /// The indicators matched.
    pub fn intel(&self) -> &IntelIndex {
        &self.intel
    }

    /// The file of the last event.
    pub fn path(&self) -> &Arc<str> {
        &self.path
    }

    /// The logins seen so far (the mail watch names who opened a message from them).
    pub fn logins(&self) -> &LoginHistory {
        &self.histories.logins
    }

    /// Events read since the analytics last ran.
    pub fn unanalysed(&self) -> u64 {
        self.unanalysed
    }

    /// Runs the analytics when events came since they last ran, at most
    /// every [`ANALYTICS_EVERY`] unless `now`, with `recent` (the latest
    /// alerts) as earlier findings; returns the findings not raised before.
    ///
    /// # Errors
    /// [`Error::AnalyticsSpill`](crate::Error::AnalyticsSpill) when a table
    /// spilled to a temporary file cannot be read back.
    pub fn analyse<'f>(
        &mut self,
        now: bool,
        recent: impl IntoIterator<Item = &'f Finding>,
    ) -> Result<Vec<Finding>, crate::Error> {
        let due = now
            || self
                .last_analytics
                .is_none_or(|t| t.elapsed() >= ANALYTICS_EVERY);
        if self.unanalysed == 0 || !due {
            return Ok(Vec::new());
        }
        self.unanalysed = 0;
        self.last_analytics = Some(Instant::now());
        let mut findings: Vec<Finding> = recent.into_iter().cloned().collect();
        let earlier = findings.len();
        self.histories.run(self.geo, self.baseline, &mut findings);
        if let Some(e) = self.histories.error() {
            return Err(crate::Error::AnalyticsSpill(e));
        }
        let mut new = Vec::new();
        for finding in findings.drain(earlier..) {
            let fresh = (self.from_start || finding.last_seen >= self.baseline.until)
                && self.analysed.insert((
                    finding.rule_id.clone(),
                    finding.entity.clone(),
                    finding.first_seen,
                ));
            if fresh {
                new.push(finding);
            }
        }
        Ok(new)
    }
}
