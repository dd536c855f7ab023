//! Compiles the app's rules folder into the bundle the component embeds.
//!
//! The folder is named by the environment variable `CPM_RULES` (a path relative to the
//! workspace root, or absolute); without it, `examples/customer`. The bundle is written to
//! `$OUT_DIR/bundle.cpm` and included with `include_bytes!`; the source files it was built
//! from are written to `$OUT_DIR/sources.json` (`{"bundleHash", "files": [{path, text}]}`,
//! paths relative to the folder, sorted, `/` separators) for `GET /v1/bundle/sources`. A
//! rules folder that does not build fails the component's build, with every diagnostic
//! printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cpm_core::api::{self, BuildAnswer};

/// The rules folder used when `CPM_RULES` is not set, relative to the workspace root.
const DEFAULT_RULES: &str = "examples/customer";

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
    let files = cpm_files::read_rules(&rules).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Err(format!(
            "`{}` has no `.yaml`, `.yml` or `.json` model files",
            rules.display()
        ));
    }
    let (bytes, hash) = match api::build(&files) {
        BuildAnswer::Success { bundle, warnings } => {
            for w in &warnings {
                println!("cargo::warning={}", one_line(&w.to_string()));
            }
            let bytes = bundle
                .encode()
                .map_err(|e| format!("the bundle cannot be written: {e}"))?;
            let engine =
                api::load(&bytes).map_err(|e| format!("the bundle cannot be read back: {e}"))?;
            let hash = engine.hash().to_owned();
            (bytes, hash)
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
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let out = out_dir.join("bundle.cpm");
    std::fs::write(&out, bytes).map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
    let listed: Vec<serde_json::Value> = files
        .iter()
        .map(|f| serde_json::json!({ "path": f.path, "text": f.text }))
        .collect();
    let sources = serde_json::json!({ "bundleHash": hash, "files": listed });
    let out = out_dir.join("sources.json");
    std::fs::write(&out, cpm_core::canonical::to_string(&sources))
        .map_err(|e| format!("cannot write `{}`: {e}", out.display()))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("cargo did not set `{name}`"))
}

/// Cargo warnings are one line each.
fn one_line(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join(" | ")
}
