//! Date and time built-ins: `is`, `day of year`, `day of week`, `month of year`,
//! `week of year` (ISO 8601 weeks). Each accepts a date or a date and time.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::conversion::date_of;
use super::{Invoke, arg, ok};
use crate::feel::err::EvalError;
use crate::value::Value;
use crate::value::ops::identical;

type R = Result<Value, EvalError>;

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `is(value1, value2)`: same type, same value and (for times and date-times) the same
/// zone as written.
pub(super) fn is(args: &[Value], _: &mut dyn Invoke) -> R {
    Ok(Value::Bool(identical(arg(args, 0), arg(args, 1))))
}

/// `day of year(date)`: 1..=366.
pub(super) fn day_of_year(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(date_of(arg(args, 0)).map(|d| Value::Number(Decimal::from(d.day_of_year()))))
}

/// `day of week(date)`: `"Monday"` … `"Sunday"`.
pub(super) fn day_of_week(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(date_of(arg(args, 0)).and_then(|d| {
        let i = usize::try_from(d.weekday().to_monday_zero_offset()).ok()?;
        WEEKDAYS.get(i).map(|n| Value::String(Arc::from(*n)))
    }))
}

/// `month of year(date)`: `"January"` … `"December"`.
pub(super) fn month_of_year(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(date_of(arg(args, 0)).and_then(|d| {
        let i = usize::try_from(d.month() - 1).ok()?;
        MONTHS.get(i).map(|n| Value::String(Arc::from(*n)))
    }))
}

/// `week of year(date)`: the ISO 8601 week number, 1..=53.
pub(super) fn week_of_year(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(date_of(arg(args, 0)).map(|d| Value::Number(Decimal::from(d.iso_week_date().week()))))
}
