//! The case's exports on the embedded lab intrusion: the STIX 2.1 bundle is
//! accepted by the `stix2` PyPI package (OASIS's reference library, strict:
//! no custom properties), the ATT&CK Navigator layer carries its format
//! version and valid technique ids, the MISP event the intruders' address
//! and the forward target.

use std::process::Command as Process;

use serde_json::Value;

mod common;

fn case() -> tempfile::TempDir {
    let example = common::example();
    let case = tempfile::tempdir().unwrap();
    common::scan(
        case.path(),
        &[],
        &[example.join("logs"), example.join("vmail")],
    );
    case
}

fn json(case: &tempfile::TempDir, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(case.path().join(name)).unwrap()).unwrap()
}

#[test]
fn the_exports_validate() {
    let case = case();
    let bundle = case.path().join("stix-bundle.json");
    let stix2 = common::needs(
        "STIX bundle validated by stix2",
        &["python3", "-c", "import stix2"],
        "the `stix2` Python package",
    );
    if stix2 {
        validated_by_stix2(&bundle);
    }
    the_exports_carry_what_they_must(&case);
}

fn validated_by_stix2(bundle: &std::path::Path) {
    let check = Process::new("python3")
        .args(["-c", "import sys, stix2; b = stix2.parse(open(sys.argv[1]).read(), allow_custom=False); print(len(b.objects))"])
        .arg(bundle)
        .output()
        .expect("python3");
    assert!(
        check.status.success(),
        "stix2 refused the bundle (pip install stix2 if it is missing): {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

fn the_exports_carry_what_they_must(case: &tempfile::TempDir) {
    let stix = json(case, "stix-bundle.json");
    let objects = stix["objects"].as_array().unwrap();
    let patterns: Vec<&str> = objects
        .iter()
        .filter_map(|o| o["pattern"].as_str())
        .collect();
    assert!(
        patterns.contains(&"[ipv4-addr:value = '127.0.0.66']"),
        "{patterns:?}"
    );
    assert!(
        patterns.contains(&"[email-addr:value = 'collector@exfil.example']"),
        "{patterns:?}"
    );
    assert!(objects.iter().any(|o| o["type"] == "sighting"));

    let layer = json(case, "attack-layer.json");
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["domain"], "enterprise-attack");
    let techniques = layer["techniques"].as_array().unwrap();
    assert!(techniques.len() >= 5);
    for t in techniques {
        let id = t["techniqueID"].as_str().unwrap();
        let ok = id.len() >= 5
            && id.starts_with('T')
            && id[1..5].chars().all(|c| c.is_ascii_digit())
            && (id.len() == 5
                || (id.len() == 9
                    && &id[5..6] == "."
                    && id[6..].chars().all(|c| c.is_ascii_digit())));
        assert!(ok, "{id}");
        assert!(t["score"].as_u64().unwrap() >= 1);
    }

    let misp = json(case, "misp-event.json");
    let attributes = misp["Event"]["Attribute"].as_array().unwrap();
    assert!(
        attributes
            .iter()
            .any(|a| a["type"] == "ip-src" && a["value"] == "127.0.0.66")
    );
    assert!(
        attributes
            .iter()
            .any(|a| a["type"] == "email-dst" && a["value"] == "collector@exfil.example")
    );
}
