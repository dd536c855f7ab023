//! Where cases are kept: a small key-value store trait with compare-and-swap, and its two
//! implementations.
//!
//! Pipeline position: below the case routes ([`crate::cases`]). The routes read a case,
//! let `cpm_core::api` compute the new one, and write it back with a compare-and-swap, so
//! two writers of one case cannot both win. Implementations:
//! - `wasi_kv` (only on `wasm32`): Spin's key-value store through spin-sdk 5.2's bindings
//!   of `wasi:keyvalue/store@0.2.0-draft2` and `wasi:keyvalue/atomics@0.2.0-draft2`;
//! - [`memory::MemoryStore`]: in memory, for native tests (it can also run a hook before a
//!   swap, to interleave a second writer).
//!
//! Limits (Spin's): keys of at most [`MAX_KEY_BYTES`] bytes, values of at most
//! [`MAX_VALUE_BYTES`]. The routes keep keys short by construction and refuse to write a
//! larger value with a clear problem before the store sees it.

pub mod memory;
#[cfg(target_arch = "wasm32")]
pub mod wasi_kv;

use thiserror::Error;

/// The longest key Spin's stores accept, in bytes.
pub const MAX_KEY_BYTES: usize = 255;

/// The largest value Spin's stores accept, in bytes (1 MiB).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Why the store could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is not granted to the component (`key_value_stores` in `spin.toml`).
    #[error("the key-value store `{store}` is not available to the component: {reason}")]
    Unavailable {
        /// The store's name.
        store: String,
        /// What the host said.
        reason: String,
    },
    /// Any other failure the host reported.
    #[error("the key-value store failed: {message}")]
    Failed {
        /// What the host said.
        message: String,
    },
}

/// Why a compare-and-swap did not write.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SwapError {
    /// Another writer changed the key since it was read; nothing was written.
    #[error("the key was changed by another writer since it was read")]
    Conflict,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A key-value store with compare-and-swap.
pub trait Store {
    /// What [`Store::read_for_swap`] remembers for [`Store::swap`].
    type Cas;

    /// The value of `key`, if it has one.
    ///
    /// # Errors
    /// [`StoreError`] when the store fails.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Reads `key` for a later [`Store::swap`]: its current value (`None` when absent) and
    /// the handle the swap needs.
    ///
    /// # Errors
    /// [`StoreError`] when the store fails.
    fn read_for_swap(&self, key: &str) -> Result<(Option<Vec<u8>>, Self::Cas), StoreError>;

    /// Writes `value` to the key `cas` was read from, only if nobody wrote it since (an
    /// absent key must still be absent). Durable when it returns `Ok`.
    ///
    /// # Errors
    /// [`SwapError::Conflict`] when another writer came first; [`SwapError::Store`] when
    /// the store fails.
    fn swap(&self, cas: Self::Cas, value: &[u8]) -> Result<(), SwapError>;

    /// One page of the keys that start with `prefix`, and the cursor of the next page
    /// (`None` on the last page).
    ///
    /// # Errors
    /// [`StoreError`] when the store fails.
    fn list_keys(
        &self,
        prefix: &str,
        cursor: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), StoreError>;
}

/// Every key starting with `prefix`, sorted (the store's order never reaches an answer).
///
/// # Errors
/// [`StoreError`] when the store fails.
pub fn all_keys<S: Store>(store: &S, prefix: &str) -> Result<Vec<String>, StoreError> {
    let mut keys = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = store.list_keys(prefix, cursor)?;
        keys.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}
