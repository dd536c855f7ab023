//! Errors of the FEEL stage: syntax errors from the parser and the few evaluation errors
//! that are not turned into `null` by FEEL's semantics (budgets and limits).

use thiserror::Error;

use super::ast::Span;

/// A FEEL text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct SyntaxError {
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// Where in the expression text.
    pub span: Span,
}

impl SyntaxError {
    /// A syntax error at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Self {
            message: message.into(),
            span,
        }
    }
}

/// Evaluation stopped. FEEL turns most invalid operations into `null`; these are the
/// conditions that must stop evaluation instead, so hostile rules cannot hang or exhaust
/// the host.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvalError {
    /// The step budget ran out.
    #[error(
        "evaluation exceeded its budget of {budget} steps; simplify the expression or raise the limit"
    )]
    FuelExhausted {
        /// The budget that was exhausted.
        budget: u64,
    },
    /// Nesting (of calls, function invocations or expressions) went too deep.
    #[error("evaluation nested deeper than {limit} levels (runaway recursion?)")]
    DepthExceeded {
        /// The depth limit.
        limit: u32,
    },
    /// A value (list, string) would have grown past its limit.
    #[error("a {what} would exceed the limit of {limit} elements")]
    TooLarge {
        /// What grew (`list`, `string`).
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A decision table's hit policy was violated (UNIQUE with several matches, ANY with
    /// different outputs).
    #[error("{message}")]
    HitPolicy {
        /// Names the table and the rules involved.
        message: String,
    },
}
