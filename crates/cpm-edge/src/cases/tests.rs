//! The process routes natively: every route, status and problem type, idempotency,
//! `If-Match`, the lost-update race (a second writer played between read and swap by the
//! in-memory store), and the store's size limit. The bundle is the embedded one
//! (`examples/customer`).

use std::borrow::Cow;

use serde_json::{Value as Json, json};

use super::*;
use crate::platform::FixedPlatform;
use crate::service::{Body, handle};
use crate::source::EMBEDDED;
use crate::store::StoreError;
use crate::store::memory::MemoryStore;

const T0: &str = "2024-05-06T09:00:00+02:00";

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    Request {
        method: method.into(),
        path_and_query: path.into(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect(),
        body: Body::Complete(body.to_vec()),
    }
}

fn send<P: Platform>(platform: &P, req: &Request) -> (Reply, Json) {
    let reply = handle(req, Ok(Cow::Borrowed(EMBEDDED)), platform);
    let json = match reply.header("content-type") {
        Some("application/msgpack") => crate::msgpack::decode(&reply.body).unwrap(),
        Some(t) if t.starts_with("text/plain") => Json::Null,
        _ => serde_json::from_slice(&reply.body).unwrap(),
    };
    (reply, json)
}

fn post<P: Platform>(
    platform: &P,
    path: &str,
    headers: &[(&str, &str)],
    body: &Json,
) -> (Reply, Json) {
    send(
        platform,
        &request("POST", path, headers, body.to_string().as_bytes()),
    )
}

fn get<P: Platform>(platform: &P, path: &str, headers: &[(&str, &str)]) -> (Reply, Json) {
    send(platform, &request("GET", path, headers, b""))
}

fn problem_type(json: &Json) -> &str {
    json["type"]
        .as_str()
        .unwrap()
        .trim_start_matches(problem::TYPE_PREFIX)
}

fn engine() -> Engine {
    api::load(EMBEDDED).unwrap()
}

fn complaint_data() -> Json {
    json!({
        "Customer Id": "C-1042", "Customer Email": "ann@example.com",
        "Contact Reason": "delivery", "Customer Tier": "gold",
        "Amount At Stake": 89.90, "Repeat Contact": false,
        "Description": "The parcel arrived crushed."
    })
}

/// Starts a complaint with idempotency key `key` at `now`; returns the case id.
fn start_complaint(platform: &FixedPlatform, key: &str, now: &str) -> String {
    let (reply, json) = post(
        platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", key), ("cpm-now", now)],
        &json!({ "data": complaint_data() }),
    );
    assert_eq!(reply.status, 201, "{json}");
    json["case"]["id"].as_str().unwrap().to_owned()
}

/// Starts a complaint at the platform's clock (no `cpm-now` header).
fn start_complaint_on(platform: &FixedPlatform, key: &str) -> String {
    let (reply, json) = post(
        platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", key)],
        &json!({ "data": complaint_data() }),
    );
    assert_eq!(reply.status, 201, "{json}");
    json["case"]["id"].as_str().unwrap().to_owned()
}

fn stored(platform: &FixedPlatform, id: &str) -> Json {
    serde_json::from_slice(&platform.store.get(&case_key(id)).unwrap().unwrap()).unwrap()
}

fn case_keys(platform: &FixedPlatform) -> Vec<String> {
    platform
        .store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with(CASE_PREFIX))
        .collect()
}

