//! Stage one over chunks of files, merged in any order, gives stage two the
//! same findings as stage one over the whole rotated sets (what `vigie
//! scan` runs): what a distributed driver that cuts files relies on. The
//! chunked run also scans the mailboxes one store at a time.
//!
//! On the embedded sample incident (`examples/lab-intrusion/`, the lab's
//! intrusion run, see its `ground-truth.json`), and on a full lab run when
//! `VIGIE_LAB_RUN` names one (`sudo lab/run DIR`, `DIR/intrusion`).

use std::path::{Path, PathBuf};

use serde_json::Value;
use vigie_engine::config::{EngineConfig, InputConfig, IntelConfig};
use vigie_engine::{Chunk, Engine, StageOne, engine::set_key};
use vigie_event::Timestamp;
use vigie_ingest::{Compression, Input, expand_inputs, sniff};

/// The sample incident's folder.
fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-intrusion")
}

/// An engine as `vigie scan --tz UTC --no-intel-store` makes it.
fn engine() -> Engine {
    engine_reading(InputConfig {
        tz: Some("UTC".into()),
        ..InputConfig::default()
    })
}

/// An engine as `vigie scan --no-intel-store` makes it with `input`'s flags.
fn engine_reading(input: InputConfig) -> Engine {
    let config = EngineConfig {
        input,
        intel: IntelConfig {
            no_intel_store: true,
            ..IntelConfig::default()
        },
        timeline_profile: "standard".into(),
        ..EngineConfig::default()
    };
    let engine = Engine::new(&config).unwrap();
    assert!(
        engine.rule_errors().is_empty(),
        "{:?}",
        engine.rule_errors()
    );
    engine
}

/// The file's modification time, as a scan reads it for year-less times.
fn modified(path: &Path) -> Option<Timestamp> {
    let when = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = when.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Timestamp::from_unix(secs as i64, 0))
}

/// Cuts `data` into about `pieces` runs of whole lines: (first line, bytes).
fn cut(data: &[u8], pieces: usize) -> Vec<(u64, &[u8])> {
    let lines: Vec<usize> = data
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(at, _)| at + 1)
        .collect();
    let per = lines.len().div_ceil(pieces).max(1);
    let mut out = Vec::new();
    let (mut start, mut first) = (0, 1u64);
    for ends in lines.chunks(per) {
        let end = *ends.last().unwrap();
        out.push((first, &data[start..end]));
        first += ends.len() as u64;
        start = end;
    }
    if start < data.len() {
        out.push((first, &data[start..]));
    }
    out
}

/// The findings of stage two over `stage_one`, as JSON values (what
/// `findings.jsonl` holds), with the reports' line and event counts per file.
fn stage_two(
    engine: &mut Engine,
    mail_dir: &Path,
    stage_one: StageOne,
    per_store: bool,
) -> (Vec<Value>, Value) {
    let mut mail = if per_store {
        mail_store_by_store(engine, mail_dir)
    } else {
        engine.scan_mail(&[mail_dir.to_path_buf()])
    };
    let outcome = engine.stage_two(stage_one, &mut mail, None).unwrap();
    let findings = outcome
        .findings
        .iter()
        .map(|f| serde_json::to_value(f).unwrap())
        .collect();
    let reports = outcome
        .reports
        .iter()
        .map(|r| {
            serde_json::json!([
                r.path,
                r.lines,
                r.events,
                r.first_seen,
                r.last_seen,
                r.skipped_lines()
            ])
        })
        .collect();
    (findings, reports)
}

/// The mail under `mail_dir` scanned one store at a time (parts merged in
/// reverse order), as a distributed driver scans it.
fn mail_store_by_store(engine: &Engine, mail_dir: &Path) -> vigie_engine::mail::MailScan {
    let (stores, unread) = engine.discover_mail(&[mail_dir.to_path_buf()]);
    assert!(stores.len() > 1, "{} stores", stores.len());
    let (rules, rule_errors) = engine.yara_rules();
    let mut all = vigie_engine::mail::MailPart::default();
    for store in stores.iter().rev() {
        all.merge(engine.scan_stores(std::slice::from_ref(store), rules.as_ref()));
    }
    engine.finish_mail(stores, unread, rule_errors, all)
}

