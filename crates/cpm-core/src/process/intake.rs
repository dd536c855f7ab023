//! Intake: which processes a contact starts, and what data each is still missing.
//!
//! Pipeline position: `process`, before [`super::start`]. A contact is a JSON object of
//! fields named like the processes' data fields (extra fields are allowed). A process
//! matches when its intake condition holds over the contact, or when its intake decision's
//! output is the process's name; matches come highest priority first, then by name.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::data::{check_fields, eval, scope};
use super::err::{ApplyError, FieldError, StepError};
use crate::decide::{Engine, Options};
use crate::ir::IntakeRule;
use crate::value::Value;

/// A process a contact starts.
#[derive(Clone, Debug, PartialEq)]
pub struct IntakeMatch {
    /// The process name.
    pub process: String,
    /// Its intake priority.
    pub priority: i64,
    /// The contact's fields that are data fields of the process: what to start it with.
    pub data: Map<String, Json>,
    /// Every missing or invalid data field (empty when the case can start).
    pub errors: Vec<FieldError>,
}

/// The processes `contact` starts, highest priority first.
///
/// # Errors
/// [`ApplyError::Step`] (step `intake`) when an intake condition or decision fails.
pub fn intake(
    engine: &Engine,
    contact: &Map<String, Json>,
) -> Result<Vec<IntakeMatch>, ApplyError> {
    let failed = |source: StepError| ApplyError::Step {
        step: "intake".to_owned(),
        source,
    };
    let mut decided: BTreeMap<&str, Value> = BTreeMap::new();
    let mut matches = Vec::new();
    for process in super::runnable(engine)? {
        let Some(intake) = &process.intake else {
            continue;
        };
        let data: Map<String, Json> = contact
            .iter()
            .filter(|(k, _)| process.data.iter().any(|f| &f.name == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let hit = match &intake.rule {
            IntakeRule::When(condition) => {
                matches!(
                    eval(condition, &scope(process, &data)).map_err(failed)?,
                    Value::Bool(true)
                )
            }
            IntakeRule::Decision(name) => {
                if !decided.contains_key(name.as_str()) {
                    let options = Options {
                        explain: false,
                        ..Options::default()
                    };
                    let out = engine
                        .decide(name, &Json::Object(contact.clone()), &options)
                        .map_err(|e| failed(StepError::Decide(e)))?;
                    decided.insert(name.as_str(), out.output);
                }
                matches!(decided.get(name.as_str()), Some(Value::String(s)) if **s == *process.name)
            }
        };
        if hit {
            let errors = check_fields(&process.data, &data, true, &scope(process, &data));
            matches.push(IntakeMatch {
                process: process.name.clone(),
                priority: intake.priority,
                data,
                errors,
            });
        }
    }
    matches.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then_with(|| a.process.cmp(&b.process))
    });
    Ok(matches)
}
