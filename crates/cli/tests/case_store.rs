//! The case database: a scan writes `case.sqlite` with its sources,
//! findings, evidence, entities, scope and estimate; a second scan of the
//! same and more input adds what is new and duplicates nothing.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

mod common;

fn scan(case: &Path, inputs: &[PathBuf]) {
    common::scan(case, &[], inputs);
}

fn count(db: &Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn rescans_add_without_duplicating() {
    let example = common::example();
    let case = tempfile::tempdir().unwrap();
    scan(case.path(), &[example.join("logs")]);
    let db = Connection::open(case.path().join("case.sqlite")).unwrap();
    let (findings, evidence) = (count(&db, "findings"), count(&db, "evidence"));
    let lines = std::fs::read_to_string(case.path().join("findings.jsonl"))
        .unwrap()
        .lines()
        .count() as i64;
    assert_eq!(findings, lines);
    assert!(count(&db, "sources") >= 9 && evidence > findings);
    let bob: i64 = db
        .query_row(
            "SELECT bytes FROM exfiltration WHERE account = 'bob@lab.test' AND channel = 'imap/pop3 download'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(bob > 0);

    // More input: the mailboxes add the message findings; nothing doubles.
    scan(case.path(), &[example.join("logs"), example.join("vmail")]);
    let with_mail = count(&db, "findings");
    assert!(with_mail > findings, "{with_mail} vs {findings}");
    let mail: i64 = db
        .query_row(
            "SELECT count(*) FROM findings WHERE rule_id LIKE 'VM%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(mail >= 1);
    let evidence = count(&db, "evidence");
    scan(case.path(), &[example.join("logs"), example.join("vmail")]);
    assert_eq!(count(&db, "findings"), with_mail);
    assert_eq!(count(&db, "evidence"), evidence);
}

#[test]
fn sources_carry_the_span_they_cover_and_hypotheses_are_kept() {
    let example = common::example();
    let case = tempfile::tempdir().unwrap();
    scan(case.path(), &[example.join("logs"), example.join("vmail")]);
    let db = Connection::open(case.path().join("case.sqlite")).unwrap();
    // The access log is written in request order: its span runs from its
    // first line's time to its last line's.
    let log = example.join("logs/nginx/roundcube.access.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let stamp = |line: &str| {
        let inside = &line[line.find('[').unwrap() + 1..line.find(']').unwrap()];
        jiff::Timestamp::strptime("%d/%b/%Y:%H:%M:%S %z", inside)
            .unwrap()
            .to_string()
    };
    let (first, last): (String, String) = db
        .query_row(
            "SELECT first_seen, last_seen FROM sources WHERE path LIKE '%roundcube.access.log'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let seconds = |t: &str| t.parse::<jiff::Timestamp>().unwrap().as_second();
    assert_eq!(seconds(&first), seconds(&stamp(lines[0])));
    assert_eq!(seconds(&last), seconds(&stamp(lines[lines.len() - 1])));
    let apt28: f64 = db
        .query_row(
            "SELECT score FROM hypotheses WHERE name = 'APT28'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(apt28 > 0.0);
}

#[test]
fn earlier_logs_added_later_replace_a_finding_instead_of_doubling_it() {
    let example = common::example().join("logs");
    // The first scan has the Dovecot log without the IMAP brute force's
    // first attempt (its first two lines); the second has all of it, so the
    // brute-force findings start earlier.
    let late = tempfile::tempdir().unwrap();
    let dovecot = std::fs::read_to_string(example.join("dovecot.log")).unwrap();
    let first = dovecot
        .lines()
        .position(|l| l.contains("127.0.0.67"))
        .unwrap();
    let cut: String = dovecot
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != first && *i != first + 1)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let partial = late.path().join("dovecot.log");
    std::fs::write(&partial, cut).unwrap();
    let inputs =
        |dovecot: PathBuf| vec![dovecot, example.join("mail.log"), example.join("roundcube")];
    let case = tempfile::tempdir().unwrap();
    scan(case.path(), &inputs(partial));
    scan(case.path(), &inputs(example.join("dovecot.log")));
    let fresh = tempfile::tempdir().unwrap();
    scan(fresh.path(), &inputs(example.join("dovecot.log")));
    let rows = |dir: &Path| {
        let db = Connection::open(dir.join("case.sqlite")).unwrap();
        let mut stmt = db
            .prepare(
                "SELECT rule_id, user, source_ip, first_seen FROM findings ORDER BY 1, 2, 3, 4",
            )
            .unwrap();
        stmt.query_map([], |r| {
            Ok(format!(
                "{} {:?} {:?} {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?
            ))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
    };
    assert_eq!(rows(case.path()), rows(fresh.path()));
}
