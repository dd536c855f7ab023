//! FEEL `string(v)`: the one text form of every value.
//!
//! Pipeline position: value layer, used by the `string` built-in, by canonical JSON (for
//! temporal values, durations and ranges) and by messages. The output is a pure function
//! of the value: the same on every target.
//!
//! Top-level strings and temporal values print bare (`2024-01-31`); inside lists,
//! contexts and ranges they print as FEEL literals (`"a"`, `@"2024-01-31"`) so the text
//! reads back as FEEL.

use super::duration::{format_days_time, format_number, format_years_months};
use super::temporal::{format_date, format_date_time, format_time};
use super::{Range, Value};

/// The FEEL `string(v)` text of a value. `null` prints as `null` and functions as
/// `function`; the `string` built-in itself returns `null` for both.
pub fn format_value(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, false);
    out
}

/// The FEEL literal text of a value, as it appears inside lists, contexts and ranges
/// (`"a"`, `@"2024-01-31"`, `[1..10)`).
pub fn format_literal(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, true);
    out
}

/// A FEEL range in literal form: `[1..10)`, `< 5`, `>= @"2024-01-01"`.
pub fn format_range(r: &Range) -> String {
    let mut out = String::new();
    write_range(&mut out, r);
    out
}

fn write_value(out: &mut String, v: &Value, nested: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(n)),
        Value::String(s) => {
            if nested {
                write_string_literal(out, s);
            } else {
                out.push_str(s);
            }
        }
        Value::Date(_)
        | Value::Time(_)
        | Value::DateTime(_)
        | Value::DaysTime(_)
        | Value::YearsMonths(_) => {
            let text = temporal_text(v);
            if nested {
                out.push_str("@\"");
                out.push_str(&text);
                out.push('"');
            } else {
                out.push_str(&text);
            }
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, true);
            }
            out.push(']');
        }
        Value::Context(ctx) => {
            out.push('{');
            for (i, (k, item)) in ctx.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, k);
                out.push_str(": ");
                write_value(out, item, true);
            }
            out.push('}');
        }
        Value::Range(r) => write_range(out, r),
        Value::Function(_) => out.push_str("function"),
    }
}

/// The bare text of a temporal value or duration (empty for other values).
pub(crate) fn temporal_text(v: &Value) -> String {
    match v {
        Value::Date(d) => format_date(*d),
        Value::Time(t) => format_time(t),
        Value::DateTime(dt) => format_date_time(dt),
        Value::DaysTime(d) => format_days_time(d),
        Value::YearsMonths(d) => format_years_months(d),
        _ => String::new(),
    }
}

fn write_range(out: &mut String, r: &Range) {
    match (&r.start, &r.end) {
        (None, Some(end)) => {
            out.push_str(if r.end_closed { "<= " } else { "< " });
            write_value(out, end, true);
        }
        (Some(start), None) => {
            out.push_str(if r.start_closed { ">= " } else { "> " });
            write_value(out, start, true);
        }
        (start, end) => {
            out.push(if r.start_closed { '[' } else { '(' });
            match start {
                Some(s) => write_value(out, s, true),
                None => out.push_str("null"),
            }
            out.push_str("..");
            match end {
                Some(e) => write_value(out, e, true),
                None => out.push_str("null"),
            }
            out.push(if r.end_closed { ']' } else { ')' });
        }
    }
}

/// Writes a string as a FEEL string literal with `"`, `\` and control characters escaped.
fn write_string_literal(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a context key bare when it reads back as a FEEL name, quoted otherwise.
fn write_key(out: &mut String, k: &str) {
    if is_plain_name(k) {
        out.push_str(k);
    } else {
        write_string_literal(out, k);
    }
}

/// Whether `k` is a name FEEL reads back unquoted: a letter or `_` first, then letters,
/// digits, `_` and single inner spaces.
fn is_plain_name(k: &str) -> bool {
    let mut chars = k.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_' || first == '?') {
        return false;
    }
    if k.ends_with(' ') || k.contains("  ") {
        return false;
    }
    if matches!(
        k,
        "true"
            | "false"
            | "null"
            | "and"
            | "or"
            | "not"
            | "in"
            | "if"
            | "then"
            | "else"
            | "for"
            | "return"
            | "some"
            | "every"
            | "satisfies"
            | "between"
            | "instance"
            | "of"
            | "function"
    ) {
        return false;
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == ' ')
}
