//! Decision-table cells and outputs written as literals, evaluated once ahead of time.
//!
//! Pipeline position: `decide::table` asks a table's prepared form (built on its first
//! evaluation, beside the rule index, never stored in a bundle) how to check each cell and
//! what each rule outputs. A cell made of literal tests (`"gold"`, `>= 500`,
//! `"DE", "FR"`, `[1..10)`) keeps the tests' values, so checking it is a comparison
//! with the input value instead of evaluating FEEL in a scope; a rule whose outputs are
//! all literals keeps its output value. Every prepared part charges the budgets exactly what
//! evaluating its expressions charges (`Evaluator::charge_literal`), and when a budget
//! would not cover that, the table evaluates the original expressions, which fail as
//! they always do: answers, explanations and errors are the same either way.

use crate::feel::ast::CmpOp;
use crate::feel::err::EvalError;
use crate::feel::eval::{self, Evaluator, LiteralCost};
use crate::ir::{Cell, Table, Test};
use crate::value::{Context, Value};

/// The prepared form of a table: per rule, its cells and its output.
#[derive(Debug)]
pub struct PreparedTable {
    rules: Vec<PreparedRule>,
    default: Option<Literal>,
    scope_free: bool,
}

/// The prepared cells and output of one rule.
#[derive(Debug)]
struct PreparedRule {
    /// The cells that are not `-`, with their columns, in column order.
    cells: Vec<(usize, PreparedCell)>,
    output: Option<Literal>,
}

/// How to check one cell.
#[derive(Debug)]
pub enum PreparedCell {
    /// `-`: accepts every input.
    Any,
    /// One literal test (the most common cell: `"gold"`, `>= 500`).
    One(LiteralTest),
    /// Literal tests, in the cell's order; the cell accepts the input when one of them
    /// does (when `negated`, when none does).
    Literal {
        /// Whether the cell was `not(...)`.
        negated: bool,
        /// One per test of the cell.
        tests: Vec<LiteralTest>,
    },
    /// Anything else: the cell's tests are evaluated in the scope.
    General,
}

/// A test whose expression is a literal.
#[derive(Debug)]
pub enum LiteralTest {
    /// `< 5`: the input compared with the value.
    Compare(CmpOp, Literal),
    /// `"gold"`, `[1..10)`: the input equal to the value, in the list or in the range.
    Value(Literal),
}

/// A literal expression's value and what evaluating it charges.
#[derive(Debug)]
pub struct Literal {
    value: Value,
    cost: LiteralCost,
}

impl PreparedTable {
    /// The prepared form of `table`.
    pub fn build(table: &Table) -> Self {
        let rules: Vec<PreparedRule> = table
            .rules
            .iter()
            .map(|rule| PreparedRule {
                cells: rule
                    .when
                    .iter()
                    .map(prepare_cell)
                    .enumerate()
                    .filter(|(_, cell)| !matches!(cell, PreparedCell::Any))
                    .collect(),
                output: outputs_literal(table, &rule.then),
            })
            .collect();
        let defaults: Option<Vec<_>> = table.outputs.iter().map(|o| o.default.clone()).collect();
        let default = match defaults {
            Some(defaults) => outputs_literal(table, &defaults),
            // Some output has no default: evaluated as written (it gives null there).
            None => None,
        };
        let scope_free = scope_free(table, &rules, default.is_some());
        Self {
            rules,
            default,
            scope_free,
        }
    }

    /// Whether nothing but the input values decides the table's value: every cell and
    /// output is prepared (or, when a budget does not cover a prepared part, evaluated as
    /// written from literals alone), so the table can be evaluated without a scope.
    pub fn is_scope_free(&self) -> bool {
        self.scope_free
    }

    /// How to check the cells of rule `rule` that are not `-`: column and prepared cell,
    /// in column order.
    pub fn cells(&self, rule: usize) -> Option<&[(usize, PreparedCell)]> {
        self.rules.get(rule).map(|r| r.cells.as_slice())
    }

    /// The output of rule `rule` when all its output entries are literals.
    pub fn output(&self, rule: usize) -> Option<&Literal> {
        self.rules.get(rule).and_then(|r| r.output.as_ref())
    }

    /// The table's default output when every output declares a literal default.
    pub fn default_output(&self) -> Option<&Literal> {
        self.default.as_ref()
    }
}

impl Literal {
    /// The value, with its evaluation charged to `ev`; `None` (nothing charged) when a
    /// budget would not cover evaluating it, so the caller evaluates it as written.
    pub fn take(&self, ev: &mut Evaluator<'_>) -> Option<Value> {
        ev.charge_literal(&self.cost).then(|| self.value.clone())
    }
}

