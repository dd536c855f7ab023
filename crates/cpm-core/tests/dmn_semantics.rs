//! FEEL and table semantics fixed while running the DMN TCK: each case names the DMN 1.5
//! rule (or TCK test) it follows.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failure must stop the test loudly"
)]

use cpm_core::api;
use cpm_core::compile::SourceText;
use cpm_core::decide::{Engine, Options};
use cpm_core::value::json;

fn engine(model: &str) -> Engine {
    let files = [SourceText {
        path: "m.yaml".to_owned(),
        text: model.to_owned(),
    }];
    match api::build(&files) {
        api::BuildAnswer::Success { bundle, .. } => Engine::new(bundle),
        api::BuildAnswer::Failure { errors, .. } => panic!("{errors:?}"),
    }
}

fn decide(e: &Engine, name: &str, input: &str) -> String {
    let input: serde_json::Value = serde_json::from_str(input).expect("json");
    let d = e.decide(name, &input, &Options::default()).expect("decide");
    json::to_canonical_json(&d.output)
}

/// One literal decision per expression, named `d1`, `d2`, …
fn literals(exprs: &[&str]) -> Engine {
    let mut model = String::from("model: m\ndecisions:\n");
    for (i, e) in exprs.iter().enumerate() {
        model.push_str(&format!(
            "  - name: d{}\n    expression: '{}'\n",
            i + 1,
            e.replace('\'', "''")
        ));
    }
    engine(&model)
}

#[test]
fn singleton_lists_convert_to_declared_types() {
    // DMN 1.5 10.3.2.9.4; TCK level 3 0021-singleton-list.
    let e = engine(
        r#"
model: m
inputs:
  - { name: names, type: list<string> }
knowledge:
  - name: shout
    params: [{ name: s, type: string }]
    expression: upper case(s)
decisions:
  - name: one
    type: string
    expression: names[item = "Bob"]
  - name: many
    type: string
    expression: names
  - name: as list
    type: list<number>
    expression: '5'
  - name: shouted
    expression: shout(names[item = "Bob"])
"#,
    );
    let input = r#"{"names": ["Ann", "Bob"]}"#;
    assert_eq!(decide(&e, "one", input), r#""Bob""#);
    assert_eq!(decide(&e, "many", input), "null");
    assert_eq!(decide(&e, "as list", input), "[5]");
    assert_eq!(decide(&e, "shouted", input), r#""BOB""#);
}

#[test]
fn positional_calls_need_every_argument() {
    // DMN 1.5 10.3.2.13.2; TCK level 3 0085-decision-services case 008.
    let e = literals(&[
        "(function(a, b) a + b)(1, 2)",
        "(function(a, b) a + b)(1)",
        "(function(a, b) a + b)(1, 2, 3)",
        "(function(a, b) b)(b: 2)",
    ]);
    assert_eq!(decide(&e, "d1", "{}"), "3");
    assert_eq!(decide(&e, "d2", "{}"), "null");
    assert_eq!(decide(&e, "d3", "{}"), "null");
    assert_eq!(decide(&e, "d4", "{}"), "2");
}

#[test]
fn iteration_over_date_ranges_and_range_values() {
    // TCK level 3 0084-feel-for-loops.
    let e = literals(&[
        r#"for d in @"2024-02-28"..@"2024-03-01" return d"#,
        r#"for d in @"2024-01-02"..@"2024-01-01" return d"#,
        r#"for i in "a".."z" return i"#,
        "for i in [1..3) return i",
        "for i in [2..1] return i",
        "for i in 3..1 return i",
        "for i in 1.5..3 return i",
        r#"some d in @"2024-01-01"..@"2024-01-03" satisfies d = @"2024-01-02""#,
    ]);
    assert_eq!(
        decide(&e, "d1", "{}"),
        r#"["2024-02-28","2024-02-29","2024-03-01"]"#
    );
    assert_eq!(decide(&e, "d2", "{}"), r#"["2024-01-02","2024-01-01"]"#);
    assert_eq!(decide(&e, "d3", "{}"), "null");
    assert_eq!(decide(&e, "d4", "{}"), "[1,2]");
    assert_eq!(decide(&e, "d5", "{}"), "null");
    assert_eq!(decide(&e, "d6", "{}"), "[3,2,1]");
    assert_eq!(decide(&e, "d7", "{}"), "null");
    assert_eq!(decide(&e, "d8", "{}"), "true");
}

#[test]
fn a_list_is_in_a_list_of_lists() {
    // TCK level 3 0072-feel-in.
    let e = literals(&[
        "[1,2,3] in [[1,2,3,4], [1,2,3]]",
        "[1,2,3] in [1,2,3]",
        "[1,2] in [[1,2,3], [4]]",
    ]);
    assert_eq!(decide(&e, "d1", "{}"), "true");
    assert_eq!(decide(&e, "d2", "{}"), "true");
    assert_eq!(decide(&e, "d3", "{}"), "false");
}

#[test]
fn aggregating_collect_falls_back_to_the_default_output() {
    // TCK level 3 0020-vacation-days.
    let e = engine(
        r#"
model: m
inputs:
  - { name: Age, type: number }
decisions:
  - name: Extra
    table:
      hit: COLLECT MAX
      inputs: [{ expression: Age }]
      outputs: [{ name: days, default: '0' }]
      rules:
        - { when: ['< 18'], then: ['5'] }
        - { when: ['< 16'], then: ['2'] }
  - name: Count
    table:
      hit: C#
      inputs: [{ expression: Age }]
      outputs: [{ name: n }]
      rules:
        - { when: ['< 18'], then: ['1'] }
"#,
    );
    assert_eq!(decide(&e, "Extra", r#"{"Age": 15}"#), "5");
    assert_eq!(decide(&e, "Extra", r#"{"Age": 40}"#), "0");
    assert_eq!(decide(&e, "Count", r#"{"Age": 40}"#), "0");
}
