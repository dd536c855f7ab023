//! Process runtime tests beyond the shared vectors: the customer example end to end, replay
//! equals applying one by one (also for random event sequences), idempotency, bundles with
//! processes, and errors that need two bundles.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests: a failure must stop loudly"
)]

use std::path::Path;

use cpm_core::api;
use cpm_core::bundle;
use cpm_core::compile::{SourceText, compile};
use cpm_core::decide::Engine;
use cpm_core::process::{self, ApplyError, Case, EffectKind, Event, EventType, Status};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Every source file under `dir`, as the CLI reads them.
fn read_dir(dir: &Path, root: &Path, out: &mut Vec<SourceText>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            read_dir(&p, root, out);
        } else if (name.ends_with(".yaml") || name.ends_with(".json"))
            && !name.ends_with(".events.json")
            && name != "input.json"
        {
            out.push(SourceText {
                path: p.strip_prefix(root).unwrap().to_string_lossy().into_owned(),
                text: std::fs::read_to_string(&p).unwrap(),
            });
        }
    }
}

fn example_engine() -> Engine {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/customer");
    let mut files = Vec::new();
    read_dir(&root, &root, &mut files);
    let compiled = compile(&files).unwrap_or_else(|e| panic!("{:?}", e.errors));
    let bytes = bundle::Bundle::new(compiled.program)
        .unwrap()
        .encode()
        .unwrap();
    api::load(&bytes).unwrap()
}

fn events_of(name: &str) -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/customer")
        .join(name);
    let list: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    list.iter().map(|v| Event::from_json(v).unwrap()).collect()
}

/// Applies events one by one at their own times.
fn fold(engine: &Engine, events: &[Event]) -> Case {
    let first = events[0].clone();
    let at = first.at.clone().unwrap();
    let (mut case, _) = process::begin(engine, first, &at).unwrap();
    for e in &events[1..] {
        let at = e.at.clone().unwrap();
        case = process::apply(engine, &case, e.clone(), &at).unwrap().0;
    }
    case
}

#[test]
fn the_example_complaint_runs_from_intake_to_feedback() {
    let engine = example_engine();
    let events = events_of("complaint.events.json");

    // Intake: the contact starts the complaint process (by the routing decision).
    let contact = events[0].data.clone().unwrap();
    let matches = process::intake(&engine, &contact).unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].process, "complaint");
    assert!(matches[0].errors.is_empty(), "{:?}", matches[0].errors);

    let case = fold(&engine, &events);
    assert_eq!(case.status, Status::Closed);
    assert_eq!(case.outcome.as_deref(), Some("resolved"));
    assert_eq!(case.root_cause.as_deref(), Some("carrier"));
    assert_eq!(case.version, 4);
    assert_eq!(case.data["Priority"], json!("P3"));
    assert_eq!(case.data["Response Hours"].to_string(), "24");
    // A gold customer's delivery problem is refunded in full and recorded in billing.
    let record = case
        .outbox
        .iter()
        .find(|e| e.kind == EffectKind::Record)
        .unwrap();
    assert_eq!(record.system.as_deref(), Some("billing"));
    assert_eq!(
        cpm_core::canonical::to_string(record.change.as_ref().unwrap()),
        r#"{"currency":"EUR","customer":"C-1042","reason":"Goodwill refund for a delivery problem","refund":89.9}"#
    );
    let sends: Vec<_> = case
        .outbox
        .iter()
        .filter(|e| e.kind == EffectKind::Send)
        .collect();
    assert_eq!(sends.len(), 2);
    let ack = sends[0].body.as_deref().unwrap();
    assert!(ack.contains("priority P3"), "{ack}");
    assert!(ack.contains("within\n24 hours"), "{ack}");
    let resolution = sends[1].body.as_deref().unwrap();
    assert!(
        resolution.contains("We are refunding 89.9 EUR"),
        "{resolution}"
    );
    // The decisions' explanations are in the history.
    let decided: Vec<&str> = case
        .history
        .iter()
        .filter_map(|h| h.decision.as_ref().map(|d| d.name.as_str()))
        .collect();
    assert_eq!(
        decided,
        ["Complaint Priority", "Response SLA", "Complaint Refund"]
    );
    let priority = case.history[0].decision.as_ref().unwrap();
    assert_eq!(priority.explanation[0]["fired"][0]["id"], json!("premium"));

    // Replaying gives the same case; so does replaying through the API.
    assert_eq!(process::replay(&engine, &case.events).unwrap(), case);
    let request = json!({ "events": case.events.iter().map(Event::to_json).collect::<Vec<_>>() });
    let answer: Value =
        serde_json::from_str(&api::replay_json_str(&engine, &request.to_string())).unwrap();
    let mut replayed = answer["case"].clone();
    replayed.as_object_mut().unwrap().remove("sla");
    assert_eq!(
        cpm_core::canonical::to_string(&replayed),
        cpm_core::canonical::to_string(&case.to_json())
    );
}

