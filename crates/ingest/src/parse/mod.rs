//! Line parsers, one file per log format, and the dispatch between them.
//!
//! A file's format is detected from its first lines ([`crate::sniff`]); each
//! line goes to that format's parser first and, when that parser says the
//! line is not its own ([`Miss::NotMine`]), to the parser its own shape points
//! to, so mixed files (a syslog file with a few Dovecot-native lines, test
//! fixtures) still parse. A line that no parser claims is a counted skip.

mod amavis;
mod courier;
mod cyrus;
mod domino;
mod dovecot;
mod exim;
mod groupoffice;
pub(crate) mod horde;
mod journald;
mod kerio;
mod mailscanner;
mod mdaemon;
mod opensmtpd;
mod openwebmail;
mod oracle_messaging;
mod oracle_mta;
mod pam;
mod perdition;
mod postfix;
mod qmail;
mod roundcube;
mod rspamd;
mod sendmail;
mod sogo;
mod solid_pop3d;
mod spamassassin;
mod squirrelmail;
mod syslog;
pub mod text;
pub mod timestamp;
mod uw_imap;
mod vpopmail;
pub(crate) mod web_access;
mod web_error;
mod zimbra;

use serde::{Deserialize, Serialize};
use vigie_event::{Dataset, Event};

use timestamp::TimeContext;

/// A file-level log format: how a line is framed. The program inside a
/// syslog or journal line picks the dataset afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Syslog in any shape (RFC 3164/5424, ISO prefix, TAI64N) and Dovecot's own `log_path`.
    Syslog,
    /// `journalctl -o json`.
    Journald,
    /// Exim mainlog / rejectlog / paniclog.
    Exim,
    /// nginx access log.
    NginxAccess,
    /// Apache access log.
    ApacheAccess,
    /// nginx error log.
    NginxError,
    /// Apache error log.
    ApacheError,
    /// Roundcube's own log files (and PHP-FPM's, which share the stamp).
    Roundcube,
    /// Kerio Connect.
    Kerio,
    /// OpenWebMail.
    OpenWebmail,
    /// Zimbra `mailbox.log` / `audit.log` (log4j).
    Zimbra,
    /// MDaemon session logs.
    Mdaemon,
    /// HCL Domino console log.
    Domino,
    /// Oracle Communications Messaging Server store and service logs.
    OracleMessaging,
    /// Oracle Communications Messaging Server MTA transaction log (`mail.log_current`).
    OracleMta,
    /// Group-Office `info_log`.
    GroupOffice,
    /// SquirrelMail `squirrel_logger` file.
    Squirrelmail,
    /// rspamd's own `rspamd.log`.
    Rspamd,
}

impl Format {
    /// Every format, for `--log-format` and help texts.
    pub const ALL: &'static [Format] = &[
        Format::Syslog,
        Format::Journald,
        Format::Exim,
        Format::NginxAccess,
        Format::ApacheAccess,
        Format::NginxError,
        Format::ApacheError,
        Format::Roundcube,
        Format::Kerio,
        Format::OpenWebmail,
        Format::Zimbra,
        Format::Mdaemon,
        Format::Domino,
        Format::OracleMessaging,
        Format::OracleMta,
        Format::GroupOffice,
        Format::Squirrelmail,
        Format::Rspamd,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Syslog => "syslog",
            Format::Journald => "journald",
            Format::Exim => "exim",
            Format::NginxAccess => "nginx-access",
            Format::ApacheAccess => "apache-access",
            Format::NginxError => "nginx-error",
            Format::ApacheError => "apache-error",
            Format::Roundcube => "roundcube",
            Format::Kerio => "kerio",
            Format::OpenWebmail => "openwebmail",
            Format::Zimbra => "zimbra",
            Format::Mdaemon => "mdaemon",
            Format::Domino => "domino",
            Format::OracleMessaging => "oracle-messaging",
            Format::OracleMta => "oracle-mta",
            Format::GroupOffice => "group-office",
            Format::Squirrelmail => "squirrelmail",
            Format::Rspamd => "rspamd",
        }
    }

    /// Whether a file of this format may be cut between any two lines and
    /// its pieces parsed apart (`ingest_bytes` from a later line) with the
    /// same events as the whole. Not so for MDaemon (a session's later lines
    /// take the client and login its earlier lines named) nor syslog (Horde
    /// writes a login twice in one second, `[imp]` then `[horde]`, and the
    /// second line is known as an echo only after the first,
    /// `horde::LoginEchoes`: vigie_engine's cut keeps such pairs whole and
    /// joins Dovecot sessions across its pieces). A line of another shape met in a cuttable file
    /// is still parsed by its own shape: a Horde or MDaemon line there keeps
    /// its state only within its piece.
    pub fn line_independent(self) -> bool {
        !matches!(self, Format::Syslog | Format::Mdaemon)
    }

    /// Looks a format up by name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name() == name)
    }
}

