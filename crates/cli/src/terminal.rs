//! What the terminal is shown: text from logs is attacker-written, so control
//! characters (ANSI escapes included) never reach it.

/// `text` as one line: every control character, newline and tab included,
/// as its control picture ([`vigie_event::control_picture`]: ESC shows as
/// `␛`, a newline as `␊`), so that a file name or a user name holding a
/// newline cannot forge a line of the output.
pub fn sanitize(text: &str) -> String {
    text.chars().map(vigie_event::control_picture).collect()
}

/// Attacker text for a table's column of `width` characters: as
/// [`sanitize`], cut to the width with `…` (a fresh user's retest printed a
/// 1 MB account name on one line).
pub fn cell(text: &str, width: usize) -> String {
    let clean = sanitize(text);
    if clean.chars().count() <= width {
        return clean;
    }
    let mut cut: String = clean.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
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
    fn a_cell_is_cut_to_its_width() {
        assert_eq!(super::cell("alice", 8), "alice");
        let long = "B".repeat(1_000_000);
        let cut = super::cell(&long, 40);
        assert_eq!(cut.chars().count(), 40);
        assert!(cut.ends_with('…'));
        assert_eq!(super::cell("a\u{1b}b", 8), "a\u{241B}b");
    }

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
