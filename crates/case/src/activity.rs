//! What every account did, gathered in stage one of a scan and bounded by
//! accounts, addresses and days (never by the number of events): mail-client
//! sessions with their byte counters, webmail requests per browser address,
//! Sieve forwarding, mail sent, and which time each log family covers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Seek, Write};
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};

use ahash::AHashMap;
use memchr::memmem;
use serde::{Deserialize, Serialize};
use vigie_event::{Category, Dataset, Event, Evidence, Outcome, Timestamp};

/// Detailed webmail actions kept per browser address and day.
const ITEMS_KEPT: usize = 50;
/// Evidence lines kept per aggregate.
const EVIDENCE_KEPT: usize = 4;
/// Open mail-client sessions waiting for their logout, per worker.
const OPEN_KEPT: usize = 200_000;
/// A stretch this long without any line of a log family is a gap in it.
pub const GAP_SECS: i64 = 24 * 3600;

/// Mail-client sessions (IMAP, POP3, ManageSieve, SMTP submission) of one
/// account from one address on one day.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sessions {
    /// Protocol.
    pub protocol: String,
    /// How many logins.
    pub sessions: u64,
    /// First login.
    pub first: Timestamp,
    /// Last logout (or login).
    pub last: Timestamp,
    /// Bytes sent to the client (Dovecot `out=`), summed over the sessions that logged out.
    pub bytes_out: u64,
    /// Messages fetched whole (Dovecot `body_count=`, when the log format has it).
    pub bodies: u64,
    /// Bytes of the message bodies fetched (Dovecot `body_bytes=`), when the
    /// log format has it: the content within `bytes_out`, the rest being the
    /// protocol's own (headers, lists, flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<u64>,
    /// The first [`SESSIONS_LISTED`] sessions, one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub each: Vec<OneSession>,
    /// Lines that show them.
    pub evidence: Vec<Evidence>,
}

/// A mail-client login waiting for its logout.
#[derive(Serialize, Deserialize)]
struct OpenSession {
    user: Arc<str>,
    source: IpAddr,
    #[serde(with = "vigie_event::wire::static_str")]
    protocol: vigie_event::wire::StaticStr,
    start: Timestamp,
    /// Its place in the key's `each`, when it is listed.
    listed: Option<usize>,
}

/// Sessions listed one by one per account, address, protocol and day (the
/// rest are in the totals): an intruder's few sessions are all listed, an
/// office client's 144 a day do not fill memory.
pub const SESSIONS_LISTED: usize = 8;

/// One mail-client session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OneSession {
    /// Login.
    pub start: Timestamp,
    /// Logout, when the log has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
    /// Bytes sent to the client (Dovecot `out=`).
    pub bytes_out: u64,
    /// Messages fetched whole (Dovecot `body_count=`).
    pub bodies: u64,
    /// Bytes of the message bodies fetched (Dovecot `body_bytes=`), when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<u64>,
}

/// One webmail action worth listing (a message opened, a download, an export…).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebItem {
    /// When.
    pub timestamp: Timestamp,
    /// vigie's name for it (`message-open`, `attachment-download`, `mailbox-export`, …).
    pub action: String,
    /// `_mbox`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// `_uid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// `_part`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Response bytes.
    pub bytes: u64,
    /// HTTP status.
    pub status: u16,
    /// The webmail's own name of the request (Roundcube `_action`:
    /// `show`, `preview`, `viewsource`), when it has one: a later scan of
    /// the mailboxes names the openings of a flagged message by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webmail_action: Option<String>,
    /// The access-log line.
    pub evidence: Evidence,
}

/// Webmail requests from one browser address.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WebDay {
    /// Requests.
    pub requests: u64,
    /// Bytes of successful (2xx) responses.
    pub bytes_out: u64,
    /// First request.
    pub first: Option<Timestamp>,
    /// Last request.
    pub last: Option<Timestamp>,
    /// User agents seen (the first two).
    pub user_agents: Vec<Box<str>>,
    /// Requests and response bytes per action.
    #[serde(serialize_with = "as_map", deserialize_with = "from_map")]
    pub actions: Actions,
    /// The actions worth listing, in time order ([`ITEMS_KEPT`] at most).
    pub items: Vec<WebItem>,
    /// Items not kept.
    pub items_dropped: u64,
}

/// Requests and response bytes per action, in the order first seen.
pub type Actions = Vec<(Box<str>, (u64, u64))>;

fn as_map<S: serde::Serializer>(
    actions: &[(Box<str>, (u64, u64))],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(actions.len()))?;
    for (action, counts) in actions {
        map.serialize_entry(action, counts)?;
    }
    map.end()
}

fn from_map<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Actions, D::Error> {
    let map = BTreeMap::<Box<str>, (u64, u64)>::deserialize(deserializer)?;
    Ok(map.into_iter().collect())
}

