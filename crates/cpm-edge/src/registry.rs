//! The bundle registry: published bundles, their sources, the active pointer and the audit
//! log, kept in the key-value store.
//!
//! Pipeline position: below the routes ([`crate::service`], [`crate::admin`],
//! [`crate::cases`]), above the [`Store`]. Every request that decides or starts a case asks
//! [`active`] for the bundle to use; events on a case ask [`pinned`] for the bundle the case
//! was started on. Publishing ([`crate::admin`]) writes the bundle, then moves the active
//! pointer with a compare-and-swap ([`move_active`]).
//!
//! Storage layout (every key under 256 bytes, every value at most 1 MiB):
//!
//! | key | value |
//! | --- | --- |
//! | `cpm/v1/bundle/{hash}` | the bundle bytes (`CPMB…`), content-addressed |
//! | `cpm/v1/sources/{hash}` | `{"files": [{path, text}]}` the bundle was built from |
//! | `cpm/v1/bundle-info/{hash}` | `{publishedAt, publishedBy, seq, comment?}` of its first publish |
//! | `cpm/v1/active` | `{"bundleHash": hash or null, "seq", "log": [recent audit entries]}` |
//! | `cpm/v1/audit/{seq:020}` | `{"entries": [older audit entries]}`, archived from `log` |
//!
//! Nothing published (no `cpm/v1/active`, or `bundleHash` null) means the deployed bundle
//! (embedded at build time, or `CPM_BUNDLE_FILE`) is active. The audit entries live in the
//! active record itself, so a pointer move and its audit entry are one atomic write; when
//! the record holds [`LOG_LIMIT`] entries, the oldest [`ARCHIVE_BATCH`] are first copied to
//! an archive page (named by the first entry's sequence number, so two writers archiving
//! the same entries write the same page) and then dropped from the record by the swap.
//! Readers merge pages and record by sequence number.

use std::borrow::Cow;

use cpm_core::api;
use cpm_core::decide::Engine;
use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::problem::{self, Problem};
use crate::service::{BundleBytes, Reply, load};
use crate::store::{self, Store, StoreError, SwapError};

/// The key of the active pointer (and the recent audit log).
pub const ACTIVE_KEY: &str = "cpm/v1/active";
/// The prefix of stored bundles.
pub const BUNDLE_PREFIX: &str = "cpm/v1/bundle/";
/// The prefix of the sources of stored bundles.
pub const SOURCES_PREFIX: &str = "cpm/v1/sources/";
/// The prefix of what is known about each published bundle.
pub const INFO_PREFIX: &str = "cpm/v1/bundle-info/";
/// The prefix of archived audit pages.
pub const AUDIT_PREFIX: &str = "cpm/v1/audit/";
/// How many audit entries the active record holds before the oldest are archived.
pub const LOG_LIMIT: usize = 64;
/// How many entries move to an archive page at a time.
pub const ARCHIVE_BATCH: usize = 32;
/// How many times a pointer move is tried when other writers move it in between.
pub const MAX_ATTEMPTS: usize = 8;

/// The sources of the embedded bundle (`build.rs`: the files of `CPM_RULES`), as
/// `{"bundleHash", "files": [{path, text}]}` JSON.
pub const EMBEDDED_SOURCES: &str = include_str!(concat!(env!("OUT_DIR"), "/sources.json"));

/// One audit entry: who moved the active pointer, when, from which bundle to which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its sequence number (1, 2, …: the order of the moves).
    pub seq: u64,
    /// When, RFC 3339.
    pub at: String,
    /// The name of the token holder.
    pub actor: String,
    /// `publish` or `activate`.
    pub action: String,
    /// The hash active before.
    pub from: String,
    /// The hash active after.
    pub to: String,
    /// The comment given with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl AuditEntry {
    /// The entry as the audit route shows it (without `seq`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        o.insert("at".into(), self.at.clone().into());
        o.insert("actor".into(), self.actor.clone().into());
        o.insert("action".into(), self.action.clone().into());
        o.insert("from".into(), self.from.clone().into());
        o.insert("to".into(), self.to.clone().into());
        if let Some(comment) = &self.comment {
            o.insert("comment".into(), comment.clone().into());
        }
        serde_json::Value::Object(o)
    }
}

/// The value of [`ACTIVE_KEY`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ActiveRecord {
    /// The published bundle that is active; `None`: the deployed one.
    #[serde(rename = "bundleHash")]
    bundle_hash: Option<String>,
    /// The sequence number of the last move.
    seq: u64,
    /// The most recent audit entries, oldest first.
    log: Vec<AuditEntry>,
}

