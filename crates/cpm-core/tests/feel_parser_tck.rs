//! Smoke test of the FEEL parser over the DMN TCK: every `<text>` of every model must parse.
//!
//! Cells of unary tests (`inputEntry`, `inputValues`, `outputValues`, `allowedValues`,
//! `typeConstraint`) go through `parse_unary_tests`, every other text through
//! `parse_expression`. The names known to each model are taken, roughly, from every
//! `name="…"` attribute of the models in its folder (models import their neighbours).
//!
//! The TCK is read from `CPM_TCK_CASES` (a folder of test case folders) or, by default,
//! from `/work/shared/dmn-tck/TestCases/compliance-level-2`; the test reports that it
//! skipped when neither exists.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failure should stop the test with the underlying error"
)]

use std::fs;
use std::path::{Path, PathBuf};

use cpm_core::feel::{Names, parse_expression, parse_unary_tests};
use regex_lite::Regex;

const DEFAULT_CASES: &str = "/work/shared/dmn-tck/TestCases/compliance-level-2";

/// Elements whose `<text>` holds unary tests rather than an expression.
const UNARY_TEST_PARENTS: &[&str] = &[
    "inputEntry",
    "inputValues",
    "outputValues",
    "allowedValues",
    "typeConstraint",
];

/// One `<text>` element: its parent element's local name and its unescaped content.
struct Text {
    parent: String,
    content: String,
}

fn unescape(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else {
            break;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every `<text>` element of a DMN file, with the local name of its parent element.
fn texts(xml: &str) -> Vec<Text> {
    let tag = Regex::new(r"<(/?)(?:[A-Za-z0-9_.-]+:)?([A-Za-z0-9_.-]+)[^>]*?(/?)>").unwrap();
    let cdata = Regex::new(r"(?s)<!\[CDATA\[(.*?)\]\]>").unwrap();
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut skip_until = 0;
    for m in tag.captures_iter(xml) {
        let whole = m.get(0).unwrap();
        if whole.start() < skip_until {
            continue;
        }
        let closing = &m[1] == "/";
        let name = m[2].to_string();
        let self_closing = &m[3] == "/";
        if whole.as_str().starts_with("<?") || whole.as_str().starts_with("<!") {
            continue;
        }
        if closing {
            if let Some(at) = stack.iter().rposition(|n| *n == name) {
                stack.truncate(at);
            }
            continue;
        }
        if self_closing {
            continue;
        }
        if name == "text" {
            let body_start = whole.end();
            let close = Regex::new(r"</(?:[A-Za-z0-9_.-]+:)?text>").unwrap();
            let Some(end) = close.find_at(xml, body_start) else {
                continue;
            };
            let raw = &xml[body_start..end.start()];
            let content = match cdata.captures(raw) {
                Some(c) => c[1].to_string(),
                None => unescape(raw),
            };
            out.push(Text {
                parent: stack.last().cloned().unwrap_or_default(),
                content,
            });
            skip_until = end.end();
            continue;
        }
        stack.push(name);
    }
    out
}

fn model_names(xml: &str) -> Names {
    let attr = Regex::new(r#"\bname="([^"]*)""#).unwrap();
    let mut names = Names::new();
    for c in attr.captures_iter(xml) {
        names.insert(&unescape(&c[1]));
    }
    names
}

fn dmn_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "dmn") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_tck_text_parses() {
    let root = std::env::var("CPM_TCK_CASES").unwrap_or_else(|_| DEFAULT_CASES.to_string());
    let root = Path::new(&root);
    if !root.is_dir() {
        println!("skipped: no DMN TCK at {}", root.display());
        return;
    }
    let files = dmn_files(root);
    assert!(!files.is_empty(), "no .dmn files under {}", root.display());
    let (mut expressions, mut unary, mut empty) = (0, 0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let xml = fs::read_to_string(file).unwrap();
        // Models import their neighbours: the names of every model of the folder are known.
        let folder_xml: String = dmn_files(file.parent().unwrap_or(root))
            .iter()
            .filter(|f| f.parent() == file.parent())
            .map(|f| fs::read_to_string(f).unwrap())
            .collect();
        let names = model_names(&folder_xml);
        for text in texts(&xml) {
            if text.content.trim().is_empty() {
                empty += 1;
                continue;
            }
            let is_unary = UNARY_TEST_PARENTS.contains(&text.parent.as_str());
            let result = if is_unary {
                unary += 1;
                parse_unary_tests(&text.content, &names).map(|_| ())
            } else {
                expressions += 1;
                parse_expression(&text.content, &names).map(|_| ())
            };
            if let Err(e) = result {
                failures.push(format!(
                    "{} <{}> `{}`: {} at {}..{}",
                    file.strip_prefix(root).unwrap_or(file).display(),
                    text.parent,
                    text.content.trim(),
                    e.message,
                    e.span.start,
                    e.span.end
                ));
            }
        }
    }
    println!(
        "{} files: {expressions} expressions and {unary} unary tests parsed ({empty} empty texts skipped), {} failures",
        files.len(),
        failures.len()
    );
    for failure in &failures {
        println!("FAIL {failure}");
    }
    assert!(
        expressions + unary > 0,
        "no <text> found under {}",
        root.display()
    );
    assert!(
        failures.is_empty(),
        "{} texts failed to parse",
        failures.len()
    );
}

#[test]
fn text_extraction_classifies_cells() {
    let xml = r#"<definitions>
      <inputData name="Customer Age"/>
      <decision name="d"><decisionTable>
        <input><inputExpression><text>Customer Age</text></inputExpression>
          <inputValues><text>&gt;=18, &lt;18</text></inputValues></input>
        <rule><inputEntry id="x"><text>&gt;= 18</text></inputEntry>
          <outputEntry><dmn:text><![CDATA["a" < "b"]]></dmn:text></outputEntry></rule>
      </decisionTable></decision></definitions>"#;
    let found: Vec<(String, String)> = texts(xml)
        .into_iter()
        .map(|t| (t.parent, t.content))
        .collect();
    assert_eq!(
        found,
        vec![
            ("inputExpression".to_string(), "Customer Age".to_string()),
            ("inputValues".to_string(), ">=18, <18".to_string()),
            ("inputEntry".to_string(), ">= 18".to_string()),
            ("outputEntry".to_string(), r#""a" < "b""#.to_string()),
        ]
    );
    assert!(model_names(xml).contains("Customer Age"));
    assert_eq!(unescape("&#65;&#x42;&amp;&unknown;"), "AB&&unknown;");
}