fn add_action(actions: &mut Actions, action: &str, n: u64, bytes: u64) {
    match actions.iter_mut().find(|(a, _)| &**a == action) {
        Some((_, c)) => {
            c.0 = c.0.saturating_add(n);
            c.1 = c.1.saturating_add(bytes);
        }
        None => actions.push((action.into(), (n, bytes))),
    }
}

/// A webmail login, authentication failure, forward or sent message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mark {
    /// When.
    pub timestamp: Timestamp,
    /// The account.
    pub user: String,
    /// From where (absent for deliveries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<IpAddr>,
    /// What: `web-login`, `auth-failure`, `sieve-forward`, `sent`.
    pub kind: String,
    /// Details: session id, forward target, recipients, protocol.
    pub detail: String,
    /// The line.
    pub evidence: Evidence,
}

/// The time a family of logs covers.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Coverage {
    /// Lines read as events.
    pub events: u64,
    /// Hours (since the epoch) with at least one event: where the gaps are.
    pub hours: BTreeSet<i64>,
    /// The earliest event, to the second the log gives.
    pub first: Option<Timestamp>,
    /// The latest event.
    pub last: Option<Timestamp>,
}

/// Stage-one gatherings for the case.
#[derive(Default, Serialize, Deserialize)]
pub struct Activity {
    /// Mail-client sessions per (account, address, protocol, day).
    #[serde(with = "vigie_event::wire::entries")]
    pub sessions: AHashMap<(Arc<str>, IpAddr, &'static str, i64), Sessions>,
    /// Webmail requests per browser address.
    pub web: AHashMap<IpAddr, WebDay>,
    /// Webmail logins, authentication failures, forwards and sent mail (bounded per account).
    pub marks: Vec<Mark>,
    /// Marks seen per (account, kind, address), kept or not.
    #[serde(with = "vigie_event::wire::entries")]
    marks_seen: AHashMap<(Arc<str>, &'static str, Option<IpAddr>), u64>,
    /// Coverage per log family (`dovecot`, `postfix`, `webmail access`, `roundcube`, …),
    /// but for the current run (see `run`).
    #[serde(with = "vigie_event::wire::entries")]
    coverage: BTreeMap<&'static str, Coverage>,
    /// Events of one family in one hour, in a row (a log file is mostly
    /// in time order): counted here, with their earliest and latest time,
    /// and folded into `coverage` when the family or hour changes, not
    /// looked up per event.
    run: Option<Run>,
    /// Mail-client logins waiting for their logout: session id → (account, address, protocol, login time).
    open: AHashMap<Box<str>, OpenSession>,
    /// Account names, each allocated once.
    users: ahash::AHashSet<Arc<str>>,
    /// Accounts and the addresses they logged in from successfully (the
    /// scan fills it from its login history).
    pub logins: BTreeSet<(String, IpAddr)>,
}

/// Events of one log family within one hour, read in a row.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Run {
    #[serde(with = "vigie_event::wire::static_str")]
    family: vigie_event::wire::StaticStr,
    hour: i64,
    events: u64,
    first: Timestamp,
    last: Timestamp,
}

/// Marks kept per account, kind and address: a brute force's thousands of
/// failures must not crowd out the one login from a new address that follows.
const MARKS_PER_KEY: u64 = 20;
/// Forwards and mail sent are each a message that left: more are kept.
const LEAVING_PER_KEY: u64 = 2_000;

/// The log family an event counts toward in the coverage: by role (the
/// IMAP/POP3 servers, the MTAs, web access, Roundcube) so that the coverage of
/// "what left" holds whatever product wrote the lines; a server that does
/// both (MDaemon, Domino, Kerio...) counts by the event's protocol.
fn family(event: &Event<'_>) -> &'static str {
    match event.dataset {
        Dataset::Dovecot => IMAP_POP3,
        Dataset::Postfix
        | Dataset::Exim
        | Dataset::Sendmail
        | Dataset::OpenSmtpd
        | Dataset::Qmail => "mta",
        Dataset::NginxAccess | Dataset::ApacheAccess => "web access",
        Dataset::RoundcubeUserlogins
        | Dataset::RoundcubeErrors
        | Dataset::RoundcubeSendmail
        | Dataset::RoundcubeSession => "roundcube",
        dataset if mail_server(dataset) => match event.protocol.as_deref() {
            Some("smtp" | "submission" | "smtps" | "esmtp" | "lmtp") => "mta",
            _ => IMAP_POP3,
        },
        other => other.name(),
    }
}

/// The family of the IMAP and POP3 servers' logs.
pub static IMAP_POP3: &str = "IMAP/POP3 server";

/// Whether `dataset` is a mail server's own log (IMAP, POP3, SMTP,
/// ManageSieve), whatever the product: its logins, logouts and failures make
/// the sessions of the scope.
fn mail_server(dataset: Dataset) -> bool {
    match dataset {
        Dataset::Dovecot
        | Dataset::Postfix
        | Dataset::Exim
        | Dataset::Cyrus
        | Dataset::Kerio
        | Dataset::Sendmail
        | Dataset::Courier
        | Dataset::UwImap
        | Dataset::Zimbra
        | Dataset::Vpopmail
        | Dataset::OpenSmtpd
        | Dataset::Perdition
        | Dataset::SolidPop3d
        | Dataset::Mdaemon
        | Dataset::Domino
        | Dataset::OracleMessaging
        | Dataset::Qmail => true,
        // Web servers, webmails, PHP-FPM, bare syslog, and any dataset added
        // later until it is named above.
        _ => false,
    }
}

/// The protocols sessions are kept for, by their static names.
fn protocol_name(protocol: &str) -> &'static str {
    match protocol {
        "imap" => "imap",
        "pop3" => "pop3",
        "managesieve" => "managesieve",
        "smtp" => "smtp",
        "lmtp" => "lmtp",
        "submission" => "submission",
        "" => "",
        _ => "other",
    }
}

/// A Sieve forward a mail server logged, kept as a mark, not a session.
fn is_sieve_forward(event: &Event<'_>) -> bool {
    event.action == Some("sieve-redirect") && event.user_name.is_some() && event.email_to.is_some()
}

fn evidence(event: &Event<'_>, path: &Arc<str>) -> Evidence {
    Evidence {
        path: path.to_string(),
        line: event.line,
        part: None,
    }
}

impl Activity {
    /// Records what `event` tells about an account's activity.
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        self.add_except_sessions(event, path);
        self.add_session(event, path);
    }

