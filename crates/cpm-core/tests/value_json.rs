//! JSON in and out: exact numbers, canonical text, depth limit, stability.

#![allow(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use common::*;
use cpm_core::value::json::{
    MAX_JSON_DEPTH, from_json, parse_number_text, to_canonical_json, to_json,
};
use cpm_core::value::{Function, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn parse(text: &str) -> Value {
    let j: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    from_json(&j).expect("convertible JSON")
}

#[test]
fn numbers_are_exact_from_their_text() {
    assert_eq!(lit(&parse("0.1")), "0.1");
    assert_eq!(lit(&parse("1.50")), "1.5");
    assert_eq!(lit(&parse("1e2")), "100");
    assert_eq!(lit(&parse("-2.5E-3")), "-0.0025");
    assert_eq!(lit(&parse("-0")), "0");
    assert_eq!(
        lit(&parse("12345678901234567890123456789")),
        "12345678901234567890123456789"
    );
    assert_eq!(
        lit(&parse("1.0000000000000000000000000001")),
        "1.0000000000000000000000000001"
    );
    assert_eq!(lit(&parse("1e-28")), "0.0000000000000000000000000001");
    assert_eq!(lit(&parse("100e-30")), "0.0000000000000000000000000001");
}

#[test]
fn numbers_that_do_not_fit_are_errors() {
    for text in [
        "1e400",
        "123456789012345678901234567890",
        "1e-29",
        "0.00000000000000000000000000001",
    ] {
        let j: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        let err = from_json(&j).expect_err(text);
        let message = err.to_string();
        assert!(
            message.starts_with("number `") && message.contains("does not fit"),
            "{message}"
        );
        let tail = &text[text.len() - 3..];
        assert!(message.contains(tail), "{message} names the value");
    }
    assert_eq!(parse_number_text("abc"), None);
    assert_eq!(parse_number_text("1.2.3"), None);
    assert_eq!(parse_number_text("."), None);
    assert_eq!(parse_number_text("1e"), None);
    assert_eq!(parse_number_text("7.5"), Some(Decimal::new(75, 1)));
}

#[test]
fn nesting_is_limited() {
    let deep_ok = format!(
        "{}{}",
        "[".repeat(MAX_JSON_DEPTH),
        "]".repeat(MAX_JSON_DEPTH)
    );
    let j: serde_json::Value = serde_json::from_str(&deep_ok).expect("valid JSON");
    assert!(from_json(&j).is_ok());
    let too_deep = format!(
        "{}{}",
        "[".repeat(MAX_JSON_DEPTH + 2),
        "]".repeat(MAX_JSON_DEPTH + 2)
    );
    let j: serde_json::Value = serde_json::from_str(&too_deep).expect("valid JSON");
    assert!(
        from_json(&j)
            .expect_err("too deep")
            .to_string()
            .contains("deeper than 64")
    );
}

#[test]
fn objects_keep_document_order_and_strings_stay_strings() {
    let v = parse(r#"{"b": "2024-01-01", "a": [1, true, null]}"#);
    assert_eq!(lit(&v), r#"{b: "2024-01-01", a: [1, true, null]}"#);
}

#[test]
fn canonical_json_is_compact_sorted_and_exact() {
    let v = c(vec![
        ("zeta", n("1.50")),
        ("alpha", l(vec![n("1e2"), n("-0.0"), s("a\"\\\n\t\u{1}é")])),
        ("Beta", t("2024-01-31T10:30:00@Europe/Paris")),
        ("é", t("P1DT2H")),
        ("ym", t("P0Y")),
        ("time", t("10:30:00.5Z")),
        (
            "range",
            r(true, Some(t("2024-01-01")), Some(t("2024-12-31")), false),
        ),
        ("below", r(false, None, Some(n("5")), false)),
        ("fn", Value::Function(Function::Builtin("abs"))),
        ("nothing", Value::Null),
        ("nested", c(vec![("b", b(false)), ("a", b(true))])),
    ]);
    assert_eq!(
        to_canonical_json(&v),
        concat!(
            r#"{"Beta":"2024-01-31T10:30:00@Europe/Paris","alpha":[100,0,"a\"\\\n\t\u0001é"],"#,
            r#""below":"< 5","fn":null,"nested":{"a":true,"b":false},"nothing":null,"#,
            r#""range":"[@\"2024-01-01\"..@\"2024-12-31\")","time":"10:30:00.5Z","ym":"P0M","#,
            r#""zeta":1.5,"é":"P1DT2H"}"#
        )
    );
}

#[test]
fn canonical_strings_match_serde_json() {
    let tricky = "quote\" backslash\\ nl\n cr\r tab\t bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f} é 😀 \u{2028}";
    assert_eq!(
        to_canonical_json(&s(tricky)),
        serde_json::to_string(tricky).expect("serializable")
    );
}

#[test]
fn to_json_has_exact_numbers() {
    let v = l(vec![n("0.1"), n("1.50"), s("x"), t("P1Y")]);
    assert_eq!(
        serde_json::to_string(&to_json(&v)).expect("serializable"),
        r#"[0.1,1.5,"x","P1Y"]"#
    );
    let round = from_json(&to_json(&v)).expect("convertible");
    assert_eq!(to_canonical_json(&round), r#"[0.1,1.5,"x","P1Y"]"#);
}

proptest! {
    #[test]
    fn canonical_json_of_decimals_is_stable(mantissa in any::<i64>(), scale in 0u32..=28) {
        let d = Decimal::new(mantissa, scale);
        let first = to_canonical_json(&Value::Number(d));
        let j: serde_json::Value = serde_json::from_str(&first).expect("canonical text is JSON");
        let back = from_json(&j).expect("fits");
        prop_assert_eq!(to_canonical_json(&back), first.clone());
        prop_assert!(!first.contains(['e', 'E']));
        let Value::Number(x) = back else { panic!("number expected") };
        prop_assert_eq!(x, d);
    }

    #[test]
    fn canonical_json_of_wide_decimals_is_stable(hi in any::<u32>(), mid in any::<u32>(), lo in any::<u32>(), negative in any::<bool>(), scale in 0u32..=28) {
        let d = Decimal::from_parts(lo, mid, hi, negative, scale);
        let first = to_canonical_json(&Value::Number(d));
        let j: serde_json::Value = serde_json::from_str(&first).expect("canonical text is JSON");
        let back = from_json(&j).expect("fits");
        prop_assert_eq!(to_canonical_json(&back), first);
    }
}
