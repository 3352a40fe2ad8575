//! Dovecot 2.2–2.4: logins and their failures (`imap-login`, `pop3-login`,
//! `auth`, `auth-worker`), logouts with byte counters, LMTP deliveries,
//! ManageSieve sessions and Pigeonhole `sieve:` actions, whether written by
//! Dovecot's own `log_path` or through syslog (`dovecot: imap-login: …`).

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::pam;
use super::text::{self, after, contains, kv, number};

/// Whether a syslog tag (or Dovecot's own log prefix) is a Dovecot process.
pub fn is_dovecot_program(program: &str) -> bool {
    is_service(service_base(program))
}

/// Dovecot's service and process names (one `match`, compiled to a length
/// switch and one comparison, on every Dovecot line).
fn is_service(base: &str) -> bool {
    matches!(
        base,
        "dovecot"
            | "dovecot-auth"
            | "imap-login"
            | "pop3-login"
            | "submission-login"
            | "managesieve-login"
            | "lmtp-login"
            | "auth"
            | "auth-worker"
            | "imap"
            | "pop3"
            | "lmtp"
            | "lda"
            | "dovecot-lda"
            | "deliver"
            | "managesieve"
            | "submission"
            | "master"
            | "config"
            | "indexer"
            | "indexer-worker"
            | "doveadm"
            | "anvil"
            | "log"
            | "stats"
            | "quota-status"
            | "imap-hibernate"
            | "replicator"
            | "aggregator"
    )
}

/// `imap(bob)<321><sess>` → `imap`; `auth-worker(12182)` → `auth-worker`.
fn service_base(program: &str) -> &str {
    // Names are a few bytes long: a plain loop beats a vectorised search's set-up.
    let end = program
        .bytes()
        .position(|b| matches!(b, b'(' | b'<' | b'['))
        .unwrap_or(program.len());
    &program[..end]
}

/// Interprets one Dovecot message; `program` is the syslog tag or log prefix.
pub fn parse<'a>(program: &'a str, message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Dovecot;
    let (mut program, mut message) = (program, message);
    let mut base = service_base(program);
    // Through syslog the tag is `dovecot` and the service starts the message,
    // sometimes twice (`dovecot: dovecot: auth(default): …`).
    while base == "dovecot" {
        match text::split_once(message, ": ") {
            Some((service, rest)) if is_dovecot_program(service) && !service.contains(' ') => {
                program = service;
                message = rest;
                base = service_base(program);
            }
            _ => break,
        }
    }
    // 2.4 auth workers: `request [12]: Info: sql: …`.
    let message = message
        .strip_prefix("request [")
        .and_then(|m| text::split_once(m, "]: "))
        .map_or(message, |(_, rest)| rest);
    let message = strip_level(message, event);
    event.process_name = Some(program.into());
    event.message = Some(message.into());
    let (user, session) = process_identity(program);
    // 2.4 names the client in the prefix: `auth(user,ip[,mech])`,
    // `auth-worker(user,ip)<pid><session>`.
    if let Some(user) = user {
        let mut parts = user.split(',');
        let name = parts.next().unwrap_or(user);
        if !name.is_empty() && name != "?" {
            event.user_name = Some(name.into());
        }
        if let Some(ip) = parts.next() {
            event.set_source(ip);
        }
    }
    if let Some(session) = session {
        event.session_id = Some(session.into());
    }
    // A custom `mail_log_prefix` puts `session=<id>` first in the message.
    let message = match message.strip_prefix("session=") {
        Some(rest) => {
            let (id, rest) = text::word(rest);
            event.session_id = Some(strip_angles(id.trim_end_matches(':')).into());
            strip_level(rest, event)
        }
        None => message,
    };
    if let Some(proto) = base.strip_suffix("-login") {
        event.protocol = Some(proto.into());
        login_process(message, event);
    } else if base.starts_with("auth") || base == "dovecot-auth" {
        auth_process(message, event);
    } else if matches!(base, "imap" | "pop3" | "managesieve" | "submission") {
        event.protocol = Some(base.into());
        mail_process(message, event);
    } else if matches!(base, "lmtp" | "lda" | "dovecot-lda" | "deliver") {
        event.protocol = Some("lmtp".into());
        delivery(message, event);
    }
    true
}

