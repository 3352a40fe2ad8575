//! The mail side of `vigie scan`: the mail stores among the inputs are
//! scanned first; each flagged message becomes a finding, and the webmail
//! requests that displayed it (`_action=show|preview|viewsource` with its
//! `_mbox` and `_uid`, from the message's Maildir and `dovecot-uidlist`) tie
//! it to who opened it, when, from where, in which Roundcube session, and
//! what that account or address did next.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use vigie_detect::analytics::LoginHistory;
use vigie_detect::analytics::is_freemail;
use vigie_event::{Dataset, EVIDENCE_KEPT, Entity, Event, Evidence, Finding, Outcome, Timestamp};
use vigie_intel::matcher::{IntelHits, IntelIndex, MessageAt};
use vigie_mail::scan::{Rules, scan_stores};
use vigie_mail::sieve::{MAX_SCRIPT_BYTES, Redirect, redirects};
use vigie_mail::store::{Store, StoreKind, discover};
use vigie_mail::{Level, MessageReport, Unread};

/// Messages at or above this level become findings.
const FINDING_LEVEL: Level = Level::Low;

/// How long after an exploit mail is opened later findings join its chain.
const CHAIN_WINDOW_SECS: i64 = 24 * 3600;

/// What the mail stores gave.
#[derive(Default)]
pub struct MailScan {
    /// The stores found.
    pub stores: Vec<Store>,
    /// Messages read.
    pub messages: u64,
    /// Messages read only in part (see each report's problems).
    pub partial: u64,
    /// Flagged messages (level low or above).
    pub flagged: Vec<MessageReport>,
    /// Messages that could not be read.
    pub unread: Vec<Unread>,
    /// YARA rule files that did not compile.
    pub rule_errors: Vec<String>,
    /// Messages that matched indicators.
    pub intel: IntelHits,
    /// The Sieve scripts found beside the mailboxes.
    pub scripts: Vec<SieveScript>,
}

/// A Sieve script and what it redirects.
pub struct SieveScript {
    /// The file.
    pub path: String,
    /// The mailbox owner (from the messages of the Maildir beside it), when known.
    pub owner: Option<String>,
    /// Whether it is the active one (`.dovecot.sieve` points at it).
    pub active: bool,
    /// Its last change (the file's time).
    pub modified: Timestamp,
    /// Its `redirect` actions.
    pub redirects: Vec<Redirect>,
}

/// The folder of a mail user (`…/alice` for `…/alice/Maildir/cur/…` or
/// `…/alice/sieve/x.sieve`), where Dovecot keeps both.
pub fn user_folder(path: &Path) -> Option<PathBuf> {
    let mut up = path.parent();
    while let Some(dir) = up {
        if dir
            .file_name()
            .is_some_and(|n| n == "Maildir" || n == "sieve")
        {
            return dir.parent().map(Path::to_path_buf);
        }
        up = dir.parent();
    }
    None
}

/// Reads the Sieve script at `path` (its first [`MAX_SCRIPT_BYTES`]); its
/// owner is that of its user folder in `owners`.
pub fn read_script(path: &Path, owners: &HashMap<PathBuf, String>) -> Result<SieveScript, String> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SCRIPT_BYTES as u64).read_to_end(&mut text))
        .map_err(|e| e.to_string())?;
    let folder = user_folder(path).or_else(|| path.parent().map(Path::to_path_buf));
    let active = folder
        .as_ref()
        .and_then(|f| std::fs::canonicalize(f.join(".dovecot.sieve")).ok())
        .is_some_and(|target| std::fs::canonicalize(path).is_ok_and(|me| me == target));
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| Timestamp::from_unix(d.as_secs() as i64, 0))
        .unwrap_or_default();
    Ok(SieveScript {
        path: vigie_event::path::to_text(path).into_owned(),
        owner: folder.and_then(|f| owners.get(&f).cloned()),
        active,
        modified,
        redirects: redirects(&String::from_utf8_lossy(&text)),
    })
}

impl MailScan {
    /// Whether `path` belongs to a mail store (and is not a log).
    pub fn owns(&self, path: &Path) -> bool {
        // A link to a store (Dovecot's `.dovecot.sieve` to the active
        // script) is that store, not a log of no known format.
        let target = path
            .is_symlink()
            .then(|| std::fs::canonicalize(path).ok())
            .flatten();
        self.stores.iter().any(|s| match s.kind {
            StoreKind::Maildir => path.starts_with(&s.path),
            StoreKind::Mbox | StoreKind::Eml | StoreKind::Sieve | StoreKind::DovecotState => {
                path == s.path
                    || target
                        .as_ref()
                        .is_some_and(|t| std::fs::canonicalize(&s.path).is_ok_and(|c| c == *t))
            }
        })
    }
}

