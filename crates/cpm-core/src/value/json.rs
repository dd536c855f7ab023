//! JSON in and out of FEEL values, and the canonical JSON text compared across targets.
//!
//! Pipeline position: value layer, at the edges: inputs arrive as JSON ([`from_json`]),
//! decisions leave as JSON ([`to_json`]) and results are compared byte for byte as
//! [`to_canonical_json`].
//!
//! Numbers are exact both ways: a JSON number becomes the decimal its text denotes
//! (`0.1` stays `0.1`), and decimals are written as canonical decimal text (`1.50` → `1.5`,
//! never an exponent). Temporal values, durations and ranges are written as strings in
//! their FEEL `string()` form; functions as `null`. Strings in JSON input stay strings:
//! typing them as dates is the job of the declared input types.

use std::sync::Arc;

use rust_decimal::Decimal;
use thiserror::Error;

use super::duration::format_number;
use super::format::{format_range, temporal_text};
use super::{Context, Value};
use crate::canonical::write_string;

/// The deepest nesting of arrays and objects accepted by [`from_json`].
pub const MAX_JSON_DEPTH: usize = 64;

/// A JSON document could not be turned into FEEL values.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct JsonError {
    message: String,
}

impl JsonError {
    fn new(message: String) -> Self {
        Self { message }
    }

    /// What is wrong, lowercase, with the offending value in backticks.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The canonical JSON text of a value: compact, object keys sorted by code point, numbers
/// as canonical decimal text, strings escaped as `serde_json` does, temporal values,
/// durations and ranges as strings, functions as `null`. A pure function of the value.
pub fn to_canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, v);
    out
}

/// Writes the canonical JSON text of `v` (as [`to_canonical_json`]) at the end of `out`.
pub fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Null | Value::Function(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => super::duration::write_number(out, n),
        Value::String(s) => write_string(s, out),
        Value::Date(_)
        | Value::Time(_)
        | Value::DateTime(_)
        | Value::DaysTime(_)
        | Value::YearsMonths(_) => write_string(&temporal_text(v), out),
        Value::Range(r) => write_string(&format_range(r), out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Context(ctx) => write_context(out, ctx),
    }
}

/// Contexts of up to this many entries are written without allocating.
const SMALL_CONTEXT: usize = 16;

/// Writes a context with its keys sorted by code point.
fn write_context(out: &mut String, ctx: &Context) {
    out.push('{');
    if ctx.keys().is_sorted() {
        write_entries(out, ctx.iter());
    } else if ctx.len() <= SMALL_CONTEXT {
        let mut order = [0usize; SMALL_CONTEXT];
        let order = order.get_mut(..ctx.len()).unwrap_or_default();
        for (i, slot) in order.iter_mut().enumerate() {
            *slot = i;
        }
        order.sort_unstable_by_key(|&i| ctx.get_index(i).map(|(k, _)| k));
        write_entries(out, order.iter().filter_map(|&i| ctx.get_index(i)));
    } else {
        let entries: Vec<(&String, &Value)> = ctx.iter().collect();
        let order = crate::sort::order(entries.len(), &mut |a, b| entries[a].0.cmp(entries[b].0));
        write_entries(out, order.iter().filter_map(|&i| entries.get(i).copied()));
    }
    out.push('}');
}

/// Writes `key:value` entries, comma separated.
fn write_entries<'c>(out: &mut String, entries: impl Iterator<Item = (&'c String, &'c Value)>) {
    for (i, (k, item)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_canonical(out, item);
    }
}

/// A FEEL value as a `serde_json` value with the same content as the canonical text
/// (exact numbers; contexts keep their insertion order).
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null | Value::Function(_) => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => format_number(n)
            .parse::<serde_json::Number>()
            .map_or(J::Null, J::Number),
        Value::String(s) => J::String(s.to_string()),
        Value::Date(_)
        | Value::Time(_)
        | Value::DateTime(_)
        | Value::DaysTime(_)
        | Value::YearsMonths(_) => J::String(temporal_text(v)),
        Value::Range(r) => J::String(format_range(r)),
        Value::List(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Context(ctx) => J::Object(
            ctx.iter()
                .map(|(k, item)| (k.clone(), to_json(item)))
                .collect(),
        ),
    }
}

