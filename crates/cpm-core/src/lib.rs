//! cpm-core: the only place where cpm computes decisions and process transitions.
//!
//! Pipeline: [`feel`] (lexer, parser, evaluator, built-ins) → [`source`] (YAML/JSON models
//! with locations) → [`compile`] (resolve, type-check, analyse → [`ir`]) → [`bundle`]
//! (MessagePack, content hash) → [`decide`] (tables, hit policies, graphs, explanations)
//! and [`process`] (event-sourced cases, intake, tasks, SLAs, templates, KPIs) → [`api`]
//! (the one serializable boundary every adapter calls).
//!
//! The core does no I/O, never reads the clock, and never uses floats for decisions.
#![deny(missing_docs)]

pub mod api;
pub mod bundle;
pub mod canonical;
pub mod compile;
pub mod decide;
pub mod dmn;
pub mod feel;
pub mod ir;
pub mod process;
mod sort;
pub mod source;
pub mod value;