/// Removes Dovecot's `Info: ` / `Error: ` … prefix into `log.level`.
fn strip_level<'a>(message: &'a str, event: &mut Event<'a>) -> &'a str {
    // Most messages start with `Info: `: the first byte picks the one candidate.
    let level = match message.as_bytes().first() {
        Some(b'I') => "Info",
        Some(b'W') => "Warning",
        Some(b'E') => "Error",
        Some(b'F') => "Fatal",
        Some(b'P') => "Panic",
        Some(b'D') => "Debug",
        _ => return message,
    };
    match message
        .strip_prefix(level)
        .and_then(|r| r.strip_prefix(": "))
    {
        Some(rest) => {
            event.level = Some(level.into());
            rest
        }
        None => message,
    }
}

/// The user and session of `imap(bob@lab.test)<321><7BuZ211hq8h/AABD>`.
fn process_identity(program: &str) -> (Option<&str>, Option<&str>) {
    let user = program
        .find('(')
        .and_then(|open| {
            program[open + 1..]
                .find(')')
                .map(|close| &program[open + 1..open + 1 + close])
        })
        .filter(|u| !u.is_empty() && !u.bytes().all(|b| b.is_ascii_digit()) && *u != "default");
    let session = program.rfind('<').and_then(|open| {
        let s = program[open + 1..].strip_suffix('>')?;
        (!s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
    });
    (user, session)
}

/// Reads `user=`, `rip=`, `lip=`, `session=`, `method=` of a login-process line.
fn connection_fields<'a>(message: &'a str, event: &mut Event<'a>) {
    if let Some(user) = kv(message, "user=").filter(|u| !u.is_empty()) {
        event.user_name = Some(user.into());
    }
    if let Some(rip) = kv(message, "rip=") {
        event.set_source(rip);
    }
    if let Some(rport) = kv(message, "rport=").and_then(|p| p.parse().ok()) {
        event.source_port = Some(rport);
    }
    if let Some(lip) = kv(message, "lip=") {
        event.destination_ip = vigie_event::parse_ip(lip);
    }
    if let Some(session) = kv(message, "session=") {
        event.session_id = Some(session.into());
    }
}

fn login_process<'a>(message: &'a str, event: &mut Event<'a>) {
    connection_fields(message, event);
    // `Login:` up to 2.3, `Logged in:` from 2.4.
    if message.starts_with("Login: ") || message.starts_with("Logged in: ") {
        event.classify(Category::Authentication, "login", Outcome::Success);
    } else if let Some(reason) = auth_failure_reason(message) {
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some(reason.into());
    } else if message.starts_with("Disconnected")
        || message.starts_with("Aborted login")
        || message.starts_with("Login aborted")
    {
        // Leaving before authenticating (scanners, TLS probes) is a failed
        // connection, not a failed login: no credential was tried.
        const PREAUTH: [&str; 4] = [
            "no auth attempts",
            "didn't finish SASL auth",
            "TLS handshake",
            "tls_handshake",
        ];
        let preauth = PREAUTH.iter().any(|m| contains(message, m));
        let (action, outcome) = if preauth {
            ("preauth-disconnect", Outcome::Failure)
        } else {
            ("disconnect", Outcome::Unknown)
        };
        event.classify(Category::Network, action, outcome);
        event.reason = disconnect_reason(message).map(Into::into);
    }
}

/// The parenthesised reason of a failed login-process line, if it failed authentication.
fn auth_failure_reason(message: &str) -> Option<&str> {
    const MARKERS: [&str; 4] = [
        "auth failed",
        "tried to use disallowed",
        "tried to use disabled",
        "proxy dest auth failed",
    ];
    // Most login lines are not failures: one short-circuiting pass first.
    if !MARKERS.iter().any(|m| contains(message, m)) {
        return None;
    }
    let at = MARKERS
        .iter()
        .filter_map(|m| text::find(message, m))
        .min()?;
    // The parenthesis that holds the marker: an earlier one may be the
    // I/O error's own (`read(size=988) failed: … (auth failed, 1 attempts)`).
    let open = message[..at].rfind('(');
    let close = message[at..].find(')').map(|c| at + c);
    match (open, close) {
        (Some(open), Some(close)) => Some(&message[open + 1..close]),
        _ => Some("auth failed"),
    }
}

