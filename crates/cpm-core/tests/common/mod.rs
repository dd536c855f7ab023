//! Shared helpers for the value and built-in tests: terse value constructors and a mock
//! evaluator callback.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::str::FromStr;
use std::sync::Arc;

use cpm_core::feel::builtins::{self, Invoke};
use cpm_core::feel::err::EvalError;
use cpm_core::value::format::format_literal;
use cpm_core::value::temporal::parse_temporal_literal;
use cpm_core::value::{Context, Function, Range, Value};
use rust_decimal::Decimal;

/// A number from its text.
pub fn n(s: &str) -> Value {
    let d = if s.contains(['e', 'E']) {
        Decimal::from_scientific(s)
    } else {
        Decimal::from_str(s)
    };
    Value::Number(d.expect("number literal"))
}

/// A string.
pub fn s(x: &str) -> Value {
    Value::String(Arc::from(x))
}

/// A boolean.
pub fn b(x: bool) -> Value {
    Value::Bool(x)
}

/// The value of an `@"…"` literal; panics if it is not valid.
pub fn t(x: &str) -> Value {
    let v = parse_temporal_literal(x);
    assert!(!v.is_null(), "invalid temporal literal {x}");
    v
}

/// A list.
pub fn l(items: Vec<Value>) -> Value {
    Value::list(items)
}

/// A context from entries.
pub fn c(entries: Vec<(&str, Value)>) -> Value {
    let mut ctx = Context::default();
    for (k, v) in entries {
        ctx.insert(k.to_owned(), v);
    }
    Value::context(ctx)
}

/// A range.
pub fn r(start_closed: bool, start: Option<Value>, end: Option<Value>, end_closed: bool) -> Value {
    Value::Range(Arc::new(Range {
        start,
        start_closed,
        end,
        end_closed,
    }))
}

/// `[a..b]` over numbers.
pub fn rn(a: &str, b: &str) -> Value {
    r(true, Some(n(a)), Some(n(b)), true)
}

/// A built-in function value.
pub fn f(name: &'static str) -> Value {
    Value::Function(Function::Builtin(name))
}

/// The FEEL literal text of a value (strings quoted, temporals as `@"…"`).
pub fn lit(v: &Value) -> String {
    format_literal(v)
}

/// A mock evaluator: invokes built-in function values through the library, counts fuel
/// and fails once `budget` is spent.
pub struct Mock {
    pub used: u64,
    pub budget: u64,
    pub invocations: u64,
}

impl Mock {
    pub fn new() -> Self {
        Self {
            used: 0,
            budget: u64::MAX,
            invocations: 0,
        }
    }

    pub fn with_budget(budget: u64) -> Self {
        Self {
            budget,
            ..Self::new()
        }
    }
}

impl Invoke for Mock {
    fn invoke(&mut self, function: &Value, args: Vec<Value>) -> Result<Value, EvalError> {
        self.invocations += 1;
        match function {
            Value::Function(Function::Builtin(name)) => match builtins::lookup(name) {
                Some(b) => builtins::call_positional(b, args, self),
                None => Ok(Value::Null),
            },
            _ => Ok(Value::Null),
        }
    }

    fn charge(&mut self, steps: u64) -> Result<(), EvalError> {
        self.used = self.used.saturating_add(steps);
        if self.used > self.budget {
            Err(EvalError::FuelExhausted {
                budget: self.budget,
            })
        } else {
            Ok(())
        }
    }
}

/// Calls a built-in positionally with a fresh mock.
pub fn call(name: &str, args: Vec<Value>) -> Value {
    let b = builtins::lookup(name).unwrap_or_else(|| panic!("no built-in {name}"));
    builtins::call_positional(b, args, &mut Mock::new()).expect("no fuel error")
}

/// Calls a built-in with named arguments with a fresh mock.
pub fn call_named(name: &str, args: Vec<(&str, Value)>) -> Value {
    let b = builtins::lookup(name).unwrap_or_else(|| panic!("no built-in {name}"));
    let args = args.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    builtins::call_named(b, args, &mut Mock::new()).expect("no fuel error")
}

/// `lit(call(name, args))`.
pub fn calls(name: &str, args: Vec<Value>) -> String {
    lit(&call(name, args))
}
