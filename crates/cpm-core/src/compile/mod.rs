//! The compiler: source files → checked, analysed [`Program`].
//!
//! Pipeline position: after `source` (files loaded with locations) and `feel` (parsing),
//! before `bundle`. Steps: load every file → parse every FEEL text → resolve names (unknown
//! names, unsupported built-ins) → order decisions by their requirements (cycles rejected)
//! → type-check table columns → analyse tables (overlaps, gaps, rules that never fire) →
//! compile templates and processes (`compile/process.rs`: step graph, decisions, templates,
//! fields).
//! Every problem is collected, with file, line and column, before the build fails.

pub mod analyse;
pub mod diagnostic;
mod process;
pub mod resolve;
mod typecheck;

use std::collections::{BTreeMap, BTreeSet};

use crate::feel::ast::{Expr, TypeRef, UnaryTest, UnaryTests};
use crate::feel::builtins;
use crate::feel::eval::contains_input_value;
use crate::feel::names::Names;
use crate::feel::parser::{parse_expression, parse_type_ref, parse_unary_tests};
use crate::ir::{self, Body, Cell, Program, Test};
use crate::source::{self, DecisionBody, Feel, HitPolicy, Loc, SourceFile, TypeBody};

pub use diagnostic::{Diagnostic, Severity};

/// A source file handed to the compiler: its path (used in messages) and its text.
#[derive(Clone, Debug)]
pub struct SourceText {
    /// The path, relative to the rules folder, with `/` separators.
    pub path: String,
    /// The file's contents.
    pub text: String,
}

/// The result of a successful build.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The compiled program.
    pub program: Program,
    /// Warnings (the build succeeded anyway).
    pub warnings: Vec<Diagnostic>,
}

/// A failed build: every error found, and the warnings.
#[derive(Clone, Debug, thiserror::Error)]
#[error("the build failed with {} error(s)", errors.len())]
pub struct CompileErrors {
    /// The errors, in file order.
    pub errors: Vec<Diagnostic>,
    /// The warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

/// Type names FEEL knows without an item definition, with the DMN XML spellings accepted as
/// aliases.
const BUILTIN_TYPES: &[&str] = &[
    "Any",
    "Null",
    "number",
    "string",
    "boolean",
    "date",
    "time",
    "date and time",
    "days and time duration",
    "years and months duration",
    "context",
    "list",
    "range",
    "function",
];

/// Compiles the given source files into a program.
///
/// # Errors
/// [`CompileErrors`] with every error found (and the warnings) when any file or model has
/// an error.
pub fn compile(files: &[SourceText]) -> Result<Compiled, CompileErrors> {
    let mut cx = Compiler::default();
    let mut models = Vec::new();
    let mut tests_files = Vec::new();
    let mut process_files = Vec::new();
    let mut template_files = Vec::new();
    let mut sorted: Vec<&SourceText> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for file in sorted {
        match source::load(&file.path, &file.text) {
            Ok(SourceFile::Model(m)) => models.push(m),
            Ok(SourceFile::Tests(t)) => tests_files.push(t),
            Ok(SourceFile::Process(p)) => process_files.push(*p),
            Ok(SourceFile::Template(t)) => template_files.push(t),
            Err(errors) => {
                for e in errors.iter() {
                    let mut d = Diagnostic::error(e.code(), e.message(), Some(e.loc().clone()));
                    if let Some(help) = e.help() {
                        d = d.with_help(help);
                    }
                    cx.diagnostics.push(d);
                }
            }
        }
    }
    cx.check_unique_names(&models);
    let mut compiled: Vec<ir::Model> = models.iter().map(|m| cx.model(m)).collect();
    for t in &tests_files {
        match compiled.iter_mut().find(|m| m.name == t.tests_for) {
            Some(model) => model.tests.extend(t.tests.iter().map(test_case)),
            None => cx.diagnostics.push(
                Diagnostic::error(
                    "unknown-name",
                    format!("`tests-for: {}` names no model in this folder", t.tests_for),
                    Some(t.loc.clone()),
                )
                .with_help(known_list(models.iter().map(|m| m.name.as_str()))),
            ),
        }
    }
    compiled.sort_by(|a, b| a.name.cmp(&b.name));
    let templates = cx.templates(&template_files);
    let template_names: BTreeSet<String> = templates.iter().map(|t| t.name.clone()).collect();
    let decisions = process::decision_info(&compiled);
    let processes = cx.processes(&process_files, &decisions, &template_names);
    let (errors, warnings): (Vec<_>, Vec<_>) = cx
        .diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if errors.is_empty() {
        Ok(Compiled {
            program: Program {
                models: compiled,
                processes,
                templates,
            },
            warnings,
        })
    } else {
        Err(CompileErrors { errors, warnings })
    }
}

/// A test case of the source, with canonical JSON input and expectations.
fn test_case(t: &source::TestCase) -> ir::TestCase {
    ir::TestCase {
        name: t.name.clone(),
        input: crate::canonical::to_string(&serde_json::Value::Object(t.input.clone())),
        expect: t
            .expect
            .iter()
            .map(|e| (e.decision.clone(), crate::canonical::to_string(&e.value)))
            .collect(),
    }
}

/// "known: `a`, `b`" help text.
fn known_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "there are none".to_owned()
    } else {
        format!("known: {}", names.join(", "))
    }
}

