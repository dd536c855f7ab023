//! Range built-ins (DMN 1.5 10.3.4.9): `before`, `after`, `meets`, `met by`, `overlaps`,
//! `overlaps before`, `overlaps after`, `finishes`, `finished by`, `includes`, `during`,
//! `starts`, `started by`, `coincides`, each with its point and range overloads, and the
//! `range(from)` constructor from range literal text.
//!
//! An unbounded end point (`< 10`) behaves as minus or plus infinity. Comparisons that are
//! not defined (different types) make the result `null`, with three-valued `and`/`or`.

use std::cmp::Ordering;
use std::sync::Arc;

use super::{Invoke, arg, ok};
use crate::feel::err::EvalError;
use crate::value::duration::{parse_days_time, parse_years_months};
use crate::value::json::parse_number_text;
use crate::value::ops::{compare, eq3};
use crate::value::temporal::{parse_date, parse_date_time, parse_temporal_literal, parse_time};
use crate::value::{Range, Value};

type R = Result<Value, EvalError>;
type T = Option<bool>;

/// An end point: a value or an infinity.
#[derive(Clone, Copy)]
enum Bound<'a> {
    NegInf,
    Val(&'a Value),
    PosInf,
}

/// A range argument seen through its bounds.
struct Iv<'a> {
    start: Bound<'a>,
    start_incl: bool,
    end: Bound<'a>,
    end_incl: bool,
}

enum Arg<'a> {
    Point(&'a Value),
    Range(Iv<'a>),
}

fn classify(v: &Value) -> Option<Arg<'_>> {
    match v {
        Value::Null => None,
        Value::Range(r) => Some(Arg::Range(Iv {
            start: r.start.as_ref().map_or(Bound::NegInf, Bound::Val),
            start_incl: r.start_closed,
            end: r.end.as_ref().map_or(Bound::PosInf, Bound::Val),
            end_incl: r.end_closed,
        })),
        other => Some(Arg::Point(other)),
    }
}

fn cmp(a: Bound<'_>, b: Bound<'_>) -> Option<Ordering> {
    use Bound as B;
    match (a, b) {
        (B::NegInf, B::NegInf) | (B::PosInf, B::PosInf) => Some(Ordering::Equal),
        (B::NegInf, _) | (_, B::PosInf) => Some(Ordering::Less),
        (_, B::NegInf) | (B::PosInf, _) => Some(Ordering::Greater),
        (B::Val(x), B::Val(y)) => compare(x, y),
    }
}

fn lt(a: Bound<'_>, b: Bound<'_>) -> T {
    cmp(a, b).map(Ordering::is_lt)
}

fn gt(a: Bound<'_>, b: Bound<'_>) -> T {
    cmp(a, b).map(Ordering::is_gt)
}

fn eq(a: Bound<'_>, b: Bound<'_>) -> T {
    cmp(a, b).map(Ordering::is_eq)
}

