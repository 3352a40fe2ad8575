//! Bounds on a message's MIME structure, checked by a cheap pass over the
//! raw bytes before mail-parser reads it.
//!
//! mail-parser 0.11 parses nesting with a heap stack, but keeps one
//! `MessagePart` per part and builds nested messages (`message/rfc822`) as a
//! tree; vigie walks that tree. A hostile message of a million nested parts
//! would cost gigabytes there, and a deep tree a deep walk. So the structure
//! is measured first (boundaries declared by `Content-Type: multipart/…`,
//! their delimiter lines, `message/rfc822` parts) and the message is cut
//! where it grows past [`MAX_MIME_DEPTH`] or [`MAX_MIME_PARTS`]: what comes
//! before is analysed, the rest is reported as not read.
//!
//! The pass is an estimate of mail-parser's reading, not a second parser:
//! the walk over the parsed message keeps its own depth bound
//! ([`crate::analyze`]), so a message that fools this pass is still bounded.

use std::time::{Duration, Instant};

use memchr::memchr;

/// Containers (multiparts and nested messages) open at once, at most: the
/// default of Postfix's `mime_nesting_limit`, which bounces deeper mail.
pub const MAX_MIME_DEPTH: usize = 100;

/// Parts of one message, at most (a mailing-list digest has hundreds).
pub const MAX_MIME_PARTS: usize = 10_000;

/// Time the analysis of one message may take (wall clock, YARA-X
/// included: three times YARA-X's own limit per scan). Real mail takes
/// milliseconds; a message built to be slow (thousands of parts of markup,
/// each decoded several ways) is stopped when the limit has passed, at the
/// next part or region: what was found up to there is kept, the rest is not
/// analysed, and the message is counted as read in part and flagged
/// `VM091 analysis_time_limit`.
pub const MAX_ANALYSIS_TIME: Duration = Duration::from_secs(30);

/// The clock of one message's analysis ([`MAX_ANALYSIS_TIME`]).
#[derive(Debug)]
pub struct Deadline {
    started: Instant,
    limit: Duration,
    /// Where the analysis stood when the limit was found passed.
    stopped: Option<String>,
}

impl Deadline {
    /// A clock started now that runs out after `limit`.
    pub fn new(limit: Duration) -> Deadline {
        Deadline {
            started: Instant::now(),
            limit,
            stopped: None,
        }
    }

    /// The limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Takes the limit as passed now (the debug builds' test hook).
    pub fn expire(&mut self) {
        self.limit = Duration::ZERO;
    }

    /// Whether the time is up; the first time it is, `at` (the work about
    /// to start, e.g. `part 1.2`) is kept as where the analysis stopped.
    pub fn passed(&mut self, at: impl FnOnce() -> String) -> bool {
        if self.stopped.is_some() {
            return true;
        }
        if self.started.elapsed() < self.limit {
            return false;
        }
        self.stopped = Some(at());
        true
    }

    /// Where the analysis stopped, when the limit passed.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }
}

/// Why and where a message was cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// Bytes kept (the message is read up to here).
    pub offset: usize,
    /// Line (1-based) of the raw message where reading stopped.
    pub line: u64,
    /// Why: `MIME nesting deeper than 100` or `more than 10000 MIME parts`.
    pub reason: String,
}

/// An open container.
enum Frame<'a> {
    /// A multipart, its boundary, and whether it is a digest (whose parts
    /// without a Content-Type are messages, RFC 2046 §5.1.5).
    Multipart(&'a [u8], bool),
    /// A nested message (closed only by an enclosing boundary).
    Message,
}

/// The header being read: its content type, when it was one.
#[derive(Default)]
struct Pending<'a> {
    boundary: Option<&'a [u8]>,
    digest: bool,
    message: bool,
    content_type: bool,
}

/// Where `raw` must be cut to stay within the limits, or `None` when it does.
pub fn check(raw: &[u8]) -> Option<Cut> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut in_headers = true;
    let mut pending = Pending::default();
    // Start of the header being read (with its continuation lines).
    let mut header: Option<usize> = None;
    let mut parts = 1usize;
    let mut at = 0;
    let mut line_no = 0u64;
    while at < raw.len() {
        line_no += 1;
        let end = memchr(b'\n', &raw[at..]).map_or(raw.len(), |p| at + p + 1);
        let line = &raw[at..end];
        let text = trim_eol(line);
        if in_headers {
            let continues = matches!(text.first(), Some(b' ' | b'\t'));
            if !continues && let Some(start) = header.take() {
                read_header(&raw[start..at], &mut pending);
            }
            if text.is_empty() {
                in_headers = false;
                let in_digest = matches!(stack.last(), Some(Frame::Multipart(_, true)));
                if let Some(boundary) = pending.boundary.take() {
                    stack.push(Frame::Multipart(boundary, pending.digest));
                } else if pending.message || (in_digest && !pending.content_type) {
                    stack.push(Frame::Message);
                    in_headers = true;
                }
                pending = Pending::default();
                if stack.len() > MAX_MIME_DEPTH {
                    return Some(cut(
                        at,
                        line_no,
                        format!("MIME nesting deeper than {MAX_MIME_DEPTH}"),
                    ));
                }
            } else if !continues {
                header = Some(at);
            }
        } else if let Some((index, closing)) = delimiter(text, &stack) {
            stack.truncate(index + usize::from(!closing));
            if !closing {
                parts += 1;
                in_headers = true;
                if parts > MAX_MIME_PARTS {
                    return Some(cut(
                        at,
                        line_no,
                        format!("more than {MAX_MIME_PARTS} MIME parts"),
                    ));
                }
            }
        }
        at = end;
    }
    None
}

