//! The hand-written bundle reader (`bundle::decode`) agrees with `rmp-serde`'s derived
//! decoding on every bundle: those built from `examples/customer` and from every model and
//! process file in `tests/vectors`, and random expression and type trees (every variant).
//! Agreement is checked on the decoded program and, stronger (decimals compare by value),
//! on the bytes the decoded program encodes back to. The decisions-only reader
//! (`bundle::decode_decisions`) gives the same models from each, and no processes.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: an unexpected build outcome must stop the test loudly"
)]

use std::path::{Path, PathBuf};

use cpm_core::api::{self, BuildAnswer};
use cpm_core::bundle::{self, Bundle};
use cpm_core::compile::SourceText;
use cpm_core::feel::ast::{
    Args, ArithOp, CmpOp, Expr, ExprKind, Iteration, IterationSource, Quantifier, Span, TypeRef,
    UnaryTest,
};
use cpm_core::ir::{Body, Cell, Decision, Knowledge, Model, Program, Rule, Table, Test};
use cpm_core::source::{Aggregation, HitPolicy};
use proptest::prelude::*;
use rust_decimal::Decimal;
use yaml_rust2::YamlLoader;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Checks that both readers give the same program from the bundle of `program`, and that
/// the program read back encodes to the same payload.
fn assert_readers_agree(program: Program, what: &str) {
    let bytes = Bundle::new(program.clone()).unwrap().encode().unwrap();
    let payload = &bytes[40..];
    let by_hand = bundle::decode(&bytes)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .program;
    let by_serde: Program = rmp_serde::from_slice(payload).unwrap();
    assert_eq!(by_hand, by_serde, "{what}");
    assert_eq!(by_hand, program, "{what}");
    assert_eq!(rmp_serde::to_vec(&by_hand).unwrap(), payload, "{what}");
    // The decisions-only reader: the same models, no processes or templates.
    let decisions = bundle::decode_decisions(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        decisions.contents,
        bundle::Contents::DecisionsOnly,
        "{what}"
    );
    assert_eq!(
        decisions.hash,
        Bundle::new(program.clone()).unwrap().hash,
        "{what}"
    );
    assert_eq!(decisions.program.models, program.models, "{what}");
    assert!(decisions.program.processes.is_empty() && decisions.program.templates.is_empty());
}

fn built(files: &[SourceText]) -> Option<Program> {
    match api::build(files) {
        BuildAnswer::Success { bundle, .. } => Some(bundle.program),
        BuildAnswer::Failure { .. } => None,
    }
}

fn read_folder(dir: &Path, root: &Path, out: &mut Vec<SourceText>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_folder(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(SourceText {
                path: p
                    .strip_prefix(root)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
                text: std::fs::read_to_string(&p).unwrap(),
            });
        }
    }
}

fn vector_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            vector_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn the_customer_example_reads_back_the_same_both_ways() {
    let dir = repo_root().join("examples/customer");
    let mut files = Vec::new();
    read_folder(&dir, &dir, &mut files);
    let program = built(&files).unwrap_or_else(|| panic!("examples/customer does not build"));
    assert!(!program.processes.is_empty() && !program.templates.is_empty());
    assert_readers_agree(program, "examples/customer");
}

#[test]
fn every_vector_bundle_reads_back_the_same_both_ways() {
    let mut paths = Vec::new();
    vector_files(&repo_root().join("tests/vectors"), &mut paths);
    let mut checked = 0;
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let docs = YamlLoader::load_from_str(&text).unwrap();
        let doc = &docs[0];
        let files: Vec<SourceText> = if let Some(files) = doc["files"].as_hash() {
            files
                .iter()
                .map(|(k, v)| SourceText {
                    path: k.as_str().unwrap().to_owned(),
                    text: v.as_str().unwrap().to_owned(),
                })
                .collect()
        } else if let Some(model) = doc["model"].as_str() {
            vec![SourceText {
                path: "model.yaml".to_owned(),
                text: model.to_owned(),
            }]
        } else {
            continue;
        };
        // Vectors of build errors have no bundle.
        if let Some(program) = built(&files) {
            assert_readers_agree(program, &path.display().to_string());
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} vector bundles");
}

