//! The rule index of large decision tables and the prepared literal cells and outputs change
//! nothing but speed: on random tables (literal cells, lists, comparisons, ranges,
//! negations, predicates, wildcards) and random inputs (matching, between and on endpoints,
//! of other types, null), every hit policy gives the same outputs, the same fired rules and
//! the same errors with the index as with a row-by-row scan, and with prepared cells as
//! with every cell evaluated as written, under any budget.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers: an unexpected build outcome must stop the test loudly"
)]

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;
use cpm_core::decide::index::{LazyIndex, TableIndex};
use cpm_core::decide::{Engine, Options};
use cpm_core::feel::eval::Limits;
use cpm_core::ir::Body;
use cpm_core::value::json;
use proptest::prelude::*;

const TIERS: [&str; 5] = ["gold", "silver", "bronze", "GOLD", "x y"];

fn cell_tier() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_owned()),
        (0..TIERS.len()).prop_map(|i| format!("\"{}\"", TIERS[i])),
        (0..TIERS.len(), 0..TIERS.len())
            .prop_map(|(a, b)| format!("\"{}\", \"{}\"", TIERS[a], TIERS[b])),
        (0..TIERS.len()).prop_map(|i| format!("not(\"{}\")", TIERS[i])),
        (0..TIERS.len()).prop_map(|i| format!("[\"{}\", \"{}\"]", TIERS[i], TIERS[0])),
        Just("? = \"silver\"".to_owned()),
        Just("7".to_owned()),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-3i32..40).prop_map(|n| n.to_string()),
        (-30i32..400).prop_map(|n| format!("{}.{}", n / 10, (n % 10).abs())),
    ]
}

fn cell_total() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_owned()),
        number(),
        (
            prop::sample::select(vec!["<", "<=", ">", ">=", "="]),
            number()
        )
            .prop_map(|(op, n)| format!("{op} {n}")),
        (
            prop::sample::select(vec!["[", "(", "]"]),
            number(),
            number(),
            prop::sample::select(vec!["]", ")", "["])
        )
            .prop_map(|(o, a, b, c)| format!("{o}{a}..{b}{c}")),
        (number(), number()).prop_map(|(a, b)| format!("{a}, >= {b}")),
        number().prop_map(|n| format!("not(< {n})")),
        number().prop_map(|n| format!("? * 2 > {n}")),
        number().prop_map(|n| format!("[{n}, 5]")),
        Just("\"gold\"".to_owned()),
    ]
}

fn cell_flag() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["-", "true", "false", "null"]).prop_map(str::to_owned)
}

fn rules() -> impl Strategy<Value = Vec<(String, String, String)>> {
    prop::collection::vec((cell_tier(), cell_total(), cell_flag()), 32..90)
}

fn hit_policy() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "FIRST",
        "UNIQUE",
        "ANY",
        "RULE ORDER",
        "COLLECT",
        "COLLECT SUM",
        "PRIORITY",
        "OUTPUT ORDER",
    ])
}

fn input_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    prop_oneof![
        (0..TIERS.len()).prop_map(|i| json!({ "tier": TIERS[i] })),
        Just(json!({ "tier": null })),
        Just(json!({ "tier": 7 })),
        Just(json!({ "tier": ["gold"] })),
    ]
}

fn total_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        number().prop_map(|n| serde_json::from_str(&n).unwrap()),
        Just(serde_json::Value::Null),
        Just(serde_json::json!("12")),
    ]
}

fn flag_value() -> impl Strategy<Value = serde_json::Value> {
    prop::sample::select(vec![
        serde_json::json!(true),
        serde_json::json!(false),
        serde_json::Value::Null,
    ])
}

/// A model with table `D` over `tier`, `total` and `flag`, giving each rule's position
/// (and a priority output for PRIORITY / OUTPUT ORDER).
fn model(hit: &str, rules: &[(String, String, String)]) -> String {
    let mut text = format!(
        "model: m\ninputs:\n  - {{ name: tier }}\n  - {{ name: total }}\n  - {{ name: flag }}\n\
         decisions:\n  - name: D\n    table:\n      hit: {hit}\n      inputs:\n        - expression: tier\n        - expression: total\n        - expression: flag\n      \
         outputs:\n        - {{ name: rule, type: number }}\n        - {{ name: rank, values: '\"a\", \"b\", \"c\"' }}\n      rules:\n"
    );
    if hit == "COLLECT SUM" {
        text = text.replace(
            "        - { name: rule, type: number }\n        - { name: rank, values: '\"a\", \"b\", \"c\"' }\n",
            "        - { name: rule, type: number }\n",
        );
    }
    for (i, (tier, total, flag)) in rules.iter().enumerate() {
        let yaml = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let rank = ["\"a\"", "\"b\"", "\"c\""][i % 3];
        let then = if hit == "COLLECT SUM" {
            format!("[{i}]")
        } else {
            format!("[{i}, {}]", yaml(rank))
        };
        text.push_str(&format!(
            "        - {{ when: [{}, {}, {}], then: {then} }}\n",
            yaml(tier),
            yaml(total),
            yaml(flag)
        ));
    }
    text
}

