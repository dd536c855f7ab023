//! The publishing routes natively: every status of the contract, tokens, the
//! compare-and-swap race on the active pointer (a second writer played between read and
//! swap by the in-memory store), pinned cases across publishes, the audit log across archive
//! pages, sources, and CORS.

use std::borrow::Cow;

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;
use serde_json::{Value as Json, json};

use crate::cors;
use crate::platform::FixedPlatform;
use crate::problem;
use crate::registry::{self, LOG_LIMIT, Move};
use crate::service::{Body, Reply, Request, handle};
use crate::source::EMBEDDED;
use crate::store::Store;

const T0: &str = "2024-05-06T09:00:00Z";

const SMALL: &str = r#"
model: small
inputs:
  - { name: Tier, type: string }
decisions:
  - name: Tier Discount
    table:
      hit: UNIQUE
      inputs: [{ expression: Tier }]
      outputs: [{ name: discount, type: number }]
      rules:
        - { id: gold, when: ['"gold"'], then: ['0.2'] }
        - { id: other, when: ['not("gold")'], then: ['0'] }
tests:
  - name: gold gets twenty percent
    input: { Tier: gold }
    expect: { Tier Discount: 0.2 }
  - name: silver gets nothing
    input: { Tier: silver }
    expect: { Tier Discount: 0 }
"#;

fn platform() -> FixedPlatform {
    let p = FixedPlatform::new(T0);
    p.set_config("admin_tokens", "alice:alice-secret,bob:bob-secret");
    p
}

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

fn send(platform: &FixedPlatform, req: &Request) -> (Reply, Json) {
    let reply = handle(req, Ok(Cow::Borrowed(EMBEDDED)), platform);
    let json = if reply.body.is_empty() || reply.body.starts_with(b"CPMB") {
        Json::Null
    } else {
        serde_json::from_slice(&reply.body).unwrap()
    };
    (reply, json)
}

fn files(list: &[(&str, &str)]) -> Json {
    Json::Array(
        list.iter()
            .map(|(path, text)| json!({ "path": path, "text": text }))
            .collect(),
    )
}

fn publish(platform: &FixedPlatform, token: Option<&str>, body: &Json) -> (Reply, Json) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    send(
        platform,
        &request("PUT", "/v1/bundles", &headers, body.to_string().as_bytes()),
    )
}

fn activate(platform: &FixedPlatform, token: &str, hash: &str) -> (Reply, Json) {
    let auth = format!("Bearer {token}");
    send(
        platform,
        &request(
            "POST",
            &format!("/v1/bundles/{hash}/activate"),
            &[("authorization", &auth)],
            b"",
        ),
    )
}

fn audit(platform: &FixedPlatform) -> Vec<Json> {
    let (reply, json) = send(
        platform,
        &request(
            "GET",
            "/v1/audit",
            &[("authorization", "Bearer bob-secret")],
            b"",
        ),
    );
    assert_eq!(reply.status, 200, "{json}");
    json["entries"].as_array().unwrap().clone()
}

fn code(json: &Json) -> &str {
    json["code"].as_str().unwrap()
}

fn embedded_hash() -> String {
    api::load(EMBEDDED).unwrap().hash().to_owned()
}

fn native_hash(files: &[SourceText]) -> String {
    match api::build(files) {
        BuildAnswer::Success { bundle, .. } => api::load(&bundle.encode().unwrap())
            .unwrap()
            .hash()
            .to_owned(),
        BuildAnswer::Failure { errors, .. } => panic!("{errors:?}"),
    }
}

fn small_hash() -> String {
    native_hash(&[SourceText {
        path: "small.yaml".into(),
        text: SMALL.into(),
    }])
}

fn decide_tier(platform: &FixedPlatform) -> (Reply, Json) {
    send(
        platform,
        &request(
            "POST",
            "/v1/decisions/Tier%20Discount?explain=false",
            &[],
            br#"{"Tier":"gold"}"#,
        ),
    )
}

