//! Static files under a path prefix (`--static /console=DIR`): what the spin-fileserver
//! component does for the console in spin.toml, so tests can load the console and the edge
//! from one origin without Spin.
//!
//! `GET` or `HEAD` of `PREFIX/` or `PREFIX/a/b.js` answers the file `DIR/index.html` or
//! `DIR/a/b.js` (a directory answers its `index.html`); `PREFIX` alone is redirected to
//! `PREFIX/`. Paths are percent-decoded, and a segment `..` or `.`, a decoded `/` or `\`, or a
//! file that resolves (through symbolic links) outside `DIR` is 404, as is a missing file.
//! Content types for html, js, css, wasm, svg, png, json and a few more; anything else is
//! `application/octet-stream`.

use std::path::{Path, PathBuf};

use bytes::Bytes;

/// One `--static PREFIX=DIR` mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The path prefix (`/console`), without a trailing `/`.
    pub prefix: String,
    /// The directory served.
    pub dir: PathBuf,
}

/// Parses `PREFIX=DIR` (`/console=js/console/dist`).
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_mount(text: &str) -> Result<Mount, String> {
    let Some((prefix, dir)) = text.split_once('=') else {
        return Err(format!(
            "`{text}` is not PREFIX=DIR (a path prefix like `/console`, `=`, a directory)"
        ));
    };
    let prefix = prefix.trim_end_matches('/');
    if !prefix.starts_with('/') || prefix.len() < 2 || dir.is_empty() {
        return Err(format!(
            "`{text}` is not PREFIX=DIR: the prefix must start with `/` and name a path (`/console`)"
        ));
    }
    Ok(Mount {
        prefix: prefix.to_owned(),
        dir: PathBuf::from(dir),
    })
}

/// What a static request answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 200 with this content type and body.
    File {
        /// `Content-Type`.
        content_type: &'static str,
        /// The file's bytes.
        body: Bytes,
    },
    /// 301 to this location (`PREFIX` → `PREFIX/`).
    Redirect(String),
    /// 404.
    NotFound,
    /// 405 (only `GET` and `HEAD`).
    MethodNotAllowed,
}

/// The mount `path` falls under, if any.
pub fn mount_for<'a>(mounts: &'a [Mount], path: &str) -> Option<&'a Mount> {
    mounts.iter().find(|m| {
        path == m.prefix
            || path
                .strip_prefix(m.prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The content type of a file name, by extension.
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Percent-decodes one path segment; `None` when it is not valid UTF-8 or escapes badly.
fn decode_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file under `dir` that `rest` (the path after the prefix, starting with `/`) names,
/// or `None` when it is not a safe relative path.
fn resolve(dir: &Path, rest: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let segment = decode_segment(raw)?;
        if segment == ".."
            || segment == "."
            || segment.contains('/')
            || segment.contains('\\')
            || segment.contains('\0')
        {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

/// Answers `method path` (path without the query) for `mount`.
pub async fn answer(mount: &Mount, method: &str, path: &str) -> Answer {
    if method != "GET" && method != "HEAD" {
        return Answer::MethodNotAllowed;
    }
    let Some(rest) = path.strip_prefix(mount.prefix.as_str()) else {
        return Answer::NotFound;
    };
    if rest.is_empty() {
        return Answer::Redirect(format!("{}/", mount.prefix));
    }
    let Some(mut file) = resolve(&mount.dir, rest) else {
        return Answer::NotFound;
    };
    if tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
        file.push("index.html");
    }
    // The file must stay inside the directory once symbolic links are followed.
    let (Ok(root), Ok(real)) = (
        tokio::fs::canonicalize(&mount.dir).await,
        tokio::fs::canonicalize(&file).await,
    ) else {
        return Answer::NotFound;
    };
    if !real.starts_with(&root) {
        return Answer::NotFound;
    }
    match tokio::fs::read(&real).await {
        Ok(body) => Answer::File {
            content_type: content_type(&real.to_string_lossy()),
            body: Bytes::from(body),
        },
        Err(_) => Answer::NotFound,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

    use super::*;

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cpm-static-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("site/assets")).unwrap();
        std::fs::write(dir.join("site/index.html"), "<h1>console</h1>").unwrap();
        std::fs::write(dir.join("site/assets/app.js"), "export {}").unwrap();
        std::fs::write(dir.join("site/assets/a b.css"), "b{}").unwrap();
        std::fs::write(dir.join("secret.txt"), "no").unwrap();
        dir
    }

    #[tokio::test]
    async fn serves_files_under_the_prefix_and_nothing_else() {
        let root = dir();
        let mount = parse_mount(&format!("/console/={}", root.join("site").display())).unwrap();
        assert_eq!(mount.prefix, "/console");
        let mounts = [mount.clone()];
        assert!(mount_for(&mounts, "/console/x").is_some());
        assert!(mount_for(&mounts, "/console").is_some());
        assert!(mount_for(&mounts, "/consoles").is_none());
        assert!(mount_for(&mounts, "/v1/bundle").is_none());

        let file = |content_type, body: &str| Answer::File {
            content_type,
            body: Bytes::from(body.to_owned()),
        };
        let html = "text/html; charset=utf-8";
        assert_eq!(
            answer(&mount, "GET", "/console").await,
            Answer::Redirect("/console/".into())
        );
        assert_eq!(
            answer(&mount, "GET", "/console/").await,
            file(html, "<h1>console</h1>")
        );
        assert_eq!(
            answer(&mount, "GET", "/console/assets/app.js").await,
            file("text/javascript; charset=utf-8", "export {}")
        );
        assert_eq!(
            answer(&mount, "HEAD", "/console/assets/a%20b.css").await,
            file("text/css; charset=utf-8", "b{}")
        );
        for escape in [
            "/console/../secret.txt",
            "/console/%2e%2e/secret.txt",
            "/console/assets/..%2f..%2fsecret.txt",
            "/console/missing.js",
            "/console/assets/%zz",
        ] {
            assert_eq!(
                answer(&mount, "GET", escape).await,
                Answer::NotFound,
                "{escape}"
            );
        }
        assert_eq!(
            answer(&mount, "POST", "/console/").await,
            Answer::MethodNotAllowed
        );
        #[cfg(unix)]
        {
            let link = root.join("site/leak.txt");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(root.join("secret.txt"), &link).unwrap();
            assert_eq!(
                answer(&mount, "GET", "/console/leak.txt").await,
                Answer::NotFound
            );
        }
        assert!(parse_mount("console=dir").is_err());
        assert!(parse_mount("/=dir").is_err());
        assert!(parse_mount("/console").is_err());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a.wasm"), "application/wasm");
        assert_eq!(content_type("a.svg"), "image/svg+xml");
        assert_eq!(content_type("a.png"), "image/png");
        assert_eq!(content_type("a.json"), "application/json");
        assert_eq!(content_type("README"), "application/octet-stream");
    }
}
