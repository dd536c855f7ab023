//! The bundle format: round trips, a hash that depends only on the program, and decoding
//! that refuses every damaged input with the right error and never panics.
//!
//! `golden/customer.hash` pins the hash of `examples/customer`, so an unintended change to
//! the bundle format (or to what the compiler produces) fails CI. After an intended change,
//! regenerate it with `BLESS=1 cargo test -p cpm-core --test bundle_format` and commit it.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: an unexpected build outcome must stop the test loudly"
)]

use std::path::{Path, PathBuf};

use cpm_core::api::{self, BuildAnswer};
use cpm_core::bundle::{self, Bundle, BundleError, FORMAT_VERSION, MAGIC, MAX_BUNDLE_BYTES};
use cpm_core::compile::SourceText;

const PRICING: &str = "\
model: pricing
inputs:
  - { name: Tier, type: string }
  - { name: Amount, type: number }
knowledge:
  - name: Tax
    params: [{ name: x, type: number }]
    expression: x * 0.21
decisions:
  - name: Discount
    table:
      hit: FIRST
      inputs: [{ expression: Tier }, { expression: Amount }]
      outputs: [{ name: discount, default: '0' }]
      rules:
        - { id: gold, when: ['\"gold\"', '>= 100'], then: ['0.15'], note: big gold orders }
        - { when: ['\"gold\"', '-'], then: ['0.1'] }
  - name: Price
    expression: Amount * (1 - Discount) + Tax(Amount)
tests:
  - name: gold
    input: { Tier: gold, Amount: 200 }
    expect: { Discount: 0.15 }
";

const SHIPPING: &str = "\
model: shipping
inputs:
  - { name: Weight, type: number }
decisions:
  - name: Shipping
    context:
      - { name: base, expression: '5' }
      - { name: per kg, expression: '0.5' }
    result: base + per kg * Weight
";

fn source(path: &str, text: &str) -> SourceText {
    SourceText {
        path: path.to_owned(),
        text: text.to_owned(),
    }
}

fn build(files: &[SourceText]) -> Bundle {
    match api::build(files) {
        BuildAnswer::Success { bundle, .. } => bundle,
        BuildAnswer::Failure { errors, .. } => panic!("build failed: {errors:#?}"),
    }
}

fn small_bundle() -> Vec<u8> {
    build(&[
        source("pricing.yaml", PRICING),
        source("shipping.yaml", SHIPPING),
    ])
    .encode()
    .unwrap()
}

#[test]
fn encode_then_decode_gives_the_same_bundle() {
    let bundle = build(&[
        source("pricing.yaml", PRICING),
        source("shipping.yaml", SHIPPING),
    ]);
    let bytes = bundle.encode().unwrap();
    assert_eq!(bytes.get(..4), Some(&MAGIC[..]));
    assert_eq!(bytes.get(4..8), Some(&FORMAT_VERSION.to_be_bytes()[..]));
    let decoded = bundle::decode(&bytes).unwrap();
    assert_eq!(decoded, bundle);
    assert_eq!(decoded.hash, bundle.hash);
    // Encoding is deterministic: the decoded bundle encodes to the same bytes.
    assert_eq!(decoded.encode().unwrap(), bytes);
    // The hash is lowercase hex SHA-256.
    assert_eq!(bundle.hash.len(), 64);
    assert!(
        bundle
            .hash
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    // The header carries the same hash.
    let header: String = bytes[8..40].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(header, bundle.hash);
}

#[test]
fn the_hash_does_not_depend_on_the_order_files_are_given_in() {
    let a = build(&[
        source("pricing.yaml", PRICING),
        source("shipping.yaml", SHIPPING),
    ]);
    let b = build(&[
        source("shipping.yaml", SHIPPING),
        source("pricing.yaml", PRICING),
    ]);
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.encode().unwrap(), b.encode().unwrap());
}

