//! Faults at the edge, through the test host's fault injection (`cpm-test-host --fault`) and
//! SIGKILL, on the SQLite store: whatever fails, every event answered 2xx is in the case's
//! history exactly once, and nothing else is.
//!
//! - store errors (`--fault kv-error-every=N`): answered 503 `store-unavailable` without
//!   internal text; retrying with the same `Idempotency-Key` until 2xx applies each event
//!   exactly once;
//! - a crash right after a write is committed, before the answer (`--fault
//!   crash-after-write=N`): the client gets no answer; after a restart the retry with the
//!   same key is answered 2xx and the event is there once;
//! - many concurrent events on one case: exactly the 2xx ones are in its history;
//! - the same event delivered many times at once with one `Idempotency-Key`: applied once;
//! - the host SIGKILLed while writers are busy, then restarted: every 2xx event is there.
//!
//! Each test prints `RELIABILITY fault=NAME …` lines with its counts (`acknowledged`,
//! `lost`, `duplicated`, …), which `scripts/reliability-report` sums (run with
//! `--nocapture`).

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

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use cpm_core::api::{self, BuildAnswer};
use serde_json::{Value as Json, json};
use support::{Reply, Req, Server, Store, send_to};

const PROBLEMS: &str = "https://cpm.dev/problems/";

/// How often a request is retried (same key) before the test gives up.
const RETRIES: usize = 50;

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

fn post(path: &str, body: &Json, key: &str) -> Req {
    Req::post_json(path, &body.to_string()).header("idempotency-key", key)
}

fn start_request(key: &str) -> Req {
    let data = json!({
        "Customer Id": "C-1", "Customer Email": "a@example.com",
        "Contact Reason": "billing", "Customer Tier": "silver"
    });
    post(
        "/v1/processes/complaint/cases",
        &json!({ "data": data }),
        key,
    )
}

fn event_request(id: &str, key: &str) -> Req {
    post(
        &format!("/v1/cases/{id}/events"),
        &json!({ "type": "customer-replied", "message": format!("message {key}") }),
        key,
    )
}

/// Checks a 503 answer: the store code, and no internal text.
fn assert_store_problem(reply: &Reply) {
    assert_eq!(reply.status, 503, "{}", reply.text());
    let problem = reply.json();
    assert_eq!(
        problem["type"],
        format!("{PROBLEMS}store-unavailable"),
        "{problem}"
    );
    let text = reply.text();
    for needle in ["injected", "sqlite", "/tmp/", "panicked", ".rs:"] {
        assert!(
            !text.to_lowercase().contains(needle),
            "the answer leaks `{needle}`: {text}"
        );
    }
}

/// Sends `req` until it is answered 2xx; every other answer must be a clean 503. Returns
/// the 2xx reply and the number of 503s.
fn until_ok(server: &Server, req: &Req) -> (Reply, usize) {
    for errors in 0..RETRIES {
        let reply = server.send(req);
        if (200..300).contains(&reply.status) {
            return (reply, errors);
        }
        assert_store_problem(&reply);
    }
    panic!(
        "{} {} was not answered 2xx in {RETRIES} tries",
        req.method, req.path
    );
}

/// The case's event keys after `started`, in order.
fn event_keys(case: &Json) -> Vec<String> {
    case["events"].as_array().unwrap()[1..]
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_owned())
        .collect()
}

/// Acknowledged events missing from `keys`, and keys present more than once.
fn lost_and_duplicated(acknowledged: &[String], keys: &[String]) -> (usize, usize) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for key in keys {
        *counts.entry(key.as_str()).or_default() += 1;
    }
    let lost = acknowledged
        .iter()
        .filter(|k| !counts.contains_key(k.as_str()))
        .count();
    let duplicated = counts.values().filter(|n| **n > 1).count();
    (lost, duplicated)
}

fn read_case(server: &Server, id: &str) -> Json {
    until_ok(server, &Req::get(&format!("/v1/cases/{id}")))
        .0
        .json()["case"]
        .clone()
}

