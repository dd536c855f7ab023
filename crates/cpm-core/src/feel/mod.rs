//! FEEL (DMN 1.5 "Friendly Enough Expression Language"): syntax tree, parser, evaluator and
//! the built-in function library.
//!
//! Pipeline position: first stage. Text → [`ast`] (via [`parser`]) → values (via [`eval`]).

pub mod ast;
pub mod builtins;
pub mod err;
pub mod eval;
pub mod lexer;
pub mod names;
pub mod parser;
pub mod visit;

pub use names::Names;
pub use parser::{parse_expression, parse_type_ref, parse_unary_tests};
