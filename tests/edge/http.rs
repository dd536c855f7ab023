//! The edge component over real HTTP: the built `cpm_edge.wasm` served by the test host
//! `cpm-test-host` (tests/host) on 127.0.0.1, each test with its own server (killed on
//! drop).
//!
//! - every shared vector in `tests/vectors/` gives, over HTTP, the same answer byte for
//!   byte as cpm-core natively for the same bundle and input (its `output` included), and
//!   error cases get the problem `type` of their code and its status;
//! - each error status of the API (400, 404, 405, 413, 415, 422) with its problem document;
//! - MessagePack requests and answers.
//!
//! Brings the component and the test host up to date first (`cargo build -p cpm-edge
//! --target wasm32-wasip2 --release` and `cargo build -p cpm-test-host`, or
//! `$CPM_EDGE_WASM` and `$CPM_TEST_HOST`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed step is a failed test"
)]

#[allow(
    dead_code,
    reason = "the support module is shared with the process, limit and fault tests"
)]
mod support;

use std::path::{Path, PathBuf};

use cpm_core::api::{self, DecideRequest};
use cpm_core::canonical;
use cpm_core::feel::eval::Limits;
use support::{Req, Server, Store, bundle, encode_name};
use yaml_rust2::{Yaml, YamlLoader};

const PROBLEMS: &str = "https://cpm.dev/problems/";

/// The model served by the API tests (not the vectors).
const MODEL: &str = r#"
model: edge-http
types:
  - name: Applicant
    fields:
      - { name: age, type: number }
      - { name: name, type: string }
inputs:
  - { name: Tier, type: string }
  - { name: Total, type: number }
  - { name: Person, type: Applicant }
decisions:
  - name: Discount
    table:
      hit: UNIQUE
      inputs: [{ expression: Tier }]
      outputs: [{ name: discount, type: number }]
      rules:
        - { id: gold, when: ['"gold"'], then: ['0.15'] }
        - { id: gold-or-silver, when: ['"gold", "silver"'], then: ['0.1'] }
  - name: Net Total
    expression: Total * (1 - Discount)
  - name: Adult
    expression: Person.age >= 18
"#;

fn api_server() -> (Server, Vec<u8>) {
    let bytes = bundle("edge-http", MODEL).expect("the test model builds");
    (Server::start(&bytes), bytes)
}

/// The status the edge gives a decision error code.
fn status_of(code: &str) -> u16 {
    if code == "unknown-decision" { 404 } else { 422 }
}

// ---------------------------------------------------------------------------------------
// Shared vectors

/// YAML → JSON with exact numbers (as the native vector runner reads them).
fn to_json(y: &Yaml) -> serde_json::Value {
    match y {
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => serde_json::Value::Null,
        Yaml::Boolean(b) => (*b).into(),
        Yaml::Integer(i) => (*i).into(),
        Yaml::Real(text) => serde_json::from_str::<serde_json::Number>(text)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|_| text.clone().into()),
        Yaml::String(s) => s.clone().into(),
        Yaml::Array(items) => items.iter().map(to_json).collect(),
        Yaml::Hash(map) => {
            let mut obj = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    _ => String::new(),
                };
                obj.insert(key, to_json(v));
            }
            serde_json::Value::Object(obj)
        }
    }
}

fn vector_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            vector_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml") {
            out.push(p);
        }
    }
}

#[derive(Default)]
struct Tally {
    files: usize,
    build_error_files: usize,
    process_files: usize,
    cases: usize,
    failures: Vec<String>,
}

