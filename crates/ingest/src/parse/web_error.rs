//! nginx (`2014/12/30 06:07:37 [error] 80#2: *1 msg, client: 1.2.3.4, …`) and
//! Apache (`[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] msg`) error logs.

use vigie_event::{Dataset, Event};

use super::text::{after, word};
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
    let (level, rest) = rest.split_once("] ").ok_or(Miss::NotMine)?;
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
    if let Some(server) = after(message, ", server: ") {
        event.url_domain = Some(server.split(',').next().unwrap_or(server).into());
    }
    Ok(event)
}

/// Parses an Apache error-log line (2.2 and 2.4 shapes).
pub fn parse_apache<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let inner = line.strip_prefix('[').ok_or(Miss::NotMine)?;
    let (time, used) = timestamp::ctime(inner.as_bytes()).ok_or(Miss::NotMine)?;
    let mut rest = inner[used..].strip_prefix("] ").ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::ApacheError, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    // `[level]`, `[module:level]`, `[pid N:tid M]`, `[client ip:port]` in any order.
    while let Some(field) = rest.strip_prefix('[') {
        let Some((content, after_field)) = field.split_once("] ") else {
            break;
        };
        if let Some(client) = content.strip_prefix("client ") {
            let ip = match client.rsplit_once(':') {
                Some((ip, port))
                    if port.bytes().all(|b| b.is_ascii_digit()) && !ip.ends_with(':') =>
                {
                    ip
                }
                _ => client,
            };
            event.set_source(ip);
        } else if let Some(pid) = content.strip_prefix("pid ") {
            event.process_pid = pid.split(':').next().and_then(|p| p.parse().ok());
        } else {
            event.level = Some(content.rsplit(':').next().unwrap_or(content).into());
        }
        rest = after_field;
    }
    event.message = Some(rest.into());
    Ok(event)
}
