//! Test support: the built component served by `wasmtime serve` on 127.0.0.1, a small
//! blocking HTTP/1.1 client, and bundles built natively with cpm-core.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;

/// The wasmtime release the tests are run with (the newest that builds with rustc 1.95).
pub const WASMTIME_VERSION: &str = "48.0.8";

/// Where the bundle directory is mounted inside the component.
const GUEST_DIR: &str = "/bundles";

/// How long a server may take to answer `/healthz` (the first start compiles the component;
/// later starts hit wasmtime's compilation cache).
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// Serializes server start-up, so only one compilation of the component runs at a time and
/// the others reuse wasmtime's cache.
static STARTING: Mutex<()> = Mutex::new(());

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `wasmtime` binary: `$WASMTIME`, else `wasmtime` on `PATH`, else `~/.cargo/bin/wasmtime`.
/// Panics with instructions when there is none.
pub fn wasmtime() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("WASMTIME")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("wasmtime"))
                .collect::<Vec<_>>()
        }))
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/wasmtime")))
        .collect();
    let Some(found) = candidates.into_iter().find(|p| p.is_file()) else {
        panic!(
            "`wasmtime` was not found (looked at $WASMTIME, PATH and ~/.cargo/bin); the edge tests \
             serve the component with it. Install it with \
             `cargo install --locked wasmtime-cli --version {WASMTIME_VERSION}` (scripts/test does)"
        );
    };
    let version = Command::new(&found)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{} --version`: {e}", found.display()));
    let text = String::from_utf8_lossy(&version.stdout);
    if !text.contains(WASMTIME_VERSION) {
        eprintln!(
            "note: {} is `{}`; the tests are pinned to wasmtime {WASMTIME_VERSION}",
            found.display(),
            text.trim()
        );
    }
    found
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
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .current_dir(workspace_root())
            .args([
                "build",
                "-p",
                "cpm-edge",
                "--target",
                "wasm32-wasip2",
                "--release",
            ])
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "`cargo build -p cpm-edge --target wasm32-wasip2 --release` failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        Ok(target.join("wasm32-wasip2/release/cpm_edge.wasm"))
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

/// A running `wasmtime serve` of the component; killed when dropped.
pub struct Server {
    child: Child,
    /// The port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
}

impl Server {
    /// Serves the component with `bundle` as the file named by `CPM_BUNDLE_FILE`, and waits
    /// until `/healthz` answers 200.
    pub fn start(bundle: &[u8]) -> Server {
        let wasmtime = wasmtime();
        let component = component();
        let dir = std::env::temp_dir().join(format!(
            "cpm-edge-tests-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create the bundle directory");
        let _starting = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        let port = free_port();
        let log = std::fs::File::create(dir.join("server.log")).expect("create the server log");
        let child = Command::new(&wasmtime)
            .arg("serve")
            .args(["-S", "cli"])
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--dir")
            .arg(format!("{}::{GUEST_DIR}", dir.display()))
            .arg("--env")
            .arg(format!("CPM_BUNDLE_FILE={GUEST_DIR}/bundle.cpm"))
            .arg(&component)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", wasmtime.display()));
        let mut server = Server { child, port, dir };
        server.set_bundle(bundle);
        server.wait_ready();
        server
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

    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "wasmtime serve exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            if let Ok(reply) = self.try_send(&Req::get("/healthz"))
                && reply.status == 200
            {
                return;
            }
            assert!(
                start.elapsed() < START_TIMEOUT,
                "the component did not answer `/healthz` within {START_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
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
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        stream.set_write_timeout(Some(Duration::from_secs(120)))?;
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\nconnection: close\r\n",
            req.method, req.path, self.port
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
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
