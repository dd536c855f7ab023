//! FEEL abstract syntax tree: the output of [`crate::feel::parser`], the input of
//! [`crate::feel::eval`], and (serialized) part of a compiled bundle.
//!
//! Every node carries a [`Span`] of byte offsets into the expression text it was parsed
//! from, so errors found later (type checking, evaluation) can point at the exact place.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Byte range `start..end` in the expression text a node came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte of the node.
    pub start: u32,
    /// One past the last byte of the node.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A FEEL name, possibly made of several words (`Customer Age`), stored with single
/// spaces between its parts exactly as FEEL normalises it.
pub type Name = String;

/// An expression with its source span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is in the source text.
    pub span: Span,
}

impl Expr {
    /// The value of a number literal, with optional unary minus (`5`, `-2.5`).
    pub fn number_literal(&self) -> Option<Decimal> {
        match &self.kind {
            ExprKind::Number(d) => Some(*d),
            ExprKind::Neg(inner) => inner.number_literal().map(|d| -d),
            _ => None,
        }
    }

    /// An expression of `kind` spanning `span`.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Self { kind, span }
    }
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `**`
    Pow,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
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
}

/// `some` or `every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quantifier {
    /// `some x in l satisfies c`
    Some,
    /// `every x in l satisfies c`
    Every,
}

/// Arguments of a function invocation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Args {
    /// `f(a, b)`
    Positional(Vec<Expr>),
    /// `f(x: a, y: b)`
    Named(Vec<(Name, Expr)>),
}

/// One iteration context of a `for`, `some` or `every` expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iteration {
    /// The variable bound on each iteration.
    pub name: Name,
    /// What it iterates over.
    pub source: IterationSource,
}

/// What an iteration variable ranges over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IterationSource {
    /// `x in list`
    List(Expr),
    /// `x in 1..10` (integers, both ends included; counts down when `from > to`).
    Range {
        /// First value.
        from: Expr,
        /// Last value.
        to: Expr,
    },
}

/// A type reference as written in `instance of` or a function parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeRef {
    /// `Any`
    Any,
    /// `Null`
    Null,
    /// `number`, `string`, `boolean`, `date`, `time`, `date and time`,
    /// `days and time duration`, `years and months duration`, or a user item definition name.
    Named(Name),
    /// `list<T>`
    List(Box<TypeRef>),
    /// `range<T>`
    Range(Box<TypeRef>),
    /// `context<a: T, b: U>`
    Context(Vec<(Name, TypeRef)>),
    /// `function<T, U> -> R`
    Function(Vec<TypeRef>, Box<TypeRef>),
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number literal, kept exact.
    Number(Decimal),
    /// A string literal, escapes already resolved.
    String(Arc<str>),
    /// `@"2024-01-31"`, `@"P1D"`, `@"10:30:00@Europe/Paris"`: the text inside the quotes.
    Temporal(String),
    /// A name to look up in scope (variable, decision, BKM, built-in function).
    Name(Name),
    /// `?`: the value under test in a unary test cell.
    InputValue,
    /// `e.name`
    Path(Box<Expr>, Name),
    /// `list[filter]`: a numeric index or a boolean filter using `item` or the item's keys.
    Filter(Box<Expr>, Box<Expr>),
    /// `f(args)`
    Call(Box<Expr>, Args),
    /// `-e`
    Neg(Box<Expr>),
    /// `a + b` and friends.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `a < b` and friends.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `v between low and high`
    Between {
        /// The tested value.
        value: Box<Expr>,
        /// Inclusive lower bound.
        low: Box<Expr>,
        /// Inclusive upper bound.
        high: Box<Expr>,
    },
    /// `v in tests`, where the right side is one positive unary test or a
    /// parenthesised list of them: `x in (1, 2, [5..10])`.
    In(Box<Expr>, Vec<UnaryTest>),
    /// `v instance of T`
    InstanceOf(Box<Expr>, TypeRef),
    /// `if c then a else b`
    If {
        /// The condition (anything but `true` selects `otherwise`).
        cond: Box<Expr>,
        /// Value when `cond` is `true`.
        then: Box<Expr>,
        /// Value otherwise.
        otherwise: Box<Expr>,
    },
    /// `for x in l, y in m return e` (the last iteration varies fastest).
    For(Vec<Iteration>, Box<Expr>),
    /// `some|every x in l satisfies c`
    Quantified(Quantifier, Vec<Iteration>, Box<Expr>),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `{ a: 1, "b c": 2 }`: entries may refer to earlier entries.
    Context(Vec<(Name, Expr)>),
    /// `[a..b]`, `(a..b)`, `]a..b[`, and the one-sided `< 5`, `>= 3` range literals.
    Range {
        /// Whether the start is included (`[`).
        start_closed: bool,
        /// Start point; `None` for an open-ended range (`< 5`).
        start: Option<Box<Expr>>,
        /// End point; `None` for an open-ended range (`>= 3`).
        end: Option<Box<Expr>>,
        /// Whether the end is included (`]`).
        end_closed: bool,
    },
    /// `function(a, b: number) a + b`
    FunctionDef {
        /// Parameter names with optional types.
        params: Vec<(Name, Option<TypeRef>)>,
        /// The body.
        body: Box<Expr>,
    },
}

/// One positive unary test, as found in a decision table input cell or after `in`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum UnaryTest {
    /// `< 5`, `>= @"2024-01-01"`, `!= "x"` (`!=` is not standard in cells but accepted).
    Compare(CmpOp, Expr),
    /// Any other expression: it matches when it equals the input, when it is a list or range
    /// containing the input, or when it evaluates to `true` (typically using `?`).
    Expr(Expr),
}

/// The content of a decision table input cell (or of `in` with a negation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum UnaryTests {
    /// `-`: matches anything.
    Any,
    /// `t1, t2, ...`: matches when any test matches.
    Positive(Vec<UnaryTest>),
    /// `not(t1, t2, ...)`: matches when no test matches.
    Not(Vec<UnaryTest>),
}

impl std::fmt::Display for TypeRef {
    /// The type in FEEL syntax (`list<number>`, `context<a: string>`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeRef::Any => f.write_str("Any"),
            TypeRef::Null => f.write_str("Null"),
            TypeRef::Named(n) => f.write_str(n),
            TypeRef::List(t) => write!(f, "list<{t}>"),
            TypeRef::Range(t) => write!(f, "range<{t}>"),
            TypeRef::Context(fields) => {
                f.write_str("context<")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                f.write_str(">")
            }
            TypeRef::Function(params, result) => {
                f.write_str("function<")?;
                for (i, t) in params.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, "> -> {result}")
            }
        }
    }
}
