//! Source files: YAML or JSON text → a typed [`Model`] (or [`TestsFile`], [`ProcessDef`],
//! [`TemplateDef`]) whose every element and FEEL text carries its file position.
//!
//! Pipeline position: after [`crate::feel`] (whose parser the compile stage runs on each
//! [`Feel`] text) and before `compile`. This stage checks structure only: known keys,
//! required keys, shapes, unique names, cell counts and hit policies. It does not parse FEEL.
//! The format is documented in `docs/source-format.md` (processes and templates in
//! `docs/processes.md`); the JSON Schema for editors is
//! `schema/cpm-model.schema.json`, and a test keeps the two in step with this loader.
//!
//! The loader takes file contents and does no I/O. JSON files are first checked as strict
//! JSON, then read through the same spanned YAML path (JSON is YAML 1.2 flow syntax), so
//! positions work the same for both.

pub mod err;
mod json;
mod model;
mod read;
mod read_process;
mod tree;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use err::{SourceError, SourceErrorKind, SourceErrors};
pub use model::{
    Aggregation, Channel, ContextDef, ContextEntry, DecisionBody, DecisionDef, EndDef, Expectation,
    FieldDef, HitPolicy, InputDef, IntakeDef, KnowledgeDef, Located, Model, NameRef, Param,
    ProcessDef, RecordDef, RouteBranch, Rule, SendDef, StepBody, StepDef, TableDef, TableInput,
    TableOutput, TaskDef, TemplateDef, TestCase, TestsFile, TypeBody, TypeDef, UnknownHitPolicy,
    WaitDef,
};

/// The largest file the loader reads, in bytes (4 MiB); larger files are a `too-large` error.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// The deepest nesting of mappings and lists the loader accepts; deeper is `too-deep`.
pub const MAX_DEPTH: usize = 64;

/// How many errors are reported for one file before the rest are dropped.
pub const MAX_ERRORS: usize = 200;

/// A position in a source file (1-based line and column; columns count characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Loc {
    /// The file path as given to [`load`].
    pub file: Arc<str>,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
}

impl Loc {
    /// A position in `file`.
    pub fn new(file: impl Into<Arc<str>>, line: u32, column: u32) -> Self {
        Self {
            file: file.into(),
            line,
            column,
        }
    }
}

impl fmt::Display for Loc {
    /// `file:line:column`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A FEEL text from a source file (a cell, an expression, a type), with where it starts.
///
/// `loc` is the position of the text's first character. [`Feel::loc_at`] turns a byte
/// offset inside the text (a FEEL span) into a file position; it is exact for single-line
/// plain or quoted scalars without escapes and for literal block scalars (`|`), and
/// approximate after the first line of folded (`>`) or multi-line plain and quoted scalars,
/// whose line breaks YAML turns into spaces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feel {
    /// The FEEL text exactly as the file gives it (numbers keep their digits).
    pub text: String,
    /// Where the text's first character is.
    pub loc: Loc,
}

impl Feel {
    /// A FEEL text starting at `loc`.
    pub fn new(text: impl Into<String>, loc: Loc) -> Self {
        Self {
            text: text.into(),
            loc,
        }
    }

