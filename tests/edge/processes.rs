//! Customer cases over real HTTP: the built component served by the test host
//! (`tests/host`, SQLite or in-memory `wasi:keyvalue`) on 127.0.0.1.
//!
//! - every process vector in `tests/vectors/processes/` gives, over HTTP, the same answer
//!   byte for byte as cpm-core natively (each scenario on a fresh store, at the vector's
//!   times through the test-only `cpm-now` header); failures give the problem of the core's
//!   error with the core's `errors`, byte for byte;
//! - the example complaint process from intake to feedback and metrics, with the host
//!   killed (SIGKILL) and restarted on the same SQLite file mid-way: nothing answered 2xx is
//!   lost;
//! - two concurrent events on one case with the same `If-Match`: one 200 and one 412;
//!   without `If-Match`, both are applied.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed step is a failed test"
)]

#[allow(
    dead_code,
    reason = "the support module is shared with the decision tests"
)]
mod support;

use std::path::PathBuf;
use std::sync::{Arc, Barrier};

use cpm_core::api::{self, BuildAnswer};
use cpm_core::canonical;
use cpm_core::compile::SourceText;
use serde_json::{Value as Json, json};
use support::{Reply, Req, Server, Store};
use yaml_rust2::{Yaml, YamlLoader};

const PROBLEMS: &str = "https://cpm.dev/problems/";

/// YAML → JSON with exact numbers (as the native vector runner reads them).
fn to_json(y: &Yaml) -> Json {
    match y {
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Json::Null,
        Yaml::Boolean(b) => (*b).into(),
        Yaml::Integer(i) => (*i).into(),
        Yaml::Real(text) => serde_json::from_str::<serde_json::Number>(text)
            .map(Json::Number)
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
            Json::Object(obj)
        }
    }
}

fn text<'a>(y: &'a Yaml, key: &str) -> Option<&'a str> {
    y[key].as_str()
}

/// The bundle of a process vector's `files`.
fn vector_bundle(doc: &Yaml) -> Vec<u8> {
    let files: Vec<SourceText> = doc["files"]
        .as_hash()
        .expect("`files`")
        .iter()
        .map(|(k, v)| SourceText {
            path: k.as_str().unwrap().into(),
            text: v.as_str().unwrap().into(),
        })
        .collect();
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => bundle.encode().unwrap(),
        BuildAnswer::Failure { errors, .. } => panic!("vector does not build: {errors:?}"),
    }
}

/// The process vector files that run scenarios (not the build-error files).
fn scenario_files() -> Vec<(PathBuf, Yaml)> {
    let dir = support::workspace_root().join("tests/vectors/processes");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let source = std::fs::read_to_string(&p).unwrap();
            let doc = YamlLoader::load_from_str(&source).unwrap().remove(0);
            doc["cases"].as_vec().is_some().then_some((p, doc))
        })
        .collect()
}

/// The native answer of one step, as the core's vector runner computes it.
fn native(engine: &cpm_core::decide::Engine, op: &str, request: &Json) -> Json {
    let text = canonical::to_string(request);
    let answer = match op {
        "intake" => api::intake_json_str(engine, &text),
        "start" => api::start_case_json_str(engine, &text),
        "apply" => api::apply_event_json_str(engine, &text),
        "replay" => api::replay_json_str(engine, &text),
        "tasks" => api::tasks_json_str(&text),
        "kpis" => api::kpis_json_str(&text),
        other => panic!("unknown op `{other}`"),
    };
    serde_json::from_str(&answer).unwrap()
}

