//! cpm-core: the only place where cpm computes decisions and process transitions.
//!
//! Pipeline: [`feel`] (lexer, parser, evaluator, built-ins) → [`source`] (YAML/JSON models
//! with spans) → `compile` (resolve, type-check, analyse) → `bundle` (MessagePack,
//! content hash) → `decide` (tables, hit policies, graphs, explanations) → `api` (the one
//! serializable boundary every adapter calls).
//!
//! The core does no I/O, never reads the clock, and never uses floats for decisions.

pub mod feel;
pub mod source;
pub mod value;
