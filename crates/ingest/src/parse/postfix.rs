//! Postfix: smtpd connections, SASL logins and their failures, `client=`,
//! cleanup `message-id`, qmgr `from=`/`size=`, delivery `to=`/`relay=`/`status=`,
//! `pickup`, and every kind of reject (smtpd, postscreen).

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, after, contains, host_bracket, kv, number};

/// Interprets one Postfix message; `program` is the tag (`postfix/submission/smtpd`).
pub fn parse<'a>(program: &'a str, message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Postfix;
    event.protocol = Some("smtp".into());
    let component = program.rsplit('/').next().unwrap_or(program);
    let (queue_id, body) = split_queue_id(message);
    if let Some(id) = queue_id {
        event.session_id = Some(id.into());
    }
    if let Some(rest) = body.strip_prefix("warning: ") {
        warning(rest, event);
    } else if let Some(rest) = body
        .strip_prefix("reject: ")
        .or_else(|| body.strip_prefix("reject_warning: "))
    {
        reject(rest, event, body.starts_with("reject_warning"));
    } else if let Some(rest) = body.strip_prefix("milter-reject: ") {
        // `milter-reject: END-OF-MESSAGE from host[ip]: 5.7.1 …; from=<a> to=<b> proto=ESMTP helo=<h>`
        reject(rest, event, false);
    } else if postscreen(body, event) {
        // Classified there.
    } else if let Some(rest) = body.strip_prefix("connect from ") {
        peer(rest, event);
        event.classify(Category::Network, "connect", Outcome::Success);
    } else if let Some(rest) = body.strip_prefix("disconnect from ") {
        peer(rest, event);
        event.classify(Category::Network, "disconnect", Outcome::Unknown);
        // `auth=0/1`: one AUTH command, none accepted.
        if let Some((ok, tried)) = kv(rest, "auth=").and_then(|a| a.split_once('/'))
            && ok == "0"
            && tried != "0"
        {
            event.reason = Some("auth=0/1: authentication attempted and refused".into());
            event.outcome = Some(Outcome::Failure);
        }
    } else if let Some(client) = kv(body, "client=").filter(|_| body.starts_with("client=")) {
        peer(client, event);
        match sasl_username(body) {
            Some(user) => {
                event.user_name = Some(user.into());
                event.classify(Category::Authentication, "login", Outcome::Success);
            }
            None => event.classify(Category::Email, "smtp-client", Outcome::Success),
        }
    } else if body.starts_with("message-id=") {
        if let Some(id) = kv(body, "message-id=") {
            event.email_message_id = Some(id.into());
        }
        event.classify(Category::Email, "message-id", Outcome::Success);
    } else if body.starts_with("from=") {
        event.email_from = kv(body, "from=").map(Into::into);
        event.email_size = kv(body, "size=").and_then(number);
        event.classify(Category::Email, "queued", Outcome::Success);
    } else if body.starts_with("uid=") {
        event.email_from = kv(body, "from=").map(Into::into);
        event.classify(Category::Email, "submit", Outcome::Success);
    } else if body.starts_with("to=") {
        delivery(component, body, event);
    } else if body == "removed" {
        event.classify(Category::Email, "removed", Outcome::Success);
    } else {
        protocol_trouble(body, event);
    }
    true
}

/// `3A2B6E003F: rest` → (`3A2B6E003F`, `rest`); `NOQUEUE: ` counts as no id.
fn split_queue_id(message: &str) -> (Option<&str>, &str) {
    if let Some((id, rest)) = text::split_once(message, ": ") {
        if id == "NOQUEUE" {
            return (None, rest);
        }
        let is_id =
            id.len() >= 6 && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if is_id
            && id.bytes().any(|b| b.is_ascii_digit())
            && id.bytes().all(|b| !b.is_ascii_lowercase() || id.len() > 12)
        {
            return (Some(id), rest);
        }
    }
    (None, message)
}

