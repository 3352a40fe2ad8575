//! Exports for sharing a case with other tools: a STIX 2.1 bundle (the
//! incident, indicators for the intruders' addresses and forward targets,
//! their sightings with observed data, the ATT&CK techniques seen), a MISP
//! event, and an ATT&CK Navigator layer of the techniques seen.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigie_event::{Finding, Timestamp};

use crate::scope::CaseScope;

/// ATT&CK Navigator layer format version written.
pub const LAYER_VERSION: &str = "4.5";
/// ATT&CK Navigator version the layer is for.
pub const NAVIGATOR_VERSION: &str = "5.1.0";
/// ATT&CK version the technique ids are from.
pub const ATTACK_VERSION: &str = "16";

/// A deterministic RFC 4122 (version 4 layout) UUID for `key`: the same case
/// exports the same ids, so a re-export updates rather than duplicates.
fn uuid(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn stix_time(t: Timestamp) -> String {
    let text = t.to_string();
    match text.strip_suffix('Z') {
        Some(base) if !base.contains('.') => format!("{base}.000Z"),
        _ => text,
    }
}

/// The intruders' addresses and forward targets of a case, with when they were seen.
struct Observables {
    addresses: BTreeMap<String, (Timestamp, Timestamp, u64, Vec<String>)>,
    forward_targets: BTreeMap<String, (Timestamp, Timestamp, u64)>,
}

fn observables(findings: &[Finding], scope: &CaseScope) -> Observables {
    let mut addresses: BTreeMap<String, (Timestamp, Timestamp, u64, Vec<String>)> = BTreeMap::new();
    for account in &scope.accounts {
        for source in &account.attacker_sources {
            for f in findings
                .iter()
                .filter(|f| f.entity.source_ip.as_deref() == Some(source.as_str()))
            {
                let e = addresses.entry(source.clone()).or_insert((
                    f.first_seen,
                    f.last_seen,
                    0,
                    Vec::new(),
                ));
                e.0 = e.0.min(f.first_seen);
                e.1 = e.1.max(f.last_seen);
                e.2 += f.count.max(1);
                if !e.3.contains(&f.title) {
                    e.3.push(f.title.clone());
                }
            }
        }
    }
    let mut forward_targets: BTreeMap<String, (Timestamp, Timestamp, u64)> = BTreeMap::new();
    for account in scope
        .accounts
        .iter()
        .filter(|a| !a.attacker_sources.is_empty())
    {
        for m in account.marks.iter().filter(|m| m.kind == "sieve-forward") {
            let Some(target) = m
                .detail
                .strip_prefix("forwarded to ")
                .and_then(|d| d.split(' ').next())
            else {
                continue;
            };
            let e =
                forward_targets
                    .entry(target.to_string())
                    .or_insert((m.timestamp, m.timestamp, 0));
            e.0 = e.0.min(m.timestamp);
            e.1 = e.1.max(m.timestamp);
            e.2 += 1;
        }
    }
    Observables {
        addresses,
        forward_targets,
    }
}

fn techniques(findings: &[Finding]) -> BTreeMap<String, Vec<&Finding>> {
    let mut out: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        for t in &f.attack {
            out.entry(t.clone()).or_default().push(f);
        }
    }
    out
}

