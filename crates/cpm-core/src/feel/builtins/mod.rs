//! The DMN 1.5 built-in function library of FEEL.
//!
//! Pipeline position: called by the evaluator (`feel::eval`) when an invocation names a
//! built-in. [`lookup`] finds a function by its FEEL name; [`call_positional`] and
//! [`call_named`] select the overload and run it. Built-ins that call back into FEEL
//! (`sort`'s `precedes`, `list replace`'s `match`) and charge evaluation fuel do so
//! through the [`Invoke`] trait the evaluator implements.
//!
//! Conventions, as in DMN 1.5 chapter 10.3.4:
//! - invalid arguments (wrong type, out of range, wrong number) give `Ok(Null)`; only
//!   budget and depth limits reported by [`Invoke`] are errors;
//! - a parameter that expects a list accepts a single non-list value as a singleton list,
//!   and a parameter that expects a single number, string or temporal value accepts a
//!   singleton list holding it;
//! - integer parameters (positions, lengths, scales) accept decimals and truncate them;
//! - work proportional to the size of the input is charged with [`Invoke::charge`].
//!
//! `now()` and `today()` are not provided: the core never reads the clock (see
//! [`unsupported`]).

mod context;
mod conversion;
mod list;
mod numeric;
mod range;
mod regex;
mod string;
mod temporal;

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::feel::err::EvalError;
use crate::value::Value;

/// A callback into the evaluator, for built-ins that call functions (sort's `precedes`,
/// list replace's `match`) and to charge evaluation fuel for work proportional to input
/// size.
pub trait Invoke {
    /// Calls a FEEL function value with positional arguments.
    ///
    /// # Errors
    ///
    /// Returns the evaluator's error when the budget or depth limit is exceeded.
    fn invoke(&mut self, function: &Value, args: Vec<Value>) -> Result<Value, EvalError>;

    /// Charges `steps` units of evaluation fuel.
    ///
    /// # Errors
    ///
    /// Returns [`EvalError::FuelExhausted`] when the budget is spent.
    fn charge(&mut self, steps: u64) -> Result<(), EvalError>;
}

/// The implementation of one overload: receives the arguments in parameter order
/// (optional trailing parameters may be missing).
pub type BuiltinFn = fn(&[Value], &mut dyn Invoke) -> Result<Value, EvalError>;

/// How an overload may be selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// By positional and by named invocation.
    Both,
    /// Only by positional invocation.
    Positional,
    /// Only by named invocation.
    Named,
}

/// One signature of a built-in function.
#[derive(Clone, Copy, Debug)]
pub struct Overload {
    /// Parameter names, as FEEL spells them (`start position`).
    pub params: &'static [&'static str],
    /// How many leading parameters are required; the rest are optional.
    pub required: usize,
    /// Whether the last parameter repeats (`min(c1, c2, …)`, `append(list, item…)`).
    pub variadic: bool,
    /// Which invocation styles may select this overload.
    pub call: Call,
    /// The implementation.
    pub func: BuiltinFn,
}

/// A built-in function: its FEEL name and its overloads, tried in order.
#[derive(Debug)]
pub struct Builtin {
    /// The FEEL name (`string length`).
    pub name: &'static str,
    /// The signatures, tried in order.
    pub overloads: &'static [Overload],
}

const fn sig(params: &'static [&'static str], required: usize, func: BuiltinFn) -> Overload {
    Overload {
        params,
        required,
        variadic: false,
        call: Call::Both,
        func,
    }
}

const fn var(params: &'static [&'static str], required: usize, func: BuiltinFn) -> Overload {
    Overload {
        params,
        required,
        variadic: true,
        call: Call::Both,
        func,
    }
}

const fn only(call: Call, o: Overload) -> Overload {
    Overload { call, ..o }
}

macro_rules! builtins {
    ($($name:literal => [$($o:expr),* $(,)?]),* $(,)?) => {
        &[$(Builtin { name: $name, overloads: &[$($o),*] }),*]
    };
}