fn and(items: &[T]) -> T {
    let mut unknown = false;
    for i in items {
        match i {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

fn or(items: &[T]) -> T {
    let mut unknown = false;
    for i in items {
        match i {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown { None } else { Some(false) }
}

fn b(x: bool) -> T {
    Some(x)
}

fn run(args: &[Value], f: fn(Arg<'_>, Arg<'_>) -> T) -> R {
    let (Some(x), Some(y)) = (classify(arg(args, 0)), classify(arg(args, 1))) else {
        return Ok(Value::Null);
    };
    ok(f(x, y).map(Value::Bool))
}

/// `before(a, b)`: `a` ends before `b` starts.
pub(super) fn before(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, before_t)
}

fn before_t(x: Arg<'_>, y: Arg<'_>) -> T {
    use Bound::Val;
    match (x, y) {
        (Arg::Point(p), Arg::Point(q)) => lt(Val(p), Val(q)),
        (Arg::Point(p), Arg::Range(r)) => or(&[
            lt(Val(p), r.start),
            and(&[eq(Val(p), r.start), b(!r.start_incl)]),
        ]),
        (Arg::Range(r), Arg::Point(p)) => {
            or(&[lt(r.end, Val(p)), and(&[eq(r.end, Val(p)), b(!r.end_incl)])])
        }
        (Arg::Range(r1), Arg::Range(r2)) => or(&[
            lt(r1.end, r2.start),
            and(&[b(!r1.end_incl || !r2.start_incl), eq(r1.end, r2.start)]),
        ]),
    }
}

/// `after(a, b)`: `a` starts after `b` ends.
pub(super) fn after(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, after_t)
}

fn after_t(x: Arg<'_>, y: Arg<'_>) -> T {
    use Bound::Val;
    match (x, y) {
        (Arg::Point(p), Arg::Point(q)) => gt(Val(p), Val(q)),
        (Arg::Point(p), Arg::Range(r)) => {
            or(&[gt(Val(p), r.end), and(&[eq(Val(p), r.end), b(!r.end_incl)])])
        }
        (Arg::Range(r), Arg::Point(p)) => or(&[
            gt(r.start, Val(p)),
            and(&[eq(r.start, Val(p)), b(!r.start_incl)]),
        ]),
        (Arg::Range(r1), Arg::Range(r2)) => or(&[
            gt(r1.start, r2.end),
            and(&[b(!r1.start_incl || !r2.end_incl), eq(r1.start, r2.end)]),
        ]),
    }
}

/// `meets(range1, range2)`: `range1` ends, included, where `range2` starts, included.
pub(super) fn meets(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Range(r1), Arg::Range(r2)) => {
            and(&[b(r1.end_incl && r2.start_incl), eq(r1.end, r2.start)])
        }
        _ => None,
    })
}

/// `met by(range1, range2)`: `range1` starts, included, where `range2` ends, included.
pub(super) fn met_by(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Range(r1), Arg::Range(r2)) => {
            and(&[b(r1.start_incl && r2.end_incl), eq(r1.start, r2.end)])
        }
        _ => None,
    })
}

/// `overlaps(range1, range2)`: the ranges share at least one point.
pub(super) fn overlaps(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Range(r1), Arg::Range(r2)) => and(&[
            or(&[
                gt(r1.end, r2.start),
                and(&[eq(r1.end, r2.start), b(r1.end_incl && r2.start_incl)]),
            ]),
            or(&[
                lt(r1.start, r2.end),
                and(&[eq(r1.start, r2.end), b(r1.start_incl && r2.end_incl)]),
            ]),
        ]),
        _ => None,
    })
}

fn overlaps_before_t(r1: &Iv<'_>, r2: &Iv<'_>) -> T {
    and(&[
        or(&[
            lt(r1.start, r2.start),
            and(&[eq(r1.start, r2.start), b(r1.start_incl && !r2.start_incl)]),
        ]),
        or(&[
            gt(r1.end, r2.start),
            and(&[eq(r1.end, r2.start), b(r1.end_incl && r2.start_incl)]),
        ]),
        or(&[
            lt(r1.end, r2.end),
            and(&[eq(r1.end, r2.end), b(!r1.end_incl || r2.end_incl)]),
        ]),
    ])
}

/// `overlaps before(range1, range2)`: `range1` starts first and ends inside `range2`.
pub(super) fn overlaps_before(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Range(r1), Arg::Range(r2)) => overlaps_before_t(&r1, &r2),
        _ => None,
    })
}

/// `overlaps after(range1, range2)`: `range2` starts first and ends inside `range1`.
pub(super) fn overlaps_after(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Range(r1), Arg::Range(r2)) => overlaps_before_t(&r2, &r1),
        _ => None,
    })
}

/// `finishes(point, range)` / `finishes(range1, range2)`: ends together, starting later.
pub(super) fn finishes(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Point(p), Arg::Range(r)) => and(&[b(r.end_incl), eq(r.end, Bound::Val(p))]),
        (Arg::Range(r1), Arg::Range(r2)) => and(&[
            b(r1.end_incl == r2.end_incl),
            eq(r1.end, r2.end),
            or(&[
                gt(r1.start, r2.start),
                and(&[eq(r1.start, r2.start), b(!r1.start_incl || r2.start_incl)]),
            ]),
        ]),
        _ => None,
    })
}

