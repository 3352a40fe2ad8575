//! The normalized event of vigie: the contract between ingestion, detection and
//! the case.
//!
//! A parser in `vigie-ingest` turns one log line into one [`Event`], whose text
//! fields borrow from the line where they can ([`Text`] is a `Cow`), so parsing
//! a line allocates nothing unless a value had to be decoded. Every event points
//! back to its file and 1-based line ([`Event::path`], [`Event::line`]).
//!
//! Fields are named as in the Elastic Common Schema ([`Field`]); rules resolve a
//! name to a `Field` once and read with [`Event::value`]. [`json::write_event`]
//! writes the nested ECS JSON that Elastic writes; [`csv`] a flat table.
//!
//! ```
//! use vigie_event::{Event, Dataset, Field, Value, Timestamp};
//!
//! let mut event = Event::new(Dataset::Dovecot, "dovecot.log", 3);
//! event.timestamp = Timestamp::from_unix(1_795_905_569, 0);
//! event.user_name = Some("bob@lab.test".into());
//! assert_eq!(event.value(Field::UserName), Some(Value::Str("bob@lab.test")));
//!
//! let mut out = Vec::new();
//! vigie_event::json::write_event(&mut out, &event).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""user":{"name":"bob@lab.test"}"#));
//! ```

pub mod csv;
mod field;
mod finding;
pub mod isolate;
pub mod json;
pub mod path;
mod time;
pub mod wire;

use std::borrow::Cow;
use std::net::IpAddr;

pub use field::{Field, Value};
pub use finding::{EVIDENCE_KEPT, Entity, Evidence, Finding};
pub use time::{
    CivilDateTime, InvalidTimestamp, Timestamp, civil_from_days, days_from_civil, days_in_month,
    is_leap_year,
};

/// What a control character is shown as where attacker-written text meets a
/// reader (terminal, CSV, report): its Unicode control picture (U+2400 to
/// U+241F for C0, `␡` U+2421 for DEL; `ESC` becomes `␛`, a line break `␊`),
/// inert and still telling what was there; a C1 control, which has no
/// picture, becomes U+FFFD. Any other character is returned as it is.
pub fn control_picture(c: char) -> char {
    match c {
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
        '\u{7f}' => '\u{2421}',
        c if c.is_control() => '\u{FFFD}',
        c => c,
    }
}

/// Text borrowed from the log line, or owned when it had to be decoded.
pub type Text<'a> = Cow<'a, str>;

