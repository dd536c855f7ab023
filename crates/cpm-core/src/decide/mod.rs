//! Evaluating decisions: decision graphs in dependency order, decision tables with their hit
//! policies, boxed contexts, and the explanation of every answer.
//!
//! Pipeline position: after `bundle` (an [`Engine`] is built from a decoded bundle); called
//! by `api`.

pub mod err;
pub mod explain;
pub mod index;
pub mod input;
pub mod prepared;
pub mod table;
pub mod zone_use;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bundle::Bundle;
use crate::feel::err::EvalError;
use crate::feel::eval::{Evaluator, Limits};
use crate::ir::{Body, Decision, Model};
use crate::value::{Context, Value};

pub use err::DecideError;
pub use explain::{DecisionTrace, FiredRule, TableTrace};

/// Evaluates a decision or knowledge-model body in the evaluator's current scope.
///
/// When `trace` is given, a table body records its inputs and fired rules there.
///
/// # Errors
/// Hit policy violations and budget errors.
pub fn eval_body(
    ev: &mut Evaluator<'_>,
    body: &Body,
    trace: Option<&mut TableTrace>,
) -> Result<Value, EvalError> {
    match body {
        Body::Expr(e) => ev.eval(e),
        Body::Table(t) => ev.nested(|ev| table::eval_table(ev, t, trace)),
        Body::Context { entries, result } => ev.nested(|ev| {
            ev.push_context(Arc::new(Context::default()));
            let value = context_body(ev, entries, result.as_ref());
            let ctx = ev.pop_context();
            match value? {
                Some(v) => Ok(v),
                None => Ok(ctx.map_or(Value::Null, Value::Context)),
            }
        }),
    }
}

/// Evaluates boxed-context entries into the innermost frame, then the result expression.
fn context_body(
    ev: &mut Evaluator<'_>,
    entries: &[(String, Body)],
    result: Option<&crate::feel::ast::Expr>,
) -> Result<Option<Value>, EvalError> {
    for (name, body) in entries {
        let v = eval_body(ev, body, None)?;
        ev.bind(name.clone(), v);
    }
    result.map(|e| ev.eval(e)).transpose()
}

/// Options of one decision request.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Whether to build the explanation.
    pub explain: bool,
    /// Evaluation budgets.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            explain: true,
            limits: Limits::default(),
        }
    }
}

/// The result of a decision request.
#[derive(Clone, Debug)]
pub struct Decided {
    /// The requested decision's value.
    pub output: Value,
    /// One trace per decision evaluated, in evaluation order (empty when not requested).
    pub trace: Vec<DecisionTrace>,
}

/// A loaded bundle, ready to answer decision requests. Cheap to share; holds no
/// per-request state.
#[derive(Debug)]
pub struct Engine {
    bundle: Bundle,
    by_name: BTreeMap<String, (usize, usize)>,
}

impl Engine {
    /// An engine for `bundle`.
    pub fn new(bundle: Bundle) -> Self {
        let mut by_name = BTreeMap::new();
        for (m, model) in bundle.program.models.iter().enumerate() {
            for (d, decision) in model.decisions.iter().enumerate() {
                by_name.insert(decision.name.clone(), (m, d));
            }
        }
        Self { bundle, by_name }
    }

    /// The bundle this engine runs.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The bundle's content hash.
    pub fn hash(&self) -> &str {
        &self.bundle.hash
    }

    /// Every decision, by name, with its model.
    pub fn decisions(&self) -> impl Iterator<Item = (&Model, &Decision)> {
        self.by_name.values().filter_map(|&(m, d)| {
            let model = self.bundle.program.models.get(m)?;
            Some((model, model.decisions.get(d)?))
        })
    }

    /// Finds a decision by name.
    pub fn find(&self, name: &str) -> Option<(&Model, &Decision)> {
        let &(m, d) = self.by_name.get(name)?;
        let model = self.bundle.program.models.get(m)?;
        Some((model, model.decisions.get(d)?))
    }

    /// Whether any request to this bundle could meet a named time zone (`@Europe/Paris`):
    /// an over-approximation, see [`zone_use`]. Engines built without the tz database load
    /// the zone data ([`crate::value::zones::install`]) only for such bundles.
    pub fn may_meet_named_zones(&self) -> bool {
        zone_use::may_meet_named_zones(&self.bundle.program)
    }

    /// Evaluates decision `name` for the JSON input data `input`.
    ///
    /// # Errors
    /// Unknown decision, input that does not fit its declared types, hit policy violations,
    /// exhausted budgets: see [`DecideError`].
    pub fn decide(
        &self,
        name: &str,
        input: &serde_json::Value,
        options: &Options,
    ) -> Result<Decided, DecideError> {
        watch_zones();
        let Some((model, decision)) = self.find(name) else {
            return Err(DecideError::UnknownDecision {
                name: name.to_owned(),
                known: self.known_names(),
            });
        };
        let decided = self
            .input_values(model, input, options)
            .and_then(|values| decide_declared(model, decision, values, options));
        zones_checked(decided)
    }

