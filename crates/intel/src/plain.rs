//! Plain lists and CSV: one indicator a line (or several columns of them),
//! each value's type guessed; a header row names the columns when there is
//! one (`type`, `value`, `actor`, `tags`, `first_seen`, `confidence`, …).

use crate::import::Sink;
use crate::indicator::{Indicator, Kind, guess, normalize};

/// What a header column holds.
#[derive(Clone, Copy, PartialEq)]
enum Column {
    Value,
    Type,
    Actor,
    Tags,
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
        "value" | "indicator" | "ioc" | "observable" | "ip" | "ip_address" | "ipv4" | "ipv6"
        | "domain" | "hostname" | "host" | "url" | "uri" | "email" | "e_mail" | "md5" | "sha1"
        | "sha256" | "sha_1" | "sha_256" | "hash" | "address" | "cidr" | "network" => Column::Value,
        "type" | "indicator_type" | "ioc_type" | "kind" => Column::Type,
        "actor" | "threat_actor" | "group" | "intrusion_set" | "attribution" => Column::Actor,
        "tags" | "tag" | "labels" | "label" => Column::Tags,
        "first_seen" | "valid_from" | "firstseen" | "date" => Column::FirstSeen,
        "last_seen" | "valid_until" | "lastseen" => Column::LastSeen,
        "confidence" | "score" => Column::Confidence,
        _ => Column::Other,
    }
}

/// A `type` cell's name → kind (MISP and common names).
fn kind_named(name: &str) -> Option<Kind> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "ip" | "ipv4" | "ipv6" | "ip-src" | "ip-dst" | "ipv4-addr" | "ipv6-addr" | "cidr" => {
            Kind::Ip
        }
        "domain" | "hostname" | "domain-name" | "fqdn" => Kind::Domain,
        "url" | "uri" => Kind::Url,
        "email" | "email-src" | "email-dst" | "email-addr" => Kind::Email,
        "md5" => Kind::Md5,
        "sha1" | "sha-1" => Kind::Sha1,
        "sha256" | "sha-256" => Kind::Sha256,
        _ => return None,
    })
}

/// Reads `text` (named `file`) line by line.
pub fn import(text: &str, file: &str, sink: &mut Sink<'_>) {
    let mut delimiter = None;
    let mut header: Option<Vec<Column>> = None;
    let mut first_record = true;
    for (n, line) in text.lines().enumerate() {
        // Comments go: whole lines, and ` # …` tails.
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) || trimmed.starts_with("//") {
            continue;
        }
        let line = line.split(" #").next().unwrap_or_default();
        let delimiter = *delimiter.get_or_insert(if line.contains('\t') {
            b'\t'
        } else if line.contains(';') && !line.contains(',') {
            b';'
        } else {
            b','
        });
        // One line, one record (an IOC list never quotes a line break); the
        // CSV reader only for lines that quote, a split for the others.
        let record;
        let cells: Vec<&str> = if line.contains('"') {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .trim(csv::Trim::All)
                .delimiter(delimiter)
                .from_reader(line.as_bytes());
            record = match reader.records().next() {
                Some(Ok(r)) => r,
                _ => {
                    sink.begin(line);
                    sink.refuse("CSV line not readable");
                    continue;
                }
            };
            record.iter().collect()
        } else {
            line.split(char::from(delimiter)).map(str::trim).collect()
        };
        if std::mem::take(&mut first_record) && cells.iter().all(|c| guess(c).is_err()) {
            let columns: Vec<Column> = cells.iter().map(|c| column(c)).collect();
            if columns.contains(&Column::Value) {
                header = Some(columns);
                continue;
            }
        }
        sink.begin(line);
        read_record(
            &cells,
            header.as_deref(),
            &format!("{file}:{}", n + 1),
            sink,
        );
    }
}

fn read_record(record: &[&str], header: Option<&[Column]>, at: &str, sink: &mut Sink<'_>) {
    let cell = |want: Column| -> Option<&str> {
        let columns = header?;
        record
            .iter()
            .zip(columns)
            .find(|(c, col)| **col == want && !c.is_empty())
            .map(|(c, _)| *c)
    };
    let named_kind = cell(Column::Type).map(|t| kind_named(t).ok_or(t));
    if let Some(Err(t)) = named_kind {
        sink.refuse_owned(format!("type {t}"));
        return;
    }
    let template = Indicator {
        reference: Some(at.to_string()),
        actor: cell(Column::Actor).map(str::to_string),
        tags: cell(Column::Tags)
            .map(|t| {
                t.split(['|', ';', ','])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        first_seen: cell(Column::FirstSeen).map(str::to_string),
        last_seen: cell(Column::LastSeen).map(str::to_string),
        confidence: cell(Column::Confidence)
            .and_then(|c| c.parse::<f64>().ok())
            .map(|c| if c <= 1.0 { c * 100.0 } else { c }.clamp(0.0, 100.0) as u8),
        ..Indicator::default()
    };
    let values: Vec<&str> = match header {
        Some(columns) => record
            .iter()
            .zip(columns)
            .filter(|(c, col)| **col == Column::Value && !c.is_empty())
            .map(|(c, _)| *c)
            .collect(),
        None => record.iter().copied().filter(|c| !c.is_empty()).collect(),
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
    use crate::import::import_bytes;
    use crate::indicator::Kind;

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
}
