//! Evaluation budgets: hostile or runaway rules stop with a clean error (`fuel-exhausted`,
//! `depth-exceeded`, `too-large`), quickly, and never overflow the stack or exhaust memory.
//!
//! The recursion test runs on a 1 MiB stack, the default stack of a wasm module, so the
//! depth limit is proven to trip before the stack runs out; run it in release mode too
//! (`cargo test --release --test limits`), where frames are laid out differently.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: an unexpected build outcome must stop the test loudly"
)]

use std::time::{Duration, Instant};

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;
use cpm_core::decide::{Engine, Options};
use cpm_core::feel::eval::Limits;
use cpm_core::value::json;

/// The stack a wasm module gets by default.
const WASM_STACK: usize = 1 << 20;

/// Every test must finish well within this, even unoptimised.
const QUICK: Duration = Duration::from_secs(20);

fn engine(model: &str) -> Engine {
    let files = [SourceText {
        path: "m.yaml".to_owned(),
        text: model.to_owned(),
    }];
    match api::build(&files) {
        BuildAnswer::Success { bundle, .. } => Engine::new(bundle),
        BuildAnswer::Failure { errors, .. } => panic!("build failed: {errors:#?}"),
    }
}

/// A model with one decision `D` computing `expression` (quoted for YAML), over input
/// `N: number` and `Data: Any`.
fn expression_model(expression: &str) -> String {
    format!(
        "\
model: m
inputs:
  - {{ name: N, type: number }}
  - {{ name: Data }}
decisions:
  - name: D
    expression: '{}'
",
        expression.replace('\'', "''")
    )
}

/// Evaluates `D`: the canonical output, or the error code.
fn decide(engine: &Engine, input: &serde_json::Value, limits: Limits) -> Result<String, String> {
    let options = Options {
        explain: false,
        limits,
    };
    engine
        .decide("D", input, &options)
        .map(|d| json::to_canonical_json(&d.output))
        .map_err(|e| e.code().to_owned())
}

/// Evaluates `expression` with no input, timing it.
fn eval(expression: &str, limits: Limits) -> Result<String, String> {
    let engine = engine(&expression_model(expression));
    let started = Instant::now();
    let result = decide(&engine, &serde_json::Value::Null, limits);
    assert!(
        started.elapsed() < QUICK,
        "`{expression}` took {:?}",
        started.elapsed()
    );
    result
}

/// Runs `f` on a thread with a wasm-sized stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(WASM_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the evaluation overflowed its stack or panicked")
}

#[test]
fn a_small_fuel_budget_stops_a_long_loop() {
    let small = Limits {
        fuel: 100_000,
        ..Limits::default()
    };
    assert_eq!(
        eval("for i in 1..1000000 return i", small),
        Err("fuel-exhausted".to_owned())
    );
    // The same budget is plenty for a short loop.
    assert_eq!(
        eval("count(for i in 1..1000 return i)", small),
        Ok("1000".to_owned())
    );
}

#[test]
fn a_huge_range_is_refused_before_it_is_built() {
    assert_eq!(
        eval("for i in 1..100000000 return i", Limits::default()),
        Err("too-large".to_owned())
    );
    assert_eq!(
        eval("for i in 100000000..1 return i", Limits::default()),
        Err("too-large".to_owned())
    );
}

#[test]
fn a_long_loop_within_the_limits_runs_in_linear_time() {
    // 200,000 iterations: quadratic work per iteration (copying the results so far for
    // `partial`) would take minutes here.
    assert_eq!(
        eval("count(for i in 1..200000 return i)", Limits::default()),
        Ok("200000".to_owned())
    );
}

#[test]
fn partial_still_sees_the_results_so_far() {
    assert_eq!(
        eval(
            "for i in 1..6 return if i = 1 then 1 else partial[-1] * i",
            Limits::default()
        ),
        Ok("[1,2,6,24,120,720]".to_owned())
    );
}

