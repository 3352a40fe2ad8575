//! SpamAssassin's daemon `spamd` 3.x–4.x (syslog tag `spamd`), from its own
//! `info()` calls (spamd/spamd.raw, SpamAssassin 4.0.1 `check()`):
//!
//! ```text
//! spamd: checking message <id@example.org> for bob:1001
//! spamd: identified spam (15.2/5.0) for bob:1001 in 0.5 seconds, 2345 bytes.
//! spamd: clean message (-0.1/5.0) for bob:1001 in 0.3 seconds, 2345 bytes.
//! spamd: result: Y 15 - BAYES_99,URIBL_BLOCKED scantime=0.5,size=2345,user=bob,uid=1001,
//!   required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=45678,mid=<id@example.org>,autolearn=no
//! ```
//!
//! `vigie.filter.verdict` is `spam` or `clean`, `vigie.filter.score` the
//! score, `rule.name` the tests hit, `user.name` the user whose preferences
//! were applied (spamc `-u`, the recipient), `email.message_id` the `mid=`.
//! spamd only reports: `event.outcome` is `unknown`, the MTA or filter decides.
//! `raddr=` is spamc's peer (the MTA), not the mail's client, so it is not
//! `source.ip`.

use vigie_event::{Category, Dataset, Event, Outcome, strip_angles};

use super::text::{self, word};

/// Interprets a `spamd` message; claims the verdict and `checking message` lines.
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let message = message.strip_prefix("spamd: ").unwrap_or(message);
    if let Some(rest) = message.strip_prefix("result: ") {
        // `Y 15 - TESTS extras` (`.` for ham); no tests leaves two spaces.
        let (flag, rest) = word(rest);
        let (score, rest) = word(rest.trim_start());
        let Some(rest) = rest.strip_prefix("- ") else {
            return false;
        };
        let (tests, extras) = word(rest);
        scanned(event, if flag == "Y" { "spam" } else { "clean" });
        event.filter_score = Some(score.into());
        if !tests.is_empty() {
            event.rule_name = Some(tests.into());
        }
        for pair in extras.split(',') {
            match pair.split_once('=') {
                Some(("user", name)) => event.user_name = user(name),
                Some(("mid", id)) if id != "(unknown)" => {
                    event.email_message_id = Some(strip_angles(id).into());
                }
                Some(("size", size)) => event.email_size = text::number(size),
                _ => {}
            }
        }
        return true;
    }
    let (verdict, rest) = if let Some(rest) = message.strip_prefix("identified spam (") {
        ("spam", rest)
    } else if let Some(rest) = message.strip_prefix("clean message (") {
        ("clean", rest)
    } else if let Some(rest) = message
        .strip_prefix("checking message ")
        .or_else(|| message.strip_prefix("processing message "))
    {
        // `<id> [aka <id>] for user:uid`
        event.dataset = Dataset::Spamassassin;
        event.category = Some(Category::Email);
        event.action = Some("message-scan-started");
        let (id, rest) = word(rest);
        if id != "(unknown)" {
            event.email_message_id = Some(strip_angles(id).into());
        }
        event.user_name = user(text::after(rest, "for ").unwrap_or_default());
        return true;
    } else {
        return false;
    };
    // `15.2/5.0) for bob:1001 in 0.5 seconds, 2345 bytes.`
    let Some((score, rest)) = rest.split_once('/') else {
        return false;
    };
    scanned(event, verdict);
    event.filter_score = Some(score.into());
    if let Some(rest) = text::after(rest, ") for ") {
        event.user_name = user(text::split_once(rest, " in ").map_or(rest, |(u, _)| u));
        event.email_size = text::after(rest, "seconds, ")
            .and_then(|r| r.strip_suffix(" bytes."))
            .and_then(text::number);
    }
    true
}

fn scanned(event: &mut Event<'_>, verdict: &'static str) {
    event.dataset = Dataset::Spamassassin;
    event.classify(Category::Email, "message-scanned", Outcome::Unknown);
    event.filter_verdict = Some(verdict);
}

/// `bob:1001` → `bob`; spamd's `(unknown)` user is none.
fn user(text: &str) -> Option<vigie_event::Text<'_>> {
    let name = text.rsplit_once(':').map_or(text, |(n, _)| n);
    (!name.is_empty() && name != "(unknown)").then(|| name.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_line_with_no_tests() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse(
            "spamd: result: .  0 -  scantime=0.1,size=800,user=(unknown),uid=110,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=41234,mid=(unknown),autolearn=no",
            &mut e
        ));
        assert_eq!(e.filter_verdict, Some("clean"));
        assert_eq!(e.rule_name, None);
        assert_eq!(
            (e.email_message_id.as_deref(), e.email_size),
            (None, Some(800))
        );
    }
}
