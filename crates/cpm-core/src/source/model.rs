//! The typed source model: what [`super::load`] returns and the compile stage consumes.
//!
//! Every element carries the [`Loc`] where it starts, and every FEEL text is a [`Feel`]
//! with its own position. Names are normalised (trimmed, inner whitespace collapsed to
//! single spaces). Nothing here is checked beyond the file's structure: FEEL texts are not
//! parsed and names are not resolved yet.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Feel, Loc};

/// A model file: a decision graph with its types, inputs, functions, decisions and tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// The model name (`model:`), `[A-Za-z0-9_.-]+`.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// Item definitions (`types:`).
    pub types: Vec<TypeDef>,
    /// Input data (`inputs:`).
    pub inputs: Vec<InputDef>,
    /// Business knowledge models (`knowledge:`).
    pub knowledge: Vec<KnowledgeDef>,
    /// Decisions (`decisions:`).
    pub decisions: Vec<DecisionDef>,
    /// Test cases written in the model file (`tests:`).
    pub tests: Vec<TestCase>,
    /// Where the model's top-level mapping starts.
    pub loc: Loc,
}

/// A tests-only file: test cases for the model named by `tests-for:`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestsFile {
    /// The name of the model under test.
    pub tests_for: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// The test cases.
    pub tests: Vec<TestCase>,
    /// Where the file's top-level mapping starts.
    pub loc: Loc,
}

/// A named type (item definition), or a field of a structured type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    /// The type's (or field's) name.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// What the type is: another type, or a structure of fields.
    pub body: TypeBody,
    /// Unary tests restricting the allowed values (`allowed:`).
    pub allowed: Option<Feel>,
    /// Where the definition starts.
    pub loc: Loc,
}

/// The two forms of a [`TypeDef`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeBody {
    /// `type:` a FEEL type (`number`, `list<string>`) or the name of another type.
    Ref(Feel),
    /// `fields:` a structured type (a context) with these fields.
    Fields(Vec<TypeDef>),
}

/// An input data element of the decision graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDef {
    /// The input's FEEL name.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// The declared type (`type:`); `None` means `Any`.
    pub type_ref: Option<Feel>,
    /// Where the definition starts.
    pub loc: Loc,
}

/// A business knowledge model: a named, reusable function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeDef {
    /// The function's FEEL name.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// The parameters, in call order.
    pub params: Vec<Param>,
    /// The declared result type (`type:`), if any.
    pub type_ref: Option<Feel>,
    /// The function body.
    pub body: DecisionBody,
    /// Where the definition starts.
    pub loc: Loc,
}

/// A parameter of a business knowledge model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// The parameter's FEEL name.
    pub name: String,
    /// The declared type (`type:`); `None` means `Any`.
    pub type_ref: Option<Feel>,
    /// Where the parameter starts.
    pub loc: Loc,
}

/// A decision: a named value computed from inputs, other decisions and knowledge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionDef {
    /// The decision's FEEL name.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// The declared result type (`type:`), if any.
    pub type_ref: Option<Feel>,
    /// Names listed in `requires:` (checked by the compiler; requirements are also inferred
    /// from the names the body uses).
    pub requires: Vec<NameRef>,
    /// How the decision is computed.
    pub body: DecisionBody,
    /// Where the definition starts.
    pub loc: Loc,
}

/// A name mentioned in the file, with where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameRef {
    /// The normalised name.
    pub name: String,
    /// Where it is written.
    pub loc: Loc,
}

/// The body of a decision, knowledge model or context entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecisionBody {
    /// `table:` a decision table.
    Table(TableDef),
    /// `expression:` a literal FEEL expression.
    Expression(Feel),
    /// `context:` (with optional `result:`) a boxed context.
    Context(ContextDef),
}

/// A boxed context: entries evaluated in order, then an optional result expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextDef {
    /// The entries, in order; later entries may use earlier ones.
    pub entries: Vec<ContextEntry>,
    /// The final result (`result:`); `None` means the context itself.
    pub result: Option<Feel>,
    /// Where the `context:` list starts.
    pub loc: Loc,
}

/// One entry of a boxed context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextEntry {
    /// The entry's FEEL name.
    pub name: String,
    /// The declared type (`type:`), if any.
    pub type_ref: Option<Feel>,
    /// The entry's value: an expression, a table or a nested context.
    pub body: DecisionBody,
    /// Where the entry starts.
    pub loc: Loc,
}

