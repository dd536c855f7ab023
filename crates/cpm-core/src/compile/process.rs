//! Compiling processes and templates: `process:` and `template:` files → [`ir::Process`] and
//! [`ir::Template`].
//!
//! Pipeline position: `compile`, after the models (a process refers to their decisions).
//! Every FEEL text of a process is parsed with the names a case holds (data fields, task
//! form fields, decision outputs) and resolved; step references, decisions and templates are
//! looked up; the step graph is checked for unreachable steps (`unreachable-step`, a
//! warning), steps with no way to an `end` (`dead-end`) and routes without a default
//! (`route-without-default`); templates are parsed with minijinja (`template-syntax`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rust_decimal::Decimal;

use super::{Compiler, Scope, closest, known_list};
use crate::feel::ast::TypeRef;
use crate::ir::{self, StepKind, WaitFor};
use crate::process::template;
use crate::source::{FieldDef, Loc, Located, NameRef, ProcessDef, StepBody, TemplateDef};
use crate::value::duration::parse_days_time;

/// The default fraction of an SLA after which it is at risk.
const DEFAULT_AT_RISK: Decimal = Decimal::from_parts(8, 0, 0, false, 1);

/// What a process needs to know about a decision of the folder.
pub(super) struct DecisionInfo {
    /// The input data the decision (or anything it requires) reads.
    reads: Vec<String>,
    /// Its declared result type with item definitions resolved (`Any` when undeclared).
    ty: TypeRef,
}

/// The decisions of the compiled models, by name.
pub(super) fn decision_info(models: &[ir::Model]) -> BTreeMap<String, DecisionInfo> {
    let mut out = BTreeMap::new();
    for m in models {
        for d in &m.decisions {
            let reads = d
                .reads
                .iter()
                .filter_map(|&i| m.inputs.get(i as usize))
                .map(|i| i.name.clone())
                .collect();
            let ty =
                d.ty.as_ref()
                    .map_or(TypeRef::Any, |t| resolve_named(t, &m.types, 0));
            out.insert(d.name.clone(), DecisionInfo { reads, ty });
        }
    }
    out
}