#[test]
fn tokens_are_required_and_checked() {
    let body = json!({ "files": files(&[("small.yaml", SMALL)]) });
    // No token configured: publishing is disabled, whatever the request carries.
    let off = FixedPlatform::new(T0);
    let (reply, json) = publish(&off, Some("alice-secret"), &body);
    assert_eq!(
        (reply.status, code(&json)),
        (403, problem::PUBLISHING_DISABLED)
    );
    off.set_config("admin_tokens", " ");
    let (reply, json) = publish(&off, None, &body);
    assert_eq!(
        (reply.status, code(&json)),
        (403, problem::PUBLISHING_DISABLED)
    );
    // A malformed configuration is the operator's problem, and never shows the secrets.
    off.set_config("admin_tokens", "alice=alice-secret");
    let (reply, json) = publish(&off, Some("alice-secret"), &body);
    assert_eq!((reply.status, code(&json)), (500, problem::BAD_CONFIG));
    assert!(!reply.body.windows(6).any(|w| w == b"secret"), "{json}");

    let p = platform();
    let (reply, json) = publish(&p, None, &body);
    assert_eq!((reply.status, code(&json)), (401, problem::UNAUTHORIZED));
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    for header in ["Basic YWxpY2U6eA==", "Bearer", "Bearer  ", "alice-secret"] {
        let (reply, json) = send(
            &p,
            &request("PUT", "/v1/bundles", &[("authorization", header)], b"{}"),
        );
        assert_eq!(
            (reply.status, code(&json)),
            (401, problem::UNAUTHORIZED),
            "{header}"
        );
    }
    for wrong in ["alice-secre", "alice-secrett", "bob", "Alice-secret"] {
        let (reply, json) = publish(&p, Some(wrong), &body);
        assert_eq!(
            (reply.status, code(&json)),
            (403, problem::FORBIDDEN),
            "{wrong}"
        );
    }
    // Nothing moved.
    assert_eq!(registry::active_hash(&p.store).unwrap(), None);
    // Activation and the audit log take the same tokens.
    let (reply, json) = activate(&p, "nope", &embedded_hash());
    assert_eq!((reply.status, code(&json)), (403, problem::FORBIDDEN));
    let (reply, json) = send(&p, &request("GET", "/v1/audit", &[], b""));
    assert_eq!((reply.status, code(&json)), (401, problem::UNAUTHORIZED));
}

#[test]
fn build_failures_list_every_diagnostic() {
    let p = platform();
    let broken = SMALL
        .replace("then: ['0.2']", "then: ['0.2 +']")
        .replace("expression: Tier }", "expression: Tierr }");
    let (reply, json) = publish(
        &p,
        Some("alice-secret"),
        &json!({ "files": files(&[("small.yaml", &broken)]) }),
    );
    assert_eq!(
        (reply.status, code(&json)),
        (422, problem::BUILD_FAILED),
        "{json}"
    );
    let errors = json["errors"].as_array().unwrap();
    let files_native = [SourceText {
        path: "small.yaml".into(),
        text: broken.clone(),
    }];
    let BuildAnswer::Failure { errors: native, .. } = api::build(&files_native) else {
        panic!("the broken model builds");
    };
    assert!(native.len() >= 2, "{native:?}");
    assert_eq!(errors.len(), native.len());
    for (e, n) in errors.iter().zip(&native) {
        assert_eq!(e["code"], n.code.as_str());
        assert_eq!(e["message"], n.message.as_str());
        assert_eq!(e["location"]["file"], "small.yaml");
    }
    assert_eq!(registry::active_hash(&p.store).unwrap(), None);
}

#[test]
fn failing_tests_are_refused_with_every_failed_check() {
    let p = platform();
    let wrong = SMALL
        .replace(
            "expect: { Tier Discount: 0.2 }",
            "expect: { Tier Discount: 0.25 }",
        )
        .replace(
            "expect: { Tier Discount: 0 }",
            "expect: { Tier Discount: 1 }",
        );
    let (reply, json) = publish(
        &p,
        Some("alice-secret"),
        &json!({ "files": files(&[("small.yaml", &wrong)]) }),
    );
    assert_eq!(
        (reply.status, code(&json)),
        (422, problem::TESTS_FAILED),
        "{json}"
    );
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{json}");
    assert_eq!(errors[0]["code"], "test-failed");
    assert_eq!(errors[0]["model"], "small");
    assert_eq!(errors[0]["test"], "gold gets twenty percent");
    assert_eq!(errors[0]["decision"], "Tier Discount");
    assert_eq!(errors[0]["expected"].to_string(), "0.25");
    assert_eq!(errors[0]["actual"].to_string(), "0.2");
    assert_eq!(registry::active_hash(&p.store).unwrap(), None);
    assert!(
        p.store
            .keys()
            .iter()
            .all(|k| !k.starts_with(registry::BUNDLE_PREFIX))
    );
}

