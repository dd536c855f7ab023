//! `cpm simulate`: replays a list of events through a process and shows, event by event,
//! where the case went and what it asked the outside world to do; then the final state and
//! its SLA. For business users trying a process before it goes live.

use cpm_core::decide::Engine;
use cpm_core::process::{self, ApplyError, Case, Effect, EffectKind, Event};

/// Applies `events` one by one (the first must be `started`) and prints the story, or the
/// final case as canonical JSON with `json`. `now` (default: the last event's `at`) is the
/// time the SLA is shown for. Returns whether every event was accepted.
pub fn run(engine: &Engine, events: &[serde_json::Value], now: Option<&str>, json: bool) -> bool {
    let mut case: Option<Case> = None;
    for (i, value) in events.iter().enumerate() {
        let result = Event::from_json(value).and_then(|event| {
            let at = event.at.clone().ok_or_else(|| ApplyError::InvalidEvent {
                event: event.kind.name().to_owned(),
                problems: vec!["missing `at`: simulated events carry their time".to_owned()],
            })?;
            match &case {
                None => process::begin(engine, event, &at),
                Some(c) => process::apply(engine, c, event, &at),
            }
        });
        match result {
            Ok((next, effects)) => {
                if !json {
                    print_step(&next, &effects);
                }
                case = Some(next);
            }
            Err(e) => {
                let details = cpm_core::api::apply_error_details(&e);
                eprintln!("event {} was refused:", i + 1);
                for d in details {
                    match d.path {
                        Some(path) => eprintln!("  error[{}] `{path}`: {}", d.code, d.message),
                        None => eprintln!("  error[{}]: {}", d.code, d.message),
                    }
                }
                return false;
            }
        }
    }
    let Some(case) = case else {
        eprintln!("no events to simulate");
        return false;
    };
    let now = now
        .map(str::to_owned)
        .or_else(|| case.events.last().and_then(|e| e.at.clone()))
        .unwrap_or_else(|| case.started_at.clone());
    if json {
        match cpm_core::api::case_json(&case, &now) {
            Ok(v) => println!("{}", cpm_core::canonical::to_string(&v)),
            Err(e) => {
                eprintln!("error[{}]: {e}", e.code());
                return false;
            }
        }
        return true;
    }
    print_summary(&case, &now)
}

fn print_step(case: &Case, effects: &[Effect]) {
    let Some(event) = case.events.last() else {
        return;
    };
    let at = event.at.as_deref().unwrap_or("");
    let place = match (case.status.name(), &case.step) {
        (status, Some(step)) => format!("{status} at `{step}`"),
        (status, None) => status.to_owned(),
    };
    println!("{at}  {:<20} → {place}", event.kind.name());
    for e in effects {
        println!("    {}", describe(e));
    }
}

fn describe(e: &Effect) -> String {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    match e.kind {
        EffectKind::Send => format!(
            "send {} `{}` to {}: {}",
            s(&e.channel),
            s(&e.template),
            s(&e.to),
            s(&e.subject)
        ),
        EffectKind::Record => format!(
            "record in {}: {}",
            s(&e.system),
            e.change
                .as_ref()
                .map(cpm_core::canonical::to_string)
                .unwrap_or_default()
        ),
        EffectKind::Schedule => format!("schedule timer `{}` at {}", s(&e.timer), s(&e.at)),
        EffectKind::CancelSchedule => format!("cancel timer `{}`", s(&e.timer)),
        EffectKind::Notify => format!("notify {} ({})", s(&e.to), s(&e.reason)),
    }
}

fn print_summary(case: &Case, now: &str) -> bool {
    println!();
    println!(
        "case {} of `{}`: {}",
        case.id,
        case.process,
        case.status.name()
    );
    if let Some(outcome) = &case.outcome {
        match &case.root_cause {
            Some(cause) => println!("  outcome: {outcome} (root cause `{cause}`)"),
            None => println!("  outcome: {outcome}"),
        }
    }
    for h in case.history.iter().filter_map(|h| h.decision.as_ref()) {
        println!(
            "  decision `{}` → {}",
            h.name,
            cpm_core::canonical::to_string(&h.output)
        );
    }
    for t in case.tasks.iter().filter(|t| t.status.is_open()) {
        println!(
            "  open task `{}` in `{}`{}",
            t.id,
            t.queue,
            t.due
                .as_ref()
                .map(|d| format!(", due {d}"))
                .unwrap_or_default()
        );
    }
    match process::sla(case, now) {
        Ok(view) => {
            let status = view.status.map_or("no SLA", |s| s.name());
            match &view.due {
                Some(due) => println!("  SLA at {}: {status} (due {due})", view.now),
                None => println!("  SLA at {}: {status}", view.now),
            }
            for e in &view.escalations {
                println!("  escalate to {}: {}", e.to, e.reason);
            }
            println!("  effects not yet acknowledged: {}", case.outbox.len());
            true
        }
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            false
        }
    }
}
