//! DMN XML: OMG DMN 1.1–1.5 model files → the typed source [`Model`], and the DMN TCK's
//! test-case files → values to run and compare.
//!
//! Pipeline position: beside [`crate::source`], before `compile`. [`load`] turns a `.dmn`
//! file into the same [`Model`] the YAML loader produces, so the compiler checks both the
//! same way; [`crate::source::load`] dispatches `.dmn` files here. Every element keeps the
//! line and column of its start tag; every DMN element or attribute with decision semantics
//! that has no place in the source format is an `unsupported` error naming the element's id
//! and line, never silently dropped. Presentation-only content (diagrams, labels, extension
//! elements, text annotations, requirement edges to knowledge sources) is skipped on purpose;
//! `docs/dmn.md` lists what is skipped and what is refused.
//!
//! Pure: takes file contents, does no I/O.

mod read;
pub mod tck;
mod types;

use crate::source::{Model, SourceErrors, write};

/// The DMN model namespaces read, newest first: DMN 1.5, 1.4, 1.3, 1.2 and 1.1.
pub const NAMESPACES: &[&str] = &[
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
];

/// Reads a DMN XML model into the typed source model.
///
/// `path` names the file in every position and gives the model its name when the
/// `definitions` element has none. The model name is the `definitions` name with every
/// character outside `[A-Za-z0-9_.-]` replaced by `-`.
///
/// # Errors
///
/// Every problem found: `xml-syntax` for text that is not well-formed XML,
/// `unsupported-file` when the root is not a DMN `definitions` element of a known
/// namespace, `unsupported` for DMN content cpm cannot represent (imports, decision
/// services, non-FEEL expression languages, …), `missing-key` for absent required names
/// and texts, `cell-count` for rules whose cells do not match their table, `bad-hit-policy`
/// and `duplicate-name`.
pub fn load(path: &str, text: &str) -> Result<Model, SourceErrors> {
    read::load(path, text)
}

/// A DMN model converted to cpm's YAML source format.
#[derive(Clone, Debug)]
pub struct Converted {
    /// The model read from the DMN file.
    pub model: Model,
    /// The same model as YAML source text (see [`write::to_yaml`]).
    pub yaml: String,
}

/// Reads a DMN model and writes it as YAML source text.
///
/// # Errors
///
/// As [`load`].
pub fn convert(path: &str, text: &str) -> Result<Converted, SourceErrors> {
    let model = load(path, text)?;
    let yaml = write::to_yaml(&model);
    Ok(Converted { model, yaml })
}

/// What [`check_round_trip`] found.
#[derive(Clone, Debug)]
pub struct RoundTrip {
    /// The compiled program's hash, the same for the DMN file and the YAML file; `None` when
    /// the model does not compile.
    pub hash: Option<String>,
    /// The compile errors, when the model does not compile (the same for both files).
    pub errors: Vec<crate::compile::Diagnostic>,
}

/// Checks that a YAML file written by [`convert`] holds the same model as the DMN file.
///
/// The YAML text must load into the same model (positions aside), and both files must
/// compile to the same program (the same bundle hash), or fail to compile alike.
///
/// # Errors
///
/// A message saying how the two differ.
pub fn check_round_trip(
    dmn: &crate::compile::SourceText,
    yaml: &crate::compile::SourceText,
) -> Result<RoundTrip, String> {
    use crate::compile::compile;
    let from_dmn = load(&dmn.path, &dmn.text).map_err(|e| e.to_string())?;
    let from_yaml = match crate::source::load(&yaml.path, &yaml.text) {
        Ok(crate::source::SourceFile::Model(m)) => m,
        Ok(_) => {
            return Err(format!("`{}` does not hold a decision model", yaml.path));
        }
        Err(e) => return Err(format!("`{}` does not load: {e}", yaml.path)),
    };
    if without_positions(&from_dmn) != without_positions(&from_yaml) {
        return Err(format!(
            "`{}` loads into a different model than `{}`",
            yaml.path, dmn.path
        ));
    }
    let hash = |file: &crate::compile::SourceText| match compile(std::slice::from_ref(file)) {
        Ok(c) => crate::bundle::Bundle::new(c.program)
            .map(|b| Ok(b.hash))
            .map_err(|e| e.to_string()),
        Err(e) => Ok(Err(e.errors)),
    };
    match (hash(dmn)?, hash(yaml)?) {
        (Ok(a), Ok(b)) if a == b => Ok(RoundTrip {
            hash: Some(a),
            errors: Vec::new(),
        }),
        (Ok(a), Ok(b)) => Err(format!(
            "the YAML file compiles to hash {b}, the DMN file to {a}"
        )),
        (Err(errors), Err(_)) => Ok(RoundTrip { hash: None, errors }),
        (Ok(_), Err(_)) => Err("the YAML file does not compile, the DMN file does".to_owned()),
        (Err(_), Ok(_)) => Err("the DMN file does not compile, the YAML file does".to_owned()),
    }
}

/// The model as JSON without any `loc` field, for comparing models from different files.
fn without_positions(model: &Model) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("loc");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(model).unwrap_or(serde_json::Value::Null);
    strip(&mut v);
    v
}

#[cfg(test)]
mod tests;
