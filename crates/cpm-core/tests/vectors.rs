//! Runs the shared conformance vectors in `tests/vectors/` natively.
//!
//! The same files are run by the browser package (Node, Chromium) and against the edge
//! component; every target must produce the same canonical JSON byte for byte.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: a malformed vector file must stop the run loudly"
)]

use std::path::{Path, PathBuf};

use cpm_core::compile::SourceText;
use cpm_core::decide::{Engine, Options};
use cpm_core::feel::eval::Limits;
use cpm_core::value::json;
use cpm_core::{api, canonical};
use yaml_rust2::{Yaml, YamlLoader};

/// One way of running vectors (native library here; other targets implement the same steps).
trait Target {
    /// Builds the model; `Err` holds `(code, line)` of every error.
    fn build(&mut self, name: &str, model: &str) -> Result<(), Vec<(String, u32)>>;
    /// Evaluates a decision: canonical output and fired rule ids per table, or an error code.
    fn decide(&mut self, decision: &str, input: &serde_json::Value) -> Result<Decided, String>;
    /// Builds a bundle from several source files (path, text); `Err` holds
    /// `(file, code, line)` of every error.
    fn build_files(&mut self, files: &[(String, String)])
    -> Result<(), Vec<(String, String, u32)>>;
    /// Runs a process operation (`intake`, `start`, `apply`, `replay`, `tasks`, `kpis`) on
    /// a JSON request and returns the canonical JSON answer.
    fn process(&mut self, op: &str, request: &str) -> String;
}

struct Decided {
    output: String,
    fired: Vec<(String, Vec<String>)>,
}

#[derive(Default)]
struct Native {
    engine: Option<Engine>,
    /// Decision requests the text input path answered itself (the rest fell back).
    fast_reads: usize,
}

impl Target for Native {
    fn build(&mut self, name: &str, model: &str) -> Result<(), Vec<(String, u32)>> {
        let files = [SourceText {
            path: format!("{name}.yaml"),
            text: model.to_owned(),
        }];
        match api::build(&files) {
            api::BuildAnswer::Success { bundle, .. } => {
                // Round-trip through bytes, as every other target receives the bundle.
                let bytes = bundle.encode().expect("encode");
                self.engine = Some(api::load(&bytes).expect("decode"));
                Ok(())
            }
            api::BuildAnswer::Failure { errors, .. } => Err(errors
                .iter()
                .map(|d| (d.code.clone(), d.location.as_ref().map_or(0, |l| l.line)))
                .collect()),
        }
    }

    fn decide(&mut self, decision: &str, input: &serde_json::Value) -> Result<Decided, String> {
        let engine = self.engine.as_ref().expect("built");
        // The text answer the browser package sends is the canonical text of the JSON answer.
        for explain in [true, false] {
            let request = api::DecideRequest {
                decision: decision.to_owned(),
                input: input.clone(),
                explain,
            };
            assert_eq!(
                api::decide_text(engine, &request, Limits::default()),
                canonical::to_string(&api::decide(engine, &request, Limits::default())),
                "decide_text differs from the canonical JSON answer for `{decision}`"
            );
            // The body the browser package completes with the hash and the name is the
            // whole answer after those two members, on both paths.
            let whole = api::decide_success_text(engine, &request, Limits::default());
            let body = api::decide_success_body_text(engine, &request, Limits::default());
            assert_eq!(
                body.map(|b| completed(engine.hash(), decision, &b)),
                whole,
                "the answer's body differs for `{decision}`"
            );
            // Input read straight from its text answers the same whenever it is taken.
            let text = input.to_string();
            if let Some(fast) =
                api::decide_input_body_text(engine, decision, &text, explain, Limits::default())
            {
                assert_eq!(
                    fast.map(|b| completed(engine.hash(), decision, &b)),
                    whole,
                    "the text input path's body differs for `{decision}` on {text}"
                );
            }
            if let Some(fast) =
                api::decide_input_text(engine, decision, &text, explain, Limits::default())
            {
                self.fast_reads += 1;
                assert_eq!(
                    fast,
                    api::decide_success_text(engine, &request, Limits::default()),
                    "the text input path differs for `{decision}` on {text}"
                );
            }
        }
        // The request boundary's input limits first, as `api::decide` (every adapter) does.
        cpm_core::decide::input::check_limits(input).map_err(|e| e.code().to_owned())?;
        let decided = engine
            .decide(decision, input, &Options::default())
            .map_err(|e| e.code().to_owned())?;
        Ok(Decided {
            output: json::to_canonical_json(&decided.output),
            fired: decided
                .trace
                .iter()
                .filter_map(|t| {
                    t.table.as_ref().map(|tt| {
                        (
                            t.decision.clone(),
                            tt.fired.iter().map(|r| r.id.clone()).collect(),
                        )
                    })
                })
                .collect(),
        })
    }

