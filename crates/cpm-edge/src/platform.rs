//! What the edge needs from the machine it runs on: the key-value store, the wall clock,
//! randomness and configuration.
//!
//! Pipeline position: handed to [`crate::service::handle`] by the Spin handler (which
//! implements it with WASI: `wasi:keyvalue`, `wasi:clocks`, `wasi:random`, `wasi:config`) and
//! by native tests ([`FixedPlatform`]: an in-memory store, a clock the test sets, counted ids,
//! configuration the test sets). The
//! core never reads the clock; this is where `now` comes from.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use crate::store::memory::MemoryStore;
use crate::store::{Store, StoreError};

/// The name of the key-value store the edge uses (`key_value_stores = ["default"]`).
pub const STORE_NAME: &str = "default";

/// The environment variable that lets requests set the clock (tests only): with
/// `CPM_TEST_CLOCK=header`, a request's `cpm-now` header is used as `now`.
pub const TEST_CLOCK_VAR: &str = "CPM_TEST_CLOCK";

/// The request header that sets `now` when [`TEST_CLOCK_VAR`] allows it.
pub const NOW_HEADER: &str = "cpm-now";

/// The store, clock and randomness of one request.
pub trait Platform {
    /// The store implementation.
    type Store: Store;

    /// The key-value store (opened on first use: every route reads at least the active
    /// bundle pointer from it; a store that is not granted means the deployed bundle).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be opened.
    fn store(&self) -> Result<&Self::Store, StoreError>;

    /// The current date-time, RFC 3339 in UTC (`2024-05-06T07:00:00Z`).
    fn now(&self) -> String;

    /// 128 fresh random bits as 32 lowercase hex digits.
    fn random_hex(&self) -> String;

    /// Whether a request may set `now` with the [`NOW_HEADER`] header (tests only).
    fn test_clock(&self) -> bool;

    /// The configuration value `key` (`wasi:config/store`: Spin's component variables),
    /// `None` when it is not set. The default has no configuration at all: publishing is
    /// disabled and CORS closed.
    ///
    /// # Errors
    /// What the host said, when it cannot answer.
    fn config(&self, key: &str) -> Result<Option<String>, String> {
        let _ = key;
        Ok(None)
    }
}

/// A platform for native tests: an in-memory store, a clock the test sets, and ids from a
/// counter (not random: tests must be repeatable).
pub struct FixedPlatform {
    /// The store.
    pub store: MemoryStore,
    now: RefCell<String>,
    next: Cell<u128>,
    test_clock: bool,
    config: RefCell<BTreeMap<String, String>>,
}

impl FixedPlatform {
    /// A platform whose clock shows `now`, with an empty store; requests may set the clock
    /// with the `cpm-now` header.
    pub fn new(now: &str) -> Self {
        Self {
            store: MemoryStore::new(),
            now: RefCell::new(now.to_owned()),
            next: Cell::new(1),
            test_clock: true,
            config: RefCell::new(BTreeMap::new()),
        }
    }

    /// The same, with requests not allowed to set the clock (as deployed).
    pub fn without_test_clock(now: &str) -> Self {
        Self {
            test_clock: false,
            ..Self::new(now)
        }
    }

    /// The same, with `store` as its store.
    pub fn with_store(now: &str, store: MemoryStore) -> Self {
        Self {
            store,
            ..Self::new(now)
        }
    }

    /// Sets the clock.
    pub fn set_now(&self, now: &str) {
        *self.now.borrow_mut() = now.to_owned();
    }

    /// Sets the configuration value `key` (as a Spin variable would).
    pub fn set_config(&self, key: &str, value: &str) {
        self.config
            .borrow_mut()
            .insert(key.to_owned(), value.to_owned());
    }
}

impl Platform for FixedPlatform {
    type Store = MemoryStore;

    fn store(&self) -> Result<&MemoryStore, StoreError> {
        Ok(&self.store)
    }

    fn now(&self) -> String {
        self.now.borrow().clone()
    }

    fn random_hex(&self) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        format!("{n:032x}")
    }

    fn test_clock(&self) -> bool {
        self.test_clock
    }

    fn config(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.config.borrow().get(key).cloned())
    }
}