/// `ty` with the model's item definitions replaced by what they stand for.
fn resolve_named(ty: &TypeRef, types: &[ir::TypeDef], depth: u32) -> TypeRef {
    if depth > 32 {
        return TypeRef::Any;
    }
    match ty {
        TypeRef::Named(n) => match types.iter().find(|t| &t.name == n) {
            Some(def) => resolve_named(&def.base, types, depth + 1),
            None => ty.clone(),
        },
        TypeRef::List(inner) => TypeRef::List(Box::new(resolve_named(inner, types, depth + 1))),
        TypeRef::Context(fields) => TypeRef::Context(
            fields
                .iter()
                .map(|(n, t)| (n.clone(), resolve_named(t, types, depth + 1)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Compiler {
    /// Compiles the templates; names are unique in the folder.
    pub(super) fn templates(&mut self, defs: &[TemplateDef]) -> Vec<ir::Template> {
        let mut seen: BTreeMap<&str, &Loc> = BTreeMap::new();
        let mut out = Vec::new();
        for t in defs {
            if let Some(first) = seen.insert(&t.name, &t.loc) {
                let msg = format!("template `{}` is already defined at {first}", t.name);
                self.error("duplicate-name", msg, &t.loc);
                continue;
            }
            if let Some(subject) = &t.subject {
                self.template_syntax(&t.name, subject);
            }
            self.template_syntax(&t.name, &t.body);
            out.push(ir::Template {
                name: t.name.clone(),
                subject: t.subject.as_ref().map(|s| s.text.clone()),
                body: t.body.text.clone(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    fn template_syntax(&mut self, name: &str, text: &Located) {
        if let Err((line, message)) = template::check_syntax(&text.text) {
            let offset = line.map_or(0, |l| l.saturating_sub(1));
            let loc = Loc {
                line: text
                    .loc
                    .line
                    .saturating_add(u32::try_from(offset).unwrap_or(u32::MAX)),
                ..text.loc.clone()
            };
            let msg = format!("template `{name}`: {message}");
            self.error("template-syntax", msg, &loc).help =
                Some("templates use minijinja syntax: `{{ data[\"Customer Id\"] }}`, `{% if … %}…{% endif %}`".to_owned());
        }
    }

    /// Compiles the processes; names are unique in the folder.
    pub(super) fn processes(
        &mut self,
        defs: &[ProcessDef],
        decisions: &BTreeMap<String, DecisionInfo>,
        templates: &BTreeSet<String>,
    ) -> Vec<ir::Process> {
        let mut seen: BTreeMap<&str, &Loc> = BTreeMap::new();
        let mut out = Vec::new();
        for p in defs {
            if let Some(first) = seen.insert(&p.name, &p.loc) {
                let msg = format!("process `{}` is already defined at {first}", p.name);
                self.error("duplicate-name", msg, &p.loc);
                continue;
            }
            out.push(self.process(p, decisions, templates));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    fn process(
        &mut self,
        p: &ProcessDef,
        decisions: &BTreeMap<String, DecisionInfo>,
        templates: &BTreeSet<String>,
    ) -> ir::Process {
        let owner = format!("process `{}`", p.name);

        // Every name a case holds, with its type.
        let mut fields: Vec<(ir::CaseField, Loc)> = Vec::new();
        let data_types: Vec<TypeRef> = p.data.iter().map(|f| self.field_type(f)).collect();
        for (f, ty) in p.data.iter().zip(&data_types) {
            self.case_field(&mut fields, &f.name, ty.clone(), &f.loc);
        }
        let mut form_types: Vec<Vec<TypeRef>> = Vec::new();
        for step in &p.steps {
            match &step.body {
                StepBody::Task(t) => {
                    let types: Vec<TypeRef> = t.form.iter().map(|f| self.field_type(f)).collect();
                    for (f, ty) in t.form.iter().zip(&types) {
                        self.case_field(&mut fields, &f.name, ty.clone(), &f.loc);
                    }
                    form_types.push(types);
                }
                StepBody::Decide { decision, store_as } => {
                    let name = store_as.clone().unwrap_or_else(|| decision.name.clone());
                    let ty = decisions
                        .get(&decision.name)
                        .map_or(TypeRef::Any, |d| d.ty.clone());
                    self.case_field(&mut fields, &name, ty, &step.loc);
                    form_types.push(Vec::new());
                }
                _ => form_types.push(Vec::new()),
            }
        }
        let field_names: BTreeSet<String> = fields.iter().map(|(f, _)| f.name.clone()).collect();
        let scope = Scope {
            owner: owner.clone(),
            declare_help: "declare it under `data:`, in a task's `form:`, or store a decision under that name with `as:`",
            ..Scope::empty().with(field_names.iter().cloned())
        };

        let data: Vec<ir::Field> = p
            .data
            .iter()
            .zip(data_types)
            .map(|(f, ty)| self.field(f, ty, &scope))
            .collect();

        let intake = p.intake.as_ref().map(|i| {
            let rule = match (&i.when, &i.decision) {
                (Some(when), _) => {
                    let intake_scope = Scope {
                        owner: format!("the intake of {owner}"),
                        declare_help: "the intake condition sees the contact's fields named like the data fields; declare it under `data:`",
                        ..Scope::empty().with(p.data.iter().map(|f| f.name.clone()))
                    };
                    ir::IntakeRule::When(self.expr(when, &intake_scope, &mut BTreeSet::new()))
                }
                (None, Some(d)) => {
                    self.decision_exists(d, decisions);
                    ir::IntakeRule::Decision(d.name.clone())
                }
                (None, None) => ir::IntakeRule::When(crate::feel::ast::Expr::new(
                    crate::feel::ast::ExprKind::Bool(false),
                    crate::feel::ast::Span::default(),
                )),
            };
            let priority = match &i.priority {
                Some(l) => match l.text.trim().parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => {
                        let msg = format!(
                            "`priority` must be a whole number, found `{}`",
                            l.text.trim()
                        );
                        self.error("bad-value", msg, &l.loc);
                        0
                    }
                },
                None => 0,
            };
            ir::Intake { rule, priority }
        });

        let sla = p.sla.as_ref().and_then(|s| self.duration(s, "`sla`"));
        let at_risk = match &p.at_risk {
            Some(l) => match Decimal::from_str_exact(l.text.trim()) {
                Ok(d) if d > Decimal::ZERO && d < Decimal::ONE => d,
                _ => {
                    let msg = format!(
                        "`at-risk` must be a fraction above 0 and below 1 (`0.8`), found `{}`",
                        l.text.trim()
                    );
                    self.error("bad-value", msg, &l.loc);
                    DEFAULT_AT_RISK
                }
            },
            None => DEFAULT_AT_RISK,
        };

        let index: BTreeMap<&str, u32> = p
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let mut resolved_all = true;
        let mut resolve = |cx: &mut Compiler, r: &NameRef| -> Option<u32> {
            let found = index.get(r.name.as_str()).copied();
            if found.is_none() {
                resolved_all = false;
                let msg = format!("unknown step `{}` in {owner}", r.name);
                let help = match closest(&r.name, index.keys().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => known_list(index.keys().copied()),
                };
                cx.error("unknown-name", msg, &r.loc).help = Some(help);
            }
            found
        };
        let start = match &p.start {
            Some(r) => resolve(self, r).unwrap_or(0),
            None => 0,
        };

        let mut steps = Vec::with_capacity(p.steps.len());
        for (step, forms) in p.steps.iter().zip(form_types) {
            let next = step.next.as_ref().and_then(|r| resolve(self, r));
            let kind = match &step.body {
                StepBody::Decide { decision, store_as } => {
                    if let Some(info) = self.decision_exists(decision, decisions) {
                        for input in &info.reads {
                            if !field_names.contains(input) {
                                let msg = format!(
                                    "decision `{}` reads input `{input}`, which is not a field of {owner}",
                                    decision.name
                                );
                                self.error("unknown-name", msg, &decision.loc).help =
                                    Some(format!(
                                        "declare `{input}` under `data:` or in a task's `form:`"
                                    ));
                            }
                        }
                    }
                    StepKind::Decide {
                        decision: decision.name.clone(),
                        store_as: store_as.clone().unwrap_or_else(|| decision.name.clone()),
                    }
                }
                StepBody::Route(branches) => {
                    let mut compiled = Vec::new();
                    let mut default = None;
                    for b in branches {
                        let to = resolve(self, &b.to).unwrap_or(0);
                        match &b.when {
                            Some(when) => {
                                let e = self.expr(when, &scope, &mut BTreeSet::new());
                                compiled.push((e, to));
                            }
                            None if default.is_some() => {
                                let msg = format!(
                                    "route `{}` has more than one `default` branch",
                                    step.id
                                );
                                self.error("duplicate-name", msg, &b.loc);
                            }
                            None => default = Some(to),
                        }
                    }
                    if default.is_none() {
                        let msg = format!(
                            "route `{}` has no `default` branch; a case would stop when no condition holds",
                            step.id
                        );
                        self.error("route-without-default", msg, &step.loc).help =
                            Some("add `- { default: step-id }` as the last branch".to_owned());
                    }
                    StepKind::Route {
                        branches: compiled,
                        // INVARIANT: without a default the build fails; the index is out of range.
                        default: default.unwrap_or(u32::MAX),
                    }
                }
                StepBody::Task(t) => StepKind::Task(ir::Task {
                    queue: t.queue.clone(),
                    title: t
                        .title
                        .as_ref()
                        .map(|e| self.expr(e, &scope, &mut BTreeSet::new())),
                    form: t
                        .form
                        .iter()
                        .zip(forms)
                        .map(|(f, ty)| self.field(f, ty, &scope))
                        .collect(),
                    sla: t.sla.as_ref().and_then(|s| self.duration(s, "`sla`")),
                    escalate_to: t.escalate_to.clone(),
                }),
                StepBody::Send(s) => {
                    if !templates.contains(&s.template.name) {
                        let msg = format!("unknown template `{}` in {owner}", s.template.name);
                        let help =
                            match closest(&s.template.name, templates.iter().map(String::as_str)) {
                                Some(t) => format!("did you mean `{t}`?"),
                                None => format!(
                                    "add a template file with `template: {}`; {}",
                                    s.template.name,
                                    known_list(templates.iter().map(String::as_str))
                                ),
                            };
                        self.error("unknown-name", msg, &s.template.loc).help = Some(help);
                    }
                    StepKind::Send(ir::Send {
                        template: s.template.name.clone(),
                        channel: s.channel,
                        to: self.expr(&s.to, &scope, &mut BTreeSet::new()),
                    })
                }
                StepBody::Record(r) => StepKind::Record {
                    system: r.system.clone(),
                    change: self.expr(&r.change, &scope, &mut BTreeSet::new()),
                },
                StepBody::Wait(w) => StepKind::Wait(ir::Wait {
                    waits_for: WaitFor::parse(&w.waits_for.name),
                    timeout: w
                        .timeout
                        .as_ref()
                        .and_then(|t| self.duration(t, "`timeout`")),
                    on_timeout: w.on_timeout.as_ref().and_then(|r| resolve(self, r)),
                }),
                StepBody::End(e) => StepKind::End {
                    outcome: e.outcome.clone(),
                    root_cause: e
                        .root_cause
                        .as_ref()
                        .map(|r| self.expr(r, &scope, &mut BTreeSet::new())),
                },
            };
            steps.push(ir::Step {
                id: step.id.clone(),
                next,
                kind,
            });
        }
        self.check_graph(p, &steps, start, resolved_all);

        ir::Process {
            name: p.name.clone(),
            description: p.description.clone(),
            intake,
            data,
            fields: fields.into_iter().map(|(f, _)| f).collect(),
            sla,
            at_risk,
            escalate_to: p.escalate_to.clone(),
            start,
            steps,
        }
    }

    /// The declared type of a field (`Any` when not declared); only FEEL's own types exist
    /// outside models.
    fn field_type(&mut self, f: &FieldDef) -> TypeRef {
        f.type_ref
            .as_ref()
            .map_or(TypeRef::Any, |t| self.type_ref(t, &BTreeSet::new()))
    }

    /// Records a case field; the same name declared again must have the same type.
    fn case_field(
        &mut self,
        fields: &mut Vec<(ir::CaseField, Loc)>,
        name: &str,
        ty: TypeRef,
        loc: &Loc,
    ) {
        match fields.iter().find(|(f, _)| f.name == name) {
            Some((first, first_loc)) => {
                if first.ty != ty && first.ty != TypeRef::Any && ty != TypeRef::Any {
                    let msg = format!(
                        "field `{name}` is declared as `{}` at {first_loc} and as `{ty}` here",
                        first.ty
                    );
                    self.error("duplicate-name", msg, loc);
                }
            }
            None => fields.push((
                ir::CaseField {
                    name: name.to_owned(),
                    ty,
                },
                loc.clone(),
            )),
        }
    }

    fn field(&mut self, f: &FieldDef, ty: TypeRef, scope: &Scope) -> ir::Field {
        let valid = f
            .valid
            .as_ref()
            .and_then(|v| self.cell(v, scope, &mut BTreeSet::new()));
        ir::Field {
            name: f.name.clone(),
            ty,
            required: f.required,
            valid,
            message: f.message.clone(),
        }
    }

    fn decision_exists<'d>(
        &mut self,
        d: &NameRef,
        decisions: &'d BTreeMap<String, DecisionInfo>,
    ) -> Option<&'d DecisionInfo> {
        let found = decisions.get(&d.name);
        if found.is_none() {
            let msg = format!("unknown decision `{}`", d.name);
            let help = match closest(&d.name, decisions.keys().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => known_list(decisions.keys().map(String::as_str)),
            };
            self.error("unknown-name", msg, &d.loc).help = Some(help);
        }
        found
    }

    /// A positive days and time duration, in seconds.
    fn duration(&mut self, l: &Located, what: &str) -> Option<Decimal> {
        match parse_days_time(l.text.trim()) {
            Some(d) if d.seconds > Decimal::ZERO => Some(d.seconds),
            _ => {
                let msg = format!(
                    "{what} must be a positive days and time duration (`P2D`, `PT4H`, `P1DT12H`), found `{}`",
                    l.text.trim()
                );
                self.error("bad-value", msg, &l.loc);
                None
            }
        }
    }

    /// Dead ends (steps without a way out, or from which no `end` can be reached) and
    /// unreachable steps.
    fn check_graph(&mut self, p: &ProcessDef, steps: &[ir::Step], start: u32, resolved: bool) {
        let n = steps.len();
        let successors: Vec<Vec<usize>> = steps.iter().map(successors).collect();
        let mut dead = vec![false; n];
        for (i, (step, src)) in steps.iter().zip(&p.steps).enumerate() {
            let needs_next = !matches!(step.kind, StepKind::Route { .. } | StepKind::End { .. });
            if needs_next && src.next.is_none() {
                dead[i] = true;
                let msg = format!(
                    "step `{}` is a dead end: it is not an `end` step and has no `next`",
                    step.id
                );
                self.error("dead-end", msg, &src.loc).help =
                    Some("add `next: step-id`, or make it an `end` step".to_owned());
            }
        }
        if !resolved {
            return;
        }
        let reached = reach(start as usize, &successors);
        // Steps from which an `end` can be reached: walk the edges backwards from every end.
        let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, succ) in successors.iter().enumerate() {
            for &j in succ {
                if let Some(p) = predecessors.get_mut(j) {
                    p.push(i);
                }
            }
        }
        let mut ends_reachable = vec![false; n];
        let mut queue: VecDeque<usize> = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.kind, StepKind::End { .. }))
            .map(|(i, _)| i)
            .collect();
        for &i in &queue {
            if let Some(r) = ends_reachable.get_mut(i) {
                *r = true;
            }
        }
        while let Some(i) = queue.pop_front() {
            for &j in predecessors.get(i).map(Vec::as_slice).unwrap_or_default() {
                if let Some(r) = ends_reachable.get_mut(j)
                    && !*r
                {
                    *r = true;
                    queue.push_back(j);
                }
            }
        }
        for (i, src) in p.steps.iter().enumerate() {
            let is_reached = reached.get(i).copied().unwrap_or(false);
            if !is_reached {
                let start_id = p.steps.get(start as usize).map_or("", |s| s.id.as_str());
                let msg = format!(
                    "step `{}` is not reachable from the start step `{start_id}`",
                    src.id
                );
                self.diagnostics.push(
                    crate::compile::Diagnostic::warning("unreachable-step", msg, Some(src.loc.clone()))
                        .with_help("only a `reopened` event naming it can start there; remove it if it is not used"),
                );
            } else if !dead.get(i).copied().unwrap_or(false)
                && !ends_reachable.get(i).copied().unwrap_or(false)
            {
                let msg = format!("no path from step `{}` reaches an `end` step", src.id);
                self.error("dead-end", msg, &src.loc).help =
                    Some("every case must be able to close: route a branch or `next` towards an `end` step".to_owned());
            }
        }
    }
}

/// The steps that can follow `step`.
fn successors(step: &ir::Step) -> Vec<usize> {
    let mut out: Vec<usize> = step.next.iter().map(|&n| n as usize).collect();
    match &step.kind {
        StepKind::Route { branches, default } => {
            out.extend(branches.iter().map(|(_, to)| *to as usize));
            out.push(*default as usize);
        }
        StepKind::Wait(w) => out.extend(w.on_timeout.map(|t| t as usize)),
        _ => {}
    }
    out
}

/// Which steps are reachable from `start`.
fn reach(start: usize, successors: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; successors.len()];
    let mut queue = VecDeque::from([start]);
    if let Some(s) = seen.get_mut(start) {
        *s = true;
    }
    while let Some(i) = queue.pop_front() {
        for &j in successors.get(i).map(Vec::as_slice).unwrap_or_default() {
            if let Some(s) = seen.get_mut(j)
                && !*s
            {
                *s = true;
                queue.push_back(j);
            }
        }
    }
    seen
}