    fn build_files(
        &mut self,
        files: &[(String, String)],
    ) -> Result<(), Vec<(String, String, u32)>> {
        let sources: Vec<SourceText> = files
            .iter()
            .map(|(path, text)| SourceText {
                path: path.clone(),
                text: text.clone(),
            })
            .collect();
        match api::build(&sources) {
            api::BuildAnswer::Success { bundle, .. } => {
                let bytes = bundle.encode().expect("encode");
                self.engine = Some(api::load(&bytes).expect("decode"));
                Ok(())
            }
            api::BuildAnswer::Failure { errors, .. } => Err(errors
                .iter()
                .map(|d| {
                    let (file, line) = d
                        .location
                        .as_ref()
                        .map_or((String::new(), 0), |l| (l.file.to_string(), l.line));
                    (file, d.code.clone(), line)
                })
                .collect()),
        }
    }

    fn process(&mut self, op: &str, request: &str) -> String {
        let engine = self.engine.as_ref().expect("built");
        match op {
            "intake" => api::intake_json_str(engine, request),
            "start" => api::start_case_json_str(engine, request),
            "apply" => api::apply_event_json_str(engine, request),
            "replay" => api::replay_json_str(engine, request),
            "tasks" => api::tasks_json_str(request),
            "kpis" => api::kpis_json_str(request),
            other => panic!("unknown process operation `{other}`"),
        }
    }
}

/// YAML → JSON with exact numbers (YAML number text is kept).
fn to_json(y: &Yaml) -> serde_json::Value {
    match y {
        Yaml::Null | Yaml::BadValue => serde_json::Value::Null,
        Yaml::Boolean(b) => (*b).into(),
        Yaml::Integer(i) => (*i).into(),
        Yaml::Real(text) => serde_json::from_str::<serde_json::Number>(text)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|_| text.clone().into()),
        Yaml::String(s) => s.clone().into(),
        Yaml::Array(items) => items.iter().map(to_json).collect(),
        Yaml::Hash(map) => {
            let mut obj = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Real(r) => r.clone(),
                    Yaml::Boolean(b) => b.to_string(),
                    _ => String::new(),
                };
                obj.insert(key, to_json(v));
            }
            serde_json::Value::Object(obj)
        }
        Yaml::Alias(_) => serde_json::Value::Null,
    }
}

fn vector_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read vectors dir")
        .map(|e| e.expect("entry").path())
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

fn text<'a>(y: &'a Yaml, key: &str) -> Option<&'a str> {
    y[key].as_str()
}

