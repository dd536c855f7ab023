//! The `cpm` binary end to end: exit codes, human and JSON output, bundle files, standard
//! input. Each test works in its own temporary folder, removed when the test ends.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failing command must stop the test loudly"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cpm_core::api::{self, BuildAnswer};
use cpm_core::compile::SourceText;

const PRICING: &str = "\
model: pricing
inputs:
  - { name: Tier, type: string }
  - { name: Amount, type: number }
decisions:
  - name: Discount
    table:
      hit: FIRST
      inputs: [{ expression: Tier }, { expression: Amount }]
      outputs: [{ name: discount, default: '0' }]
      rules:
        - { id: gold-large, when: ['\"gold\"', '>= 100'], then: ['0.15'], note: big gold orders }
        - { id: gold, when: ['\"gold\"', '-'], then: ['0.1'] }
  - name: Price
    expression: Amount * (1 - Discount)
tests:
  - name: large gold order
    input: { Tier: gold, Amount: 200 }
    expect: { Discount: 0.15, Price: 170 }
";

const PRICING_TESTS: &str = "\
tests-for: pricing
tests:
  - name: small gold order
    input: { Tier: gold, Amount: 50 }
    expect: { Price: 45 }
";

/// A UNIQUE table with a gap below 0: builds, with a warning.
const WARNING: &str = "\
model: fees
inputs:
  - { name: Weight, type: number }
decisions:
  - name: Fee
    table:
      inputs: [{ expression: Weight }]
      outputs: [{ name: fee }]
      rules:
        - { when: ['>= 0'], then: ['5'] }
";

const BROKEN: &str = "\
model: broken
decisions:
  - { name: Oops, expression: Missing + 1 }
";

/// A temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("cpm-cli-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    /// Writes `text` to `name` inside the folder; returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cpm` with `args`, feeding `stdin`.
fn cpm(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cpm"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn rules(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.file("pricing.yaml", PRICING);
    dir.file("tests/pricing.test.yaml", PRICING_TESTS);
    dir.file("input.json", r#"{"Tier": "gold", "Amount": 200}"#);
    dir
}

#[test]
fn check_succeeds_on_good_rules() {
    let dir = rules("check-ok");
    let out = cpm(&["check", s(dir.path())], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ok: "), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 warning(s)"), "{}", stdout(&out));

    let out = cpm(&["check", "--json", s(dir.path())], None);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["type"], "success");
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(v["bundleHash"].as_str().unwrap().len(), 64);
}

