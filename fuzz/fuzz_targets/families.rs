//! Shared by the log-family targets (mta, imap, webmail): the first input
//! byte picks a row of `families.tsv` for the group, and each following
//! line is that row's prefix (a syslog header naming the family's program)
//! plus the line, parsed as the row's format. Mutations then land in the
//! family's own parser instead of breaking the header that routes to it.

use vigie_ingest::Format;

#[path = "common.rs"]
mod common;

/// The rows of `group`: (format, prefix).
fn rows(group: &str) -> Vec<(Format, &'static str)> {
    include_str!("../families.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let mut cols = l.splitn(3, '\t');
            let (g, format, prefix) = (cols.next()?, cols.next()?, cols.next().unwrap_or(""));
            (g == group).then(|| {
                (
                    Format::from_name(format).expect("a format in families.tsv"),
                    prefix,
                )
            })
        })
        .collect()
}

/// Parses `data` as the family its first byte picks within `group`.
pub fn fuzz(group: &str, data: &[u8]) {
    let rows = rows(group);
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (format, prefix) = rows[usize::from(first) % rows.len()];
    let mut text = Vec::with_capacity(rest.len() + 64);
    for line in rest.split(|b| *b == b'\n') {
        text.extend_from_slice(prefix.as_bytes());
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    common::parse_as(format, &text);
}