    /// What [`add`](Activity::add) records but the mail-client sessions,
    /// whose login and logout lines are joined by session id: the pieces of
    /// a file read on several threads hand those lines to
    /// [`add_session`](Activity::add_session) in file order instead, so that
    /// a session whose lines fall in two pieces is joined as a whole read
    /// joins it.
    pub fn add_except_sessions(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let (family, hour, at) = (
            family(event),
            event.timestamp.unix_seconds().div_euclid(3600),
            event.timestamp,
        );
        match &mut self.run {
            Some(r) if r.family == family && r.hour == hour => {
                r.events += 1;
                r.first = r.first.min(at);
                r.last = r.last.max(at);
            }
            run => {
                let next = Run {
                    family,
                    hour,
                    events: 1,
                    first: at,
                    last: at,
                };
                if let Some(done) = run.replace(next) {
                    fold(&mut self.coverage, done);
                }
            }
        }
        match event.dataset {
            Dataset::NginxAccess | Dataset::ApacheAccess => self.web_request(event, path),
            dataset if mail_server(dataset) => self.mail_mark(event, path),
            Dataset::RoundcubeUserlogins => {
                if let (Some(user), Some(source)) = (event.user_name.as_deref(), event.source_ip) {
                    let kind = if event.outcome == Some(Outcome::Success) {
                        "web-login"
                    } else {
                        "auth-failure"
                    };
                    let detail = format!(
                        "webmail, session {}",
                        event.session_id.as_deref().unwrap_or("?")
                    );
                    self.mark(user, Some(source), kind, detail, event, path);
                }
            }
            // Roundcube's errors log names the address of a failed login too
            // (`IMAP Error: Login failed for … from …`): kept so that the
            // line of each attempt is known to come from that address.
            Dataset::RoundcubeErrors
                if event.category == Some(Category::Authentication)
                    && event.outcome == Some(Outcome::Failure) =>
            {
                if let (Some(user), Some(source)) = (event.user_name.as_deref(), event.source_ip) {
                    let detail = "webmail (errors log)".to_string();
                    self.mark(user, Some(source), "auth-failure", detail, event, path);
                }
            }
            Dataset::RoundcubeSendmail => {
                if let (Some(user), Some(to)) =
                    (event.user_name.as_deref(), event.email_to.as_deref())
                {
                    let detail = format!("webmail to {to}");
                    self.mark(user, event.source_ip, "sent", detail, event, path);
                }
            }
            _ => {}
        }
    }

    fn mark(
        &mut self,
        user: &str,
        source: Option<IpAddr>,
        kind: &'static str,
        detail: String,
        event: &Event<'_>,
        path: &Arc<str>,
    ) {
        let n = self
            .marks_seen
            .entry((user.into(), kind, source))
            .or_default();
        *n += 1;
        let cap = marks_kept(kind);
        if *n > cap {
            return;
        }
        self.marks.push(Mark {
            timestamp: event.timestamp,
            user: user.to_string(),
            source,
            kind: kind.to_string(),
            detail,
            evidence: evidence(event, path),
        });
    }

