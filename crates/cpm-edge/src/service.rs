//! The HTTP API as a plain function: a [`Request`] in, a [`Reply`] out.
//!
//! Pipeline position: between the Spin handler (which reads the request off the wire) and
//! `cpm_core::api` (which makes every decision). This module only routes, negotiates
//! formats, and maps core answers to statuses; it has no decision logic of its own.
//!
//! | route | method | answer |
//! | --- | --- | --- |
//! | `/v1/decisions/{name}` | `POST` | the core's decide answer (`?explain=false` omits the explanation) |
//! | `/v1/decisions` | `GET` | the core's description of every decision |
//! | `/v1/bundle` | `GET` | the active bundle: hash, origin, format version, models, decision count; the bundle bytes with `Accept: application/vnd.cpm.bundle` (or `application/octet-stream`) |
//! | `/v1/bundle/sources`, `/v1/bundles`, `/v1/bundles/{hash}/activate`, `/v1/audit` | | publishing ([`crate::admin`]) |
//! | `/healthz` | `GET` | `{"bundleHash": …, "status": "ok"}` |
//! | `/v1/intake` | `POST` | the processes a contact starts ([`crate::cases`] has the process routes) |
//! | `/v1/processes/{name}/cases` | `POST` | a new case (201) |
//! | `/v1/cases/{id}` | `GET` | the case, `ETag` = its version |
//! | `/v1/cases/{id}/events` | `POST` | applies an event (`Idempotency-Key`, `If-Match`) |
//! | `/v1/cases/{id}/outbox` | `GET` | the effects still to perform |
//! | `/v1/tasks` | `GET` | open tasks, oldest first (`?queue=`) |
//! | `/v1/metrics` | `GET` | KPIs (JSON, or Prometheus text on `Accept: text/plain`) |
//!
//! Decisions, intake and case starts use the active bundle ([`crate::registry::active`]):
//! the last one published, or the deployed one (`bundle` of [`handle`]). CORS ([`crate::cors`])
//! wraps every answer.

use std::borrow::Cow;

use cpm_core::api::{self, DecideRequest};
use cpm_core::decide::Engine;
use cpm_core::feel::eval::Limits;
use percent_encoding::percent_decode_str;

use crate::admin;
use crate::cases;
use crate::cors;
use crate::msgpack;
use crate::negotiate::{self, Format, Offer, Wanted};
use crate::platform::Platform;
use crate::problem::{self, Problem};
use crate::registry::{self, Loaded};

/// Largest request body accepted (1 MiB); larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The request body as read by the host adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// The whole body (at most [`MAX_BODY_BYTES`]).
    Complete(Vec<u8>),
    /// The body is over [`MAX_BODY_BYTES`] (by its `Content-Length` or the bytes read).
    TooLarge,
    /// The body could not be read (the client went away, a transport error).
    Unreadable,
}

/// One HTTP request.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method, upper case (`GET`).
    pub method: String,
    /// The path and query as sent (`/v1/decisions/Risk%20Class?explain=false`).
    pub path_and_query: String,
    /// The headers, names in any case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Body,
}

impl Request {
    /// The first header named `name` (case-insensitive), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// One HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers (`content-type`, `allow`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A JSON value in the negotiated format: canonical JSON text, or MessagePack.
    pub(crate) fn value(status: u16, value: &serde_json::Value, format: Format) -> Self {
        let (content_type, body) = match format {
            Format::Json => (
                "application/json",
                cpm_core::canonical::to_string(value).into_bytes(),
            ),
            Format::MsgPack => ("application/msgpack", msgpack::encode(value)),
        };
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body,
        }
    }

    /// A problem document (always JSON: `application/problem+json`).
    pub fn problem(problem: &Problem) -> Self {
        Self {
            status: problem.status,
            headers: vec![("content-type".into(), problem::CONTENT_TYPE.into())],
            body: cpm_core::canonical::to_string(&problem.to_json()).into_bytes(),
        }
    }
}

/// Why the bundle could not be loaded; shown to clients without file paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The file named by `CPM_BUNDLE_FILE` could not be read.
    File,
    /// The bytes are not a bundle this build reads.
    Bundle(String),
}

