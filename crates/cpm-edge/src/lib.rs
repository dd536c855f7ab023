//! The cpm edge service: a Spin HTTP component answering decision requests and running
//! customer cases, kept in Spin's key-value store.
//!
//! Pipeline position: an adapter around `cpm_core::api`, built for `wasm32-wasip2` (it
//! exports `wasi:http/incoming-handler@0.2.0` through spin-sdk 5.2, so it runs on released
//! Spin and under `wasmtime serve -S cli`). The rules bundle is compiled into the component
//! at build time (see `build.rs`), or read from the file named by `CPM_BUNDLE_FILE`.
//!
//! The API (`docs/edge.md`): `POST /v1/decisions/{name}`, `GET /v1/decisions`,
//! `GET /v1/bundle`, `GET /healthz`, the publishing routes (`GET /v1/bundle/sources`,
//! `GET|PUT /v1/bundles`, `POST /v1/bundles/{hash}/activate`, `GET /v1/audit`: published
//! bundles live in the key-value store, see [`registry`]), and the process routes (`POST /v1/intake`,
//! `POST /v1/processes/{name}/cases`, `GET /v1/cases/{id}`, `POST /v1/cases/{id}/events`,
//! `GET /v1/cases/{id}/outbox`, `GET /v1/tasks`, `GET /v1/metrics`); JSON (canonical) by
//! default, MessagePack on request; errors are RFC 9457 problem documents.

#![deny(missing_docs)]

pub mod admin;
pub mod auth;
pub mod cases;
#[cfg(target_arch = "wasm32")]
#[expect(
    unsafe_code,
    reason = "spin-sdk's `#[http_component]` expands to unsafe handle conversions"
)]
mod component;
pub mod cors;
pub mod metrics;
pub mod msgpack;
pub mod negotiate;
pub mod platform;
pub mod problem;
pub mod registry;
pub mod service;
pub mod source;
pub mod store;
