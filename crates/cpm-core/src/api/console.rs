//! What an editor needs besides building and deciding: a syntax check of one FEEL text (a
//! table cell as the user types it) and the report of a bundle's test cases as JSON.
//!
//! Pipeline position: part of the boundary ([`crate::api`]), used by the browser package
//! (`checkFeel`, `engine.runTests()`) and so by the business console. The check runs the
//! same parser the compiler runs; the report runs [`crate::api::run_tests`].

use serde::{Deserialize, Serialize};

use crate::decide::Engine;
use crate::feel::eval::Limits;
use crate::feel::names::Names;
use crate::feel::parser::{parse_expression, parse_unary_tests};

use super::{TestCheck, TestOutcome, run_tests};

/// Which FEEL grammar a text is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeelKind {
    /// The unary tests of a decision table input cell (`-`, `< 5`, `"a", "b"`, `not(1)`).
    UnaryTests,
    /// An expression: an output cell, a literal expression, a route condition.
    Expression,
}

/// A syntax problem in a checked FEEL text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeelProblem {
    /// Always `feel-syntax`, the code the build gives the same problem.
    pub code: String,
    /// What is wrong: the compiler's message for the same text.
    pub message: String,
    /// Line in the text, from 1.
    pub line: u32,
    /// Column in characters (Unicode scalar values) on that line, from 1.
    pub column: u32,
    /// Byte offsets of the offending part of the text, start and one past the end.
    pub start: u32,
    /// See [`FeelProblem::start`].
    pub end: u32,
}

/// Checks the syntax of one FEEL text as the compiler would parse it in a cell of `kind`.
/// `names` are the names with spaces or name symbols the text may use (the model's inputs,
/// decisions, knowledge models; built-in function names are always known): without them
/// `Customer Tier` reads as two names and is a syntax error.
///
/// Returns no problem for valid syntax, otherwise the first problem (the parser stops at
/// it). Names are not resolved: an unknown name is a build error, not a syntax error.
pub fn check_feel(text: &str, kind: FeelKind, names: &[String]) -> Vec<FeelProblem> {
    let mut known = Names::new();
    for name in names {
        known.insert(name);
    }
    let err = match kind {
        FeelKind::UnaryTests => parse_unary_tests(text, &known).err(),
        FeelKind::Expression => parse_expression(text, &known).err(),
    };
    let Some(err) = err else {
        return Vec::new();
    };
    // An error at the end of the text points just after its last visible character, as the
    // build's location does.
    let visible = to_u32(text.trim_end().len());
    let start = err.span.start.min(visible);
    let end = err.span.end.clamp(start, to_u32(text.len()));
    let (line, column) = line_column(text, start);
    vec![FeelProblem {
        code: "feel-syntax".to_owned(),
        message: err.message,
        line,
        column,
        start,
        end,
    }]
}

