//! The case's stage-one activity survives a trip through bytes (a Spark
//! executor sends it to the driver): on the embedded sample incident's logs
//! (`examples/lab-intrusion/logs`), one [`Activity`] per rotated set, merging
//! them after a trip each gives the same state the case database keeps as
//! merging them as they are: sessions, webmail days, marks and coverage.

use std::path::PathBuf;
use std::sync::Arc;

use vigie_case::activity::Activity;
use vigie_event::wire;
use vigie_ingest::{IngestOptions, expand_inputs, ingest_input};

fn parts() -> Vec<Activity> {
    let logs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion/logs");
    let (sets, errors) = expand_inputs(&[logs]);
    assert!(errors.is_empty(), "{errors:?}");
    let options = IngestOptions {
        zone: jiff::tz::TimeZone::UTC,
        ..IngestOptions::default()
    };
    sets.iter()
        .map(|set| {
            let mut activity = Activity::default();
            for input in set {
                let name: Arc<str> = input.display_name().into();
                ingest_input(input, &options, &mut |event| activity.add(event, &name));
            }
            activity
        })
        .collect()
}

fn state(parts: Vec<Activity>) -> String {
    let mut all = Activity::default();
    for part in parts {
        all.merge(part);
    }
    serde_json::to_string(&all.into_state()).expect("json")
}

#[test]
fn activity_merged_after_a_trip_is_the_same() {
    let direct = state(parts());
    assert!(direct.contains("127.0.0.66"), "{direct}");
    let tripped = parts()
        .into_iter()
        .map(|a| {
            let bytes = wire::to_bytes(&a).expect("serialize");
            wire::from_bytes::<Activity>(&bytes).expect("deserialize")
        })
        .collect();
    assert_eq!(state(tripped), direct);
}

/// A finding of `level` about `user` from `source`, as a rule would make it.
fn finding(level: &str, user: Option<&str>, source: &str) -> vigie_event::Finding {
    let at: vigie_event::Timestamp = "2026-11-29T02:10:00Z".parse().expect("timestamp");
    vigie_event::Finding {
        rule_id: "VA004".into(),
        title: "test".into(),
        level: level.into(),
        attack: Vec::new(),
        entity: vigie_event::Entity {
            user: user.map(str::to_string),
            source_ip: Some(source.into()),
            session: None,
        },
        first_seen: at,
        last_seen: at,
        count: 1,
        evidence: Vec::new(),
        reason: "test".into(),
    }
}

/// The case writes the scope from the part of its activity the scope's
/// selection names (the accounts in the case and their addresses), read
/// from the stored state without holding the rest: the scope is the same
/// as from the whole activity, and what was left out is left out.
#[test]
fn scope_from_the_selected_activity_is_the_scope_from_all_of_it() {
    use std::collections::BTreeSet;
    use vigie_case::activity::{ActivityState, Selection};
    use vigie_case::scope;

    let json = state(parts());
    let read = |selection: &Selection| {
        let mut addresses = BTreeSet::new();
        let state = ActivityState::read_selected(&json, selection, &mut addresses)
            .expect("a stored state reads");
        (Activity::from_state(state), addresses)
    };
    let (all, all_addresses) = read(&Selection::everything());
    assert_eq!(
        serde_json::to_string(&all.into_state()).expect("json"),
        json
    );

    // Alice's account taken over from the attacker's web address (in
    // another case than the logs wrote it), and an attempt on nobody.
    let findings = [
        finding("critical", Some("ALICE@lab.test"), "127.0.0.66"),
        finding("high", None, "127.0.0.99"),
    ];
    let (outline, addresses) = read(&Selection::outline());
    assert_eq!(addresses, all_addresses, "every webmail address is seen");
    assert!(outline.sessions.is_empty() && outline.web.is_empty());
    let selection = scope::selection(&outline, &addresses, &findings, false);
    let accounts = selection.sessions_of.clone().expect("some accounts");
    assert!(accounts.contains("alice@lab.test"), "{accounts:?}");
    assert!(!accounts.contains("carol@lab.test"), "{accounts:?}");

    let (selected, _) = read(&selection);
    let (whole, _) = read(&Selection::everything());
    assert!(selected.sessions.len() < whole.sessions.len());
    assert!(
        selected
            .sessions
            .keys()
            .all(|(user, ..)| accounts.contains(&user.to_ascii_lowercase()))
    );
    assert!(
        selected.web.len() < whole.web.len(),
        "{:?}",
        selected.web.keys()
    );
    let of = |activity: &Activity| {
        serde_json::to_string(&scope::scope(activity, &findings, false)).expect("json")
    };
    let scoped = of(&selected);
    assert!(scoped.contains("alice@lab.test") && scoped.contains("127.0.0.66"));
    assert_eq!(scoped, of(&whole));
}

/// A set's packed state waits in the scan's temporary file, not in memory,
/// and reads back whole, as it does after a trip through bytes (a Spark
/// worker's states reach the driver so).
#[test]
fn a_packed_state_waits_in_a_file_and_reads_back_whole() {
    use vigie_case::activity::PackedState;

    let mut all = Activity::default();
    for part in parts() {
        all.merge(part);
    }
    let state = all.into_state();
    let json = serde_json::to_string(&state).expect("json");
    let packed = PackedState::pack(&state);
    let again = PackedState::pack(&state);
    assert!(packed.is_spilled() && again.is_spilled());
    assert_eq!(packed.json().expect("reads back"), json);
    assert_eq!(again.json().expect("reads back"), json);
    let bytes = wire::to_bytes(&packed).expect("serialize");
    let tripped: PackedState = wire::from_bytes(&bytes).expect("deserialize");
    assert!(!tripped.is_spilled());
    assert_eq!(tripped.json().expect("reads back"), json);
}

/// A damaged row of the case database is refused, not read as an empty
/// activity: a field missing, one given twice, or JSON of another shape.
#[test]
fn a_state_without_its_fields_is_refused() {
    use std::collections::BTreeSet;
    use vigie_case::activity::{ActivityState, Selection};

    let whole = state(parts());
    let read = |json: &str| {
        ActivityState::read_selected(json, &Selection::everything(), &mut BTreeSet::new())
    };
    assert!(read(&whole).is_ok());
    for damaged in [
        "{}".to_string(),
        r#"{"foo":[1,2],"bar":null}"#.to_string(),
        whole.replacen(r#""logins":"#, r#""login":"#, 1),
        whole.replacen('{', r#"{"sessions":[],"#, 1),
        "[]".to_string(),
    ] {
        let error = read(&damaged).expect_err(&damaged[..damaged.len().min(80)]);
        let text = error.to_string();
        assert!(
            text.contains("missing field")
                || text.contains("duplicate field")
                || text.contains("invalid type"),
            "{text}"
        );
    }
}