/// The compiler's state: diagnostics collected so far.
#[derive(Default)]
struct Compiler {
    diagnostics: Vec<Diagnostic>,
}

/// What names an expression may use where it is compiled.
#[derive(Clone)]
struct Scope {
    /// For the parser: every known multi-word name.
    names: Names,
    /// For resolution: every name in scope.
    known: BTreeSet<String>,
    /// Decision names (to record requirements); a name bound closer (a context entry)
    /// hides the decision.
    decisions: BTreeSet<String>,
    /// The decision being compiled, if any.
    current: Option<String>,
    /// What the scope is, for messages (`decision `X``).
    owner: String,
    /// How to declare a name that is not known here, for messages.
    declare_help: &'static str,
}

impl Scope {
    fn with(&self, extra: impl IntoIterator<Item = String>) -> Scope {
        let mut s = self.clone();
        for n in extra {
            s.names.insert(&n);
            s.decisions.remove(&n);
            s.known.insert(n);
        }
        s
    }
}

impl Compiler {
    fn error(&mut self, code: &str, message: String, loc: &Loc) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(code, message, Some(loc.clone())));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    /// Model names unique in the folder; decision names unique across models.
    fn check_unique_names(&mut self, models: &[source::Model]) {
        let mut model_names: BTreeMap<&str, &Loc> = BTreeMap::new();
        let mut decisions: BTreeMap<&str, &Loc> = BTreeMap::new();
        for m in models {
            if let Some(first) = model_names.insert(&m.name, &m.loc) {
                let msg = format!("model `{}` is already defined at {first}", m.name);
                self.error("duplicate-name", msg, &m.loc);
            }
            for d in &m.decisions {
                if let Some(first) = decisions.insert(&d.name, &d.loc) {
                    let msg = format!(
                        "decision `{}` is already defined at {first}; decision names must be unique in the folder",
                        d.name
                    );
                    self.error("duplicate-name", msg, &d.loc);
                }
            }
        }
    }

    fn model(&mut self, m: &source::Model) -> ir::Model {
        let type_names: BTreeSet<String> = m.types.iter().map(|t| t.name.clone()).collect();
        let types: Vec<ir::TypeDef> = m
            .types
            .iter()
            .map(|t| self.type_def(t, &type_names, &Scope::empty()))
            .collect();
        let inputs: Vec<ir::Input> = m
            .inputs
            .iter()
            .map(|i| ir::Input {
                name: i.name.clone(),
                ty: i
                    .type_ref
                    .as_ref()
                    .map_or(TypeRef::Any, |t| self.type_ref(t, &type_names)),
            })
            .collect();
        let knowledge_names: Vec<String> = m.knowledge.iter().map(|k| k.name.clone()).collect();
        let knowledge_scope = Scope::empty().with(knowledge_names.iter().cloned());
        let knowledge: Vec<ir::Knowledge> = m
            .knowledge
            .iter()
            .map(|k| {
                let scope = Scope {
                    owner: format!("knowledge model `{}`", k.name),
                    ..knowledge_scope.with(k.params.iter().map(|p| p.name.clone()))
                };
                let mut unused = BTreeSet::new();
                ir::Knowledge {
                    name: k.name.clone(),
                    params: k
                        .params
                        .iter()
                        .map(|p| {
                            (
                                p.name.clone(),
                                p.type_ref.as_ref().map(|t| self.type_ref(t, &type_names)),
                            )
                        })
                        .collect(),
                    ty: k.type_ref.as_ref().map(|t| self.type_ref(t, &type_names)),
                    body: self.body(&k.body, &scope, &mut unused),
                }
            })
            .collect();
        let decision_names: BTreeSet<String> = m.decisions.iter().map(|d| d.name.clone()).collect();
        let graph_scope = Scope {
            decisions: decision_names.clone(),
            ..knowledge_scope.with(
                m.inputs
                    .iter()
                    .map(|i| i.name.clone())
                    .chain(decision_names.iter().cloned()),
            )
        };
        let mut requires: Vec<BTreeSet<String>> = Vec::new();
        let mut decisions: Vec<ir::Decision> = Vec::new();
        for d in &m.decisions {
            let scope = Scope {
                owner: format!("decision `{}`", d.name),
                current: Some(d.name.clone()),
                ..graph_scope.clone()
            };
            let mut used = BTreeSet::new();
            let body = self.body(&d.body, &scope, &mut used);
            for r in &d.requires {
                if decision_names.contains(&r.name) {
                    used.insert(r.name.clone());
                } else if !m.inputs.iter().any(|i| i.name == r.name) {
                    let msg = format!(
                        "decision `{}` requires `{}`, which is not a decision or input of this model",
                        d.name, r.name
                    );
                    self.error("unknown-name", msg, &r.loc);
                }
            }
            requires.push(used);
            decisions.push(ir::Decision {
                name: d.name.clone(),
                ty: d.type_ref.as_ref().map(|t| self.type_ref(t, &type_names)),
                body,
                plan: Vec::new(),
                reads: Vec::new(),
            });
        }
        self.plan(m, &mut decisions, &requires);
        for (d, src) in decisions.iter().zip(&m.decisions) {
            self.analyse_body(&d.body, &src.body, &inputs, &types);
        }
        ir::Model {
            name: m.name.clone(),
            types,
            inputs,
            knowledge,
            decisions,
            tests: m.tests.iter().map(test_case).collect(),
        }
    }

    /// Orders requirements: each decision's plan lists what it needs, dependencies first.
    /// Cycles are reported once per cycle.
    fn plan(
        &mut self,
        m: &source::Model,
        decisions: &mut [ir::Decision],
        requires: &[BTreeSet<String>],
    ) {
        let index: BTreeMap<&str, usize> = m
            .decisions
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.as_str(), i))
            .collect();
        let edges: Vec<Vec<usize>> = requires
            .iter()
            .map(|r| {
                r.iter()
                    .filter_map(|n| index.get(n.as_str()).copied())
                    .collect()
            })
            .collect();
        let mut reported: BTreeSet<Vec<usize>> = BTreeSet::new();
        for start in 0..decisions.len() {
            let mut order = Vec::new();
            let mut state = vec![0u8; decisions.len()];
            let mut path = Vec::new();
            if let Err(cycle) = visit(start, &edges, &mut state, &mut path, &mut order) {
                let mut key = cycle.clone();
                key.sort_unstable();
                if reported.insert(key) {
                    let names: Vec<String> = cycle
                        .iter()
                        .chain(cycle.first())
                        .filter_map(|&i| m.decisions.get(i).map(|d| format!("`{}`", d.name)))
                        .collect();
                    if let Some(d) = cycle.first().and_then(|&i| m.decisions.get(i)) {
                        let msg = format!(
                            "decisions require each other in a cycle: {}",
                            names.join(" → ")
                        );
                        self.error("cycle", msg, &d.loc);
                    }
                }
                continue;
            }
            order.retain(|&i| i != start);
            if let Some(d) = decisions.get_mut(start) {
                d.plan = order
                    .iter()
                    .map(|&i| u32::try_from(i).unwrap_or(u32::MAX))
                    .collect();
            }
        }
        // Inputs read, directly or through required decisions.
        let reads: Vec<BTreeSet<u32>> = (0..decisions.len())
            .map(|i| {
                let mut set = BTreeSet::new();
                let mut all = vec![i];
                if let Some(d) = decisions.get(i) {
                    all.extend(d.plan.iter().map(|&p| p as usize));
                }
                for j in all {
                    let Some(d) = decisions.get(j) else { continue };
                    let names = body_free_names(&d.body);
                    for (k, input) in m.inputs.iter().enumerate() {
                        if names.contains(&input.name) {
                            set.insert(u32::try_from(k).unwrap_or(u32::MAX));
                        }
                    }
                }
                set
            })
            .collect();
        for (d, r) in decisions.iter_mut().zip(reads) {
            d.reads = r.into_iter().collect();
        }
    }

    fn type_def(
        &mut self,
        t: &source::TypeDef,
        type_names: &BTreeSet<String>,
        scope: &Scope,
    ) -> ir::TypeDef {
        let base = match &t.body {
            TypeBody::Ref(feel) => self.type_ref(feel, type_names),
            TypeBody::Fields(fields) => TypeRef::Context(
                fields
                    .iter()
                    .map(|f| (f.name.clone(), self.type_def(f, type_names, scope).base))
                    .collect(),
            ),
        };
        let allowed = t
            .allowed
            .as_ref()
            .and_then(|a| self.cell(a, scope, &mut BTreeSet::new()));
        ir::TypeDef {
            name: t.name.clone(),
            base,
            allowed,
        }
    }

    /// Parses a type reference and checks that every name in it is known.
    fn type_ref(&mut self, feel: &Feel, type_names: &BTreeSet<String>) -> TypeRef {
        match parse_type_ref(&feel.text) {
            Ok(t) => {
                self.check_type_names(&t, type_names, feel);
                normalise_type(t)
            }
            Err(e) => {
                let loc = syntax_loc(feel, e.span.start);
                self.error("feel-syntax", format!("invalid type: {}", e.message), &loc)
                    .source = Some(feel.text.clone());
                TypeRef::Any
            }
        }
    }

    fn check_type_names(&mut self, t: &TypeRef, type_names: &BTreeSet<String>, feel: &Feel) {
        match t {
            TypeRef::Named(n) => {
                let n = alias(n);
                if !BUILTIN_TYPES.contains(&n) && !type_names.contains(n) {
                    let msg = format!("unknown type `{n}`");
                    let help = format!(
                        "use a FEEL type (number, string, boolean, date, time, date and time, days and time duration, years and months duration, Any) or one of the model's types: {}",
                        known_list(type_names.iter().map(String::as_str))
                    );
                    self.error("unknown-name", msg, &feel.loc).help = Some(help);
                }
            }
            TypeRef::List(inner) | TypeRef::Range(inner) => {
                self.check_type_names(inner, type_names, feel)
            }
            TypeRef::Context(fields) => {
                for (_, f) in fields {
                    self.check_type_names(f, type_names, feel);
                }
            }
            TypeRef::Function(params, result) => {
                for p in params {
                    self.check_type_names(p, type_names, feel);
                }
                self.check_type_names(result, type_names, feel);
            }
            TypeRef::Any | TypeRef::Null => {}
        }
    }

    /// Compiles a body; `used` collects the decision names it refers to.
    fn body(&mut self, body: &DecisionBody, scope: &Scope, used: &mut BTreeSet<String>) -> Body {
        match body {
            DecisionBody::Expression(feel) => Body::Expr(self.expr(feel, scope, used)),
            DecisionBody::Table(t) => Body::Table(Box::new(self.table(t, scope, used))),
            DecisionBody::Context(c) => {
                let mut inner = scope.clone();
                let mut entries = Vec::new();
                for e in &c.entries {
                    let b = self.body(&e.body, &inner, used);
                    entries.push((e.name.clone(), b));
                    inner = inner.with([e.name.clone()]);
                }
                let result = c.result.as_ref().map(|r| self.expr(r, &inner, used));
                Body::Context { entries, result }
            }
        }
    }

    fn table(
        &mut self,
        t: &source::TableDef,
        scope: &Scope,
        used: &mut BTreeSet<String>,
    ) -> ir::Table {
        let inputs = t
            .inputs
            .iter()
            .map(|i| ir::TableInput {
                text: i.expression.text.clone(),
                expr: self.expr(&i.expression, scope, used),
            })
            .collect();
        let outputs = t
            .outputs
            .iter()
            .map(|o| ir::TableOutput {
                name: o.name.clone(),
                ty: o
                    .type_ref
                    .as_ref()
                    .map(|ty| self.type_ref(ty, &BTreeSet::new())),
                values: o
                    .values
                    .as_ref()
                    .map(|v| self.output_values(v, scope, used))
                    .unwrap_or_default(),
                default: o.default.as_ref().map(|d| self.expr(d, scope, used)),
            })
            .collect::<Vec<_>>();
        let needs_values = matches!(t.hit, HitPolicy::Priority | HitPolicy::OutputOrder);
        if needs_values && outputs.iter().all(|o| o.values.is_empty()) {
            let msg = format!(
                "hit policy {} ranks rules by output values, but no output lists `values`",
                t.hit
            );
            self.error("bad-hit-policy", msg, &t.loc).help =
                Some("add `values: '\"high\", \"medium\", \"low\"'` (highest priority first) to the outputs".to_owned());
        }
        if matches!(t.hit, HitPolicy::Collect(Some(_))) && outputs.len() != 1 {
            let msg = format!(
                "hit policy {} aggregates one output, but the table has {}",
                t.hit,
                outputs.len()
            );
            self.error("bad-hit-policy", msg, &t.loc);
        }
        let rules = t
            .rules
            .iter()
            .map(|r| ir::Rule {
                id: r.id.clone(),
                when: r
                    .when
                    .iter()
                    .map(|c| self.cell(c, scope, used).unwrap_or(Cell::Any))
                    .collect(),
                then: r.then.iter().map(|c| self.expr(c, scope, used)).collect(),
                note: r.note.clone(),
            })
            .collect();
        ir::Table {
            hit: t.hit,
            inputs,
            outputs,
            rules,
            index: Default::default(),
        }
    }

    /// Output values: a list of values in priority order.
    fn output_values(
        &mut self,
        feel: &Feel,
        scope: &Scope,
        used: &mut BTreeSet<String>,
    ) -> Vec<Expr> {
        match self.unary_tests(feel, scope, used) {
            Some(UnaryTests::Positive(tests)) => tests
                .into_iter()
                .filter_map(|t| match t {
                    UnaryTest::Expr(e) => Some(e),
                    UnaryTest::Compare(..) => {
                        let msg = "output values must be plain values (`\"high\", \"low\"`), not comparisons".to_owned();
                        self.error("wrong-type", msg, &feel.loc).source = Some(feel.text.clone());
                        None
                    }
                })
                .collect(),
            Some(_) => {
                let msg = "output values must list values (`\"high\", \"low\"`), not `-` or `not(...)`".to_owned();
                self.error("wrong-type", msg, &feel.loc).source = Some(feel.text.clone());
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// Parses and resolves one expression. On error, records it and returns `null`.
    fn expr(&mut self, feel: &Feel, scope: &Scope, used: &mut BTreeSet<String>) -> Expr {
        match parse_expression(&feel.text, &scope.names) {
            Ok(e) => {
                self.resolve(&e, feel, scope, used);
                e
            }
            Err(err) => {
                let loc = syntax_loc(feel, err.span.start);
                self.error("feel-syntax", err.message.clone(), &loc).source =
                    Some(feel.text.clone());
                Expr::new(crate::feel::ast::ExprKind::Null, err.span)
            }
        }
    }

    fn unary_tests(
        &mut self,
        feel: &Feel,
        scope: &Scope,
        used: &mut BTreeSet<String>,
    ) -> Option<UnaryTests> {
        match parse_unary_tests(&feel.text, &scope.names) {
            Ok(t) => {
                let exprs: Vec<&Expr> = match &t {
                    UnaryTests::Any => Vec::new(),
                    UnaryTests::Positive(v) | UnaryTests::Not(v) => v
                        .iter()
                        .map(|u| match u {
                            UnaryTest::Compare(_, e) | UnaryTest::Expr(e) => e,
                        })
                        .collect(),
                };
                for e in exprs {
                    self.resolve(e, feel, scope, used);
                }
                Some(t)
            }
            Err(err) => {
                let loc = syntax_loc(feel, err.span.start);
                self.error("feel-syntax", err.message.clone(), &loc).source =
                    Some(feel.text.clone());
                None
            }
        }
    }

    /// Compiles a table input entry.
    fn cell(&mut self, feel: &Feel, scope: &Scope, used: &mut BTreeSet<String>) -> Option<Cell> {
        Some(match self.unary_tests(feel, scope, used)? {
            UnaryTests::Any => Cell::Any,
            UnaryTests::Positive(tests) => Cell::Tests {
                negated: false,
                tests: tests.into_iter().map(compile_test).collect(),
            },
            UnaryTests::Not(tests) => Cell::Tests {
                negated: true,
                tests: tests.into_iter().map(compile_test).collect(),
            },
        })
    }

    /// Reports unknown names and unsupported built-ins; records decisions used.
    fn resolve(&mut self, expr: &Expr, feel: &Feel, scope: &Scope, used: &mut BTreeSet<String>) {
        for free in resolve::free_names(expr) {
            // Inside a filter, the decision's own name can only be a key of the items; any
            // other use of it is the decision requiring itself, which `plan` reports as a
            // cycle.
            // A decision named like a built-in (`before`) may call that built-in in its own
            // body: while a decision is evaluated its own value is not in scope, so the name
            // means the built-in there.
            let own = scope.current.as_deref() == Some(free.name.as_str());
            let own_key = own && free.in_filter;
            let own_builtin = own && builtins::lookup(&free.name).is_some();
            if scope.decisions.contains(&free.name) && !own_key && !own_builtin {
                used.insert(free.name.clone());
            }
            if let Some(reason) = builtins::unsupported(&free.name) {
                let loc = feel.loc_at(free.span.start);
                let d = self.error(
                    "unsupported",
                    format!("`{}` is not supported: {reason}", free.name),
                    &loc,
                );
                d.source = Some(feel.text.clone());
                continue;
            }
            if free.in_filter
                || scope.known.contains(&free.name)
                || builtins::lookup(&free.name).is_some()
                || free.name == "?"
            {
                continue;
            }
            let loc = feel.loc_at(free.span.start);
            let suggestion = closest(&free.name, scope.known.iter().map(String::as_str));
            let msg = format!("unknown name `{}` in {}", free.name, scope.owner);
            let d = self.error("unknown-name", msg, &loc);
            d.source = Some(feel.text.clone());
            d.help = Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => scope.declare_help.to_owned(),
            });
        }
    }

    /// Type checks and analysis of the tables of a decision body.
    fn analyse_body(
        &mut self,
        body: &Body,
        src: &DecisionBody,
        inputs: &[ir::Input],
        types: &[ir::TypeDef],
    ) {
        match (body, src) {
            (Body::Table(t), DecisionBody::Table(s)) => {
                for w in typecheck::table_columns(t, s, inputs, types) {
                    self.diagnostics.push(w);
                }
                let mut unused = BTreeSet::new();
                let values: Vec<Option<Cell>> = s
                    .inputs
                    .iter()
                    .map(|i| {
                        i.values
                            .as_ref()
                            .and_then(|v| self.cell(v, &Scope::permissive(), &mut unused))
                    })
                    .collect();
                for f in analyse::analyse_table(t, &values) {
                    let loc = f
                        .rule
                        .and_then(|r| s.rules.get(r))
                        .map_or(&s.loc, |r| &r.loc);
                    self.diagnostics.push(Diagnostic::warning(
                        f.code,
                        f.message,
                        Some(loc.clone()),
                    ));
                }
            }
            (Body::Context { entries, .. }, DecisionBody::Context(c)) => {
                for ((_, b), e) in entries.iter().zip(&c.entries) {
                    self.analyse_body(b, &e.body, inputs, types);
                }
            }
            _ => {}
        }
    }
}

