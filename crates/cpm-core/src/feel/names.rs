//! Known FEEL names: the set the parser consults to recognise names made of several words
//! (`Customer Age`, `date and time`) or containing name symbols (`Income/Expenses`).
//!
//! Pipeline position: built by the caller (the compile stage knows the model's inputs,
//! decisions, knowledge models and item definitions) and handed to
//! [`crate::feel::parser`]. Names are matched token by token: a multi-word name matches the
//! expression text when the text's tokens are the name's tokens with whitespace exactly
//! where the name has a space, so `Income/Expenses` matches `Income/Expenses` but
//! `Income / Expenses` stays a division.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::lexer::{self, Token, TokenKind};

/// Every DMN 1.5 built-in function name, multi-word ones included.
pub const BUILTIN_NAMES: &[&str] = &[
    // Conversion functions (10.3.4.1).
    "date",
    "date and time",
    "time",
    "number",
    "string",
    "duration",
    "years and months duration",
    "range",
    // Boolean functions (10.3.4.2).
    "not",
    // String functions (10.3.4.3).
    "substring",
    "string length",
    "upper case",
    "lower case",
    "substring before",
    "substring after",
    "replace",
    "contains",
    "starts with",
    "ends with",
    "matches",
    "split",
    "string join",
    // List functions (10.3.4.4).
    "list contains",
    "count",
    "min",
    "max",
    "sum",
    "mean",
    "all",
    "any",
    "sublist",
    "append",
    "concatenate",
    "insert before",
    "remove",
    "reverse",
    "index of",
    "union",
    "distinct values",
    "flatten",
    "product",
    "median",
    "stddev",
    "mode",
    "list replace",
    // Numeric functions (10.3.4.5).
    "decimal",
    "floor",
    "ceiling",
    "round up",
    "round down",
    "round half up",
    "round half down",
    "abs",
    "modulo",
    "sqrt",
    "log",
    "exp",
    "odd",
    "even",
    // Date and time functions (10.3.4.6).
    "is",
    // Range functions (10.3.4.7).
    "before",
    "after",
    "meets",
    "met by",
    "overlaps",
    "overlaps before",
    "overlaps after",
    "finishes",
    "finished by",
    "includes",
    "during",
    "starts",
    "started by",
    "coincides",
    // Temporal built-in functions (10.3.4.8).
    "day of year",
    "day of week",
    "month of year",
    "week of year",
    // Sort (10.3.4.9).
    "sort",
    // Context functions (10.3.4.10).
    "get value",
    "get entries",
    "context",
    "context put",
    "context merge",
    // Miscellaneous functions (10.3.4.11).
    "now",
    "today",
];

/// The properties of built-in values whose names have several words (`t.time offset`,
/// `r.start included`); the parser recognises them after `.`.
pub const PROPERTY_NAMES: &[&str] = &["time offset", "start included", "end included"];

/// A multiset of names with all their token-boundary prefixes, so the parser can extend a
/// candidate name token by token and stop as soon as no known name starts with it.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameSet {
    /// Complete names, with how many times each was added.
    full: BTreeMap<String, u32>,
    /// Proper prefixes (at token boundaries) of the complete names, with counts.
    prefixes: BTreeMap<String, u32>,
}

impl NameSet {
    /// Adds a name given by its progressive candidates (see [`candidates`]).
    pub(crate) fn add(&mut self, candidates: &[String]) {
        let Some((last, proper)) = candidates.split_last() else {
            return;
        };
        *self.full.entry(last.clone()).or_insert(0) += 1;
        for prefix in proper {
            *self.prefixes.entry(prefix.clone()).or_insert(0) += 1;
        }
    }

    /// Removes a name previously added with the same candidates.
    pub(crate) fn remove(&mut self, candidates: &[String]) {
        let Some((last, proper)) = candidates.split_last() else {
            return;
        };
        decrement(&mut self.full, last);
        for prefix in proper {
            decrement(&mut self.prefixes, prefix);
        }
    }

    /// Whether `candidate` is a complete name of the set.
    pub(crate) fn is_full(&self, candidate: &str) -> bool {
        self.full.contains_key(candidate)
    }

    /// Whether some longer name of the set starts with `candidate` (at a token boundary).
    pub(crate) fn is_prefix(&self, candidate: &str) -> bool {
        self.prefixes.contains_key(candidate)
    }
}

fn decrement(map: &mut BTreeMap<String, u32>, key: &str) {
    if let Some(count) = map.get_mut(key) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            map.remove(key);
        }
    }
}

/// The set of names known where an expression is parsed (input data, decisions, BKMs,
/// context keys…), used to recognise names that contain spaces or other FEEL name symbols.
#[derive(Clone, Debug)]
pub struct Names {
    set: NameSet,
}

impl Names {
    /// A set holding every built-in function name ([`BUILTIN_NAMES`]).
    pub fn new() -> Self {
        let mut names = Self::empty();
        for name in BUILTIN_NAMES {
            names.insert(name);
        }
        names
    }

