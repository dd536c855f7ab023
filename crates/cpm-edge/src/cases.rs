//! The process routes: intake, cases, events, the outbox, worklists and KPIs, with cases
//! kept in the key-value store.
//!
//! Pipeline position: between [`crate::service`] (which routes a request here) and
//! `cpm_core::api` (which computes every answer and every transition: this module only
//! reads and writes the store, takes `now` from the platform's clock, and maps answers to
//! HTTP). The shapes are the core's (`docs/processes.md`), the same the browser package
//! gives.
//!
//! Storage layout (every key is under 256 bytes, every value at most 1 MiB):
//!
//! | key | value |
//! | --- | --- |
//! | `cpm/v1/case/{id}` | the case: its canonical JSON without the `sla` view, events included |
//! | `cpm/v1/start/{sha256(process + "\n" + key)}` | the id of the case a start with that idempotency key created |
//!
//! A case is written only with a compare-and-swap against the value read, so of two
//! writers that read the same version only one can win; the other re-reads and applies its
//! event again on the new state (at most [`MAX_ATTEMPTS`] times), or answers 412 when it sent
//! `If-Match`. An answer is 2xx only once the case holding the event is stored.

use cpm_core::api::{
    self, ApplyEventRequest, IntakeRequest, KpisRequest, StartCaseRequest, TasksRequest,
};
use cpm_core::decide::Engine;
use cpm_core::process::Case;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::metrics;
use crate::negotiate::{Format, Wanted};
use crate::platform::{NOW_HEADER, Platform, TEST_CLOCK_VAR};
use crate::problem::{self, Problem};
use crate::registry::{self, Loaded, store_problem};
use crate::service::{BundleBytes, Reply, Request, read_json_body};
use crate::store::{self, MAX_VALUE_BYTES, Store, SwapError};

/// The prefix of case keys.
pub const CASE_PREFIX: &str = "cpm/v1/case/";

/// The prefix of start records (idempotent starts without a client-chosen id).
pub const START_PREFIX: &str = "cpm/v1/start/";

/// The longest case id, in characters (ids are `[A-Za-z0-9._~-]`).
pub const MAX_CASE_ID_CHARS: usize = 128;

/// How many times a write is tried when other writers change the case in between.
pub const MAX_ATTEMPTS: usize = 8;

/// The request header giving an event's (or a start's) idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The answer header set when a request's idempotency key was seen before and nothing was
/// applied.
pub const REPLAYED: &str = "idempotent-replayed";

/// The store key of case `id`.
pub fn case_key(id: &str) -> String {
    format!("{CASE_PREFIX}{id}")
}

/// The store key of the start record of `process` and idempotency `key`.
pub fn start_key(process: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{process}\n{key}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{START_PREFIX}{hex}")
}

/// Whether `id` can be a case id: 1 to [`MAX_CASE_ID_CHARS`] of `A-Z a-z 0-9 . _ ~ -` (so it
/// needs no escaping in a URL and keeps store keys short).
pub fn valid_case_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CASE_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
}

/// The `ETag` of a case version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

fn problem(code: &str, status: u16, detail: impl Into<String>) -> Reply {
    Reply::problem(&Problem::new(code, status, detail))
}

fn unknown_case(id: &str) -> Reply {
    problem(
        problem::UNKNOWN_CASE,
        404,
        format!("there is no case `{id}`"),
    )
}

fn stored_case_problem(id: &str, message: &str) -> Reply {
    problem(
        "invalid-case",
        500,
        format!("the stored case `{id}` cannot be read: {message}"),
    )
}

