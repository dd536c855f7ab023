//! The key-value store behind the host's `wasi:keyvalue` imports: named stores ("buckets"),
//! in memory or in one SQLite file, with the limits Spin documents and a real
//! compare-and-swap. It knows nothing about wasm: `crate::bindings` maps the guest's calls
//! onto [`Kv`] and [`Bucket`], and the store's own tests use it directly.
//!
//! Every row carries a *version* drawn from one monotonic counter per database, and a
//! deleted key leaves a tombstone with a fresh version. A compare-and-swap remembers the
//! version it read and succeeds only if the row still has it, so a key deleted and written
//! again in between, or created and deleted again (the ABA cases), is seen as changed.
//!
//! With SQLite each write is its own transaction, committed (WAL, `synchronous=FULL`)
//! before the call returns: a host killed after a write returned loses nothing.
//!
//! For the reliability tests the store can inject [`Faults`] (`--fault` on the command
//! line): every Nth call fails with an error before it touches a row, and the host can abort
//! right after the Nth write is committed, before the component hears of it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The longest key Spin accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// The largest value Spin accepts: 1 MiB.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// What can go wrong in the store. Shown to the guest as `wasi:keyvalue/store.error`
/// (`access-denied` for [`KvError::AccessDenied`], `other(message)` for the rest).
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// The store was not granted with `--store`.
    #[error(
        "the key-value store `{0}` is not granted to the component (grant it with `--store {0}`)"
    )]
    AccessDenied(String),
    /// The key is longer than [`MAX_KEY_BYTES`].
    #[error("the key is {0} bytes long; keys may be at most {MAX_KEY_BYTES} bytes")]
    KeyTooLong(usize),
    /// The value is larger than [`MAX_VALUE_BYTES`].
    #[error("the value is {0} bytes long; values may be at most {MAX_VALUE_BYTES} bytes")]
    ValueTooLarge(usize),
    /// `increment` found a value that is not a counter.
    #[error(
        "the value of `{0}` is not a counter (increment keeps an 8-byte little-endian integer, as Spin does)"
    )]
    NotACounter(String),
    /// `increment` would leave the range of a signed 64-bit integer.
    #[error("incrementing `{0}` overflows a signed 64-bit integer")]
    Overflow(String),
    /// The version counter is exhausted (after 2^63 writes).
    #[error("the store's version counter is exhausted")]
    VersionsExhausted,
    /// A fault injected with `--fault kv-error-every=N`; nothing was read or written.
    #[error("injected fault: store call {0} fails (`--fault kv-error-every`)")]
    Injected(u64),
    /// The SQLite file cannot be opened or written.
    #[error("the SQLite store `{path}` failed: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
}

/// Faults the store injects, for the reliability tests. The default injects none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every Nth call of the store (reads and writes alike, counted from 1 across all
    /// stores) fails with [`KvError::Injected`] before it reads or writes anything.
    pub error_every: Option<u64>,
    /// The host process aborts right after its Nth write (counted from 1) is committed,
    /// before the component learns that it succeeded: a crash between commit and answer.
    pub crash_after_write: Option<u64>,
}

impl Faults {
    /// Adds one `NAME=N` fault: `kv-error-every=N` or `crash-after-write=N` (N ≥ 1).
    ///
    /// # Errors
    /// A message naming the text when it is not one of those.
    pub fn add(&mut self, text: &str) -> Result<(), String> {
        let bad = || {
            format!(
                "`{text}` is not a fault; use `kv-error-every=N` or `crash-after-write=N` (N at least 1)"
            )
        };
        let (name, value) = text.split_once('=').ok_or_else(bad)?;
        let n: u64 = value.parse().ok().filter(|n| *n >= 1).ok_or_else(bad)?;
        match name {
            "kv-error-every" => self.error_every = Some(n),
            "crash-after-write" => self.crash_after_write = Some(n),
            _ => return Err(bad()),
        }
        Ok(())
    }
}

/// A key as a compare-and-swap saw it: the row's version and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The row's version when read (of its tombstone, if deleted); `None` when the key
    /// was never written.
    pub version: Option<u64>,
    /// The value when read; `None` when the key has no value.
    pub value: Option<Vec<u8>>,
}