/// Which log an event came from (`event.dataset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Dataset {
    /// nginx access log (combined, common, vhost or forwarded variants).
    NginxAccess,
    /// Apache httpd access log.
    ApacheAccess,
    /// nginx error log.
    NginxError,
    /// Apache httpd error log.
    ApacheError,
    /// Roundcube `userlogins` log.
    RoundcubeUserlogins,
    /// Roundcube `errors` log (and PHP warnings written to it).
    RoundcubeErrors,
    /// Roundcube `sendmail` / `smtp` log.
    RoundcubeSendmail,
    /// Roundcube `session` log.
    RoundcubeSession,
    /// Dovecot (IMAP, POP3, LMTP, auth, ManageSieve, Pigeonhole Sieve).
    Dovecot,
    /// Postfix.
    Postfix,
    /// Exim mainlog, rejectlog, paniclog.
    Exim,
    /// Cyrus IMAP, POP3 and `timsieved`.
    Cyrus,
    /// Kerio Connect.
    Kerio,
    /// Sendmail (`sendmail`, `sm-mta`).
    Sendmail,
    /// Courier mail server (`imapd`, `pop3d`, `courieresmtpd`).
    Courier,
    /// UW IMAP (`imapd`, `ipop3d` from the University of Washington).
    UwImap,
    /// Zimbra `mailbox.log` and `audit.log`.
    Zimbra,
    /// Horde and IMP (`horde.log` or syslog `HORDE`).
    Horde,
    /// SOGo (`sogod`).
    Sogo,
    /// vpopmail `vchkpw` (qmail systems).
    Vpopmail,
    /// OpenSMTPD.
    OpenSmtpd,
    /// Perdition IMAP/POP3 proxy.
    Perdition,
    /// OpenWebMail.
    OpenWebmail,
    /// solid-pop3d.
    SolidPop3d,
    /// amavisd-new: the per-message verdict line (`Passed CLEAN`, `Blocked SPAM`).
    Amavis,
    /// SpamAssassin's `spamd`: `result:`, `identified spam`, `clean message`.
    Spamassassin,
    /// rspamd: the per-task line `rspamd_task_write_log` writes.
    Rspamd,
    /// MailScanner: `Message … is spam`, `Infected message … came from`.
    Mailscanner,
    /// PHP-FPM master log.
    PhpFpm,
    /// MDaemon (SMTP, IMAP, POP3 session logs).
    Mdaemon,
    /// HCL (IBM, Lotus) Domino console log.
    Domino,
    /// Oracle Communications (Sun Java System) Messaging Server store, service and MTA logs.
    OracleMessaging,
    /// Group-Office `info_log`.
    GroupOffice,
    /// SquirrelMail's `squirrel_logger` plugin (syslog or its own file).
    Squirrelmail,
    /// qmail-smtpd: chkuser recipient checks and s/qmail (spamcontrol) SMTP verdicts.
    Qmail,
    /// Any other syslog line: kept with its header and message, not interpreted.
    Syslog,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: &'static [Dataset] = &[
        Dataset::NginxAccess,
        Dataset::ApacheAccess,
        Dataset::NginxError,
        Dataset::ApacheError,
        Dataset::RoundcubeUserlogins,
        Dataset::RoundcubeErrors,
        Dataset::RoundcubeSendmail,
        Dataset::RoundcubeSession,
        Dataset::Dovecot,
        Dataset::Postfix,
        Dataset::Exim,
        Dataset::Cyrus,
        Dataset::Kerio,
        Dataset::Sendmail,
        Dataset::Courier,
        Dataset::UwImap,
        Dataset::Zimbra,
        Dataset::Horde,
        Dataset::Sogo,
        Dataset::Vpopmail,
        Dataset::OpenSmtpd,
        Dataset::Perdition,
        Dataset::OpenWebmail,
        Dataset::SolidPop3d,
        Dataset::Amavis,
        Dataset::Spamassassin,
        Dataset::Rspamd,
        Dataset::Mailscanner,
        Dataset::PhpFpm,
        Dataset::Mdaemon,
        Dataset::Domino,
        Dataset::OracleMessaging,
        Dataset::GroupOffice,
        Dataset::Squirrelmail,
        Dataset::Qmail,
        Dataset::Syslog,
    ];

    /// Looks a dataset up by its `event.dataset` value.
    pub fn from_name(name: &str) -> Option<Dataset> {
        Dataset::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// The `event.dataset` value.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::NginxAccess => "nginx.access",
            Dataset::ApacheAccess => "apache.access",
            Dataset::NginxError => "nginx.error",
            Dataset::ApacheError => "apache.error",
            Dataset::RoundcubeUserlogins => "roundcube.userlogins",
            Dataset::RoundcubeErrors => "roundcube.errors",
            Dataset::RoundcubeSendmail => "roundcube.sendmail",
            Dataset::RoundcubeSession => "roundcube.session",
            Dataset::Dovecot => "dovecot",
            Dataset::Postfix => "postfix",
            Dataset::Exim => "exim",
            Dataset::Cyrus => "cyrus",
            Dataset::Kerio => "kerio",
            Dataset::Sendmail => "sendmail",
            Dataset::Courier => "courier",
            Dataset::UwImap => "uw-imap",
            Dataset::Zimbra => "zimbra",
            Dataset::Horde => "horde",
            Dataset::Sogo => "sogo",
            Dataset::Vpopmail => "vpopmail",
            Dataset::OpenSmtpd => "opensmtpd",
            Dataset::Perdition => "perdition",
            Dataset::OpenWebmail => "openwebmail",
            Dataset::SolidPop3d => "solid-pop3d",
            Dataset::Amavis => "amavis",
            Dataset::Spamassassin => "spamassassin",
            Dataset::Rspamd => "rspamd",
            Dataset::Mailscanner => "mailscanner",
            Dataset::PhpFpm => "php-fpm",
            Dataset::Mdaemon => "mdaemon",
            Dataset::Domino => "domino",
            Dataset::OracleMessaging => "oracle-messaging",
            Dataset::GroupOffice => "group-office",
            Dataset::Squirrelmail => "squirrelmail",
            Dataset::Qmail => "qmail",
            Dataset::Syslog => "syslog",
        }
    }
}

/// ECS `event.category`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// Logins, failures, logouts that close an authenticated session.
    Authentication,
    /// Session lifecycle without a credential check.
    Session,
    /// HTTP requests.
    Web,
    /// Mail transfer, delivery, filtering.
    Email,
    /// Connections and protocol-level rejects.
    Network,
    /// Configuration changes (Sieve scripts).
    Configuration,
}

