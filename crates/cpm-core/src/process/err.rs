//! Errors of the `process` stage: data that does not fit a process, events that cannot be
//! applied, steps that fail, and templates that cannot be rendered. Every error has a stable
//! kebab-case code (listed in `docs/processes.md`).

use thiserror::Error;

use crate::decide::DecideError;

/// One problem with one field of case data, a task form or an event.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct FieldError {
    code: &'static str,
    path: String,
    message: String,
}

impl FieldError {
    /// A required field without a value.
    pub(crate) fn missing(path: &str) -> Self {
        Self {
            code: "missing-field",
            path: path.to_owned(),
            message: format!("`{path}` is required"),
        }
    }

    /// A field that does not pass its `valid` tests.
    pub(crate) fn invalid(path: &str, message: String) -> Self {
        Self {
            code: "invalid-field",
            path: path.to_owned(),
            message,
        }
    }

    /// A field whose value does not fit its declared type.
    pub(crate) fn wrong_type(path: &str, message: String) -> Self {
        Self {
            code: "wrong-type",
            path: path.to_owned(),
            message,
        }
    }

    /// A field the process or form does not declare.
    pub(crate) fn unknown(path: &str, known: &str) -> Self {
        Self {
            code: "unknown-field",
            path: path.to_owned(),
            message: format!("`{path}` is not a field here; {known}"),
        }
    }

    /// The stable code: `missing-field`, `invalid-field`, `wrong-type` or `unknown-field`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The field's name (and the path inside it for nested type errors).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, lowercase, user input in backticks.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A template could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("template `{template}`: {message}")]
pub struct TemplateError {
    template: String,
    message: String,
}

impl TemplateError {
    /// A rendering error of `template`.
    pub(crate) fn new(template: &str, message: impl Into<String>) -> Self {
        Self {
            template: template.to_owned(),
            message: message.into(),
        }
    }

    /// The template's name.
    pub fn template(&self) -> &str {
        &self.template
    }
}

/// Why an automatic step could not run.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum StepError {
    /// A `decide` step's decision failed.
    #[error("{0}")]
    Decide(DecideError),
    /// A `send` step's template failed.
    #[error("{0}")]
    Template(TemplateError),
    /// A FEEL expression of the step gave a value the step cannot use.
    #[error("{message}")]
    Value {
        /// What was expected and what was found.
        message: String,
    },
    /// A FEEL expression of the step ran out of budget.
    #[error("{0}")]
    Eval(crate::feel::err::EvalError),
}

impl StepError {
    /// The stable code: the decision's error code, `template-error`, `step-value` or the
    /// budget's code.
    pub fn code(&self) -> &'static str {
        match self {
            StepError::Decide(e) => e.code(),
            StepError::Template(_) => "template-error",
            StepError::Value { .. } => "step-value",
            StepError::Eval(e) => match e {
                crate::feel::err::EvalError::FuelExhausted { .. } => "fuel-exhausted",
                crate::feel::err::EvalError::DepthExceeded { .. } => "depth-exceeded",
                crate::feel::err::EvalError::TooLarge { .. } => "too-large",
                crate::feel::err::EvalError::HitPolicy { .. } => "hit-policy-violation",
            },
        }
    }
}

