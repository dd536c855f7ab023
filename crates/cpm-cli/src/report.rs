//! Printing diagnostics, answers and test results for people and for tools.

use cpm_core::api::{TestCheck, TestOutcome};
use cpm_core::compile::Diagnostic;

/// Prints diagnostics, errors first, to standard error.
pub fn print_diagnostics(errors: &[Diagnostic], warnings: &[Diagnostic]) {
    for d in errors.iter().chain(warnings) {
        eprintln!("{d}");
    }
}

/// Diagnostics as a JSON document.
pub fn diagnostics_json(
    errors: &[Diagnostic],
    warnings: &[Diagnostic],
    hash: Option<&str>,
) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert(
        "type".into(),
        if errors.is_empty() {
            "success"
        } else {
            "failure"
        }
        .into(),
    );
    if let Some(h) = hash {
        obj.insert("bundleHash".into(), h.into());
    }
    obj.insert(
        "errors".into(),
        serde_json::to_value(errors).unwrap_or_default(),
    );
    obj.insert(
        "warnings".into(),
        serde_json::to_value(warnings).unwrap_or_default(),
    );
    serde_json::Value::Object(obj)
}

/// Prints a JSON document canonically.
pub fn print_json(v: &serde_json::Value) {
    println!("{}", cpm_core::canonical::to_string(v));
}

/// Prints a decision answer for a person: the output, then the rules that fired.
pub fn print_answer(answer: &serde_json::Value) {
    if answer.get("type").and_then(|t| t.as_str()) != Some("success") {
        for e in answer
            .get("errors")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("error");
            let message = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
            println!("error[{code}]: {message}");
        }
        return;
    }
    let output = answer.get("output").cloned().unwrap_or_default();
    println!(
        "{}",
        serde_json::to_string_pretty(&output).unwrap_or_else(|_| output.to_string())
    );
    let decisions = answer
        .get("explanation")
        .and_then(|e| e.get("decisions"))
        .and_then(|d| d.as_array());
    for d in decisions.into_iter().flatten() {
        let name = d.get("decision").and_then(|n| n.as_str()).unwrap_or("");
        let Some(fired) = d.get("fired").and_then(|f| f.as_array()) else {
            continue;
        };
        let rules: Vec<String> = fired
            .iter()
            .map(|r| {
                let id = r.get("id").and_then(|i| i.as_str()).unwrap_or("");
                let index = r.get("index").map(ToString::to_string).unwrap_or_default();
                format!("{id} (#{index})")
            })
            .collect();
        let policy = d.get("hitPolicy").and_then(|h| h.as_str()).unwrap_or("");
        if rules.is_empty() {
            println!("  {name} [{policy}]: no rule matched");
        } else {
            println!("  {name} [{policy}]: {}", rules.join(", "));
        }
    }
    if let Some(hash) = answer.get("bundleHash").and_then(|h| h.as_str()) {
        println!("  bundle {}", hash.get(..12).unwrap_or(hash));
    }
}

/// Prints test results with a diff for each failure, then `N passed, N failed`.
pub fn print_tests(outcomes: &[TestOutcome]) {
    let mut passed = 0;
    let mut failed = 0;
    for o in outcomes {
        if o.passed() {
            passed += 1;
            println!("PASS {} / {}", o.model, o.name);
            continue;
        }
        failed += 1;
        println!("FAIL {} / {}", o.model, o.name);
        for c in o.checks.iter().filter(|c| !c.passed()) {
            print_check(c);
        }
    }
    if outcomes.is_empty() {
        println!("no test cases found: add `tests:` to a model file");
    }
    println!("{passed} passed, {failed} failed");
}

fn print_check(c: &TestCheck) {
    println!("    {}:", c.decision);
    println!("      expected: {}", c.expected);
    match &c.actual {
        Ok(actual) => println!("      actual:   {actual}"),
        Err(e) => println!("      error[{}]: {}", e.code, e.message),
    }
}

/// Test results as a JSON document.
pub fn tests_json(outcomes: &[TestOutcome]) -> serde_json::Value {
    let cases: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let checks: Vec<serde_json::Value> = o
                .checks
                .iter()
                .map(|c| {
                    let mut m = serde_json::Map::new();
                    m.insert("decision".into(), c.decision.clone().into());
                    m.insert("passed".into(), c.passed().into());
                    m.insert("expected".into(), c.expected.clone().into());
                    match &c.actual {
                        Ok(a) => m.insert("actual".into(), a.clone().into()),
                        Err(e) => {
                            m.insert("error".into(), serde_json::to_value(e).unwrap_or_default())
                        }
                    };
                    serde_json::Value::Object(m)
                })
                .collect();
            let mut m = serde_json::Map::new();
            m.insert("model".into(), o.model.clone().into());
            m.insert("name".into(), o.name.clone().into());
            m.insert("passed".into(), o.passed().into());
            m.insert("checks".into(), checks.into());
            serde_json::Value::Object(m)
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let mut m = serde_json::Map::new();
    m.insert("passed".into(), passed.into());
    m.insert("failed".into(), (outcomes.len() - passed).into());
    m.insert("cases".into(), cases.into());
    serde_json::Value::Object(m)
}
