//! The state machine: starting a case, applying an event, replaying events.
//!
//! Pipeline position: `process`, the heart of it. Applying an event checks it, changes a
//! copy of the case, runs automatic steps (`decide`, `route`, `send`, `record`, `end`) until
//! the case stops at a task, a wait or an end, and returns the new case with the effects to
//! perform. Nothing changes when an error is returned. Decisions run through
//! [`Engine::decide`], the same code as the decide API, and their explanations are kept in
//! the case history.

use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use super::case::{
    Case, DecisionRecord, Feedback, HistoryEntry, Status, Task, TaskStatus, Timer, TimerStatus,
    Waiting,
};
use super::data::{check_fields, eval, scope};
use super::effect::{Effect, EffectKind};
use super::err::{ApplyError, StepError};
use super::event::{Event, EventType, score};
use super::template;
use super::time::At;
use crate::decide::{Engine, Options};
use crate::ir::{self, StepKind, WaitFor};
use crate::value::{Value, format_value, json};

/// The most automatic steps one event may run before the event is refused as looping.
pub const MAX_STEPS_PER_EVENT: u32 = 1_000;

/// The id of the process SLA timer.
pub const CASE_SLA_TIMER: &str = "case:sla";

/// Starts a case of `process` with `data`: the same as applying a `started` event with key
/// `key` at `now` to no case.
///
/// # Errors
/// Every missing or invalid data field at once ([`ApplyError::Fields`]), an unknown
/// process, a bad `now`, or an automatic step that fails.
pub fn start(
    engine: &Engine,
    process: &str,
    data: Map<String, Json>,
    contact: Option<Json>,
    key: &str,
    now: &str,
) -> Result<(Case, Vec<Effect>), ApplyError> {
    let mut event = Event::new(EventType::Started, key);
    event.process = Some(process.to_owned());
    event.data = Some(data);
    event.contact = contact;
    begin(engine, event, now)
}

/// Applies a `started` event to no case (`at` defaults to `now`).
///
/// # Errors
/// As [`start`]; [`ApplyError::NotStarted`] when the event is not `started`.
pub fn begin(
    engine: &Engine,
    mut event: Event,
    now: &str,
) -> Result<(Case, Vec<Effect>), ApplyError> {
    event.check()?;
    if event.kind != EventType::Started {
        return Err(ApplyError::NotStarted {
            found: event.kind.name().to_owned(),
        });
    }
    let at = event_time(&mut event, now)?;
    let name = event.process.clone().unwrap_or_default();
    let process = find_process(engine, &name)?;
    let data = event.data.clone().unwrap_or_default();
    let errors = check_fields(&process.data, &data, true, &scope(process, &data));
    if !errors.is_empty() {
        return Err(ApplyError::Fields { errors });
    }
    let id = event
        .case
        .clone()
        .unwrap_or_else(|| case_id(&name, &event.key));
    let case = Case {
        id,
        process: name,
        bundle_hash: engine.hash().to_owned(),
        version: 0,
        status: Status::Open,
        step: None,
        started_at: at.text(),
        closed_at: None,
        due: None,
        at_risk_at: None,
        escalate_to: process.escalate_to.clone(),
        data,
        contact: event.contact.clone(),
        tasks: Vec::new(),
        waiting: None,
        timers: Vec::new(),
        history: Vec::new(),
        outcome: None,
        root_cause: None,
        feedback: Vec::new(),
        reopened: 0,
        corrections: 0,
        escalated: false,
        outbox: Vec::new(),
        events: Vec::new(),
    };
    let mut run = Run::new(engine, process, case, at);
    if let Some(sla) = process.sla {
        let (due, at_risk) =
            deadlines(&run.at, sla, process.at_risk).ok_or_else(|| out_of_range(&run.at))?;
        run.case.due = Some(due.text());
        run.case.at_risk_at = Some(at_risk.text());
        run.schedule(CASE_SLA_TIMER, &due, None);
    }
    run.advance(process.start)?;
    Ok(run.finish(event))
}

