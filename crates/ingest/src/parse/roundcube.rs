//! Roundcube's own logs (`userlogins`, `errors`, `sendmail`, `session`) from
//! 1.3 to 1.6, written to files as `[dd-Mmm-YYYY HH:MM:SS +zzzz]: <sess> …` or
//! through syslog as `roundcube: …`; and PHP's own lines in the same files.
//! Which log a line belongs to is read from its text, not the file name.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, after, contains, word};
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// Parses a bracketed Roundcube or PHP-FPM line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let inner = line.strip_prefix('[').ok_or(Miss::NotMine)?;
    let (time, used) = timestamp::php(inner.as_bytes()).ok_or(Miss::NotMine)?;
    let after_time = &inner[used..];
    let (timestamp, rest) = match (time, after_time.strip_prefix(']')) {
        (_, Some(rest)) => (ctx.time.resolve(time), rest),
        // `[02-May-2021 13:16:15 America/Boise]`: PHP's `date.timezone` by name.
        (timestamp::RawTime::Civil(civil), None) => {
            let (zone, rest) = after_time
                .strip_prefix(' ')
                .and_then(|z| z.split_once(']'))
                .ok_or(Miss::NotMine)?;
            if zone.is_empty() || zone.contains(' ') {
                return Err(Miss::NotMine);
            }
            (ctx.time.resolve_in_named_zone(civil, zone), rest)
        }
        _ => return Err(Miss::NotMine),
    };
    let timestamp = timestamp.ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let mut event = Event::new(Dataset::RoundcubeErrors, ctx.path, ctx.number);
    event.timestamp = timestamp;
    if let Some(message) = rest.strip_prefix(": ") {
        parse_message(message, &mut event);
    } else {
        let message = rest.trim_start();
        // PHP-FPM master (`NOTICE: fpm is running`) or PHP's own warning lines.
        if let Some(php) = message.strip_prefix("PHP ") {
            event.level = php.split(':').next().map(Into::into);
        } else if let Some((level, _)) = message
            .split_once(": ")
            .filter(|(l, _)| l.bytes().all(|b| b.is_ascii_uppercase()))
        {
            event.dataset = Dataset::PhpFpm;
            event.level = Some(level.into());
        }
        event.message = Some(message.into());
    }
    Ok(event)
}

/// Interprets a Roundcube message (after the time), with or without the
/// `<session>` prefix Roundcube 1.1+ writes.
pub fn parse_message<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let mut message = message;
    if let Some(inner) = message.strip_prefix('<')
        && let Some((sess, rest)) = text::split_once(inner, "> ")
        && !sess.contains(' ')
    {
        event.session_id = Some(sess.into());
        message = rest;
    }
    event.message = Some(message.into());
    event.protocol = Some("http".into());
    if let Some(rest) = message.strip_prefix("Successful login for ") {
        event.dataset = Dataset::RoundcubeUserlogins;
        login(rest, event, Outcome::Success);
    } else if let Some(rest) = message
        .strip_prefix("Failed login for ")
        .or_else(|| message.strip_prefix("FAILED login for "))
    {
        event.dataset = Dataset::RoundcubeUserlogins;
        login(rest, event, Outcome::Failure);
    } else if let Some(rest) = message.strip_prefix("Session ") {
        event.dataset = Dataset::RoundcubeSession;
        session(rest, event);
    } else if let Some(rest) = message
        .strip_prefix("User ")
        .filter(|r| contains(r, "; Message "))
    {
        event.dataset = Dataset::RoundcubeSendmail;
        sendmail(rest, event);
    } else {
        event.dataset = Dataset::RoundcubeErrors;
        error(message, event);
    }
    true
}

/// `alice@lab.test (ID: 1) from 127.0.0.66 in session 62mkr3pq…[ (error: 4)]`
fn login<'a>(rest: &'a str, event: &mut Event<'a>, outcome: Outcome) {
    let (head, session) = match rest.rsplit_once(" in session ") {
        Some((head, tail)) => {
            let (sess, tail) = word(tail);
            if let Some(code) = tail
                .strip_prefix("(error: ")
                .and_then(|c| c.strip_suffix(')'))
            {
                event.reason = Some(login_error(code).into());
            }
            (head, Some(sess))
        }
        None => (rest, None),
    };
    if let Some(sess) = session {
        event.session_id = Some(sess.into());
    }
    // The forwarded-header suffix may itself hold ` from ` in a forged header:
    // the peer is the last ` from ` before it.
    let bare = head.split(" (X-").next().unwrap_or(head);
    if let Some((user, ip)) = bare.rsplit_once(" from ") {
        let ip = ip.split([' ', '(']).next().unwrap_or(ip);
        event.set_source(ip);
        forwarded_client(&head[bare.len()..], event);
        let user = user.split(" (ID: ").next().unwrap_or(user);
        event.user_name = Some(user.into());
    }
    let action = if outcome == Outcome::Success {
        "login"
    } else {
        "login-failed"
    };
    event.classify(Category::Authentication, action, outcome);
}