#[test]
fn malformed_publish_requests() {
    let p = platform();
    let cases: Vec<(Json, u16, &str)> = vec![
        (json!({ "files": [] }), 422, problem::INVALID_REQUEST),
        (json!({ "file": [] }), 422, problem::INVALID_REQUEST),
        (
            json!({ "files": files(&[("a.yaml", SMALL), ("a.yaml", SMALL)]) }),
            422,
            problem::INVALID_REQUEST,
        ),
        (
            json!({ "files": files(&[("small.yaml", SMALL)]), "bundleHash": "xyz" }),
            422,
            problem::INVALID_REQUEST,
        ),
        (
            json!({ "files": files(&[("small.yaml", SMALL)]), "comment": "x".repeat(501) }),
            422,
            problem::INVALID_REQUEST,
        ),
        (
            json!({ "files": files(&[("small.yaml", SMALL)]), "bundleHash": "0".repeat(64) }),
            409,
            problem::HASH_MISMATCH,
        ),
    ];
    for (body, status, expected) in cases {
        let (reply, json) = publish(&p, Some("alice-secret"), &body);
        assert_eq!((reply.status, code(&json)), (status, expected), "{body}");
    }
    let mut req = request(
        "PUT",
        "/v1/bundles",
        &[("authorization", "Bearer alice-secret")],
        b"",
    );
    req.body = Body::TooLarge;
    let (reply, json) = send(&p, &req);
    assert_eq!((reply.status, code(&json)), (413, problem::BODY_TOO_LARGE));
    let (reply, json) = send(&p, &request("DELETE", "/v1/bundles", &[], b""));
    assert_eq!(
        (reply.status, code(&json)),
        (405, problem::METHOD_NOT_ALLOWED)
    );
    assert_eq!(reply.header("allow"), Some("GET, PUT"));
    assert_eq!(registry::active_hash(&p.store).unwrap(), None);
}

#[test]
fn sources_over_the_store_limit_are_507_and_nothing_moves() {
    let p = platform();
    // A comment line makes the sources JSON larger than a store value may be (the body
    // limit is the host adapter's; here the request is built directly).
    let big = format!("# {}\n{SMALL}", "x".repeat(crate::store::MAX_VALUE_BYTES));
    let (reply, json) = publish(
        &p,
        Some("alice-secret"),
        &json!({ "files": files(&[("small.yaml", &big)]) }),
    );
    assert_eq!(
        (reply.status, code(&json)),
        (507, problem::BUNDLE_TOO_LARGE),
        "{json}"
    );
    assert_eq!(registry::active_hash(&p.store).unwrap(), None);
    assert!(p.store.keys().is_empty(), "{:?}", p.store.keys());
}