/// `name[address]:port` at the start of `text` → `source.*`.
fn peer<'a>(text: &'a str, event: &mut Event<'a>) {
    let token = text
        .split([' ', ','])
        .next()
        .unwrap_or(text)
        .trim_end_matches(':');
    if let Some((name, address, port)) = host_bracket(token) {
        event.set_source(address);
        if !name.is_empty() && name != "unknown" {
            event.source_domain = Some(name.into());
        }
        event.source_port = port;
    }
}

/// The SASL user name of a `client=` or `authentication failed` line:
/// Postfix's smtpd writes it as given, after `, sasl_username=`, followed
/// only by `, sasl_sender=` when there is one (smtpd.c), so a name with
/// spaces, commas or brackets (`=cmd|' /C calc'!A0`, `+SUM(1)`, `<script>`)
/// is read whole, not cut at the first separator.
fn sasl_username(text: &str) -> Option<&str> {
    const KEY: &str = ", sasl_username=";
    let start = text.find(KEY)? + KEY.len();
    let rest = &text[start..];
    let end = rest.rfind(", sasl_sender=").unwrap_or(rest.len());
    Some(rest[..end].trim_end()).filter(|user| !user.is_empty())
}

fn warning<'a>(rest: &'a str, event: &mut Event<'a>) {
    // `host[ip]: SASL LOGIN authentication failed: UGFzc3dvcmQ6[, sasl_username=x]`
    if let Some(sasl) = after(rest, ": SASL ")
        && contains(sasl, "authentication failed")
    {
        peer(rest, event);
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some(sasl.into());
        if let Some(user) = sasl_username(sasl) {
            event.user_name = Some(user.into());
        }
        return;
    }
    if let Some(from) = after(rest, " from ") {
        peer(from, event);
    } else {
        peer(rest, event);
    }
    if contains(rest, "rate limit exceeded") {
        event.classify(Category::Network, "rate-limit", Outcome::Failure);
        event.reason = Some(rest.into());
    } else if contains(rest, "non-SMTP command")
        || contains(rest, "hostname") && contains(rest, "does not resolve")
    {
        event.classify(Category::Network, "protocol-violation", Outcome::Failure);
        event.reason = Some(rest.into());
    }
}

/// `RCPT from host[ip]: 554 5.7.1 <x>: Relay access denied; from=<a> to=<b> proto=ESMTP helo=<h>`
fn reject<'a>(rest: &'a str, event: &mut Event<'a>, warning_only: bool) {
    if let Some(from) = after(rest, " from ") {
        peer(from, event);
        if let Some((_, reason)) =
            text::split_once(from, "]: ").or_else(|| text::split_once(from, ": "))
        {
            let reason = reason.split("; from=").next().unwrap_or(reason);
            event.reason = Some(reason.into());
        }
    }
    event.email_from = kv(rest, "from=").map(Into::into);
    event.email_to = kv(rest, "to=").map(Into::into);
    let outcome = if warning_only {
        Outcome::Unknown
    } else {
        Outcome::Failure
    };
    event.classify(Category::Network, "reject", outcome);
}

/// `to=<x>, relay=…, delay=…, dsn=2.0.0, status=sent (250 …)`
fn delivery<'a>(component: &str, body: &'a str, event: &mut Event<'a>) {
    event.email_to = kv(body, "to=").map(Into::into);
    if let Some(relay) = kv(body, "relay=") {
        match host_bracket(relay) {
            Some((_, address, port)) if vigie_event::parse_ip(address).is_some() => {
                event.destination_ip = vigie_event::parse_ip(address);
                event.destination_port = port;
                event.destination_address = Some(relay.into());
            }
            _ => event.destination_address = Some(relay.into()),
        }
    }
    let status = kv(body, "status=").unwrap_or_default();
    let outcome = match status {
        "sent" | "delivered" => Outcome::Success,
        "bounced" | "expired" | "undeliverable" => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    if let Some(detail) = body
        .find("status=")
        .and_then(|i| body[i..].find(' ').map(|j| &body[i + j + 1..]))
    {
        event.reason = Some(detail.trim_matches(|c| c == '(' || c == ')').into());
    }
    let action = match component {
        "smtp" => "send",
        _ => "deliver",
    };
    event.classify(Category::Email, action, outcome);
}

