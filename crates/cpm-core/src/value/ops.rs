//! FEEL operator semantics on values: arithmetic, equality, ordering, range membership,
//! property access on non-context values and `instance of`.
//!
//! Pipeline position: value layer, called by the evaluator for every operator and by the
//! built-ins. Every function is total: an invalid combination of operands gives
//! [`Value::Null`] (or `None` for [`compare`]), never a panic.
//!
//! Notes on the DMN 1.5 rules applied here:
//! - a date plus or minus a days and time duration is computed on midnight of that date
//!   and truncated back to a date (`2021-01-02 - PT1H = 2021-01-01`);
//! - a date and time in a named zone adds days and time durations on the time line (so
//!   `PT24H` across a DST change moves the local clock by 23 or 25 hours) and years and
//!   months durations on the local calendar; without zone or with a fixed offset both are
//!   local;
//! - date and time values with a zone compare, equal and subtract by instant; values
//!   without zone compare locally; a zoned value against an unzoned one gives `null`.
//!   In subtraction a `date` stands for midnight UTC of that day;
//! - times with a named zone resolve the zone on 1970-01-01 (a time has no date);
//! - numbers carry 28 significant digits (`rust_decimal`), not the 34 FEEL asks for;
//!   results that overflow give `null` and divisions round to the nearest representable
//!   value.

use std::cmp::Ordering;
use std::sync::Arc;

use rust_decimal::{Decimal, MathematicalOps};

use super::duration::normalize;
use super::temporal::{
    NANOS_PER_SECOND, add_months, clock_from_nanos, clock_nanos, date_as_utc, duration_from_nanos,
    duration_nanos, from_local_nanos, instant_in, local_in, local_nanos, midnight, offset_at,
    time_utc_nanos,
};
use super::{
    Date, DateTime, DaysTimeDuration, Function, Range, Time, Value, YearsMonthsDuration, Zone,
};
use crate::feel::ast::TypeRef;

/// The largest integer exponent computed by repeated multiplication; larger exponents go
/// through logarithms.
const MAX_INTEGER_EXPONENT: u64 = 1000;

fn number(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, Value::Number)
}

fn days_time(seconds: Option<Decimal>) -> Value {
    seconds.map_or(Value::Null, |s| {
        Value::DaysTime(DaysTimeDuration::from_seconds(s))
    })
}

fn years_months(months: Option<i64>) -> Value {
    months.map_or(Value::Null, |m| {
        Value::YearsMonths(YearsMonthsDuration { months: m })
    })
}

/// `a + b`: numbers, string concatenation, durations, and temporal values plus durations
/// (in either order).
pub fn add(a: &Value, b: &Value) -> Value {
    use Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => number(x.checked_add(*y)),
        (V::String(x), V::String(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            V::String(Arc::from(s))
        }
        (V::DaysTime(x), V::DaysTime(y)) => days_time(x.seconds.checked_add(y.seconds)),
        (V::YearsMonths(x), V::YearsMonths(y)) => years_months(x.months.checked_add(y.months)),
        (V::Date(d), V::YearsMonths(m)) | (V::YearsMonths(m), V::Date(d)) => {
            add_months(*d, m.months).map_or(V::Null, V::Date)
        }
        (V::Date(d), V::DaysTime(x)) | (V::DaysTime(x), V::Date(d)) => {
            date_plus_nanos(*d, duration_nanos(x))
        }
        (V::DateTime(dt), V::YearsMonths(m)) | (V::YearsMonths(m), V::DateTime(dt)) => {
            date_time_plus_months(dt, m.months)
        }
        (V::DateTime(dt), V::DaysTime(x)) | (V::DaysTime(x), V::DateTime(dt)) => {
            date_time_plus_nanos(dt, duration_nanos(x))
        }
        (V::Time(t), V::DaysTime(x)) | (V::DaysTime(x), V::Time(t)) => {
            time_plus_nanos(t, duration_nanos(x))
        }
        _ => V::Null,
    }
}