/// Line and character column (both from 1) of byte `offset` of `text`; an offset inside a
/// character counts as that character.
fn line_column(text: &str, offset: u32) -> (u32, u32) {
    let mut end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or_default();
    let line = to_u32(before.matches('\n').count()).saturating_add(1);
    let last = before.rsplit('\n').next().unwrap_or_default();
    (line, to_u32(last.chars().count()).saturating_add(1))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Runs every test case the bundle carries ([`run_tests`]) and reports them as JSON:
/// `{ bundleHash, passed, failed, tests: [{ model, test, input, passed, checks: [{ decision,
/// expected, actual | error, passed }] }] }`. `passed` and `failed` count test cases;
/// `input`, `expected` and `actual` are JSON values, `error` is `{ code, message, … }` when
/// the decision could not be made. Cases come in bundle order (model by model, in file
/// order).
pub fn test_report(engine: &Engine, limits: Limits) -> serde_json::Value {
    let outcomes = run_tests(engine, limits);
    let inputs = engine
        .bundle()
        .program
        .models
        .iter()
        .flat_map(|m| m.tests.iter().map(|t| t.input.as_str()));
    let mut passed = 0u64;
    let mut failed = 0u64;
    let tests: Vec<serde_json::Value> = outcomes
        .iter()
        .zip(inputs)
        .map(|(outcome, input)| {
            if outcome.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
            outcome_json(outcome, input)
        })
        .collect();
    serde_json::json!({
        "bundleHash": engine.hash(),
        "passed": passed,
        "failed": failed,
        "tests": tests,
    })
}

fn outcome_json(outcome: &TestOutcome, input: &str) -> serde_json::Value {
    let checks: Vec<serde_json::Value> = outcome
        .checks
        .iter()
        .map(|check| {
            let mut o = check_json(check);
            o.insert("passed".into(), check.passed().into());
            serde_json::Value::Object(o)
        })
        .collect();
    serde_json::json!({
        "model": outcome.model,
        "test": outcome.name,
        "input": json_value(input),
        "passed": outcome.passed(),
        "checks": checks,
    })
}

/// One check as JSON: `decision`, `expected`, and `actual` or `error`.
fn check_json(check: &TestCheck) -> serde_json::Map<String, serde_json::Value> {
    let mut o = serde_json::Map::new();
    o.insert("decision".into(), check.decision.clone().into());
    o.insert("expected".into(), json_value(&check.expected));
    match &check.actual {
        Ok(actual) => o.insert("actual".into(), json_value(actual)),
        Err(e) => o.insert(
            "error".into(),
            serde_json::to_value(e).unwrap_or(serde_json::Value::Null),
        ),
    };
    o
}

/// Runs every test case the bundle carries and returns how many checks passed and one
/// entry per failed check: `{ code: "test-failed", model, test, decision, expected,
/// actual | error }` (what a publish refusal lists).
pub fn test_failures(engine: &Engine, limits: Limits) -> (usize, Vec<serde_json::Value>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for outcome in run_tests(engine, limits) {
        for check in &outcome.checks {
            if check.passed() {
                passed += 1;
                continue;
            }
            let mut o = serde_json::Map::new();
            o.insert("code".into(), "test-failed".into());
            o.insert("model".into(), outcome.model.clone().into());
            o.insert("test".into(), outcome.name.clone().into());
            o.extend(check_json(check));
            failures.push(serde_json::Value::Object(o));
        }
    }
    (passed, failures)
}

/// A canonical JSON text the bundle or the engine wrote, as a value (`null` if it were not
/// JSON, which the writers rule out).
fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn valid_cells_have_no_problem() {
        let n = names(&["Customer Tier", "Order Total"]);
        for cell in [
            "-",
            ">= 500",
            "\"DE\", \"FR\"",
            "not(\"a\")",
            "[1..10)",
            "? > Order Total",
        ] {
            assert_eq!(check_feel(cell, FeelKind::UnaryTests, &n), vec![], "{cell}");
        }
        for expr in [
            "0.15",
            "Order Total * (1 - 0.1)",
            "if Customer Tier = \"gold\" then 1 else 2",
        ] {
            assert_eq!(check_feel(expr, FeelKind::Expression, &n), vec![], "{expr}");
        }
    }

    #[test]
    fn a_problem_has_the_message_and_the_column() {
        let got = check_feel(">= 5 +", FeelKind::UnaryTests, &[]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].code, "feel-syntax");
        // The end of the text: just after the last visible character.
        assert_eq!((got[0].line, got[0].column), (1, 7));
        let got = check_feel("1 + )", FeelKind::Expression, &[]);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].line, got[0].column, got[0].start), (1, 5, 4));
        assert!(got[0].message.contains("`)`"), "{}", got[0].message);
    }

    #[test]
    fn columns_count_characters_and_lines() {
        let got = check_feel("\"é\" +\n  )", FeelKind::Expression, &[]);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].line, got[0].column), (2, 3));
    }

    #[test]
    fn names_with_spaces_need_to_be_known() {
        assert_eq!(
            check_feel("Order Total > 5", FeelKind::Expression, &[]).len(),
            1
        );
        assert_eq!(
            check_feel(
                "Order Total > 5",
                FeelKind::Expression,
                &names(&["Order Total"])
            ),
            vec![]
        );
    }

    #[test]
    fn an_empty_cell_is_an_error_and_kinds_differ() {
        assert_eq!(check_feel("", FeelKind::UnaryTests, &[]).len(), 1);
        // `-` is "any" as a unary test, an incomplete negation as an expression.
        assert_eq!(check_feel("-", FeelKind::Expression, &[]).len(), 1);
        let kind: FeelKind =
            serde_json::from_str("\"unary-tests\"").unwrap_or(FeelKind::Expression);
        assert_eq!(kind, FeelKind::UnaryTests);
    }

    #[test]
    fn the_test_report_lists_inputs_and_failed_checks() {
        let model = "\
model: m
inputs:
  - { name: Amount, type: number }
decisions:
  - name: Fee
    expression: Amount * 2
tests:
  - name: doubles
    input: { Amount: 2 }
    expect: { Fee: 4 }
  - name: wrong expectation
    input: { Amount: 3 }
    expect: { Fee: 7 }
";
        let files = [crate::compile::SourceText {
            path: "m.yaml".to_owned(),
            text: model.to_owned(),
        }];
        let crate::api::BuildAnswer::Success { bundle, .. } = crate::api::build(&files) else {
            panic!("the model does not build");
        };
        let engine = Engine::new(bundle);
        let report = test_report(&engine, Limits::default());
        assert_eq!(report["bundleHash"], engine.hash());
        assert_eq!(
            (report["passed"].as_u64(), report["failed"].as_u64()),
            (Some(1), Some(1))
        );
        let tests = report["tests"].as_array().unwrap();
        assert_eq!(tests[0]["test"], "doubles");
        assert_eq!(tests[0]["input"], serde_json::json!({ "Amount": 2 }));
        assert_eq!(tests[0]["passed"], true);
        let check = &tests[1]["checks"][0];
        assert_eq!(check["decision"], "Fee");
        assert_eq!(check["expected"].to_string(), "7");
        assert_eq!(check["actual"].to_string(), "6");
        assert_eq!(check["passed"], false);
        assert_eq!(tests[1]["passed"], false);
    }
}
