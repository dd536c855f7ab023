//! Spin's key-value store through spin-sdk 5.2's bindings of
//! `wasi:keyvalue/store@0.2.0-draft2` and `wasi:keyvalue/atomics@0.2.0-draft2`.
//!
//! Pipeline position: the [`Store`] of the deployed component (compiled for `wasm32` only).
//! Spin 3.x and 4.x implement both interfaces for the stores `spin.toml` grants
//! (`key_value_stores = ["default"]`), compare-and-swap included; so does the test host in
//! `tests/host`. `list-keys` has no prefix filter, so listing reads every key of the store
//! and keeps those with the prefix.

use spin_sdk::wit::wasi::keyvalue::atomics::{self, Cas, CasError};
use spin_sdk::wit::wasi::keyvalue::store::{self, Bucket, Error};

use super::{Store, StoreError, SwapError};

/// An open store.
pub struct WasiStore {
    bucket: Bucket,
}

impl WasiStore {
    /// Opens the store named `name` (`default`).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the host has no such store or refuses it.
    pub fn open(name: &str) -> Result<Self, StoreError> {
        store::open(name)
            .map(|bucket| Self { bucket })
            .map_err(|e| StoreError::Unavailable {
                store: name.to_owned(),
                reason: describe(&e),
            })
    }
}

fn describe(e: &Error) -> String {
    match e {
        Error::NoSuchStore => "no such store".to_owned(),
        Error::AccessDenied => "access denied".to_owned(),
        Error::Other(message) => message.clone(),
    }
}

fn failed(e: &Error) -> StoreError {
    StoreError::Failed {
        message: describe(e),
    }
}

impl Store for WasiStore {
    type Cas = Cas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.bucket.get(key).map_err(|e| failed(&e))
    }

    fn read_for_swap(&self, key: &str) -> Result<(Option<Vec<u8>>, Cas), StoreError> {
        let cas = Cas::new(&self.bucket, key).map_err(|e| failed(&e))?;
        let current = cas.current().map_err(|e| failed(&e))?;
        Ok((current, cas))
    }

    fn swap(&self, cas: Cas, value: &[u8]) -> Result<(), SwapError> {
        atomics::swap(cas, value).map_err(|e| match e {
            CasError::CasFailed(_) => SwapError::Conflict,
            CasError::StoreError(e) => SwapError::Store(failed(&e)),
        })
    }

    fn list_keys(
        &self,
        prefix: &str,
        cursor: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let page = self
            .bucket
            .list_keys(cursor.as_deref())
            .map_err(|e| failed(&e))?;
        let keys = page
            .keys
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .collect();
        Ok((keys, page.cursor))
    }
}
