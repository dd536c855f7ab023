//! MessagePack bodies: decoding requests to JSON values and encoding JSON answers.
//!
//! Pipeline position: content negotiation, before and after the core. The workspace builds
//! `serde_json` with `arbitrary_precision`, whose numbers do not round-trip through
//! `rmp-serde` into `serde_json::Value`, so requests are read with `rmp-serde` into the
//! core's exact-number reader (`cpm_core::value::json_data`, shared with the browser
//! package), which builds JSON numbers from their decimal text; answers are written with
//! `rmp`:
//! - request: integers keep their value; floats become the shortest decimal that reads back
//!   as the same float (`0.1` stays `0.1`); NaN and infinities, binary, extension values,
//!   non-string map keys, reserved bytes and trailing bytes are refused.
//! - answer: integers that fit 64 bits become MessagePack integers; other numbers become a
//!   float64 when that float prints back as exactly the same decimal, otherwise a string with
//!   the exact decimal (no digit is lost silently); object keys are written in code point
//!   order, as in canonical JSON.

use std::str::FromStr;

use cpm_core::value::json_data::{FloatText, JsonData, Refusal};
use serde_json::Value as Json;

/// Deepest nesting accepted in a MessagePack body (as `serde_json`'s default limit).
pub const MAX_DEPTH: usize = 128;

/// How request bodies become JSON: floats as plain decimal text, depth left to `rmp-serde`
/// ([`MAX_DEPTH`]), refusals naming the value's path.
const REQUEST: JsonData = JsonData {
    expecting: "a MessagePack value with a JSON form",
    floats: FloatText::Plain,
    max_depth: None,
    refuse,
};

/// The message for a value a request body may not hold, at path `at`.
fn refuse(refusal: &Refusal, at: &str) -> String {
    let place = if at.is_empty() {
        "the body".to_owned()
    } else {
        format!("`{at}`")
    };
    match refusal {
        Refusal::NonFinite(_) => format!("{place} is NaN or infinite, which JSON has no form for"),
        Refusal::BadNumber(text, _) => format!("{place} is a number `{text}` that cannot be read"),
        Refusal::Bytes => format!(
            "{place} is binary data (or a string that is not UTF-8), which has no JSON form; send text"
        ),
        Refusal::Extension => format!(
            "{place} is a MessagePack extension value, which has no JSON form; send dates and times as strings"
        ),
        Refusal::NonStringKey => format!("{place} has a map key that is not a string"),
        Refusal::TooDeep(_) => {
            format!("the MessagePack body is nested deeper than {MAX_DEPTH} levels")
        }
    }
}

/// Decodes a MessagePack body into a JSON value.
///
/// # Errors
/// A message (lowercase) saying what is wrong: truncated or invalid data, trailing bytes,
/// too deep, or a value JSON has no form for (with its path).
pub fn decode(bytes: &[u8]) -> Result<Json, String> {
    let mut rest = bytes;
    let mut de = rmp_serde::Deserializer::new(&mut rest);
    de.set_max_depth(MAX_DEPTH);
    let value = REQUEST.read(&mut de).map_err(|e| match e {
        rmp_serde::decode::Error::Syntax(message) => message,
        rmp_serde::decode::Error::DepthLimitExceeded => {
            format!("the MessagePack body is nested deeper than {MAX_DEPTH} levels")
        }
        other => format!("the body is not valid MessagePack: {other}"),
    })?;
    if !rest.is_empty() {
        return Err(format!(
            "the MessagePack body has {} byte(s) after its value",
            rest.len()
        ));
    }
    Ok(value)
}

/// Encodes a JSON value as MessagePack.
pub fn encode(value: &Json) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

/// Writes one value. Writing to a `Vec` cannot fail, so the `rmp` results carry no error.
fn write(value: &Json, out: &mut Vec<u8>) {
    use rmp::encode as mp;
    match value {
        Json::Null => {
            let _ = mp::write_nil(out);
        }
        Json::Bool(b) => {
            let _ = mp::write_bool(out, *b);
        }
        Json::Number(n) => write_number(&n.to_string(), out),
        Json::String(s) => {
            let _ = mp::write_str(out, s);
        }
        Json::Array(items) => {
            let _ = mp::write_array_len(out, len32(items.len()));
            for item in items {
                write(item, out);
            }
        }
        Json::Object(map) => {
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let _ = mp::write_map_len(out, len32(entries.len()));
            for (k, v) in entries {
                let _ = mp::write_str(out, k);
                write(v, out);
            }
        }
    }
}

/// A length as MessagePack's u32 (answers are far below 4 GiB elements).
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A number: an integer when it is one that fits, a float64 when that is exact, else the
/// exact decimal text.
fn write_number(text: &str, out: &mut Vec<u8>) {
    use rmp::encode as mp;
    let canonical = canonical_number(text);
    if let Ok(i) = canonical.parse::<i64>() {
        let _ = mp::write_sint(out, i);
    } else if let Ok(u) = canonical.parse::<u64>() {
        let _ = mp::write_uint(out, u);
    } else {
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() && canonical_number(&f.to_string()) == canonical => {
                let _ = mp::write_f64(out, f);
            }
            _ => {
                let _ = mp::write_str(out, &canonical);
            }
        }
    }
}

