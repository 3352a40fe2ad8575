//! The fields an [`Event`](crate::Event) can carry, named as in the Elastic
//! Common Schema (ECS), so that exports load into Elastic, OpenSearch, Splunk
//! and Timesketch without a mapping and Sigma field mappings are one table.

use std::net::IpAddr;

use crate::Timestamp;

/// One field of the event model. Rules resolve names to a `Field` once, when
/// they compile, and then read values through [`Event::value`](crate::Event::value).
///
/// The variants are listed in the byte order of their ECS names, which the
/// nested JSON writer relies on (checked by a test).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// `@timestamp`: the UTC instant of the event.
    Timestamp,
    /// `client.ip`: the TCP peer of a web server when it is a proxy that forwarded the request (`X-Forwarded-For`).
    ClientIp,
    /// `destination.address`: a server or relay that is not a plain address (`mail.lab.test[private/dovecot-lmtp]`).
    DestinationAddress,
    /// `destination.ip`: the local address the client connected to (Dovecot `lip=`, Exim `I=`).
    DestinationIp,
    /// `destination.port`: the local port.
    DestinationPort,
    /// `email.from.address`: envelope or header sender.
    EmailFrom,
    /// `email.message_id`: the Message-ID, without angle brackets.
    EmailMessageId,
    /// `email.size`: message size in bytes (vigie extension; Postfix `size=`, Exim `S=`).
    EmailSize,
    /// `email.to.address`: a recipient, including Sieve redirect targets.
    EmailTo,
    /// `event.action`: what happened (`login`, `login-failed`, `message-open`, …).
    EventAction,
    /// `event.category`: the ECS category (`authentication`, `session`, `web`, `email`, …).
    EventCategory,
    /// `event.dataset`: which log the event came from (`dovecot`, `nginx.access`, …).
    EventDataset,
    /// `event.outcome`: `success`, `failure` or `unknown`.
    EventOutcome,
    /// `event.reason`: why it failed or was rejected, as the server wrote it.
    EventReason,
    /// `host.name`: the host that wrote the log line.
    HostName,
    /// `http.request.method`.
    HttpMethod,
    /// `http.request.referrer`.
    HttpReferrer,
    /// `http.response.bytes`: response size as the web server logged it.
    HttpResponseBytes,
    /// `http.response.status_code`.
    HttpStatus,
    /// `http.version`.
    HttpVersion,
    /// `log.file.line`: 1-based line number in the (decompressed) file.
    LogLine,
    /// `log.file.path`: the file the event was read from (`-` for stdin).
    LogPath,
    /// `log.level`: severity as the source wrote it.
    LogLevel,
    /// `message`: the free text of the line after its structured prefix.
    Message,
    /// `network.bytes_in`: bytes received from the client (Dovecot `in=`).
    NetworkBytesIn,
    /// `network.bytes_out`: bytes sent to the client (Dovecot `out=`).
    NetworkBytesOut,
    /// `network.protocol`: `imap`, `pop3`, `smtp`, `lmtp`, `managesieve`, `http`.
    NetworkProtocol,
    /// `process.name`: the program that logged (`postfix/smtpd`, `imap-login`).
    ProcessName,
    /// `process.pid`.
    ProcessPid,
    /// `roundcube.action`: the `_action` request parameter.
    RoundcubeAction,
    /// `roundcube.from`: the `_from` request parameter.
    RoundcubeFrom,
    /// `roundcube.mbox`: the `_mbox` request parameter.
    RoundcubeMbox,
    /// `roundcube.part`: the `_part` request parameter.
    RoundcubePart,
    /// `roundcube.task`: the `_task` request parameter.
    RoundcubeTask,
    /// `roundcube.uid`: the `_uid` request parameter.
    RoundcubeUid,
    /// `rule.name`: the tests, symbols or malware names a content filter
    /// matched, comma-separated (SpamAssassin tests, rspamd symbols, amavis
    /// `INFECTED (name)`, MailScanner's SpamAssassin report).
    RuleName,
    /// `session.id`: Dovecot session, Postfix or Exim queue id, webmail session.
    SessionId,
    /// `source.address`: the client as written when it is not a plain IP address.
    SourceAddress,
    /// `source.domain`: the client's reverse or HELO name as the server logged it.
    SourceDomain,
    /// `source.ip`: the client address (after `X-Forwarded-For` resolution for web logs).
    SourceIp,
    /// `source.port`: the client port.
    SourcePort,
    /// `url.domain`: the virtual host of a web request, when the log has it.
    UrlDomain,
    /// `url.original`: the request target exactly as logged (or the whole
    /// request line when it is not HTTP: TLS bytes, scanner probes).
    UrlOriginal,
    /// `url.path`: the request path, percent-decoded.
    UrlPath,
    /// `url.query`: the raw query string, without `?`.
    UrlQuery,
    /// `user.name`: the account, as the server logged it.
    UserName,
    /// `user_agent.original`.
    UserAgent,
    /// `vigie.auth.failure_kind` (vigie extension, computed): on a failed
    /// authentication, whether it was a credential guess (`credentials`: a
    /// wrong password, an unknown user, a refused SASL exchange) or not the
    /// client's doing (`server`: authentication backend lost or temporary
    /// failure; `mechanism`: an invalid or disallowed mechanism; `aborted`:
    /// the client left before trying). Only `credentials` counts toward brute
    /// force, spraying and success-after-failures.
    VigieAuthFailureKind,
    /// `vigie.auth.master_user` (vigie extension): the master (proxy) account
    /// that authenticated on behalf of `user.name` (Dovecot master users).
    VigieAuthMasterUser,
    /// `vigie.auth.service` (vigie extension, computed): on authentication
    /// events, the service logged into, whatever server wrote the line:
    /// `smtp`, `imap`, `pop3`, `managesieve`, `webmail` or `http` (a web
    /// server's own authentication). Behaviour rules select on it.
    VigieAuthService,
    /// `vigie.filter.score` (vigie extension): the spam score a content
    /// filter gave a message, as it wrote it (`-4.216`, `25.5`).
    VigieFilterScore,
    /// `vigie.filter.verdict` (vigie extension): a content filter's verdict
    /// on a message, in amavis's words lower-cased whatever the filter:
    /// `clean`, `spam`, `spammy`, `infected`, `banned`, `bad-header`,
    /// `oversized`, `unchecked`, `mta-blocked`, `other`. `event.outcome`
    /// says whether it went on (`success`) or was stopped (`failure`).
    VigieFilterVerdict,
    /// `vigie.mailbox.name` (vigie extension): the mailbox (folder) a message
    /// action touched (Dovecot mail_log `box=`).
    VigieMailboxName,
    /// `vigie.mailbox.uid` (vigie extension): the message's IMAP UID in that mailbox.
    VigieMailboxUid,
    /// `webmail.mailbox`: the mailbox or folder a webmail request names
    /// (Roundcube `_mbox`, Horde `mailbox`, SOGo folder path, MDaemon `FolderID`).
    WebmailMailbox,
    /// `webmail.part`: the MIME part a webmail request names (Roundcube `_part`,
    /// Horde `id`, Zimbra `part`, SOGo path segment).
    WebmailPart,
    /// `webmail.product`: the webmail whose paths the request matched
    /// (`roundcube`, `horde`, `zimbra`, `sogo`, `mdaemon`, `kerio`).
    WebmailProduct,
    /// `webmail.uid`: the message a webmail request names, in that webmail's
    /// own identifiers (IMAP UID for Roundcube, Horde and SOGo, item id for
    /// Zimbra, message number for MDaemon, mail id for Kerio).
    WebmailUid,
}

