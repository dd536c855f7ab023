//! Cross-origin requests from browsers (CORS): closed unless the `cors_origins`
//! configuration value names the origins to allow.
//!
//! Pipeline position: around [`crate::service::handle`]: a preflight (`OPTIONS` with
//! `Origin` and `Access-Control-Request-Method`) on a known route is answered here, and every
//! other answer gets the CORS headers added on its way out. `cors_origins` (a Spin variable)
//! is empty or absent (no CORS headers at all: browsers on other origins cannot read any
//! answer), `*` (any origin), or a comma list of exact origins (`https://console.example`).
//! An allowed origin is echoed in `Access-Control-Allow-Origin` (never `*`: no credentials
//! are involved, and one shape is simpler for caches), with `Vary: Origin` on every answer.

use crate::platform::Platform;
use crate::service::{Reply, Request};

/// The configuration key of the allowed origins.
pub const ORIGINS_KEY: &str = "cors_origins";

/// The methods a preflight allows.
pub const ALLOW_METHODS: &str = "GET, POST, PUT, OPTIONS";

/// The request headers a preflight allows.
pub const ALLOW_HEADERS: &str = "authorization, content-type, if-match, idempotency-key, accept";

/// The answer headers a browser script may read besides the simple ones.
pub const EXPOSE_HEADERS: &str = "etag, location, www-authenticate, idempotent-replayed";

/// How long (seconds) a browser may cache a preflight answer.
pub const MAX_AGE: &str = "600";

/// The allowed origins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origins {
    /// No CORS (the default).
    Closed,
    /// Any origin (`*`).
    Any,
    /// These exact origins.
    List(Vec<String>),
}

impl Origins {
    /// Parses `cors_origins`: empty → closed, `*` → any, else a comma list (an entry `*`
    /// anywhere in the list allows any origin). Origins compare exactly, without a trailing
    /// `/`.
    pub fn parse(config: Option<&str>) -> Origins {
        let text = config.unwrap_or_default().trim();
        if text.is_empty() {
            return Origins::Closed;
        }
        let list: Vec<String> = text
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        if list.iter().any(|o| o == "*") {
            Origins::Any
        } else if list.is_empty() {
            Origins::Closed
        } else {
            Origins::List(list)
        }
    }

    /// From the platform's configuration; a configuration the host cannot read is closed.
    pub fn of<P: Platform>(platform: &P) -> Origins {
        Origins::parse(platform.config(ORIGINS_KEY).ok().flatten().as_deref())
    }

    /// Whether `origin` may read answers.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Origins::Closed => false,
            Origins::Any => true,
            Origins::List(list) => list.iter().any(|o| o == origin),
        }
    }
}

/// Whether `request` is a CORS preflight.
pub fn is_preflight(request: &Request) -> bool {
    request.method == "OPTIONS"
        && request.header("origin").is_some()
        && request.header("access-control-request-method").is_some()
}

/// The 204 answer to a preflight from an allowed origin; `None` when CORS is closed or the
/// origin is not allowed (the request is then routed as any other `OPTIONS`).
pub fn preflight(request: &Request, origins: &Origins) -> Option<Reply> {
    let origin = request.header("origin")?;
    if !is_preflight(request) || !origins.allows(origin) {
        return None;
    }
    Some(Reply {
        status: 204,
        headers: vec![
            ("access-control-allow-origin".into(), origin.to_owned()),
            ("access-control-allow-methods".into(), ALLOW_METHODS.into()),
            ("access-control-allow-headers".into(), ALLOW_HEADERS.into()),
            ("access-control-max-age".into(), MAX_AGE.into()),
            ("vary".into(), "Origin".into()),
        ],
        body: Vec::new(),
    })
}

/// Adds the CORS headers to an answer: `Vary: Origin` whenever CORS is configured, and the
/// allow/expose headers when the request's origin is allowed.
pub fn decorate(reply: &mut Reply, request: &Request, origins: &Origins) {
    if *origins == Origins::Closed {
        return;
    }
    if !reply.headers.iter().any(|(n, _)| n == "vary") {
        reply.headers.push(("vary".into(), "Origin".into()));
    }
    if reply
        .headers
        .iter()
        .any(|(n, _)| n == "access-control-allow-origin")
    {
        return;
    }
    if let Some(origin) = request.header("origin")
        && origins.allows(origin)
    {
        reply
            .headers
            .push(("access-control-allow-origin".into(), origin.to_owned()));
        reply.headers.push((
            "access-control-expose-headers".into(),
            EXPOSE_HEADERS.into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse() {
        assert_eq!(Origins::parse(None), Origins::Closed);
        assert_eq!(Origins::parse(Some(" ")), Origins::Closed);
        assert_eq!(Origins::parse(Some(",")), Origins::Closed);
        assert_eq!(Origins::parse(Some("*")), Origins::Any);
        let list = Origins::parse(Some("https://a.example/, http://localhost:5173"));
        assert!(list.allows("https://a.example"));
        assert!(list.allows("http://localhost:5173"));
        assert!(!list.allows("https://a.example.evil"));
        assert!(!list.allows("http://localhost:5174"));
        assert!(!Origins::Closed.allows("https://a.example"));
        assert!(Origins::Any.allows("https://anything.example"));
    }
}
