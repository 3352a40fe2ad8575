//! The syslog wrapper in every shape rsyslog, syslog-ng, journald exports and
//! Dovecot's own `log_path` write: RFC 3164 (with or without year, with or
//! without host), RFC 5424, ISO 8601 prefixes, and daemontools TAI64N labels.
//! The header becomes `@timestamp`, `host.name`, `process.*`; the message goes
//! to the parser of the program that wrote it ([`dispatch`]).

use vigie_event::{Dataset, Event};

use super::timestamp::{self, RawTime};
use super::{
    LineContext, Miss, SkipReason, amavis, courier, cyrus, dovecot, exim, horde, mailscanner,
    opensmtpd, pam, perdition, postfix, qmail, roundcube, rspamd, sendmail, sogo, solid_pop3d,
    spamassassin, squirrelmail, uw_imap, vpopmail, web_access, web_error,
};
use crate::parse::text::{self, word};

/// What the syslog header says.
#[derive(Debug, PartialEq)]
pub struct Header<'a> {
    /// The time as written.
    pub time: RawTime,
    /// The host field, when present.
    pub host: Option<&'a str>,
    /// The program (tag) without its pid, when present.
    pub program: Option<&'a str>,
    /// The pid in `program[pid]`.
    pub pid: Option<u64>,
    /// The message after the header.
    pub message: &'a str,
}

/// Whether the line starts like a syslog line of any shape (cheap check for format detection).
pub fn looks_like(line: &str) -> bool {
    let b = line.as_bytes();
    match b.first() {
        Some(b'<') => b.get(1).is_some_and(u8::is_ascii_digit),
        Some(b'@') => b.starts_with(b"@4000"),
        Some(c) if c.is_ascii_digit() => iso_with_program(line).is_some(),
        Some(_) => timestamp::syslog(b).is_some(),
        None => false,
    }
}

/// An ISO-stamped line whose next words are `[host] program[pid]:` (rsyslog's
/// RFC 3339 format), as opposed to an Exim mainlog line with the same stamp.
fn iso_with_program(line: &str) -> Option<Header<'_>> {
    let (time, used) = timestamp::iso(line.as_bytes())?;
    let header = after_time(time, line.get(used..)?.strip_prefix(' ')?)?;
    header.program.is_some().then_some(header)
}

/// Parses the header of a syslog line.
pub fn header(line: &str) -> Option<Header<'_>> {
    let mut rest = line;
    if let Some(after_pri) = strip_pri(rest) {
        rest = after_pri;
        if let Some(v5424) = rest.strip_prefix("1 ") {
            return rfc5424(v5424);
        }
    }
    let b = rest.as_bytes();
    if let Some((time, used)) = timestamp::syslog(b).or_else(|| timestamp::tai64n(b)) {
        return after_time(time, rest[used..].trim_start_matches(' '));
    }
    if b.first().is_some_and(u8::is_ascii_digit) {
        return iso_with_program(rest);
    }
    None
}

fn strip_pri(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('<')?;
    let close = inner.find('>')?;
    (close <= 3 && inner[..close].bytes().all(|b| b.is_ascii_digit())).then(|| &inner[close + 1..])
}

/// `[host] program[pid]: message`, the part after the time.
fn after_time(time: RawTime, rest: &str) -> Option<Header<'_>> {
    let (first, after_first) = word(rest);
    if let Some((program, pid)) = program_token(first) {
        return Some(Header {
            time,
            host: None,
            program: Some(program),
            pid,
            message: after_first,
        });
    }
    let (second, after_second) = word(after_first);
    // `sogod [1234]: …`: a tag and its pid apart.
    if let Some(pid) = second
        .strip_prefix('[')
        .and_then(|p| p.strip_suffix("]:"))
        .and_then(|p| p.parse().ok())
        && first
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
    {
        return Some(Header {
            time,
            host: None,
            program: Some(first),
            pid: Some(pid),
            message: after_second,
        });
    }
    if let Some((program, pid)) = program_token(second) {
        return Some(Header {
            time,
            // syslog-ng and rsyslog templates that write `$LEVEL` or
            // `$FACILITY` where the host goes: a severity is never a host.
            host: (!is_priority_word(first)).then_some(first),
            program: Some(program),
            pid,
            message: after_second,
        });
    }
    // `host message` without a tag (`last message repeated 3 times`).
    Some(Header {
        time,
        host: (!first.is_empty()).then_some(first),
        program: None,
        pid: None,
        message: after_first,
    })
}

