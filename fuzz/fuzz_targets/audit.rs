#![no_main]
//! Fuzzes the posture audit's configuration readers on a system root the
//! input fills: php.ini, Postfix main.cf and master.cf, Dovecot's
//! configuration with its includes, Exim's, Roundcube's config.inc.php and
//! iniset.php, nginx and Apache, the dpkg status file and os-release.
//!
//! The input is split on NUL bytes; the n-th piece becomes the n-th file of
//! `FILES` (a piece may be empty). The links of a Debian root (Roundcube's
//! /var/lib tree pointing into /etc and /usr/share) are made once.

use std::path::Path;
use std::sync::LazyLock;

/// The files the input writes, in order (Debian's layout).
const FILES: &[&str] = &[
    "etc/php/8.2/fpm/php.ini",
    "etc/postfix/main.cf",
    "etc/postfix/master.cf",
    "etc/dovecot/dovecot.conf",
    "etc/dovecot/conf.d/10-auth.conf",
    "etc/dovecot/conf.d/auth-system.conf.ext",
    "etc/exim4/update-exim4.conf.conf",
    "etc/exim4/exim4.conf.template",
    "usr/share/roundcube/program/include/iniset.php",
    "etc/roundcube/config.inc.php",
    "etc/roundcube/defaults.inc.php",
    "etc/nginx/nginx.conf",
    "etc/nginx/sites-available/default",
    "etc/apache2/apache2.conf",
    "var/lib/dpkg/status",
    "etc/os-release",
    "etc/fail2ban/jail.local",
];

static ROOT: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for file in FILES {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
    }
    let links = [
        (
            "etc/nginx/sites-enabled/default",
            "/etc/nginx/sites-available/default",
        ),
        ("var/lib/roundcube/config", "/etc/roundcube"),
        ("var/lib/roundcube/program", "/usr/share/roundcube/program"),
    ];
    for (link, target) in links {
        let path = dir.path().join(link);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
        std::os::unix::fs::symlink(target, path).expect("a link");
    }
    dir
});

fn write(root: &Path, data: &[u8]) {
    let mut pieces = data.split(|b| *b == 0);
    for file in FILES {
        std::fs::write(root.join(file), pieces.next().unwrap_or_default()).expect("writing");
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let root = ROOT.path();
    write(root, data);
    if let Ok(report) = vigie_audit::audit(root) {
        // Findings are what the report and the case store: they must serialize.
        serde_json::to_vec(&report.findings).expect("findings serialize");
        serde_json::to_vec(&report.components).expect("components serialize");
    }
});
