//! Errors of the source stage: everything wrong with a model or tests file's structure,
//! each with the file position it was found at and a stable code.
//!
//! FEEL text inside cells is not parsed here; FEEL syntax errors come from the compile stage.

use std::fmt;

use thiserror::Error;

use super::Loc;

/// What kind of problem a [`SourceError`] is; each kind has a stable [`code`](Self::code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceErrorKind {
    /// The file is larger than [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES).
    TooLarge,
    /// Mappings and lists are nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    TooDeep,
    /// The file has so many problems that the rest were not reported.
    TooManyErrors,
    /// The file name does not end in `.yaml`, `.yml` or `.json`.
    UnsupportedFile,
    /// The YAML text cannot be parsed (or holds several documents).
    YamlSyntax,
    /// A `.json` file is not strict JSON.
    JsonSyntax,
    /// A YAML anchor (`&a`) or alias (`*a`); they are not supported.
    YamlAnchor,
    /// A YAML tag (`!!str`, `!custom`); they are not supported.
    YamlTag,
    /// A mapping key that is not part of the format (usually a typo).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// The same key appears twice in one mapping.
    DuplicateKey,
    /// A value has the wrong shape (a list where text was expected, …).
    WrongType,
    /// A value that must not be empty is empty.
    EmptyValue,
    /// Keys that exclude each other appear together (`table` and `expression`, …).
    ConflictingKeys,
    /// Two elements of the same kind share a name.
    DuplicateName,
    /// A name is not allowed (a model name outside `[A-Za-z0-9_.-]+`).
    BadName,
    /// A `hit` value is not a DMN hit policy.
    BadHitPolicy,
    /// A rule has more or fewer cells than its table has inputs or outputs.
    CellCount,
    /// Two rules of one table have the same `id`.
    DuplicateRuleId,
    /// A number in a test value that cannot be represented exactly (`.inf`, `.nan`).
    BadNumber,
    /// A value outside the set a key allows (a `channel` other than `email`, `letter`, `sms`).
    BadValue,
}

impl SourceErrorKind {
    /// The stable, kebab-case code of this kind (`unknown-key`, `cell-count`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLarge => "too-large",
            Self::TooDeep => "too-deep",
            Self::TooManyErrors => "too-many-errors",
            Self::UnsupportedFile => "unsupported-file",
            Self::YamlSyntax => "yaml-syntax",
            Self::JsonSyntax => "json-syntax",
            Self::YamlAnchor => "yaml-anchor",
            Self::YamlTag => "yaml-tag",
            Self::UnknownKey => "unknown-key",
            Self::MissingKey => "missing-key",
            Self::DuplicateKey => "duplicate-key",
            Self::WrongType => "wrong-type",
            Self::EmptyValue => "empty-value",
            Self::ConflictingKeys => "conflicting-keys",
            Self::DuplicateName => "duplicate-name",
            Self::BadName => "bad-name",
            Self::BadHitPolicy => "bad-hit-policy",
            Self::CellCount => "cell-count",
            Self::DuplicateRuleId => "duplicate-rule-id",
            Self::BadNumber => "bad-number",
            Self::BadValue => "bad-value",
        }
    }
}

/// One problem in a source file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct SourceError {
    kind: SourceErrorKind,
    message: String,
    help: Option<String>,
    loc: Loc,
}

impl SourceError {
    /// An error of `kind` at `loc`.
    pub(crate) fn new(kind: SourceErrorKind, loc: Loc, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            help: None,
            loc,
        }
    }

    /// The same error with a hint on how to fix it.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> SourceErrorKind {
        self.kind
    }

    /// The stable code of this error (`unknown-key`, `cell-count`, …).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// What is wrong, lowercase, user input in backticks.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it, when there is something useful to say.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Where in the file.
    pub fn loc(&self) -> &Loc {
        &self.loc
    }
}

/// All the problems found in one source file, in the order they were found.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub struct SourceErrors(Vec<SourceError>);

impl SourceErrors {
    /// Wraps a list of errors.
    pub(crate) fn new(errors: Vec<SourceError>) -> Self {
        Self(errors)
    }

    /// The errors, in the order they were found.
    pub fn errors(&self) -> &[SourceError] {
        &self.0
    }

    /// The errors, by value.
    pub fn into_vec(self) -> Vec<SourceError> {
        self.0
    }

    /// Iterates over the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, SourceError> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (never true for an error returned by [`load`](super::load)).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for SourceErrors {
    /// One error per line: `file:line:column: message [code]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {} [{}]", e.loc, e.message, e.code())?;
            if let Some(help) = &e.help {
                write!(f, " (help: {help})")?;
            }
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a SourceErrors {
    type Item = &'a SourceError;
    type IntoIter = std::slice::Iter<'a, SourceError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for SourceErrors {
    type Item = SourceError;
    type IntoIter = std::vec::IntoIter<SourceError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Collects the errors of one file, with the file name every position needs.
pub(crate) struct Collector {
    file: std::sync::Arc<str>,
    errors: Vec<SourceError>,
}

impl Collector {
    /// A collector for `file`.
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.into(),
            errors: Vec::new(),
        }
    }

    /// The file position of `pos`.
    pub(crate) fn loc(&self, pos: super::tree::Pos) -> Loc {
        Loc {
            file: std::sync::Arc::clone(&self.file),
            line: pos.line,
            column: pos.column,
        }
    }

    /// Records an error of `kind` at `pos`.
    pub(crate) fn error(
        &mut self,
        kind: SourceErrorKind,
        pos: super::tree::Pos,
        message: impl Into<String>,
    ) {
        let e = SourceError::new(kind, self.loc(pos), message);
        self.report(e);
    }

    /// Records an error of `kind` at `pos` with a hint on how to fix it.
    pub(crate) fn error_help(
        &mut self,
        kind: SourceErrorKind,
        pos: super::tree::Pos,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let e = SourceError::new(kind, self.loc(pos), message).with_help(help);
        self.report(e);
    }

    /// Records `e`, unless [`MAX_ERRORS`](super::MAX_ERRORS) were already recorded.
    pub(crate) fn report(&mut self, e: SourceError) {
        let max = super::MAX_ERRORS;
        if self.errors.len() < max {
            self.errors.push(e);
        } else if self.errors.len() == max {
            let loc = e.loc.clone();
            self.errors.push(SourceError::new(
                SourceErrorKind::TooManyErrors,
                loc,
                format!("more than {max} errors; the rest are not shown"),
            ));
        }
    }

    /// Whether no error was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The recorded errors.
    pub(crate) fn finish(self) -> SourceErrors {
        SourceErrors::new(self.errors)
    }
}