/// The library, sorted by name (checked by a test) for binary search.
static BUILTINS: &[Builtin] = builtins! {
    "abs" => [sig(&["n"], 1, numeric::abs)],
    "after" => [
        sig(&["point1", "point2"], 2, range::after),
        sig(&["point", "range"], 2, range::after),
        sig(&["range", "point"], 2, range::after),
        sig(&["range1", "range2"], 2, range::after),
    ],
    "all" => [var(&["list"], 1, list::all)],
    "any" => [var(&["list"], 1, list::any)],
    "append" => [var(&["list", "item"], 1, list::append)],
    "before" => [
        sig(&["point1", "point2"], 2, range::before),
        sig(&["point", "range"], 2, range::before),
        sig(&["range", "point"], 2, range::before),
        sig(&["range1", "range2"], 2, range::before),
    ],
    "ceiling" => [sig(&["n", "scale"], 1, numeric::ceiling)],
    "coincides" => [
        sig(&["point1", "point2"], 2, range::coincides),
        sig(&["range1", "range2"], 2, range::coincides),
    ],
    "concatenate" => [var(&["list"], 0, list::concatenate)],
    "contains" => [sig(&["string", "match"], 2, string::contains)],
    "context" => [sig(&["entries"], 1, context::context)],
    "context merge" => [sig(&["contexts"], 1, context::merge)],
    "context put" => [
        only(Call::Positional, sig(&["context", "key", "value"], 3, context::put)),
        only(Call::Named, sig(&["context", "key", "value"], 3, context::put_key)),
        only(Call::Named, sig(&["context", "keys", "value"], 3, context::put_keys)),
    ],
    "count" => [var(&["list"], 1, list::count)],
    "date" => [
        sig(&["from"], 1, conversion::date),
        sig(&["year", "month", "day"], 3, conversion::date_from_parts),
    ],
    "date and time" => [
        sig(&["from"], 1, conversion::date_and_time),
        sig(&["date", "time"], 2, conversion::date_and_time_from_parts),
    ],
    "day of week" => [sig(&["date"], 1, temporal::day_of_week)],
    "day of year" => [sig(&["date"], 1, temporal::day_of_year)],
    "decimal" => [sig(&["n", "scale"], 2, numeric::decimal)],
    "distinct values" => [sig(&["list"], 1, list::distinct_values)],
    "duration" => [sig(&["from"], 1, conversion::duration)],
    "during" => [
        sig(&["point", "range"], 2, range::during),
        sig(&["range1", "range2"], 2, range::during),
    ],
    "ends with" => [sig(&["string", "match"], 2, string::ends_with)],
    "even" => [sig(&["number"], 1, numeric::even)],
    "exp" => [sig(&["number"], 1, numeric::exp)],
    "finished by" => [
        sig(&["range", "point"], 2, range::finished_by),
        sig(&["range1", "range2"], 2, range::finished_by),
    ],
    "finishes" => [
        sig(&["point", "range"], 2, range::finishes),
        sig(&["range1", "range2"], 2, range::finishes),
    ],
    "flatten" => [sig(&["list"], 1, list::flatten)],
    "floor" => [sig(&["n", "scale"], 1, numeric::floor)],
    "get entries" => [sig(&["m"], 1, context::get_entries)],
    "get value" => [sig(&["m", "key"], 2, context::get_value)],
    "includes" => [
        sig(&["range", "point"], 2, range::includes),
        sig(&["range1", "range2"], 2, range::includes),
    ],
    "index of" => [sig(&["list", "match"], 2, list::index_of)],
    "insert before" => [sig(&["list", "position", "newItem"], 3, list::insert_before)],
    "is" => [sig(&["value1", "value2"], 1, temporal::is)],
    "list contains" => [sig(&["list", "element"], 2, list::list_contains)],
    "list replace" => [
        sig(&["list", "position", "newItem"], 3, list::list_replace),
        sig(&["list", "match", "newItem"], 3, list::list_replace),
    ],
    "log" => [sig(&["number"], 1, numeric::log)],
    "lower case" => [sig(&["string"], 1, string::lower_case)],
    "matches" => [sig(&["input", "pattern", "flags"], 2, string::matches)],
    "max" => [var(&["list"], 1, list::max)],
    "mean" => [var(&["list"], 1, list::mean)],
    "median" => [var(&["list"], 1, list::median)],
    "meets" => [sig(&["range1", "range2"], 2, range::meets)],
    "met by" => [sig(&["range1", "range2"], 2, range::met_by)],
    "min" => [var(&["list"], 1, list::min)],
    "mode" => [var(&["list"], 1, list::mode)],
    "modulo" => [sig(&["dividend", "divisor"], 2, numeric::modulo)],
    "month of year" => [sig(&["date"], 1, temporal::month_of_year)],
    "not" => [sig(&["negand"], 1, list::not)],
    "number" => [
        sig(&["from"], 1, conversion::number),
        sig(&["from", "grouping separator", "decimal separator"], 3, conversion::number),
    ],
    "odd" => [sig(&["number"], 1, numeric::odd)],
    "overlaps" => [sig(&["range1", "range2"], 2, range::overlaps)],
    "overlaps after" => [sig(&["range1", "range2"], 2, range::overlaps_after)],
    "overlaps before" => [sig(&["range1", "range2"], 2, range::overlaps_before)],
    "product" => [var(&["list"], 1, list::product)],
    "range" => [sig(&["from"], 1, range::range_from_string)],
    "remove" => [sig(&["list", "position"], 2, list::remove)],
    "replace" => [sig(&["input", "pattern", "replacement", "flags"], 3, string::replace)],
    "reverse" => [sig(&["list"], 1, list::reverse)],
    "round down" => [sig(&["n", "scale"], 2, numeric::round_down)],
    "round half down" => [sig(&["n", "scale"], 2, numeric::round_half_down)],
    "round half up" => [sig(&["n", "scale"], 2, numeric::round_half_up)],
    "round up" => [sig(&["n", "scale"], 2, numeric::round_up)],
    "sort" => [sig(&["list", "precedes"], 1, list::sort)],
    "split" => [sig(&["string", "delimiter"], 2, string::split)],
    "sqrt" => [sig(&["number"], 1, numeric::sqrt)],
    "started by" => [
        sig(&["range", "point"], 2, range::started_by),
        sig(&["range1", "range2"], 2, range::started_by),
    ],
    "starts" => [
        sig(&["point", "range"], 2, range::starts),
        sig(&["range1", "range2"], 2, range::starts),
    ],
    "starts with" => [sig(&["string", "match"], 2, string::starts_with)],
    "stddev" => [var(&["list"], 1, list::stddev)],
    "string" => [sig(&["from"], 1, conversion::string)],
    "string join" => [sig(&["list", "delimiter"], 1, string::string_join)],
    "string length" => [sig(&["string"], 1, string::string_length)],
    "sublist" => [sig(&["list", "start position", "length"], 2, list::sublist)],
    "substring" => [sig(&["string", "start position", "length"], 2, string::substring)],
    "substring after" => [sig(&["string", "match"], 2, string::substring_after)],
    "substring before" => [sig(&["string", "match"], 2, string::substring_before)],
    "sum" => [var(&["list"], 1, list::sum)],
    "time" => [
        sig(&["from"], 1, conversion::time),
        sig(&["hour", "minute", "second", "offset"], 3, conversion::time_from_parts),
    ],
    "union" => [var(&["list"], 0, list::union)],
    "upper case" => [sig(&["string"], 1, string::upper_case)],
    "week of year" => [sig(&["date"], 1, temporal::week_of_year)],
    "years and months duration" => [sig(&["from", "to"], 2, conversion::years_and_months_duration)],
};

