//! nginx (`2014/12/30 06:07:37 [error] 80#2: *1 msg, client: 1.2.3.4, …`) and
//! Apache (`[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] msg`) error logs.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::text::{self, after, contains, word};
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// Parses an nginx error-log line.
pub fn parse_nginx<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let b = line.as_bytes();
    if b.get(4) != Some(&b'/') {
        return Err(Miss::NotMine);
    }
    let (time, used) = timestamp::iso(b).ok_or(Miss::NotMine)?;
    let rest = line[used..].strip_prefix(" [").ok_or(Miss::NotMine)?;
    let (level, rest) = text::split_once(rest, "] ").ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::NginxError, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    event.level = Some(level.into());
    let (pid_tid, message) = word(rest);
    event.process_pid = pid_tid
        .split(['#', ':'])
        .next()
        .and_then(|p| p.parse().ok());
    event.message = Some(message.into());
    if let Some(client) = after(message, ", client: ") {
        event.set_source(client.split(',').next().unwrap_or(client));
    }
    // `, request: "GET /market/ HTTP/1.1"`
    if let Some(request) = after(message, ", request: \"").and_then(|r| r.split('"').next()) {
        let (method, rest) = word(request);
        let (target, version) = rest.rsplit_once(' ').unwrap_or((rest, ""));
        event.http_method = Some(method.into());
        event.url_original = Some(target.into());
        event.url_path = Some(super::text::percent_decode(
            target.split('?').next().unwrap_or(target),
            false,
        ));
        event.http_version = version.strip_prefix("HTTP/").map(Into::into);
    }
    if mail_proxy(message, &mut event) {
        return Ok(event);
    }
    if let Some(server) = after(message, ", server: ") {
        event.url_domain = Some(server.split(',').next().unwrap_or(server).into());
    }
    nginx_basic_auth_failure(message, &mut event);
    Ok(event)
}

/// The nginx mail proxy (`mail {}`; src/mail/ngx_mail_handler.c,
/// ngx_mail_auth_http_module.c, ngx_mail_proxy_module.c), whose context is
/// `, client: ip, server: addr:port, login: "user", upstream: addr:port`:
///
/// - `*5 client 192.0.2.1:50123 connected to 0.0.0.0:143`
/// - `*5 client login failed: "Authentication failed" while in http auth state, client: …, login: "bob"`
/// - `*5 proxied session done, client: …, login: "bob", upstream: 10.0.0.5:143, bytes from/to client:120/3456, …`
///
/// The server is the listening address (`destination.*`), not a URL domain;
/// the service follows its port. `false` when the line is not the mail proxy's.
fn mail_proxy<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    let (_, text) = word(message);
    let connected = text
        .strip_prefix("client ")
        .and_then(|t| t.split_once(" connected to "));
    let login = after(message, ", login: \"").and_then(|l| l.split('"').next());
    if connected.is_none() && login.is_none() && !contains(message, "while in http auth state") {
        return false;
    }
    let server = connected
        .map(|(_, s)| s)
        .or_else(|| after(message, ", server: "))
        .map(|s| s.split(',').next().unwrap_or(s));
    if let Some((client, _)) = connected {
        set_client(client, event);
    }
    let port: Option<u16> = server
        .and_then(|s| s.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok());
    event.destination_port = port;
    event.protocol = match port {
        Some(143 | 993) => Some("imap".into()),
        Some(110 | 995) => Some("pop3".into()),
        Some(25 | 465 | 587) => Some("smtp".into()),
        _ => None,
    };
    if let Some(user) = login.filter(|l| !l.is_empty()) {
        event.user_name = Some(user.into());
    }
    if let Some(upstream) = after(message, ", upstream: ") {
        event.destination_address = Some(upstream.split(',').next().unwrap_or(upstream).into());
    }
    if let Some(reason) = after(text, "client login failed: \"").and_then(|r| r.split('"').next()) {
        event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        event.reason = Some(reason.into());
    } else if connected.is_some() {
        event.classify(Category::Network, "connect", Outcome::Unknown);
    } else if text.starts_with("proxied session done") {
        if let Some((from, to)) = after(message, "bytes from/to client:")
            .map(|b| b.split(',').next().unwrap_or(b))
            .and_then(|b| b.split_once('/'))
        {
            event.bytes_in = from.parse().ok();
            event.bytes_out = to.parse().ok();
        }
        event.classify(Category::Session, "logout", Outcome::Success);
    }
    true
}

