//! Regressions of issue 12: the six lines it names (personal details replaced
//! as the issue gives them), each with the right values, plus a sibling of
//! each fault's kind (other prefixes, other proxies' headers).

use vigie_event::{AuthFailure, Event, Field, Timestamp, Value};
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{LineContext, classify, parse_line};

/// The events of `lines` (one file, in order), as owned `field → text` maps;
/// syslog years resolve against 2026-12-01, zone-less times are UTC.
fn events(lines: &[&str]) -> Vec<std::collections::BTreeMap<&'static str, String>> {
    let mut time = TimeContext::new(
        jiff::tz::TimeZone::UTC,
        Timestamp::from_unix(1_795_996_800, 0),
    );
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let format = classify(line).expect("a known shape");
        let mut ctx = LineContext {
            path: "issue12",
            number: i as u64 + 1,
            time: &mut time,
        };
        parse_line(format, line, &mut ctx, &mut |e: &Event<'_>| {
            let mut fields = std::collections::BTreeMap::new();
            for &f in Field::ALL {
                let text = match e.value(f) {
                    None => continue,
                    Some(Value::Str(s)) => s.to_string(),
                    Some(Value::UInt(n)) => n.to_string(),
                    Some(Value::Ip(ip)) => ip.to_string(),
                    Some(Value::Time(t)) => t.to_string(),
                    Some(Value::Keywords(k)) => k.join(","),
                };
                fields.insert(f.name(), text);
            }
            out.push(fields);
        })
        .unwrap_or_else(|r| panic!("{line}: {r:?}"));
    }
    out
}

fn get<'m>(e: &'m std::collections::BTreeMap<&'static str, String>, f: &str) -> Option<&'m str> {
    e.get(f).map(String::as_str)
}

#[test]
fn line_1_dovecot_24_auth_worker_prefix_names_user_address_and_session() {
    let e = &events(&[
        "Jun 23 00:10:49 auth-worker(user1@example.org,192.0.2.7)<4001084><CvN+E95Uf4e7eEnj>: request [12]: Info: sql: Password mismatch (given password: XxxxXXxx123)",
    ])[0];
    assert_eq!(get(e, "event.action"), Some("login-failed"));
    assert_eq!(get(e, "user.name"), Some("user1@example.org"));
    assert_eq!(get(e, "source.ip"), Some("192.0.2.7"));
    assert_eq!(get(e, "session.id"), Some("CvN+E95Uf4e7eEnj"));
    assert_eq!(get(e, "@timestamp"), Some("2026-06-23T00:10:49Z"));
    // The echoed password never reaches the reason.
    assert_eq!(get(e, "event.reason"), Some("Password mismatch"));
    // Same family: `auth(user,ip,mech)<session>` (Dovecot 2.4.1, rorycl/dovecot-config two-userdbs/log.txt).
    let e = &events(&[
        "Aug 15 19:52:38 auth(terry@example.com,172.17.0.1,sasl:plain)<J0jfumw8zNasEQAB>: Info: passwd-file: unknown user",
    ])[0];
    assert_eq!(
        (
            get(e, "user.name"),
            get(e, "source.ip"),
            get(e, "session.id"),
            get(e, "event.action")
        ),
        (
            Some("terry@example.com"),
            Some("172.17.0.1"),
            Some("J0jfumw8zNasEQAB"),
            Some("login-failed")
        )
    );
    // 2.4's `Logged in:` is a login as 2.3's `Login:` was.
    let e = &events(&[
        "Aug 15 19:52:00 imap-login: Info: Logged in: user=<tom@example.com>, method=PLAIN, rip=172.17.0.1, lip=172.17.0.2, mpid=14, session=<QwjguGw81qOsEQAB>",
    ])[0];
    assert_eq!(get(e, "event.action"), Some("login"));
    // Master user: the target, the master and the session each in a field
    // (a Dovecot line from logstash-patterns-core's grok test, names replaced;
    // format: dovecot/core src/auth/auth-request.c "Master user logging in as %s").
    let e = &events(&[
        "Nov 15 11:19:11 d.imapd.example.net dovecot: auth: passdb(admin,192.0.2.8,master,<MsTr1234abcdEFGH>): Master user logging in as user1@example.org",
    ])[0];
    assert_eq!(
        (
            get(e, "user.name"),
            get(e, "vigie.auth.master_user"),
            get(e, "session.id"),
            get(e, "source.ip")
        ),
        (
            Some("user1@example.org"),
            Some("admin"),
            Some("MsTr1234abcdEFGH"),
            Some("192.0.2.8")
        )
    );
}

