//! Reading cpm rules folders from disk: the I/O the pure core does not do, shared by every
//! adapter that compiles a folder (the `cpm` CLI, the edge component's build script).
//!
//! Which files count is decided by the core ([`cpm_core::source::is_source_file_name`],
//! [`cpm_core::source::is_skipped_dir_name`]); this crate only walks and reads.

use std::path::{Path, PathBuf};

use cpm_core::compile::SourceText;
use cpm_core::source::{is_skipped_dir_name, is_source_file_name};

/// A file or folder could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{path}`: {source}")]
pub struct ReadError {
    /// The path that failed.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// Every source file under `root` (or `root` itself when it is a file), sorted by path, with
/// paths relative to `root` using `/` (the paths diagnostics show).
///
/// # Errors
/// [`ReadError`] naming the first file or folder that cannot be read.
pub fn read_rules(root: &Path) -> Result<Vec<SourceText>, ReadError> {
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

/// Every file path `read_rules` would read under `root`, for build scripts that must
/// declare what they depend on.
///
/// # Errors
/// [`ReadError`] when a folder cannot be listed.
pub fn rule_paths(root: &Path) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    list(root, &mut out)?;
    Ok(out)
}

fn list(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| ReadError {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            if !is_skipped_dir_name(&name) {
                list(&path, out)?;
            }
        } else if is_source_file_name(&name) {
            out.push(path);
        }
    }
    Ok(())
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceText>) -> Result<(), ReadError> {
    let mut paths = Vec::new();
    list(dir, &mut paths)?;
    for path in paths {
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
    Ok(())
}

fn read_text(path: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|source| ReadError {
        path: path.to_path_buf(),
        source,
    })
}
