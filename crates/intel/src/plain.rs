//! Plain lists and CSV: one indicator a line (or several columns of them),
//! each value's type guessed; a header row names the columns when there is
//! one (`type`, `value`, `actor`, `tags`, `first_seen`, `confidence`, …).
//!
//! The abuse.ch exports are CSV of this kind, read by their own headers:
//! - ThreatFox (`threatfox.abuse.ch/export/csv/…`): a `#` banner, the header
//!   inside a comment (`# "first_seen_utc","ioc_id","ioc_value","ioc_type",…`),
//!   cells separated by `", "`, `ip:port` values;
//! - URLhaus (`urlhaus.abuse.ch/downloads/csv…`): `# id,dateadded,url,…,urlhaus_link,reporter`;
//! - Feodo Tracker (`ipblocklist.csv`): an uncommented quoted header
//!   `"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"`;
//! - SSLBL: `# Listingdate,SHA1,Listingreason` (certificate fingerprints) and
//!   `# Firstseen,DstIP,DstPort` (addresses).
//!
//! Their text lists (URLhaus URLs, Feodo and SSLBL addresses) are plain
//! lists under the same banners. Columns that are not indicators
//! (references, report links, malware names, reporters, ports) are never
//! read as indicators: malware names and tags become tags.

use crate::import::{FeedFormat, Sink};
use crate::indicator::{Indicator, guess, kind_named, normalize};

/// What a header column holds.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Column {
    Value,
    Type,
    Actor,
    Tags,
    /// A malware family or threat name: kept as a tag, never an indicator.
    Malware,
    FirstSeen,
    LastSeen,
    Confidence,
    Other,
}

fn column(name: &str) -> Column {
    match name
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "value" | "indicator" | "ioc" | "ioc_value" | "observable" | "ip" | "ip_address"
        | "ipv4" | "ipv6" | "dst_ip" | "dstip" | "domain" | "hostname" | "host" | "url" | "uri"
        | "email" | "e_mail" | "md5" | "sha1" | "sha256" | "sha_1" | "sha_256" | "hash"
        | "address" | "cidr" | "network" => Column::Value,
        "type" | "indicator_type" | "ioc_type" | "kind" => Column::Type,
        "actor" | "threat_actor" | "group" | "intrusion_set" | "attribution" => Column::Actor,
        "tags" | "tag" | "labels" | "label" => Column::Tags,
        "malware" | "malware_printable" | "fk_malware" | "malware_alias" | "threat"
        | "threat_type" | "listingreason" | "listing_reason" => Column::Malware,
        "first_seen" | "first_seen_utc" | "valid_from" | "firstseen" | "date" | "dateadded"
        | "listingdate" => Column::FirstSeen,
        "last_seen" | "last_seen_utc" | "valid_until" | "lastseen" | "last_online" => {
            Column::LastSeen
        }
        "confidence" | "confidence_level" | "score" => Column::Confidence,
        _ => Column::Other,
    }
}

/// The published layout a header names, by its distinctive columns.
fn layout(names: &[String]) -> FeedFormat {
    let has = |n: &str| names.iter().any(|c| c.trim().eq_ignore_ascii_case(n));
    if has("ioc_value") && has("ioc_type") {
        FeedFormat::ThreatFox
    } else if has("urlhaus_link") {
        FeedFormat::Urlhaus
    } else if has("dst_ip") && has("c2_status") {
        FeedFormat::Feodo
    } else if has("listingreason") || (has("firstseen") && has("dstip")) {
        FeedFormat::Sslbl
    } else {
        FeedFormat::Plain
    }
}

/// The publisher an abuse.ch banner names (`# abuse.ch URLhaus Database Dump`).
fn banner(comment: &str) -> Option<FeedFormat> {
    let c = comment.to_ascii_lowercase();
    [
        ("threatfox", FeedFormat::ThreatFox),
        ("urlhaus", FeedFormat::Urlhaus),
        ("feodo tracker", FeedFormat::Feodo),
        ("sslbl", FeedFormat::Sslbl),
    ]
    .into_iter()
    .find_map(|(name, format)| c.contains(name).then_some(format))
}

/// Splits one CSV line into cells: `"…"` quoted (a doubled `""` is a quote),
/// spaces around cells ignored, so that ThreatFox's `"a", "b"` reads as
/// `"a","b"`. A line never holds a record's line break (no feed quotes one).
fn cells(line: &str, delimiter: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ').is_some() {}
        let mut cell = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                if c == '"' && chars.next_if_eq(&'"').is_none() {
                    break;
                }
                cell.push(c);
            }
            // Anything between the closing quote and the delimiter is dropped.
            while chars.next_if(|c| *c != delimiter).is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != delimiter) {
                cell.push(c);
            }
        }
        out.push(cell.trim().to_string());
        if chars.next().is_none() {
            return out;
        }
    }
}

