//! Mail stores: Maildir (with `cur`/`new`/`tmp`, Maildir++ folders and
//! Dovecot's `dovecot-uidlist`), mbox (mboxrd and mboxo) and `.eml` files,
//! found by content under the paths given, and read one message at a time.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use vigie_event::path::{from_text, to_text};
use walkdir::WalkDir;

/// A message larger than this is not analysed (counted, with its place).
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Where a message was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The file: the message's own (Maildir, `.eml`) or the mbox.
    pub path: String,
    /// The line the message starts at (1 but in an mbox).
    pub line: u64,
    /// The mailbox as IMAP names it (`INBOX`, `Sent`, `Archive.2024`), for a Maildir.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// The IMAP UID, from Dovecot's `dovecot-uidlist`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Maildir flags (`S` seen, `R` replied, `F` flagged, `T` trashed, `D` draft).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
}

/// A message as read from its store, not yet parsed.
pub struct RawMessage {
    /// Where it was read.
    pub location: Location,
    /// Its bytes (mbox `From ` line removed, `>From ` unescaped).
    pub bytes: Vec<u8>,
}

/// A message that was not read, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Unread {
    /// Where it is.
    pub location: Location,
    /// Why it was not read.
    pub reason: String,
}

/// How the reason of a message whose analysis panicked starts.
const PANICKED: &str = "vigie failed on this message (panic: ";

impl Unread {
    /// A message whose analysis panicked, with the panic's message: a fault
    /// of vigie's, not of the store, reported so the run exits with an error.
    pub fn panicked(location: Location, panic: &str) -> Unread {
        Unread {
            location,
            reason: format!("{PANICKED}{panic}); skipped, the other messages were analysed"),
        }
    }

    /// Whether the message was skipped because its analysis panicked.
    pub fn is_panic(&self) -> bool {
        self.reason.starts_with(PANICKED)
    }
}

/// What kind of store a path holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// A Maildir (or Maildir++ folder): `cur`, `new` and `tmp`.
    Maildir,
    /// An mbox file: messages separated by `From ` lines.
    Mbox,
    /// One message in a file.
    Eml,
    /// A Sieve script (`*.sieve`): read for its redirects, not as mail.
    Sieve,
    /// Dovecot's own state beside the mailboxes (`*.svbin`, compiled Sieve;
    /// `.dovecot.lda-dupes`, the duplicate-delivery database; indexes and
    /// UID lists outside a Maildir): not mail and not a log, so it is
    /// claimed and left unread.
    DovecotState,
}

/// A store found under the paths given.
#[derive(Clone, Debug)]
pub struct Store {
    /// Its path.
    pub path: PathBuf,
    /// Its kind.
    pub kind: StoreKind,
}

/// Whether `dir` is a Maildir folder: `cur/` and one more sign of it (`new/`,
/// `tmp/`, Dovecot's `dovecot-uidlist`, a Maildir++ `maildirfolder`). Copies
/// often lose the empty `new/` and `tmp/` (git keeps no empty folder).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir()
        && (dir.join("new").is_dir()
            || dir.join("tmp").is_dir()
            || dir.join("dovecot-uidlist").is_file()
            || dir.join("maildirfolder").is_file())
}

/// What `file` holds, judged by its first bytes: an mbox starts with a `From `
/// line, a message with header fields; anything else is not mail.
pub fn sniff_file(file: &Path) -> io::Result<Option<StoreKind>> {
    let mut head = [0u8; 4096];
    let mut f = File::open(file)?;
    let mut n = 0;
    while n < head.len() {
        let read = f.read(&mut head[n..])?;
        if read == 0 {
            break;
        }
        n += read;
    }
    Ok(sniff(&head[..n]))
}

/// What `head` (the first bytes of a file) holds.
pub fn sniff(head: &[u8]) -> Option<StoreKind> {
    if head.starts_with(b"From ") {
        return Some(StoreKind::Mbox);
    }
    // A message: a run of header fields (`Name: value`, continuation lines),
    // at least two of them, the first few lines all fields, one of them a
    // field mail carries (a YAML file's `pattern:` and `data:` are not).
    let mut fields = 0;
    let mut mail_field = false;
    for line in head.split(|b| *b == b'\n').take(8) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue;
        }
        let colon = memchr::memchr(b':', line)?;
        // Field names as mail software writes them: a letter, then letters,
        // digits and hyphens (a log line's timestamp starts with a digit).
        let name = &line[..colon];
        let well_formed = name.first().is_some_and(u8::is_ascii_alphabetic)
            && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
        if !well_formed {
            return None;
        }
        fields += 1;
        mail_field |= is_mail_field(name);
    }
    (fields >= 2 && mail_field).then_some(StoreKind::Eml)
}

