//! Read-only traversal of FEEL syntax trees, for the compiler's name resolution and
//! analysis and for the evaluator's `?` detection.

use super::ast::{Args, Expr, ExprKind, IterationSource, UnaryTest};

/// Calls `f` on `expr` and every expression below it, parents before children.
pub fn walk(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(expr);
    for child in children(expr) {
        walk(child, f);
    }
}

/// The direct sub-expressions of `expr`, in source order.
pub fn children(expr: &Expr) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = Vec::new();
    match &expr.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::String(_)
        | ExprKind::Temporal(_)
        | ExprKind::Name(_)
        | ExprKind::InputValue => {}
        ExprKind::Path(e, _) | ExprKind::Neg(e) | ExprKind::InstanceOf(e, _) => out.push(e),
        ExprKind::Filter(a, b)
        | ExprKind::Arith(_, a, b)
        | ExprKind::Compare(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => {
            out.push(a);
            out.push(b);
        }
        ExprKind::Call(callee, args) => {
            out.push(callee);
            match args {
                Args::Positional(v) => out.extend(v.iter()),
                Args::Named(v) => out.extend(v.iter().map(|(_, e)| e)),
            }
        }
        ExprKind::Between { value, low, high } => {
            out.push(value);
            out.push(low);
            out.push(high);
        }
        ExprKind::In(value, tests) => {
            out.push(value);
            out.extend(tests.iter().map(|t| match t {
                UnaryTest::Compare(_, e) | UnaryTest::Expr(e) => e,
            }));
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            out.push(cond);
            out.push(then);
            out.push(otherwise);
        }
        ExprKind::For(iterations, body) | ExprKind::Quantified(_, iterations, body) => {
            for it in iterations {
                match &it.source {
                    IterationSource::List(e) => out.push(e),
                    IterationSource::Range { from, to } => {
                        out.push(from);
                        out.push(to);
                    }
                }
            }
            out.push(body);
        }
        ExprKind::List(items) => out.extend(items.iter()),
        ExprKind::Context(entries) => out.extend(entries.iter().map(|(_, e)| e)),
        ExprKind::Range { start, end, .. } => {
            out.extend(start.as_deref());
            out.extend(end.as_deref());
        }
        ExprKind::FunctionDef { body, .. } => out.push(body),
    }
    out
}