/// How a compare-and-swap ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SwapOutcome {
    /// The key was unchanged since the snapshot; the new value is stored (committed).
    Swapped,
    /// The key changed since the snapshot; nothing was written. Holds the current state,
    /// for a retry.
    Changed(Snapshot),
}

/// The key-value stores one host serves: which names are granted, and where rows live.
/// Cheap to clone (shared).
#[derive(Clone)]
pub struct Kv {
    inner: Arc<Inner>,
}

struct Inner {
    granted: BTreeSet<String>,
    backend: Backend,
    faults: Faults,
    /// Store calls so far (for [`Faults::error_every`]).
    calls: AtomicU64,
    /// Committed writes so far (for [`Faults::crash_after_write`]).
    writes: AtomicU64,
}

enum Backend {
    Memory(Mutex<Memory>),
    Sqlite {
        path: PathBuf,
        connection: Mutex<Connection>,
    },
}

/// A stored row: its version and value (`None`: a tombstone).
type Row = (u64, Option<Vec<u8>>);

#[derive(Default)]
struct Memory {
    last_version: u64,
    /// Rows by (store, key): version and value (`None`: a tombstone).
    rows: BTreeMap<(String, String), Row>,
}

/// One open store (the guest's `bucket`): a name within a [`Kv`].
#[derive(Clone)]
pub struct Bucket {
    kv: Kv,
    name: String,
}

/// A compare-and-swap in progress (the guest's `cas`): the key and what was read.
pub struct Cas {
    bucket: Bucket,
    key: String,
    snapshot: Snapshot,
}

impl Kv {
    /// A store kept in memory (lost when the host exits), granting the named stores.
    pub fn memory<I, S>(granted: I) -> Kv
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Kv::new(granted, Backend::Memory(Mutex::new(Memory::default())))
    }

    /// A store kept in the SQLite file at `path` (created when missing; rows from earlier
    /// runs are kept), granting the named stores.
    pub fn sqlite<I, S>(path: &Path, granted: I) -> Result<Kv, KvError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let fail = |source| KvError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let connection = Connection::open(path).map_err(fail)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA busy_timeout = 10000;
                 CREATE TABLE IF NOT EXISTS cpm_test_host_kv (
                     store   TEXT    NOT NULL,
                     key     TEXT    NOT NULL,
                     value   BLOB,
                     version INTEGER NOT NULL,
                     PRIMARY KEY (store, key)
                 ) WITHOUT ROWID;
                 CREATE TABLE IF NOT EXISTS cpm_test_host_meta (
                     id           INTEGER PRIMARY KEY CHECK (id = 1),
                     last_version INTEGER NOT NULL
                 );
                 INSERT OR IGNORE INTO cpm_test_host_meta (id, last_version) VALUES (1, 0);",
            )
            .map_err(fail)?;
        Ok(Kv::new(
            granted,
            Backend::Sqlite {
                path: path.to_owned(),
                connection: Mutex::new(connection),
            },
        ))
    }

    fn new<I, S>(granted: I, backend: Backend) -> Kv
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Kv {
            inner: Arc::new(Inner {
                granted: granted.into_iter().map(Into::into).collect(),
                backend,
                faults: Faults::default(),
                calls: AtomicU64::new(0),
                writes: AtomicU64::new(0),
            }),
        }
    }

    /// The same store injecting `faults`. Call it before the store is shared (cloned):
    /// a shared store is returned unchanged.
    #[must_use]
    pub fn with_faults(mut self, faults: Faults) -> Kv {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.faults = faults;
        }
        self
    }

    /// The faults this store injects.
    pub fn faults(&self) -> Faults {
        self.inner.faults
    }

    /// Counts one store call; fails it when [`Faults::error_every`] says so.
    fn call(&self) -> Result<(), KvError> {
        let n = self.inner.calls.fetch_add(1, Ordering::SeqCst) + 1;
        match self.inner.faults.error_every {
            Some(every) if n.is_multiple_of(every) => Err(KvError::Injected(n)),
            _ => Ok(()),
        }
    }

    /// Counts one committed write; aborts the process when [`Faults::crash_after_write`]
    /// says so (no destructors, no flushing: as a crash would).
    fn committed(&self) {
        let n = self.inner.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if self.inner.faults.crash_after_write == Some(n) {
            eprintln!(
                "cpm-test-host: injected crash after write {n} (`--fault crash-after-write`)"
            );
            std::process::abort();
        }
    }

    /// The granted store names, sorted.
    pub fn granted(&self) -> impl Iterator<Item = &str> {
        self.inner.granted.iter().map(String::as_str)
    }

    /// Opens the store `name`; refused unless it was granted.
    pub fn open(&self, name: &str) -> Result<Bucket, KvError> {
        if !self.inner.granted.contains(name) {
            return Err(KvError::AccessDenied(name.to_owned()));
        }
        Ok(Bucket {
            kv: self.clone(),
            name: name.to_owned(),
        })
    }
}

