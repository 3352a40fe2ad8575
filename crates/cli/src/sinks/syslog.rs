//! `--syslog TARGET`: each alert as an RFC 5424 message, to the local
//! syslog socket (`unix:/dev/log`, a datagram socket) or to a collector
//! (`udp:HOST:PORT`, or `tcp:HOST:PORT` with RFC 6587 octet counting).
//!
//! A small writer rather than a crate: the `syslog` crate formats through
//! the `log` facade and its RFC 5424 formatter takes no structured data of
//! ours; an RFC 5424 line is a header, one SD element and the message.
//!
//! Syslog is best effort: a message the target refuses is counted and
//! said on stderr (once per failure streak), not queued; TCP reconnects at
//! the next alert. The webhook is the sink that queues.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use anyhow::{Result, bail};
use vigie_event::Finding;

use crate::terminal::sanitize;

/// `auth` (4): security and authorization messages.
const FACILITY: u8 = 4;

/// Private enterprise number of the structured data (RFC 5612's, for documentation use).
const SD_ID: &str = "vigie@32473";

/// Where syslog messages go.
enum Target {
    Unix(String),
    Udp(String),
    Tcp(String, Option<TcpStream>),
}

/// A syslog sink.
pub struct Syslog {
    target: Target,
    hostname: String,
    /// Messages not sent, and whether the last one failed.
    pub failed: u64,
    failing: bool,
}

impl Syslog {
    /// Parses `spec` (`unix:PATH`, `udp:HOST:PORT`, `tcp:HOST:PORT`).
    pub fn new(spec: &str) -> Result<Syslog> {
        let target = match spec.split_once(':') {
            Some(("unix", path)) if !path.is_empty() => Target::Unix(path.to_string()),
            Some(("udp", addr)) if addr.contains(':') => Target::Udp(addr.to_string()),
            Some(("tcp", addr)) if addr.contains(':') => Target::Tcp(addr.to_string(), None),
            _ => bail!("--syslog: {spec:?} is not unix:PATH, udp:HOST:PORT or tcp:HOST:PORT"),
        };
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        Ok(Syslog {
            target,
            hostname,
            failed: 0,
            failing: false,
        })
    }

    /// Sends `finding` (its JSON `line` is the message).
    pub fn send(&mut self, finding: &Finding, line: &[u8]) {
        let message = format_5424(finding, line, &self.hostname);
        let sent = match &mut self.target {
            Target::Unix(path) => UnixDatagram::unbound()
                .and_then(|s| s.send_to(&message, &*path))
                .map(drop),
            Target::Udp(addr) => UdpSocket::bind("0.0.0.0:0")
                .or_else(|_| UdpSocket::bind("[::]:0"))
                .and_then(|s| s.send_to(&message, &*addr))
                .map(drop),
            Target::Tcp(addr, stream) => send_tcp(addr, stream, &message),
        };
        match sent {
            Ok(()) => self.failing = false,
            Err(e) => {
                self.failed += 1;
                if !self.failing {
                    eprintln!("vigie: --syslog: {}", sanitize(&e.to_string()));
                }
                self.failing = true;
            }
        }
    }
}

/// Sends one octet-counted frame over `stream`, connecting first if needed.
fn send_tcp(addr: &str, stream: &mut Option<TcpStream>, message: &[u8]) -> std::io::Result<()> {
    if stream.is_none() {
        let s = TcpStream::connect(addr)?;
        s.set_write_timeout(Some(Duration::from_secs(5)))?;
        *stream = Some(s);
    }
    let mut frame = format!("{} ", message.len()).into_bytes();
    frame.extend_from_slice(message);
    let written = stream.as_mut().map_or(Ok(()), |s| s.write_all(&frame));
    if written.is_err() {
        *stream = None;
    }
    written
}

/// Syslog severity of an alert level.
fn severity(level: &str) -> u8 {
    match level {
        "critical" => 2,
        "high" => 3,
        "medium" => 4,
        "low" => 5,
        _ => 6,
    }
}

/// An RFC 5424 message: `<PRI>1 TIMESTAMP HOST vigie PID MSGID [SD] BOM MSG`.
pub fn format_5424(finding: &Finding, line: &[u8], hostname: &str) -> Vec<u8> {
    let pri = FACILITY * 8 + severity(&finding.level);
    let now = jiff::Timestamp::now();
    let mut sd = format!(
        "[{SD_ID} rule=\"{}\" level=\"{}\"",
        sd_escape(&finding.rule_id),
        sd_escape(&finding.level)
    );
    if let Some(user) = &finding.entity.user {
        sd.push_str(&format!(" user=\"{}\"", sd_escape(user)));
    }
    if let Some(ip) = &finding.entity.source_ip {
        sd.push_str(&format!(" ip=\"{}\"", sd_escape(ip)));
    }
    sd.push(']');
    let mut message = format!(
        "<{pri}>1 {} {} vigie {} {} {sd} \u{feff}",
        now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"),
        header_field(hostname, 255),
        std::process::id(),
        header_field(&finding.rule_id, 32),
    )
    .into_bytes();
    message.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
    message
}

/// A header field: printable ASCII without spaces, at most `max` bytes, `-` when empty.
fn header_field(value: &str, max: usize) -> String {
    let field: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if field.is_empty() { "-".into() } else { field }
}

/// An SD-PARAM value: `"`, `\` and `]` escaped with `\` (RFC 5424 6.3.3).
fn sd_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars().filter(|c| !c.is_control()) {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_has_the_rfc_5424_header_and_escaped_structured_data() {
        let finding = Finding {
            rule_id: "vigie-brute".into(),
            title: "t".into(),
            level: "high".into(),
            attack: Vec::new(),
            entity: vigie_event::Entity {
                user: Some("a\"b]c".into()),
                source_ip: Some("192.0.2.1".into()),
                session: None,
            },
            first_seen: vigie_event::Timestamp(0),
            last_seen: vigie_event::Timestamp(0),
            count: 1,
            evidence: Vec::new(),
            reason: String::new(),
        };
        let text = String::from_utf8(format_5424(&finding, b"{}\n", "mx one")).unwrap();
        // auth (4) * 8 + error (3) = 35.
        assert!(text.starts_with("<35>1 "), "{text}");
        let fields: Vec<&str> = text.splitn(7, ' ').collect();
        assert_eq!(
            &fields[2..6],
            [
                "mxone",
                "vigie",
                &std::process::id().to_string(),
                "vigie-brute"
            ]
        );
        assert!(
            text.contains(
                r#"[vigie@32473 rule="vigie-brute" level="high" user="a\"b\]c" ip="192.0.2.1"] "#
            ),
            "{text}"
        );
        assert!(text.ends_with("\u{feff}{}"), "{text}");
    }
}