#[test]
fn intake_answers_as_the_core_does() {
    let platform = FixedPlatform::new(T0);
    let body = json!({ "contact": { "Contact Reason": "delivery", "Customer Id": "C-1" } });
    let (reply, json) = post(&platform, "/v1/intake", &[], &body);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["matches"][0]["process"], "complaint");
    assert_eq!(json["matches"][0]["ready"], false);
    let native = api::intake_json_str(&engine(), &body.to_string());
    assert_eq!(String::from_utf8(reply.body).unwrap(), native);

    let (reply, json) = post(
        &platform,
        "/v1/intake",
        &[],
        &json!({ "Contact Reason": "x" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (422, problem::INVALID_REQUEST)
    );
    let (reply, json) = send(&platform, &request("POST", "/v1/intake", &[], b"{"));
    assert_eq!(
        (reply.status, problem_type(&json)),
        (400, problem::MALFORMED_BODY)
    );
    let (reply, json) = get(&platform, "/v1/intake", &[]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (405, problem::METHOD_NOT_ALLOWED)
    );
    assert_eq!(reply.header("allow"), Some("POST"));
}

#[test]
fn a_start_is_stored_and_answers_201_with_location_and_etag() {
    let platform = FixedPlatform::new(T0);
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", "web-4711")],
        &json!({ "data": complaint_data() }),
    );
    assert_eq!(reply.status, 201, "{json}");
    let id = json["case"]["id"].as_str().unwrap();
    // 128 random bits (the test platform counts instead).
    assert_eq!(id, format!("c-{:032x}", 1));
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/cases/{id}").as_str())
    );
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(json["case"]["status"], "open");
    assert_eq!(json["case"]["step"], "investigate");
    // The answer is the core's, byte for byte.
    let native = api::start_case(
        &engine(),
        &StartCaseRequest {
            process: "complaint".into(),
            data: complaint_data().as_object().unwrap().clone(),
            contact: None,
            key: "web-4711".into(),
            now: T0.into(),
            id: Some(id.to_owned()),
        },
    );
    assert_eq!(
        String::from_utf8(reply.body).unwrap(),
        cpm_core::canonical::to_string(&native)
    );
    // Stored: the case without its SLA view, and the start record.
    let mut expected = native["case"].clone();
    expected.as_object_mut().unwrap().remove("sla");
    assert_eq!(stored(&platform, id), expected);
    assert_eq!(
        platform
            .store
            .get(&start_key("complaint", "web-4711"))
            .unwrap(),
        Some(id.as_bytes().to_vec())
    );
}

#[test]
fn a_start_with_a_seen_key_answers_the_same_case_and_applies_nothing() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let swaps = platform.store.swaps();
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[
            ("idempotency-key", "web-1"),
            ("cpm-now", "2024-05-06T09:05:00+02:00"),
        ],
        &json!({ "data": complaint_data() }),
    );
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(reply.header(REPLAYED), Some("true"));
    assert_eq!(json["case"]["id"], id.as_str());
    assert_eq!(json["applied"], false);
    assert_eq!(json["case"]["startedAt"], T0);
    assert_eq!(platform.store.swaps(), swaps, "nothing written");
    assert_eq!(case_keys(&platform).len(), 1);
    // Another key starts another case.
    let other = start_complaint(&platform, "web-2", T0);
    assert_ne!(other, id);
    // The key may come in the body instead of the header; both must agree when both come.
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[],
        &json!({ "data": complaint_data(), "key": "web-1" }),
    );
    assert_eq!(
        (reply.status, json["case"]["id"].as_str()),
        (200, Some(id.as_str()))
    );
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", "web-1")],
        &json!({ "data": complaint_data(), "key": "web-9" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (400, problem::BAD_HEADER)
    );
}

#[test]
fn a_start_record_without_its_case_is_completed_by_the_retry() {
    // As if the component stopped between writing the start record and the case.
    let platform = FixedPlatform::new(T0);
    platform
        .store
        .set(&start_key("complaint", "web-1"), b"c-interrupted");
    let id = start_complaint(&platform, "web-1", T0);
    assert_eq!(id, "c-interrupted");
    assert_eq!(stored(&platform, &id)["version"], 1);
}

#[test]
fn starts_without_a_key_get_fresh_ids_and_keys() {
    let platform = FixedPlatform::new(T0);
    let body = json!({ "data": complaint_data() });
    let (first, a) = post(&platform, "/v1/processes/complaint/cases", &[], &body);
    let (second, b) = post(&platform, "/v1/processes/complaint/cases", &[], &body);
    assert_eq!((first.status, second.status), (201, 201));
    assert_ne!(a["case"]["id"], b["case"]["id"]);
    assert_ne!(a["event"]["key"], b["event"]["key"]);
}