impl Category {
    /// The ECS keyword array for this category.
    pub fn keywords(self) -> &'static [&'static str] {
        match self {
            Category::Authentication => &["authentication"],
            Category::Session => &["session"],
            Category::Web => &["web"],
            Category::Email => &["email"],
            Category::Network => &["network"],
            Category::Configuration => &["configuration"],
        }
    }
}

/// ECS `event.outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It worked.
    Success,
    /// It failed or was refused.
    Failure,
    /// The log does not say.
    Unknown,
}

impl Outcome {
    /// The ECS keyword.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }
}

/// What kind of failed authentication an event records
/// (`vigie.auth.failure_kind`): a credential guess, or a failure that is not
/// the client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthFailure {
    /// A credential was checked and refused: wrong password, unknown user.
    Credentials,
    /// The server could not check it: authentication backend lost, temporary failure.
    Server,
    /// The client asked for an invalid or disallowed mechanism; no credential was checked.
    Mechanism,
    /// The client gave up before a credential was checked.
    Aborted,
}

impl AuthFailure {
    /// The keyword written in `vigie.auth.failure_kind`.
    pub fn name(self) -> &'static str {
        match self {
            AuthFailure::Credentials => "credentials",
            AuthFailure::Server => "server",
            AuthFailure::Mechanism => "mechanism",
            AuthFailure::Aborted => "aborted",
        }
    }

    /// The kind a server's failure text names, if it names one other than a
    /// refused credential (Postfix/Cyrus SASL, Dovecot, Exim, Courier wording).
    pub fn from_text(text: &str) -> Option<AuthFailure> {
        const SERVER: [&str; 13] = [
            "result=tempfail",
            "Connection lost to authentication server",
            "connection lost to authentication server",
            "emporary failure",
            "emporary authentication failure",
            "auth service reported temporary failure",
            "auth process communication failure",
            "Internal login failure",
            "internal authentication error",
            "Internal error occurred",
            "authentication server unavailable",
            "454 4.7.0",
            "435 4.7.8",
        ];
        const MECHANISM: [&str; 6] = [
            "nvalid authentication mechanism",
            "nsupported authentication mechanism",
            "mechanism not supported",
            "tried to use disallowed",
            "tried to use disabled",
            "504 5.5.4",
        ];
        const ABORTED: [&str; 4] = [
            "uthentication aborted",
            "aborted by client",
            "no auth attempts",
            "AUTH aborted",
        ];
        let has = |markers: &[&str]| markers.iter().any(|m| text.contains(m));
        if has(&SERVER) {
            Some(AuthFailure::Server)
        } else if has(&MECHANISM) {
            Some(AuthFailure::Mechanism)
        } else if has(&ABORTED) {
            Some(AuthFailure::Aborted)
        } else {
            None
        }
    }
}