/// The built-in function named `name` (FEEL spelling, single spaces).
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.name.cmp(name))
        .ok()
        .and_then(|i| BUILTINS.get(i))
}

/// All built-in functions, sorted by name.
pub fn all() -> &'static [Builtin] {
    BUILTINS
}

/// Why a DMN built-in is rejected when a model is built: `now` and `today` read the clock,
/// which the core never does. `None` for every other name.
pub fn unsupported(name: &str) -> Option<&'static str> {
    match name {
        "now" | "today" => {
            Some("the core never reads the clock: pass the current date or time as an input")
        }
        _ => None,
    }
}

/// Calls `b` with positional arguments: the first overload whose arity fits is used.
/// No fitting overload gives `Ok(Null)`.
///
/// # Errors
///
/// Returns the evaluator's error when fuel or depth runs out inside the call.
pub fn call_positional(
    b: &Builtin,
    args: Vec<Value>,
    cx: &mut dyn Invoke,
) -> Result<Value, EvalError> {
    let n = args.len();
    for o in b.overloads {
        if o.call == Call::Named {
            continue;
        }
        if n >= o.required && (n <= o.params.len() || o.variadic) {
            return (o.func)(&args, cx);
        }
    }
    Ok(Value::Null)
}

/// Calls `b` with named arguments: the first overload whose parameter names cover all
/// the given names and all its required parameters is used, with arguments put in its
/// parameter order. Unknown or duplicate names, or missing required ones, give `Ok(Null)`.
///
/// # Errors
///
/// Returns the evaluator's error when fuel or depth runs out inside the call.
pub fn call_named(
    b: &Builtin,
    args: Vec<(String, Value)>,
    cx: &mut dyn Invoke,
) -> Result<Value, EvalError> {
    let names: Vec<String> = args.iter().map(|(n, _)| normalize_name(n)).collect();
    'overloads: for o in b.overloads {
        if o.call == Call::Positional {
            continue;
        }
        let mut slots: Vec<Option<usize>> = vec![None; o.params.len()];
        for (ai, name) in names.iter().enumerate() {
            let Some(pi) = o.params.iter().position(|p| p == name) else {
                continue 'overloads;
            };
            match slots.get_mut(pi) {
                Some(slot @ None) => *slot = Some(ai),
                _ => continue 'overloads,
            }
        }
        if slots.iter().take(o.required).any(Option::is_none) {
            continue;
        }
        let last = slots.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        let positional: Vec<Value> = slots
            .iter()
            .take(last)
            .map(|slot| {
                slot.and_then(|ai| args.get(ai))
                    .map_or(Value::Null, |(_, v)| v.clone())
            })
            .collect();
        return (o.func)(&positional, cx);
    }
    Ok(Value::Null)
}

