//! Customer processes: event-sourced cases, intake, tasks and SLAs, templates, KPIs.
//!
//! Pipeline position: after `bundle` (processes and templates are compiled into the same
//! [`crate::ir::Program`] as decisions) and beside `decide`, whose [`Engine`] runs every
//! decision a process makes; called by `api`. Pure and deterministic: a case is the fold of
//! its events under its pinned bundle, the core never reads the clock (`now` is always an
//! argument: an RFC 3339 date-time with offset), and effects are returned, never performed.
//!
//! - [`intake()`]: which processes a contact starts, and what data each still needs.
//! - [`start`], [`apply`], [`replay`]: the state machine ([`run`]).
//! - [`sla()`], [`tasks`]: service levels, escalations and worklists at `now`
//!   ([`mod@sla`]).
//! - [`kpis`]: KPIs over many cases ([`kpi`]).
//! - [`template`]: letters and e-mails rendered with minijinja.
//!
//! The JSON shapes and every rule are documented in `docs/processes.md`.

pub mod case;
mod data;
pub mod effect;
pub mod err;
pub mod event;
pub mod intake;
pub mod kpi;
pub mod run;
pub mod sla;
pub mod template;
mod time;

pub use case::{
    Case, DecisionRecord, Feedback, HistoryEntry, Status, Task, TaskStatus, Timer, TimerStatus,
    Waiting,
};
pub use effect::{Effect, EffectKind};
pub use err::{ApplyError, FieldError, StepError, TemplateError};
pub use event::{Event, EventType};
pub use intake::{IntakeMatch, intake};
pub use kpi::{ProcessKpis, kpis};
pub use run::{
    CASE_SLA_TIMER, MAX_STEPS_PER_EVENT, apply, begin, case_id, not_before_last_event, replay,
    start,
};
pub use sla::{Escalation, SlaStatus, SlaView, TaskSla, WorkItem, sla, tasks};

use crate::decide::Engine;
use crate::ir::Process;

/// Every process of the engine's bundle, sorted by name (none when the engine was loaded
/// for decisions only: [`crate::api::load_decisions`]).
pub fn definitions(engine: &Engine) -> &[Process] {
    &engine.bundle().program.processes
}

/// Every process of the engine's bundle, for running them.
///
/// # Errors
/// [`ApplyError::DecisionsOnly`] when the engine was loaded for decisions only, so that it
/// never looks like a bundle without processes.
pub(crate) fn runnable(engine: &Engine) -> Result<&[Process], ApplyError> {
    match engine.bundle().contents {
        crate::bundle::Contents::Everything => Ok(definitions(engine)),
        crate::bundle::Contents::DecisionsOnly => Err(ApplyError::DecisionsOnly),
    }
}

/// The process named `name`.
pub fn find<'e>(engine: &'e Engine, name: &str) -> Option<&'e Process> {
    definitions(engine).iter().find(|p| p.name == name)
}
