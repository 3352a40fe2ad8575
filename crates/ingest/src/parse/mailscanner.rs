//! MailScanner 4–5 (syslog tag `MailScanner`), from its `InfoLog`/`NoticeLog`
//! calls (MailScanner/v5 `perl/MailScanner/Message.pm` `IsSpam`,
//! `SweepViruses.pm`, `MessageBatch.pm`):
//!
//! ```text
//! Message 4bsM5k4xJmz4rT6 from 192.0.2.50 (a@example.org) to example.net is spam, SpamAssassin
//!   (not cached, score=25.5, required 4, BAYES_99 5.0, DKIM_SIGNED 0.01)
//! Message %s from %s (%s) to %s is not spam, SpamAssassin (…) / is spam (blacklisted)
//! Message %s from %s (%s) to %s is too big for spam checks (%d > %d bytes)
//! Infected message %s came from %s
//! Spam Actions: message %s actions are %s
//! Virus Scanning: Found %d viruses / Spam Checks: Found %d spam messages
//! ```
//!
//! The message id is the MTA's queue id (`session.id`, joining the Postfix,
//! Sendmail or Exim lines of the message). MailScanner logs the recipients'
//! domains only, not their addresses: they stay in `message`.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, word};

/// Interprets a MailScanner message; claims its per-message verdicts and batch counts.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    if let Some(rest) = message.strip_prefix("Message ") {
        return verdict_line(rest, event);
    }
    if let Some(rest) = message.strip_prefix("Infected message ") {
        let Some((id, client)) = text::split_once(rest, " came from ") else {
            return false;
        };
        scanned(event, "infected", Outcome::Unknown);
        event.session_id = Some(id.into());
        event.set_source(client.trim());
        return true;
    }
    if let Some(rest) = message.strip_prefix("Spam Actions: message ") {
        let Some((id, actions)) = text::split_once(rest, " actions are ") else {
            return false;
        };
        // Without `deliver` or `forward` the message is dropped (Message.pm `HandleHamAndSpam`).
        let delivered = actions
            .split(',')
            .any(|a| matches!(a.trim(), "deliver" | "forward"));
        scanned(
            event,
            "spam",
            if delivered {
                Outcome::Success
            } else {
                Outcome::Failure
            },
        );
        event.session_id = Some(id.into());
        event.reason = Some(actions.into());
        return true;
    }
    if [
        "Virus Scanning: Found ",
        "Spam Checks: Found ",
        "Content Checks: Found ",
    ]
    .iter()
    .any(|p| message.starts_with(p))
    {
        event.dataset = Dataset::Mailscanner;
        event.category = Some(Category::Email);
        event.action = Some("scan-summary");
        return true;
    }
    false
}

/// `ID from IP (SENDER) to DOMAINS is REPORT`.
fn verdict_line<'a>(rest: &'a str, event: &mut Event<'a>) -> bool {
    let (id, rest) = word(rest);
    let Some(rest) = rest.strip_prefix("from ") else {
        return false;
    };
    let (client, rest) = word(rest);
    let Some((sender, rest)) = rest
        .strip_prefix('(')
        .and_then(|r| text::split_once(r, ") to "))
    else {
        return false;
    };
    let Some((_domains, report)) = text::split_once(rest, " is ") else {
        return false;
    };
    let (verdict, outcome) = if report.starts_with("too big for spam checks") {
        ("unchecked", Outcome::Unknown)
    } else if report.starts_with("not spam") {
        ("clean", Outcome::Unknown)
    } else if report.starts_with("spam") {
        ("spam", Outcome::Unknown)
    } else {
        return false;
    };
    scanned(event, verdict, outcome);
    event.session_id = Some(id.into());
    event.set_source(client);
    if !sender.is_empty() {
        event.email_from = Some(sender.into());
    }
    // `SpamAssassin (not cached, score=25.5, required 4, BAYES_99 5.0, …)`;
    // syslog may have cut the list short.
    if let Some(sa) = text::after(report, "score=") {
        let (score, tests) = sa.split_once(", ").unwrap_or((sa, ""));
        event.filter_score = Some(score.trim_end_matches(')').into());
        let tests = tests.split_once(", ").map_or("", |(_required, t)| t);
        let names: Vec<&str> = tests
            .trim_end_matches(')')
            .split(", ")
            .filter_map(|t| t.split(' ').next())
            .filter(|t| !t.is_empty())
            .collect();
        if !names.is_empty() {
            event.rule_name = Some(names.join(",").into());
        }
    }
    true
}

fn scanned(event: &mut Event<'_>, verdict: &'static str, outcome: Outcome) {
    event.dataset = Dataset::Mailscanner;
    event.classify(Category::Email, "message-scanned", outcome);
    event.filter_verdict = Some(verdict);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spam_actions_without_delivery_are_a_stop() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(
            "Spam Actions: message 4bsM5k4xJmz4rT6 actions are store",
            &mut e
        ));
        assert_eq!(
            (e.outcome, e.session_id.as_deref()),
            (Some(Outcome::Failure), Some("4bsM5k4xJmz4rT6"))
        );
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(
            "Spam Actions: message 4bsM5k4xJmz4rT6 actions are deliver,header",
            &mut e
        ));
        assert_eq!(e.outcome, Some(Outcome::Success));
    }

    #[test]
    fn other_message_lines_are_not_claimed() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(!parse(
            "Message 4bsM5k4xJmz4rT6 from 192.0.2.1 has valid watermark",
            &mut e
        ));
        assert_eq!(e.dataset, Dataset::Syslog);
    }
}
