//! Horde and IMP login lines, in `horde.log` (Horde_Log's simple formatter,
//! `%timestamp% %levelName%: %message%`), Horde 3's PEAR log
//! (`HORDE [error] [horde] …`) or syslog (tag `HORDE`). Formats: imp
//! lib/Auth.php `_log()` and horde login.php:
//!
//! - `[imp] Login success for bob (192.0.2.1) to {imap://localhost:143/} [pid 1234 on line 156 of "…"]`
//! - `[imp] FAILED LOGIN for bob (192.0.2.1) (forwarded for [203.0.113.5]) to {imap://localhost/} […]`
//! - `[horde] FAILED LOGIN for graham [203.16.208.190] to Horde [on line 116 of "…/login.php"]`
//! - Horde 5 login.php (`'Login success for %s to %s (%s)'`, `'FAILED LOGIN for %s to %s (%s)'`,
//!   the address after the application): `[horde] FAILED LOGIN for alice to horde (192.0.2.1) […]`

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, after};

/// Whether a syslog message (after its header) is Horde's.
pub fn is_horde(program: Option<&str>, host: Option<&str>, message: &str) -> bool {
    program == Some("HORDE") || host == Some("HORDE") || message.starts_with("HORDE [")
}

/// Interprets a Horde message (with or without the `HORDE` ident and level).
pub fn parse<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    event.dataset = Dataset::Horde;
    event.protocol = Some("http".into());
    let mut rest = message.strip_prefix("HORDE ").unwrap_or(message);
    // `[level] [app] ` or `[app] `.
    while let Some(inner) = rest.strip_prefix('[') {
        let Some((word, after_word)) = inner.split_once("] ") else {
            break;
        };
        if !matches!(
            word,
            "error" | "warning" | "notice" | "info" | "debug" | "emerg" | "alert" | "crit"
        ) {
            event.process_name = Some(word.into());
        } else {
            event.level = Some(word.into());
        }
        rest = after_word;
    }
    event.message = Some(rest.into());
    let (outcome, text) = if let Some(t) = rest.strip_prefix("Login success for ") {
        (Outcome::Success, t)
    } else if let Some(t) = rest.strip_prefix("FAILED LOGIN for ") {
        (Outcome::Failure, t)
    } else {
        return true;
    };
    // `user (ip)` (IMP) or `user [ip]` (Horde); the user may add `(Horde user x)`.
    let end = text::find(text, " to ").unwrap_or(text.len());
    let head = &text[..end];
    let open = [head.find(" ["), head.find(" (")]
        .into_iter()
        .flatten()
        .min();
    let (user, mut address) = match open {
        Some(i) => (&head[..i], &head[i + 2..]),
        None => (head, ""),
    };
    // `bob (Horde user alice) (ip)`: the IMAP login, then the Horde account.
    if let Some(tail) = address.strip_prefix("Horde user ") {
        let (account, tail) = tail.split_once(')').unwrap_or((tail, ""));
        event.auth_master_user = Some(account.into());
        address = tail.trim_start().trim_start_matches(['(', '[']);
    }
    // Horde 5 login.php: `user to app (ip)`.
    if address.is_empty() {
        let tail = &text[end..];
        let tail = tail.split(" [").next().unwrap_or(tail);
        address = after(tail, " (").unwrap_or("");
    }
    let address = address.split([')', ']']).next().unwrap_or(address);
    event.user_name = Some(user.into());
    event.set_source(address);
    // IMP: ` (forwarded for [a, b])`: the first is the client, the peer is kept.
    if let Some(forwarded) = after(head, "(forwarded for [")
        .and_then(|f| f.split([',', ']']).next())
        .and_then(|f| vigie_event::parse_ip(f.trim()))
    {
        event.client_ip = event.source_ip;
        event.source_ip = Some(forwarded);
    }
    if outcome == Outcome::Success {
        event.classify(Category::Authentication, "login", outcome);
    } else {
        event.classify(Category::Authentication, "login-failed", outcome);
        event.reason = Some("FAILED LOGIN".into());
    }
    true
}