impl Bucket {
    /// The store's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.kv.call()?;
        Ok(self.read(key)?.value)
    }

    /// Stores `value` under `key` (committed when this returns).
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.kv.call()?;
        check_key(key)?;
        check_value(value)?;
        let written = self.set_unchecked(key, value);
        if written.is_ok() {
            self.kv.committed();
        }
        written
    }

    fn set_unchecked(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        match &self.kv.inner.backend {
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                let version = memory.next_version()?;
                memory.rows.insert(
                    (self.name.clone(), key.to_owned()),
                    (version, Some(value.to_vec())),
                );
                Ok(())
            }
            Backend::Sqlite { path, connection } => {
                let mut connection = lock(connection);
                sqlite_write(path, &mut connection, |tx| {
                    let version = sqlite_next_version(tx)?;
                    sqlite_upsert(tx, &self.name, key, Some(value), version)
                })
            }
        }
    }

    /// Removes `key` (leaving a tombstone with a new version); nothing happens when it has
    /// no value.
    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        self.kv.call()?;
        check_key(key)?;
        let written = self.delete_unchecked(key);
        if written.is_ok() {
            self.kv.committed();
        }
        written
    }

    fn delete_unchecked(&self, key: &str) -> Result<(), KvError> {
        match &self.kv.inner.backend {
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                let row_key = (self.name.clone(), key.to_owned());
                if matches!(memory.rows.get(&row_key), Some((_, Some(_)))) {
                    let version = memory.next_version()?;
                    memory.rows.insert(row_key, (version, None));
                }
                Ok(())
            }
            Backend::Sqlite { path, connection } => {
                let mut connection = lock(connection);
                sqlite_write(path, &mut connection, |tx| {
                    if let Some((_, Some(_))) = sqlite_read(tx, &self.name, key)? {
                        let version = sqlite_next_version(tx)?;
                        sqlite_upsert(tx, &self.name, key, None, version)?;
                    }
                    Ok(())
                })
            }
        }
    }

    /// Whether `key` has a value.
    pub fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.kv.call()?;
        Ok(self.read(key)?.value.is_some())
    }

    /// The keys after `cursor` (all keys when `None`), sorted by their bytes. Everything is
    /// returned in one answer, so there is never a next cursor.
    pub fn list_keys(&self, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        self.kv.call()?;
        match &self.kv.inner.backend {
            Backend::Memory(memory) => {
                let memory = lock(memory);
                let start = match cursor {
                    Some(after) => Bound::Excluded((self.name.clone(), after.to_owned())),
                    None => Bound::Included((self.name.clone(), String::new())),
                };
                Ok(memory
                    .rows
                    .range((start, Bound::Unbounded))
                    .take_while(|((store, _), _)| *store == self.name)
                    .filter(|(_, (_, value))| value.is_some())
                    .map(|((_, key), _)| key.clone())
                    .collect())
            }
            Backend::Sqlite { path, connection } => {
                let connection = lock(connection);
                let fail = |source| KvError::Sqlite {
                    path: path.clone(),
                    source,
                };
                let keys = match cursor {
                    Some(after) => connection
                        .prepare_cached(
                            "SELECT key FROM cpm_test_host_kv \
                             WHERE store = ?1 AND key > ?2 AND value IS NOT NULL ORDER BY key",
                        )
                        .and_then(|mut s| {
                            s.query_map(params![self.name, after], |r| r.get(0))?
                                .collect::<rusqlite::Result<Vec<String>>>()
                        }),
                    None => connection
                        .prepare_cached(
                            "SELECT key FROM cpm_test_host_kv \
                             WHERE store = ?1 AND value IS NOT NULL ORDER BY key",
                        )
                        .and_then(|mut s| {
                            s.query_map(params![self.name], |r| r.get(0))?
                                .collect::<rusqlite::Result<Vec<String>>>()
                        }),
                }
                .map_err(fail)?;
                Ok(keys)
            }
        }
    }

    /// Adds `delta` to the counter under `key` (absent: 0) and returns the new value. The
    /// counter is kept as 8 little-endian bytes, as Spin keeps it.
    pub fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.kv.call()?;
        check_key(key)?;
        let written = self.increment_unchecked(key, delta);
        if written.is_ok() {
            self.kv.committed();
        }
        written
    }

    fn increment_unchecked(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        let add = |current: Option<&[u8]>| -> Result<i64, KvError> {
            let old = match current {
                None => 0,
                Some(bytes) => {
                    let bytes: [u8; 8] = bytes
                        .try_into()
                        .map_err(|_| KvError::NotACounter(key.to_owned()))?;
                    i64::from_le_bytes(bytes)
                }
            };
            old.checked_add(delta)
                .ok_or_else(|| KvError::Overflow(key.to_owned()))
        };
        match &self.kv.inner.backend {
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                let row_key = (self.name.clone(), key.to_owned());
                let current = memory.rows.get(&row_key).and_then(|(_, v)| v.as_deref());
                let new = add(current)?;
                let version = memory.next_version()?;
                memory
                    .rows
                    .insert(row_key, (version, Some(new.to_le_bytes().to_vec())));
                Ok(new)
            }
            Backend::Sqlite { path, connection } => {
                let mut connection = lock(connection);
                let mut result = Ok(0);
                sqlite_write(path, &mut connection, |tx| {
                    let current = sqlite_read(tx, &self.name, key)?;
                    match add(current.and_then(|(_, v)| v).as_deref()) {
                        Ok(new) => {
                            let version = sqlite_next_version(tx)?;
                            let bytes = new.to_le_bytes();
                            sqlite_upsert(tx, &self.name, key, Some(&bytes), version)?;
                            result = Ok(new);
                        }
                        Err(e) => result = Err(e),
                    }
                    Ok(())
                })?;
                result
            }
        }
    }

    /// Starts a compare-and-swap on `key`: reads its version and value now.
    pub fn cas(&self, key: &str) -> Result<Cas, KvError> {
        self.kv.call()?;
        let snapshot = self.read(key)?;
        Ok(Cas {
            bucket: self.clone(),
            key: key.to_owned(),
            snapshot,
        })
    }

    /// The key's version and value, read together.
    fn read(&self, key: &str) -> Result<Snapshot, KvError> {
        check_key(key)?;
        match &self.kv.inner.backend {
            Backend::Memory(memory) => {
                let memory = lock(memory);
                let row = memory.rows.get(&(self.name.clone(), key.to_owned()));
                Ok(Snapshot {
                    version: row.map(|(version, _)| *version),
                    value: row.and_then(|(_, value)| value.clone()),
                })
            }
            Backend::Sqlite { path, connection } => {
                let connection = lock(connection);
                let row = sqlite_read(&connection, &self.name, key).map_err(|source| {
                    KvError::Sqlite {
                        path: path.clone(),
                        source,
                    }
                })?;
                Ok(Snapshot {
                    version: row.as_ref().map(|(version, _)| *version),
                    value: row.and_then(|(_, value)| value),
                })
            }
        }
    }
}

