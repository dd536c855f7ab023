//! The parts of the engine that only the full build (cargo feature `full`, the default)
//! carries: process operations, the bundle's own tests, FEEL syntax checks and the compiler
//! behind `build()`.
//!
//! Pipeline position: beside `lib.rs`, in the same adapter layer after `cpm_core::api`. The
//! decisions-only build (`--no-default-features`, the npm entry `@cpm/engine/decide`) leaves
//! this module out, so the linker drops the compiler, processes and templates from its wasm.

use cpm_core::api::{self, BuildAnswer, ErrorDetail};
use cpm_core::canonical;
use cpm_core::compile::SourceText;
use cpm_core::feel::eval::Limits;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::{Engine, answer_to_js, from_js, js_error, malformed};

#[wasm_bindgen]
impl Engine {
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

/// Runs a `_json_str` operation on a request object and returns its answer as an object.
fn call(request: JsValue, op: impl FnOnce(&str) -> String) -> Result<JsValue, JsValue> {
    let request = from_js(request, "request").map_err(|e| js_error(&e, None))?;
    let text = op(&request.to_string());
    let answer = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| js_error(&malformed(&e.to_string()), None))?;
    answer_to_js(&answer)
}