#[test]
fn line_2_the_reason_is_the_parenthesis_that_says_auth_failed() {
    let e = &events(&[
        "Nov 14 03:51:22 pop3-login: Info: Disconnected: Connection closed: read(size=988) failed: Connection reset by peer (auth failed, 1 attempts in 2 secs): user=<shop@example.org>, method=PLAIN, rip=192.0.2.189, lip=198.51.100.4, session=<ZfpthtYmgKpXeHG9>",
    ])[0];
    assert_eq!(
        get(e, "event.reason"),
        Some("auth failed, 1 attempts in 2 secs")
    );
    assert_eq!(get(e, "vigie.auth.failure_kind"), Some("credentials"));
    assert_eq!(get(e, "vigie.auth.service"), Some("pop3"));
    // 2.4 adds a code after it: `(auth failed, …) (auth_failed)`.
    let e = &events(&[
        "Aug 15 19:52:47 imap-login: Info: Login aborted: Connection closed (auth failed, 1 attempts in 9 secs) (auth_failed): user=<terry@example.com>, method=PLAIN, rip=172.17.0.1, lip=172.17.0.2, session=<J0jfumw8zNasEQAB>",
    ])[0];
    assert_eq!(
        get(e, "event.reason"),
        Some("auth failed, 1 attempts in 9 secs")
    );
}

#[test]
fn line_3_roundcube_behind_a_proxy_blames_the_forwarded_client() {
    let e = &events(&[
        "[01-Dec-2021 19:30:48 +0000]: <7vrb6kgr> Failed login for user1@example.org from 192.0.2.10 (X-Forwarded-For: 203.0.113.5) in session 7vrb6kgrindb97hg (error: 1)",
    ])[0];
    assert_eq!(get(e, "user.name"), Some("user1@example.org"));
    assert_eq!(get(e, "source.ip"), Some("203.0.113.5"));
    assert_eq!(get(e, "client.ip"), Some("192.0.2.10"));
    assert_eq!(get(e, "vigie.auth.service"), Some("webmail"));
}

#[test]
fn line_4_exim_authenticator_failures_are_smtp_credential_failures() {
    let lines: Vec<String> = (0..5)
        .map(|i| {
            format!("2024-02-15 03:49:{:02} login authenticator failed for (U8kjDR) [192.0.2.66]: 535 Incorrect authentication data", 17 + i * 5)
        })
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    for e in events(&refs) {
        assert_eq!(get(&e, "source.ip"), Some("192.0.2.66"));
        assert_eq!(get(&e, "source.domain"), None);
        assert_eq!(get(&e, "vigie.auth.service"), Some("smtp"));
        assert_eq!(get(&e, "vigie.auth.failure_kind"), Some("credentials"));
    }
}

#[test]
fn line_5_exim_no_host_name_and_the_name_before_the_address() {
    let e = &events(&[
        "2024-03-24T02:04:32.263+00:00 info exim[8001]: [8001] SMTP connection from [192.0.2.29]:20042 I=[198.51.100.99]:25 Ci=8001 (TCP/IP connection count = 1)",
    ])[0];
    assert_eq!(get(e, "host.name"), None);
    assert_eq!(get(e, "source.domain"), None);
    assert_eq!(get(e, "source.ip"), Some("192.0.2.29"));
    let e = &events(&[
        "2024-03-24 02:04:33 SMTP connection from mail.example.net [192.0.2.30]:20042 I=[198.51.100.99]:25 (TCP/IP connection count = 1)",
    ])[0];
    assert_eq!(get(e, "source.domain"), Some("mail.example.net"));
}

