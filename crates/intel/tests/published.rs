//! Feeds as their publishers write them (issue 15): one small file in each
//! published layout (`testdata/published/`, built after each project's own
//! documentation and exports, addresses from the documentation ranges, see
//! its PROVENANCE.md), recognised by content and read by column. For each:
//! the layout found, entries read, used, indicators kept and refusals by
//! reason; and the values that must never become indicators (reference
//! links, report links, malware names, reporters, ports).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vigie_intel::import::{FeedFormat, ImportError, import_file};
use vigie_intel::indicator::Kind;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/published")
        .join(name)
}

struct Expected {
    file: &'static str,
    format: FeedFormat,
    read: u64,
    used: u64,
    indicators: usize,
    refused: &'static [(&'static str, u64)],
}

const EXPECTED: &[Expected] = &[
    Expected {
        file: "threatfox.csv",
        format: FeedFormat::ThreatFox,
        read: 6,
        used: 5,
        indicators: 5,
        refused: &[("type mutex", 1)],
    },
    Expected {
        file: "threatfox.json",
        format: FeedFormat::ThreatFox,
        read: 3,
        used: 2,
        indicators: 2,
        refused: &[("type mutex", 1)],
    },
    Expected {
        file: "urlhaus.csv",
        format: FeedFormat::Urlhaus,
        read: 3,
        used: 2,
        indicators: 2,
        refused: &[("type not recognised", 1)],
    },
    Expected {
        file: "urlhaus.txt",
        format: FeedFormat::Urlhaus,
        read: 2,
        used: 2,
        indicators: 2,
        refused: &[],
    },
    Expected {
        file: "feodo.csv",
        format: FeedFormat::Feodo,
        read: 2,
        used: 2,
        indicators: 2,
        refused: &[],
    },
    Expected {
        file: "feodo.json",
        format: FeedFormat::Feodo,
        read: 2,
        used: 2,
        indicators: 2,
        refused: &[],
    },
    Expected {
        file: "feodo.txt",
        format: FeedFormat::Feodo,
        read: 2,
        used: 2,
        indicators: 2,
        refused: &[],
    },
    Expected {
        file: "sslbl.csv",
        format: FeedFormat::Sslbl,
        read: 2,
        used: 2,
        indicators: 2,
        refused: &[],
    },
    Expected {
        file: "sslbl-ip.csv",
        format: FeedFormat::Sslbl,
        read: 2,
        used: 2,
        indicators: 2,
        refused: &[],
    },
    Expected {
        file: "otx-pulse.json",
        format: FeedFormat::Otx,
        read: 6,
        used: 4,
        indicators: 4,
        refused: &[("inactive", 1), ("type CVE", 1)],
    },
    // One indicator, four observables (the file's two digests), one
    // address embedded in STIX 2.0-style observed-data; the autonomous
    // system and the network traffic are not entries. The indicator's
    // address is its observable's too: kept once.
    Expected {
        file: "opencti.json",
        format: FeedFormat::Stix,
        read: 6,
        used: 6,
        indicators: 6,
        refused: &[],
    },
    Expected {
        file: "misp-feed",
        format: FeedFormat::MispFeed,
        read: 6,
        used: 3,
        indicators: 3,
        refused: &[
            ("event file missing", 1),
            ("type link", 1),
            ("type text", 1),
        ],
    },
];

/// Values in the files that are never indicators: references, report
/// links, malware names, reverse names.
const NEVER: &[&str] = &[
    "https://search.censys.io/hosts/203.0.113.37",
    "win.bianlian",
    "php.shin_webshell",
    "https://urlhaus.abuse.ch/url/3700001/",
    "https://example.org/blog/bianlian",
    "https://example.org/report/bianlian.pdf",
    "host45.isp.example",
];