fn disconnect_reason(message: &str) -> Option<&str> {
    let open = message.find('(')?;
    let close = open + message[open..].find(')')?;
    Some(&message[open + 1..close])
}

fn auth_process<'a>(message: &'a str, event: &mut Event<'a>) {
    if pam::parse(message, event) {
        event.dataset = Dataset::Dovecot;
        return;
    }
    // `driver(user,ip[,master][,<session>]): reason`, possibly after a worker
    // prefix; or, from 2.4, `driver: reason` after a prefix that named the client.
    let Some((user, ip, session, reason)) = passdb_lookup(message).or_else(|| {
        let reason = text::split_once(message, ": ").map_or(message, |(_, r)| r);
        event.source_ip.map(|_| ("", "", None, reason))
    }) else {
        return;
    };
    // Master user (`passdb(master,ip,master,<sess>): Master user logging in
    // as target`): the account opened is the target; the master is kept apart.
    if let Some(target) = reason.strip_prefix("Master user logging in as ") {
        event.auth_master_user = if user.is_empty() {
            event.user_name.take()
        } else {
            Some(user.into())
        };
        event.user_name = Some(target.trim().into());
        if !ip.is_empty() {
            event.set_source(ip);
        }
        if let Some(s) = session {
            event.session_id = Some(s.into());
        }
        event.classify(Category::Authentication, "login-master", Outcome::Success);
        return;
    }
    if ip.is_empty() {
        auth_verdict(reason, event);
        return;
    }
    if !user.is_empty() {
        event.user_name = Some(user.into());
    }
    event.set_source(ip);
    if let Some(s) = session {
        event.session_id = Some(s.into());
    }
    auth_verdict(reason, event);
}

/// Classifies an auth process's verdict; the reason stops before the
/// password Dovecot echoes with `auth_verbose_passwords` (`(given password: …)`).
fn auth_verdict<'a>(reason: &'a str, event: &mut Event<'a>) {
    const FAILURES: [&str; 7] = [
        "Password mismatch",
        "password mismatch",
        "unknown user",
        "pam_authenticate() failed",
        "Authentication failure",
        "authentication failure",
        "User not known",
    ];
    if FAILURES.iter().any(|f| contains(reason, f)) {
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        let reason = text::split_once(reason, " (given password")
            .map_or(reason, |(r, _)| r)
            .trim_end();
        event.reason = Some(reason.into());
    }
}

/// Finds `driver(user,ip[,<session>]): reason` anywhere in an auth message.
/// The user name is the client's to choose and may hold `(` or `,`: the
/// parenthesis is the one right after the driver's name, and the address and
/// session are read from the right.
fn passdb_lookup(message: &str) -> Option<(&str, &str, Option<&str>, &str)> {
    let mut search = 0;
    while let Some(rel) = message[search..].find("): ") {
        let close = search + rel;
        let found = message[search..close]
            .match_indices('(')
            .map(|(i, _)| search + i)
            .filter(|&open| is_driver_name(&message[search..open]))
            .find_map(|open| {
                // user,ip[,extra…][,<session>]: the address is the rightmost
                // field that is one (a name holding a fake one stays a name).
                let inner = &message[open + 1..close];
                let session = inner
                    .rsplit(',')
                    .next()
                    .filter(|last| last.starts_with('<'))
                    .map(strip_angles);
                let mut end = inner.len();
                while let Some(comma) = inner[..end].rfind(',') {
                    let field = &inner[comma + 1..end];
                    if vigie_event::parse_ip(field).is_some() {
                        return Some((&inner[..comma], field, session));
                    }
                    end = comma;
                }
                None
            });
        if let Some((user, ip, session)) = found {
            return Some((user, ip, session, &message[close + 3..]));
        }
        search = close + 3;
    }
    None
}

