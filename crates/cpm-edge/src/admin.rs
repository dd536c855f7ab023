//! The bundle routes: reading the active bundle's sources and the published versions, and
//! the admin routes that publish, activate and audit.
//!
//! Pipeline position: between [`crate::service`] (which routes a request here) and
//! `cpm_core::api` (which builds bundles and runs their test cases: the edge uses the very
//! compiler the CLI and the browser package use, so a client that builds the same files gets
//! the same hash). This module authorises ([`crate::auth`]), stores ([`crate::registry`])
//! and maps answers to HTTP; it decides nothing about rules.
//!
//! | route | method | token | answer |
//! | --- | --- | --- | --- |
//! | `/v1/bundle/sources` | `GET` | no | `{bundleHash, files: [{path, text}]}` of the active bundle |
//! | `/v1/bundles` | `GET` | no | `{active, bundles: [{bundleHash, origin, publishedAt?, publishedBy?}]}`, newest first |
//! | `/v1/bundles` | `PUT` | yes | builds `files`, runs the test cases, stores and activates (201) |
//! | `/v1/bundles/{hash}/activate` | `POST` | yes | makes a known bundle active (200) |
//! | `/v1/audit` | `GET` | yes | every publish and activation, oldest first |

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;
use cpm_core::feel::eval::Limits;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::auth;
use crate::negotiate::Format;
use crate::platform::Platform;
use crate::problem::{self, Problem};
use crate::registry::{self, BundleInfo, Move, Origin};
use crate::service::{BundleBytes, Reply, Request, load, read_json_body};
use crate::store::{MAX_VALUE_BYTES, StoreError};

/// The longest `comment` of a publish or activation, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

fn problem(code: &str, status: u16, detail: impl Into<String>) -> Reply {
    Reply::problem(&Problem::new(code, status, detail))
}

/// The store, or `None` when the component is not granted one (nothing was published).
fn optional_store<P: Platform>(platform: &P) -> Result<Option<&P::Store>, Reply> {
    match platform.store() {
        Ok(store) => Ok(Some(store)),
        Err(StoreError::Unavailable { .. }) => Ok(None),
        Err(e) => Err(registry::store_problem(&e)),
    }
}

fn required_store<P: Platform>(platform: &P) -> Result<&P::Store, Reply> {
    platform.store().map_err(|e| registry::store_problem(&e))
}

/// The hash of the deployed bundle.
fn default_hash(default: BundleBytes<'_>) -> Result<String, Reply> {
    let (_, engine) = load(default)?;
    Ok(engine.hash().to_owned())
}

/// `GET /v1/bundle/sources`: the files the active bundle was built from.
pub(crate) fn sources<P: Platform>(
    default: BundleBytes<'_>,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let active = registry::active(platform, default)?;
    let hash = active.engine.hash().to_owned();
    let unavailable = |why: &str| {
        problem(
            problem::SOURCES_UNAVAILABLE,
            404,
            format!(
                "the sources of the active bundle `{hash}` are not known: {why}; publish the rules with `PUT /v1/bundles` to serve them"
            ),
        )
    };
    let files = match active.origin {
        Origin::Embedded => {
            let embedded: Json = serde_json::from_str(registry::EMBEDDED_SOURCES)
                .map_err(|_| unavailable("the embedded sources cannot be read"))?;
            if embedded.get("bundleHash").and_then(Json::as_str) != Some(hash.as_str()) {
                return Err(unavailable(
                    "the deployed bundle is a bundle file (`CPM_BUNDLE_FILE`), not the rules folder compiled into the component",
                ));
            }
            embedded.get("files").cloned().unwrap_or(Json::Null)
        }
        Origin::Published => {
            let store = required_store(platform)?;
            let bytes = registry::sources(store, &hash)?
                .ok_or_else(|| unavailable("the store has none for it"))?;
            let stored: Json = serde_json::from_slice(&bytes)
                .map_err(|_| unavailable("the stored sources cannot be read"))?;
            stored.get("files").cloned().unwrap_or(Json::Null)
        }
    };
    let mut answer = Map::new();
    answer.insert("bundleHash".into(), hash.into());
    answer.insert("files".into(), files);
    let mut reply = Reply::value(200, &Json::Object(answer), format);
    reply
        .headers
        .push(("etag".into(), format!("\"{}\"", active.engine.hash())));
    Ok(reply)
}

/// The `origin`, `publishedAt` and `publishedBy` members of a bundle's description.
pub(crate) fn describe_origin<P: Platform>(
    platform: &P,
    hash: &str,
    origin: &Origin,
    into: &mut Map<String, Json>,
) -> Result<(), Reply> {
    into.insert("origin".into(), origin.as_str().into());
    if *origin == Origin::Published
        && let Some(store) = optional_store(platform)?
        && let Some(info) = registry::info(store, hash)?
    {
        into.insert("publishedAt".into(), info.published_at.into());
        into.insert("publishedBy".into(), info.published_by.into());
    }
    Ok(())
}

