//! The FEEL evaluator: walks an [`Expr`] in a scope and produces a [`Value`].
//!
//! Pipeline position: after parsing and compiling; called by `decide` for every literal
//! expression, table cell and knowledge-model body. FEEL turns invalid operations into
//! `null`; the evaluator only stops with an [`EvalError`] when a budget (steps, depth, size)
//! runs out, so hostile rules cannot hang or exhaust the host.

use std::borrow::Cow;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::ast::{
    Args, ArithOp, CmpOp, Expr, ExprKind, Iteration, IterationSource, Name, Quantifier, TypeRef,
    UnaryTest,
};
use super::builtins::{self, Invoke};
use super::err::EvalError;
use crate::ir::{Knowledge, TypeDef};
use crate::value::{Context, Function, Lambda, Range, Value, ops, temporal};

/// Budgets that bound one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Evaluation steps (roughly: expression nodes visited plus elements processed).
    pub fuel: u64,
    /// Nesting depth of expressions, function invocations, and table and boxed-context
    /// bodies.
    ///
    /// The default, 128, must trip before a 1 MiB stack (a wasm module's default)
    /// overflows. Measured with `tests/limits.rs` (recursive knowledge models through
    /// expressions, tables, contexts and `sort`): on 1 MiB, unoptimised builds reach 256
    /// levels and optimised builds about 1,000 before overflowing, so the default has at
    /// least twice the room it needs. It also exceeds the parser's nesting limit
    /// ([`crate::feel::parser::MAX_NESTING`], 100), so every expression that parses can be
    /// evaluated.
    pub max_depth: u32,
    /// Elements in any list built during evaluation.
    pub max_list: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 10_000_000,
            max_depth: 128,
            max_list: 1_000_000,
        }
    }
}

/// One level of the scope chain.
#[derive(Clone, Debug)]
enum Frame {
    /// A context's entries (input data, decision results, a context literal under construction).
    Context(Arc<Context>),
    /// A single binding (iteration variable, `?`, a parameter). Fixed names (`?`, `item`,
    /// `partial`) are borrowed: a table cell binds `?` for every rule it checks.
    Binding(Cow<'static, str>, Value),
}

/// The FEEL interpreter for one evaluation: scope, budgets, and the model's knowledge models
/// and item definitions.
pub struct Evaluator<'m> {
    frames: Vec<Frame>,
    knowledge: &'m [Knowledge],
    types: &'m [TypeDef],
    limits: Limits,
    fuel_left: u64,
    depth: u32,
}

/// The name `?` is bound to while a unary test runs.
const INPUT_VALUE: &str = "?";

/// The name bound to the results so far inside a `for` body.
const PARTIAL: &str = "partial";

impl<'m> Evaluator<'m> {
    /// An evaluator for a model's `knowledge` models and `types`, within `limits`.
    pub fn new(knowledge: &'m [Knowledge], types: &'m [TypeDef], limits: Limits) -> Self {
        Self {
            frames: Vec::new(),
            knowledge,
            types,
            limits,
            fuel_left: limits.fuel,
            depth: 0,
        }
    }

    /// Steps used so far.
    pub fn fuel_used(&self) -> u64 {
        self.limits.fuel - self.fuel_left
    }

    /// Makes the entries of `ctx` visible to everything evaluated until the matching
    /// [`Evaluator::pop`].
    pub fn push_context(&mut self, ctx: Arc<Context>) {
        self.frames.push(Frame::Context(ctx));
    }

    /// Binds `name` to `value` until the matching [`Evaluator::pop`].
    pub fn push_binding(&mut self, name: impl Into<Cow<'static, str>>, value: Value) {
        self.frames.push(Frame::Binding(name.into(), value));
    }

    /// Removes the innermost scope pushed with `push_*`.
    pub fn pop(&mut self) {
        self.frames.pop();
    }

    /// Removes the innermost scope and returns it when it is a context.
    pub fn pop_context(&mut self) -> Option<Arc<Context>> {
        match self.frames.pop() {
            Some(Frame::Context(ctx)) => Some(ctx),
            _ => None,
        }
    }

    /// Adds `name = value` to the innermost scope, which must have been pushed with
    /// [`Evaluator::push_context`]; otherwise pushes a new binding.
    pub fn bind(&mut self, name: Name, value: Value) {
        match self.frames.last_mut() {
            Some(Frame::Context(ctx)) => {
                Arc::make_mut(ctx).insert(name, value);
            }
            _ => self.frames.push(Frame::Binding(Cow::Owned(name), value)),
        }
    }

    /// Replaces the whole scope chain, returning the old one (for function invocation).
    fn swap_frames(&mut self, frames: Vec<Frame>) -> Vec<Frame> {
        std::mem::replace(&mut self.frames, frames)
    }

    /// Charges `steps` units of fuel.
    ///
    /// # Errors
    /// [`EvalError::FuelExhausted`] when the budget is used up.
    pub fn charge(&mut self, steps: u64) -> Result<(), EvalError> {
        match self.fuel_left.checked_sub(steps) {
            Some(left) => {
                self.fuel_left = left;
                Ok(())
            }
            None => {
                self.fuel_left = 0;
                Err(EvalError::FuelExhausted {
                    budget: self.limits.fuel,
                })
            }
        }
    }