#[test]
fn line_6_custom_mail_log_prefix_logouts_join_their_login_with_bytes() {
    let ev = events(&[
        "Nov 14 09:19:48 d.imapd.example.net dovecot: imap-login: Login: user=<user1>, session=h6/hvXfOIQBAjhIX, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=30699, secured",
        "Nov 14 09:43:53 d.imapd.example.net dovecot: imap(user1): session=h6/hvXfOIQBAjhIX Disconnected: Logged out in=1970 out=6063",
        "Nov 15 11:06:22 d.imapd.example.net dovecot: pop3(user1): session=pfq6WI3OaQBAjgkE Disconnected: Logged out top=0/0, retr=1/50970, del=1/2, size=16612007",
    ]);
    assert_eq!(get(&ev[0], "session.id"), Some("h6/hvXfOIQBAjhIX"));
    assert_eq!(
        (
            get(&ev[1], "event.action"),
            get(&ev[1], "user.name"),
            get(&ev[1], "session.id"),
            get(&ev[1], "network.bytes_out"),
            get(&ev[1], "network.bytes_in")
        ),
        (
            Some("logout"),
            Some("user1"),
            Some("h6/hvXfOIQBAjhIX"),
            Some("6063"),
            Some("1970")
        )
    );
    assert_eq!(
        (get(&ev[2], "session.id"), get(&ev[2], "network.bytes_out")),
        (Some("pfq6WI3OaQBAjgkE"), Some("50970"))
    );
}

