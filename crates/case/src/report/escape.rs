//! The escapers the report's templates print every value through (see
//! `crates/case/askama.toml`): no template can print a value unescaped
//! without writing `|safe`, which none does (a test checks).

use std::fmt::{self, Write};

/// HTML text and attribute values: `& < > " '` as entities; control
/// characters (ANSI escapes, bells…) as their control pictures
/// ([`vigie_event::control_picture`]); newlines and tabs kept.
#[derive(Clone, Copy, Debug, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        for c in text.chars() {
            match c {
                '&' => dest.write_str("&amp;")?,
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '"' => dest.write_str("&quot;")?,
                '\'' => dest.write_str("&#39;")?,
                '\n' | '\t' => dest.write_char(c)?,
                c if c.is_control() => dest.write_char(vigie_event::control_picture(c))?,
                c => dest.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// A Markdown table cell: no HTML, no pipe, no emphasis or link syntax, one line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Markdown;

impl askama::filters::Escaper for Markdown {
    fn write_escaped_str<W: Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        for c in text.chars() {
            match c {
                '|' => dest.write_str("\\|")?,
                '`' | '*' | '_' | '[' | ']' | '\\' | '#' => {
                    dest.write_char('\\')?;
                    dest.write_char(c)?;
                }
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '&' => dest.write_str("&amp;")?,
                '\n' | '\r' | '\t' => dest.write_char(' ')?,
                c if c.is_control() => dest.write_char(vigie_event::control_picture(c))?,
                c => dest.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// `text` HTML-escaped as the report's templates print it.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = askama::filters::Escaper::write_escaped_str(&Html, &mut out, text);
    out
}

/// `text` escaped for a Markdown table cell.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = askama::filters::Escaper::write_escaped_str(&Markdown, &mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup_and_no_control_bytes() {
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)></style>\u{1b}[31m\"'&";
        let e = html(hostile);
        assert!(
            !e.contains('<') && !e.contains('>') && !e.contains('\u{1b}') && !e.contains('"'),
            "{e}"
        );
        let m = markdown("a|b<script>`x`\u{1b}[0m");
        assert!(
            !m.contains('<') && !m.contains('\u{1b}') && m.contains("\\|"),
            "{m}"
        );
    }
}
