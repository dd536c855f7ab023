//! The node tree → the typed model: known and required keys, value shapes, names, cell
//! counts, rule ids and hit policies.
//!
//! Second step of the source stage, after [`super::tree`]. Every reader records what is
//! wrong and carries on, so one pass reports every problem of the file; a reader returns
//! `None` only after recording why.
//!
//! The `Shape` constants list every mapping the format has, with its keys; the JSON Schema
//! in `schema/cpm-model.schema.json` must describe exactly these (a test checks it).

use std::collections::BTreeMap;

use serde_json::Map;

use super::err::{Collector, SourceErrorKind};
use super::json::{Plain, classify_plain, to_value};
use super::model::{
    ContextDef, ContextEntry, DecisionBody, DecisionDef, Expectation, HitPolicy, InputDef,
    KnowledgeDef, Model, NameRef, Param, Rule, TableDef, TableInput, TableOutput, TestCase,
    TestsFile, TypeBody, TypeDef,
};
use super::tree::{Key, Kind, Node, Pos, Style};
use super::{Feel, Loc, SourceFile};

/// One kind of mapping in the format: its keys, and which of them are required.
pub(crate) struct Shape {
    /// How errors name it ("table", "rule").
    pub(crate) what: &'static str,
    /// Its name under `$defs` in the JSON Schema.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the schema test"))]
    pub(crate) schema_def: &'static str,
    /// Every key it accepts.
    pub(crate) keys: &'static [&'static str],
    /// The keys it requires.
    pub(crate) required: &'static [&'static str],
}

const BODY_KEYS: [&str; 3] = ["expression", "table", "context"];

pub(crate) const MODEL_FILE: Shape = Shape {
    what: "model file",
    schema_def: "modelFile",
    keys: &[
        "model",
        "description",
        "types",
        "inputs",
        "knowledge",
        "decisions",
        "tests",
    ],
    required: &["model"],
};
pub(crate) const TESTS_FILE: Shape = Shape {
    what: "tests file",
    schema_def: "testsFile",
    keys: &["tests-for", "description", "tests"],
    required: &["tests-for", "tests"],
};
pub(crate) const TYPE: Shape = Shape {
    what: "type",
    schema_def: "type",
    keys: &["name", "description", "type", "fields", "allowed"],
    required: &["name"],
};
pub(crate) const INPUT: Shape = Shape {
    what: "input",
    schema_def: "input",
    keys: &["name", "description", "type"],
    required: &["name"],
};
pub(crate) const KNOWLEDGE: Shape = Shape {
    what: "knowledge model",
    schema_def: "knowledge",
    keys: &[
        "name",
        "description",
        "params",
        "type",
        "expression",
        "table",
        "context",
        "result",
    ],
    required: &["name"],
};
pub(crate) const PARAM: Shape = Shape {
    what: "parameter",
    schema_def: "param",
    keys: &["name", "type"],
    required: &["name"],
};
pub(crate) const DECISION: Shape = Shape {
    what: "decision",
    schema_def: "decision",
    keys: &[
        "name",
        "description",
        "type",
        "requires",
        "expression",
        "table",
        "context",
        "result",
    ],
    required: &["name"],
};
pub(crate) const CONTEXT_ENTRY: Shape = Shape {
    what: "context entry",
    schema_def: "contextEntry",
    keys: &["name", "type", "expression", "table", "context", "result"],
    required: &["name"],
};
pub(crate) const TABLE: Shape = Shape {
    what: "table",
    schema_def: "table",
    keys: &["hit", "inputs", "outputs", "rules"],
    required: &["outputs", "rules"],
};
pub(crate) const TABLE_INPUT: Shape = Shape {
    what: "table input",
    schema_def: "tableInput",
    keys: &["expression", "label", "values"],
    required: &["expression"],
};
pub(crate) const TABLE_OUTPUT: Shape = Shape {
    what: "table output",
    schema_def: "tableOutput",
    keys: &["name", "type", "values", "default"],
    required: &["name"],
};
pub(crate) const RULE: Shape = Shape {
    what: "rule",
    schema_def: "rule",
    keys: &["id", "when", "then", "note"],
    required: &["then"],
};
pub(crate) const TEST: Shape = Shape {
    what: "test",
    schema_def: "test",
    keys: &["name", "description", "input", "expect"],
    required: &["name", "expect"],
};

