//! The expression lexer: tokens with their byte spans, total over any
//! input (an unknown character is a token the parser rejects).

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A bare word: an attribute name, keyword or function name.
    Ident(String),
    /// `#name`.
    Name(String),
    /// `:value`.
    Value(String),
    /// A run of digits (list indexes).
    Int(String),
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `,`.
    Comma,
    /// `.`.
    Dot,
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// Anything else, as written.
    Bad(String),
    /// The end of the input.
    Eof,
}

/// A token and where it is in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset of its start.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

impl Token {
    /// The token's text as AWS quotes it in syntax errors.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        if self.tok == Tok::Eof {
            "<EOF>"
        } else {
            &src[self.start..self.end]
        }
    }
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub fn lex(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    let end_of = |i: usize| chars.get(i).map_or(src.len(), |(p, _)| *p);
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = |t: Tok| (t, 1);
        let (tok, len) = match c {
            '(' => single(Tok::LParen),
            ')' => single(Tok::RParen),
            '[' => single(Tok::LBracket),
            ']' => single(Tok::RBracket),
            ',' => single(Tok::Comma),
            '.' => single(Tok::Dot),
            '=' => single(Tok::Eq),
            '+' => single(Tok::Plus),
            '-' => single(Tok::Minus),
            '<' => match chars.get(i + 1).map(|x| x.1) {
                Some('=') => (Tok::Le, 2),
                Some('>') => (Tok::Ne, 2),
                _ => (Tok::Lt, 1),
            },
            '>' => match chars.get(i + 1).map(|x| x.1) {
                Some('=') => (Tok::Ge, 2),
                _ => (Tok::Gt, 1),
            },
            '#' | ':' => {
                let mut j = i + 1;
                while j < chars.len() && word_char(chars[j].1) {
                    j += 1;
                }
                if j == i + 1 {
                    (Tok::Bad(c.to_string()), 1)
                } else {
                    let name = src[start..end_of(j)].to_string();
                    (
                        if c == '#' {
                            Tok::Name(name)
                        } else {
                            Tok::Value(name)
                        },
                        j - i,
                    )
                }
            }
            c if c.is_ascii_digit() => {
                let mut j = i;
                while j < chars.len() && chars[j].1.is_ascii_digit() {
                    j += 1;
                }
                // A word that starts with digits (`1abc`) is one bad token.
                if j < chars.len() && word_char(chars[j].1) {
                    while j < chars.len() && word_char(chars[j].1) {
                        j += 1;
                    }
                    (Tok::Bad(src[start..end_of(j)].to_string()), j - i)
                } else {
                    (Tok::Int(src[start..end_of(j)].to_string()), j - i)
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i;
                while j < chars.len() && word_char(chars[j].1) {
                    j += 1;
                }
                (Tok::Ident(src[start..end_of(j)].to_string()), j - i)
            }
            other => (Tok::Bad(other.to_string()), 1),
        };
        i += len;
        out.push(Token {
            tok,
            start,
            end: end_of(i),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn every_token_kind() {
        assert_eq!(
            toks("a.#b[10] <> :v, (<=>=<>+-)"),
            vec![
                Tok::Ident("a".into()),
                Tok::Dot,
                Tok::Name("#b".into()),
                Tok::LBracket,
                Tok::Int("10".into()),
                Tok::RBracket,
                Tok::Ne,
                Tok::Value(":v".into()),
                Tok::Comma,
                Tok::LParen,
                Tok::Le,
                Tok::Ge,
                Tok::Ne,
                Tok::Plus,
                Tok::Minus,
                Tok::RParen,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn bad_characters_are_tokens_not_panics() {
        assert_eq!(
            toks("a ! é"),
            vec![
                Tok::Ident("a".into()),
                Tok::Bad("!".into()),
                Tok::Bad("é".into()),
                Tok::Eof
            ]
        );
        assert_eq!(toks("#"), vec![Tok::Bad("#".into()), Tok::Eof]);
        assert_eq!(toks("1a"), vec![Tok::Bad("1a".into()), Tok::Eof]);
        let t = lex("ab  ");
        assert_eq!(t[1].text("ab  "), "<EOF>");
    }
}