impl Cas {
    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value read when the compare-and-swap started (`None`: the key did not exist).
    pub fn current(&self) -> Option<&[u8]> {
        self.snapshot.value.as_deref()
    }

    /// Writes `value` if the key is unchanged since the snapshot (same version, tombstones
    /// included), in one transaction: of two swaps from the same snapshot, exactly one wins.
    /// On [`SwapOutcome::Changed`] nothing was written; use [`Cas::retry`] to go again.
    pub fn swap(&self, value: &[u8]) -> Result<SwapOutcome, KvError> {
        self.bucket.kv.call()?;
        check_value(value)?;
        let outcome = self.swap_unchecked(value);
        if matches!(outcome, Ok(SwapOutcome::Swapped)) {
            self.bucket.kv.committed();
        }
        outcome
    }

    fn swap_unchecked(&self, value: &[u8]) -> Result<SwapOutcome, KvError> {
        let expected = self.snapshot.version;
        let name = &self.bucket.name;
        let key = &self.key;
        match &self.bucket.kv.inner.backend {
            Backend::Memory(memory) => {
                let mut memory = lock(memory);
                let row_key = (name.clone(), key.clone());
                let row = memory.rows.get(&row_key);
                let found = row.map(|(version, _)| *version);
                if found != expected {
                    return Ok(SwapOutcome::Changed(Snapshot {
                        version: found,
                        value: row.and_then(|(_, value)| value.clone()),
                    }));
                }
                let version = memory.next_version()?;
                memory.rows.insert(row_key, (version, Some(value.to_vec())));
                Ok(SwapOutcome::Swapped)
            }
            Backend::Sqlite { path, connection } => {
                let mut connection = lock(connection);
                let mut outcome = SwapOutcome::Swapped;
                sqlite_write(path, &mut connection, |tx| {
                    let row = sqlite_read(tx, name, key)?;
                    let found = row.as_ref().map(|(version, _)| *version);
                    if found != expected {
                        outcome = SwapOutcome::Changed(Snapshot {
                            version: found,
                            value: row.and_then(|(_, value)| value),
                        });
                        return Ok(());
                    }
                    let version = sqlite_next_version(tx)?;
                    sqlite_upsert(tx, name, key, Some(value), version)
                })?;
                Ok(outcome)
            }
        }
    }