/// The shipped YARA rules and those of `dirs`, with the files that did not compile.
#[cfg(feature = "yara")]
pub fn load_rules(dirs: &[PathBuf]) -> (Option<Rules>, Vec<String>) {
    let rules = Rules::load(true, dirs);
    let errors = rules.errors.iter().map(ToString::to_string).collect();
    (Some(rules), errors)
}

/// This build has no YARA: no rules, and an error if some were asked for.
#[cfg(not(feature = "yara"))]
pub fn load_rules(dirs: &[PathBuf]) -> (Option<Rules>, Vec<String>) {
    let errors = if dirs.is_empty() {
        Vec::new()
    } else {
        vec!["--yara: this build of vigie has no YARA support (feature `yara`)".to_string()]
    };
    (None, errors)
}

/// Finds and scans the mail stores under `paths`, matching each message
/// against `intel`.
pub fn scan_mail(paths: &[PathBuf], yara_dirs: &[PathBuf], intel: &IntelIndex) -> MailScan {
    let (stores, unread) = discover(paths);
    let (rules, rule_errors) = if stores.is_empty() && yara_dirs.is_empty() {
        (None, Vec::new())
    } else {
        load_rules(yara_dirs)
    };
    let part = scan_part(&stores, rules.as_ref(), intel);
    finish(stores, unread, rule_errors, part, intel)
}

/// What scanning some of the stores of a case gives (one store per task
/// for a distributed driver): merged over all the stores, then
/// [`finish`]ed into the [`MailScan`].
#[derive(Default)]
pub struct MailPart {
    /// Messages read.
    pub messages: u64,
    /// Messages read only in part.
    pub partial: u64,
    /// Flagged messages (level low or above), in no order.
    pub flagged: Vec<MessageReport>,
    /// Messages that could not be read.
    pub unread: Vec<Unread>,
    /// Messages that matched indicators.
    pub intel: IntelHits,
    /// Each user folder's owner, from its messages, for its Sieve scripts.
    pub owners: HashMap<PathBuf, String>,
}

impl MailPart {
    /// Adds another part (a folder's owner stays the one first known).
    pub fn merge(&mut self, other: MailPart) {
        self.messages += other.messages;
        self.partial += other.partial;
        self.flagged.extend(other.flagged);
        self.unread.extend(other.unread);
        self.intel.merge(other.intel);
        for (folder, owner) in other.owners {
            self.owners.entry(folder).or_insert(owner);
        }
    }
}

/// Scans the messages of `stores` (Maildirs, mboxes, `.eml` files; Sieve
/// scripts are read by [`finish`]) with the YARA `rules`, matching each
/// against `intel`.
pub fn scan_part(stores: &[Store], rules: Option<&Rules>, intel: &IntelIndex) -> MailPart {
    let state = Mutex::new((0u64, 0u64, Vec::new()));
    let unread_more = Mutex::new(Vec::new());
    let hits = Mutex::new(IntelHits::default());
    // Each user folder's owner, from its messages, for its Sieve scripts.
    let owners: Mutex<HashMap<PathBuf, String>> = Mutex::new(HashMap::new());
    scan_stores(
        stores,
        rules,
        &|report| {
            if !intel.is_empty() {
                match_message(intel, &report, &hits);
            }
            if let Some(folder) = user_folder(&vigie_event::path::from_text(&report.location.path))
            {
                let mut owners = owners.lock().unwrap_or_else(|e| e.into_inner());
                if !owners.contains_key(&folder)
                    && let Some(owner) = report.delivered_to.as_deref()
                {
                    owners.insert(folder, owner.to_ascii_lowercase());
                }
            }
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            state.0 += 1;
            state.1 += u64::from(!report.problems.is_empty());
            if report.level >= Some(FINDING_LEVEL) {
                state.2.push(report);
            }
        },
        &|u| {
            unread_more
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(u)
        },
    );
    let (messages, partial, flagged) = state.into_inner().unwrap_or_else(|e| e.into_inner());
    MailPart {
        messages,
        partial,
        flagged,
        unread: unread_more.into_inner().unwrap_or_else(|e| e.into_inner()),
        intel: hits.into_inner().unwrap_or_else(|e| e.into_inner()),
        owners: owners.into_inner().unwrap_or_else(|e| e.into_inner()),
    }
}

