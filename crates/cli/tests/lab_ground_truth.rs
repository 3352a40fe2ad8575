//! `vigie scan` against the ground truth of a real lab run (`shared/lab/`):
//! every malicious step has a finding about the step's account or source
//! address, in the step's time window (the exploit mail's arrival through
//! the mailbox scan of the run's `vmail/` folder); no benign party's address
//! gets a high or critical finding but for the victim's own opening of the
//! exploit mail; and that opening is linked to the message, the request and
//! the Roundcube session.
//!
//! The run is `examples/lab-intrusion/` (made with the lab), or the run
//! folder named by `VIGIE_LAB_RUN` (a `drive-scenario … --collect DIR`
//! folder, as `.ci/run` makes on the real stack). When `VIGIE_LAB_BENIGN_RUN`
//! names the folder of a benign-only run, that run must give no high or
//! critical finding at all.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// Steps whose only trace is in the mail content: without the run's
/// mailboxes (`vmail/`, copied from the lab's `/var/vmail/lab.test`) they
/// cannot be found.
const MAIL_ONLY: &[&str] = &["inbound_html_payload"];

/// Findings about the victim's own address that are right to be severe: the
/// exploit mail running in the victim's webmail session.
const ABOUT_THE_VICTIM: &[&str] = &["VC001"];

fn run_dir() -> PathBuf {
    std::env::var_os("VIGIE_LAB_RUN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion")
        })
}

fn ground_truths(dir: &Path) -> Vec<Value> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("ground-truth")
        })
        .collect();
    found.sort();
    found
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