/// A decision table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDef {
    /// The hit policy (`hit:`, default `UNIQUE`).
    pub hit: HitPolicy,
    /// The input columns.
    pub inputs: Vec<TableInput>,
    /// The output columns (at least one).
    pub outputs: Vec<TableOutput>,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// Where the `table:` mapping starts.
    pub loc: Loc,
}

/// An input column of a decision table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInput {
    /// The FEEL expression whose value the column tests.
    pub expression: Feel,
    /// A display label (`label:`).
    pub label: Option<String>,
    /// The input values (`values:`, unary tests), used by gap analysis.
    pub values: Option<Feel>,
    /// Where the column starts.
    pub loc: Loc,
}

/// An output column of a decision table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableOutput {
    /// The output's name (a context key when the table has several outputs).
    pub name: String,
    /// The declared type (`type:`), if any.
    pub type_ref: Option<Feel>,
    /// The output values (`values:`): the priority order for PRIORITY and OUTPUT ORDER.
    pub values: Option<Feel>,
    /// The output when no rule matches (`default:`).
    pub default: Option<Feel>,
    /// Where the column starts.
    pub loc: Loc,
}

/// A rule (row) of a decision table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// The rule id (`id:`), or `r<N>` for the N-th rule (from 1) when not given.
    pub id: String,
    /// One unary-tests cell per table input.
    pub when: Vec<Feel>,
    /// One expression cell per table output.
    pub then: Vec<Feel>,
    /// An annotation (`note:`).
    pub note: Option<String>,
    /// Where the rule starts.
    pub loc: Loc,
}

/// A test case: inputs, and the values some decisions are expected to have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    /// The test's name.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// Input data by (normalised) input name, as JSON with exact numbers.
    #[serde(with = "exact_json")]
    pub input: Map<String, Value>,
    /// The expected decision values, in file order.
    pub expect: Vec<Expectation>,
    /// Where the test starts.
    pub loc: Loc,
}

/// The expected value of one decision in a test case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    /// The (normalised) decision name.
    pub decision: String,
    /// The expected value, as JSON with exact numbers.
    #[serde(with = "exact_json")]
    pub value: Value,
    /// Where the expectation is written.
    pub loc: Loc,
}

/// A DMN hit policy: what a decision table returns when several rules match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HitPolicy {
    /// `UNIQUE` (`U`): at most one rule may match.
    #[default]
    Unique,
    /// `ANY` (`A`): matching rules must agree on the output.
    Any,
    /// `PRIORITY` (`P`): the match whose output comes first in the output values.
    Priority,
    /// `FIRST` (`F`): the first matching rule in rule order.
    First,
    /// `OUTPUT ORDER` (`O`): all matches, sorted by output-value priority.
    OutputOrder,
    /// `RULE ORDER` (`R`): all matches, in rule order.
    RuleOrder,
    /// `COLLECT` (`C`): all matches, optionally aggregated.
    Collect(Option<Aggregation>),
}

/// The aggregation of a `COLLECT` hit policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Aggregation {
    /// `SUM` (`C+`).
    Sum,
    /// `MIN` (`C<`).
    Min,
    /// `MAX` (`C>`).
    Max,
    /// `COUNT` (`C#`).
    Count,
}

impl HitPolicy {
    /// Every hit policy, in the order the documentation lists them.
    pub const ALL: [HitPolicy; 11] = [
        HitPolicy::Unique,
        HitPolicy::Any,
        HitPolicy::Priority,
        HitPolicy::First,
        HitPolicy::OutputOrder,
        HitPolicy::RuleOrder,
        HitPolicy::Collect(None),
        HitPolicy::Collect(Some(Aggregation::Sum)),
        HitPolicy::Collect(Some(Aggregation::Min)),
        HitPolicy::Collect(Some(Aggregation::Max)),
        HitPolicy::Collect(Some(Aggregation::Count)),
    ];

