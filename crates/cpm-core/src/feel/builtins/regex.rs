//! XML Schema / XPath regular expressions (as used by `matches`, `replace` and `split`)
//! translated to `regex-lite` syntax.
//!
//! Supported: literals, `.`, `^`, `$`, groups `( )` and `(?: )`, alternation, greedy and
//! lazy quantifiers, character classes with ranges and negation, the escapes `\n \r \t`,
//! escaped metacharacters, and `\d \D \s \S \w \W`; flags `s`, `m`, `i`, `x`, `q`.
//!
//! Known gaps (the pattern is rejected, so the function returns `null`, never a wrong
//! answer): back-references (`\1`), Unicode categories and blocks (`\p{…}`, `\P{…}`),
//! XML name classes (`\i \c \I \C`), character class subtraction (`[a-z-[aeiou]]`).
//! Approximations: `\d` matches ASCII digits only; `\w` is computed for ASCII exactly
//! (letters, digits and symbols, not punctuation) and treats every non-ASCII character
//! above U+00A0 as a word character; case-insensitive matching folds ASCII only.

use regex_lite::{Captures, Regex, RegexBuilder};

/// The largest compiled program accepted, in bytes.
const SIZE_LIMIT: usize = 1 << 20;
/// The deepest nesting of groups accepted.
const NEST_LIMIT: u32 = 64;

/// XML Schema `\w`: everything except punctuation, separators and control characters.
const WORD: &str = r##"[^\x00-\x20!"\#%\&'()*,\-./:;?@\[\\\]_{}\x7F-\xA0]"##;
/// XML Schema `\W`.
const NOT_WORD: &str = r##"[\x00-\x20!"\#%\&'()*,\-./:;?@\[\\\]_{}\x7F-\xA0]"##;

/// Regex flags of XPath `fn:matches`.
#[derive(Clone, Copy, Debug, Default)]
struct Flags {
    dot_all: bool,
    multi_line: bool,
    case_insensitive: bool,
    extended: bool,
    literal: bool,
}

fn parse_flags(flags: &str) -> Option<Flags> {
    let mut f = Flags::default();
    for ch in flags.chars() {
        match ch {
            's' => f.dot_all = true,
            'm' => f.multi_line = true,
            'i' => f.case_insensitive = true,
            'x' => f.extended = true,
            'q' => f.literal = true,
            _ => return None,
        }
    }
    Some(f)
}