impl LoadError {
    fn problem(&self) -> Problem {
        let detail = match self {
            LoadError::File => "the bundle file named by `CPM_BUNDLE_FILE` cannot be read; check the variable and that the file is mounted into the component (the server log names the path)".to_owned(),
            LoadError::Bundle(message) => format!("the deployed bundle cannot be loaded: {message}"),
        };
        Problem::new(problem::BUNDLE_UNAVAILABLE, 500, detail)
    }
}

/// The bundle bytes a request is answered from.
pub type BundleBytes<'a> = Result<Cow<'a, [u8]>, LoadError>;

/// The routes, for matching and for `Allow`.
enum Route<'a> {
    Decide(&'a str),
    Decisions,
    Bundle,
    Health,
    Intake,
    StartCase(&'a str),
    Case(&'a str),
    Events(&'a str),
    Outbox(&'a str),
    Tasks,
    Metrics,
    Sources,
    Bundles,
    Activate(&'a str),
    Audit,
}

impl Route<'_> {
    fn allow(&self) -> &'static str {
        match self {
            Route::Decide(_)
            | Route::Intake
            | Route::StartCase(_)
            | Route::Events(_)
            | Route::Activate(_) => "POST",
            Route::Bundles => "GET, PUT",
            Route::Decisions
            | Route::Bundle
            | Route::Health
            | Route::Case(_)
            | Route::Outbox(_)
            | Route::Tasks
            | Route::Metrics
            | Route::Sources
            | Route::Audit => "GET",
        }
    }

    fn allows(&self, method: &str) -> bool {
        self.allow().split(", ").any(|m| m == method)
    }

    fn offer(&self) -> Offer {
        match self {
            Route::Bundle => Offer::Bytes,
            Route::Metrics => Offer::Text,
            _ => Offer::Values,
        }
    }
}

/// One path segment: not empty, no `/`.
fn segment(text: &str) -> Option<&str> {
    (!text.is_empty() && !text.contains('/')).then_some(text)
}

fn route(path: &str) -> Option<Route<'_>> {
    match path {
        "/healthz" => Some(Route::Health),
        "/v1/decisions" => Some(Route::Decisions),
        "/v1/bundle" => Some(Route::Bundle),
        "/v1/intake" => Some(Route::Intake),
        "/v1/tasks" => Some(Route::Tasks),
        "/v1/metrics" => Some(Route::Metrics),
        "/v1/bundle/sources" => Some(Route::Sources),
        "/v1/bundles" => Some(Route::Bundles),
        "/v1/audit" => Some(Route::Audit),
        _ => {
            if let Some(rest) = path.strip_prefix("/v1/bundles/") {
                return segment(rest.strip_suffix("/activate")?).map(Route::Activate);
            }
            if let Some(name) = path.strip_prefix("/v1/decisions/") {
                return segment(name).map(Route::Decide);
            }
            if let Some(rest) = path.strip_prefix("/v1/processes/") {
                return segment(rest.strip_suffix("/cases")?).map(Route::StartCase);
            }
            let rest = path.strip_prefix("/v1/cases/")?;
            if let Some(id) = rest.strip_suffix("/events") {
                segment(id).map(Route::Events)
            } else if let Some(id) = rest.strip_suffix("/outbox") {
                segment(id).map(Route::Outbox)
            } else {
                segment(rest).map(Route::Case)
            }
        }
    }
}

/// Answers one request: `bundle` is the deployed bundle (active until one is published),
/// `platform` gives the store, clock and configuration. CORS headers are added per
/// `cors_origins`.
pub fn handle<P: Platform>(request: &Request, bundle: BundleBytes<'_>, platform: &P) -> Reply {
    let origins = cors::Origins::of(platform);
    let mut reply = route_request(request, bundle, platform, &origins);
    cors::decorate(&mut reply, request, &origins);
    reply
}

fn route_request<P: Platform>(
    request: &Request,
    bundle: BundleBytes<'_>,
    platform: &P,
    origins: &cors::Origins,
) -> Reply {
    let (path, query) = request
        .path_and_query
        .split_once('?')
        .unwrap_or((request.path_and_query.as_str(), ""));
    let Some(route) = route(path) else {
        return Reply::problem(&Problem::new(
            problem::NOT_FOUND,
            404,
            format!(
                "no route `{path}`; the routes are `POST /v1/decisions/{{name}}`, `GET /v1/decisions`, `GET /v1/bundle`, `GET /v1/bundle/sources`, `GET|PUT /v1/bundles`, `POST /v1/bundles/{{hash}}/activate`, `GET /v1/audit`, `GET /healthz`, `POST /v1/intake`, `POST /v1/processes/{{name}}/cases`, `GET /v1/cases/{{id}}`, `POST /v1/cases/{{id}}/events`, `GET /v1/cases/{{id}}/outbox`, `GET /v1/tasks` and `GET /v1/metrics`"
            ),
        ));
    };
    if let Some(reply) = cors::preflight(request, origins) {
        return reply;
    }
    if !route.allows(&request.method) {
        let mut reply = Reply::problem(&Problem::new(
            problem::METHOD_NOT_ALLOWED,
            405,
            format!(
                "`{path}` does not accept `{}`; use `{}`",
                request.method,
                route.allow()
            ),
        ));
        reply.headers.push(("allow".into(), route.allow().into()));
        return reply;
    }
    match answer(request, &route, query, bundle, platform) {
        Ok(reply) | Err(reply) => reply,
    }
}

/// The answer of a routed request; `Err` holds a problem reply.
fn answer<P: Platform>(
    request: &Request,
    route: &Route<'_>,
    query: &str,
    bundle: BundleBytes<'_>,
    platform: &P,
) -> Result<Reply, Reply> {
    let wanted = negotiate::wanted(request.header("accept"), route.offer());
    let format = match wanted {
        Wanted::Value(format) => format,
        Wanted::Bytes | Wanted::Text => Format::Json,
    };
    let no_query = |what: &str| {
        if query.is_empty() {
            Ok(())
        } else {
            Err(Reply::problem(&Problem::new(
                problem::BAD_QUERY,
                400,
                format!("`{what}` takes no query parameters; remove `?{query}`"),
            )))
        }
    };
    Ok(match route {
        Route::Intake => {
            no_query("/v1/intake")?;
            cases::intake(request, bundle, platform, format)?
        }
        Route::Sources => {
            no_query("/v1/bundle/sources")?;
            admin::sources(bundle, platform, format)?
        }
        Route::Bundles => {
            no_query("/v1/bundles")?;
            if request.method == "PUT" {
                admin::publish(request, bundle, platform, format)?
            } else {
                admin::list(bundle, platform, format)?
            }
        }
        Route::Activate(hash) => {
            no_query("/v1/bundles/{hash}/activate")?;
            admin::activate(request, hash, bundle, platform, format)?
        }
        Route::Audit => {
            no_query("/v1/audit")?;
            admin::audit(request, platform, format)?
        }
        Route::StartCase(name) => {
            no_query("/v1/processes/{name}/cases")?;
            cases::start(request, name, bundle, platform, format)?
        }
        Route::Case(id) => {
            no_query("/v1/cases/{id}")?;
            cases::get_case(request, id, platform, format)?
        }
        Route::Events(id) => {
            no_query("/v1/cases/{id}/events")?;
            cases::post_event(request, id, bundle, platform, format)?
        }
        Route::Outbox(id) => {
            no_query("/v1/cases/{id}/outbox")?;
            cases::outbox(id, platform, format)?
        }
        Route::Tasks => cases::tasks(request, query, platform, format)?,
        Route::Metrics => cases::metrics(request, query, platform, wanted)?,
        Route::Decide(raw_name) => {
            // Read the request before loading the bundle: client mistakes are reported first.
            let req = decide_request(request, raw_name, query)?;
            let Loaded { engine, .. } = registry::active(platform, bundle)?;
            decide_reply(&api::decide(&engine, &req, Limits::default()), format)?
        }
        Route::Decisions => {
            let Loaded { engine, .. } = registry::active(platform, bundle)?;
            Reply::value(200, &api::describe(&engine), format)
        }
        Route::Bundle => {
            let Loaded {
                bytes,
                engine,
                origin,
            } = registry::active(platform, bundle)?;
            let etag = format!("\"{}\"", engine.hash());
            let mut reply = if wanted == Wanted::Bytes {
                let media = negotiate::bytes_media(request.header("accept"));
                Reply {
                    status: 200,
                    headers: vec![("content-type".into(), media.into())],
                    body: bytes.into_owned(),
                }
            } else {
                let mut info = bundle_info(&engine, bytes.len());
                if let serde_json::Value::Object(map) = &mut info {
                    admin::describe_origin(platform, engine.hash(), &origin, map)?;
                }
                Reply::value(200, &info, format)
            };
            reply.headers.push(("etag".into(), etag));
            reply
        }
        Route::Health => {
            let Loaded { engine, .. } = registry::active(platform, bundle)?;
            let mut obj = serde_json::Map::new();
            obj.insert("bundleHash".into(), engine.hash().into());
            obj.insert("status".into(), "ok".into());
            Reply::value(200, &serde_json::Value::Object(obj), format)
        }
    })
}

/// The bundle's bytes and its engine, or the problem reply saying why not.
pub(crate) fn load(bundle: BundleBytes<'_>) -> Result<(Cow<'_, [u8]>, Engine), Reply> {
    let bytes = bundle.map_err(|e| Reply::problem(&e.problem()))?;
    let engine = api::load(&bytes)
        .map_err(|e| Reply::problem(&LoadError::Bundle(e.to_string()).problem()))?;
    Ok((bytes, engine))
}

/// Parses a decision request: name from the path, `explain` from the query, input data
/// from the body.
fn decide_request(request: &Request, raw_name: &str, query: &str) -> Result<DecideRequest, Reply> {
    let bad = |code: &str, status: u16, detail: String| {
        Reply::problem(&Problem::new(code, status, detail))
    };
    let decision = percent_decode_str(raw_name)
        .decode_utf8()
        .map_err(|_| {
            bad(
                problem::BAD_PATH,
                400,
                format!("the decision name `{raw_name}` is not percent-encoded UTF-8"),
            )
        })?
        .into_owned();
    let explain = explain_param(query).map_err(|detail| bad(problem::BAD_QUERY, 400, detail))?;
    let input = read_json_body(request)?;
    Ok(DecideRequest {
        decision,
        input,
        explain,
    })
}

/// The request body as a JSON value: JSON or MessagePack by `Content-Type`; an empty JSON
/// body is `null`.
///
/// # Errors
/// The problem reply: 413 over the size limit, 400 unreadable or malformed, 415 another
/// media type.
pub(crate) fn read_json_body(request: &Request) -> Result<serde_json::Value, Reply> {
    let bad = |code: &str, status: u16, detail: String| {
        Reply::problem(&Problem::new(code, status, detail))
    };
    let bytes = match &request.body {
        Body::Complete(bytes) => bytes,
        Body::TooLarge => {
            return Err(bad(
                problem::BODY_TOO_LARGE,
                413,
                format!("the request body is over the limit of {MAX_BODY_BYTES} bytes"),
            ));
        }
        Body::Unreadable => {
            return Err(bad(
                problem::MALFORMED_BODY,
                400,
                "the request body could not be read to its end".to_owned(),
            ));
        }
    };
    let format = negotiate::body_format(request.header("content-type")).map_err(|media| {
        bad(
            problem::UNSUPPORTED_MEDIA_TYPE,
            415,
            format!(
                "request bodies of type `{media}` are not accepted; send `application/json` or `application/msgpack`"
            ),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) && format == Format::Json {
        // An empty body is a request with no input data.
        return Ok(serde_json::Value::Null);
    }
    match format {
        Format::Json => serde_json::from_slice(bytes).map_err(|e| {
            bad(
                problem::MALFORMED_BODY,
                400,
                format!("the request body is not valid JSON: {e}"),
            )
        }),
        Format::MsgPack => {
            msgpack::decode(bytes).map_err(|detail| bad(problem::MALFORMED_BODY, 400, detail))
        }
    }
}

/// The `explain` query parameter (default true); any other parameter is refused.
fn explain_param(query: &str) -> Result<bool, String> {
    let mut explain = true;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match (key.as_ref(), value.as_ref()) {
            ("explain", "true" | "1" | "") => explain = true,
            ("explain", "false" | "0") => explain = false,
            ("explain", other) => {
                return Err(format!(
                    "`explain={other}` is not a boolean; use `explain=true` or `explain=false`"
                ));
            }
            (other, _) => {
                return Err(format!(
                    "unknown query parameter `{other}`; the only parameter is `explain`"
                ));
            }
        }
    }
    Ok(explain)
}

/// Maps the core's decide answer to a reply: success is 200; a failure becomes a problem
/// with the first error's code, message, help and path.
fn decide_reply(answer: &serde_json::Value, format: Format) -> Result<Reply, Reply> {
    if answer.get("type").and_then(serde_json::Value::as_str) == Some("success") {
        return Ok(Reply::value(200, answer, format));
    }
    let first = answer
        .get("errors")
        .and_then(serde_json::Value::as_array)
        .and_then(|errors| errors.first());
    let text = |key: &str| {
        first
            .and_then(|e| e.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let Some(code) = text("code") else {
        return Err(Reply::problem(&Problem::new(
            problem::INTERNAL,
            500,
            "the engine answered without an error code",
        )));
    };
    let mut detail = text("message").unwrap_or_default();
    if let Some(help) = text("help") {
        detail = format!("{detail}; {help}");
    }
    let mut p = Problem::new(code.as_str(), problem::decision_status(&code), detail);
    p.path = text("path");
    Err(Reply::problem(&p))
}

/// `GET /v1/bundle`: hash, format version, size, models with their decision counts.
fn bundle_info(engine: &Engine, size: usize) -> serde_json::Value {
    let program = &engine.bundle().program;
    let models: Vec<serde_json::Value> = program
        .models
        .iter()
        .map(|m| {
            let mut o = serde_json::Map::new();
            o.insert("name".into(), m.name.clone().into());
            o.insert("decisions".into(), m.decisions.len().into());
            serde_json::Value::Object(o)
        })
        .collect();
    let count: usize = program.models.iter().map(|m| m.decisions.len()).sum();
    let mut obj = serde_json::Map::new();
    obj.insert("bundleHash".into(), engine.hash().into());
    obj.insert("decisionCount".into(), count.into());
    obj.insert(
        "formatVersion".into(),
        cpm_core::bundle::FORMAT_VERSION.into(),
    );
    obj.insert("models".into(), models.into());
    obj.insert("size".into(), size.into());
    serde_json::Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpm_core::compile::SourceText;

    const MODEL: &str = r#"
model: edge-unit
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
    expression: Total * 2
  - name: Adult
    expression: Person.age >= 18
"#;

    fn bundle() -> Vec<u8> {
        let files = [SourceText {
            path: "edge-unit.yaml".into(),
            text: MODEL.into(),
        }];
        match api::build(&files) {
            api::BuildAnswer::Success { bundle, .. } => bundle.encode().unwrap(),
            api::BuildAnswer::Failure { errors, .. } => panic!("{errors:?}"),
        }
    }

    fn platform() -> crate::platform::FixedPlatform {
        crate::platform::FixedPlatform::new("2024-05-01T09:00:00Z")
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

    fn send(req: &Request) -> (Reply, serde_json::Value) {
        let bytes = bundle();
        let reply = handle(req, Ok(Cow::Borrowed(&bytes)), &platform());
        let json = if reply.header("content-type") == Some("application/msgpack") {
            msgpack::decode(&reply.body).unwrap()
        } else {
            serde_json::from_slice(&reply.body).unwrap()
        };
        (reply, json)
    }

    fn problem_type(json: &serde_json::Value) -> &str {
        json["type"]
            .as_str()
            .unwrap()
            .trim_start_matches(problem::TYPE_PREFIX)
    }

    #[test]
    fn decide_answers_with_canonical_json() {
        let (reply, json) = send(&request(
            "POST",
            "/v1/decisions/Net%20Total?explain=false",
            &[("content-type", "application/json")],
            br#"{"Total": 1.50}"#,
        ));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(json["output"].to_string(), "3");
        assert!(json.get("explanation").is_none());
        let engine = api::load(&bundle()).unwrap();
        let native = api::decide(
            &engine,
            &DecideRequest {
                decision: "Net Total".into(),
                input: serde_json::from_str(r#"{"Total": 1.50}"#).unwrap(),
                explain: false,
            },
            Limits::default(),
        );
        assert_eq!(
            reply.body,
            cpm_core::canonical::to_string(&native).into_bytes()
        );
    }

    #[test]
    fn decide_explains_by_default() {
        let (reply, json) = send(&request(
            "POST",
            "/v1/decisions/Discount",
            &[],
            br#"{"Tier":"silver"}"#,
        ));
        assert_eq!(reply.status, 200);
        assert!(json["explanation"]["decisions"].is_array(), "{json}");
        assert_eq!(json["bundleHash"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn empty_body_means_no_input_data() {
        let (reply, json) = send(&request("POST", "/v1/decisions/Discount", &[], b""));
        assert_eq!(reply.status, 200, "{json}");
        assert_eq!(json["output"], serde_json::Value::Null);
    }

    #[test]
    fn msgpack_in_and_out() {
        let mut body = Vec::new();
        rmpv::encode::write_value(
            &mut body,
            &rmpv::Value::Map(vec![(rmpv::Value::from("Total"), rmpv::Value::F64(0.1))]),
        )
        .unwrap();
        let (reply, json) = send(&request(
            "POST",
            "/v1/decisions/Net%20Total",
            &[
                ("Content-Type", "application/msgpack"),
                ("Accept", "application/msgpack"),
            ],
            &body,
        ));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/msgpack"));
        assert_eq!(cpm_core::canonical::to_string(&json["output"]), "0.2");
    }

    #[test]
    fn errors_get_their_status_and_problem_type() {
        let cases: &[(Request, u16, &str)] = &[
            (
                request("POST", "/v1/decisions/Nope", &[], b"{}"),
                404,
                "unknown-decision",
            ),
            (
                request("GET", "/v2/nothing", &[], b""),
                404,
                problem::NOT_FOUND,
            ),
            (
                request("POST", "/v1/decisions/", &[], b""),
                404,
                problem::NOT_FOUND,
            ),
            (
                request("GET", "/v1/decisions/Discount", &[], b""),
                405,
                problem::METHOD_NOT_ALLOWED,
            ),
            (
                request("POST", "/healthz", &[], b""),
                405,
                problem::METHOD_NOT_ALLOWED,
            ),
            (
                request("POST", "/v1/decisions/Discount", &[], b"{"),
                400,
                problem::MALFORMED_BODY,
            ),
            (
                request(
                    "POST",
                    "/v1/decisions/Discount",
                    &[("content-type", "application/msgpack")],
                    &[0xc1],
                ),
                400,
                problem::MALFORMED_BODY,
            ),
            (
                request(
                    "POST",
                    "/v1/decisions/Discount",
                    &[("content-type", "text/plain")],
                    b"x",
                ),
                415,
                problem::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                request("POST", "/v1/decisions/Discount?explain=maybe", &[], b"{}"),
                400,
                problem::BAD_QUERY,
            ),
            (
                request("POST", "/v1/decisions/Discount?explian=false", &[], b"{}"),
                400,
                problem::BAD_QUERY,
            ),
            (
                request("POST", "/v1/decisions/%FF", &[], b"{}"),
                400,
                problem::BAD_PATH,
            ),
            (
                request("POST", "/v1/decisions/Discount", &[], br#"{"Tier": 5}"#),
                422,
                "input-type",
            ),
            (
                request("POST", "/v1/decisions/Discount", &[], b"[1]"),
                422,
                "invalid-input",
            ),
            (
                request("POST", "/v1/decisions/Discount", &[], br#"{"Tier":"gold"}"#),
                422,
                "hit-policy-violation",
            ),
        ];
        for (req, status, code) in cases {
            let (reply, json) = send(req);
            assert_eq!(
                reply.status, *status,
                "{} {}: {json}",
                req.method, req.path_and_query
            );
            assert_eq!(problem_type(&json), *code, "{json}");
            assert_eq!(reply.header("content-type"), Some(problem::CONTENT_TYPE));
            assert_eq!(json["status"], serde_json::Value::from(*status));
            assert!(!json["title"].as_str().unwrap().is_empty());
            assert!(!json["detail"].as_str().unwrap().is_empty());
        }
    }

    #[test]
    fn method_not_allowed_names_the_allowed_method() {
        let (reply, _) = send(&request("DELETE", "/v1/bundle", &[], b""));
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("GET"));
        let (reply, _) = send(&request("GET", "/v1/decisions/Discount", &[], b""));
        assert_eq!(reply.header("allow"), Some("POST"));
    }

    #[test]
    fn input_type_errors_carry_the_path() {
        let (reply, json) = send(&request(
            "POST",
            "/v1/decisions/Adult",
            &[],
            br#"{"Person": {"age": "old"}}"#,
        ));
        assert_eq!(reply.status, 422);
        assert_eq!(json["path"], "Person.age", "{json}");
    }

    #[test]
    fn too_large_and_unreadable_bodies() {
        let mut req = request("POST", "/v1/decisions/Discount", &[], b"");
        req.body = Body::TooLarge;
        let (reply, json) = send(&req);
        assert_eq!(
            (reply.status, problem_type(&json)),
            (413, problem::BODY_TOO_LARGE)
        );
        req.body = Body::Unreadable;
        let (reply, json) = send(&req);
        assert_eq!(
            (reply.status, problem_type(&json)),
            (400, problem::MALFORMED_BODY)
        );
    }

    #[test]
    fn deeply_nested_json_is_a_client_error() {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (reply, json) = send(&request(
            "POST",
            "/v1/decisions/Discount",
            &[],
            body.as_bytes(),
        ));
        assert_eq!(
            (reply.status, problem_type(&json)),
            (400, problem::MALFORMED_BODY)
        );
    }

    #[test]
    fn listing_bundle_and_health() {
        let (reply, json) = send(&request("GET", "/v1/decisions", &[], b""));
        assert_eq!(reply.status, 200);
        let names: Vec<&str> = json["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Adult", "Discount", "Net Total"]);

        let (reply, json) = send(&request("GET", "/v1/bundle", &[], b""));
        assert_eq!(reply.status, 200);
        assert_eq!(json["decisionCount"], 3);
        assert_eq!(json["formatVersion"], cpm_core::bundle::FORMAT_VERSION);
        assert_eq!(json["models"][0]["name"], "edge-unit");

        let bytes = bundle();
        let raw = handle(
            &request(
                "GET",
                "/v1/bundle",
                &[("accept", "application/octet-stream")],
                b"",
            ),
            Ok(Cow::Borrowed(&bytes)),
            &platform(),
        );
        assert_eq!(raw.status, 200);
        assert_eq!(raw.body, bytes);

        let (reply, json) = send(&request("GET", "/healthz", &[], b""));
        assert_eq!(reply.status, 200);
        assert_eq!(json["status"], "ok");
    }

    #[test]
    fn a_missing_or_bad_bundle_is_a_500_without_paths() {
        let req = request("GET", "/healthz", &[], b"");
        let reply = handle(&req, Err(LoadError::File), &platform());
        assert_eq!(reply.status, 500);
        let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(problem_type(&json), problem::BUNDLE_UNAVAILABLE);
        let reply = handle(
            &req,
            Ok(Cow::Borrowed(b"not a bundle".as_slice())),
            &platform(),
        );
        assert_eq!(reply.status, 500);
        let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert!(
            json["detail"]
                .as_str()
                .unwrap()
                .contains("not a cpm bundle"),
            "{json}"
        );
    }
}
