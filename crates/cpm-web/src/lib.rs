//! The cpm engine for browsers and Node: `cpm_core::api` through wasm-bindgen.
//!
//! Pipeline position: an adapter after `api`, like the CLI and the edge component. It
//! converts values and errors and makes no decision of its own. The npm package in `js/`
//! wraps the generated glue.
//!
//! Every operation of the boundary is here twice: taking and giving JS objects
//! ([`Engine::decide`], `Engine::start_case`, …) and taking and giving JSON text
//! ([`Engine::decide_json`], `Engine::start_case_json`, …).
//!
//! Numbers stay exact decimals: answers cross as canonical JSON text or as objects parsed
//! from that same text;
//! a JS number in an input object becomes the shortest decimal that reads back as the
//! same double (what `String(0.1)` gives), so inputs needing more than 15 significant
//! digits must be passed as JSON text. Failures become JS `Error` objects with `code`,
//! `detail`, `path` and `help` fields, in the vocabulary of the core's error codes.
//!
//! Two builds come from this crate: with the cargo feature `full` (the default) the whole
//! engine (`@cpm/engine`); without it the decisions-only runtime (`@cpm/engine/decide`):
//! [`Engine::load`], the decide operations, [`Engine::decisions`] and [`limits`], with the
//! compiler, processes and templates left out of the wasm (the `full` module).

use cpm_core::api::{self, DecideRequest, ErrorDetail};
use cpm_core::canonical;
use cpm_core::feel::eval::Limits;
use cpm_core::value::json_data::{FloatText, JsonData, Refusal};
use wasm_bindgen::prelude::*;

#[cfg(feature = "full")]
mod full;
#[cfg(feature = "full")]
pub use full::{build, check_feel, kpis, kpis_json, tasks, tasks_json};

/// A loaded bundle, ready to answer decision requests and run process operations.
#[wasm_bindgen]
pub struct Engine {
    inner: cpm_core::decide::Engine,
}

#[wasm_bindgen]
impl Engine {
    /// Loads an engine from bundle bytes (as written by `cpm build` or `build` of the full build).
    ///
    /// # Errors
    /// An `Error` with `code: "bad-bundle"` when the bytes are not a readable bundle.
    pub fn load(bytes: &[u8]) -> Result<Engine, JsValue> {
        // The decisions-only build skips the bundle's processes and templates: their
        // reader is not linked into it.
        #[cfg(feature = "full")]
        let loaded = api::load(bytes);
        #[cfg(not(feature = "full"))]
        let loaded = api::load_decisions(bytes);
        loaded
            .map(|inner| Engine { inner })
            .map_err(|e| js_error(&ErrorDetail::from(&e), None))
    }

    /// The bundle's content hash (lowercase hex SHA-256).
    #[wasm_bindgen(getter, js_name = bundleHash)]
    pub fn bundle_hash(&self) -> String {
        self.inner.hash().to_owned()
    }

    /// Evaluates decision `name` for the input object; `options` is `{ explain?: boolean }`.
    /// Returns the success answer (`type`, `decision`, `output`, `bundleHash`,
    /// `explanation`) as an object parsed from its canonical JSON.
    ///
    /// # Errors
    /// An `Error` with the first failure's `code`, `detail` and `path`, and every failure
    /// in `errors`: `malformed-request` (input not JSON data, unknown option),
    /// `unknown-decision`, `invalid-input`, `input-type`, `hit-policy-violation`, ….
    pub fn decide(&self, name: &str, input: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        answer_to_js(&self.answer(name, from_js(input, "input"), options))
    }

