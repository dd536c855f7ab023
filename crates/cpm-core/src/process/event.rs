//! Events: the facts a case is folded from. Every event has a `type`, an idempotency `key`
//! (unique per case) and the date-time `at` it happened; the other members depend on the
//! type (see the table in `docs/processes.md`).
//!
//! Pipeline position: `process`. Events arrive as JSON from every adapter; [`Event::check`]
//! reports every problem of one event at once before the runner looks at it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::err::ApplyError;

/// The longest idempotency key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 200;

/// An event, as JSON gives it: a `type`, a `key`, `at`, and the members of that type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The idempotency key: applying an event whose key the case has seen changes nothing.
    pub key: String,
    /// When it happened (RFC 3339 with offset); filled in from `now` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// `started`: the process name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// `started`: the case id (derived from the process and key when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// `started`, `data-supplied`, `customer-replied`, `event-received`: data fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    /// `started`: the contact that started the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Value>,
    /// `task-claimed`, `task-completed`: the task id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// `task-claimed`, `task-completed`: who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `task-completed`: the completed form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Map<String, Value>>,
    /// `customer-replied`: the reply's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `event-received`: the external event's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `timer-fired`: the timer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<String>,
    /// `cancelled`, `reopened`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `reopened`: the step to reopen at (default: the start step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// `feedback`: customer satisfaction, a whole number 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<Value>,
    /// `feedback`: net promoter score answer, a whole number 0–10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<Value>,
    /// `feedback`: customer effort score, a whole number 1–7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ces: Option<Value>,
    /// `feedback`: free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `effects-acknowledged`: the ids of the effects performed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effects: Option<Vec<String>>,
}

/// The event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventType {
    /// The case starts.
    Started,
    /// Data is added or corrected.
    DataSupplied,
    /// Someone takes a task.
    TaskClaimed,
    /// Someone completes a task's form.
    TaskCompleted,
    /// The customer answered.
    CustomerReplied,
    /// An external event happened.
    EventReceived,
    /// A scheduled timer is due.
    TimerFired,
    /// The case is cancelled.
    Cancelled,
    /// A closed or cancelled case is reopened.
    Reopened,
    /// The customer gave feedback.
    Feedback,
    /// Effects of the outbox were performed.
    EffectsAcknowledged,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 11] = [
        EventType::Started,
        EventType::DataSupplied,
        EventType::TaskClaimed,
        EventType::TaskCompleted,
        EventType::CustomerReplied,
        EventType::EventReceived,
        EventType::TimerFired,
        EventType::Cancelled,
        EventType::Reopened,
        EventType::Feedback,
        EventType::EffectsAcknowledged,
    ];

    /// The type as written in JSON (`task-completed`).
    pub fn name(self) -> &'static str {
        match self {
            EventType::Started => "started",
            EventType::DataSupplied => "data-supplied",
            EventType::TaskClaimed => "task-claimed",
            EventType::TaskCompleted => "task-completed",
            EventType::CustomerReplied => "customer-replied",
            EventType::EventReceived => "event-received",
            EventType::TimerFired => "timer-fired",
            EventType::Cancelled => "cancelled",
            EventType::Reopened => "reopened",
            EventType::Feedback => "feedback",
            EventType::EffectsAcknowledged => "effects-acknowledged",
        }
    }

    /// The members this type requires and those it allows besides `type`, `key` and `at`.
    fn members(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            EventType::Started => (&["process"], &["case", "data", "contact"]),
            EventType::DataSupplied => (&["data"], &[]),
            EventType::TaskClaimed => (&["task", "by"], &[]),
            EventType::TaskCompleted => (&["task", "by"], &["form"]),
            EventType::CustomerReplied => (&[], &["message", "data"]),
            EventType::EventReceived => (&["name"], &["data"]),
            EventType::TimerFired => (&["timer"], &[]),
            EventType::Cancelled => (&["reason"], &[]),
            EventType::Reopened => (&["reason"], &["step"]),
            EventType::Feedback => (&[], &["csat", "nps", "ces", "comment"]),
            EventType::EffectsAcknowledged => (&["effects"], &[]),
        }
    }
}

