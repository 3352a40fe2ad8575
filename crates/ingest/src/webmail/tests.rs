//! Golden cases: `tests/testdata/webmail/requests.jsonl`, one request per
//! line with what it must mean and the source of its URL shape.

use serde_json::Value;
use vigie_event::{Dataset, Event, Timestamp};

use crate::parse::timestamp::TimeContext;
use crate::parse::{LineContext, web_access};

const CASES: &str = include_str!("../../tests/testdata/webmail/requests.jsonl");

fn parse(line: &str) -> Event<'_> {
    let mut time = TimeContext::new(jiff::tz::TimeZone::UTC, Timestamp::default());
    let mut ctx = LineContext {
        path: "access.log",
        number: 1,
        time: &mut time,
    };
    web_access::parse(line, &mut ctx, Dataset::NginxAccess).expect("an access-log line")
}

#[test]
fn every_case_means_what_its_source_says() {
    let mut failures = Vec::new();
    let mut count = 0;
    for case in CASES.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(case).expect("a JSON case");
        let text = |k: &str| case[k].as_str().map(str::to_string);
        let request = text("request").expect("request");
        assert!(
            text("source").is_some_and(|s| !s.is_empty()),
            "{request}: no source"
        );
        let line = format!(
            r#"203.0.113.7 - - [01/Dec/2026:00:10:00 +0000] "{request}" 200 512 "-" "Mozilla/5.0""#
        );
        let event = parse(&line);
        let got = (
            event.webmail_product.map(str::to_string),
            event.action.map(str::to_string),
            event.webmail_mailbox.as_deref().map(str::to_string),
            event.webmail_uid.as_deref().map(str::to_string),
            event.webmail_part.as_deref().map(str::to_string),
        );
        let want = (
            text("product"),
            text("action"),
            text("mailbox"),
            text("uid"),
            text("part"),
        );
        if got != want {
            failures.push(format!("{request}\n  got  {got:?}\n  want {want:?}"));
        }
        count += 1;
    }
    assert!(count >= 50, "{count} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The must-show table's cells: each product has a case for each action it claims.
#[test]
fn each_webmail_has_its_core_actions() {
    let cases: Vec<Value> = CASES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON case"))
        .collect();
    let has = |product: &str, action: &str| {
        cases
            .iter()
            .any(|c| c["product"] == product && c["action"] == action)
    };
    for product in ["roundcube", "horde", "zimbra", "sogo", "mdaemon"] {
        assert!(has(product, "message-open"), "{product} message-open");
    }
    for product in ["horde", "zimbra", "sogo", "mdaemon", "kerio"] {
        assert!(has(product, "login-attempt"), "{product} login");
    }
    for product in ["roundcube", "horde", "zimbra", "sogo"] {
        assert!(has(product, "sieve-put"), "{product} filter saved");
        assert!(has(product, "message-source"), "{product} source");
        assert!(has(product, "attachment-download"), "{product} attachment");
    }
}

#[test]
fn hostile_requests_do_not_panic() {
    for request in [
        "GET /SOGo/so/ HTTP/1.1",
        "GET /SOGo/so/%ff/Mail/0/folder%ff/99999999999999999999/1/2/3/4/5 HTTP/1.1",
        "GET /horde/imp/view.php?mailbox=%%%&buid= HTTP/1.1",
        "GET /horde/services/download/?app=imp&actionID=download_mbox&mbox_list=_-_- HTTP/1.1",
        "GET /service/home/ HTTP/1.1",
        "GET /WorldClient.dll HTTP/1.1",
        "GET /webmail/api/download/attachment/ HTTP/1.1",
        "POST /service/soap/ HTTP/1.1",
    ] {
        let line =
            format!(r#"203.0.113.7 - - [01/Dec/2026:00:10:00 +0000] "{request}" 200 1 "-" "-""#);
        let event = parse(&line);
        assert!(event.action.is_some(), "{request}");
    }
}