#[test]
fn check_fails_on_errors_with_positions() {
    let dir = rules("check-errors");
    dir.file("broken.yaml", BROKEN);
    let out = cpm(&["check", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains("broken.yaml:3:31: error[unknown-name]: unknown name `Missing`"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("failed: 1 error(s)"),
        "{}",
        stdout(&out)
    );

    let out = cpm(&["check", "--json", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["type"], "failure");
    let e = &v["errors"][0];
    assert_eq!(e["code"], "unknown-name");
    assert_eq!(e["severity"], "error");
    assert_eq!(e["location"]["file"], "broken.yaml");
    assert_eq!(e["location"]["line"], 3);
    assert_eq!(e["location"]["column"], 31);
    assert!(v.get("bundleHash").is_none());
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let dir = TempDir::new("deny-warnings");
    dir.file("fees.yaml", WARNING);
    let out = cpm(&["check", s(dir.path())], None);
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains("warning[gap]: no rule matches when Weight < 0"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("1 warning(s)"), "{}", stdout(&out));
    let out = cpm(&["check", "--deny-warnings", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    let out = cpm(&["check", "--json", "--deny-warnings", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["warnings"][0]["code"], "gap");
    assert_eq!(v["warnings"][0]["severity"], "warning");
}

#[test]
fn build_writes_a_bundle_that_eval_reads() {
    let dir = rules("build-eval");
    let bundle = dir.path().join("out/pricing.cpm");
    std::fs::create_dir_all(bundle.parent().unwrap()).unwrap();
    let out = cpm(&["build", s(dir.path()), "-o", s(&bundle)], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("built "), "{}", stdout(&out));
    let bytes = std::fs::read(&bundle).unwrap();
    assert_eq!(&bytes[..4], b"CPMB");
    let hash = api::load(&bytes).unwrap().hash().to_owned();
    assert!(stdout(&out).contains(&hash), "{}", stdout(&out));

    // `--json` reports the same bundle.
    let out = cpm(&["build", "--json", s(dir.path()), "-o", s(&bundle)], None);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["bundleHash"], hash.as_str());
    assert_eq!(v["bytes"], bytes.len());

    let input = dir.path().join("input.json");
    let out = cpm(&["eval", s(&bundle), "Price", s(&input)], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("170\n"), "{text}");
    assert!(text.contains("Discount [FIRST]: gold-large (#1)"), "{text}");
    assert!(text.contains(&format!("bundle {}", &hash[..12])), "{text}");
}

#[test]
fn build_failure_writes_nothing() {
    let dir = TempDir::new("build-fail");
    dir.file("broken.yaml", BROKEN);
    let bundle = dir.path().join("bundle.cpm");
    let out = cpm(&["build", s(dir.path()), "-o", s(&bundle)], None);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("build failed: 1 error(s)"));
    assert!(!bundle.exists());
}

/// The canonical answer of the library for `request`, over the rules in `dir`.
fn library_answer(dir: &Path, request: &str) -> String {
    let files = [
        SourceText {
            path: "pricing.yaml".to_owned(),
            text: std::fs::read_to_string(dir.join("pricing.yaml")).unwrap(),
        },
        SourceText {
            path: "tests/pricing.test.yaml".to_owned(),
            text: std::fs::read_to_string(dir.join("tests/pricing.test.yaml")).unwrap(),
        },
    ];
    let BuildAnswer::Success { bundle, .. } = api::build(&files) else {
        panic!("build failed");
    };
    api::decide_json_str(&cpm_core::decide::Engine::new(bundle), request)
}

#[test]
fn eval_json_equals_the_library_answer() {
    let dir = rules("eval-json");
    let bundle = dir.path().join("b.cpm");
    assert_eq!(
        code(&cpm(&["build", s(dir.path()), "-o", s(&bundle)], None)),
        0
    );
    let input = r#"{"Tier": "gold", "Amount": 200}"#;
    let request = format!(r#"{{"decision": "Price", "input": {input}}}"#);
    let expected = library_answer(dir.path(), &request);
    // From the bundle file, from the folder, and from standard input.
    for (source, input_arg, stdin) in [
        (s(&bundle), s(&dir.path().join("input.json")), None),
        (s(dir.path()), s(&dir.path().join("input.json")), None),
        (s(&bundle), "-", Some(input)),
    ] {
        let out = cpm(&["eval", "--json", source, "Price", input_arg], stdin);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            format!("{expected}\n"),
            "{source} {input_arg}"
        );
    }
    // Without the explanation.
    let request = format!(r#"{{"decision": "Price", "input": {input}, "explain": false}}"#);
    let out = cpm(
        &["eval", "--json", "--no-explain", s(&bundle), "Price", "-"],
        Some(input),
    );
    assert_eq!(
        stdout(&out),
        format!("{}\n", library_answer(dir.path(), &request))
    );
    // No input at all: every input is null.
    let out = cpm(&["eval", "--json", s(&bundle), "Discount"], None);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out),
        format!(
            "{}\n",
            library_answer(dir.path(), r#"{"decision": "Discount"}"#)
        )
    );
}

#[test]
fn eval_exits_1_on_a_decision_error() {
    let dir = rules("eval-error");
    let out = cpm(&["eval", s(dir.path()), "Nope"], None);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("error[unknown-decision]: unknown decision `Nope`"),
        "{}",
        stdout(&out)
    );
    let out = cpm(
        &["eval", "--json", s(dir.path()), "Price", "-"],
        Some(r#"{"Amount": "lots"}"#),
    );
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["type"], "failure");
    assert_eq!(v["errors"][0]["code"], "input-type");
    assert_eq!(v["errors"][0]["path"], "Amount");
    // A folder that does not build.
    let broken = TempDir::new("eval-broken");
    broken.file("broken.yaml", BROKEN);
    let out = cpm(&["eval", s(broken.path()), "Oops"], None);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("error[unknown-name]"),
        "{}",
        stderr(&out)
    );
    // With `--json`, the build errors are JSON too.
    let out = cpm(&["eval", "--json", s(broken.path()), "Oops"], None);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["type"], "failure");
    assert_eq!(v["errors"][0]["code"], "unknown-name");
}

#[test]
fn exit_2_when_the_command_cannot_run() {
    let dir = rules("exit-2");
    let missing = dir.path().join("no-such-folder");
    for args in [
        vec!["check", s(&missing)],
        vec!["build", s(&missing)],
        vec!["test", s(&missing)],
        vec!["eval", s(&missing), "Price"],
    ] {
        let out = cpm(&args, None);
        assert_eq!(code(&out), 2, "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("cpm: cannot read `"), "{args:?}: {err}");
        assert!(err.contains("no-such-folder"), "{err}");
    }

    // A folder without model files.
    let empty = TempDir::new("exit-2-empty");
    let out = cpm(&["check", s(empty.path())], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("has no `.yaml`, `.yml` or `.json` model files"),
        "{}",
        stderr(&out)
    );

    // Malformed input JSON, from a file and from standard input.
    let bad = dir.file("bad.input.json", "{\"Tier\": ");
    let out = cpm(&["eval", s(dir.path()), "Price", s(&bad)], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with("cpm: the input is not valid JSON"),
        "{}",
        stderr(&out)
    );
    let out = cpm(&["eval", s(dir.path()), "Price", "-"], Some("not json"));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("the input is not valid JSON"));
    // A missing input file.
    let out = cpm(
        &[
            "eval",
            s(dir.path()),
            "Price",
            s(&dir.path().join("nope.json")),
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));

    // A file that is not a bundle, and a damaged bundle.
    let text = dir.file("notes.txt", "hello");
    let out = cpm(&["eval", s(&text), "Price"], None);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("is not a usable bundle"), "{err}");
    assert!(err.contains("not a cpm bundle"), "{err}");
    let bundle = dir.path().join("b.cpm");
    assert_eq!(
        code(&cpm(&["build", s(dir.path()), "-o", s(&bundle)], None)),
        0
    );
    let mut bytes = std::fs::read(&bundle).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&bundle, &bytes).unwrap();
    let out = cpm(&["eval", s(&bundle), "Price"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));

    // Bad arguments.
    let out = cpm(&["frobnicate"], None);
    assert_eq!(code(&out), 2);
}

#[test]
fn test_reports_passes_and_failures() {
    let dir = rules("test-pass");
    let out = cpm(&["test", s(dir.path())], None);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("PASS pricing / large gold order"), "{text}");
    assert!(text.contains("PASS pricing / small gold order"), "{text}");
    assert!(text.ends_with("2 passed, 0 failed\n"), "{text}");

    // A wrong expectation: exit 1 and a diff.
    dir.file(
        "tests/wrong.test.yaml",
        "tests-for: pricing\ntests:\n  - name: wrong price\n    input: { Tier: gold, Amount: 10 }\n    expect: { Price: 10, Discount: 0.1 }\n",
    );
    let out = cpm(&["test", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("FAIL pricing / wrong price"), "{text}");
    assert!(
        text.contains("    Price:\n      expected: 10\n      actual:   9\n"),
        "{text}"
    );
    // Only the failing check is shown.
    assert!(!text.contains("    Discount:"), "{text}");
    assert!(text.ends_with("2 passed, 1 failed\n"), "{text}");

    let out = cpm(&["test", "--json", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["passed"], 2);
    assert_eq!(v["failed"], 1);
    let failing: Vec<&serde_json::Value> = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .collect();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0]["name"], "wrong price");
    let price = failing[0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["decision"] == "Price")
        .unwrap();
    assert_eq!(price["expected"], "10");
    assert_eq!(price["actual"], "9");
    assert_eq!(price["passed"], false);
}

#[test]
fn test_reports_evaluation_errors() {
    let dir = rules("test-error");
    dir.file(
        "tests/error.test.yaml",
        "tests-for: pricing\ntests:\n  - name: text amount\n    input: { Tier: gold, Amount: lots }\n    expect: { Price: 1 }\n",
    );
    let out = cpm(&["test", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("FAIL pricing / text amount"), "{text}");
    assert!(
        text.contains(
            "      error[input-type]: input `Amount` must be a number, found string `lots`"
        ),
        "{text}"
    );
}

#[test]
fn test_without_test_cases_fails() {
    let dir = TempDir::new("test-none");
    dir.file("fees.yaml", WARNING);
    let out = cpm(&["test", s(dir.path())], None);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("no test cases found"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn simulate_tells_the_story_of_the_example_complaint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/customer");
    let events = root.join("complaint.events.json");
    let o = cpm(&["simulate", s(&root), s(&events)], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("started              → open at `investigate`"),
        "{out}"
    );
    assert!(
        out.contains("send email `complaint-acknowledgement` to ann@example.com"),
        "{out}"
    );
    assert!(out.contains("record in billing:"), "{out}");
    assert!(
        out.contains("outcome: resolved (root cause `carrier`)"),
        "{out}"
    );
    assert!(
        out.contains("SLA at 2024-05-08T08:05:00+02:00: on-track"),
        "{out}"
    );

    // --json prints the final case; --now moves the SLA view.
    let o = cpm(
        &[
            "simulate",
            s(&root),
            s(&events),
            "--json",
            "--now",
            "2024-05-20T00:00:00Z",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let case: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(case["status"], "closed");
    assert_eq!(case["version"], 4);
    assert_eq!(case["sla"]["now"], "2024-05-20T00:00:00Z");
}

#[test]
fn simulate_exits_1_on_a_refused_event() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/customer");
    let dir = TempDir::new("simulate-refused");
    let events = dir.file(
        "bad.events.json",
        r#"[{"type": "started", "key": "k1", "at": "2024-05-06T09:00:00Z",
             "process": "complaint", "data": {"Customer Id": "C-1"}}]"#,
    );
    let o = cpm(&["simulate", s(&root), s(&events)], None);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(
        err.contains("error[missing-field] `Customer Email`"),
        "{err}"
    );
    assert!(
        err.contains("error[missing-field] `Customer Tier`"),
        "{err}"
    );
}