/// An archive page of audit entries.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct AuditPage {
    entries: Vec<AuditEntry>,
}

/// What is known about a published bundle (its first publish).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleInfo {
    /// When it was first published, RFC 3339.
    #[serde(rename = "publishedAt")]
    pub published_at: String,
    /// Who published it.
    #[serde(rename = "publishedBy")]
    pub published_by: String,
    /// The sequence number of that publish (orders the list, newest first).
    pub seq: u64,
}

/// Where a loaded bundle comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The deployed bundle (embedded at build time, or `CPM_BUNDLE_FILE`).
    Embedded,
    /// A bundle published with `PUT /v1/bundles` and kept in the store.
    Published,
}

impl Origin {
    /// `embedded` or `published`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Origin::Embedded => "embedded",
            Origin::Published => "published",
        }
    }
}

/// A bundle ready to answer from.
pub struct Loaded<'a> {
    /// Its bytes.
    pub bytes: Cow<'a, [u8]>,
    /// Its engine.
    pub engine: Engine,
    /// Where it comes from.
    pub origin: Origin,
}

fn problem(code: &str, status: u16, detail: impl Into<String>) -> Reply {
    Reply::problem(&Problem::new(code, status, detail))
}

/// The 503 of a failing store: logged to standard error with what the host said (which may
/// name files or servers of the host), answered with a fixed text. A write whose answer was
/// lost may still have happened, so the client is told to retry (publishing the same files
/// and an event with the same key are both applied once).
pub fn store_problem(e: &StoreError) -> Reply {
    eprintln!("cpm-edge: the key-value store failed: {e}");
    problem(
        problem::STORE_UNAVAILABLE,
        503,
        "the key-value store is unavailable; try again later, with the same `Idempotency-Key` for an event (an event is never applied twice)",
    )
}

fn corrupt(key: &str, e: &dyn std::fmt::Display) -> Reply {
    problem(
        problem::BUNDLE_UNAVAILABLE,
        500,
        format!("the stored record `{key}` cannot be read: {e}"),
    )
}

fn read_record<S: Store>(store: &S) -> Result<ActiveRecord, Reply> {
    match store.get(ACTIVE_KEY).map_err(|e| store_problem(&e))? {
        None => Ok(ActiveRecord::default()),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| corrupt(ACTIVE_KEY, &e)),
    }
}

fn load_default(default: BundleBytes<'_>) -> Result<Loaded<'_>, Reply> {
    let (bytes, engine) = load(default)?;
    Ok(Loaded {
        bytes,
        engine,
        origin: Origin::Embedded,
    })
}

/// The stored bundle `hash`, if the store has it.
fn load_stored<S: Store>(store: &S, hash: &str) -> Result<Option<Loaded<'static>>, Reply> {
    let key = format!("{BUNDLE_PREFIX}{hash}");
    let Some(bytes) = store.get(&key).map_err(|e| store_problem(&e))? else {
        return Ok(None);
    };
    let engine = api::load(&bytes).map_err(|e| corrupt(&key, &e))?;
    Ok(Some(Loaded {
        bytes: Cow::Owned(bytes),
        engine,
        origin: Origin::Published,
    }))
}

/// The active bundle: the published one the active pointer names, or the deployed
/// `default`. Without a store (the component is not granted one) nothing can have been
/// published, so that is the deployed bundle too.
///
/// # Errors
/// The problem reply: 503 when the store fails, 500 when the bundle cannot be loaded.
pub fn active<'a, P: Platform>(
    platform: &P,
    default: BundleBytes<'a>,
) -> Result<Loaded<'a>, Reply> {
    let store = match platform.store() {
        Ok(store) => store,
        Err(StoreError::Unavailable { .. }) => return load_default(default),
        Err(e) => return Err(store_problem(&e)),
    };
    active_in(store, default)
}

/// [`active`] with an open store.
///
/// # Errors
/// As [`active`].
pub fn active_in<'a, S: Store>(store: &S, default: BundleBytes<'a>) -> Result<Loaded<'a>, Reply> {
    let record = read_record(store)?;
    match record.bundle_hash {
        None => load_default(default),
        Some(hash) => load_stored(store, &hash)?.ok_or_else(|| {
            problem(
                problem::BUNDLE_UNAVAILABLE,
                500,
                format!(
                    "the active bundle `{hash}` is missing from the store; activate another one with `POST /v1/bundles/{{hash}}/activate`"
                ),
            )
        }),
    }
}

