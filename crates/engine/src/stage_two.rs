//! Stage two: from everything one case's stage one gathered to its findings.

use std::collections::HashSet;

use vigie_case::activity::{Activity, PackedState};
use vigie_case::{owner, store};
use vigie_detect::analytics::Baseline;
use vigie_event::Finding;
use vigie_ingest::{Format, InputReport};
use vigie_intel::matcher::ActorMatch;

use crate::engine::Engine;
use crate::mail::{self, MailScan};
use crate::stage_one::StageOne;
use crate::{Error, case};

/// What earlier scans of the case recorded (its database): the mailboxes
/// scanned after the logs still tell who opened what, and what followed.
/// Serializable, so that a driver can ship it to the worker of stage two.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct Earlier {
    /// The activity the case holds.
    pub activity: Activity,
    /// The findings the case holds.
    pub findings: Vec<Finding>,
}

/// What stage two gives: the findings and all the case files are written from.
pub struct Outcome {
    /// The findings, sorted by first time, rule id and entity.
    pub findings: Vec<Finding>,
    /// One report per input, by path.
    pub reports: Vec<InputReport>,
    /// The activity of each rotated set, by key, for the case database.
    pub states: Vec<(String, PackedState)>,
    /// The indicator hits that point at known actors, for attribution.
    pub actor_matches: Vec<ActorMatch>,
    /// Accounts with logins and weeks covered (for rates per 1000 accounts per week).
    pub exposure: Option<(usize, f64)>,
    /// The files and mail stores read, as the case database lists them.
    pub sources: Vec<store::SourceRow>,
}

/// Adds up the reports of the pieces of one file, and the states of the
/// pieces of one set (a scan of whole sets has neither).
///
/// # Errors
/// [`Error::State`] when a piece's state does not unpack.
fn add_up_pieces(
    reports: &mut Vec<InputReport>,
    states: &mut Vec<(String, PackedState)>,
) -> Result<(), Error> {
    // Sets finish in any order; reports are listed by file.
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    let mut whole: Vec<InputReport> = Vec::with_capacity(reports.len());
    for r in reports.drain(..) {
        match whole.last_mut() {
            Some(last) if last.path == r.path => last.absorb(r),
            _ => whole.push(r),
        }
    }
    *reports = whole;
    states.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sets: Vec<(String, PackedState)> = Vec::with_capacity(states.len());
    let mut pieces = std::mem::take(states).into_iter().peekable();
    while let Some((key, first)) = pieces.next() {
        if pieces.peek().is_none_or(|(next, _)| *next != key) {
            sets.push((key, first));
            continue;
        }
        let unpack = |state: &PackedState| {
            state
                .unpack()
                .map(Activity::from_state)
                .map_err(|source| Error::State {
                    set: key.clone(),
                    source,
                })
        };
        let mut activity = unpack(&first)?;
        while let Some((_, piece)) = pieces.next_if(|(next, _)| *next == key) {
            activity.merge(unpack(&piece)?);
        }
        // The pieces of one file, in file order.
        activity.keep_first_marks();
        sets.push((key, PackedState::pack(&activity.into_state())));
    }
    *states = sets;
    Ok(())
}

