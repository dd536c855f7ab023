//! The store's injected faults on their own (no component): `kv-error-every` fails exactly
//! every Nth call and writes nothing when it does; the command-line forms parse and bad ones
//! are refused with a usable message. (`crash-after-write` aborts the process, so it is
//! exercised through the host binary in `tests/edge/faults.rs`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use cpm_test_host::kv::{Faults, Kv, KvError, SwapOutcome};

fn injected(result: Result<impl std::fmt::Debug, KvError>) -> u64 {
    match result {
        Err(KvError::Injected(n)) => n,
        other => panic!("expected an injected fault, got {other:?}"),
    }
}

#[test]
fn every_third_call_fails_and_writes_nothing() {
    let kv = Kv::memory(["default"]).with_faults(Faults {
        error_every: Some(3),
        crash_after_write: None,
    });
    let bucket = kv.open("default").unwrap();
    bucket.set("a", b"1").unwrap(); // call 1
    assert_eq!(bucket.get("a").unwrap(), Some(b"1".to_vec())); // call 2
    assert_eq!(injected(bucket.set("a", b"2")), 3); // call 3: not written
    assert_eq!(bucket.get("a").unwrap(), Some(b"1".to_vec())); // call 4
    let cas = bucket.cas("a").unwrap(); // call 5
    assert_eq!(injected(cas.swap(b"3")), 6); // call 6: not written
    assert_eq!(cas.swap(b"3").unwrap(), SwapOutcome::Swapped); // call 7
    assert_eq!(bucket.get("a").unwrap(), Some(b"3".to_vec())); // call 8
    assert_eq!(injected(bucket.list_keys(None)), 9);
    assert_eq!(bucket.list_keys(None).unwrap(), ["a"]);
    let message = KvError::Injected(9).to_string();
    assert!(message.contains("injected fault"), "{message}");
}

#[test]
fn a_store_without_faults_never_fails() {
    let kv = Kv::memory(["default"]);
    assert_eq!(kv.faults(), Faults::default());
    let bucket = kv.open("default").unwrap();
    for i in 0..1000 {
        bucket.set("k", format!("{i}").as_bytes()).unwrap();
    }
    assert_eq!(bucket.get("k").unwrap(), Some(b"999".to_vec()));
}

#[test]
fn fault_texts_parse_and_bad_ones_are_refused() {
    let mut faults = Faults::default();
    faults.add("kv-error-every=5").unwrap();
    faults.add("crash-after-write=2").unwrap();
    assert_eq!(
        faults,
        Faults {
            error_every: Some(5),
            crash_after_write: Some(2),
        }
    );
    for bad in [
        "kv-error-every=0",
        "kv-error-every",
        "nope=1",
        "crash-after-write=x",
    ] {
        let message = Faults::default().add(bad).unwrap_err();
        assert!(message.contains(&format!("`{bad}`")), "{message}");
    }
}
