//! The fuzz targets' bodies, as plain functions of the input bytes: `fuzz_targets/*.rs` hand
//! them to libFuzzer (`scripts/fuzz`), and `tests/regressions.rs` runs every committed seed and
//! every past crash through them on each `cargo test`.
//!
//! Each function must return normally for any input; a panic is a bug (libFuzzer reports it
//! as a crash and saves the input under `fuzz/artifacts/`).
#![allow(
    clippy::panic,
    reason = "a panic is how a fuzz target reports a broken invariant to libFuzzer"
)]

use std::path::Path;
use std::sync::OnceLock;

use cpm_core::api::{self, BuildAnswer, process};
use cpm_core::bundle::{self, FORMAT_VERSION, MAGIC};
use cpm_core::compile::SourceText;
use cpm_core::decide::{Engine, Options};
use cpm_core::feel::eval::Limits;
use cpm_core::feel::names::Names;
use cpm_core::feel::parser;
use sha2::{Digest, Sha256};

/// A fuzz target: runs one input, panics on a broken invariant.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, as `scripts/fuzz` and the regression test know them.
pub const TARGETS: [(&str, Target); 6] = [
    ("feel_expression", feel_expression),
    ("source_load", source_load),
    ("dmn_import", dmn_import),
    ("bundle_decode", bundle_decode),
    ("decide_request", decide_request),
    ("case_events", case_events),
];

/// FEEL text: the expression, unary-test and type parsers must return a value or a
/// syntax error for any text; an expression that parses is compiled into a decision and
/// evaluated on small budgets.
pub fn feel_expression(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut names = Names::new();
    names.insert("Order Total");
    names.insert("x");
    let _ = parser::parse_unary_tests(text, &names);
    let _ = parser::parse_type_ref(text);
    if parser::parse_expression(text, &names).is_err() {
        return;
    }
    let model = serde_json::json!({
        "model": "fuzz",
        "inputs": [{ "name": "Order Total", "type": "number" }, { "name": "x" }],
        "decisions": [{ "name": "D", "expression": text }],
    });
    let files = [SourceText {
        path: "fuzz.json".to_owned(),
        text: model.to_string(),
    }];
    if let BuildAnswer::Success { bundle, .. } = api::build(&files) {
        let engine = Engine::new(bundle);
        let input = serde_json::json!({ "Order Total": 120, "x": [1, "a", null, { "b": true }] });
        let _ = engine.decide("D", &input, &options());
    }
}

/// Source files (YAML and JSON models, processes, templates): loading and compiling any
/// text gives a model or located diagnostics; what builds encodes, decodes to the same
/// program and runs its own test cases on small budgets.
pub fn source_load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line may name the file, so the corpus can hold JSON and templates too.
    let (path, body) = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("#path ") => {
            (first.trim_start_matches("#path ").trim(), rest)
        }
        _ => ("fuzz.yaml", text),
    };
    if !cpm_core::source::is_source_file_name(path) {
        return;
    }
    let _ = cpm_core::source::load(path, body);
    build_and_run(path, body);
}

/// DMN XML: importing any text gives a model or located diagnostics, never a panic; what
/// imports is compiled and its test cases run on small budgets.
pub fn dmn_import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if cpm_core::dmn::load("fuzz.dmn", text).is_ok() {
        build_and_run("fuzz.dmn", text);
    }
}

/// Bundle bytes: decoding any bytes gives a bundle or a [`bundle::BundleError`], never a panic or an
/// unbounded allocation. The first byte picks the mode: as they are (header checks), or as
/// a payload framed with a correct header and hash (so the MessagePack decoder itself is
/// fuzzed; a random payload cannot pass a SHA-256 check otherwise). A bundle that decodes
/// is described and its test cases run.
pub fn bundle_decode(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut framed = Vec::with_capacity(40 + rest.len());
        framed.extend_from_slice(MAGIC);
        framed.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
        framed.extend_from_slice(&Sha256::digest(rest));
        framed.extend_from_slice(rest);
        framed
    };
    if let Ok(decoded) = bundle::decode(&bytes) {
        let engine = Engine::new(decoded);
        let _ = api::describe(&engine);
        let _ = api::run_tests(&engine, limits());
    }
}

/// Decision requests at the boundary every adapter uses: any text gets a success or a
/// failure document from the example rules, on the default budgets.
pub fn decide_request(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let answer = api::decide_json_str(example_engine(), text);
    if serde_json::from_str::<serde_json::Value>(&answer).is_err() {
        panic!("the boundary answered with invalid JSON: {answer}");
    }
}

/// Process requests at the boundary (intake, start a case, apply an event, replay,
/// worklists, KPIs) against the example processes: any text gets a success or a failure
/// document. The first byte picks the operation.
pub fn case_events(data: &[u8]) {
    let Some((&op, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let engine = example_engine();
    let answer = match op % 6 {
        0 => process::intake_json_str(engine, text),
        1 => process::start_case_json_str(engine, text),
        2 => process::apply_event_json_str(engine, text),
        3 => process::replay_json_str(engine, text),
        4 => process::tasks_json_str(text),
        _ => process::kpis_json_str(text),
    };
    if serde_json::from_str::<serde_json::Value>(&answer).is_err() {
        panic!("the boundary answered with invalid JSON: {answer}");
    }
}

/// Budgets small enough that every fuzz input finishes quickly, large enough to run the
/// example rules.
fn limits() -> Limits {
    Limits {
        fuel: 200_000,
        ..Limits::default()
    }
}

/// Evaluation options with [`limits`] and explanations on (more code to exercise).
fn options() -> Options {
    Options {
        explain: true,
        limits: limits(),
    }
}

/// The engine of `examples/customer`, built once.
fn example_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/customer");
        let files = match cpm_files::read_rules(&root) {
            Ok(files) => files,
            Err(e) => panic!("the fuzz targets need the example rules: {e}"),
        };
        match api::build(&files) {
            BuildAnswer::Success { bundle, .. } => Engine::new(bundle),
            BuildAnswer::Failure { errors, .. } => {
                panic!("the example rules do not build: {errors:?}")
            }
        }
    })
}

/// Compiles one source file; when it builds, runs its test cases on small budgets and
/// round-trips the bundle through its bytes.
fn build_and_run(path: &str, text: &str) {
    let files = [SourceText {
        path: path.to_owned(),
        text: text.to_owned(),
    }];
    if let BuildAnswer::Success { bundle, .. } = api::build(&files) {
        let bytes = match bundle.encode() {
            Ok(bytes) => bytes,
            Err(e) => panic!("a built bundle must encode: {e}"),
        };
        match bundle::decode(&bytes) {
            Ok(decoded) if decoded == bundle => {}
            Ok(_) => panic!("a bundle decodes to another program"),
            Err(e) => panic!("a bundle this build wrote does not decode: {e}"),
        }
        let engine = Engine::new(bundle);
        let _ = api::run_tests(&engine, limits());
    }
}