    /// [`Engine::decide`] for input the package has already written as JSON text with
    /// `JSON.stringify`, after checking that the value is plain JSON data (finite numbers,
    /// well-formed strings, plain objects and arrays, shallow nesting), for which the text
    /// reads back as exactly what [`Engine::decide`] would read from the object; `explain`
    /// read by the package from options that hold nothing else. Returns the success
    /// answer's body (`explanation`, `output`, `type`: `api::decide_input_body_text`), to
    /// which the package puts `bundleHash` and `decision` first; throws exactly as
    /// [`Engine::decide`]. It is only faster: one string crosses each way, the answer is
    /// written as text from the decision's value, and the constant members are not written
    /// and read again on every call.
    ///
    /// # Errors
    /// As [`Engine::decide`].
    #[wasm_bindgen(js_name = decideBody)]
    pub fn decide_body(
        &self,
        name: &str,
        input_json: &str,
        explain: bool,
    ) -> Result<JsValue, JsValue> {
        let answer =
            api::decide_input_body_text(&self.inner, name, input_json, explain, Limits::default())
                .unwrap_or_else(|| {
                    parse_input(input_json).and_then(|input| {
                        let request = DecideRequest {
                            decision: name.to_owned(),
                            input,
                            explain,
                        };
                        api::decide_success_body_text(&self.inner, &request, Limits::default())
                    })
                });
        match answer {
            Ok(text) => js_sys::JSON::parse(&text),
            Err(e) => Err(js_error(&e, Some(std::slice::from_ref(&e)))),
        }
    }

    /// Evaluates decision `name` for input data given as JSON text (numbers read from
    /// their exact text) and returns the answer, success or failure, as canonical JSON
    /// text; `options` is `{ explain?: boolean }`. Never throws for a decision failure.
    #[wasm_bindgen(js_name = decideJson)]
    pub fn decide_json(&self, name: &str, input_json: &str, options: JsValue) -> String {
        let options = from_js(options, "options");
        // Input the core reads from its text itself, when the options are valid.
        let explain = options.as_ref().ok().and_then(|o| explain_of(o).ok());
        if let Some(answer) = explain.and_then(|e| self.text_answer(name, input_json, e)) {
            return answer.unwrap_or_else(|e| canonical::to_string(&api::failure(vec![e])));
        }
        let request = parse_input(input_json).and_then(|input| request(name, input, &options?));
        match request {
            Ok(request) => api::decide_text(&self.inner, &request, Limits::default()),
            Err(e) => canonical::to_string(&api::failure(vec![e])),
        }
    }

    /// The bundle's decisions: `{ bundleHash, decisions: [{ name, model, kind, type,
    /// inputs: [{ name, type }] }] }`, sorted by name.
    ///
    /// # Errors
    /// None in practice: the description is always valid JSON.
    pub fn decisions(&self) -> Result<JsValue, JsValue> {
        js_sys::JSON::parse(&canonical::to_string(&api::describe(&self.inner)))
    }
}

/// The decisions-only build has no tz database compiled in (a third of its size): the
/// package loads the zone data file (`pkg-decide/tzdata.bin`, written by `cpm tzdata`) for
/// bundles that could meet a named time zone, before handing out the engine.
#[cfg(not(feature = "full"))]
#[wasm_bindgen]
impl Engine {
    /// Whether a request to this bundle could meet a named time zone (`@Europe/Paris`)
    /// while no zone data is installed: then the package installs it first
    /// ([`install_zone_data`]). Without it, such a request fails with `zone-data-missing`.
    #[wasm_bindgen(getter, js_name = needsZoneData)]
    pub fn needs_zone_data(&self) -> bool {
        !cpm_core::value::zones::loaded() && self.inner.may_meet_named_zones()
    }
}

/// Installs the rules of named time zones from a zone-data file (the bytes of
/// `pkg-decide/tzdata.bin` after gunzip) for every engine of this module; returns
/// `{ version, names }` (the tz database release and how many zone names it resolves).
/// Only the first file installed is used.
///
/// # Errors
/// An `Error` with `code: "bad-zone-data"` when the bytes are not a zone-data file or it is
/// truncated or damaged.
#[cfg(not(feature = "full"))]
#[wasm_bindgen(js_name = installZoneData)]
pub fn install_zone_data(bytes: Vec<u8>) -> Result<JsValue, JsValue> {
    match cpm_core::value::zones::install(bytes) {
        Ok(info) => {
            let info = serde_json::json!({ "version": info.version, "names": info.names });
            js_sys::JSON::parse(&canonical::to_string(&info))
        }
        Err(e) => Err(js_error(
            &ErrorDetail::new("bad-zone-data", e.to_string()),
            None,
        )),
    }
}