/// Runs one vector file against the server (its bundle already served).
fn run_vector_file(server: &Server, path: &Path, tally: &mut Tally) {
    let source = std::fs::read_to_string(path).expect("read vector");
    let docs = YamlLoader::load_from_str(&source).expect("vector is valid YAML");
    let doc = &docs[0];
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let shown = path
        .strip_prefix(support::workspace_root())
        .unwrap_or(path)
        .display()
        .to_string();
    tally.files += 1;
    if !doc["files"].is_badvalue() {
        // Process vectors (several files, event sequences) run over HTTP in
        // `processes.rs`, each scenario on a fresh store.
        tally.process_files += 1;
        return;
    }
    let Some(model) = doc["model"].as_str() else {
        tally.failures.push(format!("{shown}: no `model`"));
        return;
    };
    if !doc["build-errors"].is_badvalue() {
        // Build errors are the compiler's business: nothing to serve.
        tally.build_error_files += 1;
        return;
    }
    let bytes = match bundle(&name, model) {
        Ok(bytes) => bytes,
        Err(errors) => {
            tally.failures.push(format!(
                "{shown}: model does not build natively: {errors:?}"
            ));
            return;
        }
    };
    let engine = api::load(&bytes).expect("decode the bundle natively");
    server.set_bundle(&bytes);
    let health = server.send(&Req::get("/healthz"));
    assert_eq!(health.status, 200, "{shown}: /healthz: {}", health.text());
    assert_eq!(
        health.json()["bundleHash"].as_str(),
        Some(engine.hash()),
        "{shown}: the server does not serve the new bundle"
    );
    for case in doc["cases"].as_vec().cloned().unwrap_or_default() {
        tally.cases += 1;
        let case_name = case["name"].as_str().unwrap_or("?");
        let at = format!("{shown} / {case_name}");
        let Some(decision) = case["decision"].as_str() else {
            tally.failures.push(format!("{at}: no `decision`"));
            continue;
        };
        let input = to_json(&case["input"]);
        let native = api::decide(
            &engine,
            &DecideRequest {
                decision: decision.to_owned(),
                input: input.clone(),
                explain: true,
            },
            Limits::default(),
        );
        let reply = server.send(&Req::post_json(
            &format!("/v1/decisions/{}", encode_name(decision)),
            &serde_json::to_string(&input).expect("input to JSON"),
        ));
        if native["type"] == "success" {
            let want_output = canonical::to_string(&native["output"]);
            if reply.status != 200 {
                tally.failures.push(format!(
                    "{at}: status {}, expected 200 with output {want_output}: {}",
                    reply.status,
                    reply.text()
                ));
                continue;
            }
            let got_output = canonical::to_string(&reply.json()["output"]);
            if got_output != want_output {
                tally.failures.push(format!(
                    "{at}: output over HTTP {got_output}, natively {want_output}"
                ));
            }
            let want_body = canonical::to_string(&native);
            if reply.body != want_body.as_bytes() {
                tally.failures.push(format!(
                    "{at}: the answer differs from the native one\n      http:   {}\n      native: {want_body}",
                    reply.text()
                ));
            }
            if reply.header("content-type") != Some("application/json") {
                tally.failures.push(format!(
                    "{at}: content-type {:?}",
                    reply.header("content-type")
                ));
            }
        } else {
            let code = native["errors"][0]["code"].as_str().unwrap_or_default();
            let want_type = format!("{PROBLEMS}{code}");
            let got = if reply.header("content-type") == Some("application/problem+json") {
                reply.json()
            } else {
                serde_json::Value::Null
            };
            if reply.status != status_of(code) || got["type"] != want_type.as_str() {
                tally.failures.push(format!(
                    "{at}: expected {} {want_type}, got {} {}",
                    status_of(code),
                    reply.status,
                    reply.text()
                ));
            }
        }
        if let Some(want) = case["error"].as_str()
            && native["errors"][0]["code"] != want
        {
            tally.failures.push(format!(
                "{at}: natively {}, the vector expects error `{want}`",
                canonical::to_string(&native)
            ));
        }
    }
}

#[test]
fn shared_vectors_over_http_match_native_byte_for_byte() {
    let dir = support::workspace_root().join("tests/vectors");
    let mut files = Vec::new();
    vector_files(&dir, &mut files);
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    let (server, _) = api_server();
    let mut tally = Tally::default();
    for f in &files {
        run_vector_file(&server, f, &mut tally);
    }
    println!(
        "edge vectors: {} files ({} build-error files and {} process files run by processes.rs), {} cases over HTTP, {} failures",
        tally.files,
        tally.build_error_files,
        tally.process_files,
        tally.cases,
        tally.failures.len()
    );
    assert!(
        tally.failures.is_empty(),
        "{} edge vector failures:\n  {}",
        tally.failures.len(),
        tally.failures.join("\n  ")
    );
    assert!(tally.cases > 0, "no vector cases were run");
}

// ---------------------------------------------------------------------------------------
// The API

/// Asserts a problem document: status, `type`, content type, and non-empty title/detail.
fn assert_problem(reply: &support::Reply, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{}",
        reply.text()
    );
    let json = reply.json();
    assert_eq!(json["type"], format!("{PROBLEMS}{code}"), "{json}");
    assert_eq!(json["status"], status, "{json}");
    assert!(
        !json["title"].as_str().unwrap_or_default().is_empty(),
        "{json}"
    );
    assert!(
        !json["detail"].as_str().unwrap_or_default().is_empty(),
        "{json}"
    );
    json
}