/// One normalized event: what a single log line says, in ECS terms.
///
/// Absent fields are `None`; [`Event::value`] returns `None` for them.
#[derive(Clone, Debug, PartialEq)]
pub struct Event<'a> {
    /// `@timestamp` (UTC).
    pub timestamp: Timestamp,
    /// `event.dataset`.
    pub dataset: Dataset,
    /// `event.category`.
    pub category: Option<Category>,
    /// `event.action`; a fixed vocabulary, see the parsers.
    pub action: Option<&'static str>,
    /// `event.outcome`.
    pub outcome: Option<Outcome>,
    /// `event.reason`.
    pub reason: Option<Text<'a>>,
    /// `log.level`.
    pub level: Option<Text<'a>>,
    /// `message`.
    pub message: Option<Text<'a>>,
    /// `host.name`.
    pub host_name: Option<Text<'a>>,
    /// `process.name`.
    pub process_name: Option<Text<'a>>,
    /// `process.pid`.
    pub process_pid: Option<u64>,
    /// `source.ip`.
    pub source_ip: Option<IpAddr>,
    /// `source.address` (only when the client is not a parseable IP).
    pub source_address: Option<Text<'a>>,
    /// `source.domain`.
    pub source_domain: Option<Text<'a>>,
    /// `source.port`.
    pub source_port: Option<u16>,
    /// `client.ip`.
    pub client_ip: Option<IpAddr>,
    /// `destination.ip`.
    pub destination_ip: Option<IpAddr>,
    /// `destination.address`.
    pub destination_address: Option<Text<'a>>,
    /// `destination.port`.
    pub destination_port: Option<u16>,
    /// `user.name`.
    pub user_name: Option<Text<'a>>,
    /// `session.id`.
    pub session_id: Option<Text<'a>>,
    /// `network.protocol`.
    pub protocol: Option<Text<'a>>,
    /// `network.bytes_in`.
    pub bytes_in: Option<u64>,
    /// `network.bytes_out`.
    pub bytes_out: Option<u64>,
    /// `http.request.method`.
    pub http_method: Option<Text<'a>>,
    /// `http.response.status_code`.
    pub http_status: Option<u16>,
    /// `http.response.bytes`.
    pub http_response_bytes: Option<u64>,
    /// `http.version`.
    pub http_version: Option<Text<'a>>,
    /// `http.request.referrer`.
    pub http_referrer: Option<Text<'a>>,
    /// `user_agent.original`.
    pub user_agent: Option<Text<'a>>,
    /// `url.domain`.
    pub url_domain: Option<Text<'a>>,
    /// `url.original`.
    pub url_original: Option<Text<'a>>,
    /// `url.path`.
    pub url_path: Option<Text<'a>>,
    /// `url.query`.
    pub url_query: Option<Text<'a>>,
    /// `email.from.address`.
    pub email_from: Option<Text<'a>>,
    /// `email.to.address`.
    pub email_to: Option<Text<'a>>,
    /// `email.message_id`.
    pub email_message_id: Option<Text<'a>>,
    /// `email.size`.
    pub email_size: Option<u64>,
    /// `roundcube.task`.
    pub roundcube_task: Option<Text<'a>>,
    /// `roundcube.action`.
    pub roundcube_action: Option<Text<'a>>,
    /// `roundcube.mbox`.
    pub roundcube_mbox: Option<Text<'a>>,
    /// `roundcube.uid`.
    pub roundcube_uid: Option<Text<'a>>,
    /// `roundcube.part`.
    pub roundcube_part: Option<Text<'a>>,
    /// `roundcube.from`.
    pub roundcube_from: Option<Text<'a>>,
    /// `rule.name`: the content filter's tests, symbols or malware names, comma-separated.
    pub rule_name: Option<Text<'a>>,
    /// `vigie.auth.master_user`.
    pub auth_master_user: Option<Text<'a>>,
    /// `vigie.filter.score`: a content filter's score, as written (`-4.216`).
    pub filter_score: Option<Text<'a>>,
    /// `vigie.filter.verdict`: a content filter's verdict on a message
    /// (`clean`, `spam`, `spammy`, `infected`, `banned`, `bad-header`,
    /// `oversized`, `unchecked`, `mta-blocked`, `other`).
    pub filter_verdict: Option<&'static str>,
    /// `vigie.mailbox.name`.
    pub mailbox: Option<Text<'a>>,
    /// `vigie.mailbox.uid`.
    pub mailbox_uid: Option<u64>,
    /// `webmail.product`: which webmail's paths a web request matched.
    pub webmail_product: Option<&'static str>,
    /// `webmail.mailbox`: the mailbox a webmail request names.
    pub webmail_mailbox: Option<Text<'a>>,
    /// `webmail.uid`: the message a webmail request names, in its webmail's identifiers.
    pub webmail_uid: Option<Text<'a>>,
    /// `webmail.part`: the MIME part a webmail request names.
    pub webmail_part: Option<Text<'a>>,
    /// `log.file.path`.
    pub path: &'a str,
    /// `log.file.line` (1-based).
    pub line: u64,
}