    /// [`Engine::decide`] for input data given as JSON text, read straight into the
    /// decision's scope without building the document as a JSON object first.
    ///
    /// `None` when the text needs the general path: the decision is unknown, or the
    /// document is not one [`input::declared_from_text`] reads (not an object, a name given
    /// twice, data over a limit, invalid JSON) or its data does not fit the declared types.
    /// The caller then parses the text and calls [`Engine::decide`], which gives the same
    /// answer or the precise error; `Some` is exactly what that would give.
    pub fn decide_json_text(
        &self,
        name: &str,
        input_json: &str,
        options: &Options,
    ) -> Option<Result<Decided, DecideError>> {
        watch_zones();
        let (model, decision) = self.find(name)?;
        // Data that does not convert or is not allowed declines: the general path names the
        // error. (Absent inputs are null, which every type allows.)
        let values = input::declared_from_text(
            input_json,
            model.inputs.iter().map(|i| i.name.as_str()),
            |position, data| {
                let declared = model.inputs.get(position)?;
                let value = input::convert_text(data, &declared.ty, &model.types, &declared.name)?;
                check_allowed(model, &declared.ty, &value, &declared.name, options).ok()?;
                Some(value)
            },
        )?;
        Some(zones_checked(decide_declared(
            model, decision, values, options,
        )))
    }

    /// Evaluates decision `name` for input data given as FEEL values (by input name).
    ///
    /// Declared inputs missing from `input` are null; entries that name no declared input
    /// are ignored. Values are taken as they are (no conversion by the declared type); a value
    /// outside its item definition's allowed values is refused as with [`Engine::decide`].
    ///
    /// # Errors
    /// As [`Engine::decide`].
    pub fn decide_values(
        &self,
        name: &str,
        input: &Context,
        options: &Options,
    ) -> Result<Decided, DecideError> {
        watch_zones();
        let Some((model, decision)) = self.find(name) else {
            return Err(DecideError::UnknownDecision {
                name: name.to_owned(),
                known: self.known_names(),
            });
        };
        let decided = values_given(model, input, options)
            .and_then(|values| decide_declared(model, decision, values, options));
        zones_checked(decided)
    }

    /// Invokes the business knowledge model (or converted decision service) `name` with
    /// arguments by parameter name; parameters not given are null.
    ///
    /// # Errors
    /// [`DecideError::UnknownDecision`] when no knowledge model has that name; evaluation
    /// errors as for decisions.
    pub fn invoke(
        &self,
        name: &str,
        args: &Context,
        options: &Options,
    ) -> Result<Value, DecideError> {
        watch_zones();
        let found = self.bundle.program.models.iter().find_map(|m| {
            let i = m.knowledge.iter().position(|k| k.name == name)?;
            Some((m, m.knowledge.get(i)?, u32::try_from(i).ok()?))
        });
        let Some((model, knowledge, index)) = found else {
            return Err(DecideError::UnknownDecision {
                name: name.to_owned(),
                known: self.known_names(),
            });
        };
        let named = knowledge
            .params
            .iter()
            .map(|(p, _)| (p.clone(), args.get(p).cloned().unwrap_or(Value::Null)))
            .collect();
        let mut ev = Evaluator::new(&model.knowledge, &model.types, options.limits);
        let value = ev
            .call(
                &crate::value::Function::Knowledge(index),
                crate::feel::eval::CallArgs::Named(named),
            )
            .map_err(|source| DecideError::Eval {
                decision: name.to_owned(),
                source,
            });
        zones_checked(value)
    }

    /// Converts the input document to the values of the declared inputs (missing ones null).
    fn input_values(
        &self,
        model: &Model,
        input: &serde_json::Value,
        options: &Options,
    ) -> Result<Vec<Value>, DecideError> {
        let map = match input {
            serde_json::Value::Object(map) => Some(map),
            serde_json::Value::Null => None,
            other => {
                return Err(DecideError::InputNotObject {
                    found: json_kind(other),
                });
            }
        };
        declared_values(
            model,
            model
                .inputs
                .iter()
                .map(|declared| map.and_then(|m| m.get(&declared.name))),
            options,
        )
    }

    fn known_names(&self) -> String {
        let names: Vec<String> = self
            .by_name
            .keys()
            .take(20)
            .map(|n| format!("`{n}`"))
            .collect();
        if names.is_empty() {
            "no decisions".to_owned()
        } else {
            format!(
                "{}{}",
                names.join(", "),
                if self.by_name.len() > 20 { ", …" } else { "" }
            )
        }
    }
}