#[test]
fn publish_activates_and_rollback_restores() {
    let p = platform();
    let embedded = embedded_hash();
    let small = small_hash();
    // Before: the embedded bundle has no `Tier Discount`.
    let (reply, _) = decide_tier(&p);
    assert_eq!(reply.status, 404);
    let (reply, json) = send(&p, &request("GET", "/v1/bundle", &[], b""));
    assert_eq!(json["origin"], "embedded");
    assert_eq!(
        reply.header("etag"),
        Some(format!("\"{embedded}\"").as_str())
    );

    let body = json!({
        "files": files(&[("small.yaml", SMALL)]),
        "bundleHash": small,
        "comment": "twenty for gold",
    });
    let (reply, json) = publish(&p, Some("alice-secret"), &body);
    assert_eq!(reply.status, 201, "{json}");
    assert_eq!(json["bundleHash"], small.as_str());
    assert_eq!(json["previous"], embedded.as_str());
    assert_eq!(json["tests"], json!({ "passed": 2, "failed": 0 }));
    assert!(json["warnings"].is_array());
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/bundles/{small}").as_str())
    );

    // The next decision answers with the new rule.
    let (reply, json) = decide_tier(&p);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["output"].to_string(), "0.2");
    assert_eq!(json["bundleHash"], small.as_str());
    let (_, json) = send(&p, &request("GET", "/healthz", &[], b""));
    assert_eq!(json["bundleHash"], small.as_str());
    let (reply, json) = send(&p, &request("GET", "/v1/bundle", &[], b""));
    assert_eq!(json["origin"], "published");
    assert_eq!(json["publishedBy"], "alice");
    assert_eq!(json["publishedAt"], T0);
    assert_eq!(reply.header("etag"), Some(format!("\"{small}\"").as_str()));
    let (reply, _) = send(
        &p,
        &request(
            "GET",
            "/v1/bundle",
            &[("accept", "application/vnd.cpm.bundle")],
            b"",
        ),
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/vnd.cpm.bundle")
    );
    assert_eq!(api::load(&reply.body).unwrap().hash(), small);

    // Publishing it again is idempotent: 200, nothing recorded.
    p.set_now("2024-05-06T10:00:00Z");
    let (reply, json) = publish(&p, Some("bob-secret"), &body);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["previous"], small.as_str());
    assert_eq!(audit(&p).len(), 1);

    // Listing: newest first, the embedded one last.
    let (_, json) = send(&p, &request("GET", "/v1/bundles", &[], b""));
    assert_eq!(json["active"], small.as_str());
    assert_eq!(
        json["bundles"],
        json!([
            { "bundleHash": small, "origin": "published", "publishedAt": T0, "publishedBy": "alice" },
            { "bundleHash": embedded, "origin": "embedded" },
        ])
    );

    // Roll back to the embedded bundle.
    let (reply, json) = activate(&p, "bob-secret", &embedded);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json, json!({ "bundleHash": embedded, "previous": small }));
    let (reply, _) = decide_tier(&p);
    assert_eq!(reply.status, 404);
    // And forward again.
    p.set_now("2024-05-06T11:00:00Z");
    let (reply, json) = activate(&p, "alice-secret", &small);
    assert_eq!(json["previous"], embedded.as_str(), "{json}");
    assert_eq!(reply.status, 200);
    assert_eq!(decide_tier(&p).0.status, 200);

    let (reply, json) = activate(&p, "alice-secret", &"a".repeat(64));
    assert_eq!((reply.status, code(&json)), (404, problem::UNKNOWN_BUNDLE));
    let (reply, json) = activate(&p, "alice-secret", "not-a-hash");
    assert_eq!((reply.status, code(&json)), (404, problem::UNKNOWN_BUNDLE));

    assert_eq!(
        audit(&p),
        [
            json!({ "at": T0, "actor": "alice", "action": "publish", "from": embedded, "to": small, "comment": "twenty for gold" }),
            json!({ "at": "2024-05-06T10:00:00Z", "actor": "bob", "action": "activate", "from": small, "to": embedded }),
            json!({ "at": "2024-05-06T11:00:00Z", "actor": "alice", "action": "activate", "from": embedded, "to": small }),
        ]
    );
}

#[test]
fn a_concurrent_move_between_read_and_swap_is_retried_not_lost() {
    let p = platform();
    let embedded = embedded_hash();
    let small = small_hash();
    let (reply, _) = publish(
        &p,
        Some("alice-secret"),
        &json!({ "files": files(&[("small.yaml", SMALL)]) }),
    );
    assert_eq!(reply.status, 201);
    // Bob's rollback reads the pointer; before his swap, Carol's request moves it back to
    // the small bundle and then to the embedded one... played by a writer in between.
    let other = embedded.clone();
    p.store.before_next_swap(Box::new(move |store| {
        let moved = registry::move_active(
            store,
            &Move {
                to: None,
                default_hash: &other,
                action: "activate",
                actor: "carol",
                at: T0,
                comment: None,
            },
            &mut |_| Ok(()),
        )
        .unwrap();
        assert!(moved.changed);
    }));
    let (reply, json) = activate(&p, "bob-secret", &embedded);
    // Bob's swap failed; he read again, found the embedded bundle active: nothing to do.
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["previous"], embedded.as_str());
    let entries = audit(&p);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[1]["actor"], "carol");

    // Now a race where both moves change something: Dave publishes while Erin's activation
    // of the small bundle... is in flight: Erin retries on the new state and wins last.
    let other = embedded.clone();
    let small_again = small.clone();
    p.store.before_next_swap(Box::new(move |store| {
        registry::move_active(
            store,
            &Move {
                to: Some(&small_again),
                default_hash: &other,
                action: "activate",
                actor: "dave",
                at: T0,
                comment: None,
            },
            &mut |_| Ok(()),
        )
        .unwrap();
        registry::move_active(
            store,
            &Move {
                to: None,
                default_hash: &other,
                action: "activate",
                actor: "dave",
                at: T0,
                comment: None,
            },
            &mut |_| Ok(()),
        )
        .unwrap();
    }));
    let (reply, json) = activate(&p, "alice-secret", &small);
    assert_eq!(reply.status, 200, "{json}");
    let entries = audit(&p);
    let actors: Vec<&str> = entries
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["alice", "carol", "dave", "dave", "alice"]);
    // The chain of moves has no gap: each `from` is the previous `to`.
    for pair in entries.windows(2) {
        assert_eq!(pair[1]["from"], pair[0]["to"], "{entries:?}");
    }
    assert_eq!(registry::active_hash(&p.store).unwrap(), Some(small));
}