/// Horde 5 writes one login attempt twice when IMP is Horde's authentication
/// (Debian's `php-horde-webmail`): IMP's `lib/Auth.php` (`[imp] … (ip) to
/// {imap://…}`) and `login.php` (`[horde] … to horde (ip)`), in the same
/// second, in either order (a failure IMP first, a success login.php first).
/// This remembers the recent attempts of one file so that the second line of
/// such a pair is known as the echo of the first, not a second attempt.
#[derive(Debug, Default)]
pub struct LoginEchoes {
    /// The last unpaired attempts: (second, application, user, address, outcome).
    recent: Vec<(i64, String, String, Option<std::net::IpAddr>, Outcome)>,
}

impl LoginEchoes {
    /// How many unpaired attempts of one second are remembered (logins
    /// interleaved by concurrent requests).
    const KEPT: usize = 8;

    /// Whether `event` (a Horde login or failed login) repeats an attempt
    /// already written by the other application in the same second, for the
    /// same user, address and outcome. A repeat pairs once: a third line is
    /// an attempt of its own. Events that are not Horde logins are not echoes.
    pub fn is_echo(&mut self, event: &Event<'_>) -> bool {
        if event.dataset != Dataset::Horde || event.category != Some(Category::Authentication) {
            return false;
        }
        let (Some(app), Some(user), Some(outcome)) = (
            event.process_name.as_deref(),
            event.user_name.as_deref(),
            event.outcome,
        ) else {
            return false;
        };
        let second = event.timestamp.unix_seconds();
        self.recent.retain(|r| r.0 == second);
        let pair = self.recent.iter().position(|(_, a, u, ip, o)| {
            a != app && u == user && *ip == event.source_ip && *o == outcome
        });
        if let Some(at) = pair {
            self.recent.remove(at);
            return true;
        }
        if self.recent.len() == Self::KEPT {
            self.recent.remove(0);
        }
        self.recent.push((
            second,
            app.to_owned(),
            user.to_owned(),
            event.source_ip,
            outcome,
        ));
        false
    }
}

