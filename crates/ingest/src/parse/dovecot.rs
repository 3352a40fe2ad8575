//! Dovecot 2.2–2.4: logins and their failures (`imap-login`, `pop3-login`,
//! `auth`, `auth-worker`), logouts with byte counters, LMTP deliveries,
//! ManageSieve sessions and Pigeonhole `sieve:` actions, whether written by
//! Dovecot's own `log_path` or through syslog (`dovecot: imap-login: …`).

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::pam;
use super::text::{self, after, contains, kv, number};

const SERVICES: &[&str] = &[
    "dovecot",
    "dovecot-auth",
    "imap-login",
    "pop3-login",
    "submission-login",
    "managesieve-login",
    "lmtp-login",
    "auth",
    "auth-worker",
    "imap",
    "pop3",
    "lmtp",
    "lda",
    "dovecot-lda",
    "deliver",
    "managesieve",
    "submission",
    "master",
    "config",
    "indexer",
    "indexer-worker",
    "doveadm",
    "anvil",
    "log",
    "stats",
    "quota-status",
    "imap-hibernate",
    "replicator",
    "aggregator",
];

/// Whether a syslog tag (or Dovecot's own log prefix) is a Dovecot process.
pub fn is_dovecot_program(program: &str) -> bool {
    SERVICES.contains(&service_base(program))
}

/// `imap(bob)<321><sess>` → `imap`; `auth-worker(12182)` → `auth-worker`.
fn service_base(program: &str) -> &str {
    let end = program.find(['(', '<', '[']).unwrap_or(program.len());
    &program[..end]
}

/// Interprets one Dovecot message; `program` is the syslog tag or log prefix.
pub fn parse<'a>(program: &'a str, message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Dovecot;
    let (mut program, mut message) = (program, message);
    // Through syslog the tag is `dovecot` and the service starts the message,
    // sometimes twice (`dovecot: dovecot: auth(default): …`).
    while service_base(program) == "dovecot" {
        match text::split_once(message, ": ") {
            Some((service, rest)) if is_dovecot_program(service) && !service.contains(' ') => {
                program = service;
                message = rest;
            }
            _ => break,
        }
    }
    let message = strip_level(message, event);
    event.process_name = Some(program.into());
    event.message = Some(message.into());
    let base = service_base(program);
    let (user, session) = process_identity(program);
    if let Some(user) = user {
        event.user_name = Some(user.into());
    }
    if let Some(session) = session {
        event.session_id = Some(session.into());
    }
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
    for level in ["Info", "Warning", "Error", "Fatal", "Panic", "Debug"] {
        if let Some(rest) = message
            .strip_prefix(level)
            .and_then(|r| r.strip_prefix(": "))
        {
            event.level = Some(level.into());
            return rest;
        }
    }
    message
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
    if message.starts_with("Login: ") {
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
    if !MARKERS.iter().any(|m| contains(message, m)) {
        return None;
    }
    disconnect_reason(message).or(Some("auth failed"))
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
    // `driver(user,ip[,<session>]): reason`, possibly after a worker prefix.
    let Some((user, ip, session, reason)) = passdb_lookup(message) else {
        return;
    };
    if !user.is_empty() {
        event.user_name = Some(user.into());
    }
    event.set_source(ip);
    if let Some(s) = session {
        event.session_id = Some(s.into());
    }
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
        event.reason = Some(reason.into());
    }
}

/// Finds `driver(user,ip[,<session>]): reason` anywhere in an auth message.
fn passdb_lookup(message: &str) -> Option<(&str, &str, Option<&str>, &str)> {
    let mut search = 0;
    while let Some(rel) = message[search..].find("): ") {
        let close = search + rel;
        let open = message[..close].rfind('(')?;
        let inner = &message[open + 1..close];
        let driver_ok = message[..open]
            .bytes()
            .next_back()
            .is_some_and(|b| b.is_ascii_alphanumeric());
        let mut parts = inner.splitn(3, ',');
        if let (true, Some(user), Some(ip)) = (driver_ok, parts.next(), parts.next())
            && vigie_event::parse_ip(ip).is_some()
        {
            let session = parts.next().map(strip_angles);
            return Some((user, ip, session, &message[close + 3..]));
        }
        search = close + 3;
    }
    None
}

fn mail_process<'a>(message: &'a str, event: &mut Event<'a>) {
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
