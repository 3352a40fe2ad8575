//! Every fail2ban-labelled line of the mail filters in `testdata/corpus/logs/fail2ban/`:
//! a line labelled `"match": true` must become a failure event (authentication
//! failure, or for the reject-type filters a refused connection) with the
//! labelled address, user and time; a `"match": false` line must make no
//! authentication failure.
//!
//! fail2ban's test suite reads its fixtures with `TZ=Europe/Zurich` and the
//! clock set to 2005-08-14 10:00 UTC (`setUpMyTime`), so the labels are local
//! Zurich times and year-less lines fall before that date; this test does the same.

use std::path::PathBuf;

use jiff::tz::TimeZone;
use vigie_event::{Event, Outcome, Timestamp};
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{Format, LineContext, classify, parse_line};

/// The fail2ban filters that watch mail servers and webmail.
const MAIL_FILTERS: &[&str] = &[
    "dovecot",
    "exim",
    "postfix",
    "roundcube-auth",
    "sieve",
    "kerio",
    "openwebmail",
    "perdition",
    "solid-pop3d",
];

/// The repository's `testdata/` (see its README), or a wider tree of the same
/// layout named by `VIGIE_TESTDATA` (the team's `shared/` folder).
fn testdata() -> PathBuf {
    std::env::var_os("VIGIE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata"))
}

struct Label {
    line: usize,
    text: String,
    matches: bool,
    host: Option<String>,
    user: Option<String>,
    time: Option<String>,
}

fn labels(file: &str) -> Vec<Label> {
    let text = std::fs::read_to_string(testdata().join("corpus/logs/fail2ban").join(file))
        .expect("fixture readable");
    let mut out = Vec::new();
    let mut pending: Option<serde_json::Value> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(json) = trimmed
            .strip_prefix('#')
            .map(str::trim_start)
            .and_then(|l| l.strip_prefix("failJSON:"))
        {
            pending = serde_json::from_str(json.trim()).ok();
            continue;
        }
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if let Some(label) = pending.take() {
            let s = |k: &str| label.get(k).and_then(|v| v.as_str()).map(str::to_string);
            out.push(Label {
                line: i + 1,
                text: line.to_string(),
                matches: label
                    .get("match")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                host: s("host").or_else(|| s("ip")),
                user: s("user"),
                time: s("time"),
            });
        }
    }
    out
}

struct Seen {
    failure: bool,
    auth_failure: bool,
    address: Option<String>,
    user: Option<String>,
    time: Timestamp,
}

fn events_of(line: &str) -> Vec<Seen> {
    let zone = TimeZone::get("Europe/Zurich").unwrap();
    let mut time = TimeContext::new(zone, Timestamp::from_unix(1_124_013_600, 0));
    let mut ctx = LineContext {
        path: "fixture",
        number: 1,
        time: &mut time,
    };
    let mut seen = Vec::new();
    let format = classify(line).unwrap_or(Format::Syslog);
    let _ = parse_line(format, line, &mut ctx, &mut |e: &Event<'_>| {
        seen.push(Seen {
            failure: e.outcome == Some(Outcome::Failure),
            auth_failure: e.is_authentication_failure(),
            address: e
                .source_ip
                .map(|ip| ip.to_string())
                .or_else(|| e.source_address.as_deref().map(str::to_string)),
            user: e.user_name.as_deref().map(str::to_string),
            time: e.timestamp,
        });
    });
    seen
}

fn zurich(t: Timestamp) -> String {
    let ts = jiff::Timestamp::from_microsecond(t.0).unwrap();
    TimeZone::get("Europe/Zurich")
        .unwrap()
        .to_datetime(ts)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Why a labelled line fails, or `None` when vigie agrees with the label.
fn verdict(label: &Label) -> Option<String> {
    let seen = events_of(&label.text);
    if !label.matches {
        return seen
            .iter()
            .any(|s| s.auth_failure)
            .then(|| "made an authentication failure for a line labelled no-match".into());
    }
    let Some(event) = seen.iter().find(|s| s.failure) else {
        return Some(if seen.is_empty() {
            "no event".into()
        } else {
            "event is not a failure".into()
        });
    };
    if let Some(host) = &label.host
        && event.address.as_deref() != Some(host.as_str())
    {
        return Some(format!("address {:?}, label {host}", event.address));
    }
    if let Some(user) = &label.user
        && event.user.as_deref() != Some(user.as_str())
    {
        return Some(format!("user {:?}, label {user}", event.user));
    }
    if let Some(time) = &label.time {
        let got = zurich(event.time);
        if !time.starts_with(&got) && got[..time.len().min(got.len())] != time[..] {
            return Some(format!("time {got}, label {time}"));
        }
    }
    None
}

#[test]
fn every_labelled_mail_line_agrees_with_fail2ban() {
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for filter in MAIL_FILTERS {
        let labels = labels(filter);
        assert!(!labels.is_empty(), "{filter}: no labelled line found");
        let (mut t_ok, mut t_all, mut f_ok, mut f_all, mut auth) = (0, 0, 0, 0, 0);
        for label in &labels {
            let outcome = verdict(label);
            if label.matches {
                t_all += 1;
                if outcome.is_none() {
                    t_ok += 1;
                    auth += usize::from(events_of(&label.text).iter().any(|s| s.auth_failure));
                }
            } else {
                f_all += 1;
                f_ok += usize::from(outcome.is_none());
            }
            if let Some(why) = outcome {
                failures.push(format!(
                    "{filter}:{}: {why}\n    {}",
                    label.line, label.text
                ));
            }
        }
        summary.push(format!("{filter:<15} match:true {t_ok}/{t_all} (of which authentication failures {auth})   match:false {f_ok}/{f_all}"));
    }
    println!("{}", summary.join("\n"));
    assert!(
        failures.is_empty(),
        "{} labelled lines disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
