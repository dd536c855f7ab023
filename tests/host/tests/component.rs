//! The `cpm-test-host` binary serving the real cpm edge component (built with
//! `cargo build -p cpm-edge --target wasm32-wasip2 --release`, or `$CPM_EDGE_WASM`):
//! start-up line, requests, concurrency, SIGTERM, and start-up errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const HOST: &str = env!("CARGO_BIN_EXE_cpm-test-host");

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The component, built once per test run.
fn component() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("CPM_EDGE_WASM") {
                return PathBuf::from(path);
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
                .unwrap();
            assert!(
                output.status.success(),
                "building the component failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            target_dir().join("wasm32-wasip2/release/cpm_edge.wasm")
        })
        .clone()
}

/// A running host; SIGKILLed when dropped unless stopped.
struct Running {
    child: Child,
    addr: String,
}

impl Running {
    fn start(extra: &[&str]) -> Running {
        let mut child = Command::new(HOST)
            .args(["--listen", "127.0.0.1:0", "--cache"])
            .arg(target_dir().join("cpm-test-host-cache"))
            .args(extra)
            .arg(component())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let Some(addr) = first.trim().strip_prefix("listening on http://") else {
            let status = child.wait().unwrap();
            panic!("the host printed `{first}` and exited with {status}");
        };
        Running {
            addr: addr.to_owned(),
            child,
        }
    }

    /// Sends one request (`connection: close`) and returns the status and body.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
        let body = raw
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap();
        (status, body)
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        self.child.wait().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serves_the_component_and_stops_on_sigterm() {
    let host = Running::start(&["--kv-memory"]);
    let (status, body) = host.request("GET", "/healthz", "");
    assert_eq!(status, 200, "{body}");
    let (status, body) = host.request(
        "POST",
        "/v1/decisions/Discount?explain=false",
        r#"{"Customer Tier":"gold","Order Total":620,"Country":"DE","Sales Channel":"online"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""decision":"Discount""#), "{body}");
    let (status, _) = host.request("GET", "/no/such/route", "");
    assert_eq!(status, 404);
    let status = host.terminate();
    assert!(status.success(), "SIGTERM gave {status}");
}

/// Requests run concurrently, each in its own instance.
#[test]
fn serves_concurrent_requests() {
    let host = Running::start(&[]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| host.request("GET", "/v1/decisions", "")))
            .collect();
        for handle in handles {
            let (status, body) = handle.join().unwrap();
            assert_eq!(status, 200, "{body}");
        }
    });
}

#[test]
fn start_up_errors_are_clear() {
    let dir = std::env::temp_dir().join(format!("cpm-test-host-errors-{}", std::process::id()));
    let cases: [(Vec<String>, &str); 3] = [
        (
            vec![dir.join("missing.wasm").display().to_string()],
            "cannot read the component",
        ),
        (
            vec![
                "--dir".into(),
                format!("{}::/bundles", dir.join("no-such-dir").display()),
                component().display().to_string(),
            ],
            "cannot open the directory",
        ),
        (
            vec![
                "--env".into(),
                "NOEQUALS".into(),
                component().display().to_string(),
            ],
            "is not NAME=VALUE",
        ),
    ];
    for (args, expected) in cases {
        let output = Command::new(HOST)
            .args(["--listen", "127.0.0.1:0"])
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} started");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed a listening line"
        );
    }
}
