//! Service levels, escalations and worklists, computed from a case (or many) and `now`.
//!
//! Pipeline position: `process`, read-only views over [`Case`]s; nothing here changes a
//! case or needs the bundle. An SLA is *breached* from its due time on, *at risk* from its
//! at-risk time on (the process's `at-risk` fraction of the SLA after it started), and *on
//! track* before. A closed case or task keeps the status it had when it closed: breached
//! if it closed at or after its due time, on track otherwise.

use serde::Serialize;

use super::case::{Case, Task};
use super::err::ApplyError;
use super::time::{At, nanos_of};

/// The state of one SLA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlaStatus {
    /// Before the at-risk time.
    OnTrack,
    /// Between the at-risk time and the due time.
    AtRisk,
    /// At or after the due time.
    Breached,
}

impl SlaStatus {
    /// The status as written in JSON (`on-track`, `at-risk`, `breached`).
    pub fn name(self) -> &'static str {
        match self {
            SlaStatus::OnTrack => "on-track",
            SlaStatus::AtRisk => "at-risk",
            SlaStatus::Breached => "breached",
        }
    }
}

/// The SLA view of one case at `now`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaView {
    /// The time the view is computed for.
    pub now: String,
    /// The process SLA's status (`null` when the process has no SLA).
    pub status: Option<SlaStatus>,
    /// When the process SLA is due.
    pub due: Option<String>,
    /// Every open task with an SLA, and its status.
    pub tasks: Vec<TaskSla>,
    /// Every breached SLA of the open case that names someone to tell.
    pub escalations: Vec<Escalation>,
}

/// The SLA of one task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSla {
    /// The task id.
    pub task: String,
    /// Its SLA status.
    pub status: SlaStatus,
    /// When it is due.
    pub due: String,
}

/// A breached SLA and who should know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// The queue or role to tell.
    pub to: String,
    /// `task-sla-breached` or `case-sla-breached`.
    pub reason: &'static str,
    /// The task, for a task SLA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Since when (the due time).
    pub since: String,
}

/// The status of an SLA with the given times (`None` when `due` is absent or unreadable).
fn status(
    due: Option<&str>,
    at_risk_at: Option<&str>,
    closed_at: Option<&str>,
    now: i128,
) -> Option<SlaStatus> {
    let due = nanos_of(due?)?;
    let t = closed_at.and_then(nanos_of).unwrap_or(now);
    if t >= due {
        return Some(SlaStatus::Breached);
    }
    if closed_at.is_none() && at_risk_at.and_then(nanos_of).is_some_and(|r| t >= r) {
        return Some(SlaStatus::AtRisk);
    }
    Some(SlaStatus::OnTrack)
}

/// The SLA status of a task at `now`.
pub(crate) fn task_status(task: &Task, now: i128) -> Option<SlaStatus> {
    status(
        task.due.as_deref(),
        task.at_risk_at.as_deref(),
        task.closed_at.as_deref(),
        now,
    )
}

/// The SLA status of a case at `now`.
pub(crate) fn case_status(case: &Case, now: i128) -> Option<SlaStatus> {
    status(
        case.due.as_deref(),
        case.at_risk_at.as_deref(),
        case.closed_at.as_deref(),
        now,
    )
}

/// The SLA view of `case` at `now`.
///
/// # Errors
/// [`ApplyError::BadTime`] when `now` is not an RFC 3339 date-time with offset.
pub fn sla(case: &Case, now: &str) -> Result<SlaView, ApplyError> {
    let at = At::parse(now)?;
    let open = !case.status.is_final();
    let mut tasks = Vec::new();
    let mut escalations = Vec::new();
    for task in case.tasks.iter().filter(|t| t.status.is_open()) {
        let (Some(s), Some(due)) = (task_status(task, at.nanos), task.due.clone()) else {
            continue;
        };
        if s == SlaStatus::Breached
            && let Some(to) = &task.escalate_to
        {
            escalations.push(Escalation {
                to: to.clone(),
                reason: "task-sla-breached",
                task: Some(task.id.clone()),
                since: due.clone(),
            });
        }
        tasks.push(TaskSla {
            task: task.id.clone(),
            status: s,
            due,
        });
    }
    let status = case_status(case, at.nanos);
    if open
        && status == Some(SlaStatus::Breached)
        && let (Some(to), Some(due)) = (&case.escalate_to, &case.due)
    {
        escalations.push(Escalation {
            to: to.clone(),
            reason: "case-sla-breached",
            task: None,
            since: due.clone(),
        });
    }
    Ok(SlaView {
        now: at.text(),
        status,
        due: case.due.clone(),
        tasks,
        escalations,
    })
}

/// A pending task in a worklist.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkItem {
    /// The case id.
    pub case: String,
    /// The case's process.
    pub process: String,
    /// The task.
    pub task: Task,
    /// Its SLA status at `now` (`None` without an SLA).
    pub sla: Option<SlaStatus>,
}

/// The open tasks of `cases` (only those in `queue`, when given), oldest first (by creation
/// time, then case id, then task id), with their SLA status at `now`.
///
/// # Errors
/// [`ApplyError::BadTime`] when `now` is not an RFC 3339 date-time with offset.
pub fn tasks(cases: &[Case], queue: Option<&str>, now: &str) -> Result<Vec<WorkItem>, ApplyError> {
    let at = At::parse(now)?;
    let mut items: Vec<(i128, WorkItem)> = Vec::new();
    for case in cases {
        for task in &case.tasks {
            if !task.status.is_open() || queue.is_some_and(|q| q != task.queue) {
                continue;
            }
            items.push((
                nanos_of(&task.created_at).unwrap_or(i128::MAX),
                WorkItem {
                    case: case.id.clone(),
                    process: case.process.clone(),
                    task: task.clone(),
                    sla: task_status(task, at.nanos),
                },
            ));
        }
    }
    items.sort_by(|(a, x), (b, y)| {
        a.cmp(b)
            .then_with(|| x.case.cmp(&y.case))
            .then_with(|| x.task.id.cmp(&y.task.id))
    });
    Ok(items.into_iter().map(|(_, item)| item).collect())
}