/// The limits every request is held to, from the core's constants: `{ inputDepth,
/// inputStringBytes, inputListItems, evaluationFuel, evaluationDepth, evaluationListItems,
/// expressionNesting, templateOutputBytes, processStepsPerEvent }`. Each limit has its
/// error code (see `index.d.ts`, `LimitErrorCode`).
///
/// # Errors
/// None in practice: the object is always valid JSON.
#[wasm_bindgen]
pub fn limits() -> Result<JsValue, JsValue> {
    let eval = Limits::default();
    let limits = serde_json::json!({
        "inputDepth": cpm_core::decide::input::MAX_INPUT_DEPTH,
        "inputStringBytes": cpm_core::decide::input::MAX_INPUT_STRING_BYTES,
        "inputListItems": cpm_core::decide::input::MAX_INPUT_LIST_ITEMS,
        "evaluationFuel": eval.fuel,
        "evaluationDepth": eval.max_depth,
        "evaluationListItems": eval.max_list,
        "expressionNesting": cpm_core::feel::parser::MAX_NESTING,
        "templateOutputBytes": cpm_core::process::template::MAX_OUTPUT_BYTES,
        "processStepsPerEvent": cpm_core::process::run::MAX_STEPS_PER_EVENT,
    });
    js_sys::JSON::parse(&canonical::to_string(&limits))
}

impl Engine {
    /// The success answer's canonical text or the error, for input the core reads from its
    /// text itself; `None` when it needs the general path (parse, then decide).
    fn text_answer(
        &self,
        name: &str,
        input_json: &str,
        explain: bool,
    ) -> Option<Result<String, ErrorDetail>> {
        api::decide_input_text(&self.inner, name, input_json, explain, Limits::default())
    }

    /// The core's answer to a decide request, success or failure, for input read by the
    /// caller and options still to be read.
    fn answer(
        &self,
        name: &str,
        input: Result<serde_json::Value, ErrorDetail>,
        options: JsValue,
    ) -> serde_json::Value {
        input
            .and_then(|input| request(name, input, &from_js(options, "options")?))
            .map_or_else(
                |e| api::failure(vec![e]),
                |req| api::decide(&self.inner, &req, Limits::default()),
            )
    }
}

/// Input data from JSON text, numbers kept as their exact text.
fn parse_input(input_json: &str) -> Result<serde_json::Value, ErrorDetail> {
    serde_json::from_str(input_json)
        .map_err(|e| malformed(&format!("the input is not valid JSON: {e}")))
}

/// The core's decide request: the decision's name and input, and the options (the core's
/// default for an absent `explain`).
///
/// The options are read by hand, not through `DecideRequest`'s derived `Deserialize`: that
/// reader (serde_json's `Value` deserializer, with float parsing behind it) was ≈ 20 KB gzip
/// of the decisions-only wasm. The messages are the derived reader's, word for word (a
/// test compares them): keys in order, the first bad one reported.
fn request(
    name: &str,
    input: serde_json::Value,
    options: &serde_json::Value,
) -> Result<DecideRequest, ErrorDetail> {
    Ok(DecideRequest {
        decision: name.to_owned(),
        input,
        explain: explain_of(options)?,
    })
}

/// `explain` from the decide options (`true` when absent), refusing options that are not
/// `{ explain?: boolean }` with the derived reader's messages.
fn explain_of(options: &serde_json::Value) -> Result<bool, ErrorDetail> {
    let map = match options {
        serde_json::Value::Object(map) => map,
        serde_json::Value::Null => return Ok(true),
        _ => {
            return Err(malformed(
                "`options` must be an object such as `{ explain: false }`",
            ));
        }
    };
    let mut explain = true;
    for (key, value) in map {
        match key.as_str() {
            "explain" => match value {
                serde_json::Value::Bool(b) => explain = *b,
                other => {
                    return Err(bad_options(&format!(
                        "invalid type: {}, expected a boolean",
                        unexpected(other)
                    )));
                }
            },
            // `decision` is the name given; an `input` option is accepted and replaced by
            // the input given (as the derived reader did).
            "decision" | "input" => {}
            other => {
                return Err(bad_options(&format!(
                    "unknown field `{other}`, expected one of `decision`, `input`, `explain`"
                )));
            }
        }
    }
    Ok(explain)
}