/// Why a line made no event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// The line is empty or only white space.
    EmptyLine,
    /// A `#` comment (test fixtures, W3C headers).
    Comment,
    /// No parser recognizes the line's shape.
    Unrecognized,
    /// The time on the line does not exist (`Feb 30`, hour 25) or is missing.
    InvalidTime,
    /// Longer than `--max-line`; only its first bytes were read.
    LineTooLong,
    /// A line of an Exim rejectlog entry's header dump, part of the entry above it.
    RejectlogHeader,
    /// A journal export line that is not valid JSON.
    InvalidJson,
    /// The line contains NUL or other binary bytes and no parser claims it.
    Binary,
    /// The line holds a second record after the first (a line end was lost:
    /// an interrupted write, two writers, a broken rotation); neither is read.
    JoinedRecords,
}

impl SkipReason {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            SkipReason::EmptyLine => "empty-line",
            SkipReason::Comment => "comment",
            SkipReason::Unrecognized => "unrecognized",
            SkipReason::InvalidTime => "invalid-time",
            SkipReason::LineTooLong => "line-too-long",
            SkipReason::RejectlogHeader => "rejectlog-header",
            SkipReason::InvalidJson => "invalid-json",
            SkipReason::Binary => "binary",
            SkipReason::JoinedRecords => "joined-records",
        }
    }
}

/// Why a parser did not make an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// Not this parser's shape: try another.
    NotMine,
    /// This parser's shape, but the line cannot make an event.
    Skip(SkipReason),
}

/// Where a line comes from and how its time is resolved.
pub struct LineContext<'a, 't> {
    /// `log.file.path`.
    pub path: &'a str,
    /// `log.file.line`.
    pub number: u64,
    /// Zone and year context of the file.
    pub time: &'t mut TimeContext,
}

/// The format a single line's shape points to, if any.
pub fn classify(line: &str) -> Option<Format> {
    let b = line.as_bytes();
    let first = *b.first()?;
    match first {
        b'{' if text::contains(line, "__REALTIME_TIMESTAMP")
            || text::contains(line, "\"MESSAGE\"") =>
        {
            Some(Format::Journald)
        }
        b'[' => {
            let inner = &b[1..];
            if timestamp::php(inner).is_some() {
                Some(Format::Roundcube)
            } else if oracle_messaging::looks_like(line) {
                Some(Format::OracleMessaging)
            } else if timestamp::clf(inner).is_some() {
                Some(Format::Kerio)
            } else if groupoffice::looks_like(line) {
                Some(Format::GroupOffice)
            } else if domino::looks_like(line) {
                Some(Format::Domino)
            } else if timestamp::ctime(inner).is_some() {
                Some(Format::ApacheError)
            } else {
                None
            }
        }
        b'0'..=b'9' if squirrelmail::looks_like(line) => Some(Format::Squirrelmail),
        b'0'..=b'9' if b.get(2) == Some(&b'-') && oracle_mta::looks_like(line) => {
            Some(Format::OracleMta)
        }
        b'0'..=b'9' if domino::looks_like(line) => Some(Format::Domino),
        b'0'..=b'9' if b.get(4) == Some(&b'/') && timestamp::iso(b).is_some() => {
            Some(Format::NginxError)
        }
        b'0'..=b'9' if b.get(4) == Some(&b'-') && zimbra::looks_like(line) => Some(Format::Zimbra),
        b'0'..=b'9' if b.get(4) == Some(&b'-') && rspamd::looks_like(line) => Some(Format::Rspamd),
        b'0'..=b'9' if b.get(4) == Some(&b'-') && timestamp::iso(b).is_some() => {
            Some(if syslog::looks_like(line) {
                Format::Syslog
            } else {
                Format::Exim
            })
        }
        _ if syslog::looks_like(line) => Some(Format::Syslog),
        _ if mdaemon::looks_like(line) => Some(Format::Mdaemon),
        _ if timestamp::ctime(b).is_some() => Some(Format::OpenWebmail),
        _ if web_access::looks_like(line) => Some(Format::NginxAccess),
        _ => None,
    }
}