/// Whether `name` is a header field only mail carries: RFC 5322's
/// originator, destination, identification, informational and trace
/// fields, MIME's (RFC 2045), those MTAs and signers put first
/// (`Delivered-To`, `Authentication-Results`, `DKIM-*`, `ARC-*`), or an
/// `X-` field (mailers' own, and an MTA's sink's `X-Client-Addr`).
fn is_mail_field(name: &[u8]) -> bool {
    const NAMES: [&str; 19] = [
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "received",
        "return-path",
        "delivered-to",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "authentication-results",
        "received-spf",
    ];
    const PREFIXES: [&[u8]; 3] = [b"x-", b"dkim-", b"arc-"];
    NAMES
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
        || PREFIXES
            .iter()
            .any(|p| name.len() > p.len() && name[..p.len()].eq_ignore_ascii_case(p))
}

/// Finds the mail stores under `paths`: Maildirs (each folder one store),
/// mbox files and message files; other files are left alone (they are logs).
pub fn discover(paths: &[PathBuf]) -> (Vec<Store>, Vec<Unread>) {
    let mut stores = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let mut walk = WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    errors.push(Unread {
                        location: Location {
                            path: e
                                .path()
                                .map(|p| to_text(p).into_owned())
                                .unwrap_or_default(),
                            ..Location::default()
                        },
                        reason: walk_reason(&e),
                    });
                    continue;
                }
            };
            let p = entry.path();
            if entry.file_type().is_dir() {
                if is_maildir(p) {
                    stores.push(Store {
                        path: p.to_path_buf(),
                        kind: StoreKind::Maildir,
                    });
                }
                // A Maildir's own cur/new/tmp are read through it, but for
                // one named as an input itself: its messages are read as
                // message files (a new-user trial's `scan …/Maildir/cur`
                // read nothing and missed a critical message).
                let name = entry.file_name().to_string_lossy();
                if entry.depth() > 0
                    && matches!(&*name, "cur" | "new" | "tmp")
                    && p.parent().is_some_and(is_maildir)
                {
                    walk.skip_current_dir();
                }
                continue;
            }
            if !entry.file_type().is_file() {
                continue;
            }
            if p.extension().is_some_and(|e| e == "sieve") {
                stores.push(Store {
                    path: p.to_path_buf(),
                    kind: StoreKind::Sieve,
                });
                continue;
            }
            // Inside a Maildir, its own state is read through it (the UIDs)
            // or left alone with it; elsewhere (a Maildir whose empty cur/
            // a copy lost) it is claimed here, not read as a log.
            if is_dovecot_state(p) && !p.parent().is_some_and(is_maildir) {
                stores.push(Store {
                    path: p.to_path_buf(),
                    kind: StoreKind::DovecotState,
                });
                continue;
            }
            match sniff_file(p) {
                Ok(Some(kind)) => stores.push(Store {
                    path: p.to_path_buf(),
                    kind,
                }),
                Ok(None) => {}
                Err(e) => errors.push(Unread {
                    location: Location {
                        path: to_text(p).into_owned(),
                        ..Location::default()
                    },
                    reason: e.to_string(),
                }),
            }
        }
    }
    read_once(&mut stores);
    (stores, errors)
}

/// Keeps one of each store named twice: under two names (`vmail` and
/// `./vmail/`, a relative and an absolute path), or a message file of a
/// Maildir's `cur/` or `new/` named beside the Maildir. Its messages would
/// count twice.
fn read_once(stores: &mut Vec<Store>) {
    let real: Vec<PathBuf> = stores
        .iter()
        .map(|s| std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone()))
        .collect();
    let maildirs: std::collections::HashSet<&Path> = stores
        .iter()
        .zip(&real)
        .filter(|(s, _)| s.kind == StoreKind::Maildir)
        .map(|(_, r)| r.as_path())
        .collect();
    let in_a_maildir = |message: &Path| {
        let folder = message.parent();
        folder
            .and_then(Path::file_name)
            .is_some_and(|n| n == "cur" || n == "new")
            && folder
                .and_then(Path::parent)
                .is_some_and(|m| maildirs.contains(m))
    };
    let mut seen = std::collections::HashSet::new();
    let keep: Vec<bool> = stores
        .iter()
        .zip(&real)
        .map(|(s, r)| !(s.kind == StoreKind::Eml && in_a_maildir(r)) && seen.insert(r.clone()))
        .collect();
    let mut keep = keep.into_iter();
    stores.retain(|_| keep.next().unwrap_or(true));
}

