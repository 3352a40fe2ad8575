//! The table of checks: one stable id per weakness, its default level, the
//! intrusion step it enables (ATT&CK) and the fix. A flat registry, read by
//! the component readers and listed by `vigie audit --list-checks`.

use crate::finding::Level;

/// One check of the audit.
#[derive(Debug)]
pub struct Check {
    /// Stable id (`VAUDnnn`): 0xx audit, 1xx Roundcube, 2xx Dovecot,
    /// 3xx Pigeonhole, 4xx MTAs, 5xx brute-force protection, 6xx web
    /// servers, 7xx PHP.
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// Component the check reads.
    pub component: &'static str,
    /// Default level.
    pub level: Level,
    /// The intrusion step it enables.
    pub why: &'static str,
    /// ATT&CK technique ids of that step.
    pub attack: &'static [&'static str],
    /// The fix.
    pub fix: &'static str,
}

macro_rules! checks {
    ($($name:ident = $id:literal, $comp:literal, $level:ident, $title:literal, [$($att:literal),*], $why:literal, $fix:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "`: ", $title)]
            pub static $name: Check = Check {
                id: $id, title: $title, component: $comp, level: Level::$level,
                why: $why, attack: &[$($att),*], fix: $fix,
            };
        )*
        /// Every check, by id.
        pub static CHECKS: &[&Check] = &[$(&$name),*];
    };
}