#[test]
fn every_published_layout_is_read_by_column() {
    println!(
        "{:<16} {:<10} {:>4} {:>4} {:>4}  REFUSED",
        "FILE", "FORMAT", "READ", "USED", "KEPT"
    );
    for e in EXPECTED {
        let (found, report) =
            import_file(&data(e.file), "test").unwrap_or_else(|err| panic!("{}: {err}", e.file));
        println!(
            "{:<16} {:<10} {:>4} {:>4} {:>4}  {:?}",
            e.file,
            report.format.map_or("?", FeedFormat::name),
            report.read,
            report.used,
            found.len(),
            report.refused
        );
        assert_eq!(report.format, Some(e.format), "{}: format", e.file);
        assert_eq!(
            (report.read, report.used, found.len()),
            (e.read, e.used, e.indicators),
            "{}: read, used, kept; kept {:?}",
            e.file,
            found.iter().map(|i| &i.value).collect::<Vec<_>>()
        );
        let refused: BTreeMap<String, u64> =
            e.refused.iter().map(|(r, n)| (r.to_string(), *n)).collect();
        assert_eq!(report.refused, refused, "{}: refused", e.file);
        assert_eq!(report.used + refused.values().sum::<u64>(), report.read);
        for i in &found {
            assert!(
                !NEVER.contains(&i.value.as_str()) && !i.value.contains("censys"),
                "{}: {} taken as an indicator",
                e.file,
                i.value
            );
        }
    }
}

#[test]
fn threatfox_gives_the_address_of_ip_port_and_keeps_malware_as_tags() {
    let (found, _) = import_file(&data("threatfox.csv"), "tf").unwrap();
    let values: Vec<(Kind, &str)> = found
        .iter()
        .map(|i| (i.kind.unwrap(), i.value.as_str()))
        .collect();
    assert_eq!(
        values,
        [
            (Kind::Ip, "203.0.113.37"),
            (Kind::Domain, "c2.bad-example.com"),
            (Kind::Url, "http://198.51.100.23/gate.php"),
            (
                Kind::Sha256,
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            ),
            (Kind::Ip, "2001:db8::25"),
        ]
    );
    let c2 = &found[0];
    assert_eq!(c2.tags, ["botnet_cc", "win.bianlian", "BianLian", "c2"]);
    assert_eq!(c2.confidence, Some(100));
    assert_eq!(c2.first_seen.as_deref(), Some("2026-11-30 09:55:12"));
    // The shin webshell's domain keeps its malware name as a tag only.
    assert_eq!(
        found[1].tags,
        ["botnet_cc", "php.shin_webshell", "Shin Webshell"]
    );
}

#[test]
fn otx_opencti_and_misp_name_their_actor() {
    let (found, _) = import_file(&data("otx-pulse.json"), "otx").unwrap();
    assert!(found.iter().all(|i| i.actor.as_deref() == Some("BianLian")));
    assert!(found[0].tags.contains(&"T1071.001".to_string()));

    let (found, _) = import_file(&data("opencti.json"), "octi").unwrap();
    let actor = |v: &str| {
        found
            .iter()
            .find(|i| i.value == v)
            .and_then(|i| i.actor.as_deref())
    };
    assert_eq!(actor("203.0.113.37"), Some("BianLian"));
    assert_eq!(actor("c2.bad-example.com"), Some("BianLian"));
    assert_eq!(actor("http://198.51.100.23/gate.php"), None);
    assert!(found.iter().any(|i| i.value == "192.0.2.77"));
    assert!(found.iter().any(|i| i.kind == Some(Kind::Md5)));

    // The manifest itself names its folder.
    let (found, report) = import_file(&data("misp-feed/manifest.json"), "misp").unwrap();
    assert_eq!(report.format, Some(FeedFormat::MispFeed));
    assert_eq!(found[0].value, "203.0.113.37");
    assert_eq!(found[0].actor.as_deref(), Some("BianLian"));
}

#[test]
fn what_is_not_a_feed_is_refused_with_its_reason() {
    for (file, why) in [
        ("README.txt", "lines are sentences"),
        ("binary.bin", "binary content"),
        ("", "without manifest.json"),
    ] {
        match import_file(&data(file), "x") {
            Err(ImportError::NotAFeed { reason, .. }) => {
                assert!(reason.contains(why), "{file}: {reason}")
            }
            other => panic!("{file}: {:?}", other.map(|(_, r)| r)),
        }
    }
}
