//! The parser expectations that other tools ship for mail and web logs, read
//! against vigie's events:
//! - crowdsec-hub `parser.assert`: every field assertion of the `s01-parse`
//!   stage whose meaning has an ECS counterpart (table below) must hold;
//! - wazuh and OSSEC ruleset tests: every `log N pass` line of a mail or web
//!   decoder must become an event of the matching dataset.
//!
//! Both tests print what fraction they check and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vigie_event::{Event, Field, Timestamp, Value};
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{Format, LineContext, classify, parse_line};

/// The repository's `testdata/` (see its README), or a wider tree of the same
/// layout named by `VIGIE_TESTDATA` (the team's `shared/` folder).
fn testdata() -> PathBuf {
    std::env::var_os("VIGIE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata"))
}

/// The event(s) of one line as owned field maps (`name → text`).
fn events_of(line: &str, format: Format) -> Vec<BTreeMap<&'static str, String>> {
    let mut time = TimeContext::new(
        jiff::tz::TimeZone::UTC,
        Timestamp::from_unix(1_795_996_800, 0),
    );
    let mut ctx = LineContext {
        path: "fixture",
        number: 1,
        time: &mut time,
    };
    let mut out = Vec::new();
    let format = if format == Format::Syslog {
        classify(line).unwrap_or(format)
    } else {
        format
    };
    let _ = parse_line(format, line, &mut ctx, &mut |e: &Event<'_>| {
        let mut fields = BTreeMap::new();
        for &f in Field::ALL {
            let text = match e.value(f) {
                None => continue,
                Some(Value::Str(s)) => s.to_string(),
                Some(Value::UInt(n)) => n.to_string(),
                Some(Value::Ip(ip)) => ip.to_string(),
                Some(Value::Time(t)) => t.to_string(),
                Some(Value::Keywords(k)) => k.join(","),
            };
            fields.insert(f.name(), text);
        }
        fields.insert("auth-failure", e.is_authentication_failure().to_string());
        out.push(fields);
    });
    out
}

/// crowdsec field → how vigie says the same thing. `None`: no ECS counterpart
/// (crowdsec's own bookkeeping such as `log_type`, `datasource_path`, or the raw
/// timestamp text), not checked and counted as such.
fn expectation(key: &str, value: &str, event: &BTreeMap<&'static str, String>) -> Option<bool> {
    let field = |name: &str| event.get(name).map(String::as_str);
    let dash_is_none = |v: &str| {
        if v == "-" || v.is_empty() {
            None
        } else {
            Some(v.to_string())
        }
    };
    Some(match key {
        "source_ip" | "dovecot_remote_ip" | "remote_addr" | "clientip" => {
            field("source.ip").or(field("source.address"))
                == Some(value.trim_start_matches("::ffff:"))
        }
        "dovecot_user" => field("user.name") == Some(value),
        "dovecot_local_ip" => field("destination.ip") == Some(value.trim_start_matches("::ffff:")),
        "dovecot_login_result" => match value {
            "auth_failed" => field("auth-failure") == Some("true"),
            "success" => field("event.action") == Some("login"),
            _ => return None,
        },
        "machine" => field("host.name") == Some(value),
        "protocol" => field("network.protocol") == Some(value),
        "verb" | "http_verb" => field("http.request.method") == Some(value),
        "status" | "http_status" | "response" => field("http.response.status_code") == Some(value),
        "http_user_agent" => {
            field("user_agent.original").map(str::to_string) == dash_is_none(value)
        }
        "http_referer" => field("http.request.referrer").map(str::to_string) == dash_is_none(value),
        "body_bytes_sent" | "bytes" => {
            field("http.response.bytes").map(str::to_string) == dash_is_none(value)
        }
        "remote_user" | "auth" => field("user.name").map(str::to_string) == dash_is_none(value),
        "http_version" | "httpversion" => field("http.version") == Some(value),
        "request" | "http_path" => {
            field("url.original") == Some(value) || field("url.path") == Some(value)
        }
        "time_local" | "timestamp" if value.contains('/') => {
            let stamp = format!("1.1.1.1 - - [{value}] \"GET / HTTP/1.1\" 200 1");
            events_of(&stamp, Format::NginxAccess)
                .first()
                .and_then(|e| e.get("@timestamp").cloned())
                .as_deref()
                == field("@timestamp")
        }
        _ => return None,
    })
}