/// The problem reply of a core failure answer: `invalid-data` listing every field when any
/// error is about a field, otherwise the first error's code; `errors` holds them all.
fn core_problem(answer: &Json) -> Reply {
    let errors: Vec<Json> = answer
        .get("errors")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let text = |e: &Json, key: &str| e.get(key).and_then(Json::as_str).map(str::to_owned);
    let Some(first) = errors.first() else {
        return problem(
            problem::INTERNAL,
            500,
            "the engine answered without an error",
        );
    };
    let code = text(first, "code").unwrap_or_else(|| problem::INTERNAL.to_owned());
    let field_errors = errors
        .iter()
        .filter(|e| text(e, "code").is_some_and(|c| problem::is_field_code(&c)))
        .count();
    let mut p = if field_errors > 0 {
        let messages: Vec<String> = errors.iter().filter_map(|e| text(e, "message")).collect();
        Problem::new(
            problem::INVALID_DATA,
            422,
            format!(
                "{} problem(s) with the data: {}",
                errors.len(),
                messages.join("; ")
            ),
        )
    } else {
        let mut detail = text(first, "message").unwrap_or_default();
        if let Some(help) = text(first, "help") {
            detail = format!("{detail}; {help}");
        }
        Problem::new(code.as_str(), problem::process_status(&code), detail)
    };
    p.path = text(first, "path");
    p.errors = errors;
    Reply::problem(&p)
}

fn is_success(answer: &Json) -> bool {
    answer.get("type").and_then(Json::as_str) == Some("success")
}

/// A core answer as a reply: `status` on success, its problem otherwise.
fn core_reply(answer: &Json, status: u16, format: Format) -> Result<Reply, Reply> {
    if is_success(answer) {
        Ok(Reply::value(status, answer, format))
    } else {
        Err(core_problem(answer))
    }
}

/// Reads a route's body (already JSON) into its request type.
fn parse_body<T: DeserializeOwned>(body: Json, what: &str) -> Result<T, Reply> {
    serde_json::from_value(body).map_err(|e| {
        problem(
            problem::INVALID_REQUEST,
            422,
            format!("the body is not {what}: {e}"),
        )
    })
}

/// `now`: the platform's clock, or the `cpm-now` header where the platform allows it.
fn now<P: Platform>(request: &Request, platform: &P) -> Result<String, Reply> {
    match request.header(NOW_HEADER) {
        Some(text) if platform.test_clock() => Ok(text.trim().to_owned()),
        Some(_) => Err(problem(
            problem::BAD_HEADER,
            400,
            format!(
                "the `{NOW_HEADER}` header sets the clock in tests only (the component runs with `{TEST_CLOCK_VAR}=header`); remove it"
            ),
        )),
        None => Ok(platform.now()),
    }
}

fn open_store<P: Platform>(platform: &P) -> Result<&P::Store, Reply> {
    platform.store().map_err(|e| store_problem(&e))
}

/// The idempotency key of a request: the `Idempotency-Key` header, or the body's `key`;
/// both must agree when both are given.
fn idempotency_key(request: &Request, body_key: Option<&str>) -> Result<Option<String>, Reply> {
    let header = request.header(IDEMPOTENCY_KEY).map(str::trim);
    match (header, body_key) {
        (Some(h), Some(b)) if h != b => Err(problem(
            problem::BAD_HEADER,
            400,
            format!(
                "the `Idempotency-Key` header `{h}` and the body's `key` `{b}` differ; send one of them"
            ),
        )),
        (Some(h), _) => Ok(Some(h.to_owned())),
        (None, b) => Ok(b.map(str::to_owned)),
    }
}

/// The case to store from a core answer: its `case` without the `sla` view, as canonical
/// JSON, and its version; refused when it would be over the store's value limit.
fn case_to_store(answer: &Json) -> Result<(Vec<u8>, u64), Reply> {
    let mut case = answer.get("case").cloned().unwrap_or(Json::Null);
    if let Json::Object(map) = &mut case {
        map.remove("sla");
    }
    let version = case.get("version").and_then(Json::as_u64).unwrap_or(0);
    let bytes = cpm_core::canonical::to_string(&case).into_bytes();
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(problem(
            problem::CASE_TOO_LARGE,
            507,
            format!(
                "the case would take {} bytes, over the store's limit of {MAX_VALUE_BYTES} bytes; the event was not applied. Close this case and continue in a new one",
                bytes.len()
            ),
        ));
    }
    Ok((bytes, version))
}