/// Whether `before` ends with a passdb driver's name (`passwd-file`, `sql`,
/// `ldap`, `pam` …): letters, digits, `-` or `_`, after a space or a colon.
fn is_driver_name(before: &str) -> bool {
    let name = before.rsplit([' ', ':']).next().unwrap_or_default();
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The mail_log plugin: `expunge: box=INBOX, uid=12, msgid=<…>, size=…`,
/// `flag_change`, `copy from INBOX: box=Archive, …`, `delete`, `save`,
/// `mailbox_create` … (event name first, then the message's fields).
fn mail_log<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    // Event names are lower case; the logouts that fill these logs are not.
    if !message.starts_with(|c: char| c.is_ascii_lowercase()) {
        return false;
    }
    let Some((head, fields)) = text::split_once(message, ": box=") else {
        return false;
    };
    let action = match head.split(' ').next().unwrap_or(head) {
        "expunge" => "message-expunge",
        "flag_change" => "message-flag-change",
        "copy" => "message-copy",
        "delete" => "message-delete",
        "undelete" => "message-undelete",
        "save" => "message-save",
        "append" => "message-append",
        "fetch" => "message-fetch",
        "mailbox_create" => "mailbox-create",
        "mailbox_delete" => "mailbox-delete",
        "mailbox_rename" => "mailbox-rename",
        _ => return false,
    };
    // `box=` may be quoted in 2.3+ when it holds separators.
    let mailbox = fields
        .strip_prefix('"')
        .and_then(|q| q.split_once('"'))
        .map_or_else(|| fields.split(',').next().unwrap_or(fields), |(b, _)| b);
    event.mailbox = Some(mailbox.into());
    event.mailbox_uid = kv(fields, "uid=").and_then(number);
    if let Some(id) = kv(fields, "msgid=") {
        event.email_message_id = Some(id.into());
    }
    event.email_size = kv(fields, "size=").and_then(number);
    event.classify(Category::Email, action, Outcome::Success);
    true
}

fn mail_process<'a>(message: &'a str, event: &mut Event<'a>) {
    if mail_log(message, event) {
        return;
    }
    // 2.3: `Disconnected: Logged out in=190 out=8493 …`; 2.2: `Connection closed in=0 out=…`;
    // ManageSieve: `bytes=116/95`; POP3: `retr=1/2345`.
    let bytes_in = kv(message, "in=").and_then(number);
    let bytes_out = kv(message, "out=").and_then(number);
    if bytes_in.is_some() || bytes_out.is_some() {
        event.bytes_in = bytes_in;
        event.bytes_out = bytes_out;
    } else if let Some((i, o)) = kv(message, "bytes=").and_then(|b| b.split_once('/')) {
        event.bytes_in = number(i);
        event.bytes_out = number(o);
    } else if let Some((_, size)) = kv(message, "retr=").and_then(|r| r.split_once('/')) {
        event.bytes_out = number(size);
    }
    if message.starts_with("Disconnected")
        || message.starts_with("Logged out")
        || message.starts_with("Connection closed")
    {
        event.classify(Category::Session, "logout", Outcome::Success);
        // The reason is the text before the counters: `Logged out`, `Connection closed`.
        let text = message.strip_prefix("Disconnected: ").unwrap_or(message);
        let before_counters = text
            .split(" in=")
            .next()
            .unwrap_or(text)
            .split(" bytes=")
            .next()
            .unwrap_or(text);
        event.reason = disconnect_reason(message)
            .or(Some(before_counters))
            .map(Into::into);
    }
}

