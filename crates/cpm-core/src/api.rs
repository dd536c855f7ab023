//! The one serializable boundary every adapter calls (CLI, edge component, browser package).
//!
//! Pipeline position: last. Each operation takes a request and returns an answer tagged
//! `"type": "success" | "failure"`; each has a `_json_str` twin taking and returning JSON
//! text. Answers are written as canonical JSON (see [`crate::canonical`]) so every target
//! gives byte-identical output for the same bundle and request. The process operations
//! (intake, cases, events, tasks, KPIs) are in [`process`] and re-exported here.

pub mod console;
pub mod process;

use serde::{Deserialize, Serialize};

pub use console::{FeelKind, FeelProblem, check_feel, test_failures, test_report};
pub use process::{
    ApplyEventRequest, IntakeRequest, KpisRequest, ReplayRequest, StartCaseRequest, TasksRequest,
    apply_error_details, apply_event, apply_event_json_str, case_json, intake, intake_json_str,
    kpis, kpis_json_str, replay, replay_json_str, start_case, start_case_json_str, tasks,
    tasks_json_str,
};

use crate::bundle::{self, Bundle, BundleError};
use crate::canonical;
use crate::compile::{self, Diagnostic, SourceText};
use crate::decide::{DecideError, Decided, Engine, Options};
use crate::feel::eval::Limits;
use crate::value::json;

/// A request to evaluate one decision.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// The decision's name.
    pub decision: String,
    /// Input data by name (missing inputs are null).
    #[serde(default)]
    pub input: serde_json::Value,
    /// Whether to include the explanation (default true).
    #[serde(default = "yes")]
    pub explain: bool,
}

fn yes() -> bool {
    true
}

/// An error at the boundary: a stable code, a message a person can act on, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable kebab-case code; tests in every language assert on it.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The failing input path (`Customer.age`), for input errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ErrorDetail {
    /// An error with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            help: None,
            path: None,
        }
    }
}

impl From<&DecideError> for ErrorDetail {
    fn from(e: &DecideError) -> Self {
        Self {
            code: e.code().to_owned(),
            message: e.to_string(),
            help: None,
            path: e.path().map(str::to_owned),
        }
    }
}

impl From<&BundleError> for ErrorDetail {
    fn from(e: &BundleError) -> Self {
        Self::new("bad-bundle", e.to_string())
    }
}

/// Evaluates a decision and returns the answer as a JSON value (write it with
/// [`canonical::to_string`]). The input is first held to the input limits
/// ([`crate::decide::input::check_limits`]: `input-too-large`).
pub fn decide(engine: &Engine, request: &DecideRequest, limits: Limits) -> serde_json::Value {
    match decided(engine, request, limits) {
        Ok(decided) => {
            let mut obj = serde_json::Map::new();
            obj.insert("type".into(), "success".into());
            obj.insert("decision".into(), request.decision.clone().into());
            obj.insert("output".into(), json::to_json(&decided.output));
            obj.insert("bundleHash".into(), engine.hash().into());
            if request.explain {
                let decisions: Vec<serde_json::Value> =
                    decided.trace.iter().map(|t| t.to_json()).collect();
                let mut explanation = serde_json::Map::new();
                explanation.insert("decisions".into(), decisions.into());
                obj.insert("explanation".into(), explanation.into());
            }
            serde_json::Value::Object(obj)
        }
        Err(e) => failure(vec![e]),
    }
}

/// The decision a request asks for, or the one error of its failure answer; the input is
/// held to the input limits first.
fn decided(
    engine: &Engine,
    request: &DecideRequest,
    limits: Limits,
) -> Result<Decided, ErrorDetail> {
    let options = Options {
        explain: request.explain,
        limits,
    };
    // The request boundary: input over a limit is refused before anything is converted.
    crate::decide::input::check_limits(&request.input).map_err(|e| ErrorDetail::from(&e))?;
    engine
        .decide(&request.decision, &request.input, &options)
        .map_err(|e| ErrorDetail::from(&e))
}

/// [`decide`] written straight to its canonical JSON text: exactly
/// `canonical::to_string(&decide(engine, request, limits))`, without building the answer
/// as a JSON value first (the output is written from the FEEL value). The adapters that
/// answer with text (the browser package, `decideJson`) use it.
pub fn decide_text(engine: &Engine, request: &DecideRequest, limits: Limits) -> String {
    decide_success_text(engine, request, limits)
        .unwrap_or_else(|e| canonical::to_string(&failure(vec![e])))
}

