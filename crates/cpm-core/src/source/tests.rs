//! Tests of the source stage: the documented example, JSON/YAML equivalence, exact numbers,
//! every error code with its position, limits, and the schema staying in step with the
//! loader.

use std::collections::BTreeSet;

use serde_json::Value;

use super::read::{SHAPES, normalise};
use super::*;

const DOC: &str = include_str!("../../../../docs/source-format.md");
const SCHEMA: &str = include_str!("../../../../schema/cpm-model.schema.json");
const EXAMPLE_JSON: &str = include_str!("../../tests/fixtures/source/customer-discount.json");

/// The `n`-th ```yaml block of the format document.
fn doc_yaml(n: usize) -> &'static str {
    DOC.split("```yaml\n")
        .nth(n + 1)
        .and_then(|b| b.split("```").next())
        .expect("doc block")
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
fn pos_of(text: &str, needle: &str) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line as u32, col as u32)
}

fn lc(loc: &Loc) -> (u32, u32) {
    (loc.line, loc.column)
}

fn load_model(path: &str, text: &str) -> Model {
    match load(path, text) {
        Ok(SourceFile::Model(m)) => m,
        Ok(other) => panic!("not a model: {other:?}"),
        Err(e) => panic!("{e}"),
    }
}

fn yaml_model(text: &str) -> Model {
    load_model("m.yaml", text)
}

/// (code, line, column, message) of every error loading `text` as `path`.
fn errors_of(path: &str, text: &str) -> Vec<(&'static str, u32, u32, String)> {
    match load(path, text) {
        Ok(f) => panic!("expected errors, loaded {f:?}"),
        Err(e) => e
            .iter()
            .map(|e| {
                (
                    e.code(),
                    e.loc().line,
                    e.loc().column,
                    e.message().to_string(),
                )
            })
            .collect(),
    }
}

fn yaml_errors(text: &str) -> Vec<(&'static str, u32, u32, String)> {
    errors_of("m.yaml", text)
}

/// The one error of `text`: its code and position.
fn one_error(text: &str) -> (&'static str, u32, u32, String) {
    let errs = yaml_errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().unwrap()
}

fn without_locs(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| k != "loc")
                .map(|(k, v)| (k, without_locs(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_locs).collect()),
        other => other,
    }
}

fn table_of(d: &DecisionDef) -> &TableDef {
    match &d.body {
        DecisionBody::Table(t) => t,
        other => panic!("not a table: {other:?}"),
    }
}

// ---------------------------------------------------------------- the documented example