fn read_case(id: &str, bytes: &[u8]) -> Result<Json, Reply> {
    serde_json::from_slice(bytes).map_err(|e| stored_case_problem(id, &e.to_string()))
}

fn with_case_headers(mut reply: Reply, id: &str, version: u64) -> Reply {
    reply.headers.push(("etag".into(), etag(version)));
    reply
        .headers
        .push(("location".into(), format!("/v1/cases/{id}")));
    reply
}

fn replayed(mut reply: Reply) -> Reply {
    reply.headers.push((REPLAYED.into(), "true".into()));
    reply
}

/// `POST /v1/intake`: body `{"contact": {…}}`; the core's intake answer on the active
/// bundle.
pub(crate) fn intake<P: Platform>(
    request: &Request,
    bundle: BundleBytes<'_>,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let body = read_json_body(request)?;
    let req: IntakeRequest = parse_body(body, "an intake request `{\"contact\": {…}}`")?;
    let Loaded { engine, .. } = registry::active(platform, bundle)?;
    core_reply(&api::intake(&engine, &req), 200, format)
}

/// The body of `POST /v1/processes/{name}/cases`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    #[serde(default)]
    data: Map<String, Json>,
    #[serde(default)]
    contact: Option<Json>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

/// `POST /v1/processes/{name}/cases`: starts a case on the active bundle (201), or answers
/// the case a start with the same idempotency key created (200, nothing applied).
pub(crate) fn start<P: Platform>(
    request: &Request,
    process: &str,
    bundle: BundleBytes<'_>,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let body = read_json_body(request)?;
    let body: StartBody = if body.is_null() {
        StartBody::default()
    } else {
        parse_body(
            body,
            "a start request `{\"data\": {…}, \"contact\"?, \"key\"?, \"id\"?}`",
        )?
    };
    let key = idempotency_key(request, body.key.as_deref())?;
    if let Some(id) = &body.id
        && !valid_case_id(id)
    {
        return Err(problem(
            problem::INVALID_CASE_ID,
            422,
            format!(
                "the case id `{id}` is not usable: use 1 to {MAX_CASE_ID_CHARS} letters, digits, `.`, `_`, `~` or `-`, or leave `id` out to get a random one"
            ),
        ));
    }
    let now = now(request, platform)?;
    let store = open_store(platform)?;
    let Loaded { engine, .. } = registry::active_in(store, bundle.clone())?;
    // A start without a key cannot be retried safely; it gets a random key of its own.
    let record = match (&body.id, &key) {
        (None, Some(key)) => Some(start_key(process, key)),
        _ => None,
    };
    let key = key.unwrap_or_else(|| format!("k-{}", platform.random_hex()));
    for _ in 0..MAX_ATTEMPTS {
        let (id, record_cas) = match (&body.id, &record) {
            (Some(id), _) => (id.clone(), None),
            (None, Some(record)) => {
                let (current, cas) = store.read_for_swap(record).map_err(|e| store_problem(&e))?;
                match current {
                    Some(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), None),
                    None => (format!("c-{}", platform.random_hex()), Some(cas)),
                }
            }
            (None, None) => (format!("c-{}", platform.random_hex()), None),
        };
        let (existing, case_cas) = store
            .read_for_swap(&case_key(&id))
            .map_err(|e| store_problem(&e))?;
        if let Some(bytes) = existing {
            return start_again(store, bundle, &id, &bytes, process, &key, &now, format);
        }
        let answer = api::start_case(
            &engine,
            &StartCaseRequest {
                process: process.to_owned(),
                data: body.data.clone(),
                contact: body.contact.clone(),
                key: key.clone(),
                now: now.clone(),
                id: Some(id.clone()),
            },
        );
        if !is_success(&answer) {
            return Err(core_problem(&answer));
        }
        let (bytes, version) = case_to_store(&answer)?;
        // The start record first: a crash between the two writes leaves a record whose case
        // is missing, and a retry with the same key then creates the case under that id.
        if let Some(cas) = record_cas {
            match store.swap(cas, id.as_bytes()) {
                Ok(()) => {}
                Err(SwapError::Conflict) => continue,
                Err(SwapError::Store(e)) => return Err(store_problem(&e)),
            }
        }
        match store.swap(case_cas, &bytes) {
            Ok(()) => {
                let reply = Reply::value(201, &answer, format);
                return Ok(with_case_headers(reply, &id, version));
            }
            Err(SwapError::Conflict) => continue,
            Err(SwapError::Store(e)) => return Err(store_problem(&e)),
        }
    }
    Err(write_conflict())
}