/// A parameter name with runs of whitespace collapsed to single spaces.
fn normalize_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------
// Argument helpers shared by the function groups
// ---------------------------------------------------------------------------------------

static NULL: Value = Value::Null;

/// The `i`-th argument, `null` when absent.
pub(crate) fn arg(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&NULL)
}

/// A singleton list's element, otherwise the value itself.
pub(crate) fn single(v: &Value) -> &Value {
    match v {
        Value::List(items) if items.len() == 1 => items.first().unwrap_or(v),
        _ => v,
    }
}

/// A number argument.
pub(crate) fn num(v: &Value) -> Option<Decimal> {
    match single(v) {
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// An integer argument (decimals are truncated toward zero).
pub(crate) fn int(v: &Value) -> Option<i64> {
    num(v).and_then(|n| i64::try_from(n.trunc()).ok())
}

/// A string argument.
pub(crate) fn text(v: &Value) -> Option<&str> {
    match single(v) {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A list argument: a list as is, another non-null value as a singleton list.
pub(crate) fn list_arg(v: &Value) -> Option<Cow<'_, [Value]>> {
    match v {
        Value::Null => None,
        Value::List(items) => Some(Cow::Borrowed(items.as_slice())),
        other => Some(Cow::Owned(vec![other.clone()])),
    }
}

/// The items of a variadic "list or items" call (`min([1, 2])` or `min(1, 2)`).
pub(crate) fn items_arg(args: &[Value]) -> Option<Cow<'_, [Value]>> {
    match args {
        [] => None,
        [one] => list_arg(one),
        many => Some(Cow::Borrowed(many)),
    }
}

/// Charges fuel proportional to `n` items or characters (at least one step).
pub(crate) fn charge(cx: &mut dyn Invoke, n: usize) -> Result<(), EvalError> {
    cx.charge(u64::try_from(n).unwrap_or(u64::MAX).saturating_add(1))
}

/// Charges fuel for every element of `v`, nested lists, contexts and ranges included, one
/// step per element plus one per 64 bytes of text, before anything walks the whole value
/// (formatting it, writing it out). Values built by sharing (`[l, l]`) can be exponentially
/// larger than the work that built them; this makes such a walk fail with
/// [`EvalError::FuelExhausted`] instead of running for hours. The walk itself stops as soon
/// as the fuel runs out.
///
/// # Errors
///
/// Returns [`EvalError::FuelExhausted`] when the budget is spent.
pub fn charge_value(cx: &mut dyn Invoke, v: &Value) -> Result<(), EvalError> {
    // Only values holding others wait on the stack, so a result without lists or contexts
    // nested inside (the usual decision output) is charged without allocating. The order
    // of the charges does not matter: they fail exactly when their sum exceeds the fuel.
    let mut stack: Vec<&Value> = Vec::new();
    charge_element(cx, v, &mut stack)?;
    while let Some(v) = stack.pop() {
        charge_element(cx, v, &mut stack)?;
    }
    Ok(())
}

/// Charges one element for [`charge_value`]: its own size and its strings; puts its lists,
/// contexts and ranges on `stack`.
fn charge_element<'v>(
    cx: &mut dyn Invoke,
    v: &'v Value,
    stack: &mut Vec<&'v Value>,
) -> Result<(), EvalError> {
    match v {
        Value::List(items) => {
            charge(cx, items.len())?;
            charge_children(cx, items.iter(), stack)
        }
        Value::Context(ctx) => {
            charge(cx, ctx.len())?;
            charge_children(cx, ctx.values(), stack)
        }
        Value::Range(r) => {
            charge(cx, 2)?;
            charge_children(cx, r.start.iter().chain(r.end.iter()), stack)
        }
        Value::String(s) => charge(cx, s.len() / 64),
        _ => Ok(()),
    }
}

/// Charges the strings among `items` at once; puts the values holding others on `stack`.
fn charge_children<'v>(
    cx: &mut dyn Invoke,
    items: impl Iterator<Item = &'v Value>,
    stack: &mut Vec<&'v Value>,
) -> Result<(), EvalError> {
    for item in items {
        match item {
            Value::String(s) => charge(cx, s.len() / 64)?,
            Value::List(_) | Value::Context(_) | Value::Range(_) => stack.push(item),
            _ => {}
        }
    }
    Ok(())
}

/// Wraps an optional result: `None` is `null`.
pub(crate) fn ok(v: Option<Value>) -> Result<Value, EvalError> {
    Ok(v.unwrap_or(Value::Null))
}