/// The values of a decision request's declared inputs, in declared order: each converted
/// by its declared type from its data (`None`: absent, so null) and held to its allowed
/// values.
fn declared_values<'d>(
    model: &Model,
    data: impl Iterator<Item = Option<&'d serde_json::Value>>,
    options: &Options,
) -> Result<Vec<Value>, DecideError> {
    let mut values = Vec::with_capacity(model.inputs.len());
    for (declared, data) in model.inputs.iter().zip(data) {
        let value = match data {
            Some(data) => input::convert(data, &declared.ty, &model.types, &declared.name)?,
            None => Value::Null,
        };
        check_allowed(model, &declared.ty, &value, &declared.name, options)?;
        values.push(value);
    }
    Ok(values)
}

/// Evaluates `decision` for the values of the model's declared inputs (in declared order):
/// straight from them when the decision is a table that needs nothing else
/// ([`decide_table_directly`]), otherwise in a scope of them.
fn decide_declared(
    model: &Model,
    decision: &Decision,
    values: Vec<Value>,
    options: &Options,
) -> Result<Decided, DecideError> {
    let values = match decide_table_directly(model, decision, values, options) {
        Ok(decided) => return decided,
        Err(values) => values,
    };
    let mut scope = Context::with_capacity_and_hasher(
        model.inputs.len() + model.decisions.len(),
        Default::default(),
    );
    for (declared, value) in model.inputs.iter().zip(values) {
        scope.insert(declared.name.clone(), value);
    }
    decide_in(model, decision, scope, options)
}

/// [`decide_in`] without a scope, for a decision that requires no other decision and is a
/// table whose input expressions are declared inputs' names and whose cells and outputs are
/// literals ([`prepared::PreparedTable::is_scope_free`]): its input values are taken from
/// `values` (declared order) instead of being looked up, charged as the lookups are. The
/// same answer and errors as [`decide_in`]; `Err` with `values` for any other decision.
fn decide_table_directly(
    model: &Model,
    decision: &Decision,
    values: Vec<Value>,
    options: &Options,
) -> Result<Result<Decided, DecideError>, Vec<Value>> {
    let Body::Table(table) = &decision.body else {
        return Err(values);
    };
    let scope_free = table
        .index
        .prepared(table)
        .is_some_and(prepared::PreparedTable::is_scope_free);
    if !decision.plan.is_empty() || !scope_free {
        return Err(values);
    }
    let inputs = table_inputs(model, table, values)?;
    let mut ev = Evaluator::new(&model.knowledge, &model.types, options.limits);
    let mut table_trace = TableTrace::default();
    let result = ev.nested(|ev| {
        for _ in &inputs {
            ev.charge_name()?;
        }
        table::eval_rows(
            ev,
            table,
            inputs,
            options.explain.then_some(&mut table_trace),
        )
    });
    let mut trace = Vec::new();
    Ok(finish_step(
        &mut ev,
        model,
        decision,
        result,
        table_trace,
        options,
        &mut trace,
    )
    .map(|output| Decided { output, trace }))
}

/// The values of `table`'s input columns when each is the name of a declared input, from
/// the declared inputs' `values`: `values` itself when the columns are the declared inputs
/// in order. `Err` with `values` when a column is anything else.
fn table_inputs(
    model: &Model,
    table: &crate::ir::Table,
    values: Vec<Value>,
) -> Result<Vec<Value>, Vec<Value>> {
    // In the scope a later input of the same name would hide an earlier one.
    let position = |input: &crate::ir::TableInput| match &input.expr.kind {
        crate::feel::ast::ExprKind::Name(name) => {
            model.inputs.iter().rposition(|d| &d.name == name)
        }
        _ => None,
    };
    let mut in_order = table.inputs.len() == values.len();
    for (column, input) in table.inputs.iter().enumerate() {
        match position(input) {
            Some(p) => in_order &= p == column,
            None => return Err(values),
        }
    }
    if in_order {
        return Ok(values);
    }
    Ok(table
        .inputs
        .iter()
        .map(|input| {
            position(input)
                .and_then(|p| values.get(p).cloned())
                .unwrap_or(Value::Null)
        })
        .collect())
}

/// Refuses a value outside its item definition's allowed values.
#[inline]
fn check_allowed(
    model: &Model,
    ty: &crate::feel::ast::TypeRef,
    value: &Value,
    path: &str,
    options: &Options,
) -> Result<(), DecideError> {
    // Only item definitions have allowed values.
    if model.types.is_empty() || !matches!(ty, crate::feel::ast::TypeRef::Named(_)) {
        return Ok(());
    }
    check_allowed_values(model, ty, value, path, options)
}