/// A FEEL value from JSON: numbers become exact decimals read from their text, objects
/// become contexts in document order, strings stay strings.
///
/// # Errors
///
/// Returns an error naming the value when a number does not fit a decimal (28
/// significant digits, magnitude below 7.9·10²⁸) or when arrays and objects nest deeper
/// than [`MAX_JSON_DEPTH`].
pub fn from_json(v: &serde_json::Value) -> Result<Value, JsonError> {
    from_json_at(v, 0)
}

fn from_json_at(v: &serde_json::Value, depth: usize) -> Result<Value, JsonError> {
    use serde_json::Value as J;
    if depth > MAX_JSON_DEPTH {
        return Err(JsonError::new(format!(
            "JSON nests deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    Ok(match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => {
            // The exact text (`arbitrary_precision`), not a re-formatted copy.
            let text = n.as_str();
            Value::Number(parse_number_text(text).ok_or_else(|| {
                JsonError::new(format!(
                    "number `{text}` does not fit a decimal of 28 significant digits"
                ))
            })?)
        }
        J::String(s) => Value::String(Arc::from(s.as_str())),
        J::Array(items) => Value::list(
            items
                .iter()
                .map(|x| from_json_at(x, depth + 1))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        J::Object(map) => {
            let mut ctx = Context::with_capacity_and_hasher(map.len(), Default::default());
            for (k, x) in map {
                ctx.insert(k.clone(), from_json_at(x, depth + 1)?);
            }
            Value::context(ctx)
        }
    })
}

/// The exact decimal denoted by JSON number text (`-1.50`, `1e2`, `2.5E-3`). `None` when
/// the text is malformed or the value cannot be represented exactly.
pub fn parse_number_text(text: &str) -> Option<Decimal> {
    // Plain integers (`0`, `50`, `1234`) up to 18 digits fit a u64 and are their own
    // normal form.
    if (1..=18).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
    {
        let n = text.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        return Some(Decimal::from(n));
    }
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => {
            let exp_text = rest.get(i + 1..)?;
            let exp_text = exp_text.strip_prefix('+').unwrap_or(exp_text);
            if exp_text.is_empty() || exp_text.len() > 6 {
                return None;
            }
            (rest.get(..i)?, exp_text.parse::<i64>().ok()?)
        }
        None => (rest, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // The significant digits: the integer and fraction digits without leading zeros.
    let all = || int_part.bytes().chain(frac_part.bytes());
    let leading = all().take_while(|&b| b == b'0').count();
    let total = int_part.len() + frac_part.len();
    let mut count = i64::try_from(total - leading).ok()?;
    if count == 0 {
        return Some(Decimal::ZERO);
    }
    let mut scale = i64::try_from(frac_part.len()).ok()? - exponent;
    // Trailing zeros beyond the largest scale are dropped, as far as they go.
    let zeros_at_end = |part: &str| part.bytes().rev().take_while(|&b| b == b'0').count();
    let mut trailing = zeros_at_end(frac_part);
    if trailing == frac_part.len() {
        trailing += zeros_at_end(int_part);
    }
    let trailing = i64::try_from(trailing).ok()?;
    let dropped = trailing.min((scale - 28).max(0));
    count -= dropped;
    scale -= dropped;
    if scale > 28 {
        return None;
    }
    let zeros = if scale < 0 { -scale } else { 0 };
    if count + zeros > 29 {
        return None;
    }
    let mut mantissa: i128 = 0;
    for b in all().skip(leading).take(usize::try_from(count).ok()?) {
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    for _ in 0..zeros {
        mantissa *= 10;
    }
    let scale = u32::try_from(scale.max(0)).ok()?;
    let mantissa = if negative { -mantissa } else { mantissa };
    let d = Decimal::try_from_i128_with_scale(mantissa, scale).ok()?;
    Some(super::duration::normalize(d))
}