/// Compiles an XPath regular expression with XPath flags. `None` when the pattern or the
/// flags are invalid or use an unsupported construct.
pub(super) fn compile(pattern: &str, flags: &str) -> Option<Regex> {
    let f = parse_flags(flags)?;
    let translated = if f.literal {
        regex_lite::escape(pattern)
    } else {
        let source = if f.extended {
            strip_whitespace(pattern)
        } else {
            pattern.to_owned()
        };
        translate(&source, f.dot_all)?
    };
    RegexBuilder::new(&translated)
        .case_insensitive(f.case_insensitive)
        .multi_line(f.multi_line)
        .size_limit(SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .ok()
}

/// Removes whitespace outside character classes (the `x` flag), also between a backslash
/// and the character it escapes, as XPath does.
fn strip_whitespace(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut escaped = false;
    for ch in pattern.chars() {
        if !in_class && matches!(ch, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        if escaped {
            out.push(ch);
            escaped = false;
            continue;
        }
        match ch {
            '\\' => {
                escaped = true;
                out.push(ch);
            }
            '[' => {
                in_class = true;
                out.push(ch);
            }
            ']' => {
                in_class = false;
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

/// Translates an XPath regex (after flag handling) into regex-lite syntax.
fn translate(pattern: &str, dot_all: bool) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '\\' => {
                let e = *chars.get(i)?;
                i += 1;
                out.push_str(&escape_outside(e)?);
            }
            '.' => out.push_str(if dot_all { "(?s:.)" } else { "[^\\n\\r]" }),
            '[' => {
                let (class, next) = translate_class(&chars, i)?;
                out.push_str(&class);
                i = next;
            }
            '(' => {
                if chars.get(i) == Some(&'?') {
                    if chars.get(i + 1) != Some(&':') {
                        return None;
                    }
                    out.push_str("(?:");
                    i += 2;
                } else {
                    out.push('(');
                }
            }
            ']' => return None,
            '#' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

fn escape_outside(e: char) -> Option<String> {
    Some(match e {
        'd' => "[0-9]".to_owned(),
        'D' => "[^0-9]".to_owned(),
        's' => "[ \\t\\n\\r]".to_owned(),
        'S' => "[^ \\t\\n\\r]".to_owned(),
        'w' => WORD.to_owned(),
        'W' => NOT_WORD.to_owned(),
        'n' => "\\n".to_owned(),
        'r' => "\\r".to_owned(),
        't' => "\\t".to_owned(),
        '\\' | '|' | '.' | '-' | '^' | '?' | '*' | '+' | '{' | '}' | '(' | ')' | '[' | ']'
        | '$' => format!("\\{e}"),
        _ => return None,
    })
}

/// Translates a character class starting after its `[`; returns the class and the index
/// after its `]`.
fn translate_class(chars: &[char], mut i: usize) -> Option<(String, usize)> {
    let mut out = String::from("[");
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut empty = true;
    loop {
        let c = *chars.get(i)?;
        i += 1;
        match c {
            ']' if !empty => break,
            ']' | '[' => return None,
            '\\' => {
                let e = *chars.get(i)?;
                i += 1;
                out.push_str(match e {
                    'd' => "0-9",
                    's' => " \\t\\n\\r",
                    'n' => "\\n",
                    'r' => "\\r",
                    't' => "\\t",
                    '\\' => "\\\\",
                    '|' => "|",
                    '.' => ".",
                    '-' => "\\-",
                    '^' => "\\^",
                    '?' => "?",
                    '*' => "*",
                    '+' => "+",
                    '{' => "{",
                    '}' => "}",
                    '(' => "(",
                    ')' => ")",
                    '[' => "\\[",
                    ']' => "\\]",
                    '$' => "$",
                    _ => return None,
                });
            }
            '-' if chars.get(i) == Some(&'[') => return None,
            '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        empty = false;
    }
    out.push(']');
    Some((out, i))
}

/// One piece of an XPath replacement string.
#[derive(Debug)]
enum Piece {
    Text(String),
    Group(usize),
}

/// Parses an XPath replacement string (`$N` group references, `\$` and `\\` escapes) for
/// a regex with `groups` capture groups. `None` when it is invalid.
fn parse_replacement(rep: &str, groups: usize) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e @ ('\\' | '$') => lit.push(e),
                _ => return None,
            },
            '$' => {
                let first = chars.next()?.to_digit(10)?;
                let mut n = usize::try_from(first).ok()?;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    let longer = n * 10 + usize::try_from(d).ok()?;
                    if longer > groups {
                        break;
                    }
                    n = longer;
                    chars.next();
                }
                if !lit.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Group(n));
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Text(lit));
    }
    Some(pieces)
}

/// XPath `fn:replace`: every non-overlapping match replaced by the expanded replacement.
pub(super) fn replace_all(re: &Regex, input: &str, replacement: &str) -> Option<String> {
    let groups = re.captures_len().saturating_sub(1);
    let pieces = parse_replacement(replacement, groups)?;
    let mut out = String::with_capacity(input.len());
    let mut last = 0;
    for caps in re.captures_iter(input) {
        let whole = caps.get(0)?;
        out.push_str(input.get(last..whole.start())?);
        expand(&pieces, &caps, &mut out);
        last = whole.end();
    }
    out.push_str(input.get(last..)?);
    Some(out)
}

fn expand(pieces: &[Piece], caps: &Captures<'_>, out: &mut String) {
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Group(n) => {
                if let Some(m) = caps.get(*n) {
                    out.push_str(m.as_str());
                }
            }
        }
    }
}
