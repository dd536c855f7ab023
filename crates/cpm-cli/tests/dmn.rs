//! `cpm import`, `cpm tck` and `.dmn` files in `cpm check` / `cpm eval`, end to end. Each
//! test works in its own temporary folder, removed when the test ends.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failing command must stop the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MODEL: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" namespace="http://example.com/fees" name="Fee Model" id="defs">
  <inputData name="Weight" id="i_weight"><variable name="Weight" typeRef="number"/></inputData>
  <decision name="Fee" id="d_fee">
    <variable name="Fee" typeRef="number"/>
    <informationRequirement><requiredInput href="#i_weight"/></informationRequirement>
    <decisionTable hitPolicy="FIRST">
      <input label="Weight"><inputExpression><text>Weight</text></inputExpression></input>
      <output name="fee"/>
      <rule id="heavy"><description>heavy parcels</description>
        <inputEntry><text>&gt;= 10</text></inputEntry><outputEntry><text>20</text></outputEntry></rule>
      <rule id="light"><inputEntry><text>-</text></inputEntry><outputEntry><text>5</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"##;

const TESTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <modelName>fees.dmn</modelName>
  <testCase id="001">
    <inputNode name="Weight"><value xsi:type="xsd:decimal">12</value></inputNode>
    <resultNode name="Fee" type="decision"><expected><value xsi:type="xsd:decimal">20</value></expected></resultNode>
  </testCase>
  <testCase id="002">
    <inputNode name="Weight"><value xsi:type="xsd:decimal">1</value></inputNode>
    <resultNode name="Fee" type="decision"><expected><value xsi:type="xsd:decimal">EXPECTED</value></expected></resultNode>
  </testCase>
</testCases>
"#;

/// A temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("cpm-dmn-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cpm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cpm"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn dmn_files_check_and_evaluate_directly() {
    let dir = TempDir::new("direct");
    let model = dir.file("fees.dmn", MODEL);
    let out = cpm(&["check", s(&model)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let input = dir.file("in.json", r#"{"Weight": 12}"#);
    let out = cpm(&["eval", s(&model), "Fee", s(&input), "--json"]);
    assert!(stdout(&out).contains(r#""output":20"#), "{}", stdout(&out));
}

#[test]
fn import_writes_yaml_that_compiles_to_the_same_program() {
    let dir = TempDir::new("import");
    let model = dir.file("fees.dmn", MODEL);
    let target = dir.0.join("out");
    let out = cpm(&["import", s(&model), "-o", s(&target)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("round trip ok"), "{text}");
    let yaml = std::fs::read_to_string(target.join("Fee-Model.yaml")).unwrap();
    assert!(yaml.contains("- id: heavy"), "{yaml}");
    assert!(yaml.contains("note: heavy parcels"), "{yaml}");
    assert!(yaml.contains("when: ['>= 10']"), "{yaml}");
    let out = cpm(&["check", s(&target.join("Fee-Model.yaml"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn import_reports_unsupported_elements_with_line_and_writes_nothing() {
    let dir = TempDir::new("unsupported");
    let bad = MODEL.replace(
        "<inputData",
        "<import namespace=\"http://other\" name=\"other\" importType=\"x\"/>\n  <inputData",
    );
    let model = dir.file("bad.dmn", &bad);
    let target = dir.0.join("out");
    let out = cpm(&["import", s(&model), "-o", s(&target)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error[unsupported]: bad.dmn:3:"), "{err}");
    assert!(!target.exists());
}

#[test]
fn tck_prints_a_table_and_the_summary_line() {
    let dir = TempDir::new("tck");
    dir.file("fees/fees.dmn", MODEL);
    dir.file("fees/fees-test-01.xml", &TESTS.replace("EXPECTED", "7"));
    let out = cpm(&["tck", s(&dir.0)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("PASS  fees.dmn  001"), "{text}");
    assert!(text.contains("FAIL  fees.dmn  002"), "{text}");
    assert!(text.contains("expected 7"), "{text}");
    assert_eq!(text.lines().last(), Some("1 passed, 1 failed"), "{text}");

    let json = cpm(&["tck", s(&dir.0), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["passed"], 1);
    assert_eq!(v["failed"], 1);

    dir.file("fees/fees-test-01.xml", &TESTS.replace("EXPECTED", "5"));
    let out = cpm(&["tck", s(&dir.0)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out).lines().last(), Some("2 passed, 0 failed"));
}
