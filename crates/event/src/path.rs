//! File paths as text without loss: what `log.file.path` and evidence paths
//! hold, so that a finding's evidence can be opened again even when its file
//! name is not UTF-8 (a Unix file name is any bytes but `/` and NUL).
//!
//! [`to_text`] keeps a UTF-8 path as it is and writes each byte that is not
//! UTF-8 as `\xNN` (two hex digits); a backslash that would read as the
//! start of an escape (before `x` or another backslash) is doubled.
//! [`from_text`] undoes it exactly. Ordinary paths are unchanged; the escaped
//! form is printable, so it is safe on a terminal and plain in JSON.
//!
//! ```
//! use std::ffi::OsStr;
//! use std::os::unix::ffi::OsStrExt;
//! use std::path::Path;
//! use vigie_event::path::{from_text, to_text};
//!
//! let odd = Path::new(OsStr::from_bytes(b"/var/log/caf\xe9.log"));
//! assert_eq!(to_text(odd), "/var/log/caf\\xe9.log");
//! assert_eq!(from_text(&to_text(odd)), odd);
//! assert_eq!(to_text(Path::new("/var/log/mail.log")), "/var/log/mail.log");
//! ```

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// The path as text, lossless (see the module documentation).
pub fn to_text(path: &Path) -> Cow<'_, str> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let needs = |s: &str| s.contains("\\x") || s.contains("\\\\");
    match std::str::from_utf8(bytes) {
        Ok(text) if !needs(text) => Cow::Borrowed(text),
        _ => Cow::Owned(escape(bytes)),
    }
}

fn escape(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    loop {
        let (valid, rest) = match std::str::from_utf8(bytes) {
            Ok(all) => (all, &[][..]),
            Err(e) => {
                let (good, bad) = bytes.split_at(e.valid_up_to());
                // Valid UTF-8 up to there, by the error's own account.
                (std::str::from_utf8(good).unwrap_or_default(), bad)
            }
        };
        let mut chars = valid.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '\\' && matches!(chars.peek(), Some('x' | '\\')) {
                out.push('\\');
            }
        }
        // A backslash ending the valid run, before an escaped byte, is doubled too.
        if valid.ends_with('\\') && !rest.is_empty() {
            out.push('\\');
        }
        let Some((&bad, tail)) = rest.split_first() else {
            return out;
        };
        out.push_str(&format!("\\x{bad:02x}"));
        bytes = tail;
    }
}

/// The path a [`to_text`] text stands for.
pub fn from_text(text: &str) -> PathBuf {
    if !text.contains('\\') {
        return PathBuf::from(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let hex = text
                    .get(i + 2..i + 4)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 4;
                    }
                    None => {
                        out.push(b'\\');
                        i += 1;
                    }
                }
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    bytes_to_path(out)
}

#[cfg(unix)]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn every_path_round_trips() {
        for raw in [
            &b"/plain/mail.log"[..],
            b"/x/caf\xe9",
            b"\xff\xfe",
            b"a\\xb",
            b"a\\\\b",
            b"trailing\\",
            b"lone\\b",
            b"back\\\xe9",
            b"\\x41\xc3",
            "/d\u{e9}j\u{e0}/\u{1F4E7}".as_bytes(),
        ] {
            let path = Path::new(OsStr::from_bytes(raw));
            let text = to_text(path);
            assert_eq!(from_text(&text), path, "{raw:?} → {text}");
            assert!(!text.chars().any(char::is_control));
        }
        assert_eq!(to_text(Path::new("lone\\b")), "lone\\b");
        assert_eq!(to_text(Path::new("a\\xb")), "a\\\\xb");
    }
}