/// The canonical text of a JSON number given as text.
fn canonical_number(text: &str) -> String {
    match serde_json::Number::from_str(text) {
        Ok(n) => cpm_core::canonical::to_string(&Json::Number(n)),
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmpv::Value as Mp;

    fn canonical(v: &Json) -> String {
        cpm_core::canonical::to_string(v)
    }

    fn mp(value: &Mp) -> Vec<u8> {
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, value).unwrap();
        out
    }

    #[test]
    fn request_numbers_keep_their_decimal_value() {
        let body = mp(&Mp::Map(vec![
            (Mp::from("a"), Mp::from(42)),
            (Mp::from("b"), Mp::F64(0.1)),
            (Mp::from("c"), Mp::F32(2.5)),
            (Mp::from("d"), Mp::from(u64::MAX)),
            (Mp::from("e"), Mp::from(-7i64)),
            (Mp::from("f"), Mp::F64(1e21)),
            (Mp::from("g"), Mp::F64(-0.0)),
        ]));
        let json = decode(&body).unwrap();
        assert_eq!(
            canonical(&json),
            r#"{"a":42,"b":0.1,"c":2.5,"d":18446744073709551615,"e":-7,"f":1000000000000000000000,"g":0}"#
        );
    }

    #[test]
    fn request_nested_values_convert() {
        let body = mp(&Mp::Map(vec![(
            Mp::from("Customer"),
            Mp::Map(vec![(
                Mp::from("tags"),
                Mp::Array(vec![Mp::from("x"), Mp::Nil, Mp::Boolean(true)]),
            )]),
        )]));
        assert_eq!(
            canonical(&decode(&body).unwrap()),
            r#"{"Customer":{"tags":["x",null,true]}}"#
        );
    }

    #[test]
    fn request_refuses_what_json_cannot_hold() {
        let cases = [
            (Mp::F64(f64::NAN), "NaN or infinite"),
            (Mp::Binary(vec![1, 2]), "binary data"),
            (Mp::Ext(-1, vec![0; 4]), "extension value"),
            (Mp::Map(vec![(Mp::from(1), Mp::Nil)]), "not a string"),
        ];
        for (value, want) in cases {
            let err = decode(&mp(&value)).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
        let nested = Mp::Map(vec![(
            Mp::from("A"),
            Mp::Array(vec![Mp::F64(f64::INFINITY)]),
        )]);
        let err = decode(&mp(&nested)).unwrap_err();
        assert!(err.contains("`A[0]`"), "{err}");
    }

    #[test]
    fn request_refuses_truncated_trailing_and_deep_data() {
        assert!(
            decode(&[0x92, 0x01])
                .unwrap_err()
                .contains("not valid MessagePack")
        );
        assert!(
            decode(&[0x01, 0x02])
                .unwrap_err()
                .contains("after its value")
        );
        assert!(decode(&[]).unwrap_err().contains("not valid MessagePack"));
        assert!(
            decode(&[0xc1])
                .unwrap_err()
                .contains("not valid MessagePack")
        );
        let deep = vec![0x91u8; 10_000];
        assert!(decode(&deep).unwrap_err().contains("nested deeper"));
    }

    #[test]
    fn answer_numbers_are_exact() {
        let json: Json = serde_json::from_str(
            r#"{"z":[1,-2,0.5,0.1,18446744073709551615,0.3333333333333333333333333333,1e2]}"#,
        )
        .unwrap();
        let bytes = encode(&json);
        let back = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        let Mp::Map(entries) = back else {
            panic!("not a map")
        };
        let Mp::Array(items) = &entries[0].1 else {
            panic!("not an array")
        };
        assert_eq!(items[0], Mp::from(1));
        assert_eq!(items[1], Mp::from(-2));
        assert_eq!(items[2], Mp::F64(0.5));
        assert_eq!(items[3], Mp::F64(0.1));
        assert_eq!(items[4], Mp::from(u64::MAX));
        assert_eq!(items[5], Mp::from("0.3333333333333333333333333333"));
        assert_eq!(items[6], Mp::from(100));
    }

    #[test]
    fn answer_keys_are_sorted_and_round_trip() {
        let json: Json = serde_json::from_str(r#"{"b":{"y":1,"x":"s"},"a":[true,null]}"#).unwrap();
        let bytes = encode(&json);
        let back = decode(&bytes).unwrap();
        assert_eq!(canonical(&back), canonical(&json));
        let raw = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        let Mp::Map(entries) = raw else {
            panic!("not a map")
        };
        assert_eq!(entries[0].0, Mp::from("a"));
    }
}