    fn web_request(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let Some(source) = event.source_ip else {
            return;
        };
        let web = self.web.entry(source).or_default();
        let status = event.http_status.unwrap_or_default();
        let bytes = event.http_response_bytes.unwrap_or_default();
        web.requests += 1;
        if (200..300).contains(&status) {
            web.bytes_out = web.bytes_out.saturating_add(bytes);
        }
        web.first = Some(
            web.first
                .map_or(event.timestamp, |f| f.min(event.timestamp)),
        );
        web.last = Some(web.last.map_or(event.timestamp, |l| l.max(event.timestamp)));
        if let Some(agent) = event.user_agent.as_deref()
            && web.user_agents.len() < 2
            && !web.user_agents.iter().any(|a| &**a == agent)
        {
            web.user_agents.push(agent.into());
        }
        let action = event.action.unwrap_or("http-request");
        add_action(&mut web.actions, action, 1, bytes);
        // What reaches mail or settings; logins and listings are counted only.
        let listed = matches!(
            action,
            "message-open"
                | "message-source"
                | "attachment-download"
                | "mailbox-export"
                | "addressbook-export"
                | "sieve-put"
                | "2fa-settings"
                | "app-password"
                | "send"
        );
        if !listed {
            return;
        }
        if web.items.len() >= ITEMS_KEPT {
            web.items_dropped += 1;
            return;
        }
        web.items.push(WebItem {
            timestamp: event.timestamp,
            action: action.to_string(),
            mailbox: event.webmail_mailbox.as_deref().map(str::to_string),
            uid: event.webmail_uid.as_deref().map(str::to_string),
            part: event.webmail_part.as_deref().map(str::to_string),
            bytes,
            status,
            webmail_action: event.roundcube_action.as_deref().map(str::to_string),
            evidence: evidence(event, path),
        });
    }

    /// A mail server's Sieve forward or refused login, kept as a mark.
    fn mail_mark(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let protocol = protocol_name(event.protocol.as_deref().unwrap_or_default());
        if event.action == Some("sieve-redirect")
            && let (Some(user), Some(to)) = (event.user_name.as_deref(), event.email_to.as_deref())
        {
            let detail = format!(
                "forwarded to {to} (message {})",
                event.email_message_id.as_deref().unwrap_or("?")
            );
            self.mark(user, None, "sieve-forward", detail, event, path);
        } else if event.category == Some(Category::Authentication)
            && event.outcome == Some(Outcome::Failure)
            && let (Some(user), Some(source)) = (event.user_name.as_deref(), event.source_ip)
        {
            self.mark(
                user,
                Some(source),
                "auth-failure",
                protocol.to_string(),
                event,
                path,
            );
        }
    }

    /// Records a mail server's successful login or logout in its mail-client
    /// session (the rest of [`add`](Activity::add)); any other event is
    /// left alone.
    pub fn add_session(&mut self, event: &Event<'_>, path: &Arc<str>) {
        let authentication = event.category == Some(Category::Authentication);
        if !mail_server(event.dataset)
            || is_sieve_forward(event)
            || authentication && event.outcome == Some(Outcome::Failure)
        {
            return;
        }
        let protocol = protocol_name(event.protocol.as_deref().unwrap_or_default());
        let login = authentication && event.action == Some("login");
        let (Some(user), Some(session)) = (event.user_name.as_deref(), event.session_id.as_deref())
        else {
            return;
        };
        if login && event.outcome == Some(Outcome::Success) {
            let Some(source) = event.source_ip else {
                return;
            };
            // An MTA's SMTP AUTH session is a submission's queue id, one
            // message; an IMAP or POP3 server's (Dovecot's submission
            // service too) is a connection that a logout line closes.
            let per_message =
                event.dataset != Dataset::Dovecot && event.auth_service() == Some("smtp");
            let protocol = if per_message {
                "smtp-submission"
            } else {
                protocol
            };
            let user: Arc<str> = match self.users.get(user) {
                Some(u) => Arc::clone(u),
                None => {
                    let u: Arc<str> = user.into();
                    self.users.insert(Arc::clone(&u));
                    u
                }
            };
            let day = event.timestamp.unix_seconds().div_euclid(86_400);
            let s = self
                .sessions
                .entry((Arc::clone(&user), source, protocol, day))
                .or_insert_with(|| Sessions {
                    protocol: protocol.to_string(),
                    sessions: 0,
                    first: event.timestamp,
                    last: event.timestamp,
                    bytes_out: 0,
                    bodies: 0,
                    body_bytes: None,
                    each: Vec::new(),
                    evidence: Vec::new(),
                });
            s.sessions += 1;
            let listed = (s.each.len() < SESSIONS_LISTED).then(|| {
                s.each.push(OneSession {
                    start: event.timestamp,
                    end: None,
                    bytes_out: 0,
                    bodies: 0,
                    body_bytes: None,
                });
                s.each.len() - 1
            });
            s.first = s.first.min(event.timestamp);
            s.last = s.last.max(event.timestamp);
            if s.evidence.len() < EVIDENCE_KEPT {
                s.evidence.push(evidence(event, path));
            }
            if !per_message {
                if self.open.len() >= OPEN_KEPT {
                    // Sessions that never logged out (a crash, a cut log): forget the oldest half.
                    let mut starts: Vec<Timestamp> = self.open.values().map(|v| v.start).collect();
                    starts.sort_unstable();
                    let median = starts[starts.len() / 2];
                    self.open.retain(|_, v| v.start >= median);
                }
                let open = OpenSession {
                    user,
                    source,
                    protocol,
                    start: event.timestamp,
                    listed,
                };
                self.open.insert(session.into(), open);
            }
            return;
        }
        if event.action == Some("logout")
            && let Some(OpenSession {
                user,
                source,
                protocol,
                start,
                listed,
            }) = self.open.remove(session)
        {
            let day = start.unix_seconds().div_euclid(86_400);
            if let Some(s) = self.sessions.get_mut(&(user, source, protocol, day)) {
                let bytes = event.bytes_out.unwrap_or_default();
                let message = event.message.as_deref();
                let bodies = logged_counter(message, &BODY_COUNT).unwrap_or_default();
                let body_bytes = logged_counter(message, &BODY_BYTES);
                s.last = s.last.max(event.timestamp);
                s.bytes_out = s.bytes_out.saturating_add(bytes);
                s.bodies = s.bodies.saturating_add(bodies);
                if let Some(b) = body_bytes {
                    s.body_bytes = Some(s.body_bytes.unwrap_or_default().saturating_add(b));
                }
                if let Some(one) = listed.and_then(|i| s.each.get_mut(i)) {
                    one.end = Some(event.timestamp);
                    one.bytes_out = bytes;
                    one.bodies = bodies;
                    one.body_bytes = body_bytes;
                }
                if s.evidence.len() < EVIDENCE_KEPT {
                    s.evidence.push(evidence(event, path));
                }
            }
        }
    }

