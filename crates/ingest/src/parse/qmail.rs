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
//! qmail-smtpd's SMTP AUTH itself is logged by vpopmail's `vchkpw-smtp` ([`super::vpopmail`]).

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
        for cut in 0..60 {
            let line =
                "CHKUSER relaying rcpt: from <b@x:b@x:> remote <h:h:2001:db8::1> rcpt <c@y> : ok";
            let mut e = Event::new(Dataset::Syslog, "t", 1);
            let _ = parse(&line[..cut.min(line.len())], &mut e);
        }
    }
}
