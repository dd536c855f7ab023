//! Name resolution: which names an expression refers to, given FEEL's scoping rules.
//!
//! Pipeline position: `compile`, after parsing. The compiler uses the free names of every
//! expression to report unknown names and to find which decisions require which.

use std::collections::BTreeSet;

use crate::feel::ast::{Args, Expr, ExprKind, IterationSource, Name, Span, UnaryTest};

/// A name an expression uses that it does not bind itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeName {
    /// The name.
    pub name: Name,
    /// Where it is used.
    pub span: Span,
    /// Whether it is used inside a filter (`list[...]`), where it may also be a key of the
    /// filtered items and so cannot be reported as unknown.
    pub in_filter: bool,
}

/// The free names of `expr`, in source order (repeats included).
pub fn free_names(expr: &Expr) -> Vec<FreeName> {
    let mut out = Vec::new();
    let mut bound: Vec<Name> = Vec::new();
    collect(expr, &mut bound, false, &mut out);
    out
}

/// The free names of several expressions, deduplicated by name.
pub fn free_name_set<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> BTreeSet<Name> {
    exprs
        .into_iter()
        .flat_map(free_names)
        .map(|f| f.name)
        .collect()
}

fn collect(expr: &Expr, bound: &mut Vec<Name>, in_filter: bool, out: &mut Vec<FreeName>) {
    match &expr.kind {
        ExprKind::Name(name) => {
            if !bound.iter().any(|b| b == name) {
                out.push(FreeName {
                    name: name.clone(),
                    span: expr.span,
                    in_filter,
                });
            }
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::String(_)
        | ExprKind::Temporal(_)
        | ExprKind::InputValue => {}
        ExprKind::Path(e, _) | ExprKind::Neg(e) | ExprKind::InstanceOf(e, _) => {
            collect(e, bound, in_filter, out);
        }
        ExprKind::Filter(list, filter) => {
            collect(list, bound, in_filter, out);
            bound.push("item".to_owned());
            collect(filter, bound, true, out);
            bound.pop();
        }
        ExprKind::Arith(_, a, b)
        | ExprKind::Compare(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => {
            collect(a, bound, in_filter, out);
            collect(b, bound, in_filter, out);
        }
        ExprKind::Call(callee, args) => {
            collect(callee, bound, in_filter, out);
            match args {
                Args::Positional(v) => v.iter().for_each(|e| collect(e, bound, in_filter, out)),
                Args::Named(v) => v
                    .iter()
                    .for_each(|(_, e)| collect(e, bound, in_filter, out)),
            }
        }
        ExprKind::Between { value, low, high } => {
            for e in [value, low, high] {
                collect(e, bound, in_filter, out);
            }
        }
        ExprKind::In(value, tests) => {
            collect(value, bound, in_filter, out);
            for t in tests {
                match t {
                    UnaryTest::Compare(_, e) | UnaryTest::Expr(e) => {
                        collect(e, bound, in_filter, out);
                    }
                }
            }
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            for e in [cond, then, otherwise] {
                collect(e, bound, in_filter, out);
            }
        }
        ExprKind::For(iterations, body) | ExprKind::Quantified(_, iterations, body) => {
            let mark = bound.len();
            for it in iterations {
                match &it.source {
                    IterationSource::List(e) => collect(e, bound, in_filter, out),
                    IterationSource::Range { from, to } => {
                        collect(from, bound, in_filter, out);
                        collect(to, bound, in_filter, out);
                    }
                }
                bound.push(it.name.clone());
            }
            bound.push("partial".to_owned());
            collect(body, bound, in_filter, out);
            bound.truncate(mark);
        }
        ExprKind::List(items) => items.iter().for_each(|e| collect(e, bound, in_filter, out)),
        ExprKind::Context(entries) => {
            let mark = bound.len();
            for (key, e) in entries {
                collect(e, bound, in_filter, out);
                bound.push(key.clone());
            }
            bound.truncate(mark);
        }
        ExprKind::Range { start, end, .. } => {
            for e in [start, end].into_iter().flatten() {
                collect(e, bound, in_filter, out);
            }
        }
        ExprKind::FunctionDef { params, body } => {
            let mark = bound.len();
            bound.extend(params.iter().map(|(n, _)| n.clone()));
            collect(body, bound, in_filter, out);
            bound.truncate(mark);
        }
    }
}
