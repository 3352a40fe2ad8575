//! Exim 4 mainlog, rejectlog and paniclog: arrivals `<=`, deliveries `=>`,
//! `->`, bounces `**`, deferrals `==`, rejects, authenticator failures; and
//! the same messages when Exim logs through syslog.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, after, contains, kv, number, word};
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// Parses a native Exim log line: `YYYY-MM-DD HH:MM:SS[.fff] [+zzzz] [[pid]] [id] message`.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    // Zimbra's log4j lines share the stamp: they are never Exim's.
    if super::zimbra::looks_like(line) {
        return Err(Miss::NotMine);
    }
    let (time, used) = timestamp::iso(line.as_bytes()).ok_or(Miss::NotMine)?;
    let mut rest = line
        .get(used..)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or(Miss::NotMine)?;
    let timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let mut event = Event::new(Dataset::Exim, ctx.path, ctx.number);
    event.timestamp = timestamp;
    event.process_name = Some("exim".into());
    if let Some(inner) = rest.strip_prefix('[')
        && let Some((pid, after_pid)) = text::split_once(inner, "] ")
        && let Ok(pid) = pid.parse()
    {
        event.process_pid = Some(pid);
        rest = after_pid;
    }
    parse_message(rest, &mut event);
    Ok(event)
}

/// Whether a word is an Exim message id: `1ahr79-0006jK-G9` (6-6-2) or
/// `10HmaX-000000005vi-0000` (6-11-4, Exim 4.97+).
fn is_message_id(w: &str) -> bool {
    let parts: Vec<&str> = w.split('-').collect();
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    (lens == [6, 6, 2] || lens == [6, 11, 4])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Interprets an Exim message (after the time and pid).
pub fn parse_message<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Exim;
    event.protocol = Some("smtp".into());
    let (first, after_first) = word(message);
    let body = if is_message_id(first) {
        event.session_id = Some(first.into());
        after_first
    } else {
        message
    };
    event.message = Some(body.into());
    let (flag, detail) = word(body);
    match flag {
        "<=" => arrival(detail, event),
        "=>" | "->" | "*>" => delivery(detail, event, Outcome::Success),
        "**" => delivery(detail, event, Outcome::Failure),
        "==" => delivery(detail, event, Outcome::Unknown),
        "Completed" => event.classify(Category::Email, "completed", Outcome::Success),
        _ => other(body, event),
    }
    true
}

/// The client of `H=name (helo) [ip]:port`, or the first `[ip]` of the text.
/// Arrival and delivery lines put `H=` before any attacker text (subjects,
/// addresses), so the first one is Exim's; error lines quote the client's
/// command before it (`protocol error in "AUTH …" H=…`), so there the last is.
fn client<'a>(text: &'a str, event: &mut Event<'a>, last_host: bool) {
    let host = if last_host {
        text.rfind("H=").map(|i| &text[i + 2..])
    } else {
        after(text, "H=")
    };
    let scope = host.unwrap_or(text);
    let mut search = scope;
    while let Some(open) = search.find('[') {
        let Some(close) = search[open..].find(']').map(|c| open + c) else {
            break;
        };
        let address = &search[open + 1..close];
        // `(helo) ([192.0.2.1]) [real]`: a bracket inside parentheses is what the client claimed.
        if search[..open].ends_with('(') {
            search = &search[close + 1..];
            continue;
        }
        if let Some(ip) = vigie_event::parse_ip(address) {
            event.source_ip = Some(ip);
            let tail = &search[close + 1..];
            event.source_port = tail
                .strip_prefix(':')
                .and_then(|p| p.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|p| p.parse().ok());
            if let Some(name) = host_name_before(&search[..open]) {
                event.source_domain = Some(name.into());
            }
            return;
        }
        search = &search[close + 1..];
    }
}

/// The host name written just before a client's `[ip]`: `name`, or
/// `name (helo)` where the HELO is the client's claim. `SMTP connection from
/// [ip]` and `failed for (helo) [ip]` have none: Exim found no name.
fn host_name_before(text: &str) -> Option<&str> {
    let text = text.trim_end();
    let text = text
        .strip_suffix(')')
        .and_then(|t| t.rfind('(').map(|open| t[..open].trim_end()))
        .unwrap_or(text);
    let (before, name) = text.rsplit_once(' ').unwrap_or(("", text));
    // After `H=` the name comes first; in a sentence it follows `from`/`for`
    // (`proxy external [ip]` names no host).
    let preceded = before.is_empty() || matches!(before.rsplit(' ').next(), Some("from" | "for"));
    let is_word = matches!(name, "" | "from" | "for" | "to" | "SMTP" | "connection");
    (preceded && !is_word && !name.contains(['(', ')', '=', ':', '[', ']'])).then_some(name)
}

fn arrival<'a>(detail: &'a str, event: &mut Event<'a>) {
    let (sender, rest) = word(detail);
    event.email_from = Some(sender.into());
    client(rest, event, false);
    event.email_size = kv(rest, "S=").and_then(number);
    if let Some(id) = kv(rest, "id=") {
        event.email_message_id = Some(id.into());
    }
    // `A=dovecot_login:alice` names the authenticated sender.
    let user = kv(rest, "A=")
        .and_then(|a| a.split_once(':'))
        .map(|(_, u)| u)
        .or_else(|| kv(rest, "U="));
    if let Some(user) = user {
        event.user_name = Some(user.into());
    }
    event.classify(Category::Email, "received", Outcome::Success);
}