#[test]
fn missing_and_invalid_data_are_all_reported_and_nothing_is_stored() {
    let platform = FixedPlatform::new(T0);
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", "k")],
        &json!({ "data": { "Customer Email": "not-an-address", "Customer Tier": "gold" } }),
    );
    assert_eq!(reply.status, 422, "{json}");
    assert_eq!(problem_type(&json), problem::INVALID_DATA);
    let paths: Vec<&str> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["Customer Id", "Customer Email", "Contact Reason"]);
    assert!(
        json["detail"].as_str().unwrap().starts_with("3 problem(s)"),
        "{json}"
    );
    assert!(platform.store.keys().is_empty());
}

#[test]
fn start_problems() {
    let platform = FixedPlatform::new(T0);
    let body = json!({ "data": complaint_data() });
    let (reply, json) = post(&platform, "/v1/processes/nope/cases", &[], &body);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (404, "unknown-process")
    );
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[],
        &json!({ "data": complaint_data(), "id": "no spaces" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (422, problem::INVALID_CASE_ID)
    );
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[],
        &json!({ "data": complaint_data(), "colour": "red" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (422, problem::INVALID_REQUEST)
    );
    // A client-chosen id: taken once; the same start again is a replay, another is a conflict.
    let body = json!({ "data": complaint_data(), "id": "case-1", "key": "k1" });
    let (reply, _) = post(&platform, "/v1/processes/complaint/cases", &[], &body);
    assert_eq!(reply.status, 201);
    let (reply, _) = post(&platform, "/v1/processes/complaint/cases", &[], &body);
    assert_eq!(reply.status, 200);
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[],
        &json!({ "data": complaint_data(), "id": "case-1", "key": "k2" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (409, problem::CASE_EXISTS)
    );
    let (reply, json) = post(&platform, "/v1/processes/complaint/cases?x=1", &[], &body);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (400, problem::BAD_QUERY)
    );
}

#[test]
fn get_case_answers_the_case_with_its_sla_view_and_etag() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let later = "2024-05-08T10:00:00+02:00";
    let (reply, json) = get(&platform, &format!("/v1/cases/{id}"), &[("cpm-now", later)]);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(json["type"], "success");
    assert_eq!(json["case"]["sla"]["now"], later);
    assert_eq!(json["case"]["sla"]["tasks"][0]["status"], "breached");
    // As the core's replay gives it.
    let events = stored(&platform, &id)["events"].clone();
    let native = api::replay_json_str(
        &engine(),
        &json!({ "events": events, "now": later }).to_string(),
    );
    assert_eq!(String::from_utf8(reply.body).unwrap(), native);
    // MessagePack on request.
    let (reply, json) = get(
        &platform,
        &format!("/v1/cases/{id}"),
        &[("accept", "application/msgpack")],
    );
    assert_eq!(reply.header("content-type"), Some("application/msgpack"));
    assert_eq!(json["case"]["id"], id.as_str());

    let (reply, json) = get(&platform, "/v1/cases/c-missing", &[]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (404, problem::UNKNOWN_CASE)
    );
    let (reply, json) = get(&platform, "/v1/cases/a%20b", &[]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (404, problem::UNKNOWN_CASE)
    );
    let (reply, json) = get(&platform, "/v1/cases/", &[]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (404, problem::NOT_FOUND)
    );
    let (reply, json) = send(
        &platform,
        &request("DELETE", &format!("/v1/cases/{id}"), &[], b""),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (405, problem::METHOD_NOT_ALLOWED)
    );
    let (reply, json) = get(
        &platform,
        &format!("/v1/cases/{id}"),
        &[("cpm-now", "tomorrow")],
    );
    assert_eq!((reply.status, problem_type(&json)), (422, "invalid-time"));
}

#[test]
fn the_clock_header_is_refused_unless_tests_allow_it() {
    let platform = FixedPlatform::without_test_clock(T0);
    let (reply, json) = get(&platform, "/v1/tasks", &[("cpm-now", T0)]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (400, problem::BAD_HEADER)
    );
    let (reply, json) = get(&platform, "/v1/tasks", &[]);
    assert_eq!(reply.status, 200, "{json}");
}

fn claim() -> Json {
    json!({ "type": "task-claimed", "task": "investigate-1", "by": "bob" })
}