fn span() -> impl Strategy<Value = Span> {
    (0u32..5000, 0u32..70000).prop_map(|(start, end)| Span { start, end })
}

fn name() -> impl Strategy<Value = String> {
    "[a-z é]{0,12}"
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..28).prop_map(|(m, scale)| Decimal::new(m, scale))
}

fn type_ref() -> impl Strategy<Value = TypeRef> {
    let leaf = prop_oneof![
        Just(TypeRef::Any),
        Just(TypeRef::Null),
        name().prop_map(TypeRef::Named),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| TypeRef::List(Box::new(t))),
            inner.clone().prop_map(|t| TypeRef::Range(Box::new(t))),
            prop::collection::vec((name(), inner.clone()), 0..4).prop_map(TypeRef::Context),
            (prop::collection::vec(inner.clone(), 0..3), inner)
                .prop_map(|(p, r)| TypeRef::Function(p, Box::new(r))),
        ]
    })
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        Just(ExprKind::Null),
        any::<bool>().prop_map(ExprKind::Bool),
        decimal().prop_map(ExprKind::Number),
        name().prop_map(|s| ExprKind::String(s.into())),
        name().prop_map(ExprKind::Temporal),
        name().prop_map(ExprKind::Name),
        Just(ExprKind::InputValue),
    ];
    let leaf = (leaf, span()).prop_map(|(kind, span)| Expr { kind, span });
    leaf.prop_recursive(5, 48, 4, |e| {
        let b = e.clone().prop_map(Box::new);
        let kind = prop_oneof![
            (b.clone(), name()).prop_map(|(a, n)| ExprKind::Path(a, n)),
            (b.clone(), b.clone()).prop_map(|(a, c)| ExprKind::Filter(a, c)),
            (b.clone(), prop::collection::vec(e.clone(), 0..3))
                .prop_map(|(f, a)| ExprKind::Call(f, Args::Positional(a))),
            (b.clone(), prop::collection::vec((name(), e.clone()), 0..3))
                .prop_map(|(f, a)| ExprKind::Call(f, Args::Named(a))),
            b.clone().prop_map(ExprKind::Neg),
            (
                prop_oneof![
                    Just(ArithOp::Add),
                    Just(ArithOp::Sub),
                    Just(ArithOp::Mul),
                    Just(ArithOp::Div),
                    Just(ArithOp::Pow)
                ],
                b.clone(),
                b.clone()
            )
                .prop_map(|(o, x, y)| ExprKind::Arith(o, x, y)),
            (cmp_op(), b.clone(), b.clone()).prop_map(|(o, x, y)| ExprKind::Compare(o, x, y)),
            (b.clone(), b.clone()).prop_map(|(x, y)| ExprKind::And(x, y)),
            (b.clone(), b.clone()).prop_map(|(x, y)| ExprKind::Or(x, y)),
            (b.clone(), b.clone(), b.clone()).prop_map(|(value, low, high)| ExprKind::Between {
                value,
                low,
                high
            }),
            (
                b.clone(),
                prop::collection::vec(
                    prop_oneof![
                        (cmp_op(), e.clone()).prop_map(|(o, x)| UnaryTest::Compare(o, x)),
                        e.clone().prop_map(UnaryTest::Expr),
                    ],
                    0..3
                )
            )
                .prop_map(|(x, t)| ExprKind::In(x, t)),
            (b.clone(), type_ref()).prop_map(|(x, t)| ExprKind::InstanceOf(x, t)),
            (b.clone(), b.clone(), b.clone()).prop_map(|(cond, then, otherwise)| ExprKind::If {
                cond,
                then,
                otherwise
            }),
            (iterations(e.clone()), b.clone()).prop_map(|(i, x)| ExprKind::For(i, x)),
            (
                prop_oneof![Just(Quantifier::Some), Just(Quantifier::Every)],
                iterations(e.clone()),
                b.clone()
            )
                .prop_map(|(q, i, x)| ExprKind::Quantified(q, i, x)),
            prop::collection::vec(e.clone(), 0..4).prop_map(ExprKind::List),
            prop::collection::vec((name(), e.clone()), 0..4).prop_map(ExprKind::Context),
            (
                any::<bool>(),
                prop::option::of(b.clone()),
                prop::option::of(b.clone()),
                any::<bool>()
            )
                .prop_map(|(start_closed, start, end, end_closed)| ExprKind::Range {
                    start_closed,
                    start,
                    end,
                    end_closed
                }),
            (
                prop::collection::vec((name(), prop::option::of(type_ref())), 0..3),
                b
            )
                .prop_map(|(params, body)| ExprKind::FunctionDef { params, body }),
        ];
        (kind, span()).prop_map(|(kind, span)| Expr { kind, span })
    })
}

