//! KPIs over a set of cases at `now`, per process.
//!
//! Pipeline position: `process`, a read-only view over [`Case`]s (no bundle needed). The
//! definitions are those of `docs/processes.md`: rates are exact decimals rounded half-even to
//! 4 places, averages to 2 places, NPS to 2 places; percentiles use the nearest-rank method
//! (the p-th percentile of n sorted values is the value at rank ⌈p·n/100⌉, so the median of
//! 4 values is the 2nd); durations are ISO days and time durations (`P1DT2H`).

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value as Json};

use super::case::{Case, Status};
use super::err::ApplyError;
use super::sla::{SlaStatus, case_status};
use super::time::{At, duration_text, nanos_of};
use crate::value::{Value, json};

/// KPIs of one process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessKpis {
    /// The process name.
    pub process: String,
    /// Cases started.
    pub started: u64,
    /// Cases open or waiting.
    pub open: u64,
    /// Cases closed by an `end` step.
    pub closed: u64,
    /// Cases cancelled.
    pub cancelled: u64,
    /// Resolution times (start to close) of closed cases, in nanoseconds.
    resolution: Vec<i128>,
    /// Cases with a process SLA, not cancelled.
    sla_cases: u64,
    /// Of those, breached at `now` (or when they closed).
    sla_breached: u64,
    /// Cases without a `data-supplied` correction.
    first_time_right: u64,
    /// Closed cases that never had a task or a wait.
    first_contact: u64,
    /// Cases that closed or were cancelled at least once.
    ever_closed: u64,
    /// Of those, reopened at least once.
    reopened: u64,
    csat: Vec<u8>,
    nps: Vec<u8>,
    ces: Vec<u8>,
    /// Time spent in task and wait steps, per step id, in nanoseconds.
    waiting: BTreeMap<String, Vec<i128>>,
}

/// KPIs of `cases` at `now`, one entry per process, sorted by process name.
///
/// # Errors
/// [`ApplyError::BadTime`] when `now` is not an RFC 3339 date-time with offset.
pub fn kpis(cases: &[Case], now: &str) -> Result<Vec<ProcessKpis>, ApplyError> {
    let now = At::parse(now)?;
    let mut by_process: BTreeMap<&str, ProcessKpis> = BTreeMap::new();
    for case in cases {
        let k = by_process
            .entry(case.process.as_str())
            .or_insert_with(|| ProcessKpis {
                process: case.process.clone(),
                ..ProcessKpis::default()
            });
        add_case(k, case, now.nanos);
    }
    Ok(by_process.into_values().collect())
}

fn add_case(k: &mut ProcessKpis, case: &Case, now: i128) {
    k.started += 1;
    match case.status {
        Status::Open | Status::Waiting => k.open += 1,
        Status::Closed => k.closed += 1,
        Status::Cancelled => k.cancelled += 1,
    }
    let started = nanos_of(&case.started_at);
    if case.status == Status::Closed {
        if let (Some(s), Some(c)) = (started, case.closed_at.as_deref().and_then(nanos_of)) {
            k.resolution.push(c - s);
        }
        let had_work = !case.tasks.is_empty()
            || case
                .history
                .iter()
                .any(|h| h.kind == "task" || h.kind == "wait");
        if !had_work {
            k.first_contact += 1;
        }
    }
    if case.status != Status::Cancelled
        && let Some(status) = case_status(case, now)
    {
        k.sla_cases += 1;
        if status == SlaStatus::Breached {
            k.sla_breached += 1;
        }
    }
    if case.corrections == 0 {
        k.first_time_right += 1;
    }
    if case.status.is_final() || case.reopened > 0 {
        k.ever_closed += 1;
        if case.reopened > 0 {
            k.reopened += 1;
        }
    }
    for f in &case.feedback {
        k.csat.extend(f.csat);
        k.nps.extend(f.nps);
        k.ces.extend(f.ces);
    }
    let open = !case.status.is_final();
    let last = case.history.len().saturating_sub(1);
    for (i, h) in case.history.iter().enumerate() {
        if h.kind != "task" && h.kind != "wait" {
            continue;
        }
        let Some(entered) = nanos_of(&h.entered_at) else {
            continue;
        };
        let left = match &h.left_at {
            Some(t) => nanos_of(t),
            None if open && i == last => Some(now),
            None => None,
        };
        if let Some(left) = left {
            k.waiting
                .entry(h.step.clone())
                .or_default()
                .push((left - entered).max(0));
        }
    }
}

