//! FEEL (DMN 1.5 "Friendly Enough Expression Language"): syntax tree, parser, evaluator and
//! the built-in function library.
//!
//! Pipeline position: first stage. Text → tokens (via [`lexer`]) → [`ast`] (via [`parser`],
//! which recognises names with spaces using [`names`]) → values (via `eval`).

pub mod ast;
pub mod err;
pub mod lexer;
pub mod names;
pub mod parser;

pub use names::{BUILTIN_NAMES, Names, PROPERTY_NAMES};
pub use parser::{MAX_NESTING, parse_expression, parse_type_ref, parse_unary_tests};
