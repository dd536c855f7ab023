//! Every committed seed (`fuzz/seeds/<target>/`) and every input that once crashed a target
//! (`fuzz/regressions/<target>/`) runs through its target on each `cargo test`: none may
//! panic. A crash found by `scripts/fuzz` is added by copying its artifact into
//! `fuzz/regressions/<target>/` once it is fixed.

use std::path::Path;

#[test]
fn seeds_and_past_crashes_run_cleanly_through_every_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for (target, run) in cpm_fuzz::TARGETS {
        let mut inputs = 0;
        for folder in ["seeds", "regressions"] {
            let dir = root.join(folder).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
            paths.sort();
            for path in paths {
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
                inputs += 1;
            }
        }
        assert!(
            inputs > 0,
            "{target} has no seeds under fuzz/seeds/{target}"
        );
        ran += inputs;
    }
    println!(
        "fuzz regressions: {ran} inputs through {} targets",
        cpm_fuzz::TARGETS.len()
    );
}