#[test]
fn nested_loops_are_bounded_by_fuel() {
    // A billion results: the list limit (a million) trips first,
    assert_eq!(
        eval(
            "for i in 1..1000, j in 1..1000, k in 1..1000 return i",
            Limits::default()
        ),
        Err("too-large".to_owned())
    );
    // and with a smaller budget, the fuel.
    assert_eq!(
        eval(
            "for i in 1..1000, j in 1..1000, k in 1..1000 return i",
            Limits {
                fuel: 1_000_000,
                ..Limits::default()
            }
        ),
        Err("fuel-exhausted".to_owned())
    );
    // A billion steps with a short result list: the fuel.
    assert_eq!(
        eval(
            "count(for i in 1..1000, j in 1..1000 return for k in 1..1000 return k)",
            Limits::default()
        ),
        Err("fuel-exhausted".to_owned())
    );
}

/// A context whose entries double a 16-byte string `steps` times with `op`, in which `@`
/// stands for the previous entry (`@ + @`); its value is the last entry.
fn doubling(op: &str, steps: usize) -> String {
    let mut s = String::from("{ s0: \"0123456789abcdef\"");
    for i in 1..=steps {
        let prev = format!("s{}", i - 1);
        s.push_str(&format!(", s{i}: {}", op.replace('@', &prev)));
    }
    s.push_str(&format!(" }}.s{steps}"));
    s
}

#[test]
fn doubling_a_string_runs_out_of_fuel_not_memory() {
    // 16 bytes doubled 60 times would be 16 EiB.
    for op in ["@ + @", "string join([@, @])", "string join([@, @], @)"] {
        let text = doubling(op, 60);
        let result = eval(&format!("string length({text})"), Limits::default());
        assert_eq!(result, Err("fuel-exhausted".to_owned()), "{op}");
    }
    // A few doublings are fine.
    assert_eq!(
        eval(
            &format!("string length({})", doubling("@ + @", 4)),
            Limits::default()
        ),
        Ok("256".to_owned())
    );
}

#[test]
fn lists_built_by_sharing_are_paid_for_when_walked() {
    // `[l, l]` 60 times over is a list with 2^60 leaves, built in 60 steps.
    for op in ["[@, @]", "concatenate([@], [@])", "{x: @, y: @}"] {
        let text = doubling(op, 60);
        // Formatting it,
        assert_eq!(
            eval(&format!("string length(string({text}))"), Limits::default()),
            Err("fuel-exhausted".to_owned()),
            "{op}"
        );
        // or returning it as the decision's output.
        assert_eq!(
            eval(&text, Limits::default()),
            Err("fuel-exhausted".to_owned()),
            "{op}"
        );
    }
    assert_eq!(
        eval(&doubling("[@, @]", 2), Limits::default()),
        Ok(
            r#"[["0123456789abcdef","0123456789abcdef"],["0123456789abcdef","0123456789abcdef"]]"#
                .to_owned()
        )
    );
}

#[test]
fn string_join_of_a_huge_list_is_bounded_by_fuel() {
    let small = Limits {
        fuel: 1_000_000,
        ..Limits::default()
    };
    assert_eq!(
        eval(
            "string length(string join(for i in 1..900000 return \"abcdefghij\"))",
            small
        ),
        Err("fuel-exhausted".to_owned())
    );
    assert_eq!(
        eval(
            "string length(string join(for i in 1..1000 return \"abcdefghij\", \", \"))",
            small
        ),
        Ok("11998".to_owned())
    );
}

/// Knowledge models that recurse without end for a large `N`, through each kind of body and
/// through a built-in calling back into FEEL.
const RECURSIVE: &str = "\
model: m
inputs:
  - { name: N, type: number }
knowledge:
  - name: f
    params: [{ name: n, type: number }]
    expression: if n = 0 then 0 else 1 + f(n - 1)
  - name: by table output
    params: [{ name: n, type: number }]
    table:
      hit: FIRST
      inputs: [{ expression: n }]
      outputs: [{ name: r }]
      rules:
        - { when: ['0'], then: ['0'] }
        - { when: ['-'], then: ['1 + by table output(n - 1)'] }
  - name: by table input
    params: [{ name: n, type: number }]
    table:
      hit: FIRST
      inputs: [{ expression: n }]
      outputs: [{ name: r }]
      rules:
        - { when: ['0'], then: ['0'] }
        - { when: ['? > by table input(n - 1)'], then: ['n'] }
  - name: by context
    params: [{ name: n, type: number }]
    context:
      - { name: smaller, expression: 'if n = 0 then -1 else by context(n - 1)' }
    result: smaller + 1
  - name: by sort
    params: [{ name: n, type: number }]
    expression: 'if n = 0 then 0 else sort([n, n], function(a, b) by sort(a - 1) < 0)[1]'