    /// The file position of byte `byte_offset` of the text (clamped to the text; an offset
    /// inside a character counts as that character).
    pub fn loc_at(&self, byte_offset: u32) -> Loc {
        let mut end = usize::try_from(byte_offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while end > 0 && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let before = self.text.get(..end).unwrap_or_default();
        let newlines = before.matches('\n').count();
        let last_line = before.rsplit('\n').next().unwrap_or_default();
        let line = self.loc.line.saturating_add(to_u32(newlines));
        let column = self
            .loc
            .column
            .saturating_add(to_u32(last_line.chars().count()));
        Loc {
            file: Arc::clone(&self.loc.file),
            line,
            column,
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What a source file holds: a model, tests for a model in another file, a process or a
/// template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceFile {
    /// A model file (it has a `model:` key).
    Model(Model),
    /// A tests-only file (it has a `tests-for:` key).
    Tests(TestsFile),
    /// A process file (it has a `process:` key), boxed as it is the largest kind.
    Process(Box<ProcessDef>),
    /// A template file (it has a `template:` key).
    Template(TemplateDef),
}

/// The syntax a source file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// YAML 1.2 (`.yaml`, `.yml`).
    Yaml,
    /// Strict JSON (`.json`).
    Json,
}

impl Format {
    /// The format a file name's extension says (`.yaml`, `.yml`, `.json`, any case), or
    /// `None` for any other file.
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Whether a file with this name, found while walking a rules folder, is a source file to
/// compile: `.yaml`, `.yml` or `.json` (any case), except data files that live beside rules —
/// sample inputs (`input.json`, `*.input.json`), event lists (`*.events.json`) and
/// `package.json`. Every adapter that walks folders (CLI, edge build) uses this rule.
pub fn is_source_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let data = lower == "input.json"
        || lower == "package.json"
        || lower.ends_with(".input.json")
        || lower.ends_with(".events.json");
    !data && !lower.starts_with('.') && Format::from_path(&lower).is_some()
}

/// Whether a folder with this name is skipped while walking a rules folder: hidden folders,
/// `target` and `node_modules`.
pub fn is_skipped_dir_name(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "node_modules"
}

/// Loads a source file from its contents, choosing YAML or JSON by the extension of `path`.
///
/// `path` is only used to pick the format and to name the file in every [`Loc`].
///
/// # Errors
///
/// Returns every problem found in the file (not just the first): `unsupported-file` when
/// the extension is not `.yaml`, `.yml` or `.json`, syntax errors, limits (`too-large`,
/// `too-deep`), and structural errors (`unknown-key`, `missing-key`, `cell-count`, …; see
/// [`SourceErrorKind`]).
pub fn load(path: &str, text: &str) -> Result<SourceFile, SourceErrors> {
    match Format::from_path(path) {
        Some(format) => load_as(path, text, format),
        None => Err(SourceErrors::new(vec![SourceError::new(
            SourceErrorKind::UnsupportedFile,
            Loc::new(path, 1, 1),
            format!("`{path}` is not a model file; expected a `.yaml`, `.yml` or `.json` file"),
        )])),
    }
}

/// Loads a source file from its contents in the given format, whatever `path` says.
///
/// # Errors
///
/// As [`load`], except that the extension is not checked.
pub fn load_as(path: &str, text: &str, format: Format) -> Result<SourceFile, SourceErrors> {
    let mut cx = err::Collector::new(path);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > MAX_FILE_BYTES {
        cx.error(
            SourceErrorKind::TooLarge,
            tree::Pos::START,
            format!(
                "the file has {} bytes, more than the limit of {MAX_FILE_BYTES}; split it into several models",
                text.len()
            ),
        );
        return Err(cx.finish());
    }
    let root = match format {
        Format::Yaml => tree::parse(text, &mut cx),
        Format::Json => {
            if json::check_strict(text, &mut cx) {
                // Strict JSON has no raw tabs inside strings, so turning every tab into a
                // space keeps strings and columns intact while sparing the YAML scanner
                // tabs it might take for indentation.
                tree::parse(&text.replace('\t', " "), &mut cx)
            } else {
                None
            }
        }
    };
    let file = root.and_then(|root| read::source_file(&mut cx, &root));
    match file {
        Some(file) if cx.is_empty() => Ok(file),
        _ => {
            if cx.is_empty() {
                // INVARIANT: readers only return `None` after reporting why; this is a
                // safety net so a failure never turns into an empty error list.
                cx.error(
                    SourceErrorKind::WrongType,
                    tree::Pos::START,
                    "the file could not be read",
                );
            }
            Err(cx.finish())
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_process;