    /// Adds another worker's gatherings.
    pub fn merge(&mut self, other: Activity) {
        for (key, theirs) in other.sessions {
            match self.sessions.get_mut(&key) {
                Some(mine) => {
                    mine.sessions += theirs.sessions;
                    mine.first = mine.first.min(theirs.first);
                    mine.last = mine.last.max(theirs.last);
                    mine.bytes_out = mine.bytes_out.saturating_add(theirs.bytes_out);
                    mine.bodies = mine.bodies.saturating_add(theirs.bodies);
                    if let Some(b) = theirs.body_bytes {
                        mine.body_bytes =
                            Some(mine.body_bytes.unwrap_or_default().saturating_add(b));
                    }
                    mine.evidence.extend(theirs.evidence);
                    mine.evidence.truncate(EVIDENCE_KEPT);
                    // Two workers' shares of one day (rotated sets): the earliest listed.
                    mine.each.extend(theirs.each);
                    mine.each.sort_by_key(|o| o.start);
                    mine.each.truncate(SESSIONS_LISTED);
                }
                None => {
                    self.sessions.insert(key, theirs);
                }
            }
        }
        for (key, theirs) in other.web {
            let mine = self.web.entry(key).or_default();
            mine.requests += theirs.requests;
            mine.bytes_out = mine.bytes_out.saturating_add(theirs.bytes_out);
            mine.first = mine.first.into_iter().chain(theirs.first).min();
            mine.last = mine.last.into_iter().chain(theirs.last).max();
            for agent in theirs.user_agents {
                if mine.user_agents.len() < 2 && !mine.user_agents.contains(&agent) {
                    mine.user_agents.push(agent);
                }
            }
            for (action, (n, b)) in theirs.actions {
                add_action(&mut mine.actions, &action, n, b);
            }
            mine.items.extend(theirs.items);
            mine.items.sort_by_key(|i| i.timestamp);
            mine.items_dropped +=
                theirs.items_dropped + mine.items.len().saturating_sub(ITEMS_KEPT) as u64;
            mine.items.truncate(ITEMS_KEPT);
        }
        self.marks.extend(other.marks);
        for (key, n) in other.marks_seen {
            *self.marks_seen.entry(key).or_default() += n;
        }
        for (family, theirs) in other.coverage {
            let mine = self.coverage.entry(family).or_default();
            mine.events += theirs.events;
            mine.hours.extend(theirs.hours);
            mine.first = mine.first.into_iter().chain(theirs.first).min();
            mine.last = mine.last.into_iter().chain(theirs.last).max();
        }
        self.logins.extend(other.logins);
        if let Some(run) = other.run {
            fold(&mut self.coverage, run);
        }
    }

    /// Keeps the first marks of each account, kind and address by their
    /// line (evidence order), as many as one read keeps ([`MARKS_PER_KEY`],
    /// [`LEAVING_PER_KEY`]): merged from the pieces of one file, the marks a
    /// whole read of it keeps (each piece kept its own first).
    pub fn keep_first_marks(&mut self) {
        let mut order: Vec<usize> = (0..self.marks.len()).collect();
        order.sort_by(|&a, &b| self.marks[a].evidence.cmp(&self.marks[b].evidence));
        let mut keep = vec![false; self.marks.len()];
        let mut seen: AHashMap<(&str, &str, Option<IpAddr>), u64> = AHashMap::new();
        for i in order {
            let m = &self.marks[i];
            let n = seen.entry((&m.user, &m.kind, m.source)).or_default();
            *n += 1;
            keep[i] = *n <= marks_kept(&m.kind);
        }
        let mut keep = keep.into_iter();
        self.marks.retain(|_| keep.next().unwrap_or(true));
    }

