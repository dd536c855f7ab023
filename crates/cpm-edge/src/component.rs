//! The Spin HTTP component: reads a request off `wasi:http/incoming-handler@0.2.0`, answers
//! it with [`crate::service::handle`], writes the reply back.
//!
//! Pipeline position: the outermost layer, only I/O. The body is read in chunks and reading
//! stops as soon as it is over [`MAX_BODY_BYTES`] (a larger `Content-Length` is refused
//! without reading). The [`Platform`] of a request is WASI's: Spin's key-value store
//! `default` (opened on first use), the wall clock (`wasi:clocks/wall-clock`),
//! `wasi:random/random` and `wasi:config/store` (Spin's component variables: `admin_tokens`,
//! `cors_origins`).

use std::cell::OnceCell;

use futures::StreamExt;
use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;

use crate::platform::{Platform, STORE_NAME, TEST_CLOCK_VAR};
use crate::service::{self, Body, MAX_BODY_BYTES, Request};
use crate::source;
use crate::store::StoreError;
use crate::store::wasi_kv::WasiStore;

/// The platform of one request under Spin (or any host with the same WASI imports).
struct WasiPlatform {
    store: OnceCell<Result<WasiStore, StoreError>>,
}

impl Platform for WasiPlatform {
    type Store = WasiStore;

    fn store(&self) -> Result<&WasiStore, StoreError> {
        self.store
            .get_or_init(|| WasiStore::open(STORE_NAME))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn now(&self) -> String {
        // Whole seconds, UTC: `2024-05-06T07:00:00Z`.
        let now = jiff::Timestamp::now();
        jiff::Timestamp::from_second(now.as_second())
            .unwrap_or(now)
            .to_string()
    }

    fn random_hex(&self) -> String {
        wasi::random::random::get_random_bytes(16)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn test_clock(&self) -> bool {
        std::env::var(TEST_CLOCK_VAR).is_ok_and(|v| v == "header")
    }

    fn config(&self, key: &str) -> Result<Option<String>, String> {
        use spin_sdk::wit::wasi::config::store::{self, Error};
        store::get(key).map_err(|e| match e {
            Error::Upstream(message) | Error::Io(message) => message,
        })
    }
}

/// Answers one HTTP request.
#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    let method = req.method().to_string();
    let path_and_query = req.path_with_query().unwrap_or_else(|| "/".to_owned());
    let headers = req.headers().entries();
    let declared = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| std::str::from_utf8(value).ok())
        .and_then(|text| text.trim().parse::<u64>().ok());
    let body = if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        Body::TooLarge
    } else {
        read_body(req).await
    };
    let request = Request {
        method,
        path_and_query,
        headers,
        body,
    };
    let platform = WasiPlatform {
        store: OnceCell::new(),
    };
    let reply = service::handle(&request, source::active(), &platform);
    let length = reply.body.len().to_string();
    let mut builder = Response::builder();
    builder.status(reply.status);
    for (name, value) in reply.headers {
        builder.header(name, value);
    }
    builder.header("content-length", length);
    builder.body(reply.body).build()
}

/// Reads the body, stopping once it is over the limit.
async fn read_body(req: IncomingRequest) -> Body {
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                if body.len() + bytes.len() > MAX_BODY_BYTES {
                    return Body::TooLarge;
                }
                body.extend_from_slice(&bytes);
            }
            Err(_) => return Body::Unreadable,
        }
    }
    Body::Complete(body)
}
