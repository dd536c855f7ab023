//! Templates: letters, e-mails and text messages rendered with minijinja.
//!
//! Pipeline position: used by `compile` (syntax check of every `template:` file) and by the
//! process runner (a `send` step renders its template into a `send` effect). Rendering is
//! bounded: at most [`TEMPLATE_FUEL`] instructions and [`MAX_OUTPUT_BYTES`] bytes of output.
//! Templates never escape their output (they produce text, not HTML), and printing a value
//! that is not there is an error rather than an empty string.
//!
//! Values reach templates as JSON does: text, booleans, lists and mappings as themselves,
//! whole numbers as integers, and numbers with a fraction as their exact decimal text
//! (`59.9`), so a template shows amounts exactly and never computes with floats.

use std::collections::BTreeMap;
use std::io;

use minijinja::value::Value as MjValue;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use rust_decimal::Decimal;

use super::err::TemplateError;

/// The most template instructions one rendering may run.
pub const TEMPLATE_FUEL: u64 = 50_000;

/// The most bytes one rendered text (subject or body) may have (256 KiB).
pub const MAX_OUTPUT_BYTES: usize = 256 * 1024;

/// The environment every template is parsed and rendered in: default filters and tests,
/// no auto-escaping, printing undefined values is an error, bounded fuel.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env
}

/// Checks a template's syntax; on error returns the 1-based line within `text` (if known)
/// and the message.
pub(crate) fn check_syntax(text: &str) -> Result<(), (Option<usize>, String)> {
    let env = environment();
    match env.template_from_str(text) {
        Ok(_) => Ok(()),
        Err(e) => Err((e.line(), describe(&e))),
    }
}

/// Renders `text` with the given context (a JSON object whose keys become template
/// variables).
pub(crate) fn render(
    template: &str,
    text: &str,
    context: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, TemplateError> {
    let env = environment();
    let compiled = env
        .template_from_str(text)
        .map_err(|e| TemplateError::new(template, describe(&e)))?;
    let root: BTreeMap<String, MjValue> = context
        .iter()
        .map(|(k, v)| (k.clone(), to_value(v)))
        .collect();
    let mut out = Bounded {
        buf: Vec::new(),
        limit: MAX_OUTPUT_BYTES,
    };
    match compiled.render_captured_to(MjValue::from(root), &mut out) {
        Ok(_) => String::from_utf8(out.buf)
            .map_err(|_| TemplateError::new(template, "the output is not valid text")),
        Err(e) if e.kind() == ErrorKind::WriteFailure => Err(TemplateError::new(
            template,
            format!("the output is longer than the limit of {MAX_OUTPUT_BYTES} bytes"),
        )),
        Err(e) => Err(TemplateError::new(template, describe(&e))),
    }
}

/// A lowercase message for a minijinja error, without its location suffix.
fn describe(e: &minijinja::Error) -> String {
    let kind = match e.kind() {
        ErrorKind::OutOfFuel => {
            return format!("the template ran more than {TEMPLATE_FUEL} steps; simplify its loops");
        }
        ErrorKind::SyntaxError => "syntax error",
        ErrorKind::UndefinedError => "a value is not there",
        ErrorKind::UnknownFilter => "unknown filter",
        ErrorKind::UnknownTest => "unknown test",
        ErrorKind::UnknownFunction => "unknown function",
        ErrorKind::UnknownMethod => "unknown method",
        ErrorKind::InvalidOperation => "invalid operation",
        ErrorKind::TooManyArguments => "too many arguments",
        ErrorKind::MissingArgument => "missing argument",
        ErrorKind::BadEscape => "bad string escape",
        _ => "template error",
    };
    match e.detail() {
        Some(detail) => format!("{kind}: {detail}"),
        None => kind.to_owned(),
    }
}

/// JSON → a template value (see the module doc for numbers).
fn to_value(v: &serde_json::Value) -> MjValue {
    use serde_json::Value as J;
    match v {
        J::Null => MjValue::from(()),
        J::Bool(b) => MjValue::from(*b),
        J::Number(n) => {
            let text = crate::canonical::to_string(&J::Number(n.clone()));
            if let Ok(i) = text.parse::<i128>() {
                return MjValue::from(i);
            }
            match Decimal::from_str_exact(&text) {
                Ok(d) => MjValue::from(crate::canonical::number_text(&d)),
                Err(_) => MjValue::from(text),
            }
        }
        J::String(s) => MjValue::from(s.as_str()),
        J::Array(items) => MjValue::from(items.iter().map(to_value).collect::<Vec<_>>()),
        J::Object(map) => MjValue::from(
            map.iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect::<BTreeMap<String, MjValue>>(),
        ),
    }
}

/// A writer that refuses to grow past `limit` bytes.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
}

impl io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len().saturating_add(data.len()) > self.limit {
            return Err(io::Error::other("output limit reached"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(json: &str) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn renders_data_with_exact_numbers() {
        let c = ctx(r#"{"data": {"Customer Id": "C-1", "Amount": 59.90, "Count": 3}}"#);
        let out = render(
            "t",
            "{{ data[\"Customer Id\"] }} {{ data.Amount }} {{ data.Count + 1 }}",
            &c,
        )
        .unwrap();
        assert_eq!(out, "C-1 59.9 4");
    }

    #[test]
    fn missing_values_are_errors_but_can_be_tested() {
        let c = ctx(r#"{"data": {}}"#);
        let e = render("t", "{{ data.missing }}", &c).unwrap_err();
        assert!(e.to_string().contains("not there"), "{e}");
        let ok = render("t", "{% if data.missing %}x{% else %}y{% endif %}", &c).unwrap();
        assert_eq!(ok, "y");
    }

    #[test]
    fn fuel_and_output_are_bounded() {
        let c = ctx(r#"{"data": {}}"#);
        let e = render("t", "{% for i in range(100000) %}{{ i }}{% endfor %}", &c).unwrap_err();
        assert!(e.to_string().contains("steps"), "{e}");
        let e = render(
            "t",
            "{% for i in range(10000) %}{{ \"x\" * 1000 }}{% endfor %}",
            &c,
        )
        .unwrap_err();
        assert!(e.to_string().contains("longer than"), "{e}");
    }

    #[test]
    fn no_escaping() {
        let c = ctx(r#"{"data": {"x": "<b>&"}}"#);
        assert_eq!(render("t", "{{ data.x }}", &c).unwrap(), "<b>&");
    }

    #[test]
    fn syntax_errors_have_lines() {
        let (line, message) = check_syntax("line one\n{{ data.x }\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.starts_with("syntax error"), "{message}");
    }
}