/// The mail scan of `stores` from the merged `part` of their messages:
/// flagged messages in file order, the Sieve scripts read (their owners
/// from the messages beside them) and matched against `intel`; `unread`
/// and `rule_errors` are those of finding the stores and loading YARA.
pub fn finish(
    stores: Vec<Store>,
    mut unread: Vec<Unread>,
    rule_errors: Vec<String>,
    part: MailPart,
    intel: &IntelIndex,
) -> MailScan {
    let MailPart {
        messages,
        partial,
        mut flagged,
        unread: unread_more,
        intel: mut intel_hits,
        owners,
    } = part;
    flagged.sort_by(|a, b| {
        (&a.location.path, a.location.line).cmp(&(&b.location.path, b.location.line))
    });
    unread.extend(unread_more);
    let mut scripts = Vec::new();
    for store in stores.iter().filter(|s| s.kind == StoreKind::Sieve) {
        match read_script(&store.path, &owners) {
            Ok(script) => {
                match_script(intel, &script, &mut intel_hits);
                scripts.push(script);
            }
            Err(reason) => unread.push(Unread {
                location: vigie_mail::Location {
                    path: vigie_event::path::to_text(&store.path).into_owned(),
                    ..vigie_mail::Location::default()
                },
                reason,
            }),
        }
    }
    MailScan {
        stores,
        messages,
        partial,
        flagged,
        unread,
        rule_errors,
        intel: intel_hits,
        scripts,
    }
}

/// Matches a Sieve script's redirect targets.
pub fn match_script(intel: &IntelIndex, script: &SieveScript, hits: &mut IntelHits) {
    for r in &script.redirects {
        let mut found = Vec::new();
        intel.email(&r.address, &mut |id| {
            found.push((id, "sieve.redirect", r.address.clone()))
        });
        let at = MessageAt {
            user: script.owner.as_deref(),
            timestamp: script.modified,
            evidence: Evidence {
                path: script.path.clone(),
                line: r.line,
                part: None,
            },
        };
        hits.add_script(&found, &at);
    }
}

/// `VS001`: a Sieve script redirecting mail outside the owner's domain —
/// the persistence RoundPress-style intrusions leave (THREATS.md §2).
pub fn script_findings(mail: &MailScan) -> Vec<Finding> {
    mail.scripts.iter().flat_map(redirect_findings).collect()
}

/// `VS001` for each redirect of `script` outside its owner's domain.
pub fn redirect_findings(script: &SieveScript) -> Vec<Finding> {
    let mut out = Vec::new();
    let own_domain = script
        .owner
        .as_deref()
        .and_then(|o| o.rsplit_once('@'))
        .map(|(_, d)| d.to_ascii_lowercase());
    for r in &script.redirects {
        let domain = r
            .address
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        if own_domain.as_deref() == Some(domain.as_str()) {
            continue;
        }
        let freemail = is_freemail(&domain);
        let mut reason = format!(
            "{} script redirects {}mail to {}",
            if script.active {
                "the active"
            } else {
                "an inactive"
            },
            if r.copy { "a copy of every " } else { "" },
            r.address
        );
        if freemail {
            reason.push_str(" (a free-mail provider)");
        }
        match &script.owner {
            Some(owner) => reason.push_str(&format!(", outside {owner}'s domain")),
            None => reason.push_str(
                "; the mailbox owner is unknown (no message with Delivered-To beside it)",
            ),
        }
        reason.push_str(
            "; the time is the file's last change, true only if it was copied with its times",
        );
        out.push(Finding {
            rule_id: "VS001".to_string(),
            title: "Sieve script redirects mail to an outside address".to_string(),
            level: if script.active && (freemail || script.owner.is_some()) {
                "high"
            } else {
                "medium"
            }
            .to_string(),
            attack: vec!["T1114.003".to_string(), "T1020".to_string()],
            entity: Entity {
                user: script.owner.clone(),
                ..Entity::default()
            },
            first_seen: script.modified,
            last_seen: script.modified,
            count: 1,
            evidence: vec![Evidence {
                path: script.path.clone(),
                line: r.line,
                part: None,
            }],
            reason,
        });
    }
    out
}

