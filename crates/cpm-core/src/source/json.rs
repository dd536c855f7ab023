//! JSON in the source stage: the strict syntax check for `.json` files, and the conversion
//! of YAML nodes (test inputs and expected values) to `serde_json::Value` with exact
//! numbers.
//!
//! Plain YAML scalars follow the YAML 1.2 core schema: `~`, `null` and an empty value are
//! null, `true`/`false` are booleans, numbers are numbers (kept digit for digit, never
//! through a float), anything else is a string. Quoted and block scalars are strings.

use serde_json::{Map, Number, Value};

use super::err::{Collector, SourceErrorKind};
use super::tree::{Kind, Node, Pos, Style};

/// Checks that `text` is strict JSON; records a `json-syntax` error and returns `false` if
/// it is not.
pub(crate) fn check_strict(text: &str, cx: &mut Collector) -> bool {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => true,
        Err(e) => {
            let full = e.to_string();
            // serde_json appends " at line L column C"; the position goes into the Loc.
            let message = match full.rfind(" at line ") {
                Some(i) => full.get(..i).unwrap_or(&full).to_string(),
                None => full.clone(),
            };
            // serde_json counts columns in bytes; positions count characters.
            let line_text = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
            let prefix = line_text
                .get(..e.column().saturating_sub(1))
                .unwrap_or(line_text);
            let pos = Pos {
                line: super::to_u32(e.line()).max(1),
                column: super::to_u32(prefix.chars().count()).saturating_add(1),
            };
            cx.error(SourceErrorKind::JsonSyntax, pos, message);
            false
        }
    }
}

/// What a plain YAML scalar means under the YAML 1.2 core schema.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Plain {
    /// `~`, `null`, `Null`, `NULL` or empty.
    Null,
    /// `true`, `True`, `TRUE`, `false`, `False`, `FALSE`.
    Bool(bool),
    /// A number, as JSON number text with the same value and digits (`+.50` → `0.50`).
    Number(String),
    /// `.inf`, `-.inf`, `.nan` and their spellings, which have no exact decimal value.
    NonFinite,
    /// Anything else: text.
    Text,
}

/// Classifies plain scalar text `s`.
pub(crate) fn classify_plain(s: &str) -> Plain {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Plain::NonFinite,
        _ => {}
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Plain::NonFinite;
    }
    if let Some(digits) = s.strip_prefix("0o") {
        return radix_number(digits, 8);
    }
    if let Some(digits) = s.strip_prefix("0x") {
        return radix_number(digits, 16);
    }
    decimal_number(s).map_or(Plain::Text, Plain::Number)
}

fn radix_number(digits: &str, radix: u32) -> Plain {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Plain::Text;
    }
    match u128::from_str_radix(digits, radix) {
        Ok(n) => Plain::Number(n.to_string()),
        // Too large for u128: no exact conversion is attempted.
        Err(_) => Plain::NonFinite,
    }
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` as JSON number text, or `None`.
fn decimal_number(s: &str) -> Option<String> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (rest.get(..i)?, Some(rest.get(i + 1..)?)),
        None => (rest, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || !frac.is_none_or(all_digits) {
        return None;
    }
    // Either `[0-9]+(\.[0-9]*)?` or `\.[0-9]+`.
    if int.is_empty() && frac.is_none_or(str::is_empty) {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
    }
    let mut out = String::with_capacity(s.len() + 1);
    if negative {
        out.push('-');
    }
    let int = int.trim_start_matches('0');
    out.push_str(if int.is_empty() { "0" } else { int });
    if let Some(frac) = frac.filter(|f| !f.is_empty()) {
        out.push('.');
        out.push_str(frac);
    }
    if let Some(exp) = exponent {
        out.push('e');
        out.push_str(exp);
    }
    Some(out)
}

/// Converts a YAML node to a JSON value; records errors (and returns `None`) for numbers
/// with no exact value.
pub(crate) fn to_value(cx: &mut Collector, node: &Node) -> Option<Value> {
    match &node.kind {
        Kind::Scalar {
            text,
            style: Style::Quoted,
            ..
        } => Some(Value::String(text.clone())),
        Kind::Scalar {
            text,
            style: Style::Plain,
            ..
        } => match classify_plain(text) {
            Plain::Null => Some(Value::Null),
            Plain::Bool(b) => Some(Value::Bool(b)),
            Plain::Text => Some(Value::String(text.clone())),
            Plain::Number(n) => match serde_json::from_str::<Number>(&n) {
                Ok(n) => Some(Value::Number(n)),
                Err(_) => {
                    cx.error(
                        SourceErrorKind::BadNumber,
                        node.pos,
                        format!("`{text}` is not a number cpm can represent"),
                    );
                    None
                }
            },
            Plain::NonFinite => {
                cx.error_help(
                    SourceErrorKind::BadNumber,
                    node.pos,
                    format!("`{text}` has no exact decimal value"),
                    format!("write a decimal number, or quote it (`\"{text}\"`) to make it text"),
                );
                None
            }
        },
        Kind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in items {
                match to_value(cx, item) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
            ok.then_some(Value::Array(out))
        }
        Kind::Map(entries) => {
            let mut out = Map::new();
            let mut ok = true;
            for (key, value) in entries {
                match to_value(cx, value) {
                    Some(v) => {
                        out.insert(key.text.clone(), v);
                    }
                    None => ok = false,
                }
            }
            ok.then_some(Value::Object(out))
        }
    }
}
