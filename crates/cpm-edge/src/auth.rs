//! Who may publish: bearer tokens from the `admin_tokens` configuration value, compared in
//! constant time.
//!
//! Pipeline position: the first step of every admin route ([`crate::admin`]), before the
//! body is read. `admin_tokens` (a Spin variable, secret) is `name:token[,name:token...]`;
//! the name is the audit log's `actor`. Empty or absent: publishing is disabled.
//!
//! A presented token is compared with every configured one, all of them every time, by
//! their SHA-256 digests with a loop that ORs the byte differences ([`same_secret`]): the
//! time taken depends on neither where the first differing byte is nor on the token's
//! length, nor on which entry matched.

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::platform::Platform;
use crate::problem::{self, Problem};
use crate::service::{Reply, Request};

/// The configuration key of the admin tokens.
pub const TOKENS_KEY: &str = "admin_tokens";

/// Why a request may not use an admin route.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AuthError {
    /// No admin token is configured.
    #[error(
        "publishing is disabled: no admin token is configured; set the Spin variable `admin_tokens` to `name:token[,name:token...]` (e.g. `SPIN_VARIABLE_ADMIN_TOKENS=alice:… spin up`)"
    )]
    Disabled,
    /// The configuration cannot be read or is malformed.
    #[error("the `admin_tokens` variable is not usable: {0}")]
    BadConfig(String),
    /// No `Authorization: Bearer …` header.
    #[error("this route needs `Authorization: Bearer <token>` with an admin token")]
    Missing,
    /// The token matches no configured one.
    #[error("the bearer token is not an admin token")]
    Forbidden,
}

impl AuthError {
    /// The problem reply (401 with `WWW-Authenticate: Bearer`, 403, or 500).
    pub fn reply(&self) -> Reply {
        let (code, status) = match self {
            AuthError::Disabled => (problem::PUBLISHING_DISABLED, 403),
            AuthError::BadConfig(_) => (problem::BAD_CONFIG, 500),
            AuthError::Missing => (problem::UNAUTHORIZED, 401),
            AuthError::Forbidden => (problem::FORBIDDEN, 403),
        };
        let mut reply = Reply::problem(&Problem::new(code, status, self.to_string()));
        if status == 401 {
            reply
                .headers
                .push(("www-authenticate".into(), "Bearer".into()));
        }
        reply
    }
}

/// One configured token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Its holder (the audit `actor`).
    pub name: String,
    digest: [u8; 32],
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Parses `name:token[,name:token...]` (spaces around entries ignored; an empty value has no
/// tokens).
///
/// # Errors
/// [`AuthError::BadConfig`] naming the entry (by position, never its token) that is not
/// `name:token` with both parts non-empty.
pub fn parse_tokens(config: &str) -> Result<Vec<Token>, AuthError> {
    let mut tokens = Vec::new();
    if config.trim().is_empty() {
        return Ok(tokens);
    }
    for (i, entry) in config.split(',').enumerate() {
        match entry.trim().split_once(':') {
            Some((name, token)) if !name.trim().is_empty() && !token.trim().is_empty() => {
                tokens.push(Token {
                    name: name.trim().to_owned(),
                    digest: digest(token.trim()),
                });
            }
            _ => {
                return Err(AuthError::BadConfig(format!(
                    "entry {} is not `name:token`; write `name:token[,name:token...]`",
                    i + 1
                )));
            }
        }
    }
    Ok(tokens)
}

/// Whether two digests are equal, in time independent of their contents.
pub fn same_secret(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// The holder of `presented` among `tokens`: every token is compared (no early exit).
pub fn holder<'a>(tokens: &'a [Token], presented: &str) -> Option<&'a str> {
    let presented = digest(presented);
    let mut found = None;
    for token in tokens {
        if same_secret(&token.digest, &presented) && found.is_none() {
            found = Some(token.name.as_str());
        }
    }
    found
}

/// The actor of an admin request: the name of the token in its `Authorization: Bearer`
/// header.
///
/// # Errors
/// [`AuthError`]: publishing disabled or misconfigured, no bearer token, or a wrong one.
pub fn actor<P: Platform>(request: &Request, platform: &P) -> Result<String, AuthError> {
    let config = platform
        .config(TOKENS_KEY)
        .map_err(|e| AuthError::BadConfig(format!("the host cannot read it: {e}")))?
        .unwrap_or_default();
    let tokens = parse_tokens(&config)?;
    if tokens.is_empty() {
        return Err(AuthError::Disabled);
    }
    let header = request.header("authorization").ok_or(AuthError::Missing)?;
    let (scheme, token) = header.trim().split_once(' ').ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Missing);
    }
    holder(&tokens, token.trim())
        .map(str::to_owned)
        .ok_or(AuthError::Forbidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_with_names() {
        let tokens = parse_tokens(" alice:s3cret , bob:other:colon").unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].name, "alice");
        assert_eq!(tokens[1].name, "bob");
        assert_eq!(holder(&tokens, "s3cret"), Some("alice"));
        // Only the first `:` separates: the token may contain colons.
        assert_eq!(holder(&tokens, "other:colon"), Some("bob"));
        assert_eq!(holder(&tokens, "s3cre"), None);
        assert_eq!(holder(&tokens, "s3crett"), None);
        assert_eq!(holder(&tokens, ""), None);
        assert!(parse_tokens("").unwrap().is_empty());
        assert!(parse_tokens("  ").unwrap().is_empty());
    }

    #[test]
    fn malformed_tokens_name_the_entry_not_the_secret() {
        for config in ["alice", "alice:", ":zq9", "alice:zq9,,bob:x"] {
            let err = parse_tokens(config).unwrap_err();
            let AuthError::BadConfig(message) = &err else {
                panic!("{config}: {err:?}");
            };
            assert!(message.contains("entry"), "{message}");
            assert!(!message.contains("zq9"), "{message}");
        }
    }

    #[test]
    fn same_secret_compares_every_byte() {
        let a = digest("one");
        assert!(same_secret(&a, &a));
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 0x01;
            assert!(!same_secret(&a, &b), "byte {i}");
            let mut c = a;
            c[i] ^= 0x80;
            assert!(!same_secret(&a, &c), "byte {i}");
        }
    }
}
