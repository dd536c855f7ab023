//! Errors of the `decide` stage: a request that cannot be answered.

use thiserror::Error;

use crate::feel::err::EvalError;

/// Why a decision request failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecideError {
    /// No decision has that name.
    #[error("unknown decision `{name}`; the bundle has {known}")]
    UnknownDecision {
        /// The requested name.
        name: String,
        /// The decision names, listed for the message.
        known: String,
    },
    /// The input document is not an object of input data.
    #[error("the input must be a JSON object of input data by name, found {found}")]
    InputNotObject {
        /// What was found instead.
        found: &'static str,
    },
    /// An input value does not fit its declared type.
    #[error("input `{path}` must be {expected}, found {found}")]
    InputType {
        /// The input's name and path inside it (`Customer.age`, `Items[2]`).
        path: String,
        /// The expected type.
        expected: String,
        /// What was found.
        found: String,
    },
    /// The input document is over one of the input limits (nesting depth, string length,
    /// list length; see [`crate::decide::input::MAX_INPUT_DEPTH`] and its neighbours).
    #[error("{} is over a limit: {message}", input_place(path))]
    InputTooLarge {
        /// The input's name and path inside it (`Customer.notes`, `Items[2]`).
        path: String,
        /// Which limit, and by how much.
        message: String,
    },
    /// Evaluation stopped.
    #[error("decision `{decision}`: {source}")]
    Eval {
        /// The decision being evaluated.
        decision: String,
        /// Why it stopped.
        source: EvalError,
    },
    /// The request met a named time zone, and this engine was built without the tz
    /// database and has not installed the zone data ([`crate::value::zones`]).
    #[error(
        "time zone `{zone}` is needed, but this engine has no time-zone data loaded; load it (`loadZoneData()` in `@cpm/engine/decide`) and decide again"
    )]
    ZoneDataMissing {
        /// The first zone name met.
        zone: String,
    },
}

/// `input `path`` for a path, `the input document` for the whole document.
fn input_place(path: &str) -> String {
    if path.is_empty() {
        "the input document".to_owned()
    } else {
        format!("input `{path}`")
    }
}

impl DecideError {
    /// The stable error code (see `tests/vectors/README.md`).
    pub fn code(&self) -> &'static str {
        match self {
            DecideError::UnknownDecision { .. } => "unknown-decision",
            DecideError::InputNotObject { .. } => "invalid-input",
            DecideError::InputType { .. } => "input-type",
            DecideError::InputTooLarge { .. } => "input-too-large",
            DecideError::ZoneDataMissing { .. } => "zone-data-missing",
            DecideError::Eval { source, .. } => match source {
                EvalError::FuelExhausted { .. } => "fuel-exhausted",
                EvalError::DepthExceeded { .. } => "depth-exceeded",
                EvalError::TooLarge { .. } => "too-large",
                EvalError::HitPolicy { .. } => "hit-policy-violation",
            },
        }
    }

    /// The input path the error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            DecideError::InputType { path, .. } | DecideError::InputTooLarge { path, .. } => {
                Some(path)
            }
            _ => None,
        }
    }
}
