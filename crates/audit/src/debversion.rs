//! Debian version ordering (`[epoch:]upstream[-revision]`), as dpkg compares.
//!
//! The algorithm is the one `deb-version(7)` documents and dpkg's
//! `lib/dpkg/version.c` implements: epochs compare as integers, then the
//! upstream part and the revision each compare by alternating non-digit runs
//! (letters sort before non-letters, `~` before everything, even the end of
//! the string) and digit runs (as integers). The crate `debversion` does the
//! same but pulls chrono, num-bigint and regex for fifty lines.

use std::cmp::Ordering;

/// A parsed Debian version. Borrowed from the string it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebVersion<'a> {
    /// The epoch; 0 when absent.
    pub epoch: u32,
    /// The upstream version (may hold `-` when a revision follows, and `:`).
    pub upstream: &'a str,
    /// The Debian revision; empty when absent (compares equal to `0`).
    pub revision: &'a str,
}

impl<'a> DebVersion<'a> {
    /// Parses a version as dpkg's `parseversion` does: surrounding blanks are
    /// ignored, the epoch is before the first `:`, the revision after the last
    /// `-`. Returns `None` for what dpkg rejects as an error (empty version or
    /// upstream part, non-numeric or huge epoch, embedded blanks).
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim_matches([' ', '\t']);
        if text.is_empty() || text.contains([' ', '\t']) {
            return None;
        }
        let (epoch, rest) = match text.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (e.parse::<u32>().ok()?, rest)
            }
            None => (0, text),
        };
        let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
        if upstream.is_empty() {
            return None;
        }
        Some(Self {
            epoch,
            upstream,
            revision,
        })
    }

    /// The upstream part without Debian's repacking suffixes (`+dfsg…`,
    /// `+ds…`, `~deb…`), for comparison with an upstream release number.
    pub fn upstream_release(&self) -> &'a str {
        let end = self
            .upstream
            .find(['+', '~'])
            .unwrap_or(self.upstream.len());
        &self.upstream[..end]
    }
}

impl Ord for DebVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream, other.upstream))
            .then_with(|| verrevcmp(self.revision, other.revision))
    }
}

impl PartialOrd for DebVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two version strings by Debian's rules; a string dpkg would
/// reject compares as its raw text would (never panics).
pub fn compare(a: &str, b: &str) -> Ordering {
    match (DebVersion::parse(a), DebVersion::parse(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => verrevcmp(a, b),
    }
}

/// dpkg's weight of one non-digit character: `~` lowest, then the end of
/// the string, letters, and every other character after letters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` over one part (upstream or revision).
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // Non-digit run.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let bc = order(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run, as integers: skip leading zeros, then the longer wins,
        // then the first differing digit.
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    /// Cases from dpkg's `lib/dpkg/t/t-version.c` (guillemj/dpkg @
    /// 0d609e2c) and the ordering example of `deb-version(7)`.
    #[test]
    fn dpkg_test_cases() {
        let cases = [
            ("0:1-1", "0:2-1", Less),
            ("0:1-1", "0:1-2", Less),
            ("0:0-0", "0:0-0", Equal),
            ("0:0-00", "0:00-0", Equal),
            ("1:2-3", "1:2-3", Equal),
            ("0:0-0", "1:0-0", Less),
            ("1:0-0", "0:0-0", Greater),
            ("0:a-0", "0:b-0", Less),
            ("0:0-a", "0:0-b", Less),
            ("0", "0:0", Equal),
            ("0:0-", "0", Equal),
            ("0:0.0-0.0", "0.0-0.0", Equal),
            ("1:0", "0:9", Greater),
            ("0:0-0-0", "0-0-0", Equal),
            ("0:0:0-0", "0:0:0-0", Equal),
            ("  \t0:0-1", "0-1", Equal),
            // deb-version(7): "~~" < "~~a" < "~" < "" < "a".
            ("1~~", "1~~a", Less),
            ("1~~a", "1~", Less),
            ("1~", "1", Less),
            ("1", "1a", Less),
            // What the audit relies on.
            ("1.6.5+dfsg-1+deb12u5", "1.6.5+dfsg-1+deb12u14", Less),
            ("1.6.5+dfsg-1~deb12u1", "1.6.5+dfsg-1+deb12u2", Less),
            ("1.6.4+dfsg-1~deb12u1", "1.6.4+dfsg-1", Less),
            ("1:2.3.19.1+dfsg1-2.1+deb12u7", "2.4.0", Greater),
            ("1.6.10", "1.6.9", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn dpkg_rejects() {
        for bad in [
            "",
            "  ",
            "0:",
            "0:0 0-1",
            "-1:0-1",
            "999999999999999999999999:0-1",
            "a:0-0",
            "-0",
            "0:-0",
        ] {
            assert_eq!(DebVersion::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parts() {
        let v = DebVersion::parse("1:2.3.19.1+dfsg1-2.1+deb12u7").unwrap();
        assert_eq!(
            (v.epoch, v.upstream, v.revision),
            (1, "2.3.19.1+dfsg1", "2.1+deb12u7")
        );
        assert_eq!(v.upstream_release(), "2.3.19.1");
        assert_eq!(
            DebVersion::parse("8.2.36-1~deb12u1")
                .unwrap()
                .upstream_release(),
            "8.2.36"
        );
    }
}