/// Every mapping shape of the format.
#[cfg(test)]
pub(crate) const SHAPES: [&Shape; 24] = [
    &MODEL_FILE,
    &TESTS_FILE,
    &TYPE,
    &INPUT,
    &KNOWLEDGE,
    &PARAM,
    &DECISION,
    &CONTEXT_ENTRY,
    &TABLE,
    &TABLE_INPUT,
    &TABLE_OUTPUT,
    &RULE,
    &TEST,
    &super::read_process::PROCESS_FILE,
    &super::read_process::INTAKE,
    &super::read_process::FIELD,
    &super::read_process::STEP,
    &super::read_process::ROUTE_BRANCH,
    &super::read_process::TASK,
    &super::read_process::SEND,
    &super::read_process::RECORD,
    &super::read_process::WAIT,
    &super::read_process::END,
    &super::read_process::TEMPLATE_FILE,
];

/// The keys that say what kind of file a file is, with the kind's name for messages.
const FILE_KINDS: [(&str, &str); 4] = [
    ("model", "a model file"),
    ("tests-for", "a tests file"),
    ("process", "a process file"),
    ("template", "a template file"),
];

/// Reads the root node of a file.
pub(crate) fn source_file(cx: &mut Collector, root: &Node) -> Option<SourceFile> {
    let Kind::Map(entries) = &root.kind else {
        cx.error(
            SourceErrorKind::WrongType,
            root.pos,
            format!(
                "expected a mapping with `model`, `tests-for`, `process` or `template` at the top of the file, found {}",
                root.describe()
            ),
        );
        return None;
    };
    let kinds: Vec<(&Key, &str)> = entries
        .iter()
        .filter_map(|(k, _)| {
            FILE_KINDS
                .iter()
                .find(|(key, _)| *key == k.text)
                .map(|(key, _)| (k, *key))
        })
        .collect();
    match kinds.as_slice() {
        [] => {
            cx.error(
                SourceErrorKind::MissingKey,
                root.pos,
                "missing key `model` (for a model file), `tests-for` (for a tests file), `process` (for a process file) or `template` (for a template file)",
            );
            None
        }
        [(_, kind)] => match *kind {
            "model" => model_file(cx, root).map(SourceFile::Model),
            "tests-for" => tests_file(cx, root).map(SourceFile::Tests),
            "process" => super::read_process::process_file(cx, root)
                .map(|p| SourceFile::Process(Box::new(p))),
            _ => super::read_process::template_file(cx, root).map(SourceFile::Template),
        },
        [(_, first), rest @ ..] => {
            for (key, kind) in rest {
                let help = if (*first, *kind) == ("model", "tests-for") {
                    "put tests for another model in their own file".to_owned()
                } else {
                    "put each in its own file".to_owned()
                };
                cx.error_help(
                    SourceErrorKind::ConflictingKeys,
                    key.pos,
                    format!("a file has one of `model`, `tests-for`, `process` or `template`; `{first}` and `{kind}` cannot both be given"),
                    help,
                );
            }
            None
        }
    }
}