/// The HTTP request of a step, or why the step has none (it runs natively only).
fn http_request(
    op: &str,
    request: &serde_json::Map<String, Json>,
    given: &serde_json::Map<String, Json>,
    current: Option<&Json>,
) -> Result<Req, &'static str> {
    let now = |req: Req, now: Option<&Json>| match now.and_then(Json::as_str) {
        Some(now) => req.header("cpm-now", now),
        None => req,
    };
    let case_id = || {
        current
            .and_then(|c| c["id"].as_str())
            .map(str::to_owned)
            .ok_or("the case was not started")
    };
    Ok(match op {
        "intake" => Req::post_json(
            "/v1/intake",
            &canonical::to_string(&Json::Object(request.clone())),
        ),
        "start" => {
            let process = request
                .get("process")
                .and_then(Json::as_str)
                .ok_or("no process to put in the path")?;
            if !request.contains_key("key") {
                return Err("no key: the edge draws one");
            }
            let mut body = serde_json::Map::new();
            for key in ["data", "contact", "key", "id"] {
                if let Some(v) = request.get(key) {
                    body.insert(key.into(), v.clone());
                }
            }
            now(
                Req::post_json(
                    &format!("/v1/processes/{process}/cases"),
                    &canonical::to_string(&Json::Object(body)),
                ),
                request.get("now"),
            )
        }
        "apply" => {
            if given.contains_key("case") {
                return Err("the step gives its own case");
            }
            let event = request.get("event").cloned().unwrap_or_default();
            now(
                Req::post_json(
                    &format!("/v1/cases/{}/events", case_id()?),
                    &canonical::to_string(&event),
                ),
                request.get("now"),
            )
        }
        "replay" => {
            if given.contains_key("events") {
                return Err("the step gives its own events");
            }
            let last_at = current
                .and_then(|c| c["events"].as_array())
                .and_then(|e| e.last())
                .and_then(|e| e.get("at"));
            now(
                Req::get(&format!("/v1/cases/{}", case_id()?)),
                request.get("now").or(last_at),
            )
        }
        "tasks" | "kpis" => {
            if given.contains_key("cases") {
                return Err("the step gives its own cases");
            }
            let path = match (op, request.get("queue").and_then(Json::as_str)) {
                ("tasks", Some(queue)) => format!("/v1/tasks?queue={queue}"),
                ("tasks", None) => "/v1/tasks".to_owned(),
                _ => "/v1/metrics".to_owned(),
            };
            now(Req::get(&path), request.get("now"))
        }
        _ => return Err("unknown op"),
    })
}

