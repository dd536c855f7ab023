//! Converting JSON input data into FEEL values by the inputs' declared types.
//!
//! Pipeline position: `decide`, before evaluation. Strings declared as dates, times or
//! durations become temporal values; anything that does not fit its type is an
//! [`DecideError::InputType`] naming the input, so bad data is refused instead of silently
//! turning into `null`.

use std::sync::Arc;

mod text;

pub use text::{TextData, convert_text, declared_from_text};

use super::err::DecideError;
use crate::feel::ast::TypeRef;
use crate::ir::TypeDef;
use crate::value::{Context, Value, duration, json, temporal};

/// The most levels of arrays and objects in an input document, the document itself
/// included (`{"A": [[1]]}` has 3); deeper is `input-too-large`.
pub const MAX_INPUT_DEPTH: usize = json::MAX_JSON_DEPTH;

/// The longest string (or object key) in an input document, in UTF-8 bytes (256 KiB).
pub const MAX_INPUT_STRING_BYTES: usize = 256 * 1024;

/// The most elements of one array (or entries of one object) in an input document.
pub const MAX_INPUT_LIST_ITEMS: usize = 100_000;

/// Checks the whole input document against [`MAX_INPUT_DEPTH`], [`MAX_INPUT_STRING_BYTES`]
/// and [`MAX_INPUT_LIST_ITEMS`] before anything is converted. Called at the request boundary
/// (`api::decide`, which every adapter uses: HTTP, the browser, the CLI), so they all refuse
/// the same documents with the same error. Decisions a process step makes from case data
/// are not held to it: case data is bounded by the size of a stored case instead.
///
/// # Errors
/// [`DecideError::InputTooLarge`] naming the first offending path (inputs in document
/// order, depth first).
pub fn check_limits(input: &serde_json::Value) -> Result<(), DecideError> {
    match input {
        serde_json::Value::Object(map) => {
            check_len(map.len(), "")?;
            for (name, data) in map {
                check_string(name, name)?;
                check_at(data, name, 1)?;
            }
            Ok(())
        }
        // Anything else is refused as `invalid-input` by the caller.
        _ => Ok(()),
    }
}

fn check_at(data: &serde_json::Value, path: &str, depth: usize) -> Result<(), DecideError> {
    use serde_json::Value as J;
    let nested = matches!(data, J::Array(_) | J::Object(_));
    if nested && depth >= MAX_INPUT_DEPTH {
        return Err(DecideError::InputTooLarge {
            path: path.to_owned(),
            message: format!(
                "arrays and objects nest deeper than {MAX_INPUT_DEPTH} levels; flatten the data"
            ),
        });
    }
    match data {
        J::String(s) => check_string(s, path),
        J::Array(items) => {
            check_len(items.len(), path)?;
            for (i, item) in items.iter().enumerate() {
                check_at(item, &format!("{path}[{i}]"), depth + 1)?;
            }
            Ok(())
        }
        J::Object(map) => {
            check_len(map.len(), path)?;
            for (key, item) in map {
                let at = format!("{path}.{key}");
                check_string(key, &at)?;
                check_at(item, &at, depth + 1)?;
            }
            Ok(())
        }
        J::Null | J::Bool(_) | J::Number(_) => Ok(()),
    }
}

fn check_string(text: &str, path: &str) -> Result<(), DecideError> {
    if text.len() > MAX_INPUT_STRING_BYTES {
        return Err(DecideError::InputTooLarge {
            path: path.to_owned(),
            message: format!(
                "a string of {} bytes is longer than the limit of {MAX_INPUT_STRING_BYTES} bytes",
                text.len()
            ),
        });
    }
    Ok(())
}

fn check_len(len: usize, path: &str) -> Result<(), DecideError> {
    if len > MAX_INPUT_LIST_ITEMS {
        return Err(DecideError::InputTooLarge {
            path: path.to_owned(),
            message: format!(
                "{len} elements are more than the limit of {MAX_INPUT_LIST_ITEMS} per list or object"
            ),
        });
    }
    Ok(())
}

/// Converts `data` to a value of type `ty`, resolving item definition names in `types`.
///
/// # Errors
/// [`DecideError::InputType`] naming `path` when `data` does not fit.
pub fn convert(
    data: &serde_json::Value,
    ty: &TypeRef,
    types: &[TypeDef],
    path: &str,
) -> Result<Value, DecideError> {
    convert_at(data, ty, types, path, 0)
}

