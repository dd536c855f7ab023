//! Publishing over real HTTP: the built component served by the test host (`tests/host`)
//! on 127.0.0.1 with its embedded bundle (`examples/customer`), admin tokens and CORS
//! origins given as `wasi:config` values (`--config`), as Spin gives component variables.
//!
//! - a publish without a token is 401, with a wrong one 403, with publishing disabled 403;
//! - sources that do not build are 422 `build-failed` listing every diagnostic; failing test
//!   cases are 422 `tests-failed`;
//! - a good publish is 201 and the next decision answers with the new rule; activating the
//!   old hash rolls back; the audit log lists both with their actors;
//! - a case started before a publish continues on the bundle it is pinned to;
//! - `GET /v1/bundle/sources` built natively gives the hash `GET /v1/bundle` names;
//! - with the SQLite store, a restarted host keeps the published bundle active;
//! - CORS closed by default, open for configured origins; the host's `--static` mount.

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

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;
use serde_json::{Value as Json, json};
use support::{Reply, Req, Server, Store};

const TOKENS: &str = "--config=admin_tokens=alice:alice-token-0123,bob:bob-token-4567";

const SMALL: &str = r#"
model: small
inputs:
  - { name: Tier, type: string }
decisions:
  - name: Tier Discount
    table:
      hit: FIRST
      inputs: [{ expression: Tier }]
      outputs: [{ name: discount, type: number }]
      rules:
        - { id: gold, when: ['"gold"'], then: ['0.2'] }
        - { id: other, when: ['-'], then: ['0'] }
tests:
  - name: gold gets twenty percent
    input: { Tier: gold }
    expect: { Tier Discount: 0.2 }
"#;

fn put(path: &str, token: Option<&str>, body: &Json) -> Req {
    let mut req = Req {
        method: "PUT".into(),
        path: path.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    };
    if let Some(token) = token {
        req = req.header("authorization", &format!("Bearer {token}"));
    }
    req
}

fn publish_body(files: &[(&str, &str)]) -> Json {
    json!({
        "files": files
            .iter()
            .map(|(path, text)| json!({ "path": path, "text": text }))
            .collect::<Vec<_>>()
    })
}

fn code(reply: &Reply) -> String {
    reply.json()["code"].as_str().unwrap_or_default().to_owned()
}

fn activate(server: &Server, token: &str, hash: &str) -> Reply {
    server.send(
        &Req::post_json(&format!("/v1/bundles/{hash}/activate"), "")
            .header("authorization", &format!("Bearer {token}")),
    )
}

fn decide_tier(server: &Server) -> Reply {
    server.send(&Req::post_json(
        "/v1/decisions/Tier%20Discount?explain=false",
        r#"{"Tier": "gold"}"#,
    ))
}

