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
}
