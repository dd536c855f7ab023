//! Numeric built-ins: `decimal`, `floor`, `ceiling`, the `round …` family, `abs`,
//! `modulo`, `sqrt`, `log`, `exp`, `odd`, `even`.
//!
//! Scales must lie in −6111..=6176 (the DMN range); a positive scale beyond the 28 digits
//! `rust_decimal` holds leaves the number unchanged, a negative scale rounds to tens,
//! hundreds, … .

use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use super::{Invoke, arg, int, num, ok, single};
use crate::feel::err::EvalError;
use crate::value::duration::normalize;
use crate::value::{DaysTimeDuration, Value, YearsMonthsDuration};

type R = Result<Value, EvalError>;

/// The DMN limits on a scale argument.
const MIN_SCALE: i64 = -6111;
const MAX_SCALE: i64 = 6176;

fn number(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, |d| Value::Number(normalize(d)))
}

/// Rounds `n` to `scale` decimal places (negative: to a power of ten) with `strategy`.
pub(crate) fn round_to_scale(
    n: Decimal,
    scale: i64,
    strategy: RoundingStrategy,
) -> Option<Decimal> {
    if !(MIN_SCALE..=MAX_SCALE).contains(&scale) {
        return None;
    }
    if scale >= 0 {
        let dp = u32::try_from(scale.min(i64::from(Decimal::MAX_SCALE))).ok()?;
        return Some(n.round_dp_with_strategy(dp, strategy));
    }
    let k = u32::try_from(-scale).ok()?;
    if k > 28 {
        // |n| < 10^29 ≤ 10^k: the result is 0, or ±10^k (which does not fit) when the
        // strategy rounds every non-zero value away from zero.
        let away = match strategy {
            RoundingStrategy::AwayFromZero => !n.is_zero(),
            RoundingStrategy::ToPositiveInfinity => n.is_sign_positive() && !n.is_zero(),
            RoundingStrategy::ToNegativeInfinity => n.is_sign_negative() && !n.is_zero(),
            _ => false,
        };
        return if away { None } else { Some(Decimal::ZERO) };
    }
    let factor = Decimal::TEN.checked_powu(u64::from(k))?;
    let scaled = n.checked_div(factor)?;
    scaled
        .round_dp_with_strategy(0, strategy)
        .checked_mul(factor)
}

fn rounding(args: &[Value], strategy: RoundingStrategy, default_scale: Option<i64>) -> R {
    let Some(n) = num(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    let scale = match (args.get(1), default_scale) {
        (None, Some(d)) => Some(d),
        (Some(v), _) => int(v),
        (None, None) => None,
    };
    Ok(number(scale.and_then(|s| round_to_scale(n, s, strategy))))
}

/// `decimal(n, scale)`: rounds half to even.
pub(super) fn decimal(args: &[Value], _: &mut dyn Invoke) -> R {
    rounding(args, RoundingStrategy::MidpointNearestEven, None)
}

/// `floor(n, scale?)`: rounds toward negative infinity.
pub(super) fn floor(args: &[Value], _: &mut dyn Invoke) -> R {
    rounding(args, RoundingStrategy::ToNegativeInfinity, Some(0))
}

/// `ceiling(n, scale?)`: rounds toward positive infinity.
pub(super) fn ceiling(args: &[Value], _: &mut dyn Invoke) -> R {
    rounding(args, RoundingStrategy::ToPositiveInfinity, Some(0))
}

/// `round up(n, scale)`: rounds away from zero.
pub(super) fn round_up(args: &[Value], _: &mut dyn Invoke) -> R {
    rounding(args, RoundingStrategy::AwayFromZero, None)
}

/// `round down(n, scale)`: rounds toward zero.
pub(super) fn round_down(args: &[Value], _: &mut dyn Invoke) -> R {
    rounding(args, RoundingStrategy::ToZero, None)
}

/// `round half up(n, scale)`: rounds to nearest, halves away from zero.
pub(super) fn round_half_up(args: &[Value], _: &mut dyn Invoke) -> R {
    rounding(args, RoundingStrategy::MidpointAwayFromZero, None)
}

/// `round half down(n, scale)`: rounds to nearest, halves toward zero.
pub(super) fn round_half_down(args: &[Value], _: &mut dyn Invoke) -> R {
    rounding(args, RoundingStrategy::MidpointTowardZero, None)
}

/// `abs(n)`: of a number or a duration.
pub(super) fn abs(args: &[Value], _: &mut dyn Invoke) -> R {
    Ok(match single(arg(args, 0)) {
        Value::Number(n) => Value::Number(normalize(n.abs())),
        Value::DaysTime(d) => Value::DaysTime(DaysTimeDuration::from_seconds(d.seconds.abs())),
        Value::YearsMonths(d) => d.months.checked_abs().map_or(Value::Null, |m| {
            Value::YearsMonths(YearsMonthsDuration { months: m })
        }),
        _ => Value::Null,
    })
}

/// `modulo(dividend, divisor)`: the remainder with the sign of the divisor
/// (`modulo(-5, 3) = 1`); a zero divisor gives `null`.
pub(super) fn modulo(args: &[Value], _: &mut dyn Invoke) -> R {
    let (Some(a), Some(b)) = (num(arg(args, 0)), num(arg(args, 1))) else {
        return Ok(Value::Null);
    };
    if b.is_zero() {
        return Ok(Value::Null);
    }
    let result = a.checked_rem(b).and_then(|r| {
        if !r.is_zero() && r.is_sign_negative() != b.is_sign_negative() {
            r.checked_add(b)
        } else {
            Some(r)
        }
    });
    Ok(number(result))
}

/// `sqrt(number)`: `null` for negative numbers.
pub(super) fn sqrt(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(num(arg(args, 0))
        .filter(|n| !n.is_sign_negative() || n.is_zero())
        .and_then(|n| n.sqrt())
        .map(|d| Value::Number(normalize(d))))
}

/// `log(number)`: the natural logarithm; `null` unless the number is positive.
pub(super) fn log(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(num(arg(args, 0))
        .filter(|n| n.is_sign_positive() && !n.is_zero())
        .and_then(|n| n.checked_ln())
        .map(|d| Value::Number(normalize(d))))
}

/// `exp(number)`: e raised to the number; `null` on overflow.
pub(super) fn exp(args: &[Value], _: &mut dyn Invoke) -> R {
    ok(num(arg(args, 0))
        .and_then(|n| n.checked_exp())
        .map(|d| Value::Number(normalize(d))))
}

fn parity(args: &[Value], want_odd: bool) -> R {
    ok(num(arg(args, 0))
        .filter(Decimal::is_integer)
        .map(|n| Value::Bool((n % Decimal::TWO).is_zero() != want_odd)))
}

/// `odd(number)`: `null` for a non-integer.
pub(super) fn odd(args: &[Value], _: &mut dyn Invoke) -> R {
    parity(args, true)
}

/// `even(number)`: `null` for a non-integer.
pub(super) fn even(args: &[Value], _: &mut dyn Invoke) -> R {
    parity(args, false)
}
