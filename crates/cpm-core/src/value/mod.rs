//! FEEL values: what expressions evaluate to and what decisions output.
//!
//! Pipeline position: used by every stage after parsing. Numbers are exact decimals
//! (never floats); contexts keep insertion order (never hash order); temporal values keep
//! their zone exactly as written so that output is the same on every target.

pub mod duration;
pub mod float_text;
pub mod format;
pub mod json;
pub mod json_data;
pub mod ops;
pub mod temporal;
pub mod zones;

use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::Decimal;

use crate::feel::ast::{Expr, Name, TypeRef};

pub use duration::{DaysTimeDuration, YearsMonthsDuration};
pub use format::format_value;
pub use json::{JsonError, from_json, to_canonical_json, to_json};
pub use temporal::{Date, DateTime, Time, Zone};

/// The hasher of a context's name index: foldhash, seeded per process (several times
/// faster than the standard SipHash on short names). Output never depends on it: contexts
/// keep insertion order and are written with sorted keys.
pub type NameHasher = foldhash::fast::RandomState;

/// A FEEL context: named entries in insertion order.
pub type Context = IndexMap<Name, Value, NameHasher>;

/// A FEEL value.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// `null`: absent, unknown, or the result of an invalid operation.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An exact decimal number.
    Number(Decimal),
    /// A string.
    String(Arc<str>),
    /// A calendar date.
    Date(Date),
    /// A time of day, with or without a zone.
    Time(Time),
    /// A date and time, with or without a zone.
    DateTime(DateTime),
    /// A days and time duration (`P1DT2H`).
    DaysTime(DaysTimeDuration),
    /// A years and months duration (`P1Y2M`).
    YearsMonths(YearsMonthsDuration),
    /// A list.
    List(Arc<Vec<Value>>),
    /// A context.
    Context(Arc<Context>),
    /// A range (interval) of comparable values.
    Range(Arc<Range>),
    /// A function: built-in, defined in FEEL, or a business knowledge model.
    Function(Function),
}

/// A FEEL range: `[1..10)`, `> 5`, `<= @"2024-01-01"`.
#[derive(Clone, Debug)]
pub struct Range {
    /// Lower end point; `None` when unbounded below.
    pub start: Option<Value>,
    /// Whether `start` belongs to the range.
    pub start_closed: bool,
    /// Upper end point; `None` when unbounded above.
    pub end: Option<Value>,
    /// Whether `end` belongs to the range.
    pub end_closed: bool,
}

/// A function value.
#[derive(Clone, Debug)]
pub enum Function {
    /// A built-in function, by its FEEL name (`string length`).
    Builtin(&'static str),
    /// A function defined in FEEL (`function(x) x + 1`), with the variables it captured.
    Lambda(Arc<Lambda>),
    /// A business knowledge model of the bundle, by index into the model's knowledge list.
    Knowledge(u32),
}

/// A function defined by a FEEL `function(...)` expression.
#[derive(Clone, Debug)]
pub struct Lambda {
    /// Parameter names and optional declared types.
    pub params: Vec<(Name, Option<TypeRef>)>,
    /// The body, evaluated with the parameters bound on top of `closure`.
    pub body: Arc<Expr>,
    /// The variables visible where the function was defined.
    pub closure: Arc<Context>,
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<Arc<str>>) -> Self {
        Value::String(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Self {
        Value::List(Arc::new(items))
    }

    /// A context value.
    pub fn context(ctx: Context) -> Self {
        Value::Context(Arc::new(ctx))
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The FEEL name of this value's type (`number`, `date and time`, ...), for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::DateTime(_) => "date and time",
            Value::DaysTime(_) => "days and time duration",
            Value::YearsMonths(_) => "years and months duration",
            Value::List(_) => "list",
            Value::Context(_) => "context",
            Value::Range(_) => "range",
            Value::Function(_) => "function",
        }
    }
}
