//! FEEL lexer: expression text → tokens, with byte spans.
//!
//! Pipeline position: the first step of [`crate::feel::parser`]. The lexer knows nothing of
//! names with spaces: every word is its own [`TokenKind::Word`] token, and the parser joins
//! words (and the name symbols `.` `/` `-` `'` `+` `*`) into names using
//! [`crate::feel::names::Names`]. Whitespace and comments (`// …`, `/* … */`) are skipped,
//! but the gaps they leave are visible through the token spans.

use rust_decimal::Decimal;

use super::ast::Span;
use super::err::SyntaxError;

/// One token, with its byte range in the lexed text.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// First byte of the token.
    pub start: usize,
    /// One past the last byte of the token.
    pub end: usize,
}

impl Token {
    /// The token's byte range as a [`Span`].
    pub fn span(&self) -> Span {
        Span::new(self.start, self.end)
    }
}

/// The kinds of token.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A number literal (`1`, `1.5`, `.5`, `1.2e3`), exact.
    Number(Decimal),
    /// A string literal, escapes resolved.
    String(String),
    /// An `@"…"` literal: the string inside, escapes resolved.
    Temporal(String),
    /// A word: a name start character followed by name part characters (its text is the
    /// token's span of the source). Keywords (`if`, `and`, …) are words too.
    Word,
    /// An operator or punctuation mark.
    Punct(Punct),
}

/// Operators and punctuation marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punct {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `**`
    StarStar,
    /// `/`
    Slash,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `->` (function types)
    Arrow,
    /// `?` (the input value in unary tests)
    Question,
    /// `'` or `’` (only valid inside names)
    Quote,
}

/// Splits `text` into tokens.
///
/// # Errors
///
/// A [`SyntaxError`] for an unknown character, an unterminated string literal or comment, an
/// invalid escape sequence, or a number literal that cannot be represented exactly.
pub fn lex(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lexer = Lexer {
        text,
        pos: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

/// Whether `c` is FEEL white space (grammar rules 63 and 64).
pub fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}'
            | '\u{A}'..='\u{D}'
            | '\u{20}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{180E}'
            | '\u{2000}'..='\u{200B}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
            | '\u{FEFF}'
    )
}

/// Whether `c` may start a FEEL name (grammar rule 30, without `?`, which FEEL uses for
/// the input value).
pub fn is_name_start(c: char) -> bool {
    !is_whitespace(c)
        && matches!(
            c,
            'A'..='Z'
                | '_'
                | 'a'..='z'
                | '\u{C0}'..='\u{D6}'
                | '\u{D8}'..='\u{F6}'
                | '\u{F8}'..='\u{2FF}'
                | '\u{370}'..='\u{37D}'
                | '\u{37F}'..='\u{1FFF}'
                | '\u{200C}'..='\u{200D}'
                | '\u{2070}'..='\u{218F}'
                | '\u{2C00}'..='\u{2FEF}'
                | '\u{3001}'..='\u{D7FF}'
                | '\u{F900}'..='\u{FDCF}'
                | '\u{FDF0}'..='\u{FFFD}'
                | '\u{10000}'..='\u{EFFFF}'
        )
}

