//! Rules by behaviour: the pack's webmail correlations fire for every
//! webmail whose requests carry the action, not only for Roundcube. One
//! stream per webmail and behaviour, built from the request shapes in
//! `crates/ingest/tests/testdata/webmail/requests.jsonl` (each cites its source).

use std::path::PathBuf;

use vigie_detect::correlate::{Correlator, KeptEvents};
use vigie_detect::detector::Detector;
use vigie_detect::mapping::Mapping;
use vigie_detect::sigma::RuleSet;
use vigie_event::Timestamp;
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{Format, LineContext, classify, parse_line};

fn pack() -> RuleSet {
    let pack =
        RuleSet::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/sigma")]);
    assert!(pack.errors.is_empty(), "{:?}", pack.errors);
    pack
}

/// An access-log line for `request` from `ip` at `second` seconds past 00:00, answered `status`.
fn line(ip: &str, second: u32, request: &str, status: u16) -> String {
    format!(
        r#"{ip} - - [01/Dec/2026:{:02}:{:02}:{:02} +0000] "{request} HTTP/1.1" {status} 2048 "-" "Mozilla/5.0""#,
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

/// The names of the correlations a stream makes.
fn correlations(pack: &RuleSet, lines: &[String]) -> Vec<String> {
    let detector = Detector::new(pack, Mapping::builtin());
    let correlator = Correlator::new(pack, &detector, Mapping::builtin());
    let mut kept = KeptEvents::default();
    let mut time = TimeContext::new(
        jiff::tz::TimeZone::UTC,
        Timestamp::from_unix(1_795_996_800, 0),
    );
    for (n, text) in lines.iter().enumerate() {
        let mut ctx = LineContext {
            path: "stream",
            number: n as u64 + 1,
            time: &mut time,
        };
        let format = classify(text).unwrap_or(Format::Syslog);
        let parsed = parse_line(format, text, &mut ctx, &mut |e| {
            let matched = detector.detect(e);
            if correlator.wants(&matched) {
                correlator.keep(&mut kept, e, &matched, "stream");
            }
        });
        assert!(parsed.is_ok(), "{text}");
    }
    let titles: Vec<String> = correlator
        .run(kept, pack)
        .expect("kept events")
        .iter()
        .map(|f| f.title.clone())
        .collect();
    pack.collection
        .correlations
        .iter()
        .filter(|c| titles.contains(&c.title))
        .filter_map(|c| c.name.clone())
        .collect()
}

/// Three refused sign-ins, then `then`, all from one address.
fn after_failures(login: &str, refused: u16, then: &[&str]) -> Vec<String> {
    let ip = "198.51.100.23";
    let mut lines: Vec<String> = (0..3)
        .map(|i| line(ip, 60 + i * 20, login, refused))
        .collect();
    lines.extend(
        then.iter()
            .enumerate()
            .map(|(i, r)| line(ip, 600 + i as u32 * 30, r, 200)),
    );
    lines
}

#[test]
fn a_brute_forced_sogo_account_is_read_filtered_and_robbed() {
    let pack = pack();
    let found = correlations(
        &pack,
        &after_failures(
            "POST /SOGo/connect",
            403,
            &[
                "POST /SOGo/so/bob/Mail/0/folderINBOX/4/view",
                "GET /SOGo/so/bob/Mail/0/folderINBOX/4/2/asAttachment",
                "POST /SOGo/so/bob/Preferences/save",
            ],
        ),
    );
    for name in [
        "webmail_failures_from_source",
        "webmail_reading_after_failures",
        "webmail_attachments_after_failures",
        "webmail_sieve_after_failures",
    ] {
        assert!(found.iter().any(|f| f == name), "{name} not in {found:?}");
    }
}

#[test]
fn a_brute_forced_zimbra_account_is_read_filtered_and_writes() {
    let pack = pack();
    let found = correlations(
        &pack,
        &after_failures(
            "POST /service/soap/AuthRequest",
            500,
            &[
                "POST /service/soap/GetMsgRequest",
                "POST /service/soap/ModifyFilterRulesRequest",
                "POST /service/soap/SendMsgRequest",
            ],
        ),
    );
    for name in [
        "webmail_reading_after_failures",
        "webmail_sieve_after_failures",
        "webmail_mail_sent_after_failures",
    ] {
        assert!(found.iter().any(|f| f == name), "{name} not in {found:?}");
    }
}

#[test]
fn scripted_collection_is_seen_in_every_webmail() {
    let pack = pack();
    // (webmail, open request, source request, address book page request)
    let webmails = [
        (
            "horde",
            "GET /horde/imp/basic.php?page=message&mailbox=SU5CT1g&buid=",
            "GET /horde/imp/view.php?actionID=view_source&mailbox=SU5CT1g&buid=",
            "GET /horde/turba/browse.php?source=localsql&page=",
        ),
        (
            "zimbra",
            "POST /service/soap/GetMsgRequest?n=",
            "GET /service/home/~/?auth=co&view=text&id=",
            "POST /service/soap/GetContactsRequest?n=",
        ),
        (
            "sogo",
            "POST /SOGo/so/bob/Mail/0/folderINBOX/{}/view",
            "POST /SOGo/so/bob/Mail/0/folderINBOX/{}/viewsource",
            "POST /SOGo/so/bob/Contacts/personal/view?n=",
        ),
    ];
    for (webmail, open, source, page) in webmails {
        let at = |template: &str, n: u32| {
            if template.contains("{}") {
                template.replace("{}", &n.to_string())
            } else {
                format!("{template}{n}")
            }
        };
        let ip = "198.51.100.40";
        let mut lines = Vec::new();
        lines.extend((0..16).map(|n| line(ip, 100 + n * 5, &at(open, n + 1), 200)));
        lines.extend((0..12).map(|n| line(ip, 300 + n * 3, &at(source, n + 1), 200)));
        lines.extend((0..4).map(|n| line(ip, 400 + n * 2, &at(page, n + 1), 200)));
        let found = correlations(&pack, &lines);
        for name in [
            "webmail_bulk_message_open",
            "webmail_mail_source_loop",
            "webmail_addressbook_paging",
        ] {
            assert!(
                found.iter().any(|f| f == name),
                "{webmail}: {name} not in {found:?}"
            );
        }
    }
    // MDaemon: bulk opens through WorldClient's message view.
    let lines: Vec<String> = (0..16)
        .map(|n| {
            line(
                "198.51.100.41",
                100 + n * 5,
                &format!(
                    "GET /WorldClient.dll?Session=X&View=Message&Number={}&FolderID=0",
                    n + 1
                ),
                200,
            )
        })
        .collect();
    let found = correlations(&pack, &lines);
    assert!(
        found.iter().any(|f| f == "webmail_bulk_message_open"),
        "mdaemon: {found:?}"
    );
}

#[test]
fn ordinary_sessions_in_other_webmails_stay_quiet() {
    let pack = pack();
    let ip = "192.0.2.10";
    let lines = vec![
        line(ip, 60, "POST /SOGo/connect", 200),
        line(ip, 70, "POST /SOGo/so/bob/Mail/0/folderINBOX/4/view", 200),
        line(ip, 90, "POST /SOGo/so/bob/Mail/0/folderINBOX/5/view", 200),
        line(ip, 120, "POST /service/soap/AuthRequest", 200),
        line(ip, 130, "POST /service/soap/GetMsgRequest", 200),
        line(
            ip,
            200,
            "POST /horde/services/ajax.php/imp/showMessage",
            200,
        ),
    ];
    let found = correlations(&pack, &lines);
    assert!(found.is_empty(), "{found:?}");
}