fn model_file(cx: &mut Collector, node: &Node) -> Option<Model> {
    let obj = Obj::new(cx, node, &MODEL_FILE)?;
    let name = obj.get("model").and_then(|n| model_name(cx, n, "model"));
    let description = obj.opt_text(cx, "description");
    let types = obj.list(cx, "types", read_type);
    let inputs = obj.list(cx, "inputs", read_input);
    let knowledge = obj.list(cx, "knowledge", read_knowledge);
    let decisions = obj.list(cx, "decisions", read_decision);
    let tests = obj.list(cx, "tests", read_test);

    unique(
        cx,
        types.iter().map(|t| (t.name.as_str(), &t.loc, "a type")),
    );
    unique(
        cx,
        inputs
            .iter()
            .map(|i| (i.name.as_str(), &i.loc, "an input"))
            .chain(
                knowledge
                    .iter()
                    .map(|k| (k.name.as_str(), &k.loc, "a knowledge model")),
            )
            .chain(
                decisions
                    .iter()
                    .map(|d| (d.name.as_str(), &d.loc, "a decision")),
            ),
    );
    unique(
        cx,
        tests.iter().map(|t| (t.name.as_str(), &t.loc, "a test")),
    );
    Some(Model {
        name: name?,
        description,
        types,
        inputs,
        knowledge,
        decisions,
        tests,
        loc: cx.loc(obj.pos),
    })
}

fn tests_file(cx: &mut Collector, node: &Node) -> Option<TestsFile> {
    let obj = Obj::new(cx, node, &TESTS_FILE)?;
    let tests_for = obj
        .get("tests-for")
        .and_then(|n| model_name(cx, n, "tests-for"));
    let description = obj.opt_text(cx, "description");
    let tests = obj.list(cx, "tests", read_test);
    unique(
        cx,
        tests.iter().map(|t| (t.name.as_str(), &t.loc, "a test")),
    );
    Some(TestsFile {
        tests_for: tests_for?,
        description,
        tests,
        loc: cx.loc(obj.pos),
    })
}

fn read_type(cx: &mut Collector, node: &Node) -> Option<TypeDef> {
    let obj = Obj::new(cx, node, &TYPE)?;
    let name = obj.name(cx);
    let description = obj.opt_text(cx, "description");
    let allowed = obj.opt_feel(cx, "allowed");
    let body = match (obj.entry("type"), obj.entry("fields")) {
        (Some(_), Some((key, _))) => {
            cx.error(
                SourceErrorKind::ConflictingKeys,
                key.pos,
                "a type has either `type` or `fields`, not both",
            );
            None
        }
        (Some(_), None) => obj.opt_feel(cx, "type").map(TypeBody::Ref),
        (None, Some(_)) => {
            let fields = obj.list(cx, "fields", read_type);
            unique(
                cx,
                fields.iter().map(|f| (f.name.as_str(), &f.loc, "a field")),
            );
            Some(TypeBody::Fields(fields))
        }
        (None, None) => {
            cx.error(
                SourceErrorKind::MissingKey,
                obj.pos,
                "missing key `type` or `fields` in type",
            );
            None
        }
    };
    Some(TypeDef {
        name: name?,
        description,
        body: body?,
        allowed,
        loc: cx.loc(obj.pos),
    })
}

fn read_input(cx: &mut Collector, node: &Node) -> Option<InputDef> {
    let obj = Obj::new(cx, node, &INPUT)?;
    let name = obj.name(cx);
    let description = obj.opt_text(cx, "description");
    let type_ref = obj.opt_feel(cx, "type");
    Some(InputDef {
        name: name?,
        description,
        type_ref,
        loc: cx.loc(obj.pos),
    })
}

fn read_knowledge(cx: &mut Collector, node: &Node) -> Option<KnowledgeDef> {
    let obj = Obj::new(cx, node, &KNOWLEDGE)?;
    let name = obj.name(cx);
    let description = obj.opt_text(cx, "description");
    let params = obj.list(cx, "params", read_param);
    unique(
        cx,
        params
            .iter()
            .map(|p| (p.name.as_str(), &p.loc, "a parameter")),
    );
    let type_ref = obj.opt_feel(cx, "type");
    let body = read_body(cx, &obj);
    Some(KnowledgeDef {
        name: name?,
        description,
        params,
        type_ref,
        body: body?,
        loc: cx.loc(obj.pos),
    })
}