impl<'a> Event<'a> {
    /// An event with only its dataset and origin set; the parser fills the rest.
    pub fn new(dataset: Dataset, path: &'a str, line: u64) -> Event<'a> {
        Event {
            timestamp: Timestamp::default(),
            dataset,
            category: None,
            action: None,
            outcome: None,
            reason: None,
            level: None,
            message: None,
            host_name: None,
            process_name: None,
            process_pid: None,
            source_ip: None,
            source_address: None,
            source_domain: None,
            source_port: None,
            client_ip: None,
            destination_ip: None,
            destination_address: None,
            destination_port: None,
            user_name: None,
            session_id: None,
            protocol: None,
            bytes_in: None,
            bytes_out: None,
            http_method: None,
            http_status: None,
            http_response_bytes: None,
            http_version: None,
            http_referrer: None,
            user_agent: None,
            url_domain: None,
            url_original: None,
            url_path: None,
            url_query: None,
            email_from: None,
            email_to: None,
            email_message_id: None,
            email_size: None,
            roundcube_task: None,
            roundcube_action: None,
            roundcube_mbox: None,
            roundcube_uid: None,
            roundcube_part: None,
            roundcube_from: None,
            rule_name: None,
            auth_master_user: None,
            filter_score: None,
            filter_verdict: None,
            mailbox: None,
            mailbox_uid: None,
            webmail_product: None,
            webmail_mailbox: None,
            webmail_uid: None,
            webmail_part: None,
            path,
            line,
        }
    }

    /// Sets category, action and outcome together, as every classified line does.
    pub fn classify(&mut self, category: Category, action: &'static str, outcome: Outcome) {
        self.category = Some(category);
        self.action = Some(action);
        self.outcome = Some(outcome);
    }

    /// Whether this event records a failed credential check (a wrong
    /// password, an unknown user, a refused SASL exchange): a failure whose
    /// [`AuthFailure`] kind is `Credentials`.
    pub fn is_authentication_failure(&self) -> bool {
        self.auth_failure_kind() == Some(AuthFailure::Credentials)
    }

    /// The kind of a failed authentication (`vigie.auth.failure_kind`),
    /// read from the server's own words in `event.reason` and `message`;
    /// `None` when the event is not a failed authentication.
    pub fn auth_failure_kind(&self) -> Option<AuthFailure> {
        if self.category != Some(Category::Authentication) || self.outcome != Some(Outcome::Failure)
        {
            return None;
        }
        let texts = [self.reason.as_deref(), self.message.as_deref()];
        Some(
            texts
                .into_iter()
                .flatten()
                .find_map(AuthFailure::from_text)
                .unwrap_or(AuthFailure::Credentials),
        )
    }

    /// The service an authentication event is about (`vigie.auth.service`):
    /// from `network.protocol`, or from the dataset when a log names none.
    pub fn auth_service(&self) -> Option<&'static str> {
        if self.category != Some(Category::Authentication) {
            return None;
        }
        let webmail = matches!(
            self.dataset,
            Dataset::RoundcubeUserlogins
                | Dataset::RoundcubeErrors
                | Dataset::RoundcubeSendmail
                | Dataset::RoundcubeSession
                | Dataset::OpenWebmail
                | Dataset::Horde
                | Dataset::Sogo
                | Dataset::GroupOffice
                | Dataset::Squirrelmail
        );
        match self.protocol.as_deref() {
            Some("smtp" | "submission" | "smtps" | "esmtp") => Some("smtp"),
            Some("imap" | "imaps") => Some("imap"),
            Some("pop3" | "pop3s" | "pop") => Some("pop3"),
            Some("managesieve" | "sieve") => Some("managesieve"),
            Some("webmail") => Some("webmail"),
            Some("http") if webmail => Some("webmail"),
            Some("http") => Some("http"),
            _ => match self.dataset {
                Dataset::Postfix
                | Dataset::Exim
                | Dataset::OpenSmtpd
                | Dataset::Sendmail
                | Dataset::Qmail => Some("smtp"),
                _ if webmail => Some("webmail"),
                _ => None,
            },
        }
    }

