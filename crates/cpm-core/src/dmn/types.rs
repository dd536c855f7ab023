//! DMN `typeRef` spellings → FEEL type texts of the source format.

use super::read::normalise;

/// Namespaces whose prefixes name FEEL's or XML Schema's built-in types.
const BUILTIN_TYPE_NAMESPACES: &[&str] = &[
    "https://www.omg.org/spec/DMN/20230324/FEEL/",
    "https://www.omg.org/spec/DMN/20211108/FEEL/",
    "https://www.omg.org/spec/DMN/20191111/FEEL/",
    "http://www.omg.org/spec/DMN/20180521/FEEL/",
    "http://www.omg.org/spec/FEEL/20140401",
    "http://www.w3.org/2001/XMLSchema",
];

/// The FEEL type text for a DMN `typeRef` written as `raw` on `node`.
///
/// `feel:` and `xsd:` prefixes (and any prefix bound to a FEEL or XML Schema namespace, or to
/// the model's own namespace) are dropped; `dateTime`, `dayTimeDuration` and
/// `yearMonthDuration` become `date and time`, `days and time duration` and `years and months
/// duration`; XML Schema number types become `number`. Anything else is kept: an item
/// definition name or a FEEL type expression (`list<number>`).
///
/// # Errors
///
/// A message when the type comes from another model's namespace (an import) or is the
/// ambiguous `xsd:duration`.
pub(super) fn feel_type(
    raw: &str,
    node: roxmltree::Node<'_, '_>,
    own_ns: &str,
) -> Result<String, String> {
    let text = normalise(raw);
    if text.contains('<') {
        return Ok(text);
    }
    let mut from_xsd = false;
    let mut local = text.as_str();
    if let Some((prefix, rest)) = text.split_once(':')
        && !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        let uri = node.lookup_namespace_uri(Some(prefix));
        let known_prefix = matches!(prefix, "feel" | "FEEL" | "xsd" | "xs");
        match uri {
            Some(u) if BUILTIN_TYPE_NAMESPACES.contains(&u) || u == own_ns => {}
            None if known_prefix => {}
            Some(u) => {
                return Err(format!(
                    "type `{text}` comes from another model (namespace `{u}`); imported types are not supported"
                ));
            }
            None => {
                return Err(format!(
                    "type `{text}` uses the undeclared namespace prefix `{prefix}`"
                ));
            }
        }
        from_xsd = matches!(prefix, "xsd" | "xs")
            || uri.is_some_and(|u| u == "http://www.w3.org/2001/XMLSchema");
        local = rest.trim();
    }
    let mapped = match local {
        "dateTime" | "date and time" => "date and time",
        "dayTimeDuration" | "days and time duration" => "days and time duration",
        "yearMonthDuration" | "years and months duration" => "years and months duration",
        "Any" | "any" => "Any",
        "decimal" | "integer" | "int" | "long" | "short" | "double" | "float" if from_xsd => {
            "number"
        }
        "duration" if from_xsd => {
            return Err(format!(
                "type `{text}` is ambiguous; use `dayTimeDuration` or `yearMonthDuration`"
            ));
        }
        other => other,
    };
    Ok(mapped.to_owned())
}
