//! The guest-facing side of the key-value store: `wasi:keyvalue/store` and
//! `wasi:keyvalue/atomics` at 0.2.0-draft2 (the WIT in `tests/host/wit/`), generated with
//! `wasmtime::component::bindgen!` and implemented on [`crate::kv`]. `crate::server` adds
//! them to the linker next to wasmtime-wasi and wasmtime-wasi-http.

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

use crate::kv::{Bucket, Cas, Kv, KvError, SwapOutcome};

mod generated {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "cpm:test-host/host",
        imports: { default: trappable },
        with: {
            "wasi:keyvalue/store.bucket": crate::kv::Bucket,
            "wasi:keyvalue/atomics.cas": crate::kv::Cas,
        },
    });
}

use generated::wasi::keyvalue::{atomics, store};

/// What the key-value imports see of a store's data: the shared [`Kv`] and the instance's
/// resource table (where open buckets and compare-and-swaps live).
pub struct KvView<'a> {
    /// The host's stores.
    pub kv: &'a Kv,
    /// The instance's resource table.
    pub table: &'a mut ResourceTable,
}

struct HasKv;

impl HasData for HasKv {
    type Data<'a> = KvView<'a>;
}

/// Adds `wasi:keyvalue/store` and `wasi:keyvalue/atomics` (0.2.0-draft2) to `linker`;
/// `view` finds the [`KvView`] in a store's data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KvView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, HasKv>(linker, view)?;
    atomics::add_to_linker::<T, HasKv>(linker, view)?;
    Ok(())
}

/// The guest's view of a store error. Failures of the SQLite file are also written to the
/// host's standard error, as they mean the test setup is broken.
fn guest_error(error: KvError) -> store::Error {
    match error {
        KvError::AccessDenied(_) => store::Error::AccessDenied,
        KvError::Sqlite { .. } => {
            eprintln!("cpm-test-host: {error}");
            store::Error::Other(error.to_string())
        }
        other => store::Error::Other(other.to_string()),
    }
}

impl store::Host for KvView<'_> {
    fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<Bucket>, store::Error>> {
        match self.kv.open(&identifier) {
            Ok(bucket) => Ok(Ok(self.table.push(bucket)?)),
            Err(error) => Ok(Err(guest_error(error))),
        }
    }
}

impl store::HostBucket for KvView<'_> {
    fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(self.table.get(&bucket)?.get(&key).map_err(guest_error))
    }

    fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self
            .table
            .get(&bucket)?
            .set(&key, &value)
            .map_err(guest_error))
    }

    fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self.table.get(&bucket)?.delete(&key).map_err(guest_error))
    }

    fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        Ok(self.table.get(&bucket)?.exists(&key).map_err(guest_error))
    }

    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        Ok(self
            .table
            .get(&bucket)?
            .list_keys(cursor.as_deref())
            .map(|keys| store::KeyResponse { keys, cursor: None })
            .map_err(guest_error))
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KvView<'_> {
    fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        Ok(self
            .table
            .get(&bucket)?
            .increment(&key, delta)
            .map_err(guest_error))
    }

    fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let cas = self.table.delete(cas)?;
        match cas.swap(&value) {
            Ok(SwapOutcome::Swapped) => Ok(Ok(())),
            Ok(SwapOutcome::Changed(now)) => {
                let retry = self.table.push(cas.retry(now))?;
                Ok(Err(atomics::CasError::CasFailed(retry)))
            }
            Err(error) => Ok(Err(atomics::CasError::StoreError(guest_error(error)))),
        }
    }
}

impl atomics::HostCas for KvView<'_> {
    fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        match self.table.get(&bucket)?.cas(&key) {
            Ok(cas) => Ok(Ok(self.table.push(cas)?)),
            Err(error) => Ok(Err(guest_error(error))),
        }
    }

    fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(Ok(self.table.get(&cas)?.current().map(<[u8]>::to_vec)))
    }

    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The guest-facing calls on a bare resource table: what a component sees.
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

    use super::*;
    use atomics::{Host as _, HostCas as _};
    use store::{Host as _, HostBucket as _};

    fn view<'a>(kv: &'a Kv, table: &'a mut ResourceTable) -> KvView<'a> {
        KvView { kv, table }
    }

    #[test]
    fn open_refuses_ungranted_stores_as_access_denied() {
        let kv = Kv::memory(["default"]);
        let mut table = ResourceTable::new();
        let mut host = view(&kv, &mut table);
        assert!(host.open("default".into()).unwrap().is_ok());
        assert!(matches!(
            host.open("other".into()).unwrap(),
            Err(store::Error::AccessDenied)
        ));
    }

    #[test]
    fn limits_reach_the_guest_as_other_errors() {
        let kv = Kv::memory(["default"]);
        let mut table = ResourceTable::new();
        let mut host = view(&kv, &mut table);
        let bucket = host.open("default".into()).unwrap().unwrap();
        let key = "k".repeat(300);
        match host
            .set(Resource::new_borrow(bucket.rep()), key, b"v".to_vec())
            .unwrap()
        {
            Err(store::Error::Other(message)) => assert!(message.contains("256"), "{message}"),
            other => panic!("a 300-byte key gave {other:?}"),
        }
    }

    #[test]
    fn failed_swap_hands_back_a_fresh_cas() {
        let kv = Kv::memory(["default"]);
        let mut table = ResourceTable::new();
        let mut host = view(&kv, &mut table);
        let bucket = host.open("default".into()).unwrap().unwrap();
        let borrow = || Resource::<Bucket>::new_borrow(bucket.rep());
        let first = host.new(borrow(), "case".into()).unwrap().unwrap();
        let second = host.new(borrow(), "case".into()).unwrap().unwrap();
        assert_eq!(
            host.current(Resource::new_borrow(first.rep()))
                .unwrap()
                .unwrap(),
            None
        );
        assert!(host.swap(first, b"one".to_vec()).unwrap().is_ok());
        // The second handle read the key before the first swap: it fails, and the handle
        // it gets back has read the current value and swaps.
        let retry = match host.swap(second, b"two".to_vec()).unwrap() {
            Err(atomics::CasError::CasFailed(retry)) => retry,
            other => panic!("a stale swap gave {other:?}"),
        };
        assert_eq!(
            host.current(Resource::new_borrow(retry.rep()))
                .unwrap()
                .unwrap(),
            Some(b"one".to_vec())
        );
        assert!(host.swap(retry, b"two".to_vec()).unwrap().is_ok());
        assert_eq!(
            host.get(borrow(), "case".into()).unwrap().unwrap(),
            Some(b"two".to_vec())
        );
        assert_eq!(host.increment(borrow(), "n".into(), 3).unwrap().unwrap(), 3);
        let listed = host.list_keys(borrow(), None).unwrap().unwrap();
        assert_eq!(listed.keys, ["case", "n"]);
        assert_eq!(listed.cursor, None);
        store::HostBucket::drop(&mut host, bucket).unwrap();
        assert!(host.table.is_empty());
    }
}