/// Whether `line`, read as one line of a `format` file, may hold more than
/// one record: a CR inside it (records of a CR-ended writer in an LF file),
/// or, in syslog and Roundcube files, a second time of the shape their
/// records start with, after the line's own (a lost line end). Such a line
/// is still read as one (its first record) and counted apart
/// ([`crate::InputReport::joined`]); web access lines are refused instead
/// (`joined-records`), their fields being escaped.
pub fn may_hold_records(format: Format, line: &[u8]) -> bool {
    if memchr::memchr(b'\r', line).is_some() {
        return true;
    }
    let rest = line.get(16..).unwrap_or_default();
    match format {
        // The first colon of `Mmm dd hh:mm:ss` is 9 bytes in, of
        // `YYYY-MM-DDThh:mm:ss` 13; a record goes on with ` host tag:`
        // (Postfix's anvil ends its statistics with `at Feb 14 19:38:13`).
        Format::Syslog => memchr::memchr_iter(b':', rest).any(|i| {
            let header = |start: usize, time: Option<(timestamp::RawTime, usize)>| {
                time.is_some_and(|(_, used)| host_and_tag(&rest[start + used..]))
            };
            (i >= 9 && header(i - 9, timestamp::syslog(&rest[i - 9..])))
                || (i >= 13 && header(i - 13, timestamp::iso(&rest[i - 13..])))
        }),
        Format::Roundcube => {
            memchr::memchr_iter(b'[', rest).any(|i| timestamp::php(&rest[i + 1..]).is_some())
        }
        _ => false,
    }
}

/// Whether `b` goes on as a syslog header after its time: ` host tag:`
/// (the tag may carry `[pid]`), each a word without spaces.
fn host_and_tag(b: &[u8]) -> bool {
    let mut words = b
        .strip_prefix(b" ")
        .unwrap_or_default()
        .splitn(3, |&c| c == b' ');
    let (Some(host), Some(tag)) = (words.next(), words.next()) else {
        return false;
    };
    !host.is_empty() && tag.len() > 1 && tag.ends_with(b":")
}

/// Parses one line as `format`, falling back to the format its shape points
/// to; hands the event to `emit` and returns the dataset, or the skip reason.
pub fn parse_line<'a>(
    format: Format,
    line: &'a str,
    ctx: &mut LineContext<'a, '_>,
    emit: &mut dyn FnMut(&Event<'_>),
) -> Result<Dataset, SkipReason> {
    match parse_as(format, line, ctx, emit) {
        Ok(dataset) => return Ok(dataset),
        Err(Miss::Skip(reason)) => return Err(reason),
        Err(Miss::NotMine) => {}
    }
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Err(SkipReason::EmptyLine);
    }
    if trimmed.starts_with('#') {
        return Err(SkipReason::Comment);
    }
    if let Some(other) = classify(line).filter(|f| *f != format) {
        // An access line in an Apache file stays Apache.
        let other = if other == Format::NginxAccess && format == Format::ApacheAccess {
            format
        } else {
            other
        };
        match parse_as(other, line, ctx, emit) {
            Ok(dataset) => return Ok(dataset),
            Err(Miss::Skip(reason)) => return Err(reason),
            Err(Miss::NotMine) => {}
        }
    }
    if format == Format::Exim && is_rejectlog_header(line) {
        return Err(SkipReason::RejectlogHeader);
    }
    if line.bytes().any(|b| b == 0 || (b < 0x20 && b != b'\t')) {
        return Err(SkipReason::Binary);
    }
    Err(SkipReason::Unrecognized)
}

fn parse_as<'a>(
    format: Format,
    line: &'a str,
    ctx: &mut LineContext<'a, '_>,
    emit: &mut dyn FnMut(&Event<'_>),
) -> Result<Dataset, Miss> {
    let event = match format {
        Format::Journald => {
            let mut dataset = Dataset::Syslog;
            journald::parse(line, ctx, &mut |e| {
                dataset = e.dataset;
                emit(e);
            })?;
            return Ok(dataset);
        }
        Format::Syslog => syslog::parse(line, ctx)?,
        Format::Exim => exim::parse(line, ctx)?,
        Format::NginxAccess => web_access::parse(line, ctx, Dataset::NginxAccess)?,
        Format::ApacheAccess => web_access::parse(line, ctx, Dataset::ApacheAccess)?,
        Format::NginxError => web_error::parse_nginx(line, ctx)?,
        Format::ApacheError => web_error::parse_apache(line, ctx)?,
        Format::Roundcube => roundcube::parse(line, ctx)?,
        Format::Kerio => kerio::parse(line, ctx)?,
        Format::OpenWebmail => openwebmail::parse(line, ctx)?,
        Format::Zimbra => zimbra::parse(line, ctx)?,
        Format::Mdaemon => mdaemon::parse(line, ctx)?,
        Format::Domino => domino::parse(line, ctx)?,
        Format::OracleMessaging => oracle_messaging::parse(line, ctx)?,
        Format::OracleMta => oracle_mta::parse(line, ctx)?,
        Format::GroupOffice => groupoffice::parse(line, ctx)?,
        Format::Squirrelmail => squirrelmail::parse(line, ctx)?,
        Format::Rspamd => rspamd::parse_file(line, ctx)?,
    };
    emit(&event);
    Ok(event.dataset)
}