/// ngx_http_auth_basic_module: `*1 user "bob": password mismatch, client: …`
/// and `*1 user "bob" was not found in "/etc/nginx/.htpasswd", client: …`.
fn nginx_basic_auth_failure<'a>(message: &'a str, event: &mut Event<'a>) {
    let Some(rest) = after(message, "user \"") else {
        return;
    };
    let Some((user, tail)) = text::split_once(rest, "\"") else {
        return;
    };
    let reason = if let Some(r) = tail.strip_prefix(": password mismatch") {
        &tail[..tail.len() - r.len()]
    } else if tail.starts_with(" was not found in ") {
        tail.split(", client: ").next().unwrap_or(tail)
    } else {
        return;
    };
    event.user_name = Some(user.into());
    event.protocol = Some("http".into());
    event.classify(Category::Authentication, "login-failed", Outcome::Failure);
    event.reason = Some(reason.trim_start_matches(": ").trim_start().into());
}

/// Parses an Apache error-log line (2.2 and 2.4 shapes).
pub fn parse_apache<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let inner = line.strip_prefix('[').ok_or(Miss::NotMine)?;
    let (time, used) = timestamp::ctime(inner.as_bytes()).ok_or(Miss::NotMine)?;
    let rest = inner[used..].strip_prefix("] ").ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::ApacheError, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    apache_fields(rest, &mut event);
    Ok(event)
}

/// Reads an Apache error message written to syslog (`ErrorLog syslog:…`),
/// which has no time of its own (httpd server/log.c `do_errorlog_default`
/// leaves it out when `using_syslog`): `[auth_basic:error] [pid 912] [client
/// 192.0.2.9:5150] AH01617: …`. `false` when the message has not that shape.
pub fn apache_syslog<'a>(message: &'a str, event: &mut Event<'a>) -> bool {
    if !message.starts_with('[') || !text::contains(message, "] ") {
        return false;
    }
    event.dataset = Dataset::ApacheError;
    apache_fields(message, event);
    true
}

/// `[level]`, `[module:level]`, `[pid N:tid M]`, `[client ip:port]` in any
/// order, then the message.
fn apache_fields<'a>(mut rest: &'a str, event: &mut Event<'a>) {
    while let Some(field) = rest.strip_prefix('[') {
        let Some((content, after_field)) = text::split_once(field, "] ") else {
            break;
        };
        if let Some(client) = content.strip_prefix("client ") {
            set_client(client, event);
        } else if let Some(pid) = content.strip_prefix("pid ") {
            event.process_pid = pid.split(':').next().and_then(|p| p.parse().ok());
        } else {
            event.level = Some(content.rsplit(':').next().unwrap_or(content).into());
        }
        rest = after_field;
    }
    event.message = Some(rest.into());
    if event.source_ip.is_none() {
        // `(70014)End of file found: [client 192.168.1.1:17036] AH02006: …`
        if let Some(client) = after(rest, "[client ").and_then(|c| c.split(']').next()) {
            set_client(client, event);
        }
    }
    basic_auth_failure(rest, event);
}

/// `ip:port` (the port is dropped) or a bare address.
fn set_client<'a>(client: &'a str, event: &mut Event<'a>) {
    let ip = match client.rsplit_once(':') {
        Some((ip, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !ip.ends_with(':') => ip,
        _ => client,
    };
    event.set_source(ip);
}

/// mod_auth_basic failures: `AH01618: user bob not found: /private` and
/// `AH01617: user bob: authentication failure for "/private": Password Mismatch`.
fn basic_auth_failure<'a>(message: &'a str, event: &mut Event<'a>) {
    let text = message
        .split_once("AH0161")
        .map_or(message, |(_, r)| r.get(3..).unwrap_or(r));
    let Some(rest) = text.trim_start().strip_prefix("user ") else {
        return;
    };
    let (user, path) = if let Some((user, path)) = text::split_once(rest, " not found: ") {
        (user, path)
    } else if let Some((user, tail)) = text::split_once(rest, ": authentication failure for \"") {
        (user, tail.split('"').next().unwrap_or(tail))
    } else {
        return;
    };
    event.user_name = Some(user.into());
    event.url_path = Some(path.into());
    event.protocol = Some("http".into());
    event.classify(Category::Authentication, "login-failed", Outcome::Failure);
    event.reason = Some(rest.into());
}