/// The value at nearest rank ⌈p·n/100⌉ of `sorted` (ascending), `None` when empty.
pub fn nearest_rank(sorted: &[i128], p: u32) -> Option<i128> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (usize::try_from(p).unwrap_or(100) * n).div_ceil(100).max(1);
    sorted.get(rank.min(n) - 1).copied()
}

fn number(d: Decimal) -> Json {
    json::to_json(&Value::Number(d))
}

/// `part / whole` rounded half-even to `dp` places, `null` when `whole` is 0.
fn ratio(part: u64, whole: u64, dp: u32) -> Json {
    if whole == 0 {
        return Json::Null;
    }
    match Decimal::from(part).checked_div(Decimal::from(whole)) {
        Some(r) => number(r.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven)),
        None => Json::Null,
    }
}

/// `{ count, median, p90 }` of durations.
fn durations(values: &[i128]) -> Json {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mut o = Map::new();
    o.insert("count".into(), sorted.len().into());
    for (name, p) in [("median", 50), ("p90", 90)] {
        o.insert(
            name.into(),
            nearest_rank(&sorted, p).map_or(Json::Null, |n| duration_text(n).into()),
        );
    }
    Json::Object(o)
}

/// `{ responses, average }` of scores.
fn average(scores: &[u8]) -> Json {
    let mut o = Map::new();
    o.insert("responses".into(), scores.len().into());
    let sum: u64 = scores.iter().map(|s| u64::from(*s)).sum();
    o.insert(
        "average".into(),
        ratio(sum, u64::try_from(scores.len()).unwrap_or(u64::MAX), 2),
    );
    Json::Object(o)
}

impl ProcessKpis {
    /// The KPIs as JSON (see `docs/processes.md` for every member).
    pub fn to_json(&self) -> Json {
        let mut o = Map::new();
        o.insert("process".into(), self.process.clone().into());
        o.insert("started".into(), self.started.into());
        o.insert("open".into(), self.open.into());
        o.insert("closed".into(), self.closed.into());
        o.insert("cancelled".into(), self.cancelled.into());
        o.insert("resolutionTime".into(), durations(&self.resolution));
        o.insert(
            "slaBreachRate".into(),
            ratio(self.sla_breached, self.sla_cases, 4),
        );
        o.insert(
            "firstTimeRightRate".into(),
            ratio(self.first_time_right, self.started, 4),
        );
        o.insert(
            "firstContactResolutionRate".into(),
            ratio(self.first_contact, self.closed, 4),
        );
        o.insert(
            "reopenRate".into(),
            ratio(self.reopened, self.ever_closed, 4),
        );
        o.insert("csat".into(), average(&self.csat));
        o.insert("ces".into(), average(&self.ces));
        let promoters = self.nps.iter().filter(|s| **s >= 9).count();
        let detractors = self.nps.iter().filter(|s| **s <= 6).count();
        let mut nps = Map::new();
        nps.insert("responses".into(), self.nps.len().into());
        nps.insert(
            "score".into(),
            if self.nps.is_empty() {
                Json::Null
            } else {
                let diff = Decimal::from(promoters) - Decimal::from(detractors);
                diff.checked_mul(Decimal::from(100))
                    .and_then(|d| d.checked_div(Decimal::from(self.nps.len())))
                    .map_or(Json::Null, |d| {
                        number(d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven))
                    })
            },
        );
        o.insert("nps".into(), Json::Object(nps));
        let waiting: Vec<Json> = self
            .waiting
            .iter()
            .map(|(step, values)| {
                let mut w = match durations(values) {
                    Json::Object(m) => m,
                    _ => Map::new(),
                };
                w.insert("step".into(), step.clone().into());
                Json::Object(w)
            })
            .collect();
        o.insert("waitingPerStep".into(), waiting.into());
        Json::Object(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v = [1, 2, 3, 4];
        assert_eq!(nearest_rank(&v, 50), Some(2));
        assert_eq!(nearest_rank(&v, 90), Some(4));
        assert_eq!(nearest_rank(&[7], 50), Some(7));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        let ten: Vec<i128> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(5));
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn ratios_round_half_even() {
        assert_eq!(ratio(1, 3, 4).to_string(), "0.3333");
        assert_eq!(ratio(2, 3, 4).to_string(), "0.6667");
        assert_eq!(ratio(1, 8, 2).to_string(), "0.12");
        assert_eq!(ratio(0, 0, 4), Json::Null);
    }
}
