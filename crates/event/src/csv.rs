//! The event as one CSV row of fixed columns, for spreadsheets and quick greps.
//!
//! Cells that a spreadsheet would evaluate as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) are prefixed with `'`, and every
//! control character is replaced, so a hostile log line cannot run a formula
//! or forge rows in the analyst's spreadsheet.

use std::io::{self, Write};

use crate::{Event, Field, Value};

/// The columns, in order.
pub const COLUMNS: &[Field] = &[
    Field::Timestamp,
    Field::EventDataset,
    Field::EventAction,
    Field::EventOutcome,
    Field::UserName,
    Field::SourceIp,
    Field::SourceAddress,
    Field::SessionId,
    Field::HttpMethod,
    Field::UrlOriginal,
    Field::HttpStatus,
    Field::NetworkBytesOut,
    Field::EmailFrom,
    Field::EmailTo,
    Field::EventReason,
    Field::Message,
    Field::LogPath,
    Field::LogLine,
];

/// Writes the header row.
pub fn write_header<W: Write>(out: &mut W) -> io::Result<()> {
    let names: Vec<&str> = COLUMNS.iter().map(|f| f.name()).collect();
    writeln!(out, "{}", names.join(","))
}

/// Writes one event as a row.
pub fn write_event<W: Write>(out: &mut W, event: &Event<'_>) -> io::Result<()> {
    let mut cell = String::new();
    for (i, &field) in COLUMNS.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        cell.clear();
        match event.value(field) {
            None => {}
            Some(Value::Str(s)) => cell.push_str(s),
            Some(Value::UInt(n)) => cell.push_str(&n.to_string()),
            Some(Value::Ip(ip)) => cell.push_str(&ip.to_string()),
            Some(Value::Time(t)) => cell.push_str(&t.to_string()),
            Some(Value::Keywords(words)) => cell.push_str(&words.join("|")),
        }
        write_cell(out, &cell)?;
    }
    out.write_all(b"\n")
}

/// Writes one cell, neutralized against formula injection and quoted as RFC 4180 requires.
pub fn write_cell<W: Write + ?Sized>(out: &mut W, cell: &str) -> io::Result<()> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = formula || cell.contains([',', '"', '\n', '\r']);
    if needs_quotes {
        out.write_all(b"\"")?;
    }
    if formula {
        out.write_all(b"'")?;
    }
    for c in cell.chars() {
        match c {
            '"' => out.write_all(b"\"\"")?,
            c => {
                let c = crate::control_picture(c);
                let mut buf = [0; 4];
                out.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            }
        }
    }
    if needs_quotes {
        out.write_all(b"\"")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> String {
        let mut out = Vec::new();
        write_cell(&mut out, text).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn neutralizes_formulas_and_control_characters() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "\"'+1\"");
        assert_eq!(cell("-2"), "\"'-2\"");
        assert_eq!(cell("@SUM"), "\"'@SUM\"");
        assert_eq!(cell("a\u{1b}[31mb"), "a\u{241B}[31mb");
        assert_eq!(cell("two\nlines"), "\"two\u{240A}lines\"");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("plain"), "plain");
    }
}
