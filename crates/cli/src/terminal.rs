//! What the terminal is shown: text from logs is attacker-written, so control
//! characters (ANSI escapes included) never reach it.

/// Replaces every control character except newline and tab with `�`.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_escape_sequences() {
        assert_eq!(
            super::sanitize("a\u{1b}[31mb\u{7}"),
            "a\u{FFFD}[31mb\u{FFFD}"
        );
    }
}