    /// Enters one nesting level.
    fn enter(&mut self) -> Result<(), EvalError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            self.depth -= 1;
            return Err(EvalError::DepthExceeded {
                limit: self.limits.max_depth,
            });
        }
        self.charge(1)
    }

    /// Runs `f` one nesting level deeper: for decision-table and boxed-context bodies, whose
    /// evaluation puts frames of its own on the stack.
    ///
    /// # Errors
    /// [`EvalError::DepthExceeded`] or [`EvalError::FuelExhausted`] on entry; whatever `f`
    /// returns.
    pub fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, EvalError>,
    ) -> Result<T, EvalError> {
        self.enter()?;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// Checks that a list of `len` elements stays within the size limit.
    fn check_len(&self, len: usize) -> Result<(), EvalError> {
        if len as u64 > self.limits.max_list {
            return Err(EvalError::TooLarge {
                what: "list",
                limit: self.limits.max_list,
            });
        }
        Ok(())
    }

    /// Looks `name` up in the scope chain, then among knowledge models and built-ins.
    pub fn lookup(&self, name: &str) -> Value {
        for frame in self.frames.iter().rev() {
            match frame {
                Frame::Binding(n, v) if n == name => return v.clone(),
                Frame::Context(ctx) => {
                    if let Some(v) = ctx.get(name) {
                        return v.clone();
                    }
                }
                Frame::Binding(..) => {}
            }
        }
        if let Some(i) = self.knowledge.iter().position(|k| k.name == name) {
            return Value::Function(Function::Knowledge(u32::try_from(i).unwrap_or(u32::MAX)));
        }
        match builtins::lookup(name) {
            Some(b) => Value::Function(Function::Builtin(b.name)),
            None => Value::Null,
        }
    }

    /// Evaluates `expr` in the current scope.
    ///
    /// # Errors
    /// Only when a budget runs out (see [`EvalError`]); invalid operations give `null`.
    pub fn eval(&mut self, expr: &Expr) -> Result<Value, EvalError> {
        self.enter()?;
        let result = self.eval_inner(expr);
        self.depth -= 1;
        result
    }

    // INVARIANT: `eval_inner` only dispatches. Every compound expression is evaluated in a
    // method of its own, so the frame that sits on the stack once per nesting level stays
    // small (unoptimised builds give every local of every match arm its own slot); the
    // default depth limit relies on this to fit a 1 MiB stack.
    fn eval_inner(&mut self, expr: &Expr) -> Result<Value, EvalError> {
        match &expr.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Number(n) => Ok(Value::Number(*n)),
            ExprKind::String(s) => Ok(Value::String(s.clone())),
            ExprKind::Temporal(text) => Ok(temporal::parse_temporal_literal(text)),
            ExprKind::Name(name) => Ok(self.lookup(name)),
            ExprKind::InputValue => Ok(self.lookup(INPUT_VALUE)),
            ExprKind::Path(target, name) => self.eval_path(target, name),
            ExprKind::Filter(list, filter) => self.eval_filter(list, filter),
            ExprKind::Call(callee, args) => self.call_expr(callee, args),
            ExprKind::Neg(e) => self.eval_neg(e),
            ExprKind::Arith(op, a, b) => self.eval_arith(*op, a, b),
            ExprKind::Compare(op, a, b) => self.eval_compare(*op, a, b),
            ExprKind::And(a, b) => self.eval_and(a, b),
            ExprKind::Or(a, b) => self.eval_or(a, b),
            ExprKind::Between { value, low, high } => self.eval_between(value, low, high),
            ExprKind::In(value, tests) => self.eval_in(value, tests),
            ExprKind::InstanceOf(value, ty) => self.eval_instance_of(value, ty),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.eval_if(cond, then, otherwise),
            ExprKind::For(iterations, body) => self.eval_for(iterations, body),
            ExprKind::Quantified(q, iterations, cond) => self.eval_quantified(*q, iterations, cond),
            ExprKind::List(items) => self.eval_list(items),
            ExprKind::Context(entries) => self.eval_context(entries),
            ExprKind::Range {
                start_closed,
                start,
                end,
                end_closed,
            } => self.eval_range(start.as_deref(), *start_closed, end.as_deref(), *end_closed),
            ExprKind::FunctionDef { params, body } => Ok(self.eval_function_def(params, body)),
        }
    }

    fn eval_path(&mut self, target: &Expr, name: &str) -> Result<Value, EvalError> {
        let target = self.eval(target)?;
        self.path(&target, name)
    }

    fn eval_filter(&mut self, list: &Expr, filter: &Expr) -> Result<Value, EvalError> {
        let list = self.eval(list)?;
        self.filter(list, filter)
    }

    fn eval_neg(&mut self, e: &Expr) -> Result<Value, EvalError> {
        Ok(ops::neg(&self.eval(e)?))
    }

    fn eval_arith(&mut self, op: ArithOp, a: &Expr, b: &Expr) -> Result<Value, EvalError> {
        let a = self.eval(a)?;
        let b = self.eval(b)?;
        if let (ArithOp::Add, Value::String(x), Value::String(y)) = (op, &a, &b) {
            // Concatenation copies both strings: charge for the bytes, so doubling a
            // string runs out of fuel long before it runs out of memory.
            self.charge(u64::try_from(x.len() + y.len()).unwrap_or(u64::MAX))?;
        }
        Ok(match op {
            ArithOp::Add => ops::add(&a, &b),
            ArithOp::Sub => ops::sub(&a, &b),
            ArithOp::Mul => ops::mul(&a, &b),
            ArithOp::Div => ops::div(&a, &b),
            ArithOp::Pow => ops::pow(&a, &b),
        })
    }

    fn eval_compare(&mut self, op: CmpOp, a: &Expr, b: &Expr) -> Result<Value, EvalError> {
        let a = self.eval(a)?;
        let b = self.eval(b)?;
        Ok(compare(op, &a, &b))
    }

    fn eval_and(&mut self, a: &Expr, b: &Expr) -> Result<Value, EvalError> {
        let a = self.eval(a)?;
        if matches!(a, Value::Bool(false)) {
            return Ok(Value::Bool(false));
        }
        let b = self.eval(b)?;
        Ok(match (a, b) {
            (_, Value::Bool(false)) => Value::Bool(false),
            (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
            _ => Value::Null,
        })
    }

    fn eval_or(&mut self, a: &Expr, b: &Expr) -> Result<Value, EvalError> {
        let a = self.eval(a)?;
        if matches!(a, Value::Bool(true)) {
            return Ok(Value::Bool(true));
        }
        let b = self.eval(b)?;
        Ok(match (a, b) {
            (_, Value::Bool(true)) => Value::Bool(true),
            (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
            _ => Value::Null,
        })
    }

    fn eval_between(&mut self, value: &Expr, low: &Expr, high: &Expr) -> Result<Value, EvalError> {
        let v = self.eval(value)?;
        let low = self.eval(low)?;
        let high = self.eval(high)?;
        Ok(and3(
            compare(CmpOp::Ge, &v, &low),
            compare(CmpOp::Le, &v, &high),
        ))
    }

    fn eval_in(&mut self, value: &Expr, tests: &[UnaryTest]) -> Result<Value, EvalError> {
        let v = self.eval(value)?;
        self.in_tests(&v, tests)
    }

    fn eval_instance_of(&mut self, value: &Expr, ty: &TypeRef) -> Result<Value, EvalError> {
        let v = self.eval(value)?;
        Ok(Value::Bool(self.conforms(&v, ty)))
    }

    fn eval_if(&mut self, cond: &Expr, then: &Expr, otherwise: &Expr) -> Result<Value, EvalError> {
        let branch = if matches!(self.eval(cond)?, Value::Bool(true)) {
            then
        } else {
            otherwise
        };
        self.eval(branch)
    }

    fn eval_for(&mut self, iterations: &[Iteration], body: &Expr) -> Result<Value, EvalError> {
        let mut out = Vec::new();
        let partial = mentions_name(body, PARTIAL);
        Ok(if self.for_loop(iterations, body, partial, &mut out)? {
            Value::list(out)
        } else {
            Value::Null
        })
    }

    fn eval_quantified(
        &mut self,
        q: Quantifier,
        iterations: &[Iteration],
        cond: &Expr,
    ) -> Result<Value, EvalError> {
        let mut results = Vec::new();
        let partial = mentions_name(cond, PARTIAL);
        Ok(if self.for_loop(iterations, cond, partial, &mut results)? {
            quantify(q, &results)
        } else {
            Value::Null
        })
    }

    fn eval_list(&mut self, items: &[Expr]) -> Result<Value, EvalError> {
        self.check_len(items.len())?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.eval(item)?);
        }
        Ok(Value::list(out))
    }

    fn eval_context(&mut self, entries: &[(Name, Expr)]) -> Result<Value, EvalError> {
        self.push_context(Arc::new(Context::default()));
        let result = self.context_literal(entries);
        let ctx = self.pop_context();
        result?;
        Ok(ctx.map_or(Value::Null, Value::Context))
    }

    fn eval_range(
        &mut self,
        start: Option<&Expr>,
        start_closed: bool,
        end: Option<&Expr>,
        end_closed: bool,
    ) -> Result<Value, EvalError> {
        let start = match start {
            Some(e) => Some(self.eval(e)?),
            None => None,
        };
        let end = match end {
            Some(e) => Some(self.eval(e)?),
            None => None,
        };
        Ok(make_range(start, start_closed, end, end_closed))
    }

    fn eval_function_def(&self, params: &[(Name, Option<TypeRef>)], body: &Expr) -> Value {
        let closure = self.capture();
        Value::Function(Function::Lambda(Arc::new(Lambda {
            params: params.to_vec(),
            body: Arc::new(body.clone()),
            closure: Arc::new(closure),
        })))
    }

    /// Evaluates the entries of a context literal into the innermost (context) frame.
    fn context_literal(&mut self, entries: &[(Name, Expr)]) -> Result<(), EvalError> {
        for (key, expr) in entries {
            let value = self.eval(expr)?;
            self.bind(key.clone(), value);
        }
        Ok(())
    }

    /// Every name visible now, innermost binding winning, as one context.
    fn capture(&self) -> Context {
        let mut out = Context::default();
        for frame in &self.frames {
            match frame {
                Frame::Binding(n, v) => {
                    out.insert(n.to_string(), v.clone());
                }
                Frame::Context(ctx) => {
                    for (n, v) in ctx.iter() {
                        out.insert(n.clone(), v.clone());
                    }
                }
            }
        }
        out
    }

    /// `target.name`: context entry, property of a temporal/duration/range value, or the
    /// path mapped over a list.
    fn path(&mut self, target: &Value, name: &str) -> Result<Value, EvalError> {
        Ok(match target {
            Value::Context(ctx) => ctx.get(name).cloned().unwrap_or(Value::Null),
            Value::List(items) => {
                self.charge(items.len() as u64)?;
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.path(item, name)?);
                }
                Value::list(out)
            }
            other => ops::property(other, name),
        })
    }

    /// `list[filter]`: a 1-based (negative: from the end) index, or a boolean filter
    /// evaluated per item with `item` and the item's context entries in scope.
    fn filter(&mut self, target: Value, filter: &Expr) -> Result<Value, EvalError> {
        let items: Arc<Vec<Value>> = match target {
            Value::List(items) => items,
            Value::Null => return Ok(Value::Null),
            other => Arc::new(vec![other]),
        };
        let mut out = Vec::new();
        for (position, item) in items.iter().enumerate() {
            let verdict = self.with_item(item, |ev| ev.eval(filter))?;
            match verdict {
                Value::Number(n) if position == 0 => return Ok(index(&items, n)),
                Value::Bool(true) => out.push(item.clone()),
                _ => {}
            }
        }
        Ok(Value::list(out))
    }

    /// Runs `f` with `item` bound (and, for a context item, its entries in scope).
    fn with_item<T>(
        &mut self,
        item: &Value,
        f: impl FnOnce(&mut Self) -> Result<T, EvalError>,
    ) -> Result<T, EvalError> {
        let mut pushed = 1;
        self.push_binding("item", item.clone());
        if let Value::Context(ctx) = item {
            self.push_context(ctx.clone());
            pushed += 1;
        }
        let result = f(self);
        for _ in 0..pushed {
            self.pop();
        }
        result
    }

    /// Evaluates the cartesian product of `iterations` (last varies fastest), pushing the
    /// body's value for each combination. When `partial` is true (the body mentions it),
    /// `partial` is bound to the results so far; that copy is charged, since it makes the
    /// loop quadratic.
    fn for_loop(
        &mut self,
        iterations: &[Iteration],
        body: &Expr,
        partial: bool,
        out: &mut Vec<Value>,
    ) -> Result<bool, EvalError> {
        let Some((first, rest)) = iterations.split_first() else {
            self.check_len(out.len() + 1)?;
            if !partial {
                let value = self.eval(body)?;
                out.push(value);
                return Ok(true);
            }
            self.charge(out.len() as u64)?;
            self.push_binding(PARTIAL, Value::list(out.clone()));
            let value = self.eval(body);
            self.pop();
            out.push(value?);
            return Ok(true);
        };
        let Some(domain) = self.iteration_domain(&first.source)? else {
            return Ok(false);
        };
        for value in domain {
            self.charge(1)?;
            self.push_binding(first.name.clone(), value);
            let result = self.for_loop(rest, body, partial, out);
            self.pop();
            if !result? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The values an iteration variable takes; `None` when the source cannot be iterated
    /// (the whole `for` / `some` / `every` is then null).
    fn iteration_domain(
        &mut self,
        source: &IterationSource,
    ) -> Result<Option<Vec<Value>>, EvalError> {
        match source {
            IterationSource::List(expr) => match self.eval(expr)? {
                Value::List(items) => Ok(Some(items.as_ref().clone())),
                Value::Null => Ok(Some(Vec::new())),
                // A range value iterates upwards between its end points (integers or
                // dates); a descending or unbounded range cannot be iterated.
                Value::Range(r) => {
                    let (Some(start), Some(end)) = (&r.start, &r.end) else {
                        return Ok(None);
                    };
                    if ops::compare(start, end) == Some(std::cmp::Ordering::Greater) {
                        return Ok(None);
                    }
                    let Some(mut values) = self.stepped(start, end)? else {
                        return Ok(None);
                    };
                    if !r.end_closed {
                        values.pop();
                    }
                    if !r.start_closed && !values.is_empty() {
                        values.remove(0);
                    }
                    Ok(Some(values))
                }
                other => Ok(Some(vec![other])),
            },
            IterationSource::Range { from, to } => {
                let from = self.eval(from)?;
                let to = self.eval(to)?;
                self.stepped(&from, &to)
            }
        }
    }

    /// `from..to`, both included, upwards or downwards by 1 (integers) or by one day
    /// (dates); `None` for any other end points.
    fn stepped(&mut self, from: &Value, to: &Value) -> Result<Option<Vec<Value>>, EvalError> {
        let limit = self.limits.max_list;
        let too_large = || EvalError::TooLarge {
            what: "list",
            limit,
        };
        match (from, to) {
            (Value::Number(from), Value::Number(to)) => {
                if from.fract() != Decimal::ZERO || to.fract() != Decimal::ZERO {
                    return Ok(None);
                }
                if (*to - *from).abs() >= Decimal::from(limit) {
                    return Err(too_large());
                }
                let step = if to >= from {
                    Decimal::ONE
                } else {
                    -Decimal::ONE
                };
                let mut out = Vec::new();
                let mut i = *from;
                loop {
                    self.charge(1)?;
                    out.push(Value::Number(i));
                    if i == *to {
                        break;
                    }
                    i += step;
                }
                Ok(Some(out))
            }
            (Value::Date(from), Value::Date(to)) => {
                let up = to >= from;
                let mut out = Vec::new();
                let mut d = *from;
                loop {
                    self.charge(1)?;
                    if out.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                        return Err(too_large());
                    }
                    out.push(Value::Date(d));
                    if d == *to {
                        break;
                    }
                    let next = if up { d.tomorrow() } else { d.yesterday() };
                    match next {
                        Ok(n) => d = n,
                        Err(_) => return Ok(None),
                    }
                }
                Ok(Some(out))
            }
            _ => Ok(None),
        }
    }

    /// `v in (t1, t2, …)`: true when any test matches.
    fn in_tests(&mut self, value: &Value, tests: &[UnaryTest]) -> Result<Value, EvalError> {
        let mut saw_null = false;
        for test in tests {
            match self.unary_test(value, test)? {
                Value::Bool(true) => return Ok(Value::Bool(true)),
                Value::Bool(false) => {}
                _ => saw_null = true,
            }
        }
        Ok(if saw_null {
            Value::Null
        } else {
            Value::Bool(false)
        })
    }

    /// Applies one positive unary test to `input` (`?` bound to it).
    fn unary_test(&mut self, input: &Value, test: &UnaryTest) -> Result<Value, EvalError> {
        self.push_binding(INPUT_VALUE, input.clone());
        let result = match test {
            UnaryTest::Compare(op, e) => self.eval(e).map(|v| compare(*op, input, &v)),
            UnaryTest::Expr(e) => self
                .eval(e)
                .map(|v| test_value(input, &v, contains_input_value(e))),
        };
        self.pop();
        result
    }

    /// Applies a compiled table test to `input`; the caller has bound `?`.
    ///
    /// # Errors
    /// Only when a budget runs out.
    pub fn table_test(&mut self, input: &Value, test: &crate::ir::Test) -> Result<bool, EvalError> {
        use crate::ir::Test;
        Ok(match test {
            Test::Compare(op, e) => compare_holds(*op, input, &self.eval(e)?),
            Test::Value(e) => test_holds(input, &self.eval(e)?),
            Test::Predicate(e) => matches!(self.eval(e)?, Value::Bool(true)),
        })
    }

    /// Charges what evaluating a name charges (a step and a nesting level), without
    /// looking it up: for callers that already hold the value it names.
    ///
    /// # Errors
    /// [`EvalError::DepthExceeded`] or [`EvalError::FuelExhausted`], as evaluating the name.
    pub(crate) fn charge_name(&mut self) -> Result<(), EvalError> {
        self.enter()?;
        self.depth -= 1;
        Ok(())
    }

    /// Charges what evaluating a literal expression of `cost` charges (a step and a
    /// nesting level per node, the size check of its lists) without evaluating it. `false`,
    /// with nothing charged, when that evaluation would run out of a budget: the caller then
    /// evaluates the expression itself, which fails the same way.
    #[inline]
    pub(crate) fn charge_literal(&mut self, cost: &LiteralCost) -> bool {
        let fits = self.depth.saturating_add(cost.levels) <= self.limits.max_depth
            && cost.nodes <= self.fuel_left
            && cost.longest_list <= self.limits.max_list;
        if fits {
            self.fuel_left -= cost.nodes;
        }
        fits
    }

    /// `instance of`, resolving item definition names against the model's types.
    fn conforms(&self, value: &Value, ty: &TypeRef) -> bool {
        conforms_to(self.types, value, ty)
    }

    /// Evaluates a call expression.
    fn call_expr(&mut self, callee: &Expr, args: &Args) -> Result<Value, EvalError> {
        let function = self.eval(callee)?;
        let Value::Function(function) = function else {
            return Ok(Value::Null);
        };
        match args {
            Args::Positional(exprs) => {
                let mut values = Vec::with_capacity(exprs.len());
                for e in exprs {
                    values.push(self.eval(e)?);
                }
                self.call(&function, CallArgs::Positional(values))
            }
            Args::Named(pairs) => {
                let mut values = Vec::with_capacity(pairs.len());
                for (n, e) in pairs {
                    values.push((n.clone(), self.eval(e)?));
                }
                self.call(&function, CallArgs::Named(values))
            }
        }
    }

    /// Invokes a function value.
    ///
    /// # Errors
    /// Only when a budget runs out.
    pub fn call(&mut self, function: &Function, args: CallArgs) -> Result<Value, EvalError> {
        self.enter()?;
        let result = self.call_inner(function, args);
        self.depth -= 1;
        result
    }

    fn call_inner(&mut self, function: &Function, args: CallArgs) -> Result<Value, EvalError> {
        match function {
            Function::Builtin(name) => {
                let Some(b) = builtins::lookup(name) else {
                    return Ok(Value::Null);
                };
                match args {
                    CallArgs::Positional(values) => builtins::call_positional(b, values, self),
                    CallArgs::Named(values) => builtins::call_named(b, values, self),
                }
            }
            Function::Lambda(lambda) => {
                let Some(bound) = bind_params(&lambda.params, args)
                    .and_then(|b| self.coerce_params(&lambda.params, b))
                else {
                    return Ok(Value::Null);
                };
                let saved = self.swap_frames(vec![Frame::Context(lambda.closure.clone())]);
                self.push_context(Arc::new(bound));
                let result = self.eval(&lambda.body);
                self.swap_frames(saved);
                result
            }
            Function::Knowledge(index) => {
                let knowledge = self.knowledge;
                let Some(k) = knowledge.get(*index as usize) else {
                    return Ok(Value::Null);
                };
                let Some(bound) =
                    bind_params(&k.params, args).and_then(|b| self.coerce_params(&k.params, b))
                else {
                    return Ok(Value::Null);
                };
                let saved = self.swap_frames(vec![Frame::Context(Arc::new(bound))]);
                let result = crate::decide::eval_body(self, &k.body, None);
                self.swap_frames(saved);
                let value = result?;
                Ok(match &k.ty {
                    Some(ty) => coerce_to(self.types, value, ty).unwrap_or(Value::Null),
                    None => value,
                })
            }
        }
    }

    /// Whether every bound argument conforms to its declared parameter type.
    /// The bound arguments converted to their declared parameter types (singleton lists,
    /// DMN 1.5 10.3.2.9.4), or `None` when one does not conform.
    fn coerce_params(
        &self,
        params: &[(Name, Option<TypeRef>)],
        mut bound: Context,
    ) -> Option<Context> {
        for (name, ty) in params {
            if let (Some(ty), Some(v)) = (ty, bound.get_mut(name)) {
                *v = coerce_to(self.types, std::mem::take(v), ty)?;
            }
        }
        Some(bound)
    }
}

