//! FEEL parser (DMN 1.5 chapter 10 grammar): text → [`crate::feel::ast`].
//!
//! Pipeline position: after [`crate::feel::lexer`], before the evaluator. One pass over the
//! token list, recursive descent with one function per precedence level (lowest first):
//! `if`/`for`/`some`/`every`/`function` (bodies extend as far right as possible, parsed as
//! primaries), `or`, `and`, comparison (`=` `!=` `<` `<=` `>` `>=` `between` `in`),
//! `instance of`, `+` `-`, `*` `/`, `**` (left associative, as the DMN TCK requires), unary
//! `-` (binding tighter than `**`: `-3 ** 2` is 9), then the postfix path `.name`, filter
//! `[e]` and invocation `(args)`.
//!
//! Binary operators are parsed with loops, so long chains (`a + a + … + a`) cost no
//! recursion. Everything that does nest (brackets, `if` chains, unary minus runs, postfix
//! chains, types) counts towards [`MAX_NESTING`], so hostile input gets a [`SyntaxError`]
//! instead of a stack overflow.
//!
//! Names with spaces are recognised against a [`Names`] set plus the names an expression
//! introduces for the rest of itself (iteration variables, function parameters, context
//! keys); see [`crate::feel::names`].

mod scope;
#[cfg(test)]
mod tests;
mod types;
mod unary;

use std::sync::Arc;

use rust_decimal::Decimal;

use super::ast::{
    Args, ArithOp, CmpOp, Expr, ExprKind, Iteration, IterationSource, Name, Quantifier, Span,
    TypeRef, UnaryTest, UnaryTests,
};
use super::err::SyntaxError;
use super::lexer::{self, Punct, Token, TokenKind};
use super::names::{NameSet, Names};

use types::TypeMode;

/// How deep expressions may nest (brackets, `if` chains, unary minus runs, postfix chains,
/// operator chains such as `a + b + c`, types); deeper nesting is a [`SyntaxError`], never a
/// stack overflow, and keeps every tree shallow enough to evaluate, encode and drop.
pub const MAX_NESTING: u32 = 100;

/// Parses a FEEL expression (a literal expression, an output cell, a context entry…).
///
/// # Errors
///
/// A [`SyntaxError`] pointing at the offending token when `text` is not a FEEL expression,
/// nests deeper than [`MAX_NESTING`], or defines an external function.
pub fn parse_expression(text: &str, names: &Names) -> Result<Expr, SyntaxError> {
    let mut parser = Parser::new(text, names)?;
    let expr = parser.parse_expr()?;
    parser.expect_end("the end of the expression")?;
    check_height(&expr)?;
    Ok(expr)
}

/// Refuses a finished tree deeper than [`MAX_NESTING`]. The parser counts nesting as it
/// reads, which keeps its own recursion bounded, but a sub-expression's depth is not carried
/// up to the node that contains it: `((a + 1 + 1) + 1 + 1)` nests chains inside brackets,
/// and thirty brackets of thirty-term chains read within the limit yet build a tree 900
/// levels deep. Measured without recursion.
fn check_height(expr: &Expr) -> Result<(), SyntaxError> {
    let mut stack = vec![(expr, 1u32)];
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_NESTING {
            return Err(SyntaxError::new(
                format!("expression nests deeper than {MAX_NESTING} levels"),
                e.span,
            ));
        }
        stack.extend(
            super::visit::children(e)
                .into_iter()
                .map(|c| (c, depth + 1)),
        );
    }
    Ok(())
}

/// Parses the unary tests of a decision table input cell: `-`, `not(t1, t2)`, or
/// comma-separated positive unary tests (`< 5`, `"a"`, `[1..10)`, `? > 5`).
///
/// # Errors
///
/// A [`SyntaxError`] pointing at the offending token when `text` is not a list of unary
/// tests (an empty cell included: write `-` to match any value).
pub fn parse_unary_tests(text: &str, names: &Names) -> Result<UnaryTests, SyntaxError> {
    let tests = unary::parse_unary_tests(text, names)?;
    if let UnaryTests::Positive(list) | UnaryTests::Not(list) = &tests {
        for test in list {
            match test {
                UnaryTest::Compare(_, e) | UnaryTest::Expr(e) => {
                    check_height(e)?;
                }
            }
        }
    }
    Ok(tests)
}

