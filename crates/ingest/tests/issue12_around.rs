//! Issue 12, "what sits around the servers": web access and error logs
//! wrapped in syslog keep their datasets, web servers' basic-auth failures are
//! authentication failures with user and address, Exim's `rejected RCPT`
//! recipient is `email.to.address`, and content filters' verdicts join their
//! MTA's lines by queue id and Message-ID. Each line cites the source of its
//! shape.

use vigie_event::{Event, Field, Timestamp, Value};
use vigie_ingest::parse::timestamp::TimeContext;
use vigie_ingest::parse::{LineContext, classify, parse_line};

type Fields = std::collections::BTreeMap<&'static str, String>;

/// The events of `lines` (one file, in order) as `field → text` maps; syslog
/// years resolve against 2026-12-01, zone-less times are UTC.
fn events(lines: &[&str]) -> Vec<Fields> {
    let mut time = TimeContext::new(
        jiff::tz::TimeZone::UTC,
        Timestamp::from_unix(1_795_996_800, 0),
    );
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let format = classify(line).expect("a known shape");
        let mut ctx = LineContext {
            path: "issue12-around",
            number: i as u64 + 1,
            time: &mut time,
        };
        parse_line(format, line, &mut ctx, &mut |e: &Event<'_>| {
            let mut fields = Fields::new();
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

fn get<'m>(e: &'m Fields, f: &str) -> Option<&'m str> {
    e.get(f).map(String::as_str)
}

#[test]
fn access_lines_in_every_syslog_shape_stay_access_events() {
    // nginx src/core/ngx_syslog.c `ngx_syslog_add_header`: `<PRI>TIME HOST TAG: `
    // (`nohostname` drops HOST; `tag=` renames the tag); Apache through
    // `CustomLog "|/usr/bin/logger -t httpd"`; rsyslog's RFC 5424 and ISO templates.
    let ev = events(&[
        "<190>Mar 24 02:04:32 web nginx: 192.0.2.70 - - [24/Mar/2024:02:04:32 +0000] \"POST /?_task=login HTTP/1.1\" 401 512 \"-\" \"curl/8.0\"",
        "<190>Mar 24 02:04:32 nginx_access: 192.0.2.72 - - [24/Mar/2024:02:04:32 +0000] \"GET /SOGo/ HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"",
        "<165>1 2024-03-24T02:04:33.000Z web httpd 912 - - 192.0.2.71 - - [24/Mar/2024:02:04:33 +0000] \"GET /horde/login.php HTTP/1.1\" 200 1024 \"-\" \"Mozilla/5.0\"",
        "2024-03-24T02:04:34+00:00 web apache2[912]: 192.0.2.73 - bob [24/Mar/2024:02:04:34 +0000] \"GET /webmail/ HTTP/1.1\" 200 2048 \"-\" \"Mozilla/5.0\"",
    ]);
    let want = [
        ("nginx.access", "192.0.2.70"),
        ("nginx.access", "192.0.2.72"),
        ("apache.access", "192.0.2.71"),
        ("apache.access", "192.0.2.73"),
    ];
    for (e, (dataset, ip)) in ev.iter().zip(want) {
        assert_eq!(get(e, "event.dataset"), Some(dataset), "{e:?}");
        assert_eq!(get(e, "source.ip"), Some(ip), "{e:?}");
    }
    // The access line's own time, not the relay's.
    assert_eq!(get(&ev[3], "@timestamp"), Some("2024-03-24T02:04:34Z"));
}

#[test]
fn nginx_basic_auth_failures_through_syslog_name_user_and_address() {
    // ngx_http_auth_basic_module.c: `user "%V": password mismatch` and
    // `user "%V" was not found in "%s"`; through `error_log syslog:` the line
    // keeps nginx's own `2024/03/24 02:04:32 [error] pid#tid: ` prefix
    // (ngx_log.c passes `errstr` with the time to `ngx_syslog_writer`).
    let ev = events(&[
        "<187>Mar 24 02:04:32 web nginx: 2024/03/24 02:04:32 [error] 123#123: *1 user \"admin\": password mismatch, client: 192.0.2.50, server: mail.example.org, request: \"GET /admin HTTP/1.1\", host: \"mail.example.org\"",
        "Mar 24 02:04:33 web nginx: 2024/03/24 02:04:33 [error] 123#123: *2 user \"root\" was not found in \"/etc/nginx/.htpasswd\", client: 192.0.2.51, server: mail.example.org, request: \"GET /admin HTTP/1.1\", host: \"mail.example.org\"",
    ]);
    for (e, (user, ip)) in ev
        .iter()
        .zip([("admin", "192.0.2.50"), ("root", "192.0.2.51")])
    {
        assert_eq!(get(e, "event.dataset"), Some("nginx.error"));
        assert_eq!(get(e, "event.category"), Some("authentication"));
        assert_eq!(get(e, "event.action"), Some("login-failed"));
        assert_eq!(get(e, "user.name"), Some(user));
        assert_eq!(get(e, "source.ip"), Some(ip));
        assert_eq!(get(e, "vigie.auth.failure_kind"), Some("credentials"));
        assert_eq!(get(e, "host.name"), Some("web"));
    }
}