/// Applies `event` to `case` at `now` (`at` defaults to `now`), returning the new case and
/// the effects to perform. Re-applying an event whose key the case has seen returns the
/// case unchanged and no effects.
///
/// # Errors
/// [`ApplyError`] naming what is wrong; the case is then unchanged.
pub fn apply(
    engine: &Engine,
    case: &Case,
    mut event: Event,
    now: &str,
) -> Result<(Case, Vec<Effect>), ApplyError> {
    event.check()?;
    if case.events.iter().any(|e| e.key == event.key) {
        return Ok((case.clone(), Vec::new()));
    }
    if case.bundle_hash != engine.hash() {
        return Err(ApplyError::BundleMismatch {
            case: case.bundle_hash.clone(),
            engine: engine.hash().to_owned(),
        });
    }
    if event.kind == EventType::Started {
        return Err(ApplyError::AlreadyStarted {
            case: case.id.clone(),
        });
    }
    let process = find_process(engine, &case.process)?;
    let at = event_time(&mut event, now)?;
    if let Some(last) = case.events.last().and_then(|e| e.at.as_deref())
        && let Ok(last_at) = At::parse(last)
        && at.nanos < last_at.nanos
    {
        return Err(ApplyError::TimeOrder {
            at: at.text(),
            last: last_at.text(),
        });
    }
    let allowed_when_final = matches!(
        event.kind,
        EventType::Reopened
            | EventType::Feedback
            | EventType::EffectsAcknowledged
            | EventType::TimerFired
    );
    if case.status.is_final() && !allowed_when_final {
        return Err(ApplyError::CaseClosed {
            status: case.status.name(),
            event: event.kind.name().to_owned(),
        });
    }
    let mut run = Run::new(engine, process, case.clone(), at);
    run.on_event(&event)?;
    Ok(run.finish(event))
}

/// Rebuilds a case from its events: the first must be `started`; each later one is applied
/// at its own `at`, so the result equals applying them one by one.
///
/// # Errors
/// The first error any event gives, or [`ApplyError::NotStarted`] for an empty list.
pub fn replay(engine: &Engine, events: &[Event]) -> Result<Case, ApplyError> {
    let Some((first, rest)) = events.split_first() else {
        return Err(ApplyError::NotStarted {
            found: "nothing".to_owned(),
        });
    };
    let first_at = required_at(first)?;
    let (mut case, _) = begin(engine, first.clone(), &first_at)?;
    for event in rest {
        let at = required_at(event)?;
        case = apply(engine, &case, event.clone(), &at)?.0;
    }
    Ok(case)
}

/// A replayed event's `at`, which must be given.
fn required_at(event: &Event) -> Result<String, ApplyError> {
    event.at.clone().ok_or_else(|| ApplyError::InvalidEvent {
        event: event.kind.name().to_owned(),
        problems: vec!["missing `at` (replayed events carry their time)".to_owned()],
    })
}