#[test]
fn events_apply_once_per_key_and_are_stored_before_the_answer() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let path = format!("/v1/cases/{id}/events");
    let at = "2024-05-06T10:15:00+02:00";
    let (reply, json) = post(
        &platform,
        &path,
        &[("idempotency-key", "claim-1"), ("cpm-now", at)],
        &claim(),
    );
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(reply.header("etag"), Some("\"2\""));
    assert_eq!(reply.header(REPLAYED), None);
    assert_eq!(json["applied"], true);
    assert_eq!(json["event"]["key"], "claim-1");
    assert_eq!(json["event"]["at"], at);
    assert_eq!(stored(&platform, &id)["version"], 2);
    assert_eq!(stored(&platform, &id)["tasks"][0]["claimedBy"], "bob");

    // The same key again: the core's no-op answer, nothing written.
    let swaps = platform.store.swaps();
    let (reply, json) = post(
        &platform,
        &path,
        &[
            ("idempotency-key", "claim-1"),
            ("cpm-now", "2024-05-06T11:00:00+02:00"),
        ],
        &json!({ "type": "task-claimed", "task": "investigate-1", "by": "eve" }),
    );
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(reply.header(REPLAYED), Some("true"));
    assert_eq!(reply.header("etag"), Some("\"2\""));
    assert_eq!(
        (json["applied"].clone(), json["event"].clone()),
        (json!(false), Json::Null)
    );
    assert_eq!(json["case"]["tasks"][0]["claimedBy"], "bob");
    assert_eq!(platform.store.swaps(), swaps);

    // The key in the body works as well.
    let (reply, json) = post(
        &platform,
        &path,
        &[("cpm-now", "2024-05-06T11:00:00+02:00")],
        &json!({ "type": "task-claimed", "key": "claim-2", "task": "investigate-1", "by": "eve" }),
    );
    assert_eq!(
        (reply.status, json["case"]["version"].clone()),
        (200, json!(3))
    );
}

#[test]
fn a_clock_behind_the_last_event_does_not_refuse_an_event() {
    // Another instance, its clock a minute ahead, wrote the last event.
    let platform = FixedPlatform::without_test_clock("2024-05-06T10:01:00+02:00");
    let id = start_complaint_on(&platform, "web-1");
    platform.set_now("2024-05-06T10:00:00+02:00");
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[("idempotency-key", "claim-1")],
        &claim(),
    );
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["event"]["at"], "2024-05-06T10:01:00+02:00");
    // An event that says it happened earlier is still refused.
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[("idempotency-key", "fb-1")],
        &json!({ "type": "feedback", "csat": 4, "at": "2024-05-06T10:00:00+02:00" }),
    );
    assert_eq!((reply.status, problem_type(&json)), (422, "time-order"));
}

#[test]
fn if_match_guards_the_version() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let path = format!("/v1/cases/{id}/events");
    let event =
        json!({ "type": "task-claimed", "key": "c1", "task": "investigate-1", "by": "bob" });
    for stale in ["\"2\"", "W/\"1\"", "\"0\", \"5\""] {
        let (reply, json) = post(&platform, &path, &[("if-match", stale)], &event);
        assert_eq!(
            (reply.status, problem_type(&json)),
            (412, problem::VERSION_MISMATCH),
            "{stale}"
        );
        assert_eq!(reply.header("etag"), Some("\"1\""));
    }
    let (reply, json) = post(&platform, &path, &[("if-match", "nonsense")], &event);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (400, problem::BAD_HEADER)
    );
    assert_eq!(stored(&platform, &id)["version"], 1, "nothing applied");
    let (reply, _) = post(&platform, &path, &[("if-match", "\"7\", \"1\"")], &event);
    assert_eq!(reply.status, 200);
    // A retry of an applied event is answered as a replay whatever `If-Match` says.
    let (reply, json) = post(&platform, &path, &[("if-match", "\"1\"")], &event);
    assert_eq!((reply.status, json["applied"].clone()), (200, json!(false)));
    let event =
        json!({ "type": "task-claimed", "key": "c2", "task": "investigate-1", "by": "eve" });
    let (reply, _) = post(&platform, &path, &[("if-match", "*")], &event);
    assert_eq!(reply.status, 200);
}

/// Request headers of a test case.
type Headers<'a> = &'a [(&'a str, &'a str)];