/// The host of a hosts-file line (URLhaus `hostfile`, DNS blocklists):
/// `127.0.0.1 evil.example` or `0.0.0.0 evil.example` sinkholes the host;
/// the loopback or unspecified address is never an indicator.
fn hosts_entry(line: &str) -> Option<&str> {
    let (address, rest) = line.trim().split_once(char::is_whitespace)?;
    if !matches!(address, "127.0.0.1" | "0.0.0.0" | "::1" | "::") {
        return None;
    }
    rest.split_whitespace().next()
}

fn delimiter_of(line: &str) -> char {
    if line.contains('\t') {
        '\t'
    } else if line.contains(';') && !line.contains(',') {
        ';'
    } else {
        ','
    }
}

/// A header: no cell is an indicator and one names an indicator column.
fn header_of(cells: &[String]) -> Option<Vec<Column>> {
    if cells.iter().any(|c| guess(c).is_ok()) {
        return None;
    }
    let columns: Vec<Column> = cells.iter().map(|c| column(c)).collect();
    columns.contains(&Column::Value).then_some(columns)
}

/// Reads `text` (named `file`) line by line; returns the layout found, or
/// why the text is not a feed at all (prose, no indicator on any line).
pub fn import(text: &str, file: &str, sink: &mut Sink<'_>) -> Result<FeedFormat, String> {
    let mut delimiter = None;
    let mut header: Option<Vec<Column>> = None;
    let mut format = FeedFormat::Plain;
    let mut last_comment: Option<&str> = None;
    let mut first_record = true;
    let (mut prose, mut read_before) = (0u64, sink.report.read);
    let used_before = sink.report.used;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        // Comments go; those before the first record may be a banner or
        // a commented header (ThreatFox, URLhaus, SSLBL).
        if trimmed.starts_with(['#', ';']) || trimmed.starts_with("//") {
            if first_record {
                let comment = trimmed.trim_start_matches(['#', ';', '/']).trim();
                if let Some(named) = banner(comment)
                    && format == FeedFormat::Plain
                {
                    format = named;
                }
                if !comment.is_empty() {
                    last_comment = Some(comment);
                }
            }
            continue;
        }
        // A ` # …` tail is a comment, outside quoted cells.
        let line = if line.contains('"') {
            line
        } else {
            line.split(" #").next().unwrap_or_default()
        };
        let line = hosts_entry(line).unwrap_or(line);
        let delimiter = *delimiter.get_or_insert_with(|| delimiter_of(line));
        let record = cells(line, delimiter);
        if std::mem::take(&mut first_record) {
            if let Some(columns) = header_of(&record) {
                format = layout(&record).or(format);
                header = Some(columns);
                continue;
            }
            // The last comment above the first record, when it names the
            // same number of columns, is the header.
            if let Some(comment) = last_comment {
                let names = cells(comment, delimiter);
                if names.len() == record.len()
                    && names.len() > 1
                    && let Some(columns) = header_of(&names)
                {
                    format = layout(&names).or(format);
                    header = Some(columns);
                }
            }
        }
        sink.begin(line);
        if header.is_none() && record.len() == 1 && record[0].split_whitespace().nth(2).is_some() {
            prose += 1;
        }
        read_record(
            &record,
            header.as_deref(),
            &format!("{file}:{}", n + 1),
            sink,
        );
    }
    read_before = sink.report.read - read_before;
    let used = sink.report.used - used_before;
    if prose > used {
        return Err(format!(
            "not a feed: {prose} of its {read_before} lines are sentences, {used} hold an indicator"
        ));
    }
    if read_before > 0 && used == 0 {
        return Err(format!(
            "not a feed: none of its {read_before} lines holds an indicator"
        ));
    }
    Ok(format)
}

impl FeedFormat {
    /// `self`, unless it is the generic plain list and `other` names a publisher.
    fn or(self, other: FeedFormat) -> FeedFormat {
        if self == FeedFormat::Plain {
            other
        } else {
            self
        }
    }
}

/// Values a feed writes for an empty cell.
fn empty(cell: &str) -> bool {
    cell.is_empty() || matches!(cell, "None" | "null" | "n/a" | "-")
}

