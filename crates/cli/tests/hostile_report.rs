//! Attacker-written text through the whole case: log lines and an e-mail
//! whose user agent, user name, subject and URL carry `<script>`,
//! `<img onerror>`, `</style>`, ANSI escapes and spreadsheet formulas. The
//! HTML report, opened in headless Chromium, runs no injected script and
//! creates no injected element (checked in the DOM Chromium dumps); the
//! terminal output holds no escape byte; the CSV cells are neutralized.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;

const EVIL_USER: &str = "=HYPERLINK(\"http://evil.example\",\"x\")<img/src=x/onerror=document.body.setAttribute('data-pwned',1)>\u{1b}[31m@lab.test";
const EVIL_AGENT: &str = "Mozilla/5.0 <script>document.body.setAttribute('data-pwned',2)</script></style><img src=x onerror=\"document.title='pwned'\"> \u{1b}]0;title\u{7}";
const EVIL_QUERY: &str =
    "_task=mail&_action=show&_uid=1&_mbox=INBOX&x=</style><script>document.title='pwned'</script>";
const EVIL_SUBJECT: &str = "+SUM(1,2) </style><script>document.title='pwned'</script><img src=x onerror=alert(1)> \u{1b}[2J";

fn write_inputs(root: &Path) -> Vec<PathBuf> {
    let logins = root.join("userlogins.log");
    let mut text = String::new();
    for i in 0..6 {
        text.push_str(&format!(
            "[28-Nov-2026 23:3{i}:00 +0000]: <s{i}> Failed login for {EVIL_USER} from 198.51.100.7 in session sess{i} (error: 0)\n"
        ));
    }
    text.push_str(&format!(
        "[28-Nov-2026 23:37:00 +0000]: <ok> Successful login for {EVIL_USER} (ID: 1) from 198.51.100.7 in session evilsession\n"
    ));
    std::fs::write(&logins, text).unwrap();
    let access = root.join("access.log");
    let mut text = String::new();
    for i in 0..5 {
        text.push_str(&format!(
            "198.51.100.7 - - [28/Nov/2026:23:38:0{i} +0000] \"GET /?{EVIL_QUERY}&n={i} HTTP/1.1\" 200 1234 \"-\" \"{EVIL_AGENT}\"\n"
        ));
    }
    text.push_str(&format!(
        "198.51.100.7 - - [28/Nov/2026:23:39:00 +0000] \"GET /installer/index.php?x=<script>alert(1)</script> HTTP/1.1\" 200 99 \"-\" \"{EVIL_AGENT}\"\n"
    ));
    std::fs::write(&access, text).unwrap();
    let maildir = root.join("lab.test/victim/Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(
        maildir.join("cur/1795908714.M1P1.lab:2,S"),
        format!(
            "Delivered-To: victim@lab.test\r\nFrom: <img src=x onerror=alert(3)>@evil.example\r\nTo: victim@lab.test\r\nSubject: {EVIL_SUBJECT}\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<svg><animate attributeName=\"href \" values=\"javascript:document.title='pwned'\"/></svg>\r\n"
        ),
    )
    .unwrap();
    vec![logins, access, root.join("lab.test")]
}

/// Headless Chromium, or `None` (said on stderr) where it is not installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Process::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .or_else(|| {
            common::needs(
                "hostile report in a browser",
                &["chromium", "--version"],
                "headless Chromium (Debian `chromium`)",
            );
            None
        })
}

#[test]
fn hostile_text_stays_text_in_the_report_the_terminal_and_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path());
    let case = dir.path().join("case");
    let scan = common::scan(&case, &[], &inputs);
    let findings = std::fs::read_to_string(case.join("findings.jsonl")).unwrap();
    assert!(
        findings.contains("onerror"),
        "the hostile text must reach the case for this test to mean anything"
    );

    // Terminal: no escape byte, no bell, on stdout or stderr.
    for stream in [&scan.stdout, &scan.stderr] {
        assert!(
            !stream.iter().any(|b| *b == 0x1b || *b == 0x07),
            "{}",
            String::from_utf8_lossy(stream)
        );
    }

    // CSV: every cell that a spreadsheet would read as a formula is quoted
    // and starts with an apostrophe.
    let csv = std::fs::read_to_string(case.join("timeline.csv")).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    for line in csv.lines() {
        for cell in line.split(',') {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "unguarded cell {cell:?}"
            );
        }
    }
    assert!(!csv.contains('\u{1b}'));

    // HTML: escaped at the source…
    let report = Command::cargo_bin("vigie")
        .unwrap()
        .arg("report")
        .arg(&case)
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let html_path = case.join("report.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains("&lt;script&gt;"),
        "the hostile text is shown, escaped"
    );
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains('\u{1b}'));
    assert!(html.contains("Content-Security-Policy") && html.contains("script-src 'none'"));

    // …and inert in a browser: the DOM Chromium builds has no script, no
    // image, no attribute set by an injected handler, and its own title.
    if let Some(chromium) = chromium() {
        inert_in_a_browser(chromium, &html_path);
    }
    let markdown = std::fs::read_to_string(case.join("report.md")).unwrap();
    assert!(!markdown.contains("<script") && !markdown.contains('\u{1b}'));
}

fn inert_in_a_browser(chromium: &str, html_path: &Path) {
    let out = Process::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", html_path.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("vigie case report"), "{dom}");
    // (Escaped text may say anything; an element or attribute may not.)
    for injected in [
        "<script",
        "<img",
        " data-pwned=\"",
        "<title>pwned",
        "<animate",
    ] {
        assert!(!dom.contains(injected), "{injected} in the DOM");
    }
}