impl Scope {
    fn empty() -> Scope {
        Scope {
            names: Names::new(),
            known: BTreeSet::new(),
            decisions: BTreeSet::new(),
            current: None,
            owner: "the model".to_owned(),
            declare_help: "declare it under `inputs:`, or define a decision or knowledge model with that name",
        }
    }

    /// A scope for re-parsing texts already resolved once (no new diagnostics expected).
    fn permissive() -> Scope {
        Scope::empty()
    }
}

/// Depth-first visit for topological order; `Err(cycle)` lists the decisions of a cycle.
fn visit(
    node: usize,
    edges: &[Vec<usize>],
    state: &mut [u8],
    path: &mut Vec<usize>,
    order: &mut Vec<usize>,
) -> Result<(), Vec<usize>> {
    match state.get(node) {
        Some(2) => return Ok(()),
        Some(1) => {
            let from = path.iter().position(|&n| n == node).unwrap_or(0);
            return Err(path.get(from..).map(<[usize]>::to_vec).unwrap_or_default());
        }
        _ => {}
    }
    if let Some(s) = state.get_mut(node) {
        *s = 1;
    }
    path.push(node);
    for &next in edges.get(node).map(Vec::as_slice).unwrap_or_default() {
        visit(next, edges, state, path, order)?;
    }
    path.pop();
    if let Some(s) = state.get_mut(node) {
        *s = 2;
    }
    order.push(node);
    Ok(())
}