fn build(model: &str) -> Option<cpm_core::bundle::Bundle> {
    let files = [SourceText {
        path: "m.yaml".to_owned(),
        text: model.to_owned(),
    }];
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => Some(bundle),
        // A random UNIQUE table may be refused for overlapping rules: nothing to compare
        // then. Any other refusal is a fault of the generator.
        BuildAnswer::Failure { errors, .. } => {
            assert!(
                errors.iter().all(|e| e.code == "overlap"),
                "unexpected build errors: {errors:#?}"
            );
            None
        }
    }
}

/// The same bundle with every table scanned row by row.
fn scanning(bundle: cpm_core::bundle::Bundle) -> cpm_core::bundle::Bundle {
    with_index(bundle, LazyIndex::scan_only)
}

/// The same bundle with every table scanned and every cell and output evaluated as written.
fn as_written(bundle: cpm_core::bundle::Bundle) -> cpm_core::bundle::Bundle {
    with_index(bundle, LazyIndex::as_written)
}

/// The same bundle with every table's index replaced by `index()`.
fn with_index(
    mut bundle: cpm_core::bundle::Bundle,
    index: fn() -> LazyIndex,
) -> cpm_core::bundle::Bundle {
    for model in &mut bundle.program.models {
        for decision in &mut model.decisions {
            if let Body::Table(table) = &mut decision.body {
                table.index = index();
            }
        }
    }
    bundle
}

/// [`model`] with default outputs when `defaults`; with `expressions`, every fourth rule's
/// first output is an expression instead of a literal, and without, no cell is a predicate
/// (so the table's cells and outputs are all literals).
fn model_variant(
    hit: &str,
    rules: &[(String, String, String)],
    defaults: bool,
    expressions: bool,
) -> String {
    let literal = |cell: &String| match cell.contains('?') {
        true => "-".to_owned(),
        false => cell.clone(),
    };
    let rules: Vec<(String, String, String)> = match expressions {
        true => rules.to_vec(),
        false => rules
            .iter()
            .map(|(a, b, c)| (literal(a), literal(b), literal(c)))
            .collect(),
    };
    let mut text = model(hit, &rules);
    if defaults {
        text = text
            .replace(
                "- { name: rule, type: number }",
                "- { name: rule, type: number, default: '-1' }",
            )
            .replace(
                "- { name: rank, values: '\"a\", \"b\", \"c\"' }",
                "- { name: rank, values: '\"a\", \"b\", \"c\"', default: '\"c\"' }",
            );
    }
    if expressions {
        for i in (1..rules.len()).step_by(4) {
            text = text.replace(&format!("then: [{i},"), &format!("then: ['{i} + 0',"));
            text = text.replace(&format!("then: [{i}] "), &format!("then: ['{i} + 0'] "));
        }
    }
    text
}

fn limits() -> impl Strategy<Value = Limits> {
    (
        0u64..400,
        prop_oneof![1u32..6, Just(128)],
        prop_oneof![0u64..3, Just(1_000_000)],
    )
        .prop_map(|(fuel, max_depth, max_list)| Limits {
            fuel,
            max_depth,
            max_list,
        })
}

fn answer(engine: &Engine, input: &serde_json::Value) -> String {
    answer_within(engine, input, Limits::default())
}