    /// The DMN name (`UNIQUE`, `OUTPUT ORDER`, `COLLECT SUM`, …).
    pub fn name(self) -> &'static str {
        match self {
            HitPolicy::Unique => "UNIQUE",
            HitPolicy::Any => "ANY",
            HitPolicy::Priority => "PRIORITY",
            HitPolicy::First => "FIRST",
            HitPolicy::OutputOrder => "OUTPUT ORDER",
            HitPolicy::RuleOrder => "RULE ORDER",
            HitPolicy::Collect(None) => "COLLECT",
            HitPolicy::Collect(Some(Aggregation::Sum)) => "COLLECT SUM",
            HitPolicy::Collect(Some(Aggregation::Min)) => "COLLECT MIN",
            HitPolicy::Collect(Some(Aggregation::Max)) => "COLLECT MAX",
            HitPolicy::Collect(Some(Aggregation::Count)) => "COLLECT COUNT",
        }
    }

    /// The DMN abbreviation (`U`, `O`, `C+`, …).
    pub fn abbreviation(self) -> &'static str {
        match self {
            HitPolicy::Unique => "U",
            HitPolicy::Any => "A",
            HitPolicy::Priority => "P",
            HitPolicy::First => "F",
            HitPolicy::OutputOrder => "O",
            HitPolicy::RuleOrder => "R",
            HitPolicy::Collect(None) => "C",
            HitPolicy::Collect(Some(Aggregation::Sum)) => "C+",
            HitPolicy::Collect(Some(Aggregation::Min)) => "C<",
            HitPolicy::Collect(Some(Aggregation::Max)) => "C>",
            HitPolicy::Collect(Some(Aggregation::Count)) => "C#",
        }
    }
}

impl fmt::Display for HitPolicy {
    /// The DMN name (`OUTPUT ORDER`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A text that is not a hit policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown hit policy `{0}`")]
pub struct UnknownHitPolicy(pub String);

impl FromStr for HitPolicy {
    type Err = UnknownHitPolicy;

    /// Reads a DMN name or abbreviation, ignoring case and extra spaces (`collect  sum`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.split_whitespace().collect::<Vec<_>>().join(" ");
        HitPolicy::ALL
            .into_iter()
            .find(|h| {
                h.name().eq_ignore_ascii_case(&wanted)
                    || h.abbreviation().eq_ignore_ascii_case(&wanted)
            })
            .ok_or_else(|| UnknownHitPolicy(s.to_string()))
    }
}

/// Serde for JSON values with exact (arbitrary-precision) numbers in any format.
///
/// serde_json's exact numbers serialize as a private one-field struct, which formats that
/// write structs as arrays (MessagePack via `rmp_serde::to_vec`) cannot read back. In
/// formats that are not human-readable the value is therefore written as its JSON text; in
/// human-readable formats (JSON) it is written as itself.
mod exact_json {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<T: Serialize, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            v.serialize(s)
        } else {
            let text = serde_json::to_string(v).map_err(serde::ser::Error::custom)?;
            s.serialize_str(&text)
        }
    }

    pub(super) fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        if d.is_human_readable() {
            T::deserialize(d)
        } else {
            let text = String::deserialize(d)?;
            serde_json::from_str(&text).map_err(serde::de::Error::custom)
        }
    }
}

/// A text from a source file that is not FEEL (a duration, a number, a template), with
/// where its first character is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located {
    /// The text exactly as the file gives it.
    pub text: String,
    /// Where the text's first character is.
    pub loc: Loc,
}

/// A process file: how a customer's request is handled from intake to outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessDef {
    /// The process name (`process:`), `[a-z0-9-]+`.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// Which contacts start this process (`intake:`); `None` means only explicit starts.
    pub intake: Option<IntakeDef>,
    /// The data the case needs (`data:`).
    pub data: Vec<FieldDef>,
    /// The process SLA (`sla:`), a days and time duration.
    pub sla: Option<Located>,
    /// The fraction of an SLA after which it is at risk (`at-risk:`).
    pub at_risk: Option<Located>,
    /// Who is told when the process SLA is breached (`escalate-to:`).
    pub escalate_to: Option<String>,
    /// The first step (`start:`); the first listed step when absent.
    pub start: Option<NameRef>,
    /// The steps (`steps:`).
    pub steps: Vec<StepDef>,
    /// Where the file's top-level mapping starts.
    pub loc: Loc,
}

/// How intake selects a process: a FEEL condition over the contact, or a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeDef {
    /// A FEEL condition over the contact's fields (`when:`).
    pub when: Option<Feel>,
    /// A decision whose output is the name of the process to start (`decision:`).
    pub decision: Option<NameRef>,
    /// Higher is tried first (`priority:`, an integer; default 0).
    pub priority: Option<Located>,
    /// Where the `intake:` mapping starts.
    pub loc: Loc,
}