/// Compares an HTTP reply with the native answer: a success byte for byte (status 200, or
/// 201 for a start), a failure as a problem whose `errors` are the core's, byte for byte.
fn compare(op: &str, reply: &Reply, native: &Json) -> Result<(), String> {
    let native_text = canonical::to_string(native);
    if native["type"] == "success" {
        let status = if op == "start" { 201 } else { 200 };
        if reply.status != status || reply.body != native_text.as_bytes() {
            return Err(format!(
                "expected {status} and the native answer\n      native: {native_text}\n      http {}: {}",
                reply.status,
                reply.text()
            ));
        }
        return Ok(());
    }
    let problem = reply.json();
    let errors = canonical::to_string(&native["errors"]);
    let got = canonical::to_string(&problem["errors"]);
    let code = native["errors"][0]["code"].as_str().unwrap_or_default();
    let type_ok = problem["type"].as_str().is_some_and(|t| {
        t == format!("{PROBLEMS}{code}") || t == format!("{PROBLEMS}invalid-data")
    });
    if !(400..500).contains(&reply.status) || errors != got || !type_ok {
        return Err(format!(
            "expected a problem with the native errors\n      native: {native_text}\n      http {}: {}",
            reply.status,
            reply.text()
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    scenarios: usize,
    over_http: usize,
    native_only: Vec<String>,
    failures: Vec<String>,
}

fn run_scenario(
    server: &Server,
    engine: &cpm_core::decide::Engine,
    shown: &str,
    scenario: &Yaml,
    tally: &mut Tally,
) {
    let name = text(scenario, "name").unwrap_or("?");
    let mut held: Vec<(String, Json)> = Vec::new();
    // Aliases whose case the store holds differently (a second start of one id).
    let mut diverged: Vec<String> = Vec::new();
    for (i, step) in scenario["steps"].as_vec().unwrap().iter().enumerate() {
        let op = text(step, "op").unwrap();
        let alias = text(step, "case").unwrap_or("main").to_owned();
        let given = match to_json(&step["request"]) {
            Json::Object(o) => o,
            _ => serde_json::Map::new(),
        };
        let mut request = given.clone();
        // The core derives a case id from the process and key; the edge never does (it
        // draws 128 random bits), so both sides get the derived id explicitly: the started
        // event then carries it (`case`), over HTTP and natively alike.
        if op == "start"
            && !request.contains_key("id")
            && let (Some(process), Some(key)) = (
                request.get("process").and_then(Json::as_str),
                request.get("key").and_then(Json::as_str),
            )
        {
            let id = cpm_core::process::case_id(process, key);
            request.insert("id".into(), id.into());
        }
        let current = held
            .iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, c)| c.clone());
        let all: Vec<Json> = held.iter().map(|(_, c)| c.clone()).collect();
        match op {
            "apply" if !request.contains_key("case") => {
                request.insert("case".into(), current.clone().unwrap_or_default());
            }
            "replay" if !request.contains_key("events") => {
                let events = current.as_ref().and_then(|c| c.get("events").cloned());
                request.insert("events".into(), events.unwrap_or_default());
            }
            "tasks" | "kpis" if !request.contains_key("cases") => {
                request.insert("cases".into(), all.into());
            }
            _ => {}
        }
        let answer = native(engine, op, &Json::Object(request.clone()));
        let at = format!("{shown} / {name}, step {} ({op})", i + 1);
        // A start of an id the store already holds is where HTTP is stateful and the core is
        // not: the edge answers the stored case (200) or 409, the core a fresh start.
        let id_held = op == "start"
            && answer["type"] == "success"
            && held.iter().any(|(_, c)| c["id"] == answer["case"]["id"]);
        let shared = matches!(op, "tasks" | "kpis") && !diverged.is_empty();
        let stale = diverged.contains(&alias) && op != "intake";
        match http_request(op, &request, &given, current.as_ref()) {
            _ if id_held => {
                let reply = server.send(&http_request(op, &request, &given, None).unwrap());
                if !matches!(reply.status, 200 | 409) {
                    tally.failures.push(format!(
                        "{at}: a second start of one id answered {}",
                        reply.status
                    ));
                }
                diverged.push(alias.clone());
                tally
                    .native_only
                    .push(format!("{at}: second start of a held id"));
            }
            _ if shared || stale => {
                tally
                    .native_only
                    .push(format!("{at}: after a second start of one id"));
            }
            Err(why) => tally.native_only.push(format!("{at}: {why}")),
            Ok(req) => {
                let reply = server.send(&req);
                tally.over_http += 1;
                if let Err(why) = compare(op, &reply, &answer) {
                    tally.failures.push(format!("{at}: {why}"));
                }
            }
        }
        if matches!(op, "start" | "apply") && answer["type"] == "success" && !id_held {
            let case_json = answer["case"].clone();
            match held.iter_mut().find(|(a, _)| *a == alias) {
                Some((_, c)) => *c = case_json,
                None => held.push((alias, case_json)),
            }
        }
    }
    tally.scenarios += 1;
}

#[test]
fn process_vectors_over_http_byte_for_byte() {
    let mut tally = Tally::default();
    for (path, doc) in scenario_files() {
        let shown = path
            .strip_prefix(support::workspace_root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let bundle = vector_bundle(&doc);
        let engine = api::load(&bundle).unwrap();
        for scenario in doc["cases"].as_vec().unwrap() {
            // A fresh store per scenario: the vectors reuse case ids across scenarios.
            let server = Server::start_with(&bundle, Store::Memory);
            run_scenario(&server, &engine, &shown, scenario, &mut tally);
        }
    }
    eprintln!(
        "process vectors over HTTP: {} scenarios, {} steps compared byte for byte, {} steps native only",
        tally.scenarios,
        tally.over_http,
        tally.native_only.len()
    );
    for why in &tally.native_only {
        eprintln!("  native only: {why}");
    }
    assert!(tally.over_http > 50, "too few steps went over HTTP");
    assert!(
        tally.failures.is_empty(),
        "{} step(s) differ over HTTP:\n  {}",
        tally.failures.len(),
        tally.failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------
// The example complaint process end to end, with a restart

/// The example rules (`examples/customer`: the complaint and address-change processes),
/// built natively as `spin build` embeds them.
fn example_bundle() -> Vec<u8> {
    let files = cpm_files::read_rules(&support::workspace_root().join("examples/customer"))
        .expect("read examples/customer");
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => bundle.encode().unwrap(),
        BuildAnswer::Failure { errors, .. } => {
            panic!("examples/customer does not build: {errors:?}")
        }
    }
}

fn send_ok(server: &Server, req: &Req, status: u16) -> Json {
    let reply = server.send(req);
    assert_eq!(
        reply.status,
        status,
        "{} {}: {}",
        req.method,
        req.path,
        reply.text()
    );
    reply.json()
}

fn post(path: &str, body: &Json) -> Req {
    Req::post_json(path, &body.to_string())
}

#[test]
fn complaint_from_intake_to_feedback_survives_a_restart() {
    let mut server = Server::start_with(&example_bundle(), Store::Sqlite);
    let contact = json!({
        "Contact Reason": "delivery", "Customer Id": "C-1042",
        "Customer Email": "ann@example.com", "Customer Tier": "gold",
        "Amount At Stake": 89.90, "Description": "The parcel arrived crushed."
    });
    let intake = send_ok(
        &server,
        &post("/v1/intake", &json!({ "contact": contact })),
        200,
    );
    let matched = &intake["matches"][0];
    assert_eq!(
        (matched["process"].as_str(), matched["ready"].as_bool()),
        (Some("complaint"), Some(true))
    );

    let started = server.send(
        &post(
            "/v1/processes/complaint/cases",
            &json!({ "data": matched["data"] }),
        )
        .header("idempotency-key", "web-4711"),
    );
    assert_eq!(started.status, 201, "{}", started.text());
    let case = started.json()["case"].clone();
    let id = case["id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 34 && id.starts_with("c-"),
        "{id}: 128 random bits"
    );
    assert_eq!(
        started.header("location"),
        Some(format!("/v1/cases/{id}").as_str())
    );
    assert_eq!(started.header("etag"), Some("\"1\""));
    assert_eq!(case["step"], "investigate");

    let tasks = send_ok(&server, &Req::get("/v1/tasks?queue=complaints"), 200);
    assert_eq!(tasks["tasks"][0]["case"], id.as_str());
    assert_eq!(tasks["tasks"][0]["sla"], "on-track");
    let events = format!("/v1/cases/{id}/events");
    let claimed = send_ok(
        &server,
        &post(
            &events,
            &json!({ "type": "task-claimed", "task": "investigate-1", "by": "bob" }),
        )
        .header("idempotency-key", "claim-1")
        .header("if-match", "\"1\""),
        200,
    );
    assert_eq!(claimed["case"]["version"], 2);

    // The host dies (SIGKILL) right after answering; a new one on the same file has it all.
    let before = send_ok(&server, &Req::get(&format!("/v1/cases/{id}")), 200)["case"].clone();
    server.restart();
    let after = send_ok(&server, &Req::get(&format!("/v1/cases/{id}")), 200)["case"].clone();
    let strip = |mut c: Json| {
        c.as_object_mut().unwrap().remove("sla");
        c
    };
    assert_eq!(strip(after), strip(before));

    let completed = send_ok(
        &server,
        &post(
            &events,
            &json!({ "type": "task-completed", "task": "investigate-1", "by": "bob",
                     "form": { "Finding": "carrier fault", "Refund Requested": true,
                               "Resolution Note": "We have reported the damage to the carrier." } }),
        )
        .header("idempotency-key", "done-1"),
        200,
    );
    assert_eq!(completed["case"]["status"], "waiting");
    let kinds: Vec<&str> = completed["effects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"record") && kinds.contains(&"send"),
        "{kinds:?}"
    );
    // A retry of the same event: nothing applied.
    let again = server.send(
        &post(
            &events,
            &json!({ "type": "task-completed", "task": "investigate-1", "by": "bob", "form": {} }),
        )
        .header("idempotency-key", "done-1"),
    );
    assert_eq!(
        (again.status, again.header("idempotent-replayed")),
        (200, Some("true"))
    );
    assert_eq!(again.json()["applied"], false);

    // The outbox: perform, acknowledge.
    let outbox = send_ok(&server, &Req::get(&format!("/v1/cases/{id}/outbox")), 200);
    let ids: Vec<Json> = outbox["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] != "schedule")
        .map(|e| e["id"].clone())
        .collect();
    assert!(!ids.is_empty());
    send_ok(
        &server,
        &post(
            &events,
            &json!({ "type": "effects-acknowledged", "effects": ids }),
        )
        .header("idempotency-key", "ack-1"),
        200,
    );

    let closed = send_ok(
        &server,
        &post(
            &events,
            &json!({ "type": "feedback", "csat": 5, "nps": 9, "comment": "Quick and fair." }),
        )
        .header("idempotency-key", "fb-1"),
        200,
    );
    assert_eq!(closed["case"]["status"], "closed");
    assert_eq!(closed["case"]["outcome"], "resolved");
    assert_eq!(closed["case"]["rootCause"], "carrier");

    let metrics = send_ok(&server, &Req::get("/v1/metrics"), 200);
    let complaint = &metrics["processes"][0];
    assert_eq!(
        (complaint["process"].as_str(), complaint["closed"].as_u64()),
        (Some("complaint"), Some(1))
    );
    assert_eq!(complaint["csat"]["average"], 5);
    let text = server.send(&Req::get("/v1/metrics").header("accept", "text/plain"));
    assert!(
        text.text()
            .contains("cpm_cases{process=\"complaint\",status=\"closed\"} 1\n"),
        "{}",
        text.text()
    );
    let tasks = send_ok(&server, &Req::get("/v1/tasks"), 200);
    assert_eq!(tasks["tasks"], json!([]));

    // And after another restart, the closed case and its whole history are still there.
    server.restart();
    let last = send_ok(&server, &Req::get(&format!("/v1/cases/{id}")), 200);
    let keys: Vec<&str> = last["case"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["web-4711", "claim-1", "done-1", "ack-1", "fb-1"]);
    assert_eq!(last["case"]["version"], 5);
    assert_eq!(last["case"]["status"], "closed");
}

// ---------------------------------------------------------------------------------------
// Concurrent writers

fn started_case(server: &Server) -> String {
    let data = json!({
        "Customer Id": "C-1", "Customer Email": "a@example.com",
        "Contact Reason": "billing", "Customer Tier": "silver"
    });
    let json = send_ok(
        server,
        &post("/v1/processes/complaint/cases", &json!({ "data": data }))
            .header("idempotency-key", "k"),
        201,
    );
    json["case"]["id"].as_str().unwrap().to_owned()
}

/// Sends `events` at once from one thread each; the replies in the same order.
fn race(server: &Arc<Server>, id: &str, events: Vec<(Json, Option<&'static str>)>) -> Vec<Reply> {
    let barrier = Arc::new(Barrier::new(events.len()));
    let handles: Vec<_> = events
        .into_iter()
        .enumerate()
        .map(|(n, (event, if_match))| {
            let (server, barrier) = (Arc::clone(server), Arc::clone(&barrier));
            let path = format!("/v1/cases/{id}/events");
            std::thread::spawn(move || {
                let mut req = post(&path, &event).header("idempotency-key", &format!("race-{n}"));
                if let Some(tag) = if_match {
                    req = req.header("if-match", tag);
                }
                barrier.wait();
                server.send(&req)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn two_concurrent_events_with_if_match_one_wins_one_412() {
    let server = Arc::new(Server::start_with(&example_bundle(), Store::Sqlite));
    for round in 0..5 {
        let id = {
            let data = json!({
                "Customer Id": "C-1", "Customer Email": "a@example.com",
                "Contact Reason": "billing", "Customer Tier": "silver"
            });
            send_ok(
                &server,
                &post("/v1/processes/complaint/cases", &json!({ "data": data }))
                    .header("idempotency-key", &format!("round-{round}")),
                201,
            )["case"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let claim = |by: &str| json!({ "type": "task-claimed", "task": "investigate-1", "by": by });
        let replies = race(
            &server,
            &id,
            vec![(claim("bob"), Some("\"1\"")), (claim("eve"), Some("\"1\""))],
        );
        let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 412],
            "round {round}: {:?}",
            replies.iter().map(Reply::text).collect::<Vec<_>>()
        );
        let winner = replies.iter().find(|r| r.status == 200).unwrap().json();
        let case = send_ok(&server, &Req::get(&format!("/v1/cases/{id}")), 200)["case"].clone();
        assert_eq!(case["version"], 2);
        assert_eq!(
            case["tasks"][0]["claimedBy"],
            winner["case"]["tasks"][0]["claimedBy"]
        );
    }
}

#[test]
fn two_concurrent_events_without_if_match_are_both_applied() {
    let server = Arc::new(Server::start_with(&example_bundle(), Store::Sqlite));
    let id = started_case(&server);
    let claim = |by: &str| json!({ "type": "task-claimed", "task": "investigate-1", "by": by });
    let replies = race(
        &server,
        &id,
        vec![(claim("bob"), None), (claim("eve"), None)],
    );
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let case = send_ok(&server, &Req::get(&format!("/v1/cases/{id}")), 200)["case"].clone();
    assert_eq!(case["version"], 3);
    let keys: Vec<&str> = case["events"].as_array().unwrap()[1..]
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["race-0", "race-1"]);
}
