//! String built-ins. Positions and lengths count Unicode code points (a character outside
//! the Basic Multilingual Plane counts once), as DMN requires.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::regex::{compile, replace_all};
use super::{Invoke, arg, charge, int, list_arg, ok, text};
use crate::feel::err::EvalError;
use crate::value::Value;

type R = Result<Value, EvalError>;

fn string(s: impl Into<Arc<str>>) -> Value {
    Value::String(s.into())
}

/// `substring(string, start position, length?)`: 1-based start, negative counts from the
/// end (`-1` is the last character); a zero start, a negative length or a start outside
/// the string gives `null`.
pub(super) fn substring(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, s.len())?;
    let Some(start) = int(arg(args, 1)) else {
        return Ok(Value::Null);
    };
    let length = match args.get(2) {
        None => None,
        Some(v) => match int(v) {
            Some(l) if l >= 0 => Some(l),
            _ => return Ok(Value::Null),
        },
    };
    let n = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    let first = match start {
        0 => return Ok(Value::Null),
        p if p > 0 => p - 1,
        p => n + p,
    };
    if first < 0 || first > n {
        return Ok(Value::Null);
    }
    let take = length.unwrap_or(n).min(n - first);
    let out: String = s
        .chars()
        .skip(usize::try_from(first).unwrap_or(usize::MAX))
        .take(usize::try_from(take).unwrap_or(0))
        .collect();
    Ok(string(out))
}

/// `string length(string)`: the number of code points.
pub(super) fn string_length(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, s.len())?;
    Ok(Value::Number(Decimal::from(s.chars().count())))
}

/// `upper case(string)`.
pub(super) fn upper_case(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, s.len())?;
    Ok(string(s.to_uppercase()))
}

/// `lower case(string)`.
pub(super) fn lower_case(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(s) = text(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, s.len())?;
    Ok(string(s.to_lowercase()))
}

/// The two string arguments of `contains` and friends, charged for their length.
fn two<'a>(
    args: &'a [Value],
    cx: &mut dyn Invoke,
) -> Result<Option<(&'a str, &'a str)>, EvalError> {
    match (text(arg(args, 0)), text(arg(args, 1))) {
        (Some(s), Some(m)) => {
            charge(cx, s.len() + m.len())?;
            Ok(Some((s, m)))
        }
        _ => Ok(None),
    }
}

/// `substring before(string, match)`: the text before the first occurrence, `""` when
/// absent.
pub(super) fn substring_before(args: &[Value], cx: &mut dyn Invoke) -> R {
    ok(two(args, cx)?.map(|(s, m)| string(s.find(m).map_or("", |i| s.get(..i).unwrap_or("")))))
}

/// `substring after(string, match)`: the text after the first occurrence, `""` when
/// absent (the whole string for an empty match).
pub(super) fn substring_after(args: &[Value], cx: &mut dyn Invoke) -> R {
    ok(two(args, cx)?
        .map(|(s, m)| string(s.find(m).map_or("", |i| s.get(i + m.len()..).unwrap_or("")))))
}

/// `contains(string, match)`.
pub(super) fn contains(args: &[Value], cx: &mut dyn Invoke) -> R {
    ok(two(args, cx)?.map(|(s, m)| Value::Bool(s.contains(m))))
}

/// `starts with(string, match)`.
pub(super) fn starts_with(args: &[Value], cx: &mut dyn Invoke) -> R {
    ok(two(args, cx)?.map(|(s, m)| Value::Bool(s.starts_with(m))))
}

/// `ends with(string, match)`.
pub(super) fn ends_with(args: &[Value], cx: &mut dyn Invoke) -> R {
    ok(two(args, cx)?.map(|(s, m)| Value::Bool(s.ends_with(m))))
}

/// The optional flags argument: absent or `null` means none.
fn flags(args: &[Value], i: usize) -> Option<&str> {
    match args.get(i) {
        None | Some(Value::Null) => Some(""),
        Some(v) => text(v),
    }
}

/// Charges for a regex search: linear in the input, plus input × pattern for the
/// automaton simulation.
fn charge_regex(cx: &mut dyn Invoke, input: usize, pattern: usize) -> Result<(), EvalError> {
    charge(cx, input + pattern + input.saturating_mul(pattern) / 16)
}

/// `matches(input, pattern, flags?)`: whether the XPath regex matches part of the input.
pub(super) fn matches(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(input), Some(pattern), Some(f)) =
        (text(arg(args, 0)), text(arg(args, 1)), flags(args, 2))
    else {
        return Ok(Value::Null);
    };
    charge_regex(cx, input.len(), pattern.len())?;
    ok(compile(pattern, f).map(|re| Value::Bool(re.is_match(input))))
}

/// `replace(input, pattern, replacement, flags?)`: XPath `fn:replace`, with `$N` group
/// references and `\$`, `\\` escapes in the replacement.
pub(super) fn replace(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(input), Some(pattern), Some(rep), Some(f)) = (
        text(arg(args, 0)),
        text(arg(args, 1)),
        text(arg(args, 2)),
        flags(args, 3),
    ) else {
        return Ok(Value::Null);
    };
    charge_regex(cx, input.len(), pattern.len())?;
    let Some(re) = compile(pattern, f) else {
        return Ok(Value::Null);
    };
    let out = replace_all(&re, input, rep);
    if let Some(o) = &out {
        charge(cx, o.len())?;
    }
    ok(out.map(string))
}

/// `split(string, delimiter)`: the pieces between matches of the delimiter regex,
/// keeping empty pieces (`split("a;;b", ";") = ["a", "", "b"]`).
pub(super) fn split(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(input), Some(pattern)) = (text(arg(args, 0)), text(arg(args, 1))) else {
        return Ok(Value::Null);
    };
    charge_regex(cx, input.len(), pattern.len())?;
    let Some(re) = compile(pattern, "") else {
        return Ok(Value::Null);
    };
    if input.is_empty() {
        return Ok(Value::list(Vec::new()));
    }
    let parts: Vec<Value> = re.split(input).map(string).collect();
    charge(cx, parts.len())?;
    Ok(Value::list(parts))
}

/// `string join(list, delimiter?)`: the strings of the list joined, `null` items skipped;
/// any other item makes the result `null`.
pub(super) fn string_join(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    let delimiter = match args.get(1) {
        None | Some(Value::Null) => "",
        Some(v) => match text(v) {
            Some(d) => d,
            None => return Ok(Value::Null),
        },
    };
    charge(cx, items.len())?;
    // Charge for the result's bytes before building it, so a huge delimiter or a doubling
    // loop runs out of fuel instead of memory.
    let bytes = items.iter().fold(0usize, |acc, item| match item {
        Value::String(s) => acc.saturating_add(s.len()).saturating_add(delimiter.len()),
        _ => acc,
    });
    charge(cx, bytes)?;
    let mut out = String::new();
    let mut first = true;
    for item in items.iter() {
        match item {
            Value::Null => {}
            Value::String(s) => {
                if !first {
                    out.push_str(delimiter);
                }
                out.push_str(s);
                first = false;
            }
            _ => return Ok(Value::Null),
        }
    }
    Ok(string(out))
}