fn delivery<'a>(message: &'a str, event: &mut Event<'a>) {
    let Some(rest) = message.strip_prefix("sieve: ").or(Some(message)) else {
        return;
    };
    if let Some(id) = kv(rest, "msgid=") {
        event.email_message_id = Some(id.into());
    }
    if let Some(target) = after(rest, "forwarded to ").or_else(|| after(rest, "redirected to ")) {
        event.classify(Category::Email, "sieve-redirect", Outcome::Success);
        event.email_to =
            Some(strip_angles(target.split_whitespace().next().unwrap_or(target)).into());
    } else if contains(rest, "saved mail to") || contains(rest, "stored mail into mailbox") {
        event.classify(Category::Email, "deliver", Outcome::Success);
    } else if contains(rest, "failed") || contains(rest, "rejected") {
        event.classify(Category::Email, "deliver", Outcome::Failure);
        event.reason = Some(rest.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(program: &'static str, message: &'static str) -> Event<'static> {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(program, message, &mut e));
        e
    }

    #[test]
    fn a_user_name_with_parentheses_or_commas_is_the_clients_whole_name() {
        // The client chooses the name: `junk(alice@lab.test` must not become
        // alice's failure, nor `a(b)c` a phantom `b)c` account.
        for (program, message, user, ip) in [
            (
                "auth",
                "Info: passwd-file(junk(alice@lab.test,192.0.2.6,<s1>): unknown user",
                "junk(alice@lab.test",
                "192.0.2.6",
            ),
            (
                "auth-worker(123)",
                "Info: sql(a(b)c@lab.test,192.0.2.7): unknown user",
                "a(b)c@lab.test",
                "192.0.2.7",
            ),
            (
                "auth",
                "Info: passwd-file(x,y@lab.test,192.0.2.8,<s2>): Password mismatch",
                "x,y@lab.test",
                "192.0.2.8",
            ),
            (
                "auth",
                "Info: passwd-file(evil,198.51.100.1,x,192.0.2.9,<s3>): Password mismatch",
                "evil,198.51.100.1,x",
                "192.0.2.9",
            ),
        ] {
            let e = parse_line(program, message);
            assert!(e.is_authentication_failure(), "{message}");
            assert_eq!(
                (e.user_name.as_deref(), e.source_ip.map(|i| i.to_string())),
                (Some(user), Some(ip.to_string())),
                "{message}"
            );
        }
    }

    #[test]
    fn login_success_failure_and_logout() {
        let e = parse_line(
            "imap-login",
            "Info: Login: user=<bob@lab.test>, method=PLAIN, rip=127.0.0.67, lip=127.0.0.1, mpid=321, session=<7BuZ211hq8h/AABD>",
        );
        assert_eq!(
            (e.action, e.user_name.as_deref(), e.session_id.as_deref()),
            (
                Some("login"),
                Some("bob@lab.test"),
                Some("7BuZ211hq8h/AABD")
            )
        );
        let e = parse_line(
            "dovecot",
            "imap-login: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<test>, method=PLAIN, rip=192.0.2.241, lip=203.0.113.104, TLS, session=<9ZHq02g3J8S60fan>",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (e.user_name.as_deref(), e.source_ip.map(|i| i.to_string())),
            (Some("test"), Some("192.0.2.241".into()))
        );
        let e = parse_line(
            "imap(bob@lab.test)<321><7BuZ211hq8h/AABD>",
            "Info: Disconnected: Logged out in=190 out=8493 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=4 body_bytes=5971",
        );
        assert_eq!(
            (e.action, e.bytes_in, e.bytes_out),
            (Some("logout"), Some(190), Some(8493))
        );
        let e = parse_line(
            "pop3-login",
            "Info: Disconnected (no auth attempts in 10 secs): user=<>, rip=176.61.137.100, TLS handshaking",
        );
        assert!(!e.is_authentication_failure());
        assert_eq!(e.user_name, None);
    }

    #[test]
    fn auth_worker_failures_and_sieve_redirects() {
        let e = parse_line(
            "auth",
            "Info: passwd-file(carol@lab.test,127.0.0.67,<TOOB2V1huY9/AABD>): Password mismatch",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(e.user_name.as_deref(), Some("carol@lab.test"));
        let e = parse_line(
            "dovecot",
            "auth-worker(5787): conn unix:auth-worker (pid=27359,uid=97): auth-worker<55>: pam(webapps,192.0.2.7): unknown user",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(e.user_name.as_deref(), Some("webapps"));
        let e = parse_line(
            "lmtp(alice@lab.test)<32703><uMhlHlRYC2u/fwAAg+zDdQ>",
            "Info: sieve: msgid=<1795@lab.test>: redirect action: forwarded to <collector@exfil.example>",
        );
        assert_eq!(
            (e.action, e.email_to.as_deref(), e.user_name.as_deref()),
            (
                Some("sieve-redirect"),
                Some("collector@exfil.example"),
                Some("alice@lab.test")
            )
        );
    }
}