/// The STIX 2.1 bundle of a case.
pub fn stix_bundle(
    case_name: &str,
    findings: &[Finding],
    scope: &CaseScope,
    now: Timestamp,
) -> Value {
    let created = stix_time(now);
    let identity = format!("identity--{}", uuid(&format!("vigie identity {case_name}")));
    let incident = format!("incident--{}", uuid(&format!("incident {case_name}")));
    let mut objects = vec![
        json!({"type": "identity", "spec_version": "2.1", "id": identity, "created": created, "modified": created,
               "name": "vigie", "identity_class": "system", "description": "vigie mail-server forensics; the organisation whose logs were read"}),
    ];
    let accounts: Vec<&str> = scope
        .accounts
        .iter()
        .filter(|a| !a.attacker_sources.is_empty())
        .map(|a| a.account.as_str())
        .collect();
    objects.push(json!({
        "type": "incident", "spec_version": "2.1", "id": incident, "created": created, "modified": created,
        "name": format!("Mail server intrusion: {case_name}"),
        "description": format!("{} findings; accounts with an intruder's address: {}", findings.len(), if accounts.is_empty() { "none".to_string() } else { accounts.join(", ") }),
    }));
    let obs = observables(findings, scope);
    let indicator_of = |pattern: String,
                        name: String,
                        first: Timestamp,
                        last: Timestamp,
                        count: u64,
                        sco: Value,
                        description: String,
                        objects: &mut Vec<Value>| {
        let indicator = format!("indicator--{}", uuid(&format!("indicator {pattern}")));
        let sco_id = sco["id"].as_str().unwrap_or_default().to_string();
        let observed = format!(
            "observed-data--{}",
            uuid(&format!("observed {case_name} {pattern}"))
        );
        objects.push(json!({"type": "indicator", "spec_version": "2.1", "id": indicator, "created": created, "modified": created,
            "name": name, "description": description, "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix", "valid_from": stix_time(first)}));
        objects.push(sco);
        objects.push(json!({"type": "observed-data", "spec_version": "2.1", "id": observed, "created": created, "modified": created,
            "first_observed": stix_time(first), "last_observed": stix_time(last), "number_observed": count.max(1), "object_refs": [sco_id]}));
        objects.push(json!({"type": "sighting", "spec_version": "2.1", "id": format!("sighting--{}", uuid(&format!("sighting {case_name} {pattern}"))),
            "created": created, "modified": created, "first_seen": stix_time(first), "last_seen": stix_time(last), "count": count.max(1),
            "sighting_of_ref": indicator, "observed_data_refs": [observed], "where_sighted_refs": [identity]}));
        objects.push(json!({"type": "relationship", "spec_version": "2.1", "id": format!("relationship--{}", uuid(&format!("rel {case_name} {pattern}"))),
            "created": created, "modified": created, "relationship_type": "related-to", "source_ref": indicator, "target_ref": incident}));
    };
    for (address, (first, last, count, titles)) in &obs.addresses {
        let v6 = address.contains(':');
        let kind = if v6 { "ipv6-addr" } else { "ipv4-addr" };
        let sco = json!({"type": kind, "spec_version": "2.1", "id": format!("{kind}--{}", uuid(&format!("{kind} {address}"))), "value": address});
        indicator_of(
            format!("[{kind}:value = '{address}']"),
            format!("Intruder address {address}"),
            *first,
            *last,
            *count,
            sco,
            format!("Seen in: {}", titles.join("; ")),
            &mut objects,
        );
    }
    for (target, (first, last, count)) in &obs.forward_targets {
        let escaped = target.replace('\\', "\\\\").replace('\'', "\\'");
        let sco = json!({"type": "email-addr", "spec_version": "2.1", "id": format!("email-addr--{}", uuid(&format!("email {target}"))), "value": target});
        indicator_of(
            format!("[email-addr:value = '{escaped}']"),
            format!("Mail forwarded to {target}"),
            *first,
            *last,
            *count,
            sco,
            "Target of a Sieve redirect created in a compromised account".to_string(),
            &mut objects,
        );
    }
    for (technique, used) in techniques(findings) {
        let pattern = format!(
            "attack-pattern--{}",
            uuid(&format!("attack-pattern {technique}"))
        );
        objects.push(json!({"type": "attack-pattern", "spec_version": "2.1", "id": pattern, "created": created, "modified": created,
            "name": technique, "external_references": [{"source_name": "mitre-attack", "external_id": technique,
            "url": format!("https://attack.mitre.org/techniques/{}/", technique.replace('.', "/"))}]}));
        objects.push(json!({"type": "relationship", "spec_version": "2.1", "id": format!("relationship--{}", uuid(&format!("uses {case_name} {technique}"))),
            "created": created, "modified": created, "relationship_type": "related-to", "source_ref": incident, "target_ref": pattern,
            "description": format!("{} findings", used.len())}));
    }
    json!({"type": "bundle", "id": format!("bundle--{}", uuid(&format!("bundle {case_name} {created}"))), "objects": objects})
}

/// The MISP event of a case (MISP's event JSON, `{"Event": …}`).
pub fn misp_event(
    case_name: &str,
    findings: &[Finding],
    scope: &CaseScope,
    now: Timestamp,
) -> Value {
    let obs = observables(findings, scope);
    let mut attributes = Vec::new();
    for (address, (first, last, count, titles)) in &obs.addresses {
        attributes.push(json!({"type": "ip-src", "category": "Network activity", "value": address, "to_ids": true,
            "first_seen": stix_time(*first), "last_seen": stix_time(*last),
            "comment": format!("{count} events: {}", titles.join("; ")), "uuid": uuid(&format!("misp ip {address}"))}));
    }
    for (target, (first, last, count)) in &obs.forward_targets {
        attributes.push(json!({"type": "email-dst", "category": "Payload delivery", "value": target, "to_ids": true,
            "first_seen": stix_time(*first), "last_seen": stix_time(*last),
            "comment": format!("Sieve redirect target, {count} forwards seen"), "uuid": uuid(&format!("misp email {target}"))}));
    }
    let tags: Vec<Value> = techniques(findings)
        .keys()
        .map(|t| json!({"name": format!("misp-galaxy:mitre-attack-pattern=\"{t}\"")}))
        .chain([json!({"name": "tlp:amber"})])
        .collect();
    let date: String = now.to_string().chars().take(10).collect();
    json!({"Event": {
        "uuid": uuid(&format!("misp event {case_name}")),
        "info": format!("vigie case: {case_name}"),
        "date": date,
        "threat_level_id": "1",
        "analysis": "1",
        "distribution": "0",
        "published": false,
        "Attribute": attributes,
        "Tag": tags,
    }})
}

/// The ATT&CK Navigator layer of the techniques seen: score = findings, the
/// comment lists them.
pub fn attack_layer(case_name: &str, findings: &[Finding]) -> Value {
    let techniques: Vec<Value> = techniques(findings)
        .into_iter()
        .map(|(t, used)| {
            let titles: BTreeSet<&str> = used.iter().map(|f| f.title.as_str()).collect();
            json!({"techniqueID": t, "score": used.len(), "enabled": true,
                   "comment": titles.into_iter().collect::<Vec<_>>().join("; ")})
        })
        .collect();
    let max = techniques
        .iter()
        .filter_map(|t| t["score"].as_u64())
        .max()
        .unwrap_or(1);
    json!({
        "name": format!("vigie: {case_name}"),
        "versions": {"attack": ATTACK_VERSION, "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": "enterprise-attack",
        "description": "Techniques of the findings of a vigie case; score = number of findings.",
        "techniques": techniques,
        "gradient": {"colors": ["#ffe766", "#ff6666"], "minValue": 0, "maxValue": max},
        "hideDisabled": false,
        "sorting": 3,
    })
}