    /// Coverage per log family.
    pub fn coverage(&self) -> BTreeMap<&'static str, Coverage> {
        let mut all = self.coverage.clone();
        if let Some(run) = self.run {
            fold(&mut all, run);
        }
        all
    }
}

/// Marks kept per account, kind and address.
fn marks_kept(kind: &str) -> u64 {
    if matches!(kind, "sieve-forward" | "sent") {
        LEAVING_PER_KEY
    } else {
        MARKS_PER_KEY
    }
}

fn fold(coverage: &mut BTreeMap<&'static str, Coverage>, run: Run) {
    let cover = coverage.entry(run.family).or_default();
    cover.events += run.events;
    cover.hours.insert(run.hour);
    cover.first = Some(cover.first.map_or(run.first, |f| f.min(run.first)));
    cover.last = Some(cover.last.map_or(run.last, |l| l.max(run.last)));
}

/// What a set of inputs taught about the accounts, as the case database
/// keeps it between scans (JSON in its `activity` table): an [`Activity`]
/// without the sessions still waiting for their logout. Lists are sorted,
/// so the same input gives the same text.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ActivityState {
    sessions: Vec<(String, IpAddr, String, i64, Sessions)>,
    web: Vec<(IpAddr, WebDay)>,
    marks: Vec<Mark>,
    marks_seen: Vec<(String, String, Option<IpAddr>, u64)>,
    coverage: Vec<(String, Coverage)>,
    logins: Vec<(String, IpAddr)>,
}

/// An [`ActivityState`] as the case database stores it (its JSON text),
/// zstd-compressed while the scan goes on: every set's state waits for the
/// database until stage two ends, and on an office's 1.1 GB of logs their
/// JSON is 109 MB (a tenth of that compressed, still growing with the
/// logs): once packed, a state is kept in an unnamed temporary file, or in
/// memory when no temporary file can be written.
///
/// Serialized as its compressed bytes (a Spark worker's states reach the
/// driver that way), and deserialized into memory.
#[derive(Clone)]
pub struct PackedState(Packed);

#[derive(Clone)]
enum Packed {
    Memory(Vec<u8>),
    /// `len` bytes at `at` in the process's file of packed states.
    Spilled {
        file: Arc<File>,
        at: u64,
        len: usize,
    },
}

/// The process's file of packed states, created at the first state packed
/// and appended to under this lock (reads are positional, they need none);
/// the system deletes it when the process ends. `None` until then, and for
/// good once no temporary file could be made.
static SPILLED: Mutex<Option<io::Result<Arc<File>>>> = Mutex::new(None);

/// zstd's level for [`PackedState`]: its fast end (JSON of sorted lists
/// compresses about tenfold even so).
const PACK_LEVEL: i32 = 1;

impl PackedState {
    /// `state`'s JSON, compressed.
    pub fn pack(state: &ActivityState) -> PackedState {
        // The JSON is compressed as it is written, never held whole.
        // Writing JSON into memory fails only for a map with non-string
        // keys, which the state has none of; compressing into memory
        // does not fail.
        let mut packed =
            zstd::stream::Encoder::new(Vec::new(), PACK_LEVEL).expect("a zstd level within range");
        serde_json::to_writer(&mut packed, state).expect("an activity state is JSON");
        PackedState::kept(packed.finish().expect("compressing in memory"))
    }

    /// `bytes` written to the file of packed states, or kept in memory
    /// (cut to their size) when that file cannot be made or written.
    fn kept(mut bytes: Vec<u8>) -> PackedState {
        let Ok(mut spilled) = SPILLED.lock() else {
            bytes.shrink_to_fit();
            return PackedState(Packed::Memory(bytes));
        };
        let file = spilled.get_or_insert_with(|| tempfile::tempfile().map(Arc::new));
        if let Ok(file) = file
            && let Ok(at) = (&**file).seek(io::SeekFrom::End(0))
            && (&**file).write_all(&bytes).is_ok()
        {
            return PackedState(Packed::Spilled {
                file: Arc::clone(file),
                at,
                len: bytes.len(),
            });
        }
        bytes.shrink_to_fit();
        PackedState(Packed::Memory(bytes))
    }

    /// Whether the state is held in the file of packed states.
    pub fn is_spilled(&self) -> bool {
        matches!(self.0, Packed::Spilled { .. })
    }

