//! Reading the declared inputs straight from the JSON text of an input document.
//!
//! Pipeline position: `decide::input`, for [`crate::decide::Engine::decide_json_text`]. The
//! top-level object is read here byte by byte; strings without escapes, numbers, booleans
//! and `null` are kept as slices of the text and converted to FEEL values without a JSON
//! value in between; any other value (an array, an object, a string with escapes) is read
//! by `serde_json`, as the general path reads it. Whatever is unusual (not an object, a name
//! given twice, more than [`MAX_FAST_NAMES`] names, data over a limit,
//! anything that is not JSON) is declined, and the general path answers instead.

use std::borrow::Cow;
use std::sync::Arc;

use super::{MAX_INPUT_STRING_BYTES, check_at, convert, json};
use crate::feel::ast::TypeRef;
use crate::ir::TypeDef;
use crate::value::Value;

/// The most top-level names [`declared_from_text`] reads itself; documents with more take
/// the general path.
const MAX_FAST_NAMES: usize = 64;

/// How deep [`convert_text`] follows item definitions before leaving the data to
/// [`convert`] (which refuses types nested deeper than this).
const MAX_TYPE_DEPTH: u32 = super::MAX_TYPE_DEPTH;

/// One declared input's data, as read from the text.
#[derive(Debug)]
pub enum TextData<'t> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number's text, checked against the JSON number grammar.
    Number(&'t str),
    /// A string without escapes, without its quotes.
    String(&'t str),
    /// Any other value, read by `serde_json`.
    Json(serde_json::Value),
}

/// The declared inputs' values read straight from JSON text, in declared order: each
/// input's data as `convert` (given the input's position) turns it into a value, `null`
/// for an input the document does not name.
///
/// Only for documents that the general path (`serde_json::from_str`,
/// [`super::check_limits`], [`convert`]) would accept: `None` for anything else, or
/// anything unusual (see the module documentation), or when `convert` gives `None`; the
/// caller then takes the general path, which gives the same answer or the precise error.
/// Undeclared names are read and held to the limits like the rest, then dropped.
pub fn declared_from_text<'t, 'm>(
    text: &'t str,
    declared: impl ExactSizeIterator<Item = &'m str> + Clone,
    mut convert: impl FnMut(usize, &TextData<'t>) -> Option<Value>,
) -> Option<Vec<Value>> {
    let mut reader = Reader { text, at: 0 };
    let mut values = vec![Value::Null; declared.len()];
    let mut names = Names::default();
    reader.skip_space();
    reader.expect(b'{')?;
    reader.skip_space();
    if matches!(reader.peek(), Some(b'}')) {
        reader.at += 1;
    } else {
        loop {
            let name = reader.name()?;
            reader.skip_space();
            reader.expect(b':')?;
            reader.skip_space();
            let data = reader.value(&name)?;
            let position = declared.clone().position(|d| d == name);
            names.add(name, position)?;
            if let Some(position) = position {
                let value = convert(position, &data)?;
                *values.get_mut(position)? = value;
            }
            reader.skip_space();
            match reader.next()? {
                b',' => reader.skip_space(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    reader.skip_space();
    (reader.at == text.len()).then_some(values)
}

/// The names a document has given so far, to refuse a name given twice.
#[derive(Default)]
struct Names<'t> {
    count: usize,
    /// Declared inputs by position, for the first 64.
    declared: u64,
    /// Every other name.
    others: Vec<Cow<'t, str>>,
}

impl<'t> Names<'t> {
    /// Notes `name` (the declared input at `position`, if any); `None` when it was given
    /// before or there are more than [`MAX_FAST_NAMES`].
    fn add(&mut self, name: Cow<'t, str>, position: Option<usize>) -> Option<()> {
        self.count += 1;
        if self.count > MAX_FAST_NAMES {
            return None;
        }
        if let Some(bit) = position.and_then(|p| 1u64.checked_shl(u32::try_from(p).ok()?)) {
            if self.declared & bit != 0 {
                return None;
            }
            self.declared |= bit;
            return Some(());
        }
        if self.others.contains(&name) {
            return None;
        }
        self.others.push(name);
        Some(())
    }
}

/// Converts `data` to a value of type `ty` as [`convert`] converts the same JSON data;
/// `None` when that would refuse it (the general path then names the error).
pub fn convert_text(
    data: &TextData<'_>,
    ty: &TypeRef,
    types: &[TypeDef],
    path: &str,
) -> Option<Value> {
    match data {
        TextData::Null => Some(Value::Null),
        TextData::Json(json) => convert(json, ty, types, path).ok(),
        _ if taken_as_is(data, ty, types, 0) => plain_value(data),
        // Temporal types, mismatches, deep definitions: by the general rules.
        _ => convert(&as_json(data)?, ty, types, path).ok(),
    }
}

/// Whether [`convert`] takes scalar `data` of type `ty` as it is, JSON type for FEEL type
/// (`ty` is `Any`, or names `number`, `boolean` or `string` matching the data, directly or
/// through item definitions).
fn taken_as_is(data: &TextData<'_>, ty: &TypeRef, types: &[TypeDef], depth: u32) -> bool {
    if depth > MAX_TYPE_DEPTH {
        return false;
    }
    match ty {
        TypeRef::Any => true,
        TypeRef::Named(name) => match types.iter().find(|t| &t.name == name) {
            Some(def) => taken_as_is(data, &def.base, types, depth + 1),
            None => {
                let json_type = match data {
                    TextData::Number(_) => "number",
                    TextData::Bool(_) => "boolean",
                    TextData::String(_) => "string",
                    TextData::Null | TextData::Json(_) => return false,
                };
                name == json_type || name == "Any"
            }
        },
        _ => false,
    }
}

/// The FEEL value of data without a declared type, as [`json::from_json`] gives it.
fn plain_value(data: &TextData<'_>) -> Option<Value> {
    match data {
        TextData::Null => Some(Value::Null),
        TextData::Bool(b) => Some(Value::Bool(*b)),
        TextData::Number(text) => json::parse_number_text(text).map(Value::Number),
        TextData::String(s) => Some(Value::String(Arc::from(*s))),
        TextData::Json(json) => json::from_json(json).ok(),
    }
}

/// The data as a `serde_json` value.
fn as_json(data: &TextData<'_>) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match data {
        TextData::Null => J::Null,
        TextData::Bool(b) => J::Bool(*b),
        TextData::Number(text) => J::Number(text.parse().ok()?),
        TextData::String(s) => J::String((*s).to_owned()),
        TextData::Json(json) => json.clone(),
    })
}

/// A position in the text being read.
struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Reader<'t> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    #[inline(always)]
    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The rest of the text from the current position.
    #[inline(always)]
    fn rest(&self) -> &'t str {
        self.text.get(self.at..).unwrap_or("")
    }

    /// A string without escapes, its opening quote next; `None` for a string with escapes,
    /// control characters or more than [`MAX_INPUT_STRING_BYTES`] bytes.
    fn plain_string(&mut self) -> Option<&'t str> {
        let rest = self.rest().as_bytes();
        if !matches!(rest.first(), Some(b'"')) {
            return None;
        }
        let len = crate::canonical::first_escaped(rest.get(1..)?)?;
        if !matches!(rest.get(len + 1), Some(b'"')) || len > MAX_INPUT_STRING_BYTES {
            return None;
        }
        let s = self.text.get(self.at + 1..self.at + 1 + len)?;
        self.at += len + 2;
        Some(s)
    }

    /// An object key, borrowed from the text when it has no escapes.
    fn name(&mut self) -> Option<Cow<'t, str>> {
        if let Some(name) = self.plain_string() {
            return Some(Cow::Borrowed(name));
        }
        if !matches!(self.peek(), Some(b'"')) {
            return None;
        }
        let mut stream = serde_json::Deserializer::from_str(self.rest()).into_iter::<String>();
        let name = stream.next()?.ok()?;
        self.at += stream.byte_offset();
        (name.len() <= MAX_INPUT_STRING_BYTES).then_some(Cow::Owned(name))
    }

    /// The value of top-level entry `name`.
    fn value(&mut self, name: &str) -> Option<TextData<'t>> {
        match self.peek()? {
            b'"' => match self.plain_string() {
                Some(s) => Some(TextData::String(s)),
                None => self.json(name),
            },
            b'[' | b'{' => self.json(name),
            b't' => self.word("true", TextData::Bool(true)),
            b'f' => self.word("false", TextData::Bool(false)),
            b'n' => self.word("null", TextData::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn word(&mut self, word: &str, data: TextData<'t>) -> Option<TextData<'t>> {
        self.rest().starts_with(word).then(|| {
            self.at += word.len();
            data
        })
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<TextData<'t>> {
        let start = self.at;
        let digits = |reader: &mut Self| -> usize {
            let from = reader.at;
            while matches!(reader.peek(), Some(b'0'..=b'9')) {
                reader.at += 1;
            }
            reader.at - from
        };
        if matches!(self.peek(), Some(b'-')) {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if matches!(self.peek(), Some(b'.')) {
            self.at += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        // A number ends at whitespace or the end of its entry (`01`, `1x` are not JSON).
        if !matches!(
            self.peek(),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b'}')
        ) {
            return None;
        }
        self.text.get(start..self.at).map(TextData::Number)
    }

    /// Any value, read by `serde_json` (arrays, objects, strings with escapes) and held to
    /// the input limits.
    fn json(&mut self, name: &str) -> Option<TextData<'t>> {
        let mut stream =
            serde_json::Deserializer::from_str(self.rest()).into_iter::<serde_json::Value>();
        let value = stream.next()?.ok()?;
        self.at += stream.byte_offset();
        check_at(&value, name, 1).ok()?;
        Some(TextData::Json(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The declared data the text path reads, as JSON, or `None` when it declines; an
    /// input the document does not name is `null`.
    fn read(text: &str) -> Option<Vec<serde_json::Value>> {
        let mut data = vec![serde_json::Value::Null; 2];
        declared_from_text(text, ["a", "b"].into_iter(), |i, d| {
            data[i] = as_json(d).unwrap();
            Some(Value::Null)
        })?;
        Some(data)
    }

    #[test]
    fn reads_what_serde_json_reads_and_declines_the_rest() {
        let documents = [
            r#"{"a":1,"b":"x"}"#,
            " {\n\t\"b\" : [1, {\"c\": \"\\n\"}] , \"a\" : -0.5e+3 }\r\n",
            r#"{}"#,
            r#"{"c":true,"a":null,"b":false}"#,
            r#"{"a":"caf\u00e9","b":"two\"quotes\""}"#,
            r#"{"a":"é😀"}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":1x}"#,
            r#"{"a":tru}"#,
            r#"{"a":1,}"#,
            r#"{"a":1}x"#,
            r#"{"a":1} {}"#,
            r#"["a"]"#,
            r#"{"a" 1}"#,
            r#"{"a":"tab	inside"}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":[1,2}"#,
            r#"{"a":"\x"}"#,
            "",
            "{",
        ];
        for text in documents {
            let general: Option<serde_json::Value> = serde_json::from_str(text).ok();
            match read(text) {
                Some(read) => {
                    let general = general.unwrap_or_else(|| panic!("accepted {text:?}"));
                    let expected: Vec<serde_json::Value> = ["a", "b"]
                        .iter()
                        .map(|n| general.get(n).cloned().unwrap_or_default())
                        .collect();
                    assert_eq!(read, expected, "{text:?}");
                }
                None => {
                    // Declining is always allowed, but objects without a name given twice
                    // are read.
                    let object = general.is_some_and(|g| g.is_object());
                    let duplicate = text.contains(r#""a":1,"a":2"#);
                    assert!(!object || duplicate, "declined {text:?}");
                }
            }
        }
    }

    #[test]
    fn numbers_are_the_decimals_the_general_path_reads() {
        for number in [
            "0",
            "-0",
            "50",
            "0.30",
            "1e5",
            "1E+05",
            "-2.5e-3",
            "0.000",
            "100000000000000000000",
            "12345678901234567890123456789012",
            "1e999999",
        ] {
            let text = format!("{{\"a\":{number}}}");
            let mut read = None;
            declared_from_text(&text, ["a"].into_iter(), |_, data| {
                read = Some(plain_value(data));
                Some(Value::Null)
            })
            .unwrap();
            let general: serde_json::Value = serde_json::from_str(number).unwrap();
            assert_eq!(
                read.unwrap().map(|v| crate::value::to_canonical_json(&v)),
                json::from_json(&general)
                    .ok()
                    .map(|v| crate::value::to_canonical_json(&v)),
                "{number}"
            );
        }
    }
}
