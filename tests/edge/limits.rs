//! Every limit at the HTTP boundary, just inside and just past it: the built component
//! served by the test host (`tests/host`) on 127.0.0.1.
//!
//! For each limit the request just inside it is answered 2xx and the one just past it gets a
//! 4xx problem document with the limit's code, whose text names no internal path and carries
//! no panic text. Limits enforced by cpm-core (input nesting, string and list length,
//! evaluation fuel and depth, template output) are found natively first where their boundary
//! depends on the rules, and the component must agree exactly.
//!
//! Each test prints `RELIABILITY limit=NAME inside=STATUS past=STATUS code=CODE` on stdout,
//! which `scripts/reliability-report` counts (run with `--nocapture`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed step is a failed test"
)]

#[allow(
    dead_code,
    reason = "the support module is shared with the decision and process tests"
)]
mod support;

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;
use cpm_core::decide::input::{MAX_INPUT_DEPTH, MAX_INPUT_LIST_ITEMS, MAX_INPUT_STRING_BYTES};
use cpm_core::decide::{Engine, Options};
use cpm_core::process::template::MAX_OUTPUT_BYTES;
use serde_json::{Value as Json, json};
use support::{Reply, Req, Server};

const PROBLEMS: &str = "https://cpm.dev/problems/";

/// `cpm_edge::service::MAX_BODY_BYTES` (the edge crate builds for wasm only).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The rules behind every decision limit.
const MODEL: &str = r#"
model: limits
inputs:
  - { name: N, type: number }
  - { name: Data }
  - { name: Text, type: string }
knowledge:
  - name: depth
    params: [{ name: n, type: number }]
    expression: if n = 0 then 0 else 1 + depth(n - 1)
decisions:
  - { name: Count, expression: count(Data) }
  - { name: Length, expression: string length(Text) }
  - { name: Range, expression: count(for i in 1..N return i) }
  - { name: Work, expression: 'sum(for i in 1..N return count(for j in 1..50000 return j))' }
  - { name: Recursion, expression: depth(N) }
"#;

/// A process that sends its `Text` as a letter, rendered by a template.
const PROCESS: &str = r#"
process: echo
data:
  - { name: Text, type: string }
steps:
  - id: tell
    send: { template: echo, to: '"someone@example.com"' }
    next: done
  - { id: done, end: { outcome: done } }
"#;

const TEMPLATE: &str = "template: echo\nsubject: 'echo'\nbody: '{{ data.Text }}'\n";

/// Builds `files` natively, on a thread with room for the unoptimised parser's frames
/// (about 17 KiB per nesting level; optimised builds need far less).
fn build(files: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect();
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || build_here(&files))
        .unwrap()
        .join()
        .unwrap()
}