impl Field {
    /// Every field, in ECS-name byte order.
    pub const ALL: &'static [Field] = &[
        Field::Timestamp,
        Field::ClientIp,
        Field::DestinationAddress,
        Field::DestinationIp,
        Field::DestinationPort,
        Field::EmailFrom,
        Field::EmailMessageId,
        Field::EmailSize,
        Field::EmailTo,
        Field::EventAction,
        Field::EventCategory,
        Field::EventDataset,
        Field::EventOutcome,
        Field::EventReason,
        Field::HostName,
        Field::HttpMethod,
        Field::HttpReferrer,
        Field::HttpResponseBytes,
        Field::HttpStatus,
        Field::HttpVersion,
        Field::LogLine,
        Field::LogPath,
        Field::LogLevel,
        Field::Message,
        Field::NetworkBytesIn,
        Field::NetworkBytesOut,
        Field::NetworkProtocol,
        Field::ProcessName,
        Field::ProcessPid,
        Field::RoundcubeAction,
        Field::RoundcubeFrom,
        Field::RoundcubeMbox,
        Field::RoundcubePart,
        Field::RoundcubeTask,
        Field::RoundcubeUid,
        Field::RuleName,
        Field::SessionId,
        Field::SourceAddress,
        Field::SourceDomain,
        Field::SourceIp,
        Field::SourcePort,
        Field::UrlDomain,
        Field::UrlOriginal,
        Field::UrlPath,
        Field::UrlQuery,
        Field::UserName,
        Field::UserAgent,
        Field::VigieAuthFailureKind,
        Field::VigieAuthMasterUser,
        Field::VigieAuthService,
        Field::VigieFilterScore,
        Field::VigieFilterVerdict,
        Field::VigieMailboxName,
        Field::VigieMailboxUid,
        Field::WebmailMailbox,
        Field::WebmailPart,
        Field::WebmailProduct,
        Field::WebmailUid,
    ];

    /// The dotted ECS name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Timestamp => "@timestamp",
            Field::ClientIp => "client.ip",
            Field::DestinationAddress => "destination.address",
            Field::DestinationIp => "destination.ip",
            Field::DestinationPort => "destination.port",
            Field::EmailFrom => "email.from.address",
            Field::EmailMessageId => "email.message_id",
            Field::EmailSize => "email.size",
            Field::EmailTo => "email.to.address",
            Field::EventAction => "event.action",
            Field::EventCategory => "event.category",
            Field::EventDataset => "event.dataset",
            Field::EventOutcome => "event.outcome",
            Field::EventReason => "event.reason",
            Field::HostName => "host.name",
            Field::HttpMethod => "http.request.method",
            Field::HttpReferrer => "http.request.referrer",
            Field::HttpResponseBytes => "http.response.bytes",
            Field::HttpStatus => "http.response.status_code",
            Field::HttpVersion => "http.version",
            Field::LogLine => "log.file.line",
            Field::LogPath => "log.file.path",
            Field::LogLevel => "log.level",
            Field::Message => "message",
            Field::NetworkBytesIn => "network.bytes_in",
            Field::NetworkBytesOut => "network.bytes_out",
            Field::NetworkProtocol => "network.protocol",
            Field::ProcessName => "process.name",
            Field::ProcessPid => "process.pid",
            Field::RoundcubeAction => "roundcube.action",
            Field::RoundcubeFrom => "roundcube.from",
            Field::RoundcubeMbox => "roundcube.mbox",
            Field::RoundcubePart => "roundcube.part",
            Field::RoundcubeTask => "roundcube.task",
            Field::RoundcubeUid => "roundcube.uid",
            Field::RuleName => "rule.name",
            Field::SessionId => "session.id",
            Field::SourceAddress => "source.address",
            Field::SourceDomain => "source.domain",
            Field::SourceIp => "source.ip",
            Field::SourcePort => "source.port",
            Field::UrlDomain => "url.domain",
            Field::UrlOriginal => "url.original",
            Field::UrlPath => "url.path",
            Field::UrlQuery => "url.query",
            Field::UserName => "user.name",
            Field::UserAgent => "user_agent.original",
            Field::VigieAuthFailureKind => "vigie.auth.failure_kind",
            Field::VigieAuthMasterUser => "vigie.auth.master_user",
            Field::VigieAuthService => "vigie.auth.service",
            Field::VigieFilterScore => "vigie.filter.score",
            Field::VigieFilterVerdict => "vigie.filter.verdict",
            Field::VigieMailboxName => "vigie.mailbox.name",
            Field::VigieMailboxUid => "vigie.mailbox.uid",
            Field::WebmailMailbox => "webmail.mailbox",
            Field::WebmailPart => "webmail.part",
            Field::WebmailProduct => "webmail.product",
            Field::WebmailUid => "webmail.uid",
        }
    }

    /// Looks a field up by its dotted ECS name; `None` for a name the model does not have.
    pub fn from_name(name: &str) -> Option<Field> {
        // ALL is in name order (a unit test checks it).
        Field::ALL
            .binary_search_by(|f| f.name().cmp(name))
            .ok()
            .map(|i| Field::ALL[i])
    }
}

/// A field's value, borrowed from the event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'e> {
    /// Text.
    Str(&'e str),
    /// A non-negative integer (ports, sizes, counts, line numbers).
    UInt(u64),
    /// An IP address.
    Ip(IpAddr),
    /// An instant.
    Time(Timestamp),
    /// An ECS keyword array (`event.category`).
    Keywords(&'static [&'static str]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_listed_in_name_order_for_the_nested_writer() {
        let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn every_name_resolves_back() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(*f));
        }
        assert_eq!(Field::from_name("no.such.field"), None);
    }
}
