//! Type references (`instance of`, typed function parameters, [`super::parse_type_ref`]):
//! `number`, `date and time`, `list<T>`, `range<T>`, `context<a: T>`,
//! `function<T, U> -> R`, `Any`, `Null`, item definition names.

use super::{PResult, Parser};
use crate::feel::ast::{Name, TypeRef};
use crate::feel::lexer::Punct;

/// How a type name ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TypeMode {
    /// The type is delimited (`function(a: T, …)`, `list<T>`, a whole text): a type name
    /// takes every following name part, spaces included.
    Greedy,
    /// The type is followed by more expression (`x instance of T and …`): a multi-word type
    /// name must be a built-in one or a known name; otherwise it is a single (qualified) word.
    Expr,
}

/// The built-in type names made of several words.
const MULTI_WORD_TYPES: &[&str] = &[
    "date and time",
    "days and time duration",
    "years and months duration",
];

impl Parser<'_> {
    /// A type reference, one nesting level deeper.
    pub(super) fn parse_type(&mut self, mode: TypeMode) -> PResult<TypeRef> {
        self.enter()?;
        let ty = self.parse_type_inner(mode)?;
        self.leave();
        Ok(ty)
    }

    fn parse_type_inner(&mut self, mode: TypeMode) -> PResult<TypeRef> {
        let Some(word) = self.word_at(0) else {
            return Err(self.expected("a type"));
        };
        if self.punct_at(1) == Some(Punct::Lt) {
            match word {
                "list" | "range" => {
                    self.pos += 2;
                    let item = Box::new(self.parse_type(TypeMode::Greedy)?);
                    self.expect_punct(Punct::Gt, || format!("`>` to close `{word}<`"))?;
                    return Ok(if word == "list" {
                        TypeRef::List(item)
                    } else {
                        TypeRef::Range(item)
                    });
                }
                "context" => {
                    self.pos += 2;
                    return self.parse_context_type();
                }
                "function" => {
                    self.pos += 2;
                    return self.parse_function_type(mode);
                }
                _ => {}
            }
        }
        let name = match mode {
            TypeMode::Greedy => self.declared_name("a type", None)?.0,
            TypeMode::Expr => self.expr_type_name(),
        };
        Ok(match name.as_str() {
            "Any" => TypeRef::Any,
            "Null" => TypeRef::Null,
            _ => TypeRef::Named(name),
        })
    }

    /// After `context<`: `key: T, …>`.
    fn parse_context_type(&mut self) -> PResult<TypeRef> {
        let mut entries: Vec<(Name, TypeRef)> = Vec::new();
        if !self.eat_punct(Punct::Gt) {
            loop {
                let (key, key_span) = self.declared_name("a context type key", None)?;
                self.expect_punct(Punct::Colon, || format!("`:` after the key `{key}`"))?;
                if entries.iter().any(|(k, _)| *k == key) {
                    return Err(crate::feel::err::SyntaxError::new(
                        format!("duplicate context key `{key}`"),
                        key_span,
                    ));
                }
                let ty = self.parse_type(TypeMode::Greedy)?;
                entries.push((key, ty));
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
            self.expect_punct(Punct::Gt, || "`,` or `>` in `context<…>`".to_string())?;
        }
        Ok(TypeRef::Context(entries))
    }

    /// After `function<`: `T, …> -> R`.
    fn parse_function_type(&mut self, mode: TypeMode) -> PResult<TypeRef> {
        let mut params = Vec::new();
        if !self.eat_punct(Punct::Gt) {
            loop {
                params.push(self.parse_type(TypeMode::Greedy)?);
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
            self.expect_punct(Punct::Gt, || "`,` or `>` in `function<…>`".to_string())?;
        }
        self.expect_punct(Punct::Arrow, || {
            "`->` and the result type after `function<…>`".to_string()
        })?;
        let result = self.parse_type(mode)?;
        Ok(TypeRef::Function(params, Box::new(result)))
    }

    /// A type name inside an expression: a built-in multi-word type, else the longest known
    /// name, else one word; then `.word` qualifications.
    fn expr_type_name(&mut self) -> String {
        let builtin = self.longest_builtin_type();
        let mut name = match builtin {
            Some((name, count)) => {
                self.pos += count;
                name
            }
            None => self.take_name(false).map(|(n, _)| n).unwrap_or_default(),
        };
        while self.punct() == Some(Punct::Dot) && self.word_at(1).is_some() {
            self.pos += 1;
            if let Some((part, _)) = self.take_name(false) {
                name.push('.');
                name.push_str(&part);
            }
        }
        name
    }

    /// The longest of [`MULTI_WORD_TYPES`] spelled by the next words.
    fn longest_builtin_type(&self) -> Option<(String, usize)> {
        let mut candidate = String::new();
        let mut best = None;
        for count in 0.. {
            let Some(word) = self.word_at(count) else {
                break;
            };
            if count > 0 {
                candidate.push(' ');
            }
            candidate.push_str(word);
            if MULTI_WORD_TYPES.contains(&candidate.as_str()) {
                best = Some((candidate.clone(), count + 1));
            }
            let is_prefix = MULTI_WORD_TYPES.iter().any(|t| {
                t.strip_prefix(candidate.as_str())
                    .is_some_and(|rest| rest.starts_with(' '))
            });
            if !is_prefix {
                break;
            }
        }
        best
    }
}