impl Engine {
    /// Stage two over all the stage one of one case (merged): correlations,
    /// the installer check, the accounts behind webmail findings, the
    /// owner's own lines left out, baselines and analytics, the mail
    /// findings (with `earlier`, what the case database recorded), the
    /// Sieve scripts' and the indicators' findings. Takes the indicator hits
    /// of `mail`.
    ///
    /// The key of stage two is the case: the analytics need one server's
    /// whole view (the rolling baselines' warm-up starts at its first login, password
    /// spraying is seen over the population).
    ///
    /// # Errors
    /// [`Error::Spill`] when the correlations' kept events cannot be read back;
    /// [`Error::AnalyticsSpill`] when the analytics' spilled tables cannot;
    /// [`Error::State`] when a piece's activity state does not unpack.
    pub fn stage_two(
        &self,
        merged: StageOne,
        mail: &mut MailScan,
        earlier: Option<&Earlier>,
    ) -> Result<Outcome, Error> {
        let StageOne {
            findings: all,
            kept,
            mut histories,
            opens,
            activity,
            intel: mut intel_hits,
            mut reports,
            mut states,
            installer,
            sessions: _,
        } = merged;
        add_up_pieces(&mut reports, &mut states)?;
        let detector = &self.detection.detector;
        let mut findings = all.into_findings(detector.rules());
        installer.retain(&mut findings);
        // The correlations need memory while the analytics' tables wait:
        // what those hold goes to their temporary files meanwhile.
        histories.write_out();
        findings.extend(
            self.detection
                .correlator
                .run(kept, &self.detection.rules)
                .map_err(Error::Spill)?,
        );
        // A finding from the webmail's logs (access, Roundcube) knows only the
        // browser's address: name the account when exactly one logged in from it.
        // Mail-server findings are left alone: a brute force from an address is
        // not about the account that address later got into.
        let webmail_logs: HashSet<&str> = reports
            .iter()
            .filter(|r| {
                matches!(
                    r.format,
                    Some(Format::NginxAccess | Format::ApacheAccess | Format::Roundcube)
                )
            })
            .map(|r| r.path.as_str())
            .collect();
        let from_webmail = |f: &Finding| {
            f.evidence
                .iter()
                .all(|e| webmail_logs.contains(e.path.as_str()))
        };
        for f in findings
            .iter_mut()
            .filter(|f| f.entity.user.is_none() && from_webmail(f))
        {
            let ip = f.entity.source_ip.as_deref().and_then(|ip| ip.parse().ok());
            if let Some(user) = ip.and_then(|ip| histories.logins.only_account_of(ip)) {
                f.entity.user = Some(user.to_string());
            }
        }
        // Correlations finish in no set order; what follows reads them in order.
        Finding::sort(&mut findings);
        owner::leave_out_owner_lines(&mut findings, &activity);
        let baseline = self
            .baseline_until
            .map(|until| Baseline { until })
            .or_else(|| Baseline::rolling(&histories.logins));
        if let Some(baseline) = baseline {
            let geo = (!self.geo.is_empty()).then_some(&self.geo);
            histories.run(geo, baseline, &mut findings);
            if let Some(e) = histories.error() {
                return Err(Error::AnalyticsSpill(e));
            }
        }
        let exposure = histories.logins.exposure();
        // A case scanned before holds the logs' openings, logins and findings:
        // the mailboxes scanned after the logs still tell who opened what, and
        // what followed, as one scan of both would.
        // Wanting the engine's messages whatever the merge started from
        // (a `StageOne::default()` wants none).
        let mut opens = {
            let mut wanting = self.opens.worker();
            wanting.merge(opens);
            wanting
        };
        let mut before = findings.clone();
        if let Some(earlier) = earlier.filter(|_| !self.config.findings_only) {
            opens.add_recorded(&earlier.activity);
            // Only what a scan finds before the mail findings (not the mail's,
            // the Sieve scripts' or the indicators').
            let before_mail = |f: &&Finding| {
                !["VC", "VM", "VS", "VI"]
                    .iter()
                    .any(|p| f.rule_id.starts_with(p))
            };
            for f in earlier.findings.iter().filter(before_mail) {
                if !before.iter().any(|e| {
                    (&e.rule_id, &e.entity, e.first_seen) == (&f.rule_id, &f.entity, f.first_seen)
                }) {
                    before.push(f.clone());
                }
            }
        }
        // In one order whichever scan found them (what followed an opening is listed in it).
        Finding::sort(&mut before);
        let mail_findings = mail::findings(mail, &opens, &histories.logins, &before);
        findings.extend(mail_findings);
        findings.extend(mail::script_findings(mail));
        intel_hits.merge(std::mem::take(&mut mail.intel));
        let actor_matches = intel_hits.actor_matches(&self.intel);
        findings.extend(intel_hits.into_findings(&self.intel));
        findings.sort_by(|a, b| {
            (a.first_seen, &a.rule_id, &a.entity).cmp(&(b.first_seen, &b.rule_id, &b.entity))
        });
        let sources = case::source_rows(&reports, mail);
        Ok(Outcome {
            findings,
            reports,
            states,
            actor_matches,
            exposure,
            sources,
        })
    }
}