fn read_param(cx: &mut Collector, node: &Node) -> Option<Param> {
    let obj = Obj::new(cx, node, &PARAM)?;
    let name = obj.name(cx);
    let type_ref = obj.opt_feel(cx, "type");
    Some(Param {
        name: name?,
        type_ref,
        loc: cx.loc(obj.pos),
    })
}

fn read_decision(cx: &mut Collector, node: &Node) -> Option<DecisionDef> {
    let obj = Obj::new(cx, node, &DECISION)?;
    let name = obj.name(cx);
    let description = obj.opt_text(cx, "description");
    let type_ref = obj.opt_feel(cx, "type");
    let requires = obj.list(cx, "requires", |cx, n| {
        let name = name_text(cx, n, "an entry of `requires`")?;
        Some(NameRef {
            name,
            loc: cx.loc(n.pos),
        })
    });
    unique(
        cx,
        requires
            .iter()
            .map(|r| (r.name.as_str(), &r.loc, "an entry of `requires`")),
    );
    let body = read_body(cx, &obj);
    Some(DecisionDef {
        name: name?,
        description,
        type_ref,
        requires,
        body: body?,
        loc: cx.loc(obj.pos),
    })
}

/// Reads the one body key (`expression`, `table` or `context` with `result`) of `obj`.
fn read_body(cx: &mut Collector, obj: &Obj<'_>) -> Option<DecisionBody> {
    let what = obj.shape.what;
    let given: Vec<(&Key, &Node)> = BODY_KEYS.iter().filter_map(|k| obj.entry(k)).collect();
    let result = obj.entry("result");
    let context_given = given.iter().any(|(k, _)| k.text == "context");
    if let (Some((key, _)), false) = (result, context_given) {
        cx.error_help(
            SourceErrorKind::ConflictingKeys,
            key.pos,
            "`result` is only allowed together with `context`",
            "remove `result`, or turn the body into a `context`",
        );
    }
    match given.as_slice() {
        [] => {
            cx.error(
                SourceErrorKind::MissingKey,
                obj.pos,
                format!("missing body in {what}; expected one of `expression`, `table`, `context`"),
            );
            None
        }
        [(key, node)] => match key.text.as_str() {
            "expression" => feel(cx, node, "`expression`").map(DecisionBody::Expression),
            "table" => read_table(cx, node).map(DecisionBody::Table),
            _ => read_context(cx, node, result.map(|(_, n)| n)).map(DecisionBody::Context),
        },
        [(first, _), rest @ ..] => {
            for (key, _) in rest {
                cx.error(
                    SourceErrorKind::ConflictingKeys,
                    key.pos,
                    format!(
                        "a {what} has one body; `{}` and `{}` cannot both be given",
                        first.text, key.text
                    ),
                );
            }
            None
        }
    }
}

fn read_context(cx: &mut Collector, node: &Node, result: Option<&Node>) -> Option<ContextDef> {
    let entries = list_items(cx, node, "`context`", read_context_entry)?;
    unique(
        cx,
        entries
            .iter()
            .map(|e| (e.name.as_str(), &e.loc, "a context entry")),
    );
    let result = match result {
        Some(n) => Some(feel(cx, n, "`result`")?),
        None => None,
    };
    Some(ContextDef {
        entries,
        result,
        loc: cx.loc(node.pos),
    })
}

fn read_context_entry(cx: &mut Collector, node: &Node) -> Option<ContextEntry> {
    let obj = Obj::new(cx, node, &CONTEXT_ENTRY)?;
    let name = obj.name(cx);
    let type_ref = obj.opt_feel(cx, "type");
    let body = read_body(cx, &obj);
    Some(ContextEntry {
        name: name?,
        type_ref,
        body: body?,
        loc: cx.loc(obj.pos),
    })
}