/// Whether `actual` contains `expected`: objects by key (extra keys allowed), arrays element
/// by element with the same length, scalars by canonical JSON text.
fn subset(
    expected: &serde_json::Value,
    actual: &serde_json::Value,
    path: &str,
) -> Result<(), String> {
    use serde_json::Value as J;
    match (expected, actual) {
        (J::Object(e), J::Object(a)) => {
            for (k, ev) in e {
                let Some(av) = a.get(k) else {
                    return Err(format!("{path}.{k}: missing"));
                };
                subset(ev, av, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (J::Array(e), J::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: {} items, expected {}: {}",
                    a.len(),
                    e.len(),
                    canonical::to_string(actual)
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ => {
            let (e, a) = (canonical::to_string(expected), canonical::to_string(actual));
            if e == a {
                Ok(())
            } else {
                Err(format!("{path}: {a}, expected {e}"))
            }
        }
    }
}

/// Runs one process vector file (`files` + `cases` of operation steps, or `build-errors`).
fn run_process_file(target: &mut dyn Target, path: &Path, doc: &Yaml) -> (usize, Vec<String>) {
    let files: Vec<(String, String)> = doc["files"]
        .as_hash()
        .expect("`files` is a mapping")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().expect("file name").to_owned(),
                v.as_str().expect("file text").to_owned(),
            )
        })
        .collect();
    let built = target.build_files(&files);
    let mut failures = Vec::new();
    if let Some(expected) = doc["build-errors"].as_vec() {
        let want: Vec<(String, String, u32)> = expected
            .iter()
            .map(|e| {
                (
                    text(e, "file").unwrap_or_default().to_owned(),
                    text(e, "code").unwrap_or_default().to_owned(),
                    e["line"].as_i64().unwrap_or(0) as u32,
                )
            })
            .collect();
        failures.extend(build_errors_differ(path, built, want, false));
        return (1, failures);
    }
    if let Err(errors) = built {
        failures.push(format!("{}: does not build: {errors:?}", path.display()));
        return (doc["cases"].as_vec().map_or(1, Vec::len), failures);
    }
    let cases = doc["cases"].as_vec().cloned().unwrap_or_default();
    for case in &cases {
        let case_name = text(case, "name").unwrap_or("?");
        let where_ = format!("{} / {case_name}", path.display());
        // Cases by alias, in the order they were started.
        let mut held: Vec<(String, serde_json::Value)> = Vec::new();
        for (i, step) in case["steps"]
            .as_vec()
            .expect("case has `steps`")
            .iter()
            .enumerate()
        {
            let op = text(step, "op").expect("step has `op`");
            let alias = text(step, "case").unwrap_or("main").to_owned();
            let mut request = match to_json(&step["request"]) {
                serde_json::Value::Null => serde_json::Value::Object(Default::default()),
                other => other,
            };
            let obj = request.as_object_mut().expect("request is a mapping");
            let current = held
                .iter()
                .find(|(a, _)| *a == alias)
                .map(|(_, c)| c.clone());
            let all: Vec<serde_json::Value> = held.iter().map(|(_, c)| c.clone()).collect();
            match op {
                "apply" if !obj.contains_key("case") => {
                    obj.insert("case".into(), current.clone().unwrap_or_default());
                }
                "replay" if !obj.contains_key("events") => {
                    let events = current
                        .as_ref()
                        .and_then(|c| c.get("events").cloned())
                        .unwrap_or_default();
                    obj.insert("events".into(), events);
                }
                "tasks" | "kpis" if !obj.contains_key("cases") => {
                    obj.insert("cases".into(), all.into());
                }
                _ => {}
            }
            let answer_text = target.process(op, &canonical::to_string(&request));
            let answer: serde_json::Value =
                serde_json::from_str(&answer_text).expect("answer is JSON");
            let expected = to_json(&step["expect"]);
            let checked = if step["expect"].is_badvalue() {
                Ok(())
            } else {
                subset(&expected, &answer, "answer")
            };
            if let Err(why) = checked {
                failures.push(format!(
                    "{where_}, step {} ({op}): {why}\n      answer: {answer_text}",
                    i + 1
                ));
                break;
            }
            if let Some(other) = text(step, "replays-to") {
                let mut got = answer["case"].clone();
                let mut want = held
                    .iter()
                    .find(|(a, _)| a == other)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default();
                for v in [&mut got, &mut want] {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("sla");
                    }
                }
                if canonical::to_string(&got) != canonical::to_string(&want) {
                    failures.push(format!(
                        "{where_}, step {}: replay differs from case `{other}`\n      replayed: {}\n      case:     {}",
                        i + 1,
                        canonical::to_string(&got),
                        canonical::to_string(&want)
                    ));
                    break;
                }
            }
            if matches!(op, "start" | "apply") && answer["type"] == "success" {
                let case_json = answer["case"].clone();
                match held.iter_mut().find(|(a, _)| *a == alias) {
                    Some((_, c)) => *c = case_json,
                    None => held.push((alias, case_json)),
                }
            }
        }
    }
    (cases.len(), failures)
}