impl Event {
    /// An event of `kind` with key `key` and every other member empty.
    pub fn new(kind: EventType, key: impl Into<String>) -> Self {
        Self {
            kind,
            key: key.into(),
            at: None,
            process: None,
            case: None,
            data: None,
            contact: None,
            task: None,
            by: None,
            form: None,
            message: None,
            name: None,
            timer: None,
            reason: None,
            step: None,
            csat: None,
            nps: None,
            ces: None,
            comment: None,
            effects: None,
        }
    }

    /// Reads an event from JSON.
    ///
    /// # Errors
    /// [`ApplyError::InvalidEvent`] when the JSON is not an event.
    pub fn from_json(value: &Value) -> Result<Event, ApplyError> {
        let event = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("event")
            .to_owned();
        serde_json::from_value(value.clone()).map_err(|e| ApplyError::InvalidEvent {
            event,
            problems: vec![e.to_string()],
        })
    }

    /// The event as JSON; write it with [`crate::canonical::to_string`].
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Which members are given, by their JSON names.
    fn given(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let members: [(&'static str, bool); 17] = [
            ("process", self.process.is_some()),
            ("case", self.case.is_some()),
            ("data", self.data.is_some()),
            ("contact", self.contact.is_some()),
            ("task", self.task.is_some()),
            ("by", self.by.is_some()),
            ("form", self.form.is_some()),
            ("message", self.message.is_some()),
            ("name", self.name.is_some()),
            ("timer", self.timer.is_some()),
            ("reason", self.reason.is_some()),
            ("step", self.step.is_some()),
            ("csat", self.csat.is_some()),
            ("nps", self.nps.is_some()),
            ("ces", self.ces.is_some()),
            ("comment", self.comment.is_some()),
            ("effects", self.effects.is_some()),
        ];
        for (name, given) in members {
            if given {
                out.push(name);
            }
        }
        out
    }

    /// Checks the event's shape: its key, the members its type requires and allows, and
    /// feedback scores. Every problem is reported.
    ///
    /// # Errors
    /// [`ApplyError::InvalidEvent`] listing every problem.
    pub fn check(&self) -> Result<(), ApplyError> {
        let mut problems = Vec::new();
        if self.key.trim().is_empty() {
            problems.push("`key` is empty".to_owned());
        } else if self.key.chars().count() > MAX_KEY_CHARS {
            problems.push(format!("`key` is longer than {MAX_KEY_CHARS} characters"));
        }
        let (required, allowed) = self.kind.members();
        let given = self.given();
        for r in required {
            if !given.contains(r) {
                problems.push(format!("missing `{r}`"));
            }
        }
        for g in &given {
            if !required.contains(g) && !allowed.contains(g) {
                problems.push(format!("`{g}` does not belong to this event type"));
            }
        }
        let texts = [
            ("process", &self.process),
            ("case", &self.case),
            ("task", &self.task),
            ("by", &self.by),
            ("name", &self.name),
            ("timer", &self.timer),
            ("reason", &self.reason),
            ("step", &self.step),
        ];
        for (name, value) in texts {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                problems.push(format!("`{name}` is empty"));
            }
        }
        if self.kind == EventType::Feedback {
            if self.csat.is_none()
                && self.nps.is_none()
                && self.ces.is_none()
                && self.comment.is_none()
            {
                problems.push("feedback needs `csat`, `nps`, `ces` or `comment`".to_owned());
            }
            for (name, value, low, high) in [
                ("csat", &self.csat, 1, 5),
                ("nps", &self.nps, 0, 10),
                ("ces", &self.ces, 1, 7),
            ] {
                if let Some(v) = value
                    && score(v, low, high).is_none()
                {
                    problems.push(format!(
                        "`{name}` must be a whole number from {low} to {high}, found `{}`",
                        crate::canonical::to_string(v)
                    ));
                }
            }
        }
        if let Some(ids) = &self.effects
            && ids.is_empty()
        {
            problems.push("`effects` is empty".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApplyError::InvalidEvent {
                event: self.kind.name().to_owned(),
                problems,
            })
        }
    }
}

/// A feedback score: a whole number from `low` to `high` (`5` and `5.0` both count).
pub(crate) fn score(v: &Value, low: u8, high: u8) -> Option<u8> {
    let text = crate::canonical::to_string(v);
    let n: u8 = text.parse().ok()?;
    (low..=high).contains(&n).then_some(n)
}
