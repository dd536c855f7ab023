//! The state of a case: what folding its events gives, as plain serializable data.
//!
//! Pipeline position: `process`. A [`Case`] is produced by [`super::start`], changed by
//! [`super::apply`] and rebuilt by [`super::replay`]; its JSON form (camelCase keys, see
//! `docs/processes.md`) is what the edge stores and the browser holds. Nothing here depends
//! on the clock: SLA status is computed separately from `now` ([`super::sla()`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::effect::Effect;
use super::event::Event;

/// A case: one run of a process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Case {
    /// The case id.
    pub id: String,
    /// The process name.
    pub process: String,
    /// The hash of the bundle the case runs on (pinned at start).
    pub bundle_hash: String,
    /// How many events were applied (duplicates not counted).
    pub version: u64,
    /// Where the case stands.
    pub status: Status,
    /// The current step id (for a closed case, the `end` step it closed at).
    pub step: Option<String>,
    /// When the case started.
    pub started_at: String,
    /// When the case closed or was cancelled (`null` while open).
    pub closed_at: Option<String>,
    /// When the process SLA is due (`null` when the process has none).
    pub due: Option<String>,
    /// When the process SLA becomes at risk.
    pub at_risk_at: Option<String>,
    /// Who is notified when the process SLA is breached.
    pub escalate_to: Option<String>,
    /// The case data: data fields, completed form fields and decision outputs by name.
    pub data: Map<String, Value>,
    /// The contact that started the case, as given.
    pub contact: Option<Value>,
    /// Every task the case has had, in creation order.
    pub tasks: Vec<Task>,
    /// The wait the case is in, if any.
    pub waiting: Option<Waiting>,
    /// Every timer the case has scheduled, with its state.
    pub timers: Vec<Timer>,
    /// The steps the case went through, in order.
    pub history: Vec<HistoryEntry>,
    /// The outcome of an `end` step (or `cancelled`).
    pub outcome: Option<String>,
    /// The root-cause code of the `end` step.
    pub root_cause: Option<String>,
    /// Feedback given, in order.
    pub feedback: Vec<Feedback>,
    /// How many times the case was reopened.
    pub reopened: u32,
    /// How many `data-supplied` events corrected or completed the data.
    pub corrections: u32,
    /// Whether the process SLA timer fired while the case was open.
    pub escalated: bool,
    /// Effects not yet acknowledged, oldest first.
    pub outbox: Vec<Effect>,
    /// Every applied event, in order (as stored: `at` filled in).
    pub events: Vec<Event>,
}

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A task is open.
    Open,
    /// The case waits for the customer or an external event.
    Waiting,
    /// The case reached an `end` step.
    Closed,
    /// The case was cancelled.
    Cancelled,
}

impl Status {
    /// The status as written in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Waiting => "waiting",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether the case is closed or cancelled.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled)
    }
}

/// A task of a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Task {
    /// The task id (`<step>-<n>`).
    pub id: String,
    /// The task's step.
    pub step: String,
    /// The queue it is in.
    pub queue: String,
    /// Its title, if the step gives one.
    pub title: Option<String>,
    /// Where it stands.
    pub status: TaskStatus,
    /// When it was created.
    pub created_at: String,
    /// When its SLA is due, if it has one.
    pub due: Option<String>,
    /// When its SLA becomes at risk.
    pub at_risk_at: Option<String>,
    /// Who claimed it.
    pub claimed_by: Option<String>,
    /// When it was completed or cancelled.
    pub closed_at: Option<String>,
    /// Who completed it.
    pub completed_by: Option<String>,
    /// Who is notified when its SLA is breached.
    pub escalate_to: Option<String>,
    /// Whether its SLA timer fired while it was open.
    pub escalated: bool,
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Waiting for someone to take it.
    Pending,
    /// Someone took it.
    Claimed,
    /// Done.
    Completed,
    /// Cancelled with its case (or by a reopen).
    Cancelled,
}

impl TaskStatus {
    /// The status as written in JSON.
    pub fn name(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Claimed => "claimed",
            TaskStatus::Completed => "completed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the task is still to be done.
    pub fn is_open(self) -> bool {
        matches!(self, TaskStatus::Pending | TaskStatus::Claimed)
    }
}

/// The wait a case is in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Waiting {
    /// The wait id (`<step>-<n>`).
    pub id: String,
    /// The wait's step.
    pub step: String,
    /// What it waits for: `customer-reply`, `feedback`, `data` or an event name.
    #[serde(rename = "for")]
    pub waits_for: String,
    /// When the wait began.
    pub since: String,
    /// When it times out, if it has a timeout.
    pub timeout_at: Option<String>,
}

/// A timer the case scheduled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Timer {
    /// The timer id: `case:sla`, `<task id>:sla` or `<wait id>:timeout`.
    pub id: String,
    /// When it is due.
    pub at: String,
    /// Where it stands.
    pub status: TimerStatus,
}

/// Where a timer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimerStatus {
    /// Scheduled, not fired.
    Scheduled,
    /// Fired (a `timer-fired` event was applied).
    Fired,
    /// No longer needed; a `cancel-schedule` effect was issued.
    Cancelled,
}

/// One step a case went through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryEntry {
    /// The step id.
    pub step: String,
    /// The step kind: `decide`, `route`, `task`, `send`, `record`, `wait`, `end`.
    pub kind: String,
    /// When the case entered the step.
    pub entered_at: String,
    /// When it left (`null` while the case is in the step).
    pub left_at: Option<String>,
    /// For `decide`: the decision, its output and explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionRecord>,
    /// For `route`: the step taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// For `task`: the task id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// For `wait`: the wait id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<String>,
    /// For `wait`: whether it ended by its timeout.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// The ids of the effects the step produced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<String>,
}

/// A decision made by a `decide` step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionRecord {
    /// The decision's name.
    pub name: String,
    /// The case field its output was stored under.
    pub stored_as: String,
    /// The output, as JSON.
    pub output: Value,
    /// The explanation: one trace per decision evaluated (as the decide API gives it).
    pub explanation: Vec<Value>,
}

/// Feedback a customer gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Feedback {
    /// When it was given.
    pub at: String,
    /// Customer satisfaction, 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<u8>,
    /// Net promoter score answer, 0–10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<u8>,
    /// Customer effort score, 1–7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ces: Option<u8>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Case {
    /// The case as JSON (camelCase keys); write it with [`crate::canonical::to_string`].
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads a case from its JSON form; a `sla` member (added by the API from `now`) is
    /// ignored.
    ///
    /// # Errors
    /// [`super::ApplyError::InvalidCase`] when the JSON is not a case.
    pub fn from_json(value: &Value) -> Result<Case, super::ApplyError> {
        let mut value = value.clone();
        if let Value::Object(map) = &mut value {
            map.remove("sla");
        }
        serde_json::from_value(value).map_err(|e| super::ApplyError::InvalidCase {
            message: e.to_string(),
        })
    }

    /// The task with id `id`.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// The open task, if any.
    pub fn open_task(&self) -> Option<&Task> {
        self.tasks.iter().find(|t| t.status.is_open())
    }
}