/// Matches a message's sender, recipients, `Received` hops, links and
/// digests (of the message and of each part).
pub fn match_message(intel: &IntelIndex, report: &MessageReport, hits: &Mutex<IntelHits>) {
    let mut found: Vec<(u32, &'static str, String)> = Vec::new();
    if let Some(from) = &report.from {
        intel.email(from, &mut |id| {
            found.push((id, "email.from.address", from.clone()))
        });
    }
    for to in &report.to {
        intel.email(to, &mut |id| {
            found.push((id, "email.to.address", to.clone()))
        });
    }
    for hop in &report.received_from {
        intel.host(hop, &mut |id| {
            found.push((id, "email.received.from", hop.clone()))
        });
    }
    for link in &report.links {
        intel.url(link, &mut |id| found.push((id, "email.link", link.clone())));
    }
    // What the message's scripts decode to (vigie_mail::payload).
    for value in &report.payload {
        use vigie_mail::payload::ValueKind;
        let v = &value.value;
        let shown = format!("{v} (decoded: {})", value.how);
        match value.kind {
            ValueKind::Url => intel.url(v, &mut |id| {
                found.push((id, "email.payload.url", shown.clone()))
            }),
            ValueKind::Domain | ValueKind::Ip => intel.host(v, &mut |id| {
                found.push((id, "email.payload.host", shown.clone()))
            }),
            ValueKind::Email => intel.email(v, &mut |id| {
                found.push((id, "email.payload.email", shown.clone()))
            }),
        }
    }
    intel.digest(&report.sha256, &mut |id| {
        found.push((id, "email.sha256", report.sha256.clone()))
    });
    for part in &report.parts {
        if let Some(sha) = &part.sha256 {
            intel.digest(sha, &mut |id| {
                found.push((
                    id,
                    "file.hash.sha256",
                    format!("{sha} (part {})", part.part),
                ))
            });
        }
    }
    if found.is_empty() {
        return;
    }
    found.sort();
    found.dedup();
    let user = owner(report);
    let at = MessageAt {
        user: user.as_deref(),
        timestamp: arrival(report).unwrap_or_default(),
        evidence: Evidence {
            path: report.location.path.clone(),
            line: report.location.line,
            part: None,
        },
    };
    hits.lock()
        .unwrap_or_else(|e| e.into_inner())
        .add_message(&found, &at);
}

/// A webmail request that displayed a flagged message.
#[derive(Serialize, Deserialize)]
struct Open {
    source: IpAddr,
    timestamp: Timestamp,
    action: String,
    path: Arc<str>,
    line: u64,
}

impl Open {
    fn of(event: &Event<'_>, source: IpAddr, path: &Arc<str>) -> Open {
        Open {
            source,
            timestamp: event.timestamp,
            action: event
                .roundcube_action
                .as_deref()
                .or(event.action)
                .unwrap_or_default()
                .to_string(),
            path: Arc::clone(path),
            line: event.line,
        }
    }
}

/// The message `event` displayed, when it is a webmail's request that did
/// (and did not fail, HTTP status under 400): its mailbox (Maildir++ name),
/// UID and the address it came from. Every webmail names it by its own
/// identifiers (`webmail.mailbox`/`webmail.uid`: Roundcube `_mbox`/`_uid`,
/// Horde `mailbox`/`buid`, SOGo folder path and uid, …).
pub fn displayed<'e>(event: &'e Event<'_>) -> Option<(String, &'e str, IpAddr)> {
    let displays = matches!(event.action, Some("message-open" | "message-source"))
        || event.roundcube_action.as_deref() == Some("print");
    if !displays || event.http_status.is_some_and(|s| s >= 400) {
        return None;
    }
    Some((
        normalize_mailbox(event.webmail_mailbox.as_deref()?),
        event.webmail_uid.as_deref()?,
        event.source_ip?,
    ))
}

/// A successful Roundcube login, for naming the session an open belongs to.
#[derive(Serialize, Deserialize)]
struct WebLogin {
    user: String,
    source: IpAddr,
    timestamp: Timestamp,
    session: String,
}

/// What stage one gathers for the mail findings: the requests that
/// displayed a flagged message, and the webmail logins. Serializable, so a
/// driver can ship the wanted messages to workers and their findings back.
#[derive(Default, Serialize, Deserialize)]
pub struct Opens {
    /// `(mailbox, uid)` of the flagged messages.
    wanted: Arc<HashSet<(String, String)>>,
    seen: Vec<(String, String, Open)>,
    logins: Vec<WebLogin>,
}

