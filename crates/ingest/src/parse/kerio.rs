//! Kerio Connect security log: `[17/Jun/2011 17:00:45] SMTP Spam attack detected from ip, …`,
//! DNS-blacklist hits, relay attempts and deliveries to unknown recipients.

use vigie_event::{Category, Dataset, Event, Outcome};

use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// Parses a Kerio Connect log line.
pub fn parse<'a>(line: &'a str, ctx: &mut LineContext<'a, '_>) -> Result<Event<'a>, Miss> {
    let inner = line.strip_prefix('[').ok_or(Miss::NotMine)?;
    let (time, used) = timestamp::clf(inner.as_bytes()).ok_or(Miss::NotMine)?;
    let message = inner[used..].strip_prefix("] ").ok_or(Miss::NotMine)?;
    let mut event = Event::new(Dataset::Kerio, ctx.path, ctx.number);
    event.timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    event.message = Some(message.into());
    event.protocol = Some("smtp".into());
    let address = ["IP address ", " from "]
        .iter()
        .flat_map(|marker| {
            memchr::memmem::find_iter(message.as_bytes(), marker.as_bytes())
                .map(move |i| i + marker.len())
        })
        .map(|start| {
            let rest = &message[start..];
            rest[..rest.find([' ', ',']).unwrap_or(rest.len())].trim_end_matches('.')
        })
        .find(|a| vigie_event::parse_ip(a).is_some());
    if let Some(address) = address {
        event.set_source(address);
        if message.contains("login") && message.contains("ailed") {
            event.classify(Category::Authentication, "login-failed", Outcome::Failure);
        } else {
            let action = if message.contains("blacklist") {
                "dnsbl-listed"
            } else {
                "reject"
            };
            event.classify(Category::Network, action, Outcome::Failure);
        }
        event.reason = Some(message.into());
    }
    Ok(event)
}