/// The bundle a case is pinned to: the stored bundle `hash`, or the deployed one when it has
/// that hash.
///
/// # Errors
/// 409 `bundle-mismatch` when neither has it (the store lost it, or the case comes from
/// another deployment); 503 when the store fails; 500 when a bundle cannot be loaded.
pub fn pinned<'a, S: Store>(
    store: &S,
    hash: &str,
    default: BundleBytes<'a>,
) -> Result<Loaded<'a>, Reply> {
    if let Some(loaded) = load_stored(store, hash)? {
        return Ok(loaded);
    }
    let loaded = load_default(default)?;
    if loaded.engine.hash() == hash {
        return Ok(loaded);
    }
    Err(problem(
        "bundle-mismatch",
        409,
        format!(
            "the case is pinned to the bundle `{hash}`, which is neither in the store nor the deployed bundle; publish that bundle again to continue the case"
        ),
    ))
}

/// Whether `hash` is a bundle hash (64 lowercase hex digits).
pub fn valid_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether the store holds the bundle `hash`.
///
/// # Errors
/// 503 when the store fails.
pub fn is_stored<S: Store>(store: &S, hash: &str) -> Result<bool, Reply> {
    Ok(store
        .get(&format!("{BUNDLE_PREFIX}{hash}"))
        .map_err(|e| store_problem(&e))?
        .is_some())
}

/// What is known about the published bundle `hash`.
///
/// # Errors
/// 503 when the store fails, 500 when the record cannot be read.
pub fn info<S: Store>(store: &S, hash: &str) -> Result<Option<BundleInfo>, Reply> {
    let key = format!("{INFO_PREFIX}{hash}");
    match store.get(&key).map_err(|e| store_problem(&e))? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| corrupt(&key, &e)),
    }
}

/// Writes `value` at `key` unless the key already holds it (content-addressed values: any
/// writer writes the same bytes). With `keep_existing`, any existing value is kept.
fn put<S: Store>(store: &S, key: &str, value: &[u8], keep_existing: bool) -> Result<(), Reply> {
    for _ in 0..MAX_ATTEMPTS {
        let (current, cas) = store.read_for_swap(key).map_err(|e| store_problem(&e))?;
        match current {
            Some(bytes) if keep_existing || bytes == value => return Ok(()),
            _ => {}
        }
        match store.swap(cas, value) {
            Ok(()) => return Ok(()),
            Err(SwapError::Conflict) => {}
            Err(SwapError::Store(e)) => return Err(store_problem(&e)),
        }
    }
    Err(conflict())
}

fn conflict() -> Reply {
    problem(
        problem::WRITE_CONFLICT,
        409,
        format!(
            "the bundle registry kept changing while this request was applied ({MAX_ATTEMPTS} attempts); nothing was changed, send it again"
        ),
    )
}

/// Stores a published bundle: its bytes and its sources (`{"files": […]}` JSON), both
/// content-addressed. Nothing becomes active here.
///
/// # Errors
/// 503 when the store fails, 409 when other writers keep it busy.
pub fn store_bundle<S: Store>(
    store: &S,
    hash: &str,
    bytes: &[u8],
    sources: &[u8],
) -> Result<(), Reply> {
    put(store, &format!("{BUNDLE_PREFIX}{hash}"), bytes, false)?;
    put(store, &format!("{SOURCES_PREFIX}{hash}"), sources, false)
}

/// Records who published bundle `hash` and when, unless it was published before (the first
/// publish is kept).
///
/// # Errors
/// 503 when the store fails, 409 when other writers keep it busy.
pub fn record_first_publish<S: Store>(
    store: &S,
    hash: &str,
    info: &BundleInfo,
) -> Result<(), Reply> {
    let info = serde_json::to_vec(info).map_err(|e| corrupt(INFO_PREFIX, &e))?;
    put(store, &format!("{INFO_PREFIX}{hash}"), &info, true)
}

/// The stored sources of bundle `hash` (`{"files": […]}` JSON).
///
/// # Errors
/// 503 when the store fails.
pub fn sources<S: Store>(store: &S, hash: &str) -> Result<Option<Vec<u8>>, Reply> {
    store
        .get(&format!("{SOURCES_PREFIX}{hash}"))
        .map_err(|e| store_problem(&e))
}

/// A move of the active pointer.
pub struct Move<'a> {
    /// The bundle to make active; `None` is the deployed bundle.
    pub to: Option<&'a str>,
    /// The hash of the deployed bundle (what `None` means in the audit log).
    pub default_hash: &'a str,
    /// `publish` or `activate`.
    pub action: &'a str,
    /// Who.
    pub actor: &'a str,
    /// When.
    pub at: &'a str,
    /// The request's comment.
    pub comment: Option<&'a str>,
}