fn read_table(cx: &mut Collector, node: &Node) -> Option<TableDef> {
    let obj = Obj::new(cx, node, &TABLE)?;
    let hit = match obj.get("hit") {
        None => Some(HitPolicy::default()),
        Some(n) => hit_policy(cx, n),
    };
    let inputs = obj.list(cx, "inputs", read_table_input);
    let outputs = obj.list(cx, "outputs", read_table_output);
    unique(
        cx,
        outputs
            .iter()
            .map(|o| (o.name.as_str(), &o.loc, "an output")),
    );
    // Cell counts are checked against the columns as written, so a column with an error
    // of its own does not also make every rule wrong.
    let n_inputs = obj.get("inputs").map_or(Some(0), seq_len);
    let n_outputs = obj.get("outputs").and_then(seq_len);
    if let (Some(0), Some(n)) = (n_outputs, obj.get("outputs")) {
        cx.error(
            SourceErrorKind::EmptyValue,
            n.pos,
            "a table needs at least one output",
        );
    }
    let mut index = 0;
    let rules = obj.list(cx, "rules", |cx, n| {
        index += 1;
        read_rule(cx, n, index, n_inputs, n_outputs)
    });
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, rule) in rules.iter().enumerate() {
        if let Some(first) = ids.insert(&rule.id, i + 1) {
            cx.report(
                super::err::SourceError::new(
                    SourceErrorKind::DuplicateRuleId,
                    rule.loc.clone(),
                    format!(
                        "rule id `{}` is used twice in this table (rules {first} and {})",
                        rule.id,
                        i + 1
                    ),
                )
                .with_help("give each rule its own `id`"),
            );
        }
    }
    Some(TableDef {
        hit: hit?,
        inputs,
        outputs,
        rules,
        loc: cx.loc(obj.pos),
    })
}

fn hit_policy(cx: &mut Collector, node: &Node) -> Option<HitPolicy> {
    let text = text(cx, node, "`hit`")?;
    match text.parse::<HitPolicy>() {
        Ok(h) => Some(h),
        Err(_) => {
            let names: Vec<String> = HitPolicy::ALL
                .iter()
                .map(|h| format!("`{}`", h.name()))
                .collect();
            cx.error_help(
                SourceErrorKind::BadHitPolicy,
                node.pos,
                format!(
                    "unknown hit policy `{text}`; expected one of {}",
                    names.join(", ")
                ),
                "the abbreviations `U`, `A`, `P`, `F`, `O`, `R`, `C`, `C+`, `C<`, `C>`, `C#` work too",
            );
            None
        }
    }
}

fn read_table_input(cx: &mut Collector, node: &Node) -> Option<TableInput> {
    let obj = Obj::new(cx, node, &TABLE_INPUT)?;
    let expression = obj
        .get("expression")
        .and_then(|n| feel(cx, n, "`expression`"));
    let label = obj.opt_text(cx, "label");
    let values = obj.opt_feel(cx, "values");
    Some(TableInput {
        expression: expression?,
        label,
        values,
        loc: cx.loc(obj.pos),
    })
}

fn read_table_output(cx: &mut Collector, node: &Node) -> Option<TableOutput> {
    let obj = Obj::new(cx, node, &TABLE_OUTPUT)?;
    let name = obj.name(cx);
    let type_ref = obj.opt_feel(cx, "type");
    let values = obj.opt_feel(cx, "values");
    let default = obj.opt_feel(cx, "default");
    Some(TableOutput {
        name: name?,
        type_ref,
        values,
        default,
        loc: cx.loc(obj.pos),
    })
}

