//! `journalctl -o json` exports: one JSON object a line. The syslog fields
//! (`SYSLOG_IDENTIFIER`, `_PID`, `_HOSTNAME`, `MESSAGE`) go through the same
//! program dispatch as a syslog line, so a Postfix message reads the same
//! whether it came from `/var/log/mail.log` or from the journal.

use std::borrow::Cow;

use serde::Deserialize;
use vigie_event::{Dataset, Event, Timestamp};

use super::syslog;
use super::{LineContext, Miss, SkipReason};

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "__REALTIME_TIMESTAMP", borrow)]
    realtime: Option<Cow<'a, str>>,
    #[serde(rename = "_SOURCE_REALTIME_TIMESTAMP", borrow)]
    source_realtime: Option<Cow<'a, str>>,
    #[serde(rename = "SYSLOG_IDENTIFIER", borrow)]
    identifier: Option<Cow<'a, str>>,
    #[serde(rename = "_COMM", borrow)]
    comm: Option<Cow<'a, str>>,
    #[serde(rename = "_PID", borrow)]
    pid: Option<Cow<'a, str>>,
    #[serde(rename = "SYSLOG_PID", borrow)]
    syslog_pid: Option<Cow<'a, str>>,
    #[serde(rename = "_HOSTNAME", borrow)]
    hostname: Option<Cow<'a, str>>,
    #[serde(rename = "MESSAGE", borrow)]
    message: Option<Message<'a>>,
}

/// `MESSAGE` is a string, or an array of bytes when it was not valid UTF-8.
#[derive(Deserialize)]
#[serde(untagged)]
enum Message<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Bytes(Vec<u8>),
}

/// Parses one journal entry and hands the event to `emit`.
pub fn parse(
    line: &str,
    ctx: &mut LineContext<'_, '_>,
    emit: &mut dyn FnMut(&Event<'_>),
) -> Result<(), Miss> {
    if !line.starts_with('{') {
        return Err(Miss::NotMine);
    }
    let entry: Entry =
        serde_json::from_str(line).map_err(|_| Miss::Skip(SkipReason::InvalidJson))?;
    let micros = entry
        .source_realtime
        .as_deref()
        .or(entry.realtime.as_deref())
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let message: Cow<str> = match entry.message {
        Some(Message::Text(t)) => t,
        Some(Message::Bytes(b)) => String::from_utf8_lossy(&b).into_owned().into(),
        None => Cow::Borrowed(""),
    };
    let program = entry.identifier.or(entry.comm);
    let mut event = Event::new(Dataset::Syslog, ctx.path, ctx.number);
    event.timestamp = Timestamp(micros);
    event.host_name = entry.hostname.map(|h| h.into_owned().into());
    event.process_pid = entry.syslog_pid.or(entry.pid).and_then(|p| p.parse().ok());
    syslog::dispatch(&mut event, program.as_deref(), &message);
    emit(&event);
    Ok(())
}