/// Whether a word in the host position is a syslog severity (`info`), or a
/// `facility.severity` pair (`mail.info`, `<local3.err>`), written there by
/// a template. A bare facility (`mail`) is a common host name and stays one.
fn is_priority_word(word: &str) -> bool {
    const SEVERITIES: [&str; 11] = [
        "emerg", "panic", "alert", "crit", "err", "error", "warning", "warn", "notice", "info",
        "debug",
    ];
    const FACILITIES: [&str; 22] = [
        "kern", "user", "mail", "daemon", "auth", "authpriv", "syslog", "lpr", "news", "uucp",
        "cron", "ftp", "security", "local0", "local1", "local2", "local3", "local4", "local5",
        "local6", "local7", "mark",
    ];
    let word = word.trim_start_matches('<').trim_end_matches('>');
    let severity = |s: &str| SEVERITIES.iter().any(|w| s.eq_ignore_ascii_case(w));
    match word.split_once('.') {
        None => severity(word),
        Some((facility, level)) => {
            FACILITIES.iter().any(|f| facility.eq_ignore_ascii_case(f)) && severity(level)
        }
    }
}

/// `name:`, `name[pid]:`, or Dovecot's `imap(user)<pid><session>:`.
fn program_token(token: &str) -> Option<(&str, Option<u64>)> {
    let token = token.strip_suffix(':')?;
    let first = token.bytes().next()?;
    if !first.is_ascii_alphabetic() && first != b'/' {
        return None;
    }
    if let Some(open) = token.find('[') {
        let pid = token[open + 1..].strip_suffix(']')?;
        return Some((&token[..open], pid.parse().ok()));
    }
    Some((token, None))
}

fn rfc5424(rest: &str) -> Option<Header<'_>> {
    let (stamp, rest) = word(rest);
    let time = if stamp == "-" {
        None
    } else {
        Some(timestamp::iso(stamp.as_bytes())?.0)
    };
    let (host, rest) = word(rest);
    let (app, rest) = word(rest);
    let (procid, rest) = word(rest);
    let (_msgid, rest) = word(rest);
    let message = skip_structured_data(rest);
    fn nil(s: &str) -> Option<&str> {
        if s == "-" { None } else { Some(s) }
    }
    Some(Header {
        time: time?,
        host: nil(host),
        program: nil(app),
        pid: procid.parse().ok(),
        message: message.strip_prefix('\u{feff}').unwrap_or(message),
    })
}

fn skip_structured_data(rest: &str) -> &str {
    if let Some(after) = rest.strip_prefix("- ") {
        return after;
    }
    if rest == "-" {
        return "";
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let (mut escaped, mut quoted) = (false, false);
        i += 1;
        while let Some(&c) = b.get(i) {
            i += 1;
            match c {
                b'\\' if !escaped => escaped = true,
                b'"' if !escaped => {
                    quoted = !quoted;
                }
                b']' if !escaped && !quoted => break,
                _ => escaped = false,
            }
            if c != b'\\' {
                escaped = false;
            }
        }
    }
    rest[i.min(rest.len())..].trim_start_matches(' ')
}

/// Parses a syslog line into an event.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let header = header(line).ok_or(Miss::NotMine)?;
    // nginx (`access_log syslog:…`, `error_log syslog:…`) and Apache
    // (`CustomLog "|logger"`, `ErrorLog syslog:`) lines wrapped in syslog stay
    // access and error events: nginx's carry their own time, Apache's error
    // lines have none.
    if let Some(program) = header.program
        && let Some(nginx) = web_server(program)
    {
        let parsed = if web_access::looks_like(header.message) {
            let dataset = if nginx {
                Dataset::NginxAccess
            } else {
                Dataset::ApacheAccess
            };
            web_access::parse(header.message, ctx, dataset)
        } else if nginx && header.message.as_bytes().get(4) == Some(&b'/') {
            web_error::parse_nginx(header.message, ctx)
        } else if !nginx && header.message.starts_with('[') {
            let mut event = Event::new(Dataset::ApacheError, ctx.path, ctx.number);
            event.timestamp = ctx
                .time
                .resolve(header.time)
                .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
            if web_error::apache_syslog(header.message, &mut event) {
                Ok(event)
            } else {
                Err(Miss::NotMine)
            }
        } else {
            Err(Miss::NotMine)
        };
        match parsed {
            Ok(mut event) => {
                event.host_name = header.host.map(Into::into);
                event.process_name = Some(program.into());
                event.process_pid = event.process_pid.or(header.pid);
                return Ok(event);
            }
            Err(Miss::Skip(reason)) => return Err(Miss::Skip(reason)),
            // Any other line of the web server is a plain syslog event.
            Err(Miss::NotMine) => {}
        }
    }
    generic(header, ctx)
}

