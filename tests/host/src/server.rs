//! Serving: compiles the component once (optionally through an on-disk cache), links
//! wasmtime-wasi, wasmtime-wasi-http and the key-value imports of `crate::bindings`, and
//! answers every HTTP/1.1 request on a listener in a fresh instance (as Spin does),
//! concurrently on a multi-thread tokio runtime, until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

use crate::bindings::{self, KvView};
use crate::config::{self, ConfigView};
use crate::kv::Kv;
use crate::static_files::{self, Mount};

/// The wasmtime release the host is built on (part of the compiled-component cache key;
/// wasmtime itself also refuses artifacts from another version or configuration).
pub const WASMTIME_VERSION: &str = "48.0.8";

/// How long a stopping host waits for requests in flight before it exits anyway.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// What goes wrong while setting up or serving.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The component file cannot be read.
    #[error("cannot read the component `{path}`: {source}")]
    ReadComponent {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// wasmtime rejects the component (not a component, or invalid).
    #[error("cannot compile the component `{path}`: {message}")]
    Compile {
        /// The file.
        path: PathBuf,
        /// wasmtime's explanation.
        message: String,
    },
    /// The component imports something the host does not provide, or does not export
    /// `wasi:http/incoming-handler@0.2.x`.
    #[error("cannot link the component `{path}`: {message}")]
    Link {
        /// The file.
        path: PathBuf,
        /// wasmtime's explanation (names the missing import or export).
        message: String,
    },
    /// A `--dir` host directory cannot be opened.
    #[error("cannot open the directory `{path}` for `--dir`: {message}")]
    Dir {
        /// The host directory.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// wasmtime's engine cannot be created.
    #[error("cannot set up wasmtime: {0}")]
    Engine(String),
    /// The listener cannot be used.
    #[error("cannot listen on `{addr}`: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// How instances are set up for each request.
#[derive(Clone, Debug, Default)]
pub struct Guest {
    /// Environment variables (`--env K=V`).
    pub env: Vec<(String, String)>,
    /// Preopened directories: host path and guest path (`--dir HOST::GUEST`), read-write.
    pub dirs: Vec<(PathBuf, String)>,
    /// `wasi:config/store` values (`--config KEY=VALUE`).
    pub config: config::Values,
    /// Static file mounts answered by the host itself (`--static PREFIX=DIR`).
    pub statics: Vec<Mount>,
}

/// A compiled, linked component ready to serve: instantiated anew for every request.
pub struct Host {
    pre: ProxyPre<State>,
    guest: Guest,
    kv: Kv,
    in_flight: AtomicUsize,
    next_id: AtomicUsize,
}

/// Per-instance data: WASI, wasi:http and key-value state.
struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: NoOutgoingRequests,
    table: ResourceTable,
    kv: Kv,
    config: config::Values,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// The component may not make outgoing HTTP requests (the edge's `spin.toml` allows no
/// outbound hosts): every attempt is denied.
struct NoOutgoingRequests;

impl WasiHttpHooks for NoOutgoingRequests {
    fn send_request(
        &mut self,
        _request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
                )>,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

/// The engine the host compiles with (cranelift, component model, async).
pub fn engine() -> Result<Engine, HostError> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    Engine::new(&config).map_err(|e| HostError::Engine(format!("{e:#}")))
}

/// Reads and compiles the component at `path`. With `cache`, the compiled code is kept in
/// that directory under the SHA-256 of the wasm bytes and reused while the wasm is
/// unchanged (a stale or foreign entry is compiled again and replaced).
pub fn load_component(
    engine: &Engine,
    path: &Path,
    cache: Option<&Path>,
) -> Result<Component, HostError> {
    let bytes = std::fs::read(path).map_err(|source| HostError::ReadComponent {
        path: path.to_owned(),
        source,
    })?;
    let compile = |bytes: &[u8]| {
        Component::from_binary(engine, bytes).map_err(|e| HostError::Compile {
            path: path.to_owned(),
            message: format!("{e:#}"),
        })
    };
    let Some(dir) = cache else {
        return compile(&bytes);
    };
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let entry = dir.join(format!("{hex}-wasmtime-{WASMTIME_VERSION}.cwasm"));
    if entry.is_file() {
        // SAFETY: the entry was written by `Component::serialize` of this host (below),
        // into a cache directory the test setup owns, under the hash of the very wasm
        // bytes; wasmtime checks the version and configuration it was compiled with and
        // refuses a mismatch (then it is compiled again).
        #[expect(unsafe_code, reason = "loading precompiled code is unsafe in wasmtime")]
        let loaded = unsafe { Component::deserialize_file(engine, &entry) };
        match loaded {
            Ok(component) => return Ok(component),
            Err(e) => eprintln!(
                "cpm-test-host: the cached `{}` is not usable ({e:#}); compiling again",
                entry.display()
            ),
        }
    }
    let component = compile(&bytes)?;
    match component.serialize() {
        Ok(serialized) => {
            // Write under a unique name, then rename: concurrent hosts never read half a file.
            static NEXT_TMP: AtomicUsize = AtomicUsize::new(0);
            let tmp = dir.join(format!(
                "{hex}.{}.{}.tmp",
                std::process::id(),
                NEXT_TMP.fetch_add(1, Ordering::SeqCst)
            ));
            let written = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&tmp, serialized))
                .and_then(|()| std::fs::rename(&tmp, &entry));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                eprintln!(
                    "cpm-test-host: cannot write the compiled component to `{}` ({e}); continuing without the cache",
                    entry.display()
                );
            }
        }
        Err(e) => eprintln!("cpm-test-host: cannot serialize the compiled component ({e:#})"),
    }
    Ok(component)
}