/// Before each of the next `n` swaps, rewrites the active record (same bytes, new version),
/// as a writer that always gets in first.
fn interfere(store: &crate::store::memory::MemoryStore, n: usize) {
    store.before_next_swap(Box::new(move |store| {
        if let Some(bytes) = store.get(registry::ACTIVE_KEY).unwrap() {
            store.set(registry::ACTIVE_KEY, &bytes);
        }
        if n > 1 {
            interfere(store, n - 1);
        }
    }));
}

#[test]
fn a_pointer_that_keeps_changing_is_a_409_after_every_attempt() {
    let p = platform();
    let embedded = embedded_hash();
    let (reply, _) = publish(
        &p,
        Some("alice-secret"),
        &json!({ "files": files(&[("small.yaml", SMALL)]) }),
    );
    assert_eq!(reply.status, 201);
    interfere(&p.store, registry::MAX_ATTEMPTS);
    let (reply, json) = activate(&p, "bob-secret", &embedded);
    assert_eq!(
        (reply.status, code(&json)),
        (409, problem::WRITE_CONFLICT),
        "{json}"
    );
    assert_eq!(audit(&p).len(), 1);
    // One attempt fewer than the limit: the last one wins.
    interfere(&p.store, registry::MAX_ATTEMPTS - 1);
    let (reply, json) = activate(&p, "bob-secret", &embedded);
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(audit(&p).len(), 2);
}

#[test]
fn the_audit_log_survives_archiving() {
    let p = platform();
    let embedded = embedded_hash();
    let small = small_hash();
    let (reply, _) = publish(
        &p,
        Some("alice-secret"),
        &json!({ "files": files(&[("small.yaml", SMALL)]) }),
    );
    assert_eq!(reply.status, 201);
    let moves = 2 * LOG_LIMIT + 5;
    for i in 0..moves {
        let target = if i % 2 == 0 { &embedded } else { &small };
        assert_eq!(activate(&p, "bob-secret", target).0.status, 200);
    }
    let entries = audit(&p);
    assert_eq!(entries.len(), moves + 1);
    for pair in entries.windows(2) {
        assert_eq!(pair[1]["from"], pair[0]["to"]);
    }
    assert_eq!(entries[0]["action"], "publish");
    let record = p.store.get(registry::ACTIVE_KEY).unwrap().unwrap();
    let record: Json = serde_json::from_slice(&record).unwrap();
    assert!(record["log"].as_array().unwrap().len() <= LOG_LIMIT);
    assert!(
        p.store
            .keys()
            .iter()
            .any(|k| k.starts_with(registry::AUDIT_PREFIX))
    );
}