    /// The value of one field; `None` when the event does not carry it.
    pub fn value(&self, field: Field) -> Option<Value<'_>> {
        fn text<'e>(t: &'e Option<Text<'_>>) -> Option<Value<'e>> {
            t.as_deref().map(Value::Str)
        }
        match field {
            Field::Timestamp => Some(Value::Time(self.timestamp)),
            Field::ClientIp => self.client_ip.map(Value::Ip),
            Field::DestinationAddress => text(&self.destination_address),
            Field::DestinationIp => self.destination_ip.map(Value::Ip),
            Field::DestinationPort => self.destination_port.map(|p| Value::UInt(p.into())),
            Field::EmailFrom => text(&self.email_from),
            Field::EmailMessageId => text(&self.email_message_id),
            Field::EmailSize => self.email_size.map(Value::UInt),
            Field::EmailTo => text(&self.email_to),
            Field::EventAction => self.action.map(Value::Str),
            Field::EventCategory => self.category.map(|c| Value::Keywords(c.keywords())),
            Field::EventDataset => Some(Value::Str(self.dataset.name())),
            Field::EventOutcome => self.outcome.map(|o| Value::Str(o.name())),
            Field::EventReason => text(&self.reason),
            Field::HostName => text(&self.host_name),
            Field::HttpMethod => text(&self.http_method),
            Field::HttpReferrer => text(&self.http_referrer),
            Field::HttpResponseBytes => self.http_response_bytes.map(Value::UInt),
            Field::HttpStatus => self.http_status.map(|s| Value::UInt(s.into())),
            Field::HttpVersion => text(&self.http_version),
            Field::LogLine => Some(Value::UInt(self.line)),
            Field::LogPath => Some(Value::Str(self.path)),
            Field::LogLevel => text(&self.level),
            Field::Message => text(&self.message),
            Field::NetworkBytesIn => self.bytes_in.map(Value::UInt),
            Field::NetworkBytesOut => self.bytes_out.map(Value::UInt),
            Field::NetworkProtocol => text(&self.protocol),
            Field::ProcessName => text(&self.process_name),
            Field::ProcessPid => self.process_pid.map(Value::UInt),
            Field::RoundcubeAction => text(&self.roundcube_action),
            Field::RoundcubeFrom => text(&self.roundcube_from),
            Field::RoundcubeMbox => text(&self.roundcube_mbox),
            Field::RoundcubePart => text(&self.roundcube_part),
            Field::RoundcubeTask => text(&self.roundcube_task),
            Field::RoundcubeUid => text(&self.roundcube_uid),
            Field::RuleName => text(&self.rule_name),
            Field::SessionId => text(&self.session_id),
            Field::SourceAddress => text(&self.source_address),
            Field::SourceDomain => text(&self.source_domain),
            Field::SourceIp => self.source_ip.map(Value::Ip),
            Field::SourcePort => self.source_port.map(|p| Value::UInt(p.into())),
            Field::UrlDomain => text(&self.url_domain),
            Field::UrlOriginal => text(&self.url_original),
            Field::UrlPath => text(&self.url_path),
            Field::UrlQuery => text(&self.url_query),
            Field::UserName => text(&self.user_name),
            Field::UserAgent => text(&self.user_agent),
            Field::VigieAuthFailureKind => self.auth_failure_kind().map(|k| Value::Str(k.name())),
            Field::VigieAuthMasterUser => text(&self.auth_master_user),
            Field::VigieAuthService => self.auth_service().map(Value::Str),
            Field::VigieFilterScore => text(&self.filter_score),
            Field::VigieFilterVerdict => self.filter_verdict.map(Value::Str),
            Field::VigieMailboxName => text(&self.mailbox),
            Field::VigieMailboxUid => self.mailbox_uid.map(Value::UInt),
            Field::WebmailMailbox => text(&self.webmail_mailbox),
            Field::WebmailPart => text(&self.webmail_part),
            Field::WebmailProduct => self.webmail_product.map(Value::Str),
            Field::WebmailUid => text(&self.webmail_uid),
        }
    }

    /// Sets the client from a textual address: `source.ip` when it parses as
    /// an IP address (brackets and an IPv6 zone are tolerated), `source.address`
    /// otherwise. Empty and placeholder values (`-`, `unknown`) are ignored.
    pub fn set_source(&mut self, address: &'a str) {
        match parse_ip(address) {
            Some(ip) => self.source_ip = Some(ip),
            None if !is_placeholder(address) => self.source_address = Some(address.into()),
            None => {}
        }
    }
}

/// Parses an IP address as logs write it: bare, `[bracketed]`, with an IPv6
/// zone, or IPv4-mapped IPv6 (`::ffff:1.2.3.4`, which becomes the IPv4 address).
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim_matches(|c| c == '[' || c == ']');
    let text = text.split('%').next().unwrap_or(text);
    let ip: IpAddr = text.parse().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

fn is_placeholder(text: &str) -> bool {
    matches!(text, "" | "-" | "unknown")
}

/// Removes one pair of enclosing angle brackets (`<bob@lab.test>` → `bob@lab.test`).
pub fn strip_angles(text: &str) -> &str {
    text.strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_is_an_ip_when_it_parses_and_an_address_otherwise() {
        let mut e = Event::new(Dataset::Postfix, "-", 1);
        e.set_source("::ffff:192.0.2.7");
        assert_eq!(e.source_ip, Some("192.0.2.7".parse().unwrap()));
        let mut e = Event::new(Dataset::Postfix, "-", 1);
        e.set_source("fe80::1%eth0");
        assert_eq!(e.source_ip, Some("fe80::1".parse().unwrap()));
        let mut e = Event::new(Dataset::Postfix, "-", 1);
        e.set_source("mail.example.org");
        assert_eq!(e.source_address.as_deref(), Some("mail.example.org"));
        let mut e = Event::new(Dataset::Postfix, "-", 1);
        e.set_source("unknown");
        assert_eq!(e.source_address, None);
    }
}
