//! Errors of the `bundle` stage.

use thiserror::Error;

/// A bundle could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bytes do not start with the bundle magic.
    #[error("not a cpm bundle (it does not start with `CPMB`); build one with `cpm build`")]
    NotABundle,
    /// The bundle was written by another format version.
    #[error(
        "bundle format version {found} is not supported (this build reads version {supported}); rebuild the bundle with this version of cpm"
    )]
    Version {
        /// The version in the bundle.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The bytes start like a bundle but end before its header does.
    #[error("the bundle is truncated: {size} bytes, shorter than its 40-byte header")]
    Truncated {
        /// How many bytes there are.
        size: usize,
    },
    /// The payload does not match the hash in the header.
    #[error("the bundle is corrupt or truncated (its content does not match its hash)")]
    HashMismatch,
    /// The bundle is larger than allowed.
    #[error("the bundle is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The payload could not be decoded.
    #[error("the bundle payload cannot be decoded: {0}")]
    Decode(String),
    /// The program could not be encoded.
    #[error("the program cannot be encoded: {0}")]
    Encode(String),
}
