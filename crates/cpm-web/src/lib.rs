//! The cpm engine for browsers and Node: `cpm_core::api` through wasm-bindgen.
//!
//! Pipeline position: an adapter after `api`, like the CLI and the edge component. It
//! converts values and errors and makes no decision of its own. The npm package in `js/`
//! wraps the generated glue.
//!
//! Every operation of the boundary is here twice: taking and giving JS objects
//! ([`Engine::decide`], [`Engine::start_case`], …) and taking and giving JSON text
//! ([`Engine::decide_json`], [`Engine::start_case_json`], …).
//!
//! Numbers stay exact decimals: answers cross as canonical JSON text or as objects parsed
//! from that same text;
//! a JS number in an input object becomes the shortest decimal that reads back as the
//! same double (what `String(0.1)` gives), so inputs needing more than 15 significant
//! digits must be passed as JSON text. Failures become JS `Error` objects with `code`,
//! `detail`, `path` and `help` fields, in the vocabulary of the core's error codes.

use cpm_core::api::{self, BuildAnswer, DecideRequest, ErrorDetail};
use cpm_core::canonical;
use cpm_core::compile::SourceText;
use cpm_core::feel::eval::Limits;
use cpm_core::value::json_data::{FloatText, JsonData, Refusal};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// A loaded bundle, ready to answer decision requests and run process operations.
#[wasm_bindgen]
pub struct Engine {
    inner: cpm_core::decide::Engine,
}