fn bad_options(message: &str) -> ErrorDetail {
    malformed(&format!("bad decision options: {message}"))
}

/// How serde_json names a value of the wrong type (`null`, `string "a"`, `map`, …).
fn unexpected(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "null".to_owned(),
        serde_json::Value::Bool(b) => format!("boolean `{b}`"),
        serde_json::Value::Number(_) => "number".to_owned(),
        serde_json::Value::String(s) => format!("string {s:?}"),
        serde_json::Value::Array(_) => "sequence".to_owned(),
        serde_json::Value::Object(_) => "map".to_owned(),
    }
}

/// The errors of a failure answer as the core wrote them (`code`, `message`, and `help`
/// and `path` when present); `None` when they are not of that shape.
fn error_details(errors: &serde_json::Value) -> Option<Vec<ErrorDetail>> {
    let text = |e: &serde_json::Value, key: &str| -> Option<Option<String>> {
        match e.get(key) {
            None | Some(serde_json::Value::Null) => Some(None),
            Some(serde_json::Value::String(s)) => Some(Some(s.clone())),
            Some(_) => None,
        }
    };
    errors
        .as_array()?
        .iter()
        .map(|e| {
            Some(ErrorDetail {
                code: text(e, "code")??,
                message: text(e, "message")??,
                help: text(e, "help")?,
                path: text(e, "path")?,
            })
        })
        .collect()
}

/// A success answer as an object parsed from its canonical JSON; a failure as a thrown
/// `Error` with the first error's fields and every error in `errors`.
fn answer_to_js(answer: &serde_json::Value) -> Result<JsValue, JsValue> {
    if answer.get("type").and_then(serde_json::Value::as_str) != Some("failure") {
        return js_sys::JSON::parse(&canonical::to_string(answer));
    }
    let errors = answer.get("errors").map(error_details);
    match errors {
        Some(Some(errors)) => match errors.first() {
            Some(first) => Err(js_error(first, Some(&errors))),
            None => Err(js_error(&malformed("the failure has no errors"), None)),
        },
        Some(None) => Err(js_error(
            &malformed("the failure's errors are not `{ code, message, help?, path? }` objects"),
            None,
        )),
        None => Err(js_error(&malformed("the failure has no errors"), None)),
    }
}

fn malformed(message: &str) -> ErrorDetail {
    ErrorDetail::new("malformed-request", message)
}

/// A JS `Error` whose message is the detail, with `code`, `detail`, `path` and `help`
/// fields (absent ones `undefined`) and, when given, every error as `errors`.
fn js_error(e: &ErrorDetail, all: Option<&[ErrorDetail]>) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    error.set_name("CpmError");
    let fields = [
        ("code", Some(e.code.as_str())),
        ("detail", Some(e.message.as_str())),
        ("path", e.path.as_deref()),
        ("help", e.help.as_deref()),
    ];
    for (key, value) in fields {
        let value = value.map_or(JsValue::UNDEFINED, JsValue::from_str);
        let _ = js_sys::Reflect::set(&error, &key.into(), &value);
    }
    if let Some(all) = all {
        // As the failure answer writes them: canonical JSON, parsed.
        let list = serde_json::to_value(all)
            .map_err(|_| JsValue::UNDEFINED)
            .and_then(|list| js_sys::JSON::parse(&canonical::to_string(&list)));
        if let Ok(list) = list {
            let _ = js_sys::Reflect::set(&error, &"errors".into(), &list);
        }
    }
    error.into()
}

/// JSON data from a JS value (`undefined` and `null` are JSON null); `what` names the
/// value in the error message.
fn from_js(value: JsValue, what: &str) -> Result<serde_json::Value, ErrorDetail> {
    JS_VALUE
        .read(serde_wasm_bindgen::Deserializer::from(value))
        .map_err(|e| malformed(&format!("the {what} is not JSON data: {e}")))
}