fn iterations(e: BoxedStrategy<Expr>) -> impl Strategy<Value = Vec<Iteration>> {
    prop::collection::vec(
        (
            name(),
            prop_oneof![
                e.clone().prop_map(IterationSource::List),
                (e.clone(), e).prop_map(|(from, to)| IterationSource::Range { from, to }),
            ],
        )
            .prop_map(|(name, source)| Iteration { name, source }),
        1..3,
    )
}

fn hit_policy() -> impl Strategy<Value = HitPolicy> {
    prop::sample::select(HitPolicy::ALL.to_vec())
}

/// A program holding the trees in a decision, a knowledge model with a boxed context, and
/// a one-rule table.
fn program(e: Expr, t: TypeRef, hit: HitPolicy, negated: bool) -> Program {
    let table = Table {
        hit,
        inputs: vec![],
        outputs: vec![],
        rules: vec![Rule {
            id: "r".to_owned(),
            when: vec![
                Cell::Any,
                Cell::Tests {
                    negated,
                    tests: vec![
                        Test::Compare(CmpOp::Le, e.clone()),
                        Test::Value(e.clone()),
                        Test::Predicate(e.clone()),
                    ],
                },
            ],
            then: vec![e.clone()],
            note: negated.then(|| "note".to_owned()),
        }],
        index: Default::default(),
    };
    Program {
        models: vec![Model {
            name: "m".to_owned(),
            types: vec![],
            inputs: vec![],
            knowledge: vec![Knowledge {
                name: "k".to_owned(),
                params: vec![("p".to_owned(), Some(t.clone()))],
                ty: None,
                body: Body::Context {
                    entries: vec![("x".to_owned(), Body::Table(Box::new(table)))],
                    result: Some(e.clone()),
                },
            }],
            decisions: vec![Decision {
                name: "d".to_owned(),
                ty: Some(t),
                body: Body::Expr(e),
                plan: vec![0, 300, 70_000],
                reads: vec![u32::MAX],
            }],
            tests: vec![],
        }],
        processes: vec![],
        templates: vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_trees_read_back_the_same_both_ways(
        e in expr(),
        t in type_ref(),
        hit in hit_policy(),
        negated in any::<bool>(),
    ) {
        assert_readers_agree(program(e, t, hit, negated), "random program");
    }
}

#[test]
fn aggregations_are_all_covered() {
    // `hit_policy()` draws from `HitPolicy::ALL`; keep it listing every aggregation.
    for a in [
        Aggregation::Sum,
        Aggregation::Min,
        Aggregation::Max,
        Aggregation::Count,
    ] {
        assert!(HitPolicy::ALL.contains(&HitPolicy::Collect(Some(a))));
    }
}
