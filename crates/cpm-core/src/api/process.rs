//! The process operations of the boundary: intake, start a case, apply an event, replay,
//! worklists and KPIs. Each takes a request and answers `"type": "success" | "failure"`;
//! each has a `_json_str` twin. The JSON shapes are documented in `docs/processes.md`.

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::{ErrorDetail, failure};
use crate::canonical;
use crate::decide::Engine;
use crate::process::{self, ApplyError, Case, Effect, Event};

/// A request to find the processes a contact starts.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    /// The contact's fields, named like the processes' data fields.
    pub contact: Map<String, Json>,
}

/// A request to start a case.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartCaseRequest {
    /// The process name.
    pub process: String,
    /// The case data.
    #[serde(default)]
    pub data: Map<String, Json>,
    /// The contact that starts the case, kept on the case.
    #[serde(default)]
    pub contact: Option<Json>,
    /// The idempotency key of the `started` event.
    pub key: String,
    /// The current date-time (RFC 3339 with offset).
    pub now: String,
    /// The case id (derived from the process and key when absent).
    #[serde(default)]
    pub id: Option<String>,
}

/// A request to apply an event to a case.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyEventRequest {
    /// The case, as a previous answer gave it.
    pub case: Json,
    /// The event.
    pub event: Json,
    /// The current date-time (RFC 3339 with offset); the event's `at` when it has none.
    pub now: String,
    /// Whether `now` was read from a server clock that may lag the one that wrote the case's
    /// last event (several servers share the cases): it is then used no earlier than that
    /// event ([`process::not_before_last_event`]). Default `false`: `now` is used as given.
    #[serde(default)]
    pub now_from_clock: bool,
}

/// A request to rebuild a case from its events.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// The events, `started` first, each with its `at`.
    pub events: Vec<Json>,
    /// The time the SLA view is computed for (default: the last event's `at`).
    #[serde(default)]
    pub now: Option<String>,
}

/// A request for the open tasks of some cases.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TasksRequest {
    /// The cases.
    pub cases: Vec<Json>,
    /// Only tasks in this queue.
    #[serde(default)]
    pub queue: Option<String>,
    /// The current date-time (RFC 3339 with offset).
    pub now: String,
}

/// A request for the KPIs of some cases.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpisRequest {
    /// The cases.
    pub cases: Vec<Json>,
    /// The current date-time (RFC 3339 with offset).
    pub now: String,
}

/// Every error detail of a process error: one per field for data problems.
pub fn apply_error_details(e: &ApplyError) -> Vec<ErrorDetail> {
    match e {
        ApplyError::Fields { errors } => errors
            .iter()
            .map(|f| ErrorDetail {
                code: f.code().to_owned(),
                message: f.message().to_owned(),
                help: None,
                path: Some(f.path().to_owned()),
            })
            .collect(),
        other => vec![ErrorDetail::new(other.code(), other.to_string())],
    }
}

fn process_failure(e: &ApplyError) -> Json {
    failure(apply_error_details(e))
}

fn malformed(e: &serde_json::Error) -> Json {
    failure(vec![ErrorDetail::new(
        "malformed-request",
        format!("the request is not valid JSON of the expected shape: {e}"),
    )])
}

fn success(members: Vec<(&str, Json)>) -> Json {
    let mut obj = Map::new();
    obj.insert("type".into(), "success".into());
    for (k, v) in members {
        obj.insert(k.into(), v);
    }
    Json::Object(obj)
}

/// A case as JSON with its SLA view at `now` under `sla`.
///
/// # Errors
/// [`ApplyError::BadTime`] when `now` is not an RFC 3339 date-time with offset.
pub fn case_json(case: &Case, now: &str) -> Result<Json, ApplyError> {
    let view = process::sla(case, now)?;
    let mut json = case.to_json();
    if let Json::Object(map) = &mut json {
        map.insert(
            "sla".into(),
            serde_json::to_value(view).unwrap_or(Json::Null),
        );
    }
    Ok(json)
}

fn effects_json(effects: &[Effect]) -> Json {
    Json::Array(effects.iter().map(Effect::to_json).collect())
}

fn cases_of(values: &[Json]) -> Result<Vec<Case>, ApplyError> {
    values.iter().map(Case::from_json).collect()
}

/// The processes a contact starts, highest priority first, each with the data to start it
/// with and every missing or invalid field.
pub fn intake(engine: &Engine, request: &IntakeRequest) -> Json {
    match process::intake(engine, &request.contact) {
        Ok(matches) => {
            let matches: Vec<Json> = matches
                .iter()
                .map(|m| {
                    let mut o = Map::new();
                    o.insert("process".into(), m.process.clone().into());
                    o.insert("priority".into(), m.priority.into());
                    o.insert("ready".into(), m.errors.is_empty().into());
                    o.insert("data".into(), Json::Object(m.data.clone()));
                    let errors = apply_error_details(&ApplyError::Fields {
                        errors: m.errors.clone(),
                    });
                    o.insert(
                        "errors".into(),
                        serde_json::to_value(errors).unwrap_or(Json::Null),
                    );
                    Json::Object(o)
                })
                .collect();
            success(vec![
                ("bundleHash", engine.hash().into()),
                ("matches", matches.into()),
            ])
        }
        Err(e) => process_failure(&e),
    }
}