fn date_plus_nanos(d: Date, n: Option<i128>) -> Value {
    let result = (|| {
        let start = local_nanos(midnight(d))?;
        from_local_nanos(start.checked_add(n?)?)
    })();
    result.map_or(Value::Null, |dt| Value::Date(dt.date()))
}

fn date_time_plus_months(dt: &DateTime, months: i64) -> Value {
    match add_months(dt.datetime.date(), months) {
        Some(d) => Value::DateTime(DateTime {
            datetime: d.to_datetime(dt.datetime.time()),
            zone: dt.zone.clone(),
        }),
        None => Value::Null,
    }
}

fn date_time_plus_nanos(dt: &DateTime, n: Option<i128>) -> Value {
    let result = (|| {
        let n = n?;
        match &dt.zone {
            Some(z @ Zone::Named(_)) => local_in(instant_in(dt.datetime, z)?.checked_add(n)?, z),
            _ => from_local_nanos(local_nanos(dt.datetime)?.checked_add(n)?),
        }
    })();
    result.map_or(Value::Null, |datetime| {
        Value::DateTime(DateTime {
            datetime,
            zone: dt.zone.clone(),
        })
    })
}

fn time_plus_nanos(t: &Time, n: Option<i128>) -> Value {
    let result = n
        .and_then(|n| clock_nanos(t.time).checked_add(n))
        .and_then(clock_from_nanos);
    result.map_or(Value::Null, |time| {
        Value::Time(Time {
            time,
            zone: t.zone.clone(),
        })
    })
}

/// `a - b`: numbers, durations, temporal values minus durations, and the differences
/// date − date, date and time − date and time (with a date standing for midnight UTC),
/// time − time (all giving days and time durations).
pub fn sub(a: &Value, b: &Value) -> Value {
    use Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => number(x.checked_sub(*y)),
        (V::DaysTime(x), V::DaysTime(y)) => days_time(x.seconds.checked_sub(y.seconds)),
        (V::YearsMonths(x), V::YearsMonths(y)) => years_months(x.months.checked_sub(y.months)),
        (V::Date(x), V::Date(y)) => {
            let diff = (|| Some(local_nanos(midnight(*x))? - local_nanos(midnight(*y))?))();
            nanos_value(diff)
        }
        (V::DateTime(x), V::DateTime(y)) => date_time_diff(x, y),
        (V::Date(x), V::DateTime(y)) => date_time_diff(&date_as_utc(*x), y),
        (V::DateTime(x), V::Date(y)) => date_time_diff(x, &date_as_utc(*y)),
        (V::Time(x), V::Time(y)) => time_diff(x, y),
        (V::Date(_) | V::DateTime(_) | V::Time(_), V::DaysTime(_) | V::YearsMonths(_)) => {
            add(a, &neg(b))
        }
        _ => V::Null,
    }
}

fn nanos_value(n: Option<i128>) -> Value {
    n.and_then(duration_from_nanos)
        .map_or(Value::Null, Value::DaysTime)
}

fn date_time_diff(x: &DateTime, y: &DateTime) -> Value {
    let diff = match (&x.zone, &y.zone) {
        (None, None) => (|| Some(local_nanos(x.datetime)? - local_nanos(y.datetime)?))(),
        (Some(_), Some(_)) => (|| Some(x.instant()? - y.instant()?))(),
        _ => None,
    };
    nanos_value(diff)
}

fn time_diff(x: &Time, y: &Time) -> Value {
    let diff = match (&x.zone, &y.zone) {
        (None, None) => Some(clock_nanos(x.time) - clock_nanos(y.time)),
        (Some(Zone::Named(a)), Some(Zone::Named(b))) if a == b => {
            Some(clock_nanos(x.time) - clock_nanos(y.time))
        }
        (Some(_), Some(_)) => (|| Some(time_utc_nanos(x)? - time_utc_nanos(y)?))(),
        _ => None,
    };
    nanos_value(diff)
}

