//! Canonical JSON: the one text form of every answer, identical on every target.
//!
//! Compact (no whitespace), object keys sorted by code point, numbers as exact decimals
//! without exponent or trailing zeros (`1.50` → `1.5`, `-0` → `0`), strings escaped as
//! `serde_json` does. Adapters compare answers byte for byte in this form.

use std::str::FromStr;

use rust_decimal::Decimal;

/// The canonical text of a decimal number.
pub fn number_text(d: &Decimal) -> String {
    crate::value::duration::format_number(d)
}

/// The canonical text of a JSON number given as text (as `serde_json` keeps it with
/// `arbitrary_precision`); numbers beyond decimal range keep their text.
fn json_number_text(text: &str) -> String {
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .or_else(|_| Decimal::from_str(text))
        .map_or_else(|_| text.to_owned(), |d| number_text(&d))
}

/// Writes `value` canonically.
pub fn to_string(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Writes `value` canonically at the end of `out`.
pub fn write_to(value: &serde_json::Value, out: &mut String) {
    write(value, out);
}

fn write(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => out.push_str(&json_number_text(n.as_str())),
        J::String(s) => write_string(s, out),
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        J::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal, escaped as `serde_json` escapes it.
pub fn write_string(s: &str, out: &mut String) {
    // serde_json escapes only `"`, `\\` and control characters below U+0020; most strings
    // (names, codes, reasons) have none and are copied as they are.
    // A fold without early exit, which the compiler turns into a few wide operations.
    let needs_escape = s.bytes().fold(false, |seen, b| {
        seen | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0u8..=0x7f).map(|b| format!("a{}b", b as char)).collect();
        samples.extend(
            [
                "",
                "plain",
                "caf\u{e9} \u{1F600}",
                "\u{7f}\u{80}\u{2028}",
                "\"\\\n",
            ]
            .map(String::from),
        );
        for sample in samples {
            let mut out = String::new();
            write_string(&sample, &mut out);
            assert_eq!(out, serde_json::to_string(&sample).unwrap(), "{sample:?}");
        }
    }

    #[test]
    fn numbers_are_normalised() {
        let v: serde_json::Value = serde_json::from_str(
            r#"[1.50, 100, 1e2, -0, 0.000, 12345678901234567890123456789012345]"#,
        )
        .unwrap();
        assert_eq!(
            to_string(&v),
            "[1.5,100,100,0,0,12345678901234567890123456789012345]"
        );
    }

    #[test]
    fn keys_are_sorted_and_output_compact() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b": 1, "a": {"d": "x\"y", "c": [true, null]}, "B": 2}"#)
                .unwrap();
        assert_eq!(
            to_string(&v),
            r#"{"B":2,"a":{"c":[true,null],"d":"x\"y"},"b":1}"#
        );
    }
}
