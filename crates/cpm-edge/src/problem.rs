//! RFC 9457 problem documents: every error answer of the edge.
//!
//! Pipeline position: the last step of a failed request. Each problem has a stable `type`
//! (`https://cpm.dev/problems/<code>`, where `<code>` is the core's error code or one of the
//! edge's own codes below) and that `code` itself, a `title` fixed per type, the HTTP `status`, a `detail` a person
//! can act on, and the failing input `path` when there is one. Problems about case data also
//! carry `errors`: every error the core reported (`{code, message, path}`), so a client sees
//! every missing or invalid field at once.

/// The prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "https://cpm.dev/problems/";

/// The media type of problem documents.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// No route has this path.
pub const NOT_FOUND: &str = "not-found";
/// The route exists, but not for this method.
pub const METHOD_NOT_ALLOWED: &str = "method-not-allowed";
/// The body is not valid JSON or MessagePack, or could not be read.
pub const MALFORMED_BODY: &str = "malformed-body";
/// The body's content type is neither JSON nor MessagePack.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported-media-type";
/// The body is over the size limit.
pub const BODY_TOO_LARGE: &str = "body-too-large";
/// A query parameter is unknown or has a bad value.
pub const BAD_QUERY: &str = "bad-query";
/// The decision name in the path is not valid percent-encoded UTF-8.
pub const BAD_PATH: &str = "bad-path";
/// The bundle could not be loaded (a deployment problem, not the client's).
pub const BUNDLE_UNAVAILABLE: &str = "bundle-unavailable";
/// The core answered with a shape the edge does not know (a version mismatch).
pub const INTERNAL: &str = "internal";
/// No case has this id.
pub const UNKNOWN_CASE: &str = "unknown-case";
/// A case with this id exists and was not started by this request's key.
pub const CASE_EXISTS: &str = "case-exists";
/// `If-Match` names another version than the case's.
pub const VERSION_MISMATCH: &str = "version-mismatch";
/// Other writers kept changing the case; nothing was applied.
pub const WRITE_CONFLICT: &str = "write-conflict";
/// The case would be larger than the store accepts; nothing was applied.
pub const CASE_TOO_LARGE: &str = "case-too-large";
/// The key-value store could not be opened or failed.
pub const STORE_UNAVAILABLE: &str = "store-unavailable";
/// The body is JSON but not of the shape the route takes.
pub const INVALID_REQUEST: &str = "invalid-request";
/// A header has a value the edge cannot use.
pub const BAD_HEADER: &str = "bad-header";
/// A client-chosen case id is not usable.
pub const INVALID_CASE_ID: &str = "invalid-case-id";
/// Case data or a task form has missing or invalid fields (every one is in `errors`).
pub const INVALID_DATA: &str = "invalid-data";
/// An admin route without a usable `Authorization: Bearer` header (401).
pub const UNAUTHORIZED: &str = "unauthorized";
/// An admin route with a token that is not an admin token (403).
pub const FORBIDDEN: &str = "forbidden";
/// No admin token is configured, so the admin routes are off (403).
pub const PUBLISHING_DISABLED: &str = "publishing-disabled";
/// A configuration value (`admin_tokens`) is malformed or cannot be read (500).
pub const BAD_CONFIG: &str = "bad-config";
/// Published sources do not build (every diagnostic is in `errors`).
pub const BUILD_FAILED: &str = "build-failed";
/// Published sources build, but test cases fail (every failed check is in `errors`).
pub const TESTS_FAILED: &str = "tests-failed";
/// The bundle the client built has another hash than the edge's build of the same sources.
pub const HASH_MISMATCH: &str = "hash-mismatch";
/// No bundle with this hash is known.
pub const UNKNOWN_BUNDLE: &str = "unknown-bundle";
/// A bundle or its sources would be over the store's value limit.
pub const BUNDLE_TOO_LARGE: &str = "bundle-too-large";
/// The sources of the active bundle are not known (a bundle file deployed without them).
pub const SOURCES_UNAVAILABLE: &str = "sources-unavailable";

/// One problem document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The stable code; the `type` is [`TYPE_PREFIX`] followed by it.
    pub code: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong and what to do about it.
    pub detail: String,
    /// The failing input path, for input errors.
    pub path: Option<String>,
    /// Every error the core reported (`{code, message, path}`), when there are any.
    pub errors: Vec<serde_json::Value>,
}

impl Problem {
    /// A problem with `code`, `status` and `detail`.
    pub fn new(code: impl Into<String>, status: u16, detail: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            status,
            detail: detail.into(),
            path: None,
            errors: Vec::new(),
        }
    }

    /// The problem's `type` URI.
    pub fn type_uri(&self) -> String {
        format!("{TYPE_PREFIX}{}", self.code)
    }

    /// The problem as a JSON value (write it with `cpm_core::canonical::to_string`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        obj.insert("type".into(), self.type_uri().into());
        obj.insert("code".into(), self.code.clone().into());
        obj.insert("title".into(), title(&self.code).into());
        obj.insert("status".into(), self.status.into());
        obj.insert("detail".into(), self.detail.clone().into());
        if let Some(path) = &self.path {
            obj.insert("path".into(), path.clone().into());
        }
        if !self.errors.is_empty() {
            obj.insert("errors".into(), self.errors.clone().into());
        }
        serde_json::Value::Object(obj)
    }
}