/// Runs both ways over `logs` (with the mailboxes of `mail_dir`) and
/// compares; returns how many findings and how many files were cut.
fn same_both_ways(logs: &[PathBuf], mail_dir: &Path) -> (usize, usize) {
    let mut engine = engine();
    let mail = engine.scan_mail(&[mail_dir.to_path_buf()]);
    engine.watch_openings(&mail);
    let (sets, errors) = expand_inputs(logs);
    assert!(errors.is_empty(), "{errors:?}");

    let mut whole = StageOne::default();
    for set in &sets {
        whole.merge(engine.stage_one_set(set, &mut ()));
    }

    let mut pieces = Vec::new();
    let mut cut_files = 0;
    for set in &sets {
        let key = set_key(set);
        for input in set {
            let Input::File(path) = input else {
                unreachable!("files only")
            };
            let data = std::fs::read(path).unwrap();
            let name = input.display_name();
            let format = sniff::detect(&data[..data.len().min(64 * 1024)], &name);
            let cuttable = Compression::sniff(&data) == Compression::None
                && format.is_some_and(|f| f.line_independent());
            let parts = if cuttable {
                cut(&data, 3)
            } else {
                vec![(1, &data[..])]
            };
            cut_files += usize::from(parts.len() > 1);
            for (first_line, bytes) in parts {
                pieces.push(engine.stage_one_chunk(&Chunk {
                    path: &name,
                    set: Some(&key),
                    format,
                    first_line,
                    modified: modified(path),
                    data: bytes,
                }));
            }
        }
    }
    // Merged in another order than read: stage one's merge does not care.
    let mut chunked = StageOne::default();
    for piece in pieces.into_iter().rev() {
        chunked.merge(piece);
    }

    // As `vigie scan` reads a large file: the engine cuts it (here in
    // pieces of 1000 bytes, a few lines each) and reads them on all cores.
    let mut by_engine = StageOne::default();
    let mut engine_cut = 0;
    for set in &sets {
        let mine = match engine.stage_one_cut(set, 1000) {
            Some(mine) => {
                engine_cut += 1;
                mine
            }
            None => engine.stage_one_set(set, &mut ()),
        };
        by_engine.merge(mine);
    }
    assert!(engine_cut >= 1, "no set cut by the engine");

    let (expected, expected_reports) = stage_two(&mut engine, mail_dir, whole, false);
    for (how, stage_one) in [("chunks", chunked), ("stage_one_cut", by_engine)] {
        let (found, found_reports) = stage_two(&mut engine, mail_dir, stage_one, true);
        assert_eq!(found_reports, expected_reports, "{how}");
        assert_eq!(found.len(), expected.len(), "{how}");
        for (f, e) in found.iter().zip(&expected) {
            assert_eq!(f, e, "{how}");
        }
    }
    eprintln!(
        "{} findings, {} files, {cut_files} cut in chunks, {engine_cut} by stage_one_cut",
        expected.len(),
        sets.iter().map(Vec::len).sum::<usize>()
    );
    (expected.len(), cut_files)
}

#[test]
fn chunks_of_the_sample_incident_give_the_findings_of_the_whole_files() {
    let dir = sample();
    let logs = vec![dir.join("logs")];
    let (findings, cut_files) = same_both_ways(&logs, &dir.join("vmail"));
    // The sample holds the intrusion: a run that finds nothing proves nothing.
    assert!(findings >= 20, "{findings} findings");
    // The web logs are cut; syslog files (Horde's echoed logins) are not.
    assert!(cut_files >= 2, "{cut_files} files cut");
}

#[test]
fn chunks_of_a_lab_run_give_the_findings_of_the_whole_files() {
    let Some(dir) = std::env::var_os("VIGIE_LAB_RUN").map(PathBuf::from) else {
        eprintln!("not run: VIGIE_LAB_RUN is not set (a lab run folder: sudo lab/run DIR)");
        return;
    };
    let root = if dir.join("logs").is_dir() {
        dir.join("logs")
    } else {
        dir.clone()
    };
    let logs: Vec<PathBuf> = [
        "dovecot.log",
        "mail.log",
        "nginx",
        "roundcube",
        "php8.2-fpm.log",
    ]
    .iter()
    .map(|p| root.join(p))
    .filter(|p| p.exists())
    .collect();
    let (findings, cut_files) = same_both_ways(&logs, &dir.join("vmail"));
    assert!(findings > 0);
    assert!(cut_files >= 1, "{cut_files} files cut");
}