/// `Some(true)` for nginx's syslog tags, `Some(false)` for Apache's (`httpd`,
/// `apache2`, a `logger -t` tag), `None` for any other program.
fn web_server(program: &str) -> Option<bool> {
    // Nearly every tag is not a web server's: a few comparisons of its end
    // reject it without scanning it.
    const NAMES: [(&str, bool); 8] = [
        ("nginx", true),
        ("nginx_access", true),
        ("nginx_error", true),
        ("httpd", false),
        ("apache", false),
        ("apache2", false),
        ("apache-access", false),
        ("apache-error", false),
    ];
    NAMES.iter().find_map(|&(name, nginx)| {
        let start = program.len().checked_sub(name.len())?;
        (program.ends_with(name) && (start == 0 || program.as_bytes()[start - 1] == b'/'))
            .then_some(nginx)
    })
}

/// The program's name after its last `/` (`postfix/submission/smtpd` →
/// `smtpd`, `/usr/sbin/amavisd` → `amavisd`).
fn base_name(program: &str) -> &str {
    program
        .bytes()
        .rposition(|b| b == b'/')
        .map_or(program, |i| &program[i + 1..])
}

/// A syslog line of any program but a web server's (inlined: the event is
/// built in place rather than moved out of one more frame).
#[inline(always)]
fn generic<'a>(header: Header<'a>, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let timestamp = ctx
        .time
        .resolve(header.time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let mut event = Event::new(Dataset::Syslog, ctx.path, ctx.number);
    event.timestamp = timestamp;
    event.process_pid = header.pid;
    // Horde 3 writes its ident where the host goes: `HORDE [error] [horde] …`.
    event.host_name = header.host.filter(|h| *h != "HORDE").map(Into::into);
    if horde::is_horde(header.program, header.host, header.message) {
        horde::parse(header.message, &mut event);
        return Ok(event);
    }
    // multilog without a tag: `@4000… CHKUSER rejected rcpt: …` reads as a host `CHKUSER`.
    if header.program.is_none() && header.host == Some("CHKUSER") {
        event.host_name = None;
        event.message = Some(header.message.into());
        qmail::parse(header.message, &mut event);
        return Ok(event);
    }
    dispatch(&mut event, header.program, header.message);
    Ok(event)
}