fn cut(offset: usize, line: u64, reason: String) -> Cut {
    Cut {
        offset,
        line,
        reason,
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The multipart whose delimiter `line` is (innermost first), and whether
/// it closes it. mail-parser also takes the innermost boundary in the middle
/// of a line, so that is looked for too.
fn delimiter(line: &[u8], stack: &[Frame<'_>]) -> Option<(usize, bool)> {
    let closes = |rest: &[u8], b: &[u8]| rest[b.len()..].starts_with(b"--");
    if let Some(rest) = line.strip_prefix(b"--") {
        let found = stack.iter().enumerate().rev().find_map(|(i, f)| match f {
            Frame::Multipart(b, _) if rest.starts_with(b) => Some((i, closes(rest, b))),
            _ => None,
        });
        if found.is_some() {
            return found;
        }
    }
    let (top, Frame::Multipart(b, _)) = (stack.len().checked_sub(1)?, stack.last()?) else {
        return None;
    };
    memchr::memmem::find_iter(line, b"--")
        .map(|at| &line[at + 2..])
        .find(|rest| rest.starts_with(b))
        .map(|rest| (top, closes(rest, b)))
}

/// Notes what a complete header (name, value and continuation lines) declares.
fn read_header<'a>(header: &'a [u8], pending: &mut Pending<'a>) {
    let Some(colon) = memchr(b':', header) else {
        return;
    };
    if !header[..colon]
        .trim_ascii()
        .eq_ignore_ascii_case(b"content-type")
    {
        return;
    }
    pending.content_type = true;
    let value = header[colon + 1..].trim_ascii_start();
    let starts = |prefix: &[u8]| {
        value.len() >= prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    if starts(b"multipart/") {
        pending.boundary = boundary(value);
        pending.digest = starts(b"multipart/digest");
    } else if starts(b"message/rfc822") || starts(b"message/global") {
        pending.message = true;
    }
}

/// The `boundary` parameter of a Content-Type value, quoted or not.
fn boundary(value: &[u8]) -> Option<&[u8]> {
    let lower = value.to_ascii_lowercase();
    let at = memchr::memmem::find(&lower, b"boundary=")? + b"boundary=".len();
    let rest = &value[at..];
    let found = match rest.strip_prefix(b"\"") {
        Some(quoted) => &quoted[..memchr(b'"', quoted).unwrap_or(quoted.len())],
        None => {
            let end = rest
                .iter()
                .position(|b| *b == b';' || b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            &rest[..end]
        }
    };
    (!found.is_empty()).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of issue 11: `n` nested multiparts around one text part.
    pub(crate) fn nested(n: usize) -> Vec<u8> {
        let mut m = String::from(
            "MIME-Version: 1.0\r\nFrom: a@example.org\r\nTo: b@example.org\r\nSubject: nest\r\n",
        );
        for i in 0..n {
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
            ));
        }
        m.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
        for i in (0..n).rev() {
            m.push_str(&format!("--b{i}--\r\n"));
        }
        m.into_bytes()
    }

    #[test]
    fn shallow_nesting_passes() {
        assert_eq!(check(&nested(MAX_MIME_DEPTH)), None);
    }

    #[test]
    fn deep_nesting_is_cut_where_it_passes_the_limit() {
        let raw = nested(16_000);
        let cut = check(&raw).expect("cut");
        assert_eq!(cut.reason, "MIME nesting deeper than 100");
        // Headers (4 lines), then 3 lines per level; cut on level 101's blank line.
        assert_eq!(cut.line, 4 + 3 * 100 + 2);
        assert!(check(&raw[..cut.offset]).is_none());
    }

    #[test]
    fn nested_messages_count_as_depth() {
        let mut m = String::new();
        for _ in 0..150 {
            m.push_str("Subject: x\r\nContent-Type: message/rfc822\r\n\r\n");
        }
        m.push_str("Subject: last\r\n\r\nhi\r\n");
        let cut = check(m.as_bytes()).expect("cut");
        assert_eq!(cut.reason, "MIME nesting deeper than 100");
    }

    #[test]
    fn digest_parts_and_mid_line_delimiters_count_as_mail_parser_reads_them() {
        let mut digests = String::new();
        for i in 0..150 {
            digests.push_str(&format!(
                "Content-Type: multipart/digest; boundary=d{i}\r\n\r\n--d{i}\r\n\r\n"
            ));
        }
        let cut = check(digests.as_bytes()).expect("cut");
        assert_eq!(cut.reason, "MIME nesting deeper than 100");
        let mut midline = String::new();
        for i in 0..150 {
            midline.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=m{i}\r\n\r\nx--m{i}\r\n"
            ));
        }
        let cut = check(midline.as_bytes()).expect("cut");
        assert_eq!(cut.reason, "MIME nesting deeper than 100");
        // A digest's parts with their own type are not messages.
        let typed = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\nContent-Type: text/plain\r\n\r\nx\r\n--d--\r\n";
        assert_eq!(check(typed.as_bytes()), None);
    }

    /// `n` sibling multiparts of one text part each: `2n + 1` parts, depth 2.
    fn siblings(n: usize) -> Vec<u8> {
        let mut m = String::from("Content-Type: multipart/mixed;\r\n boundary=sep\r\n\r\n");
        for _ in 0..n {
            m.push_str("--sep\r\nContent-Type: multipart/alternative; boundary=\"in\"\r\n\r\n--in\r\n\r\nx\r\n--in--\r\n");
        }
        m.push_str("--sep--\r\n");
        m.into_bytes()
    }

    #[test]
    fn siblings_do_not_nest_but_too_many_are_cut() {
        assert_eq!(check(&siblings(MAX_MIME_PARTS / 2 - 1)), None);
        let cut = check(&siblings(MAX_MIME_PARTS)).expect("cut");
        assert_eq!(cut.reason, "more than 10000 MIME parts");
    }
}