/// A file written with CR line ends is read record by record, not as one
/// line holding them all; and a line longer than a piece and `--max-line`
/// makes the cutter give up (the file is read whole, by the line reader,
/// which keeps only `--max-line` of that line) rather than hold it.
#[test]
fn cr_line_ends_and_a_line_longer_than_a_piece_are_read_as_a_whole_read_reads_them() {
    let access = std::fs::read(sample().join("logs/nginx/roundcube.access.log")).unwrap();
    let records = access.iter().filter(|&&b| b == b'\n').count() as u64;
    let dir = tempfile::tempdir().unwrap();

    let engine = engine();
    let mac = dir.path().join("mac-access.log");
    let cr: Vec<u8> = access
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect();
    std::fs::write(&mac, cr).unwrap();
    let set = [Input::File(mac)];
    assert!(
        engine.stage_one_cut(&set, 1000).is_none(),
        "no LF to cut at"
    );
    let read = engine.stage_one_set(&set, &mut ());
    assert_eq!(
        (read.reports[0].lines, read.reports[0].events),
        (records, records)
    );

    let short_lines = engine_reading(InputConfig {
        tz: Some("UTC".into()),
        max_line: 1024,
        ..InputConfig::default()
    });
    let long = dir.path().join("long-access.log");
    let mut data = access.clone();
    data.extend(std::iter::repeat_n(b'x', 200_000));
    data.push(b'\n');
    data.extend(&access);
    std::fs::write(&long, data).unwrap();
    let set = [Input::File(long)];
    let cut = short_lines
        .stage_one_cut(&set, 1000)
        .expect("a plain access log is cut");
    assert_eq!(cut.reports.len(), 1, "read whole, not in pieces");
    let report = &cut.reports[0];
    assert_eq!(
        (report.lines, report.events, report.skipped_lines()),
        (2 * records + 1, 2 * records, 1)
    );
}

