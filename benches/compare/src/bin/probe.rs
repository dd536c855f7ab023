//! `probe`: the native half's helper for `run.sh`, outside criterion.
//!
//! - `probe verify` checks every engine's answers on every workload against `cases.json`
//!   and exits 1 on the first difference.
//! - `probe latency <workload> <engine> <evaluations>` loads one workload for one engine
//!   (`cpm`, `cpm-scan`, `zen`) in this process alone, warms up, then times each of up to
//!   `<evaluations>` single evaluations (cycling through the cases, stopping after 5 s) and
//!   prints one JSON line: evaluations, evals/s, p50/p99/max in ns, and this process's peak
//!   RSS, so the memory figure is that engine's alone.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use cpm_bench_compare::{
    BenchError, CpmRunner, Runner, WORKLOADS, Workload, ZenRunner, peak_rss_kib, verify,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["verify"] => verify_all(),
        ["latency", workload, engine, n] => match n.parse::<usize>() {
            Ok(n) if n > 0 => latency(workload, engine, n),
            _ => Err(format!("`{n}` is not a positive number of evaluations")),
        },
        _ => Err(
            "usage: probe verify | probe latency <workload> <cpm|cpm-scan|zen> <evaluations>"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("probe: {message}");
            ExitCode::FAILURE
        }
    }
}

fn verify_all() -> Result<(), String> {
    for name in WORKLOADS {
        let workload = Workload::load(name).map_err(|e| e.to_string())?;
        for runner in cpm_bench_compare::runners(&workload).map_err(|e| e.to_string())? {
            verify(&workload, runner.as_ref()).map_err(|e| e.to_string())?;
            println!(
                "ok: {} answers all {} cases of {name}",
                runner.name(),
                workload.cases.len()
            );
        }
    }
    Ok(())
}

fn runner(workload: &Workload, engine: &str) -> Result<Box<dyn Runner>, String> {
    let made: Result<Box<dyn Runner>, BenchError> = match engine {
        "cpm" => CpmRunner::new(workload, true).map(|r| Box::new(r) as Box<dyn Runner>),
        "cpm-scan" => CpmRunner::new(workload, false).map(|r| Box::new(r) as Box<dyn Runner>),
        "zen" => ZenRunner::new(workload).map(|r| Box::new(r) as Box<dyn Runner>),
        other => return Err(format!("unknown engine `{other}`: cpm, cpm-scan or zen")),
    };
    made.map_err(|e| e.to_string())
}

fn latency(name: &str, engine: &str, n: usize) -> Result<(), String> {
    let workload = Workload::load(name).map_err(|e| e.to_string())?;
    let runner = runner(&workload, engine)?;
    verify(&workload, runner.as_ref()).map_err(|e| e.to_string())?;
    let cases = &workload.cases;
    let cap = Duration::from_secs(5);
    let warm_up = Instant::now();
    let mut i = 0usize;
    while i < n / 10 && warm_up.elapsed() < cap / 5 {
        if let Some(c) = cases.get(i % cases.len()) {
            runner.eval(&c.input)?;
        }
        i += 1;
    }
    let mut times = Vec::with_capacity(n);
    let start = Instant::now();
    while times.len() < n && start.elapsed() < cap {
        if let Some(c) = cases.get(times.len() % cases.len()) {
            let t = Instant::now();
            let out = runner.eval(&c.input)?;
            times.push(t.elapsed().as_nanos());
            std::hint::black_box(out);
        }
    }
    let total = start.elapsed();
    times.sort_unstable();
    let at = |q: usize| {
        let idx = (times.len() * q / 100).min(times.len().saturating_sub(1));
        times.get(idx).copied().unwrap_or_default()
    };
    let evals = times.len();
    let per_s = evals as u128 * 1_000_000_000 / total.as_nanos().max(1);
    println!(
        "{{\"workload\":\"{name}\",\"engine\":\"{engine}\",\"evaluations\":{evals},\"evalsPerSec\":{per_s},\"p50Ns\":{},\"p99Ns\":{},\"maxNs\":{},\"peakRssKib\":{}}}",
        at(50),
        at(99),
        times.last().copied().unwrap_or_default(),
        peak_rss_kib().map_or("null".to_owned(), |k| k.to_string())
    );
    Ok(())
}
