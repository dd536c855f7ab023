//! MessagePack bodies: decoding requests to JSON values and encoding JSON answers.
//!
//! Pipeline position: content negotiation, before and after the core. The workspace builds
//! `serde_json` with `arbitrary_precision`, whose numbers do not round-trip through
//! `rmp-serde` into `serde_json::Value`, so requests are read with `rmp-serde` into a
//! visitor that builds JSON numbers from their decimal text, and answers are written with
//! `rmp`:
//! - request: integers keep their value; floats become the shortest decimal that reads back
//!   as the same float (`0.1` stays `0.1`); NaN and infinities, binary, extension values,
//!   non-string map keys, reserved bytes and trailing bytes are refused.
//! - answer: integers that fit 64 bits become MessagePack integers; other numbers become a
//!   float64 when that float prints back as exactly the same decimal, otherwise a string with
//!   the exact decimal (no digit is lost silently); object keys are written in code point
//!   order, as in canonical JSON.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

/// Deepest nesting accepted in a MessagePack body (as `serde_json`'s default limit).
pub const MAX_DEPTH: usize = 128;

/// Decodes a MessagePack body into a JSON value.
///
/// # Errors
/// A message (lowercase) saying what is wrong: truncated or invalid data, trailing bytes,
/// too deep, or a value JSON has no form for (with its path).
pub fn decode(bytes: &[u8]) -> Result<Json, String> {
    let mut rest = bytes;
    let mut de = rmp_serde::Deserializer::new(&mut rest);
    de.set_max_depth(MAX_DEPTH);
    let value = de
        .deserialize_any(JsonVisitor { at: String::new() })
        .map_err(|e| match e {
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

/// Builds a JSON value from one MessagePack value; `at` is its path, for messages.
struct JsonVisitor {
    at: String,
}

impl JsonVisitor {
    fn place(&self) -> String {
        if self.at.is_empty() {
            "the body".to_owned()
        } else {
            format!("`{}`", self.at)
        }
    }

    fn refuse<E: de::Error>(&self, what: &str) -> E {
        E::custom(format!("{} is {what}", self.place()))
    }

    fn float<E: de::Error>(&self, finite: bool, text: &str) -> Result<Json, E> {
        if !finite {
            return Err(self.refuse("NaN or infinite, which JSON has no form for"));
        }
        serde_json::Number::from_str(text)
            .map(Json::Number)
            .map_err(|_| self.refuse(&format!("a number `{text}` that cannot be read")))
    }
}

impl<'de> DeserializeSeed<'de> for JsonVisitor {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MessagePack value with a JSON form")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f32<E: de::Error>(self, v: f32) -> Result<Json, E> {
        // Rust prints the shortest text that reads back as the same float, without exponent.
        self.float(v.is_finite(), &v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        self.float(v.is_finite(), &v.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Json, E> {
        Err(self.refuse(
            "binary data (or a string that is not UTF-8), which has no JSON form; send text",
        ))
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, _: D) -> Result<Json, D::Error> {
        Err(self.refuse(
            "a MessagePack extension value, which has no JSON form; send dates and times as strings",
        ))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(JsonVisitor {
            at: format!("{}[{}]", self.at, out.len()),
        })? {
            out.push(item);
        }
        Ok(Json::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(KeyVisitor {
            place: self.place(),
        })? {
            let at = if self.at.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.at)
            };
            let value = map.next_value_seed(JsonVisitor { at })?;
            out.insert(key, value);
        }
        Ok(Json::Object(out))
    }
}

/// Reads a map key, which must be a string.
struct KeyVisitor {
    place: String,
}

impl KeyVisitor {
    fn refuse<E: de::Error>(&self) -> E {
        E::custom(format!("{} has a map key that is not a string", self.place))
    }
}

impl<'de> DeserializeSeed<'de> for KeyVisitor {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string map key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Err(self.refuse())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        Err(self.refuse())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<String, E> {
        Err(self.refuse())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<String, E> {
        Err(self.refuse())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        Err(self.refuse())
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<String, E> {
        Err(self.refuse())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.refuse())
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.refuse())
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, _: D) -> Result<String, D::Error> {
        Err(self.refuse())
    }
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