const MAX_TYPE_DEPTH: u32 = 32;

fn convert_at(
    data: &serde_json::Value,
    ty: &TypeRef,
    types: &[TypeDef],
    path: &str,
    depth: u32,
) -> Result<Value, DecideError> {
    use serde_json::Value as J;
    let mismatch = |expected: String| DecideError::InputType {
        path: path.to_owned(),
        expected,
        found: describe(data),
    };
    if data.is_null() {
        return Ok(Value::Null);
    }
    if depth > MAX_TYPE_DEPTH {
        return Err(mismatch(format!("{ty} (type definitions nest too deeply)")));
    }
    match ty {
        TypeRef::Any => any(data, path),
        TypeRef::Null => Err(mismatch("null".to_owned())),
        TypeRef::List(item) => {
            let J::Array(items) = data else {
                return Err(mismatch(ty.to_string()));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item_data) in items.iter().enumerate() {
                out.push(convert_at(
                    item_data,
                    item,
                    types,
                    &format!("{path}[{}]", i + 1),
                    depth + 1,
                )?);
            }
            Ok(Value::list(out))
        }
        TypeRef::Context(fields) => {
            let J::Object(map) = data else {
                return Err(mismatch(ty.to_string()));
            };
            let mut ctx = Context::default();
            for (key, v) in map {
                let field_ty = fields
                    .iter()
                    .find(|(n, _)| n == key)
                    .map_or(&TypeRef::Any, |(_, t)| t);
                ctx.insert(
                    key.clone(),
                    convert_at(v, field_ty, types, &format!("{path}.{key}"), depth + 1)?,
                );
            }
            Ok(Value::Context(Arc::new(ctx)))
        }
        TypeRef::Range(_) | TypeRef::Function(..) => Err(mismatch(format!(
            "{ty}, which cannot be given as input data"
        ))),
        TypeRef::Named(name) => {
            if let Some(def) = types.iter().find(|t| &t.name == name) {
                return convert_at(data, &def.base, types, path, depth + 1);
            }
            let expected = name.as_str();
            let text = data.as_str();
            let value = match (expected, data) {
                ("number", J::Number(_)) | ("boolean", J::Bool(_)) | ("string", J::String(_)) => {
                    Some(any(data, path)?)
                }
                ("date", _) => text.and_then(temporal::parse_date).map(Value::Date),
                ("time", _) => text.and_then(temporal::parse_time).map(Value::Time),
                ("date and time", _) => text
                    .and_then(temporal::parse_date_time)
                    .map(Value::DateTime),
                ("days and time duration", _) => text
                    .and_then(duration::parse_days_time)
                    .map(Value::DaysTime),
                ("years and months duration", _) => text
                    .and_then(duration::parse_years_months)
                    .map(Value::YearsMonths),
                ("Any", _) => Some(any(data, path)?),
                _ => None,
            };
            value.ok_or_else(|| mismatch(article(expected)))
        }
    }
}

/// Converts without a declared type: JSON types map to FEEL types, strings stay strings.
fn any(data: &serde_json::Value, path: &str) -> Result<Value, DecideError> {
    json::from_json(data).map_err(|e| DecideError::InputType {
        path: path.to_owned(),
        expected: "a value FEEL can represent".to_owned(),
        found: e.to_string(),
    })
}

/// "a number", "an ISO date string" style text for messages.
fn article(ty: &str) -> String {
    match ty {
        "date" => "a date (`YYYY-MM-DD`)".to_owned(),
        "time" => "a time (`hh:mm:ss`, optionally with an offset or zone)".to_owned(),
        "date and time" => {
            "a date and time (`YYYY-MM-DDThh:mm:ss`, optionally with an offset or zone)".to_owned()
        }
        "days and time duration" => "a days and time duration (`P1DT2H`)".to_owned(),
        "years and months duration" => "a years and months duration (`P1Y2M`)".to_owned(),
        other => format!("a {other}"),
    }
}

/// A short description of a JSON value for messages.
fn describe(data: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match data {
        J::Null => "null".to_owned(),
        J::Bool(b) => format!("boolean `{b}`"),
        J::Number(n) => format!("number `{n}`"),
        J::String(s) if s.chars().count() <= 40 => format!("string `{s}`"),
        J::String(_) => "a long string".to_owned(),
        J::Array(a) => format!("a list of {} items", a.len()),
        J::Object(_) => "an object".to_owned(),
    }
}
