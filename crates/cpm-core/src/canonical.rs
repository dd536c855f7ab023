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
            crate::sort::sort_by(&mut entries, &mut |a, b| a.0.cmp(b.0));
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
    if first_escaped(s.as_bytes()).is_none() {
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

/// The position of the first byte a JSON string cannot hold as it is (`"`, `\\` or a
/// control character below U+0020), if any.
pub(crate) fn first_escaped(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut start = 0;
    for chunk in &mut chunks {
        // Always eight bytes (a load, where `copy_from_slice` is a call in the size build).
        let word = <[u8; 8]>::try_from(chunk).unwrap_or_default();
        let flags = escaped_flags(u64::from_le_bytes(word));
        if flags != 0 {
            return Some(start + (flags.trailing_zeros() / 8) as usize);
        }
        start += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| ESCAPED.get(usize::from(b)) == Some(&true))
        .map(|i| start + i)
}

/// Whether a byte needs an escape in a JSON string, by value.
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The high bit of every byte of `x` (little-endian) that needs an escape, exact from the
/// lowest such byte up (a borrow can only flag bytes above a flagged one).
fn escaped_flags(x: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte below `n` (for `n <= 128`); `"` and `\\` become zero
    // bytes under XOR.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    below(x, 0x20)
        | below(x ^ (ONES * u64::from(b'"')), 1)
        | below(x ^ (ONES * u64::from(b'\\')), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_escaped_byte_is_found_at_any_position() {
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    bytes.extend_from_slice(&[0x20, 0x7f, 0xc3, 0xa9, b'!', b'#', b'[', b']']);
                    // A second byte to escape after the first.
                    bytes.push(b'"');
                    let expected = if at < len {
                        bytes[at] = special;
                        at
                    } else {
                        len + 8
                    };
                    let expected = Some(expected);
                    assert_eq!(first_escaped(&bytes), expected, "{len} {at} {special}");
                }
            }
        }
    }

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