/// Arguments of a function invocation, evaluated.
#[derive(Clone, Debug)]
pub enum CallArgs {
    /// In parameter order.
    Positional(Vec<Value>),
    /// By parameter name.
    Named(Vec<(Name, Value)>),
}

impl Invoke for Evaluator<'_> {
    fn invoke(&mut self, function: &Value, args: Vec<Value>) -> Result<Value, EvalError> {
        match function {
            Value::Function(f) => self.call(f, CallArgs::Positional(args)),
            _ => Ok(Value::Null),
        }
    }

    fn charge(&mut self, steps: u64) -> Result<(), EvalError> {
        Evaluator::charge(self, steps)
    }
}

/// Binds arguments to parameter names; `None` when they do not fit (too many, unknown name).
/// Missing parameters are bound to `null`.
fn bind_params(params: &[(Name, Option<TypeRef>)], args: CallArgs) -> Option<Context> {
    let mut ctx = Context::default();
    match args {
        CallArgs::Positional(values) => {
            // DMN 1.5 10.3.2.13.2: positional arguments must match the parameters one to
            // one; too few or too many make the invocation null.
            if values.len() != params.len() {
                return None;
            }
            let mut values = values.into_iter();
            for (name, _) in params {
                ctx.insert(name.clone(), values.next().unwrap_or(Value::Null));
            }
        }
        CallArgs::Named(values) => {
            for (name, _) in params {
                ctx.insert(name.clone(), Value::Null);
            }
            for (name, value) in values {
                let slot = ctx.get_mut(&name)?;
                *slot = value;
            }
        }
    }
    Some(ctx)
}

