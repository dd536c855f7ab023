//! The serializable boundary every adapter calls: answer shapes of `decide_json_str`,
//! `describe` and `run_tests`, and the canonical, byte-stable JSON they produce.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: an unexpected build outcome must stop the test loudly"
)]

use cpm_core::api::{self, BuildAnswer, ErrorDetail};
use cpm_core::canonical;
use cpm_core::compile::SourceText;
use cpm_core::decide::Engine;
use cpm_core::feel::eval::Limits;
use serde_json::{Value as J, json};

const ORDERS: &str = "\
model: orders
types:
  - name: Line
    fields:
      - { name: sku, type: string }
      - { name: price, type: number }
inputs:
  - { name: Customer Tier, type: string }
  - { name: Order Total, type: number }
  - { name: Lines, type: list<Line> }
  - { name: Placed, type: date }
decisions:
  - name: Discount
    type: number
    table:
      hit: FIRST
      inputs:
        - { expression: Customer Tier, label: Tier }
        - { expression: Order Total }
      outputs: [{ name: discount, default: '0' }]
      rules:
        - { id: gold-large, when: ['\"gold\"', '>= 100'], then: ['0.15'], note: large gold orders }
        - { when: ['\"gold\"', '-'], then: ['0.1'] }
  - name: Final Price
    type: number
    expression: Order Total * (1 - Discount)
  - name: Line Count
    expression: count(Lines)
  - name: Weekday
    expression: day of week(Placed)
tests:
  - name: large gold order
    input: { Customer Tier: gold, Order Total: 200 }
    expect: { Discount: 0.15, Final Price: 170 }
  - name: wrong expectation
    input: { Customer Tier: gold, Order Total: 50 }
    expect: { Discount: 0.1, Final Price: 46 }
  - name: bad input
    input: { Order Total: abc }
    expect: { Final Price: 0 }
";

fn engine() -> Engine {
    let files = [SourceText {
        path: "orders.yaml".to_owned(),
        text: ORDERS.to_owned(),
    }];
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => api::load(&bundle.encode().unwrap()).unwrap(),
        BuildAnswer::Failure { errors, .. } => panic!("build failed: {errors:#?}"),
    }
}

/// Calls `decide_json_str` and parses the answer.
fn decide(engine: &Engine, request: &J) -> J {
    let text = api::decide_json_str(engine, &request.to_string());
    serde_json::from_str(&text).unwrap()
}

/// The one error of a failure answer.
fn the_error(answer: &J) -> &J {
    assert_eq!(answer["type"], "failure", "{answer}");
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{answer}");
    assert_eq!(
        answer.as_object().unwrap().len(),
        2,
        "only type and errors: {answer}"
    );
    &errors[0]
}

#[test]
fn success_with_explanation() {
    let engine = engine();
    let answer = decide(
        &engine,
        &json!({
            "decision": "Final Price",
            "input": { "Customer Tier": "gold", "Order Total": 200 }
        }),
    );
    assert_eq!(answer["type"], "success");
    assert_eq!(answer["decision"], "Final Price");
    assert_eq!(answer["output"], json!(170));
    assert_eq!(answer["bundleHash"], engine.hash());
    let decisions = answer["explanation"]["decisions"].as_array().unwrap();
    // Requirements first, then the decision asked for.
    assert_eq!(decisions.len(), 2);
    let table = &decisions[0];
    assert_eq!(table["decision"], "Discount");
    assert_eq!(table["kind"], "table");
    assert_eq!(table["hitPolicy"], "FIRST");
    assert_eq!(table["output"], json!(0.15));
    assert_eq!(
        table["inputs"],
        json!([
            { "expression": "Customer Tier", "value": "gold" },
            { "expression": "Order Total", "value": 200 }
        ])
    );
    assert_eq!(
        table["fired"],
        json!([{ "index": 1, "id": "gold-large", "note": "large gold orders" }])
    );
    let literal = &decisions[1];
    assert_eq!(literal["decision"], "Final Price");
    assert_eq!(literal["kind"], "expression");
    assert_eq!(literal["output"], json!(170));
    for key in ["hitPolicy", "inputs", "fired"] {
        assert!(
            literal.get(key).is_none(),
            "{key} on an expression: {literal}"
        );
    }
}

