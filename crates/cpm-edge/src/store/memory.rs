//! An in-memory [`Store`] for native tests.
//!
//! Pipeline position: stands in for Spin's key-value store below the case routes. Every key
//! carries a version from one counter that only grows, so a swap fails whenever the key was
//! written (or created, or deleted and created again) since it was read. A test can install
//! a hook that runs once, just before the next swap, to play a second writer in between.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::{MAX_KEY_BYTES, MAX_VALUE_BYTES, Store, StoreError, SwapError};

/// What [`MemoryStore::read_for_swap`] remembers: the key and its version then (0: absent).
#[derive(Debug)]
pub struct MemoryCas {
    key: String,
    version: u64,
}

/// A hook run once before a swap, with the store (to write as another client would).
pub type BeforeSwap = Box<dyn FnOnce(&MemoryStore)>;

/// An in-memory store: keys in order, each with its value and version.
#[derive(Default)]
pub struct MemoryStore {
    entries: RefCell<BTreeMap<String, (u64, Vec<u8>)>>,
    counter: RefCell<u64>,
    before_swap: RefCell<Option<BeforeSwap>>,
    swaps: RefCell<u64>,
    page_size: Option<usize>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that lists keys `size` at a time (to exercise cursors).
    pub fn with_page_size(size: usize) -> Self {
        Self {
            page_size: Some(size.max(1)),
            ..Self::default()
        }
    }

    /// Runs `hook` once, just before the next swap checks its version.
    pub fn before_next_swap(&self, hook: BeforeSwap) {
        *self.before_swap.borrow_mut() = Some(hook);
    }

    /// How many swaps succeeded.
    pub fn swaps(&self) -> u64 {
        *self.swaps.borrow()
    }

    /// Writes `value` unconditionally (as a test's setup, or a foreign writer).
    pub fn set(&self, key: &str, value: &[u8]) {
        let version = self.next_version();
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), (version, value.to_vec()));
    }

    /// Every key, in order.
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    fn next_version(&self) -> u64 {
        let mut counter = self.counter.borrow_mut();
        *counter += 1;
        *counter
    }

    fn check_key(key: &str) -> Result<(), StoreError> {
        if key.len() > MAX_KEY_BYTES {
            return Err(StoreError::Failed {
                message: format!("key of {} bytes is over the limit", key.len()),
            });
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    type Cas = MemoryCas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Self::check_key(key)?;
        Ok(self.entries.borrow().get(key).map(|(_, v)| v.clone()))
    }

    fn read_for_swap(&self, key: &str) -> Result<(Option<Vec<u8>>, MemoryCas), StoreError> {
        Self::check_key(key)?;
        let entries = self.entries.borrow();
        let (version, value) = match entries.get(key) {
            Some((version, value)) => (*version, Some(value.clone())),
            None => (0, None),
        };
        Ok((
            value,
            MemoryCas {
                key: key.to_owned(),
                version,
            },
        ))
    }

    fn swap(&self, cas: MemoryCas, value: &[u8]) -> Result<(), SwapError> {
        let hook = self.before_swap.borrow_mut().take();
        if let Some(hook) = hook {
            hook(self);
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(SwapError::Store(StoreError::Failed {
                message: format!("value of {} bytes is over the limit", value.len()),
            }));
        }
        let current = self.entries.borrow().get(&cas.key).map_or(0, |(v, _)| *v);
        if current != cas.version {
            return Err(SwapError::Conflict);
        }
        let version = self.next_version();
        self.entries
            .borrow_mut()
            .insert(cas.key, (version, value.to_vec()));
        *self.swaps.borrow_mut() += 1;
        Ok(())
    }

    fn list_keys(
        &self,
        prefix: &str,
        cursor: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let entries = self.entries.borrow();
        let start = cursor.unwrap_or_default();
        let mut keys: Vec<String> = entries
            .keys()
            .filter(|k| k.starts_with(prefix) && k.as_str() > start.as_str())
            .cloned()
            .collect();
        let next = match self.page_size {
            Some(size) if keys.len() > size => {
                keys.truncate(size);
                keys.last().cloned()
            }
            _ => None,
        };
        Ok((keys, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::all_keys;

    #[test]
    fn swap_fails_when_the_key_changed_since_it_was_read() {
        let store = MemoryStore::new();
        let (value, first) = store.read_for_swap("k").unwrap();
        assert_eq!(value, None);
        let (_, second) = store.read_for_swap("k").unwrap();
        store.swap(first, b"one").unwrap();
        assert_eq!(store.swap(second, b"two"), Err(SwapError::Conflict));
        assert_eq!(store.get("k").unwrap(), Some(b"one".to_vec()));
        let (value, third) = store.read_for_swap("k").unwrap();
        assert_eq!(value, Some(b"one".to_vec()));
        store.swap(third, b"three").unwrap();
        assert_eq!(store.get("k").unwrap(), Some(b"three".to_vec()));
    }

    #[test]
    fn limits_are_spins() {
        let store = MemoryStore::new();
        assert!(store.get(&"k".repeat(MAX_KEY_BYTES + 1)).is_err());
        let (_, cas) = store.read_for_swap("k").unwrap();
        assert!(matches!(
            store.swap(cas, &vec![0; MAX_VALUE_BYTES + 1]),
            Err(SwapError::Store(_))
        ));
    }

    #[test]
    fn keys_are_listed_by_page_and_prefix() {
        let store = MemoryStore::with_page_size(2);
        for key in ["a/3", "a/1", "b/1", "a/2", "a/4", "a/5"] {
            store.set(key, b"x");
        }
        let (page, next) = store.list_keys("a/", None).unwrap();
        assert_eq!(page, ["a/1", "a/2"]);
        assert_eq!(next.as_deref(), Some("a/2"));
        assert_eq!(
            all_keys(&store, "a/").unwrap(),
            ["a/1", "a/2", "a/3", "a/4", "a/5"]
        );
    }
}