/// postscreen's verdicts (POSTSCREEN_README, postscreen/*.c): `CONNECT from
/// [ip]:port to [ip]:25`, `PASS NEW|OLD [ip]:port`, `HANGUP after 0.7 from
/// [ip]:port in tests after SMTP handshake`, `BARE NEWLINE from …`, `NON-SMTP
/// COMMAND from …`, `DENYLISTED|BLACKLISTED [ip]:port`, `ALLOWLISTED|WHITELISTED
/// [ip]:port`, `DISCONNECT [ip]:port` (`DNSBL rank` and `PREGREET` are
/// [`protocol_trouble`]'s).
fn postscreen<'a>(body: &'a str, event: &mut Event<'a>) -> bool {
    const VERDICTS: [(&str, &str, Outcome); 11] = [
        ("CONNECT from ", "connect", Outcome::Unknown),
        ("PASS NEW ", "postscreen-pass", Outcome::Success),
        ("PASS OLD ", "postscreen-pass", Outcome::Success),
        ("ALLOWLISTED ", "postscreen-pass", Outcome::Success),
        ("WHITELISTED ", "postscreen-pass", Outcome::Success),
        ("DENYLISTED ", "blocklisted", Outcome::Failure),
        ("BLACKLISTED ", "blocklisted", Outcome::Failure),
        ("HANGUP ", "hangup", Outcome::Failure),
        ("BARE NEWLINE ", "protocol-violation", Outcome::Failure),
        ("NON-SMTP COMMAND ", "protocol-violation", Outcome::Failure),
        ("DISCONNECT ", "disconnect", Outcome::Unknown),
    ];
    let Some((_, action, outcome)) = VERDICTS.iter().find(|(m, _, _)| body.starts_with(m)) else {
        return false;
    };
    if let Some(at) = body.find('[') {
        peer(&body[at..], event);
    }
    event.classify(Category::Network, action, *outcome);
    if *outcome == Outcome::Failure {
        event.reason = Some(body.into());
    }
    true
}

