//! # cpm-test-host — a TEST host, not a product
//!
//! Serves the cpm edge component (`crates/cpm-edge`, a Spin HTTP component) for the edge
//! HTTP tests in `tests/edge`, the way `spin up` would, but built on the `wasmtime`,
//! `wasmtime-wasi` and `wasmtime-wasi-http` crates so CI needs neither the spin CLI nor
//! `wasmtime-cli`:
//!
//! - every request runs in a fresh instance of the component, requests run concurrently
//!   (`server`);
//! - the component gets wasi:cli (the `--env` variables; its stdout and stderr go to the
//!   host's stderr), wasi:filesystem (the `--dir` preopens), wasi:random, wasi:clocks and
//!   wasi:http, and no outgoing HTTP;
//! - it gets the key-value store Spin provides for `key_value_stores = ["default"]`:
//!   `wasi:keyvalue/store` and `wasi:keyvalue/atomics` at 0.2.0-draft2 (`bindings`), in
//!   memory or in a SQLite file that survives a killed host (`kv`);
//! - it gets `wasi:config/store` (Spin's component variables) with the `--config key=value`
//!   values (`config`);
//! - `--static PREFIX=DIR` serves files under a path prefix instead of the component, as the
//!   spin-fileserver component would (`static_files`).
//!
//! It makes no attempt at Spin's manifest, triggers, routing, runtime configuration,
//! resource limits or security hardening. Use `spin up` to run cpm for real
//! (docs/edge.md).

pub mod bindings;
pub mod config;
pub mod kv;
pub mod server;
pub mod static_files;
