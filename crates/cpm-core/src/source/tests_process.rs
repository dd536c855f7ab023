//! Tests of process and template files in the source stage: the documented example, YAML and
//! JSON giving the same model, positions of elements, and errors with their codes.

use super::*;

const DOC: &str = include_str!("../../../../docs/processes.md");

/// The `n`-th ```yaml block of the process document.
fn doc_yaml(n: usize) -> &'static str {
    DOC.split("```yaml\n")
        .nth(n + 1)
        .and_then(|b| b.split("```").next())
        .expect("doc block")
}

fn process(path: &str, text: &str) -> ProcessDef {
    match load(path, text) {
        Ok(SourceFile::Process(p)) => *p,
        other => panic!("not a process: {other:?}"),
    }
}

fn errors(text: &str) -> Vec<(&'static str, u32, u32)> {
    match load("p.yaml", text) {
        Ok(f) => panic!("expected errors, loaded {f:?}"),
        Err(e) => e
            .iter()
            .map(|e| (e.code(), e.loc().line, e.loc().column))
            .collect(),
    }
}

#[test]
fn the_documented_process_loads_with_positions() {
    let p = process("complaint.yaml", doc_yaml(0));
    assert_eq!(p.name, "complaint");
    assert_eq!(p.data.len(), 3);
    assert!(p.data[0].required);
    assert!(!p.data[2].required);
    assert_eq!(p.steps.len(), 9);
    let ids: Vec<&str> = p.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "prioritise",
            "acknowledge",
            "investigate",
            "refund-route",
            "refund-decision",
            "record-refund",
            "resolve",
            "wait-feedback",
            "close"
        ]
    );
    let StepBody::Task(task) = &p.steps[2].body else {
        panic!("not a task")
    };
    assert_eq!(task.queue, "complaints");
    assert_eq!(task.sla.as_ref().map(|s| s.text.as_str()), Some("P2D"));
    assert_eq!(task.form.len(), 2);
    let StepBody::Route(branches) = &p.steps[3].body else {
        panic!("not a route")
    };
    assert!(branches[0].when.is_some());
    assert!(branches[1].when.is_none());
    // Every step knows where it is.
    let text = doc_yaml(0);
    for s in &p.steps {
        let needle = format!("- id: {}", s.id);
        let at = text.find(&needle).expect("step in text");
        let line = text[..at].matches('\n').count() as u32 + 1;
        assert_eq!((s.loc.line, s.loc.column), (line, 5), "{}", s.id);
    }
}

#[test]
fn the_documented_template_loads() {
    let t = match load("t.yaml", doc_yaml(1)) {
        Ok(SourceFile::Template(t)) => t,
        other => panic!("not a template: {other:?}"),
    };
    assert_eq!(t.name, "complaint-acknowledgement");
    assert!(t.body.text.starts_with("Dear customer"));
    assert_eq!(t.body.loc.line, 4);
}

#[test]
fn json_and_yaml_process_files_are_the_same() {
    let yaml = "process: p\ndata:\n  - { name: A, type: number, required: false }\nsteps:\n  - { id: s, end: { outcome: done } }\n";
    let json = r#"{"process": "p", "data": [{"name": "A", "type": "number", "required": false}],
"steps": [{"id": "s", "end": {"outcome": "done"}}]}"#;
    let a = process("p.yaml", yaml);
    let b = process("p.json", json);
    assert_eq!(a.data[0].required, b.data[0].required);
    assert_eq!(a.steps[0].id, b.steps[0].id);
    assert_eq!(
        a.data[0].type_ref.as_ref().map(|t| &t.text),
        b.data[0].type_ref.as_ref().map(|t| &t.text)
    );
}

#[test]
fn process_errors_are_all_reported_with_positions() {
    let text = "process: p\ndata:\n  - { name: A, required: maybe }\nsteps:\n  - id: s\n    task: { title: x }\n    end: { outcome: o }\n  - id: Bad Id\n    wait: { on-timeout: s, for: x }\n";
    assert_eq!(
        errors(text),
        [
            ("wrong-type", 3, 26),
            ("missing-key", 6, 11),
            ("conflicting-keys", 7, 5),
            ("bad-name", 8, 9),
            ("missing-key", 9, 13),
        ]
    );
}

#[test]
fn a_file_is_one_kind_of_file() {
    assert_eq!(
        errors("process: p\ntemplate: t\nbody: x\nsteps: []\n"),
        [("conflicting-keys", 2, 1)]
    );
    assert_eq!(errors("steps: []\n"), [("missing-key", 1, 1)]);
    assert_eq!(errors("process: p\nsteps: []\n"), [("empty-value", 2, 8)]);
}

#[test]
fn route_branches_are_when_and_to_or_default() {
    let text = "process: p\nsteps:\n  - id: r\n    route:\n      - { when: 'true' }\n      - { to: r }\n      - { default: r, when: 'x' }\n";
    assert_eq!(
        errors(text),
        [
            ("missing-key", 5, 9),
            ("missing-key", 6, 9),
            ("conflicting-keys", 7, 11),
        ]
    );
}
