//! `vigie scan` against the ground truth of a real lab run (`lab/`):
//! every malicious step has a finding about the step's account or source
//! address, in the step's time window (the exploit mail's arrival through
//! the mailbox scan of the run's `vmail/` folder); no benign party's address
//! gets a high or critical finding but for the victim's own opening of the
//! exploit mail; and that opening is linked to the message, the request and
//! the Roundcube session.
//!
//! The run is `examples/lab-intrusion/` (made with the lab), or the run
//! folder named by `VIGIE_LAB_RUN` (`DIR/intrusion` of `sudo lab/run DIR`,
//! as `.ci/run` makes on the real stack). When `VIGIE_LAB_BENIGN_RUN`
//! names the folder of a benign-only run, that run must give no high or
//! critical finding at all.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Steps whose only trace is in the mail content: without the run's
/// mailboxes (`vmail/`, copied from the lab's `/var/vmail/lab.test`) they
/// cannot be found.
const MAIL_ONLY: &[&str] = &["inbound_html_payload"];

/// Findings about the victim's own address that are right to be severe: the
/// exploit mail running in the victim's webmail session.
const ABOUT_THE_VICTIM: &[&str] = &["VC001"];

fn seconds(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// Scans the run's logs (and `vigie/` mailboxes) into a new case folder.
fn run_scan(dir: &Path) -> tempfile::TempDir {
    run_scan_with(dir, &[])
}

/// The same, with more flags (indicator feeds); the user's stored indicator
/// sets are never read.
fn run_scan_with(dir: &Path, flags: &[&std::ffi::OsStr]) -> tempfile::TempDir {
    let case = tempfile::tempdir().unwrap();
    // The lab's servers write local time; the lab machine runs in UTC.
    let logs = common::logs_dir(dir);
    let mut inputs: Vec<PathBuf> = common::LAB_LOGS
        .iter()
        .map(|p| logs.join(p))
        .chain([dir.join("vmail")])
        .filter(|p| p.exists())
        .collect();
    inputs.sort();
    common::scan_any(case.path(), flags, &inputs);
    case
}

fn scan(dir: &Path) -> Vec<Value> {
    findings_of(&run_scan(dir))
}

#[test]
fn every_malicious_step_has_a_finding_and_benign_parties_have_no_severe_one() {
    let dir = common::lab_run();
    let truths = common::ground_truths(&dir);
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
    let dir = common::lab_run();
    if !dir.join("vmail").is_dir() {
        panic!(
            "{} has no vmail/ folder (the lab's mailboxes)",
            dir.display()
        );
    }
    let truths = common::ground_truths(&dir);
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
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must give VIGIE_LAB_BENIGN_RUN"
        );
        eprintln!("not run: benign lab run: VIGIE_LAB_BENIGN_RUN names no run (.ci/run makes one)");
        return;
    };
    let truths = common::ground_truths(&dir);
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
    let attribution = json_file(&run_scan(&dir), "attribution.json");
    assert_eq!(
        attribution["hypotheses"],
        serde_json::json!([]),
        "the benign run claims nothing"
    );
}

fn json_file(case: &tempfile::TempDir, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(case.path().join(name)).unwrap()).unwrap()
}

fn findings_of(case: &tempfile::TempDir) -> Vec<Value> {
    common::findings_of(case.path())
}

/// The text of an evidence line (`path`, 1-based `line`).
fn evidence_line(evidence: &Value) -> String {
    let text = std::fs::read_to_string(evidence["path"].as_str().unwrap()).unwrap();
    let line = evidence["line"].as_u64().unwrap() as usize;
    text.lines().nth(line - 1).unwrap_or_default().to_string()
}

