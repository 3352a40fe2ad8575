//! The small scanners every format shares: one `key=value` reader, one
//! `name[address]` reader, one word splitter. No regex on the hot path.

/// The value of `key=` in a comma- or space-separated list such as Dovecot's
/// `user=<bob>, method=PLAIN, rip=127.0.0.67` or Postfix's `to=<a@b>, relay=…`.
///
/// The key must start the text or follow a space, comma, `(` or `;`, so `lip=`
/// is not found inside `clip=`. A value in angle brackets is returned without
/// them and may contain spaces and commas; otherwise it ends at `,`, space or `)`.
pub fn kv<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = find_from(text, key, from) {
        if at == 0 || matches!(bytes[at - 1], b' ' | b',' | b'(' | b';' | b'\t') {
            return Some(value_at(&text[at + key.len()..]));
        }
        from = at + 1;
    }
    None
}

/// Byte offset of the first `needle` in `text` at or after `from`.
///
/// Log needles are short and lines are short, so a `memchr` on the first byte
/// and a compare beats building a `memmem::Finder` (or `str::find`'s
/// two-way searcher) for every call.
pub fn find_from(text: &str, needle: &str, from: usize) -> Option<usize> {
    let (hay, needle) = (text.as_bytes(), needle.as_bytes());
    let (&first, rest) = needle.split_first()?;
    let mut at = from;
    while let Some(i) = memchr::memchr(first, hay.get(at..)?) {
        let start = at + i;
        if hay[start + 1..].starts_with(rest) {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// Byte offset of the first `needle` in `text`.
pub fn find(text: &str, needle: &str) -> Option<usize> {
    find_from(text, needle, 0)
}

/// `text` split around the first `needle` (what `str::split_once` does, faster for short needles).
pub fn split_once<'a>(text: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    find(text, needle).map(|i| (&text[..i], &text[i + needle.len()..]))
}

/// The value at the start of `rest`: `<bracketed>` or up to `,`, space, `)`.
fn value_at(rest: &str) -> &str {
    if let Some(inner) = rest.strip_prefix('<') {
        // The closing bracket is the one followed by a separator or the end:
        // a user name may itself contain `>`.
        let b = inner.as_bytes();
        let mut end = None;
        for i in memchr::memchr_iter(b'>', b) {
            if matches!(b.get(i + 1), None | Some(b',' | b' ' | b';' | b')' | b':')) {
                end = Some(i);
                break;
            }
        }
        return &inner[..end.unwrap_or(inner.len())];
    }
    let end = rest
        .bytes()
        .position(|b| matches!(b, b',' | b' ' | b')' | b';'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// `name[address]` or `name[address]:port` as Postfix, Exim and Sieve write a
/// peer: returns (name, address, port). The address is the last bracketed part.
pub fn host_bracket(text: &str) -> Option<(&str, &str, Option<u16>)> {
    let open = text.find('[')?;
    let close = open + text[open..].find(']')?;
    let name = &text[..open];
    let address = &text[open + 1..close];
    let port = text[close + 1..]
        .strip_prefix(':')
        .and_then(|p| p.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    Some((name, address, port))
}

/// The first word of `text` (up to a space) and the rest after the space.
pub fn word(text: &str) -> (&str, &str) {
    match memchr::memchr(b' ', text.as_bytes()) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    }
}

/// The text after the first occurrence of `needle`, if any.
pub fn after<'a>(text: &'a str, needle: &str) -> Option<&'a str> {
    find(text, needle).map(|i| &text[i + needle.len()..])
}

/// Whether `needle` occurs in `text`.
pub fn contains(text: &str, needle: &str) -> bool {
    find(text, needle).is_some()
}

/// Parses a decimal number, `None` for anything else (including `-`).
pub fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The value after `key` (which ends in `": "`) in a `Key: value, Key: value`
/// list as amavis and rspamd write one, up to the next `,` or the end. The key
/// must start the text or follow `, ` so `id: ` is not found inside `mail_id: `.
pub fn colon_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(at) = find_from(text, key, from) {
        if at == 0 || text.as_bytes()[..at].ends_with(b", ") {
            let rest = &text[at + key.len()..];
            let end = memchr::memchr(b',', rest.as_bytes()).unwrap_or(rest.len());
            return Some(rest[..end].trim_end());
        }
        from = at + 1;
    }
    None
}

/// `text`'s first part up to the `close` byte that balances the `open` byte
/// at its start (`(a (b) c) rest` → `a (b) c`, ` rest`); `None` when the text
/// does not start with `open` or never balances (a truncated line).
pub fn balanced(text: &str, open: u8, close: u8) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    if b.first() != Some(&open) {
        return None;
    }
    let mut depth = 0usize;
    for (i, &c) in b.iter().enumerate() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some((&text[1..i], &text[i + 1..]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_key_values_as_dovecot_and_postfix_write_them() {
        let line = "Login: user=<bob@lab.test>, method=PLAIN, rip=127.0.0.67, lip=127.0.0.1, mpid=321, session=<7BuZ211hq8h/AABD>";
        assert_eq!(kv(line, "user="), Some("bob@lab.test"));
        assert_eq!(kv(line, "rip="), Some("127.0.0.67"));
        assert_eq!(kv(line, "lip="), Some("127.0.0.1"));
        assert_eq!(kv(line, "session="), Some("7BuZ211hq8h/AABD"));
        assert_eq!(kv(line, "ip="), None);
        assert_eq!(kv("user=<a>b@c>, x=1", "user="), Some("a>b@c"));
        assert_eq!(kv("user=<>, rip=1.2.3.4", "user="), Some(""));
        assert_eq!(kv("to=<a@b>, relay=none, delay=1", "relay="), Some("none"));
    }

    #[test]
    fn reads_bracketed_peers() {
        assert_eq!(
            host_bracket("unknown[127.0.0.11]"),
            Some(("unknown", "127.0.0.11", None))
        );
        assert_eq!(
            host_bracket("[157.122.148.242]:47407: 9999"),
            Some(("", "157.122.148.242", Some(47407)))
        );
        assert_eq!(
            host_bracket("mail.lab.test[private/dovecot-lmtp]"),
            Some(("mail.lab.test", "private/dovecot-lmtp", None))
        );
        assert_eq!(host_bracket("nobrackets"), None);
    }
}

/// Decodes `%XX` escapes (and `+` as a space in query values); borrows when
/// there is nothing to decode. Invalid UTF-8 after decoding is replaced.
pub fn percent_decode(text: &str, plus_as_space: bool) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    if !b.iter().any(|&c| c == b'%' || (plus_as_space && c == b'+')) {
        return text.into();
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_as_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned().into()
}

#[cfg(test)]
mod decode_tests {
    use super::*;

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(
            percent_decode("INBOX%2FSent+items", true),
            "INBOX/Sent items"
        );
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert!(matches!(
            percent_decode("plain", true),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
