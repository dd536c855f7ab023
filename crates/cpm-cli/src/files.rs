//! Reading rules folders and input documents from disk.

use std::io::Read;
use std::path::Path;

use cpm_core::compile::SourceText;

use crate::CliError;

/// Whether `path` names a source file by its name.
pub fn is_source(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(cpm_core::source::is_source_file_name)
}

/// Every source file under `root` (or `root` itself if it is a file), sorted by path.
pub fn read_sources(root: &Path) -> Result<Vec<SourceText>, CliError> {
    cpm_files::read_rules(root).map_err(|e| CliError::Read {
        path: e.path.display().to_string(),
        source: e.source,
    })
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