/// Free names used anywhere in a compiled body.
fn body_free_names(body: &Body) -> BTreeSet<String> {
    match body {
        Body::Expr(e) => resolve::free_name_set([e]),
        Body::Table(t) => {
            let mut exprs: Vec<&Expr> = t.inputs.iter().map(|i| &i.expr).collect();
            for r in &t.rules {
                exprs.extend(r.then.iter());
                for c in &r.when {
                    if let Cell::Tests { tests, .. } = c {
                        exprs.extend(tests.iter().map(|t| match t {
                            Test::Compare(_, e) | Test::Value(e) | Test::Predicate(e) => e,
                        }));
                    }
                }
            }
            for o in &t.outputs {
                exprs.extend(o.default.iter());
            }
            resolve::free_name_set(exprs)
        }
        Body::Context { entries, result } => {
            let mut names: BTreeSet<String> = entries
                .iter()
                .flat_map(|(_, b)| body_free_names(b))
                .collect();
            if let Some(r) = result {
                names.extend(resolve::free_name_set([r]));
            }
            names
        }
    }
}

/// A positive unary test in compiled form.
fn compile_test(t: UnaryTest) -> Test {
    match t {
        UnaryTest::Compare(op, e) => Test::Compare(op, e),
        UnaryTest::Expr(e) if contains_input_value(&e) => Test::Predicate(e),
        UnaryTest::Expr(e) => Test::Value(e),
    }
}