/// The mailbox name given to every message of a Zimbra store: Zimbra names a
/// message by an item id unique in its account, whatever its folder, and its
/// URLs name the account as `~` (`/service/home/~/?id=281`). The webmail
/// request parser gives the same name, so the two meet in the mail-to-web link.
pub const ZIMBRA_ACCOUNT: &str = "~";

/// Where the one message of file `path` is: a Zimbra blob
/// (`<root>/<n>/<mailbox id>/msg/<bucket>/<item id>-<revision>.msg`, or
/// `<item id>.msg` on very old installs; zm-mailbox `FileBlobStore.getBlobPath`
/// and `Volume.getBlobDir`) carries its item id as [`Location::uid`] and
/// [`ZIMBRA_ACCOUNT`] as its mailbox.
pub fn message_file_location(path: &Path) -> Location {
    Location {
        path: to_text(path).into_owned(),
        line: 1,
        uid: zimbra_item_id(path),
        mailbox: zimbra_item_id(path).map(|_| ZIMBRA_ACCOUNT.to_string()),
        ..Location::default()
    }
}

/// The item id of a Zimbra blob path, `None` for any other file.
fn zimbra_item_id(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?.strip_suffix(".msg")?;
    let id = name.split_once('-').map_or(name, |(id, revision)| {
        if revision.bytes().all(|b| b.is_ascii_digit()) && !revision.is_empty() {
            id
        } else {
            ""
        }
    });
    let bucket = path.parent()?;
    let digits = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let msg = bucket.parent()?;
    let mailbox = msg.parent()?;
    (digits(bucket) && msg.file_name()? == "msg" && digits(mailbox))
        .then(|| id.parse().ok())
        .flatten()
}

/// Whether `path` is a file Dovecot keeps beside the mailboxes for itself:
/// compiled Sieve (`*.svbin`), the duplicate-delivery database
/// (`.dovecot.lda-dupes`), and the index and Maildir state files its
/// documentation names (`dovecot.index`, `.index.log`, `.index.cache`,
/// `dovecot.list.index*`, `dovecot.map.index*`, `dovecot.mailbox.log`,
/// `dovecot-uidlist`, `dovecot-uidvalidity*`, `dovecot-keywords`). Only
/// whole names and these prefixes: `dovecot.log` and `dovecot-info.log` are
/// logs.
fn is_dovecot_state(path: &Path) -> bool {
    const PREFIXES: [&str; 7] = [
        "dovecot.index",
        "dovecot.list.index",
        "dovecot.map.index",
        "dovecot.mailbox.log",
        "dovecot-uidlist",
        "dovecot-uidvalidity",
        "dovecot-keywords",
    ];
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    path.extension().is_some_and(|e| e == "svbin")
        || name == ".dovecot.lda-dupes"
        || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The IMAP name of a Maildir folder: `INBOX` for the root, `Sent` for
/// Maildir++ `.Sent`, `Archive.2024` for `.Archive.2024`.
pub fn mailbox_name(maildir: &Path) -> String {
    match maildir.file_name().map(|n| n.to_string_lossy()) {
        Some(name) if name.starts_with('.') && name.len() > 1 => name[1..].to_string(),
        _ => "INBOX".to_string(),
    }
}

/// Reads Dovecot's `dovecot-uidlist`: the UID of each message, by the base
/// of its file name (the part before `:2,`). Empty when there is none.
pub fn read_uidlist(maildir: &Path) -> HashMap<String, u32> {
    let mut uids = HashMap::new();
    let Ok(file) = File::open(maildir.join("dovecot-uidlist")) else {
        return uids;
    };
    // Header line, then `<uid> [extensions…] :<base>` (v3) or `<uid> <base>` (v1).
    for line in BufReader::new(file).lines().skip(1).map_while(Result::ok) {
        let mut words = line.split_whitespace();
        let Some(uid) = words.next().and_then(|w| w.parse().ok()) else {
            continue;
        };
        let base = match line.find(" :") {
            Some(at) => line[at + 2..].trim(),
            None => words.last().unwrap_or_default(),
        };
        if !base.is_empty() {
            uids.insert(base.to_string(), uid);
        }
    }
    uids
}

/// The messages of a Maildir folder (`new`, then `cur`), with their
/// mailbox name, UID and flags; read each with [`read_bounded`].
pub fn maildir_messages(maildir: &Path) -> Vec<Location> {
    let uids = read_uidlist(maildir);
    let mailbox = mailbox_name(maildir);
    let mut messages = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        files.sort();
        // Every entry: one that is not a message file (a folder, a link to
        // nothing) is named when it is read, never skipped unseen.
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (base, flags) = split_maildir_name(&name);
            messages.push(Location {
                path: to_text(&file).into_owned(),
                line: 1,
                mailbox: Some(mailbox.clone()),
                uid: uids.get(&base).copied(),
                flags,
            });
        }
    }
    messages
}

