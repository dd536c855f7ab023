//! JSON data from any self-describing `serde` format, numbers kept exact.
//!
//! Pipeline position: at the adapters' edge, before [`crate::api`]. The edge component reads
//! MessagePack request bodies with it and the browser package reads JS values with it, both
//! into the `serde_json::Value` the core's API takes. The workspace builds `serde_json` with
//! `arbitrary_precision`, whose numbers do not arrive through other formats' `deserialize_any`
//! as JSON numbers, so this reader builds them from decimal text: integers keep their value,
//! a float becomes the shortest decimal text that reads back as the same float (`0.1` stays
//! `0.1`). This is the only place a float is seen, and only to turn it into decimal text;
//! decisions never compute with floats.
//!
//! What JSON has no form for (NaN and infinities, binary data, extension values, map keys
//! that are not strings, nesting deeper than the caller allows) is refused with a message
//! the caller chooses through [`JsonData::refuse`], given a [`Refusal`] and the value's path.

use std::fmt;
use std::str::FromStr;

use super::float_text;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

/// What a value held that JSON has no form for, or why it was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A NaN or infinite float (its value).
    NonFinite(f64),
    /// A float whose decimal text could not be read as a JSON number (the text and why).
    BadNumber(String, String),
    /// Binary data (or, in MessagePack, a string that is not UTF-8).
    Bytes,
    /// An extension value (MessagePack `ext`) or another newtype wrapper.
    Extension,
    /// A map key that is not a string.
    NonStringKey,
    /// Nesting deeper than [`JsonData::max_depth`] (the limit).
    TooDeep(usize),
}

/// How floats are written as decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatText {
    /// The shortest digits that read back as the float ([`super::float_text::plain`]),
    /// never an exponent (`1e21` → `1000000000000000000000`).
    Plain,
    /// As JavaScript's `String(x)`: plain between 1e-7 and 1e21, with an exponent outside
    /// (`1e21` → `1e21`).
    JavaScript,
}

/// The rules of one adapter for reading JSON data: what the value is called, how floats
/// are written, how deep values may nest, and the message for each refusal.
#[derive(Clone, Copy)]
pub struct JsonData {
    /// What a value should be, for the format's own type errors (`"JSON data"`).
    pub expecting: &'static str,
    /// How floats become decimal text.
    pub floats: FloatText,
    /// The deepest nesting of arrays and objects accepted; `None` leaves depth to the format.
    pub max_depth: Option<usize>,
    /// The message for a refusal, given the refused value's path (`a.b[0]`; empty for the
    /// whole value).
    pub refuse: fn(&Refusal, &str) -> String,
}

impl JsonData {
    /// Reads one value from `deserializer`.
    ///
    /// # Errors
    /// The deserializer's error: its own (truncated or invalid data), or a refusal with the
    /// message [`JsonData::refuse`] gives.
    pub fn read<'de, D: Deserializer<'de>>(&self, deserializer: D) -> Result<Json, D::Error> {
        Seed {
            rules: self,
            at: String::new(),
            depth: 0,
        }
        .deserialize(deserializer)
    }
}

/// The reader at one value: the rules, the value's path and its depth.
struct Seed<'r> {
    rules: &'r JsonData,
    at: String,
    depth: usize,
}

impl Seed<'_> {
    fn refuse<E: de::Error>(&self, refusal: &Refusal) -> E {
        E::custom((self.rules.refuse)(refusal, &self.at))
    }

    /// The reader of a value inside this one, at path `at`.
    fn inner<E: de::Error>(&self, at: String) -> Result<Seed<'_>, E> {
        if let Some(max) = self.rules.max_depth
            && self.depth >= max
        {
            return Err(self.refuse(&Refusal::TooDeep(max)));
        }
        Ok(Seed {
            rules: self.rules,
            at,
            depth: self.depth + 1,
        })
    }

    fn float<E: de::Error>(&self, v: f64, text: String) -> Result<Json, E> {
        if !v.is_finite() {
            return Err(self.refuse(&Refusal::NonFinite(v)));
        }
        serde_json::Number::from_str(&text)
            .map(Json::Number)
            .map_err(|e| self.refuse(&Refusal::BadNumber(text, e.to_string())))
    }

    fn float_text(&self, v: f64) -> String {
        let magnitude = v.abs();
        match self.rules.floats {
            FloatText::JavaScript if magnitude != 0.0 && !(1e-7..1e21).contains(&magnitude) => {
                float_text::exponent(v)
            }
            _ => float_text::plain(v),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rules.expecting)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
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

    /// A 32-bit float keeps its own shortest text (`2.5f32` → `2.5`, not the digits of
    /// the nearest double).
    fn visit_f32<E: de::Error>(self, v: f32) -> Result<Json, E> {
        let text = match self.rules.floats {
            FloatText::Plain => float_text::plain(v),
            FloatText::JavaScript => self.float_text(f64::from(v)),
        };
        self.float(f64::from(v), text)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        let text = self.float_text(v);
        self.float(v, text)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Json, E> {
        Err(self.refuse(&Refusal::Bytes))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, _: D) -> Result<Json, D::Error> {
        Err(self.refuse(&Refusal::Extension))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        loop {
            let inner = self.inner(format!("{}[{}]", self.at, out.len()))?;
            match seq.next_element_seed(inner)? {
                Some(item) => out.push(item),
                None => break,
            }
        }
        Ok(Json::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(Key { seed: &self })? {
            let at = if self.at.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.at)
            };
            let value = map.next_value_seed(self.inner(at)?)?;
            out.insert(key, value);
        }
        Ok(Json::Object(out))
    }
}

