//! Names in the parser: longest-match recognition of known names made of several tokens,
//! names declared by the expression itself, and their scopes.

use super::{PResult, Parser};
use crate::feel::ast::Span;
use crate::feel::lexer::TokenKind;
use crate::feel::names::{candidates, continues_name, properties, push_part};

impl Parser<'_> {
    /// Brings `name` into scope until the matching [`Parser::pop_locals`].
    pub(super) fn push_local(&mut self, name: &str) {
        let candidates = candidates(name);
        self.locals.add(&candidates);
        self.local_stack.push(candidates);
    }

    /// Takes the `count` innermost local names out of scope.
    pub(super) fn pop_locals(&mut self, count: usize) {
        for _ in 0..count {
            if let Some(candidates) = self.local_stack.pop() {
                self.locals.remove(&candidates);
            }
        }
    }

    /// Remembers a context key as a name that may follow `.` for the rest of the text.
    pub(super) fn add_member(&mut self, name: &str) {
        self.members.add(&candidates(name));
    }

    fn known_full(&self, candidate: &str, member: bool) -> bool {
        self.names.set().is_full(candidate)
            || self.locals.is_full(candidate)
            || (member && (self.members.is_full(candidate) || properties().is_full(candidate)))
    }

    fn known_prefix(&self, candidate: &str, member: bool) -> bool {
        self.names.set().is_prefix(candidate)
            || self.locals.is_prefix(candidate)
            || (member && (self.members.is_prefix(candidate) || properties().is_prefix(candidate)))
    }

    /// The longest known name starting at the current token (which must be a word): the
    /// normalised name, how many tokens it spans, and its span. `member` adds the context
    /// keys seen so far and the multi-word properties (`time offset`) to the known names
    /// (for names after `.`). Falls back to the single
    /// word when no known name matches.
    pub(super) fn match_name(&self, member: bool) -> Option<(String, usize, Span)> {
        let first = self.tok_at(0).filter(|t| t.kind == TokenKind::Word)?;
        let single = (self.slice(first).to_string(), 1, first.span());
        let mut best = None;
        let mut candidate = String::new();
        let mut prev_end = None;
        for (count, token) in self.tokens.iter().skip(self.pos).enumerate() {
            if !continues_name(&token.kind) {
                break;
            }
            push_part(&mut candidate, prev_end, token, self.text);
            prev_end = Some(token.end);
            if self.known_full(&candidate, member) {
                best = Some((
                    candidate.clone(),
                    count + 1,
                    Span::new(first.start, token.end),
                ));
            }
            if !self.known_prefix(&candidate, member) {
                break;
            }
        }
        Some(best.unwrap_or(single))
    }

    /// Consumes the longest name at the current token (see [`Parser::match_name`]).
    pub(super) fn take_name(&mut self, member: bool) -> Option<(String, Span)> {
        let (name, count, span) = self.match_name(member)?;
        self.pos += count;
        Some((name, span))
    }

    /// A name being declared (iteration variable, parameter, context key, argument name,
    /// context type key): a word followed by every name part up to a token that cannot be
    /// in a name, or up to the word `stop`. Normalised to single spaces.
    pub(super) fn declared_name(
        &mut self,
        what: &str,
        stop: Option<&str>,
    ) -> PResult<(String, Span)> {
        let starts_well = self
            .word_at(0)
            .is_some_and(|w| Some(w) != stop && !matches!(w, "true" | "false" | "null"));
        if !starts_well {
            return Err(self.expected(what));
        }
        let start = self.cur_span().start as usize;
        let mut name = String::new();
        let mut prev_end = None;
        while let Some(token) = self.tok_at(0) {
            if !continues_name(&token.kind)
                || (token.kind == TokenKind::Word && stop.is_some_and(|s| s == self.slice(token)))
            {
                break;
            }
            push_part(&mut name, prev_end, token, self.text);
            prev_end = Some(token.end);
            self.pos += 1;
        }
        Ok((name, Span::new(start, self.prev_end())))
    }

    /// Whether a named argument (`name:`) starts at the current token.
    pub(super) fn named_arg_ahead(&self) -> bool {
        if self.word_at(0).is_none() {
            return false;
        }
        let after = self
            .tokens
            .iter()
            .skip(self.pos)
            .find(|t| !continues_name(&t.kind));
        after.is_some_and(|t| t.kind == TokenKind::Punct(crate::feel::lexer::Punct::Colon))
    }
}
