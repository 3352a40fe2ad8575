//! nginx and Apache access logs: common, combined, vhost-prefixed
//! (`%v:%p %h …`), with `X-Forwarded-For` as the first field or as a trailing
//! quoted field; Roundcube's request parameters (`_task`, `_action`, `_mbox`,
//! `_uid`, `_part`, `_from`) decoded into `roundcube.*`; what the request did
//! in any webmail named in `event.action` by [`crate::webmail`].

use std::net::IpAddr;

use vigie_event::{Category, Dataset, Event, Outcome, parse_ip};

use super::text::{number, percent_decode, word};
use super::timestamp;
use super::{LineContext, Miss, SkipReason};

/// Cheap check for format detection: `… [dd/Mmm/YYYY:HH:MM:SS zone] "…`.
pub fn looks_like(line: &str) -> bool {
    let b = line.as_bytes();
    memchr::memchr(b'[', b).is_some_and(|i| record_time_at(b, i))
}

/// Whether `b[i]` opens a record's ` [dd/Mmm/YYYY:HH:MM:SS zone] "`.
fn record_time_at(b: &[u8], i: usize) -> bool {
    i > 0
        && b[i - 1] == b' '
        && timestamp::clf(&b[i + 1..]).is_some_and(|(_, n)| b[i + 1 + n..].starts_with(b"] \""))
}

/// Whether `rest`, what follows a record's time, holds another record's:
/// nginx writes a `"` inside a field as `\x22` and Apache as `\"`, so `] "`
/// after a time never comes from a field of one request.
fn holds_another_record(rest: &[u8]) -> bool {
    memchr::memchr_iter(b'[', rest).any(|i| record_time_at(rest, i))
}

/// Parses one access-log line. `dataset` says whether the file is nginx's or Apache's.
pub fn parse<'a>(
    line: &'a str,
    ctx: &mut LineContext<'a, '_>,
    dataset: Dataset,
) -> Result<Event<'a>, Miss> {
    let b = line.as_bytes();
    let open = memchr::memmem::find(b, b" [").ok_or(Miss::NotMine)? + 1;
    let (time, used) = timestamp::clf(&b[open + 1..]).ok_or(Miss::NotMine)?;
    let after_time = line[open + 1 + used..]
        .strip_prefix("] ")
        .ok_or(Miss::NotMine)?;
    if holds_another_record(after_time.as_bytes()) {
        return Err(Miss::Skip(SkipReason::JoinedRecords));
    }
    let timestamp = ctx
        .time
        .resolve(time)
        .ok_or(Miss::Skip(SkipReason::InvalidTime))?;
    let mut event = Event::new(dataset, ctx.path, ctx.number);
    event.timestamp = timestamp;
    event.protocol = Some("http".into());
    head(&line[..open - 1], &mut event)?;

    let (request, rest) = quoted(after_time).ok_or(Miss::NotMine)?;
    let (status, rest) = word(rest.trim_start());
    let (bytes, rest) = word(rest);
    event.http_status = Some(status.parse().map_err(|_| Miss::NotMine)?);
    event.http_response_bytes = number(bytes);
    let mut rest = rest.trim_start();
    if let Some((referrer, r)) = quoted(rest) {
        event.http_referrer = (referrer != "-").then(|| referrer.into());
        rest = r.trim_start();
        if let Some((agent, r)) = quoted(rest) {
            event.user_agent = (agent != "-").then(|| agent.into());
            rest = r.trim_start();
        }
    }
    // A trailing quoted address list is `$http_x_forwarded_for`.
    if let Some((forwarded, _)) = quoted(rest) {
        forwarded_for(forwarded, &mut event);
    }
    request_line(request, &mut event);
    Ok(event)
}

/// `[vhost[:port]] client ident user`, where the client may be an
/// `X-Forwarded-For` list (`203.0.113.5, 10.0.0.2`).
fn head<'a>(head: &'a str, event: &mut Event<'a>) -> Result<(), Miss> {
    // At most 16 words (a long X-Forwarded-For list), without allocating.
    let mut words = [""; 16];
    let mut count = 0;
    for token in head.split(' ').filter(|t| !t.is_empty()) {
        *words.get_mut(count).ok_or(Miss::NotMine)? = token;
        count += 1;
    }
    let tokens = &words[..count];
    // `client ident user`, or `client user` when a format drops the ident column.
    let user_at = tokens.len().checked_sub(1).ok_or(Miss::NotMine)?;
    let client_end = if tokens.len() >= 3 {
        tokens.len() - 2
    } else {
        1
    };
    if tokens.len() < 2 {
        return Err(Miss::NotMine);
    }
    // What stands before the time is a client's address or name (a vhost
    // first): anything else is not an access log's line start, such as a
    // record glued to garbage.
    if !tokens[..client_end].iter().all(|t| host_like(t)) {
        return Err(Miss::NotMine);
    }
    if tokens[user_at] != "-" {
        event.user_name = Some(percent_decode(tokens[user_at], false));
    }
    let client_part = &tokens[..client_end];
    match client_part {
        [client] => event.set_source(client),
        [first, rest @ ..] if first.ends_with(',') => {
            // The XFF list: the first address is the original client.
            event.set_source(first.trim_end_matches(','));
            if let Some(last) = rest.last().and_then(|l| parse_ip(l.trim_end_matches(','))) {
                event.client_ip = Some(last);
            }
        }
        [vhost, client] => {
            event.url_domain = Some(
                vhost
                    .rsplit_once(':')
                    .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                    .map_or(*vhost, |(h, _)| h)
                    .into(),
            );
            event.set_source(client);
        }
        _ => return Err(Miss::NotMine),
    }
    Ok(())
}