fn read_rule(
    cx: &mut Collector,
    node: &Node,
    index: usize,
    n_inputs: Option<usize>,
    n_outputs: Option<usize>,
) -> Option<Rule> {
    let obj = Obj::new(cx, node, &RULE)?;
    let id = match obj.get("id") {
        Some(n) => name_text(cx, n, "`id`"),
        None => Some(format!("r{index}")),
    };
    let id_shown = id.clone().unwrap_or_else(|| format!("r{index}"));
    let when_what = format!("`when` of rule `{id_shown}`");
    let then_what = format!("`then` of rule `{id_shown}`");
    let when = obj.get("when").map_or(Some(Vec::new()), |n| {
        cells(cx, n, &when_what, "write `-` to match any value")
    });
    let then = obj
        .get("then")
        .and_then(|n| cells(cx, n, &then_what, "write `null` for no value"));
    let note = obj.opt_text(cx, "note");

    let counts = [
        (
            "input",
            obj.get("when").map_or(Some(0), seq_len),
            n_inputs,
            "when",
        ),
        (
            "output",
            obj.get("then").and_then(seq_len),
            n_outputs,
            "then",
        ),
    ];
    for (column, cells, columns, key) in counts {
        if let (Some(cells), Some(columns)) = (cells, columns)
            && cells != columns
        {
            let pos = obj.entry(key).map_or(obj.pos, |(k, _)| k.pos);
            cx.error(
                SourceErrorKind::CellCount,
                pos,
                format!(
                    "rule `{id_shown}` has {} but the table has {}",
                    plural(cells, &format!("{column} cell")),
                    plural(columns, column)
                ),
            );
        }
    }
    Some(Rule {
        id: id?,
        when: when?,
        then: then?,
        note,
        loc: cx.loc(obj.pos),
    })
}