/// The echo of a login attempt (`LoginEchoes`): the same line, no longer an
/// authentication event (category, action, outcome and reason cleared), so
/// that the attempt is counted once; its message, user and address stay.
pub fn as_echo<'a>(event: &Event<'a>) -> Event<'a> {
    let mut echo = event.clone();
    echo.category = None;
    echo.action = None;
    echo.outcome = None;
    echo.reason = None;
    echo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(message: &'static str) -> Event<'static> {
        let mut e = Event::new(Dataset::Syslog, "t", 1);
        parse(message, &mut e);
        e
    }

    #[test]
    fn imp_and_horde_logins() {
        let e = msg(
            "HORDE [imp] FAILED LOGIN for bob (10.0.0.2) (forwarded for [203.0.113.5]) to {imap://localhost:143/} [pid 1234 on line 156 of \"/usr/share/horde/imp/lib/Auth.php\"]",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.client_ip.map(|i| i.to_string()),
                e.auth_service()
            ),
            (
                Some("bob"),
                Some("203.0.113.5".into()),
                Some("10.0.0.2".into()),
                Some("webmail")
            )
        );
        let e = msg(
            "[error] [horde] FAILED LOGIN for graham [203.16.208.190] to Horde [on line 116 of \"/home/.sites/22/site1/web/horde/login.php\"]",
        );
        assert_eq!(
            (e.user_name.as_deref(), e.source_ip.map(|i| i.to_string())),
            (Some("graham"), Some("203.16.208.190".into()))
        );
        let e = msg(
            "HORDE [imp] Login success for bob (192.0.2.1) to {imap://localhost/} [pid 1 on line 2 of \"x\"]",
        );
        assert_eq!(e.action, Some("login"));
    }

    /// Horde 5.2.23 (Debian 12 `php-horde`) login.php, as the vigie lab's
    /// `horde.log` holds them: the address after the application.
    #[test]
    fn horde_5_login_php_lines_name_the_address() {
        let e = msg(
            "HORDE [horde] FAILED LOGIN for alice@lab.test to horde (127.0.0.66) [pid 28910 on line 191 of \"/usr/share/horde/login.php\"]",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (e.user_name.as_deref(), e.source_ip.map(|i| i.to_string())),
            (Some("alice@lab.test"), Some("127.0.0.66".into()))
        );
        let e = msg(
            "HORDE [horde] Login success for alice@lab.test to imp (127.0.0.10) [pid 28910 on line 156 of \"/usr/share/horde/login.php\"]",
        );
        assert_eq!(
            (e.action, e.source_ip.map(|i| i.to_string())),
            (Some("login"), Some("127.0.0.10".into()))
        );
        // No address at all: none made up.
        let e = msg("HORDE [horde] FAILED LOGIN for alice to horde");
        assert_eq!((e.user_name.as_deref(), e.source_ip), (Some("alice"), None));
    }

    /// The vigie lab's `horde.log` (lab/webmails.py horde-benign, Debian 12
    /// Horde 5.2.22 with IMP 6.2.27 as its authentication): a failed login is
    /// IMP's line then login.php's; a login, login.php's then IMP's.
    #[test]
    fn one_attempt_written_twice_counts_once() {
        let lines = [
            (
                "2026-12-01T04:18:58Z",
                "HORDE [imp] FAILED LOGIN for alice@lab.test (127.0.0.10) to {imap://127.0.0.1/} [pid 15307 on line 148 of \"/usr/share/horde/imp/lib/Auth.php\"]",
            ),
            (
                "2026-12-01T04:18:58Z",
                "HORDE [horde] FAILED LOGIN for alice@lab.test to horde (127.0.0.10) [pid 15307 on line 191 of \"/usr/share/horde/login.php\"]",
            ),
            (
                "2026-12-01T04:19:04Z",
                "HORDE [horde] Login success for alice@lab.test to horde (127.0.0.10) [pid 15308 on line 156 of \"/usr/share/horde/login.php\"]",
            ),
            (
                "2026-12-01T04:19:04Z",
                "HORDE [imp] Login success for alice@lab.test (127.0.0.10) to {imap://127.0.0.1/} [pid 15307 on line 148 of \"/usr/share/horde/imp/lib/Auth.php\"]",
            ),
            // The same second, another try by the same party: an attempt of its own.
            (
                "2026-12-01T04:19:04Z",
                "HORDE [imp] Login success for alice@lab.test (127.0.0.10) to {imap://127.0.0.1/} [pid 15307 on line 148 of \"/usr/share/horde/imp/lib/Auth.php\"]",
            ),
            // Another second: not an echo of the line before.
            (
                "2026-12-01T04:19:05Z",
                "HORDE [horde] Login success for alice@lab.test to horde (127.0.0.10) [pid 15308 on line 156 of \"/usr/share/horde/login.php\"]",
            ),
            // Same second, another address: not an echo.
            (
                "2026-12-01T04:19:05Z",
                "HORDE [imp] Login success for alice@lab.test (127.0.0.66) to {imap://127.0.0.1/} [pid 15307 on line 148 of \"/usr/share/horde/imp/lib/Auth.php\"]",
            ),
        ];
        let mut echoes = LoginEchoes::default();
        let verdicts: Vec<bool> = lines
            .iter()
            .map(|(at, line)| {
                let mut e = msg(line);
                e.timestamp =
                    vigie_event::Timestamp(at.parse::<jiff::Timestamp>().unwrap().as_microsecond());
                echoes.is_echo(&e)
            })
            .collect();
        assert_eq!(verdicts, [false, true, false, true, false, false, false]);
        let echo = as_echo(&msg(lines[1].1));
        assert!(!echo.is_authentication_failure());
        assert_eq!(
            (echo.action, echo.user_name.as_deref()),
            (None, Some("alice@lab.test"))
        );
    }
}