/// The short, fixed summary of a problem type (RFC 9457 `title`).
fn title(code: &str) -> &'static str {
    match code {
        NOT_FOUND => "Not found",
        METHOD_NOT_ALLOWED => "Method not allowed",
        MALFORMED_BODY => "Malformed request body",
        UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
        BODY_TOO_LARGE => "Request body too large",
        BAD_QUERY => "Invalid query parameter",
        BAD_PATH => "Invalid path",
        BUNDLE_UNAVAILABLE => "Bundle unavailable",
        "unknown-decision" => "Unknown decision",
        "invalid-input" => "Invalid input document",
        "input-type" => "Input does not fit its type",
        "hit-policy-violation" => "Hit policy violation",
        "fuel-exhausted" => "Evaluation budget exhausted",
        "depth-exceeded" => "Evaluation nested too deeply",
        "too-large" => "Value too large",
        "input-too-large" => "Input over a limit",
        UNKNOWN_CASE => "Unknown case",
        CASE_EXISTS => "Case already exists",
        VERSION_MISMATCH => "Case version does not match",
        WRITE_CONFLICT => "Case changed concurrently",
        CASE_TOO_LARGE => "Case too large to store",
        STORE_UNAVAILABLE => "Store unavailable",
        INVALID_REQUEST => "Invalid request document",
        BAD_HEADER => "Invalid header",
        INVALID_CASE_ID => "Invalid case id",
        INVALID_DATA => "Case data is missing or invalid",
        UNAUTHORIZED => "Authentication required",
        FORBIDDEN => "Forbidden",
        PUBLISHING_DISABLED => "Publishing disabled",
        BAD_CONFIG => "Invalid configuration",
        BUILD_FAILED => "Rules do not build",
        TESTS_FAILED => "Test cases fail",
        HASH_MISMATCH => "Bundle hash does not match",
        UNKNOWN_BUNDLE => "Unknown bundle",
        BUNDLE_TOO_LARGE => "Bundle too large to store",
        SOURCES_UNAVAILABLE => "Sources unavailable",
        "unknown-process" => "Unknown process",
        "bundle-mismatch" => "Case bundle unavailable",
        "invalid-case" => "Stored case unreadable",
        "invalid-event" | "invalid-time" | "time-order" | "not-started" | "already-started"
        | "case-closed" | "case-not-closed" | "unknown-task" | "task-not-open"
        | "unknown-timer" | "timer-not-due" | "unknown-effect" | "unknown-step" => "Event refused",
        "step-limit" | "step-value" | "template-error" => "Process step failed",
        _ => "Decision failed",
    }
}

/// The HTTP status of a process error code from the core: 404 for an unknown process, 409
/// for a case pinned to a bundle that is not available any more, 500 for a stored case this core
/// cannot read (a deployment problem), 422 for everything else (the request is well-formed,
/// but the process refuses it: missing data, a closed case, a task that is not open, …).
pub fn process_status(code: &str) -> u16 {
    match code {
        "unknown-process" => 404,
        "bundle-mismatch" => 409,
        "invalid-case" | "malformed-request" => 500,
        _ => 422,
    }
}

/// Whether a core error code is about one data or form field.
pub fn is_field_code(code: &str) -> bool {
    matches!(
        code,
        "missing-field" | "invalid-field" | "wrong-type" | "unknown-field"
    )
}

/// The HTTP status of a decision error code from the core: 404 for an unknown decision,
/// 422 for everything else (the request is well-formed, but these inputs cannot be decided
/// by these rules: a type error, a hit policy violation, an exhausted budget).
pub fn decision_status(code: &str) -> u16 {
    if code == "unknown-decision" { 404 } else { 422 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_document_has_stable_members() {
        let mut p = Problem::new(
            "input-type",
            422,
            "input `Age` must be number, found string",
        );
        p.path = Some("Age".into());
        assert_eq!(
            cpm_core::canonical::to_string(&p.to_json()),
            r#"{"code":"input-type","detail":"input `Age` must be number, found string","path":"Age","status":422,"title":"Input does not fit its type","type":"https://cpm.dev/problems/input-type"}"#
        );
    }

    #[test]
    fn decision_errors_map_to_404_and_422() {
        assert_eq!(decision_status("unknown-decision"), 404);
        assert_eq!(decision_status("input-type"), 422);
        assert_eq!(decision_status("hit-policy-violation"), 422);
        assert_eq!(decision_status("fuel-exhausted"), 422);
    }
}
