//! `cpm import`: a DMN XML model → a cpm YAML model file, checked by loading it back.

use std::path::Path;
use std::process::ExitCode;

use cpm_core::compile::SourceText;
use cpm_core::dmn;

use crate::{CliError, files, report};

/// Converts `model` and writes `<output>/<model name>.yaml`.
pub fn run(model: &Path, output: &Path) -> Result<ExitCode, CliError> {
    let name = model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dmn_file = SourceText {
        path: name,
        text: files::read_text(model)?,
    };
    let converted = match dmn::convert(&dmn_file.path, &dmn_file.text) {
        Ok(c) => c,
        Err(errors) => {
            for e in errors.iter() {
                eprintln!("error[{}]: {}: {}", e.code(), e.loc(), e.message());
                if let Some(help) = e.help() {
                    eprintln!("  help: {help}");
                }
            }
            println!("import failed: {} error(s); nothing written", errors.len());
            return Ok(ExitCode::from(1));
        }
    };
    std::fs::create_dir_all(output).map_err(|source| CliError::Write {
        path: output.display().to_string(),
        source,
    })?;
    let target = output.join(format!("{}.yaml", converted.model.name));
    std::fs::write(&target, &converted.yaml).map_err(|source| CliError::Write {
        path: target.display().to_string(),
        source,
    })?;
    let yaml_file = SourceText {
        path: format!("{}.yaml", converted.model.name),
        text: files::read_text(&target)?,
    };
    let m = &converted.model;
    println!(
        "wrote {}: {} type(s), {} input(s), {} knowledge model(s), {} decision(s)",
        target.display(),
        m.types.len(),
        m.inputs.len(),
        m.knowledge.len(),
        m.decisions.len()
    );
    match dmn::check_round_trip(&dmn_file, &yaml_file) {
        Ok(rt) => match rt.hash {
            Some(hash) => {
                println!("round trip ok: the YAML file compiles to the same program, hash {hash}");
                Ok(ExitCode::SUCCESS)
            }
            None => {
                report::print_diagnostics(&rt.errors, &[]);
                println!(
                    "the model does not compile ({} error(s)); the YAML file holds the same model, fix it there",
                    rt.errors.len()
                );
                Ok(ExitCode::from(1))
            }
        },
        Err(message) => {
            eprintln!("error: round trip failed: {message}");
            Ok(ExitCode::from(1))
        }
    }
}
