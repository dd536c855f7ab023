//! Where the bundle comes from: compiled into the component at build time, or a file named
//! by the environment variable `CPM_BUNDLE_FILE`.
//!
//! Pipeline position: before every request is answered. `build.rs` compiles the rules folder
//! (`CPM_RULES`, default `examples/customer`) into the bundle embedded here. Setting
//! `CPM_BUNDLE_FILE` to a path the component can read (a WASI preopened directory: Spin's
//! `files = [...]`, `wasmtime serve --dir`) serves that bundle instead, so one component
//! binary can serve any bundle built with `cpm build`.

use std::borrow::Cow;

use crate::service::{BundleBytes, LoadError};

/// The bundle compiled from the rules folder when the component was built.
pub const EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bundle.cpm"));

/// The environment variable naming a bundle file that overrides the embedded bundle.
pub const BUNDLE_FILE_VAR: &str = "CPM_BUNDLE_FILE";

/// The bundle this instance serves: the file named by `CPM_BUNDLE_FILE` when set and not
/// empty, the embedded bundle otherwise. A file that cannot be read is logged (with its
/// path) to standard error, and reported to clients without the path.
pub fn active() -> BundleBytes<'static> {
    match std::env::var(BUNDLE_FILE_VAR) {
        Ok(path) if !path.is_empty() => match std::fs::read(&path) {
            Ok(bytes) => Ok(Cow::Owned(bytes)),
            Err(e) => {
                eprintln!(
                    "cpm-edge: cannot read the bundle file `{path}` ({BUNDLE_FILE_VAR}): {e}"
                );
                Err(LoadError::File)
            }
        },
        _ => Ok(Cow::Borrowed(EMBEDDED)),
    }
}