#[test]
fn decisions_listing_bundle_and_health() {
    let (server, bytes) = api_server();
    let engine = api::load(&bytes).unwrap();

    let reply = server.send(&Req::post_json(
        "/v1/decisions/Net%20Total",
        r#"{"Tier": "silver", "Total": 200.00}"#,
    ));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let json = reply.json();
    assert_eq!(canonical::to_string(&json["output"]), "180");
    assert_eq!(json["bundleHash"], engine.hash());
    assert!(json["explanation"]["decisions"].is_array(), "{json}");

    let reply = server.send(&Req::post_json(
        "/v1/decisions/Net%20Total?explain=false",
        r#"{"Tier": "silver", "Total": 200.00}"#,
    ));
    assert_eq!(reply.status, 200);
    assert!(
        reply.json().get("explanation").is_none(),
        "{}",
        reply.text()
    );

    let reply = server.send(&Req::get("/v1/decisions"));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        canonical::to_string(&api::describe(&engine)).as_bytes()
    );

    let reply = server.send(&Req::get("/v1/bundle"));
    assert_eq!(reply.status, 200);
    let json = reply.json();
    assert_eq!(json["bundleHash"], engine.hash());
    assert_eq!(json["decisionCount"], 3);
    assert_eq!(json["formatVersion"], cpm_core::bundle::FORMAT_VERSION);
    assert_eq!(json["models"][0]["name"], "edge-http");

    let reply = server.send(&Req::get("/v1/bundle").header("accept", "application/octet-stream"));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(reply.body, bytes);

    let reply = server.send(&Req::get("/healthz"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "ok");
}

#[test]
fn not_found_unknown_decision_and_route() {
    let (server, _) = api_server();
    let json = assert_problem(
        &server.send(&Req::post_json("/v1/decisions/Nope", "{}")),
        404,
        "unknown-decision",
    );
    assert!(
        json["detail"].as_str().unwrap().contains("`Nope`"),
        "{json}"
    );
    assert_problem(&server.send(&Req::get("/v2/anything")), 404, "not-found");
    assert_problem(&server.send(&Req::get("/")), 404, "not-found");
}

