//! `vigie scan`: read logs, run the rules, write the case's findings.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use std::sync::{Arc, Mutex};

use vigie_case::activity::{Activity, ActivityState};
use vigie_case::tally::{MAILBOX_PREFIX, Tally};
use vigie_case::timeline::{self, Profile};
use vigie_case::{answers, export, owner, scope, store};
use vigie_detect::analytics::{Baseline, Histories};
use vigie_detect::correlate::{Correlator, KeptEvents};
use vigie_detect::detector::Detector;
use vigie_detect::findings::FindingSet;
use vigie_detect::geo::GeoDb;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;
use vigie_event::Finding;
use vigie_event::isolate::{isolate, test_panic_point};
use vigie_ingest::{Format, InputReport, ingest_input};
use vigie_intel::attribution::{self, Attribution, Profiles};
use vigie_intel::matcher::{IntelHits, IntelIndex};
use vigie_mail::StoreKind;

use crate::args::{RuleArgs, ScanArgs};
use crate::commands::intel::load_for_scan;
use crate::events_out::{Batch, EventsOut};
use crate::input::{Inputs, parse_date};
use crate::installer::{self, InstallerGuard};
use crate::mail;
use crate::terminal::sanitize;

/// The rules a run detects with: the built-in pack and `--sigma`, the
/// detector of their base rules and the correlations over them.
pub struct Detection {
    /// The rules (with those that did not load, already reported on stderr).
    pub rules: RuleSet,
    /// Runs the base rules on each event.
    pub detector: Detector,
    /// Runs the correlations.
    pub correlator: Correlator,
}

impl Detection {
    /// Loads the rules the flags name; rules that do not load are listed on
    /// stderr and the others still run.
    pub fn load(args: &RuleArgs) -> Result<Detection> {
        let mapping = match &args.mapping {
            Some(path) => Mapping::from_file(path)?,
            None => Mapping::builtin(),
        };
        let mut rules = if args.no_builtin_rules {
            RuleSet::default()
        } else {
            RuleSet::builtin()
        };
        if !args.sigma.is_empty() {
            rules.extend(RuleSet::load(&args.sigma));
        }
        for e in &rules.errors {
            eprintln!(
                "vigie: rule not loaded: {}",
                sanitize(&one_line(&e.to_string()))
            );
        }
        let detector = Detector::new(&rules, mapping.clone());
        let correlator = Correlator::new(&rules, &detector, mapping);
        Ok(Detection {
            rules,
            detector,
            correlator,
        })
    }
}

