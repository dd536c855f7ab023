//! Reading rules folders and input documents from disk.

use std::io::Read;
use std::path::Path;

use cpm_core::compile::SourceText;

use crate::CliError;

/// Folders never searched for model files.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

/// Whether `path` names a model file by its extension.
pub fn is_source(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

/// Every model file under `root` (or `root` itself if it is a file), sorted by path, with
/// paths relative to `root` using `/`.
pub fn read_sources(root: &Path) -> Result<Vec<SourceText>, CliError> {
    let mut out = Vec::new();
    if root.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(SourceText {
            path: name,
            text: read_text(root)?,
        });
        return Ok(out);
    }
    walk(root, root, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceText>) -> Result<(), CliError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CliError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
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
                walk(root, &path, out)?;
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
                text: read_text(&path)?,
            });
        }
    }
    Ok(())
}

/// JSON files that sit beside rules but are not models (sample inputs, event lists for
/// `cpm simulate`, package manifests).
fn is_data_file(name: &str) -> bool {
    name.ends_with(".input.json")
        || name.ends_with(".events.json")
        || name == "input.json"
        || name == "package.json"
}

fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The input document: a file, standard input (`-`), or none.
pub fn read_input(input: Option<&str>) -> Result<Option<String>, CliError> {
    match input {
        None => Ok(None),
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| CliError::Read {
                    path: "standard input".to_owned(),
                    source,
                })?;
            Ok(Some(text))
        }
        Some(path) => read_text(Path::new(path)).map(Some),
    }
}