/// Roundcube behind a proxy: `rcube_utils::remote_ip()` appends the headers
/// it saw, ` (X-Forwarded-For: a[, b])` or ` (X-Real-IP: a,X-Forwarded-For: a)`.
/// The forwarded client becomes `source.ip` (who the line is about) and the
/// peer that sent the request `client.ip`, as for nginx access logs. The
/// headers are the client's word when no proxy sets them: both stay visible.
fn forwarded_client<'a>(suffix: &'a str, event: &mut Event<'a>) {
    let Some(inner) = suffix
        .trim_start()
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
    else {
        return;
    };
    let header = |name: &str| after(inner, name).map(|v| v.split(',').next().unwrap_or(v).trim());
    let forwarded = header("X-Real-IP: ")
        .or_else(|| header("X-Forwarded-For: "))
        .and_then(vigie_event::parse_ip);
    if let Some(client) = forwarded
        && event.source_ip.is_some_and(|peer| peer != client)
    {
        event.client_ip = event.source_ip;
        event.source_ip = Some(client);
    }
}

/// Roundcube's login error codes (`rcmail::login` / `rcube_user`), as the log numbers them.
fn login_error(code: &str) -> &'static str {
    match code {
        "0" => "error 0: authentication failed",
        "1" => "error 1: login failed",
        "2" => "error 2: IMAP connection failed",
        "3" => "error 3: invalid or expired request",
        "4" => "error 4: account locked by login_rate_limit",
        _ => "login error",
    }
}

/// `regenerate: old -> new`, `destroy: id`, `start: id`
fn session<'a>(rest: &'a str, event: &mut Event<'a>) {
    let (verb, ids) = text::split_once(rest, ": ").unwrap_or((rest, ""));
    let id = ids.rsplit(" -> ").next().unwrap_or(ids);
    if !id.is_empty() {
        event.session_id = Some(id.into());
    }
    let action = match verb {
        "destroy" => "session-end",
        "regenerate" => "session-regenerate",
        _ => "session-start",
    };
    event.classify(Category::Session, action, Outcome::Success);
}

/// `alice@lab.test [127.0.0.66]; Message <id@lab.test> for bob@lab.test; 250: 2.0.0 Ok: queued as 2688FE000E`
fn sendmail<'a>(rest: &'a str, event: &mut Event<'a>) {
    let (who, tail) = text::split_once(rest, "; Message ").unwrap_or((rest, ""));
    if let Some((user, ip)) = text::split_once(who, " [") {
        event.user_name = Some(user.into());
        event.set_source(ip.trim_end_matches(']'));
    }
    if let Some((id, after_id)) = text::split_once(tail, " for ") {
        event.email_message_id = Some(vigie_event::strip_angles(id).into());
        let (to, response) = text::split_once(after_id, "; ").unwrap_or((after_id, ""));
        event.email_to = Some(to.into());
        let ok = response.starts_with('2');
        event.reason = (!response.is_empty()).then(|| response.into());
        event.classify(
            Category::Email,
            "send",
            if ok {
                Outcome::Success
            } else {
                Outcome::Failure
            },
        );
    }
}