#[test]
fn event_problems() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let path = format!("/v1/cases/{id}/events");
    let cases: &[(Json, Headers<'_>, u16, &str)] = &[
        (
            json!({ "type": "task-completed", "key": "k", "task": "investigate-7", "by": "x", "form": {} }),
            &[],
            422,
            "unknown-task",
        ),
        (
            json!({ "type": "task-completed", "key": "k", "task": "investigate-1", "by": "x", "form": { "Finding": "maybe" } }),
            &[],
            422,
            problem::INVALID_DATA,
        ),
        (
            json!({ "type": "task-claimed", "task": "investigate-1", "by": "x" }),
            &[],
            422,
            "invalid-event",
        ),
        (
            json!({ "type": "lunch", "key": "k" }),
            &[],
            422,
            "invalid-event",
        ),
        (
            json!({ "type": "started", "key": "k", "process": "complaint" }),
            &[],
            422,
            "already-started",
        ),
        (
            json!(["not", "an", "event"]),
            &[],
            422,
            problem::INVALID_REQUEST,
        ),
        (
            json!({ "type": "feedback", "key": "k", "csat": 5 }),
            &[("idempotency-key", "other")],
            400,
            problem::BAD_HEADER,
        ),
        (
            json!({ "type": "feedback", "key": "k", "csat": 5, "at": "2024-05-01T00:00:00Z" }),
            &[],
            422,
            "time-order",
        ),
    ];
    for (event, headers, status, code) in cases {
        let (reply, json) = post(&platform, &path, headers, event);
        assert_eq!(
            (reply.status, problem_type(&json)),
            (*status, *code),
            "{event}: {json}"
        );
        if *status == 422 && *code != problem::INVALID_REQUEST {
            assert!(!json["errors"].as_array().unwrap().is_empty(), "{json}");
        }
    }
    // A form with two problems lists both.
    let (_, json) = post(
        &platform,
        &path,
        &[],
        &json!({ "type": "task-completed", "key": "k", "task": "investigate-1", "by": "x", "form": { "Finding": "maybe" } }),
    );
    assert_eq!(json["errors"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(stored(&platform, &id)["version"], 1, "nothing applied");
    let (reply, json) = post(
        &platform,
        "/v1/cases/c-nope/events",
        &[],
        &json!({ "type": "feedback", "key": "k", "csat": 5 }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (404, problem::UNKNOWN_CASE)
    );
}

#[test]
fn a_case_pinned_to_another_bundle_is_refused_not_replayed() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let mut case = stored(&platform, &id);
    case["bundleHash"] = json!("0".repeat(64));
    platform
        .store
        .set(&case_key(&id), case.to_string().as_bytes());
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[],
        &json!({ "type": "task-claimed", "key": "c1", "task": "investigate-1", "by": "bob" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (409, "bundle-mismatch"),
        "{json}"
    );
    assert_eq!(stored(&platform, &id)["version"], 1);
    // Reading it still works: nothing is replayed to read.
    let (reply, _) = get(&platform, &format!("/v1/cases/{id}"), &[]);
    assert_eq!(reply.status, 200);
}

#[test]
fn an_unreadable_stored_case_is_a_500() {
    let platform = FixedPlatform::new(T0);
    platform.store.set(&case_key("c-bad"), b"{\"id\": 1}");
    let (reply, json) = get(&platform, "/v1/cases/c-bad", &[]);
    assert_eq!((reply.status, problem_type(&json)), (500, "invalid-case"));
    let (reply, json) = get(&platform, "/v1/tasks", &[]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (500, "invalid-case"),
        "{json}"
    );
}

#[test]
fn the_outbox_lists_effects_until_they_are_acknowledged() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let (reply, json) = get(&platform, &format!("/v1/cases/{id}/outbox"), &[]);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let ids: Vec<String> = json["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["e1-1", "e1-2", "e1-3"]);
    assert_eq!(json["outbox"][1]["type"], "send");
    assert_eq!(
        (json["id"].as_str(), json["version"].clone()),
        (Some(id.as_str()), json!(1))
    );
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[("idempotency-key", "ack-1")],
        &json!({ "type": "effects-acknowledged", "effects": ["e1-1", "e1-2"] }),
    );
    assert_eq!(reply.status, 200, "{json}");
    let (_, json) = get(&platform, &format!("/v1/cases/{id}/outbox"), &[]);
    assert_eq!(json["outbox"].as_array().unwrap().len(), 1);
    assert_eq!(json["outbox"][0]["id"], "e1-3");
    assert_eq!(json["version"], 2);
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[("idempotency-key", "ack-2")],
        &json!({ "type": "effects-acknowledged", "effects": ["e1-1"] }),
    );
    assert_eq!((reply.status, problem_type(&json)), (422, "unknown-effect"));
    let (reply, json) = get(&platform, "/v1/cases/c-nope/outbox", &[]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (404, problem::UNKNOWN_CASE)
    );
}

#[test]
fn tasks_are_the_open_tasks_of_every_stored_case_oldest_first() {
    let platform = FixedPlatform::new(T0);
    let later = start_complaint(&platform, "web-2", "2024-05-06T12:00:00+02:00");
    let first = start_complaint(&platform, "web-1", T0);
    let now = "2024-05-08T10:00:00+02:00";
    let (reply, json) = get(&platform, "/v1/tasks?queue=complaints", &[("cpm-now", now)]);
    assert_eq!(reply.status, 200, "{json}");
    let tasks = json["tasks"].as_array().unwrap();
    let cases: Vec<&str> = tasks.iter().map(|t| t["case"].as_str().unwrap()).collect();
    assert_eq!(cases, [first.as_str(), later.as_str()]);
    assert_eq!(tasks[0]["sla"], "breached");
    assert_eq!(tasks[1]["sla"], "at-risk");
    // As the core answers for the stored cases.
    let native = api::tasks_json_str(
        &json!({ "cases": [stored(&platform, &first), stored(&platform, &later)], "queue": "complaints", "now": now })
            .to_string(),
    );
    assert_eq!(String::from_utf8(reply.body).unwrap(), native);
    let (_, json) = get(&platform, "/v1/tasks?queue=billing", &[]);
    assert_eq!(json["tasks"], json!([]));
    let (_, json) = get(&platform, "/v1/tasks", &[]);
    assert_eq!(json["tasks"].as_array().unwrap().len(), 2);
    for bad in ["/v1/tasks?queue=a&queue=b", "/v1/tasks?team=x"] {
        let (reply, json) = get(&platform, bad, &[]);
        assert_eq!(
            (reply.status, problem_type(&json)),
            (400, problem::BAD_QUERY),
            "{bad}"
        );
    }
}

#[test]
fn cases_are_found_across_list_pages() {
    let platform = FixedPlatform::with_store(T0, MemoryStore::with_page_size(2));
    for n in 0..5 {
        start_complaint(&platform, &format!("web-{n}"), T0);
    }
    let (_, json) = get(&platform, "/v1/tasks", &[]);
    assert_eq!(json["tasks"].as_array().unwrap().len(), 5);
}

#[test]
fn metrics_in_json_and_prometheus_text() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    let now = "2024-05-07T09:00:00+02:00";
    let (reply, json) = get(&platform, "/v1/metrics", &[("cpm-now", now)]);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["processes"][0]["process"], "complaint");
    assert_eq!(json["processes"][0]["started"], 1);
    let native =
        api::kpis_json_str(&json!({ "cases": [stored(&platform, &id)], "now": now }).to_string());
    assert_eq!(String::from_utf8(reply.body.clone()).unwrap(), native);

    let (reply, _) = get(
        &platform,
        "/v1/metrics",
        &[("cpm-now", now), ("accept", "text/plain")],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some(crate::negotiate::PROMETHEUS_TEXT)
    );
    let text = String::from_utf8(reply.body).unwrap();
    assert!(
        text.contains("cpm_cases_started{process=\"complaint\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("cpm_cases{process=\"complaint\",status=\"open\"} 1\n"),
        "{text}"
    );
    let (reply, json) = get(&platform, "/v1/metrics?process=x", &[]);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (400, problem::BAD_QUERY)
    );
}