/// An IP address (bracketed, with a zone or a port), a DNS name (Apache's
/// `HostnameLookups`), or `-` (a vhost-first format without the vhost), with a
/// list's trailing comma: at most 255 bytes of those characters. A name
/// whose last label is all digits is neither (no top-level domain is
/// numeric, RFC 3696 section 2): `GARBAGE127.0.0.10` is an address with
/// something glued before it.
fn host_like(token: &str) -> bool {
    let token = token.trim_end_matches(',');
    let charset = token.len() <= 255
        && token.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']' | b'%')
        });
    let numeric_tld = || {
        token
            .rsplit('.')
            .next()
            .is_some_and(|last| !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
    };
    charset && (parse_ip(token).is_some() || !numeric_tld())
}

/// Uses the first address of a forwarded-for list when the peer is a proxy
/// (loopback or private): the peer then goes to `client.ip`. A forwarded
/// header from a public peer is the client's own claim and is not trusted.
fn forwarded_for(list: &str, event: &mut Event<'_>) {
    let Some(first) = list.split(',').next().map(str::trim).and_then(parse_ip) else {
        return;
    };
    if event.source_ip.is_some_and(is_proxy_address) {
        event.client_ip = event.source_ip;
        event.source_ip = Some(first);
    }
}

fn is_proxy_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

/// A `"…"` field with backslash escapes: (content, rest after the closing quote).
fn quoted(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('"')?;
    let b = inner.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'"', &b[from..]).map(|i| from + i) {
        let backslashes = b[..i].iter().rev().take_while(|&&c| c == b'\\').count();
        if backslashes % 2 == 0 {
            return Some((&inner[..i], &inner[i + 1..]));
        }
        from = i + 1;
    }
    None
}

/// `GET /?_task=mail&_action=show&_uid=3 HTTP/1.1`; anything else (TLS bytes,
/// `-`) is kept as the message.
fn request_line<'a>(request: &'a str, event: &mut Event<'a>) {
    let (method, rest) = word(request);
    let (target, version) = match rest.rsplit_once(' ') {
        Some((t, v)) if v.starts_with("HTTP/") => (t, Some(v)),
        _ => (rest, None),
    };
    let plausible = !method.is_empty()
        && method.len() <= 16
        && method.bytes().all(|b| b.is_ascii_uppercase() || b == b'-');
    if !plausible || !(target.starts_with('/') || target.contains("://") || target == "*") {
        event.url_original = Some(request.into());
        event.classify(Category::Web, "http-request", outcome(event.http_status));
        return;
    }
    event.http_method = Some(method.into());
    event.url_original = Some(target.into());
    event.http_version = version.map(|v| v["HTTP/".len()..].into());
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    event.url_path = Some(percent_decode(path, false));
    if let Some(query) = query {
        event.url_query = Some(query.into());
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "_task" => &mut event.roundcube_task,
                "_action" => &mut event.roundcube_action,
                "_mbox" => &mut event.roundcube_mbox,
                "_uid" => &mut event.roundcube_uid,
                "_part" => &mut event.roundcube_part,
                "_from" => &mut event.roundcube_from,
                _ => continue,
            };
            *slot = Some(percent_decode(value, true));
        }
    }
    let action = crate::webmail::classify(event, method, path, query.unwrap_or(""));
    event.classify(Category::Web, action, outcome(event.http_status));
}