/// A start whose case exists: the core's answer to its `started` event again (200, nothing
/// applied, on the bundle the case is pinned to) when that case was started with this
/// process and key, 409 otherwise.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the start request's parts"
)]
fn start_again<S: Store>(
    store: &S,
    bundle: BundleBytes<'_>,
    id: &str,
    bytes: &[u8],
    process: &str,
    key: &str,
    now: &str,
    format: Format,
) -> Result<Reply, Reply> {
    let json = read_case(id, bytes)?;
    let case = Case::from_json(&json).map_err(|e| stored_case_problem(id, &e.to_string()))?;
    let same_start = case.process == process && case.events.first().is_some_and(|e| e.key == key);
    if !same_start {
        return Err(problem(
            problem::CASE_EXISTS,
            409,
            format!(
                "a case `{id}` exists already, started by another request; choose another id, or leave `id` out to get a fresh one"
            ),
        ));
    }
    let Loaded { engine, .. } = registry::pinned(store, &case.bundle_hash, bundle)?;
    let mut event = Map::new();
    event.insert("type".into(), "started".into());
    event.insert("key".into(), key.into());
    event.insert("process".into(), process.into());
    let answer = api::apply_event(
        &engine,
        &ApplyEventRequest {
            case: json,
            event: Json::Object(event),
            now: now.to_owned(),
            now_from_clock: false,
        },
    );
    let reply = core_reply(&answer, 200, format)?;
    Ok(replayed(with_case_headers(reply, id, case.version)))
}

fn write_conflict() -> Reply {
    problem(
        problem::WRITE_CONFLICT,
        409,
        format!(
            "the case kept changing while this request was applied ({MAX_ATTEMPTS} attempts); nothing was applied, send it again"
        ),
    )
}

/// An `If-Match` header: `*`, or the entity tags it lists.
#[derive(Clone, Debug, PartialEq, Eq)]
enum IfMatch {
    Any,
    Versions(Vec<u64>),
}

impl IfMatch {
    fn matches(&self, version: u64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Versions(versions) => versions.contains(&version),
        }
    }
}

/// Reads `If-Match`: `*`, or a list of strong entity tags (`"4"`; a bare `4` is taken as
/// `"4"`). A weak tag (`W/"4"`) never matches, as RFC 9110's strong comparison says.
fn if_match(request: &Request) -> Result<Option<IfMatch>, Reply> {
    let Some(value) = request.header("if-match") else {
        return Ok(None);
    };
    if value.trim() == "*" {
        return Ok(Some(IfMatch::Any));
    }
    let mut versions = Vec::new();
    for tag in value.split(',').map(str::trim) {
        if tag.starts_with("W/") {
            continue;
        }
        let inner = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(tag);
        let version = inner.parse::<u64>().map_err(|_| {
            problem(
                problem::BAD_HEADER,
                400,
                format!(
                    "`If-Match: {value}` is not a case version; send the `ETag` of the case (`\"4\"`) or `*`"
                ),
            )
        })?;
        versions.push(version);
    }
    Ok(Some(IfMatch::Versions(versions)))
}

