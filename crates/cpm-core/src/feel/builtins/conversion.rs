//! Conversion built-ins: `date`, `date and time`, `time`, `number`, `string`, `duration`,
//! `years and months duration`.

use std::sync::Arc;

use jiff::civil;
use rust_decimal::Decimal;

use super::{Invoke, arg, charge, num, ok, single, text};
use crate::feel::err::EvalError;
use crate::value::duration::{parse_days_time, parse_years_months};
use crate::value::json::parse_number_text;
use crate::value::temporal::{
    MAX_OFFSET_SECONDS, make_date, midnight, months_between, parse_date, parse_date_time,
    parse_time,
};
use crate::value::{DateTime, Time, Value, YearsMonthsDuration, Zone, format_value};

type R = Result<Value, EvalError>;

/// The date of a date or date and time value.
pub(super) fn date_of(v: &Value) -> Option<civil::Date> {
    match single(v) {
        Value::Date(d) => Some(*d),
        Value::DateTime(dt) => Some(dt.datetime.date()),
        _ => None,
    }
}

/// `date(from)`: from a date string, a date and time (its date) or a date.
pub(super) fn date(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(match single(arg(args, 0)) {
        Value::String(s) => parse_date(s).map(Value::Date),
        other => date_of(other).map(Value::Date),
    })
}

/// `date(year, month, day)`.
pub(super) fn date_from_parts(args: &[Value], _: &mut dyn Invoke) -> R {
    let parts = [arg(args, 0), arg(args, 1), arg(args, 2)].map(whole_number);
    ok(match parts {
        [Some(y), Some(m), Some(d)] => make_date(y, m, d).map(Value::Date),
        _ => None,
    })
}

/// An integer-valued number argument (a fraction makes it invalid).
fn whole_number(v: &Value) -> Option<i64> {
    let n = num(v)?;
    if !n.is_integer() {
        return None;
    }
    i64::try_from(n).ok()
}

/// `date and time(from)`: from a date and time string (a bare date gives midnight).
pub(super) fn date_and_time(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(match single(arg(args, 0)) {
        Value::String(s) => parse_date_time(s).map(Value::DateTime),
        Value::DateTime(dt) => Some(Value::DateTime(dt.clone())),
        _ => None,
    })
}

/// `date and time(date, time)`: the date of a date (or date and time) with a time and
/// its zone.
pub(super) fn date_and_time_from_parts(args: &[Value], _: &mut dyn Invoke) -> R {
    let d = date_of(arg(args, 0));
    ok(match (d, single(arg(args, 1))) {
        (Some(d), Value::Time(t)) => Some(Value::DateTime(DateTime {
            datetime: d.to_datetime(t.time),
            zone: t.zone.clone(),
        })),
        _ => None,
    })
}

/// `time(from)`: from a time string, a date and time (its time and zone), a date
/// (midnight UTC) or a time.
pub(super) fn time(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(match single(arg(args, 0)) {
        Value::String(s) => parse_time(s).map(Value::Time),
        Value::Time(t) => Some(Value::Time(t.clone())),
        Value::DateTime(dt) => Some(Value::Time(Time {
            time: dt.datetime.time(),
            zone: dt.zone.clone(),
        })),
        Value::Date(d) => Some(Value::Time(Time {
            time: midnight(*d).time(),
            zone: Some(Zone::Offset(0)),
        })),
        _ => None,
    })
}

/// `time(hour, minute, second, offset?)`: the second may be fractional; the offset is a
/// days and time duration of whole seconds within ±18 hours, or `null` for no zone.
pub(super) fn time_from_parts(args: &[Value], _: &mut dyn Invoke) -> R {
    let result = (|| {
        let hour = whole_number(arg(args, 0))?;
        let minute = whole_number(arg(args, 1))?;
        let second = num(arg(args, 2))?;
        if !(0..24).contains(&hour) || !(0..60).contains(&minute) {
            return None;
        }
        if second.is_sign_negative() || second >= Decimal::from(60) {
            return None;
        }
        let whole = second.trunc();
        let nanos = ((second - whole) * Decimal::from(1_000_000_000_i64)).trunc();
        let time = civil::Time::new(
            i8::try_from(hour).ok()?,
            i8::try_from(minute).ok()?,
            i8::try_from(i64::try_from(whole).ok()?).ok()?,
            i32::try_from(i64::try_from(nanos).ok()?).ok()?,
        )
        .ok()?;
        let zone = match single(arg(args, 3)) {
            Value::Null => None,
            Value::DaysTime(d) => {
                if !d.seconds.is_integer() {
                    return None;
                }
                let secs = i32::try_from(i64::try_from(d.seconds).ok()?).ok()?;
                if secs.abs() > MAX_OFFSET_SECONDS {
                    return None;
                }
                Some(Zone::Offset(secs))
            }
            _ => return None,
        };
        Some(Value::Time(Time { time, zone }))
    })();
    ok(result)
}

/// `number(from)` and `number(from, grouping separator, decimal separator)`: the grouping
/// separator is one of space, `,`, `.` (or `null` for none); the decimal separator is
/// `.` or `,` (`null` means `.`) and differs from the grouping separator.
pub(super) fn number(args: &[Value], cx: &mut dyn Invoke) -> R {
    if let Some(from) = text(arg(args, 0)) {
        charge(cx, from.len())?;
    }
    let result = (|| {
        let from = text(arg(args, 0))?;
        let grouping = match arg(args, 1) {
            Value::Null => None,
            v => match text(v)? {
                g @ (" " | "," | ".") => Some(g),
                _ => return None,
            },
        };
        let decimal = match arg(args, 2) {
            Value::Null => ".",
            v => match text(v)? {
                d @ ("." | ",") => d,
                _ => return None,
            },
        };
        if grouping == Some(decimal) {
            return None;
        }
        let group_char = grouping.and_then(|g| g.chars().next());
        let decimal_char = decimal.chars().next()?;
        let mut cleaned = String::with_capacity(from.len());
        for ch in from.chars() {
            if Some(ch) == group_char {
                continue;
            }
            cleaned.push(if ch == decimal_char { '.' } else { ch });
        }
        let valid = !cleaned.is_empty()
            && cleaned
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        if !valid {
            return None;
        }
        parse_number_text(&cleaned).map(Value::Number)
    })();
    ok(result)
}

/// `string(from)`: the FEEL text of any value; `null` for `null` and for functions.
pub(super) fn string(args: &[Value], cx: &mut dyn Invoke) -> R {
    Ok(match arg(args, 0) {
        Value::Null | Value::Function(_) => Value::Null,
        v => {
            // Lists and contexts may share structure (`[l, l]`), so their text can be
            // exponentially larger than the work that built them: pay for it first.
            super::charge_value(cx, v)?;
            let text = format_value(v);
            charge(cx, text.len())?;
            Value::String(Arc::from(text))
        }
    })
}

/// `duration(from)`: a days and time or a years and months duration from its text.
pub(super) fn duration(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(text(arg(args, 0)).and_then(|s| {
        parse_days_time(s)
            .map(Value::DaysTime)
            .or_else(|| parse_years_months(s).map(Value::YearsMonths))
    }))
}

/// `years and months duration(from, to)`: whole months between two dates (or the dates of
/// two date and time values), counting only complete months.
pub(super) fn years_and_months_duration(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(match (date_of(arg(args, 0)), date_of(arg(args, 1))) {
        (Some(from), Some(to)) => Some(Value::YearsMonths(YearsMonthsDuration {
            months: months_between(from, to),
        })),
        _ => None,
    })
}