decisions:
  - { name: D, expression: f(N) }
  - { name: T1, expression: by table output(N) }
  - { name: T2, expression: by table input(N) }
  - { name: C, expression: by context(N) }
  - { name: S, expression: by sort(N) }
";

/// Evaluates every decision of [`RECURSIVE`] for `n`, each on its own wasm-sized stack.
fn recurse(n: u64, limits: Limits) -> Vec<(&'static str, Result<String, String>)> {
    ["D", "T1", "T2", "C", "S"]
        .into_iter()
        .map(|name| {
            eprintln!("recursing through {name}");
            let result = on_small_stack(move || {
                let engine = engine(RECURSIVE);
                let options = Options {
                    explain: true,
                    limits,
                };
                engine
                    .decide(name, &serde_json::json!({ "N": n }), &options)
                    .map(|d| json::to_canonical_json(&d.output))
                    .map_err(|e| e.code().to_owned())
            });
            (name, result)
        })
        .collect()
}

#[test]
fn runaway_recursion_hits_the_depth_limit_before_the_stack_overflows() {
    for (name, result) in recurse(100_000, Limits::default()) {
        assert_eq!(result, Err("depth-exceeded".to_owned()), "{name}");
    }
}

#[test]
fn the_depth_limit_has_room_to_spare_on_a_wasm_stack() {
    // Twice the default depth still fits in 1 MiB, unoptimised: the default leaves a
    // safety margin for hosts whose frames are larger.
    let doubled = Limits {
        max_depth: Limits::default().max_depth * 2,
        ..Limits::default()
    };
    for (name, result) in recurse(100_000, doubled) {
        assert_eq!(result, Err("depth-exceeded".to_owned()), "{name}");
    }
}

#[test]
fn shallow_recursion_works() {
    let results = recurse(10, Limits::default());
    assert_eq!(
        results,
        [
            ("D", Ok("10".to_owned())),
            ("T1", Ok("10".to_owned())),
            ("T2", Ok("10".to_owned())),
            ("C", Ok("10".to_owned())),
            ("S", Ok("10".to_owned())),
        ]
    );
}

#[test]
fn the_deepest_expressions_the_parser_accepts_evaluate_on_a_small_stack() {
    // As on the edge and in the browser: the rules are compiled natively, the bundle is
    // decoded and evaluated on a wasm-sized stack.
    let depth = 95;
    let mut ifs = String::new();
    for i in 0..depth {
        ifs.push_str(&format!("if N = {} then {i} else ", i + 1));
    }
    ifs.push_str("-1");
    let brackets = format!("{}N{}", "(".repeat(depth), " + 1)".repeat(depth));
    let chain = format!("N{}", " + 1".repeat(depth));
    let lists = format!("count({}N{})", "[".repeat(depth), "]".repeat(depth));
    // `{a: …}.a` is two levels: a path into a context.
    let contexts = format!("{}N{}", "{a: ".repeat(depth / 2), "}.a".repeat(depth / 2));
    for (text, expected) in [
        (ifs, "-1"),
        (brackets, "95"),
        (chain, "95"),
        (lists, "1"),
        (contexts, "0"),
    ] {
        let bytes = match api::build(&[SourceText {
            path: "m.yaml".to_owned(),
            text: expression_model(&text),
        }]) {
            BuildAnswer::Success { bundle, .. } => bundle.encode().unwrap(),
            BuildAnswer::Failure { errors, .. } => panic!("{text}: {errors:#?}"),
        };
        let result = if cfg!(debug_assertions) {
            // Unoptimised, serde's generated decoder takes about 10 KiB of stack per level
            // of a context expression, more than a wasm stack holds at this depth: decode
            // with more room, evaluate on the wasm stack. Optimised builds (what ships as
            // wasm) do both on the wasm stack.
            let engine = std::thread::Builder::new()
                .stack_size(8 << 20)
                .spawn(move || api::load(&bytes).unwrap())
                .unwrap()
                .join()
                .unwrap();
            on_small_stack(move || {
                decide(&engine, &serde_json::json!({ "N": 0 }), Limits::default())
            })
        } else {
            on_small_stack(move || {
                let engine = api::load(&bytes).unwrap();
                decide(&engine, &serde_json::json!({ "N": 0 }), Limits::default())
            })
        };
        // Every expression the parser accepts must evaluate within the default depth limit.
        assert_eq!(result, Ok(expected.to_owned()), "{text}");
    }
}