/// Runs the subcommand.
pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let Detection {
        rules,
        detector,
        correlator,
    } = Detection::load(&args.rules)?;
    let mut inputs = Inputs::prepare(&args.input)?;
    let (indicators, intel_failed) = load_for_scan(&args.intel);
    let intel = IntelIndex::new(indicators);
    // Mail first: which messages are flagged decides which webmail requests
    // stage one keeps (those that opened them).
    let mut mail = if args.no_mail {
        mail::MailScan::default()
    } else {
        mail::scan_mail(&args.input.paths, &args.yara, &intel)
    };
    for e in &mail.rule_errors {
        eprintln!("vigie: YARA rule not loaded: {}", sanitize(&one_line(e)));
    }
    inputs.without(|path| mail.owns(path));
    inputs.report_errors();
    let opens = mail::Opens::new(&mail);
    let geo = GeoDb::open(args.geo.geoip.as_deref(), args.geo.asn.as_deref())?;
    let baseline_until = args
        .baseline_until
        .as_deref()
        .map(|d| parse_date(d, "--baseline-until"))
        .transpose()?;
    std::fs::create_dir_all(&args.case)
        .with_context(|| format!("cannot create the case folder {}", args.case.display()))?;
    let events_out = EventsOut::open(args.events_parquet, &args.case)?;
    let installer_rule = detector.index_of(installer::RULE_ID);

    // Each set's state is merged as soon as the set is read, so memory holds
    // one total and the sets in flight, not every set's until the end.
    let total = Mutex::new(StageOne {
        opens: opens.worker(),
        ..StageOne::default()
    });
    inputs.for_each_set(|set, progress| {
        let mut mine = StageOne {
            opens: opens.worker(),
            ..StageOne::default()
        };
        let names: Vec<String> = set.iter().map(|i| i.display_name().to_string()).collect();
        for input in set {
            let name: Arc<str> = input.display_name().into();
            progress.set_message(sanitize(&name));
            let report = read_isolated(&name, || {
                ingest_input(input, &inputs.options, &mut |event| {
                    let matched = detector.detect(event);
                    for &rule in &matched {
                        if !correlator.is_silent(rule) {
                            mine.findings.add(rule, event);
                        }
                    }
                    if correlator.wants(&matched) {
                        correlator.keep(&mut mine.kept, event, &matched, &name);
                    }
                    let installer = installer_rule.is_some_and(|r| matched.contains(&r));
                    mine.installer.add(event, &name, installer);
                    mine.histories.add(event, &name);
                    mine.opens.add(event, &name);
                    if !intel.is_empty() {
                        mine.intel.add_event(&intel, event, &name);
                    }
                    events_out.add(&mut mine.events_out, event);
                    if !args.findings_only {
                        mine.activity.add(event, &name);
                    }
                })
            });
            mine.reports.push(report);
            progress.inc(1);
        }
        events_out.flush(&mut mine.events_out);
        if !args.findings_only {
            let logins = mine.histories.logins.sources.keys();
            let logins = logins.map(|(user, ip)| (user.to_string(), *ip));
            mine.activity.logins.extend(logins);
            mine.states
                .push((names.join("\n"), mine.activity.to_state()));
        }
        total.lock().unwrap_or_else(|e| e.into_inner()).merge(mine);
    });
    let StageOne {
        findings: all,
        kept,
        histories,
        opens,
        activity,
        intel: mut intel_hits,
        events_out: _,
        mut reports,
        mut states,
        installer,
    } = total.into_inner().unwrap_or_else(|e| e.into_inner());
    states.sort_by(|a, b| a.0.cmp(&b.0));
    // Sets finish in any order; reports are listed by file.
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    events_out.close()?;
    let mut findings = all.into_findings(detector.rules());
    installer.retain(&mut findings);
    findings.extend(
        correlator
            .run(kept, &rules)
            .context("cannot keep the events correlations need in a temporary file")?,
    );
    // A finding from the webmail's logs (access, Roundcube) knows only the
    // browser's address: name the account when exactly one logged in from it.
    // Mail-server findings are left alone: a brute force from an address is
    // not about the account that address later got into.
    let webmail_logs: std::collections::HashSet<&str> = reports
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
    findings.sort_by(|a, b| {
        (a.first_seen, &a.rule_id, &a.entity, &a.evidence).cmp(&(
            b.first_seen,
            &b.rule_id,
            &b.entity,
            &b.evidence,
        ))
    });
    owner::leave_out_owner_lines(&mut findings, &activity);
    let baseline = baseline_until
        .map(|until| Baseline { until })
        .or_else(|| Baseline::rolling(&histories.logins));
    if let Some(baseline) = baseline {
        let geo = (!geo.is_empty()).then_some(&geo);
        histories.run(geo, baseline, &mut findings);
    }
    let exposure = histories.logins.exposure();
    // A case scanned before holds the logs' openings, logins and findings:
    // the mailboxes scanned after the logs still tell who opened what, and
    // what followed, as one scan of both would.
    let mut opens = opens;
    let mut earlier = findings.clone();
    let database = args.case.join("case.sqlite");
    if !args.findings_only && database.is_file() {
        let recorded = store::activity(&database)
            .with_context(|| format!("cannot read {}", database.display()))?;
        opens.add_recorded(&recorded);
        let stored = store::findings(&database)
            .with_context(|| format!("cannot read {}", database.display()))?;
        // Only what a scan finds before the mail findings (not the mail's,
        // the Sieve scripts' or the indicators').
        let before_mail = |f: &Finding| {
            !["VC", "VM", "VS", "VI"]
                .iter()
                .any(|p| f.rule_id.starts_with(p))
        };
        for f in stored.into_iter().filter(before_mail) {
            if !earlier.iter().any(|e| {
                (&e.rule_id, &e.entity, e.first_seen) == (&f.rule_id, &f.entity, f.first_seen)
            }) {
                earlier.push(f);
            }
        }
    }
    // In one order whichever scan found them (what followed an opening is listed in it).
    earlier.sort_by(|a, b| {
        (a.first_seen, &a.rule_id, &a.entity, &a.evidence).cmp(&(
            b.first_seen,
            &b.rule_id,
            &b.entity,
            &b.evidence,
        ))
    });
    let mail_findings = mail::findings(&mail, &opens, &histories.logins, &earlier);
    findings.extend(mail_findings);
    findings.extend(mail::script_findings(&mail));
    intel_hits.merge(std::mem::take(&mut mail.intel));
    let actor_matches = intel_hits.actor_matches(&intel);
    findings.extend(intel_hits.into_findings(&intel));
    findings.sort_by(|a, b| {
        (a.first_seen, &a.rule_id, &a.entity).cmp(&(b.first_seen, &b.rule_id, &b.entity))
    });

    // Before the case's files: the report shows the posture audit.
    let posture = match &args.audit_root {
        Some(root) => Some(super::audit::write_jsonl(
            root,
            &args.case.join("audit.jsonl"),
        )?),
        None => None,
    };

    let path = args.case.join("findings.jsonl");
    let read = source_rows(&reports, &mail);
    let (findings, attribution) = if args.findings_only {
        write_findings(&path, &findings)?;
        let attribution = attribution::attribute(&findings, &actor_matches, &Profiles::builtin());
        (findings, attribution)
    } else {
        // The case is the store: this scan is added to it, then every file
        // of the case is written from all it holds.
        let database = args.case.join("case.sqlite");
        let now = vigie_event::Timestamp::from_unix(jiff::Timestamp::now().as_second(), 0);
        store::add_scan(&database, &read, &findings, &states, &now.to_string())
            .with_context(|| format!("cannot write {}", database.display()))?;
        let findings = store::findings(&database)
            .with_context(|| format!("cannot read {}", database.display()))?;
        let activity = store::activity(&database)
            .with_context(|| format!("cannot read {}", database.display()))?;
        write_findings(&path, &findings)?;
        let attribution = attribution::attribute(&findings, &actor_matches, &Profiles::builtin());
        write_case(&args, &activity, &findings, &attribution, &geo, now)?;
        (findings, attribution)
    };

    // Always said, also when nothing was found or understood.
    let mut tally = Tally::new(&read, &findings);
    tally.messages = (!mail.stores.is_empty()).then_some(mail.messages);
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
            &reports,
            &mail,
            &path.display().to_string(),
            exposure,
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
        // A file neither read as a log nor as mail is named once, as a log.
        let named = u.location.line == 0
            && reports
                .iter()
                .any(|r| r.error.is_some() && r.path == u.location.path);
        if !named {
            eprintln!("vigie: {}", crate::mail::unread_text(u));
        }
    }
    let failed = inputs.failed()
        || reports.iter().any(|r| r.error.is_some())
        || !rules.errors.is_empty()
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