#[test]
fn the_example_address_change_completes_by_itself() {
    let engine = example_engine();
    let events = events_of("address-change.events.json");
    let contact = events[0].data.clone().unwrap();
    let matches = process::intake(&engine, &contact).unwrap();
    assert_eq!(matches[0].process, "address-change");
    let case = fold(&engine, &events);
    assert_eq!(case.status, Status::Closed);
    assert!(case.tasks.is_empty());
    let kinds: Vec<EffectKind> = case.outbox.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EffectKind::Record, EffectKind::Send]);
    let kpis = process::kpis(&[case], "2024-05-07T00:00:00Z").unwrap();
    let k = kpis[0].to_json();
    assert_eq!(k["firstContactResolutionRate"].to_string(), "1");
    assert_eq!(k["firstTimeRightRate"].to_string(), "1");
}

#[test]
fn a_case_runs_only_on_its_own_bundle() {
    let engine = example_engine();
    let events = events_of("complaint.events.json");
    let mut case = fold(&engine, &events[..1]);
    case.bundle_hash = "0".repeat(64);
    let err = process::apply(
        &engine,
        &case,
        events[1].clone(),
        "2024-05-06T10:15:00+02:00",
    )
    .unwrap_err();
    assert!(matches!(err, ApplyError::BundleMismatch { .. }), "{err:?}");
    assert_eq!(err.code(), "bundle-mismatch");
}

#[test]
fn bundles_carry_processes_and_templates() {
    let engine = example_engine();
    let program = &engine.bundle().program;
    let names: Vec<&str> = program.processes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["address-change", "complaint"]);
    assert_eq!(program.templates.len(), 3);
    let bytes = engine.bundle().encode().unwrap();
    let back = bundle::decode(&bytes).unwrap();
    assert_eq!(&back.program, program);
    assert_eq!(back.hash, engine.hash());
    assert_eq!(&bytes[4..8], &bundle::FORMAT_VERSION.to_be_bytes());
    assert_eq!(bundle::FORMAT_VERSION, 2);
}

#[test]
fn an_engine_loaded_for_decisions_only_decides_alike_and_runs_no_processes() {
    let engine = example_engine();
    let bytes = engine.bundle().encode().unwrap();
    let decisions_only = api::load_decisions(&bytes).unwrap();
    assert_eq!(decisions_only.hash(), engine.hash());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/customer");
    let input: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("input.json")).unwrap()).unwrap();
    let request = api::DecideRequest {
        decision: "Discount".to_owned(),
        input,
        explain: true,
    };
    let limits = cpm_core::feel::eval::Limits::default();
    let answer = api::decide(&engine, &request, limits);
    assert_eq!(answer["type"], "success", "{answer}");
    assert_eq!(api::decide(&decisions_only, &request, limits), answer);
    assert_eq!(api::describe(&decisions_only), api::describe(&engine));

    let events = events_of("complaint.events.json");
    let at = events[0].at.clone().unwrap();
    let err = process::begin(&decisions_only, events[0].clone(), &at).unwrap_err();
    assert_eq!(err.code(), "decisions-only", "{err}");
    let err = process::intake(&decisions_only, &serde_json::Map::new()).unwrap_err();
    assert_eq!(err.code(), "decisions-only", "{err}");
    assert!(process::begin(&engine, events[0].clone(), &at).is_ok());
}

// ------------------------------------------------------------------ random event sequences

const SMALL: &str = r#"
process: small
data:
  - { name: Name, type: string }
  - { name: Amount, type: number, required: false, valid: '>= 0' }
sla: P3D
escalate-to: lead
steps:
  - id: check
    task:
      queue: q
      form: [{ name: Ok, type: boolean }]
      sla: P1D
      escalate-to: lead
    next: route
  - id: route
    route:
      - { when: 'Ok', to: tell }
      - { default: check }
  - id: tell
    send: { template: t, to: '"someone@example.com"' }
    next: wait
  - id: wait
    wait: { for: feedback, timeout: P2D, on-timeout: done }
    next: done
  - { id: done, end: { outcome: done, root-cause: 'if Ok then "ok" else "no"' } }
"#;

const TEMPLATE: &str = "template: t\nbody: 'Hello {{ data.Name }}'\n";

fn small_engine() -> Engine {
    let files = [
        SourceText {
            path: "small.yaml".into(),
            text: SMALL.into(),
        },
        SourceText {
            path: "t.yaml".into(),
            text: TEMPLATE.into(),
        },
    ];
    let compiled = compile(&files).unwrap_or_else(|e| panic!("{:?}", e.errors));
    Engine::new(bundle::Bundle::new(compiled.program).unwrap())
}

