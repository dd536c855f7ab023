//! The `cpm-test-host` command (a TEST host, see the crate documentation): parses the
//! command line, opens the key-value store, compiles and links the component, prints
//! `listening on http://ADDR` on stdout once it serves, and stops on SIGTERM or SIGINT.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use cpm_test_host::kv::{Faults, Kv};
use cpm_test_host::server::{self, Guest, Host};

/// A TEST host for the cpm edge component: serves it over HTTP/1.1 with wasmtime, one
/// instance per request, with Spin's wasi:keyvalue store. Not for production: use Spin.
#[derive(Parser, Debug)]
#[command(name = "cpm-test-host", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "HOST:PORT")]
    listen: String,
    /// Keep the key-value stores in this SQLite file (created when missing, kept across
    /// restarts; every write is committed before the component sees it succeed).
    #[arg(long, value_name = "PATH", conflicts_with = "kv_memory")]
    kv_sqlite: Option<PathBuf>,
    /// Keep the key-value stores in memory (the default; lost on exit).
    #[arg(long)]
    kv_memory: bool,
    /// Grant the component the key-value store NAME (repeatable; default: `default`), like
    /// `key_value_stores` in spin.toml. Opening any other store is `access-denied`.
    #[arg(long = "store", value_name = "NAME")]
    stores: Vec<String>,
    /// Set an environment variable in the component (repeatable).
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// Give the component the configuration value KEY (wasi:config/store, as Spin does for
    /// `[component.NAME.variables]`; repeatable): `--config admin_tokens=alice:secret`.
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_env)]
    config: Vec<(String, String)>,
    /// Serve the files of DIR under the path PREFIX instead of the component (repeatable),
    /// as spin-fileserver would: `--static /console=js/console/dist`.
    #[arg(long = "static", value_name = "PREFIX=DIR", value_parser = cpm_test_host::static_files::parse_mount)]
    statics: Vec<cpm_test_host::static_files::Mount>,
    /// Mount a host directory in the component, read-write (repeatable).
    #[arg(long = "dir", value_name = "HOST::GUEST", value_parser = parse_dir)]
    dirs: Vec<(PathBuf, String)>,
    /// Keep compiled components in this directory, keyed by the wasm's SHA-256, so later
    /// starts skip compilation.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Inject a fault into the key-value store (repeatable), for reliability tests:
    /// `kv-error-every=N` fails every Nth store call with an error before it touches a row;
    /// `crash-after-write=N` aborts the host right after its Nth write is committed, before
    /// the component hears of it.
    #[arg(long = "fault", value_name = "NAME=N")]
    faults: Vec<String>,
    /// Worker threads serving requests (default: the number of CPUs, at least 2).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// The component (`cargo build -p cpm-edge --target wasm32-wasip2 --release`).
    #[arg(value_name = "COMPONENT.wasm")]
    component: PathBuf,
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

fn parse_dir(text: &str) -> Result<(PathBuf, String), String> {
    match text.split_once("::") {
        Some((host, guest)) if !host.is_empty() && !guest.is_empty() => {
            Ok((PathBuf::from(host), guest.to_owned()))
        }
        _ => Err(format!(
            "`{text}` is not HOST::GUEST (a host directory, `::`, a guest path)"
        )),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cpm-test-host: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let stores = if args.stores.is_empty() {
        vec!["default".to_owned()]
    } else {
        args.stores
    };
    let mut faults = Faults::default();
    for fault in &args.faults {
        faults.add(fault)?;
    }
    let kv = match &args.kv_sqlite {
        Some(path) => Kv::sqlite(path, stores).map_err(|e| e.to_string())?,
        None => Kv::memory(stores),
    }
    .with_faults(faults);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
        .max(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = server::bind(&args.listen).map_err(|e| e.to_string())?;
        let engine = server::engine().map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        let component = server::load_component(&engine, &args.component, args.cache.as_deref())
            .map_err(|e| e.to_string())?;
        let guest = Guest {
            env: args.env,
            dirs: args.dirs,
            config: Arc::new(args.config.into_iter().collect()),
            statics: args.statics,
        };
        let host = Host::new(&engine, &args.component, &component, kv.clone(), guest)
            .map_err(|e| e.to_string())?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        let store_text = match &args.kv_sqlite {
            Some(path) => format!("SQLite `{}`", path.display()),
            None => "in memory".to_owned(),
        };
        let fault_text = if kv.faults() == Faults::default() {
            String::new()
        } else {
            format!("; injecting faults {:?}", kv.faults())
        };
        eprintln!(
            "cpm-test-host: `{}` ready in {} ms; key-value stores [{}] {store_text}{fault_text}",
            args.component.display(),
            started.elapsed().as_millis(),
            kv.granted().collect::<Vec<_>>().join(", "),
        );
        {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "listening on http://{addr}")
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write to stdout: {e}"))?;
        }
        let stop = stop_signal()?;
        Arc::new(host).serve(listener, stop).await;
        eprintln!("cpm-test-host: stopped");
        Ok(())
    })
}

/// Completes on SIGTERM or SIGINT.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot listen for SIGINT: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
