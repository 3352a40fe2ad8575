//! What the terminal is shown: text from logs is attacker-written, so control
//! characters (ANSI escapes included) never reach it.

/// `text` as one line: every control character, newline and tab included,
/// as its control picture ([`vigie_event::control_picture`]: ESC shows as
/// `␛`, a newline as `␊`), so that a file name or a user name holding a
/// newline cannot forge a line of the output.
pub fn sanitize(text: &str) -> String {
    text.chars().map(vigie_event::control_picture).collect()
}

/// Text of several lines vigie wrote itself (an alert, a status): as
/// [`sanitize`], but newlines and tabs kept. Attacker text in it must have
/// gone through [`sanitize`] first.
pub fn sanitize_lines(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c => vigie_event::control_picture(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_escape_sequences() {
        assert_eq!(
            super::sanitize("a\u{1b}[31mb\u{7}"),
            "a\u{241B}[31mb\u{2407}"
        );
        assert_eq!(
            super::sanitize("d/new\nline=HYPERLINK(1).log"),
            "d/new\u{240A}line=HYPERLINK(1).log"
        );
        assert_eq!(super::sanitize_lines("a\nb\u{1b}"), "a\nb\u{241B}");
    }
}