/// What a move did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    /// The hash active before.
    pub previous: String,
    /// Whether the pointer changed (false: the bundle was active already; nothing recorded).
    pub changed: bool,
    /// The sequence number of the move (of the last move when nothing changed).
    pub seq: u64,
}

/// Moves the active pointer with a compare-and-swap and records the move in the audit log
/// in the same write; a bundle that is active already is left so, and nothing is recorded.
/// `before_swap` runs once per attempt with the sequence number the move will get, before
/// the swap (publishing writes the bundle's first-publish record there).
///
/// # Errors
/// 503 when the store fails, 409 `write-conflict` when other writers moved the pointer
/// [`MAX_ATTEMPTS`] times in between, 500 when the stored record cannot be read.
pub fn move_active<S: Store>(
    store: &S,
    change: &Move<'_>,
    before_swap: &mut dyn FnMut(u64) -> Result<(), Reply>,
) -> Result<Moved, Reply> {
    let hash_of = |h: &Option<String>| h.clone().unwrap_or_else(|| change.default_hash.to_owned());
    let target = change.to.map(str::to_owned);
    for _ in 0..MAX_ATTEMPTS {
        let (current, cas) = store
            .read_for_swap(ACTIVE_KEY)
            .map_err(|e| store_problem(&e))?;
        let mut record: ActiveRecord = match current {
            None => ActiveRecord::default(),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| corrupt(ACTIVE_KEY, &e))?,
        };
        let previous = hash_of(&record.bundle_hash);
        if previous == hash_of(&target) {
            return Ok(Moved {
                previous,
                changed: false,
                seq: record.seq,
            });
        }
        let seq = record.seq + 1;
        before_swap(seq)?;
        if record.log.len() >= LOG_LIMIT {
            let archived: Vec<AuditEntry> = record.log.drain(..ARCHIVE_BATCH).collect();
            let first = archived.first().map_or(seq, |e| e.seq);
            let page = serde_json::to_vec(&AuditPage { entries: archived })
                .map_err(|e| corrupt(AUDIT_PREFIX, &e))?;
            put(store, &format!("{AUDIT_PREFIX}{first:020}"), &page, false)?;
        }
        record.log.push(AuditEntry {
            seq,
            at: change.at.to_owned(),
            actor: change.actor.to_owned(),
            action: change.action.to_owned(),
            from: previous.clone(),
            to: hash_of(&target),
            comment: change.comment.map(str::to_owned),
        });
        record.seq = seq;
        record.bundle_hash = target.clone();
        let bytes = serde_json::to_vec(&record).map_err(|e| corrupt(ACTIVE_KEY, &e))?;
        match store.swap(cas, &bytes) {
            Ok(()) => {
                return Ok(Moved {
                    previous,
                    changed: true,
                    seq,
                });
            }
            Err(SwapError::Conflict) => {}
            Err(SwapError::Store(e)) => return Err(store_problem(&e)),
        }
    }
    Err(conflict())
}

/// Every audit entry, oldest first (archive pages and the active record merged by sequence
/// number).
///
/// # Errors
/// 503 when the store fails, 500 when a record cannot be read.
pub fn audit<S: Store>(store: &S) -> Result<Vec<AuditEntry>, Reply> {
    let mut entries = std::collections::BTreeMap::new();
    for key in store::all_keys(store, AUDIT_PREFIX).map_err(|e| store_problem(&e))? {
        if let Some(bytes) = store.get(&key).map_err(|e| store_problem(&e))? {
            let page: AuditPage = serde_json::from_slice(&bytes).map_err(|e| corrupt(&key, &e))?;
            for entry in page.entries {
                entries.insert(entry.seq, entry);
            }
        }
    }
    for entry in read_record(store)?.log {
        entries.insert(entry.seq, entry);
    }
    Ok(entries.into_values().collect())
}

/// The hash of the published bundle the active pointer names (`None`: the deployed one).
///
/// # Errors
/// 503 when the store fails, 500 when the record cannot be read.
pub fn active_hash<S: Store>(store: &S) -> Result<Option<String>, Reply> {
    Ok(read_record(store)?.bundle_hash)
}

/// Every published bundle with what is known about it, newest first.
///
/// # Errors
/// 503 when the store fails, 500 when a record cannot be read.
pub fn published<S: Store>(store: &S) -> Result<Vec<(String, BundleInfo)>, Reply> {
    let mut out = Vec::new();
    for key in store::all_keys(store, INFO_PREFIX).map_err(|e| store_problem(&e))? {
        let hash = key.trim_start_matches(INFO_PREFIX);
        if let Some(info) = info(store, hash)? {
            out.push((hash.to_owned(), info));
        }
    }
    out.sort_by(|a, b| b.1.seq.cmp(&a.1.seq).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}