#[test]
fn bad_request_malformed_bodies() {
    let (server, _) = api_server();
    assert_problem(
        &server.send(&Req::post_json("/v1/decisions/Discount", r#"{"Tier": "#)),
        400,
        "malformed-body",
    );
    let mut msgpack = Req::post_json("/v1/decisions/Discount", "");
    msgpack.headers = vec![("content-type".into(), "application/msgpack".into())];
    msgpack.body = vec![0x82, 0xa1, b'a'];
    assert_problem(&server.send(&msgpack), 400, "malformed-body");
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    assert_problem(
        &server.send(&Req::post_json("/v1/decisions/Discount", &deep)),
        400,
        "malformed-body",
    );
    assert_problem(
        &server.send(&Req::post_json(
            "/v1/decisions/Discount?explain=perhaps",
            "{}",
        )),
        400,
        "bad-query",
    );
}

#[test]
fn method_not_allowed_with_allow() {
    let (server, _) = api_server();
    let mut get = Req::get("/v1/decisions/Discount");
    let reply = server.send(&get);
    assert_problem(&reply, 405, "method-not-allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
    get.method = "DELETE".into();
    get.path = "/v1/bundle".into();
    let reply = server.send(&get);
    assert_problem(&reply, 405, "method-not-allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
    let reply = server.send(&Req::post_json("/healthz", "{}"));
    assert_problem(&reply, 405, "method-not-allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
}

#[test]
fn payload_too_large_by_length_and_by_bytes_read() {
    let (server, _) = api_server();
    // Declared too large: refused before the body is sent (`Expect: 100-continue`).
    let declared = Req {
        method: "POST".into(),
        path: "/v1/decisions/Discount".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("content-length".into(), (2 * 1024 * 1024).to_string()),
            ("expect".into(), "100-continue".into()),
        ],
        body: Vec::new(),
    };
    let json = assert_problem(&server.send(&declared), 413, "body-too-large");
    assert!(
        json["detail"].as_str().unwrap().contains("1048576"),
        "{json}"
    );

    // No length given: the component counts the bytes it reads.
    let payload = format!(r#"{{"Tier": "{}"}}"#, "x".repeat(1024 * 1024));
    let mut chunked = Vec::new();
    for piece in payload.as_bytes().chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let streamed = Req {
        method: "POST".into(),
        path: "/v1/decisions/Discount".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("transfer-encoding".into(), "chunked".into()),
        ],
        body: chunked,
    };
    assert_problem(&server.send(&streamed), 413, "body-too-large");

    // Just under the limit is read and answered (padded with spaces: a string this long is
    // over the input string limit, tested in limits.rs).
    let fits = format!(r#"{{"Tier": "x"}}{}"#, " ".repeat(1024 * 1024 - 64));
    let reply = server.send(&Req::post_json(
        "/v1/decisions/Discount?explain=false",
        &fits,
    ));
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[test]
fn unsupported_media_type() {
    let (server, _) = api_server();
    let mut req = Req::post_json("/v1/decisions/Discount", "Tier=gold");
    req.headers = vec![(
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    )];
    let json = assert_problem(&server.send(&req), 415, "unsupported-media-type");
    assert!(
        json["detail"]
            .as_str()
            .unwrap()
            .contains("application/msgpack"),
        "{json}"
    );
}

#[test]
fn unprocessable_input_and_rule_errors() {
    let (server, _) = api_server();
    let json = assert_problem(
        &server.send(&Req::post_json(
            "/v1/decisions/Adult",
            r#"{"Person": {"age": "old"}}"#,
        )),
        422,
        "input-type",
    );
    assert_eq!(json["path"], "Person.age", "{json}");
    assert_problem(
        &server.send(&Req::post_json("/v1/decisions/Discount", "[1, 2]")),
        422,
        "invalid-input",
    );
    assert_problem(
        &server.send(&Req::post_json(
            "/v1/decisions/Discount",
            r#"{"Tier": "gold"}"#,
        )),
        422,
        "hit-policy-violation",
    );
}

#[test]
fn msgpack_request_and_answer() {
    let (server, _) = api_server();
    let input = rmpv::Value::Map(vec![
        (rmpv::Value::from("Tier"), rmpv::Value::from("silver")),
        (rmpv::Value::from("Total"), rmpv::Value::F64(19.99)),
    ]);
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &input).unwrap();
    let req = Req {
        method: "POST".into(),
        path: "/v1/decisions/Net%20Total".into(),
        headers: vec![
            ("content-type".into(), "application/msgpack".into()),
            ("accept".into(), "application/msgpack".into()),
        ],
        body,
    };
    let reply = server.send(&req);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/msgpack"));
    let answer = rmpv::decode::read_value(&mut reply.body.as_slice()).expect("a msgpack answer");
    let map = answer.as_map().expect("a map");
    let get = |key: &str| {
        map.iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no `{key}` in {answer}"))
    };
    // 19.99 × 0.9 = 17.991 exactly: the float 19.99 arrived as the decimal 19.99.
    assert_eq!(get("output"), rmpv::Value::F64(17.991));
    assert_eq!(get("type"), rmpv::Value::from("success"));

    // The same request in JSON gives the same answer.
    let json = server.send(&Req::post_json(
        "/v1/decisions/Net%20Total",
        r#"{"Tier": "silver", "Total": 19.99}"#,
    ));
    assert_eq!(canonical::to_string(&json.json()["output"]), "17.991");
    assert_eq!(
        get("bundleHash").as_str(),
        json.json()["bundleHash"].as_str()
    );

    // Errors stay problem+json whatever the client accepts.
    let mut bad = req.clone();
    bad.path = "/v1/decisions/Nope".into();
    assert_problem(&server.send(&bad), 404, "unknown-decision");
}

/// The test host's process controls the process tests build on: SIGKILL and a restart on
/// the same SQLite store and bundle keep serving; SIGTERM stops it cleanly.
#[test]
fn killed_host_restarts_on_the_same_store() {
    let bytes = bundle("edge-http", MODEL).expect("the test model builds");
    let mut server = Server::start_with(&bytes, Store::Sqlite);
    let health = |server: &Server| {
        let reply = server.send(&Req::get("/healthz"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["bundleHash"].clone()
    };
    let before = health(&server);
    assert!(server.sqlite_path().is_file(), "no SQLite file at start");
    server.kill();
    server.restart();
    assert_eq!(health(&server), before);
    let status = server.stop();
    assert!(status.success(), "SIGTERM gave {status}");
}