/// `GET /v1/bundles`: the active hash and every known bundle, newest first (the deployed
/// bundle last).
pub(crate) fn list<P: Platform>(
    default: BundleBytes<'_>,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let default_hash = default_hash(default)?;
    let (active, published) = match optional_store(platform)? {
        Some(store) => (registry::active_hash(store)?, registry::published(store)?),
        None => (None, Vec::new()),
    };
    let mut bundles = Vec::new();
    for (hash, info) in published {
        let mut o = Map::new();
        o.insert("bundleHash".into(), hash.into());
        o.insert("origin".into(), Origin::Published.as_str().into());
        o.insert("publishedAt".into(), info.published_at.into());
        o.insert("publishedBy".into(), info.published_by.into());
        bundles.push(Json::Object(o));
    }
    let mut o = Map::new();
    o.insert("bundleHash".into(), default_hash.clone().into());
    o.insert("origin".into(), Origin::Embedded.as_str().into());
    bundles.push(Json::Object(o));
    let mut answer = Map::new();
    answer.insert("active".into(), active.unwrap_or(default_hash).into());
    answer.insert("bundles".into(), bundles.into());
    Ok(Reply::value(200, &Json::Object(answer), format))
}

/// One source file of a publish request (and of the sources answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    path: String,
    text: String,
}

/// The body of `PUT /v1/bundles`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    files: Vec<SourceFile>,
    #[serde(default, rename = "bundleHash")]
    bundle_hash: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

/// The body of `POST /v1/bundles/{hash}/activate` (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    #[serde(default)]
    comment: Option<String>,
}

fn invalid(detail: impl Into<String>) -> Reply {
    problem(problem::INVALID_REQUEST, 422, detail)
}

fn check_comment(comment: Option<&String>) -> Result<(), Reply> {
    match comment {
        Some(c) if c.chars().count() > MAX_COMMENT_CHARS => Err(invalid(format!(
            "the comment has {} characters; keep it to {MAX_COMMENT_CHARS}",
            c.chars().count()
        ))),
        _ => Ok(()),
    }
}

/// Reads and checks the publish body: at least one file, paths non-empty and distinct;
/// the files sorted by path (the order `cpm build` and `GET /v1/bundle/sources` use).
fn publish_body(request: &Request) -> Result<PublishBody, Reply> {
    let body = read_json_body(request)?;
    let mut body: PublishBody = serde_json::from_value(body).map_err(|e| {
        invalid(format!(
            "the body is not a publish request `{{\"files\": [{{\"path\", \"text\"}}], \"bundleHash\"?, \"comment\"?}}`: {e}"
        ))
    })?;
    if body.files.is_empty() {
        return Err(invalid(
            "`files` is empty; send the rules files (`{\"path\": \"discount.yaml\", \"text\": \"…\"}`)",
        ));
    }
    body.files.sort_by(|a, b| a.path.cmp(&b.path));
    for (i, file) in body.files.iter().enumerate() {
        if file.path.trim().is_empty() {
            return Err(invalid("a file has an empty `path`; name every file"));
        }
        if body
            .files
            .get(i + 1)
            .is_some_and(|next| next.path == file.path)
        {
            return Err(invalid(format!(
                "the path `{}` is given twice; send each file once",
                file.path
            )));
        }
    }
    check_comment(body.comment.as_ref())?;
    if let Some(hash) = &body.bundle_hash
        && !registry::valid_hash(hash)
    {
        return Err(invalid(format!(
            "`bundleHash` `{hash}` is not a bundle hash (64 lowercase hex digits)"
        )));
    }
    Ok(body)
}

fn diagnostics(list: &[cpm_core::compile::Diagnostic]) -> Vec<Json> {
    list.iter()
        .map(|d| serde_json::to_value(d).unwrap_or(Json::Null))
        .collect()
}