/// Why a case could not be started or an event could not be applied. Nothing changes when
/// this is returned.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApplyError {
    /// The event is malformed (missing or extra fields, wrong values).
    #[error("invalid `{event}` event: {}", problems.join("; "))]
    InvalidEvent {
        /// The event type (or `event` when unknown).
        event: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Data, a form or feedback has problems; every one is listed.
    #[error("{} field(s) are missing or invalid", errors.len())]
    Fields {
        /// Every field problem.
        errors: Vec<FieldError>,
    },
    /// The engine was loaded for decisions only: its bundle's processes were not read.
    #[error(
        "this engine was loaded for decisions only, so it runs no processes; load the bundle with `api::load` (the whole engine) to run them"
    )]
    DecisionsOnly,
    /// No process has this name.
    #[error("unknown process `{name}`; the bundle has {known}")]
    UnknownProcess {
        /// The requested name.
        name: String,
        /// The process names, for the message.
        known: String,
    },
    /// The case was started under another bundle than the one given.
    #[error("the case runs on bundle `{case}`, but the engine has bundle `{engine}`")]
    BundleMismatch {
        /// The case's pinned bundle hash.
        case: String,
        /// The engine's bundle hash.
        engine: String,
    },
    /// The first event of a case must be `started`.
    #[error("the case has not started: its first event must be `started`, found `{found}`")]
    NotStarted {
        /// The event type found.
        found: String,
    },
    /// A second `started` event (with a new key).
    #[error("the case `{case}` has already started")]
    AlreadyStarted {
        /// The case id.
        case: String,
    },
    /// The event is not allowed on a closed or cancelled case.
    #[error("the case is {status}; a `{event}` event is not accepted")]
    CaseClosed {
        /// `closed` or `cancelled`.
        status: &'static str,
        /// The event type.
        event: String,
    },
    /// `reopened` on a case that is not closed or cancelled.
    #[error("the case is {status}; only a closed or cancelled case can be reopened")]
    NotClosed {
        /// The case's status.
        status: &'static str,
    },
    /// The task id is not a task of the case.
    #[error("the case has no task `{task}`; {known}")]
    UnknownTask {
        /// The requested task id.
        task: String,
        /// The case's task ids, for the message.
        known: String,
    },
    /// The task is completed or cancelled.
    #[error("task `{task}` is {status}, not open")]
    TaskNotOpen {
        /// The task id.
        task: String,
        /// Its status.
        status: &'static str,
    },
    /// The timer id was never scheduled for the case.
    #[error("the case has no timer `{timer}`")]
    UnknownTimer {
        /// The requested timer id.
        timer: String,
    },
    /// A timer fired before it was due.
    #[error("timer `{timer}` is due at {due}, but the event is at {at}")]
    TimerNotDue {
        /// The timer id.
        timer: String,
        /// When it is due.
        due: String,
        /// The event's time.
        at: String,
    },
    /// Effect ids that are not in the case's outbox.
    #[error("the outbox has no effect {}", ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", "))]
    UnknownEffect {
        /// The ids not found.
        ids: Vec<String>,
    },
    /// `reopened` names a step the process does not have.
    #[error("process `{process}` has no step `{step}`")]
    UnknownStep {
        /// The process.
        process: String,
        /// The requested step.
        step: String,
    },
    /// The event happened before the case's last event.
    #[error("the event is at {at}, before the case's last event at {last}")]
    TimeOrder {
        /// The event's time.
        at: String,
        /// The last event's time.
        last: String,
    },
    /// A date-time is not RFC 3339 with an offset.
    #[error("`{text}` is not a date and time with an offset (`2024-05-01T09:30:00+02:00`)")]
    BadTime {
        /// The text given.
        text: String,
    },
    /// An automatic step failed; the event is refused.
    #[error("step `{step}`: {source}")]
    Step {
        /// The step id.
        step: String,
        /// Why it failed.
        source: StepError,
    },
    /// Automatic steps ran more than the limit without stopping at a task, wait or end.
    #[error("more than {limit} automatic steps ran for one event; the process loops")]
    StepLimit {
        /// The limit.
        limit: u32,
    },
    /// The case JSON is not a case.
    #[error("the case is not valid: {message}")]
    InvalidCase {
        /// What is wrong.
        message: String,
    },
}

impl ApplyError {
    /// The stable code of this error (see `docs/processes.md`).
    pub fn code(&self) -> &'static str {
        match self {
            ApplyError::InvalidEvent { .. } => "invalid-event",
            ApplyError::Fields { .. } => "invalid-data",
            ApplyError::DecisionsOnly => "decisions-only",
            ApplyError::UnknownProcess { .. } => "unknown-process",
            ApplyError::BundleMismatch { .. } => "bundle-mismatch",
            ApplyError::NotStarted { .. } => "not-started",
            ApplyError::AlreadyStarted { .. } => "already-started",
            ApplyError::CaseClosed { .. } => "case-closed",
            ApplyError::NotClosed { .. } => "case-not-closed",
            ApplyError::UnknownTask { .. } => "unknown-task",
            ApplyError::TaskNotOpen { .. } => "task-not-open",
            ApplyError::UnknownTimer { .. } => "unknown-timer",
            ApplyError::TimerNotDue { .. } => "timer-not-due",
            ApplyError::UnknownEffect { .. } => "unknown-effect",
            ApplyError::UnknownStep { .. } => "unknown-step",
            ApplyError::TimeOrder { .. } => "time-order",
            ApplyError::BadTime { .. } => "invalid-time",
            ApplyError::Step { source, .. } => source.code(),
            ApplyError::StepLimit { .. } => "step-limit",
            ApplyError::InvalidCase { .. } => "invalid-case",
        }
    }
}
