//! Compiles the app's rules folder into the bundle the component embeds.
//!
//! The folder is named by the environment variable `CPM_RULES` (a path relative to the
//! workspace root, or absolute); without it, `examples/customer`. The bundle is written to
//! `$OUT_DIR/bundle.cpm` and included with `include_bytes!`. A rules folder that does not
//! build fails the component's build, with every diagnostic printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;

/// The rules folder used when `CPM_RULES` is not set, relative to the workspace root.
const DEFAULT_RULES: &str = "examples/customer";

/// Folders never searched for model files (as `cpm build` does).
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

fn main() -> ExitCode {
    println!("cargo::rerun-if-env-changed=CPM_RULES");
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let workspace_root = manifest_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("the cpm-edge crate is not inside a workspace")?
        .to_path_buf();
    let rules = match std::env::var("CPM_RULES") {
        Ok(path) if !path.is_empty() => workspace_root.join(path),
        _ => workspace_root.join(DEFAULT_RULES),
    };
    println!("cargo::rerun-if-changed={}", rules.display());
    if !rules.exists() {
        return Err(format!(
            "the rules folder `{}` does not exist; set `CPM_RULES` to the folder with your \
             rules (relative to `{}`)",
            rules.display(),
            workspace_root.display()
        ));
    }
    let mut files = Vec::new();
    collect(&rules, &rules, &mut files)?;
    if files.is_empty() {
        return Err(format!(
            "`{}` has no `.yaml`, `.yml` or `.json` model files",
            rules.display()
        ));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let bytes = match api::build(&files) {
        BuildAnswer::Success { bundle, warnings } => {
            for w in &warnings {
                println!("cargo::warning={}", one_line(&w.to_string()));
            }
            bundle
                .encode()
                .map_err(|e| format!("the bundle cannot be written: {e}"))?
        }
        BuildAnswer::Failure { errors, warnings } => {
            for d in warnings.iter().chain(&errors) {
                eprintln!("{d}");
            }
            return Err(format!(
                "the rules in `{}` do not build ({} error(s) above)",
                rules.display(),
                errors.len()
            ));
        }
    };
    let out = PathBuf::from(env("OUT_DIR")?).join("bundle.cpm");
    std::fs::write(&out, bytes).map_err(|e| format!("cannot write `{}`: {e}", out.display()))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("cargo did not set `{name}`"))
}

/// Cargo warnings are one line each.
fn one_line(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join(" | ")
}

/// Every model file under `dir` (or `dir` itself if it is a file), with paths relative to
/// `root` using `/`; dot-files, `target/`, `node_modules/` and sample inputs are skipped.
fn collect(root: &Path, dir: &Path, out: &mut Vec<SourceText>) -> Result<(), String> {
    if dir.is_file() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(SourceText {
            path: name,
            text: read(dir)?,
        });
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                collect(root, &path, out)?;
            }
        } else if is_source(&path) && !is_data_file(&name) {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push(SourceText {
                path: rel,
                text: read(&path)?,
            });
        }
    }
    Ok(())
}

fn is_source(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

/// JSON files that sit beside rules but are not models (sample inputs, package manifests).
fn is_data_file(name: &str) -> bool {
    name.ends_with(".input.json") || name == "input.json" || name == "package.json"
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}