#[test]
fn apache_ah01617_and_ah01618_in_the_error_log_and_through_syslog() {
    // httpd modules/aaa/mod_auth_basic.c: APLOGNO(01617) `user %s: authentication
    // failure for "%s": Password Mismatch`, APLOGNO(01618) `user %s not found: %s`;
    // server/log.c `do_errorlog_default` leaves the time out when `using_syslog`.
    let ev = events(&[
        "[Sun Mar 24 02:04:32.123456 2024] [auth_basic:error] [pid 912:tid 140] [client 192.0.2.9:51500] AH01617: user admin: authentication failure for \"/admin\": Password Mismatch",
        "[Sun Mar 24 02:04:33.000001 2024] [auth_basic:error] [pid 912:tid 141] [client 192.0.2.9:51502] AH01618: user ghost not found: /admin",
        "Mar 24 02:04:34 web httpd[912]: [auth_basic:error] [pid 912:tid 142] [client 192.0.2.10:51504] AH01617: user bob: authentication failure for \"/webmail/\": Password Mismatch",
        "Mar 24 02:04:35 web apache2[912]: [auth_basic:error] [pid 912:tid 143] [client [2001:db8::7]:51506] AH01618: user eve not found: /webmail/",
    ]);
    let want = [
        ("admin", "192.0.2.9", "/admin"),
        ("ghost", "192.0.2.9", "/admin"),
        ("bob", "192.0.2.10", "/webmail/"),
        ("eve", "2001:db8::7", "/webmail/"),
    ];
    for (e, (user, ip, path)) in ev.iter().zip(want) {
        assert_eq!(get(e, "event.dataset"), Some("apache.error"), "{e:?}");
        assert_eq!(get(e, "event.action"), Some("login-failed"), "{e:?}");
        assert_eq!(get(e, "user.name"), Some(user));
        assert_eq!(get(e, "source.ip"), Some(ip));
        assert_eq!(get(e, "url.path"), Some(path));
        assert_eq!(get(e, "vigie.auth.service"), Some("http"));
    }
    assert_eq!(get(&ev[2], "@timestamp"), Some("2026-03-24T02:04:34Z"));
    assert_eq!(get(&ev[2], "process.pid"), Some("912"));
}

#[test]
fn exim_rejected_rcpt_recipient_is_email_to_address() {
    // Exim's own test suite (testdata/corpus/logs/exim-testsuite, GPL-2.0) and
    // CrowdSec hub's exim-spam test log, as Exim writes them in mainlog and in syslog.
    let ev = events(&[
        "1999-03-02 09:44:33 H=localhost (the.local.host.name) [127.0.0.1] X=TLS1.x:ke-RSA-AES256-SHAnnn:xxx F=<> rejected RCPT <the.local.host.name-dddddddd-testing@test.ex>: relay not permitted",
        "1999-03-02 09:44:33 U=CALLER F=<sender@domain1> rejected RCPT <other@domain2>",
        "2022-06-29 18:38:43 H=tata.test.biz [1.2.3.5]:41584 X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no F=<nico@test.biz> rejected RCPT <titi@alpacas.com.au>: Sender verify failed",
        "Jun 29 18:39:43 mx exim[4242]: [4242] H=(smtpclient.test) [1.2.3.5]:17125 F=<info@toto.com.au> rejected RCPT <tutu@titi.com.au>: SMTP AUTH is required for message submission on port 587",
    ]);
    let want = [
        "the.local.host.name-dddddddd-testing@test.ex",
        "other@domain2",
        "titi@alpacas.com.au",
        "tutu@titi.com.au",
    ];
    for (e, to) in ev.iter().zip(want) {
        assert_eq!(get(e, "event.dataset"), Some("exim"), "{e:?}");
        assert_eq!(get(e, "email.to.address"), Some(to), "{e:?}");
    }
    assert_eq!(get(&ev[2], "source.ip"), Some("1.2.3.5"));
    assert_eq!(get(&ev[3], "email.from.address"), Some("info@toto.com.au"));
}

#[test]
fn content_filter_verdicts_join_their_mta_lines_by_queue_id_and_message_id() {
    // Postfix cleanup's `message-id=` line, then amavisd-new's main log entry
    // (Amavis.pm `$log_short_templ`) and rspamd's task line (cfg_utils.cxx
    // `log_format_str`) for the same queue ids and Message-ID.
    let ev = events(&[
        "Oct 23 21:28:55 mx postfix/cleanup[2064118]: B70414E296B: message-id=<202410231228.49NCSOlv456811@mail.example.org>",
        "Oct 23 21:28:59 mx amavis[2022050]: (2022050-03) Passed CLEAN {RelayedInbound}, [192.0.2.32]:43215 [192.0.2.32] <eicar@example.org> -> <user1@example.net>, Queue-ID: B70414E296B, Message-ID: <202410231228.49NCSOlv456811@mail.example.org>, mail_id: 3AcQKIKbmowb, Hits: -4.216, size: 2851, queued_as: E184C4E29BF, 3022 ms",
        "Oct 23 21:28:59 mx rspamd[27538]: <8ae27d>; proxy; rspamd_task_write_log: id: <202410231228.49NCSOlv456811@mail.example.org>, qid: <B70414E296B>, ip: 192.0.2.32, from: <eicar@example.org>, (default: F (no action): [-0.64/20.00] [BAYES_HAM(-3.00){100.00%;}]), len: 2851, time: 745.583ms, dns req: 47, digest: <b1035f4fb07162ba88053d9e38df9c93>, rcpts: <user1@example.net>, ",
    ]);
    for e in &ev {
        assert_eq!(get(e, "session.id"), Some("B70414E296B"), "{e:?}");
        assert_eq!(
            get(e, "email.message_id"),
            Some("202410231228.49NCSOlv456811@mail.example.org")
        );
    }
    assert_eq!(get(&ev[1], "vigie.filter.verdict"), Some("clean"));
    assert_eq!(get(&ev[1], "event.outcome"), Some("success"));
    assert_eq!(get(&ev[2], "rule.name"), Some("BAYES_HAM"));
    assert_eq!(get(&ev[2], "email.to.address"), Some("user1@example.net"));
}
