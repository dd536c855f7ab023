//! Diagnostics: the errors and warnings of a build, as data that crosses every boundary
//! (CLI, JSON, JS, HTTP) unchanged.

use serde::{Deserialize, Serialize};

use crate::source::Loc;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The build fails.
    Error,
    /// The build succeeds, but something is likely wrong.
    Warning,
}

/// One error or warning, with where it is and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable kebab-case code (`unknown-name`, `feel-syntax`, `overlap`, …); tests assert on it.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong: lowercase, user input in backticks.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where: file, line and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Loc>,
    /// The cell or expression text the diagnostic is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and `message` at `location`.
    pub fn error(
        code: impl Into<String>,
        message: impl Into<String>,
        location: Option<Loc>,
    ) -> Self {
        Self {
            code: code.into(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
            location,
            source: None,
        }
    }

    /// A warning with `code` and `message` at `location`.
    pub fn warning(
        code: impl Into<String>,
        message: impl Into<String>,
        location: Option<Loc>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message, location)
        }
    }

    /// The same diagnostic with a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic naming the cell or expression text.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl std::fmt::Display for Diagnostic {
    /// `file:line:column: error[code]: message` followed by the source text and help.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}[{}]: {}", self.code, self.message)?;
        if let Some(source) = &self.source {
            write!(f, "\n    | {source}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n    = help: {help}")?;
        }
        Ok(())
    }
}