/// `a * b`: numbers, and durations times numbers (years and months results are truncated
/// toward zero to whole months).
pub fn mul(a: &Value, b: &Value) -> Value {
    use Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => number(x.checked_mul(*y)),
        (V::DaysTime(d), V::Number(n)) | (V::Number(n), V::DaysTime(d)) => {
            days_time(d.seconds.checked_mul(*n))
        }
        (V::YearsMonths(d), V::Number(n)) | (V::Number(n), V::YearsMonths(d)) => {
            years_months(Decimal::from(d.months).checked_mul(*n).and_then(whole))
        }
        _ => V::Null,
    }
}

/// The integer part of a decimal as an `i64`, `None` when it does not fit.
fn whole(d: Decimal) -> Option<i64> {
    i64::try_from(d.trunc()).ok()
}

/// `a / b`: numbers, durations divided by numbers, and durations divided by durations of
/// the same kind (giving a number). Division by zero gives `null`.
pub fn div(a: &Value, b: &Value) -> Value {
    use Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => number(checked_div(*x, *y)),
        (V::DaysTime(d), V::Number(n)) => days_time(checked_div(d.seconds, *n)),
        (V::YearsMonths(d), V::Number(n)) => {
            years_months(checked_div(Decimal::from(d.months), *n).and_then(whole))
        }
        (V::DaysTime(x), V::DaysTime(y)) => number(checked_div(x.seconds, y.seconds)),
        (V::YearsMonths(x), V::YearsMonths(y)) => number(checked_div(
            Decimal::from(x.months),
            Decimal::from(y.months),
        )),
        _ => V::Null,
    }
}

fn checked_div(x: Decimal, y: Decimal) -> Option<Decimal> {
    if y.is_zero() {
        return None;
    }
    x.checked_div(y).map(normalize)
}

/// `a ** b`: integer exponents (up to 1000 in magnitude) by exact repeated
/// multiplication, other exponents through `exp(b · ln a)` for a positive base.
pub fn pow(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number(pow_decimal(*x, *y)),
        _ => Value::Null,
    }
}

pub(crate) fn pow_decimal(base: Decimal, exp: Decimal) -> Option<Decimal> {
    if exp.is_integer() {
        if let Ok(e) = i64::try_from(exp) {
            if e.unsigned_abs() <= MAX_INTEGER_EXPONENT {
                let p = base.checked_powu(e.unsigned_abs())?;
                return if e >= 0 {
                    Some(normalize(p))
                } else {
                    checked_div(Decimal::ONE, p)
                };
            }
        }
        if base == Decimal::ONE {
            return Some(Decimal::ONE);
        }
    }
    if base.is_zero() {
        return exp.is_sign_positive().then_some(Decimal::ZERO);
    }
    if base.is_sign_negative() {
        return None;
    }
    base.checked_powd(exp).map(normalize)
}

/// `-a`: numbers and durations.
pub fn neg(a: &Value) -> Value {
    match a {
        Value::Number(x) => Value::Number(normalize(-*x)),
        Value::DaysTime(d) => Value::DaysTime(DaysTimeDuration::from_seconds(-d.seconds)),
        Value::YearsMonths(d) => years_months(d.months.checked_neg()),
        _ => Value::Null,
    }
}

/// FEEL `=`: `Bool` or `Null`. `null = null` is true and `x = null` false; values of
/// different types give `null`; lists, contexts and ranges compare deeply (a `null`
/// element comparison makes the whole result `null` unless another element differs).
pub fn equal(a: &Value, b: &Value) -> Value {
    match eq3(a, b) {
        Some(x) => Value::Bool(x),
        None => Value::Null,
    }
}