#[wasm_bindgen]
impl Engine {
    /// Loads an engine from bundle bytes (as written by `cpm build` or [`build`]).
    ///
    /// # Errors
    /// An `Error` with `code: "bad-bundle"` when the bytes are not a readable bundle.
    pub fn load(bytes: &[u8]) -> Result<Engine, JsValue> {
        api::load(bytes)
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
    /// read by the package from options that hold nothing else. Answers and throws exactly
    /// as [`Engine::decide`]; it is only faster: one string crosses each way and the answer
    /// is written as text from the decision's value.
    ///
    /// # Errors
    /// As [`Engine::decide`].
    #[wasm_bindgen(js_name = decideText)]
    pub fn decide_text(
        &self,
        name: &str,
        input_json: &str,
        explain: bool,
    ) -> Result<JsValue, JsValue> {
        let answer = self
            .text_answer(name, input_json, explain)
            .unwrap_or_else(|| {
                parse_input(input_json).and_then(|input| {
                    let request = DecideRequest {
                        decision: name.to_owned(),
                        input,
                        explain,
                    };
                    api::decide_success_text(&self.inner, &request, Limits::default())
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
        let explain = options
            .as_ref()
            .ok()
            .and_then(|o| request(name, serde_json::Value::Null, o.clone()).ok())
            .map(|r| r.explain);
        if let Some(answer) = explain.and_then(|e| self.text_answer(name, input_json, e)) {
            return answer.unwrap_or_else(|e| canonical::to_string(&api::failure(vec![e])));
        }
        let request = parse_input(input_json).and_then(|input| request(name, input, options?));
        match request {
            Ok(request) => api::decide_text(&self.inner, &request, Limits::default()),
            Err(e) => canonical::to_string(&api::failure(vec![e])),
        }
    }

    /// The processes a contact starts: `request` is `{ contact }` (see `docs/processes.md`).
    ///
    /// # Errors
    /// An `Error` with the first failure's `code`, `detail` and `path`, every failure in
    /// `errors`.
    pub fn intake(&self, request: JsValue) -> Result<JsValue, JsValue> {
        call(request, |r| api::intake_json_str(&self.inner, r))
    }

    /// [`Engine::intake`] on JSON text, answering canonical JSON text.
    #[wasm_bindgen(js_name = intakeJson)]
    pub fn intake_json(&self, request: &str) -> String {
        api::intake_json_str(&self.inner, request)
    }

    /// Starts a case: `request` is `{ process, key, now, data?, contact?, id? }`.
    ///
    /// # Errors
    /// As [`Engine::intake`]; a data problem gives one error per field, each with its `path`.
    #[wasm_bindgen(js_name = startCase)]
    pub fn start_case(&self, request: JsValue) -> Result<JsValue, JsValue> {
        call(request, |r| api::start_case_json_str(&self.inner, r))
    }

    /// [`Engine::start_case`] on JSON text, answering canonical JSON text.
    #[wasm_bindgen(js_name = startCaseJson)]
    pub fn start_case_json(&self, request: &str) -> String {
        api::start_case_json_str(&self.inner, request)
    }

    /// Applies an event to a case: `request` is `{ case, event, now }`.
    ///
    /// # Errors
    /// As [`Engine::intake`].
    #[wasm_bindgen(js_name = applyEvent)]
    pub fn apply_event(&self, request: JsValue) -> Result<JsValue, JsValue> {
        call(request, |r| api::apply_event_json_str(&self.inner, r))
    }

    /// [`Engine::apply_event`] on JSON text, answering canonical JSON text.
    #[wasm_bindgen(js_name = applyEventJson)]
    pub fn apply_event_json(&self, request: &str) -> String {
        api::apply_event_json_str(&self.inner, request)
    }

    /// Rebuilds a case from its events: `request` is `{ events, now? }`.
    ///
    /// # Errors
    /// As [`Engine::intake`].
    pub fn replay(&self, request: JsValue) -> Result<JsValue, JsValue> {
        call(request, |r| api::replay_json_str(&self.inner, r))
    }

    /// [`Engine::replay`] on JSON text, answering canonical JSON text.
    #[wasm_bindgen(js_name = replayJson)]
    pub fn replay_json(&self, request: &str) -> String {
        api::replay_json_str(&self.inner, request)
    }

    /// The bundle's decisions: `{ bundleHash, decisions: [{ name, model, kind, type,
    /// inputs: [{ name, type }] }] }`, sorted by name.
    ///
    /// # Errors
    /// None in practice: the description is always valid JSON.
    pub fn decisions(&self) -> Result<JsValue, JsValue> {
        js_sys::JSON::parse(&canonical::to_string(&api::describe(&self.inner)))
    }

    /// Runs every test case the bundle carries: `{ bundleHash, passed, failed, tests:
    /// [{ model, test, input, passed, checks: [{ decision, expected, actual | error,
    /// passed }] }] }` (see `cpm_core::api::test_report`).
    ///
    /// # Errors
    /// None in practice: the report is always valid JSON.
    #[wasm_bindgen(js_name = runTests)]
    pub fn run_tests(&self) -> Result<JsValue, JsValue> {
        let report = api::test_report(&self.inner, Limits::default());
        js_sys::JSON::parse(&canonical::to_string(&report))
    }
}

/// Options of [`check_feel`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckOptions {
    kind: api::FeelKind,
    #[serde(default)]
    names: Vec<String>,
}

/// Checks the syntax of one FEEL text: `options` is `{ kind: "unary-tests" | "expression",
/// names?: string[] }` (`names`: the multi-word names the text may use). Returns `[]` or
/// the problems `[{ code: "feel-syntax", message, line, column, start, end }]`.
///
/// # Errors
/// An `Error` with `code: "malformed-request"` when `options` is not of that shape.
#[wasm_bindgen(js_name = checkFeel)]
pub fn check_feel(text: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let options: CheckOptions = serde_wasm_bindgen::from_value(options).map_err(|e| {
        js_error(
            &malformed(&format!(
                "`options` must be {{ kind: \"unary-tests\" | \"expression\", names?: string[] }}: {e}"
            )),
            None,
        )
    })?;
    let problems = api::check_feel(text, options.kind, &options.names);
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    problems
        .serialize(&serializer)
        .map_err(|e| js_error(&malformed(&e.to_string()), None))
}

/// The open tasks of some cases: `request` is `{ cases, now, queue? }`.
///
/// # Errors
/// An `Error` with the first failure's `code`, `detail` and `path`, every failure in `errors`.
#[wasm_bindgen]
pub fn tasks(request: JsValue) -> Result<JsValue, JsValue> {
    call(request, api::tasks_json_str)
}

/// [`tasks`] on JSON text, answering canonical JSON text.
#[wasm_bindgen(js_name = tasksJson)]
pub fn tasks_json(request: &str) -> String {
    api::tasks_json_str(request)
}

/// KPIs of some cases per process: `request` is `{ cases, now }`.
///
/// # Errors
/// As [`tasks`].
#[wasm_bindgen]
pub fn kpis(request: JsValue) -> Result<JsValue, JsValue> {
    call(request, api::kpis_json_str)
}

/// [`kpis`] on JSON text, answering canonical JSON text.
#[wasm_bindgen(js_name = kpisJson)]
pub fn kpis_json(request: &str) -> String {
    api::kpis_json_str(request)
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

/// One source file for [`build`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    path: String,
    text: String,
}

/// The outcome of [`build`], without the bundle bytes (added as a `Uint8Array`).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum BuildOut<'a> {
    Success {
        #[serde(rename = "bundleHash")]
        bundle_hash: &'a str,
        warnings: &'a [cpm_core::compile::Diagnostic],
    },
    Failure {
        errors: &'a [cpm_core::compile::Diagnostic],
        warnings: &'a [cpm_core::compile::Diagnostic],
    },
}

/// Compiles source files (`[{ path, text }]`, in the cpm source format) into a bundle.
/// Returns `{ type: "success", bundle: Uint8Array, bundleHash, warnings }` or
/// `{ type: "failure", errors, warnings }` with the build's diagnostics.
///
/// # Errors
/// An `Error` with `code: "malformed-request"` when `files` is not a list of
/// `{ path, text }` strings, or `bad-bundle` when the bundle cannot be written.
#[wasm_bindgen]
pub fn build(files: JsValue) -> Result<JsValue, JsValue> {
    let files: Vec<FileIn> = serde_wasm_bindgen::from_value(files).map_err(|e| {
        js_error(
            &malformed(&format!("`files` must be a list of {{ path, text }}: {e}")),
            None,
        )
    })?;
    let files: Vec<SourceText> = files
        .into_iter()
        .map(|f| SourceText {
            path: f.path,
            text: f.text,
        })
        .collect();
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let to_js = |out: BuildOut<'_>| {
        out.serialize(&serializer)
            .map_err(|e| js_error(&malformed(&e.to_string()), None))
    };
    match api::build(&files) {
        BuildAnswer::Success { bundle, warnings } => {
            let bytes = bundle
                .encode()
                .map_err(|e| js_error(&ErrorDetail::from(&e), None))?;
            let out = to_js(BuildOut::Success {
                bundle_hash: &bundle.hash,
                warnings: &warnings,
            })?;
            let array = js_sys::Uint8Array::from(bytes.as_slice());
            js_sys::Reflect::set(&out, &"bundle".into(), &array)?;
            Ok(out)
        }
        BuildAnswer::Failure { errors, warnings } => to_js(BuildOut::Failure {
            errors: &errors,
            warnings: &warnings,
        }),
    }
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
            .and_then(|input| request(name, input, from_js(options, "options")?))
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

/// The core's decide request: `options` with the decision's name and input (the core
/// supplies the defaults of absent options).
fn request(
    name: &str,
    input: serde_json::Value,
    options: serde_json::Value,
) -> Result<DecideRequest, ErrorDetail> {
    let mut map = match options {
        serde_json::Value::Object(map) => map,
        serde_json::Value::Null => serde_json::Map::new(),
        _ => {
            return Err(malformed(
                "`options` must be an object such as `{ explain: false }`",
            ));
        }
    };
    map.insert("decision".into(), name.into());
    // The input is set after reading the options: reading it through `from_value` would
    // rebuild every value of it.
    let mut request: DecideRequest = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| malformed(&format!("bad decision options: {e}")))?;
    request.input = input;
    Ok(request)
}

/// Runs a `_json_str` operation on a request object and returns its answer as an object.
fn call(request: JsValue, op: impl FnOnce(&str) -> String) -> Result<JsValue, JsValue> {
    let request = from_js(request, "request").map_err(|e| js_error(&e, None))?;
    let text = op(&request.to_string());
    let answer = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| js_error(&malformed(&e.to_string()), None))?;
    answer_to_js(&answer)
}

/// A success answer as an object parsed from its canonical JSON; a failure as a thrown
/// `Error` with the first error's fields and every error in `errors`.
fn answer_to_js(answer: &serde_json::Value) -> Result<JsValue, JsValue> {
    if answer.get("type").and_then(serde_json::Value::as_str) != Some("failure") {
        return js_sys::JSON::parse(&canonical::to_string(answer));
    }
    let errors = answer
        .get("errors")
        .map(|e| serde_json::from_value::<Vec<ErrorDetail>>(e.clone()));
    match errors {
        Some(Ok(errors)) => match errors.first() {
            Some(first) => Err(js_error(first, Some(&errors))),
            None => Err(js_error(&malformed("the failure has no errors"), None)),
        },
        Some(Err(e)) => Err(js_error(&malformed(&e.to_string()), None)),
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
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        if let Ok(list) = all.serialize(&serializer) {
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