/// Reads one log file where a panic is caught: the file is then reported
/// as failed (the run exits 2), the others are read.
fn read_isolated(name: &str, read: impl FnOnce() -> InputReport) -> InputReport {
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

/// Writes `findings.jsonl`.
fn write_findings(path: &std::path::Path, findings: &[Finding]) -> Result<()> {
    let mut file = io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
    );
    for f in findings {
        serde_json::to_writer(&mut file, f)?;
        file.write_all(b"\n")?;
    }
    file.flush()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The files and mail stores a scan read, as the case database lists them
/// (a store's format is `mailbox:<kind>`).
fn source_rows(reports: &[InputReport], mail: &mail::MailScan) -> Vec<store::SourceRow> {
    // Dovecot's state files beside the mailboxes are neither logs nor mail.
    let stores = mail
        .stores
        .iter()
        .filter(|s| s.kind != StoreKind::DovecotState)
        .map(|s| store::SourceRow {
            path: s.path.display().to_string(),
            format: Some(format!("{MAILBOX_PREFIX}{}", store_kind(s.kind))),
            lines: 0,
            events: 0,
            skipped: "{}".to_string(),
            error: None,
            first_seen: None,
            last_seen: None,
        });
    reports
        .iter()
        .map(|r| store::SourceRow {
            path: r.path.clone(),
            format: r.format.map(|f| f.name().to_string()),
            lines: r.lines,
            events: r.events,
            skipped: serde_json::to_value(r)
                .map(|v| v["skipped"].to_string())
                .unwrap_or_default(),
            error: r.error.clone(),
            first_seen: r.first_seen.map(|t| t.to_string()),
            last_seen: r.last_seen.map(|t| t.to_string()),
        })
        .chain(stores)
        .collect()
}

fn store_kind(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Maildir => "maildir",
        StoreKind::Mbox => "mbox",
        StoreKind::Eml => "eml",
        StoreKind::Sieve => "sieve",
        StoreKind::DovecotState => "dovecot-state",
    }
}