    /// The compressed bytes.
    fn bytes(&self) -> io::Result<std::borrow::Cow<'_, [u8]>> {
        match &self.0 {
            Packed::Memory(bytes) => Ok(bytes.into()),
            Packed::Spilled { file, at, len } => {
                let mut bytes = vec![0; *len];
                vigie_detect::correlate::read_exact_at(file, &mut bytes, *at)?;
                Ok(bytes.into())
            }
        }
    }

    /// The state's JSON text, as the case database stores it.
    ///
    /// # Errors
    /// The temporary file that does not read back, or bytes that are not
    /// what [`PackedState::pack`] wrote (a state read from another process,
    /// e.g. a Spark worker's, that was damaged).
    pub fn json(&self) -> io::Result<String> {
        let bytes = zstd::stream::decode_all(&self.bytes()?[..])?;
        String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// The state.
    ///
    /// # Errors
    /// As [`PackedState::json`], or JSON that is not a state.
    pub fn unpack(&self) -> io::Result<ActivityState> {
        Ok(serde_json::from_str(&self.json()?)?)
    }
}

impl Serialize for PackedState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes = self.bytes().map_err(serde::ser::Error::custom)?;
        s.serialize_newtype_struct("PackedState", serde_bytes::Bytes::new(&bytes))
    }
}

impl<'de> Deserialize<'de> for PackedState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PackedState, D::Error> {
        /// The wire shape: the compressed bytes.
        #[derive(Deserialize)]
        #[serde(rename = "PackedState")]
        struct Wire(#[serde(with = "serde_bytes")] Vec<u8>);
        let Wire(bytes) = Wire::deserialize(d)?;
        Ok(PackedState(Packed::Memory(bytes)))
    }
}

/// The part of a case's activity to read back from its database
/// ([`crate::store::activity`]): the sessions and webmail requests are the
/// bulk of it (109 MB of JSON for an office's 1.1 GB of logs), and the
/// scope reads them only for the accounts in the case and the addresses
/// those accounts used. Marks, logins and coverage are always read whole.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Sessions of these accounts (lower-cased); `None`: of every account.
    pub sessions_of: Option<BTreeSet<String>>,
    /// Webmail requests from these addresses; `None`: from every address.
    pub web_from: Option<BTreeSet<IpAddr>>,
}

impl Selection {
    /// Every session and webmail request.
    pub fn everything() -> Selection {
        Selection::default()
    }

    /// No session and no webmail request: the marks, logins and coverage.
    pub fn outline() -> Selection {
        Selection {
            sessions_of: Some(BTreeSet::new()),
            web_from: Some(BTreeSet::new()),
        }
    }

    fn keeps_sessions_of(&self, user: &str) -> bool {
        self.sessions_of
            .as_ref()
            .is_none_or(|wanted| wanted.contains(&user.to_ascii_lowercase()))
    }

    fn keeps_web_from(&self, source: IpAddr) -> bool {
        self.web_from
            .as_ref()
            .is_none_or(|wanted| wanted.contains(&source))
    }
}

impl ActivityState {
    /// The state in `json` (as [`PackedState::json`] and the case database
    /// hold it), but for the sessions and webmail requests `selection`
    /// leaves out, which are skipped one by one as they are read, never
    /// held all at once. The address of every webmail request read, kept
    /// or not, is added to `web_addresses`.
    ///
    /// # Errors
    /// JSON that is not a state.
    pub fn read_selected(
        json: &str,
        selection: &Selection,
        web_addresses: &mut BTreeSet<IpAddr>,
    ) -> serde_json::Result<ActivityState> {
        let mut reader = serde_json::Deserializer::from_str(json);
        let state = serde::de::DeserializeSeed::deserialize(
            SelectedState {
                selection,
                web_addresses,
            },
            &mut reader,
        )?;
        reader.end()?;
        Ok(state)
    }
}

/// Reads an [`ActivityState`] keeping what a [`Selection`] names.
struct SelectedState<'a> {
    selection: &'a Selection,
    web_addresses: &'a mut BTreeSet<IpAddr>,
}

impl<'de> serde::de::DeserializeSeed<'de> for SelectedState<'_> {
    type Value = ActivityState;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<ActivityState, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SelectedState<'_> {
    type Value = ActivityState;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an activity state")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<ActivityState, A::Error> {
        let SelectedState {
            selection,
            web_addresses,
        } = self;
        /// The state's fields: each must be there once, as a state
        /// deserialized whole requires (a damaged row is refused, not read
        /// as an empty activity).
        const FIELDS: [&str; 6] = [
            "sessions",
            "web",
            "marks",
            "marks_seen",
            "coverage",
            "logins",
        ];
        let mut state = ActivityState::default();
        let mut seen = [false; FIELDS.len()];
        while let Some(key) = map.next_key::<String>()? {
            if let Some(i) = FIELDS.iter().position(|f| *f == key)
                && std::mem::replace(&mut seen[i], true)
            {
                return Err(serde::de::Error::duplicate_field(FIELDS[i]));
            }
            match key.as_str() {
                "sessions" => {
                    state.sessions = map.next_value_seed(Kept(
                        |s: &(String, IpAddr, String, i64, Sessions)| {
                            selection.keeps_sessions_of(&s.0)
                        },
                        std::marker::PhantomData,
                    ))?;
                }
                "web" => {
                    state.web = map.next_value_seed(Kept(
                        |(source, _): &(IpAddr, WebDay)| {
                            web_addresses.insert(*source);
                            selection.keeps_web_from(*source)
                        },
                        std::marker::PhantomData,
                    ))?;
                }
                "marks" => state.marks = map.next_value()?,
                "marks_seen" => state.marks_seen = map.next_value()?,
                "coverage" => state.coverage = map.next_value()?,
                "logins" => state.logins = map.next_value()?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(serde::de::Error::missing_field(FIELDS[i]));
        }
        Ok(state)
    }
}

