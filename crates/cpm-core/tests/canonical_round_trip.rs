//! Property test: canonical JSON round-trips. Any JSON document (nested arrays and objects,
//! exact decimal numbers, any strings and keys) read as FEEL values and written as canonical
//! JSON reads back to the same value and the same text, and the canonical text of a JSON
//! document (`cpm_core::canonical`) agrees with the canonical text of its FEEL value.

#![expect(
    clippy::expect_used,
    reason = "test helpers: canonical text that is not JSON must stop the test loudly"
)]

use cpm_core::canonical;
use cpm_core::value::json::{from_json, to_canonical_json, to_json};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A JSON number with the text of an exact decimal (up to 28 digits, any scale).
fn number() -> impl Strategy<Value = serde_json::Value> {
    (any::<i64>(), 0u32..=28).prop_map(|(mantissa, scale)| {
        let text = Decimal::new(mantissa, scale).to_string();
        serde_json::from_str(&text).expect("decimal text is a JSON number")
    })
}

/// Any JSON document, nesting a few levels deep.
fn document() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        number(),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn canonical_json_round_trips(doc in document()) {
        let value = from_json(&doc).expect("every generated document fits FEEL values");
        let text = to_canonical_json(&value);
        let reread: serde_json::Value = serde_json::from_str(&text).expect("canonical text is JSON");
        let again = from_json(&reread).expect("canonical text reads back");
        prop_assert_eq!(to_json(&again), to_json(&value));
        prop_assert_eq!(to_canonical_json(&again), text.clone());
        // Both canonical writers agree, on the document and on the value's JSON form.
        prop_assert_eq!(canonical::to_string(&doc), text.clone());
        prop_assert_eq!(canonical::to_string(&to_json(&value)), text);
    }
}
