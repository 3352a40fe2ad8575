//! `vigie scan` against the ground truth of the lab's SOGo and Horde runs
//! (`lab/up-webmails`, `lab/webmails.py`): every malicious step has a finding
//! about the step's account or source address in its time window; no benign
//! party's address gets a high or critical finding but for the victim's own
//! opening of the exploit mail; that opening is linked (VC001) to the request
//! that showed it, found through the webmail's own identifiers (SOGo's
//! folder path and UID, Horde IMP's base64url mailbox and `buid`); and a
//! benign run gives no high or critical finding at all.
//!
//! The runs are `DIR/<webmail>-benign` and `DIR/<webmail>-intrusion` of
//! `sudo lab/run DIR sogo-benign sogo-intrusion horde-benign horde-intrusion`,
//! with `VIGIE_LAB_WEBMAIL_RUNS=DIR` (as `.ci/run` makes them). Without it the
//! tests say so on stderr and pass; under CI a missing run fails.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// What a run folder holds that vigie reads: the servers' logs and the mailboxes.
const INPUTS: [&str; 7] = [
    "dovecot.log",
    "mail.log",
    "nginx",
    "sogo",
    "horde",
    "php8.2-fpm.log",
    "vmail",
];

/// The run `<webmail>-<kind>` under `VIGIE_LAB_WEBMAIL_RUNS`, or `None`
/// (said on stderr; a failure under CI) when there is none.
fn run(test: &str, webmail: &str, kind: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("VIGIE_LAB_WEBMAIL_RUNS")
        .map(|d| PathBuf::from(d).join(format!("{webmail}-{kind}")))
        .unwrap_or_default();
    let what = format!("the {webmail} lab run (VIGIE_LAB_WEBMAIL_RUNS=DIR of lab/run)");
    let probe = dir.join("vmail");
    common::needs(test, &["test", "-d", probe.to_str()?], &what).then_some(dir)
}

fn seconds(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_second()
}

fn scan(dir: &Path) -> Vec<Value> {
    let case = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> = INPUTS
        .iter()
        .map(|p| dir.join(p))
        .filter(|p| p.exists())
        .collect();
    common::scan_any(case.path(), &[], &inputs);
    common::findings_of(case.path())
}

/// The run's steps, with the run's ground truth (its addresses).
fn truth(dir: &Path) -> Value {
    let mut truths = common::ground_truths(dir);
    assert_eq!(truths.len(), 1, "one ground truth in {}", dir.display());
    let truth = truths.remove(0);
    assert_eq!(
        truth["error"],
        Value::Null,
        "the run stopped: {}",
        truth["error"]
    );
    truth
}

/// The text of an evidence line (`path`, 1-based `line`).
fn evidence_line(evidence: &Value) -> String {
    let text = std::fs::read_to_string(evidence["path"].as_str().unwrap()).unwrap();
    let line = evidence["line"].as_u64().unwrap() as usize;
    text.lines().nth(line - 1).unwrap_or_default().to_string()
}

/// Whether a request line shows the webmail opening message `uid` of `mailbox`.
type Opening = fn(&str, &str, u64) -> bool;

