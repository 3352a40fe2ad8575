//! amavisd-new 2.6–2.13 (syslog tag `amavis`, `amavisd`, or its own log
//! file's `amavisd[pid]:`): the main per-message log entry, built from
//! `$log_short_templ` / `$log_verbose_templ` (amavisd-new 2.13.0 `Amavis.pm`,
//! `__DATA__` sections, and `Amavis/Log.pm` `write_log` for the `(log id) `
//! prefix):
//!
//! ```text
//! (2022050-03) Passed CLEAN {RelayedInbound}, [192.0.2.32]:43215 [192.0.2.32] <a@example.org> -> <b@example.net>,
//!   Queue-ID: B70414E296B, Message-ID: <id@example.org>, mail_id: 3AcQKIKbmowb, Hits: -4.216, size: 2851,
//!   queued_as: E184C4E29BF, 3022 ms
//! (2022049-03) Blocked INFECTED (Win.Test.EICAR_HDB-1) {DiscardedOutbound,Quarantined}, MYNETS LOCAL
//!   [192.0.2.115]:48038 <a@example.org> -> <b@example.org>,<c@example.org>, Queue-ID: C83AA4E296B, …
//! ```
//!
//! `Passed` is `event.outcome: success`, `Blocked` `failure`; the content
//! category (`CLEAN`, `SPAM`, `INFECTED (names)`, `BANNED (names)`, …) is
//! `vigie.filter.verdict`, the names in parentheses `rule.name`, `Hits`
//! `vigie.filter.score`, the actions in braces `event.reason`. `Queue-ID` is
//! the MTA's queue id, so `session.id` joins the Postfix lines of the same
//! message; `Message-ID` is `email.message_id`. Other amavis lines stay
//! syslog events with their message.

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::text::{self, balanced, colon_value};

/// Whether a syslog tag is amavisd-new's (`amavis`, `amavisd`, `amavisd-new`).
pub fn is_amavis_program(base: &str) -> bool {
    base.starts_with("amavis")
}

/// Interprets an amavis message; claims the `Passed …` / `Blocked …` entry.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    // `(pid-nn[-n]) ` log id, then an optional `(!)` alert mark.
    let rest = match message.strip_prefix('(') {
        Some(m) => text::split_once(m, ") ").map_or(message, |(_, r)| r),
        None => message,
    };
    let rest = rest.trim_start_matches("(!)");
    let (outcome, rest) = if let Some(r) = rest.strip_prefix("Passed ") {
        (Outcome::Success, r)
    } else if let Some(r) = rest.strip_prefix("Blocked ") {
        (Outcome::Failure, r)
    } else {
        return false;
    };
    let end = rest.find([' ', ',']).unwrap_or(rest.len());
    let (category, mut rest) = rest.split_at(end);
    let Some(verdict) = verdict(category) else {
        return false;
    };
    event.dataset = Dataset::Amavis;
    event.classify(Category::Email, "message-scanned", outcome);
    event.filter_verdict = Some(verdict);
    // `INFECTED (name,name)`, `BANNED (part | type | name)`.
    if let Some((names, after)) = rest.strip_prefix(' ').and_then(|r| balanced(r, b'(', b')')) {
        event.rule_name = Some(names.into());
        rest = after;
    }
    if let Some((actions, after)) = rest.strip_prefix(' ').and_then(|r| balanced(r, b'{', b'}')) {
        event.reason = Some(actions.into());
        rest = after;
    }
    let rest = rest.strip_prefix(',').unwrap_or(rest);
    let Some((client, addresses)) = text::split_once(rest, " <") else {
        return true;
    };
    // `[policy bank] [LOCAL] [ip]:port [originating ip]`: the first bracket is
    // the SMTP client the MTA reported (XFORWARD).
    if let Some((_, address, port)) = client
        .split(' ')
        .find(|w| w.starts_with('['))
        .and_then(text::host_bracket)
    {
        event.set_source(address);
        event.source_port = port;
    }
    let Some((sender, rest)) = text::split_once(addresses, "> -> ") else {
        return true;
    };
    if !sender.is_empty() {
        event.email_from = Some(sender.into());
    }
    let recipients = text::split_once(rest, ", ").map_or(rest, |(r, _)| r);
    event.email_to = recipient_list(recipients);
    if let Some(id) = colon_value(rest, "Queue-ID: ") {
        event.session_id = Some(id.into());
    }
    if let Some(id) = colon_value(rest, "Message-ID: ") {
        event.email_message_id = Some(strip_angles(id).into());
    }
    if let Some(hits) = colon_value(rest, "Hits: ").filter(|h| *h != "-") {
        event.filter_score = Some(hits.into());
    }
    event.email_size = colon_value(rest, "size: ").and_then(text::number);
    true
}

