//! Compiled bundles: the bytes that carry a compiled rules folder to every target.
//!
//! Pipeline position: after `compile`, before `decide`. Layout: the magic `CPMB`, the format
//! version (u32, big-endian), the SHA-256 of the payload (32 bytes), then the payload: the
//! [`Program`] as MessagePack (written by rmp-serde, read back by the hand-written `read`
//! module, which is far smaller in the browser build). The hash is of the payload bytes, so it is the
//! same on every machine for the same program, and decoding refuses a bundle whose payload
//! does not match its hash.

pub mod err;
mod read;

use sha2::{Digest, Sha256};

use crate::ir::Program;

pub use err::BundleError;

/// The bundle format this build writes and reads.
///
/// Version 2 added the program's `processes` and `templates` after its `models`; version 1
/// bundles (models only) are refused with [`BundleError::Version`], so rebuild them.
pub const FORMAT_VERSION: u32 = 2;

/// The first bytes of every bundle.
pub const MAGIC: &[u8; 4] = b"CPMB";

/// Largest bundle accepted by [`decode`] (64 MiB).
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

const HEADER_LEN: usize = 4 + 4 + 32;

/// A decoded (or freshly compiled) bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// The compiled program.
    pub program: Program,
    /// The content hash: lowercase hex SHA-256 of the payload.
    pub hash: String,
    /// What of the program was read: everything, or its decisions only.
    pub contents: Contents,
}

/// What of a bundle's program was read ([`decode`] or [`decode_decisions`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    /// The whole program: models, processes and templates.
    Everything,
    /// The models only: the processes and templates were checked to be well-formed
    /// MessagePack and skipped, and the program holds none. Process operations on such a
    /// bundle fail with `decisions-only`.
    DecisionsOnly,
}

impl Bundle {
    /// Wraps a compiled program, computing its hash.
    ///
    /// # Errors
    /// [`BundleError::Encode`] if the program cannot be serialized.
    pub fn new(program: Program) -> Result<Self, BundleError> {
        let payload = payload(&program)?;
        Ok(Self {
            hash: hex(&Sha256::digest(&payload)),
            program,
            contents: Contents::Everything,
        })
    }

    /// The bundle's bytes.
    ///
    /// # Errors
    /// [`BundleError::Encode`] if the program cannot be serialized.
    pub fn encode(&self) -> Result<Vec<u8>, BundleError> {
        let payload = payload(&self.program)?;
        let digest = Sha256::digest(&payload);
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
        out.extend_from_slice(&digest);
        out.extend_from_slice(&payload);
        Ok(out)
    }
}

/// Reads a bundle from its bytes, checking magic, format version, size and hash.
///
/// # Errors
/// [`BundleError`] naming what is wrong: not a bundle, another format version, truncated,
/// corrupt payload.
pub fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
    decode_contents(bytes, Contents::Everything)
}

/// [`decode`] for an engine that answers decision requests only: the same checks, but the
/// program's processes and templates are skipped, not read (nor linked into a build that
/// never calls [`decode`], such as the browser's decisions-only runtime).
///
/// # Errors
/// As [`decode`]; a malformed process or template is noticed only as far as its
/// MessagePack structure goes.
pub fn decode_decisions(bytes: &[u8]) -> Result<Bundle, BundleError> {
    decode_contents(bytes, Contents::DecisionsOnly)
}

fn decode_contents(bytes: &[u8], contents: Contents) -> Result<Bundle, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge {
            size: bytes.len(),
            limit: MAX_BUNDLE_BYTES,
        });
    }
    if bytes.get(0..4) != Some(&MAGIC[..]) {
        return Err(BundleError::NotABundle);
    }
    let truncated = || BundleError::Truncated { size: bytes.len() };
    // Checked before the rest of the header, so a bundle from another version is named as
    // such even when this build would lay out the header differently.
    let version = bytes
        .get(4..8)
        .and_then(|v| <[u8; 4]>::try_from(v).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(truncated)?;
    if version != FORMAT_VERSION {
        return Err(BundleError::Version {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let (Some(digest), Some(payload)) = (bytes.get(8..HEADER_LEN), bytes.get(HEADER_LEN..)) else {
        return Err(truncated());
    };
    let actual = Sha256::digest(payload);
    if actual.as_slice() != digest {
        return Err(BundleError::HashMismatch);
    }
    let program = match contents {
        Contents::Everything => read::program(payload),
        Contents::DecisionsOnly => read::decisions(payload),
    }
    .map_err(BundleError::Decode)?;
    Ok(Bundle {
        program,
        hash: hex(&actual),
        contents,
    })
}

fn payload(program: &Program) -> Result<Vec<u8>, BundleError> {
    rmp_serde::to_vec(program).map_err(|e| BundleError::Encode(e.to_string()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