impl PreparedCell {
    /// Whether the cell accepts `input`; `cell` is the cell as written, evaluated when a
    /// prepared test cannot be charged.
    ///
    /// # Errors
    /// Budget errors, exactly as when the cell is evaluated as written.
    #[inline]
    pub fn matches(
        &self,
        ev: &mut Evaluator<'_>,
        cell: &Cell,
        input: &Value,
    ) -> Result<bool, EvalError> {
        if let PreparedCell::One(test) = self
            && let Some(accepted) = test.accepts(ev, input)
        {
            return Ok(accepted);
        }
        self.matches_otherwise(ev, cell, input)
    }

    /// [`PreparedCell::matches`] for every cell but a single test that the budgets cover.
    fn matches_otherwise(
        &self,
        ev: &mut Evaluator<'_>,
        cell: &Cell,
        input: &Value,
    ) -> Result<bool, EvalError> {
        let (negated, tests) = match self {
            PreparedCell::Any => return Ok(true),
            PreparedCell::Literal { negated, tests } => (*negated, tests),
            // A single test the budgets do not cover (nothing charged yet), or anything
            // that is not literal: as written.
            PreparedCell::One(_) | PreparedCell::General => {
                return super::table::cell_matches(ev, cell, input);
            }
        };
        let mut any = false;
        for (i, test) in tests.iter().enumerate() {
            let accepted = match test.accepts(ev, input) {
                Some(accepted) => accepted,
                None => {
                    let Cell::Tests { tests: written, .. } = cell else {
                        return super::table::cell_matches(ev, cell, input);
                    };
                    // Literal tests do not read `?`: no binding is needed.
                    match written.get(i) {
                        Some(written) => ev.table_test(input, written)?,
                        None => return super::table::cell_matches(ev, cell, input),
                    }
                }
            };
            if accepted {
                any = true;
                break;
            }
        }
        Ok(any != negated)
    }
}

impl LiteralTest {
    /// Whether the test accepts `input`, with its evaluation charged to `ev`; `None`
    /// (nothing charged) when a budget would not cover it.
    #[inline]
    fn accepts(&self, ev: &mut Evaluator<'_>, input: &Value) -> Option<bool> {
        let literal = match self {
            LiteralTest::Compare(_, literal) | LiteralTest::Value(literal) => literal,
        };
        if !ev.charge_literal(&literal.cost) {
            return None;
        }
        Some(match self {
            LiteralTest::Compare(op, _) => eval::compare_holds(*op, input, &literal.value),
            LiteralTest::Value(_) => eval::test_holds(input, &literal.value),
        })
    }
}

/// Whether the table's cells, outputs, default outputs and output values (by which PRIORITY
/// and OUTPUT ORDER rank the rules) are all literals; see [`PreparedTable::is_scope_free`].
fn scope_free(table: &Table, rules: &[PreparedRule], literal_default: bool) -> bool {
    let cells_and_outputs = rules.iter().all(|rule| {
        rule.output.is_some()
            && rule
                .cells
                .iter()
                .all(|(_, cell)| !matches!(cell, PreparedCell::General))
    });
    let default = literal_default || table.outputs.iter().all(|o| o.default.is_none());
    let ranking = table
        .outputs
        .iter()
        .flat_map(|o| &o.values)
        .all(|e| eval::literal(e).is_some());
    cells_and_outputs && default && ranking
}

/// The prepared form of one cell.
fn prepare_cell(cell: &Cell) -> PreparedCell {
    let Cell::Tests { negated, tests } = cell else {
        return PreparedCell::Any;
    };
    let prepared: Option<Vec<LiteralTest>> = tests
        .iter()
        .map(|test| match test {
            Test::Compare(op, expr) => literal_of(expr).map(|l| LiteralTest::Compare(*op, l)),
            Test::Value(expr) => literal_of(expr).map(LiteralTest::Value),
            Test::Predicate(_) => None,
        })
        .collect();
    match prepared {
        Some(mut tests) if tests.len() == 1 && !negated => match tests.pop() {
            Some(test) => PreparedCell::One(test),
            None => PreparedCell::General,
        },
        Some(tests) => PreparedCell::Literal {
            negated: *negated,
            tests,
        },
        None => PreparedCell::General,
    }
}

/// A literal expression's value and cost.
fn literal_of(expr: &crate::feel::ast::Expr) -> Option<Literal> {
    eval::literal(expr).map(|(value, cost)| Literal { value, cost })
}

/// The output built from one expression per output column, as `decide::table` builds it
/// (the single output's value, or a context of all outputs), when all are literals.
fn outputs_literal(table: &Table, exprs: &[crate::feel::ast::Expr]) -> Option<Literal> {
    if let [single] = exprs {
        return literal_of(single);
    }
    let mut ctx = Context::default();
    let mut cost = LiteralCost::default();
    for (output, expr) in table.outputs.iter().zip(exprs) {
        let literal = literal_of(expr)?;
        cost = cost.and(literal.cost);
        ctx.insert(output.name.clone(), literal.value);
    }
    Some(Literal {
        value: Value::context(ctx),
        cost,
    })
}
