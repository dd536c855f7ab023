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

use std::fmt::Write as _;
use std::sync::Arc;

use rust_decimal::Decimal;
use thiserror::Error;

use super::duration::format_number;
use super::format::{format_range, temporal_text};
use super::{Context, Value};

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

fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Null | Value::Function(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(n)),
        Value::String(s) => write_json_string(out, s),
        Value::Date(_)
        | Value::Time(_)
        | Value::DateTime(_)
        | Value::DaysTime(_)
        | Value::YearsMonths(_) => write_json_string(out, &temporal_text(v)),
        Value::Range(r) => write_json_string(out, &format_range(r)),
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
        Value::Context(ctx) => {
            let mut entries: Vec<(&String, &Value)> = ctx.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
    }
}

/// Writes a JSON string literal with exactly the escapes `serde_json::to_string` uses:
/// `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00XX` for other control characters.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
            let text = n.to_string();
            Value::Number(parse_number_text(&text).ok_or_else(|| {
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
            let mut ctx = Context::with_capacity(map.len());
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
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut scale = i64::try_from(frac_part.len()).ok()? - exponent;
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some(Decimal::ZERO);
    }
    digits = trimmed.to_owned();
    while scale > 28 && digits.ends_with('0') {
        digits.pop();
        scale -= 1;
    }
    if scale > 28 {
        return None;
    }
    if scale < 0 {
        if digits.len() as i64 - scale > 29 {
            return None;
        }
        for _ in 0..(-scale) {
            digits.push('0');
        }
        scale = 0;
    }
    if digits.len() > 29 {
        return None;
    }
    let mantissa: i128 = digits.parse().ok()?;
    let mantissa = if negative { -mantissa } else { mantissa };
    let d = Decimal::try_from_i128_with_scale(mantissa, u32::try_from(scale).ok()?).ok()?;
    Some(super::duration::normalize(d))
}
