//! Attribution by webmail: an exploit that only Zimbra has weighs towards the
//! actors reported to have used Zimbra, not towards MDaemon's. The reasons are
//! written as vigie's mail findings write them (`VM023 zimbra_momoveto_xss_link
//! (CVE-2023-37580) in part 2 …`), the generic handler now without a CVE.

use vigie_event::{Entity, Finding, Timestamp};
use vigie_intel::attribution::{Attribution, Profiles, attribute};

fn mail_finding(rule: &str, reason: &str) -> Finding {
    Finding {
        rule_id: rule.into(),
        title: "Message carries an exploit".into(),
        level: "high".into(),
        attack: vec!["T1204.001".into(), "T1059.007".into()],
        entity: Entity::default(),
        first_seen: Timestamp::from_unix(0, 0),
        last_seen: Timestamp::from_unix(0, 0),
        count: 2,
        evidence: Vec::new(),
        reason: reason.into(),
    }
}

fn score(a: &Attribution, name: &str) -> f64 {
    a.hypotheses
        .iter()
        .find(|h| h.name == name)
        .map_or(0.0, |h| h.score)
}

/// The Zimbra momoveto link and the img onerror it carries, as vigie reports them now.
const ZIMBRA_LINK: &str = "message \"Mailbox\" from x to alice@lab.test: VM023 zimbra_momoveto_xss_link (CVE-2023-37580) in part 2 line 1: https://mail.victim.example/m/momoveto?st=%22%3E%3Cimg; VM011 scripted_event_handler in part 2 line 1: <img onerror=\"eval(atob(...))\">";

#[test]
fn a_zimbra_only_exploit_points_to_zimbra_actors_not_mdaemon_ones() {
    let a = attribute(
        &[mail_finding("VM023", ZIMBRA_LINK)],
        &[],
        &Profiles::builtin(),
    );
    assert_eq!(a.observed.cves, ["CVE-2023-37580"]);
    assert_eq!(
        a.hypotheses[0].name, "Winter Vivern",
        "{:#?}",
        a.hypotheses[0]
    );
    let apt28 = a
        .hypotheses
        .iter()
        .find(|h| h.name == "APT28")
        .expect("APT28 listed");
    assert!(
        apt28
            .evidence_against
            .iter()
            .any(|e| e.contains("CVE-2023-37580")),
        "{apt28:#?}"
    );
    assert!(
        !apt28
            .evidence_for
            .iter()
            .any(|e| e.contains("CVE-2024-11182")),
        "the generic handler no longer claims MDaemon's CVE: {apt28:#?}"
    );
}

#[test]
fn the_old_generic_label_pulled_towards_mdaemons_actor() {
    // Before: the same handler was labelled CVE-2024-11182 (MDaemon), which
    // credited APT28 with an exploit the message does not carry.
    let old = ZIMBRA_LINK.replace(
        "VM011 scripted_event_handler in",
        "VM011 scripted_event_handler (CVE-2024-11182) in",
    );
    let profiles = Profiles::builtin();
    let before = attribute(&[mail_finding("VM023", &old)], &[], &profiles);
    let now = attribute(&[mail_finding("VM023", ZIMBRA_LINK)], &[], &profiles);
    assert!(
        score(&before, "APT28") > score(&now, "APT28"),
        "APT28 {} before, {} now",
        score(&before, "APT28"),
        score(&now, "APT28")
    );
    assert!(score(&now, "Winter Vivern") > score(&now, "APT28"));
}

#[test]
fn zimbras_calendar_header_exploit_points_to_the_actor_that_used_it() {
    let reason = "message \"Invite\" from x to alice@lab.test: VM021 zimbra_calendar_header_markup (CVE-2024-27443) in part headers: X-Zimbra-Calendar-Intended-For:<img src=x onerror=…>";
    let a = attribute(&[mail_finding("VM021", reason)], &[], &Profiles::builtin());
    assert_eq!(a.hypotheses[0].name, "APT28", "{:#?}", a.hypotheses[0]);
    let wv = a
        .hypotheses
        .iter()
        .find(|h| h.name == "Winter Vivern")
        .expect("listed");
    assert!(
        wv.evidence_against
            .iter()
            .any(|e| e.contains("CVE-2024-27443")),
        "{wv:#?}"
    );
}

#[test]
fn mdaemons_noembed_exploit_points_to_apt28_and_not_to_zimbras_actors() {
    // As vigie reports the RoundPress MDaemon mail now (VM024, ESET's shape).
    let reason = "message \"News\" from x to alice@lab.test: VM024 mdaemon_noembed_breakout (CVE-2024-11182) in part 1 line 1: <img title=\"</noembed><img src onerror=eval(atob(…))>\">; VM011 scripted_event_handler in part 1 (markup after </noembed> in an attribute, line 1) line 1: <img onerror=\"eval(atob(…))\">";
    let a = attribute(&[mail_finding("VM024", reason)], &[], &Profiles::builtin());
    assert_eq!(a.observed.cves, ["CVE-2024-11182"]);
    assert_eq!(a.hypotheses[0].name, "APT28", "{:#?}", a.hypotheses[0]);
    assert!(score(&a, "APT28") > score(&a, "Winter Vivern"));
    assert!(score(&a, "APT28") > score(&a, "Void Blizzard"));
}

#[test]
fn sogos_calendar_exploit_points_to_ta458() {
    let reason = "message \"Budget\" from x to alice@lab.test: VM025 sogo_ics_svg_onrepeat (CVE-2026-8496) in part 2 line 7: <svg><animate onrepeat=\"eval(atob(…))\">";
    let a = attribute(&[mail_finding("VM025", reason)], &[], &Profiles::builtin());
    assert_eq!(a.observed.cves, ["CVE-2026-8496"]);
    assert_eq!(a.hypotheses[0].name, "TA458", "{:#?}", a.hypotheses[0]);
    assert!(score(&a, "TA458") > score(&a, "APT28"));
}