/// A Maildir file name's base (the message's name, kept when Dovecot moves
/// it from `new/` to `cur/`) and its flags (after `:2,`), when it has some.
pub fn split_maildir_name(name: &str) -> (String, Option<String>) {
    match name.split_once(":2,") {
        Some((base, flags)) => (base.to_string(), Some(flags.to_string())),
        None => (name.to_string(), None),
    }
}

/// Reads the message at `location` (a file of its own).
pub fn read_location(location: Location) -> Result<RawMessage, Unread> {
    match read_bounded(&from_text(&location.path)) {
        Ok(bytes) => Ok(RawMessage { location, bytes }),
        Err(reason) => Err(Unread { location, reason }),
    }
}

/// Reads one message file, at most [`MAX_MESSAGE`] bytes.
pub fn read_bounded(file: &Path) -> Result<Vec<u8>, String> {
    if let Some(what) = not_a_message(file) {
        return Err(what);
    }
    let f = File::open(file).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    f.take(MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > MAX_MESSAGE {
        return Err(format!("message larger than {MAX_MESSAGE} bytes"));
    }
    Ok(bytes)
}

/// What a path met while looking for mail stores is, and why it could not
/// be read (walkdir's own text repeats the path, named once by the caller).
fn walk_reason(e: &walkdir::Error) -> String {
    if let Some(ancestor) = e.loop_ancestor() {
        return format!(
            "symbolic link not followed: it loops back to {}",
            ancestor.display()
        );
    }
    let what = match e.path().map(std::fs::symlink_metadata) {
        Some(Ok(m)) if m.is_dir() => "folder",
        _ => "file",
    };
    match e.io_error() {
        Some(io) => format!("{what} not readable: {io}"),
        None => format!("{what} not readable: {e}"),
    }
}

/// What stands where a message file was expected, when it is not one: a
/// folder, a link to nothing, a device or pipe.
fn not_a_message(file: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(file).ok()?;
    let kind = meta.file_type();
    if kind.is_dir() {
        Some("a folder where a message file was expected".into())
    } else if kind.is_symlink() && std::fs::metadata(file).is_err() {
        Some("a symbolic link to nothing".into())
    } else if !kind.is_file() && !kind.is_symlink() {
        Some("not a regular file (a device, pipe or socket)".into())
    } else {
        None
    }
}

/// Calls `each` with every message of an mbox, streaming: one message in
/// memory at a time. `From ` separators are recognised at the start of the
/// file and after an empty line; `>From ` (any number of `>`) loses one `>`
/// (mboxrd; in mboxo only `>From ` was escaped, which this also undoes).
pub fn read_mbox(
    path: &Path,
    each: &mut dyn FnMut(RawMessage),
    unread: &mut dyn FnMut(Unread),
) -> io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, File::open(path)?);
    let name = to_text(path).into_owned();
    let mut line = Vec::new();
    let mut message = Vec::new();
    let mut start: Option<u64> = None;
    let mut too_large = false;
    let mut previous_empty = true;
    let mut number = 0u64;
    let mut flush = |message: &mut Vec<u8>, start: Option<u64>, too_large: &mut bool| {
        let Some(start) = start else { return };
        let location = Location {
            path: name.clone(),
            line: start,
            ..Location::default()
        };
        if *too_large {
            unread(Unread {
                location,
                reason: format!("message larger than {MAX_MESSAGE} bytes"),
            });
        } else {
            // The empty line before the next separator belongs to the mbox.
            if message.ends_with(b"\n\n") {
                message.pop();
            } else if message.ends_with(b"\r\n\r\n") {
                message.truncate(message.len() - 2);
            }
            each(RawMessage {
                location,
                bytes: std::mem::take(message),
            });
        }
        message.clear();
        *too_large = false;
    };
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        number += 1;
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if previous_empty && line.starts_with(b"From ") {
            flush(&mut message, start, &mut too_large);
            start = Some(number + 1);
            previous_empty = false;
            continue;
        }
        previous_empty = body.is_empty();
        if start.is_none() {
            // Bytes before the first separator: not an mbox message.
            continue;
        }
        if too_large {
            continue;
        }
        let quoted = line.iter().take_while(|b| **b == b'>').count();
        let unescaped = if quoted > 0 && line[quoted..].starts_with(b"From ") {
            &line[1..]
        } else {
            &line[..]
        };
        if message.len() + unescaped.len() > MAX_MESSAGE {
            too_large = true;
            message.clear();
            continue;
        }
        message.extend_from_slice(unescaped);
    }
    flush(&mut message, start, &mut too_large);
    Ok(())
}