/// A comparison with FEEL's null semantics.
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> Value {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        CmpOp::Eq => ops::equal(a, b),
        CmpOp::Ne => match ops::equal(a, b) {
            Value::Bool(b) => Value::Bool(!b),
            other => other,
        },
        _ => match ops::compare(a, b) {
            None => Value::Null,
            Some(ord) => Value::Bool(match op {
                CmpOp::Lt => ord == Less,
                CmpOp::Le => ord != Greater,
                CmpOp::Gt => ord == Greater,
                CmpOp::Ge => ord != Less,
                CmpOp::Eq | CmpOp::Ne => ord == Equal,
            }),
        },
    }
}

/// What evaluating a literal expression charges: one step per node, nesting as deep as
/// its deepest node, and the size check of its longest list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiteralCost {
    nodes: u64,
    levels: u32,
    longest_list: u64,
}

impl LiteralCost {
    /// The cost of evaluating `self` and then `next`, both from the same level.
    pub fn and(self, next: Self) -> Self {
        Self {
            nodes: self.nodes.saturating_add(next.nodes),
            levels: self.levels.max(next.levels),
            longest_list: self.longest_list.max(next.longest_list),
        }
    }
}

/// The value of `expr` when it is made of literals only (`null`, booleans, numbers,
/// strings, unary minus, and lists and ranges of those), with what evaluating it charges;
/// `None` for any other expression. Such an expression evaluates to the same value in
/// every scope, so it can be evaluated once ahead of time.
pub fn literal(expr: &Expr) -> Option<(Value, LiteralCost)> {
    let cost = literal_cost(expr)?;
    let limits = Limits {
        fuel: cost.nodes,
        max_depth: cost.levels,
        max_list: cost.longest_list,
    };
    let mut ev = Evaluator::new(&[], &[], limits);
    let value = ev.eval(expr).ok()?;
    // The budget was exactly the cost: evaluation used all of its fuel, or the cost is
    // wrong and the expression is not treated as a literal.
    (ev.fuel_left == 0).then_some((value, cost))
}