fn delivery<'a>(detail: &'a str, event: &mut Event<'a>, outcome: Outcome) {
    let (recipient, rest) = word(detail);
    event.email_to = Some(recipient.into());
    let remote = kv(rest, "T=").is_some_and(|t| contains(t, "smtp"));
    if let Some(host) = after(rest, "H=") {
        let (name, _) = word(host);
        event.destination_address = Some(name.into());
        if let Some(ip) = host
            .find('[')
            .and_then(|o| host[o + 1..].split(']').next())
            .and_then(vigie_event::parse_ip)
        {
            event.destination_ip = Some(ip);
        }
    }
    if outcome != Outcome::Success {
        event.reason = text::split_once(rest, ": ").map(|(_, r)| r.into());
    }
    event.classify(
        Category::Email,
        if remote { "send" } else { "deliver" },
        outcome,
    );
}

fn other<'a>(body: &'a str, event: &mut Event<'a>) {
    if let Some(rest) = after(body, "authenticator failed for ") {
        client(rest, event, true);
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        if let Some(user) = kv(rest, "set_id=") {
            event.user_name = Some(user.trim_end_matches(')').into());
        }
        event.reason = rest
            .split_once("]: ")
            .or_else(|| text::split_once(rest, ": "))
            .map(|(_, r)| r.into());
        return;
    }
    const REJECTS: [&str; 10] = [
        "rejected",
        "sender verify fail",
        "dropped:",
        "protocol error",
        "synchronization error",
        "no MAIL in SMTP connection",
        "closed by DROP",
        "no IP address found",
        "Unrouteable",
        "refused",
    ];
    if body.starts_with("SMTP connection from")
        && !contains(body, "closed by DROP")
        && !contains(body, "no MAIL")
    {
        client(body, event, true);
        let action = if contains(body, " lost") {
            "lost-connection"
        } else {
            "connect"
        };
        event.classify(Category::Network, action, Outcome::Unknown);
    } else if REJECTS.iter().any(|r| contains(body, r)) {
        client(body, event, true);
        event.classify(Category::Network, "reject", Outcome::Failure);
        event.reason = Some(body.into());
        event.email_from = kv(body, "F=").map(Into::into);
        // `rejected RCPT <to>: reason`: the recipient the client asked for.
        if let Some(to) = after(body, "rejected RCPT ")
            .map(|t| t.split(": ").next().unwrap_or(t))
            .map(vigie_event::strip_angles)
            .filter(|t| !t.is_empty())
        {
            event.email_to = Some(to.into());
        }
    } else {
        client(body, event, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(message: &'static str) -> Event<'static> {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        parse_message(message, &mut e);
        e
    }

    #[test]
    fn arrivals_deliveries_and_failures() {
        let e =
            msg("1j7rQA-0002Zd-Pf <= alice@mail.cup.com U=www-data P=local S=1204 id=abc@cup.com");
        assert_eq!(
            (e.action, e.email_size, e.user_name.as_deref()),
            (Some("received"), Some(1204), Some("www-data"))
        );
        assert_eq!(e.session_id.as_deref(), Some("1j7rQA-0002Zd-Pf"));
        let e = msg(
            "10HmaX-000000005vi-0000 => userx@test.ex R=r1 T=t1 H=127.0.0.1 [127.0.0.1] C=\"250 OK\"",
        );
        assert_eq!(e.email_to.as_deref(), Some("userx@test.ex"));
        let e = msg(
            "dovecot_login authenticator failed for (hydra) [10.101.1.18]:35686: 535 Incorrect authentication data (set_id=user)",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (e.user_name.as_deref(), e.source_port),
            (Some("user"), Some(35686))
        );
        let e = msg(
            "login authenticator failed for rrcs-24-106-174-74.se.biz.rr.com ([192.168.2.33]) [24.106.174.74]: 535 Incorrect authentication data (set_id=brian)",
        );
        assert_eq!(e.source_ip.unwrap().to_string(), "24.106.174.74");
        let e = msg(
            "SMTP connection from mail.example.net [192.0.2.30]:20042 I=[198.51.100.99]:25 (TCP/IP connection count = 1)",
        );
        assert_eq!(
            (e.source_domain.as_deref(), e.source_port),
            (Some("mail.example.net"), Some(20042))
        );
        let e = msg("SMTP connection from [192.0.2.29]:20042 I=[198.51.100.99]:25 Ci=8001");
        assert_eq!(e.source_domain, None);
        let e = msg(
            "login authenticator failed for (U8kjDR) [192.0.2.66]: 535 Incorrect authentication data",
        );
        assert_eq!(
            (e.source_domain, e.source_ip.map(|i| i.to_string())),
            (None, Some("192.0.2.66".into()))
        );
        let e = msg(
            "H=mx.example.com (helo.example) [192.0.2.5] F=<a@b> rejected RCPT <c@d>: relay not permitted",
        );
        assert_eq!(e.source_domain.as_deref(), Some("mx.example.com"));
        assert_eq!(e.email_to.as_deref(), Some("c@d"));
        let e = msg("H=(x) [192.0.2.3] F=<a@b> rejected RCPT <c@d>: Unrouteable address");
        assert_eq!(
            (e.action, e.outcome),
            (Some("reject"), Some(Outcome::Failure))
        );
    }
}