#[test]
fn mail_log_plugin_events_carry_mailbox_and_uid() {
    // Dovecot mail_log plugin (doc.dovecot.org, "Mail Log Plugin": `mail_log_events`, `mail_log_fields`).
    let ev = events(&[
        "Nov 14 09:20:01 mx dovecot: imap(user1)<30699><h6/hvXfOIQBAjhIX>: expunge: box=INBOX, uid=4211, msgid=<a1@example.org>, size=6063",
        "Nov 14 09:20:02 mx dovecot: imap(user1)<30699><h6/hvXfOIQBAjhIX>: flag_change: box=INBOX, uid=4212, msgid=<a2@example.org>, flags=(\\Seen)",
        "Nov 14 09:20:03 mx dovecot: imap(user1)<30699><h6/hvXfOIQBAjhIX>: copy from INBOX: box=Archive, uid=17, msgid=<a3@example.org>, size=100",
        "Nov 14 09:20:04 mx dovecot: imap(user1)<30699><h6/hvXfOIQBAjhIX>: delete: box=\"Sent, old\", uid=9, msgid=<a4@example.org>",
    ]);
    let got: Vec<_> = ev
        .iter()
        .map(|e| {
            (
                get(e, "event.action").unwrap_or("-"),
                get(e, "vigie.mailbox.name").unwrap_or("-"),
                get(e, "vigie.mailbox.uid").unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("message-expunge", "INBOX", "4211"),
            ("message-flag-change", "INBOX", "4212"),
            ("message-copy", "Archive", "17"),
            ("message-delete", "Sent, old", "9"),
        ]
    );
}

#[test]
fn failures_that_are_not_credential_guesses_are_marked() {
    let e = &events(&[
        "Nov 28 22:39:29 mx postfix/smtpd[1]: warning: unknown[192.0.2.9]: SASL LOGIN authentication failed: Connection lost to authentication server",
    ])[0];
    assert_eq!(get(e, "vigie.auth.failure_kind"), Some("server"));
    let e = &events(&[
        "Nov 28 22:39:29 mx postfix/smtpd[1]: warning: unknown[192.0.2.9]: SASL PLAIN authentication failed: Invalid authentication mechanism",
    ])[0];
    assert_eq!(get(e, "vigie.auth.failure_kind"), Some("mechanism"));
    assert_eq!(
        AuthFailure::from_text("Temporary authentication failure"),
        Some(AuthFailure::Server)
    );
}

#[test]
fn web_server_basic_auth_failures_are_http_authentication_failures() {
    // nginx src/http/modules/ngx_http_auth_basic_module.c formats.
    let ev = events(&[
        "2024/03/24 02:04:32 [error] 123#123: *1 user \"admin\": password mismatch, client: 192.0.2.50, server: mail.example.org, request: \"GET /admin HTTP/1.1\", host: \"mail.example.org\"",
        "2024/03/24 02:04:33 [error] 123#123: *2 user \"root\" was not found in \"/etc/nginx/.htpasswd\", client: 192.0.2.50, server: mail.example.org, request: \"GET /admin HTTP/1.1\", host: \"mail.example.org\"",
    ]);
    for (e, user) in ev.iter().zip(["admin", "root"]) {
        assert_eq!(get(e, "event.action"), Some("login-failed"));
        assert_eq!(get(e, "user.name"), Some(user));
        assert_eq!(get(e, "source.ip"), Some("192.0.2.50"));
        assert_eq!(get(e, "vigie.auth.service"), Some("http"));
    }
}

#[test]
fn nginx_mail_proxy_logins_name_user_service_and_upstream() {
    // nginx src/mail/ngx_mail_auth_http_module.c / ngx_mail_proxy_module.c formats.
    let ev = events(&[
        "2024/03/24 02:04:31 [info] 123#0: *5 client 192.0.2.60:50123 connected to 0.0.0.0:143",
        "2024/03/24 02:04:32 [info] 123#0: *5 client login failed: \"Authentication failed\" while in http auth state, client: 192.0.2.60, server: 0.0.0.0:143, login: \"bob@example.org\"",
        "2024/03/24 02:09:32 [info] 123#0: *6 proxied session done, client: 192.0.2.61, server: 0.0.0.0:993, login: \"bob@example.org\", upstream: 10.0.0.5:143, bytes from/to client:120/3456, bytes from/to upstream:3456/120",
    ]);
    assert_eq!(get(&ev[0], "source.ip"), Some("192.0.2.60"));
    assert_eq!(get(&ev[0], "url.domain"), None);
    assert_eq!(get(&ev[1], "event.action"), Some("login-failed"));
    assert_eq!(get(&ev[1], "user.name"), Some("bob@example.org"));
    assert_eq!(get(&ev[1], "source.ip"), Some("192.0.2.60"));
    assert_eq!(get(&ev[1], "vigie.auth.service"), Some("imap"));
    assert_eq!(get(&ev[1], "destination.port"), Some("143"));
    assert_eq!(get(&ev[2], "destination.address"), Some("10.0.0.5:143"));
    assert_eq!(get(&ev[2], "network.bytes_out"), Some("3456"));
}

#[test]
fn access_logs_wrapped_in_syslog_stay_access_events() {
    let ev = events(&[
        "Mar 24 02:04:32 web nginx: 192.0.2.70 - - [24/Mar/2024:02:04:32 +0000] \"POST /?_task=login HTTP/1.1\" 401 512 \"-\" \"curl/8.0\"",
        "Mar 24 02:04:33 web apache2[912]: 192.0.2.71 - - [24/Mar/2024:02:04:33 +0000] \"GET /horde/login.php HTTP/1.1\" 200 1024 \"-\" \"Mozilla/5.0\"",
    ]);
    assert_eq!(get(&ev[0], "event.dataset"), Some("nginx.access"));
    assert_eq!(get(&ev[0], "source.ip"), Some("192.0.2.70"));
    assert_eq!(get(&ev[0], "host.name"), Some("web"));
    assert_eq!(get(&ev[1], "event.dataset"), Some("apache.access"));
    assert_eq!(get(&ev[1], "http.response.status_code"), Some("200"));
}
