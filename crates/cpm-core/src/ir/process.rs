//! The compiled form of processes and templates: what `compile` produces from `process:` and
//! `template:` files, what a bundle carries, and what [`crate::process`] runs.
//!
//! Pipeline position: output of `compile`, payload of `bundle`, input of `process`. Steps
//! refer to each other by index into [`Process::steps`]; durations are exact seconds.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Cell;
use crate::feel::ast::{Expr, Name, TypeRef};
use crate::source::Channel;

/// A compiled process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// The process name (`[a-z0-9-]+`).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// How intake selects this process; `None` when it is only started explicitly.
    pub intake: Option<Intake>,
    /// The data fields a case needs, checked at start.
    pub data: Vec<Field>,
    /// Every field a case can hold (data fields, task form fields, decision outputs) with
    /// the type its JSON value is read as; FEEL texts of the process see these names.
    pub fields: Vec<CaseField>,
    /// The process SLA in seconds, if any.
    pub sla: Option<Decimal>,
    /// The fraction of an SLA after which it is at risk (0 < at_risk < 1).
    pub at_risk: Decimal,
    /// Who is notified when the process SLA is breached.
    pub escalate_to: Option<String>,
    /// Index of the first step.
    pub start: u32,
    /// The steps.
    pub steps: Vec<Step>,
}

/// How intake selects a process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Intake {
    /// The condition or decision.
    pub rule: IntakeRule,
    /// Higher is tried first.
    pub priority: i64,
}

/// The two ways a process is selected at intake.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IntakeRule {
    /// A FEEL condition over the contact's fields; the process matches when it is `true`.
    When(Expr),
    /// A decision over the contact; the process matches when the output is its name.
    Decision(Name),
}

/// A typed field with its checks (case data or a task form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The field's name.
    pub name: Name,
    /// The declared type (`Any` when not declared).
    pub ty: TypeRef,
    /// Whether a value must be given.
    pub required: bool,
    /// Unary tests a given value must pass.
    pub valid: Option<Cell>,
    /// What a valid value is, for the error when `valid` fails.
    pub message: Option<String>,
}

/// A name a case can hold and the type its JSON value is read as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseField {
    /// The field's name.
    pub name: Name,
    /// The type its JSON value is converted with.
    pub ty: TypeRef,
}

/// A step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The step id.
    pub id: String,
    /// Index of the following step (not for `route` and `end`).
    pub next: Option<u32>,
    /// What the step does.
    pub kind: StepKind,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StepKind {
    /// Run a decision over the case data and store its output.
    Decide {
        /// The decision's name.
        decision: Name,
        /// The case field its output is stored under.
        store_as: Name,
    },
    /// Pick the next step by condition.
    Route {
        /// Conditions and their step indices, tried in order.
        branches: Vec<(Expr, u32)>,
        /// The step index when no condition holds.
        default: u32,
    },
    /// A task for a person in a queue.
    Task(Task),
    /// A message from a template.
    Send(Send),
    /// A change to record in another system.
    Record {
        /// The system.
        system: String,
        /// The change (FEEL).
        change: Expr,
    },
    /// Wait for something from outside.
    Wait(Wait),
    /// Close the case.
    End {
        /// The outcome text.
        outcome: String,
        /// The root-cause code (FEEL), if any.
        root_cause: Option<Expr>,
    },
}

/// A task step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The queue.
    pub queue: String,
    /// The title (FEEL), if any.
    pub title: Option<Expr>,
    /// The form the person completes.
    pub form: Vec<Field>,
    /// The task SLA in seconds, if any.
    pub sla: Option<Decimal>,
    /// Who is notified when the task's SLA is breached.
    pub escalate_to: Option<String>,
}

/// A send step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Send {
    /// The template's name.
    pub template: String,
    /// How the message is sent.
    pub channel: Channel,
    /// The recipient (FEEL).
    pub to: Expr,
}

/// A wait step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    /// What ends the wait.
    pub waits_for: WaitFor,
    /// The timeout in seconds, if any.
    pub timeout: Option<Decimal>,
    /// Index of the step taken on timeout (`next` when absent).
    pub on_timeout: Option<u32>,
}

/// What a wait step waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitFor {
    /// A `customer-replied` event.
    CustomerReply,
    /// A `feedback` event.
    Feedback,
    /// A `data-supplied` event.
    Data,
    /// An `event-received` event with this name.
    Event(String),
}

impl WaitFor {
    /// What the wait is for, as written in process files and case JSON.
    pub fn name(&self) -> &str {
        match self {
            WaitFor::CustomerReply => "customer-reply",
            WaitFor::Feedback => "feedback",
            WaitFor::Data => "data",
            WaitFor::Event(name) => name,
        }
    }

    /// Reads what a wait is for: the three built-in kinds, or an external event name.
    pub fn parse(text: &str) -> WaitFor {
        match text {
            "customer-reply" => WaitFor::CustomerReply,
            "feedback" => WaitFor::Feedback,
            "data" => WaitFor::Data,
            other => WaitFor::Event(other.to_owned()),
        }
    }
}

/// A compiled template: its texts, checked for syntax at build time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The template name.
    pub name: String,
    /// The subject line template, if any.
    pub subject: Option<String>,
    /// The body template.
    pub body: String,
}
