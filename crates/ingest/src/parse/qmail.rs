//! qmail-smtpd patched with chkuser 2.0 (the recipient and sender checks
//! most vpopmail/qmail systems run), written to qmail-smtpd's log (multilog,
//! or syslog through `splogger`). Format from chkuser's documentation,
//! "chkuser 2.0 - logging format" (opensource.interazioni.it):
//!
//! `CHKUSER <brief>: from <sender:remoteinfo:identify> remote <helo:host:ip> rcpt <recipient> : <extended>`
//!
//! - `CHKUSER accepted rcpt: from <a@example.org::> remote <mx:mx.example.org:192.0.2.1> rcpt <bob@example.net> : found existing recipient`
//! - `CHKUSER rejected rcpt: … : not existing recipient` (a directory harvest when repeated)
//! - `CHKUSER relaying rcpt: from <bob@example.net:bob@example.net:> … : client allowed to relay`
//!   (`remoteinfo` is the SMTP AUTH user when the session authenticated)
//!
//! qmail-smtpd's SMTP AUTH is logged by vpopmail's `vchkpw-smtp`
//! ([`super::vpopmail`]) or, in s/qmail and the spamcontrol patch, by
//! qmail-smtpd itself (`smtpdlog.c`: `smtp_loga`, `smtp_logb`, `smtp_logg`):
//!
//! - `qmail-smtpd: pid 4711 Reject::AUTH::plain P:ESMTPA S:192.0.2.1:client.example.net H:helo ?~ 'bob@example.org'`
//! - `qmail-smtpd: pid 4711 Accept::AUTH::login P:ESMTPA S:192.0.2.1:client.example.net H:helo F:bob@example.org T:a@example.net ?~ 'bob@example.org'`
//! - `qmail-smtpd: pid 4711 Reject::RCPT::Failed_Rcptto P:ESMTP S:192.0.2.1:unknown H:helo F:a@b T:c@d`

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text;

/// Whether a message is a chkuser line.
pub fn is_chkuser(message: &str) -> bool {
    message.starts_with("CHKUSER ")
}

/// Interprets `CHKUSER …` (or, from multilog without a tag, the part after
/// `CHKUSER `); `false` when the shape is not chkuser's.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let body = message.strip_prefix("CHKUSER ").unwrap_or(message);
    let Some((brief, rest)) = text::split_once(body, ": from <") else {
        return false;
    };
    event.dataset = Dataset::Qmail;
    event.protocol = Some("smtp".into());
    let (from, rest) = text::split_once(rest, "> remote <").unwrap_or((rest, ""));
    let mut from_fields = from.splitn(3, ':');
    if let Some(sender) = from_fields.next().filter(|s| !s.is_empty()) {
        event.email_from = Some(sender.into());
    }
    // The authenticated user (or TCPREMOTEINFO) when there is one.
    if let Some(user) = from_fields.next().filter(|s| !s.is_empty()) {
        event.user_name = Some(user.into());
    }
    let (remote, rest) = text::split_once(rest, "> rcpt <").unwrap_or((rest, ""));
    // `helo:host:ip`; an IPv6 address keeps its colons.
    let mut remote_fields = remote.splitn(3, ':');
    let _helo = remote_fields.next();
    if let Some(host) = remote_fields
        .next()
        .filter(|h| !h.is_empty() && *h != "unknown")
    {
        event.source_domain = Some(host.into());
    }
    if let Some(ip) = remote_fields.next() {
        event.set_source(ip);
    }
    let (rcpt, extended) = text::split_once(rest, "> : ")
        .or_else(|| rest.strip_suffix('>').map(|r| (r, "")))
        .unwrap_or((rest, ""));
    if !rcpt.is_empty() {
        event.email_to = Some(rcpt.into());
    }
    if !extended.is_empty() {
        event.reason = Some(extended.into());
    }
    let (action, outcome) = match brief {
        "accepted rcpt" | "accepted any rcpt" => ("rcpt-accepted", Outcome::Success),
        "relaying rcpt" => ("relay-accepted", Outcome::Success),
        "accepted sender" => ("sender-accepted", Outcome::Success),
        "rejected sender" => ("sender-rejected", Outcome::Failure),
        "must auth" => ("auth-required", Outcome::Failure),
        "rejected relaying" => ("relay-rejected", Outcome::Failure),
        // rejected rcpt, rejected intrusion, intrusion threshold, no auth
        // resource, mbx overquota: the recipient was refused.
        _ => ("rcpt-rejected", Outcome::Failure),
    };
    event.classify(Category::Email, action, outcome);
    true
}