#[test]
fn pinned_cases_keep_their_bundle_across_publishes() {
    let p = platform();
    let embedded = embedded_hash();
    let start = |p: &FixedPlatform, key: &str| {
        let body = json!({ "data": {
            "Customer Id": "C-1042", "Customer Email": "ann@example.com",
            "Contact Reason": "delivery", "Customer Tier": "gold",
            "Amount At Stake": 89.90, "Repeat Contact": false,
            "Description": "The parcel arrived crushed."
        }});
        let (reply, json) = send(
            p,
            &request(
                "POST",
                "/v1/processes/complaint/cases",
                &[("idempotency-key", key)],
                body.to_string().as_bytes(),
            ),
        );
        assert_eq!(reply.status, 201, "{json}");
        (
            json["case"]["id"].as_str().unwrap().to_owned(),
            json["case"]["bundleHash"].as_str().unwrap().to_owned(),
        )
    };
    let claim = |p: &FixedPlatform, id: &str, key: &str| {
        let event =
            json!({ "type": "task-claimed", "key": key, "task": "investigate-1", "by": "bob" });
        send(
            p,
            &request(
                "POST",
                &format!("/v1/cases/{id}/events"),
                &[],
                event.to_string().as_bytes(),
            ),
        )
    };
    let (old_case, pinned) = start(&p, "before");
    assert_eq!(pinned, embedded);

    // Publish the customer rules plus one more model: a new bundle with the same processes.
    let sources: Json = serde_json::from_str(registry::EMBEDDED_SOURCES).unwrap();
    let mut list = sources["files"].as_array().unwrap().clone();
    list.push(json!({ "path": "small.yaml", "text": SMALL }));
    let (reply, json) = publish(&p, Some("alice-secret"), &json!({ "files": list }));
    assert_eq!(reply.status, 201, "{json}");
    let published = json["bundleHash"].as_str().unwrap().to_owned();

    // The old case continues on the embedded bundle; a new case starts on the published one.
    let (reply, json) = claim(&p, &old_case, "c1");
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["case"]["bundleHash"], embedded.as_str());
    let (new_case, pinned) = start(&p, "after");
    assert_eq!(pinned, published);

    // Roll back: the new case keeps its published bundle, loaded from the store.
    assert_eq!(activate(&p, "bob-secret", &embedded).0.status, 200);
    let (reply, json) = claim(&p, &new_case, "c2");
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["case"]["bundleHash"], published.as_str());
    // A repeated start with the same key answers the stored case on its own bundle.
    let (reply, json) = send(
        &p,
        &request(
            "POST",
            "/v1/processes/complaint/cases",
            &[("idempotency-key", "after")],
            json!({ "data": {
                "Customer Id": "C-1042", "Customer Email": "ann@example.com",
                "Contact Reason": "delivery", "Customer Tier": "gold",
                "Amount At Stake": 89.90, "Repeat Contact": false,
                "Description": "The parcel arrived crushed."
            }})
            .to_string()
            .as_bytes(),
        ),
    );
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["case"]["id"], new_case.as_str());
}

#[test]
fn sources_round_trip_to_the_same_hash() {
    let p = platform();
    let (reply, json) = send(&p, &request("GET", "/v1/bundle/sources", &[], b""));
    assert_eq!(reply.status, 200, "{json}");
    assert_eq!(json["bundleHash"], embedded_hash().as_str());
    let listed: Vec<SourceText> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| SourceText {
            path: f["path"].as_str().unwrap().to_owned(),
            text: f["text"].as_str().unwrap().to_owned(),
        })
        .collect();
    let paths: Vec<&str> = listed.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains(&"processes/complaint.yaml"), "{paths:?}");
    assert!(paths.windows(2).all(|w| w[0] < w[1]), "{paths:?}");
    assert_eq!(native_hash(&listed), embedded_hash());

    // Published: the files as sent (sorted by path).
    let body = json!({ "files": files(&[("z.yaml", "model: z\ninputs: []\ndecisions: [{ name: Z, expression: '1' }]\n"), ("small.yaml", SMALL)]) });
    let (reply, published) = publish(&p, Some("alice-secret"), &body);
    assert_eq!(reply.status, 201, "{published}");
    let (_, json) = send(&p, &request("GET", "/v1/bundle/sources", &[], b""));
    assert_eq!(json["bundleHash"], published["bundleHash"]);
    assert_eq!(json["files"][0]["path"], "small.yaml");
    assert_eq!(json["files"][1]["path"], "z.yaml");

    // A bundle file deployed without its sources: a clear 404, not the wrong files.
    let other = {
        let BuildAnswer::Success { bundle, .. } = api::build(&[SourceText {
            path: "small.yaml".into(),
            text: SMALL.into(),
        }]) else {
            panic!("small does not build");
        };
        bundle.encode().unwrap()
    };
    let fresh = platform();
    let reply = handle(
        &request("GET", "/v1/bundle/sources", &[], b""),
        Ok(Cow::Borrowed(&other)),
        &fresh,
    );
    let json: Json = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        (reply.status, code(&json)),
        (404, problem::SOURCES_UNAVAILABLE)
    );
}

