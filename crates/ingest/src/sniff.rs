//! Format detection by content: the first lines of a file vote.

use std::collections::HashMap;

use crate::parse::{Format, classify};
use crate::source::line_end;

/// How many lines vote at most.
const VOTERS: usize = 200;

/// The format most of the first lines of `head` have, or `None` when no line
/// has a known shape. `path` only tells Apache from nginx for access logs,
/// whose lines are identical. Lines end as [`line_end`] finds.
pub fn detect(head: &[u8], path: &str) -> Option<Format> {
    let mut votes: HashMap<Format, (usize, usize)> = HashMap::new();
    let end = line_end(head);
    for (order, line) in head.split(|&b| b == end).take(VOTERS).enumerate() {
        let text = String::from_utf8_lossy(line);
        if let Some(format) = classify(text.trim_end_matches('\r')) {
            let entry = votes.entry(format).or_insert((0, order));
            entry.0 += 1;
        }
    }
    let (format, _) = votes
        .into_iter()
        .max_by_key(|(_, (count, first))| (*count, std::cmp::Reverse(*first)))?;
    let lower = path.to_ascii_lowercase();
    let apache = lower.contains("apache") || lower.contains("httpd");
    Some(match format {
        Format::NginxAccess if apache => Format::ApacheAccess,
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_wins_and_path_names_apache() {
        let head = b"# comment\nNov 28 22:39:29 auth: Info: x\nNov 28 22:39:30 auth: Info: y\n[28-Nov-2026 22:37:30 +0000]: z\n";
        assert_eq!(detect(head, "x.log"), Some(Format::Syslog));
        let web = br#"1.2.3.4 - - [28/Nov/2026:22:39:28 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#;
        assert_eq!(
            detect(web, "/var/log/apache2/access.log"),
            Some(Format::ApacheAccess)
        );
        assert_eq!(
            detect(web, "/var/log/nginx/access.log"),
            Some(Format::NginxAccess)
        );
        assert_eq!(detect(b"\x00\x01binary", "x"), None);
        let mac = [web.as_slice(), b"\r", b"garbage\r", web.as_slice(), b"\r"].concat();
        assert_eq!(detect(&mac, "access.log"), Some(Format::NginxAccess));
    }
}