    /// A set without any name, not even the built-ins.
    pub(crate) fn empty() -> Self {
        Self {
            set: NameSet::default(),
        }
    }

    /// Adds `name`; runs of whitespace in it count as a single space.
    pub fn insert(&mut self, name: &str) {
        self.set.add(&candidates(name));
    }

    /// Whether `name` (whitespace runs counting as a single space) is in the set.
    pub fn contains(&self, name: &str) -> bool {
        candidates(name)
            .last()
            .is_some_and(|key| self.set.is_full(key))
    }

    /// The underlying set, for the parser's longest-match lookups.
    pub(crate) fn set(&self) -> &NameSet {
        &self.set
    }
}

/// [`PROPERTY_NAMES`] as a set.
pub(crate) fn properties() -> &'static NameSet {
    static PROPERTIES: LazyLock<NameSet> = LazyLock::new(|| {
        let mut set = NameSet::default();
        for name in PROPERTY_NAMES {
            set.add(&candidates(name));
        }
        set
    });
    &PROPERTIES
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a token may continue a multi-word name (after its first word).
pub(crate) fn continues_name(kind: &TokenKind) -> bool {
    use lexer::Punct;
    match kind {
        TokenKind::Word | TokenKind::Number(_) => true,
        TokenKind::Punct(p) => matches!(
            p,
            Punct::Dot | Punct::Slash | Punct::Minus | Punct::Plus | Punct::Star | Punct::Quote
        ),
        TokenKind::String(_) | TokenKind::Temporal(_) => false,
    }
}

/// Appends `token` to a candidate name being built from consecutive tokens: a single space
/// when there is a gap (whitespace or comment) after `prev_end`, then the token's text.
pub(crate) fn push_part(
    candidate: &mut String,
    prev_end: Option<usize>,
    token: &Token,
    text: &str,
) {
    if prev_end.is_some_and(|end| end != token.start) {
        candidate.push(' ');
    }
    candidate.push_str(text.get(token.start..token.end).unwrap_or(""));
}

/// The progressive candidates of a name: the name built from its first token, from its first
/// two tokens, …, up to the whole name (the last one, the name's normalised form).
///
/// A name that does not lex as a FEEL name (it contains characters the lexer rejects, or does
/// not start with a word) gets a single candidate, its text with whitespace runs collapsed;
/// such a name can be looked up with [`Names::contains`] but never matches expression text.
pub(crate) fn candidates(name: &str) -> Vec<String> {
    if let Ok(tokens) = lexer::lex(name) {
        let well_formed = tokens.first().is_some_and(|t| t.kind == TokenKind::Word)
            && tokens.iter().all(|t| continues_name(&t.kind));
        if well_formed {
            let mut out = Vec::with_capacity(tokens.len());
            let mut candidate = String::new();
            let mut prev_end = None;
            for token in &tokens {
                push_part(&mut candidate, prev_end, token, name);
                prev_end = Some(token.end);
                out.push(candidate.clone());
            }
            return out;
        }
    }
    vec![collapse_whitespace(name)]
}

/// `name` trimmed, with every run of whitespace replaced by one space.
fn collapse_whitespace(name: &str) -> String {
    name.split(lexer::is_whitespace)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_known() {
        let names = Names::new();
        for name in BUILTIN_NAMES {
            assert!(names.contains(name), "{name}");
        }
        assert!(names.contains("date and time"));
        assert!(names.contains("date  and\ttime"));
        assert!(!names.contains("date and"));
        assert!(!names.contains("Customer Age"));
    }

    #[test]
    fn builtin_list_has_no_duplicates() {
        let mut sorted: Vec<&str> = BUILTIN_NAMES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), BUILTIN_NAMES.len());
    }

    #[test]
    fn insert_normalises_whitespace() {
        let mut names = Names::default();
        names.insert("  Customer \n  Age ");
        assert!(names.contains("Customer Age"));
        assert!(names.contains("Customer   Age"));
        assert!(!names.contains("CustomerAge"));
    }

    #[test]
    fn candidates_follow_tokens() {
        assert_eq!(
            candidates("Income/Expenses"),
            vec!["Income", "Income/", "Income/Expenses"]
        );
        assert_eq!(
            candidates("Customer's  Age"),
            vec!["Customer", "Customer'", "Customer's", "Customer's Age"]
        );
        assert_eq!(candidates("Loan #1"), vec!["Loan #1"]);
        assert_eq!(candidates("1st place"), vec!["1st place"]);
    }

    #[test]
    fn name_set_counts_insertions() {
        let mut set = NameSet::default();
        let c = candidates("monthly fee");
        set.add(&c);
        set.add(&c);
        assert!(set.is_full("monthly fee") && set.is_prefix("monthly"));
        set.remove(&c);
        assert!(set.is_full("monthly fee"));
        set.remove(&c);
        assert!(!set.is_full("monthly fee") && !set.is_prefix("monthly"));
    }
}