/// [`decide_text`] when the decision was made; otherwise the one error of the failure
/// answer, for adapters that raise it rather than return it.
///
/// # Errors
/// The request's error, as [`decide`] reports it in its failure answer.
pub fn decide_success_text(
    engine: &Engine,
    request: &DecideRequest,
    limits: Limits,
) -> Result<String, ErrorDetail> {
    decide_success_body_text(engine, request, limits)
        .map(|body| whole_text(engine, &request.decision, &body))
}

/// [`decide_success_text`] for input data given as JSON text, read straight into the
/// decision's scope ([`Engine::decide_json_text`]). `None` when the text needs the general
/// path: parse it and call [`decide_success_text`], which answers the same or gives the
/// precise error.
pub fn decide_input_text(
    engine: &Engine,
    decision: &str,
    input_json: &str,
    explain: bool,
    limits: Limits,
) -> Option<Result<String, ErrorDetail>> {
    decide_input_body_text(engine, decision, input_json, explain, limits)
        .map(|answer| answer.map(|body| whole_text(engine, decision, &body)))
}

/// [`decide_input_text`] without the success answer's two constant members: the canonical
/// text of its **body**, `{"explanation":…,"output":…,"type":"success"}` (no explanation
/// unless asked for). The whole answer is the body's members after `bundleHash` (the
/// engine's hash, [`Engine::hash`]) and `decision` (`decision` as given), in that order:
/// an adapter that keeps the hash can build the answer without reading those two again on
/// every call (the browser package does). Declines (`None`) and errors exactly as
/// [`decide_input_text`].
pub fn decide_input_body_text(
    engine: &Engine,
    decision: &str,
    input_json: &str,
    explain: bool,
    limits: Limits,
) -> Option<Result<String, ErrorDetail>> {
    let options = Options { explain, limits };
    let decided = engine.decide_json_text(decision, input_json, &options)?;
    Some(
        decided
            .map(|decided| success_body_text(explain, &decided))
            .map_err(|e| ErrorDetail::from(&e)),
    )
}

/// [`decide_success_text`]'s body (see [`decide_input_body_text`]): the general path of
/// that function, for input already read as a JSON value.
///
/// # Errors
/// As [`decide_success_text`].
pub fn decide_success_body_text(
    engine: &Engine,
    request: &DecideRequest,
    limits: Limits,
) -> Result<String, ErrorDetail> {
    let decided = decided(engine, request, limits)?;
    Ok(success_body_text(request.explain, &decided))
}

/// The canonical text of a success answer (keys in code point order, as the canonical
/// form sorts them) from its body: `bundleHash` and `decision`, then the body's members.
fn whole_text(engine: &Engine, decision: &str, body: &str) -> String {
    // Room for the envelope and the hash: one allocation for most answers.
    let mut out = String::with_capacity(body.len() + decision.len() + 96);
    out.push_str("{\"bundleHash\":");
    canonical::write_string(engine.hash(), &mut out);
    out.push_str(",\"decision\":");
    canonical::write_string(decision, &mut out);
    out.push(',');
    out.push_str(body.strip_prefix('{').unwrap_or(body));
    out
}

/// The canonical text of a success answer's body (see [`decide_input_body_text`]):
/// `{"explanation":…,"output":…,"type":"success"}`, no explanation unless asked for.
fn success_body_text(explain: bool, decided: &Decided) -> String {
    // Room for a small output: one allocation for most answers.
    let mut out = String::with_capacity(128);
    out.push('{');
    if explain {
        out.push_str("\"explanation\":{\"decisions\":[");
        for (i, trace) in decided.trace.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            canonical::write_to(&trace.to_json(), &mut out);
        }
        out.push_str("]},");
    }
    out.push_str("\"output\":");
    json::write_canonical(&mut out, &decided.output);
    out.push_str(",\"type\":\"success\"}");
    out
}

/// [`decide`] on JSON text: parses the request, answers with canonical JSON text.
pub fn decide_json_str(engine: &Engine, request: &str) -> String {
    match serde_json::from_str::<DecideRequest>(request) {
        Ok(req) => decide_text(engine, &req, Limits::default()),
        Err(e) => canonical::to_string(&failure(vec![ErrorDetail::new(
            "malformed-request",
            format!("the request is not valid JSON of the expected shape: {e}"),
        )])),
    }
}

/// A failure answer.
pub fn failure(errors: Vec<ErrorDetail>) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("type".into(), "failure".into());
    obj.insert(
        "errors".into(),
        serde_json::to_value(errors).unwrap_or(serde_json::Value::Null),
    );
    serde_json::Value::Object(obj)
}

/// The outcome of a build.
#[derive(Clone, Debug)]
pub enum BuildAnswer {
    /// The bundle was built.
    Success {
        /// The bundle.
        bundle: Bundle,
        /// Warnings.
        warnings: Vec<Diagnostic>,
    },
    /// The build failed.
    Failure {
        /// Every error.
        errors: Vec<Diagnostic>,
        /// Warnings.
        warnings: Vec<Diagnostic>,
    },
}

