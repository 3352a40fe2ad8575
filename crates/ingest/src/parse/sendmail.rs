//! Sendmail 8 (`sendmail`, `sm-mta`, `sm-msp-queue`), from the `sm_syslog()`
//! formats of sendmail/srvrsmtp.c, deliver.c and parseaddr.c. A line starts
//! with the queue id (`u1ABCDEF012345:`) or `NOQUEUE:` when it has one:
//!
//! - `AUTH=server, relay=client.example [192.0.2.1], authid=bob, mech=PLAIN, bits=0`
//! - `AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=bob, relay=client.example [192.0.2.1]`
//! - `ruleset=check_rcpt, arg1=<x@example.org>, relay=name [ip], reject=550 5.7.1 <x@example.org>... Relaying denied`
//! - `from=<a@b>, size=1234, class=0, nrcpts=1, msgid=<…>, proto=ESMTP, daemon=MTA, relay=name [ip]`
//! - `to=<x@y>, delay=00:00:01, mailer=local, stat=Sent`
//! - `name [ip] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA`
//! - `lost input channel from name [ip] to MTA after rcpt`

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::text::{self, after, contains, kv, number, word};

/// Whether a syslog tag is Sendmail's.
pub fn is_sendmail_program(base: &str) -> bool {
    matches!(base, "sendmail" | "sm-mta" | "sm-msp-queue")
}

/// Interprets a Sendmail message (every line of a Sendmail tag is claimed).
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Sendmail;
    event.protocol = Some("smtp".into());
    let (first, after_first) = word(message);
    let body = match first.strip_suffix(':') {
        Some("NOQUEUE") => after_first,
        Some(id) if id.len() >= 8 && id.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            event.session_id = Some(id.into());
            after_first
        }
        _ => message,
    };
    relay(body, event);
    if let Some(rest) = body.strip_prefix("AUTH=server, ") {
        if let Some(user) = kv(rest, "authid=") {
            event.user_name = Some(user.into());
        }
        event.classify(Category::Authentication, "login", Outcome::Success);
    } else if let Some(rest) = body.strip_prefix("AUTH failure (") {
        if let Some(user) = kv(rest, "user=") {
            event.user_name = Some(user.into());
        }
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        let reason = text::split_once(rest, "): ").map_or(rest, |(_, r)| r);
        event.reason = Some(reason.split(", relay=").next().unwrap_or(reason).into());
    } else if let Some(reject) = after(body, "reject=") {
        let arg = kv(body, "arg1=").map(strip_angles);
        match kv(body, "ruleset=") {
            Some("check_rcpt") => event.email_to = arg.map(Into::into),
            Some("check_mail") => event.email_from = arg.map(Into::into),
            _ => {}
        }
        event.classify(Category::Network, "reject", Outcome::Failure);
        event.reason = Some(reject.into());
    } else if body.starts_with("from=") {
        event.email_from = kv(body, "from=").map(Into::into);
        event.email_size = kv(body, "size=").and_then(number);
        event.email_message_id = kv(body, "msgid=").map(Into::into);
        event.classify(Category::Email, "received", Outcome::Success);
    } else if body.starts_with("to=") {
        event.email_to = kv(body, "to=").map(Into::into);
        let stat = after(body, "stat=").unwrap_or("");
        let remote = kv(body, "mailer=").is_some_and(|m| m.contains("smtp"));
        let outcome = if stat.starts_with("Sent") {
            Outcome::Success
        } else if stat.starts_with("Deferred") {
            Outcome::Unknown
        } else {
            Outcome::Failure
        };
        if outcome != Outcome::Success {
            event.reason = Some(stat.into());
        }
        event.classify(
            Category::Email,
            if remote { "send" } else { "deliver" },
            outcome,
        );
    } else if contains(body, "did not issue MAIL") {
        event.classify(Category::Network, "no-mail", Outcome::Failure);
        event.reason = Some(body.into());
    } else if body.starts_with("lost input channel") {
        event.classify(Category::Network, "lost-connection", Outcome::Unknown);
        event.reason = Some(body.into());
    }
    true
}

/// The client of `relay=name [ip]`, `from name [ip]` or a leading `name [ip]`:
/// Sendmail writes `name [ip]`, `[ip]` alone, and `name [ip] (may be forged)`.
fn relay<'a>(body: &'a str, event: &mut Event<'a>) {
    let scope = after(body, "relay=")
        .or_else(|| after(body, "channel from "))
        .unwrap_or(body);
    let Some(open) = scope.find('[') else {
        return;
    };
    let Some(close) = scope[open..].find(']').map(|c| open + c) else {
        return;
    };
    let address = &scope[open + 1..close];
    if let Some(address) = address.strip_prefix("IPv6:").or(Some(address))
        && vigie_event::parse_ip(address).is_some()
    {
        event.set_source(address);
        let name = scope[..open].trim_end();
        let name = name.rsplit([' ', ',']).next().unwrap_or(name);
        if !name.is_empty() && !name.contains('=') {
            event.source_domain = Some(name.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(message: &'static str) -> Event<'static> {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(message, &mut e));
        e
    }

    #[test]
    fn auth_rejects_and_deliveries() {
        let e = msg(
            "u2J1c5ZY012345: AUTH=server, relay=client.example.net [192.0.2.31], authid=bob, mech=PLAIN, bits=0",
        );
        assert_eq!(
            (
                e.action,
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.session_id.as_deref()
            ),
            (
                Some("login"),
                Some("bob"),
                Some("192.0.2.31".into()),
                Some("u2J1c5ZY012345")
            )
        );
        let e = msg(
            "u2J1c5ZY012346: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=bob, relay=[192.0.2.32]",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (e.user_name.as_deref(), e.source_ip.map(|i| i.to_string())),
            (Some("bob"), Some("192.0.2.32".into()))
        );
        let e = msg(
            "NOQUEUE: ruleset=check_rcpt, arg1=<x@example.org>, relay=mx.example.com [192.0.2.33], reject=550 5.7.1 <x@example.org>... Relaying denied",
        );
        assert_eq!(
            (e.action, e.email_to.as_deref(), e.source_domain.as_deref()),
            (
                Some("reject"),
                Some("x@example.org"),
                Some("mx.example.com")
            )
        );
        let e = msg(
            "u2J1c5ZY012347: client.example.net [192.0.2.34] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA",
        );
        assert_eq!(
            (e.action, e.source_ip.map(|i| i.to_string())),
            (Some("no-mail"), Some("192.0.2.34".into()))
        );
        let e = msg(
            "u2J1c5ZY012348: to=<bob@example.org>, delay=00:00:01, xdelay=00:00:00, mailer=local, pri=30000, dsn=2.0.0, stat=Sent",
        );
        assert_eq!(
            (e.action, e.outcome),
            (Some("deliver"), Some(Outcome::Success))
        );
    }
}
