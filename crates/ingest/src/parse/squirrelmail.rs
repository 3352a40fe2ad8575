//! SquirrelMail's `squirrel_logger` plugin, in its default syslog wording or
//! its own file. Formats from the plugin's `config_example.php` (`$sl_logs`,
//! `%2` user, `%3` domain, `%4` remote address, `%6` date, `%7` comments):
//!
//! - syslog: `Successful webmail login: by bob (example.org) at 192.0.2.1 on 03/10/2026 05:16:08: `
//! - syslog: `Failed webmail login: by bob (example.org) at 192.0.2.1 on …: `, `Webmail logout: by …`,
//!   `Webmail session timed out: by …`, `Message sent via webmail: by …`, `Possible outgoing spam: by …`
//! - file (`squirrelmail_access_log`, `$sl_dateformat` `m/d/Y H:i:s`):
//!   `03/10/2026 05:16:08 [LOGIN] bob (example.org) from 192.0.2.1: ` (`[LOGIN_ERROR]` or
//!   `[INVALID]`, `[LOGOUT]`, `[TIMEOUT]`, `[OUTGOING_MAIL]`, `[MASS_MAILING]`, `[ERROR]`)

use vigie_event::{Category, CivilDateTime, Dataset, Event, Outcome};

use super::timestamp::{RawTime, digits};
use super::{LineContext, Miss, SkipReason};

/// The syslog wordings and what each means.
const SYSLOG: [(&str, &str); 7] = [
    ("Successful webmail login: by ", "LOGIN"),
    ("Failed webmail login: by ", "LOGIN_ERROR"),
    ("Webmail logout: by ", "LOGOUT"),
    ("Webmail session timed out: by ", "TIMEOUT"),
    ("Message sent via webmail: by ", "OUTGOING_MAIL"),
    ("Possible outgoing spam: by ", "MASS_MAILING"),
    ("Webmail error: by ", "ERROR"),
];

/// Interprets a syslog message of the plugin; `false` when it is not one.
pub fn parse_message<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let Some((rest, kind)) = SYSLOG
        .iter()
        .find_map(|(prefix, kind)| message.strip_prefix(prefix).map(|r| (r, *kind)))
    else {
        return false;
    };
    // `bob (example.org) at 192.0.2.1 on <date>: comments`
    let (who, rest) = rest.split_once(" at ").unwrap_or((rest, ""));
    let (address, _) = rest.split_once(" on ").unwrap_or((rest, ""));
    fill(event, kind, who, address);
    true
}

/// `m/d/Y H:i:s` at the start of the line, then ` [`: the plugin's own file.
fn file_time(b: &[u8]) -> Option<CivilDateTime> {
    if b.get(2) != Some(&b'/') || b.get(5) != Some(&b'/') || b.get(10) != Some(&b' ') {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || b.get(19) != Some(&b' ') {
        return None;
    }
    let civil = CivilDateTime {
        month: digits(b, 2)? as u8,
        day: digits(&b[3..], 2)? as u8,
        year: digits(&b[6..], 4)? as i32,
        hour: digits(&b[11..], 2)? as u8,
        minute: digits(&b[14..], 2)? as u8,
        second: digits(&b[17..], 2)? as u8,
        micros: 0,
    };
    Some(civil)
}

/// Whether a line has the plugin file's shape: `m/d/Y H:i:s [EVENT] `.
pub fn looks_like(line: &str) -> bool {
    let b = line.as_bytes();
    file_time(b).is_some()
        && b.get(20) == Some(&b'[')
        && line
            .get(21..)
            .and_then(|r| r.split_once("] "))
            .is_some_and(|(kind, _)| {
                !kind.is_empty() && kind.bytes().all(|c| c.is_ascii_uppercase() || c == b'_')
            })
}

/// Parses a line of the plugin's own log file.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    if !looks_like(line) {
        return Err(Miss::NotMine);
    }
    let civil = file_time(line.as_bytes()).ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::Squirrelmail, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(RawTime::Civil(civil))
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let (kind, rest) = line[21..].split_once("] ").ok_or(Miss::NotMine)?;
    event.message = Some(rest.into());
    // `bob (example.org) from 192.0.2.1: comments`
    let (who, rest) = rest.split_once(" from ").unwrap_or((rest, ""));
    let address = rest
        .split(": ")
        .next()
        .unwrap_or(rest)
        .trim_end_matches(':');
    fill(&mut event, kind, who, address);
    Ok(event)
}

fn fill<'a>(event: &mut Event<'a>, kind: &str, who: &'a str, address: &'a str) {
    event.dataset = Dataset::Squirrelmail;
    event.protocol = Some("webmail".into());
    // `bob (example.org)`: the domain is SquirrelMail's, the login is the user.
    let user = who.split(" (").next().unwrap_or(who).trim();
    if !user.is_empty() {
        event.user_name = Some(user.into());
    }
    event.set_source(address.trim());
    match kind {
        "LOGIN" => event.classify(Category::Authentication, "login", Outcome::Success),
        "LOGIN_ERROR" | "INVALID" => {
            event.classify(Category::Authentication, "login-failed", Outcome::Failure);
            event.reason = Some("Failed webmail login".into());
        }
        "LOGOUT" => event.classify(Category::Session, "logout", Outcome::Success),
        "TIMEOUT" => event.classify(Category::Session, "timeout", Outcome::Success),
        "OUTGOING_MAIL" => event.classify(Category::Email, "send", Outcome::Success),
        "MASS_MAILING" => event.classify(Category::Email, "mass-mailing", Outcome::Success),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_wording() {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(parse_message(
            "Failed webmail login: by bob (example.org) at 192.0.2.1 on 03/10/2026 05:16:08: ",
            &mut e
        ));
        assert!(e.is_authentication_failure());
        assert_eq!(
            (
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.auth_service()
            ),
            (Some("bob"), Some("192.0.2.1".into()), Some("webmail"))
        );
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        assert!(!parse_message("Successful webmail", &mut e));
        assert!(looks_like(
            "03/10/2026 05:16:08 [LOGIN] bob (example.org) from 192.0.2.1: "
        ));
        assert!(!looks_like(
            "14/12/2012 18:04:33 [0A44:000F-080C] SMTPClient: x"
        ));
    }
}