/// `finished by(range, point)` / `finished by(range1, range2)`: the converse of
/// `finishes`.
pub(super) fn finished_by(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Range(r), Arg::Point(p)) => and(&[b(r.end_incl), eq(r.end, Bound::Val(p))]),
        (Arg::Range(r1), Arg::Range(r2)) => and(&[
            b(r1.end_incl == r2.end_incl),
            eq(r1.end, r2.end),
            or(&[
                lt(r1.start, r2.start),
                and(&[eq(r1.start, r2.start), b(r1.start_incl || !r2.start_incl)]),
            ]),
        ]),
        _ => None,
    })
}

fn includes_t(x: Arg<'_>, y: Arg<'_>) -> T {
    match (x, y) {
        (Arg::Range(r), Arg::Point(p)) => {
            let p = Bound::Val(p);
            or(&[
                and(&[lt(r.start, p), gt(r.end, p)]),
                and(&[eq(r.start, p), b(r.start_incl)]),
                and(&[eq(r.end, p), b(r.end_incl)]),
            ])
        }
        (Arg::Range(r1), Arg::Range(r2)) => and(&[
            or(&[
                lt(r1.start, r2.start),
                and(&[eq(r1.start, r2.start), b(r1.start_incl || !r2.start_incl)]),
            ]),
            or(&[
                gt(r1.end, r2.end),
                and(&[eq(r1.end, r2.end), b(r1.end_incl || !r2.end_incl)]),
            ]),
        ]),
        _ => None,
    }
}

/// `includes(range, point)` / `includes(range1, range2)`.
pub(super) fn includes(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, includes_t)
}

/// `during(point, range)` / `during(range1, range2)`: the converse of `includes`.
pub(super) fn during(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (p @ Arg::Point(_), r @ Arg::Range(_)) => includes_t(r, p),
        (r1 @ Arg::Range(_), r2 @ Arg::Range(_)) => includes_t(r2, r1),
        _ => None,
    })
}

/// `starts(point, range)` / `starts(range1, range2)`: starts together, ending earlier.
pub(super) fn starts(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Point(p), Arg::Range(r)) => and(&[eq(r.start, Bound::Val(p)), b(r.start_incl)]),
        (Arg::Range(r1), Arg::Range(r2)) => and(&[
            eq(r1.start, r2.start),
            b(r1.start_incl == r2.start_incl),
            or(&[
                lt(r1.end, r2.end),
                and(&[eq(r1.end, r2.end), b(!r1.end_incl || r2.end_incl)]),
            ]),
        ]),
        _ => None,
    })
}

/// `started by(range, point)` / `started by(range1, range2)`: the converse of `starts`.
pub(super) fn started_by(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Range(r), Arg::Point(p)) => and(&[eq(r.start, Bound::Val(p)), b(r.start_incl)]),
        (Arg::Range(r1), Arg::Range(r2)) => and(&[
            eq(r1.start, r2.start),
            b(r1.start_incl == r2.start_incl),
            or(&[
                lt(r2.end, r1.end),
                and(&[eq(r2.end, r1.end), b(!r2.end_incl || r1.end_incl)]),
            ]),
        ]),
        _ => None,
    })
}

/// `coincides(point1, point2)` / `coincides(range1, range2)`: the same point, or the same
/// range.
pub(super) fn coincides(args: &[Value], _: &mut dyn Invoke) -> R {
    run(args, |x, y| match (x, y) {
        (Arg::Point(p), Arg::Point(q)) => eq3(p, q),
        (Arg::Range(r1), Arg::Range(r2)) => and(&[
            eq(r1.start, r2.start),
            b(r1.start_incl == r2.start_incl),
            eq(r1.end, r2.end),
            b(r1.end_incl == r2.end_incl),
        ]),
        _ => None,
    })
}

