//! The KPIs as Prometheus text (`GET /v1/metrics` with `Accept: text/plain`).
//!
//! Pipeline position: after the core. `cpm_core::api::kpis` computes every figure; this
//! module only writes its JSON answer in the Prometheus text exposition format (0.0.4):
//! one gauge per figure with a `process` label (and `step` for waiting times), durations in
//! seconds, rates as ratios. Figures that are `null` (a rate over no cases) are left out,
//! as Prometheus expects of a value that does not exist.

use cpm_core::value::duration::{format_number, parse_days_time};
use serde_json::Value as Json;

/// One metric: its name, help text, and samples (labels, value text).
struct Metric {
    name: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, String)>,
}

impl Metric {
    fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            samples: Vec::new(),
        }
    }

    /// Adds a sample when `value` is a number (or a duration text, as seconds).
    fn push(&mut self, labels: Vec<(&'static str, String)>, value: Option<&Json>) {
        if let Some(text) = value.and_then(sample_value) {
            self.samples.push((labels, text));
        }
    }
}

/// A JSON number as its text, or a days-and-time duration text as seconds.
fn sample_value(value: &Json) -> Option<String> {
    match value {
        Json::Number(n) => Some(n.to_string()),
        Json::String(s) => parse_days_time(s).map(|d| format_number(&d.seconds)),
        _ => None,
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out
}

/// The Prometheus text of a successful `kpis` answer (`{"processes": [...]}`).
pub fn prometheus(answer: &Json) -> String {
    let mut started = Metric::new("cpm_cases_started", "Cases started, per process.");
    let mut cases = Metric::new(
        "cpm_cases",
        "Cases per process and status (open counts open and waiting cases).",
    );
    let mut resolved = Metric::new(
        "cpm_cases_resolved",
        "Closed cases the resolution time is computed over.",
    );
    let mut resolution = Metric::new(
        "cpm_case_resolution_seconds",
        "Resolution time of closed cases (closedAt - startedAt), nearest-rank quantiles.",
    );
    let mut breach = Metric::new(
        "cpm_sla_breach_ratio",
        "Cases whose process SLA is breached (or was when they closed), of the cases with one.",
    );
    let mut first_time_right = Metric::new(
        "cpm_first_time_right_ratio",
        "Cases started without any later data-supplied event, of the cases started.",
    );
    let mut first_contact = Metric::new(
        "cpm_first_contact_resolution_ratio",
        "Closed cases that never had a task or a wait, of the closed cases.",
    );
    let mut reopen = Metric::new(
        "cpm_reopen_ratio",
        "Cases reopened at least once, of the cases ever closed or cancelled.",
    );
    let mut csat = Metric::new("cpm_csat_average", "Average customer satisfaction (1-5).");
    let mut csat_n = Metric::new("cpm_csat_responses", "Customer satisfaction answers.");
    let mut ces = Metric::new("cpm_ces_average", "Average customer effort score (1-7).");
    let mut ces_n = Metric::new("cpm_ces_responses", "Customer effort answers.");
    let mut nps = Metric::new("cpm_nps_score", "Net promoter score (-100 to 100).");
    let mut nps_n = Metric::new("cpm_nps_responses", "Net promoter answers.");
    let mut waiting = Metric::new(
        "cpm_step_waiting_seconds",
        "Time cases spent in a task or wait step (until now for cases still there), nearest-rank quantiles.",
    );
    let mut waiting_n = Metric::new(
        "cpm_step_waiting_cases",
        "Times cases were in a task or wait step.",
    );
    let processes = answer
        .get("processes")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for p in processes {
        let name = p.get("process").and_then(Json::as_str).unwrap_or_default();
        let label = || vec![("process", name.to_owned())];
        let with = |key: &'static str, value: &str| {
            let mut labels = label();
            labels.push((key, value.to_owned()));
            labels
        };
        started.push(label(), p.get("started"));
        for status in ["open", "closed", "cancelled"] {
            cases.push(with("status", status), p.get(status));
        }
        let time = p.get("resolutionTime");
        resolved.push(label(), time.and_then(|t| t.get("count")));
        for (quantile, key) in [("0.5", "median"), ("0.9", "p90")] {
            resolution.push(with("quantile", quantile), time.and_then(|t| t.get(key)));
        }
        breach.push(label(), p.get("slaBreachRate"));
        first_time_right.push(label(), p.get("firstTimeRightRate"));
        first_contact.push(label(), p.get("firstContactResolutionRate"));
        reopen.push(label(), p.get("reopenRate"));
        for (avg, count, key) in [
            (&mut csat, &mut csat_n, "csat"),
            (&mut ces, &mut ces_n, "ces"),
        ] {
            let score = p.get(key);
            avg.push(label(), score.and_then(|s| s.get("average")));
            count.push(label(), score.and_then(|s| s.get("responses")));
        }
        let score = p.get("nps");
        nps.push(label(), score.and_then(|s| s.get("score")));
        nps_n.push(label(), score.and_then(|s| s.get("responses")));
        let steps = p
            .get("waitingPerStep")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for step in steps {
            let id = step.get("step").and_then(Json::as_str).unwrap_or_default();
            let step_labels = || with("step", id);
            waiting_n.push(step_labels(), step.get("count"));
            for (quantile, key) in [("0.5", "median"), ("0.9", "p90")] {
                let mut labels = step_labels();
                labels.push(("quantile", quantile.to_owned()));
                waiting.push(labels, step.get(key));
            }
        }
    }
    let mut out = String::new();
    for metric in [
        started,
        cases,
        resolved,
        resolution,
        breach,
        first_time_right,
        first_contact,
        reopen,
        csat,
        csat_n,
        ces,
        ces_n,
        nps,
        nps_n,
        waiting,
        waiting_n,
    ] {
        out.push_str(&format!("# HELP {} {}\n", metric.name, metric.help));
        out.push_str(&format!("# TYPE {} gauge\n", metric.name));
        for (labels, value) in metric.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            out.push_str(&format!(
                "{}{{{}}} {value}\n",
                metric.name,
                labels.join(",")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpis_become_gauges_with_seconds_and_ratios() {
        let answer: Json = serde_json::from_str(
            r#"{"type":"success","processes":[{"process":"complaint","started":2,"open":1,"closed":1,"cancelled":0,
            "resolutionTime":{"count":1,"median":"P1DT1H","p90":"PT1.5S"},"slaBreachRate":0.5,"firstTimeRightRate":1,
            "firstContactResolutionRate":null,"reopenRate":null,"csat":{"responses":1,"average":4},
            "ces":{"responses":0,"average":null},"nps":{"responses":1,"score":-100},
            "waitingPerStep":[{"step":"investigate","count":2,"median":"PT0S","p90":"PT2H"}]}]}"#,
        )
        .unwrap();
        let text = prometheus(&answer);
        for line in [
            "# TYPE cpm_cases_started gauge",
            "cpm_cases_started{process=\"complaint\"} 2",
            "cpm_cases{process=\"complaint\",status=\"open\"} 1",
            "cpm_case_resolution_seconds{process=\"complaint\",quantile=\"0.5\"} 90000",
            "cpm_case_resolution_seconds{process=\"complaint\",quantile=\"0.9\"} 1.5",
            "cpm_sla_breach_ratio{process=\"complaint\"} 0.5",
            "cpm_csat_average{process=\"complaint\"} 4",
            "cpm_ces_responses{process=\"complaint\"} 0",
            "cpm_nps_score{process=\"complaint\"} -100",
            "cpm_step_waiting_seconds{process=\"complaint\",step=\"investigate\",quantile=\"0.9\"} 7200",
            "cpm_step_waiting_cases{process=\"complaint\",step=\"investigate\"} 2",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        assert!(!text.contains("cpm_reopen_ratio{"), "{text}");
        assert!(!text.contains("cpm_ces_average{"), "{text}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
