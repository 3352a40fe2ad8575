//! What the terminal is shown: text from logs is attacker-written, so control
//! characters (ANSI escapes included) never reach it.

/// Replaces every control character except newline and tab with its
/// control picture ([`vigie_event::control_picture`]: ESC shows as `␛`).
pub fn sanitize(text: &str) -> String {
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
    }
}
