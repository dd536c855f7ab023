//! Effects: what applying an event asks the outside world to do. The core performs none of
//! them; they are returned by [`super::apply`] and stay in the case's outbox until an
//! `effects-acknowledged` event names their ids.
//!
//! Pipeline position: `process`, produced by the runner, serialized by `api`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One effect: flat JSON with a `type` and the members of that type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Effect {
    /// Unique in the case: `e<version>-<n>`, the n-th effect of the event that made the case
    /// reach `version`.
    pub id: String,
    /// What to do.
    #[serde(rename = "type")]
    pub kind: EffectKind,
    /// The step that produced it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// `send`: the template's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// `send`: `email`, `letter` or `sms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `send`: the recipient; `notify`: the queue or role to tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `send`: the rendered subject (when the template has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `send`: the rendered body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `record`: the system the change is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// `record`: the change, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Value>,
    /// `schedule`, `cancel-schedule`: the timer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<String>,
    /// `schedule`: when the timer is due (send a `timer-fired` event then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// `notify`: the task concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// `notify`: why (`task-sla-breached`, `case-sla-breached`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The kinds of effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EffectKind {
    /// Send a letter, e-mail or text message.
    Send,
    /// Record a change in another system.
    Record,
    /// Schedule a timer: send a `timer-fired` event when it is due.
    Schedule,
    /// Cancel a scheduled timer.
    CancelSchedule,
    /// Tell a queue or role about an escalation.
    Notify,
}

impl Effect {
    /// An effect of `kind` with every optional member empty.
    pub(crate) fn new(id: String, kind: EffectKind, step: Option<String>) -> Self {
        Self {
            id,
            kind,
            step,
            template: None,
            channel: None,
            to: None,
            subject: None,
            body: None,
            system: None,
            change: None,
            timer: None,
            at: None,
            task: None,
            reason: None,
        }
    }

    /// The effect as JSON; write it with [`crate::canonical::to_string`].
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