/// Reads a list, keeping the items for which the function is true.
struct Kept<T, F>(F, std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>, F: FnMut(&T) -> bool> serde::de::DeserializeSeed<'de>
    for Kept<T, F>
{
    type Value = Vec<T>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(&T) -> bool> serde::de::Visitor<'de> for Kept<T, F> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut kept = Vec::new();
        while let Some(item) = seq.next_element::<T>()? {
            if (self.0)(&item) {
                kept.push(item);
            }
        }
        Ok(kept)
    }
}

/// The static name of a log family read back from the case.
fn family_named(name: &str) -> &'static str {
    [IMAP_POP3, "mta", "web access", "roundcube"]
        .into_iter()
        .chain(Dataset::ALL.iter().map(|d| d.name()))
        .find(|f| *f == name)
        .unwrap_or("other")
}

/// The static name of a mark kind read back from the case.
fn mark_kind(name: &str) -> &'static str {
    ["web-login", "auth-failure", "sieve-forward", "sent"]
        .into_iter()
        .find(|k| *k == name)
        .unwrap_or("other")
}

impl Activity {
    /// The state the case keeps, moved out of the activity (a set's
    /// sessions and web requests are the bulk of a scan's memory: they are
    /// not copied).
    pub fn into_state(self) -> ActivityState {
        let coverage = self
            .coverage()
            .into_iter()
            .map(|(f, c)| (f.to_string(), c))
            .collect();
        let mut sessions: Vec<_> = self
            .sessions
            .into_iter()
            .map(|((user, ip, protocol, day), s)| {
                (user.to_string(), ip, protocol.to_string(), day, s)
            })
            .collect();
        sessions.sort_by(|a, b| (&a.0, a.1, &a.2, a.3).cmp(&(&b.0, b.1, &b.2, b.3)));
        let mut web: Vec<_> = self.web.into_iter().collect();
        web.sort_by_key(|(ip, _)| *ip);
        for (_, w) in &mut web {
            w.actions.sort();
        }
        let mut marks = self.marks;
        marks.sort_by(|a, b| {
            (a.timestamp, &a.user, &a.kind, &a.evidence).cmp(&(
                b.timestamp,
                &b.user,
                &b.kind,
                &b.evidence,
            ))
        });
        let mut marks_seen: Vec<_> = self
            .marks_seen
            .iter()
            .map(|((user, kind, ip), n)| (user.to_string(), kind.to_string(), *ip, *n))
            .collect();
        marks_seen.sort();
        ActivityState {
            sessions,
            web,
            marks,
            marks_seen,
            coverage,
            logins: self.logins.into_iter().collect(),
        }
    }

    /// What stage two still reads of a set's activity once its state is
    /// kept for the case database: the accounts' logins and the marks
    /// (webmail logins, failed attempts) by which the owner's own lines are
    /// told apart ([`crate::owner::leave_out_owner_lines`]); a copy without
    /// the sessions and web requests.
    pub fn owner_part(&self) -> Activity {
        Activity {
            marks: self.marks.clone(),
            marks_seen: self.marks_seen.clone(),
            logins: self.logins.clone(),
            ..Activity::default()
        }
    }

    /// An activity rebuilt from the state the case kept.
    pub fn from_state(state: ActivityState) -> Activity {
        let mut activity = Activity::default();
        for (user, ip, protocol, day, s) in state.sessions {
            let user: Arc<str> = user.into();
            activity.users.insert(Arc::clone(&user));
            let protocol = match protocol.as_str() {
                "smtp-submission" => "smtp-submission",
                p => protocol_name(p),
            };
            activity.sessions.insert((user, ip, protocol, day), s);
        }
        activity.web.extend(state.web);
        activity.marks = state.marks;
        for (user, kind, ip, n) in state.marks_seen {
            *activity
                .marks_seen
                .entry((user.into(), mark_kind(&kind), ip))
                .or_default() += n;
        }
        for (family, c) in state.coverage {
            activity.coverage.insert(family_named(&family), c);
        }
        activity.logins.extend(state.logins);
        activity
    }
}

/// Dovecot's logout counters read by the scope (`body_count=4`, `body_bytes=5971`).
static BODY_COUNT: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("body_count="));
static BODY_BYTES: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("body_bytes="));

/// The number after `key` in a logout line, when the line has it.
fn logged_counter(message: Option<&str>, key: &memmem::Finder<'_>) -> Option<u64> {
    let message = message?;
    let at = key.find(message.as_bytes())? + key.needle().len();
    message[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