/// [`check_allowed`] for a type that may name an item definition.
fn check_allowed_values(
    model: &Model,
    ty: &crate::feel::ast::TypeRef,
    value: &Value,
    path: &str,
    options: &Options,
) -> Result<(), DecideError> {
    let crate::feel::ast::TypeRef::Named(name) = ty else {
        return Ok(());
    };
    let Some(def) = model.types.iter().find(|t| &t.name == name) else {
        return Ok(());
    };
    let Some(allowed) = &def.allowed else {
        return Ok(());
    };
    if value.is_null() {
        return Ok(());
    }
    let mut ev = Evaluator::new(&model.knowledge, &model.types, options.limits);
    let ok = table::cell_matches(&mut ev, allowed, value).map_err(|source| DecideError::Eval {
        decision: format!("allowed values of `{name}`"),
        source,
    })?;
    if ok {
        Ok(())
    } else {
        Err(DecideError::InputType {
            path: path.to_owned(),
            expected: format!("one of the allowed values of `{name}`"),
            found: crate::value::json::to_canonical_json(value),
        })
    }
}

/// The declared inputs' values for [`Engine::decide_values`], in declaration order: from
/// `input` or null, each held to its allowed values.
fn values_given(
    model: &Model,
    input: &Context,
    options: &Options,
) -> Result<Vec<Value>, DecideError> {
    let mut values = Vec::with_capacity(model.inputs.len());
    for declared in &model.inputs {
        let value = input.get(&declared.name).cloned().unwrap_or(Value::Null);
        check_allowed(model, &declared.ty, &value, &declared.name, options)?;
        values.push(value);
    }
    Ok(values)
}

/// Forgets named zones met earlier without zone data: a request starts watching here.
fn watch_zones() {
    let _ = crate::value::zones::take_missing();
}

/// `result`, unless a named time zone was met without zone data since [`watch_zones`]
/// (possible only when the engine was built without the tz database): then the result may
/// hold a null where the zone's rules would give a value, and the request fails with
/// [`DecideError::ZoneDataMissing`] instead.
fn zones_checked<T>(result: Result<T, DecideError>) -> Result<T, DecideError> {
    match crate::value::zones::take_missing() {
        Some(zone) => Err(DecideError::ZoneDataMissing { zone: zone.into() }),
        None => result,
    }
}

/// Evaluates `decision` and what it requires, in plan order, over `scope`.
fn decide_in(
    model: &Model,
    decision: &Decision,
    scope: Context,
    options: &Options,
) -> Result<Decided, DecideError> {
    let mut ev = Evaluator::new(&model.knowledge, &model.types, options.limits);
    let mut scope = Arc::new(scope);
    let mut trace = Vec::new();
    let steps = decision
        .plan
        .iter()
        .filter_map(|&i| model.decisions.get(i as usize))
        .chain(std::iter::once(decision));
    let mut output = Value::Null;
    for step in steps {
        let mut table_trace = TableTrace::default();
        ev.push_context(scope.clone());
        let result = eval_body(
            &mut ev,
            &step.body,
            options.explain.then_some(&mut table_trace),
        );
        ev.pop();
        let value = finish_step(
            &mut ev,
            model,
            step,
            result,
            table_trace,
            options,
            &mut trace,
        )?;
        Arc::make_mut(&mut scope).insert(step.name.clone(), value.clone());
        output = value;
    }
    Ok(Decided { output, trace })
}

/// The value of one evaluated decision `step` from its `result`: paid for by size, coerced
/// to its declared type, and traced in `trace` when the options ask for explanations.
fn finish_step(
    ev: &mut Evaluator<'_>,
    model: &Model,
    step: &Decision,
    result: Result<Value, EvalError>,
    mut table_trace: TableTrace,
    options: &Options,
    trace: &mut Vec<DecisionTrace>,
) -> Result<Value, DecideError> {
    // Every result is walked at least once more (type check, explanation, JSON), and a
    // value built by sharing (`[l, l]`) can be exponentially larger than the work that
    // built it: pay for its size while the budget still applies.
    let value = result
        .and_then(|v| crate::feel::builtins::charge_value(ev, &v).map(|()| v))
        .map_err(|source| DecideError::Eval {
            decision: step.name.clone(),
            source,
        })?;
    let value = match &step.ty {
        Some(ty) => crate::feel::eval::coerce_to(&model.types, value, ty).unwrap_or(Value::Null),
        None => value,
    };
    if options.explain {
        trace.push(DecisionTrace {
            decision: step.name.clone(),
            kind: match step.body {
                Body::Expr(_) => "expression",
                Body::Table(_) => "table",
                Body::Context { .. } => "context",
            },
            table: match &step.body {
                Body::Table(t) => {
                    table_trace.hit_policy = t.hit.to_string();
                    Some(table_trace)
                }
                _ => None,
            },
            output: value.clone(),
        });
    }
    Ok(value)
}

/// The JSON kind of a value, for messages.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