/// A platform over a store it borrows (a second client of the same store).
struct Shared<'a>(&'a MemoryStore);

impl Platform for Shared<'_> {
    type Store = MemoryStore;
    fn store(&self) -> Result<&MemoryStore, StoreError> {
        Ok(self.0)
    }
    fn now(&self) -> String {
        T0.into()
    }
    fn random_hex(&self) -> String {
        "f".repeat(32)
    }
    fn test_clock(&self) -> bool {
        true
    }
}

/// Plays a second client's event on `id` from inside the first client's write: it reads
/// the version the first client read and writes the next one first.
fn second_writer(id: String) -> crate::store::memory::BeforeSwap {
    Box::new(move |store: &MemoryStore| {
        let (reply, json) = post(
            &Shared(store),
            &format!("/v1/cases/{id}/events"),
            &[
                ("idempotency-key", "claim-by-eve"),
                ("cpm-now", "2024-05-06T10:00:00+02:00"),
            ],
            &json!({ "type": "task-claimed", "task": "investigate-1", "by": "eve" }),
        );
        assert_eq!(reply.status, 200, "{json}");
    })
}

#[test]
fn a_lost_update_is_retried_on_the_new_state() {
    // Client A reads version 1; before A's swap, client B applies its event (version 2).
    // A's swap fails; A applies its event again on version 2: both events are kept.
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    platform.store.before_next_swap(second_writer(id.clone()));
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[
            ("idempotency-key", "claim-by-bob"),
            ("cpm-now", "2024-05-06T10:15:00+02:00"),
        ],
        &json!({ "type": "task-claimed", "task": "investigate-1", "by": "bob" }),
    );
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["case"]["version"], 3);
    let case = stored(&platform, &id);
    let keys: Vec<&str> = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["web-1", "claim-by-eve", "claim-by-bob"]);
    assert_eq!(case["tasks"][0]["claimedBy"], "bob");
}