#[test]
fn doc_example_loads_with_positions() {
    let text = doc_yaml(0);
    let m = load_model("rules/customer-discount.yaml", text);
    assert_eq!(m.name, "customer-discount");
    assert_eq!(m.description.as_deref(), Some("Discounts by tier."));
    assert_eq!(lc(&m.loc), (1, 1));
    assert_eq!(&*m.loc.file, "rules/customer-discount.yaml");

    // Types.
    assert_eq!(m.types.len(), 2);
    let tier = &m.types[0];
    assert_eq!(tier.name, "Tier");
    match &tier.body {
        TypeBody::Ref(f) => assert_eq!(f.text, "string"),
        other => panic!("{other:?}"),
    }
    let allowed = tier.allowed.as_ref().unwrap();
    assert_eq!(allowed.text, r#""gold", "silver", "bronze""#);
    // The text starts after the opening quote.
    assert_eq!(
        lc(&allowed.loc),
        pos_of(text, r#""gold", "silver", "bronze"'"#)
    );
    match &m.types[1].body {
        TypeBody::Fields(fields) => {
            let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, ["street", "zip"]);
            // A flow mapping starts at its `{`.
            assert_eq!(lc(&fields[1].loc), pos_of(text, "{ name: zip"));
        }
        other => panic!("{other:?}"),
    }

    // Inputs.
    let inputs: Vec<_> = m.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(inputs, ["Customer Tier", "Order Total"]);
    assert_eq!(m.inputs[0].type_ref.as_ref().unwrap().text, "Tier");
    assert_eq!(lc(&m.inputs[0].loc), pos_of(text, "name: Customer Tier"));

    // Knowledge.
    let tax = &m.knowledge[0];
    assert_eq!(tax.name, "Tax");
    assert_eq!(tax.params.len(), 1);
    assert_eq!(tax.params[0].name, "amount");
    assert_eq!(tax.params[0].type_ref.as_ref().unwrap().text, "number");
    match &tax.body {
        DecisionBody::Expression(f) => {
            assert_eq!(f.text, "amount * 0.21");
            assert_eq!(lc(&f.loc), pos_of(text, "amount * 0.21"));
            // `0.21` inside the expression, mapped back to the file.
            assert_eq!(lc(&f.loc_at(9)), pos_of(text, "0.21"));
        }
        other => panic!("{other:?}"),
    }

    // The decision table.
    let discount = &m.decisions[0];
    assert_eq!(discount.name, "Discount");
    assert_eq!(discount.description.as_deref(), Some("Tier discount."));
    assert_eq!(discount.type_ref.as_ref().unwrap().text, "number");
    let req: Vec<_> = discount.requires.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(req, ["Customer Tier", "Order Total"]);
    let t = table_of(discount);
    assert_eq!(t.hit, HitPolicy::Unique);
    assert_eq!(lc(&t.loc), pos_of(text, "hit: UNIQUE"));
    assert_eq!(t.inputs.len(), 2);
    assert_eq!(t.inputs[0].expression.text, "Customer Tier");
    assert_eq!(t.inputs[0].label.as_deref(), Some("Tier"));
    assert_eq!(
        t.inputs[0].values.as_ref().unwrap().text,
        r#""gold","silver","bronze""#
    );
    assert_eq!(t.inputs[1].expression.text, "Order Total");
    assert!(t.inputs[1].values.is_none());
    let out = &t.outputs[0];
    assert_eq!(out.name, "discount");
    assert_eq!(out.values.as_ref().unwrap().text, "0.15, 0.1, 0");
    assert_eq!(out.default.as_ref().unwrap().text, "0");
    assert_eq!(t.rules.len(), 1);
    let rule = &t.rules[0];
    assert_eq!(rule.id, "gold-large");
    let when: Vec<_> = rule.when.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(when, [r#""gold""#, ">= 100"]);
    assert_eq!(lc(&rule.when[1].loc), pos_of(text, ">= 100"));
    assert_eq!(rule.then[0].text, "0.15");
    assert_eq!(rule.note.as_deref(), Some("large gold orders"));
    assert_eq!(lc(&rule.loc), pos_of(text, "id: gold-large"));

    // The literal expression and the boxed context.
    match &m.decisions[1].body {
        DecisionBody::Expression(f) => assert_eq!(f.text, "Order Total * (1 - Discount)"),
        other => panic!("{other:?}"),
    }
    match &m.decisions[2].body {
        DecisionBody::Context(c) => {
            let names: Vec<_> = c.entries.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names, ["price", "tax"]);
            match &c.entries[1].body {
                DecisionBody::Expression(f) => assert_eq!(f.text, "Tax(price)"),
                other => panic!("{other:?}"),
            }
            assert_eq!(
                c.result.as_ref().unwrap().text,
                "{ price: price, tax: tax }"
            );
        }
        other => panic!("{other:?}"),
    }

    // Tests, with exact numbers.
    let test = &m.tests[0];
    assert_eq!(test.name, "gold customer, large order");
    assert_eq!(test.input["Customer Tier"], Value::String("gold".into()));
    assert_eq!(test.input["Order Total"].to_string(), "200");
    let expect: Vec<_> = test
        .expect
        .iter()
        .map(|e| (e.decision.as_str(), e.value.to_string()))
        .collect();
    assert_eq!(
        expect,
        [("Discount", "0.15".into()), ("Final Price", "170".into())]
    );
    assert_eq!(lc(&test.expect[0].loc), pos_of(text, "Discount: 0.15"));
}

#[test]
fn doc_tests_file_example_loads() {
    match load("t.yml", doc_yaml(1)) {
        Ok(SourceFile::Tests(t)) => {
            assert_eq!(t.tests_for, "customer-discount");
            assert_eq!(t.description.as_deref(), Some("Edge cases."));
            assert_eq!(t.tests[0].name, "no tier");
            assert_eq!(t.tests[0].input["Customer Tier"], Value::Null);
            assert_eq!(t.tests[0].expect[0].value, Value::Null);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_and_yaml_give_the_same_model() {
    let from_yaml = load_model("a.yaml", doc_yaml(0));
    let from_json = load_model("a.json", EXAMPLE_JSON);
    let y = without_locs(serde_json::to_value(&from_yaml).unwrap());
    let j = without_locs(serde_json::to_value(&from_json).unwrap());
    assert_eq!(y, j);
    // Positions work in JSON too: the text starts after the opening quote.
    let DecisionBody::Expression(f) = &from_json.knowledge[0].body else {
        panic!("not an expression");
    };
    assert_eq!(lc(&f.loc), pos_of(EXAMPLE_JSON, "amount * 0.21"));
    assert_eq!(&*f.loc.file, "a.json");
}

#[test]
fn json_with_tabs_and_escapes_loads() {
    let text = "{\n\t\"model\": \"m\",\n\t\"inputs\": [{\"name\": \"caf\\u00e9 \\/ bar\"}]\n}";
    let m = load_model("m.json", text);
    assert_eq!(m.inputs[0].name, "café / bar");
    assert_eq!(lc(&m.inputs[0].loc), (3, 13));
}

// ---------------------------------------------------------------- scalars and numbers

#[test]
fn cells_keep_exact_number_text() {
    let m = yaml_model(
        "model: m\ndecisions:\n  - name: d\n    table:\n      outputs: [{name: o}]\n      rules:\n        - then: [0.150]\n        - then: [1e3]\n        - then: [true]\n        - then: [~]\n        - then: ['0.15']\n        - then: [-0]\n        - then: [FALSE]\n",
    );
    let cells: Vec<_> = table_of(&m.decisions[0])
        .rules
        .iter()
        .map(|r| r.then[0].text.as_str())
        .collect();
    assert_eq!(
        cells,
        ["0.150", "1e3", "true", "null", "0.15", "-0", "false"]
    );
}

#[test]
fn test_values_are_exact_json() {
    let m = yaml_model(
        "model: m\ntests:\n  - name: t\n    input: {a: 0.150, b: 1e400, c: +.5, d: 0x1F, e: '0.1', f: ~, g: true, h: 2024-01-31, i: 007, j: 1., k: [1, {x: null}], l: 123456789012345678901234567890.123}\n    expect: {}\n",
    );
    let input = &m.tests[0].input;
    let shown: Vec<_> = input.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        shown,
        [
            "a=0.150",
            "b=1e+400",
            "c=0.5",
            "d=31",
            "e=\"0.1\"",
            "f=null",
            "g=true",
            "h=\"2024-01-31\"",
            "i=7",
            "j=1",
            "k=[1,{\"x\":null}]",
            "l=123456789012345678901234567890.123",
        ]
    );
    assert!(input["a"].is_number());
}

#[test]
fn names_are_normalised_and_rule_ids_default() {
    let m = yaml_model(
        "model: m\ninputs:\n  - name: '  Order \t  Total '\ndecisions:\n  - name: d\n    table:\n      inputs: [{expression: Order Total}]\n      outputs: [{name: o}]\n      rules:\n        - {when: ['-'], then: ['1']}\n        - {id: special, when: ['-'], then: ['2']}\n        - {when: ['-'], then: ['3']}\ntests:\n  - name: t\n    input: {'Order   Total': 1}\n    expect: {' d ': 1}\n",
    );
    assert_eq!(m.inputs[0].name, "Order Total");
    let ids: Vec<_> = table_of(&m.decisions[0])
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, ["r1", "special", "r3"]);
    assert!(m.tests[0].input.contains_key("Order Total"));
    assert_eq!(m.tests[0].expect[0].decision, "d");
    let m = yaml_model("model: m\ntypes: ~\ntests: [{name: t, input: null, expect: {}}]\n");
    assert!(m.types.is_empty() && m.tests[0].input.is_empty());
    assert_eq!(normalise(" a \n b  c "), "a b c");
}

#[test]
fn loc_at_maps_offsets_back_to_the_file() {
    let text = "model: m\ndecisions:\n  - name: d\n    expression: |\n      if x > 1\n        then \"é\" else 2\n  - name: e\n    expression: \"a +  b\"\n";
    let m = yaml_model(text);
    let DecisionBody::Expression(f) = &m.decisions[0].body else {
        panic!()
    };
    assert_eq!(f.text, "if x > 1\n  then \"é\" else 2\n");
    assert_eq!(lc(&f.loc), pos_of(text, "if x"));
    let then_at = f.text.find("then").unwrap() as u32;
    assert_eq!(lc(&f.loc_at(then_at)), pos_of(text, "then"));
    let else_at = f.text.find("else").unwrap() as u32;
    assert_eq!(lc(&f.loc_at(else_at)), pos_of(text, "else"));
    // Offsets past the end clamp to the end; offsets inside `é` count as `é`.
    let e_at = f.text.find('é').unwrap() as u32;
    assert_eq!(f.loc_at(e_at + 1), f.loc_at(e_at));
    assert_eq!(f.loc_at(10_000).line, f.loc.line + 2);

    let DecisionBody::Expression(g) = &m.decisions[1].body else {
        panic!()
    };
    assert_eq!(lc(&g.loc_at(5)), pos_of(text, "b\""));
}

#[test]
fn literal_block_with_leading_blank_line_maps_exactly() {
    let text = "model: m\ndecisions:\n  - name: d\n    expression: |\n\n      1 + x\n";
    let m = yaml_model(text);
    let DecisionBody::Expression(f) = &m.decisions[0].body else {
        panic!()
    };
    assert_eq!(f.text, "\n1 + x\n");
    assert_eq!(lc(&f.loc_at(5)), pos_of(text, "x\n"));
}

// ---------------------------------------------------------------- hit policies

#[test]
fn hit_policies_parse_names_and_abbreviations() {
    for h in HitPolicy::ALL {
        assert_eq!(h.name().parse::<HitPolicy>(), Ok(h));
        assert_eq!(h.abbreviation().parse::<HitPolicy>(), Ok(h));
        assert_eq!(h.name().to_lowercase().parse::<HitPolicy>(), Ok(h));
        let back: HitPolicy = serde_json::from_value(serde_json::to_value(h).unwrap()).unwrap();
        assert_eq!(back, h);
    }
    assert_eq!(
        " collect   SUM ".parse(),
        Ok(HitPolicy::Collect(Some(Aggregation::Sum)))
    );
    assert_eq!(
        "c#".parse(),
        Ok(HitPolicy::Collect(Some(Aggregation::Count)))
    );
    assert!("COLLECT AVG".parse::<HitPolicy>().is_err());
    assert_eq!(HitPolicy::OutputOrder.to_string(), "OUTPUT ORDER");

    let m = yaml_model(
        "model: m\ndecisions:\n  - name: d\n    table: {hit: C>, outputs: [{name: o}], rules: []}\n",
    );
    assert_eq!(
        table_of(&m.decisions[0]).hit,
        HitPolicy::Collect(Some(Aggregation::Max))
    );
}

// ---------------------------------------------------------------- errors, one code each

const TABLE_HEAD: &str =
    "model: m\ninputs: [{name: a}, {name: b}, {name: c}]\ndecisions:\n  - name: d\n    table:\n";

#[test]
fn unknown_key_names_the_expected_keys() {
    let text =
        format!("{TABLE_HEAD}      hitt: FIRST\n      outputs: [{{name: o}}]\n      rules: []\n");
    let (code, line, col, msg) = one_error(&text);
    assert_eq!((code, line, col), ("unknown-key", 6, 7));
    assert_eq!(
        msg,
        "unknown key `hitt` in table; expected one of `hit`, `inputs`, `outputs`, `rules`"
    );
    let errs = load("m.yaml", &text).unwrap_err();
    assert_eq!(errs.errors()[0].help(), Some("did you mean `hit`?"));
}

#[test]
fn cell_count_names_rule_and_counts() {
    let text = format!(
        "{TABLE_HEAD}      inputs: [{{expression: a}}, {{expression: b}}, {{expression: c}}]\n      outputs: [{{name: o}}]\n      rules:\n        - {{when: ['-', '-', '-'], then: ['1']}}\n        - {{when: ['-', '-', '-'], then: ['1']}}\n        - {{when: ['-', '-'], then: ['1']}}\n        - {{when: ['-', '-', '-'], then: ['1', '2']}}\n"
    );
    let errs = yaml_errors(&text);
    assert_eq!(
        errs,
        [
            (
                "cell-count",
                11,
                12,
                "rule `r3` has 2 input cells but the table has 3 inputs".into()
            ),
            (
                "cell-count",
                12,
                35,
                "rule `r4` has 2 output cells but the table has 1 output".into()
            ),
        ]
    );
}

#[test]
fn missing_key() {
    let (code, line, col, msg) =
        one_error("model: m\ndecisions:\n  - name: d\n    table:\n      rules: []\n");
    assert_eq!((code, line, col), ("missing-key", 5, 7));
    assert_eq!(msg, "missing key `outputs` in table");

    let (code, line, col, msg) = one_error("model: m\ndecisions:\n  - name: d\n");
    assert_eq!((code, line, col), ("missing-key", 3, 5));
    assert_eq!(
        msg,
        "missing body in decision; expected one of `expression`, `table`, `context`"
    );

    let (code, line, col, _) = one_error("description: x\n");
    assert_eq!((code, line, col), ("missing-key", 1, 1));
}

#[test]
fn wrong_type() {
    let (code, line, col, msg) = one_error("model: m\ninputs:\n  name: a\n");
    assert_eq!((code, line, col), ("wrong-type", 3, 3));
    assert_eq!(msg, "expected a list for `inputs`, found a mapping");

    let (code, line, col, msg) = one_error(
        "model: m\ndecisions:\n  - name: d\n    table:\n      outputs: [{name: o}]\n      rules:\n        - then: '1'\n",
    );
    assert_eq!((code, line, col), ("wrong-type", 7, 17));
    assert_eq!(
        msg,
        "expected a list of cells for `then` of rule `r1`, found text"
    );

    let (code, ..) = one_error("- model: m\n");
    assert_eq!(code, "wrong-type");
}

#[test]
fn duplicate_key() {
    let (code, line, col, msg) = one_error("model: m\ninputs: []\ninputs: []\n");
    assert_eq!((code, line, col), ("duplicate-key", 3, 1));
    assert_eq!(msg, "duplicate key `inputs`; it is already given at line 2");

    let (code, line, col, _) = one_error(
        "model: m\ntests:\n  - name: t\n    input: {Order Total: 1, 'Order  Total': 2}\n    expect: {}\n",
    );
    assert_eq!((code, line, col), ("duplicate-key", 4, 29));

    let errs = errors_of("m.json", "{\"model\": \"m\", \"model\": \"n\"}");
    assert_eq!(errs[0].0, "duplicate-key");
    assert_eq!((errs[0].1, errs[0].2), (1, 16));
}

#[test]
fn duplicate_name() {
    let (code, line, col, msg) = one_error(
        "model: m\ninputs:\n  - name: Total\ndecisions:\n  - name: ' Total'\n    expression: '1'\n",
    );
    assert_eq!((code, line, col), ("duplicate-name", 5, 5));
    assert_eq!(
        msg,
        "duplicate name `Total`: already used by an input at line 3"
    );
}

#[test]
fn bad_hit_policy() {
    let (code, line, col, msg) = one_error(
        "model: m\ndecisions:\n  - name: d\n    table:\n      hit: SOMETIMES\n      outputs: [{name: o}]\n      rules: []\n",
    );
    assert_eq!((code, line, col), ("bad-hit-policy", 5, 12));
    assert!(
        msg.starts_with("unknown hit policy `SOMETIMES`; expected one of `UNIQUE`"),
        "{msg}"
    );
}

#[test]
fn duplicate_rule_id() {
    let (code, line, col, msg) = one_error(
        "model: m\ndecisions:\n  - name: d\n    table:\n      outputs: [{name: o}]\n      rules:\n        - {id: r2, then: ['1']}\n        - {then: ['2']}\n",
    );
    assert_eq!((code, line, col), ("duplicate-rule-id", 8, 11));
    assert_eq!(
        msg,
        "rule id `r2` is used twice in this table (rules 1 and 2)"
    );
}

#[test]
fn conflicting_keys() {
    let (code, line, col, _) = one_error(
        "model: m\ndecisions:\n  - name: d\n    expression: '1'\n    table: {outputs: [{name: o}], rules: []}\n",
    );
    assert_eq!((code, line, col), ("conflicting-keys", 5, 5));

    let (code, line, col, msg) =
        one_error("model: m\ndecisions:\n  - name: d\n    expression: '1'\n    result: '2'\n");
    assert_eq!((code, line, col), ("conflicting-keys", 5, 5));
    assert_eq!(msg, "`result` is only allowed together with `context`");

    let (code, line, col, _) = one_error("model: m\ntests-for: m\ntests: []\n");
    assert_eq!((code, line, col), ("conflicting-keys", 2, 1));

    let (code, ..) = one_error("model: m\ntypes: [{name: t, type: string, fields: []}]\n");
    assert_eq!(code, "conflicting-keys");
}

#[test]
fn empty_values() {
    let errs = yaml_errors(
        "model: m\ndecisions:\n  - name: d\n    table:\n      inputs: [{expression: x}]\n      outputs: [{name: o}]\n      rules:\n        - {when: [' '], then: ['1']}\n        - {when: [], then: ['1']}\n",
    );
    let codes: Vec<_> = errs.iter().map(|e| (e.0, e.1, e.2)).collect();
    assert_eq!(codes, [("empty-value", 8, 19), ("cell-count", 9, 12)]);
    let err = load("m.yaml", "model: m\ndecisions:\n  - name: d\n    table:\n      inputs: [{expression: x}]\n      outputs: [{name: o}]\n      rules:\n        - {when: [''], then: ['1']}\n").unwrap_err();
    assert_eq!(err.errors()[0].help(), Some("write `-` to match any value"));

    let (code, line, col, _) = one_error("model: m\ndecisions:\n  - {name: d, expression: ''}\n");
    assert_eq!((code, line, col), ("empty-value", 3, 27));

    let errs = yaml_errors(
        "model: m\ndecisions:\n  - name: d\n    table:\n      inputs: [{expression: x}]\n      outputs: [{name: o}]\n      rules:\n        - when:\n            -\n          then: ['1']\n",
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, "empty-value");
    assert_eq!(errs[0].3, "cell 1 of `when` of rule `r1` is empty");

    let (code, line, col, msg) = one_error("model: m\ninputs:\n  - name:\n");
    assert_eq!((code, line, col), ("empty-value", 3, 5));
    assert_eq!(msg, "`name` is empty");

    let (code, ..) =
        one_error("model: m\ndecisions:\n  - name: d\n    table: {outputs: [], rules: []}\n");
    assert_eq!(code, "empty-value");
}

#[test]
fn bad_name() {
    let (code, line, col, msg) = one_error("model: customer discount\n");
    assert_eq!((code, line, col), ("bad-name", 1, 8));
    assert_eq!(
        msg,
        "model name `customer discount` may only use letters, digits, `_`, `.` and `-`"
    );
}

#[test]
fn bad_number() {
    let (code, line, col, _) =
        one_error("model: m\ntests:\n  - name: t\n    input: {x: .inf}\n    expect: {}\n");
    assert_eq!((code, line, col), ("bad-number", 4, 16));
}

#[test]
fn yaml_syntax() {
    let (code, line, col, _) = one_error("model: m\ninputs: [a, b\n");
    assert_eq!((code, line, col), ("yaml-syntax", 3, 1));

    let (code, line, col, msg) = one_error("model: m\n---\nmodel: n\n");
    assert_eq!((code, line, col), ("yaml-syntax", 2, 1));
    assert_eq!(msg, "the file holds a second YAML document");
}

#[test]
fn json_syntax() {
    let errs = errors_of("m.json", "{\n  \"model\": \"m\",\n}\n");
    assert_eq!(errs.len(), 1);
    let (code, line, col, msg) = &errs[0];
    assert_eq!((*code, *line, *col), ("json-syntax", 3, 1));
    assert!(!msg.contains(" at line "), "{msg}");

    // Columns count characters, not bytes.
    let errs = errors_of("m.json", "{\"é\": 1 2}");
    assert_eq!((errs[0].1, errs[0].2), (1, 9));

    // YAML-only syntax in a `.json` file is rejected.
    let errs = errors_of("m.json", "model: m\n");
    assert_eq!(errs[0].0, "json-syntax");
}

#[test]
fn anchors_aliases_and_tags_are_rejected() {
    let errs = yaml_errors("model: &n m\ndescription: *n\n");
    let codes: Vec<_> = errs.iter().map(|e| (e.0, e.1, e.2)).collect();
    // The anchor is reported at the value it names.
    assert_eq!(codes, [("yaml-anchor", 1, 11), ("yaml-anchor", 2, 14)]);

    let (code, line, col, msg) = one_error("model: m\ndescription: !!str 1\n");
    assert_eq!((code, line, col), ("yaml-tag", 2, 20));
    assert_eq!(msg, "yaml tags (`!!str`) are not supported");
}

#[test]
fn billion_laughs_is_rejected_quickly() {
    let mut text =
        String::from("model: m\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let errs = yaml_errors(&text);
    assert!(errs.iter().any(|e| e.0 == "yaml-anchor"));
    assert!(errs.len() <= MAX_ERRORS + 1);
}

#[test]
fn unsupported_file() {
    let errs = errors_of("rules/m.txt", "model: m\n");
    assert_eq!(errs[0].0, "unsupported-file");
    assert_eq!(Format::from_path("a/B.YML"), Some(Format::Yaml));
    assert_eq!(Format::from_path("a.json"), Some(Format::Json));
    assert_eq!(Format::from_path("yaml"), None);
}

#[test]
fn every_problem_is_reported() {
    let errs = yaml_errors(
        "model: m\nwhat: 1\ninputs:\n  - {name: a, typ: number}\ndecisions:\n  - name: d\n    table: {hit: X, outputs: [{name: o}], rules: [{then: ['1', '2']}]}\n  - name: a\n    expression: '1'\n",
    );
    let codes: Vec<_> = errs.iter().map(|e| e.0).collect();
    assert_eq!(
        codes,
        [
            "unknown-key",
            "unknown-key",
            "bad-hit-policy",
            "cell-count",
            "duplicate-name"
        ]
    );
}

// ---------------------------------------------------------------- limits

#[test]
fn too_large() {
    let text = format!("model: m\ndescription: '{}'\n", "x".repeat(MAX_FILE_BYTES));
    let errs = yaml_errors(&text);
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0, errs[0].1, errs[0].2), ("too-large", 1, 1));
}

#[test]
fn too_deep() {
    let deep = format!(
        "model: m\ndescription: {}{}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    let (code, line, col, _) = one_error(&deep);
    assert_eq!(
        (code, line, col),
        ("too-deep", 2, 14 + MAX_DEPTH as u32 - 1)
    );

    // At the limit is fine (the top mapping is level 1).
    let ok = format!(
        "model: m\ntests:\n  - name: t\n    expect: {{d: {}1{}}}\n",
        "[".repeat(MAX_DEPTH - 4),
        "]".repeat(MAX_DEPTH - 4)
    );
    yaml_model(&ok);

    // A hostile file of a million brackets stops at the limit.
    let hostile = "[".repeat(1_000_000);
    assert_eq!(yaml_errors(&hostile)[0].0, "too-deep");
    // Unbalanced, it is not JSON at all; balanced, it is too deep.
    assert_eq!(errors_of("m.json", &hostile)[0].0, "json-syntax");
    let json_deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    assert_eq!(errors_of("m.json", &json_deep)[0].0, "too-deep");
    let json_deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert_eq!(errors_of("m.json", &json_deep)[0].0, "too-deep");
    let block = format!("model: m\ndescription:\n{}x\n", "- ".repeat(1_000_000));
    assert_eq!(yaml_errors(&block)[0].0, "too-deep");
}

#[test]
fn too_many_errors() {
    let mut text = String::from("model: m\n");
    for i in 0..(MAX_ERRORS + 50) {
        text.push_str(&format!("k{i}: 1\n"));
    }
    let errs = yaml_errors(&text);
    assert_eq!(errs.len(), MAX_ERRORS + 1);
    assert_eq!(errs[MAX_ERRORS].0, "too-many-errors");
}

#[test]
fn empty_file() {
    let (code, line, col, _) = one_error("# nothing\n");
    assert_eq!((code, line, col), ("missing-key", 1, 1));
}

// ---------------------------------------------------------------- the JSON Schema

#[test]
fn schema_matches_the_loader() {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is valid JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let defs = schema["$defs"].as_object().expect("$defs");

    // Every loader shape is a schema definition with exactly the same keys.
    for shape in SHAPES {
        let def = &defs[shape.schema_def];
        let props: BTreeSet<&str> = def["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no properties in `{}`", shape.schema_def))
            .keys()
            .map(String::as_str)
            .collect();
        let keys: BTreeSet<&str> = shape.keys.iter().copied().collect();
        assert_eq!(props, keys, "keys of `{}`", shape.schema_def);
        let required: BTreeSet<&str> = def["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let loader_required: BTreeSet<&str> = shape.required.iter().copied().collect();
        assert_eq!(
            required, loader_required,
            "required of `{}`",
            shape.schema_def
        );
        assert_eq!(def["additionalProperties"], false, "`{}`", shape.schema_def);
    }
    // And every schema definition with properties is a loader shape.
    let shape_defs: BTreeSet<&str> = SHAPES.iter().map(|s| s.schema_def).collect();
    for (name, def) in defs {
        if def.get("properties").is_some() {
            assert!(
                shape_defs.contains(name.as_str()),
                "`{name}` is not read by the loader"
            );
        }
    }

    // Every property everywhere has a description, for editors.
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(props)) = m.get("properties") {
                    for (k, p) in props {
                        let d = p.get("description").and_then(Value::as_str).unwrap_or("");
                        assert!(!d.is_empty(), "no description for `{path}.{k}`");
                    }
                }
                for (k, c) in m {
                    walk(c, &format!("{path}/{k}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|c| walk(c, path)),
            _ => {}
        }
    }
    walk(&schema, "");

    // The hit policies offered are the loader's.
    let offered: BTreeSet<&str> = defs["table"]["properties"]["hit"]["anyOf"][0]["enum"]
        .as_array()
        .expect("hit enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let known: BTreeSet<&str> = HitPolicy::ALL
        .iter()
        .flat_map(|h| [h.name(), h.abbreviation()])
        .collect();
    assert_eq!(offered, known);
}

#[test]
fn model_round_trips_through_messagepack() {
    // Bundles are MessagePack; exact numbers must survive both struct encodings.
    let m = load_model("a.yaml", doc_yaml(0));
    for bytes in [
        rmp_serde::to_vec(&m).unwrap(),
        rmp_serde::to_vec_named(&m).unwrap(),
    ] {
        let back: Model = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.tests[0].expect[0].value.to_string(), "0.15");
    }
    // JSON stays plain JSON.
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["tests"][0]["expect"][0]["value"].to_string(), "0.15");
    let back: Model = serde_json::from_value(json).unwrap();
    assert_eq!(back, m);
}