/// `range(from)`: a range from its literal text, `[1..10)`, `["a".."z"]`,
/// `[@"2024-01-01"..date("2024-12-31")]`. End points must be literals (numbers, strings,
/// `@"…"` or `date`/`time`/`date and time`/`duration` of a string literal) of the same
/// type with start ≤ end; anything else gives `null`.
pub(super) fn range_from_string(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Value::String(s) = arg(args, 0) else {
        return Ok(Value::Null);
    };
    super::charge(cx, s.len())?;
    ok(parse_range_text(s).map(|r| Value::Range(Arc::new(r))))
}

fn parse_range_text(s: &str) -> Option<Range> {
    let s = s.trim();
    let mut chars = s.chars();
    let start_closed = match chars.next()? {
        '[' => true,
        '(' | ']' => false,
        _ => return None,
    };
    let end_closed = match chars.next_back()? {
        ']' => true,
        ')' | '[' => false,
        _ => return None,
    };
    let inner = chars.as_str();
    let split = find_dots(inner)?;
    let start = parse_endpoint(inner.get(..split)?.trim())?;
    let end = parse_endpoint(inner.get(split + 2..)?.trim())?;
    match compare(&start, &end) {
        Some(Ordering::Less | Ordering::Equal) => Some(Range {
            start: Some(start),
            start_closed,
            end: Some(end),
            end_closed,
        }),
        _ => None,
    }
}

/// The byte index of the first `..` outside string literals.
fn find_dots(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if c == b'"' {
            in_string = true;
        } else if c == b'.' && bytes.get(i + 1) == Some(&b'.') {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn parse_endpoint(t: &str) -> Option<Value> {
    if t.starts_with('"') {
        return string_literal(t).map(|s| Value::String(Arc::from(s)));
    }
    if let Some(lit) = t.strip_prefix('@') {
        return match parse_temporal_literal(&string_literal(lit)?) {
            Value::Null => None,
            v => Some(v),
        };
    }
    for (name, conv) in [
        (
            "date and time",
            convert_date_time as fn(&str) -> Option<Value>,
        ),
        ("date", convert_date),
        ("time", convert_time),
        ("duration", convert_duration),
    ] {
        if let Some(rest) = t.strip_prefix(name) {
            let body = rest
                .trim_start()
                .strip_prefix('(')?
                .strip_suffix(')')?
                .trim();
            return conv(&string_literal(body)?);
        }
    }
    let numeric = !t.is_empty()
        && t.trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        return parse_number_text(t).map(Value::Number);
    }
    None
}

fn convert_date_time(s: &str) -> Option<Value> {
    parse_date_time(s).map(Value::DateTime)
}

fn convert_date(s: &str) -> Option<Value> {
    parse_date(s).map(Value::Date)
}

fn convert_time(s: &str) -> Option<Value> {
    parse_time(s).map(Value::Time)
}

fn convert_duration(s: &str) -> Option<Value> {
    parse_days_time(s)
        .map(Value::DaysTime)
        .or_else(|| parse_years_months(s).map(Value::YearsMonths))
}

/// The content of a complete FEEL string literal `"…"` with escapes resolved (`\"`, `\\`,
/// `\n`, `\r`, `\t`, `\'`, `\uXXXX` including surrogate pairs, `\UXXXXXX`).
fn string_literal(t: &str) -> Option<String> {
    let body = t.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hi = hex(&mut chars, 4)?;
                    if (0xD800..0xDC00).contains(&hi) {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let lo = hex(&mut chars, 4)?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return None;
                        }
                        out.push(char::from_u32(
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                        )?);
                    } else {
                        out.push(char::from_u32(hi)?);
                    }
                }
                'U' => out.push(char::from_u32(hex(&mut chars, 6)?)?),
                _ => return None,
            },
            _ => out.push(c),
        }
    }
    Some(out)
}

fn hex(chars: &mut std::str::Chars<'_>, n: usize) -> Option<u32> {
    let mut v = 0u32;
    for _ in 0..n {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}