fn outcome(status: Option<u16>) -> Outcome {
    match status {
        Some(s) if s < 400 => Outcome::Success,
        Some(_) => Outcome::Failure,
        None => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::timestamp::TimeContext;
    use vigie_event::Timestamp;

    fn parsed(line: &str) -> Result<Event<'_>, Miss> {
        let mut time = TimeContext::new(jiff::tz::TimeZone::UTC, Timestamp::default());
        let mut ctx = LineContext {
            path: "access.log",
            number: 1,
            time: &mut time,
        };
        parse(line, &mut ctx, Dataset::NginxAccess)
    }

    fn parse_line(line: &'static str) -> Event<'static> {
        parsed(line).unwrap()
    }

    #[test]
    fn combined_with_roundcube_parameters() {
        let e = parse_line(
            r#"127.0.0.66 - - [28/Nov/2026:22:39:28 +0000] "GET /?_task=mail&_action=get&_mbox=INBOX&_uid=3&_part=2&_download=1&_token=ywM0 HTTP/1.1" 200 1762 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0""#,
        );
        assert_eq!(
            (
                e.action,
                e.roundcube_uid.as_deref(),
                e.roundcube_part.as_deref()
            ),
            (Some("attachment-download"), Some("3"), Some("2"))
        );
        assert_eq!(
            (e.http_status, e.http_response_bytes),
            (Some(200), Some(1762))
        );
        assert_eq!(e.timestamp.to_string(), "2026-11-28T22:39:28Z");
        assert!(e.user_agent.as_deref().unwrap().contains("Firefox/115.0"));
    }

    #[test]
    fn vhost_forwarded_common_and_garbage_requests() {
        let e = parse_line(
            r#"mail.example.org:443 10.0.0.5 - bob [01/Apr/2014:00:00:01 -0500] "POST /?_task=addressbook&_action=export HTTP/1.1" 200 181 "-" "curl/8" "198.51.100.7, 10.0.0.5""#,
        );
        assert_eq!(e.url_domain.as_deref(), Some("mail.example.org"));
        assert_eq!(e.source_ip.unwrap().to_string(), "198.51.100.7");
        assert_eq!(e.client_ip.unwrap().to_string(), "10.0.0.5");
        assert_eq!(
            (e.user_name.as_deref(), e.action),
            (Some("bob"), Some("addressbook-export"))
        );
        let e =
            parse_line(r#"203.0.113.9 - - [01/Apr/2014:00:00:01 -0500] "GET /x HTTP/1.0" 404 -"#);
        assert_eq!((e.http_status, e.http_response_bytes), (Some(404), None));
        let e = parse_line(
            r#"203.0.113.9 - - [01/Apr/2014:00:00:01 -0500] "\x16\x03\x01\x00\xA5\x01" 400 157 "-" "-" "8.8.8.8""#,
        );
        assert_eq!(e.http_method, None);
        assert_eq!(e.url_original.as_deref(), Some(r"\x16\x03\x01\x00\xA5\x01"));
        assert_eq!(
            e.source_ip.unwrap().to_string(),
            "203.0.113.9",
            "XFF from a public peer is not trusted"
        );
        let e = parse_line(
            r#"1.2.3.4 - - [01/Apr/2014:00:00:01 -0500] "GET /a\"b HTTP/1.1" 200 1 "-" "ua""#,
        );
        assert_eq!(e.url_path.as_deref(), Some("/a\\\"b"));
    }

    fn miss(line: &str) -> Miss {
        parsed(line).unwrap_err()
    }

    #[test]
    fn a_line_holding_two_records_or_glued_to_garbage_is_not_read_as_one_request() {
        let one = r#"203.0.113.9 - - [01/Apr/2014:00:00:01 -0500] "GET /?_task=mail HTTP/1.1" 200 5 "-" "ua""#;
        // A lost line end, at any point of the first record.
        for cut in [one.len(), one.len() - 6, 60] {
            let joined = format!("{}{one}", &one[..cut]);
            assert_eq!(
                miss(&joined),
                Miss::Skip(SkipReason::JoinedRecords),
                "{joined}"
            );
        }
        let glued = format!("{}{one}", "\u{1}garbage".repeat(20_000));
        assert_eq!(miss(&glued), Miss::NotMine);
        assert_eq!(miss(&format!("GET /x HTTP/1.1{one}")), Miss::NotMine);
        assert_eq!(miss(&format!("GARBAGE{one}")), Miss::NotMine);
        // Brackets and times inside a request are not a record.
        let e = parse_line(
            r#"1.2.3.4 - - [01/Apr/2014:00:00:01 -0500] "GET /?a[]=[01/Apr/2014:00:00:01 -0500]%20\x22 HTTP/1.1" 200 1 "-" "ua [01/Apr/2014:00:00:01 -0500] \x22x""#,
        );
        assert_eq!(e.http_status, Some(200));
        // Apache's HostnameLookups writes the client's name.
        let e = parse_line(
            r#"mail-gw.example.org - bob [01/Apr/2014:00:00:01 -0500] "GET / HTTP/1.1" 200 1"#,
        );
        assert_eq!(e.source_address.as_deref(), Some("mail-gw.example.org"));
    }
}