/// Calls `each` with every message of `store` (a Sieve script has none).
pub fn read_store(store: &Store, each: &mut dyn FnMut(RawMessage), unread: &mut dyn FnMut(Unread)) {
    match store.kind {
        StoreKind::Maildir => {
            for location in maildir_messages(&store.path) {
                match read_location(location) {
                    Ok(message) => each(message),
                    Err(u) => unread(u),
                }
            }
        }
        StoreKind::Mbox => {
            if let Err(e) = read_mbox(&store.path, each, unread) {
                unread(Unread {
                    location: Location {
                        path: to_text(&store.path).into_owned(),
                        ..Location::default()
                    },
                    reason: format!("mbox read stopped: {e}"),
                });
            }
        }
        StoreKind::Eml => {
            let location = message_file_location(&store.path);
            match read_bounded(&store.path) {
                Ok(bytes) => each(RawMessage { location, bytes }),
                Err(reason) => unread(Unread { location, reason }),
            }
        }
        // No message in them (a script: see `sieve`).
        StoreKind::Sieve | StoreKind::DovecotState => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zimbra_blobs_carry_their_item_id() {
        // zm-mailbox FileBlobStore.appendFilename: `<item id>-<revision>.msg` under
        // Volume.getBlobDir `<root>/<mbox id >> bits>/<mbox id>/msg/<item id >> bits>`.
        let blob = Path::new("/opt/zimbra/store/0/7/msg/0/281-3152.msg");
        let location = message_file_location(blob);
        assert_eq!(location.uid, Some(281));
        assert_eq!(location.mailbox.as_deref(), Some(ZIMBRA_ACCOUNT));
        assert_eq!(
            message_file_location(Path::new("/opt/zimbra/store/0/7/msg/0/281.msg")).uid,
            Some(281)
        );
        for other in [
            "/home/alice/mail/281-3152.msg",
            "/srv/store/0/7/msg/0/notes.msg",
            "/srv/store/0/7/msg/0/281-x.msg",
            "/srv/store/0/7/msg/0/281-3152.eml",
            "/srv/store/x/msg/0/281-3152.msg",
        ] {
            let location = message_file_location(Path::new(other));
            assert_eq!((location.uid, location.mailbox), (None, None), "{other}");
        }
    }

    #[test]
    fn sniffing_tells_mbox_message_and_log_apart() {
        assert_eq!(
            sniff(b"From alice@x Mon Jan  1 00:00:00 2024\nSubject: a\n"),
            Some(StoreKind::Mbox)
        );
        assert_eq!(
            sniff(b"Return-Path: <a@b>\r\nReceived: from x\r\n\tby y\r\nSubject: s\r\n\r\nbody"),
            Some(StoreKind::Eml)
        );
        assert_eq!(
            sniff(b"Nov 28 23:31:43 mail dovecot: imap-login: Login: user=<a>\n"),
            None
        );
        assert_eq!(
            sniff(b"127.0.0.1 - - [28/Nov/2026:22:39:28 +0000] \"GET / HTTP/1.1\" 200 1\n"),
            None
        );
        // A new-user trial: postfix-grok-patterns' test cases (YAML) were
        // read as 59 messages.
        assert_eq!(
            sniff(b"pattern: ^%{POSTFIX_ANVIL}$\ndata: \"statistics: max cache size 1\"\nresults:\n    postfix_anvil_cache_size: 1\n"),
            None
        );
        // A Postfix sink's capture: its own X- fields first.
        assert_eq!(
            sniff(b"X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: mail.lab.test\n"),
            Some(StoreKind::Eml)
        );
    }

    #[test]
    fn mbox_messages_are_split_and_unescaped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("box");
        std::fs::write(
            &path,
            "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n>>From there\nFrom inside a paragraph\n\nFrom b@x Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody\n",
        )
        .unwrap();
        let mut messages = Vec::new();
        read_mbox(&path, &mut |m| messages.push(m), &mut |u| panic!("{u:?}")).unwrap();
        assert_eq!(messages.len(), 2);
        let first = String::from_utf8(messages[0].bytes.clone()).unwrap();
        assert_eq!(
            first,
            "Subject: one\n\nFrom here\n>From there\nFrom inside a paragraph\n"
        );
        assert_eq!(messages[1].location.line, 9);
    }

    #[test]
    fn maildir_uids_and_folders_come_from_dovecot_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Maildir");
        for sub in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(
            root.join("dovecot-uidlist"),
            "3 V1764369103 N3 G2a6f\n1 :1764369103.M1P2.mail\n2 W1234 :1764369104.M2P2.mail\n",
        )
        .unwrap();
        std::fs::write(
            root.join("cur/1764369104.M2P2.mail:2,S"),
            "Subject: b\nFrom: x@y\n\nb\n",
        )
        .unwrap();
        std::fs::write(
            root.join("new/1764369103.M1P2.mail"),
            "Subject: a\nFrom: x@y\n\na\n",
        )
        .unwrap();
        let (stores, errors) = discover(&[dir.path().to_path_buf()]);
        assert!(errors.is_empty());
        assert_eq!(stores.len(), 2, "{stores:?}");
        let mut seen = Vec::new();
        for store in &stores {
            read_store(store, &mut |m| seen.push(m.location), &mut |u| {
                panic!("{u:?}")
            });
        }
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].mailbox.as_deref(), Some("INBOX"));
        assert_eq!(seen[0].uid, Some(1));
        assert_eq!(seen[1].uid, Some(2));
        assert_eq!(seen[1].flags.as_deref(), Some("S"));
        assert_eq!(mailbox_name(&root.join(".Sent")), "Sent");
        // A Maildir's cur/ named as the input: its message is read.
        let (stores, _) = discover(&[root.join("cur")]);
        assert!(
            matches!(stores.as_slice(), [s] if s.kind == StoreKind::Eml),
            "{stores:?}"
        );

        // A copy that lost its empty new/ and tmp/ (git keeps no empty folder).
        let copy = dir.path().join("copy");
        std::fs::create_dir_all(copy.join("cur")).unwrap();
        assert!(!is_maildir(&copy), "cur/ alone is not enough");
        std::fs::write(copy.join("dovecot-uidlist"), "3 V1 N2\n1 :1.M1P1.x\n").unwrap();
        assert!(is_maildir(&copy));
    }

    #[test]
    fn dovecot_state_outside_a_maildir_is_claimed_and_its_logs_are_not() {
        // The sample incident's carol: a Maildir whose empty cur/ the copy
        // lost, only Dovecot's files left; they were read as logs of no
        // known format.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Maildir");
        std::fs::create_dir_all(&root).unwrap();
        let state = [
            "dovecot-uidlist",
            "dovecot-uidvalidity",
            "dovecot-uidvalidity.6b0b8930",
            "dovecot.index.log",
            "dovecot.list.index.log",
        ];
        for name in state {
            std::fs::write(root.join(name), "3 V1 N2\n").unwrap();
        }
        for log in ["dovecot.log", "dovecot-info.log"] {
            std::fs::write(dir.path().join(log), "Nov 29 02:08:34 h dovecot: x\n").unwrap();
        }
        let (stores, errors) = discover(&[dir.path().to_path_buf()]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(
            stores.iter().all(|s| s.kind == StoreKind::DovecotState),
            "{stores:?}"
        );
        let mut claimed: Vec<_> = stores
            .iter()
            .map(|s| s.path.file_name().unwrap().to_str().unwrap())
            .collect();
        claimed.sort_unstable();
        let mut want = state.to_vec();
        want.sort_unstable();
        assert_eq!(claimed, want);
    }
}