/// Connection-level trouble fail2ban and admins watch: `lost connection after AUTH`,
/// `too many errors after RCPT`, `improper command pipelining`, postscreen verdicts.
fn protocol_trouble<'a>(body: &'a str, event: &mut Event<'a>) {
    const TROUBLE: [(&str, &str); 8] = [
        ("lost connection after ", "lost-connection"),
        ("timeout after ", "timeout"),
        ("too many errors after ", "too-many-errors"),
        ("improper command pipelining after ", "protocol-violation"),
        ("COMMAND TIME LIMIT", "protocol-violation"),
        ("COMMAND PIPELINING", "protocol-violation"),
        ("PREGREET ", "protocol-violation"),
        ("DNSBL rank ", "dnsbl-listed"),
    ];
    for (marker, action) in TROUBLE {
        if body.starts_with(marker) {
            let peer_text = after(body, " from ")
                .or_else(|| after(body, " for "))
                .unwrap_or(body);
            let peer_text = peer_text.find('[').map_or(peer_text, |i| {
                let start = peer_text[..i].rfind(' ').map_or(0, |s| s + 1);
                &peer_text[start..]
            });
            peer(peer_text, event);
            event.classify(Category::Network, action, Outcome::Failure);
            event.reason = Some(body.into());
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(program: &'static str, message: &'static str) -> Event<'static> {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        parse(program, message, &mut e);
        e
    }

    /// A SASL user name is the attacker's text: read whole whatever it holds.
    #[test]
    fn sasl_user_names_with_separators_are_read_whole() {
        for user in [
            "+SUM(1)@x.test",
            "<script>alert(1)</script>@x.test",
            "=cmd|' /C calc'!A0@x.test",
            "a, b;c@x.test",
        ] {
            let failed = format!(
                "warning: unknown[2001:db8:bad::1]: SASL LOGIN authentication failed: authentication failure, sasl_username={user}"
            );
            let e = parse_line("postfix/smtpd", Box::leak(failed.into_boxed_str()));
            assert!(e.is_authentication_failure());
            assert_eq!(e.user_name.as_deref(), Some(user));
            let login = format!(
                "3A2B6E003F: client=unknown[127.0.0.11], sasl_method=PLAIN, sasl_username={user}, sasl_sender=x@y.test"
            );
            let e = parse_line("postfix/smtpd", Box::leak(login.into_boxed_str()));
            assert_eq!(
                (e.action, e.user_name.as_deref()),
                (Some("login"), Some(user))
            );
        }
    }

    #[test]
    fn sasl_login_failure_and_delivery() {
        let e = parse_line(
            "postfix/submission/smtpd",
            "3A2B6E003F: client=unknown[127.0.0.11], sasl_method=PLAIN, sasl_username=bob@lab.test",
        );
        assert_eq!(
            (e.action, e.user_name.as_deref(), e.session_id.as_deref()),
            (Some("login"), Some("bob@lab.test"), Some("3A2B6E003F"))
        );
        let e = parse_line(
            "postfix/smtpd",
            "warning: unknown[82.221.106.233]: SASL login authentication failed: UGFzc3dvcmQ6",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(e.source_ip.unwrap().to_string(), "82.221.106.233");
        let e = parse_line(
            "postfix/smtp",
            "82B8EE0034: to=<collector@exfil.example>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.01, delays=0/0.01/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
        );
        assert_eq!(
            (e.action, e.outcome, e.email_to.as_deref()),
            (
                Some("send"),
                Some(Outcome::Success),
                Some("collector@exfil.example")
            )
        );
        assert_eq!(e.destination_port, Some(2525));
        let e = parse_line(
            "postfix/qmgr",
            "82B8EE0034: from=<carol@lab.test>, size=1234, nrcpt=1 (queue active)",
        );
        assert_eq!(
            (e.email_from.as_deref(), e.email_size),
            (Some("carol@lab.test"), Some(1234))
        );
    }

    #[test]
    fn postscreen_verdicts_and_milter_rejects() {
        let e = parse_line("postfix/postscreen", "PASS NEW [192.0.2.1]:52133");
        assert_eq!(
            (e.action, e.source_ip.map(|i| i.to_string()), e.source_port),
            (
                Some("postscreen-pass"),
                Some("192.0.2.1".into()),
                Some(52133)
            )
        );
        let e = parse_line(
            "postfix/postscreen",
            "HANGUP after 0.7 from [192.0.2.1]:52133 in tests after SMTP handshake",
        );
        assert_eq!(
            (e.action, e.outcome),
            (Some("hangup"), Some(Outcome::Failure))
        );
        let e = parse_line(
            "postfix/cleanup",
            "4A6B3E01A2: milter-reject: END-OF-MESSAGE from mx.example.com[192.0.2.7]: 5.7.1 Rejected by spam filter; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<mx.example.com>",
        );
        assert_eq!(
            (
                e.action,
                e.email_to.as_deref(),
                e.source_ip.map(|i| i.to_string())
            ),
            (
                Some("reject"),
                Some("b@example.net"),
                Some("192.0.2.7".into())
            )
        );
    }

    #[test]
    fn rejects_and_postscreen() {
        let e = parse_line(
            "postfix/smtpd",
            "NOQUEUE: reject: RCPT from unknown[192.0.2.236]: 554 5.7.1 <dom.tld>: Helo command rejected: Access denied; from=<ADMINISTRATOR@dom.tld> to=<lp@dom.tld> proto=ESMTP helo=<dom.tld>",
        );
        assert_eq!(
            (e.action, e.outcome),
            (Some("reject"), Some(Outcome::Failure))
        );
        assert_eq!(e.email_to.as_deref(), Some("lp@dom.tld"));
        let e = parse_line(
            "postfix/postscreen",
            "COMMAND TIME LIMIT from [192.0.2.77]:3608 after CONNECT",
        );
        assert_eq!(e.source_ip.unwrap().to_string(), "192.0.2.77");
        assert_eq!(e.source_port, Some(3608));
    }
}