/// The case id derived from a process and the key of its `started` event: `c-` and 16 hex
/// digits of their SHA-256, so retrying a start with the same key gives the same id.
pub fn case_id(process: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{process}\n{key}").as_bytes());
    let mut id = String::from("c-");
    for b in digest.iter().take(8) {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// Fills in and reads the event's time.
fn event_time(event: &mut Event, now: &str) -> Result<At, ApplyError> {
    let text = event.at.clone().unwrap_or_else(|| now.to_owned());
    let at = At::parse(&text)?;
    At::parse(now)?;
    event.at = Some(at.text());
    Ok(at)
}

/// The `now` to apply an event at when it was read from a server's clock: the clock, or the
/// case's last event time when the clock is behind it. Another server whose clock runs a
/// little ahead may have written the last event; an event without its own `at` must not be
/// refused as going back in time for that. A clock text that does not parse is returned as
/// it is ([`apply`] then reports it).
pub fn not_before_last_event(case: &Case, clock: &str) -> String {
    let last = case.events.last().and_then(|e| e.at.as_deref());
    match (At::parse(clock), last.map(At::parse)) {
        (Ok(now), Some(Ok(last))) if last.nanos > now.nanos => last.text(),
        _ => clock.to_owned(),
    }
}

/// The process of the engine's bundle with this name.
pub(crate) fn find_process<'e>(
    engine: &'e Engine,
    name: &str,
) -> Result<&'e ir::Process, ApplyError> {
    let processes = super::runnable(engine)?;
    processes
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| ApplyError::UnknownProcess {
            name: name.to_owned(),
            known: if processes.is_empty() {
                "no processes".to_owned()
            } else {
                processes
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
}

/// When an SLA of `sla` seconds that starts at `from` is due, and when it becomes at risk
/// (after the fraction `at_risk` of it).
fn deadlines(
    from: &At,
    sla: rust_decimal::Decimal,
    at_risk: rust_decimal::Decimal,
) -> Option<(At, At)> {
    let due = from.plus(sla)?;
    let risk = from.plus(sla.checked_mul(at_risk)?)?;
    Some((due, risk))
}

fn out_of_range(at: &At) -> ApplyError {
    ApplyError::BadTime { text: at.text() }
}

/// One event being applied: a working copy of the case and the effects produced so far.
struct Run<'e> {
    engine: &'e Engine,
    process: &'e ir::Process,
    case: Case,
    at: At,
    effects: Vec<Effect>,
    /// Effects created so far (including dropped ones), for unique provisional ids.
    created: usize,
}

impl<'e> Run<'e> {
    fn new(engine: &'e Engine, process: &'e ir::Process, case: Case, at: At) -> Self {
        Self {
            engine,
            process,
            case,
            at,
            effects: Vec::new(),
            created: 0,
        }
    }

    /// The case with the event recorded and the new effects in its outbox. Effect ids are
    /// renumbered without gaps (a timer scheduled and cancelled by the same event leaves
    /// no effect).
    fn finish(mut self, event: Event) -> (Case, Vec<Effect>) {
        let version = self.case.version + 1;
        let mut renamed: Vec<(String, String)> = Vec::new();
        for (i, e) in self.effects.iter_mut().enumerate() {
            let id = format!("e{version}-{}", i + 1);
            if e.id != id {
                renamed.push((std::mem::replace(&mut e.id, id.clone()), id));
            }
        }
        if !renamed.is_empty() {
            for h in &mut self.case.history {
                for id in &mut h.effects {
                    if let Some((_, new)) = renamed.iter().find(|(old, _)| old == id) {
                        *id = new.clone();
                    }
                }
            }
        }
        self.case.version += 1;
        self.case.events.push(event);
        self.case.outbox.extend(self.effects.iter().cloned());
        (self.case, self.effects)
    }

    /// A new effect of `kind`, produced by `step`, with a provisional id (final ids are
    /// given by [`Run::finish`]).
    fn effect(&mut self, kind: EffectKind, step: Option<&str>) -> Effect {
        self.created += 1;
        let id = format!("p{}", self.created);
        Effect::new(id, kind, step.map(str::to_owned))
    }

    fn push(&mut self, effect: Effect) {
        if let Some(last) = self.case.history.last_mut()
            && Some(&last.step) == effect.step.as_ref()
        {
            last.effects.push(effect.id.clone());
        }
        self.effects.push(effect);
    }

    fn schedule(&mut self, timer: &str, due: &At, step: Option<&str>) {
        let at = due.text();
        match self.case.timers.iter_mut().find(|t| t.id == timer) {
            Some(t) => {
                t.at = at.clone();
                t.status = TimerStatus::Scheduled;
            }
            None => self.case.timers.push(Timer {
                id: timer.to_owned(),
                at: at.clone(),
                status: TimerStatus::Scheduled,
            }),
        }
        let mut e = self.effect(EffectKind::Schedule, step);
        e.timer = Some(timer.to_owned());
        e.at = Some(at);
        self.push(e);
    }

    fn cancel_timer(&mut self, timer: &str, step: Option<&str>) {
        let Some(t) = self
            .case
            .timers
            .iter_mut()
            .find(|t| t.id == timer && t.status == TimerStatus::Scheduled)
        else {
            return;
        };
        t.status = TimerStatus::Cancelled;
        // Scheduled by this very event: drop the schedule instead of cancelling it.
        if let Some(i) = self
            .effects
            .iter()
            .position(|e| e.kind == EffectKind::Schedule && e.timer.as_deref() == Some(timer))
        {
            let removed = self.effects.remove(i);
            for h in &mut self.case.history {
                h.effects.retain(|id| *id != removed.id);
            }
            return;
        }
        let mut e = self.effect(EffectKind::CancelSchedule, step);
        e.timer = Some(timer.to_owned());
        self.push(e);
    }

    fn cancel_all_timers(&mut self, step: Option<&str>) {
        let ids: Vec<String> = self
            .case
            .timers
            .iter()
            .filter(|t| t.status == TimerStatus::Scheduled)
            .map(|t| t.id.clone())
            .collect();
        for id in ids {
            self.cancel_timer(&id, step);
        }
    }

    /// Marks the step the case is in as left now.
    fn leave(&mut self) {
        if let Some(last) = self.case.history.last_mut()
            && last.left_at.is_none()
        {
            last.left_at = Some(self.at.text());
        }
    }

    fn step(&self, index: u32) -> Result<&'e ir::Step, ApplyError> {
        self.process
            .steps
            .get(index as usize)
            .ok_or_else(|| ApplyError::UnknownStep {
                process: self.process.name.clone(),
                step: format!("#{index}"),
            })
    }

    fn step_index(&self, id: &str) -> Option<u32> {
        self.process
            .steps
            .iter()
            .position(|s| s.id == id)
            .and_then(|i| u32::try_from(i).ok())
    }

    fn scope(&self) -> crate::value::Context {
        scope(self.process, &self.case.data)
    }

    /// Runs steps from `from` until the case stops at a task, a wait or an end.
    fn advance(&mut self, from: u32) -> Result<(), ApplyError> {
        let mut current = from;
        for _ in 0..MAX_STEPS_PER_EVENT {
            let step = self.step(current)?;
            self.case.step = Some(step.id.clone());
            self.case.history.push(HistoryEntry {
                step: step.id.clone(),
                kind: kind_name(&step.kind).to_owned(),
                entered_at: self.at.text(),
                left_at: None,
                decision: None,
                route: None,
                task: None,
                wait: None,
                timed_out: false,
                effects: Vec::new(),
            });
            let failed = |source: StepError| ApplyError::Step {
                step: step.id.clone(),
                source,
            };
            let next = match &step.kind {
                StepKind::Decide { decision, store_as } => {
                    self.decide(decision, store_as).map_err(failed)?;
                    step.next
                }
                StepKind::Route { branches, default } => {
                    let scope = self.scope();
                    let mut target = *default;
                    for (condition, to) in branches {
                        if matches!(eval(condition, &scope).map_err(failed)?, Value::Bool(true)) {
                            target = *to;
                            break;
                        }
                    }
                    let to = self.step(target)?.id.clone();
                    if let Some(last) = self.case.history.last_mut() {
                        last.route = Some(to);
                    }
                    Some(target)
                }
                StepKind::Send(send) => {
                    self.send(step, send).map_err(failed)?;
                    step.next
                }
                StepKind::Record { system, change } => {
                    let value = eval(change, &self.scope()).map_err(failed)?;
                    let mut e = self.effect(EffectKind::Record, Some(&step.id));
                    e.system = Some(system.clone());
                    e.change = Some(json::to_json(&value));
                    self.push(e);
                    step.next
                }
                StepKind::Task(task) => {
                    self.open_task(step, task).map_err(failed)?;
                    return Ok(());
                }
                StepKind::Wait(wait) => {
                    self.open_wait(step, wait)?;
                    return Ok(());
                }
                StepKind::End {
                    outcome,
                    root_cause,
                } => {
                    let cause = match root_cause {
                        Some(expr) => match eval(expr, &self.scope()).map_err(failed)? {
                            Value::Null => None,
                            Value::String(s) => Some(s.to_string()),
                            other => Some(format_value(&other)),
                        },
                        None => None,
                    };
                    self.case.status = Status::Closed;
                    self.case.closed_at = Some(self.at.text());
                    self.case.outcome = Some(outcome.clone());
                    self.case.root_cause = cause;
                    self.case.waiting = None;
                    self.cancel_all_timers(Some(&step.id));
                    self.leave();
                    return Ok(());
                }
            };
            self.leave();
            current = next.ok_or_else(|| {
                failed(StepError::Value {
                    message: "the step has no `next`".to_owned(),
                })
            })?;
        }
        Err(ApplyError::StepLimit {
            limit: MAX_STEPS_PER_EVENT,
        })
    }

    fn decide(&mut self, decision: &str, store_as: &str) -> Result<(), StepError> {
        let input = Json::Object(self.case.data.clone());
        let decided = self
            .engine
            .decide(decision, &input, &Options::default())
            .map_err(StepError::Decide)?;
        let output = json::to_json(&decided.output);
        self.case.data.insert(store_as.to_owned(), output.clone());
        if let Some(last) = self.case.history.last_mut() {
            last.decision = Some(DecisionRecord {
                name: decision.to_owned(),
                stored_as: store_as.to_owned(),
                output,
                explanation: decided.trace.iter().map(|t| t.to_json()).collect(),
            });
        }
        Ok(())
    }

    fn send(&mut self, step: &ir::Step, send: &ir::Send) -> Result<(), StepError> {
        let to = match eval(&send.to, &self.scope())? {
            Value::String(s) if !s.trim().is_empty() => s.to_string(),
            other => {
                return Err(StepError::Value {
                    message: format!(
                        "`to` must give an address as text, found `{}`",
                        format_value(&other)
                    ),
                });
            }
        };
        let template = self
            .engine
            .bundle()
            .program
            .templates
            .iter()
            .find(|t| t.name == send.template)
            .ok_or_else(|| StepError::Value {
                message: format!("the bundle has no template `{}`", send.template),
            })?;
        let context = self.template_context(&step.id);
        let subject = match &template.subject {
            Some(text) => Some(
                template::render(&template.name, text, &context).map_err(StepError::Template)?,
            ),
            None => None,
        };
        let body = template::render(&template.name, &template.body, &context)
            .map_err(StepError::Template)?;
        let mut e = self.effect(EffectKind::Send, Some(&step.id));
        e.template = Some(template.name.clone());
        e.channel = Some(send.channel.name().to_owned());
        e.to = Some(to);
        e.subject = subject;
        e.body = Some(body);
        self.push(e);
        Ok(())
    }

    /// What a template sees: `data` (the case data) and `case` (id, process, step, startedAt).
    fn template_context(&self, step: &str) -> Map<String, Json> {
        let mut case = Map::new();
        case.insert("id".into(), self.case.id.clone().into());
        case.insert("process".into(), self.case.process.clone().into());
        case.insert("step".into(), step.into());
        case.insert("startedAt".into(), self.case.started_at.clone().into());
        let mut context = Map::new();
        context.insert("data".into(), Json::Object(self.case.data.clone()));
        context.insert("case".into(), Json::Object(case));
        context
    }

    fn open_task(&mut self, step: &ir::Step, task: &ir::Task) -> Result<(), StepError> {
        let n = self.case.tasks.iter().filter(|t| t.step == step.id).count() + 1;
        let id = format!("{}-{n}", step.id);
        let title = match &task.title {
            Some(expr) => match eval(expr, &self.scope())? {
                Value::Null => None,
                Value::String(s) => Some(s.to_string()),
                other => Some(format_value(&other)),
            },
            None => None,
        };
        let (due, at_risk) = match task.sla {
            Some(sla) => {
                let (due, risk) =
                    deadlines(&self.at, sla, self.process.at_risk).ok_or_else(|| {
                        StepError::Value {
                            message: "the task's SLA due date is out of range".to_owned(),
                        }
                    })?;
                (Some(due), Some(risk))
            }
            None => (None, None),
        };
        self.case.tasks.push(Task {
            id: id.clone(),
            step: step.id.clone(),
            queue: task.queue.clone(),
            title,
            status: TaskStatus::Pending,
            created_at: self.at.text(),
            due: due.as_ref().map(At::text),
            at_risk_at: at_risk.as_ref().map(At::text),
            claimed_by: None,
            closed_at: None,
            completed_by: None,
            escalate_to: task.escalate_to.clone(),
            escalated: false,
        });
        if let Some(last) = self.case.history.last_mut() {
            last.task = Some(id.clone());
        }
        self.case.status = Status::Open;
        if let Some(due) = due {
            self.schedule(&format!("{id}:sla"), &due, Some(&step.id));
        }
        Ok(())
    }

    fn open_wait(&mut self, step: &ir::Step, wait: &ir::Wait) -> Result<(), ApplyError> {
        let n = self
            .case
            .history
            .iter()
            .filter(|h| h.step == step.id && h.wait.is_some())
            .count()
            + 1;
        let id = format!("{}-{n}", step.id);
        let timeout_at = match wait.timeout {
            Some(t) => Some(self.at.plus(t).ok_or_else(|| out_of_range(&self.at))?),
            None => None,
        };
        self.case.waiting = Some(Waiting {
            id: id.clone(),
            step: step.id.clone(),
            waits_for: wait.waits_for.name().to_owned(),
            since: self.at.text(),
            timeout_at: timeout_at.as_ref().map(At::text),
        });
        if let Some(last) = self.case.history.last_mut() {
            last.wait = Some(id.clone());
        }
        self.case.status = Status::Waiting;
        if let Some(due) = timeout_at {
            self.schedule(&format!("{id}:timeout"), &due, Some(&step.id));
        }
        Ok(())
    }

    /// Ends the current wait (by its event, or by its timeout) and moves on.
    fn end_wait(&mut self, timed_out: bool) -> Result<(), ApplyError> {
        let Some(waiting) = self.case.waiting.take() else {
            return Ok(());
        };
        let index = self
            .step_index(&waiting.step)
            .ok_or_else(|| ApplyError::UnknownStep {
                process: self.process.name.clone(),
                step: waiting.step.clone(),
            })?;
        let step = self.step(index)?;
        let StepKind::Wait(wait) = &step.kind else {
            return Err(ApplyError::UnknownStep {
                process: self.process.name.clone(),
                step: waiting.step.clone(),
            });
        };
        if timed_out {
            if let Some(last) = self.case.history.last_mut() {
                last.timed_out = true;
            }
        } else {
            self.cancel_timer(&format!("{}:timeout", waiting.id), Some(&step.id));
        }
        self.leave();
        self.case.status = Status::Open;
        let next = if timed_out {
            wait.on_timeout.or(step.next)
        } else {
            step.next
        };
        match next {
            Some(n) => self.advance(n),
            None => Err(ApplyError::Step {
                step: step.id.clone(),
                source: StepError::Value {
                    message: "the step has no `next`".to_owned(),
                },
            }),
        }
    }

    /// Whether the case waits for `what`.
    fn waits_for(&self, what: &WaitFor) -> bool {
        self.case
            .waiting
            .as_ref()
            .is_some_and(|w| w.waits_for == what.name())
    }

    /// Checks and merges data fields given by an event.
    fn merge_data(&mut self, data: &Map<String, Json>) -> Result<(), ApplyError> {
        let mut merged = self.case.data.clone();
        for (k, v) in data {
            merged.insert(k.clone(), v.clone());
        }
        let errors = check_fields(
            &self.process.data,
            data,
            false,
            &scope(self.process, &merged),
        );
        if !errors.is_empty() {
            return Err(ApplyError::Fields { errors });
        }
        self.case.data = merged;
        Ok(())
    }

    fn on_event(&mut self, event: &Event) -> Result<(), ApplyError> {
        match event.kind {
            EventType::Started => Err(ApplyError::AlreadyStarted {
                case: self.case.id.clone(),
            }),
            EventType::DataSupplied => {
                self.merge_data(event.data.as_ref().unwrap_or(&Map::new()))?;
                self.case.corrections += 1;
                if self.waits_for(&WaitFor::Data) {
                    self.end_wait(false)?;
                }
                Ok(())
            }
            EventType::TaskClaimed => {
                let index = self.open_task_index(event.task.as_deref().unwrap_or_default())?;
                if let Some(task) = self.case.tasks.get_mut(index) {
                    task.status = TaskStatus::Claimed;
                    task.claimed_by = event.by.clone();
                }
                Ok(())
            }
            EventType::TaskCompleted => self.complete_task(event),
            EventType::CustomerReplied => {
                if let Some(data) = &event.data {
                    self.merge_data(data)?;
                }
                if self.waits_for(&WaitFor::CustomerReply) {
                    self.end_wait(false)?;
                }
                Ok(())
            }
            EventType::EventReceived => {
                if let Some(data) = &event.data {
                    self.merge_data(data)?;
                }
                let name = event.name.clone().unwrap_or_default();
                if self.waits_for(&WaitFor::Event(name)) {
                    self.end_wait(false)?;
                }
                Ok(())
            }
            EventType::TimerFired => self.timer_fired(event.timer.as_deref().unwrap_or_default()),
            EventType::Cancelled => {
                let at = self.at.text();
                for task in &mut self.case.tasks {
                    if task.status.is_open() {
                        task.status = TaskStatus::Cancelled;
                        task.closed_at = Some(at.clone());
                    }
                }
                self.case.waiting = None;
                self.leave();
                let step = self.case.step.clone();
                self.cancel_all_timers(step.as_deref());
                self.case.status = Status::Cancelled;
                self.case.closed_at = Some(at);
                self.case.outcome = Some("cancelled".to_owned());
                self.case.root_cause = None;
                Ok(())
            }
            EventType::Reopened => self.reopen(event),
            EventType::Feedback => {
                self.case.feedback.push(Feedback {
                    at: self.at.text(),
                    csat: event.csat.as_ref().and_then(|v| score(v, 1, 5)),
                    nps: event.nps.as_ref().and_then(|v| score(v, 0, 10)),
                    ces: event.ces.as_ref().and_then(|v| score(v, 1, 7)),
                    comment: event.comment.clone(),
                });
                if !self.case.status.is_final() && self.waits_for(&WaitFor::Feedback) {
                    self.end_wait(false)?;
                }
                Ok(())
            }
            EventType::EffectsAcknowledged => {
                let ids = event.effects.clone().unwrap_or_default();
                let missing: Vec<String> = ids
                    .iter()
                    .filter(|id| !self.case.outbox.iter().any(|e| &e.id == *id))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(ApplyError::UnknownEffect { ids: missing });
                }
                self.case.outbox.retain(|e| !ids.contains(&e.id));
                Ok(())
            }
        }
    }

    /// The index of the open task `id`.
    fn open_task_index(&self, id: &str) -> Result<usize, ApplyError> {
        let Some(index) = self.case.tasks.iter().position(|t| t.id == id) else {
            let known: Vec<String> = self
                .case
                .tasks
                .iter()
                .map(|t| format!("`{}`", t.id))
                .collect();
            return Err(ApplyError::UnknownTask {
                task: id.to_owned(),
                known: if known.is_empty() {
                    "it has no tasks".to_owned()
                } else {
                    format!("its tasks are {}", known.join(", "))
                },
            });
        };
        match self.case.tasks.get(index) {
            Some(t) if t.status.is_open() => Ok(index),
            Some(t) => Err(ApplyError::TaskNotOpen {
                task: id.to_owned(),
                status: t.status.name(),
            }),
            None => Err(ApplyError::UnknownTask {
                task: id.to_owned(),
                known: String::new(),
            }),
        }
    }

    fn complete_task(&mut self, event: &Event) -> Result<(), ApplyError> {
        let id = event.task.clone().unwrap_or_default();
        let index = self.open_task_index(&id)?;
        let step_id = self
            .case
            .tasks
            .get(index)
            .map(|t| t.step.clone())
            .unwrap_or_default();
        let step_index = self
            .step_index(&step_id)
            .ok_or_else(|| ApplyError::UnknownStep {
                process: self.process.name.clone(),
                step: step_id.clone(),
            })?;
        let step = self.step(step_index)?;
        let StepKind::Task(task) = &step.kind else {
            return Err(ApplyError::UnknownStep {
                process: self.process.name.clone(),
                step: step_id,
            });
        };
        let form = event.form.clone().unwrap_or_default();
        let mut merged = self.case.data.clone();
        for (k, v) in &form {
            merged.insert(k.clone(), v.clone());
        }
        let errors = check_fields(&task.form, &form, true, &scope(self.process, &merged));
        if !errors.is_empty() {
            return Err(ApplyError::Fields { errors });
        }
        self.case.data = merged;
        let at = self.at.text();
        if let Some(t) = self.case.tasks.get_mut(index) {
            t.status = TaskStatus::Completed;
            t.closed_at = Some(at);
            t.completed_by = event.by.clone();
        }
        self.cancel_timer(&format!("{id}:sla"), Some(&step.id));
        self.leave();
        match step.next {
            Some(n) => self.advance(n),
            None => Err(ApplyError::Step {
                step: step.id.clone(),
                source: StepError::Value {
                    message: "the step has no `next`".to_owned(),
                },
            }),
        }
    }

    fn timer_fired(&mut self, id: &str) -> Result<(), ApplyError> {
        let Some(timer) = self.case.timers.iter().find(|t| t.id == id).cloned() else {
            return Err(ApplyError::UnknownTimer {
                timer: id.to_owned(),
            });
        };
        if timer.status != TimerStatus::Scheduled {
            // A timer cancelled or fired before: its event may still be on its way.
            return Ok(());
        }
        if let Ok(due) = At::parse(&timer.at)
            && self.at.nanos < due.nanos
        {
            return Err(ApplyError::TimerNotDue {
                timer: id.to_owned(),
                due: timer.at.clone(),
                at: self.at.text(),
            });
        }
        if let Some(t) = self.case.timers.iter_mut().find(|t| t.id == id) {
            t.status = TimerStatus::Fired;
        }
        if id == CASE_SLA_TIMER {
            if !self.case.status.is_final() {
                self.case.escalated = true;
                if let Some(to) = self.process.escalate_to.clone() {
                    let mut e = self.effect(EffectKind::Notify, None);
                    e.to = Some(to);
                    e.reason = Some("case-sla-breached".to_owned());
                    self.push(e);
                }
            }
            return Ok(());
        }
        if let Some(task_id) = id.strip_suffix(":sla") {
            let Some(index) = self.case.tasks.iter().position(|t| t.id == task_id) else {
                return Ok(());
            };
            let Some(task) = self.case.tasks.get_mut(index) else {
                return Ok(());
            };
            if !task.status.is_open() {
                return Ok(());
            }
            task.escalated = true;
            let (to, step) = (task.escalate_to.clone(), task.step.clone());
            if let Some(to) = to {
                let mut e = self.effect(EffectKind::Notify, Some(&step));
                e.to = Some(to);
                e.task = Some(task_id.to_owned());
                e.reason = Some("task-sla-breached".to_owned());
                self.push(e);
            }
            return Ok(());
        }
        if let Some(wait_id) = id.strip_suffix(":timeout")
            && self.case.waiting.as_ref().is_some_and(|w| w.id == wait_id)
        {
            return self.end_wait(true);
        }
        Ok(())
    }

    fn reopen(&mut self, event: &Event) -> Result<(), ApplyError> {
        if !self.case.status.is_final() {
            return Err(ApplyError::NotClosed {
                status: self.case.status.name(),
            });
        }
        let index = match &event.step {
            Some(id) => self.step_index(id).ok_or_else(|| ApplyError::UnknownStep {
                process: self.process.name.clone(),
                step: id.clone(),
            })?,
            None => self.process.start,
        };
        self.case.status = Status::Open;
        self.case.reopened += 1;
        self.case.closed_at = None;
        self.case.outcome = None;
        self.case.root_cause = None;
        if let Some(due) = self.case.due.as_deref().and_then(|d| At::parse(d).ok())
            && due.nanos > self.at.nanos
        {
            self.schedule(CASE_SLA_TIMER, &due, None);
        }
        self.advance(index)
    }
}

/// The kind of a step, as written in process files.
pub(crate) fn kind_name(kind: &StepKind) -> &'static str {
    match kind {
        StepKind::Decide { .. } => "decide",
        StepKind::Route { .. } => "route",
        StepKind::Task(_) => "task",
        StepKind::Send(_) => "send",
        StepKind::Record { .. } => "record",
        StepKind::Wait(_) => "wait",
        StepKind::End { .. } => "end",
    }
}