fn cells(cx: &mut Collector, node: &Node, what: &str, empty_help: &str) -> Option<Vec<Feel>> {
    let Kind::Seq(items) = &node.kind else {
        cx.error_help(
            SourceErrorKind::WrongType,
            node.pos,
            format!(
                "expected a list of cells for {what}, found {}",
                node.describe()
            ),
            "write the cells as a list: `['\"gold\"', '>= 100']`",
        );
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let cell_what = format!("cell {} of {what}", i + 1);
        if item.as_scalar().is_some_and(|t| t.trim().is_empty()) {
            cx.error_help(
                SourceErrorKind::EmptyValue,
                item.pos,
                format!("{cell_what} is empty"),
                empty_help,
            );
            ok = false;
            continue;
        }
        match feel(cx, item, &cell_what) {
            Some(f) => out.push(f),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_test(cx: &mut Collector, node: &Node) -> Option<TestCase> {
    let obj = Obj::new(cx, node, &TEST)?;
    let name = obj.name(cx);
    let description = obj.opt_text(cx, "description");
    let mut ok = true;
    let mut input = Map::new();
    if let Some(n) = obj.get("input").filter(|n| !n.is_null()) {
        match named_values(cx, n, "`input`") {
            Some(values) => {
                for (key, _, value) in values {
                    input.insert(key, value);
                }
            }
            None => ok = false,
        }
    }
    let mut expect = Vec::new();
    if let Some(n) = obj.get("expect") {
        match named_values(cx, n, "`expect`") {
            Some(values) => {
                for (decision, pos, value) in values {
                    expect.push(Expectation {
                        decision,
                        value,
                        loc: cx.loc(pos),
                    });
                }
            }
            None => ok = false,
        }
    }
    Some(TestCase {
        name: name?,
        description,
        input: ok.then_some(input)?,
        expect,
        loc: cx.loc(obj.pos),
    })
}

/// Reads a mapping of names (normalised, unique) to JSON values.
fn named_values(
    cx: &mut Collector,
    node: &Node,
    what: &str,
) -> Option<Vec<(String, Pos, serde_json::Value)>> {
    let Kind::Map(entries) = &node.kind else {
        cx.error(
            SourceErrorKind::WrongType,
            node.pos,
            format!(
                "expected a mapping of names to values for {what}, found {}",
                node.describe()
            ),
        );
        return None;
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut seen: BTreeMap<String, Pos> = BTreeMap::new();
    let mut ok = true;
    for (key, value) in entries {
        let name = normalise(&key.text);
        if name.is_empty() {
            cx.error(
                SourceErrorKind::EmptyValue,
                key.pos,
                format!("a name in {what} is empty"),
            );
            ok = false;
            continue;
        }
        if let Some(first) = seen.get(&name) {
            cx.error(
                SourceErrorKind::DuplicateKey,
                key.pos,
                format!(
                    "`{name}` is given twice in {what}; it is already given at line {}",
                    first.line
                ),
            );
            ok = false;
            continue;
        }
        seen.insert(name.clone(), key.pos);
        match to_value(cx, value) {
            Some(v) => out.push((name, key.pos, v)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// A mapping being read as one [`Shape`], with unknown and missing keys already reported.
pub(super) struct Obj<'n> {
    pub(super) shape: &'static Shape,
    entries: &'n [(Key, Node)],
    pub(super) pos: Pos,
}

impl<'n> Obj<'n> {
    /// Checks `node` against `shape`; `None` (reported) when it is not a mapping at all.
    pub(super) fn new(cx: &mut Collector, node: &'n Node, shape: &'static Shape) -> Option<Self> {
        let Kind::Map(entries) = &node.kind else {
            cx.error(
                SourceErrorKind::WrongType,
                node.pos,
                format!(
                    "expected a mapping for a {}, found {}",
                    shape.what,
                    node.describe()
                ),
            );
            return None;
        };
        for (key, _) in entries {
            if shape.keys.contains(&key.text.as_str()) {
                continue;
            }
            let expected: Vec<String> = shape.keys.iter().map(|k| format!("`{k}`")).collect();
            let message = format!(
                "unknown key `{}` in {}; expected one of {}",
                key.text,
                shape.what,
                expected.join(", ")
            );
            match closest(&key.text, shape.keys) {
                Some(near) => cx.error_help(
                    SourceErrorKind::UnknownKey,
                    key.pos,
                    message,
                    format!("did you mean `{near}`?"),
                ),
                None => cx.error(SourceErrorKind::UnknownKey, key.pos, message),
            }
        }
        for required in shape.required {
            if !entries.iter().any(|(k, _)| k.text == *required) {
                cx.error(
                    SourceErrorKind::MissingKey,
                    node.pos,
                    format!("missing key `{required}` in {}", shape.what),
                );
            }
        }
        Some(Self {
            shape,
            entries,
            pos: node.pos,
        })
    }

    pub(super) fn entry(&self, key: &str) -> Option<(&'n Key, &'n Node)> {
        self.entries
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(k, v)| (k, v))
    }

    pub(super) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The required `name`, normalised (missing is already reported).
    pub(super) fn name(&self, cx: &mut Collector) -> Option<String> {
        name_text(cx, self.get("name")?, "`name`")
    }

    /// Optional free text; an empty value counts as absent.
    pub(super) fn opt_text(&self, cx: &mut Collector, key: &str) -> Option<String> {
        let node = self.get(key).filter(|n| !n.is_empty_plain())?;
        text(cx, node, &format!("`{key}`"))
    }

    /// Optional FEEL text; an empty value counts as absent.
    pub(super) fn opt_feel(&self, cx: &mut Collector, key: &str) -> Option<Feel> {
        let node = self.get(key).filter(|n| !n.is_empty_plain())?;
        feel(cx, node, &format!("`{key}`"))
    }

    /// An optional list of `key`, each item read by `item`; a null value is an empty list.
    pub(super) fn list<T>(
        &self,
        cx: &mut Collector,
        key: &str,
        item: impl FnMut(&mut Collector, &Node) -> Option<T>,
    ) -> Vec<T> {
        match self.get(key) {
            Some(node) if !node.is_null() => {
                list_items(cx, node, &format!("`{key}`"), item).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }
}

/// The items of a list node read by `item` (failed items are left out, already reported);
/// `None` (reported) when `node` is not a list.
pub(super) fn list_items<T>(
    cx: &mut Collector,
    node: &Node,
    what: &str,
    mut item: impl FnMut(&mut Collector, &Node) -> Option<T>,
) -> Option<Vec<T>> {
    let Kind::Seq(items) = &node.kind else {
        cx.error(
            SourceErrorKind::WrongType,
            node.pos,
            format!("expected a list for {what}, found {}", node.describe()),
        );
        return None;
    };
    Some(items.iter().filter_map(|n| item(cx, n)).collect())
}

fn seq_len(node: &Node) -> Option<usize> {
    match &node.kind {
        Kind::Seq(items) => Some(items.len()),
        _ => None,
    }
}

/// Scalar text, as written; an empty plain value is an error.
pub(super) fn text(cx: &mut Collector, node: &Node, what: &str) -> Option<String> {
    match &node.kind {
        Kind::Scalar { .. } if node.is_empty_plain() => {
            cx.error(
                SourceErrorKind::EmptyValue,
                node.pos,
                format!("{what} is empty"),
            );
            None
        }
        Kind::Scalar { text, .. } => Some(text.clone()),
        _ => {
            cx.error(
                SourceErrorKind::WrongType,
                node.pos,
                format!("expected text for {what}, found {}", node.describe()),
            );
            None
        }
    }
}

/// A name: scalar text, trimmed, inner whitespace collapsed, not empty.
pub(super) fn name_text(cx: &mut Collector, node: &Node, what: &str) -> Option<String> {
    let name = normalise(&text(cx, node, what)?);
    if name.is_empty() {
        cx.error(
            SourceErrorKind::EmptyValue,
            node.pos,
            format!("{what} is empty"),
        );
        return None;
    }
    Some(name)
}

/// A model name: a name made of `[A-Za-z0-9_.-]`.
fn model_name(cx: &mut Collector, node: &Node, key: &str) -> Option<String> {
    let name = name_text(cx, node, &format!("`{key}`"))?;
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        cx.error_help(
            SourceErrorKind::BadName,
            node.pos,
            format!("model name `{name}` may only use letters, digits, `_`, `.` and `-`"),
            "write it like `customer-discount`",
        );
        return None;
    }
    Some(name)
}

/// FEEL text from a scalar: plain nulls and booleans in their FEEL spelling, anything else
/// exactly as written (numbers keep their digits).
pub(super) fn feel(cx: &mut Collector, node: &Node, what: &str) -> Option<Feel> {
    let Kind::Scalar {
        text,
        style,
        text_pos,
    } = &node.kind
    else {
        cx.error_help(
            SourceErrorKind::WrongType,
            node.pos,
            format!("expected FEEL text for {what}, found {}", node.describe()),
            "quote the FEEL text as one YAML string",
        );
        return None;
    };
    if text.trim().is_empty() {
        cx.error(
            SourceErrorKind::EmptyValue,
            node.pos,
            format!("{what} is empty"),
        );
        return None;
    }
    let text = match style {
        Style::Plain => match classify_plain(text) {
            Plain::Null => "null".to_string(),
            Plain::Bool(b) => b.to_string(),
            Plain::Number(_) | Plain::NonFinite | Plain::Text => text.clone(),
        },
        Style::Quoted => text.clone(),
    };
    Some(Feel {
        text,
        loc: cx.loc(*text_pos),
    })
}

/// Trims `s` and collapses inner whitespace to single spaces.
pub(crate) fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reports names that are used twice among `items` (name, where, what kind of thing).
pub(super) fn unique<'a>(
    cx: &mut Collector,
    items: impl Iterator<Item = (&'a str, &'a Loc, &'static str)>,
) {
    let mut seen: BTreeMap<&str, (&Loc, &str)> = BTreeMap::new();
    for (name, loc, kind) in items {
        if let Some((first, first_kind)) = seen.get(name) {
            cx.report(super::err::SourceError::new(
                SourceErrorKind::DuplicateName,
                loc.clone(),
                format!(
                    "duplicate name `{name}`: already used by {first_kind} at line {}",
                    first.line
                ),
            ));
        } else {
            seen.insert(name, (loc, kind));
        }
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The known key closest to `key` (edit distance at most 2), for "did you mean".
fn closest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