/// The header dump that follows a reject in Exim's rejectlog:
/// `Envelope-from: <…>`, `P Received: …`, `  continuation`, `F From: …`.
fn is_rejectlog_header(line: &str) -> bool {
    let b = line.as_bytes();
    line.starts_with("Envelope-")
        || line.starts_with(' ')
        || line.starts_with('\t')
        || (b.len() > 2
            && b[1] == b' '
            && (b[0].is_ascii_uppercase() || b[0] == b'*')
            && line[2..].contains(": "))
        || line.starts_with("Recipients:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_shape() {
        let cases = [
            ("Nov 28 22:39:29 auth: Info: x", Some(Format::Syslog)),
            (
                "2026-11-28T22:37:26.238373+00:00 mail postfix/smtpd[1]: x",
                Some(Format::Syslog),
            ),
            (
                "2017-01-23 03:44:14 dovecot_login authenticator failed",
                Some(Format::Exim),
            ),
            (
                "2014/12/30 06:07:37 [error] 80#2: x",
                Some(Format::NginxError),
            ),
            (
                "[28-Nov-2026 22:37:30 +0000]: <52usbrdf> Failed login",
                Some(Format::Roundcube),
            ),
            (
                "[17/Jun/2011 17:00:45] Attempt to deliver",
                Some(Format::Kerio),
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [error] x",
                Some(Format::ApacheError),
            ),
            (
                "Sat Dec 28 19:03:53 2013 - [72926] (1.2.3.4) u - login error",
                Some(Format::OpenWebmail),
            ),
            (
                r#"1.2.3.4 - - [28/Nov/2026:22:39:28 +0000] "GET / HTTP/1.1" 200 1"#,
                Some(Format::NginxAccess),
            ),
            ("{\"MESSAGE\":\"x\"}", Some(Format::Journald)),
            ("{\"run_id\": \"x\"}", None),
            (
                "@400000004c91b044077a9e94 imap-login: x",
                Some(Format::Syslog),
            ),
            (
                "2026-03-20 08:09:41 #38(normal) <73b3a9>; task; rspamd_task_write_log: id: <a@b>",
                Some(Format::Rspamd),
            ),
            ("garbage", None),
            (
                "Tue 2026-08-18 00:00:48.993: 05: Session 09012313; child 0001",
                Some(Format::Mdaemon),
            ),
            (
                "09/09/2020 01:37:39 AM  SMTP Server: Authentication failed for user x ; connecting host 192.0.2.1",
                Some(Format::Domino),
            ),
            (
                "[0A44:000F-080C] 14/12/2012 18:04:33   SMTP Server: 192.0.2.52 connected",
                Some(Format::Domino),
            ),
            (
                "[29/May/2019:08:39:42 +0200] mail imapd[17849]: Account Notice: badlogin: [192.0.2.6:45711] plaintext bob Authentication failed",
                Some(Format::OracleMessaging),
            ),
            (
                "[2026-03-24 2:06:32]LOGIN FAILED for user: \"bob\" from IP: 192.0.2.90",
                Some(Format::GroupOffice),
            ),
            (
                "[2012-02-13 17:21:54] NOTICE[1638] chan_sip.c: Registration failed",
                None,
            ),
            (
                "03/24/2026 01:10:05 [LOGIN] bob (example.org) from 192.0.2.70: ",
                Some(Format::Squirrelmail),
            ),
            (
                "11-Jun-2019 09:07:57.65 ims-ms                    D 5  rfc822;a@example.org a@ims-ms-daemon mailsrv",
                Some(Format::OracleMta),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(classify(line), want, "{line}");
        }
    }
}
