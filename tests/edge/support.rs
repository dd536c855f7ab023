//! Test support: the built component served by the test host `cpm-test-host`
//! (`tests/host`) on 127.0.0.1, a small blocking HTTP/1.1 client, and bundles built
//! natively with cpm-core.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;

/// Where the bundle directory is mounted inside the component.
const GUEST_DIR: &str = "/bundles";

/// How long a host may take to print its `listening on` line (the first start compiles
/// the component; later starts load it from the host's cache under `target/`).
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// Serializes host start-up, so the component is compiled once and the other starts
/// load it from the cache.
static STARTING: Mutex<()> = Mutex::new(());

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Cargo's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Runs `cargo build ARGS` in the workspace (a no-op when everything is fresh).
fn cargo_build(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .arg("build")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo build {}` failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The test host binary: `$CPM_TEST_HOST` when set, else the debug build of
/// `cpm-test-host`, brought up to date once per test run with `cargo build -p
/// cpm-test-host` (a no-op after `cargo test --workspace` built it).
pub fn test_host() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        if let Some(path) = std::env::var_os("CPM_TEST_HOST") {
            return Ok(PathBuf::from(path));
        }
        cargo_build(&["-p", "cpm-test-host"])?;
        Ok(target_dir().join("debug/cpm-test-host"))
    });
    match built {
        Ok(path) => path.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// The built component: `$CPM_EDGE_WASM` when set, else the release build of cpm-edge for
/// `wasm32-wasip2`, brought up to date once per test run with
/// `cargo build -p cpm-edge --target wasm32-wasip2 --release` (a no-op when it is fresh).
pub fn component() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        if let Some(path) = std::env::var_os("CPM_EDGE_WASM") {
            return Ok(PathBuf::from(path));
        }
        cargo_build(&["-p", "cpm-edge", "--target", "wasm32-wasip2", "--release"])?;
        Ok(target_dir().join("wasm32-wasip2/release/cpm_edge.wasm"))
    });
    match built {
        Ok(path) => path.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// Builds a model natively and returns the bundle bytes.
pub fn bundle(name: &str, model: &str) -> Result<Vec<u8>, Vec<(String, u32)>> {
    let files = [SourceText {
        path: format!("{name}.yaml"),
        text: model.to_owned(),
    }];
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => Ok(bundle.encode().expect("encode bundle")),
        BuildAnswer::Failure { errors, .. } => Err(errors
            .iter()
            .map(|d| (d.code.clone(), d.location.as_ref().map_or(0, |l| l.line)))
            .collect()),
    }
}

/// A new directory for one server.
fn server_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cpm-edge-tests-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("create the server directory");
    dir
}

/// Where a [`Server`] keeps its key-value store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// In the host's memory: gone when the host stops.
    Memory,
    /// In a SQLite file in the server's directory ([`Server::sqlite_path`]): kept across
    /// [`Server::kill`] and [`Server::restart`].
    Sqlite,
}

/// The component served by `cpm-test-host`, with its own directory (the bundle, the
/// SQLite store, the host's log); the host is killed and the directory removed when
/// dropped.
pub struct Server {
    child: Option<Child>,
    /// The port on 127.0.0.1 (a new one after each restart).
    pub port: u16,
    dir: PathBuf,
    store: Store,
    /// Whether the component serves `bundle.cpm` (`CPM_BUNDLE_FILE`) or its embedded bundle.
    bundle_file: bool,
    /// More host arguments (`--config KEY=VALUE`, `--static PREFIX=DIR`, `--fault …`), before
    /// the component.
    host_args: Vec<String>,
}

impl Server {
    /// Serves the component with `bundle` as the file named by `CPM_BUNDLE_FILE` and an
    /// in-memory key-value store, once it listens.
    pub fn start(bundle: &[u8]) -> Server {
        Server::start_with(bundle, Store::Memory)
    }

    /// Serves the component with `bundle` and the key-value store `store`.
    pub fn start_with(bundle: &[u8], store: Store) -> Server {
        Server::start_with_args(bundle, store, &[])
    }

    /// Serves the component with `bundle` and `store`, passing `host_args` to the test host
    /// (such as `--fault kv-error-every=4`).
    pub fn start_with_args(bundle: &[u8], store: Store, host_args: &[&str]) -> Server {
        let dir = server_dir();
        let mut server = Server {
            child: None,
            port: 0,
            dir,
            store,
            bundle_file: true,
            host_args: host_args.iter().map(|a| (*a).to_owned()).collect(),
        };
        server.set_bundle(bundle);
        server.spawn();
        server
    }

