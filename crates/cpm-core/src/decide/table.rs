//! Decision tables: matching rules against input values and applying the hit policy.
//!
//! Pipeline position: `decide`, called for table-bodied decisions and knowledge models.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::explain::{FiredRule, TableTrace};
use super::prepared::PreparedTable;
use crate::feel::err::EvalError;
use crate::feel::eval::Evaluator;
use crate::ir::{Cell, Rule, Table};
use crate::source::{Aggregation, HitPolicy};
use crate::value::{Context, Value, ops};

/// Evaluates `table` in the evaluator's current scope.
///
/// When `trace` is given, it receives the input values and the rules that produced the result.
///
/// # Errors
/// [`EvalError::HitPolicy`] when UNIQUE or ANY is violated; budget errors.
pub fn eval_table(
    ev: &mut Evaluator<'_>,
    table: &Table,
    trace: Option<&mut TableTrace>,
) -> Result<Value, EvalError> {
    let mut inputs = Vec::with_capacity(table.inputs.len());
    for input in &table.inputs {
        inputs.push(ev.eval(&input.expr)?);
    }
    eval_rows(ev, table, inputs, trace)
}

/// Evaluates `table` for its input values `inputs` (one per input column, already
/// evaluated): matches the rules and applies the hit policy.
///
/// # Errors
/// As [`eval_table`].
pub fn eval_rows(
    ev: &mut Evaluator<'_>,
    table: &Table,
    inputs: Vec<Value>,
    trace: Option<&mut TableTrace>,
) -> Result<Value, EvalError> {
    let stop_at_first = matches!(table.hit, HitPolicy::First);
    let prepared = table.index.prepared(table);
    // FIRST stops at its one match, kept without allocating.
    let mut first: Option<usize> = None;
    let mut matched: Vec<usize> = Vec::new();
    // The index only removes rules that cannot match; each candidate is checked in full.
    let mut check = |position: usize| -> Result<bool, EvalError> {
        let Some(rule) = table.rules.get(position) else {
            return Ok(false);
        };
        if rule_matches(ev, rule, prepared.map(|p| (p, position)), &inputs)? {
            if stop_at_first {
                first = Some(position);
                return Ok(true);
            }
            matched.push(position);
        }
        Ok(false)
    };
    match table.index.get(table) {
        Some(index) => {
            for position in index.candidates(&inputs) {
                if check(position)? {
                    break;
                }
            }
        }
        None => {
            for position in 0..table.rules.len() {
                if check(position)? {
                    break;
                }
            }
        }
    }
    let matched = match first {
        Some(_) => first.as_slice(),
        None => matched.as_slice(),
    };
    let (value, fired) = apply_hit_policy(ev, table, prepared, matched)?;
    if let Some(trace) = trace {
        trace.inputs = table
            .inputs
            .iter()
            .zip(inputs)
            .map(|(i, v)| (i.text.clone(), v))
            .collect();
        trace.fired = fired
            .iter()
            .filter_map(|&i| table.rules.get(i).map(|r| FiredRule::new(i, r)))
            .collect();
    }
    Ok(value)
}