/// The cost of evaluating `expr` (see [`LiteralCost`]) when it is made of literals only.
fn literal_cost(expr: &Expr) -> Option<LiteralCost> {
    let node = LiteralCost {
        nodes: 1,
        levels: 1,
        longest_list: 0,
    };
    let below = |inner: LiteralCost| LiteralCost {
        nodes: inner.nodes.saturating_add(1),
        levels: inner.levels.saturating_add(1),
        longest_list: inner.longest_list,
    };
    match &expr.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::String(_) => {
            Some(node)
        }
        ExprKind::Neg(inner) => literal_cost(inner).map(below),
        ExprKind::List(items) => {
            let mut inner = LiteralCost {
                nodes: 0,
                levels: 0,
                longest_list: u64::try_from(items.len()).ok()?,
            };
            for item in items {
                inner = inner.and(literal_cost(item)?);
            }
            Some(below(inner))
        }
        ExprKind::Range { start, end, .. } => {
            let mut inner = LiteralCost::default();
            for bound in [start, end].into_iter().flatten() {
                inner = inner.and(literal_cost(bound)?);
            }
            Some(below(inner))
        }
        _ => None,
    }
}

/// Whether `compare(op, a, b)` is `true`, without building the result.
#[inline]
pub(crate) fn compare_holds(op: CmpOp, a: &Value, b: &Value) -> bool {
    use std::cmp::Ordering::{Greater, Less};
    if let (Value::Number(x), Value::Number(y)) = (a, b) {
        let order = x.cmp(y);
        return match op {
            CmpOp::Eq => order.is_eq(),
            CmpOp::Ne => order.is_ne(),
            CmpOp::Lt => order == Less,
            CmpOp::Le => order != Greater,
            CmpOp::Gt => order == Greater,
            CmpOp::Ge => order != Less,
        };
    }
    match op {
        CmpOp::Eq => ops::eq3(a, b) == Some(true),
        CmpOp::Ne => ops::eq3(a, b) == Some(false),
        CmpOp::Lt => ops::compare(a, b) == Some(Less),
        CmpOp::Le => ops::compare(a, b).is_some_and(|o| o != Greater),
        CmpOp::Gt => ops::compare(a, b) == Some(Greater),
        CmpOp::Ge => ops::compare(a, b).is_some_and(|o| o != Less),
    }
}