/// `IMAP Error: Login failed for USER [against HOST] from IP. AUTHENTICATE …`
/// The user name is the attacker's text and may itself contain ` from `, so
/// the address is the last `from` before the server's own response.
fn error<'a>(message: &'a str, event: &mut Event<'a>) {
    let Some(rest) = after(message, "Login failed for ") else {
        if let Some(level) = message.split(':').next().filter(|l| l.ends_with("Error")) {
            event.level = Some(level.into());
        }
        return;
    };
    event.level = Some("IMAP Error".into());
    let end = [
        "AUTHENTICATE ",
        "LOGIN:",
        " in /",
        "Could not",
        "Empty startup greeting",
    ]
    .iter()
    .filter_map(|m| rest.find(m))
    .min()
    .unwrap_or(rest.len());
    let head = rest[..end].trim_end().trim_end_matches('.');
    if let Some((user, ip)) = head.rsplit_once(" from ") {
        // `from ip (X-Forwarded-For: …)`, also written without the space.
        let (peer, suffix) = ip.split_at(ip.find([' ', '(']).unwrap_or(ip.len()));
        let peer = peer.trim_end_matches('.');
        event.set_source(peer);
        forwarded_client(suffix, event);
        let user = user.split(" against ").next().unwrap_or(user);
        event.user_name = Some(user.into());
    }
    event.reason = Some(rest[end..].into());
    event.classify(Category::Authentication, "login-failed", Outcome::Failure);
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
    fn userlogins_all_versions() {
        let e = msg(
            "<62mkr3pq> Successful login for alice@lab.test (ID: 1) from 127.0.0.66 in session 62mkr3pqev4crc8g",
        );
        assert_eq!(
            (e.action, e.user_name.as_deref(), e.session_id.as_deref()),
            (
                Some("login"),
                Some("alice@lab.test"),
                Some("62mkr3pqev4crc8g")
            )
        );
        assert_eq!(e.source_ip.unwrap().to_string(), "127.0.0.66");
        let e = msg(
            "<agtku9at> Failed login for alice@lab.test from 127.0.0.66 in session agtku9atp4o1nu3i (error: 4)",
        );
        assert!(e.is_authentication_failure());
        assert!(e.reason.as_deref().unwrap().contains("login_rate_limit"));
        let e = msg("FAILED login for user1 from 192.0.43.10");
        assert_eq!(
            (e.user_name.as_deref(), e.source_ip.unwrap().to_string()),
            (Some("user1"), "192.0.43.10".into())
        );
    }

    #[test]
    fn behind_a_proxy_the_forwarded_client_is_the_source_and_the_peer_kept() {
        // Issue 12, line 3 (Roundcube 1.5 `rcube_utils::remote_ip()` format).
        let e = msg(
            "<7vrb6kgr> Failed login for user1@example.org from 192.0.2.10 (X-Forwarded-For: 203.0.113.5) in session 7vrb6kgrindb97hg (error: 1)",
        );
        assert!(e.is_authentication_failure());
        assert_eq!(
            (
                e.user_name.as_deref(),
                e.source_ip.map(|i| i.to_string()),
                e.client_ip.map(|i| i.to_string()),
                e.session_id.as_deref()
            ),
            (
                Some("user1@example.org"),
                Some("203.0.113.5".into()),
                Some("192.0.2.10".into()),
                Some("7vrb6kgrindb97hg")
            )
        );
        let e = msg(
            "Successful login for bob (ID: 3) from 10.0.0.2 (X-Real-IP: 198.51.100.7,X-Forwarded-For: 198.51.100.7, 10.0.0.9) in session abc",
        );
        assert_eq!(
            (
                e.source_ip.map(|i| i.to_string()),
                e.client_ip.map(|i| i.to_string())
            ),
            (Some("198.51.100.7".into()), Some("10.0.0.2".into()))
        );
        let e = msg(
            "IMAP Error: Login failed for admin against localhost from 10.0.0.2 (X-Forwarded-For: 203.0.113.9). AUTHENTICATE PLAIN: Authentication failed. in /x.php on line 1 (POST /?_task=login&_action=login)",
        );
        assert_eq!(
            (
                e.source_ip.map(|i| i.to_string()),
                e.client_ip.map(|i| i.to_string())
            ),
            (Some("203.0.113.9".into()), Some("10.0.0.2".into()))
        );
    }

    #[test]
    fn imap_errors_resist_injected_user_names() {
        let e = msg(
            "IMAP Error: Login failed for admin from 127.0.0.1 from 1.2.3.4. AUTHENTICATE PLAIN: A0002 NO Login failed. in /usr/share/roundcube/program/include/rcube_imap.php on line 205 (POST /wmail/?_task=login&_action=login)",
        );
        assert_eq!(e.source_ip.unwrap().to_string(), "1.2.3.4");
        assert_eq!(e.user_name.as_deref(), Some("admin from 127.0.0.1"));
        let e = msg(
            "<20bsi5ui> IMAP Error: Login failed for admin@lab.test against 127.0.0.1 from 127.0.0.66. AUTHENTICATE PLAIN: Authentication failed. in /usr/share/roundcube/program/lib/Roundcube/rcube_imap.php on line 211 (POST /?_task=login&_action=login)",
        );
        assert_eq!(
            (e.user_name.as_deref(), e.source_ip.unwrap().to_string()),
            (Some("admin@lab.test"), "127.0.0.66".into())
        );
    }

    #[test]
    fn sendmail_and_session() {
        let e = msg(
            "<62mkr3pq> User alice@lab.test [127.0.0.66]; Message <1f4c@lab.test> for bob@lab.test; 250: 2.0.0 Ok: queued as 2688FE000E",
        );
        assert_eq!(
            (
                e.dataset,
                e.action,
                e.email_to.as_deref(),
                e.email_message_id.as_deref()
            ),
            (
                Dataset::RoundcubeSendmail,
                Some("send"),
                Some("bob@lab.test"),
                Some("1f4c@lab.test")
            )
        );
        let e = msg(
            "<tt6q02ac> Session regenerate: 52usbrdfe4ptgk3aaj1ivdpool -> tt6q02aco7m8ikbr2bapqeo6cb",
        );
        assert_eq!(e.session_id.as_deref(), Some("tt6q02aco7m8ikbr2bapqeo6cb"));
    }
}