/// Roundcube's folder names use the server's separator; Maildir++ uses `.`.
pub fn normalize_mailbox(name: &str) -> String {
    name.replace('/', ".")
}

impl Opens {
    /// Gathers opens of the messages of `mail`.
    pub fn new(mail: &MailScan) -> Opens {
        let wanted = mail
            .flagged
            .iter()
            .filter_map(|r| {
                Some((
                    normalize_mailbox(r.location.mailbox.as_deref()?),
                    r.location.uid?.to_string(),
                ))
            })
            .collect();
        Opens {
            wanted: Arc::new(wanted),
            ..Opens::default()
        }
    }

    /// An empty gatherer for another worker, wanting the same messages.
    pub fn worker(&self) -> Opens {
        Opens {
            wanted: Arc::clone(&self.wanted),
            ..Opens::default()
        }
    }

    /// Records `event` if it displayed a wanted message or is a webmail login.
    pub fn add(&mut self, event: &Event<'_>, path: &Arc<str>) {
        if self.wanted.is_empty() {
            return;
        }
        if event.dataset == Dataset::RoundcubeUserlogins
            && event.outcome == Some(Outcome::Success)
            && let (Some(user), Some(source), Some(session)) = (
                event.user_name.as_deref(),
                event.source_ip,
                event.session_id.as_deref(),
            )
        {
            self.logins.push(WebLogin {
                user: user.to_string(),
                source,
                timestamp: event.timestamp,
                session: session.to_string(),
            });
            return;
        }
        let Some((mailbox, uid, source)) = displayed(event) else {
            return;
        };
        let key = (mailbox, uid.to_string());
        if !self.wanted.contains(&key) {
            return;
        }
        self.seen
            .push((key.0, key.1, Open::of(event, source, path)));
    }

    /// Adds another worker's gatherings.
    pub fn merge(&mut self, other: Opens) {
        self.seen.extend(other.seen);
        self.logins.extend(other.logins);
    }

    /// Adds the openings and webmail logins that earlier scans of the case
    /// recorded (`activity`, as the case database holds it): the logs read
    /// before the mailboxes still name who opened a flagged message. What
    /// this scan read again is not counted twice.
    pub fn add_recorded(&mut self, activity: &vigie_case::activity::Activity) {
        if self.wanted.is_empty() {
            return;
        }
        for (source, web) in &activity.web {
            for item in &web.items {
                let displays = matches!(item.action.as_str(), "message-open" | "message-source");
                let (Some(mbox), Some(uid)) = (&item.mailbox, &item.uid) else {
                    continue;
                };
                let key = (normalize_mailbox(mbox), uid.clone());
                if !displays || item.status >= 400 || !self.wanted.contains(&key) {
                    continue;
                }
                self.seen.push((
                    key.0,
                    key.1,
                    Open {
                        source: *source,
                        timestamp: item.timestamp,
                        action: item
                            .webmail_action
                            .clone()
                            .unwrap_or_else(|| item.action.clone()),
                        path: Arc::from(item.evidence.path.as_str()),
                        line: item.evidence.line,
                    },
                ));
            }
        }
        for mark in activity.marks.iter().filter(|m| m.kind == "web-login") {
            let (Some(source), Some(session)) =
                (mark.source, mark.detail.strip_prefix("webmail, session "))
            else {
                continue;
            };
            if session == "?" {
                continue;
            }
            self.logins.push(WebLogin {
                user: mark.user.clone(),
                source,
                timestamp: mark.timestamp,
                session: session.to_string(),
            });
        }
        let mut seen_lines = HashSet::new();
        self.seen.retain(|(m, u, o)| {
            seen_lines.insert((m.clone(), u.clone(), Arc::clone(&o.path), o.line))
        });
        let mut logins = HashSet::new();
        self.logins
            .retain(|l| logins.insert((l.session.clone(), l.source, l.timestamp)));
    }
}

/// The mailbox's owner: `Delivered-To`, else `<domain>/<user>/Maildir` in
/// the path, else the first recipient.
fn owner(report: &MessageReport) -> Option<String> {
    if let Some(d) = &report.delivered_to {
        return Some(d.to_ascii_lowercase());
    }
    // `<domain>/<user>/Maildir/…`
    if let Some(folder) = user_folder(&vigie_event::path::from_text(&report.location.path))
        && let (Some(user), Some(domain)) = (
            folder.file_name().map(|n| n.to_string_lossy()),
            folder
                .parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy()),
        )
        && domain.contains('.')
    {
        return Some(format!("{user}@{domain}"));
    }
    report.to.first().map(|t| t.to_ascii_lowercase())
}