    /// A compare-and-swap on the same key starting from `snapshot` (the state a failed
    /// [`Cas::swap`] reported).
    pub fn retry(&self, snapshot: Snapshot) -> Cas {
        Cas {
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            snapshot,
        }
    }
}

impl Memory {
    fn next_version(&mut self) -> Result<u64, KvError> {
        self.last_version = self
            .last_version
            .checked_add(1)
            .filter(|v| i64::try_from(*v).is_ok())
            .ok_or(KvError::VersionsExhausted)?;
        Ok(self.last_version)
    }
}

fn check_key(key: &str) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::KeyTooLong(key.len()));
    }
    Ok(())
}

fn check_value(value: &[u8]) -> Result<(), KvError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(KvError::ValueTooLarge(value.len()));
    }
    Ok(())
}

/// Locks a mutex; a panic while it was held cannot have left a half-written row (SQLite
/// rolls the transaction back, the map is written in one insert), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` in one immediate (write-locked) transaction and commits it.
fn sqlite_write(
    path: &Path,
    connection: &mut Connection,
    work: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
) -> Result<(), KvError> {
    let fail = |source| KvError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    work(&tx).map_err(fail)?;
    tx.commit().map_err(fail)
}

fn sqlite_read(connection: &Connection, store: &str, key: &str) -> rusqlite::Result<Option<Row>> {
    connection
        .prepare_cached(
            "SELECT version, value FROM cpm_test_host_kv WHERE store = ?1 AND key = ?2",
        )?
        .query_row(params![store, key], |row| {
            Ok((version_from_sql(row.get(0)?)?, row.get(1)?))
        })
        .optional()
}

fn sqlite_next_version(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<u64> {
    let version: i64 = tx.query_row(
        "UPDATE cpm_test_host_meta SET last_version = last_version + 1 WHERE id = 1 \
         RETURNING last_version",
        [],
        |row| row.get(0),
    )?;
    version_from_sql(version)
}

/// Versions are stored as SQLite integers (i64); they start at 1.
fn version_from_sql(version: i64) -> rusqlite::Result<u64> {
    u64::try_from(version).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, version))
}

fn sqlite_upsert(
    tx: &rusqlite::Transaction<'_>,
    store: &str,
    key: &str,
    value: Option<&[u8]>,
    version: u64,
) -> rusqlite::Result<()> {
    let version = i64::try_from(version)
        .map_err(|_| rusqlite::Error::ToSqlConversionFailure("version out of range".into()))?;
    tx.prepare_cached(
        "INSERT INTO cpm_test_host_kv (store, key, value, version) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value, version = excluded.version",
    )?
    .execute(params![store, key, value, version])
    .map(drop)
}