/// One random event; `n` makes keys and times, `k` picks a reused key.
fn random_event(choice: u8, n: usize, k: usize, hours: u32) -> Value {
    let key = if choice % 7 == 0 {
        format!("k{k}")
    } else {
        format!("k{n}")
    };
    let at = format!("2024-01-{:02}T{:02}:00:00Z", 1 + hours / 24, hours % 24);
    let task = format!("check-{}", 1 + k % 3);
    match choice % 11 {
        0 => json!({"type": "task-claimed", "key": key, "at": at, "task": task, "by": "x"}),
        1 | 2 => json!({"type": "task-completed", "key": key, "at": at, "task": task, "by": "x",
                         "form": {"Ok": choice % 2 == 0}}),
        3 => json!({"type": "task-completed", "key": key, "at": at, "task": task, "by": "x",
                    "form": {"Ok": "yes"}}),
        4 => json!({"type": "feedback", "key": key, "at": at, "csat": 1 + (k % 6)}),
        5 => {
            let timer = ["case:sla", "check-1:sla", "wait-1:timeout", "check-2:sla"][k % 4];
            json!({"type": "timer-fired", "key": key, "at": at, "timer": timer})
        }
        6 => json!({"type": "cancelled", "key": key, "at": at, "reason": "r"}),
        7 => json!({"type": "reopened", "key": key, "at": at, "reason": "r"}),
        8 => json!({"type": "data-supplied", "key": key, "at": at,
                    "data": {"Amount": (k as i64) - 2}}),
        9 => json!({"type": "effects-acknowledged", "key": key, "at": at,
                    "effects": [format!("e{}-1", 1 + k % 4)]}),
        _ => json!({"type": "customer-replied", "key": key, "at": at, "message": "hi"}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn replay_equals_applying_one_by_one(
        steps in proptest::collection::vec((0u8..77, 0usize..12, 0u32..6), 1..30)
    ) {
        let engine = small_engine();
        let (mut case, _) = process::start(
            &engine,
            "small",
            serde_json::from_value(json!({"Name": "Ann"})).unwrap(),
            None,
            "k0",
            "2024-01-01T00:00:00Z",
        )
        .unwrap();
        let mut hours = 0;
        for (n, (choice, k, dt)) in steps.into_iter().enumerate() {
            hours += dt;
            let event = Event::from_json(&random_event(choice, n + 1, k, hours)).unwrap();
            let now = event.at.clone().unwrap();
            if let Ok((next, effects)) = process::apply(&engine, &case, event.clone(), &now) {
                if next.version == case.version {
                    // A seen key: nothing changes and nothing is to be done.
                    prop_assert_eq!(&next, &case);
                    prop_assert!(effects.is_empty());
                } else {
                    prop_assert_eq!(next.version, case.version + 1);
                    // Re-applying the same event is a no-op.
                    let (again, none) = process::apply(&engine, &next, event, &now).unwrap();
                    prop_assert_eq!(&again, &next);
                    prop_assert!(none.is_empty());
                }
                case = next;
            }
            prop_assert_eq!(case.version as usize, case.events.len());
            // Every effect in the outbox has a unique id.
            let mut ids: Vec<&str> = case.outbox.iter().map(|e| e.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), case.outbox.len());
        }
        let replayed = process::replay(&engine, &case.events).unwrap();
        prop_assert_eq!(&replayed, &case);
        // The JSON form reads back to the same case.
        prop_assert_eq!(&Case::from_json(&case.to_json()).unwrap(), &case);
    }
}

#[test]
fn an_event_type_list_is_complete() {
    // Every event type round-trips through its JSON name.
    for t in EventType::ALL {
        let v = json!({"type": t.name(), "key": "k"});
        let e = Event::from_json(&v).unwrap();
        assert_eq!(e.kind, t);
    }
}

#[test]
fn a_lagging_server_clock_is_used_no_earlier_than_the_last_event() {
    let engine = example_engine();
    let events = events_of("complaint.events.json");
    let case = fold(&engine, &events[..2]);
    let last = case.events.last().unwrap().at.clone().unwrap();
    // Behind the last event: the clock is moved up to it.
    assert_eq!(
        process::not_before_last_event(&case, "2024-05-06T08:00:00Z"),
        last
    );
    // Ahead of it, or unreadable: the clock as given.
    assert_eq!(
        process::not_before_last_event(&case, "2024-05-08T00:00:00Z"),
        "2024-05-08T00:00:00Z"
    );
    assert_eq!(process::not_before_last_event(&case, "soon"), "soon");

    // Through the API: an event without `at`, at a clock an hour behind the last event.
    let request = |now_from_clock| api::process::ApplyEventRequest {
        case: api::process::case_json(&case, &last).unwrap(),
        event: {
            let mut completed = events[2].to_json();
            completed.as_object_mut().unwrap().remove("at");
            completed
        },
        now: "2024-05-06T09:15:00+02:00".to_owned(),
        now_from_clock,
    };
    let refused = api::process::apply_event(&engine, &request(false));
    assert_eq!(refused["type"], "failure", "{refused}");
    let applied = api::process::apply_event(&engine, &request(true));
    assert_eq!(applied["type"], "success", "{applied}");
    assert_eq!(applied["event"]["at"], Value::String(last));
}