/// When the message arrived: the delivery time a Maildir file name starts
/// with (the server's clock), else its `Date` header.
fn arrival(report: &MessageReport) -> Option<Timestamp> {
    let name = vigie_event::path::from_text(&report.location.path)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    if report.location.mailbox.is_some()
        && let Ok(secs) = digits.parse::<i64>()
        && digits.len() >= 9
    {
        return Some(Timestamp::from_unix(secs, 0));
    }
    let date: jiff::Timestamp = report.date.as_deref()?.parse().ok()?;
    Some(Timestamp::from_unix(date.as_second(), 0))
}

fn message_evidence(report: &MessageReport) -> Vec<Evidence> {
    let mut parts: Vec<&str> = report.indicators.iter().map(|i| i.part.as_str()).collect();
    parts.sort_unstable();
    parts.dedup();
    parts
        .into_iter()
        .map(|part| Evidence {
            path: report.location.path.clone(),
            line: report.location.line,
            part: Some(part.to_string()),
        })
        .collect()
}

fn describe(report: &MessageReport) -> String {
    let indicators: Vec<String> = report
        .indicators
        .iter()
        .take(8)
        .map(|i| {
            // Line 0: the part's headers, which have no body line.
            let line = match i.line {
                0 => String::new(),
                n => format!(" line {n}"),
            };
            format!(
                "{} {}{} in part {}{line}: {}",
                i.code,
                i.name,
                i.cve
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                i.part,
                i.snippet
            )
        })
        .collect();
    format!(
        "message {} from {} to {}{}: {}",
        quoted(report.subject.as_deref().unwrap_or("")),
        report.from.as_deref().unwrap_or("(no sender)"),
        owner(report).as_deref().unwrap_or("(unknown mailbox)"),
        match (&report.location.mailbox, report.location.uid) {
            (Some(m), Some(u)) => format!(" ({m}, UID {u})"),
            _ => String::new(),
        },
        indicators.join("; ")
    )
}

fn attack_of(report: &MessageReport) -> Vec<String> {
    let mut attack: Vec<String> = report
        .indicators
        .iter()
        .flat_map(|i| i.attack.iter().cloned())
        .collect();
    attack.sort();
    attack.dedup();
    attack
}

/// A message finding's title, for people: the indicator's name in words
/// (`svg_animate_href` → `SVG animate href`), with its CVE when it has one
/// (attribution reads CVEs from titles).
fn message_title(top: &vigie_mail::indicators::Indicator) -> String {
    const ACRONYMS: [&str; 12] = [
        "svg", "html", "css", "uri", "url", "js", "xss", "mime", "pdf", "ole", "dde", "rtf",
    ];
    let words: Vec<String> = top
        .name
        .split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            if ACRONYMS.contains(&w.to_ascii_lowercase().as_str()) {
                w.to_ascii_uppercase()
            } else {
                w.to_string()
            }
        })
        .collect();
    let name = if words.is_empty() {
        top.code.clone()
    } else {
        words.join(" ")
    };
    match &top.cve {
        Some(cve) if !name.contains(cve.as_str()) => format!("Message carries {name} ({cve})"),
        _ => format!("Message carries {name}"),
    }
}

/// The finding of a message, when it is flagged (level low or above).
pub fn message_finding(report: &MessageReport) -> Option<Finding> {
    let level = report.level.filter(|l| *l >= FINDING_LEVEL)?;
    // The finding is named for its strongest indicator: of the highest level,
    // one naming a CVE before one that does not, vigie's own before a YARA
    // rule's, and the first found among equals (so the name is stable).
    let top = report
        .indicators
        .iter()
        .rev()
        .max_by_key(|i| (i.level, i.cve.is_some(), !i.code.starts_with("YARA")))?;
    let at = arrival(report);
    let mut reason = describe(report);
    if at.is_none() {
        reason.push_str(UNDATED);
    }
    let at = at.unwrap_or_default();
    Some(Finding {
        rule_id: top.code.clone(),
        title: message_title(top),
        level: level.name().to_string(),
        attack: attack_of(report),
        entity: Entity {
            user: owner(report),
            source_ip: report.received_from.first().cloned(),
            session: None,
        },
        first_seen: at,
        last_seen: at,
        count: report.indicators.len() as u64,
        evidence: message_evidence(report),
        reason,
    })
}