/// Whether every input entry of `rule` accepts its input value; `prepared` is the table's
/// prepared form and the rule's position in it.
fn rule_matches(
    ev: &mut Evaluator<'_>,
    rule: &Rule,
    prepared: Option<(&PreparedTable, usize)>,
    inputs: &[Value],
) -> Result<bool, EvalError> {
    if let Some(cells) = prepared.and_then(|(table, position)| table.cells(position)) {
        for (column, prepared) in cells {
            let (Some(cell), Some(input)) = (rule.when.get(*column), inputs.get(*column)) else {
                continue;
            };
            if !prepared.matches(ev, cell, input)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    for (cell, input) in rule.when.iter().zip(inputs) {
        if !cell_matches(ev, cell, input)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether one input entry accepts `input`.
pub fn cell_matches(ev: &mut Evaluator<'_>, cell: &Cell, input: &Value) -> Result<bool, EvalError> {
    let Cell::Tests { negated, tests } = cell else {
        return Ok(true);
    };
    ev.push_binding("?", input.clone());
    let mut any = Ok(false);
    for test in tests {
        match ev.table_test(input, test) {
            Ok(false) => {}
            other => {
                any = other;
                break;
            }
        }
    }
    ev.pop();
    Ok(any? != *negated)
}

/// The output value of rule `position`: the single output's value, or a context of all
/// outputs; prepared when its outputs are literals.
fn rule_output(
    ev: &mut Evaluator<'_>,
    table: &Table,
    prepared: Option<&PreparedTable>,
    position: usize,
) -> Result<Value, EvalError> {
    let Some(rule) = table.rules.get(position) else {
        return Ok(Value::Null);
    };
    let literal = prepared.and_then(|p| p.output(position));
    if let Some(value) = literal.and_then(|l| l.take(ev)) {
        return Ok(value);
    }
    written_output(ev, table, rule)
}

/// [`rule_output`] evaluated as written.
fn written_output(ev: &mut Evaluator<'_>, table: &Table, rule: &Rule) -> Result<Value, EvalError> {
    if let [single] = rule.then.as_slice() {
        return ev.eval(single);
    }
    let mut ctx = Context::default();
    for (output, expr) in table.outputs.iter().zip(&rule.then) {
        ctx.insert(output.name.clone(), ev.eval(expr)?);
    }
    Ok(Value::context(ctx))
}

/// The table's value when no rule matched: the default outputs, if any are declared;
/// prepared when they are literals.
fn default_output(
    ev: &mut Evaluator<'_>,
    table: &Table,
    prepared: Option<&PreparedTable>,
) -> Result<Value, EvalError> {
    if table.outputs.iter().all(|o| o.default.is_none()) {
        return Ok(Value::Null);
    }
    let literal = prepared.and_then(PreparedTable::default_output);
    if let Some(value) = literal.and_then(|l| l.take(ev)) {
        return Ok(value);
    }
    let mut values = Vec::with_capacity(table.outputs.len());
    for output in &table.outputs {
        values.push(match &output.default {
            Some(e) => ev.eval(e)?,
            None => Value::Null,
        });
    }
    if let [single] = values.as_slice() {
        return Ok(single.clone());
    }
    Ok(Value::context(
        table
            .outputs
            .iter()
            .map(|o| o.name.clone())
            .zip(values)
            .collect(),
    ))
}

/// Applies the hit policy to the matched rules; returns the value and the rules that
/// produced it, in output order.
fn apply_hit_policy<'m>(
    ev: &mut Evaluator<'_>,
    table: &Table,
    prepared: Option<&PreparedTable>,
    matched: &'m [usize],
) -> Result<(Value, Cow<'m, [usize]>), EvalError> {
    let rule = |i: usize| table.rules.get(i);
    match table.hit {
        // An aggregating COLLECT with no match also falls back to the default output when
        // one is declared (DMN TCK level 3, 0020-vacation-days); without a default it
        // gives null (COUNT: 0) below.
        HitPolicy::Collect(Some(_))
            if matched.is_empty() && table.outputs.iter().any(|o| o.default.is_some()) =>
        {
            Ok((default_output(ev, table, prepared)?, Cow::Borrowed(&[])))
        }
        HitPolicy::Unique | HitPolicy::First | HitPolicy::Any | HitPolicy::Priority
            if matched.is_empty() =>
        {
            Ok((default_output(ev, table, prepared)?, Cow::Borrowed(&[])))
        }
        HitPolicy::Unique => {
            if matched.len() > 1 {
                return Err(EvalError::HitPolicy {
                    message: format!(
                        "hit policy UNIQUE allows one matching rule, but {} match",
                        rule_list(table, matched)
                    ),
                });
            }
            single(ev, table, prepared, Cow::Borrowed(matched))
        }
        HitPolicy::First => single(ev, table, prepared, Cow::Borrowed(matched)),
        HitPolicy::Any => {
            let mut first: Option<Value> = None;
            for &i in matched {
                if rule(i).is_none() {
                    continue;
                }
                let v = rule_output(ev, table, prepared, i)?;
                match &first {
                    None => first = Some(v),
                    Some(f) => {
                        if !matches!(ops::equal(f, &v), Value::Bool(true)) {
                            return Err(EvalError::HitPolicy {
                                message: format!(
                                    "hit policy ANY requires matching rules to agree, but {} give different outputs",
                                    rule_list(table, matched)
                                ),
                            });
                        }
                    }
                }
            }
            Ok((first.unwrap_or(Value::Null), Cow::Borrowed(matched)))
        }
        HitPolicy::Priority => {
            let ordered = by_priority(ev, table, matched)?;
            let best: Vec<usize> = ordered.into_iter().take(1).collect();
            single(ev, table, prepared, Cow::Owned(best))
        }
        HitPolicy::OutputOrder => {
            let ordered = by_priority(ev, table, matched)?;
            collect_list(ev, table, prepared, Cow::Owned(ordered))
        }
        HitPolicy::RuleOrder | HitPolicy::Collect(None) => {
            collect_list(ev, table, prepared, Cow::Borrowed(matched))
        }
        HitPolicy::Collect(Some(aggregation)) => {
            let mut values = Vec::with_capacity(matched.len());
            for &i in matched {
                if rule(i).is_some() {
                    values.push(rule_output(ev, table, prepared, i)?);
                }
            }
            Ok((aggregate(aggregation, &values), Cow::Borrowed(matched)))
        }
    }
}

/// The output of the one selected rule (or the default when none).
fn single<'m>(
    ev: &mut Evaluator<'_>,
    table: &Table,
    prepared: Option<&PreparedTable>,
    selected: Cow<'m, [usize]>,
) -> Result<(Value, Cow<'m, [usize]>), EvalError> {
    match selected.first().copied().filter(|&i| i < table.rules.len()) {
        Some(i) => Ok((rule_output(ev, table, prepared, i)?, selected)),
        None => Ok((default_output(ev, table, prepared)?, Cow::Borrowed(&[]))),
    }
}

/// A list of the outputs of `rules`, in the given order.
fn collect_list<'m>(
    ev: &mut Evaluator<'_>,
    table: &Table,
    prepared: Option<&PreparedTable>,
    rules: Cow<'m, [usize]>,
) -> Result<(Value, Cow<'m, [usize]>), EvalError> {
    let mut out = Vec::with_capacity(rules.len());
    for &i in rules.iter() {
        if i < table.rules.len() {
            out.push(rule_output(ev, table, prepared, i)?);
        }
    }
    Ok((Value::list(out), rules))
}

/// `matched` sorted by output priority: for each output in column order, the position of the
/// rule's output value in that output's value list (earlier = higher); ties keep rule order.
fn by_priority(
    ev: &mut Evaluator<'_>,
    table: &Table,
    matched: &[usize],
) -> Result<Vec<usize>, EvalError> {
    let mut value_lists: Vec<Vec<Value>> = Vec::with_capacity(table.outputs.len());
    for output in &table.outputs {
        let mut values = Vec::with_capacity(output.values.len());
        for e in &output.values {
            values.push(ev.eval(e)?);
        }
        value_lists.push(values);
    }
    let mut keyed: Vec<(Vec<usize>, usize)> = Vec::with_capacity(matched.len());
    for &i in matched {
        let Some(rule) = table.rules.get(i) else {
            continue;
        };
        let mut key = Vec::with_capacity(rule.then.len());
        for (expr, values) in rule.then.iter().zip(&value_lists) {
            let v = ev.eval(expr)?;
            let rank = values
                .iter()
                .position(|p| matches!(ops::equal(p, &v), Value::Bool(true)))
                .unwrap_or(values.len());
            key.push(rank);
        }
        keyed.push((key, i));
    }
    crate::sort::sort_by(&mut keyed, &mut |a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    Ok(keyed.into_iter().map(|(_, i)| i).collect())
}

/// COLLECT with an aggregation over the rules' output values (nulls ignored).
fn aggregate(aggregation: Aggregation, values: &[Value]) -> Value {
    let present: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
    match aggregation {
        Aggregation::Count => Value::Number(present.len().into()),
        Aggregation::Sum => {
            let mut iter = present.into_iter();
            let Some(first) = iter.next() else {
                return Value::Null;
            };
            iter.fold(first.clone(), |acc, v| ops::add(&acc, v))
        }
        Aggregation::Min | Aggregation::Max => {
            let want = if aggregation == Aggregation::Min {
                Ordering::Less
            } else {
                Ordering::Greater
            };
            let mut best: Option<&Value> = None;
            for v in present {
                best = match best {
                    None => Some(v),
                    Some(b) => match ops::compare(v, b) {
                        Some(o) if o == want => Some(v),
                        Some(_) => Some(b),
                        None => return Value::Null,
                    },
                };
            }
            best.cloned().unwrap_or(Value::Null)
        }
    }
}

/// "rules `a`, `b` and `c`" for messages.
fn rule_list(table: &Table, indices: &[usize]) -> String {
    let names: Vec<String> = indices
        .iter()
        .filter_map(|&i| table.rules.get(i))
        .map(|r| format!("`{}`", r.id))
        .collect();
    match names.as_slice() {
        [] => "no rules".to_owned(),
        [one] => format!("rule {one}"),
        [init @ .., last] => format!("rules {} and {last}", init.join(", ")),
    }
}