fn active_hash(server: &Server) -> String {
    let reply = server.send(&Req::get("/v1/bundle"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["bundleHash"].as_str().unwrap().to_owned()
}

fn complaint_start() -> Req {
    Req::post_json(
        "/v1/processes/complaint/cases",
        &json!({ "data": {
            "Customer Id": "C-1042", "Customer Email": "ann@example.com",
            "Contact Reason": "delivery", "Customer Tier": "gold",
            "Amount At Stake": 89.90, "Repeat Contact": false,
            "Description": "The parcel arrived crushed."
        }})
        .to_string(),
    )
    .header("idempotency-key", "before-publish")
}

#[test]
fn publish_roll_back_and_audit_over_http() {
    let server = Server::start_embedded(Store::Memory, &[TOKENS]);
    let embedded = active_hash(&server);
    let good = publish_body(&[("small.yaml", SMALL)]);

    // A case started before the publish.
    let started = server.send(&complaint_start());
    assert_eq!(started.status, 201, "{}", started.text());
    let case_id = started.json()["case"]["id"].as_str().unwrap().to_owned();

    // Refusals: no token, a wrong one.
    let reply = server.send(&put("/v1/bundles", None, &good));
    assert_eq!((reply.status, code(&reply)), (401, "unauthorized".into()));
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    let reply = server.send(&put("/v1/bundles", Some("alice-token-0124"), &good));
    assert_eq!((reply.status, code(&reply)), (403, "forbidden".into()));

    // Sources that do not build: every diagnostic listed.
    let broken = SMALL
        .replace("then: ['0.2']", "then: ['0.2 +']")
        .replace("expression: Tier }", "expression: Tierr }");
    let reply = server.send(&put(
        "/v1/bundles",
        Some("alice-token-0123"),
        &publish_body(&[("small.yaml", &broken)]),
    ));
    assert_eq!((reply.status, code(&reply)), (422, "build-failed".into()));
    let BuildAnswer::Failure { errors, .. } = api::build(&[SourceText {
        path: "small.yaml".into(),
        text: broken.clone(),
    }]) else {
        panic!("the broken model builds");
    };
    let listed = reply.json()["errors"].as_array().unwrap().clone();
    assert!(listed.len() >= 2, "{listed:?}");
    assert_eq!(
        listed.iter().map(|e| e["code"].clone()).collect::<Vec<_>>(),
        errors.iter().map(|d| json!(d.code)).collect::<Vec<_>>()
    );

    // Sources whose test cases fail.
    let wrong = SMALL.replace(
        "expect: { Tier Discount: 0.2 }",
        "expect: { Tier Discount: 0.3 }",
    );
    let reply = server.send(&put(
        "/v1/bundles",
        Some("alice-token-0123"),
        &publish_body(&[("small.yaml", &wrong)]),
    ));
    assert_eq!((reply.status, code(&reply)), (422, "tests-failed".into()));
    let failed = &reply.json()["errors"][0];
    assert_eq!(failed["test"], "gold gets twenty percent");
    assert_eq!(failed["expected"].to_string(), "0.3");
    assert_eq!(failed["actual"].to_string(), "0.2");
    assert_eq!(active_hash(&server), embedded);

    // Before: no such decision. Publish; then the next decision answers with the new rule.
    assert_eq!(decide_tier(&server).status, 404);
    let reply = server.send(&put("/v1/bundles", Some("alice-token-0123"), &good));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let published = reply.json()["bundleHash"].as_str().unwrap().to_owned();
    assert_eq!(reply.json()["previous"], embedded.as_str());
    assert_eq!(reply.json()["tests"], json!({ "passed": 1, "failed": 0 }));
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/bundles/{published}").as_str())
    );
    let decided = decide_tier(&server);
    assert_eq!(decided.status, 200, "{}", decided.text());
    assert_eq!(decided.json()["output"].to_string(), "0.2");
    assert_eq!(decided.json()["bundleHash"], published.as_str());
    let info = server.send(&Req::get("/v1/bundle")).json();
    assert_eq!(info["origin"], "published");
    assert_eq!(info["publishedBy"], "alice");

    // The case started before continues on its pinned (embedded) bundle.
    let event =
        json!({ "type": "task-claimed", "key": "claim-1", "task": "investigate-1", "by": "bob" });
    let reply = server.send(&Req::post_json(
        &format!("/v1/cases/{case_id}/events"),
        &event.to_string(),
    ));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["case"]["bundleHash"], embedded.as_str());

    // Roll back to the old hash.
    let reply = activate(&server, "bob-token-4567", &embedded);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "bundleHash": embedded, "previous": published })
    );
    assert_eq!(decide_tier(&server).status, 404);
    assert_eq!(active_hash(&server), embedded);
    let reply = activate(&server, "bob-token-4567", &"f".repeat(64));
    assert_eq!((reply.status, code(&reply)), (404, "unknown-bundle".into()));

    // The audit log: both moves, with their actors, oldest first.
    let reply = server.send(&Req::get("/v1/audit"));
    assert_eq!(reply.status, 401);
    let reply =
        server.send(&Req::get("/v1/audit").header("authorization", "Bearer bob-token-4567"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let entries = reply.json()["entries"].as_array().unwrap().clone();
    let summary: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_owned();
            (s("actor"), s("action"), s("from"), s("to"))
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "alice".into(),
                "publish".into(),
                embedded.clone(),
                published.clone()
            ),
            (
                "bob".into(),
                "activate".into(),
                published.clone(),
                embedded.clone()
            ),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e["at"].as_str().unwrap().ends_with('Z'))
    );

    let list = server.send(&Req::get("/v1/bundles")).json();
    assert_eq!(list["active"], embedded.as_str());
    assert_eq!(list["bundles"][0]["bundleHash"], published.as_str());
    assert_eq!(list["bundles"][1]["origin"], "embedded");
}