#[test]
fn a_lost_update_with_if_match_is_a_412() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    platform.store.before_next_swap(second_writer(id.clone()));
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[
            ("idempotency-key", "claim-by-bob"),
            ("if-match", "\"1\""),
            ("cpm-now", "2024-05-06T10:15:00+02:00"),
        ],
        &json!({ "type": "task-claimed", "task": "investigate-1", "by": "bob" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (412, problem::VERSION_MISMATCH),
        "{json}"
    );
    assert_eq!(reply.header("etag"), Some("\"2\""));
    let case = stored(&platform, &id);
    assert_eq!(case["version"], 2);
    assert_eq!(case["tasks"][0]["claimedBy"], "eve");
}

/// A writer that changes the case before every swap, for ever.
fn meddle(key: String) -> crate::store::memory::BeforeSwap {
    Box::new(move |store: &MemoryStore| {
        let value = store.get(&key).unwrap().unwrap();
        store.set(&key, &value);
        store.before_next_swap(meddle(key));
    })
}

#[test]
fn a_case_that_keeps_changing_gives_up_with_409() {
    let platform = FixedPlatform::new(T0);
    let id = start_complaint(&platform, "web-1", T0);
    platform.store.before_next_swap(meddle(case_key(&id)));
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[("idempotency-key", "c1")],
        &json!({ "type": "task-claimed", "task": "investigate-1", "by": "bob" }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (409, problem::WRITE_CONFLICT),
        "{json}"
    );
    assert_eq!(stored(&platform, &id)["version"], 1);
}

#[test]
fn two_starts_racing_for_one_key_make_one_case() {
    // Start A reads no start record; start B completes in between; A then finds B's record.
    let platform = FixedPlatform::new(T0);
    let record = start_key("complaint", "web-1");
    platform
        .store
        .before_next_swap(Box::new(move |store: &MemoryStore| {
            store.set(&record, b"c-from-b");
        }));
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", "web-1")],
        &json!({ "data": complaint_data() }),
    );
    // B's record won; B's case is not there yet, so A creates it under B's id.
    assert_eq!(reply.status, 201, "{json}");
    assert_eq!(json["case"]["id"], "c-from-b");
    assert_eq!(case_keys(&platform), [case_key("c-from-b")]);
}