/// Compiles source files into a bundle.
pub fn build(files: &[SourceText]) -> BuildAnswer {
    match compile::compile(files) {
        Ok(compiled) => match Bundle::new(compiled.program) {
            Ok(bundle) => BuildAnswer::Success {
                bundle,
                warnings: compiled.warnings,
            },
            Err(e) => BuildAnswer::Failure {
                errors: vec![Diagnostic::error("bad-bundle", e.to_string(), None)],
                warnings: compiled.warnings,
            },
        },
        Err(e) => BuildAnswer::Failure {
            errors: e.errors,
            warnings: e.warnings,
        },
    }
}

/// Loads an engine from bundle bytes.
///
/// # Errors
/// The bundle cannot be read (see [`BundleError`]).
pub fn load(bytes: &[u8]) -> Result<Engine, BundleError> {
    bundle::decode(bytes).map(Engine::new)
}

/// Loads an engine that answers decision requests only: the bundle's processes and
/// templates are skipped ([`bundle::decode_decisions`]); process operations on it fail with
/// `decisions-only`. Decisions answer exactly as from [`load`].
///
/// # Errors
/// The bundle cannot be read (see [`BundleError`]).
pub fn load_decisions(bytes: &[u8]) -> Result<Engine, BundleError> {
    bundle::decode_decisions(bytes).map(Engine::new)
}

/// The decisions of a bundle: name, model, inputs with types, declared output type — as a
/// JSON value, sorted by decision name.
pub fn describe(engine: &Engine) -> serde_json::Value {
    let decisions: Vec<serde_json::Value> = engine
        .decisions()
        .map(|(model, decision)| {
            let reads: Vec<serde_json::Value> = decision
                .reads
                .iter()
                .filter_map(|&i| model.inputs.get(i as usize))
                .map(|input| {
                    let mut o = serde_json::Map::new();
                    o.insert("name".into(), input.name.clone().into());
                    o.insert("type".into(), input.ty.to_string().into());
                    serde_json::Value::Object(o)
                })
                .collect();
            let mut o = serde_json::Map::new();
            o.insert("name".into(), decision.name.clone().into());
            o.insert("model".into(), model.name.clone().into());
            o.insert("inputs".into(), reads.into());
            o.insert(
                "type".into(),
                decision
                    .ty
                    .as_ref()
                    .map_or(serde_json::Value::Null, |t| t.to_string().into()),
            );
            o.insert(
                "kind".into(),
                match decision.body {
                    crate::ir::Body::Expr(_) => "expression",
                    crate::ir::Body::Table(_) => "table",
                    crate::ir::Body::Context { .. } => "context",
                }
                .into(),
            );
            serde_json::Value::Object(o)
        })
        .collect();
    let mut obj = serde_json::Map::new();
    obj.insert("bundleHash".into(), engine.hash().into());
    obj.insert("decisions".into(), decisions.into());
    serde_json::Value::Object(obj)
}

/// The outcome of one test case carried by a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    /// The model.
    pub model: String,
    /// The test case's name.
    pub name: String,
    /// One check per expected decision: name, expected and actual canonical JSON.
    pub checks: Vec<TestCheck>,
}

/// One expected decision value in a test case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCheck {
    /// The decision.
    pub decision: String,
    /// Expected canonical JSON.
    pub expected: String,
    /// Actual canonical JSON, or the error (code and message) that stopped evaluation.
    pub actual: Result<String, ErrorDetail>,
}

impl TestCheck {
    /// Whether the actual value equals the expected one.
    pub fn passed(&self) -> bool {
        self.actual.as_ref().is_ok_and(|a| *a == self.expected)
    }
}

impl TestOutcome {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(TestCheck::passed)
    }
}

/// Runs every test case the bundle's models carry.
pub fn run_tests(engine: &Engine, limits: Limits) -> Vec<TestOutcome> {
    let options = Options {
        explain: false,
        limits,
    };
    let mut out = Vec::new();
    for model in &engine.bundle().program.models {
        for case in &model.tests {
            let input: serde_json::Value =
                serde_json::from_str(&case.input).unwrap_or(serde_json::Value::Null);
            let checks = case
                .expect
                .iter()
                .map(|(decision, expected)| TestCheck {
                    decision: decision.clone(),
                    expected: expected.clone(),
                    actual: engine
                        .decide(decision, &input, &options)
                        .map(|d| json::to_canonical_json(&d.output))
                        .map_err(|e| ErrorDetail::from(&e)),
                })
                .collect();
            out.push(TestOutcome {
                model: model.name.clone(),
                name: case.name.clone(),
                checks,
            });
        }
    }
    out
}
