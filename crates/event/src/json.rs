//! The event as nested ECS JSON, one object per line, as Elastic writes it:
//! `{"@timestamp":"…","event":{"dataset":"dovecot",…},"source":{"ip":"…"},…}`.

use std::io::{self, Write};

use crate::{Event, Field, Value};

/// Writes one event as a single line of nested JSON (with the trailing newline).
///
/// Absent fields are left out. Strings are escaped by `serde_json`, so control
/// characters and quotes from a hostile line cannot break the framing.
pub fn write_event<W: Write>(out: &mut W, event: &Event<'_>) -> io::Result<()> {
    // Open parent objects, by segment name; fields arrive in name order, so a
    // parent stays open exactly while its children are written.
    let mut open: Vec<&str> = Vec::with_capacity(4);
    let mut first_at_depth = vec![true];
    out.write_all(b"{")?;
    for &field in Field::ALL {
        let Some(value) = event.value(field) else {
            continue;
        };
        let mut segments: Vec<&str> = field.name().split('.').collect();
        let leaf = segments.pop().unwrap_or_default();
        let common = open
            .iter()
            .zip(&segments)
            .take_while(|(a, b)| a == b)
            .count();
        while open.len() > common {
            open.pop();
            first_at_depth.pop();
            out.write_all(b"}")?;
        }
        for segment in &segments[common..] {
            separator(out, &mut first_at_depth)?;
            write_str(out, segment)?;
            out.write_all(b":{")?;
            open.push(segment);
            first_at_depth.push(true);
        }
        separator(out, &mut first_at_depth)?;
        write_str(out, leaf)?;
        out.write_all(b":")?;
        write_value(out, value)?;
    }
    for _ in &open {
        out.write_all(b"}")?;
    }
    out.write_all(b"}\n")
}

fn separator<W: Write>(out: &mut W, first_at_depth: &mut [bool]) -> io::Result<()> {
    if let Some(first) = first_at_depth.last_mut() {
        if !*first {
            out.write_all(b",")?;
        }
        *first = false;
    }
    Ok(())
}

fn write_str<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::other)
}

fn write_value<W: Write>(out: &mut W, value: Value<'_>) -> io::Result<()> {
    match value {
        Value::Str(s) => write_str(out, s),
        Value::UInt(n) => write!(out, "{n}"),
        Value::Ip(ip) => write!(out, "\"{ip}\""),
        Value::Time(t) => write!(out, "\"{t}\""),
        Value::Keywords(words) => {
            out.write_all(b"[")?;
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_str(out, w)?;
            }
            out.write_all(b"]")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Category, Dataset, Outcome, Timestamp};

    #[test]
    fn nests_dotted_names_and_escapes_hostile_text() {
        let mut e = Event::new(Dataset::Dovecot, "dovecot.log", 7);
        e.timestamp = Timestamp::from_unix(1_795_905_569, 0);
        e.classify(Category::Authentication, "login-failed", Outcome::Failure);
        e.user_name = Some("evil\"\u{1b}[31m\n".into());
        e.source_ip = Some("192.0.2.1".parse().unwrap());
        e.email_from = Some("a@b".into());
        e.email_message_id = Some("m@b".into());
        let mut out = Vec::new();
        write_event(&mut out, &e).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["@timestamp"], "2026-11-28T22:39:29Z");
        assert_eq!(parsed["email"]["from"]["address"], "a@b");
        assert_eq!(parsed["email"]["message_id"], "m@b");
        assert_eq!(parsed["event"]["category"][0], "authentication");
        assert_eq!(parsed["user"]["name"], "evil\"\u{1b}[31m\n");
        assert_eq!(parsed["log"]["file"]["line"], 7);
        assert_eq!(parsed["source"]["ip"], "192.0.2.1");
    }
}