impl Host {
    /// Links `component` (from `path`, for messages) with WASI, wasi:http and the key-value
    /// store `kv`, and checks that every import is satisfied and `guest.dirs` can be opened.
    pub fn new(
        engine: &Engine,
        path: &Path,
        component: &Component,
        kv: Kv,
        guest: Guest,
    ) -> Result<Host, HostError> {
        let link_error = |e: wasmtime::Error| HostError::Link {
            path: path.to_owned(),
            message: format!("{e:#}"),
        };
        let mut linker = Linker::<State>::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link_error)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(link_error)?;
        bindings::add_to_linker(&mut linker, |state: &mut State| KvView {
            kv: &state.kv,
            table: &mut state.table,
        })
        .map_err(link_error)?;
        config::add_to_linker(&mut linker, |state: &mut State| ConfigView {
            values: &state.config,
        })
        .map_err(link_error)?;
        let pre = linker
            .instantiate_pre(component)
            .and_then(ProxyPre::new)
            .map_err(link_error)?;
        let host = Host {
            pre,
            guest,
            kv,
            in_flight: AtomicUsize::new(0),
            next_id: AtomicUsize::new(0),
        };
        // Open the directories once now, so a wrong `--dir` fails at start-up.
        host.wasi_ctx()?;
        Ok(host)
    }

    fn wasi_ctx(&self) -> Result<WasiCtx, HostError> {
        let mut builder = WasiCtxBuilder::new();
        // The host's stdout carries only the `listening on` line: guest output goes to
        // the host's stderr.
        builder.stdout(std::io::stderr()).inherit_stderr();
        for (name, value) in &self.guest.env {
            builder.env(name, value);
        }
        for (host_path, guest_path) in &self.guest.dirs {
            builder
                .preopened_dir(host_path, guest_path, FsPerms::ReadWrite)
                .map_err(|e| HostError::Dir {
                    path: host_path.clone(),
                    message: format!("{e:#}"),
                })?;
        }
        Ok(builder.build())
    }

    /// Serves `listener` until `stop` completes, then stops accepting and waits (up to
    /// 30 s) for requests in flight.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let host = Arc::clone(&self);
                        tokio::spawn(async move { host.serve_connection(stream, peer).await });
                    }
                    Err(e) => {
                        eprintln!("cpm-test-host: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
        drop(listener);
        let started = Instant::now();
        while self.in_flight.load(Ordering::SeqCst) > 0 && started.elapsed() < DRAIN_LIMIT {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn serve_connection(self: Arc<Self>, stream: tokio::net::TcpStream, peer: SocketAddr) {
        let host = Arc::clone(&self);
        let service = hyper::service::service_fn(move |request| {
            let host = Arc::clone(&host);
            async move { Ok::<_, std::convert::Infallible>(host.handle(request).await) }
        });
        if let Err(e) = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service)
            .await
        {
            eprintln!("cpm-test-host: connection from {peer}: {e}");
        }
    }

    /// Answers one request in a fresh instance. A guest that traps or answers no response
    /// gets a plain-text 500 (and the reason on stderr).
    async fn handle(
        self: Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<HyperOutgoingBody> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        if let Some(mount) = static_files::mount_for(&self.guest.statics, request.uri().path()) {
            let answer =
                static_files::answer(mount, request.method().as_str(), request.uri().path()).await;
            return static_response(answer, request.method() == http::Method::HEAD);
        }
        match Arc::clone(&self).run_guest(request).await {
            Ok(response) => response,
            Err(message) => {
                eprintln!("cpm-test-host: request {id}: {message}");
                let mut response = hyper::Response::new(
                    Full::new(Bytes::from(format!("cpm-test-host: {message}\n")))
                        .map_err(|never| match never {})
                        .boxed_unsync(),
                );
                *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                response
            }
        }
    }

    async fn run_guest(
        self: Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>, String> {
        let wasi = self.wasi_ctx().map_err(|e| e.to_string())?;
        let mut store = Store::new(
            self.pre.engine(),
            State {
                wasi,
                http: WasiHttpCtx::new(),
                hooks: NoOutgoingRequests,
                table: ResourceTable::new(),
                kv: self.kv.clone(),
                config: Arc::clone(&self.guest.config),
            },
        );
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(|e| format!("{e:#}"))?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(|e| format!("{e:#}"))?;
        let pre = self.pre.clone();
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let host = Arc::clone(&self);
        // The guest runs in its own task: it may keep writing the body after the head of
        // the response has been handed to hyper.
        let task = tokio::spawn(async move {
            let result = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            }
            .await;
            host.in_flight.fetch_sub(1, Ordering::SeqCst);
            result
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(format!("the component answered with the error {code:?}")),
            Err(_) => match task.await {
                Ok(Ok(())) => Err("the component set no response".to_owned()),
                Ok(Err(e)) => Err(format!("the component failed: {e:#}")),
                Err(e) => Err(format!("the component's task failed: {e}")),
            },
        }
    }
}

/// The HTTP response of a static file answer (no body for `HEAD`).
fn static_response(answer: static_files::Answer, head: bool) -> hyper::Response<HyperOutgoingBody> {
    use static_files::Answer;
    let (status, content_type, location, body) = match answer {
        Answer::File { content_type, body } => (http::StatusCode::OK, content_type, None, body),
        Answer::Redirect(to) => (
            http::StatusCode::MOVED_PERMANENTLY,
            "text/plain; charset=utf-8",
            Some(to),
            Bytes::new(),
        ),
        Answer::NotFound => (
            http::StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            None,
            Bytes::from_static(b"not found\n"),
        ),
        Answer::MethodNotAllowed => (
            http::StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            None,
            Bytes::from_static(b"only GET and HEAD\n"),
        ),
    };
    let length = body.len();
    let body = if head { Bytes::new() } else { body };
    let mut response = hyper::Response::new(
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    headers.insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(length),
    );
    if let Some(location) = location
        && let Ok(value) = http::HeaderValue::from_str(&location)
    {
        headers.insert(http::header::LOCATION, value);
    }
    if status == http::StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD"),
        );
    }
    response
}

/// Binds `addr` (host:port; port 0 picks a free one) for [`Host::serve`].
pub fn bind(addr: &str) -> Result<TcpListener, HostError> {
    let fail = |source| HostError::Listen {
        addr: addr.to_owned(),
        source,
    };
    let listener = std::net::TcpListener::bind(addr).map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    TcpListener::from_std(listener).map_err(fail)
}
