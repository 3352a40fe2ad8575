//! `vigie watch` left running as a service: across rotations (rename and
//! copytruncate), a `kill -9` and a restart, and a rotation (compressed)
//! while it is stopped, nothing is lost and nothing is alerted twice, on
//! standard output and through the webhook (issue 18).
//!
//! The lines are Dovecot's, as it writes a failed IMAP login (the shape of
//! `crates/ingest/tests/testdata/golden/dovecot-crowdsec.events.jsonl`,
//! from CrowdSec's dovecot parser tests), stamped now.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// `imap_bruteforce_source`: four failed logins from one address in ten minutes.
const BRUTE_FORCE: &str = "20db1305-4045-4ae7-9c69-0baf69c60fb2";

/// Appends `count` failed logins from address `n` (192.0.2.n) to `path`.
fn failures(path: &Path, n: u32, count: u32) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for i in 0..count {
        let now = jiff::Timestamp::now().strftime("%b %e %H:%M:%S");
        writeln!(
            file,
            "{now} mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 6 secs): \
             user=<user{n}@lab.test>, method=PLAIN, rip=192.0.2.{n}, lip=10.0.0.1, TLS, \
             session=<s{n}x{i}>"
        )
        .unwrap();
    }
}

/// The JSON bodies a local HTTP server received, one a POST.
type Received = Arc<Mutex<Vec<String>>>;

/// Starts an HTTP server on loopback that answers 200 to every POST and
/// keeps its body; returns its URL.
fn webhook_server() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let received = Received::default();
    let kept = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let kept = Arc::clone(&kept);
            std::thread::spawn(move || serve(stream, &kept));
        }
    });
    (url, received)
}

/// Reads the requests of one connection (kept alive or not).
fn serve(stream: TcpStream, received: &Received) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        received
            .lock()
            .unwrap()
            .push(String::from_utf8(body).unwrap());
        writer
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
    }
}

/// A running watch and the alerts it printed.
struct Watch {
    child: Child,
    printed: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    fn start(log: &Path, state: &Path, url: &str) -> Watch {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("vigie"))
            .arg("watch")
            .arg(log)
            .arg("--state-dir")
            .arg(state)
            .args([
                "--webhook",
                url,
                "--json",
                "--tz",
                "UTC",
                "--interval",
                "0.2",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let printed = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                kept.lock().unwrap().push(line.unwrap());
            }
        });
        Watch { child, printed }
    }

    /// Stops the watch with SIGTERM and waits for it.
    fn stop(mut self) -> Vec<String> {
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        self.child.wait().unwrap();
        self.lines()
    }

    /// Kills the watch (SIGKILL: no chance to save anything).
    fn kill(mut self) -> Vec<String> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.lines()
    }

    fn lines(&self) -> Vec<String> {
        // The reader thread may still hold the last lines for a moment.
        std::thread::sleep(Duration::from_millis(200));
        self.printed.lock().unwrap().clone()
    }

    /// Waits until the brute force of each address in `addresses` was printed.
    fn wait_for(&self, addresses: &[u32]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let seen = brute_forced(&self.printed.lock().unwrap());
            if addresses
                .iter()
                .all(|n| seen.contains(&format!("192.0.2.{n}")))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no alert for {addresses:?}");
    }
}

/// The addresses of the brute-force alerts among JSON lines, one per alert.
fn brute_forced(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f["rule_id"] == BRUTE_FORCE)
        .map(|f| f["entity"]["source_ip"].as_str().unwrap().to_string())
        .collect()
}

/// Lets the watch poll (0.2 s) and save its state (every 2 s) at least once.
fn settle() {
    std::thread::sleep(Duration::from_millis(2500));
}

#[test]
fn issue_18_ten_brute_forces_across_rotations_a_kill_and_a_restart_are_each_alerted_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let state = dir.path().join("state");
    let (url, received) = webhook_server();
    let rotated = |n: u32| -> PathBuf { dir.path().join(format!("mail.log.{n}")) };
    // The baseline: a brute force already over when the watch first starts.
    failures(&log, 250, 4);
    let mut printed = Vec::new();

    let watch = Watch::start(&log, &state, &url);
    settle();
    failures(&log, 1, 4);
    failures(&log, 2, 2);
    watch.wait_for(&[1]);
    // logrotate's create mode: the file is renamed, a new one created.
    std::fs::rename(&log, rotated(1)).unwrap();
    failures(&log, 2, 2);
    failures(&log, 3, 4);
    watch.wait_for(&[2, 3]);
    // copytruncate, with lines written just before the copy that the watch
    // has not read yet: they are only in the copy.
    failures(&log, 4, 2);
    std::fs::rename(rotated(1), rotated(2)).unwrap();
    std::fs::copy(&log, rotated(1)).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    failures(&log, 4, 2);
    failures(&log, 5, 4);
    watch.wait_for(&[4, 5]);
    settle();
    // kill -9 right after an alert, before the state is saved again: its
    // lines are read again at the restart, the alert is not repeated.
    failures(&log, 6, 2);
    failures(&log, 7, 4);
    watch.wait_for(&[7]);
    printed.extend(watch.kill());
    // Written while the watch is dead: completes 6's window, opens 8's.
    failures(&log, 6, 2);
    failures(&log, 8, 2);

    let watch = Watch::start(&log, &state, &url);
    watch.wait_for(&[6]);
    settle();
    printed.extend(watch.stop());
    // While the watch is stopped: lines, then a rotation compressed at once.
    failures(&log, 8, 2);
    std::fs::rename(&log, rotated(1)).unwrap();
    let gzipped = Command::new("gzip").arg(rotated(1)).status().unwrap();
    assert!(gzipped.success());
    failures(&log, 9, 2);
    failures(&log, 10, 4);

    let watch = Watch::start(&log, &state, &url);
    failures(&log, 9, 2);
    watch.wait_for(&[8, 9, 10]);
    settle();
    printed.extend(watch.stop());

    let mut on_stdout = brute_forced(&printed);
    on_stdout.sort();
    let mut expected: Vec<String> = (1..=10).map(|n| format!("192.0.2.{n}")).collect();
    expected.sort();
    assert_eq!(on_stdout, expected, "each address alerted once on stdout");
    let mut posted = brute_forced(&received.lock().unwrap());
    posted.sort();
    assert_eq!(
        posted, expected,
        "each address alerted once through the webhook"
    );
    assert!(
        !brute_forced(&printed).contains(&"192.0.2.250".to_string()),
        "the baseline is not news"
    );
}