/// What a message finding's reason says when the message tells no time.
const UNDATED: &str = "; no arrival time (no delivery time in its file name, no Date header): dated at the Unix epoch";

/// The indicators that say a message was read only in part (VM090, a MIME
/// bound; VM091, the time bound; VM092, any other bound).
const READ_IN_PART: [&str; 3] = ["VM090", "VM091", "VM092"];

/// A finding of its own for each read-in-part indicator of a message whose
/// finding is named for another (a YARA hit, say): an analyst filtering on
/// VM090 finds every message a bound cut short, as issue 11 asks.
fn read_in_part_findings(report: &MessageReport, finding: &Finding) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for indicator in &report.indicators {
        if !READ_IN_PART.contains(&indicator.code.as_str())
            || indicator.code == finding.rule_id
            || out.iter().any(|f| f.rule_id == indicator.code)
        {
            continue;
        }
        out.push(Finding {
            rule_id: indicator.code.clone(),
            title: message_title(indicator),
            level: indicator.level.name().to_string(),
            attack: Vec::new(),
            count: 1,
            evidence: vec![Evidence {
                path: report.location.path.clone(),
                line: report.location.line,
                part: Some(indicator.part.clone()),
            }],
            reason: format!(
                "message {} was read in part: {} (part {}, line {}); its other indicators are in its {} finding",
                quoted(report.subject.as_deref().unwrap_or("")),
                indicator.snippet,
                indicator.part,
                indicator.line,
                finding.rule_id
            ),
            ..finding.clone()
        });
    }
    out
}

/// Attacker text in quotes, its control characters as control pictures
/// (not Rust's `\u{1b}` escapes) and its quotes doubled.
fn quoted(text: &str) -> String {
    let inner: String = text
        .chars()
        .map(vigie_event::control_picture)
        .collect::<String>()
        .replace('"', "\"\"");
    format!("\"{inner}\"")
}

/// The findings of the flagged messages, and of the webmail sessions that
/// opened them with what followed (`earlier` are the scan's other findings).
pub fn findings(
    mail: &MailScan,
    opens: &Opens,
    logins: &LoginHistory,
    earlier: &[Finding],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut by_key: HashMap<(&str, &str), Vec<&Open>> = HashMap::new();
    for (mbox, uid, open) in &opens.seen {
        by_key.entry((mbox, uid)).or_default().push(open);
    }
    for report in &mail.flagged {
        let Some(level) = report.level else { continue };
        let Some(finding) = message_finding(report) else {
            continue;
        };
        let bounds = read_in_part_findings(report, &finding);
        out.push(finding);
        out.extend(bounds);
        let user = owner(report);
        // Opens of this message by its owner (when the address tells who).
        let key = match (&report.location.mailbox, report.location.uid) {
            (Some(m), Some(u)) => (normalize_mailbox(m), u.to_string()),
            _ => continue,
        };
        let seen: Vec<&Open> = by_key
            .get(&(key.0.as_str(), key.1.as_str()))
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|o| match (logins.only_account_of(o.source), &user) {
                (Some(who), Some(owner)) => who.eq_ignore_ascii_case(owner),
                _ => true,
            })
            .collect();
        if level < Level::High {
            continue;
        }
        // One finding per address that opened it: the owner at the office
        // and an intruder in the same account are two stories.
        let mut by_source: HashMap<IpAddr, Vec<&Open>> = HashMap::new();
        for open in seen {
            by_source.entry(open.source).or_default().push(open);
        }
        let mut sources: Vec<(IpAddr, Vec<&Open>)> = by_source.into_iter().collect();
        sources.sort_by_key(|(_, o)| o.iter().map(|o| o.timestamp).min());
        for (address, mut seen) in sources {
            seen.sort_by_key(|o| o.timestamp);
            out.push(opened(
                report,
                level,
                user.as_deref(),
                address,
                &seen,
                opens,
                earlier,
            ));
        }
    }
    out
}