/// A typed field of case data or of a task's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The field's FEEL name.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// The declared type (`type:`); `None` means `Any`.
    pub type_ref: Option<Feel>,
    /// Whether a value must be given (`required:`, default true).
    pub required: bool,
    /// Unary tests a given value must pass (`valid:`).
    pub valid: Option<Feel>,
    /// What a valid value is, for the error when `valid` fails (`message:`).
    pub message: Option<String>,
    /// Where the field starts.
    pub loc: Loc,
}

/// A step of a process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDef {
    /// The step id (`id:`), `[a-z0-9-]+`, unique in the process.
    pub id: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// The step that follows (`next:`).
    pub next: Option<NameRef>,
    /// What the step does.
    pub body: StepBody,
    /// Where the step starts.
    pub loc: Loc,
}

/// What a step does: exactly one of the step keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepBody {
    /// `decide:` run a decision over the case data; `as:` names where its output is stored.
    Decide {
        /// The decision.
        decision: NameRef,
        /// The case field the output is stored under (default: the decision's name).
        store_as: Option<String>,
    },
    /// `route:` the first branch whose condition holds, else the default.
    Route(Vec<RouteBranch>),
    /// `task:` a person in a queue completes a form.
    Task(TaskDef),
    /// `send:` a letter, e-mail or text message from a template.
    Send(SendDef),
    /// `record:` a change to record in another system.
    Record(RecordDef),
    /// `wait:` for a customer reply, feedback, data or an external event.
    Wait(WaitDef),
    /// `end:` the case closes with an outcome.
    End(EndDef),
}

/// A branch of a `route` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteBranch {
    /// The condition (`when:`); `None` for the `default:` branch.
    pub when: Option<Feel>,
    /// The step the branch goes to (`to:` or `default:`).
    pub to: NameRef,
    /// Where the branch starts.
    pub loc: Loc,
}

/// A `task` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDef {
    /// The queue the task goes to (`queue:`).
    pub queue: String,
    /// A FEEL expression giving the task's title (`title:`).
    pub title: Option<Feel>,
    /// The fields the person completes (`form:`).
    pub form: Vec<FieldDef>,
    /// The task's SLA (`sla:`), a days and time duration.
    pub sla: Option<Located>,
    /// Who is told when the task's SLA is breached (`escalate-to:`).
    pub escalate_to: Option<String>,
    /// Where the `task:` mapping starts.
    pub loc: Loc,
}

/// A `send` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendDef {
    /// The template's name (`template:`).
    pub template: NameRef,
    /// `email`, `letter` or `sms` (`channel:`, default `email`).
    pub channel: Channel,
    /// A FEEL expression giving the recipient (`to:`).
    pub to: Feel,
    /// Where the `send:` mapping starts.
    pub loc: Loc,
}

/// How a message is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// An e-mail.
    #[default]
    Email,
    /// A printed letter.
    Letter,
    /// A text message.
    Sms,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Letter, Channel::Sms];

    /// The channel's name as written in files and JSON (`email`, `letter`, `sms`).
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::Sms => "sms",
        }
    }
}

/// A `record` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordDef {
    /// The system the change is for (`system:`).
    pub system: String,
    /// A FEEL expression giving the change (`change:`).
    pub change: Feel,
    /// Where the `record:` mapping starts.
    pub loc: Loc,
}

/// A `wait` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitDef {
    /// What the case waits for (`for:`): `customer-reply`, `feedback`, `data`, or the name of
    /// an external event.
    pub waits_for: NameRef,
    /// How long to wait (`timeout:`), a days and time duration.
    pub timeout: Option<Located>,
    /// The step to go to when the timeout fires (`on-timeout:`).
    pub on_timeout: Option<NameRef>,
    /// Where the `wait:` mapping starts.
    pub loc: Loc,
}

/// An `end` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndDef {
    /// The outcome (`outcome:`), text.
    pub outcome: String,
    /// A FEEL expression giving the root-cause code (`root-cause:`).
    pub root_cause: Option<Feel>,
    /// Where the `end:` mapping starts.
    pub loc: Loc,
}

/// A template file: one letter, e-mail or text message, rendered with the case data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDef {
    /// The template name (`template:`), `[a-z0-9-]+`.
    pub name: String,
    /// Free text (`description:`).
    pub description: Option<String>,
    /// The subject line (`subject:`), itself a template.
    pub subject: Option<Located>,
    /// The body (`body:`), in minijinja syntax.
    pub body: Located,
    /// Where the file's top-level mapping starts.
    pub loc: Loc,
}