/// Runs one vector file; returns (cases run, failures).
fn run_file(target: &mut dyn Target, path: &Path) -> (usize, Vec<String>) {
    let source = std::fs::read_to_string(path).expect("read vector");
    let docs = YamlLoader::load_from_str(&source).expect("vector is valid YAML");
    let doc = &docs[0];
    if doc["files"].as_hash().is_some() {
        return run_process_file(target, path, doc);
    }
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let model = text(doc, "model").unwrap_or_else(|| panic!("{}: no `model`", path.display()));
    let mut failures = Vec::new();
    let built = target.build(&name, model);

    if let Some(expected) = doc["build-errors"].as_vec() {
        let want: Vec<(String, u32)> = expected
            .iter()
            .map(|e| {
                (
                    text(e, "code").unwrap_or_default().to_owned(),
                    e["line"].as_i64().unwrap_or(0) as u32,
                )
            })
            .collect();
        failures.extend(build_errors_differ(path, built, want, true));
        return (1, failures);
    }
    if let Err(errors) = built {
        failures.push(format!(
            "{}: model does not build: {errors:?}",
            path.display()
        ));
        return (doc["cases"].as_vec().map_or(1, Vec::len), failures);
    }
    let cases = doc["cases"].as_vec().cloned().unwrap_or_default();
    for case in &cases {
        let case_name = text(case, "name").unwrap_or("?");
        let decision = text(case, "decision").expect("case has `decision`");
        let input = to_json(&case["input"]);
        let where_ = format!("{} / {case_name}", path.display());
        match (target.decide(decision, &input), text(case, "error")) {
            (Err(code), Some(want)) if code == want => {}
            (Err(code), Some(want)) => {
                failures.push(format!("{where_}: error `{code}`, expected error `{want}`"))
            }
            (Ok(d), Some(want)) => failures.push(format!(
                "{where_}: output {}, expected error `{want}`",
                d.output
            )),
            (Err(code), None) => failures.push(format!("{where_}: error `{code}`")),
            (Ok(d), None) => {
                let want = text(case, "output")
                    .unwrap_or_else(|| panic!("{where_}: no `output` or `error`"));
                if d.output != want {
                    failures.push(format!(
                        "{where_}:\n      expected: {want}\n      actual:   {}",
                        d.output
                    ));
                }
                if let Some(fired) = case["fired"].as_hash() {
                    for (k, v) in fired {
                        let table = k.as_str().unwrap_or_default();
                        let want: Vec<String> = v
                            .as_vec()
                            .map(|ids| {
                                ids.iter()
                                    .map(|i| match i {
                                        Yaml::String(s) => s.clone(),
                                        Yaml::Integer(n) => n.to_string(),
                                        _ => String::new(),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        let got = d
                            .fired
                            .iter()
                            .find(|(n, _)| n == table)
                            .map(|(_, ids)| ids.clone());
                        if got.as_ref() != Some(&want) {
                            failures.push(format!("{where_}: fired rules of `{table}`: expected {want:?}, actual {got:?}"));
                        }
                    }
                }
            }
        }
    }
    (cases.len(), failures)
}

#[test]
fn shared_vectors_pass_natively() {
    let dir = std::env::var_os("CPM_VECTORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors"));
    let mut files = Vec::new();
    vector_files(&dir, &mut files);
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    let mut total = 0;
    let mut process_cases = 0;
    let mut fast_reads = 0;
    let mut failures = Vec::new();
    for f in &files {
        let mut target = Native::default();
        let (n, mut fails) = run_file(&mut target, f);
        fast_reads += target.fast_reads;
        total += n;
        if f.components().any(|c| c.as_os_str() == "processes") {
            process_cases += n;
        }
        failures.append(&mut fails);
    }
    println!(
        "vectors: {} files, {total} cases ({process_cases} process cases, {fast_reads} requests read from text), {} failures",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} vector failures:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    assert!(
        total >= 150,
        "only {total} vector cases; the suite needs at least 150"
    );
    // Most decision cases are plain objects of valid data, which the text path reads itself.
    assert!(
        fast_reads >= total,
        "the text input path answered only {fast_reads} requests of {total} cases"
    );
    if std::env::var_os("CPM_VECTORS_DIR").is_none() {
        assert!(
            process_cases >= 40,
            "only {process_cases} process vector cases; the suite needs at least 40"
        );
    }
}

/// Why the build errors of `path` are not the expected ones, if they are not: compared
/// sorted, and, with `once_each`, with repeated errors counted once (decision files list each
/// code and line once; process files list every error).
fn build_errors_differ<T: Ord + std::fmt::Debug>(
    path: &Path,
    built: Result<(), Vec<T>>,
    mut want: Vec<T>,
    once_each: bool,
) -> Option<String> {
    let mut got = match built {
        Ok(()) => {
            return Some(format!(
                "{}: built, but errors {want:?} were expected",
                path.display()
            ));
        }
        Err(got) => got,
    };
    want.sort();
    got.sort();
    if once_each {
        got.dedup();
    }
    (want != got).then(|| {
        format!(
            "{}: build errors differ\n      expected: {want:?}\n      actual:   {got:?}",
            path.display()
        )
    })
}

/// The whole answer's text from its body (`{"explanation":…,"output":…,"type":…}`), as
/// the browser package builds the answer: `bundleHash` and `decision` first, then the
/// body's members.
fn completed(hash: &str, decision: &str, body: &str) -> String {
    let members = body.strip_prefix('{').expect("the body is an object");
    format!(
        "{{\"bundleHash\":{},\"decision\":{},{members}",
        canonical::to_string(&serde_json::Value::from(hash)),
        canonical::to_string(&serde_json::Value::from(decision)),
    )
}
