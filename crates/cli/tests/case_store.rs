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

/// Copies the embedded lab run into two sets: `b` holds the Dovecot lines
/// of bob's account and of the IMAP intruder (127.0.0.67), `a` the rest.
fn lab_in_two_sets(root: &Path) -> (PathBuf, PathBuf) {
    let example = common::example();
    let (a, b) = (root.join("a"), root.join("b"));
    for dir in ["logs", "vmail"] {
        copy_tree(&example.join(dir), &a.join(dir));
    }
    std::fs::create_dir_all(&b).unwrap();
    let dovecot = std::fs::read_to_string(example.join("logs/dovecot.log")).unwrap();
    let is_b = |l: &&str| {
        ["bob@", "127.0.0.67", "127.0.0.11"]
            .iter()
            .any(|m| l.contains(m))
    };
    let lines = |keep: bool| -> String {
        dovecot
            .lines()
            .filter(|l| is_b(l) == keep)
            .map(|l| format!("{l}\n"))
            .collect()
    };
    std::fs::write(a.join("logs/dovecot.log"), lines(false)).unwrap();
    std::fs::write(b.join("dovecot.log"), lines(true)).unwrap();
    (a, b)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Issue 14: the case is the store. Two scans into one case folder write
/// the same findings, scope, timeline, attribution and report as one scan
/// of both inputs (the same baseline is given, as an analyst adding logs
/// to a case would: each scan's default rolling baseline starts at its own first login).
#[test]
fn two_scans_into_one_case_read_as_one_scan_of_both() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = lab_in_two_sets(root.path());
    let baseline = [
        std::ffi::OsStr::new("--baseline-until"),
        std::ffi::OsStr::new("2026-11-29T02:10:00Z"),
    ];
    // Both cases are folders named `case`: the report carries the name.
    let (once, twice) = (root.path().join("one/case"), root.path().join("two/case"));
    common::scan(&once, &baseline, &[a.clone(), b.clone()]);
    common::scan(&twice, &baseline, std::slice::from_ref(&a));
    let partial = std::fs::read_to_string(twice.join("findings.jsonl")).unwrap();
    common::scan(&twice, &baseline, std::slice::from_ref(&b));
    let whole = std::fs::read_to_string(twice.join("findings.jsonl")).unwrap();
    // The second scan's own findings (bob's) did not replace the first's.
    assert!(whole.len() > partial.len() && whole.contains("bob@lab.test"));
    assert!(whole.contains("\"source_ip\":\"127.0.0.66\""));
    let same = |note: &str| {
        for file in [
            "findings.jsonl",
            "scope.json",
            "timeline.csv",
            "attribution.json",
            "answers.json",
            "report.html",
            "report.md",
        ] {
            let read = |case: &Path| std::fs::read_to_string(case.join(file)).unwrap();
            assert!(read(&once) == read(&twice), "{file} differs {note}");
        }
    };
    same("after two scans");
    // A set read again replaces what it taught: nothing is counted twice.
    common::scan(&twice, &baseline, std::slice::from_ref(&b));
    same("after reading the second set again");
}

/// Issue 14: the logs scanned first, the mailboxes later (as a case grows
/// when the mail stores arrive after the logs) read as one scan of both:
/// the later scan still finds who opened the exploit mail, from the
/// openings and logins the case recorded, and what followed.
#[test]
fn logs_then_mailboxes_read_as_one_scan_of_both() {
    let root = tempfile::tempdir().unwrap();
    let example = common::example();
    let (logs, vmail) = (example.join("logs"), example.join("vmail"));
    let (once, twice) = (root.path().join("one/case"), root.path().join("two/case"));
    common::scan(&once, &[], &[logs.clone(), vmail.clone()]);
    common::scan_any(&twice, &[], std::slice::from_ref(&logs));
    common::scan(&twice, &[], std::slice::from_ref(&vmail));
    let opened = |case: &Path| {
        common::findings_of(case)
            .iter()
            .filter(|f| f["rule_id"] == "VC001")
            .count()
    };
    assert_eq!(opened(&once), 2, "the owner's opening and the intruder's");
    assert_eq!(opened(&twice), 2);
    for file in [
        "findings.jsonl",
        "scope.json",
        "timeline.csv",
        "attribution.json",
        "answers.json",
        "report.html",
        "report.md",
    ] {
        let read = |case: &Path| std::fs::read_to_string(case.join(file)).unwrap();
        assert!(read(&once) == read(&twice), "{file} differs");
    }
}

/// A damaged activity row of the case database stops a rescan with exit 2
/// and a message naming the database and the input whose row it is, each
/// cause once; it is not read as an empty activity.
#[test]
fn a_damaged_activity_row_is_named_and_stops_the_rescan() {
    let example = common::example();
    let case = tempfile::tempdir().unwrap();
    scan(case.path(), &[example.join("logs")]);
    let db = Connection::open(case.path().join("case.sqlite")).unwrap();
    let damaged = db
        .execute(
            "UPDATE activity SET json = '{}' WHERE input LIKE '%dovecot.log'",
            [],
        )
        .unwrap();
    assert_eq!(damaged, 1);
    let out = common::run(case.path(), &[], &[example.join("vmail")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("case.sqlite")
            && stderr.contains("dovecot.log is damaged")
            && stderr.matches("missing field `sessions`").count() == 1,
        "{stderr}"
    );
}