#[test]
fn the_attackers_address_and_sieve_target_from_stix_and_csv_feeds_are_found() {
    let dir = common::lab_run();
    let truth = &common::ground_truths(&dir)[0];
    let attacker = truth["addresses"]["attacker_web"].as_str().unwrap();
    let attacker_mx = truth["addresses"]["attacker_mx"].as_str().unwrap();
    let target = truth["exfil_address"].as_str().unwrap();
    let feeds = tempfile::tempdir().unwrap();
    // A STIX 2.1 bundle with the web attacker's address and the Sieve target
    // (defanged, as analysts publish them) in one OR pattern.
    let stix = feeds.path().join("lab.stix.json");
    let pattern = format!("[ipv4-addr:value = '{attacker}'] OR [email-addr:value = '{target}']");
    let bundle = serde_json::json!({
        "type": "bundle", "id": "bundle--4c1d0d4c-8a5e-4d51-9a5e-2f0e2a1c0b01",
        "objects": [{
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-11-29T00:00:00Z", "modified": "2026-11-29T00:00:00Z",
            "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2026-11-29T00:00:00Z", "indicator_types": ["malicious-activity"]
        }]
    });
    std::fs::write(&stix, bundle.to_string()).unwrap();
    // A CSV list with the sending server's address, defanged.
    let csv = feeds.path().join("lab.csv");
    std::fs::write(
        &csv,
        format!(
            "type,value,tags\nip,{},exploit mail relay\n",
            attacker_mx.replace('.', "[.]")
        ),
    )
    .unwrap();
    let case = run_scan_with(
        &dir,
        &[
            "--ioc".as_ref(),
            stix.as_os_str(),
            "--ioc".as_ref(),
            csv.as_os_str(),
        ],
    );
    let found: Vec<Value> = findings_of(&case)
        .into_iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("VI"))
        .collect();
    for f in &found {
        println!("{} {} {}", f["rule_id"], f["entity"], f["reason"]);
    }
    // Every evidence line of a log match holds the matched value.
    for f in found.iter().filter(|f| f["rule_id"] == "VI001") {
        for e in f["evidence"].as_array().unwrap() {
            let line = evidence_line(e);
            assert!(
                [attacker, target, attacker_mx]
                    .iter()
                    .any(|v| line.contains(v)),
                "{line}"
            );
        }
    }
    let about = |field: &str, value: &str| {
        found
            .iter()
            .filter(|f| {
                f["reason"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{field} {value} "))
            })
            .collect::<Vec<_>>()
    };
    // The attacker's web requests, with the accounts it touched.
    let web = about("source.ip", attacker);
    assert!(
        web.iter().any(
            |f| f["evidence"].as_array().unwrap().iter().any(|e| e["path"]
                .as_str()
                .unwrap()
                .ends_with("roundcube.access.log"))
        )
    );
    assert!(web.iter().any(|f| f["entity"]["user"] == "alice@lab.test"));
    // The Sieve redirects: Dovecot's forwarding lines of each victim, and the MTA's delivery.
    let forwards = about("email.to.address", target);
    for victim in ["alice@lab.test", "bob@lab.test"] {
        assert!(
            forwards.iter().any(|f| f["entity"]["user"] == victim),
            "no forward match for {victim}"
        );
    }
    // The Sieve scripts' redirect lines, in both victims' mail folders.
    if dir.join("vmail").is_dir() {
        let scripts = about("sieve.redirect", target);
        for victim in ["alice@lab.test", "bob@lab.test"] {
            assert!(
                scripts
                    .iter()
                    .any(|f| f["rule_id"] == "VI003" && f["entity"]["user"] == victim),
                "no Sieve script match for {victim}"
            );
        }
    }
    // The exploit mail, through its Received hop.
    if dir.join("vmail").is_dir() {
        let mail = about("email.received.from", attacker_mx);
        assert!(
            mail.iter()
                .any(|f| f["rule_id"] == "VI002" && f["entity"]["user"] == "alice@lab.test"),
            "{mail:?}"
        );
    }
}

#[test]
fn attribution_ranks_the_webmail_espionage_actors_above_crime_and_hacktivism() {
    let dir = common::lab_run();
    let attribution = json_file(&run_scan(&dir), "attribution.json");
    let hypotheses = attribution["hypotheses"].as_array().unwrap();
    for h in hypotheses {
        println!(
            "{:>5} {:<12} {} {}",
            h["score"], h["support"], h["name"], h["campaign"]
        );
    }
    let score = |name: &str| {
        hypotheses
            .iter()
            .find(|h| h["name"] == name)
            .map_or(0.0, |h| h["score"].as_f64().unwrap())
    };
    let generic_crime = score("Financially motivated crime");
    let hacktivism = score("Hacktivism");
    // The campaign's actors are listed side by side, each above the generic
    // criminal and hacktivist hypotheses, with their evidence.
    for actor in ["APT28", "TA458", "Winter Vivern"] {
        let h = hypotheses
            .iter()
            .find(|h| h["name"] == actor)
            .unwrap_or_else(|| panic!("{actor} not listed"));
        assert!(
            h["score"].as_f64().unwrap() > generic_crime.max(hacktivism),
            "{actor}"
        );
        assert!(!h["evidence_for"].as_array().unwrap().is_empty());
        assert_eq!(h["campaign"], "RoundPress (webmail XSS)");
    }
    assert!(score("State espionage") > generic_crime.max(hacktivism));
    let observed = &attribution["observed"]["behaviours"];
    for b in [
        "webmail-exploit-mail",
        "forwarding-rule",
        "credential-attack",
    ] {
        if b == "webmail-exploit-mail" && !dir.join("vmail").is_dir() {
            continue;
        }
        assert!(observed.get(b).is_some(), "{b} not observed: {observed}");
    }
}