/// Whether `c` may continue a FEEL name word (grammar rule 31).
pub fn is_name_part(c: char) -> bool {
    is_name_start(c)
        || matches!(
            c,
            '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}'
        )
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.text.get(self.pos + offset..)?.chars().next()
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.pos,
        });
    }

    fn punct(&mut self, punct: Punct, len: usize) {
        let start = self.pos;
        self.pos += len;
        self.push(TokenKind::Punct(punct), start);
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        while let Some(c) = self.peek() {
            let next = self.peek_at(c.len_utf8());
            match c {
                c if is_whitespace(c) => self.pos += c.len_utf8(),
                '/' if next == Some('/') => self.line_comment(),
                '/' if next == Some('*') => self.block_comment()?,
                '0'..='9' => self.number()?,
                '.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number()?,
                '"' => {
                    let start = self.pos;
                    let s = self.string()?;
                    self.push(TokenKind::String(s), start);
                }
                '@' if next == Some('"') => {
                    let start = self.pos;
                    self.pos += 1;
                    let s = self.string()?;
                    self.push(TokenKind::Temporal(s), start);
                }
                '@' => {
                    return Err(SyntaxError::new(
                        "expected a string literal after `@`",
                        Span::new(self.pos, self.pos + 1),
                    ));
                }
                c if is_name_start(c) => {
                    let start = self.pos;
                    while let Some(c) = self.peek().filter(|&c| is_name_part(c)) {
                        self.pos += c.len_utf8();
                    }
                    self.push(TokenKind::Word, start);
                }
                '(' => self.punct(Punct::LParen, 1),
                ')' => self.punct(Punct::RParen, 1),
                '[' => self.punct(Punct::LBracket, 1),
                ']' => self.punct(Punct::RBracket, 1),
                '{' => self.punct(Punct::LBrace, 1),
                '}' => self.punct(Punct::RBrace, 1),
                ',' => self.punct(Punct::Comma, 1),
                ':' => self.punct(Punct::Colon, 1),
                '?' => self.punct(Punct::Question, 1),
                '.' if next == Some('.') => self.punct(Punct::DotDot, 2),
                '.' => self.punct(Punct::Dot, 1),
                '+' => self.punct(Punct::Plus, 1),
                '-' if next == Some('>') => self.punct(Punct::Arrow, 2),
                '-' => self.punct(Punct::Minus, 1),
                '*' if next == Some('*') => self.punct(Punct::StarStar, 2),
                '*' => self.punct(Punct::Star, 1),
                '/' => self.punct(Punct::Slash, 1),
                '=' => self.punct(Punct::Eq, 1),
                '!' if next == Some('=') => self.punct(Punct::Ne, 2),
                '<' if next == Some('=') => self.punct(Punct::Le, 2),
                '<' => self.punct(Punct::Lt, 1),
                '>' if next == Some('=') => self.punct(Punct::Ge, 2),
                '>' => self.punct(Punct::Gt, 1),
                '\'' | '\u{2019}' => self.punct(Punct::Quote, c.len_utf8()),
                '!' => {
                    return Err(SyntaxError::new(
                        "unknown character `!`; write `!=` for “not equal” or `not(…)` for negation",
                        Span::new(self.pos, self.pos + 1),
                    ));
                }
                c => {
                    let shown = if c.is_control() {
                        format!("U+{:04X}", u32::from(c))
                    } else {
                        c.to_string()
                    };
                    return Err(SyntaxError::new(
                        format!("unknown character `{shown}`"),
                        Span::new(self.pos, self.pos + c.len_utf8()),
                    ));
                }
            }
        }
        Ok(())
    }

    fn line_comment(&mut self) {
        while let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            if c == '\n' || c == '\r' {
                break;
            }
        }
    }

    fn block_comment(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let body = self.text.get(start + 2..).unwrap_or("");
        match body.find("*/") {
            Some(at) => {
                self.pos = start + 2 + at + 2;
                Ok(())
            }
            None => Err(SyntaxError::new(
                "unterminated comment: `/*` has no closing `*/`",
                Span::new(start, self.text.len()),
            )),
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// Grammar rule 37 (`digits [ "." digits ] | "." digits`) plus the exponent the TCK
    /// exercises (`1.23e4`, `1.23e+4`, `1.23e-4`).
    fn number(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        self.digits();
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.digits();
        }
        let mantissa_end = self.pos;
        let has_exponent = matches!(self.peek(), Some('e' | 'E'))
            && match self.peek_at(1) {
                Some(c) if c.is_ascii_digit() => true,
                Some('+' | '-') => self.peek_at(2).is_some_and(|c| c.is_ascii_digit()),
                _ => false,
            };
        if has_exponent {
            self.pos += 2;
            self.digits();
        }
        let literal = self.text.get(start..self.pos).unwrap_or("");
        let mantissa = self.text.get(start..mantissa_end).unwrap_or("");
        let out_of_range = || {
            SyntaxError::new(
                format!(
                    "number `{literal}` cannot be represented exactly (at most 28 significant digits, magnitude below 7.9e28)"
                ),
                Span::new(start, self.pos),
            )
        };
        let exact = Decimal::from_str_exact(mantissa).map_err(|_| out_of_range())?;
        let value = if has_exponent {
            // The mantissa is exact (checked above); `from_scientific` only rescales it and
            // fails rather than round when the result does not fit.
            Decimal::from_scientific(literal).map_err(|_| out_of_range())?
        } else {
            exact
        };
        self.push(TokenKind::Number(value), start);
        Ok(())
    }

    /// A string literal starting at the `"` under the cursor (grammar rules 35 and 66).
    /// Unknown escapes (`\d`, `\s` in regular expressions) are kept as written.
    fn string(&mut self) -> Result<String, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(SyntaxError::new(
                    "unterminated string literal",
                    Span::new(open, self.text.len()),
                ));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => self.escape(&mut out, open)?,
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut String, open: usize) -> Result<(), SyntaxError> {
        let backslash = self.pos - 1;
        let Some(c) = self.peek() else {
            return Err(SyntaxError::new(
                "unterminated string literal",
                Span::new(open, self.text.len()),
            ));
        };
        self.pos += c.len_utf8();
        match c {
            '"' => out.push('"'),
            '\'' => out.push('\''),
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let unit = self.hex(4, backslash)?;
                let code = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by `\u` and a low surrogate.
                    let low_start = self.pos;
                    let low = if self
                        .text
                        .get(self.pos..)
                        .is_some_and(|r| r.starts_with("\\u"))
                    {
                        self.pos += 2;
                        Some(self.hex(4, low_start)?)
                    } else {
                        None
                    };
                    match low {
                        Some(low) if (0xDC00..0xE000).contains(&low) => {
                            0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        }
                        _ => {
                            return Err(SyntaxError::new(
                                format!(
                                    "invalid escape `{}`: a high surrogate must be followed by a low surrogate `\\uDC00`…`\\uDFFF`",
                                    self.text.get(backslash..backslash + 6).unwrap_or("")
                                ),
                                Span::new(backslash, self.pos),
                            ));
                        }
                    }
                } else {
                    unit
                };
                self.push_code_point(out, code, backslash)?;
            }
            'U' => {
                let code = self.hex(6, backslash)?;
                self.push_code_point(out, code, backslash)?;
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
        Ok(())
    }

    fn hex(&mut self, count: usize, escape_start: usize) -> Result<u32, SyntaxError> {
        let digits = self.text.get(self.pos..self.pos + count);
        match digits.filter(|d| d.chars().all(|c| c.is_ascii_hexdigit())) {
            Some(d) => {
                self.pos += count;
                u32::from_str_radix(d, 16).map_err(|_| self.bad_escape(escape_start))
            }
            None => Err(SyntaxError::new(
                format!(
                    "invalid escape `{}`: expected {count} hexadecimal digits",
                    self.escape_text(escape_start, count)
                ),
                Span::new(
                    escape_start,
                    (escape_start + 2 + count).min(self.text.len()),
                ),
            )),
        }
    }

    fn escape_text(&self, start: usize, count: usize) -> String {
        self.text
            .get(start..)
            .unwrap_or("")
            .chars()
            .take(2 + count)
            .take_while(|&c| c != '"')
            .collect()
    }

    fn bad_escape(&self, start: usize) -> SyntaxError {
        SyntaxError::new(
            format!("invalid escape `{}`", self.escape_text(start, 6)),
            Span::new(start, self.pos),
        )
    }

    fn push_code_point(
        &self,
        out: &mut String,
        code: u32,
        start: usize,
    ) -> Result<(), SyntaxError> {
        match char::from_u32(code) {
            Some(c) => {
                out.push(c);
                Ok(())
            }
            None => Err(SyntaxError::new(
                format!(
                    "invalid escape `{}`: not a unicode scalar value",
                    self.text.get(start..self.pos).unwrap_or("")
                ),
                Span::new(start, self.pos),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    fn p(s: &str) -> TokenKind {
        TokenKind::Punct(match s {
            "(" => Punct::LParen,
            ")" => Punct::RParen,
            "[" => Punct::LBracket,
            "]" => Punct::RBracket,
            "{" => Punct::LBrace,
            "}" => Punct::RBrace,
            "," => Punct::Comma,
            ":" => Punct::Colon,
            "." => Punct::Dot,
            ".." => Punct::DotDot,
            "+" => Punct::Plus,
            "-" => Punct::Minus,
            "*" => Punct::Star,
            "**" => Punct::StarStar,
            "/" => Punct::Slash,
            "=" => Punct::Eq,
            "!=" => Punct::Ne,
            "<" => Punct::Lt,
            "<=" => Punct::Le,
            ">" => Punct::Gt,
            ">=" => Punct::Ge,
            "->" => Punct::Arrow,
            "?" => Punct::Question,
            "'" => Punct::Quote,
            other => panic!("no punctuation `{other}`"),
        })
    }

    fn num(s: &str) -> TokenKind {
        TokenKind::Number(Decimal::from_str_exact(s).unwrap())
    }

    fn string(s: &str) -> TokenKind {
        TokenKind::String(s.to_string())
    }

    fn err(text: &str) -> SyntaxError {
        lex(text).unwrap_err()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1 1.5 .5 007"),
            vec![num("1"), num("1.5"), num("0.5"), num("7")]
        );
        assert_eq!(kinds("1..10"), vec![num("1"), p(".."), num("10")]);
        assert_eq!(kinds("1.x"), vec![num("1"), p("."), TokenKind::Word]);
        assert_eq!(kinds("1.23e4"), vec![num("12300")]);
        assert_eq!(kinds("1.23E+4"), vec![num("12300")]);
        assert_eq!(kinds("1.23e-4"), vec![num("0.000123")]);
        // `e` not followed by digits is a word.
        assert_eq!(kinds("2e"), vec![num("2"), TokenKind::Word]);
    }

    #[test]
    fn numbers_out_of_range() {
        let e = err("123456789012345678901234567890");
        assert!(e.message.contains("cannot be represented exactly"), "{e}");
        assert_eq!(e.span, Span::new(0, 30));
        assert!(
            err("0.00000000000000000000000000001")
                .message
                .contains("exactly")
        );
        assert!(err("1e40").message.contains("exactly"));
        assert!(err("1e-40").message.contains("exactly"));
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(kinds(r#""a\"b""#), vec![string("a\"b")]);
        assert_eq!(kinds(r#""\\ \n \r \t \'""#), vec![string("\\ \n \r \t '")]);
        assert_eq!(kinds(r#""\u0041\u00e9""#), vec![string("Aé")]);
        assert_eq!(kinds(r#""\uD83D\uDCA9""#), vec![string("💩")]);
        assert_eq!(kinds(r#""\ud83d\udc0e""#), vec![string("🐎")]);
        assert_eq!(kinds(r#""\U01F40E""#), vec![string("🐎")]);
        // Unknown escapes are kept for regular expressions.
        assert_eq!(kinds(r#""\d{3}\s""#), vec![string("\\d{3}\\s")]);
        assert_eq!(kinds(r#""""#), vec![string("")]);
        assert_eq!(kinds("\"line\nbreak\""), vec![string("line\nbreak")]);
    }

    #[test]
    fn string_errors() {
        let e = err(r#"x + "abc"#);
        assert_eq!(e.message, "unterminated string literal");
        assert_eq!(e.span, Span::new(4, 8));
        assert!(err(r#""\u12""#).message.contains("hexadecimal"));
        assert!(err(r#""\uD83D""#).message.contains("surrogate"));
        assert!(err(r#""\uD83Dx""#).message.contains("surrogate"));
        assert!(err(r#""\uD83D\u0041""#).message.contains("surrogate"));
        assert!(err(r#""\uDC00""#).message.contains("unicode scalar"));
        assert!(err(r#""\U110000""#).message.contains("unicode scalar"));
        assert_eq!(err("\"abc\\").message, "unterminated string literal");
    }

    #[test]
    fn temporal_literals() {
        assert_eq!(
            kinds(r#"@"2024-01-31" @"P1D""#),
            vec![
                TokenKind::Temporal("2024-01-31".into()),
                TokenKind::Temporal("P1D".into())
            ]
        );
        assert_eq!(err("@x").message, "expected a string literal after `@`");
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(kinds("1 + /* 1 + */ 1"), vec![num("1"), p("+"), num("1")]);
        assert_eq!(
            kinds("1 + // eol\n 1 // end"),
            vec![num("1"), p("+"), num("1")]
        );
        let e = err("1 /* open");
        assert!(e.message.starts_with("unterminated comment"));
        assert_eq!(e.span, Span::new(2, 9));
    }

    #[test]
    fn operators() {
        assert_eq!(
            kinds("( ) [ ] { } , : . .. + - * ** / = != < <= > >= -> ? ' ’"),
            [
                "(", ")", "[", "]", "{", "}", ",", ":", ".", "..", "+", "-", "*", "**", "/", "=",
                "!=", "<", "<=", ">", ">=", "->", "?", "'", "'"
            ]
            .iter()
            .map(|s| p(s))
            .collect::<Vec<_>>()
        );
        assert_eq!(kinds("a-b"), vec![TokenKind::Word, p("-"), TokenKind::Word]);
    }

    #[test]
    fn words_and_spans() {
        let tokens = lex("  Customer Age\t_x1 été 🐎").unwrap();
        let spans: Vec<(usize, usize)> = tokens.iter().map(|t| (t.start, t.end)).collect();
        assert_eq!(spans, vec![(2, 10), (11, 14), (15, 18), (19, 24), (25, 29)]);
        assert!(tokens.iter().all(|t| t.kind == TokenKind::Word));
        // Non-breaking space and other FEEL white space separate words.
        assert_eq!(lex("a\u{A0}b\u{2003}c").unwrap().len(), 3);
    }

    #[test]
    fn unknown_characters() {
        let e = err("a # b");
        assert_eq!(e.message, "unknown character `#`");
        assert_eq!(e.span, Span::new(2, 3));
        assert!(err("a ! b").message.starts_with("unknown character `!`"));
        assert_eq!(err("a\u{0}").message, "unknown character `U+0000`");
        assert_eq!(err("a ; b").span, Span::new(2, 3));
    }
}
