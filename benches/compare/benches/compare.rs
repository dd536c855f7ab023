//! Criterion benchmarks: cpm (indexed and, for the big tables, forced to scan) against
//! GoRules ZEN, natively, on every workload. Every engine's answers are checked against
//! `cases.json` first; the run stops with an error if any differs.
//!
//! One benchmark iteration evaluates every case of the workload once; the throughput is
//! reported in elements (evaluations). Measurement time is bounded (1 s warm-up, 3 s
//! measurement per benchmark) so the whole run stays within a few minutes on 2 cores.

use std::process::ExitCode;
use std::time::Duration;

use criterion::{Criterion, Throughput};

use cpm_bench_compare::{WORKLOADS, Workload, runners, verify};

fn main() -> ExitCode {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    for name in WORKLOADS {
        let workload = match Workload::load(name) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let all = match runners(&workload) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        for runner in &all {
            if let Err(e) = verify(&workload, runner.as_ref()) {
                eprintln!("error: answers differ, nothing is timed: {e}");
                return ExitCode::FAILURE;
            }
        }
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(workload.cases.len() as u64));
        for runner in &all {
            group.bench_function(runner.name(), |b| {
                b.iter(|| {
                    for case in &workload.cases {
                        std::hint::black_box(runner.eval(std::hint::black_box(&case.input)).ok());
                    }
                });
            });
        }
        group.finish();
    }
    c.final_summary();
    ExitCode::SUCCESS
}
