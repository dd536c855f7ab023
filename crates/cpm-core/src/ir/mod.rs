//! The compiled form of a rules folder: what `compile` produces, what a bundle stores, and
//! what `decide` evaluates.
//!
//! Pipeline position: output of `compile`, payload of `bundle`, input of `decide` and
//! `process` (processes and templates live in [`process`]).
//! Everything here is plain data (serializable, no caches); per-process caches are built
//! by [`crate::decide::Engine`] when a bundle is loaded.

pub mod process;

use serde::{Deserialize, Serialize};

use crate::feel::ast::{Expr, Name, TypeRef};
use crate::source::HitPolicy;

pub use process::{
    CaseField, Field, Intake, IntakeRule, Process, Send, Step, StepKind, Task, Template, Wait,
    WaitFor,
};

/// A compiled rules folder.
///
/// The field order is part of the bundle format (MessagePack writes structs as arrays):
/// new fields go last, and changing them means a new [`crate::bundle::FORMAT_VERSION`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The models, sorted by name.
    pub models: Vec<Model>,
    /// The processes, sorted by name (bundle format 2).
    pub processes: Vec<Process>,
    /// The templates, sorted by name (bundle format 2).
    pub templates: Vec<Template>,
}

/// One compiled model file: a decision graph with its inputs, types and knowledge models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The model name.
    pub name: String,
    /// Item definitions, referenced by name from type references.
    pub types: Vec<TypeDef>,
    /// Input data.
    pub inputs: Vec<Input>,
    /// Business knowledge models; `Function::Knowledge(i)` indexes this list.
    pub knowledge: Vec<Knowledge>,
    /// Decisions.
    pub decisions: Vec<Decision>,
    /// The model's test cases.
    pub tests: Vec<TestCase>,
}

/// A named item definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// The type's name.
    pub name: Name,
    /// The base type (a context type for structured definitions).
    pub base: TypeRef,
    /// Allowed values, if restricted (compiled like a table input entry).
    pub allowed: Option<Cell>,
}

/// An input data element.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// The FEEL name.
    pub name: Name,
    /// The declared type (`Any` when not declared).
    pub ty: TypeRef,
}

/// A business knowledge model: a named, reusable function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Knowledge {
    /// The FEEL name it is invoked by.
    pub name: Name,
    /// Parameters with optional types.
    pub params: Vec<(Name, Option<TypeRef>)>,
    /// The declared result type, if any.
    pub ty: Option<TypeRef>,
    /// The body, evaluated with the parameters in scope.
    pub body: Body,
}

/// A decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The FEEL name, unique in the program.
    pub name: Name,
    /// The declared result type, if any.
    pub ty: Option<TypeRef>,
    /// How the decision is computed.
    pub body: Body,
    /// Indices (into the model's decisions) of every decision this one needs, directly or
    /// indirectly, in an order where each comes after those it requires; excludes itself.
    pub plan: Vec<u32>,
    /// Indices of the input data this decision (or anything it requires) reads.
    pub reads: Vec<u32>,
}

/// The logic of a decision or knowledge model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// A literal FEEL expression.
    Expr(Expr),
    /// A decision table.
    Table(Box<Table>),
    /// A boxed context: entries evaluated in order, each seeing the earlier ones.
    Context {
        /// The entries.
        entries: Vec<(Name, Body)>,
        /// The final result expression; the whole context when absent.
        result: Option<Expr>,
    },
}

/// A decision table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The hit policy (with aggregation for COLLECT).
    pub hit: HitPolicy,
    /// Input expressions, one per column.
    pub inputs: Vec<TableInput>,
    /// Output columns.
    pub outputs: Vec<TableOutput>,
    /// The rules, in table order.
    pub rules: Vec<Rule>,
    /// The candidate-rule index, built on first evaluation; never encoded in a bundle.
    #[serde(skip)]
    pub index: crate::decide::index::LazyIndex,
}

/// An input column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableInput {
    /// The input expression as written (for explanations).
    pub text: String,
    /// The parsed input expression.
    pub expr: Expr,
}

/// An output column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableOutput {
    /// The output name (key of the result context when there are several outputs).
    pub name: Name,
    /// Declared type, if any.
    pub ty: Option<TypeRef>,
    /// Output values in priority order (first = highest), for PRIORITY and OUTPUT ORDER.
    pub values: Vec<Expr>,
    /// The value when no rule matches.
    pub default: Option<Expr>,
}

/// A rule (row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The rule id (explicit, or `r<N>`).
    pub id: String,
    /// One input entry per input column.
    pub when: Vec<Cell>,
    /// One output entry per output column.
    pub then: Vec<Expr>,
    /// The annotation, if any.
    pub note: Option<String>,
}

/// A compiled input entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    /// `-`
    Any,
    /// A list of tests; matches when any matches (or, when `negated`, when none does).
    Tests {
        /// Whether the cell was `not(...)`.
        negated: bool,
        /// The tests.
        tests: Vec<Test>,
    },
}

/// One compiled positive unary test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Test {
    /// Compare the input with a value: `< 5`.
    Compare(crate::feel::ast::CmpOp, Expr),
    /// An expression not using `?`: matches when equal to the input, when it is a list
    /// containing the input, or a range containing it.
    Value(Expr),
    /// An expression using `?`: matches when it evaluates to `true`.
    Predicate(Expr),
}

/// A test case carried by a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    /// The case's name.
    pub name: String,
    /// The input data, as canonical JSON.
    pub input: String,
    /// Expected results: decision name and canonical JSON of the expected value.
    pub expect: Vec<(Name, String)>,
}