/// amavis's content category, lower-cased (`BAD-HEADER-7` → `bad-header`).
fn verdict(category: &str) -> Option<&'static str> {
    Some(match category {
        "CLEAN" => "clean",
        "SPAM" => "spam",
        "SPAMMY" => "spammy",
        "INFECTED" => "infected",
        "BANNED" => "banned",
        "OVERSIZED" => "oversized",
        "MTA-BLOCKED" => "mta-blocked",
        "OTHER" => "other",
        c if c.starts_with("BAD-HEADER") => "bad-header",
        c if c.starts_with("UNCHECKED") => "unchecked",
        _ => return None,
    })
}

/// `<a@x>,<b@y>` → `a@x` (borrowed) or `a@x,b@y`.
fn recipient_list(list: &str) -> Option<vigie_event::Text<'_>> {
    if !list.contains(">,<") {
        let one = strip_angles(list);
        return (!one.is_empty()).then(|| one.into());
    }
    let joined: Vec<&str> = list
        .split(">,<")
        .map(|r| r.trim_matches(['<', '>']))
        .collect();
    Some(joined.join(",").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_infected_with_names_actions_and_recipients() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(
            "(2022049-03) Blocked INFECTED (Win.Test.EICAR_HDB-1) {DiscardedOutbound,Quarantined}, MYNETS LOCAL [192.0.2.115]:48038 <a@example.org> -> <b@example.org>,<c@example.org>, Queue-ID: C83AA4E296B, Message-ID: <x@example.org>, mail_id: 43NMHgxdfLBE, Hits: -, size: 1614, dkim_sd=default:example.com, 130 ms",
            &mut e
        ));
        assert_eq!(e.dataset, Dataset::Amavis);
        assert_eq!(e.outcome, Some(Outcome::Failure));
        assert_eq!(e.filter_verdict, Some("infected"));
        assert_eq!(e.rule_name.as_deref(), Some("Win.Test.EICAR_HDB-1"));
        assert_eq!(e.reason.as_deref(), Some("DiscardedOutbound,Quarantined"));
        assert_eq!(
            e.source_ip.map(|i| i.to_string()).as_deref(),
            Some("192.0.2.115")
        );
        assert_eq!(e.source_port, Some(48038));
        assert_eq!(e.email_to.as_deref(), Some("b@example.org,c@example.org"));
        assert_eq!(e.session_id.as_deref(), Some("C83AA4E296B"));
        assert_eq!(e.email_message_id.as_deref(), Some("x@example.org"));
        assert_eq!(
            (e.filter_score.as_deref(), e.email_size),
            (None, Some(1614))
        );
    }

    #[test]
    fn other_amavis_lines_are_not_claimed() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(!parse(
            "(30688-02) Checking: HnYFfPf-vHfk [192.0.2.57] <a@example.org> -> <b@example.net>",
            &mut e
        ));
        assert!(!parse("(30688-02) Passed NOTAVERDICT, x", &mut e));
        assert_eq!(e.dataset, Dataset::Syslog);
    }
}