/// Hands a syslog message to the parser of the program that wrote it; a
/// program vigie does not interpret stays a `syslog` event with its message.
pub fn dispatch<'a>(event: &mut Event<'a>, program: Option<&'a str>, message: &'a str) {
    event.process_name = program.map(Into::into);
    event.message = Some(message.into());
    let Some(program) = program else { return };
    // Dovecot without a host or tag writes its level where the tag would be
    // (`Jun 23 15:04:05 Info: imap-login: Login: …`).
    if matches!(
        program,
        "Info" | "Warning" | "Error" | "Fatal" | "Panic" | "Debug"
    ) && let Some((service, rest)) = message
        .split_once(": ")
        .filter(|(s, _)| dovecot::is_dovecot_program(s))
    {
        event.level = Some(program.into());
        dovecot::parse(service, rest, event);
        return;
    }
    // The program picks its parser: chkuser's lines by their content (its
    // program is qmail-smtpd's or a wrapper's), the common ones by a prefix
    // test, the rest in one `match` on the name after its last `/` (a length
    // switch and one comparison), the prefix families after it.
    let recognized = if qmail::is_chkuser(message) {
        qmail::parse(message, event)
    } else if program.starts_with("postfix") {
        postfix::parse(program, message, event)
    } else if dovecot::is_dovecot_program(program) {
        dovecot::parse(program, message, event)
    } else {
        let base = base_name(program);
        match base {
            "smtpd" if opensmtpd::parse(message, event) => true,
            "solid-pop3d" => solid_pop3d::parse(message, event),
            "vpopmail" => vpopmail::parse(message, event),
            "sogod" => sogo::parse(message, event),
            "spamd" => spamassassin::parse(message, event),
            "rspamd" => rspamd::parse(message, event),
            "MailScanner" => mailscanner::parse(message, event),
            _ if base.starts_with("qmail-smtpd") && qmail::parse_verdict(message, event) => true,
            _ if base.starts_with("exim") => exim::parse_message(
                message
                    .strip_prefix('[')
                    .and_then(|m| text::split_once(m, "] "))
                    .map_or(message, |(_, m)| m),
                event,
            ),
            _ if base.eq_ignore_ascii_case("roundcube") => roundcube::parse_message(message, event),
            _ if base.starts_with("perdition") => perdition::parse(message, event),
            _ if amavis::is_amavis_program(base) => amavis::parse(message, event),
            _ if sendmail::is_sendmail_program(base) => sendmail::parse(message, event),
            // `imapd` and `pop3d` are Courier's, Cyrus's and UW's tags alike:
            // each claims only its own wording.
            _ => {
                (courier::is_courier_program(base) && courier::parse(base, message, event))
                    || (uw_imap::is_uw_program(base) && uw_imap::parse(base, message, event))
                    || (cyrus::is_cyrus_program(program, base)
                        && cyrus::parse(base, message, event))
            }
        }
    };
    // SquirrelMail logs through PHP's syslog() under whatever ident PHP has.
    if !recognized && !squirrelmail::parse_message(message, event) {
        pam::parse(message, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_shapes() {
        let h = header("Jun 13 16:30:54 platypus dovecot: imap-login: Disconnected").unwrap();
        assert_eq!(
            (h.host, h.program, h.message),
            (
                Some("platypus"),
                Some("dovecot"),
                "imap-login: Disconnected"
            )
        );
        let h = header("Nov 28 22:39:29 auth: Info: passwd-file(x)").unwrap();
        assert_eq!(
            (h.host, h.program, h.message),
            (None, Some("auth"), "Info: passwd-file(x)")
        );
        let h =
            header("Nov 28 22:40:19 imap(bob@lab.test)<321><7BuZ211hq8h/AABD>: Info: Disconnected")
                .unwrap();
        assert_eq!(h.program, Some("imap(bob@lab.test)<321><7BuZ211hq8h/AABD>"));
        let h = header("2026-11-28T22:37:26.238373+00:00 mail postfix/submission/smtpd[31805]: 3A2B6E003F: client=x").unwrap();
        assert_eq!(
            (h.host, h.program, h.pid),
            (Some("mail"), Some("postfix/submission/smtpd"), Some(31805))
        );
        let h = header("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Appli]cation\"] BOM'su root' failed").unwrap();
        assert_eq!(
            (h.host, h.program, h.message),
            (
                Some("mymachine.example.com"),
                Some("su"),
                "BOM'su root' failed"
            )
        );
        let h = header("<13>Feb  5 17:32:18 10.0.0.99 myproc[8710]: hello").unwrap();
        assert_eq!(
            (h.host, h.program, h.pid),
            (Some("10.0.0.99"), Some("myproc"), Some(8710))
        );
        assert!(
            header("2017-01-23 03:44:14 dovecot_login authenticator failed for (hydra)").is_none()
        );
        assert!(
            header("2016-04-01 11:08:00 info exim[8003]: [8003] SMTP protocol error").is_some()
        );
        // Issue 12: a template's severity or facility is not a host name.
        for line in [
            "2024-03-24T02:04:32.263+00:00 info exim[8001]: [8001] SMTP connection from [192.0.2.29]:20042",
            "Mar 24 02:04:32 mail.warning exim[8001]: x",
            "Mar 24 02:04:32 <local3.err> exim[8001]: x",
        ] {
            let h = header(line).unwrap();
            assert_eq!((h.host, h.program), (None, Some("exim")), "{line}");
        }
    }
}