/// `POST /v1/cases/{id}/events`: applies the event in the body (200), or answers the case
/// unchanged when its key was seen (200, `applied: false`, `Idempotent-Replayed: true`).
/// The event is applied with the bundle the case is pinned to (its `bundleHash`), whatever
/// bundle is active now.
pub(crate) fn post_event<P: Platform>(
    request: &Request,
    id: &str,
    bundle: BundleBytes<'_>,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let body = read_json_body(request)?;
    let Json::Object(mut event) = body else {
        return Err(problem(
            problem::INVALID_REQUEST,
            422,
            "the body must be an event object (`{\"type\": \"task-completed\", …}`)",
        ));
    };
    let body_key = event.get("key").and_then(Json::as_str).map(str::to_owned);
    if let Some(key) = idempotency_key(request, body_key.as_deref())? {
        event.insert("key".into(), key.into());
    }
    let precondition = if_match(request)?;
    let now = now(request, platform)?;
    let from_clock = request.header(NOW_HEADER).is_none();
    if !valid_case_id(id) {
        return Err(unknown_case(id));
    }
    let store = open_store(platform)?;
    let key = case_key(id);
    let mut engine: Option<Engine> = None;
    for _ in 0..MAX_ATTEMPTS {
        let (current, cas) = store.read_for_swap(&key).map_err(|e| store_problem(&e))?;
        let Some(bytes) = current else {
            return Err(unknown_case(id));
        };
        let case = read_case(id, &bytes)?;
        let version = case.get("version").and_then(Json::as_u64).unwrap_or(0);
        let pinned = case.get("bundleHash").and_then(Json::as_str).unwrap_or("");
        let engine = match engine.take() {
            Some(e) if e.hash() == pinned => engine.insert(e),
            _ => {
                let Loaded { engine: e, .. } = registry::pinned(store, pinned, bundle.clone())?;
                engine.insert(e)
            }
        };
        let answer = api::apply_event(
            engine,
            &ApplyEventRequest {
                case,
                event: Json::Object(event.clone()),
                now: now.clone(),
                now_from_clock: from_clock,
            },
        );
        let success = is_success(&answer);
        if success && answer.get("applied") == Some(&Json::Bool(false)) {
            let reply = Reply::value(200, &answer, format);
            return Ok(replayed(with_case_headers(reply, id, version)));
        }
        if let Some(precondition) = &precondition
            && !precondition.matches(version)
        {
            let mut reply = problem(
                problem::VERSION_MISMATCH,
                412,
                format!(
                    "the case `{id}` is at version {version}, not the one `If-Match` names; nothing was applied. Read the case again and decide on its current state"
                ),
            );
            reply.headers.push(("etag".into(), etag(version)));
            return Err(reply);
        }
        if !success {
            return Err(core_problem(&answer));
        }
        let (bytes, new_version) = case_to_store(&answer)?;
        match store.swap(cas, &bytes) {
            Ok(()) => {
                let reply = Reply::value(200, &answer, format);
                return Ok(with_case_headers(reply, id, new_version));
            }
            Err(SwapError::Conflict) => {}
            Err(SwapError::Store(e)) => return Err(store_problem(&e)),
        }
    }
    Err(write_conflict())
}

/// The stored case `id` as JSON.
fn stored_case<S: Store>(store: &S, id: &str) -> Result<Json, Reply> {
    if !valid_case_id(id) {
        return Err(unknown_case(id));
    }
    match store.get(&case_key(id)) {
        Ok(Some(bytes)) => read_case(id, &bytes),
        Ok(None) => Err(unknown_case(id)),
        Err(e) => Err(store_problem(&e)),
    }
}

/// `GET /v1/cases/{id}`: `{"type": "success", "case": …}` with the case's SLA view at
/// `now`, as the core's replay answers it; `ETag` is the case version.
pub(crate) fn get_case<P: Platform>(
    request: &Request,
    id: &str,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let now = now(request, platform)?;
    let store = open_store(platform)?;
    let json = stored_case(store, id)?;
    let case = Case::from_json(&json).map_err(|e| stored_case_problem(id, &e.to_string()))?;
    let view = api::case_json(&case, &now)
        .map_err(|e| core_problem(&api::failure(api::apply_error_details(&e))))?;
    let mut answer = Map::new();
    answer.insert("type".into(), "success".into());
    answer.insert("case".into(), view);
    let reply = Reply::value(200, &Json::Object(answer), format);
    Ok(with_case_headers(reply, id, case.version))
}