/// Three-valued equality: `None` for `null`.
pub(crate) fn eq3(a: &Value, b: &Value) -> Option<bool> {
    use Value as V;
    match (a, b) {
        (V::Null, V::Null) => Some(true),
        (V::Null, _) | (_, V::Null) => Some(false),
        (V::Bool(x), V::Bool(y)) => Some(x == y),
        (V::Number(x), V::Number(y)) => Some(x == y),
        (V::String(x), V::String(y)) => Some(x == y),
        (V::Date(x), V::Date(y)) => Some(x == y),
        (V::Time(x), V::Time(y)) => compare_time(x, y).map(Ordering::is_eq),
        (V::DateTime(x), V::DateTime(y)) => compare_date_time(x, y).map(Ordering::is_eq),
        (V::DaysTime(x), V::DaysTime(y)) => Some(x.seconds == y.seconds),
        (V::YearsMonths(x), V::YearsMonths(y)) => Some(x.months == y.months),
        (V::List(x), V::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all3(x.iter().zip(y.iter()).map(|(p, q)| eq3(p, q)))
        }
        (V::Context(x), V::Context(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut unknown = false;
            for (k, p) in x.iter() {
                match y.get(k) {
                    None => return Some(false),
                    Some(q) => match eq3(p, q) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    },
                }
            }
            if unknown { None } else { Some(true) }
        }
        (V::Range(x), V::Range(y)) => {
            if x.start_closed != y.start_closed || x.end_closed != y.end_closed {
                return Some(false);
            }
            all3([endpoint_eq(&x.start, &y.start), endpoint_eq(&x.end, &y.end)])
        }
        (V::Function(x), V::Function(y)) => Some(match (x, y) {
            (Function::Builtin(p), Function::Builtin(q)) => p == q,
            (Function::Knowledge(p), Function::Knowledge(q)) => p == q,
            (Function::Lambda(p), Function::Lambda(q)) => Arc::ptr_eq(p, q),
            _ => false,
        }),
        _ => None,
    }
}

fn endpoint_eq(x: &Option<Value>, y: &Option<Value>) -> Option<bool> {
    match (x, y) {
        (None, None) => Some(true),
        (Some(p), Some(q)) => eq3(p, q),
        _ => Some(false),
    }
}

/// Three-valued conjunction: false wins, then null, then true.
pub(crate) fn all3(items: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for item in items {
        match item {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

/// Ordering for `<`, `<=`, `>`, `>=`: numbers, strings (by code point), dates, times,
/// date and time values and durations of the same kind. `None` when not comparable.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => Some(x.cmp(y)),
        (V::String(x), V::String(y)) => Some(x.cmp(y)),
        (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::Time(x), V::Time(y)) => compare_time(x, y),
        (V::DateTime(x), V::DateTime(y)) => compare_date_time(x, y),
        (V::DaysTime(x), V::DaysTime(y)) => Some(x.seconds.cmp(&y.seconds)),
        (V::YearsMonths(x), V::YearsMonths(y)) => Some(x.months.cmp(&y.months)),
        _ => None,
    }
}

fn compare_time(x: &Time, y: &Time) -> Option<Ordering> {
    match (&x.zone, &y.zone) {
        (None, None) => Some(x.time.cmp(&y.time)),
        (Some(Zone::Named(a)), Some(Zone::Named(b))) if a == b => Some(x.time.cmp(&y.time)),
        (Some(_), Some(_)) => Some(time_utc_nanos(x)?.cmp(&time_utc_nanos(y)?)),
        _ => None,
    }
}

fn compare_date_time(x: &DateTime, y: &DateTime) -> Option<Ordering> {
    match (&x.zone, &y.zone) {
        (None, None) => Some(x.datetime.cmp(&y.datetime)),
        (Some(_), Some(_)) => Some(x.instant()?.cmp(&y.instant()?)),
        _ => None,
    }
}

/// Whether `v` lies in range `r`: `Bool`, or `Null` when an end point is not comparable
/// with `v` (or `v` is `null`).
pub fn in_range(v: &Value, r: &Range) -> Value {
    match in_range3(v, r) {
        Some(x) => Value::Bool(x),
        None => Value::Null,
    }
}

pub(crate) fn in_range3(v: &Value, r: &Range) -> Option<bool> {
    if v.is_null() {
        return None;
    }
    let lower = match &r.start {
        None => Some(true),
        Some(s) => compare(s, v).map(|o| o.is_lt() || (o.is_eq() && r.start_closed)),
    };
    let upper = match &r.end {
        None => Some(true),
        Some(e) => compare(v, e).map(|o| o.is_lt() || (o.is_eq() && r.end_closed)),
    };
    all3([lower, upper])
}

/// FEEL `is(a, b)`: same type and same value, and for times and date-times also the same
/// zone as written (`Z` and `+00:00` are the same zone; `@Etc/UTC` is not).
pub fn identical(a: &Value, b: &Value) -> bool {
    use Value as V;
    match (a, b) {
        (V::Time(x), V::Time(y)) => x == y,
        (V::DateTime(x), V::DateTime(y)) => x == y,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b) && eq3(a, b) == Some(true),
    }
}