/// Interprets an s/qmail / spamcontrol verdict line (`[qmail-smtpd: ]pid N
/// Accept::…|Reject::… P:… S:ip:host …`); `false` when it is not one.
pub fn parse_verdict<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let body = message.strip_prefix("qmail-smtpd: ").unwrap_or(message);
    let Some((pid, rest)) = body
        .strip_prefix("pid ")
        .and_then(|r| r.split_once(' '))
        .filter(|(pid, _)| text::number(pid).is_some())
    else {
        return false;
    };
    let (verdict, fields) = text::word(rest);
    let (accepted, kind) = if let Some(k) = verdict.strip_prefix("Accept::") {
        (true, k)
    } else if let Some(k) = verdict.strip_prefix("Reject::") {
        (false, k)
    } else {
        return false;
    };
    event.dataset = Dataset::Qmail;
    event.process_pid = text::number(pid);
    event.protocol = Some("smtp".into());
    // ` ?~ 'info'` (the AUTH user) or ` 'info'` closes the line.
    let (fields, info) = match fields.split_once(" '") {
        Some((f, i)) => (f.trim_end_matches(" ?~"), i.strip_suffix('\'').unwrap_or(i)),
        None => (fields, ""),
    };
    for field in fields.split(' ') {
        if let Some(source) = field.strip_prefix("S:") {
            // `ip:host`: a host name has no colon, an IPv6 address has several.
            let (ip, host) = source.rsplit_once(':').unwrap_or((source, ""));
            event.set_source(ip);
            if !host.is_empty() && host != "unknown" {
                event.source_domain = Some(host.into());
            }
        } else if let Some(from) = field.strip_prefix("F:").filter(|f| !f.is_empty()) {
            event.email_from = Some(from.into());
        } else if let Some(to) = field.strip_prefix("T:").filter(|t| !t.is_empty()) {
            event.email_to = Some(to.into());
        }
    }
    let (category, mechanism) = kind.split_once("::").unwrap_or((kind, ""));
    match (category, accepted) {
        ("AUTH", true) => {
            event.user_name = (!info.is_empty()).then(|| info.into());
            event.classify(Category::Authentication, "login", Outcome::Success);
        }
        // `Reject::AUTH::missing`: the client sent mail without logging in.
        ("AUTH", false) if mechanism == "missing" => {
            event.reason = Some(verdict.into());
            event.classify(Category::Email, "auth-required", Outcome::Failure);
        }
        ("AUTH", false) => {
            event.user_name = (!info.is_empty()).then(|| info.into());
            event.reason = Some(verdict.into());
            event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        }
        (_, true) => event.classify(Category::Email, "rcpt-accepted", Outcome::Success),
        (_, false) => {
            event.reason = Some(verdict.into());
            event.classify(Category::Email, "rejected", Outcome::Failure);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field_and_survives_truncation() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(
            "CHKUSER rejected rcpt: from <a@example.org::> remote <mx:mx.example.org:192.0.2.1> rcpt <nobody@example.net> : not existing recipient",
            &mut e
        ));
        assert_eq!(
            (
                e.action,
                e.email_to.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.reason.as_deref()
            ),
            (
                Some("rcpt-rejected"),
                Some("nobody@example.net"),
                Some("192.0.2.1".into()),
                Some("not existing recipient")
            )
        );
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse_verdict(
            "qmail-smtpd: pid 4711 Reject::AUTH::plain P:ESMTPA S:2001:db8::1:client.example.net H:helo ?~ 'bob@example.org'",
            &mut e
        ));
        assert!(e.is_authentication_failure());
        assert_eq!(
            (
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.source_domain.as_deref()
            ),
            (
                Some("bob@example.org"),
                Some("2001:db8::1".into()),
                Some("client.example.net")
            )
        );
        for cut in 0..60 {
            let line =
                "CHKUSER relaying rcpt: from <b@x:b@x:> remote <h:h:2001:db8::1> rcpt <c@y> : ok";
            let mut e = Event::new(Dataset::Syslog, "t", 1);
            let _ = parse(&line[..cut.min(line.len())], &mut e);
            let _ = parse_verdict(&line[..cut.min(line.len())], &mut e);
        }
    }
}