/// The finding of one address opening a flagged message, with what that
/// account or address did in the next 24 hours.
fn opened(
    report: &MessageReport,
    level: Level,
    user: Option<&str>,
    address: IpAddr,
    seen: &[&Open],
    opens: &Opens,
    earlier: &[Finding],
) -> Finding {
    let first = seen[0];
    let session = opens
        .logins
        .iter()
        .filter(|l| {
            l.source == address
                && l.timestamp <= first.timestamp
                && user.is_none_or(|u| l.user.eq_ignore_ascii_case(u))
        })
        .max_by_key(|l| l.timestamp)
        .map(|l| l.session.clone());
    let source = address.to_string();
    let later: Vec<&Finding> = earlier
        .iter()
        .filter(|f| {
            let after = f.first_seen >= first.timestamp
                && f.first_seen.unix_seconds() - first.timestamp.unix_seconds()
                    <= CHAIN_WINDOW_SECS;
            let same = f.entity.source_ip.as_deref() == Some(source.as_str())
                || user.is_some_and(|u| {
                    f.entity
                        .user
                        .as_deref()
                        .is_some_and(|fu| fu.eq_ignore_ascii_case(u))
                });
            after && same
        })
        .collect();
    let mut evidence = message_evidence(report);
    evidence.extend(seen.iter().map(|o| Evidence {
        path: o.path.to_string(),
        line: o.line,
        part: None,
    }));
    for f in &later {
        for e in &f.evidence {
            if evidence.len() >= EVIDENCE_KEPT {
                break;
            }
            if !evidence.contains(e) {
                evidence.push(e.clone());
            }
        }
    }
    let actions: Vec<&str> = seen.iter().map(|o| o.action.as_str()).collect();
    let mut next: Vec<String> = later
        .iter()
        .map(|f| format!("{} ({})", f.title, f.level))
        .collect();
    next.dedup();
    let last = later
        .iter()
        .map(|f| f.last_seen)
        .chain(seen.iter().map(|o| o.timestamp))
        .max()
        .unwrap_or(first.timestamp);
    let mut attack = attack_of(report);
    attack.push("T1204.002".to_string());
    attack.sort();
    attack.dedup();
    Finding {
        rule_id: "VC001".to_string(),
        title: "Exploit mail opened in the webmail".to_string(),
        level: level.name().to_string(),
        attack,
        entity: Entity {
            user: user.map(str::to_string),
            source_ip: Some(source.clone()),
            session: session.clone(),
        },
        first_seen: first.timestamp,
        last_seen: last,
        count: seen.len() as u64,
        evidence,
        reason: format!(
            "{} opened the {} message {} ({}) from {source}{} in {} requests ({}); afterwards, within 24 h, for this account or address: {}",
            user.unwrap_or("the mailbox owner"),
            level.name(),
            quoted(report.subject.as_deref().unwrap_or("")),
            report.cves().join(", "),
            session
                .as_deref()
                .map(|s| format!(" in Roundcube session {s}"))
                .unwrap_or_default(),
            seen.len(),
            actions.join(", "),
            if next.is_empty() {
                "no finding".to_string()
            } else {
                next.join("; ")
            }
        ),
    }
}

/// A Roundcube login `vigie watch` remembers to name the session of a
/// later open: the account, when, and the session.
pub struct LoginSeen {
    /// The account.
    pub user: String,
    /// When.
    pub timestamp: Timestamp,
    /// Roundcube's session id.
    pub session: String,
}

/// The finding (`VC001`) of `event`, a webmail request that displayed
/// `report`, as `vigie watch` raises it the moment the request is written:
/// `login` is the requesting address's last Roundcube login before it,
/// `earlier` the alerts raised so far. `None` when the message is below
/// high, or when the address only ever logged in as `account`, another
/// account than the message's owner (as [`findings`] decides).
pub fn opened_now(
    report: &MessageReport,
    event: &Event<'_>,
    path: &Arc<str>,
    account: Option<&str>,
    logins: &[LoginSeen],
    earlier: &[Finding],
) -> Option<Finding> {
    let level = report.level.filter(|l| *l >= Level::High)?;
    let (_, _, source) = displayed(event)?;
    let user = owner(report);
    if let (Some(who), Some(owner)) = (account, &user)
        && !who.eq_ignore_ascii_case(owner)
    {
        return None;
    }
    let open = Open::of(event, source, path);
    let opens = Opens {
        logins: logins
            .iter()
            .map(|l| WebLogin {
                user: l.user.clone(),
                source,
                timestamp: l.timestamp,
                session: l.session.clone(),
            })
            .collect(),
        ..Opens::default()
    };
    Some(opened(
        report,
        level,
        user.as_deref(),
        source,
        &[&open],
        &opens,
        earlier,
    ))
}
