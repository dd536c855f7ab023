//! Laws of FEEL arithmetic and comparison on exact decimals, checked through the evaluator
//! on random numbers: addition and multiplication commute and associate, multiplication
//! distributes over addition, subtraction undoes addition, and exactly one of `<`, `=`, `>`
//! holds, consistently with `<=`, `>=` and `!=`. Magnitudes stay where no result needs more
//! than 28 significant digits, so exact decimal arithmetic owes no rounding (beyond that,
//! products round to 28 digits and associativity holds only up to the last digit).
#![expect(
    clippy::panic,
    reason = "test helpers: an unexpected build outcome must stop the test loudly"
)]

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;
use cpm_core::decide::{Engine, Options};
use cpm_core::value::json;
use proptest::prelude::*;

/// Pairs of decisions that must give the same value, and comparisons.
const LAWS: &[(&str, &str, &str)] = &[
    ("add-commutes", "a + b", "b + a"),
    ("mul-commutes", "a * b", "b * a"),
    ("add-associates", "(a + b) + c", "a + (b + c)"),
    ("mul-associates", "(a * b) * c", "a * (b * c)"),
    ("distributes", "a * (b + c)", "a * b + a * c"),
    ("sub-undoes-add", "(a + b) - b", "a"),
    ("neg-is-sub", "-a", "0 - a"),
    ("zero-is-neutral", "a + 0", "a * 1"),
    ("eq-symmetric", "a = b", "b = a"),
    ("lt-flips", "a < b", "b > a"),
    ("le-is-lt-or-eq", "a <= b", "a < b or a = b"),
    ("ge-is-not-lt", "a >= b", "not(a < b)"),
    ("ne-is-not-eq", "a != b", "not(a = b)"),
    (
        "trichotomy",
        "(if a < b then 1 else 0) + (if a = b then 1 else 0) + (if a > b then 1 else 0)",
        "1",
    ),
    ("max-min", "max(a, b) + min(a, b)", "a + b"),
];

fn engine() -> Engine {
    let mut model = String::from(
        "model: laws\ninputs:\n  - { name: a, type: number }\n  - { name: b, type: number }\n  - { name: c, type: number }\ndecisions:\n",
    );
    for (name, left, right) in LAWS {
        model.push_str(&format!(
            "  - {{ name: '{name} left', expression: '{left}' }}\n"
        ));
        model.push_str(&format!(
            "  - {{ name: '{name} right', expression: '{right}' }}\n"
        ));
    }
    let files = [SourceText {
        path: "laws.yaml".to_owned(),
        text: model,
    }];
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => Engine::new(bundle),
        BuildAnswer::Failure { errors, .. } => panic!("the laws model does not build: {errors:#?}"),
    }
}

/// A decimal with up to 5 integer and 4 fraction digits, as JSON number text: a product
/// of three has at most 27 significant digits, within the 28 an exact decimal holds.
fn decimal() -> impl Strategy<Value = String> {
    (any::<bool>(), 0u64..100_000, 0u32..10_000, 0usize..=4).prop_map(
        |(negative, int, frac, digits)| {
            let sign = if negative { "-" } else { "" };
            if digits == 0 {
                return format!("{sign}{int}");
            }
            let frac = format!("{frac:04}");
            format!("{sign}{int}.{}", &frac[..digits])
        },
    )
}

fn value(engine: &Engine, decision: &str, input: &serde_json::Value) -> String {
    let options = Options {
        explain: false,
        ..Options::default()
    };
    match engine.decide(decision, input, &options) {
        Ok(d) => json::to_canonical_json(&d.output),
        Err(e) => format!("error {}: {e}", e.code()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn feel_arithmetic_and_comparison_obey_their_laws(
        a in decimal(),
        b in decimal(),
        c in decimal(),
        same in any::<bool>(),
    ) {
        thread_local! {
            static ENGINE: Engine = engine();
        }
        // Half the time `b` equals `a` written differently (trailing zeros), so `=` is
        // exercised on equal numbers too.
        let b = if same { format!("{a}{}", if a.contains('.') { "00" } else { ".00" }) } else { b };
        let input: serde_json::Value =
            serde_json::from_str(&format!("{{\"a\": {a}, \"b\": {b}, \"c\": {c}}}")).unwrap();
        ENGINE.with(|engine| {
            for (name, _, _) in LAWS {
                let left = value(engine, &format!("{name} left"), &input);
                let right = value(engine, &format!("{name} right"), &input);
                prop_assert!(!left.starts_with("error"), "{name}: {left}");
                prop_assert_eq!(&left, &right, "{} for {}", name, input);
            }
            Ok(())
        })?;
    }
}