#[test]
fn crowdsec_parser_assertions_for_mail_and_web_logs() {
    let folders = [
        ("apache2-logs", Format::ApacheAccess),
        ("dovecot-logs", Format::Syslog),
        ("dovecot-slow-bf-user-enum", Format::Syslog),
        ("dovecot-time-based-bf-user-enum", Format::Syslog),
        ("nginx-http-malformed", Format::NginxAccess),
        ("nginx_http-logs", Format::NginxAccess),
    ];
    let (mut total, mut checked, mut passed) = (0, 0, 0);
    let mut failures = Vec::new();
    for (folder, format) in folders {
        let dir = testdata().join("corpus/logs/crowdsec-hub").join(folder);
        let config = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
        let log_file = config
            .lines()
            .find_map(|l| l.strip_prefix("log_file: "))
            .unwrap()
            .trim();
        let log = std::fs::read_to_string(dir.join(log_file)).unwrap();
        let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        let asserts = std::fs::read_to_string(dir.join("parser.assert")).unwrap();
        let (mut f_checked, mut f_passed, mut f_total) = (0, 0, 0);
        for assertion in asserts
            .lines()
            .filter(|l| l.starts_with("results[\"s01-parse\"]") && l.contains(".Evt."))
        {
            f_total += 1;
            let Some((index, key, value)) = split_assertion(assertion) else {
                continue;
            };
            let Some(event) = lines
                .get(index)
                .and_then(|l| events_of(l, format).into_iter().next())
            else {
                failures.push(format!(
                    "{folder}[{index}]: no event for {key} == {value:?}"
                ));
                f_checked += 1;
                continue;
            };
            match expectation(&key, &value, &event) {
                None => {}
                Some(ok) => {
                    f_checked += 1;
                    if ok {
                        f_passed += 1;
                    } else {
                        failures.push(format!(
                            "{folder}[{index}]: {key} == {value:?}, vigie: {event:?}"
                        ));
                    }
                }
            }
        }
        println!(
            "{folder:<32} field assertions {f_total:>4}, checked {f_checked:>4}, passed {f_passed:>4}"
        );
        total += f_total;
        checked += f_checked;
        passed += f_passed;
    }
    println!(
        "crowdsec: {total} assertions, {checked} with an ECS counterpart checked, {passed} passed"
    );
    assert!(
        failures.is_empty(),
        "{} disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked * 2 > total,
        "fewer than half of the assertions are checked"
    );
}

/// `results["s01-parse"]["p"][3].Evt.Parsed["key"] == "value"` → (3, key, value).
fn split_assertion(line: &str) -> Option<(usize, String, String)> {
    let (left, right) = line.split_once(" == ")?;
    let index = left.split("][").nth(2)?.split(']').next()?.parse().ok()?;
    let key = left
        .rsplit("[\"")
        .next()?
        .trim_end_matches("\"]")
        .to_string();
    let value: String = serde_json::from_str(right.trim()).ok()?;
    Some((index, key, value))
}

/// The dataset a wazuh/OSSEC decoder name corresponds to.
fn dataset_of_decoder(decoder: &str) -> Option<&'static [&'static str]> {
    Some(match decoder {
        "dovecot" | "dovecot-info" => &["dovecot"],
        "postfix-reject" => &["postfix"],
        "smtpd" => &["opensmtpd"],
        "windows-date-format" => &["exim"],
        "web-accesslog" => &["nginx.access", "apache.access"],
        "apache-errorlog" => &["apache.error"],
        "nginx-errorlog" => &["nginx.error"],
        _ => return None,
    })
}

#[test]
fn wazuh_and_ossec_mail_and_web_lines() {
    let files = ["wazuh-ruleset-tests", "ossec-testing"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(testdata().join("corpus/logs").join(d))
                .unwrap()
                .map(|e| e.unwrap().path())
        });
    let (mut total, mut relevant, mut passed) = (0, 0, 0);
    let mut misses = Vec::new();
    for file in files {
        for (decoder, line) in pass_lines(&file) {
            total += 1;
            let Some(datasets) = dataset_of_decoder(&decoder) else {
                continue;
            };
            relevant += 1;
            let events = events_of(&line, Format::Syslog);
            let ok = events.iter().any(|e| {
                e.get("event.dataset")
                    .is_some_and(|d| datasets.contains(&d.as_str()))
            });
            if ok {
                passed += 1;
            } else {
                misses.push(format!(
                    "{}: {decoder}: {line}",
                    file.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    println!(
        "wazuh+ossec: {total} pass lines, {relevant} of mail/web decoders, {passed} made an event of that dataset"
    );
    for m in &misses {
        println!("  not parsed: {m}");
    }
    // Lines without any timestamp cannot become events (vigie never invents a time).
    let without_time = misses
        .iter()
        .filter(|m| !m.split(": ").nth(2).is_some_and(has_time))
        .count();
    assert_eq!(
        misses.len(),
        without_time,
        "lines with a time that vigie did not parse"
    );
    assert!(passed * 10 >= relevant * 7, "{passed}/{relevant}");
}

fn has_time(line: &str) -> bool {
    let b = line.as_bytes();
    vigie_ingest::parse::timestamp::syslog(b).is_some()
        || vigie_ingest::parse::timestamp::iso(b).is_some()
        || line.contains('[') && line.contains("/20")
}

/// `(decoder, line)` of every `log N pass = …` line of an INI test file.
fn pass_lines(file: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    let mut section: Vec<String> = Vec::new();
    let flush = |section: &mut Vec<String>, decoder: &str, out: &mut Vec<(String, String)>| {
        out.extend(section.drain(..).map(|l| (decoder.to_string(), l)));
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("log ") {
            if let Some((kind, log)) = rest.split_once(" = ")
                && kind.ends_with("pass")
            {
                section.push(log.to_string());
            }
        } else if let Some(decoder) = line
            .strip_prefix("decoder = ")
            .or_else(|| line.strip_prefix("decoder ="))
        {
            flush(&mut section, decoder.trim(), &mut out);
        } else if line.starts_with('[') {
            section.clear();
        }
    }
    out
}