/// The most levels a JS value may nest before it is refused as `malformed-request` (as
/// JSON text is: `serde_json` stops at 128). It only guards the reader's stack and catches
/// cyclic objects; the core's input limits (`input-too-large`, 64 levels) apply after it, so
/// a JS object and the same JSON text get the same error.
const MAX_JS_DEPTH: usize = 128;

/// How JS values become JSON: numbers as `String(x)` writes them, nesting no deeper than
/// [`MAX_JS_DEPTH`].
const JS_VALUE: JsonData = JsonData {
    expecting: EXPECTING,
    floats: FloatText::JavaScript,
    max_depth: Some(MAX_JS_DEPTH),
    refuse,
};

const EXPECTING: &str = "JSON data (null, boolean, number, string, array or object)";

/// The message for a JS value that is not JSON data (the path is not part of it: the
/// messages name the value).
fn refuse(refusal: &Refusal, _at: &str) -> String {
    match refusal {
        Refusal::TooDeep(max) => format!("it nests deeper than {max} levels"),
        Refusal::NonFinite(v) => format!("`{v}` is not a finite number"),
        Refusal::BadNumber(text, e) => format!("number `{text}`: {e}"),
        Refusal::Bytes => format!("invalid type: byte array, expected {EXPECTING}"),
        Refusal::Extension => format!("invalid type: newtype struct, expected {EXPECTING}"),
        Refusal::NonStringKey => "a map key is not a string".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What the derived reader of `DecideRequest` gives for these options (the reader
    /// `request` replaces).
    fn derived(
        name: &str,
        input: &serde_json::Value,
        options: serde_json::Value,
    ) -> Result<(String, serde_json::Value, bool), ErrorDetail> {
        let mut map = match options {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        map.insert("decision".into(), name.into());
        let mut request: DecideRequest = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| malformed(&format!("bad decision options: {e}")))?;
        request.input = input.clone();
        Ok((request.decision, request.input, request.explain))
    }

    #[test]
    fn options_are_read_as_the_derived_reader_read_them() {
        let input = json!({ "Order Total": 620 });
        let cases = [
            json!(null),
            json!({}),
            json!({ "explain": true }),
            json!({ "explain": false }),
            json!({ "explain": null }),
            json!({ "explain": 0 }),
            json!({ "explain": 1.5 }),
            json!({ "explain": "yes" }),
            json!({ "explain": "quote \" and \\ and \n and \u{7f} and \u{301}" }),
            json!({ "explain": [true] }),
            json!({ "explain": { "a": 1 } }),
            json!({ "explian": true }),
            json!({ "explain": false, "x`y": 1 }),
            json!({ "x": 1, "explain": "no" }),
            json!({ "explain": "no", "x": 1 }),
            json!({ "decision": 5, "explain": false }),
            json!({ "input": { "a": [1, 2] }, "explain": false }),
            json!({ "": 1 }),
        ];
        for options in cases {
            let ours = request("Discount", input.clone(), &options)
                .map(|r| (r.decision, r.input, r.explain));
            assert_eq!(
                ours,
                derived("Discount", &input, options.clone()),
                "options {options}"
            );
        }
        let not_object = request("Discount", input, &json!([1])).unwrap_err();
        assert_eq!(not_object.code, "malformed-request");
    }

    #[test]
    fn failure_errors_are_read_as_the_derived_reader_read_them() {
        let failure = api::failure(vec![
            ErrorDetail::new("input-type", "input `A` must be a number"),
            ErrorDetail {
                code: "unknown-decision".into(),
                message: "unknown decision `X`".into(),
                help: Some("use `Y`".into()),
                path: Some("A.b".into()),
            },
        ]);
        let errors = failure.get("errors").unwrap();
        let derived: Vec<ErrorDetail> = serde_json::from_value(errors.clone()).unwrap();
        assert_eq!(error_details(errors).unwrap(), derived);
        assert_eq!(error_details(&json!([{ "code": 1, "message": "m" }])), None);
        assert_eq!(error_details(&json!({})), None);
    }
}
