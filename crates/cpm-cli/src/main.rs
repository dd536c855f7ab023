//! `cpm`: check, build, test and evaluate cpm rules from the command line.
//!
//! A thin adapter: it reads files, calls `cpm_core::api`, and prints. Exit codes: 0 success,
//! 1 the rules or tests failed (build errors, failing tests, a decision error), 2 the command
//! could not run (bad arguments, unreadable files).

mod files;
mod import;
mod report;
mod simulate;
mod tck;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::Diagnostic;
use cpm_core::decide::Engine;
use cpm_core::feel::eval::Limits;

/// Customer processes and business rules, compiled for the browser and the edge.
#[derive(Parser)]
#[command(name = "cpm", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a rules folder: errors and warnings with file:line:column.
    Check {
        /// The rules folder (or one model file).
        dir: PathBuf,
        /// Print the diagnostics as JSON.
        #[arg(long)]
        json: bool,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Build a rules folder into a bundle file.
    Build {
        /// The rules folder (or one model file).
        dir: PathBuf,
        /// Where to write the bundle.
        #[arg(short, long, default_value = "bundle.cpm")]
        output: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate one decision for an input document.
    Eval {
        /// A bundle file (`.cpm`), or a rules folder to build in memory first.
        bundle: PathBuf,
        /// The decision's name.
        decision: String,
        /// The input JSON file, or `-` for standard input; no input means no input data.
        input: Option<String>,
        /// Print the canonical JSON answer instead of the human summary.
        #[arg(long)]
        json: bool,
        /// Leave the explanation out.
        #[arg(long)]
        no_explain: bool,
    },
    /// Run the test cases a rules folder carries.
    Test {
        /// The rules folder (or one model file).
        dir: PathBuf,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay a list of events through a process: where the case goes, what it sends,
    /// records and schedules, and its SLA.
    Simulate {
        /// A bundle file (`.cpm`), or a rules folder to build in memory first.
        bundle: PathBuf,
        /// A JSON file holding the list of events (`started` first, each with `at`).
        events: String,
        /// The time to show the SLA for (RFC 3339 with offset; default: the last event's).
        #[arg(long)]
        now: Option<String>,
        /// Print the final case as canonical JSON instead of the story.
        #[arg(long)]
        json: bool,
    },
    /// Convert a DMN XML model (DMN 1.1 to 1.5) into a cpm YAML model file.
    Import {
        /// The `.dmn` file.
        model: PathBuf,
        /// The folder to write `<model name>.yaml` into (created if missing).
        #[arg(short, long, default_value = ".")]
        output: PathBuf,
    },
    /// Run the DMN TCK test cases of a folder (each subfolder holds `*.dmn` and
    /// `*-test-*.xml` files).
    Tck {
        /// The TCK folder, such as `TestCases/compliance-level-2`.
        dir: PathBuf,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the time-zone data file: the IANA tz database this build answers with, for
    /// engines built without it (the browser's `@cpm/engine/decide` loads it when a bundle
    /// could meet a named zone).
    Tzdata {
        /// Where to write it.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// Why a command could not run (exit code 2).
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` has no `.yaml`, `.yml`, `.json` or `.dmn` model files")]
    NoSources(String),
    #[error("`{path}` is not a usable bundle: {message}")]
    Bundle { path: String, message: String },
    #[error("`{path}` is not a readable zone-data file: {message}")]
    ZoneData { path: String, message: String },
    #[error("the input is not valid JSON: {0}")]
    Input(String),
    #[error("`{0}` has no DMN TCK test folders (`*.dmn` beside `*-test-*.xml`)")]
    NoTck(String),
    #[error(transparent)]
    WriteZoneData(#[from] cpm_core::value::zones::WriteZoneDataError),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cpm: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Check {
            dir,
            json,
            deny_warnings,
        } => check(&dir, json, deny_warnings),
        Command::Build { dir, output, json } => build(&dir, &output, json),
        Command::Eval {
            bundle,
            decision,
            input,
            json,
            no_explain,
        } => eval(&bundle, &decision, input.as_deref(), json, !no_explain),
        Command::Test { dir, json } => test(&dir, json),
        Command::Import { model, output } => import::run(&model, &output),
        Command::Tck { dir, json } => tck::run(&dir, json),
        Command::Tzdata { output } => tzdata(&output),
        Command::Simulate {
            bundle,
            events,
            now,
            json,
        } => simulate(&bundle, &events, now.as_deref(), json),
    }
}

/// Builds `dir` in memory.
fn compile(dir: &Path) -> Result<BuildAnswer, CliError> {
    let sources = files::read_sources(dir)?;
    if sources.is_empty() {
        return Err(CliError::NoSources(dir.display().to_string()));
    }
    Ok(api::build(&sources))
}

fn check(dir: &Path, json: bool, deny_warnings: bool) -> Result<ExitCode, CliError> {
    let answer = compile(dir)?;
    let (errors, warnings, hash) = match &answer {
        BuildAnswer::Success { bundle, warnings } => {
            (&[][..], warnings, Some(bundle.hash.as_str()))
        }
        BuildAnswer::Failure { errors, warnings } => (errors.as_slice(), warnings, None),
    };
    if json {
        report::print_json(&report::diagnostics_json(errors, warnings, hash));
    } else {
        report::print_diagnostics(errors, warnings);
        match hash {
            Some(_) => println!(
                "ok: {} checked, {} warning(s)",
                dir.display(),
                warnings.len()
            ),
            None => println!(
                "failed: {} error(s), {} warning(s)",
                errors.len(),
                warnings.len()
            ),
        }
    }
    let failed = !errors.is_empty() || (deny_warnings && !warnings.is_empty());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn tzdata(output: &Path) -> Result<ExitCode, CliError> {
    let bytes = cpm_core::value::zones::write_zone_data()?;
    std::fs::write(output, &bytes).map_err(|source| CliError::Write {
        path: output.display().to_string(),
        source,
    })?;
    // Read back as an engine would, for the summary line.
    let info = cpm_core::value::zones::install(bytes).map_err(|e| CliError::ZoneData {
        path: output.display().to_string(),
        message: e.to_string(),
    })?;
    println!(
        "wrote {}: tz database {}, {} zone names",
        output.display(),
        info.version,
        info.names
    );
    Ok(ExitCode::SUCCESS)
}

fn build(dir: &Path, output: &Path, json: bool) -> Result<ExitCode, CliError> {
    match compile(dir)? {
        BuildAnswer::Success { bundle, warnings } => {
            let bytes = bundle.encode().map_err(|e| CliError::Bundle {
                path: output.display().to_string(),
                message: e.to_string(),
            })?;
            std::fs::write(output, &bytes).map_err(|source| CliError::Write {
                path: output.display().to_string(),
                source,
            })?;
            let decisions: usize = bundle
                .program
                .models
                .iter()
                .map(|m| m.decisions.len())
                .sum();
            if json {
                let mut v = report::diagnostics_json(&[], &warnings, Some(&bundle.hash));
                if let Some(o) = v.as_object_mut() {
                    o.insert("output".into(), output.display().to_string().into());
                    o.insert("bytes".into(), bytes.len().into());
                }
                report::print_json(&v);
            } else {
                report::print_diagnostics(&[], &warnings);
                println!(
                    "built {} ({} bytes): {} model(s), {} decision(s), {} process(es), {} template(s), hash {}",
                    output.display(),
                    bytes.len(),
                    bundle.program.models.len(),
                    decisions,
                    bundle.program.processes.len(),
                    bundle.program.templates.len(),
                    bundle.hash
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        BuildAnswer::Failure { errors, warnings } => {
            if json {
                report::print_json(&report::diagnostics_json(&errors, &warnings, None));
            } else {
                report::print_diagnostics(&errors, &warnings);
                println!("build failed: {} error(s)", errors.len());
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// An engine from a bundle file, or from a rules folder built in memory.
fn engine(path: &Path) -> Result<Result<Engine, Vec<Diagnostic>>, CliError> {
    if path.is_dir() || files::is_source(path) {
        return Ok(match compile(path)? {
            BuildAnswer::Success { bundle, .. } => Ok(Engine::new(bundle)),
            BuildAnswer::Failure { errors, .. } => Err(errors),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })?;
    api::load(&bytes).map(Ok).map_err(|e| CliError::Bundle {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn eval(
    bundle: &Path,
    decision: &str,
    input: Option<&str>,
    json: bool,
    explain: bool,
) -> Result<ExitCode, CliError> {
    let engine = match engine(bundle)? {
        Ok(engine) => engine,
        Err(errors) => {
            if json {
                report::print_json(&report::diagnostics_json(&errors, &[], None));
            } else {
                report::print_diagnostics(&errors, &[]);
                println!("build failed: {} error(s)", errors.len());
            }
            return Ok(ExitCode::from(1));
        }
    };
    let input_text = files::read_input(input)?;
    let input: serde_json::Value = match input_text {
        None => serde_json::Value::Null,
        Some(text) => serde_json::from_str(&text).map_err(|e| CliError::Input(e.to_string()))?,
    };
    let request = api::DecideRequest {
        decision: decision.to_owned(),
        input,
        explain,
    };
    let answer = api::decide(&engine, &request, Limits::default());
    let ok = answer.get("type").and_then(|t| t.as_str()) == Some("success");
    if json {
        println!("{}", cpm_core::canonical::to_string(&answer));
    } else {
        report::print_answer(&answer);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn simulate(
    bundle: &Path,
    events: &str,
    now: Option<&str>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let engine = match engine(bundle)? {
        Ok(engine) => engine,
        Err(errors) => {
            report::print_diagnostics(&errors, &[]);
            println!("build failed: {} error(s)", errors.len());
            return Ok(ExitCode::from(1));
        }
    };
    let text = files::read_input(Some(events))?.unwrap_or_default();
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| CliError::Input(e.to_string()))?;
    Ok(if simulate::run(&engine, &list, now, json) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn test(dir: &Path, json: bool) -> Result<ExitCode, CliError> {
    let engine = match compile(dir)? {
        BuildAnswer::Success { bundle, warnings } => {
            if !json {
                report::print_diagnostics(&[], &warnings);
            }
            Engine::new(bundle)
        }
        BuildAnswer::Failure { errors, warnings } => {
            if json {
                report::print_json(&report::diagnostics_json(&errors, &warnings, None));
            } else {
                report::print_diagnostics(&errors, &warnings);
                println!("build failed: {} error(s); no tests ran", errors.len());
            }
            return Ok(ExitCode::from(1));
        }
    };
    let outcomes = api::run_tests(&engine, Limits::default());
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    if json {
        report::print_json(&report::tests_json(&outcomes));
    } else {
        report::print_tests(&outcomes);
    }
    Ok(if failed == 0 && !outcomes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