#[test]
fn the_hash_does_not_depend_on_layout_that_does_not_change_the_program() {
    let base = build(&[source("pricing.yaml", PRICING)]).hash;
    let variants = [
        // Blank lines and a comment.
        PRICING.replace("decisions:\n", "\n# the decisions\ndecisions:\n\n"),
        // Trailing spaces.
        PRICING.replace('\n', "  \n"),
        // Deeper indentation of the decision list.
        PRICING
            .replace("\n  - name: Discount", "\n    - name: Discount")
            .replace("\n    table:", "\n      table:")
            .replace("\n      hit:", "\n        hit:")
            .replace("\n      inputs:", "\n        inputs:")
            .replace("\n      outputs:", "\n        outputs:")
            .replace("\n      rules:", "\n        rules:")
            .replace("\n        - {", "\n          - {")
            .replace("\n  - name: Price", "\n    - name: Price")
            .replace("\n    expression: Amount", "\n      expression: Amount"),
        // Block style instead of flow style for an input.
        PRICING.replace(
            "  - { name: Tier, type: string }\n",
            "  - name: Tier\n    type: string\n",
        ),
    ];
    for (i, text) in variants.iter().enumerate() {
        assert_ne!(text, PRICING, "variant {i} changes nothing");
        assert_eq!(
            build(&[source("pricing.yaml", text)]).hash,
            base,
            "variant {i}"
        );
    }
    // The file's name is not part of the program either.
    assert_eq!(build(&[source("rules/other.yml", PRICING)]).hash, base);
}

#[test]
fn the_hash_changes_when_the_program_does() {
    let base = build(&[source("pricing.yaml", PRICING)]).hash;
    for (from, to) in [
        ("x * 0.21", "x * 0.22"),
        ("big gold orders", "large gold orders"),
        ("hit: FIRST", "hit: RULE ORDER"),
        ("expect: { Discount: 0.15 }", "expect: { Discount: 0.16 }"),
        ("{ name: Amount, type: number }", "{ name: Amount }"),
    ] {
        let changed = PRICING.replace(from, to);
        assert_ne!(changed, PRICING);
        assert_ne!(
            build(&[source("pricing.yaml", &changed)]).hash,
            base,
            "{to}"
        );
    }
}

#[test]
fn wrong_magic_is_not_a_bundle() {
    let mut bytes = small_bundle();
    bytes[0] = b'X';
    assert_eq!(bundle::decode(&bytes), Err(BundleError::NotABundle));
    assert_eq!(
        bundle::decode(b"{\"decision\": 1}"),
        Err(BundleError::NotABundle)
    );
    assert_eq!(bundle::decode(b""), Err(BundleError::NotABundle));
    let message = BundleError::NotABundle.to_string();
    assert!(message.contains("`cpm build`"), "{message}");
}

#[test]
fn another_format_version_is_named() {
    let mut bytes = small_bundle();
    bytes[4..8].copy_from_slice(&(FORMAT_VERSION + 1).to_be_bytes());
    let err = bundle::decode(&bytes).unwrap_err();
    assert_eq!(
        err,
        BundleError::Version {
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        }
    );
    assert!(err.to_string().contains("rebuild"), "{err}");
}

#[test]
fn every_truncation_is_refused() {
    let bytes = small_bundle();
    for len in 0..bytes.len() {
        let err = bundle::decode(&bytes[..len]).unwrap_err();
        let expected = if len < 4 {
            // Not even the magic: nothing says this was meant to be a bundle.
            BundleError::NotABundle
        } else if len < 40 {
            BundleError::Truncated { size: len }
        } else {
            // Past the header: the payload no longer matches its hash.
            BundleError::HashMismatch
        };
        assert_eq!(err, expected, "truncated to {len} bytes");
    }
    let message = BundleError::Truncated { size: 12 }.to_string();
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn a_flipped_byte_in_the_payload_is_a_hash_mismatch() {
    let bytes = small_bundle();
    for i in 40..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut damaged = bytes.clone();
            damaged[i] ^= bit;
            assert_eq!(
                bundle::decode(&damaged),
                Err(BundleError::HashMismatch),
                "byte {i}"
            );
        }
    }
    // A flipped byte in the hash itself is a mismatch too.
    let mut damaged = bytes.clone();
    damaged[20] ^= 1;
    assert_eq!(bundle::decode(&damaged), Err(BundleError::HashMismatch));
}