/// The checks of one intrusion run; with `opening`, also the link of the
/// opened exploit mail to its opening request.
fn intrusion(test: &str, webmail: &str, opening: Option<Opening>) {
    let Some(dir) = run(test, webmail, "intrusion") else {
        return;
    };
    let truth = truth(&dir);
    let steps = truth["steps"].as_array().unwrap();
    let findings = scan(&dir);

    // Every malicious step: a finding about its account or address, in its window.
    let mut missing = Vec::new();
    for step in steps.iter().filter(|s| s["malicious"] == true) {
        let (start, end) = (
            seconds(step["start"].as_str().unwrap()) - 2,
            seconds(step["end"].as_str().unwrap()) + 2,
        );
        let source = step["src_ip"].as_str();
        let account = step["account"].as_str();
        let hit = findings.iter().any(|f| {
            let about = f["entity"]["source_ip"].as_str() == source
                || f["entity"]["user"].as_str() == account;
            let overlaps = seconds(f["first_seen"].as_str().unwrap()) <= end
                && seconds(f["last_seen"].as_str().unwrap()) >= start;
            about && overlaps && f["level"] != "informational"
        });
        if !hit {
            missing.push(format!("{} ({account:?}, {source:?})", step["step"]));
        }
    }
    println!(
        "{webmail} lab run: {} malicious steps, {} without a finding",
        steps.iter().filter(|s| s["malicious"] == true).count(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "{webmail}: steps without a finding: {missing:?}"
    );

    // No severe finding about a benign party, but the victim opening the exploit mail.
    let addresses = truth["addresses"].as_object().unwrap();
    let benign: Vec<&str> = addresses
        .iter()
        .filter(|(party, _)| !party.starts_with("attacker"))
        .map(|(_, ip)| ip.as_str().unwrap())
        .collect();
    let severe_on_benign: Vec<&Value> = findings
        .iter()
        .filter(|f| matches!(f["level"].as_str(), Some("high" | "critical")))
        .filter(|f| f["rule_id"] != "VC001")
        .filter(|f| {
            f["entity"]["source_ip"]
                .as_str()
                .is_some_and(|ip| benign.contains(&ip))
        })
        .collect();
    assert!(
        severe_on_benign.is_empty(),
        "{webmail}: high or critical findings about benign parties: {severe_on_benign:?}"
    );

    // The exploit mail, flagged in the victim's Maildir and linked to its opening.
    let Some(opening) = opening else {
        return;
    };
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap();
    let delivered = step("inbound_html_payload");
    let opened = step("victim_opens_html_payload");
    assert_eq!(opened["outcome"], "opened", "{opened}");
    let victim = delivered["account"].as_str().unwrap();
    assert!(
        findings.iter().any(|f| {
            f["rule_id"].as_str().unwrap().starts_with("VM")
                && f["entity"]["user"] == victim
                && matches!(f["level"].as_str(), Some("high" | "critical"))
        }),
        "{webmail}: no high or critical finding for the exploit mail"
    );
    let link = findings
        .iter()
        .find(|f| f["rule_id"] == "VC001" && f["entity"]["source_ip"] == opened["src_ip"])
        .unwrap_or_else(|| panic!("{webmail}: no VC001 from the victim's address"));
    assert_eq!(link["entity"]["user"], victim, "{link}");
    let when = seconds(link["first_seen"].as_str().unwrap());
    assert!(
        (seconds(opened["start"].as_str().unwrap()) - 2
            ..=seconds(opened["end"].as_str().unwrap()) + 2)
            .contains(&when),
        "{webmail}: {link}"
    );
    let uid = opened["detail"]["uid"].as_u64().unwrap();
    let mailbox = opened["detail"]["mailbox"].as_str().unwrap();
    let requests: Vec<String> = link["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"].as_str().unwrap().ends_with("access.log"))
        .map(evidence_line)
        .collect();
    assert!(
        requests.iter().any(|r| opening(r, mailbox, uid)),
        "{webmail}: the opening request of {mailbox} UID {uid} is not evidence: {requests:?}"
    );
}

/// The checks of one benign run: no high or critical finding.
fn benign(test: &str, webmail: &str) {
    let Some(dir) = run(test, webmail, "benign") else {
        return;
    };
    let truth = truth(&dir);
    assert!(
        truth["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["malicious"] == false)
    );
    let severe: Vec<Value> = scan(&dir)
        .into_iter()
        .filter(|f| matches!(f["level"].as_str(), Some("high" | "critical")))
        .collect();
    println!(
        "{webmail} benign lab run: {} high or critical findings",
        severe.len()
    );
    assert!(severe.is_empty(), "{webmail}: {severe:?}");
}

#[test]
fn sogo_intrusion_steps_are_found_and_the_opened_exploit_mail_is_linked() {
    // SOGo's reader: `…/Mail/0/folderINBOX/<uid>/view`.
    intrusion(
        "sogo intrusion",
        "sogo",
        Some(|request, mailbox, uid| request.contains(&format!("/folder{mailbox}/{uid}/view "))),
    );
}

#[test]
fn sogo_benign_run_has_no_high_or_critical_finding() {
    benign("sogo benign", "sogo");
}

#[test]
fn horde_intrusion_steps_are_found_and_the_opened_exploit_mail_is_linked() {
    // IMP's basic view: `basic.php?mailbox=<base64url>&buid=<uid>&page=message`
    // (the order IMP's own links give; lab/webmails.py asks page= first).
    intrusion(
        "horde intrusion",
        "horde",
        Some(|request, mailbox, uid| {
            let query = request.split_once('?').map_or("", |(_, q)| q);
            let query = query.split(' ').next().unwrap_or("");
            let has = |pair: &str| query.split('&').any(|p| p == pair);
            request.contains("/imp/basic.php?")
                && has("page=message")
                && has(&format!("mailbox={}", base64url(mailbox)))
                && has(&format!("buid={uid}"))
        }),
    );
}

/// IMP 6's mailbox names in URLs (`IMP_Mailbox::formTo`): base64url, no padding.
fn base64url(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn imp_mailbox_names_are_base64url() {
    // IMP's own link to the INBOX, from the lab's basic mailbox page.
    assert_eq!(base64url("INBOX"), "SU5CT1g");
    assert_eq!(base64url("Sent"), "U2VudA");
}

#[test]
fn horde_benign_run_has_no_high_or_critical_finding() {
    benign("horde benign", "horde");
}
