//! The cpm edge service: a Spin HTTP component answering decision requests.
//!
//! Pipeline position: an adapter around `cpm_core::api`, built for `wasm32-wasip2` (it
//! exports `wasi:http/incoming-handler@0.2.0` through spin-sdk 5.2, so it runs on released
//! Spin and under `wasmtime serve -S cli`). The rules bundle is compiled into the component
//! at build time (see `build.rs`), or read from the file named by `CPM_BUNDLE_FILE`.
//!
//! The API (`docs/edge.md`): `POST /v1/decisions/{name}`, `GET /v1/decisions`,
//! `GET /v1/bundle`, `GET /healthz`; JSON (canonical) by default, MessagePack on request;
//! errors are RFC 9457 problem documents.

#![deny(missing_docs)]

#[expect(
    unsafe_code,
    reason = "spin-sdk's `#[http_component]` expands to unsafe handle conversions"
)]
mod component;
pub mod msgpack;
pub mod negotiate;
pub mod problem;
pub mod service;
pub mod source;