#[test]
fn store_errors_answer_503_and_lose_no_acknowledged_event() {
    // A start makes up to four store calls and an event two: every N from 5 on lets each
    // request through on some retry, and every value injects several errors in the run.
    for every in [5, 7, 11] {
        let fault = format!("kv-error-every={every}");
        let server =
            Server::start_with_args(&example_bundle(), Store::Sqlite, &["--fault", &fault]);
        let (started, mut store_errors) = until_ok(&server, &start_request("start"));
        assert_eq!(started.status, 201, "{}", started.text());
        let id = started.json()["case"]["id"].as_str().unwrap().to_owned();
        let mut acknowledged = Vec::new();
        for n in 0..20 {
            let key = format!("e{n}");
            let (reply, errors) = until_ok(&server, &event_request(&id, &key));
            assert_eq!(reply.status, 200, "{}", reply.text());
            store_errors += errors;
            acknowledged.push(key);
        }
        assert!(store_errors > 0, "{fault}: no store error was injected");
        let keys = event_keys(&read_case(&server, &id));
        let (lost, duplicated) = lost_and_duplicated(&acknowledged, &keys);
        assert_eq!(
            keys, acknowledged,
            "{fault}: exactly the acknowledged events, in order"
        );
        println!(
            "RELIABILITY fault={fault} store_errors={store_errors} acknowledged={} lost={lost} duplicated={duplicated}",
            acknowledged.len()
        );
        assert!(
            server
                .log()
                .contains("cpm-edge: the key-value store failed"),
            "the reason is logged"
        );
    }
}

#[test]
fn a_crash_between_commit_and_answer_then_a_retry_applies_the_event_once() {
    // The start writes twice (its start record, then the case); events write once each.
    let mut acknowledged = Vec::new();
    let mut server = Server::start_with(&example_bundle(), Store::Sqlite);
    let started = server.send(&start_request("start"));
    assert_eq!(started.status, 201, "{}", started.text());
    let id = started.json()["case"]["id"].as_str().unwrap().to_owned();
    let mut crashes = 0;
    for n in 0..3 {
        // The next write (this event's) is the first of the restarted host.
        server.set_host_args(&["--fault", "crash-after-write=1"]);
        server.restart();
        let key = format!("crash-{n}");
        let first = server.try_send(&event_request(&id, &key));
        assert!(
            first.is_err(),
            "the host answered although it crashed after the write: {:?}",
            first.map(|r| r.text())
        );
        // The log is kept across restarts: one crash line per round.
        assert_eq!(
            server.log().matches("injected crash after write 1").count(),
            n + 1,
            "the host did not crash:\n{}",
            server.log()
        );
        crashes += 1;
        server.set_host_args(&[]);
        server.restart();
        // The write was committed: the retry finds the event and applies nothing.
        let retry = server.send(&event_request(&id, &key));
        assert_eq!(retry.status, 200, "{}", retry.text());
        assert_eq!(retry.json()["applied"], json!(false), "{}", retry.text());
        acknowledged.push(key);
        // And an event after it is applied normally.
        let key = format!("after-{n}");
        let next = server.send(&event_request(&id, &key));
        assert_eq!(next.status, 200, "{}", next.text());
        acknowledged.push(key);
    }
    let keys = event_keys(&read_case(&server, &id));
    let (lost, duplicated) = lost_and_duplicated(&acknowledged, &keys);
    assert_eq!(keys, acknowledged);
    println!(
        "RELIABILITY fault=crash-after-write crashes={crashes} acknowledged={} lost={lost} duplicated={duplicated}",
        acknowledged.len()
    );
}

