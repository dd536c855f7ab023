//! Explanations: which decisions ran, with which inputs, and which rules produced each
//! table's result.
//!
//! Pipeline position: `decide`; serialized into every answer by `api`.

use crate::ir::Rule;
use crate::value::{Value, json};

/// How one decision was reached.
#[derive(Clone, Debug)]
pub struct DecisionTrace {
    /// The decision's name.
    pub decision: String,
    /// `table`, `expression` or `context`.
    pub kind: &'static str,
    /// For tables: the hit policy, input values and fired rules.
    pub table: Option<TableTrace>,
    /// The decision's value.
    pub output: Value,
}

/// What a decision table saw and did.
#[derive(Clone, Debug, Default)]
pub struct TableTrace {
    /// The hit policy, as written in DMN (`UNIQUE`, `COLLECT SUM`, ...).
    pub hit_policy: String,
    /// Each input column's expression text and value.
    pub inputs: Vec<(String, Value)>,
    /// The rules that produced the result, in output order.
    pub fired: Vec<FiredRule>,
}

/// A rule that contributed to a table's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiredRule {
    /// 1-based position in the table.
    pub index: u32,
    /// The rule's id.
    pub id: String,
    /// The rule's annotation, if any.
    pub note: Option<String>,
}

impl FiredRule {
    /// The fired-rule record of the rule at 0-based `index`.
    pub fn new(index: usize, rule: &Rule) -> Self {
        Self {
            index: u32::try_from(index + 1).unwrap_or(u32::MAX),
            id: rule.id.clone(),
            note: rule.note.clone(),
        }
    }
}

impl DecisionTrace {
    /// This trace as a JSON value with exact numbers (keys are sorted when written
    /// canonically).
    pub fn to_json(&self) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        obj.insert("decision".into(), self.decision.clone().into());
        obj.insert("kind".into(), self.kind.into());
        obj.insert("output".into(), json::to_json(&self.output));
        if let Some(t) = &self.table {
            obj.insert("hitPolicy".into(), t.hit_policy.clone().into());
            obj.insert(
                "inputs".into(),
                t.inputs
                    .iter()
                    .map(|(text, v)| {
                        let mut o = serde_json::Map::new();
                        o.insert("expression".into(), text.clone().into());
                        o.insert("value".into(), json::to_json(v));
                        serde_json::Value::Object(o)
                    })
                    .collect(),
            );
            obj.insert(
                "fired".into(),
                t.fired
                    .iter()
                    .map(|r| {
                        let mut o = serde_json::Map::new();
                        o.insert("index".into(), r.index.into());
                        o.insert("id".into(), r.id.clone().into());
                        if let Some(note) = &r.note {
                            o.insert("note".into(), note.clone().into());
                        }
                        serde_json::Value::Object(o)
                    })
                    .collect(),
            );
        }
        serde_json::Value::Object(obj)
    }
}