#[test]
fn publishing_is_disabled_without_tokens_and_cors_is_closed() {
    let server = Server::start_embedded(Store::Memory, &[]);
    let reply = server.send(&put(
        "/v1/bundles",
        Some("anything"),
        &publish_body(&[("small.yaml", SMALL)]),
    ));
    assert_eq!(
        (reply.status, code(&reply)),
        (403, "publishing-disabled".into())
    );
    let reply = server.send(&Req::get("/v1/bundles").header("origin", "https://console.example"));
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .headers
            .iter()
            .all(|(n, _)| !n.starts_with("access-control-") && n != "vary"),
        "{:?}",
        reply.headers
    );
}

#[test]
fn sources_build_natively_to_the_served_hash() {
    let server = Server::start_embedded(Store::Memory, &[]);
    let hash = active_hash(&server);
    let reply = server.send(&Req::get("/v1/bundle/sources"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["bundleHash"], hash.as_str());
    let files: Vec<SourceText> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| SourceText {
            path: f["path"].as_str().unwrap().to_owned(),
            text: f["text"].as_str().unwrap().to_owned(),
        })
        .collect();
    assert!(files.iter().any(|f| f.path == "processes/complaint.yaml"));
    let BuildAnswer::Success { bundle, .. } = api::build(&files) else {
        panic!("the served sources do not build");
    };
    let built = bundle.encode().unwrap();
    assert_eq!(api::load(&built).unwrap().hash(), hash);
    // The raw bundle bytes are the same bundle.
    let raw = server.send(&Req::get("/v1/bundle").header("accept", "application/vnd.cpm.bundle"));
    assert_eq!(raw.status, 200);
    assert_eq!(
        raw.header("content-type"),
        Some("application/vnd.cpm.bundle")
    );
    assert_eq!(raw.header("etag"), Some(format!("\"{hash}\"").as_str()));
    assert_eq!(api::load(&raw.body).unwrap().hash(), hash);
}

#[test]
fn a_restarted_host_keeps_the_published_bundle_active() {
    let mut server = Server::start_embedded(Store::Sqlite, &[TOKENS]);
    let embedded = active_hash(&server);
    let reply = server.send(&put(
        "/v1/bundles",
        Some("bob-token-4567"),
        &publish_body(&[("small.yaml", SMALL)]),
    ));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let published = reply.json()["bundleHash"].as_str().unwrap().to_owned();
    assert_ne!(published, embedded);
    server.restart();
    assert_eq!(active_hash(&server), published);
    assert_eq!(decide_tier(&server).status, 200);
    let sources = server.send(&Req::get("/v1/bundle/sources")).json();
    assert_eq!(sources["files"][0]["text"], SMALL);
    let audit = server
        .send(&Req::get("/v1/audit").header("authorization", "Bearer alice-token-0123"))
        .json();
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
    assert_eq!(audit["entries"][0]["actor"], "bob");
}

#[test]
fn cors_for_configured_origins_and_static_files() {
    let site = std::env::temp_dir().join(format!("cpm-edge-admin-static-{}", std::process::id()));
    std::fs::create_dir_all(site.join("assets")).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>console</title>",
    )
    .unwrap();
    std::fs::write(site.join("assets/app.js"), "export const x = 1;").unwrap();
    let mount = format!("--static=/console={}", site.display());
    let server = Server::start_embedded(
        Store::Memory,
        &["--config=cors_origins=http://localhost:5173", &mount],
    );
    let preflight = Req {
        method: "OPTIONS".into(),
        path: "/v1/bundles".into(),
        headers: vec![
            ("origin".into(), "http://localhost:5173".into()),
            ("access-control-request-method".into(), "PUT".into()),
            (
                "access-control-request-headers".into(),
                "authorization, content-type".into(),
            ),
        ],
        body: Vec::new(),
    };
    let reply = server.send(&preflight);
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(
        reply
            .header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    let reply = server.send(&Req::get("/v1/bundle").header("origin", "http://localhost:5173"));
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let reply = server.send(&Req::get("/v1/bundle").header("origin", "https://evil.example"));
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("vary"), Some("Origin"));

    let page = server.send(&Req::get("/console/"));
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("<title>console</title>"));
    let script = server.send(&Req::get("/console/assets/app.js"));
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(server.send(&Req::get("/console/../Cargo.toml")).status, 404);
    assert_eq!(
        server.send(&Req::get("/console/%2e%2e/Cargo.toml")).status,
        404
    );
    assert_eq!(server.send(&Req::get("/console/missing.js")).status, 404);
    let _ = std::fs::remove_dir_all(&site);
}