fn seconds(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// Scans the run's logs (and `vigie/` mailboxes) into a new case folder.
fn run_scan(dir: &Path) -> tempfile::TempDir {
    let case = tempfile::tempdir().unwrap();
    // The lab's servers write local time; the lab machine runs in UTC.
    let logs = logs_dir(dir);
    let mut inputs: Vec<PathBuf> = [
        "dovecot.log",
        "mail.log",
        "nginx",
        "roundcube",
        "php8.2-fpm.log",
    ]
    .iter()
    .map(|p| logs.join(p))
    .chain([dir.join("vmail")])
    .filter(|p| p.exists())
    .collect();
    inputs.sort();
    let out = Command::cargo_bin("vigie")
        .unwrap()
        .args(["scan", "--tz", "UTC", "--case"])
        .arg(case.path())
        .args(&inputs)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    case
}

fn scan(dir: &Path) -> Vec<Value> {
    let case = run_scan(dir);
    std::fs::read_to_string(case.path().join("findings.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_malicious_step_has_a_finding_and_benign_parties_have_no_severe_one() {
    let dir = run_dir();
    let truths = ground_truths(&dir);
    assert!(
        !truths.is_empty(),
        "no ground-truth*.json in {}",
        dir.display()
    );
    let findings = scan(&dir);
    let mut missing = Vec::new();
    let mut covered = 0;
    for truth in &truths {
        for step in truth["steps"].as_array().unwrap() {
            if step["malicious"] != true {
                continue;
            }
            let name = step["step"].as_str().unwrap();
            if MAIL_ONLY.contains(&name) && !dir.join("vmail").is_dir() {
                continue;
            }
            let (start, end) = (
                seconds(step["start"].as_str().unwrap()) - 2,
                seconds(step["end"].as_str().unwrap()) + 2,
            );
            let source = step["src_ip"].as_str();
            let accounts: Vec<&str> = step["account"]
                .as_str()
                .unwrap_or_default()
                .split(',')
                .collect();
            let hit = findings.iter().any(|f| {
                let about = f["entity"]["source_ip"].as_str() == source
                    || f["entity"]["user"]
                        .as_str()
                        .is_some_and(|u| accounts.contains(&u));
                let overlaps = seconds(f["first_seen"].as_str().unwrap()) <= end
                    && seconds(f["last_seen"].as_str().unwrap()) >= start;
                about && overlaps && f["level"] != "informational"
            });
            if hit {
                covered += 1;
            } else {
                missing.push(format!("{name} ({:?}, {:?})", step["account"], source));
            }
        }
    }
    println!(
        "lab ground truth: {covered} malicious steps found, {} missing",
        missing.len()
    );
    assert!(missing.is_empty(), "steps without a finding: {missing:?}");

    let attacker: Vec<&str> = truths[0]["addresses"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(party, _)| party.starts_with("attacker"))
        .map(|(_, ip)| ip.as_str().unwrap())
        .collect();
    let benign: Vec<&str> = truths[0]["addresses"]
        .as_object()
        .unwrap()
        .values()
        .map(|ip| ip.as_str().unwrap())
        .filter(|ip| !attacker.contains(ip))
        .collect();
    let severe_on_benign: Vec<&Value> = findings
        .iter()
        .filter(|f| matches!(f["level"].as_str(), Some("high" | "critical")))
        .filter(|f| !ABOUT_THE_VICTIM.contains(&f["rule_id"].as_str().unwrap_or_default()))
        .filter(|f| {
            f["entity"]["source_ip"]
                .as_str()
                .is_some_and(|ip| benign.contains(&ip))
        })
        .collect();
    assert!(
        severe_on_benign.is_empty(),
        "high or critical findings about benign parties: {severe_on_benign:?}"
    );
}

#[test]
fn the_exploit_mail_is_found_in_the_maildir_and_linked_to_its_opening() {
    let dir = run_dir();
    if !dir.join("vmail").is_dir() {
        panic!(
            "{} has no vmail/ folder (the lab's mailboxes)",
            dir.display()
        );
    }
    let truths = ground_truths(&dir);
    let steps: Vec<&Value> = truths
        .iter()
        .flat_map(|t| t["steps"].as_array().unwrap())
        .collect();
    let step = |name: &str| *steps.iter().find(|s| s["step"] == name).unwrap();
    let delivered = step("inbound_html_payload");
    let opened = step("victim_opens_html_payload");
    let victim = delivered["account"].as_str().unwrap();
    let findings = scan(&dir);

    let message = findings
        .iter()
        .find(|f| {
            f["rule_id"].as_str().unwrap().starts_with("VM")
                && f["entity"]["user"] == victim
                && f["evidence"][0]["path"].as_str().unwrap().contains("vmail")
        })
        .expect("a finding for the exploit mail in the victim's Maildir");
    assert!(
        matches!(message["level"].as_str(), Some("high" | "critical")),
        "{message}"
    );
    assert_eq!(
        message["entity"]["source_ip"], delivered["src_ip"],
        "the hostile MTA"
    );

    let link = findings
        .iter()
        .find(|f| f["rule_id"] == "VC001" && f["entity"]["source_ip"] == opened["src_ip"])
        .expect("the opening of the exploit mail from the victim's address");
    assert_eq!(link["entity"]["user"], victim);
    let when = seconds(link["first_seen"].as_str().unwrap());
    assert!(
        (seconds(opened["start"].as_str().unwrap()) - 2
            ..=seconds(opened["end"].as_str().unwrap()) + 2)
            .contains(&when),
        "{link}"
    );
    // The request that displayed it: the message's UID in the access log.
    let uid = format!("_uid={}", opened["detail"]["uid"]);
    let requests: Vec<String> = link["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"].as_str().unwrap().ends_with("access.log"))
        .map(|e| {
            let text = std::fs::read_to_string(e["path"].as_str().unwrap()).unwrap();
            text.lines()
                .nth(e["line"].as_u64().unwrap() as usize - 1)
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        requests
            .iter()
            .any(|r| r.contains(&uid) && r.contains("_action=show")
                || r.contains(&uid) && r.contains("_action=preview")),
        "{requests:?}"
    );
    // Its Roundcube session: the one the victim logged in with from that address.
    let session = link["entity"]["session"].as_str().expect("a session");
    let logins = dir.join(if dir.join("logs").is_dir() {
        "logs/roundcube/userlogins.log"
    } else {
        "roundcube/userlogins.log"
    });
    let logins = std::fs::read_to_string(logins).unwrap();
    let login = format!("Successful login for {victim}");
    assert!(
        logins
            .lines()
            .any(|l| l.contains(&login) && l.contains(&format!("in session {session}"))),
        "session {session} not in userlogins.log"
    );
}

#[test]
fn a_benign_run_gives_no_high_or_critical_finding() {
    let Some(dir) = std::env::var_os("VIGIE_LAB_BENIGN_RUN").map(PathBuf::from) else {
        // Without a benign-only run (a developer machine without the lab), the
        // benign parties of the embedded run are checked by the test above.
        return;
    };
    let truths = ground_truths(&dir);
    assert!(truths.iter().all(|t| {
        t["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["malicious"] == false)
    }));
    let severe: Vec<Value> = scan(&dir)
        .into_iter()
        .filter(|f| matches!(f["level"].as_str(), Some("high" | "critical")))
        .collect();
    println!("benign lab run: {} high or critical findings", severe.len());
    assert!(severe.is_empty(), "{severe:?}");
}

/// The case's scope.json for the run.
fn scope_of(dir: &Path) -> Value {
    let case = run_scan(dir);
    serde_json::from_str(&std::fs::read_to_string(case.path().join("scope.json")).unwrap()).unwrap()
}

fn logs_dir(dir: &Path) -> PathBuf {
    if dir.join("logs").is_dir() {
        dir.join("logs")
    } else {
        dir.to_path_buf()
    }
}

#[test]
fn the_scope_lists_every_step_and_the_estimate_matches_the_logs_bytes() {
    let dir = run_dir();
    let truths = ground_truths(&dir);
    let scope = scope_of(&dir);
    let account = |name: &str| {
        scope["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == name)
            .unwrap_or_else(|| panic!("no scope for {name}"))
            .clone()
    };
    let mut listed = 0;
    for step in truths
        .iter()
        .flat_map(|t| t["steps"].as_array().unwrap())
        .filter(|s| s["malicious"] == true)
    {
        let name = step["step"].as_str().unwrap();
        let a = account(step["account"].as_str().unwrap());
        let source = step["src_ip"].as_str().unwrap();
        let web_action = |action: &str| {
            a["web"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|w| w["source"] == source)
                .any(|w| {
                    w["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|i| i["action"] == action)
                })
        };
        let mark = |kind: &str| {
            a["marks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["kind"] == kind && m["source"] == source)
        };
        let session = |protocol: &str| {
            a["mail_sessions"].as_array().unwrap().iter().any(|s| {
                s["source"] == source && s["protocol"] == protocol && s["attacker"] == true
            })
        };
        let shown =
            match name {
                "inbound_html_payload" => a["messages"].as_array().unwrap().iter().any(|m| {
                    m["rule_id"].as_str().unwrap().starts_with("VM") && m["source"] == source
                }),
                "webmail_bruteforce" | "imap_bruteforce" => mark("auth-failure"),
                "webmail_login_success_new_ip" => mark("web-login"),
                // Attachments only when the run had some to download.
                "webmail_mailbox_browse_and_attachment_download" => {
                    let downloads = step["detail"]["downloads"]
                        .as_array()
                        .is_some_and(|d| !d.is_empty());
                    web_action("message-open") && (!downloads || web_action("attachment-download"))
                }
                "webmail_zip_download_mailbox" => web_action("mailbox-export"),
                "webmail_addressbook_export" => web_action("addressbook-export"),
                "webmail_sieve_redirect" => web_action("sieve-put"),
                "webmail_send_from_victim" => mark("sent"),
                "imap_bulk_fetch" => session("imap"),
                "managesieve_redirect" => session("managesieve"),
                other => panic!("a malicious step this test does not know: {other}"),
            };
        assert!(shown, "{name}: not in the scope of {}", step["account"]);
        listed += 1;
    }
    println!("scope: {listed} malicious steps listed");

    // The estimate against the bytes the logs record for the intruders' sessions,
    // computed here from the raw lines.
    let logs = logs_dir(&dir);
    let access = std::fs::read_to_string(logs.join("nginx/roundcube.access.log")).unwrap();
    let web_bytes = |ip: &str| -> u64 {
        access
            .lines()
            .filter(|l| l.starts_with(&format!("{ip} ")))
            .filter_map(|l| {
                let after = l.split('"').nth(2)?.split_whitespace().collect::<Vec<_>>();
                let status: u16 = after.first()?.parse().ok()?;
                (200..300)
                    .contains(&status)
                    .then(|| after.get(1)?.parse::<u64>().ok())
                    .flatten()
            })
            .sum()
    };
    let dovecot = std::fs::read_to_string(logs.join("dovecot.log")).unwrap();
    let imap_bytes = |ip: &str, user: &str| -> u64 {
        let sessions: Vec<&str> = dovecot
            .lines()
            .filter(|l| {
                l.contains("imap-login:")
                    && l.contains(" Login: ")
                    && l.contains(&format!("rip={ip},"))
                    && l.contains(&format!("user=<{user}>"))
            })
            .filter_map(|l| l.split("session=<").nth(1)?.split('>').next())
            .collect();
        dovecot
            .lines()
            .filter(|l| {
                l.contains("Logged out") && sessions.iter().any(|s| l.contains(&format!("<{s}>")))
            })
            .filter_map(|l| {
                l.split(" out=")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .sum()
    };
    let attacker = |party: &str| truths[0]["addresses"][party].as_str().unwrap().to_string();
    for (user, expected) in [
        ("alice@lab.test", web_bytes(&attacker("attacker_web"))),
        (
            "bob@lab.test",
            imap_bytes(&attacker("attacker_imap"), "bob@lab.test"),
        ),
    ] {
        let estimate = account(user)["exfiltration"]["total_bytes"]
            .as_u64()
            .unwrap();
        println!(
            "{user}: estimate {estimate} bytes, logs record {expected} bytes for the intruder's sessions"
        );
        assert!(expected > 0);
        assert_eq!(estimate, expected, "{user}");
    }
}