#[test]
fn expressions_nested_deeper_than_the_parser_limit_are_syntax_errors() {
    // The optimised parser refuses these on a wasm-sized stack; unoptimised, its frames
    // take about 17 KiB per nesting level, so it gets more room.
    let stack = if cfg!(debug_assertions) {
        4 << 20
    } else {
        WASM_STACK
    };
    let too_deep = [
        format!("{}1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("{}1", "-".repeat(5000)),
        format!("{}1{}", "[".repeat(5000), "]".repeat(5000)),
        format!("{}1{}", "{a: ".repeat(5000), "}".repeat(5000)),
        format!("1{}", " + 1".repeat(5000)),
        "if true then ".repeat(5000) + "1" + &" else 2".repeat(5000),
        format!("x{}", ".y".repeat(5000)),
        format!("f{}", "(1)".repeat(5000)),
        // Few brackets, each holding a chain: shallow to read, deep once built.
        (0..30).fold("N".to_owned(), |inner, _| {
            format!("({inner}{})", " + 1".repeat(30))
        }),
        (0..50).fold("N".to_owned(), |inner, _| format!("{{a: {inner}}}.a")),
        (0..30).fold("N".to_owned(), |inner, _| {
            format!("[{inner}]{}", "[1]".repeat(30))
        }),
    ];
    for text in too_deep {
        let head: String = text.chars().take(20).collect();
        let errors = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let files = [SourceText {
                    path: "m.yaml".to_owned(),
                    text: expression_model(&text),
                }];
                match api::build(&files) {
                    BuildAnswer::Success { .. } => Vec::new(),
                    BuildAnswer::Failure { errors, .. } => errors,
                }
            })
            .unwrap()
            .join()
            .expect("the parser overflowed its stack");
        let codes: Vec<&str> = errors.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["feel-syntax"], "{head}…");
        assert!(
            errors[0].message.contains("nests deeper than"),
            "{head}…: {}",
            errors[0].message
        );
    }
}

#[test]
fn deeply_nested_json_input_is_a_clean_error() {
    let engine = engine(&expression_model("count(Data)"));
    for depth in [100, 1000] {
        let mut data = serde_json::json!(1);
        for _ in 0..depth {
            data = serde_json::json!([data]);
        }
        let input = serde_json::json!({ "Data": data });
        let err = engine
            .decide("D", &input, &Options::default())
            .expect_err("nesting deeper than the input limit");
        assert_eq!(err.code(), "input-type", "depth {depth}");
        assert_eq!(err.path(), Some("Data"));
        assert!(err.to_string().contains("nests deeper"), "{err}");
    }
    // Shallower data is fine.
    let input = serde_json::json!({ "Data": [[[[1, 2]]], 3] });
    assert_eq!(
        decide(&engine, &input, Limits::default()),
        Ok("2".to_owned())
    );
    // Through the JSON boundary, on a wasm-sized stack: the request parser refuses deep
    // nesting itself.
    let request = format!(
        "{{\"decision\":\"D\",\"input\":{{\"Data\":{}1{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let answer = on_small_stack(move || api::decide_json_str(&engine, &request));
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["type"], "failure");
    assert_eq!(answer["errors"][0]["code"], "malformed-request");
}