/// `PUT /v1/bundles`: builds the files, runs every test case, stores the bundle and makes it
/// active (201); the active bundle again is 200 and records nothing.
pub(crate) fn publish<P: Platform>(
    request: &Request,
    default: BundleBytes<'_>,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let actor = auth::actor(request, platform).map_err(|e| e.reply())?;
    let body = publish_body(request)?;
    let files: Vec<SourceText> = body
        .files
        .iter()
        .map(|f| SourceText {
            path: f.path.clone(),
            text: f.text.clone(),
        })
        .collect();
    let (bytes, warnings) = match api::build(&files) {
        BuildAnswer::Success { bundle, warnings } => {
            let bytes = bundle.encode().map_err(|e| {
                problem(
                    problem::BUILD_FAILED,
                    422,
                    format!("the bundle cannot be written: {e}"),
                )
            })?;
            (bytes, warnings)
        }
        BuildAnswer::Failure { errors, .. } => {
            let first = errors
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default();
            let mut p = Problem::new(
                problem::BUILD_FAILED,
                422,
                format!(
                    "the rules do not build: {} error(s), every one in `errors`; the first: {first}",
                    errors.len()
                ),
            );
            p.errors = diagnostics(&errors);
            return Err(Reply::problem(&p));
        }
    };
    let engine = api::load(&bytes).map_err(|e| {
        problem(
            problem::BUILD_FAILED,
            422,
            format!("the built bundle cannot be read back: {e}"),
        )
    })?;
    let hash = engine.hash().to_owned();
    if let Some(client) = &body.bundle_hash
        && *client != hash
    {
        return Err(problem(
            problem::HASH_MISMATCH,
            409,
            format!(
                "the edge built these files to `{hash}`, not `{client}`; the client's compiler differs from the edge's (update one of them) or the files were changed on the way"
            ),
        ));
    }
    let (passed, failures) = api::test_failures(&engine, Limits::default());
    if !failures.is_empty() {
        let mut p = Problem::new(
            problem::TESTS_FAILED,
            422,
            format!(
                "{} test check(s) fail ({passed} pass), every one in `errors`; fix the rules or the expected values and publish again",
                failures.len()
            ),
        );
        p.errors = failures;
        return Err(Reply::problem(&p));
    }
    let default_hash = default_hash(default)?;
    let store = required_store(platform)?;
    let now = platform.now();
    let to = if hash == default_hash {
        None
    } else {
        let sources = cpm_core::canonical::to_string(&serde_json::json!({ "files": body.files }));
        for (what, size) in [("bundle", bytes.len()), ("sources", sources.len())] {
            if size > MAX_VALUE_BYTES {
                return Err(problem(
                    problem::BUNDLE_TOO_LARGE,
                    507,
                    format!(
                        "the {what} would take {size} bytes, over the store's limit of {MAX_VALUE_BYTES} bytes; split the rules into a smaller app"
                    ),
                ));
            }
        }
        registry::store_bundle(store, &hash, &bytes, sources.as_bytes())?;
        Some(hash.as_str())
    };
    let moved = registry::move_active(
        store,
        &Move {
            to,
            default_hash: &default_hash,
            action: "publish",
            actor: &actor,
            at: &now,
            comment: body.comment.as_deref(),
        },
        &mut |seq| match to {
            Some(hash) => registry::record_first_publish(
                store,
                hash,
                &BundleInfo {
                    published_at: now.clone(),
                    published_by: actor.clone(),
                    seq,
                },
            ),
            None => Ok(()),
        },
    )?;
    let mut answer = Map::new();
    answer.insert("bundleHash".into(), hash.clone().into());
    answer.insert("previous".into(), moved.previous.into());
    let mut tests = Map::new();
    tests.insert("passed".into(), passed.into());
    tests.insert("failed".into(), 0.into());
    answer.insert("tests".into(), tests.into());
    answer.insert("warnings".into(), diagnostics(&warnings).into());
    let status = if moved.changed { 201 } else { 200 };
    let mut reply = Reply::value(status, &Json::Object(answer), format);
    reply
        .headers
        .push(("location".into(), format!("/v1/bundles/{hash}")));
    Ok(reply)
}

/// `POST /v1/bundles/{hash}/activate`: makes a stored bundle (or the deployed one) active.
pub(crate) fn activate<P: Platform>(
    request: &Request,
    hash: &str,
    default: BundleBytes<'_>,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    let actor = auth::actor(request, platform).map_err(|e| e.reply())?;
    let body = read_json_body(request)?;
    let body: ActivateBody = if body.is_null() {
        ActivateBody::default()
    } else {
        serde_json::from_value(body)
            .map_err(|e| invalid(format!("the body is not `{{\"comment\"?}}`: {e}")))?
    };
    check_comment(body.comment.as_ref())?;
    let default_hash = default_hash(default)?;
    let store = required_store(platform)?;
    let to = if hash == default_hash {
        None
    } else if registry::valid_hash(hash) && registry::is_stored(store, hash)? {
        Some(hash)
    } else {
        return Err(problem(
            problem::UNKNOWN_BUNDLE,
            404,
            format!(
                "there is no bundle `{hash}`; `GET /v1/bundles` lists the bundles that can be activated"
            ),
        ));
    };
    let now = platform.now();
    let moved = registry::move_active(
        store,
        &Move {
            to,
            default_hash: &default_hash,
            action: "activate",
            actor: &actor,
            at: &now,
            comment: body.comment.as_deref(),
        },
        &mut |_| Ok(()),
    )?;
    let mut answer = Map::new();
    answer.insert("bundleHash".into(), hash.into());
    answer.insert("previous".into(), moved.previous.into());
    Ok(Reply::value(200, &Json::Object(answer), format))
}

/// `GET /v1/audit`: every publish and activation, oldest first.
pub(crate) fn audit<P: Platform>(
    request: &Request,
    platform: &P,
    format: Format,
) -> Result<Reply, Reply> {
    auth::actor(request, platform).map_err(|e| e.reply())?;
    let entries: Vec<Json> = match optional_store(platform)? {
        Some(store) => registry::audit(store)?
            .iter()
            .map(registry::AuditEntry::to_json)
            .collect(),
        None => Vec::new(),
    };
    let mut answer = Map::new();
    answer.insert("entries".into(), entries.into());
    Ok(Reply::value(200, &Json::Object(answer), format))
}

#[cfg(test)]
mod tests;
