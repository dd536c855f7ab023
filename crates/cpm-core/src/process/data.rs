//! Case data: checking given data against typed fields ("first time right": every problem
//! at once), and turning the case's JSON data into the FEEL scope its expressions run in.
//!
//! Pipeline position: `process`, used by the runner and by intake. Conversions use the same
//! code as decision inputs ([`crate::decide::input::convert`]) and validation the same code
//! as table cells ([`crate::decide::table::cell_matches`]).

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::err::{FieldError, StepError};
use crate::decide::DecideError;
use crate::decide::input::convert;
use crate::decide::table::cell_matches;
use crate::feel::ast::Expr;
use crate::feel::eval::{Evaluator, Limits};
use crate::ir::{Field, Process};
use crate::value::{Context, Value};

/// Checks `given` against `fields` and returns every problem, in field order, then unknown
/// names in the order given. With `complete`, required fields that are absent are missing;
/// otherwise (a partial update) only fields given as `null` are.
pub(crate) fn check_fields(
    fields: &[Field],
    given: &Map<String, Json>,
    complete: bool,
    scope: &Context,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for field in fields {
        let value = given.get(&field.name);
        let absent = value.is_none_or(Json::is_null);
        if absent {
            if field.required && (complete || value.is_some()) {
                errors.push(FieldError::missing(&field.name));
            }
            continue;
        }
        let Some(json) = value else { continue };
        let converted = match convert(json, &field.ty, &[], &field.name) {
            Ok(v) => v,
            Err(DecideError::InputType {
                path,
                expected,
                found,
            }) => {
                errors.push(FieldError::wrong_type(
                    &path,
                    format!("`{path}` must be {expected}, found {found}"),
                ));
                continue;
            }
            Err(other) => {
                errors.push(FieldError::wrong_type(&field.name, other.to_string()));
                continue;
            }
        };
        if let Some(cell) = &field.valid {
            let mut ev = Evaluator::new(&[], &[], Limits::default());
            ev.push_context(Arc::new(scope.clone()));
            let ok = cell_matches(&mut ev, cell, &converted).unwrap_or(false);
            if !ok {
                let message = match &field.message {
                    Some(m) => format!("`{}` must be {m}", field.name),
                    None => format!("`{}` does not pass its `valid` check", field.name),
                };
                errors.push(FieldError::invalid(&field.name, message));
            }
        }
    }
    let known = known_names(fields);
    for name in given.keys() {
        if !fields.iter().any(|f| &f.name == name) {
            errors.push(FieldError::unknown(name, &known));
        }
    }
    errors
}

/// "the fields are `a`, `b`" for messages.
fn known_names(fields: &[Field]) -> String {
    if fields.is_empty() {
        return "there are no fields".to_owned();
    }
    let names: Vec<String> = fields.iter().map(|f| format!("`{}`", f.name)).collect();
    format!("the fields are {}", names.join(", "))
}

/// The FEEL scope of a case: every field the process declares, converted from the case's
/// JSON data by its type (`null` when absent or not convertible).
pub(crate) fn scope(process: &Process, data: &Map<String, Json>) -> Context {
    let mut ctx = Context::default();
    for field in &process.fields {
        let value = data
            .get(&field.name)
            .and_then(|json| convert(json, &field.ty, &[], &field.name).ok())
            .unwrap_or(Value::Null);
        ctx.insert(field.name.clone(), value);
    }
    ctx
}

/// Evaluates a process expression in `scope`.
pub(crate) fn eval(expr: &Expr, scope: &Context) -> Result<Value, StepError> {
    let mut ev = Evaluator::new(&[], &[], Limits::default());
    ev.push_context(Arc::new(scope.clone()));
    ev.eval(expr).map_err(StepError::Eval)
}