fn int(n: impl Into<i64>) -> Value {
    Value::Number(Decimal::from(n.into()))
}

/// `v.name` on a non-context value: date, time and date and time components, duration
/// components, range end points. Contexts look the key up. `Null` otherwise.
pub fn property(v: &Value, name: &str) -> Value {
    match v {
        Value::Context(ctx) => ctx.get(name).cloned().unwrap_or(Value::Null),
        Value::Date(d) => date_property(*d, name),
        Value::DateTime(dt) => match name {
            "year" | "month" | "day" | "weekday" => date_property(dt.datetime.date(), name),
            "hour" | "minute" | "second" => clock_property(dt.datetime.time(), name),
            "time offset" => match &dt.zone {
                Some(z) => offset_at(dt.datetime, z).map_or(Value::Null, offset_value),
                None => Value::Null,
            },
            "timezone" => zone_name(dt.zone.as_ref()),
            _ => Value::Null,
        },
        Value::Time(t) => match name {
            "hour" | "minute" | "second" => clock_property(t.time, name),
            "time offset" => match &t.zone {
                Some(Zone::Offset(s)) => offset_value(*s),
                _ => Value::Null,
            },
            "timezone" => zone_name(t.zone.as_ref()),
            _ => Value::Null,
        },
        Value::DaysTime(d) => {
            let secs = d.seconds;
            let day = Decimal::from(86_400);
            match name {
                "days" => Value::Number((secs / day).trunc()),
                "hours" => Value::Number(((secs % day) / Decimal::from(3600)).trunc()),
                "minutes" => {
                    Value::Number(((secs % Decimal::from(3600)) / Decimal::from(60)).trunc())
                }
                "seconds" => Value::Number(normalize(secs % Decimal::from(60))),
                _ => Value::Null,
            }
            .normalized_number()
        }
        Value::YearsMonths(d) => match name {
            "years" => int(d.months / 12),
            "months" => int(d.months % 12),
            _ => Value::Null,
        },
        Value::Range(r) => match name {
            "start" => r.start.clone().unwrap_or(Value::Null),
            "end" => r.end.clone().unwrap_or(Value::Null),
            "start included" => Value::Bool(r.start_closed),
            "end included" => Value::Bool(r.end_closed),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

impl Value {
    /// Normalises a number (no trailing zeros, no negative zero); other values unchanged.
    fn normalized_number(self) -> Value {
        match self {
            Value::Number(n) => Value::Number(normalize(n)),
            other => other,
        }
    }
}

fn date_property(d: Date, name: &str) -> Value {
    match name {
        "year" => int(d.year()),
        "month" => int(d.month()),
        "day" => int(d.day()),
        "weekday" => int(d.weekday().to_monday_one_offset()),
        _ => Value::Null,
    }
}

fn clock_property(t: jiff::civil::Time, name: &str) -> Value {
    match name {
        "hour" => int(t.hour()),
        "minute" => int(t.minute()),
        "second" => {
            let nanos =
                i128::from(t.second()) * NANOS_PER_SECOND + i128::from(t.subsec_nanosecond());
            Decimal::try_from_i128_with_scale(nanos, 9)
                .map_or(Value::Null, |d| Value::Number(normalize(d)))
        }
        _ => Value::Null,
    }
}

fn offset_value(seconds: i32) -> Value {
    Value::DaysTime(DaysTimeDuration::from_seconds(Decimal::from(seconds)))
}

fn zone_name(z: Option<&Zone>) -> Value {
    match z {
        Some(Zone::Named(name)) => Value::String(name.clone()),
        _ => Value::Null,
    }
}

/// `v instance of ty` for built-in types. `null` is an instance of `Null` only; item
/// definition names are not known here and give `false` (the evaluator resolves them).
/// A function value conforms to any `function<…> -> …` type whose parameter count matches
/// the declared parameters of a FEEL-defined function (built-ins and knowledge models are
/// accepted on arity alone when it can be known, otherwise accepted).
pub fn conforms(v: &Value, ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Any => !v.is_null(),
        TypeRef::Null => v.is_null(),
        TypeRef::Named(name) => conforms_named(v, name),
        TypeRef::List(item) => match v {
            Value::List(items) => items.iter().all(|x| x.is_null() || conforms(x, item)),
            _ => false,
        },
        TypeRef::Range(item) => match v {
            Value::Range(r) => [&r.start, &r.end]
                .into_iter()
                .flatten()
                .all(|x| x.is_null() || conforms(x, item)),
            _ => false,
        },
        TypeRef::Context(fields) => match v {
            Value::Context(ctx) => fields.iter().all(|(k, t)| match ctx.get(k) {
                Some(x) => x.is_null() || conforms(x, t),
                None => false,
            }),
            _ => false,
        },
        TypeRef::Function(params, _) => match v {
            Value::Function(Function::Lambda(l)) => {
                l.params.len() == params.len()
                    && l.params
                        .iter()
                        .zip(params.iter())
                        .all(|((_, declared), wanted)| match declared {
                            None | Some(TypeRef::Any) => true,
                            Some(d) => d == wanted,
                        })
            }
            Value::Function(_) => true,
            _ => false,
        },
    }
}

fn conforms_named(v: &Value, name: &str) -> bool {
    (name == "Any" && !v.is_null())
        || matches!(
            (name, v),
            ("number", Value::Number(_))
                | ("string", Value::String(_))
                | ("boolean", Value::Bool(_))
                | ("date", Value::Date(_))
                | ("time", Value::Time(_))
                | ("date and time" | "dateTime", Value::DateTime(_))
                | (
                    "days and time duration" | "dayTimeDuration",
                    Value::DaysTime(_)
                )
                | (
                    "years and months duration" | "yearMonthDuration",
                    Value::YearsMonths(_)
                )
                | ("list", Value::List(_))
                | ("context", Value::Context(_))
                | ("range", Value::Range(_))
                | ("function", Value::Function(_))
        )
}

/// FEEL's short-circuit over booleans, shared by `all`/`any` and `every`/`some`: `decisive`
/// if any item is `decisive`, else `null` if any item is not a boolean, else `!decisive`.
pub fn fold_booleans<'a>(items: impl IntoIterator<Item = &'a Value>, decisive: bool) -> Value {
    let mut unknown = false;
    for item in items {
        match item {
            Value::Bool(b) if *b == decisive => return Value::Bool(decisive),
            Value::Bool(_) => {}
            _ => unknown = true,
        }
    }
    if unknown {
        Value::Null
    } else {
        Value::Bool(!decisive)
    }
}