fn answer_within(engine: &Engine, input: &serde_json::Value, limits: Limits) -> String {
    let options = Options {
        explain: true,
        limits,
    };
    match engine.decide("D", input, &options) {
        Ok(d) => format!("{} trace {:?}", json::to_canonical_json(&d.output), d.trace),
        Err(e) => format!("error {}: {e}", e.code()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_index_answers_like_a_scan(
        hit in hit_policy(),
        rules in rules(),
        inputs in prop::collection::vec((input_value(), total_value(), flag_value()), 12),
    ) {
        let Some(bundle) = build(&model(hit, &rules)) else { return Ok(()) };
        let Body::Table(table) = &bundle.program.models[0].decisions[0].body else {
            panic!("D is a table")
        };
        prop_assert!(TableIndex::build(table).is_some(), "the random table is indexed");
        let indexed = Engine::new(bundle.clone());
        let scanned = Engine::new(scanning(bundle));
        for (tier, total, flag) in inputs {
            let mut input = tier;
            input["total"] = total;
            input["flag"] = flag;
            prop_assert_eq!(answer(&indexed, &input), answer(&scanned, &input), "input {}", input);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn prepared_cells_answer_as_written_ones_under_any_budget(
        hit in hit_policy(),
        rules in prop::collection::vec((cell_tier(), cell_total(), cell_flag()), 1..40),
        inputs in prop::collection::vec(
            ((input_value(), total_value(), flag_value()), prop::collection::vec(limits(), 6)),
            6,
        ),
        defaults in any::<bool>(),
        expressions in any::<bool>(),
    ) {
        let text = model_variant(hit, &rules, defaults, expressions);
        let Some(bundle) = build(&text) else { return Ok(()) };
        let Body::Table(table) = &bundle.program.models[0].decisions[0].body else {
            panic!("D is a table")
        };
        let scope_free = table.index.prepared(table).unwrap().is_scope_free();
        prop_assert!(scope_free || expressions, "a table of literals needs no scope");
        // Both scan: with the index, a rule it rules out is never checked, so a cell of that
        // rule that would exhaust a budget is never evaluated either.
        let prepared = Engine::new(scanning(bundle.clone()));
        let written = Engine::new(as_written(bundle));
        for ((tier, total, flag), limits) in inputs {
            let mut input = tier;
            input["total"] = total;
            input["flag"] = flag;
            prop_assert_eq!(answer(&prepared, &input), answer(&written, &input), "input {}", input);
            for limits in limits {
                prop_assert_eq!(
                    answer_within(&prepared, &input, limits),
                    answer_within(&written, &input, limits),
                    "input {} within {:?}", input, limits
                );
            }
        }
    }
}

#[test]
fn a_large_literal_table_is_indexed_and_finds_the_last_rule() {
    let rules: Vec<(String, String, String)> = (0..2000)
        .map(|i| {
            (
                format!("\"c{i}\""),
                format!("[{}..{})", i * 10, i * 10 + 10),
                "-".to_owned(),
            )
        })
        .collect();
    let bundle = build(&model("FIRST", &rules)).unwrap();
    let Body::Table(table) = &bundle.program.models[0].decisions[0].body else {
        panic!("D is a table")
    };
    let index = TableIndex::build(table).unwrap();
    let input = serde_json::json!({ "tier": "c1999", "total": 19_995, "flag": true });
    let values: Vec<_> = ["c1999"]
        .iter()
        .map(|s| cpm_core::value::Value::String((*s).into()))
        .chain([cpm_core::value::Value::Number(19_995.into())])
        .chain([cpm_core::value::Value::Bool(true)])
        .collect();
    assert_eq!(
        index.candidates(&values).into_iter().collect::<Vec<_>>(),
        vec![1999]
    );
    let engine = Engine::new(bundle);
    assert!(
        answer(&engine, &input).starts_with("{\"rank\":\"b\",\"rule\":1999}"),
        "{}",
        answer(&engine, &input)
    );
}

#[test]
fn candidates_are_exactly_the_rules_whose_literal_cells_accept_the_input() {
    let mut rules: Vec<(String, String, String)> = [
        "< 10", "[10..20)", "(20..30]", ">= 30", "20", "-", "not(5)", "]0..1[",
    ]
    .iter()
    .map(|c| ("-".to_owned(), (*c).to_owned(), "-".to_owned()))
    .collect();
    rules.extend((0..32).map(|i| (format!("\"pad{i}\""), "-".to_owned(), "-".to_owned())));
    let bundle = build(&model("RULE ORDER", &rules)).unwrap();
    let Body::Table(table) = &bundle.program.models[0].decisions[0].body else {
        panic!("D is a table")
    };
    let index = TableIndex::build(table).unwrap();
    let number = |n: &str| cpm_core::value::Value::Number(n.parse().unwrap());
    let candidates = |total: cpm_core::value::Value| -> Vec<usize> {
        let tier = cpm_core::value::Value::String("pad3".into());
        index
            .candidates(&[tier, total, cpm_core::value::Value::Null])
            .into_iter()
            .collect()
    };
    // Rules 5 (`-`) and 6 (`not(5)`) are candidates for every number; 11 is `"pad3"`.
    assert_eq!(candidates(number("9.99")), vec![0, 5, 6, 11]);
    assert_eq!(candidates(number("10")), vec![1, 5, 6, 11]);
    assert_eq!(candidates(number("20")), vec![4, 5, 6, 11]);
    assert_eq!(candidates(number("20.5")), vec![2, 5, 6, 11]);
    assert_eq!(candidates(number("30")), vec![2, 3, 5, 6, 11]);
    assert_eq!(candidates(number("0.5")), vec![0, 5, 6, 7, 11]);
    assert_eq!(candidates(number("1")), vec![0, 5, 6, 11]);
    assert_eq!(candidates(cpm_core::value::Value::Null), vec![5, 6, 11]);
    // A list input cannot be filtered by literal cells.
    let list = cpm_core::value::Value::List(std::sync::Arc::new(vec![number("1")]));
    assert_eq!(candidates(list), vec![0, 1, 2, 3, 4, 5, 6, 7, 11]);
}