/// Whether the table test of value `test` (see [`test_value`], not using `?`) accepts
/// `input`.
#[inline]
pub(crate) fn test_holds(input: &Value, test: &Value) -> bool {
    match (input, test) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (_, Value::Range(_) | Value::List(_)) => {
            matches!(test_value(input, test, false), Value::Bool(true))
        }
        _ => ops::eq3(input, test) == Some(true),
    }
}

/// Three-valued `and` of two already evaluated operands.
fn and3(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Null,
    }
}

/// `some`/`every` over the condition's results.
fn quantify(q: Quantifier, results: &[Value]) -> Value {
    ops::fold_booleans(results, matches!(q, Quantifier::Some))
}

/// A range value from evaluated end points; `null` when the end points cannot form a range
/// (different types, or not comparable).
fn make_range(
    start: Option<Value>,
    start_closed: bool,
    end: Option<Value>,
    end_closed: bool,
) -> Value {
    if let (Some(s), Some(e)) = (&start, &end) {
        if !s.is_null() && !e.is_null() && ops::compare(s, e).is_none() {
            return Value::Null;
        }
    }
    Value::Range(Arc::new(Range {
        start,
        start_closed,
        end,
        end_closed,
    }))
}

/// `list[n]`: 1-based, negative from the end, `null` out of range.
fn index(items: &[Value], n: Decimal) -> Value {
    if n.fract() != Decimal::ZERO {
        return Value::Null;
    }
    let Ok(n) = i64::try_from(n) else {
        return Value::Null;
    };
    let len = items.len() as i64;
    let position = if n > 0 { n - 1 } else { len + n };
    if n == 0 || position < 0 || position >= len {
        return Value::Null;
    }
    usize::try_from(position)
        .ok()
        .and_then(|p| items.get(p))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Whether `test` (the value of a unary test expression) matches `input`: a boolean from a
/// `?` expression; equality; membership in a list; containment in a range.
fn test_value(input: &Value, test: &Value, uses_input: bool) -> Value {
    if uses_input {
        return match test {
            Value::Bool(_) => test.clone(),
            _ => Value::Null,
        };
    }
    match test {
        Value::Range(range) => ops::in_range(input, range),
        Value::List(items) if !matches!(input, Value::List(_)) => {
            let mut saw_null = false;
            for item in items.iter() {
                let verdict = match item {
                    Value::Range(range) => ops::in_range(input, range),
                    _ => ops::equal(input, item),
                };
                match verdict {
                    Value::Bool(true) => return Value::Bool(true),
                    Value::Bool(false) => {}
                    _ => saw_null = true,
                }
            }
            if saw_null {
                Value::Null
            } else {
                Value::Bool(false)
            }
        }
        // A list input against a list of lists: one of its items (DMN TCK level 3,
        // 0072-feel-in: `[1,2,3] in [[1,2,3,4], [1,2,3]]`); against any other list: equal
        // to it.
        Value::List(items) if items.iter().any(|i| matches!(i, Value::List(_))) => Value::Bool(
            items
                .iter()
                .any(|item| matches!(ops::equal(input, item), Value::Bool(true))),
        ),
        _ => ops::equal(input, test),
    }
}

/// Whether `expr` uses the name `name` anywhere (nested functions included).
fn mentions_name(expr: &Expr, name: &str) -> bool {
    let mut found = false;
    super::visit::walk(expr, &mut |e| {
        if matches!(&e.kind, ExprKind::Name(n) if n == name) {
            found = true;
        }
    });
    found
}

/// Whether `expr` refers to `?` anywhere (outside nested function definitions).
pub fn contains_input_value(expr: &Expr) -> bool {
    let mut found = false;
    super::visit::walk(expr, &mut |e| {
        if matches!(e.kind, ExprKind::InputValue) {
            found = true;
        }
    });
    found
}

/// `value` as an instance of `ty`, applying DMN 1.5 type conversions (10.3.2.9.4): a
/// singleton list becomes its element when `ty` is not a list type, and a single value
/// becomes a singleton list when `ty` is one. `None` when it does not conform either way;
/// `null` conforms to every type.
pub fn coerce_to(types: &[TypeDef], value: Value, ty: &TypeRef) -> Option<Value> {
    if value.is_null() || conforms_to(types, &value, ty) {
        return Some(value);
    }
    match value {
        Value::List(items) if items.len() == 1 => {
            let item = items.first().cloned().unwrap_or(Value::Null);
            conforms_to(types, &item, ty).then_some(item)
        }
        Value::List(_) => None,
        other => {
            let wrapped = Value::list(vec![other]);
            conforms_to(types, &wrapped, ty).then_some(wrapped)
        }
    }
}

/// How deep [`conforms_to`] follows item definitions inside each other; a type nested
/// deeper (or defined in a cycle) is accepted.
const MAX_TYPE_DEPTH: u32 = 32;

/// Whether `value` is an instance of `ty`, resolving item definition names in `types` at
/// every level (`list<tItem>`, `context<a: tAmount>`), not only at the top.
pub fn conforms_to(types: &[TypeDef], value: &Value, ty: &TypeRef) -> bool {
    conforms_at(types, value, ty, 0)
}

fn conforms_at(types: &[TypeDef], v: &Value, ty: &TypeRef, depth: u32) -> bool {
    if depth > MAX_TYPE_DEPTH {
        return true;
    }
    let nested = |x: &Value, t: &TypeRef| x.is_null() || conforms_at(types, x, t, depth + 1);
    match ty {
        TypeRef::Named(name) => match types.iter().find(|t| &t.name == name) {
            Some(def) => conforms_at(types, v, &def.base, depth + 1),
            None => ops::conforms(v, ty),
        },
        TypeRef::List(item) => match v {
            Value::List(items) => items.iter().all(|x| nested(x, item)),
            _ => false,
        },
        TypeRef::Context(fields) => match v {
            Value::Context(ctx) => fields
                .iter()
                .all(|(k, t)| ctx.get(k).is_some_and(|x| nested(x, t))),
            _ => false,
        },
        TypeRef::Range(item) => match v {
            Value::Range(r) => [&r.start, &r.end]
                .into_iter()
                .flatten()
                .all(|x| nested(x, item)),
            _ => false,
        },
        _ => ops::conforms(v, ty),
    }
}