/// `GET /v1/cases/{id}/outbox`: `{"type": "success", "id", "version", "outbox": [effects]}`,
/// the effects not yet acknowledged, oldest first.
pub(crate) fn outbox<P: Platform>(id: &str, platform: &P, format: Format) -> Result<Reply, Reply> {
    let store = open_store(platform)?;
    let json = stored_case(store, id)?;
    let version = json.get("version").and_then(Json::as_u64).unwrap_or(0);
    let mut answer = Map::new();
    answer.insert("type".into(), "success".into());
    answer.insert("id".into(), id.into());
    answer.insert("version".into(), version.into());
    answer.insert(
        "outbox".into(),
        json.get("outbox")
            .cloned()
            .unwrap_or(Json::Array(Vec::new())),
    );
    let reply = Reply::value(200, &Json::Object(answer), format);
    Ok(with_case_headers(reply, id, version))
}

/// Every stored case, by id (list-keys over the whole store, then one read per case).
fn all_cases<S: Store>(store: &S) -> Result<Vec<Json>, Reply> {
    let keys = store::all_keys(store, CASE_PREFIX).map_err(|e| store_problem(&e))?;
    let mut cases = Vec::with_capacity(keys.len());
    for key in keys {
        let id = key.trim_start_matches(CASE_PREFIX);
        match store.get(&key) {
            Ok(Some(bytes)) => cases.push(read_case(id, &bytes)?),
            Ok(None) => {}
            Err(e) => return Err(store_problem(&e)),
        }
    }
    Ok(cases)
}

/// The single query parameter `name` (optional); any other parameter is refused.
fn only_param(query: &str, name: &str) -> Result<Option<String>, Reply> {
    let mut found = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if !name.is_empty() && key == name && found.is_none() {
            found = Some(value.into_owned());
        } else {
            let allowed = if name.is_empty() {
                "this route takes no parameters".to_owned()
            } else {
                format!("the only parameter is `{name}`, once")
            };
            return Err(problem(
                problem::BAD_QUERY,
                400,
                format!("unexpected query parameter `{key}`; {allowed}"),
            ));
        }
    }
    Ok(found)
}

/// `GET /v1/tasks?queue=…`: the open tasks of every stored case, oldest first.
pub(crate) fn tasks<P: Platform>(
    request: &Request,
    query: &str,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let queue = only_param(query, "queue")?;
    let now = now(request, platform)?;
    let store = open_store(platform)?;
    let cases = all_cases(store)?;
    core_reply(
        &api::tasks(&TasksRequest { cases, queue, now }),
        200,
        format,
    )
}

/// `GET /v1/metrics`: the KPIs of every stored case (JSON, or Prometheus text).
pub(crate) fn metrics<P: Platform>(
    request: &Request,
    query: &str,
    platform: &P,
    wanted: Wanted,
) -> Result<Reply, Reply> {
    only_param(query, "")?;
    let now = now(request, platform)?;
    let store = open_store(platform)?;
    let cases = all_cases(store)?;
    let answer = api::kpis(&KpisRequest { cases, now });
    match wanted {
        Wanted::Text if is_success(&answer) => Ok(Reply {
            status: 200,
            headers: vec![(
                "content-type".into(),
                crate::negotiate::PROMETHEUS_TEXT.into(),
            )],
            body: metrics::prometheus(&answer).into_bytes(),
        }),
        Wanted::Value(format) => core_reply(&answer, 200, format),
        Wanted::Text | Wanted::Bytes => core_reply(&answer, 200, Format::Json),
    }
}

#[cfg(test)]
mod tests;
