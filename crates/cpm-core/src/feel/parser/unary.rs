//! Unary tests: decision table input cells (`-`, `not(…)`, `< 5, [1..10)`) and the right
//! side of `in` (one positive unary test, or a parenthesised list of them).

use super::{PResult, Parser};
use crate::feel::ast::{CmpOp, Span, UnaryTest, UnaryTests};
use crate::feel::err::SyntaxError;
use crate::feel::lexer::Punct;
use crate::feel::names::Names;

/// The comparison operator that starts a simple positive unary test (`< 5`, `= "a"`).
fn unary_cmp_op(punct: Punct) -> Option<CmpOp> {
    Some(match punct {
        Punct::Lt => CmpOp::Lt,
        Punct::Le => CmpOp::Le,
        Punct::Gt => CmpOp::Gt,
        Punct::Ge => CmpOp::Ge,
        Punct::Eq => CmpOp::Eq,
        Punct::Ne => CmpOp::Ne,
        _ => return None,
    })
}

pub(super) fn parse_unary_tests(text: &str, names: &Names) -> Result<UnaryTests, SyntaxError> {
    let mut parser = Parser::new(text, names)?;
    if parser.at_end() {
        return Err(parser.error_here(
            "expected a unary test, found an empty cell; write `-` to match any value",
        ));
    }
    if parser.tokens.len() == 1 && parser.punct() == Some(Punct::Minus) {
        return Ok(UnaryTests::Any);
    }
    if parser.is_word("not") && parser.punct_at(1) == Some(Punct::LParen) {
        // `not(t1, t2)` covering the whole cell negates; anything else (`not(x) = y`) is a
        // positive test calling the `not` function, so parse again from the start.
        let negated = parser.parse_not();
        let not_error = match negated {
            Ok(tests) if parser.at_end() => return Ok(UnaryTests::Not(tests)),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        let mut again = Parser::new(text, names)?;
        return match again.parse_positive_tests() {
            Ok(tests) => Ok(UnaryTests::Positive(tests)),
            Err(e) => Err(not_error.unwrap_or(e)),
        };
    }
    Ok(UnaryTests::Positive(parser.parse_positive_tests()?))
}

impl Parser<'_> {
    /// `not ( positive unary tests )`.
    fn parse_not(&mut self) -> PResult<Vec<UnaryTest>> {
        self.pos += 2; // `not` `(`
        self.enter()?;
        let mut tests = Vec::new();
        loop {
            tests.push(self.parse_positive_test()?);
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.expect_punct(Punct::RParen, || {
            "`,` or `)` after the tests of `not(…)`".to_string()
        })?;
        self.leave();
        Ok(tests)
    }

    /// Comma-separated positive unary tests filling the whole text.
    fn parse_positive_tests(&mut self) -> PResult<Vec<UnaryTest>> {
        let mut tests = Vec::new();
        loop {
            tests.push(self.parse_positive_test()?);
            if self.eat_punct(Punct::Comma) {
                continue;
            }
            if self.at_end() {
                return Ok(tests);
            }
            return Err(self.expected("`,` or the end of the unary tests"));
        }
    }

    /// `< e` (and the other comparison operators) or any expression.
    fn parse_positive_test(&mut self) -> PResult<UnaryTest> {
        if let Some(op) = self.punct().and_then(unary_cmp_op) {
            self.pos += 1;
            self.enter()?;
            let endpoint = self.parse_additive()?;
            self.leave();
            return Ok(UnaryTest::Compare(op, endpoint));
        }
        if self.punct() == Some(Punct::Minus) && !self.can_start_expression(1) {
            return Err(self.error_here("`-` (any value) must be the only test of a cell"));
        }
        Ok(UnaryTest::Expr(self.parse_expr()?))
    }

    /// The right side of `in`; returns the tests and the end of the last token.
    pub(super) fn parse_in_tests(&mut self) -> PResult<(Vec<UnaryTest>, usize)> {
        if self.punct() != Some(Punct::LParen) {
            let test = if let Some(op) = self.punct().and_then(unary_cmp_op) {
                self.pos += 1;
                self.enter()?;
                let endpoint = self.parse_additive()?;
                self.leave();
                UnaryTest::Compare(op, endpoint)
            } else {
                UnaryTest::Expr(self.parse_additive()?)
            };
            return Ok((vec![test], self.prev_end()));
        }
        let open: Span = self.cur_span();
        self.pos += 1;
        self.enter()?;
        let mut tests = Vec::new();
        loop {
            if let Some(op) = self.punct().and_then(unary_cmp_op) {
                self.pos += 1;
                let endpoint = self.parse_additive()?;
                tests.push(UnaryTest::Compare(op, endpoint));
            } else {
                let expr = self.parse_expr()?;
                // `x in (1..5]`: the `(` opened a range, not a list of tests.
                if tests.is_empty() && self.eat_punct(Punct::DotDot) {
                    let range = self.parse_range_end(open, false, expr)?;
                    self.leave();
                    let end = range.span.end as usize;
                    return Ok((vec![UnaryTest::Expr(range)], end));
                }
                tests.push(UnaryTest::Expr(expr));
            }
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        let close = self.expect_punct(Punct::RParen, || {
            "`,` or `)` in the tests after `in`".to_string()
        })?;
        self.leave();
        Ok((tests, close.end))
    }
}
