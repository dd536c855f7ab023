//! Type checks that need no evaluation: literals in table cells compared with inputs of a
//! declared type (a string in a number column can never match).
//!
//! Pipeline position: `compile`, after name resolution, before analysis.

use super::diagnostic::Diagnostic;
use crate::feel::ast::{Expr, ExprKind, TypeRef};
use crate::ir::{self, Cell, Test};
use crate::source::TableDef;

/// The kind of a literal, as far as checking needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Number,
    String,
    Boolean,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Boolean => "boolean",
        }
    }
}

/// Warnings for cells whose literals cannot match their column's declared input type.
pub(super) fn table_columns(
    table: &ir::Table,
    src: &TableDef,
    inputs: &[ir::Input],
    types: &[ir::TypeDef],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (c, column) in table.inputs.iter().enumerate() {
        let Some(kind) = column_kind(&column.expr, inputs, types) else {
            continue;
        };
        for (r, rule) in table.rules.iter().enumerate() {
            let Some(Cell::Tests { tests, .. }) = rule.when.get(c) else {
                continue;
            };
            for test in tests {
                let expr = match test {
                    Test::Compare(_, e) | Test::Value(e) => e,
                    Test::Predicate(_) => continue,
                };
                let Some(found) = literal_kind(expr) else {
                    continue;
                };
                if found == kind {
                    continue;
                }
                let cell = src.rules.get(r).and_then(|rule| rule.when.get(c));
                let mut d = Diagnostic::warning(
                    "type-mismatch",
                    format!(
                        "rule `{}` compares `{}`, a {}, with a {}: this test can never match",
                        rule.id,
                        column.text,
                        kind.name(),
                        found.name()
                    ),
                    cell.map(|f| f.loc.clone()),
                );
                if let Some(f) = cell {
                    d = d.with_source(f.text.clone());
                }
                if found == Kind::String && kind == Kind::Number {
                    d = d.with_help("write the number without quotes");
                } else if kind == Kind::String {
                    d = d.with_help("quote string values inside the cell: `'\"gold\"'`");
                }
                out.push(d);
            }
        }
    }
    out
}

/// The declared kind of a column whose expression is a plain input name.
fn column_kind(expr: &Expr, inputs: &[ir::Input], types: &[ir::TypeDef]) -> Option<Kind> {
    let ExprKind::Name(name) = &expr.kind else {
        return None;
    };
    let mut ty = &inputs.iter().find(|i| &i.name == name)?.ty;
    for _ in 0..32 {
        let TypeRef::Named(n) = ty else { return None };
        match n.as_str() {
            "number" => return Some(Kind::Number),
            "string" => return Some(Kind::String),
            "boolean" => return Some(Kind::Boolean),
            other => ty = &types.iter().find(|t| t.name == other)?.base,
        }
    }
    None
}

/// The kind of a literal test expression (ranges by their end points).
fn literal_kind(expr: &Expr) -> Option<Kind> {
    match &expr.kind {
        ExprKind::Number(_) => Some(Kind::Number),
        ExprKind::Neg(inner) => literal_kind(inner).filter(|k| *k == Kind::Number),
        ExprKind::String(_) => Some(Kind::String),
        ExprKind::Bool(_) => Some(Kind::Boolean),
        ExprKind::Range { start, end, .. } => {
            start.as_deref().or(end.as_deref()).and_then(literal_kind)
        }
        _ => None,
    }
}