/// `{"Data": [[…[1]…]]}` with `levels` levels of arrays under `Data` (the document is one
/// level, `Data`'s outer array the second).
fn nested_input(levels: usize) -> serde_json::Value {
    let mut data = serde_json::json!(1);
    for _ in 0..levels {
        data = serde_json::json!([data]);
    }
    serde_json::json!({ "Data": data })
}

/// Deciding `D` through the request boundary (`api::decide`, as every adapter does): its
/// canonical output, or the first error's code and path.
fn outcome(engine: &Engine, input: &serde_json::Value) -> Result<String, (String, String)> {
    let request = api::DecideRequest {
        decision: "D".to_owned(),
        input: input.clone(),
        explain: false,
    };
    let answer = api::decide(engine, &request, Limits::default());
    if answer["type"] == "success" {
        return Ok(cpm_core::canonical::to_string(&answer["output"]));
    }
    let error = &answer["errors"][0];
    Err((
        error["code"].as_str().unwrap_or_default().to_owned(),
        error["path"].as_str().unwrap_or_default().to_owned(),
    ))
}

#[test]
fn input_nesting_is_refused_just_past_the_limit() {
    use cpm_core::decide::input::MAX_INPUT_DEPTH;
    let engine = engine(&expression_model("count(Data)"));
    // Level MAX_INPUT_DEPTH - 1 is the deepest array accepted.
    assert_eq!(
        outcome(&engine, &nested_input(MAX_INPUT_DEPTH - 1)),
        Ok("1".to_owned())
    );
    let (code, path) = outcome(&engine, &nested_input(MAX_INPUT_DEPTH)).unwrap_err();
    assert_eq!(code, "input-too-large");
    assert_eq!(
        path,
        format!("Data{}", "[0]".repeat(MAX_INPUT_DEPTH - 1)),
        "the path names the array one level too deep"
    );
}

#[test]
fn input_strings_are_refused_just_past_the_limit() {
    use cpm_core::decide::input::MAX_INPUT_STRING_BYTES;
    let engine = engine(&expression_model("string length(Data.text)"));
    // Multi-byte characters: the limit is in UTF-8 bytes.
    let at_limit = format!("é{}", "a".repeat(MAX_INPUT_STRING_BYTES - 2));
    let input = serde_json::json!({ "Data": { "text": at_limit } });
    assert_eq!(
        outcome(&engine, &input),
        Ok((MAX_INPUT_STRING_BYTES - 1).to_string())
    );
    let over = format!("{at_limit}a");
    let input = serde_json::json!({ "Data": { "text": over } });
    assert_eq!(
        outcome(&engine, &input),
        Err(("input-too-large".to_owned(), "Data.text".to_owned()))
    );
    // Keys count too.
    let key = "k".repeat(MAX_INPUT_STRING_BYTES + 1);
    let input = serde_json::json!({ "Data": { key.clone(): 1 } });
    assert_eq!(
        outcome(&engine, &input),
        Err(("input-too-large".to_owned(), format!("Data.{key}")))
    );
}

#[test]
fn input_lists_are_refused_just_past_the_limit() {
    use cpm_core::decide::input::MAX_INPUT_LIST_ITEMS;
    let engine = engine(&expression_model("count(Data)"));
    let at_limit = serde_json::json!({ "Data": vec![0; MAX_INPUT_LIST_ITEMS] });
    assert_eq!(
        outcome(&engine, &at_limit),
        Ok(MAX_INPUT_LIST_ITEMS.to_string())
    );
    let over = serde_json::json!({ "Data": vec![0; MAX_INPUT_LIST_ITEMS + 1] });
    assert_eq!(
        outcome(&engine, &over),
        Err(("input-too-large".to_owned(), "Data".to_owned()))
    );
    // Objects with too many entries, too, and the input document itself.
    let wide: serde_json::Map<String, serde_json::Value> = (0..=MAX_INPUT_LIST_ITEMS)
        .map(|i| (format!("k{i}"), serde_json::json!(0)))
        .collect();
    let (code, path) = outcome(&engine, &serde_json::Value::Object(wide)).unwrap_err();
    assert_eq!((code.as_str(), path.as_str()), ("input-too-large", ""));
}