fn build_here(files: &[(String, String)]) -> Result<Vec<u8>, String> {
    let files: Vec<SourceText> = files
        .iter()
        .map(|(path, text)| SourceText {
            path: path.clone(),
            text: text.clone(),
        })
        .collect();
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => Ok(bundle.encode().unwrap()),
        BuildAnswer::Failure { errors, .. } => Err(errors
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

fn bundle() -> Vec<u8> {
    build(&[
        ("limits.yaml", MODEL),
        ("echo.yaml", PROCESS),
        ("echo-template.yaml", TEMPLATE),
    ])
    .unwrap_or_else(|e| panic!("the limit rules do not build: {e}"))
}

fn native() -> Engine {
    api::load(&bundle()).unwrap()
}

/// Deciding `name` natively: Ok(output) or Err(code).
fn decide_natively(engine: &Engine, name: &str, input: &Json) -> Result<Json, String> {
    engine
        .decide(name, input, &Options::default())
        .map(|d| cpm_core::value::json::to_json(&d.output))
        .map_err(|e| e.code().to_owned())
}

/// Checks a problem reply: its status, its code, that its text leaks nothing internal.
fn assert_problem(reply: &Reply, status: u16, code: &str) -> Json {
    let text = reply.text();
    assert_eq!(reply.status, status, "{text}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{text}"
    );
    assert_no_leak(&text);
    let problem = reply.json();
    assert_eq!(problem["type"], format!("{PROBLEMS}{code}"), "{text}");
    assert_eq!(problem["status"], status, "{text}");
    problem
}

/// No internal path, source location or panic text in an answer.
fn assert_no_leak(text: &str) {
    for needle in [
        "panicked",
        "RUST_BACKTRACE",
        "backtrace",
        ".rs:",
        "/bundles",
        "/work/",
        "/tmp/",
        "/home/",
        "/root/",
        "src/",
        "wasm trap",
        "unreachable",
    ] {
        assert!(
            !text.to_lowercase().contains(&needle.to_lowercase()),
            "the answer leaks `{needle}`: {}",
            text.chars().take(500).collect::<String>()
        );
    }
}

fn report(limit: &str, inside: u16, past: u16, code: &str) {
    println!("RELIABILITY limit={limit} inside={inside} past={past} code={code}");
}

fn decide(server: &Server, name: &str, body: &str) -> Reply {
    server.send(&Req::post_json(
        &format!("/v1/decisions/{name}?explain=false"),
        body,
    ))
}

fn output(reply: &Reply) -> Json {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["output"].clone()
}

#[test]
fn request_body_size() {
    let server = Server::start(&bundle());
    // Exactly the limit: valid JSON padded with spaces.
    let mut body = r#"{"Data": [0]}"#.to_owned();
    body.push_str(&" ".repeat(MAX_BODY_BYTES - body.len()));
    assert_eq!(body.len(), MAX_BODY_BYTES);
    assert_eq!(output(&decide(&server, "Count", &body)), json!(1));
    // One byte more, announced by Content-Length: refused before it is read.
    body.push(' ');
    let past = decide(&server, "Count", &body);
    assert_problem(&past, 413, "body-too-large");
    // The same body without a Content-Length (chunked): refused while reading.
    let mut chunked = format!("{:x}\r\n", body.len()).into_bytes();
    chunked.extend_from_slice(body.as_bytes());
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let req = Req {
        body: chunked,
        ..Req::post_json("/v1/decisions/Count", "")
    }
    .header("transfer-encoding", "chunked");
    assert_problem(&server.send(&req), 413, "body-too-large");
    report("request-body-bytes", 200, 413, "body-too-large");
}

/// `{"Data": [[…[1]…]]}` with `levels` arrays under `Data`.
fn nested(levels: usize) -> String {
    format!(
        r#"{{"Data": {}1{}}}"#,
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

#[test]
fn json_nesting_depth() {
    let server = Server::start(&bundle());
    // The document is one level, so `Data` may hold MAX_INPUT_DEPTH - 1 levels of arrays.
    assert_eq!(
        output(&decide(&server, "Count", &nested(MAX_INPUT_DEPTH - 1))),
        json!(1)
    );
    let past = decide(&server, "Count", &nested(MAX_INPUT_DEPTH));
    let problem = assert_problem(&past, 422, "input-too-large");
    assert_eq!(
        problem["path"],
        format!("Data{}", "[0]".repeat(MAX_INPUT_DEPTH - 1))
    );
    // Far deeper: the JSON reader itself stops (at 128 levels), before any value is built.
    let far = decide(&server, "Count", &nested(100_000));
    assert_problem(&far, 400, "malformed-body");
    report("json-nesting-depth", 200, 422, "input-too-large");
}

#[test]
fn string_length() {
    let server = Server::start(&bundle());
    // The limit is in UTF-8 bytes: one two-byte character and ASCII up to the limit.
    let inside = format!("é{}", "a".repeat(MAX_INPUT_STRING_BYTES - 2));
    let body = json!({ "Text": inside }).to_string();
    assert_eq!(
        output(&decide(&server, "Length", &body)),
        json!(MAX_INPUT_STRING_BYTES - 1)
    );
    let body = json!({ "Text": format!("{inside}a") }).to_string();
    let problem = assert_problem(&decide(&server, "Length", &body), 422, "input-too-large");
    assert_eq!(problem["path"], "Text");
    report("string-bytes", 200, 422, "input-too-large");
}

#[test]
fn list_length() {
    let server = Server::start(&bundle());
    let body = json!({ "Data": vec![0; MAX_INPUT_LIST_ITEMS] }).to_string();
    assert_eq!(
        output(&decide(&server, "Count", &body)),
        json!(MAX_INPUT_LIST_ITEMS)
    );
    let body = json!({ "Data": vec![0; MAX_INPUT_LIST_ITEMS + 1] }).to_string();
    let problem = assert_problem(&decide(&server, "Count", &body), 422, "input-too-large");
    assert_eq!(problem["path"], "Data");
    report("list-items", 200, 422, "input-too-large");
}

#[test]
fn list_built_during_evaluation() {
    // `for i in 1..N` builds N elements; the evaluator's list limit is a million.
    let limit = cpm_core::feel::eval::Limits::default().max_list;
    let server = Server::start(&bundle());
    let inside = decide(&server, "Range", &json!({ "N": limit }).to_string());
    assert_eq!(output(&inside), json!(limit));
    let past = decide(&server, "Range", &json!({ "N": limit + 1 }).to_string());
    assert_problem(&past, 422, "too-large");
    report("evaluation-list-items", 200, 422, "too-large");
}

/// The largest `n` in `low..=high` for which `ok(n)`, given `ok(low)` and not `ok(high)`.
fn last_ok(mut low: u64, mut high: u64, ok: impl Fn(u64) -> bool) -> u64 {
    assert!(
        ok(low) && !ok(high),
        "the boundary is not within {low}..{high}"
    );
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if ok(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}

#[test]
fn evaluation_fuel() {
    // Each outer step of `Work` costs about 100,000 steps of the 10 M budget: find the last
    // `N` that fits natively; the component must agree exactly.
    let engine = native();
    let work = |n: u64| decide_natively(&engine, "Work", &json!({ "N": n }));
    let last = last_ok(1, 1000, |n| work(n).is_ok());
    assert_eq!(work(last + 1), Err("fuel-exhausted".to_owned()));
    let server = Server::start(&bundle());
    let inside = decide(&server, "Work", &json!({ "N": last }).to_string());
    assert_eq!(output(&inside), work(last).unwrap());
    let past = decide(&server, "Work", &json!({ "N": last + 1 }).to_string());
    assert_problem(&past, 422, "fuel-exhausted");
    // A loop over a huge range stops too, before it allocates.
    let huge = decide(&server, "Range", &json!({ "N": 1e15 }).to_string());
    assert_problem(&huge, 422, "too-large");
    report("evaluation-fuel", 200, 422, "fuel-exhausted");
}

#[test]
fn recursion_depth() {
    // A knowledge model calling itself: the last depth that fits natively must fit in the
    // component (on its wasm stack), and one more level is `depth-exceeded`, not a trap.
    let engine = native();
    let recurse = |n: u64| decide_natively(&engine, "Recursion", &json!({ "N": n }));
    let last = last_ok(0, 100_000, |n| recurse(n).is_ok());
    assert_eq!(recurse(last + 1), Err("depth-exceeded".to_owned()));
    let server = Server::start(&bundle());
    let inside = decide(&server, "Recursion", &json!({ "N": last }).to_string());
    assert_eq!(output(&inside), json!(last));
    let past = decide(&server, "Recursion", &json!({ "N": last + 1 }).to_string());
    assert_problem(&past, 422, "depth-exceeded");
    let runaway = decide(&server, "Recursion", &json!({ "N": 1_000_000 }).to_string());
    assert_problem(&runaway, 422, "depth-exceeded");
    report("recursion-depth", 200, 422, "depth-exceeded");
}

/// A model whose one decision `D` is `expression`.
fn expression_model(expression: &str) -> String {
    format!(
        "model: deep\ninputs:\n  - {{ name: N, type: number }}\ndecisions:\n  - name: D\n    expression: '{expression}'\n"
    )
}

#[test]
fn expression_nesting() {
    // Rules reach the edge only as a built bundle: the deepest parenthesised expression the
    // compiler accepts must evaluate in the component, and one more level does not build.
    let nested = |depth: usize| format!("{}N{}", "(".repeat(depth), " + 1)".repeat(depth));
    let builds = |depth: u64| {
        let depth = usize::try_from(depth).unwrap();
        build(&[("deep.yaml", &expression_model(&nested(depth)))]).is_ok()
    };
    let last = last_ok(1, 1000, builds);
    let past = usize::try_from(last + 1).unwrap();
    let errors = build(&[("deep.yaml", &expression_model(&nested(past)))]).unwrap_err();
    assert!(
        errors.starts_with("feel-syntax: ") && errors.contains("nests deeper"),
        "{errors}"
    );
    let deepest = build(&[(
        "deep.yaml",
        &expression_model(&nested(usize::try_from(last).unwrap())),
    )])
    .unwrap();
    let server = Server::start(&deepest);
    let reply = decide(&server, "D", r#"{"N": 0}"#);
    assert_eq!(output(&reply), json!(last));
    // A client cannot send an expression; the nearest thing it controls is the input.
    println!("RELIABILITY limit=expression-nesting inside=200 past=build-error code=feel-syntax");
}

#[test]
fn template_output_size() {
    let server = Server::start(&bundle());
    let start = |text: String, key: &str| {
        server.send(
            &Req::post_json(
                "/v1/processes/echo/cases",
                &json!({ "data": { "Text": text } }).to_string(),
            )
            .header("idempotency-key", key),
        )
    };
    let inside = start("a".repeat(MAX_OUTPUT_BYTES), "inside");
    assert_eq!(inside.status, 201, "{}", inside.text());
    let effects = inside.json()["effects"].clone();
    let body = effects
        .as_array()
        .and_then(|e| e.iter().find_map(|e| e["body"].as_str()))
        .map(str::len);
    assert_eq!(body, Some(MAX_OUTPUT_BYTES), "{effects}");
    let past = start("a".repeat(MAX_OUTPUT_BYTES + 1), "past");
    let problem = assert_problem(&past, 422, "template-error");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&MAX_OUTPUT_BYTES.to_string())),
        "{problem}"
    );
    report("template-output-bytes", 201, 422, "template-error");
}