/// Parses a type reference (`number`, `list<string>`, `context<a: number>`,
/// `function<number> -> string`, an item definition name).
///
/// # Errors
///
/// A [`SyntaxError`] when `text` is not a type reference.
pub fn parse_type_ref(text: &str) -> Result<TypeRef, SyntaxError> {
    let names = Names::empty();
    let mut parser = Parser::new(text, &names)?;
    let ty = parser.parse_type(TypeMode::Greedy)?;
    parser.expect_end("the end of the type")?;
    Ok(ty)
}

/// Words that continue an expression and so can never start one.
const INFIX_KEYWORDS: &[&str] = &[
    "and",
    "or",
    "then",
    "else",
    "return",
    "satisfies",
    "in",
    "between",
    "instance",
    "of",
    "external",
];

type PResult<T> = Result<T, SyntaxError>;

/// The parser state: the token list, the cursor, and the names in scope.
struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    names: &'a Names,
    /// Names introduced so far by the expression and still in scope.
    locals: NameSet,
    /// The candidates of each entry of `locals`, innermost last, for removal.
    local_stack: Vec<Vec<String>>,
    /// Every context key seen so far: candidates for names after `.`.
    members: NameSet,
    /// Current nesting depth (see [`MAX_NESTING`]).
    depth: u32,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, names: &'a Names) -> PResult<Self> {
        Ok(Self {
            text,
            tokens: lexer::lex(text)?,
            pos: 0,
            names,
            locals: NameSet::default(),
            local_stack: Vec::new(),
            members: NameSet::default(),
            depth: 0,
        })
    }

    // ---- cursor helpers -------------------------------------------------------------

    fn tok_at(&self, offset: usize) -> Option<&Token> {
        self.tokens.get(self.pos + offset)
    }

    fn punct_at(&self, offset: usize) -> Option<Punct> {
        match self.tok_at(offset)?.kind {
            TokenKind::Punct(p) => Some(p),
            _ => None,
        }
    }

    fn punct(&self) -> Option<Punct> {
        self.punct_at(0)
    }

    fn slice(&self, token: &Token) -> &'a str {
        self.text.get(token.start..token.end).unwrap_or("")
    }

    fn word_at(&self, offset: usize) -> Option<&'a str> {
        let token = self.tok_at(offset)?;
        (token.kind == TokenKind::Word).then(|| self.slice(token))
    }

    fn is_word(&self, word: &str) -> bool {
        self.word_at(0) == Some(word)
    }

    fn eat_punct(&mut self, punct: Punct) -> bool {
        let found = self.punct() == Some(punct);
        if found {
            self.pos += 1;
        }
        found
    }

    fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// The span of the current token, or an empty span at the end of the text.
    fn cur_span(&self) -> Span {
        match self.tok_at(0) {
            Some(t) => t.span(),
            None => Span::new(self.text.len(), self.text.len()),
        }
    }

    /// The end of the last consumed token.
    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.end)
    }

    /// The current token for error messages: `` `x` `` or "the end of the text".
    fn describe(&self) -> String {
        match self.tok_at(0) {
            Some(t) => format!("`{}`", shorten(self.slice(t))),
            None => "the end of the text".to_string(),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError::new(message, self.cur_span())
    }

    /// "expected {what}, found {current token}", with a hint when the current word follows
    /// other words (an undeclared name with spaces).
    fn expected(&self, what: &str) -> SyntaxError {
        if let Some(name) = self.undeclared_name_here() {
            return self.error_here(format!(
                "expected {what}, found `{}`; if `{}` is one name, it must be declared",
                shorten(self.word_at(0).unwrap_or("")),
                shorten(&name),
            ));
        }
        self.error_here(format!("expected {what}, found {}", self.describe()))
    }

    /// The words (none a keyword) just before and at the cursor, when there are at least two:
    /// what the text may have meant as one name.
    fn undeclared_name_here(&self) -> Option<String> {
        let is_plain_word = |t: &Token| t.kind == TokenKind::Word && !is_keyword(self.slice(t));
        let current = self.tok_at(0).filter(|t| is_plain_word(t))?;
        let mut first = self.pos;
        let mut next_start = current.start;
        while let Some(prev) = first.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            if !is_plain_word(prev) || prev.end == next_start {
                break;
            }
            next_start = prev.start;
            first -= 1;
        }
        if first == self.pos {
            return None;
        }
        let words: Vec<&str> = self
            .tokens
            .get(first..=self.pos)?
            .iter()
            .map(|t| self.slice(t))
            .collect();
        Some(words.join(" "))
    }

    fn expect_punct(&mut self, punct: Punct, what: impl FnOnce() -> String) -> PResult<Token> {
        match self.tok_at(0) {
            Some(t) if t.kind == TokenKind::Punct(punct) => {
                let t = t.clone();
                self.pos += 1;
                Ok(t)
            }
            _ => Err(self.expected(&what())),
        }
    }

    fn expect_word(&mut self, word: &str, what: impl FnOnce() -> String) -> PResult<()> {
        if self.is_word(word) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(&what()))
        }
    }

    /// Fails unless every token was consumed.
    fn expect_end(&self, what: &str) -> PResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    // ---- nesting --------------------------------------------------------------------

    /// One more level of tree depth for an operator node in a chain (`a + b + c` is as deep
    /// as it is long), so the tree stays shallow enough to evaluate, serialize and drop.
    fn deepen(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn too_deep(&self) -> SyntaxError {
        self.error_here(format!("expression nests deeper than {MAX_NESTING} levels"))
    }

    // ---- expressions ----------------------------------------------------------------

    /// A complete expression (grammar rule 1), one nesting level deeper.
    fn parse_expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let expr = self.parse_or()?;
        self.leave();
        Ok(expr)
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        let base = self.depth;
        let result = self.parse_or_chain();
        self.depth = base;
        result
    }

    fn parse_or_chain(&mut self) -> PResult<Expr> {
        let mut left = self.parse_and()?;
        while self.is_word("or") {
            self.pos += 1;
            let right = self.parse_and()?;
            let span = left.span.to(right.span);
            self.deepen()?;
            left = Expr::new(ExprKind::Or(Box::new(left), Box::new(right)), span);
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let base = self.depth;
        let result = self.parse_and_chain();
        self.depth = base;
        result
    }

    fn parse_and_chain(&mut self) -> PResult<Expr> {
        let mut left = self.parse_comparison()?;
        while self.is_word("and") {
            self.pos += 1;
            let right = self.parse_comparison()?;
            let span = left.span.to(right.span);
            self.deepen()?;
            left = Expr::new(ExprKind::And(Box::new(left), Box::new(right)), span);
        }
        Ok(left)
    }

    fn parse_comparison(&mut self) -> PResult<Expr> {
        let base = self.depth;
        let result = self.parse_comparison_chain();
        self.depth = base;
        result
    }

    fn parse_comparison_chain(&mut self) -> PResult<Expr> {
        let mut left = self.parse_instance_of()?;
        loop {
            if let Some(op) = self.punct().and_then(binary_cmp_op) {
                self.pos += 1;
                let right = self.parse_instance_of()?;
                let span = left.span.to(right.span);
                self.deepen()?;
                left = Expr::new(ExprKind::Compare(op, Box::new(left), Box::new(right)), span);
            } else if self.is_word("between") {
                self.pos += 1;
                let low = self.parse_instance_of()?;
                self.expect_word("and", || {
                    "`and` between the bounds of `between`".to_string()
                })?;
                let high = self.parse_instance_of()?;
                let span = left.span.to(high.span);
                self.deepen()?;
                left = Expr::new(
                    ExprKind::Between {
                        value: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                    },
                    span,
                );
            } else if self.is_word("in") {
                self.pos += 1;
                let (tests, end) = self.parse_in_tests()?;
                let span = Span::new(left.span.start as usize, end);
                self.deepen()?;
                left = Expr::new(ExprKind::In(Box::new(left), tests), span);
            } else {
                return Ok(left);
            }
        }
    }

    fn parse_instance_of(&mut self) -> PResult<Expr> {
        let base = self.depth;
        let result = self.parse_instance_of_chain();
        self.depth = base;
        result
    }

    fn parse_instance_of_chain(&mut self) -> PResult<Expr> {
        let mut left = self.parse_additive()?;
        while self.is_word("instance") {
            self.pos += 1;
            self.expect_word("of", || "`of` after `instance`".to_string())?;
            let ty = self.parse_type(TypeMode::Expr)?;
            let span = Span::new(left.span.start as usize, self.prev_end());
            self.deepen()?;
            left = Expr::new(ExprKind::InstanceOf(Box::new(left), ty), span);
        }
        Ok(left)
    }

    /// `+` and `-` (also the level of range endpoints and of the operand of `in`).
    fn parse_additive(&mut self) -> PResult<Expr> {
        let base = self.depth;
        let result = self.parse_additive_chain();
        self.depth = base;
        result
    }

    fn parse_additive_chain(&mut self) -> PResult<Expr> {
        let mut left = self.parse_multiplicative()?;
        loop {
            let op = match self.punct() {
                Some(Punct::Plus) => ArithOp::Add,
                Some(Punct::Minus) => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.parse_multiplicative()?;
            let span = left.span.to(right.span);
            self.deepen()?;
            left = Expr::new(ExprKind::Arith(op, Box::new(left), Box::new(right)), span);
        }
    }

    fn parse_multiplicative(&mut self) -> PResult<Expr> {
        let base = self.depth;
        let result = self.parse_multiplicative_chain();
        self.depth = base;
        result
    }

    fn parse_multiplicative_chain(&mut self) -> PResult<Expr> {
        let mut left = self.parse_power()?;
        loop {
            let op = match self.punct() {
                Some(Punct::Star) => ArithOp::Mul,
                Some(Punct::Slash) => ArithOp::Div,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.parse_power()?;
            let span = left.span.to(right.span);
            self.deepen()?;
            left = Expr::new(ExprKind::Arith(op, Box::new(left), Box::new(right)), span);
        }
    }

    /// `**`, left associative (`3 ** 4 ** 5` is `(3 ** 4) ** 5`, DMN TCK 0075).
    fn parse_power(&mut self) -> PResult<Expr> {
        let base = self.depth;
        let result = self.parse_power_chain();
        self.depth = base;
        result
    }

    fn parse_power_chain(&mut self) -> PResult<Expr> {
        let mut left = self.parse_unary()?;
        while self.eat_punct(Punct::StarStar) {
            let right = self.parse_unary()?;
            let span = left.span.to(right.span);
            self.deepen()?;
            left = Expr::new(
                ExprKind::Arith(ArithOp::Pow, Box::new(left), Box::new(right)),
                span,
            );
        }
        Ok(left)
    }

    /// Unary minus: binds tighter than `**` (`-3 ** 2` is 9, DMN TCK 0075). A `-` written
    /// directly before a number literal makes a negative literal.
    fn parse_unary(&mut self) -> PResult<Expr> {
        let mut minus_starts = Vec::new();
        while self.punct() == Some(Punct::Minus) {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(self.too_deep());
            }
            minus_starts.push(self.cur_span().start);
            self.pos += 1;
        }
        // The number literal a trailing `-` may fold into.
        let literal_span = match (minus_starts.last(), self.tok_at(0)) {
            (Some(&minus), Some(t))
                if matches!(t.kind, TokenKind::Number(_)) && minus as usize + 1 == t.start =>
            {
                Some(t.span())
            }
            _ => None,
        };
        let mut expr = self.parse_postfix()?;
        self.depth = self.depth.saturating_sub(minus_starts.len() as u32);
        for (i, &start) in minus_starts.iter().enumerate().rev() {
            let span = Span {
                start,
                end: expr.span.end,
            };
            let innermost = i + 1 == minus_starts.len();
            expr = match expr.kind {
                ExprKind::Number(n) if innermost && Some(expr.span) == literal_span => {
                    Expr::new(ExprKind::Number(negate(n)), span)
                }
                kind => Expr::new(ExprKind::Neg(Box::new(Expr::new(kind, expr.span))), span),
            };
        }
        Ok(expr)
    }

    /// Path `.name`, filter `[e]` and invocation `(args)` after a primary; each counts as one
    /// nesting level.
    fn parse_postfix(&mut self) -> PResult<Expr> {
        let mut expr = self.parse_primary()?;
        let base = self.depth;
        loop {
            match self.punct() {
                Some(Punct::Dot) => {
                    self.chain_level()?;
                    self.pos += 1;
                    let Some((name, name_span)) = self.take_name(true) else {
                        return Err(self.expected("a name after `.`"));
                    };
                    let span = expr.span.to(name_span);
                    expr = Expr::new(ExprKind::Path(Box::new(expr), name), span);
                }
                // `[` not followed by an expression is left to the caller: it closes a range
                // with an open end (`]1..5[`).
                Some(Punct::LBracket) if self.can_start_expression(1) => {
                    self.chain_level()?;
                    self.pos += 1;
                    let filter = self.parse_expr()?;
                    let close =
                        self.expect_punct(Punct::RBracket, || "`]` after the filter".to_string())?;
                    let span = expr.span.to(close.span());
                    expr = Expr::new(ExprKind::Filter(Box::new(expr), Box::new(filter)), span);
                }
                Some(Punct::LParen) => {
                    self.chain_level()?;
                    let (args, end) = self.parse_args(&expr)?;
                    let span = Span::new(expr.span.start as usize, end);
                    expr = Expr::new(ExprKind::Call(Box::new(expr), args), span);
                }
                _ => break,
            }
        }
        self.depth = base;
        Ok(expr)
    }

    fn chain_level(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.too_deep());
        }
        Ok(())
    }

    /// Whether the token at `offset` can start an expression.
    fn can_start_expression(&self, offset: usize) -> bool {
        let Some(token) = self.tok_at(offset) else {
            return false;
        };
        match token.kind {
            TokenKind::Number(_) | TokenKind::String(_) | TokenKind::Temporal(_) => true,
            TokenKind::Word => !INFIX_KEYWORDS.contains(&self.slice(token)),
            TokenKind::Punct(p) => matches!(
                p,
                Punct::LParen
                    | Punct::LBracket
                    | Punct::LBrace
                    | Punct::Minus
                    | Punct::Question
                    | Punct::Lt
                    | Punct::Le
                    | Punct::Gt
                    | Punct::Ge
            ),
        }
    }

    /// `(args)` after `callee`; returns the arguments and the end of the `)`.
    fn parse_args(&mut self, callee: &Expr) -> PResult<(Args, usize)> {
        self.pos += 1; // `(`
        if let Some(close) = self
            .tok_at(0)
            .filter(|t| t.kind == TokenKind::Punct(Punct::RParen))
        {
            let end = close.end;
            self.pos += 1;
            return Ok((Args::Positional(Vec::new()), end));
        }
        let callee_text = self.describe_expr(callee);
        let named = self.named_arg_ahead();
        let mut positional = Vec::new();
        let mut named_args: Vec<(Name, Expr)> = Vec::new();
        loop {
            if self.named_arg_ahead() != named {
                return Err(self.error_here(format!(
                    "cannot mix named and positional arguments in the call of `{callee_text}`"
                )));
            }
            if named {
                let (name, name_span) = self.declared_name("an argument name", None)?;
                self.expect_punct(Punct::Colon, || {
                    format!("`:` after the argument name `{name}`")
                })?;
                if named_args.iter().any(|(n, _)| *n == name) {
                    return Err(SyntaxError::new(
                        format!("duplicate argument `{name}` in the call of `{callee_text}`"),
                        name_span,
                    ));
                }
                let value = self.parse_expr()?;
                named_args.push((name, value));
            } else {
                positional.push(self.parse_expr()?);
            }
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        let close = self.expect_punct(Punct::RParen, || {
            format!("`)` after the arguments of `{callee_text}`")
        })?;
        let args = if named {
            Args::Named(named_args)
        } else {
            Args::Positional(positional)
        };
        Ok((args, close.end))
    }

    /// How an expression is named in messages: its name, or its (shortened) text.
    fn describe_expr(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Name(name) => shorten(name),
            _ => shorten(
                self.text
                    .get(expr.span.start as usize..expr.span.end as usize)
                    .unwrap_or(""),
            ),
        }
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let Some(token) = self.tok_at(0) else {
            return Err(self.expected("an expression"));
        };
        let span = token.span();
        let literal = match &token.kind {
            TokenKind::Number(n) => Some(ExprKind::Number(*n)),
            TokenKind::String(s) => Some(ExprKind::String(Arc::from(s.as_str()))),
            TokenKind::Temporal(s) => Some(ExprKind::Temporal(s.clone())),
            TokenKind::Word | TokenKind::Punct(_) => None,
        };
        if let Some(kind) = literal {
            self.pos += 1;
            return Ok(Expr::new(kind, span));
        }
        match token.kind {
            TokenKind::Word => self.parse_word(),
            TokenKind::Punct(Punct::LParen) => self.parse_paren(),
            TokenKind::Punct(Punct::LBracket) => self.parse_bracket(),
            TokenKind::Punct(Punct::RBracket) if self.can_start_expression(1) => {
                self.parse_open_start_range()
            }
            TokenKind::Punct(Punct::LBrace) => self.parse_context(),
            TokenKind::Punct(Punct::Question) => {
                self.pos += 1;
                Ok(Expr::new(ExprKind::InputValue, span))
            }
            TokenKind::Punct(p @ (Punct::Lt | Punct::Le | Punct::Gt | Punct::Ge)) => {
                self.parse_range_literal(p)
            }
            // DMN 1.5 also allows `(= 10)` and `(!= 10)` as range literals; the syntax tree
            // has no node that keeps them apart from `[10..10]` and `(10..10)`, which FEEL
            // equality must, so they are refused rather than given a wrong meaning.
            TokenKind::Punct(p @ (Punct::Eq | Punct::Ne)) => Err(self.error_here(format!(
                "range literals written `{op} …` are not supported in expressions; `{op}` can start a unary test (in a decision table input cell or after `in`)",
                op = if p == Punct::Eq { "=" } else { "!=" }
            ))),
            TokenKind::Punct(Punct::Quote) => Err(self
                .error_here("expected an expression, found `'`; FEEL strings use double quotes")),
            _ => Err(self.expected("an expression")),
        }
    }

    fn parse_word(&mut self) -> PResult<Expr> {
        let word = self.word_at(0).unwrap_or("");
        let span = self.cur_span();
        if matches!(
            word,
            "if" | "for" | "some" | "every" | "function" | "null" | "true" | "false"
        ) {
            // A declared multi-word name wins over the keyword (longest match).
            if let Some((name, count, name_span)) = self.match_name(false)
                && count > 1
            {
                self.pos += count;
                return Ok(Expr::new(ExprKind::Name(name), name_span));
            }
            return match word {
                "if" => self.parse_if(),
                "for" => self.parse_for(),
                "some" => self.parse_quantified(Quantifier::Some),
                "every" => self.parse_quantified(Quantifier::Every),
                "function" => self.parse_function(),
                "null" => {
                    self.pos += 1;
                    Ok(Expr::new(ExprKind::Null, span))
                }
                _ => {
                    self.pos += 1;
                    Ok(Expr::new(ExprKind::Bool(word == "true"), span))
                }
            };
        }
        if INFIX_KEYWORDS.contains(&word) {
            return Err(self.expected("an expression"));
        }
        match self.take_name(false) {
            Some((name, span)) => Ok(Expr::new(ExprKind::Name(name), span)),
            None => Err(self.expected("an expression")),
        }
    }

    fn parse_if(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start as usize;
        self.pos += 1;
        let cond = self.parse_expr()?;
        self.expect_word("then", || "`then` after the condition of `if`".to_string())?;
        let then = self.parse_expr()?;
        self.expect_word("else", || {
            "`else` after the `then` branch of `if`".to_string()
        })?;
        let otherwise = self.parse_expr()?;
        let span = Span::new(start, otherwise.span.end as usize);
        Ok(Expr::new(
            ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        ))
    }

    /// `name in source` iterations, separated by commas; each variable is in scope for the
    /// following iterations and (until the caller pops them) for the body.
    fn parse_iterations(&mut self, allow_ranges: bool) -> PResult<Vec<Iteration>> {
        let mut iterations = Vec::new();
        loop {
            let (name, _) = self.declared_name("the name of an iteration variable", Some("in"))?;
            self.expect_word("in", || {
                format!("`in` after the iteration variable `{name}`")
            })?;
            let first = self.parse_expr()?;
            let source = if allow_ranges && self.eat_punct(Punct::DotDot) {
                let to = self.parse_expr()?;
                IterationSource::Range { from: first, to }
            } else {
                IterationSource::List(first)
            };
            self.push_local(&name);
            iterations.push(Iteration { name, source });
            if !self.eat_punct(Punct::Comma) {
                return Ok(iterations);
            }
        }
    }

    fn parse_for(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start as usize;
        self.pos += 1;
        let iterations = self.parse_iterations(true)?;
        self.expect_word("return", || {
            "`return` after the iterations of `for`".to_string()
        })?;
        let body = self.parse_expr()?;
        self.pop_locals(iterations.len());
        let span = Span::new(start, body.span.end as usize);
        Ok(Expr::new(ExprKind::For(iterations, Box::new(body)), span))
    }

    fn parse_quantified(&mut self, quantifier: Quantifier) -> PResult<Expr> {
        let start = self.cur_span().start as usize;
        let keyword = self.word_at(0).unwrap_or("some");
        self.pos += 1;
        let iterations = self.parse_iterations(true)?;
        self.expect_word("satisfies", || {
            format!("`satisfies` after the iterations of `{keyword}`")
        })?;
        let body = self.parse_expr()?;
        self.pop_locals(iterations.len());
        let span = Span::new(start, body.span.end as usize);
        Ok(Expr::new(
            ExprKind::Quantified(quantifier, iterations, Box::new(body)),
            span,
        ))
    }

    fn parse_function(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start as usize;
        self.pos += 1;
        self.expect_punct(Punct::LParen, || "`(` after `function`".to_string())?;
        let mut params: Vec<(Name, Option<TypeRef>)> = Vec::new();
        if !self.eat_punct(Punct::RParen) {
            loop {
                let (name, name_span) = self.declared_name("a parameter name", None)?;
                if params.iter().any(|(n, _)| *n == name) {
                    return Err(SyntaxError::new(
                        format!("duplicate parameter `{name}`"),
                        name_span,
                    ));
                }
                let ty = if self.eat_punct(Punct::Colon) {
                    Some(self.parse_type(TypeMode::Greedy)?)
                } else {
                    None
                };
                params.push((name, ty));
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
            self.expect_punct(Punct::RParen, || {
                "`,` or `)` after a parameter of `function`".to_string()
            })?;
        }
        if self.is_word("external") {
            return Err(self.error_here("external functions are not supported"));
        }
        for (name, _) in &params {
            self.push_local(name);
        }
        let body = self.parse_expr()?;
        self.pop_locals(params.len());
        let span = Span::new(start, body.span.end as usize);
        Ok(Expr::new(
            ExprKind::FunctionDef {
                params,
                body: Box::new(body),
            },
            span,
        ))
    }

    /// `( e )` or a range with an open start `( a .. b ]`.
    fn parse_paren(&mut self) -> PResult<Expr> {
        let open = self.cur_span();
        self.pos += 1;
        let inner = self.parse_expr()?;
        if self.eat_punct(Punct::DotDot) {
            return self.parse_range_end(open, false, inner);
        }
        let close = self.expect_punct(Punct::RParen, || "`)` to close `(`".to_string())?;
        Ok(Expr::new(inner.kind, open.to(close.span())))
    }

    /// A list `[a, b]` or a range with a closed start `[a .. b)`.
    fn parse_bracket(&mut self) -> PResult<Expr> {
        let open = self.cur_span();
        self.pos += 1;
        if let Some(close) = self
            .tok_at(0)
            .filter(|t| t.kind == TokenKind::Punct(Punct::RBracket))
        {
            let span = open.to(close.span());
            self.pos += 1;
            return Ok(Expr::new(ExprKind::List(Vec::new()), span));
        }
        let first = self.parse_expr()?;
        if self.eat_punct(Punct::DotDot) {
            return self.parse_range_end(open, true, first);
        }
        let mut items = vec![first];
        while self.eat_punct(Punct::Comma) {
            items.push(self.parse_expr()?);
        }
        let close = self.expect_punct(Punct::RBracket, || "`,` or `]` in the list".to_string())?;
        Ok(Expr::new(ExprKind::List(items), open.to(close.span())))
    }

    /// A range with an open start written `] a .. b ]`.
    fn parse_open_start_range(&mut self) -> PResult<Expr> {
        let open = self.cur_span();
        self.pos += 1;
        let start = self.parse_expr()?;
        self.expect_punct(Punct::DotDot, || "`..` in the range".to_string())?;
        self.parse_range_end(open, false, start)
    }

    /// After `start ..`: the end point and the closing `]` (closed), `)` or `[` (open).
    fn parse_range_end(&mut self, open: Span, start_closed: bool, start: Expr) -> PResult<Expr> {
        let end = self.parse_expr()?;
        let end_closed = match self.punct() {
            Some(Punct::RBracket) => true,
            Some(Punct::RParen | Punct::LBracket) => false,
            _ => return Err(self.expected("`]`, `)` or `[` to close the range")),
        };
        let span = open.to(self.cur_span());
        self.pos += 1;
        Ok(Expr::new(
            ExprKind::Range {
                start_closed,
                start: Some(Box::new(start)),
                end: Some(Box::new(end)),
                end_closed,
            },
            span,
        ))
    }

    /// A one-sided range literal `< e`, `<= e`, `> e`, `>= e` used as an expression.
    fn parse_range_literal(&mut self, op: Punct) -> PResult<Expr> {
        let start = self.cur_span().start as usize;
        self.enter()?;
        self.pos += 1;
        let endpoint = Box::new(self.parse_additive()?);
        self.leave();
        let span = Span::new(start, endpoint.span.end as usize);
        let kind = match op {
            Punct::Lt | Punct::Le => ExprKind::Range {
                start_closed: false,
                start: None,
                end: Some(endpoint),
                end_closed: op == Punct::Le,
            },
            _ => ExprKind::Range {
                start_closed: op == Punct::Ge,
                start: Some(endpoint),
                end: None,
                end_closed: false,
            },
        };
        Ok(Expr::new(kind, span))
    }

    /// `{ key: value, … }`; each key is in scope for the later entries.
    fn parse_context(&mut self) -> PResult<Expr> {
        let open = self.cur_span();
        self.pos += 1;
        let mut entries: Vec<(Name, Expr)> = Vec::new();
        if self.punct() != Some(Punct::RBrace) {
            loop {
                let (key, key_span) = match self.tok_at(0) {
                    Some(Token {
                        kind: TokenKind::String(s),
                        ..
                    }) => {
                        let key = (s.clone(), self.cur_span());
                        self.pos += 1;
                        key
                    }
                    _ => self.declared_name("a context key (a name or a string)", None)?,
                };
                self.expect_punct(Punct::Colon, || {
                    format!("`:` after the context key `{key}`")
                })?;
                if entries.iter().any(|(k, _)| *k == key) {
                    return Err(SyntaxError::new(
                        format!("duplicate context key `{key}`"),
                        key_span,
                    ));
                }
                let value = self.parse_expr()?;
                self.push_local(&key);
                self.add_member(&key);
                entries.push((key, value));
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
        }
        let close = self.expect_punct(Punct::RBrace, || "`,` or `}` in the context".to_string())?;
        self.pop_locals(entries.len());
        Ok(Expr::new(ExprKind::Context(entries), open.to(close.span())))
    }
}

/// Whether `word` is a FEEL keyword (never the first or last word of an undeclared name in
/// error hints).
fn is_keyword(word: &str) -> bool {
    INFIX_KEYWORDS.contains(&word)
        || matches!(
            word,
            "if" | "for" | "some" | "every" | "function" | "null" | "true" | "false"
        )
}

/// The comparison operator of a binary comparison token.
fn binary_cmp_op(punct: Punct) -> Option<CmpOp> {
    Some(match punct {
        Punct::Eq => CmpOp::Eq,
        Punct::Ne => CmpOp::Ne,
        Punct::Lt => CmpOp::Lt,
        Punct::Le => CmpOp::Le,
        Punct::Gt => CmpOp::Gt,
        Punct::Ge => CmpOp::Ge,
        _ => return None,
    })
}

fn negate(n: Decimal) -> Decimal {
    if n.is_zero() { n } else { -n }
}

/// `text` cut to 40 characters for error messages.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(MAX).collect();
    if chars.next().is_some() {
        format!("{short}…")
    } else {
        short
    }
}
