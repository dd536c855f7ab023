//! Whether a bundle's decisions could ever meet a named time zone (`@Europe/Paris`).
//!
//! Pipeline position: a read-only pass over the compiled program ([`crate::ir`]), asked
//! through [`crate::decide::Engine::may_meet_named_zones`] when a bundle is loaded. The
//! browser's decisions-only build, which has no tz database compiled in, loads the zone
//! data only for bundles where this says `true` ([`crate::value::zones`]).
//!
//! It over-approximates. A named zone enters a value only where text is read as a time or
//! a date and time: input data declared `time` / `date and time` (directly, through an item
//! definition, or inside a list, range or context type), a zoned temporal literal
//! (`@"10:30@Europe/Paris"`), or a call of the built-ins that read such text (`time`,
//! `date and time`, `range`). Any mention of one of these anywhere in the bundle (a type
//! anywhere, the name of one of those built-ins anywhere) counts. If this ever missed a
//! use, the request would fail with `zone-data-missing`, never answer differently.

use crate::feel::ast::{Expr, ExprKind, TypeRef};
use crate::feel::visit;
use crate::ir::{Body, Cell, Model, Program, Test};

/// Whether any decision, knowledge model, input or item definition of `program` could
/// read a named time zone (see the module doc).
pub fn may_meet_named_zones(program: &Program) -> bool {
    program.models.iter().any(model_may_meet)
}

fn model_may_meet(model: &Model) -> bool {
    model
        .types
        .iter()
        .any(|t| type_may_hold(&t.base) || t.allowed.as_ref().is_some_and(cell_may_meet))
        || model.inputs.iter().any(|i| type_may_hold(&i.ty))
        || model.knowledge.iter().any(|k| {
            k.params
                .iter()
                .any(|(_, ty)| ty.as_ref().is_some_and(type_may_hold))
                || k.ty.as_ref().is_some_and(type_may_hold)
                || body_may_meet(&k.body)
        })
        || model
            .decisions
            .iter()
            .any(|d| d.ty.as_ref().is_some_and(type_may_hold) || body_may_meet(&d.body))
}

fn body_may_meet(body: &Body) -> bool {
    match body {
        Body::Expr(e) => expr_may_meet(e),
        Body::Table(t) => {
            t.inputs.iter().any(|i| expr_may_meet(&i.expr))
                || t.outputs.iter().any(|o| {
                    o.ty.as_ref().is_some_and(type_may_hold)
                        || o.values.iter().any(expr_may_meet)
                        || o.default.as_ref().is_some_and(expr_may_meet)
                })
                || t.rules
                    .iter()
                    .any(|r| r.when.iter().any(cell_may_meet) || r.then.iter().any(expr_may_meet))
        }
        Body::Context { entries, result } => {
            entries.iter().any(|(_, b)| body_may_meet(b))
                || result.as_ref().is_some_and(expr_may_meet)
        }
    }
}

fn cell_may_meet(cell: &Cell) -> bool {
    match cell {
        Cell::Any => false,
        Cell::Tests { tests, .. } => tests.iter().any(|t| match t {
            Test::Compare(_, e) | Test::Value(e) | Test::Predicate(e) => expr_may_meet(e),
        }),
    }
}

fn expr_may_meet(expr: &Expr) -> bool {
    let mut found = false;
    visit::walk(expr, &mut |e| {
        found = found
            || match &e.kind {
                ExprKind::Temporal(text) => text.contains('@'),
                ExprKind::Name(name) => reads_zoned_text(name),
                ExprKind::InstanceOf(_, ty) => type_may_hold(ty),
                ExprKind::FunctionDef { params, .. } => params
                    .iter()
                    .any(|(_, ty)| ty.as_ref().is_some_and(type_may_hold)),
                _ => false,
            };
    });
    found
}

/// The built-ins that read text as a time or a date and time: the two conversion
/// functions and `range`, which reads its endpoints from text.
fn reads_zoned_text(name: &str) -> bool {
    is_time_type(name) || name.trim() == "range"
}

/// `time` or `date and time` (as a type or as the built-in of that name).
fn is_time_type(name: &str) -> bool {
    let mut words = name.split_whitespace();
    matches!(
        (words.next(), words.next(), words.next(), words.next()),
        (Some("time"), None, None, None) | (Some("date"), Some("and"), Some("time"), None)
    )
}

/// Whether a value of type `ty` can be a time or a date and time, or hold one.
fn type_may_hold(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Any | TypeRef::Null => false,
        TypeRef::Named(name) => is_time_type(name),
        TypeRef::List(t) | TypeRef::Range(t) => type_may_hold(t),
        TypeRef::Context(fields) => fields.iter().any(|(_, t)| type_may_hold(t)),
        TypeRef::Function(params, result) => {
            params.iter().any(type_may_hold) || type_may_hold(result)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{self, BuildAnswer};
    use crate::compile::SourceText;

    fn program(yaml: &str) -> Program {
        let files = [SourceText {
            path: "m.yaml".into(),
            text: yaml.into(),
        }];
        match api::build(&files) {
            BuildAnswer::Success { bundle, .. } => bundle.program,
            BuildAnswer::Failure { errors, .. } => panic!("{errors:?}"),
        }
    }

    fn model(inputs: &str, expression: &str) -> String {
        format!(
            "model: m\ninputs:\n{inputs}\ndecisions:\n  - name: D\n    expression: '{expression}'\n"
        )
    }

    #[test]
    fn plain_decisions_never_meet_a_named_zone() {
        let p = program(&model(
            "  - { name: a, type: number }\n  - { name: d, type: date }",
            "if a > 1 then d + duration(\"P1D\") else date(\"2024-01-01\")",
        ));
        assert!(!may_meet_named_zones(&p));
    }

    #[test]
    fn every_way_in_for_a_named_zone_is_seen() {
        let cases = [
            ("  - { name: t, type: time }", "t"),
            ("  - { name: t, type: date and time }", "1"),
            ("  - { name: l, type: list<date and time> }", "1"),
            ("  - { name: a, type: string }", "date and time(a)"),
            ("  - { name: a, type: string }", "time(a)"),
            ("  - { name: a, type: string }", "range(a)"),
            (
                "  - { name: a, type: string }",
                "@\"10:30:00@Europe/Paris\"",
            ),
        ];
        for (inputs, expression) in cases {
            let p = program(&model(inputs, expression));
            assert!(may_meet_named_zones(&p), "{inputs} / {expression}");
        }
        // A zone given as an offset needs no zone data.
        let p = program(&model(
            "  - { name: a, type: number }",
            "@\"2024-01-01T10:30:00+01:00\"",
        ));
        assert!(!may_meet_named_zones(&p));
    }
}