/// Starts a case: the new case (with its SLA view at `now`), the effects to perform and the
/// `started` event to store.
pub fn start_case(engine: &Engine, request: &StartCaseRequest) -> Json {
    let mut event = Event::new(process::EventType::Started, request.key.clone());
    event.process = Some(request.process.clone());
    event.data = Some(request.data.clone());
    event.contact = request.contact.clone();
    event.case = request.id.clone();
    let result = process::begin(engine, event, &request.now).and_then(|(case, effects)| {
        let json = case_json(&case, &request.now)?;
        let event = case.events.last().map_or(Json::Null, Event::to_json);
        Ok(success(vec![
            ("case", json),
            ("effects", effects_json(&effects)),
            ("event", event),
        ]))
    });
    result.unwrap_or_else(|e| process_failure(&e))
}

/// Applies an event: the new case (with its SLA view at `now`), the effects to perform, the
/// event as stored (`at` filled in), and `applied: false` when the key was seen before.
pub fn apply_event(engine: &Engine, request: &ApplyEventRequest) -> Json {
    let result = Case::from_json(&request.case).and_then(|case| {
        let event = Event::from_json(&request.event)?;
        let before = case.version;
        let now = if request.now_from_clock {
            process::not_before_last_event(&case, &request.now)
        } else {
            request.now.clone()
        };
        let (case, effects) = process::apply(engine, &case, event, &now)?;
        let applied = case.version != before;
        let event = if applied {
            case.events.last().map_or(Json::Null, Event::to_json)
        } else {
            Json::Null
        };
        Ok(success(vec![
            ("case", case_json(&case, &now)?),
            ("effects", effects_json(&effects)),
            ("applied", applied.into()),
            ("event", event),
        ]))
    });
    result.unwrap_or_else(|e| process_failure(&e))
}

/// Rebuilds a case from its events, with its SLA view at `now` (default: the last event's
/// time).
pub fn replay(engine: &Engine, request: &ReplayRequest) -> Json {
    let result = request
        .events
        .iter()
        .map(Event::from_json)
        .collect::<Result<Vec<_>, _>>()
        .and_then(|events| {
            let case = process::replay(engine, &events)?;
            let now = match &request.now {
                Some(now) => now.clone(),
                None => events
                    .last()
                    .and_then(|e| e.at.clone())
                    .unwrap_or_else(|| case.started_at.clone()),
            };
            Ok(success(vec![("case", case_json(&case, &now)?)]))
        });
    result.unwrap_or_else(|e| process_failure(&e))
}

/// The open tasks of the cases (of one queue, when given), oldest first, with their SLA
/// status at `now`.
pub fn tasks(request: &TasksRequest) -> Json {
    let result = cases_of(&request.cases).and_then(|cases| {
        let items = process::tasks(&cases, request.queue.as_deref(), &request.now)?;
        let tasks: Vec<Json> = items
            .iter()
            .map(|item| {
                let mut o = match serde_json::to_value(&item.task) {
                    Ok(Json::Object(m)) => m,
                    _ => Map::new(),
                };
                o.insert("case".into(), item.case.clone().into());
                o.insert("process".into(), item.process.clone().into());
                o.insert(
                    "sla".into(),
                    item.sla.map_or(Json::Null, |s| s.name().into()),
                );
                Json::Object(o)
            })
            .collect();
        Ok(success(vec![("tasks", tasks.into())]))
    });
    result.unwrap_or_else(|e| process_failure(&e))
}

/// KPIs of the cases at `now`, per process.
pub fn kpis(request: &KpisRequest) -> Json {
    let result = cases_of(&request.cases).and_then(|cases| {
        let kpis = process::kpis(&cases, &request.now)?;
        let processes: Vec<Json> = kpis.iter().map(process::ProcessKpis::to_json).collect();
        Ok(success(vec![("processes", processes.into())]))
    });
    result.unwrap_or_else(|e| process_failure(&e))
}

fn answer<R: for<'de> Deserialize<'de>>(request: &str, run: impl FnOnce(&R) -> Json) -> String {
    let answer = match serde_json::from_str::<R>(request) {
        Ok(r) => run(&r),
        Err(e) => malformed(&e),
    };
    canonical::to_string(&answer)
}

/// [`intake`] on JSON text, answering canonical JSON text.
pub fn intake_json_str(engine: &Engine, request: &str) -> String {
    answer(request, |r| intake(engine, r))
}

/// [`start_case`] on JSON text, answering canonical JSON text.
pub fn start_case_json_str(engine: &Engine, request: &str) -> String {
    answer(request, |r| start_case(engine, r))
}

/// [`apply_event`] on JSON text, answering canonical JSON text.
pub fn apply_event_json_str(engine: &Engine, request: &str) -> String {
    answer(request, |r| apply_event(engine, r))
}

/// [`replay`] on JSON text, answering canonical JSON text.
pub fn replay_json_str(engine: &Engine, request: &str) -> String {
    answer(request, |r| replay(engine, r))
}

/// [`tasks`] on JSON text, answering canonical JSON text.
pub fn tasks_json_str(request: &str) -> String {
    answer(request, tasks)
}

/// [`kpis`] on JSON text, answering canonical JSON text.
pub fn kpis_json_str(request: &str) -> String {
    answer(request, kpis)
}