#[test]
fn cors_is_closed_by_default_and_echoes_allowed_origins() {
    let p = platform();
    let get = |p: &FixedPlatform, origin: &str| {
        send(
            p,
            &request("GET", "/v1/bundles", &[("origin", origin)], b""),
        )
        .0
    };
    let preflight = |p: &FixedPlatform, origin: &str| {
        send(
            p,
            &request(
                "OPTIONS",
                "/v1/bundles",
                &[
                    ("origin", origin),
                    ("access-control-request-method", "PUT"),
                    (
                        "access-control-request-headers",
                        "authorization, content-type",
                    ),
                ],
                b"",
            ),
        )
        .0
    };
    // Closed: no CORS header at all, and a preflight is an ordinary 405.
    let reply = get(&p, "https://console.example");
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .headers
            .iter()
            .all(|(n, _)| !n.starts_with("access-control") && n != "vary")
    );
    assert_eq!(preflight(&p, "https://console.example").status, 405);

    p.set_config(
        cors::ORIGINS_KEY,
        "https://console.example, http://localhost:5173",
    );
    let reply = get(&p, "https://console.example");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://console.example")
    );
    assert_eq!(reply.header("vary"), Some("Origin"));
    assert!(
        reply
            .header("access-control-expose-headers")
            .unwrap()
            .contains("etag")
    );
    let reply = get(&p, "https://evil.example");
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("vary"), Some("Origin"));
    // Errors carry the headers too, so the console can read them.
    let (reply, _) = publish(&p, None, &json!({}));
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("vary"), Some("Origin"));

    let reply = preflight(&p, "http://localhost:5173");
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some(cors::ALLOW_METHODS)
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("authorization, content-type, if-match, idempotency-key, accept")
    );
    assert!(reply.body.is_empty());
    assert_eq!(preflight(&p, "https://evil.example").status, 405);
    let (reply, _) = send(
        &p,
        &request(
            "OPTIONS",
            "/v1/nothing",
            &[
                ("origin", "http://localhost:5173"),
                ("access-control-request-method", "GET"),
            ],
            b"",
        ),
    );
    assert_eq!(reply.status, 404);

    p.set_config(cors::ORIGINS_KEY, "*");
    let reply = get(&p, "https://anyone.example");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://anyone.example")
    );
}

#[test]
fn without_a_store_the_deployed_bundle_is_listed_and_publishing_is_503() {
    struct NoStore(FixedPlatform);
    impl crate::platform::Platform for NoStore {
        type Store = crate::store::memory::MemoryStore;
        fn store(&self) -> Result<&Self::Store, crate::store::StoreError> {
            Err(crate::store::StoreError::Unavailable {
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
        fn config(&self, key: &str) -> Result<Option<String>, String> {
            self.0.config(key)
        }
    }
    let p = NoStore(platform());
    let run = |req: &Request| {
        let reply = handle(req, Ok(Cow::Borrowed(EMBEDDED)), &p);
        let json: Json = serde_json::from_slice(&reply.body).unwrap();
        (reply.status, json)
    };
    let (status, json) = run(&request("GET", "/v1/bundles", &[], b""));
    assert_eq!(status, 200);
    assert_eq!(json["active"], embedded_hash().as_str());
    let (status, json) = run(&request("GET", "/v1/bundle", &[], b""));
    assert_eq!((status, json["origin"].as_str()), (200, Some("embedded")));
    let (status, json) = run(&request(
        "PUT",
        "/v1/bundles",
        &[("authorization", "Bearer alice-secret")],
        json!({ "files": files(&[("small.yaml", SMALL)]) })
            .to_string()
            .as_bytes(),
    ));
    assert_eq!((status, code(&json)), (503, problem::STORE_UNAVAILABLE));
}
