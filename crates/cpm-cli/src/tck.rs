//! `cpm tck`: runs a DMN TCK folder (file reading only; the runner is `cpm_core::dmn::tck`).

use std::path::Path;
use std::process::ExitCode;

use cpm_core::compile::SourceText;
use cpm_core::dmn::tck::{self, CaseOutcome};
use cpm_core::feel::eval::Limits;

use crate::{CliError, files};

/// Runs every test folder under `dir` (and `dir` itself) and prints the results.
pub fn run(dir: &Path, json: bool) -> Result<ExitCode, CliError> {
    let mut folders = vec![dir.to_path_buf()];
    let mut subdirs: Vec<_> = std::fs::read_dir(dir)
        .map_err(|source| CliError::Read {
            path: dir.display().to_string(),
            source,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    folders.extend(subdirs);
    let mut outcomes: Vec<CaseOutcome> = Vec::new();
    let mut any = false;
    for folder in folders {
        let (models, tests) = read_folder(dir, &folder)?;
        if tests.is_empty() {
            continue;
        }
        any = true;
        outcomes.extend(tck::run_folder(&models, &tests, Limits::default()));
    }
    if !any {
        return Err(CliError::NoTck(dir.display().to_string()));
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let failed = outcomes.len() - passed;
    let nodes: Vec<_> = outcomes.iter().flat_map(|o| o.nodes.iter()).collect();
    let nodes_passed = nodes.iter().filter(|n| n.passed).count();
    if json {
        let cases: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| {
                serde_json::json!({
                    "file": o.file,
                    "model": o.model,
                    "case": o.case,
                    "passed": o.passed(),
                    "error": o.error,
                    "nodes": o.nodes.iter().map(|n| serde_json::json!({
                        "node": n.node,
                        "passed": n.passed,
                        "expected": n.expected,
                        "actual": n.actual,
                        "rounded": n.rounded,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = serde_json::json!({
            "counting": "test cases",
            "passed": passed,
            "failed": failed,
            "result_nodes": { "passed": nodes_passed, "failed": nodes.len() - nodes_passed },
            "number_rule": tck::NUMBER_RULE,
            "cases": cases,
        });
        println!("{}", cpm_core::canonical::to_string(&v));
    } else {
        print_table(&outcomes);
        println!("note: {}", tck::NUMBER_RULE);
        let rounded = nodes.iter().filter(|n| n.rounded).count();
        if rounded > 0 {
            println!(
                "note: {rounded} expected value(s) were rounded to 28 significant digits (marked `~`)"
            );
        }
        println!(
            "counting test cases; result nodes: {nodes_passed} passed, {} failed",
            nodes.len() - nodes_passed
        );
        println!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `.dmn` and `*-test-*.xml` files directly inside `folder`, with paths relative to
/// `root`.
fn read_folder(root: &Path, folder: &Path) -> Result<(Vec<SourceText>, Vec<SourceText>), CliError> {
    let mut paths: Vec<_> = std::fs::read_dir(folder)
        .map_err(|source| CliError::Read {
            path: folder.display().to_string(),
            source,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut models = Vec::new();
    let mut tests = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let is_model = lower.ends_with(".dmn");
        let is_test = lower.ends_with(".xml") && lower.contains("-test-");
        if !is_model && !is_test {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let file = SourceText {
            path: rel,
            text: files::read_text(&path)?,
        };
        if is_model {
            models.push(file);
        } else {
            tests.push(file);
        }
    }
    Ok((models, tests))
}

fn print_table(outcomes: &[CaseOutcome]) {
    let width = outcomes
        .iter()
        .map(|o| o.model.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    println!("{:<6}{:<width$}  {:<6}  result node", "", "model", "case");
    for o in outcomes {
        if let Some(error) = &o.error {
            println!(
                "{:<6}{:<width$}  {:<6}  {}",
                "FAIL", o.model, o.case, o.file
            );
            println!("      {error}");
            continue;
        }
        for n in &o.nodes {
            let status = if n.passed { "PASS" } else { "FAIL" };
            let mark = if n.rounded { "~" } else { "" };
            println!(
                "{status:<6}{:<width$}  {:<6}  {}{mark}",
                o.model, o.case, n.node
            );
            if !n.passed {
                println!("      expected {}", n.expected);
                println!("      actual   {}", n.actual);
            }
        }
        if o.nodes.is_empty() {
            println!(
                "{:<6}{:<width$}  {:<6}  (no result nodes)",
                "FAIL", o.model, o.case
            );
        }
    }
}