checks! {
    UNREADABLE = "VAUD000", "audit", Info, "file could not be read", [],
        "The audit could not read this file, so what it configures was not checked.",
        "Run the audit as a user who can read it, or audit a copy.";
    VULNERABLE_VERSION = "VAUD001", "package", High, "installed version has a known vulnerability (high when exploited in the wild)", ["T1190"],
        "An intruder exploits the public vulnerability of this version to get in (exploit public-facing application).",
        "Upgrade to the fixed version (the distribution's security update where the package comes from a distribution).";

    RC_INSTALLER_ENABLED = "VAUD101", "roundcube", High, "Roundcube installer enabled", ["T1190", "T1059"],
        "The installer writes the configuration from the web; APT28 ran commands through it (CVE-2020-12641, im_convert_path) and it discloses settings.",
        "Set $config['enable_installer'] = false; and delete the installer/ folder.";
    RC_INSTALLER_SERVED = "VAUD102", "roundcube", Medium, "Roundcube installer folder served by the web server", ["T1190"],
        "The installer/ folder is reachable under the web root; any future enable_installer=true or installer bug is one request away.",
        "Delete installer/ or serve only public_html/ (Roundcube 1.5+), or deny /installer in the web server.";
    RC_DES_KEY = "VAUD103", "roundcube", High, "Roundcube des_key default or weak", ["T1552", "T1550.004"],
        "des_key encrypts the IMAP password kept in each session; with the published default or a short key, anyone who reads session data (database, temp/, a backup) recovers users' passwords.",
        "Set $config['des_key'] to 24 random characters (head -c18 /dev/urandom | base64) and restart PHP.";
    RC_IP_CHECK = "VAUD104", "roundcube", Low, "Roundcube sessions not bound to the client address", ["T1550.004"],
        "A session cookie stolen by an XSS payload works from the intruder's own address (use alternate authentication material: web session cookie).",
        "Set $config['ip_check'] = true; (unless clients come through changing proxies).";
    RC_SESSION_LIFETIME = "VAUD105", "roundcube", Low, "Roundcube session lifetime long or unlimited", ["T1550.004"],
        "A stolen or forgotten session stays usable for hours.",
        "Set $config['session_lifetime'] to 30 minutes or less (0 means no limit).";
    RC_PASSWORD_PLUGIN = "VAUD106", "roundcube", Low, "Roundcube password plugin enabled", ["T1098"],
        "With a stolen session the intruder changes the account's password and locks the owner out (account manipulation).",
        "Disable the password plugin, or require the current password and a second factor for the change.";
    RC_SIEVE_REDIRECT = "VAUD107", "roundcube", Medium, "Webmail filters may redirect mail to any address", ["T1114.003"],
        "The managesieve plugin lets any session create a redirect rule to an outside address: the forwarding rule RoundPress/SpyPress payloads install to keep reading mail.",
        "Set $config['managesieve_domains'] to your own domains (redirects then only go there), or $config['managesieve_forward'] = 0 and remove 'redirect' with managesieve_disabled_actions.";
    RC_IM_CONVERT = "VAUD108", "roundcube", High, "Roundcube image converter path holds shell metacharacters", ["T1059"],
        "im_convert_path/im_identify_path is run through a shell; metacharacters there are the CVE-2020-12641 injection APT28 used.",
        "Set im_convert_path to the plain path of convert (/usr/bin/convert) or leave it unset.";
    RC_INTERNALS_SERVED = "VAUD109", "roundcube", High, "Roundcube internal folder reachable through the web server", ["T1552.001", "T1005"],
        "The web server serves the Roundcube tree itself, and config/ (database password, des_key), logs/ (logins, errors) or temp/ (uploaded attachments) is not denied.",
        "Point the web root at Roundcube's public_html/ (1.5+) or deny config/, logs/, temp/, SQL/, bin/ in the web server.";
    RC_NO_LOGIN_LOG = "VAUD110", "roundcube", Low, "Roundcube does not log logins", ["T1078"],
        "Without userlogins the webmail keeps no trace of who logged in from where; an intrusion with stolen passwords leaves nothing to investigate.",
        "Set $config['log_logins'] = true;";

    DOVECOT_SSL_OFF = "VAUD201", "dovecot", High, "Dovecot TLS disabled", ["T1040"],
        "With ssl = no every IMAP and ManageSieve password crosses the network in clear.",
        "Set ssl = required with a certificate (ssl_cert/ssl_key, 2.4: ssl_server_cert_file/ssl_server_key_file).";
    DOVECOT_CLEARTEXT = "VAUD202", "dovecot", Medium, "Dovecot allows cleartext authentication outside TLS", ["T1040", "T1110"],
        "disable_plaintext_auth = no (2.4: auth_allow_cleartext = yes) accepts PLAIN/LOGIN passwords on unencrypted connections from anywhere.",
        "Set disable_plaintext_auth = yes (2.4: auth_allow_cleartext = no).";
    DOVECOT_LISTEN_ALL = "VAUD204", "dovecot", Medium, "IMAP/ManageSieve on every address with no brute-force jail", ["T1110"],
        "Password guessing against IMAP and ManageSieve is limited only by auth_failure_delay; RoundPress-era intrusions start with valid accounts.",
        "Listen only where needed (listen = 127.0.0.1 for a webmail-only server) and add a fail2ban or CrowdSec jail for Dovecot.";
    DOVECOT_MASTER_USER = "VAUD205", "dovecot", Medium, "Dovecot master users configured", ["T1078"],
        "A master password opens every mailbox (user*master login); one leaked secret reads all mail.",
        "Remove the master passdb unless needed; restrict it by allow_nets and log its use.";
    DOVECOT_FAILURE_DELAY = "VAUD206", "dovecot", Medium, "Dovecot auth_failure_delay removed", ["T1110.001"],
        "Without the delay after a failed login, password guessing runs at full speed.",
        "Remove the setting (default 2 secs) or set auth_failure_delay = 2 secs.";

    SIEVE_EXTPROGRAMS = "VAUD301", "pigeonhole", High, "Sieve scripts may run programs (vnd.dovecot.pipe/execute/filter)", ["T1059", "T1048"],
        "User Sieve scripts (which a stolen session can upload) may pipe mail to programs or run them.",
        "Remove vnd.dovecot.pipe/execute/filter from sieve_extensions; keep them only in sieve_global_extensions with a fixed sieve_pipe_bin_dir.";
    SIEVE_REDIRECTS = "VAUD302", "pigeonhole", Medium, "Sieve redirect limit raised", ["T1114.003"],
        "sieve_max_redirects above the default 4 lets one hidden rule copy every message to many outside addresses.",
        "Set sieve_max_redirects to 1 or the default 4; consider a Sieve global script that logs redirects.";

    POSTFIX_MYNETWORKS = "VAUD401", "postfix", High, "Postfix trusts a wide mynetworks", ["T1566", "T1090"],
        "Hosts in mynetworks relay without authentication: an open relay sends phishing in the ministry's name.",
        "List only the hosts that must relay (127.0.0.0/8 [::1]/128) in mynetworks.";
    POSTFIX_RELAY = "VAUD402", "postfix", High, "Postfix relay restrictions permit before refusing unknown destinations", ["T1566", "T1090"],
        "A bare permit before reject_unauth_destination makes the server an open relay.",
        "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination";
    POSTFIX_SASL_NO_TLS = "VAUD403", "postfix", Medium, "Postfix accepts SASL passwords without TLS", ["T1040"],
        "SMTP AUTH is offered on a service where TLS is optional or absent and smtpd_tls_auth_only is not set: passwords cross in clear.",
        "Offer AUTH only on submission/submissions with smtpd_tls_security_level=encrypt, or set smtpd_tls_auth_only = yes.";
    POSTFIX_NO_RATE = "VAUD404", "postfix", Low, "Postfix has no rate limit for authentication or sending", ["T1110.001", "T1534"],
        "smtpd_client_auth_rate_limit and message rate limits are 0 (unlimited): password guessing over SMTP AUTH and mass sending from a stolen account go unchecked.",
        "Set smtpd_client_auth_rate_limit, smtpd_client_message_rate_limit and smtpd_client_recipient_rate_limit (anvil).";
    EXIM_RELAY = "VAUD411", "exim", High, "Exim relays for a wide network", ["T1566", "T1090"],
        "relay_from_hosts (Debian: dc_relay_nets) covers far more than the servers that must relay: an open relay.",
        "List only the hosts that must relay in dc_relay_nets (update-exim4.conf.conf) or hostlist relay_from_hosts.";
    EXIM_AUTH_NO_TLS = "VAUD412", "exim", Medium, "Exim accepts passwords without TLS", ["T1040"],
        "AUTH_SERVER_ALLOW_NOTLS_PASSWORDS lets PLAIN/LOGIN authentication run on unencrypted connections.",
        "Remove AUTH_SERVER_ALLOW_NOTLS_PASSWORDS and offer TLS.";

    NO_JAIL_WEBMAIL = "VAUD501", "brute-force", Medium, "No brute-force jail in front of the webmail", ["T1110"],
        "Nothing (fail2ban, CrowdSec) bans an address that keeps failing webmail logins; guessing and password spraying go on unseen.",
        "Enable a fail2ban roundcube-auth jail (or a CrowdSec Roundcube collection) on Roundcube's userlogins/errors log.";

    WEB_DIRECTORY_LISTING = "VAUD601", "web", Low, "Web server lists folders", ["T1083"],
        "Directory listing (autoindex on / Options +Indexes) shows the webmail's files to anyone.",
        "Set autoindex off (nginx) or Options -Indexes (Apache).";

    PHP_URL_INCLUDE = "VAUD701", "php", High, "PHP allow_url_include on", ["T1059", "T1105"],
        "Any include bug becomes remote code execution from an attacker's URL.",
        "Set allow_url_include = Off.";
    PHP_DISPLAY_ERRORS = "VAUD702", "php", Low, "PHP shows errors to visitors", ["T1592"],
        "Errors shown in pages reveal paths, versions and queries to whoever probes the webmail.",
        "Set display_errors = Off (log_errors = On).";
}