/// The case's scope.json for the run.
fn scope_of(dir: &Path) -> Value {
    json_file(&run_scan(dir), "scope.json")
}

#[test]
fn the_scope_lists_every_step_and_the_estimate_matches_the_logs_bytes() {
    let dir = common::lab_run();
    let truths = common::ground_truths(&dir);
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
        // The intruder's session itself is listed, within the step's time.
        let (from, to) = (
            seconds(step["start"].as_str().unwrap()) - 2,
            seconds(step["end"].as_str().unwrap()) + 2,
        );
        let session =
            |protocol: &str| {
                a["mail_sessions"].as_array().unwrap().iter().any(|s| {
                    s["source"] == source
                        && s["protocol"] == protocol
                        && s["attacker"] == true
                        && s["each"].as_array().unwrap().iter().any(|one| {
                            (from..=to).contains(&seconds(one["start"].as_str().unwrap()))
                        })
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
    let logs = common::logs_dir(&dir);
    let access = std::fs::read_to_string(logs.join("nginx/roundcube.access.log")).unwrap();
    // Mail content only (issue 14): messages shown or as source, attachments,
    // mailbox archives, address books; login pages, listings and settings
    // pages are overhead the estimate leaves out.
    let carries_content = |l: &str| {
        let url = l
            .split('"')
            .nth(1)
            .and_then(|r| r.split(' ').nth(1))
            .unwrap_or("");
        let has = |p: &str| {
            url.split(['?', '&'])
                .any(|kv| kv == p || kv.starts_with(&format!("{p}.")))
        };
        has("_action=show")
            || has("_action=preview")
            || has("_action=viewsource")
            || has("_action=get")
            || has("_action=plugin.zipdownload")
            || (has("_task=addressbook") && has("_action=export"))
    };
    let web_bytes = |ip: &str| -> u64 {
        access
            .lines()
            .filter(|l| l.starts_with(&format!("{ip} ")) && carries_content(l))
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

#[test]
fn sieve_scripts_redirecting_outside_are_findings_on_their_lines() {
    let dir = common::lab_run();
    if !dir.join("vmail").is_dir() {
        return; // a run without its mailboxes has no scripts to read
    }
    let findings = scan(&dir);
    let scripts: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "VS001")
        .collect();
    for f in &scripts {
        println!("{} {} {}", f["level"], f["entity"], f["reason"]);
    }
    let steps: Vec<Value> = common::ground_truths(&dir)
        .iter()
        .flat_map(|t| t["steps"].as_array().unwrap().clone())
        .filter(|s| s["malicious"] == true && s["detail"]["target"].is_string())
        .collect();
    assert!(!steps.is_empty(), "the run sets no Sieve redirect");
    for step in &steps {
        let (account, target) = (
            step["account"].as_str().unwrap(),
            step["detail"]["target"].as_str().unwrap(),
        );
        let found = scripts
            .iter()
            .find(|f| {
                f["entity"]["user"] == account && f["reason"].as_str().unwrap().contains(target)
            })
            .unwrap_or_else(|| panic!("no VS001 for {account} → {target}"));
        assert_eq!(found["level"], "high");
        // The evidence is the script's redirect line.
        assert!(evidence_line(&found["evidence"][0]).contains(target));
    }
    // The compiled scripts and the duplicate database beside them are
    // Dovecot's state, not logs: no source of the case, no line skipped.
    let case = run_scan(&dir);
    let db = rusqlite::Connection::open(case.path().join("case.sqlite")).unwrap();
    let mut query = db.prepare("SELECT path FROM sources").unwrap();
    let sources: Vec<String> = query
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(sources.iter().any(|s| s.ends_with("dovecot.log")));
    assert!(
        sources
            .iter()
            .all(|s| !s.ends_with(".svbin") && !s.ends_with(".lda-dupes")),
        "{sources:?}"
    );
    // Scripts without an outside redirect (carol's fileinto rule) give none.
    assert!(
        scripts
            .iter()
            .all(|f| steps.iter().any(|s| s["account"] == f["entity"]["user"]))
    );
}