#[test]
fn a_case_over_the_value_limit_is_refused_with_507() {
    let platform = FixedPlatform::new(T0);
    let mut data = complaint_data();
    // The data is stored twice (case data and the `started` event): 600 KB becomes 1.2 MB.
    data["Description"] = json!("x".repeat(600 * 1024));
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", "big")],
        &json!({ "data": data }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (507, problem::CASE_TOO_LARGE),
        "{json}"
    );
    assert!(platform.store.keys().is_empty());
    // An event that would push a case over the limit: nothing applied.
    data["Description"] = json!("x".repeat(400 * 1024));
    let (reply, json) = post(
        &platform,
        "/v1/processes/complaint/cases",
        &[("idempotency-key", "big")],
        &json!({ "data": data }),
    );
    assert_eq!(reply.status, 201, "{}", json["detail"]);
    let id = json["case"]["id"].as_str().unwrap().to_owned();
    let (reply, json) = post(
        &platform,
        &format!("/v1/cases/{id}/events"),
        &[("idempotency-key", "more")],
        &json!({ "type": "data-supplied", "data": { "Description": "y".repeat(500 * 1024) } }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (507, problem::CASE_TOO_LARGE)
    );
    assert_eq!(stored(&platform, &id)["version"], 1);
}

/// A platform whose store cannot be opened.
struct NoStore;

impl Platform for NoStore {
    type Store = MemoryStore;
    fn store(&self) -> Result<&MemoryStore, StoreError> {
        Err(StoreError::Unavailable {
            store: "default".into(),
            reason: "no such store".into(),
        })
    }
    fn now(&self) -> String {
        T0.into()
    }
    fn random_hex(&self) -> String {
        "0".repeat(32)
    }
    fn test_clock(&self) -> bool {
        false
    }
}

#[test]
fn without_a_store_process_routes_are_503_and_decisions_still_work() {
    for (method, path) in [
        ("GET", "/v1/tasks"),
        ("GET", "/v1/metrics"),
        ("GET", "/v1/cases/c-1"),
        ("GET", "/v1/cases/c-1/outbox"),
    ] {
        let (reply, json) = send(&NoStore, &request(method, path, &[], b""));
        assert_eq!(
            (reply.status, problem_type(&json)),
            (503, problem::STORE_UNAVAILABLE),
            "{path}"
        );
        // What the host said stays in the log: it may name the host's files.
        let detail = json["detail"].as_str().unwrap();
        assert!(!detail.contains("no such store"), "{json}");
        assert!(detail.contains("`Idempotency-Key`"), "{json}");
    }
    let (reply, json) = post(
        &NoStore,
        "/v1/processes/complaint/cases",
        &[],
        &json!({ "data": complaint_data() }),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (503, problem::STORE_UNAVAILABLE)
    );
    let (reply, _) = post(&NoStore, "/v1/intake", &[], &json!({ "contact": {} }));
    assert_eq!(reply.status, 200);
    let (reply, _) = get(&NoStore, "/healthz", &[]);
    assert_eq!(reply.status, 200);
}

#[test]
fn route_table() {
    let platform = FixedPlatform::new(T0);
    for (method, path, allow) in [
        ("GET", "/v1/processes/complaint/cases", "POST"),
        ("PUT", "/v1/cases/c-1/events", "POST"),
        ("POST", "/v1/cases/c-1/outbox", "GET"),
        ("POST", "/v1/tasks", "GET"),
        ("DELETE", "/v1/metrics", "GET"),
    ] {
        let (reply, json) = send(&platform, &request(method, path, &[], b""));
        assert_eq!(
            (reply.status, problem_type(&json)),
            (405, problem::METHOD_NOT_ALLOWED),
            "{path}"
        );
        assert_eq!(reply.header("allow"), Some(allow));
    }
    for path in [
        "/v1/processes/complaint",
        "/v1/processes//cases",
        "/v1/cases/a/b/events",
    ] {
        let (reply, json) = get(&platform, path, &[]);
        assert_eq!(
            (reply.status, problem_type(&json)),
            (404, problem::NOT_FOUND),
            "{path}"
        );
    }
    let mut req = request("POST", "/v1/intake", &[], b"");
    req.body = Body::TooLarge;
    let (reply, json) = send(&platform, &req);
    assert_eq!(
        (reply.status, problem_type(&json)),
        (413, problem::BODY_TOO_LARGE)
    );
    let (reply, json) = send(
        &platform,
        &request(
            "POST",
            "/v1/intake",
            &[("content-type", "text/csv")],
            b"a,b",
        ),
    );
    assert_eq!(
        (reply.status, problem_type(&json)),
        (415, problem::UNSUPPORTED_MEDIA_TYPE)
    );
}