/// Where a syntax error at byte `offset` of a FEEL text is in the file. An error at the end
/// of the text (`found the end of the text`) points just after its last visible character,
/// not past a literal block's final line break onto the next line of the file.
fn syntax_loc(feel: &Feel, offset: u32) -> Loc {
    let end = u32::try_from(feel.text.trim_end().len()).unwrap_or(u32::MAX);
    feel.loc_at(offset.min(end))
}

/// DMN XML type spellings mapped to FEEL's.
fn alias(name: &str) -> &str {
    match name {
        "dateTime" => "date and time",
        "dayTimeDuration" => "days and time duration",
        "yearMonthDuration" => "years and months duration",
        other => other,
    }
}

/// A type reference with DMN XML spellings replaced by FEEL's.
fn normalise_type(t: TypeRef) -> TypeRef {
    match t {
        TypeRef::Named(n) => TypeRef::Named(alias(&n).to_owned()),
        TypeRef::List(inner) => TypeRef::List(Box::new(normalise_type(*inner))),
        TypeRef::Range(inner) => TypeRef::Range(Box::new(normalise_type(*inner))),
        TypeRef::Context(fields) => TypeRef::Context(
            fields
                .into_iter()
                .map(|(n, t)| (n, normalise_type(t)))
                .collect(),
        ),
        TypeRef::Function(params, result) => TypeRef::Function(
            params.into_iter().map(normalise_type).collect(),
            Box::new(normalise_type(*result)),
        ),
        other => other,
    }
}

/// The known name closest to `name` (case-insensitive edit distance ≤ a third of its length).
fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .map(|k| (edit_distance(&name.to_lowercase(), &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, *k))
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let subst = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = subst.min(del).min(ins);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