#[test]
fn fired_rules_without_a_note_and_no_match() {
    let engine = engine();
    let answer = decide(
        &engine,
        &json!({ "decision": "Discount", "input": { "Customer Tier": "gold", "Order Total": 10 } }),
    );
    assert_eq!(answer["output"], json!(0.1));
    assert_eq!(
        answer["explanation"]["decisions"][0]["fired"],
        json!([{ "index": 2, "id": "r2" }])
    );
    // No rule matches: the default, and nothing fired.
    let answer = decide(
        &engine,
        &json!({ "decision": "Discount", "input": { "Customer Tier": "silver" } }),
    );
    assert_eq!(answer["output"], json!(0));
    assert_eq!(answer["explanation"]["decisions"][0]["fired"], json!([]));
    assert_eq!(
        answer["explanation"]["decisions"][0]["inputs"][1]["value"],
        J::Null
    );
}

#[test]
fn explain_false_omits_the_explanation() {
    let engine = engine();
    let answer = decide(
        &engine,
        &json!({
            "decision": "Final Price",
            "input": { "Customer Tier": "gold", "Order Total": 200 },
            "explain": false
        }),
    );
    assert_eq!(
        answer,
        json!({
            "type": "success",
            "decision": "Final Price",
            "output": 170,
            "bundleHash": engine.hash()
        })
    );
}

#[test]
fn malformed_requests() {
    let engine = engine();
    for request in [
        "",
        "not json",
        "[]",
        "{}",
        r#"{"decision": 1}"#,
        r#"{"decision": "Discount", "explain": "yes"}"#,
        r#"{"decision": "Discount", "inputs": {}}"#,
        r#"{"decision": "Discount", "input": {}"#,
    ] {
        let answer: J = serde_json::from_str(&api::decide_json_str(&engine, request)).unwrap();
        let error = the_error(&answer);
        assert_eq!(error["code"], "malformed-request", "{request}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with("the request is not valid JSON"),
            "{message}"
        );
    }
    // The unknown field is named.
    let answer: J = serde_json::from_str(&api::decide_json_str(
        &engine,
        r#"{"decision": "Discount", "inputs": {}}"#,
    ))
    .unwrap();
    assert!(
        the_error(&answer)["message"]
            .as_str()
            .unwrap()
            .contains("inputs"),
        "{answer}"
    );
}

#[test]
fn unknown_decision_lists_the_known_ones() {
    let engine = engine();
    let answer = decide(&engine, &json!({ "decision": "Discont" }));
    let error = the_error(&answer);
    assert_eq!(error["code"], "unknown-decision");
    assert_eq!(
        error["message"],
        "unknown decision `Discont`; the bundle has `Discount`, `Final Price`, `Line Count`, `Weekday`"
    );
    assert!(error.get("path").is_none());
}

#[test]
fn input_type_errors_name_the_path() {
    let engine = engine();
    let cases = [
        (
            "Final Price",
            json!({ "Order Total": "abc" }),
            "Order Total",
            "input `Order Total` must be a number, found string `abc`",
        ),
        (
            "Line Count",
            json!({ "Lines": [{ "sku": "a", "price": 1 }, { "sku": "b", "price": "2" }] }),
            "Lines[2].price",
            "input `Lines[2].price` must be a number, found string `2`",
        ),
        (
            "Line Count",
            json!({ "Lines": { "sku": "a" } }),
            "Lines",
            "input `Lines` must be list<Line>, found an object",
        ),
        (
            "Weekday",
            json!({ "Placed": "2024-02-30" }),
            "Placed",
            "input `Placed` must be a date (`YYYY-MM-DD`), found string `2024-02-30`",
        ),
    ];
    for (decision, input, path, message) in cases {
        let answer = decide(&engine, &json!({ "decision": decision, "input": input }));
        let error = the_error(&answer);
        assert_eq!(error["code"], "input-type", "{answer}");
        assert_eq!(error["path"], path, "{answer}");
        assert_eq!(error["message"], message, "{answer}");
    }
    // Valid values of each type convert.
    let answer = decide(
        &engine,
        &json!({ "decision": "Weekday", "input": { "Placed": "2024-02-29" } }),
    );
    assert_eq!(answer["output"], "Thursday", "{answer}");
    let answer = decide(
        &engine,
        &json!({ "decision": "Line Count", "input": { "Lines": [{ "sku": "a", "price": 1 }] } }),
    );
    assert_eq!(answer["output"], 1, "{answer}");
}