/// Sends one request per thread to 127.0.0.1:`port`, all at once; the replies in order
/// (`None`: no answer, the host was killed).
fn all_at_once(port: u16, requests: Vec<Req>) -> Vec<Option<Reply>> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let handles: Vec<_> = requests
        .into_iter()
        .map(|req| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                send_to(port, &req).ok()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn many_concurrent_events_on_one_case_exactly_the_2xx_ones_are_in_history() {
    let server = Server::start_with(&example_bundle(), Store::Sqlite);
    let started = server.send(&start_request("start"));
    let id = started.json()["case"]["id"].as_str().unwrap().to_owned();
    let keys: Vec<String> = (0..24).map(|n| format!("c{n}")).collect();
    let replies = all_at_once(
        server.port,
        keys.iter().map(|k| event_request(&id, k)).collect(),
    );
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for (key, reply) in keys.iter().zip(&replies) {
        let reply = reply.as_ref().expect("every request is answered");
        match reply.status {
            200 => acknowledged.push(key.clone()),
            409 => {
                assert_eq!(reply.json()["type"], format!("{PROBLEMS}write-conflict"));
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    let case = read_case(&server, &id);
    let mut present = event_keys(&case);
    let (lost, duplicated) = lost_and_duplicated(&acknowledged, &present);
    present.sort();
    acknowledged.sort();
    assert_eq!(
        present, acknowledged,
        "exactly the 2xx events are in the history"
    );
    assert_eq!(case["version"], json!(1 + acknowledged.len()));
    println!(
        "RELIABILITY fault=concurrent-writers writers={} acknowledged={} refused={refused} lost={lost} duplicated={duplicated}",
        keys.len(),
        acknowledged.len()
    );
}

#[test]
fn one_event_delivered_many_times_at_once_is_applied_once() {
    let server = Server::start_with(&example_bundle(), Store::Sqlite);
    let started = server.send(&start_request("start"));
    let id = started.json()["case"]["id"].as_str().unwrap().to_owned();
    let deliveries = 16;
    let replies = all_at_once(
        server.port,
        (0..deliveries).map(|_| event_request(&id, "dup")).collect(),
    );
    let mut applied = 0;
    let mut replayed = 0;
    for reply in &replies {
        let reply = reply.as_ref().expect("every delivery is answered");
        match reply.status {
            200 if reply.json()["applied"] == json!(false) => replayed += 1,
            200 => applied += 1,
            409 => assert_eq!(reply.json()["type"], format!("{PROBLEMS}write-conflict")),
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    assert_eq!(applied, 1, "exactly one delivery applies the event");
    let keys = event_keys(&read_case(&server, &id));
    assert_eq!(keys, ["dup"]);
    println!(
        "RELIABILITY fault=duplicate-deliveries deliveries={deliveries} applied={applied} replayed={replayed} lost=0 duplicated={}",
        keys.len() - 1
    );
}

#[test]
fn a_host_killed_while_writers_are_busy_loses_no_acknowledged_event() {
    let mut server = Server::start_with(&example_bundle(), Store::Sqlite);
    let started = server.send(&start_request("start"));
    let id = started.json()["case"]["id"].as_str().unwrap().to_owned();
    let mut acknowledged = Vec::new();
    let mut unanswered = Vec::new();
    let mut kills = 0;
    for round in 0..3 {
        let keys: Vec<String> = (0..12).map(|n| format!("k{round}-{n}")).collect();
        let requests: Vec<Req> = keys.iter().map(|k| event_request(&id, k)).collect();
        let port = server.port;
        // The writers start together; the host is killed once one event is acknowledged,
        // while the others are in flight.
        let writers = std::thread::spawn(move || all_at_once(port, requests));
        let probe = format!("probe-{round}");
        let first = server.send(&event_request(&id, &probe));
        assert_eq!(first.status, 200, "{}", first.text());
        acknowledged.push(probe);
        server.kill();
        kills += 1;
        let replies = writers.join().unwrap();
        server.restart();
        for (key, reply) in keys.iter().zip(replies) {
            match reply {
                Some(r) if r.status == 200 => acknowledged.push(key.clone()),
                Some(r) if r.status == 409 => {}
                Some(r) => panic!("unexpected {}: {}", r.status, r.text()),
                None => unanswered.push(key.clone()),
            }
        }
    }
    let present = event_keys(&read_case(&server, &id));
    let (lost, duplicated) = lost_and_duplicated(&acknowledged, &present);
    assert_eq!(
        lost, 0,
        "acknowledged {acknowledged:?}, present {present:?}"
    );
    assert_eq!(duplicated, 0, "{present:?}");
    // Only acknowledged or unanswered events can be there.
    for key in &present {
        assert!(
            acknowledged.contains(key) || unanswered.contains(key),
            "`{key}` is in the history but was refused"
        );
    }
    println!(
        "RELIABILITY fault=kill-mid-write kills={kills} acknowledged={} unanswered={} lost={lost} duplicated={duplicated}",
        acknowledged.len(),
        unanswered.len()
    );
}