fn read_record(record: &[String], header: Option<&[Column]>, at: &str, sink: &mut Sink<'_>) {
    let of = |want: Column| -> Vec<&str> {
        let Some(columns) = header else {
            return Vec::new();
        };
        record
            .iter()
            .zip(columns)
            .filter(|(c, col)| **col == want && !empty(c))
            .map(|(c, _)| c.as_str())
            .collect()
    };
    let cell = |want: Column| of(want).first().copied();
    let named_kind = cell(Column::Type).map(|t| kind_named(t).ok_or(t));
    if let Some(Err(t)) = named_kind {
        sink.refuse_owned(format!("type {t}"));
        return;
    }
    let mut tags: Vec<String> = Vec::new();
    for t in of(Column::Malware).into_iter().chain(of(Column::Tags)) {
        for t in t.split(['|', ';', ',']).map(str::trim) {
            if !empty(t) && !tags.iter().any(|k| k == t) {
                tags.push(t.to_string());
            }
        }
    }
    let template = Indicator {
        reference: Some(at.to_string()),
        actor: cell(Column::Actor).map(str::to_string),
        tags,
        first_seen: cell(Column::FirstSeen).map(str::to_string),
        last_seen: cell(Column::LastSeen).map(str::to_string),
        confidence: cell(Column::Confidence)
            .and_then(|c| c.parse::<f64>().ok())
            .map(|c| if c <= 1.0 { c * 100.0 } else { c }.clamp(0.0, 100.0) as u8),
        ..Indicator::default()
    };
    let values: Vec<&str> = match header {
        Some(_) => of(Column::Value),
        None => record
            .iter()
            .map(String::as_str)
            .filter(|c| !c.is_empty())
            .collect(),
    };
    let mut used = false;
    let mut why = "type not recognised";
    for value in values {
        let found = match named_kind {
            Some(Ok(kind)) => normalize(kind, value).map(|v| (kind, v)),
            _ => guess(value),
        };
        match found {
            Ok((kind, value)) => {
                used = true;
                sink.add(Indicator {
                    kind: Some(kind),
                    value,
                    detect: true,
                    ..template.clone()
                });
            }
            Err(reason) => why = reason,
        }
    }
    if used {
        sink.report.used += 1;
    } else {
        sink.refuse(why);
    }
}

#[cfg(test)]
mod tests {
    use super::cells;
    use crate::import::import_bytes;
    use crate::indicator::Kind;

    #[test]
    fn cells_are_split_as_the_feeds_quote_them() {
        assert_eq!(cells(r#""a", "b,c", "d""e""#, ','), ["a", "b,c", "d\"e"]);
        assert_eq!(cells("x, y,,z", ','), ["x", "y", "", "z"]);
        assert_eq!(cells(r#""open"#, ','), ["open"]);
        assert_eq!(cells("a\tb", '\t'), ["a", "b"]);
    }

    #[test]
    fn lists_with_and_without_header_are_read() {
        let list = "# attacker infrastructure\n127.0.0[.]66\ncollector[@]exfil.example  # sieve target\nsoft.exe\nnonsense value\n";
        let (found, report) = import_bytes(list.as_bytes(), "l.txt", "t").unwrap();
        let got: Vec<_> = found
            .iter()
            .map(|i| (i.kind.unwrap(), i.value.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Kind::Ip, "127.0.0.66"),
                (Kind::Email, "collector@exfil.example")
            ]
        );
        assert_eq!(report.read, 4);
        assert_eq!(report.refused.get("a file name, not a domain"), Some(&1));
        assert_eq!(found[0].reference.as_deref(), Some("l.txt:2"));

        let csv = "type,value,actor,tags\nip-dst,203.161.50.145,APT28,c2|roundish\ndomain,\"zhblz.com\",APT28,\nmutex,abc,,\n";
        let (found, report) = import_bytes(csv.as_bytes(), "l.csv", "t").unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].actor.as_deref(), Some("APT28"));
        assert_eq!(found[0].tags, ["c2", "roundish"]);
        assert_eq!(report.refused.get("type mutex"), Some(&1));
    }

    #[test]
    fn prose_and_lines_without_indicators_are_not_feeds() {
        let readme = "vigie\n=====\n\nThis is the readme of a project.\nIt explains how to build it from source.\nSee https://example.org/docs for more.\n";
        let err = import_bytes(readme.as_bytes(), "README.txt", "t").unwrap_err();
        assert!(err.to_string().contains("lines are sentences"), "{err}");
        let err = import_bytes(b"hello\nworld\n", "w.txt", "t").unwrap_err();
        assert!(err.to_string().contains("none of its 2 lines"), "{err}");
        // A hosts file gives its hosts, never the loopback address.
        let hosts = "# abuse.ch URLhaus Host file\n127.0.0.1\tdl.bad-example.net\n0.0.0.0 c2.bad-example.com\n";
        let (found, report) = import_bytes(hosts.as_bytes(), "hosts", "t").unwrap();
        let got: Vec<_> = found.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(got, ["dl.bad-example.net", "c2.bad-example.com"]);
        assert_eq!(report.format, Some(crate::import::FeedFormat::Urlhaus));
        // A feed with no entry today (only its banner) is a feed.
        let (found, _) = import_bytes(b"# abuse.ch URLhaus\n#\n", "u.txt", "t").unwrap();
        assert!(found.is_empty());
    }
}