#[test]
fn input_must_be_an_object() {
    let engine = engine();
    for (input, found) in [
        (json!([1, 2]), "an array"),
        (json!("gold"), "a string"),
        (json!(3), "a number"),
        (json!(true), "a boolean"),
    ] {
        let answer = decide(&engine, &json!({ "decision": "Discount", "input": input }));
        let error = the_error(&answer);
        assert_eq!(error["code"], "invalid-input");
        assert_eq!(
            error["message"],
            format!("the input must be a JSON object of input data by name, found {found}")
        );
    }
    // No input, or null, means every input is null.
    let answer = decide(&engine, &json!({ "decision": "Discount", "input": null }));
    assert_eq!(answer["output"], 0);
    let answer = decide(&engine, &json!({ "decision": "Discount" }));
    assert_eq!(answer["output"], 0);
}

/// Asserts that every object in `v`, at any depth, has its keys in sorted order.
fn assert_sorted_keys(v: &J) {
    match v {
        J::Object(map) => {
            let keys: Vec<&String> = map.keys().collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted);
            map.values().for_each(assert_sorted_keys);
        }
        J::Array(items) => items.iter().for_each(assert_sorted_keys),
        _ => {}
    }
}

#[test]
fn answers_are_canonical_and_byte_stable() {
    let request =
        r#"{"input":{"Order Total":200.50,"Customer Tier":"gold"},"decision":"Final Price"}"#;
    let first = api::decide_json_str(&engine(), request);
    // A fresh engine, the same request: the same bytes.
    let second = api::decide_json_str(&engine(), request);
    assert_eq!(first, second);
    // Compact, keys sorted (serde_json keeps insertion order here), exact numbers.
    let parsed: J = serde_json::from_str(&first).unwrap();
    assert_sorted_keys(&parsed);
    assert_eq!(canonical::to_string(&parsed), first);
    assert!(!first.contains(": ") && !first.contains('\n'), "{first}");
    assert!(first.contains(r#""output":170.425"#), "{first}");
    assert!(first.starts_with(r#"{"bundleHash":""#), "{first}");
    // Failures are canonical too.
    let failure = api::decide_json_str(&engine(), r#"{"decision":"Nope"}"#);
    let parsed: J = serde_json::from_str(&failure).unwrap();
    assert_sorted_keys(&parsed);
    assert_eq!(canonical::to_string(&parsed), failure);
}

#[test]
fn describe_lists_decisions_sorted_with_their_inputs() {
    let engine = engine();
    let described = api::describe(&engine);
    assert_eq!(described["bundleHash"], engine.hash());
    let decisions = described["decisions"].as_array().unwrap();
    let names: Vec<&str> = decisions
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Discount", "Final Price", "Line Count", "Weekday"]);
    assert_eq!(
        decisions[1],
        json!({
            "name": "Final Price",
            "model": "orders",
            "kind": "expression",
            "type": "number",
            // Read directly and through `Discount`, in declaration order.
            "inputs": [
                { "name": "Customer Tier", "type": "string" },
                { "name": "Order Total", "type": "number" }
            ]
        })
    );
    assert_eq!(decisions[0]["kind"], "table");
    assert_eq!(
        decisions[2]["inputs"],
        json!([{ "name": "Lines", "type": "list<Line>" }])
    );
    assert_eq!(decisions[2]["type"], J::Null);
    assert_eq!(
        decisions[3]["inputs"],
        json!([{ "name": "Placed", "type": "date" }])
    );
}

#[test]
fn run_tests_reports_expected_and_actual() {
    let engine = engine();
    let outcomes = api::run_tests(&engine, Limits::default());
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        ["large gold order", "wrong expectation", "bad input"]
    );
    assert!(outcomes.iter().all(|o| o.model == "orders"));

    assert!(outcomes[0].passed());
    assert_eq!(outcomes[0].checks.len(), 2);

    let wrong = &outcomes[1];
    assert!(!wrong.passed());
    let failed: Vec<_> = wrong.checks.iter().filter(|c| !c.passed()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].decision, "Final Price");
    assert_eq!(failed[0].expected, "46");
    assert_eq!(failed[0].actual, Ok("45".to_owned()));
    // The other check of the same case passed.
    assert!(
        wrong
            .checks
            .iter()
            .any(|c| c.decision == "Discount" && c.passed())
    );

    let bad = &outcomes[2];
    assert!(!bad.passed());
    let error: &ErrorDetail = bad.checks[0].actual.as_ref().unwrap_err();
    assert_eq!(error.code, "input-type");
    assert_eq!(error.path.as_deref(), Some("Order Total"));
}

/// The text input path reads plain objects of valid data itself, answering exactly as the
/// general path does, and declines everything else (then the general path answers).
#[test]
fn text_input_path_answers_as_the_general_path_or_declines() {
    let engine = engine();
    let general = |decision: &str, text: &str| {
        let request = api::DecideRequest {
            decision: decision.to_owned(),
            input: serde_json::from_str(text).unwrap(),
            explain: true,
        };
        api::decide_success_text(&engine, &request, Limits::default())
    };
    let fast = |decision: &str, text: &str| {
        api::decide_input_text(&engine, decision, text, true, Limits::default())
    };
    let read_itself = [
        r#"{"Customer Tier":"gold","Order Total":120.50,"Placed":"2024-02-29"}"#,
        r#"{"Customer Tier":"gold","Order Total":1e2,"Lines":[{"sku":"a","price":1.5}]}"#,
        r#" { "Cust\u006fmer Tier" : "gold" , "Unrelated": {"deep": [1, 2, {"x": null}]} } "#,
        r#"{}"#,
    ];
    for text in read_itself {
        let answer = fast("Final Price", text).unwrap_or_else(|| panic!("declined {text}"));
        assert_eq!(answer, general("Final Price", text), "{text}");
    }
    let declined = [
        (
            "Final Price",
            r#"{"Customer Tier":"gold","Customer Tier":"silver"}"#,
        ),
        ("Final Price", r#"{"Order Total":"a lot"}"#),
        ("Final Price", r#"{"Placed":"yesterday"}"#),
        ("Final Price", r#"[1, 2]"#),
        ("Final Price", "null"),
        ("Final Price", r#"{"Customer Tier":"gold"} trailing"#),
        ("Final Price", r#"{"Customer Tier":"gold""#),
        (
            "Final Price",
            &format!(r#"{{"Other":"{}"}}"#, "x".repeat(256 * 1024 + 1)),
        ),
        (
            "Final Price",
            &format!("{{\"Other\":{}1{}}}", "[".repeat(64), "]".repeat(64)),
        ),
        ("No Such Decision", r#"{"Customer Tier":"gold"}"#),
    ];
    for (decision, text) in declined {
        assert!(
            fast(decision, text).is_none(),
            "{decision}: {}",
            &text[..text.len().min(80)]
        );
    }
    let many: Vec<String> = (0..65).map(|i| format!("\"n{i}\":{i}")).collect();
    assert!(fast("Final Price", &format!("{{{}}}", many.join(","))).is_none());
    let some: Vec<String> = (0..64).map(|i| format!("\"n{i}\":{i}")).collect();
    assert!(fast("Final Price", &format!("{{{}}}", some.join(","))).is_some());
}