#[test]
fn a_payload_that_matches_its_hash_but_is_not_a_program_is_a_decode_error() {
    let sha256 = |payload: &[u8]| -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::digest(payload).into()
    };
    for payload in [&b""[..], b"\xc0", b"\x93\x01\x02\x03", b"\xff\xff\xff"] {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
        bytes.extend_from_slice(&sha256(payload));
        bytes.extend_from_slice(payload);
        match bundle::decode(&bytes) {
            Err(BundleError::Decode(message)) => assert!(!message.is_empty()),
            other => panic!("{payload:?}: {other:?}"),
        }
    }
}

#[test]
fn an_oversized_input_is_refused_before_hashing() {
    let bytes = vec![0u8; MAX_BUNDLE_BYTES + 1];
    assert_eq!(
        bundle::decode(&bytes),
        Err(BundleError::TooLarge {
            size: MAX_BUNDLE_BYTES + 1,
            limit: MAX_BUNDLE_BYTES
        })
    );
}

/// A small deterministic pseudo-random generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_never_panic_and_get_the_right_error() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let valid = small_bundle();
    for round in 0..4000 {
        let bytes: Vec<u8> = match round % 4 {
            // Pure noise.
            0 => (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
            // The right magic, then noise.
            1 => {
                let mut b = MAGIC.to_vec();
                b.extend((0..rng.below(200)).map(|_| rng.next() as u8));
                b
            }
            // A valid header, then noise.
            2 => {
                let mut b = valid[..8].to_vec();
                b.extend((0..rng.below(200)).map(|_| rng.next() as u8));
                b
            }
            // A valid bundle with a few random bytes overwritten.
            _ => {
                let mut b = valid.clone();
                for _ in 0..=rng.below(4) {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
                b
            }
        };
        let result = std::panic::catch_unwind(|| bundle::decode(&bytes));
        let result = result.unwrap_or_else(|_| panic!("decode panicked on round {round}"));
        let expected = if bytes.len() < 4 || bytes[..4] != MAGIC[..] {
            Some(BundleError::NotABundle)
        } else if bytes.len() < 8 {
            Some(BundleError::Truncated { size: bytes.len() })
        } else if bytes[4..8] != FORMAT_VERSION.to_be_bytes() {
            Some(BundleError::Version {
                found: u32::from_be_bytes(bytes[4..8].try_into().unwrap()),
                supported: FORMAT_VERSION,
            })
        } else if bytes.len() < 40 {
            Some(BundleError::Truncated { size: bytes.len() })
        } else if bytes == valid {
            None
        } else {
            Some(BundleError::HashMismatch)
        };
        match (result, expected) {
            (Ok(bundle), None) => assert_eq!(bundle.encode().unwrap(), valid),
            (Err(e), Some(expected)) => assert_eq!(e, expected, "round {round}"),
            (result, expected) => panic!("round {round}: got {result:?}, expected {expected:?}"),
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The source files of a folder and its subfolders (models, processes, templates), as the
/// CLI reads them (data files skipped), with `/`-separated paths relative to `dir`.
fn read_folder(dir: &Path) -> Vec<SourceText> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceText>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(source(&rel, &std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn the_customer_example_has_the_golden_hash() {
    let bundle = build(&read_folder(&repo_root().join("examples/customer")));
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/customer.hash");
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, format!("{}\n", bundle.hash)).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run `BLESS=1 cargo test -p cpm-core --test bundle_format`",
            golden.display()
        )
    });
    assert_eq!(
        bundle.hash,
        expected.trim(),
        "the bundle of examples/customer changed. If the change to the bundle format or the \
         compiler is intended, bump bundle::FORMAT_VERSION if old bundles can no longer be \
         read, then run `BLESS=1 cargo test -p cpm-core --test bundle_format` and commit \
         tests/golden/customer.hash"
    );
}