/// Reads a map key, which must be a string.
struct Key<'s, 'r> {
    seed: &'s Seed<'r>,
}

impl Key<'_, '_> {
    fn refuse<E: de::Error>(&self) -> Result<String, E> {
        Err(self.seed.refuse(&Refusal::NonStringKey))
    }
}

impl<'de> DeserializeSeed<'de> for Key<'_, '_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, '_> {
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
        self.refuse()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        self.refuse()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<String, E> {
        self.refuse()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<String, E> {
        self.refuse()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        self.refuse()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<String, E> {
        self.refuse()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        self.refuse()
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        self.refuse()
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, _: D) -> Result<String, D::Error> {
        self.refuse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refuse(r: &Refusal, at: &str) -> String {
        format!("{r:?} at `{at}`")
    }

    fn rules(floats: FloatText, max_depth: Option<usize>) -> JsonData {
        JsonData {
            expecting: "JSON data",
            floats,
            max_depth,
            refuse,
        }
    }

    /// Reads a JSON text through the reader (serde_json is self-describing too; with
    /// `arbitrary_precision` its numbers arrive as maps, so numbers are tested through
    /// `serde::de::value` deserializers and in the adapters).
    fn read(text: &str, r: JsonData) -> Result<Json, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        r.read(&mut de).map_err(|e| e.to_string())
    }

    fn float(v: f64, floats: FloatText) -> Result<String, String> {
        use serde::de::IntoDeserializer;
        let de: de::value::F64Deserializer<de::value::Error> = v.into_deserializer();
        rules(floats, None)
            .read(de)
            .map(|j| j.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn floats_become_their_shortest_decimal_text() {
        assert_eq!(float(0.1, FloatText::Plain).unwrap(), "0.1");
        assert_eq!(float(0.1, FloatText::JavaScript).unwrap(), "0.1");
        assert_eq!(
            float(1e21, FloatText::Plain).unwrap(),
            "1000000000000000000000"
        );
        // serde_json writes the exponent of the text `1e21` with its sign.
        assert_eq!(float(1e21, FloatText::JavaScript).unwrap(), "1e+21");
        assert_eq!(float(1.5e-8, FloatText::JavaScript).unwrap(), "1.5e-8");
        assert_eq!(float(-0.0, FloatText::JavaScript).unwrap(), "-0");
        assert_eq!(
            float(f64::NAN, FloatText::Plain).unwrap_err(),
            "NonFinite(NaN) at ``"
        );
    }

    #[test]
    fn nesting_is_bounded_and_refusals_name_the_path() {
        let deep = format!("{}{}", "[".repeat(5), "]".repeat(5));
        assert!(read(&deep, rules(FloatText::Plain, Some(5))).is_ok());
        let err = read(&deep, rules(FloatText::Plain, Some(4))).unwrap_err();
        assert!(err.starts_with("TooDeep(4) at `[0][0][0][0]`"), "{err}");
        let err = read(
            r#"{"a":{"b":[["1",[]]]}}"#,
            rules(FloatText::Plain, Some(3)),
        )
        .unwrap_err();
        assert!(err.starts_with("TooDeep(3) at `a.b[0]`"), "{err}");
        assert_eq!(
            read(r#"{"a":["x",null,true,{}]}"#, rules(FloatText::Plain, None))
                .unwrap()
                .to_string(),
            r#"{"a":["x",null,true,{}]}"#
        );
    }
}