    /// Serves the component's embedded bundle (`examples/customer`) with the key-value store
    /// `store` and more host arguments (`--config admin_tokens=alice:…`).
    #[allow(
        dead_code,
        reason = "used by the admin tests; `http.rs` includes this module too"
    )]
    pub fn start_embedded(store: Store, extra: &[&str]) -> Server {
        let dir = server_dir();
        let mut server = Server {
            child: None,
            port: 0,
            dir,
            store,
            bundle_file: false,
            host_args: extra.iter().map(|a| (*a).to_owned()).collect(),
        };
        server.spawn();
        server
    }

    /// The SQLite file of a [`Store::Sqlite`] server.
    pub fn sqlite_path(&self) -> PathBuf {
        self.dir.join("kv.sqlite")
    }

    /// Starts the host process and waits for its `listening on` line.
    fn spawn(&mut self) {
        let host = test_host();
        let component = component();
        let _starting = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("open the server log");
        let mut command = Command::new(&host);
        command
            .args(["--listen", "127.0.0.1:0", "--cache"])
            .arg(target_dir().join("cpm-test-host-cache"))
            .arg("--dir")
            .arg(format!("{}::{GUEST_DIR}", self.dir.display()));
        if self.bundle_file {
            command
                .arg("--env")
                .arg(format!("CPM_BUNDLE_FILE={GUEST_DIR}/bundle.cpm"));
        }
        command
            // Requests may set the clock with `cpm-now` (the process vectors run at their
            // own times); decision requests do not use it.
            .args(["--env", "CPM_TEST_CLOCK=header"]);
        match self.store {
            Store::Memory => command.arg("--kv-memory"),
            Store::Sqlite => command.arg("--kv-sqlite").arg(self.sqlite_path()),
        };
        let mut child = command
            .args(&self.host_args)
            .arg(&component)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", host.display()));
        let stdout = child.stdout.take().expect("the host's stdout is piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let port = line
            .trim()
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let status = child.wait();
            panic!(
                "the test host did not start (stdout `{}`, exit {status:?}):\n{}",
                line.trim(),
                self.log()
            );
        };
        self.port = port;
        self.child = Some(child);
    }

    /// Kills the host with SIGKILL (no clean shutdown: requests in flight are cut) and
    /// waits for it to exit. The directory and the SQLite file stay.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the host with SIGTERM (it finishes requests in flight) and returns its exit
    /// status.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the host is running");
        let signalled = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(signalled.success(), "kill -TERM failed");
        child.wait().expect("wait for the host")
    }

    /// Starts the host again (killing it first if it runs) on the same directory, bundle
    /// and key-value store; the port changes.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Replaces the host arguments used from the next [`Server::restart`] on.
    pub fn set_host_args(&mut self, host_args: &[&str]) {
        self.host_args = host_args.iter().map(|a| (*a).to_owned()).collect();
    }

    /// Replaces the served bundle; each request reads the file anew.
    pub fn set_bundle(&self, bundle: &[u8]) {
        let tmp = self.dir.join("bundle.cpm.tmp");
        std::fs::write(&tmp, bundle).expect("write the bundle");
        std::fs::rename(&tmp, self.dir.join("bundle.cpm")).expect("move the bundle in place");
    }

    /// The server's standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Sends a request and reads the reply; panics on transport errors (with the server log).
    pub fn send(&self, req: &Req) -> Reply {
        self.try_send(req).unwrap_or_else(|e| {
            panic!(
                "{} {}: {e}\nserver log:\n{}",
                req.method,
                req.path,
                self.log()
            )
        })
    }

    /// Sends a request and reads the reply.
    pub fn try_send(&self, req: &Req) -> std::io::Result<Reply> {
        send_to(self.port, req)
    }
}

/// Sends a request to the server on 127.0.0.1:`port` and reads the reply (for callers that
/// must not hold the [`Server`] while the request is in flight, so it can be killed).
pub fn send_to(port: u16, req: &Req) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.set_write_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\nconnection: close\r\n",
        req.method, req.path, port
    );
    for (name, value) in &req.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !req.headers.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    }) {
        head.push_str(&format!("content-length: {}\r\n", req.body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // Write the body from another thread, so a server that answers before reading it
    // all cannot block us.
    let body = req.body.clone();
    let mut writer = stream.try_clone()?;
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&body);
        let _ = writer.flush();
    });
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    let _ = stream.shutdown(Shutdown::Both);
    let _ = sender.join();
    if let Err(e) = read
        && raw.is_empty()
    {
        return Err(e);
    }
    parse_reply(&raw)
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A request to send.
#[derive(Clone, Debug)]
pub struct Req {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes (sent as given; with `transfer-encoding: chunked` already chunked).
    pub body: Vec<u8>,
}

impl Req {
    /// A `GET`.
    pub fn get(path: &str) -> Req {
        Req {
            method: "GET".into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` with a JSON body.
    pub fn post_json(path: &str, body: &str) -> Req {
        Req {
            method: "POST".into(),
            path: path.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// The same request with another header.
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A reply.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body bytes (de-chunked).
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text()))
    }
}

fn parse_reply(raw: &[u8]) -> std::io::Result<Reply> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest).ok_or_else(|| bad("bad chunked body"))?
    } else if let Some(len) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        if rest.len() < len {
            return Err(bad("body shorter than content-length"));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// Percent-encodes a decision name for the path.
pub fn encode_name(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string()
}