/// A syslog file is cut only between lines of different seconds, so
/// Horde's login written twice in one second (`[imp]` then `[horde]`,
/// shapes of crates/ingest/src/parse/horde.rs's tests, from the lab's
/// Horde) is still one attempt when the pieces are a few lines each: the
/// findings are those of the whole file. Every other pair has lines of the
/// second before between its two (a relay whose clock is a second behind,
/// as a new-user trial wrote them): a cut between seconds there split the
/// pair and counted the attempt twice.
#[test]
fn a_syslog_file_is_cut_between_seconds_and_horde_echoes_stay_paired() {
    let mut log = String::new();
    for i in 0..60u32 {
        let (minute, second) = (10 + i / 6, i % 6 * 10 + 5);
        let t = format!("Nov 28 22:{minute:02}:{second:02} mail");
        let late = if i % 2 == 0 {
            format!(
                "Nov 28 22:{minute:02}:{:02} relay2 postfix/smtpd[4121]: connect from unknown[192.0.2.44]\n",
                second - 1
            )
            .repeat(3)
        } else {
            String::new()
        };
        log.push_str(&format!(
            "{t} HORDE: [imp] FAILED LOGIN for alice@lab.test (203.0.113.9) to {{imap://127.0.0.1/}} [pid 15307 on line 148 of \"/usr/share/horde/imp/lib/Auth.php\"]\n\
             {late}\
             {t} HORDE: [horde] FAILED LOGIN for alice@lab.test to horde (203.0.113.9) [pid 15307 on line 191 of \"/usr/share/horde/login.php\"]\n\
             {t} dovecot: imap-login: Login: user=<bob@lab.test>, method=PLAIN, rip=10.1.0.7, lip=10.0.0.1, mpid=3001, TLS, session=<rsGL0l1h0op/AAAB>\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syslog");
    std::fs::write(&path, &log).unwrap();
    let mail = tempfile::tempdir().unwrap();
    let set = [Input::File(path)];
    let mut engine = engine();
    let whole = engine.stage_one_set(&set, &mut ());
    let cut = engine
        .stage_one_cut(&set, 300)
        .expect("a syslog file is cut");
    assert!(cut.reports.len() > 20, "{} pieces", cut.reports.len());
    let (expected, expected_reports) = stage_two(&mut engine, mail.path(), whole, false);
    let (found, found_reports) = stage_two(&mut engine, mail.path(), cut, false);
    assert_eq!(found_reports, expected_reports);
    assert_eq!(found, expected);
    let failures: Vec<u64> = expected
        .iter()
        .filter(|f| f["entity"]["source_ip"] == "203.0.113.9")
        .map(|f| f["count"].as_u64().unwrap())
        .collect();
    assert!(failures.contains(&60), "each attempt once: {failures:?}");
}

/// A Dovecot session's login and logout lines joined by its session id,
/// several seconds apart (so in different pieces of a file cut a few lines
/// at a time): the case's sessions (bytes and bodies per account, address
/// and day) and the whole-mailbox download (VA011, whose address is the
/// login's) are those of the whole file, in syslog and in Dovecot's own
/// log file (`log_path`, read as syslog). Shapes from the sample's
/// dovecot.log (Dovecot 2.3).
#[test]
fn a_session_whose_login_and_logout_fall_in_two_pieces_is_joined() {
    a_session_in_two_pieces_is_joined("mail dovecot: ");
    a_session_in_two_pieces_is_joined("");
}

/// See [`a_session_whose_login_and_logout_fall_in_two_pieces_is_joined`];
/// `program` is what comes between a line's time and Dovecot's text.
fn a_session_in_two_pieces_is_joined(program: &str) {
    let mut log = String::new();
    for i in 0..40u32 {
        let (user, rip, bodies) = if i == 17 {
            ("bob", "198.51.100.23", 4200)
        } else {
            ("alice", "10.1.0.7", 3)
        };
        let session = format!("yvHHxWBh6tJ/AA{i:02}");
        log.push_str(&format!(
            "Nov 29 02:{:02}:00 {program}imap-login: Login: user=<{user}@lab.test>, method=PLAIN, rip={rip}, lip=10.0.0.1, mpid={}, TLS, session=<{session}>\n",
            10 + i,
            3000 + i
        ));
        log.push_str(&format!(
            "Nov 29 02:{:02}:30 {program}imap({user}@lab.test)<{}><{session}>: Info: Disconnected: Logged out in=82 out={} deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count={bodies} body_bytes={}\n",
            10 + i + 1,
            3000 + i,
            bodies * 20_000,
            bodies * 19_000
        ));
    }
    let states = |o: &vigie_engine::Outcome| {
        o.states
            .iter()
            .map(|(key, state)| {
                (
                    key.clone(),
                    serde_json::to_value(state.unpack().unwrap()).unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let json = |o: &vigie_engine::Outcome| serde_json::to_value(&o.findings).unwrap();
    // A line a piece, and a few lines a piece (most sessions within one).
    let (whole, cuts) = whole_then_cut(&log, &[200, 1500]);
    for (piece_bytes, pieces, cut) in cuts {
        assert!(pieces > 5, "{pieces} pieces");
        let at = format!("pieces of {piece_bytes} bytes");
        assert_eq!(states(&cut), states(&whole), "{at}");
        assert_eq!(json(&cut), json(&whole), "{at}");
    }
    let bulk: Vec<_> = whole
        .findings
        .iter()
        .filter(|f| f.rule_id == "VA011")
        .map(|f| f.entity.source_ip.clone())
        .collect();
    assert_eq!(bulk, [Some("198.51.100.23".to_string())]);
    let sessions = &states(&whole)[0].1["sessions"];
    assert!(sessions.to_string().contains("4200"), "{sessions}");
}

/// An account refused 60 times from one address: a read keeps the first
/// 20 refusals as the case's marks (the rest are counted), and so does a
/// file cut in pieces that each kept their own first 20. Shapes from the
/// sample's dovecot.log (Dovecot 2.3).
#[test]
fn a_cut_file_keeps_as_many_marks_as_a_whole_read() {
    let mut log = String::new();
    for i in 0..60u32 {
        log.push_str(&format!(
            "Nov 29 02:{:02}:{:02} mail dovecot: imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<alice@lab.test>, method=PLAIN, rip=203.0.113.9, lip=10.0.0.1, secured, session=<ikV6xWBhxu{i:02}AAAB>\n",
            10 + i / 30,
            i % 30 * 2
        ));
    }
    let marks = |o: &vigie_engine::Outcome| {
        let state = serde_json::to_value(o.states[0].1.unpack().unwrap()).unwrap();
        state["marks"].as_array().unwrap().clone()
    };
    let (whole, cuts) = whole_then_cut(&log, &[2000]);
    assert_eq!(marks(&whole).len(), 20);
    let (_, pieces, cut) = &cuts[0];
    assert!(*pieces > 5, "{pieces} pieces");
    assert_eq!(marks(cut), marks(&whole));
}

/// `log` as the file `mail.log`, read whole then cut in pieces of each of
/// `piece_bytes`: stage two's outcome of the whole read, and of each cut
/// with its piece size and number of pieces.
fn whole_then_cut(
    log: &str,
    piece_bytes: &[usize],
) -> (
    vigie_engine::Outcome,
    Vec<(usize, usize, vigie_engine::Outcome)>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, log).unwrap();
    let mail = tempfile::tempdir().unwrap();
    let set = [Input::File(path)];
    let engine = engine();
    let read = |stage_one| {
        let mut mail = engine.scan_mail(&[mail.path().into()]);
        engine.stage_two(stage_one, &mut mail, None).unwrap()
    };
    let whole = read(engine.stage_one_set(&set, &mut ()));
    let cuts = piece_bytes
        .iter()
        .map(|&bytes| {
            let cut = engine.stage_one_cut(&set, bytes).expect("the file is cut");
            (bytes, cut.reports.len(), read(cut))
        })
        .collect();
    (whole, cuts)
}

/// A message submitted with SMTP AUTH is joined to its deliveries by its
/// Postfix queue id, minutes later (a deferred message: hours): a file cut
/// between the submission and its deliveries counts the same messages,
/// recipients and bounces per account and address as a whole read. Shapes
/// from the sample's mail.log (Postfix 3.7).
#[test]
fn a_submission_and_its_deliveries_in_two_pieces_are_joined() {
    let mut log = String::new();
    for i in 0..30u32 {
        let queue = format!("6B681C{i:04X}");
        log.push_str(&format!(
            "2026-11-29T02:{:02}:00.440142+00:00 mail postfix/submission/smtpd[9846]: {queue}: client=unknown[198.51.100.{i}], sasl_method=PLAIN, sasl_username=bob@lab.test\n",
            10 + i
        ));
        for r in 0..3 {
            let status = if r == 2 { "bounced" } else { "sent" };
            log.push_str(&format!(
                "2026-11-29T02:{:02}:30.502822+00:00 mail postfix/smtp[9853]: {queue}: to=<user{r}@example.net>, relay=mx.example.net[203.0.113.{r}]:25, delay=0.07, delays=0.02/0.01/0.03/0.02, dsn=2.0.0, status={status} (250 2.0.0 Ok)\n",
                12 + i
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, &log).unwrap();
    let set = [Input::File(path)];
    let engine = engine();
    let totals = |stage_one: &StageOne| {
        stage_one
            .histories
            .outbound
            .totals()
            .into_iter()
            .flat_map(|(user, by_ip)| {
                by_ip
                    .into_iter()
                    .map(move |(ip, t)| ((user.to_string(), ip), t))
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let whole = totals(&engine.stage_one_set(&set, &mut ()));
    assert_eq!(whole.len(), 30);
    assert!(whole.values().all(|t| *t == (1, 3, 1)), "{whole:?}");
    for piece_bytes in [300, 1000] {
        let cut = engine
            .stage_one_cut(&set, piece_bytes)
            .expect("the file is cut");
        assert!(cut.reports.len() > 10, "{} pieces", cut.reports.len());
        assert_eq!(totals(&cut), whole, "pieces of {piece_bytes} bytes");
    }
}