/// Writes the case's scope, timeline, exports and report from everything
/// the case database holds (`findings` and `activity` were read from it).
fn write_case(
    args: &ScanArgs,
    activity: &Activity,
    findings: &[Finding],
    attribution: &Attribution,
    geo: &GeoDb,
    now: vigie_event::Timestamp,
) -> Result<()> {
    let mut scope = scope::scope(activity, findings, args.all_accounts);
    scope::locate(&mut scope, findings, geo);
    let write = |name: &str, body: &dyn Fn(&mut dyn Write) -> io::Result<()>| -> Result<()> {
        let path = args.case.join(name);
        let mut file = io::BufWriter::new(
            std::fs::File::create(&path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
        body(&mut file)
            .and_then(|()| file.flush())
            .with_context(|| format!("cannot write {}", path.display()))
    };
    write("attribution.json", &|out| {
        serde_json::to_writer_pretty(&mut *out, attribution)?;
        out.write_all(b"\n")
    })?;
    write("scope.json", &|out| {
        serde_json::to_writer_pretty(&mut *out, &scope)?;
        out.write_all(b"\n")
    })?;
    let profile = Profile::from_name(&args.timeline_profile).unwrap_or(Profile::Standard);
    write("timeline.csv", &|out| {
        timeline::write_csv(out, findings, profile)
    })?;
    write("timeline.jsonl", &|out| {
        timeline::write_jsonl(out, findings, profile)
    })?;
    let name = crate::commands::report::case_name(&args.case);
    let exports = [
        (
            "stix-bundle.json",
            export::stix_bundle(&name, findings, &scope, now),
        ),
        (
            "misp-event.json",
            export::misp_event(&name, findings, &scope, now),
        ),
        ("attack-layer.json", export::attack_layer(&name, findings)),
    ];
    for (file, value) in exports {
        write(file, &|out| {
            serde_json::to_writer_pretty(&mut *out, &value)?;
            out.write_all(b"\n")
        })?;
    }
    let database = args.case.join("case.sqlite");
    let hypotheses: Vec<serde_json::Value> = attribution
        .hypotheses
        .iter()
        .filter_map(|h| serde_json::to_value(h).ok())
        .collect();
    store::write_answers(&database, &scope, &hypotheses)
        .with_context(|| format!("cannot write {}", database.display()))?;
    let sources =
        store::sources(&database).with_context(|| format!("cannot read {}", database.display()))?;
    let answers = answers::answers(findings, &scope, &hypotheses, &sources);
    write("answers.json", &|out| {
        serde_json::to_writer_pretty(&mut *out, &answers)?;
        out.write_all(b"\n")
    })?;
    crate::commands::report::write(&args.case, &name)?;
    Ok(())
}

/// What stage one gathers: per rotated set, then for the whole scan.
#[derive(Default)]
struct StageOne {
    findings: FindingSet,
    kept: KeptEvents,
    histories: Histories,
    opens: mail::Opens,
    activity: Activity,
    intel: IntelHits,
    events_out: Batch,
    reports: Vec<InputReport>,
    /// The activity of each set read, for the case database.
    states: Vec<(String, ActivityState)>,
    installer: InstallerGuard,
}

impl StageOne {
    fn merge(&mut self, other: StageOne) {
        self.findings.merge(other.findings);
        self.kept.merge(other.kept);
        self.histories.merge(other.histories);
        self.opens.merge(other.opens);
        self.activity.merge(other.activity);
        self.intel.merge(other.intel);
        self.reports.extend(other.reports);
        self.states.extend(other.states);
        self.installer.merge(other.installer);
    }
}

/// Finding levels, most severe first.
pub const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

fn print_summary(
    findings: &[Finding],
    reports: &[InputReport],
    mail: &mail::MailScan,
    path: &str,
    exposure: Option<(usize, f64)>,
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let lines: u64 = reports.iter().map(|r| r.lines).sum();
    let events: u64 = reports.iter().map(|r| r.events).sum();
    writeln!(
        out,
        "{} files, {lines} lines, {events} events; {} findings in {}",
        reports.len(),
        findings.len(),
        sanitize(path)
    )?;
    if !mail.stores.is_empty() {
        writeln!(
            out,
            "{} mail stores, {} messages ({} read in part, {} not read), {} flagged; {} Sieve scripts; {} Dovecot state files (compiled Sieve, duplicate database) not read",
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
        writeln!(out, "{:<40} {n:>8}  {worst}", sanitize(user))?;
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
            sanitize(&name),
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
