//! The DMN XML reader: a `definitions` element → [`Model`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use roxmltree::{Document, Node};

use super::NAMESPACES;
use super::types::feel_type;
use crate::source::{
    Aggregation, ContextDef, ContextEntry, DecisionBody, DecisionDef, Feel, HitPolicy, InputDef,
    KnowledgeDef, Loc, MAX_ERRORS, MAX_FILE_BYTES, Model, NameRef, Param, Rule, SourceError,
    SourceErrorKind, SourceErrors, TableDef, TableInput, TableOutput, TypeBody, TypeDef,
};

/// The expression language URIs that mean FEEL.
const FEEL_LANGUAGES: &[&str] = &[
    "https://www.omg.org/spec/DMN/20230324/FEEL/",
    "https://www.omg.org/spec/DMN/20211108/FEEL/",
    "https://www.omg.org/spec/DMN/20191111/FEEL/",
    "http://www.omg.org/spec/DMN/20180521/FEEL/",
    "http://www.omg.org/spec/FEEL/20140401",
];

/// The elements of a boxed expression.
const EXPRESSIONS: &[&str] = &[
    "literalExpression",
    "decisionTable",
    "context",
    "invocation",
    "relation",
    "list",
    "functionDefinition",
    "conditional",
    "filter",
    "for",
    "some",
    "every",
];

/// Child elements that carry documentation or diagram information only.
const DOCUMENTATION: &[&str] = &[
    "description",
    "extensionElements",
    "question",
    "allowedAnswers",
    "supportedObjective",
    "impactedPerformanceIndicator",
    "decisionMaker",
    "decisionOwner",
    "usingProcess",
    "usingTask",
    "authorityRequirement",
    "knowledgeRequirement",
];

/// Trims `s` and collapses inner whitespace to single spaces (as source names are).
pub(super) fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads `text` (the contents of `path`) as a DMN model.
pub(super) fn load(path: &str, text: &str) -> Result<Model, SourceErrors> {
    let file: Arc<str> = path.into();
    let at_start = |kind, message: String| {
        Err(SourceErrors::new(vec![SourceError::new(
            kind,
            Loc::new(Arc::clone(&file), 1, 1),
            message,
        )]))
    };
    if text.len() > MAX_FILE_BYTES {
        return at_start(
            SourceErrorKind::TooLarge,
            format!(
                "the file has {} bytes, more than the limit of {MAX_FILE_BYTES}",
                text.len()
            ),
        );
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let pos = e.pos();
            return Err(SourceErrors::new(vec![SourceError::new(
                SourceErrorKind::XmlSyntax,
                Loc::new(file, pos.row, pos.col),
                format!("the file is not well-formed XML: {e}"),
            )]));
        }
    };
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or_default();
    let Some(ns) = NAMESPACES.iter().find(|n| **n == ns) else {
        return at_start(
            SourceErrorKind::UnsupportedFile,
            format!(
                "`{path}` is not a DMN model: its root element is `{}` in namespace `{ns}`; expected `definitions` in a DMN 1.1 to 1.5 namespace",
                root.tag_name().name()
            ),
        );
    };
    if root.tag_name().name() != "definitions" {
        return at_start(
            SourceErrorKind::UnsupportedFile,
            format!(
                "`{path}` is not a DMN model: its root element is `{}`, expected `definitions`",
                root.tag_name().name()
            ),
        );
    }
    let mut reader = Reader {
        doc: &doc,
        file,
        ns,
        own_ns: root.attribute("namespace").unwrap_or_default().to_owned(),
        errors: Vec::new(),
        ids: BTreeMap::new(),
    };
    let model = reader.definitions(root, path);
    if reader.errors.is_empty() {
        Ok(model)
    } else {
        Err(SourceErrors::new(reader.errors))
    }
}

/// The model name for a `definitions` name (or the file name without extension).
fn model_name(name: Option<&str>, path: &str) -> String {
    let stem = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .rsplit_once('.')
        .map_or(path, |(s, _)| s);
    let raw = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(stem);
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "dmn-model".to_owned()
    } else {
        out
    }
}

/// Reading state for one file.
struct Reader<'a, 'input> {
    doc: &'a Document<'input>,
    file: Arc<str>,
    ns: &'static str,
    own_ns: String,
    errors: Vec<SourceError>,
    /// Element ids of input data and decisions → their names.
    ids: BTreeMap<String, String>,
}

impl<'a, 'input> Reader<'a, 'input> {
    fn loc_at(&self, byte: usize) -> Loc {
        let pos = self.doc.text_pos_at(byte);
        Loc::new(Arc::clone(&self.file), pos.row, pos.col)
    }

    fn loc(&self, node: Node<'a, 'input>) -> Loc {
        self.loc_at(node.range().start)
    }

    fn report(&mut self, kind: SourceErrorKind, node: Node<'a, 'input>, message: String) {
        let loc = self.loc(node);
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(SourceError::new(kind, loc, message));
        } else if self.errors.len() == MAX_ERRORS {
            self.errors.push(SourceError::new(
                SourceErrorKind::TooManyErrors,
                loc,
                format!("more than {MAX_ERRORS} errors; the rest are not shown"),
            ));
        }
    }

    /// `unsupported` error: "`tag` (id `x`) …: reason".
    fn unsupported(&mut self, node: Node<'a, 'input>, reason: &str) {
        let message = format!("{} is not supported: {reason}", describe(node));
        self.report(SourceErrorKind::Unsupported, node, message);
    }

    /// The DMN element children of `node`.
    fn elements(
        &self,
        node: Node<'a, 'input>,
    ) -> impl Iterator<Item = Node<'a, 'input>> + use<'a, 'input> {
        let ns = self.ns;
        node.children()
            .filter(move |c| c.is_element() && c.tag_name().namespace() == Some(ns))
    }

    fn child(&self, node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
        self.elements(node).find(|c| c.tag_name().name() == name)
    }

    fn children(&self, node: Node<'a, 'input>, name: &'static str) -> Vec<Node<'a, 'input>> {
        self.elements(node)
            .filter(|c| c.tag_name().name() == name)
            .collect()
    }

    /// The first boxed-expression child of `node`.
    fn expression_child(&self, node: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
        self.elements(node)
            .find(|c| EXPRESSIONS.contains(&c.tag_name().name()))
    }

    /// The `<text>` of `node`, trimmed, with the position of its first character; `None` when
    /// absent or blank.
    fn text_child(&self, node: Node<'a, 'input>) -> Option<Feel> {
        let text_node = self.child(node, "text")?;
        let mut text = String::new();
        let mut start = None;
        for d in text_node.descendants().filter(Node::is_text) {
            let t = d.text().unwrap_or_default();
            if start.is_none() && !t.trim().is_empty() {
                let lead = t.len() - t.trim_start().len();
                start = Some(d.range().start + lead);
            }
            text.push_str(t);
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return None;
        }
        let loc = self.loc_at(start.unwrap_or(text_node.range().start));
        Some(Feel::new(trimmed, loc))
    }

    /// A required, normalised `name` attribute.
    fn name_of(&mut self, node: Node<'a, 'input>) -> Option<String> {
        let name = node
            .attribute("name")
            .or_else(|| {
                self.child(node, "variable")
                    .and_then(|v| v.attribute("name"))
            })
            .map(normalise)
            .filter(|n| !n.is_empty());
        if name.is_none() {
            let message = format!("{} has no `name`", describe(node));
            self.report(SourceErrorKind::MissingKey, node, message);
        }
        name
    }

    /// A `typeRef` attribute as a FEEL type text.
    fn type_attr(&mut self, node: Node<'a, 'input>) -> Option<Feel> {
        let raw = node.attribute("typeRef")?;
        self.type_text(node, raw)
    }

    fn type_text(&mut self, node: Node<'a, 'input>, raw: &str) -> Option<Feel> {
        match feel_type(raw, node, &self.own_ns) {
            Ok(t) if t.is_empty() => None,
            Ok(t) => Some(Feel::new(t, self.loc(node))),
            Err(reason) => {
                self.unsupported(node, &reason);
                None
            }
        }
    }

    /// The declared type of a decision, input data or context entry: its `variable`'s
    /// `typeRef`.
    fn variable_type(&mut self, node: Node<'a, 'input>) -> Option<Feel> {
        let variable = self.child(node, "variable")?;
        self.type_attr(variable)
    }

    /// Refuses a non-FEEL `expressionLanguage`; true when the language is FEEL.
    fn check_language(&mut self, node: Node<'a, 'input>) -> bool {
        match node.attribute("expressionLanguage") {
            Some(lang) if !FEEL_LANGUAGES.contains(&lang.trim()) => {
                self.unsupported(node, &format!("expression language `{lang}`; only FEEL is"));
                false
            }
            _ => true,
        }
    }

    fn definitions(&mut self, root: Node<'a, 'input>, path: &str) -> Model {
        self.check_language(root);
        if let Some(lang) = root.attribute("typeLanguage")
            && !FEEL_LANGUAGES.contains(&lang.trim())
            && lang.trim() != "http://www.w3.org/2001/XMLSchema"
        {
            self.unsupported(root, &format!("type language `{lang}`; only FEEL is"));
        }
        // Ids first: requirements may point forward.
        for node in self.elements(root).collect::<Vec<_>>() {
            if matches!(node.tag_name().name(), "inputData" | "decision")
                && let (Some(id), Some(name)) = (node.attribute("id"), node.attribute("name"))
            {
                self.ids.insert(id.to_owned(), normalise(name));
            }
        }
        let mut model = Model {
            name: model_name(root.attribute("name"), path),
            description: None,
            types: Vec::new(),
            inputs: Vec::new(),
            knowledge: Vec::new(),
            decisions: Vec::new(),
            tests: Vec::new(),
            loc: self.loc(root),
        };
        let mut services = Vec::new();
        for node in self.elements(root).collect::<Vec<_>>() {
            match node.tag_name().name() {
                "description" => model.description = plain_text(node),
                "itemDefinition" => {
                    let mut extra = Vec::new();
                    if let Some(t) = self.item_definition(node, None, &mut extra) {
                        model.types.push(t);
                    }
                    model.types.extend(extra);
                }
                "inputData" => {
                    if let Some(i) = self.input_data(node) {
                        model.inputs.push(i);
                    }
                }
                "decision" => {
                    if let Some(d) = self.decision(node) {
                        model.decisions.push(d);
                    }
                }
                "businessKnowledgeModel" => {
                    if let Some(k) = self.knowledge(node) {
                        model.knowledge.push(k);
                    }
                }
                "import" => self.unsupported(
                    node,
                    "models that import other models; merge the imported elements into one file",
                ),
                "decisionService" => services.push(node),
                "knowledgeSource"
                | "textAnnotation"
                | "association"
                | "group"
                | "elementCollection"
                | "performanceIndicator"
                | "organizationUnit"
                | "extensionElements" => {}
                other => {
                    let reason = format!("`{other}` has no counterpart in cpm models");
                    self.unsupported(node, &reason);
                }
            }
        }
        for node in services {
            if let Some(k) = self.decision_service(node, &model) {
                model.knowledge.push(k);
            }
        }
        self.check_unique(&model);
        model
    }

    /// A decision service as a knowledge model: its parameters are the input data, then the
    /// input decisions (in file order, as DMN 1.5 and the TCK call them); its body is a boxed context with one entry per
    /// decision the outputs need (dependencies first, stopping at input decisions), whose
    /// result is the single output decision, or a context of the output decisions.
    fn decision_service(&mut self, node: Node<'a, 'input>, model: &Model) -> Option<KnowledgeDef> {
        let name = self.name_of(node)?;
        let refs = |tag: &'static str, r: &mut Self| -> Option<Vec<NameRef>> {
            let mut out = Vec::new();
            let mut ok = true;
            for n in r.children(node, tag) {
                match r.requirement(n) {
                    Some(x) => out.push(x),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        };
        let outputs = refs("outputDecision", self)?;
        let encapsulated = refs("encapsulatedDecision", self)?;
        let input_decisions = refs("inputDecision", self)?;
        let input_data = refs("inputData", self)?;
        if outputs.is_empty() {
            self.unsupported(node, "a decision service without output decisions");
            return None;
        }
        let decision = |n: &str| model.decisions.iter().find(|d| d.name == n);
        let mut params = Vec::new();
        for r in &input_data {
            let Some(i) = model.inputs.iter().find(|i| i.name == r.name) else {
                let message = format!(
                    "`inputData` of decision service `{name}` names `{}`, which is not input data",
                    r.name
                );
                self.errors.push(SourceError::new(
                    SourceErrorKind::MissingKey,
                    r.loc.clone(),
                    message,
                ));
                return None;
            };
            params.push(Param {
                name: i.name.clone(),
                type_ref: i.type_ref.clone(),
                loc: r.loc.clone(),
            });
        }
        for r in &input_decisions {
            let Some(d) = decision(&r.name) else {
                let message = format!(
                    "`inputDecision` of decision service `{name}` names `{}`, which is not a decision",
                    r.name
                );
                self.errors.push(SourceError::new(
                    SourceErrorKind::MissingKey,
                    r.loc.clone(),
                    message,
                ));
                return None;
            };
            params.push(Param {
                name: d.name.clone(),
                type_ref: d.type_ref.clone(),
                loc: r.loc.clone(),
            });
        }
        // Decisions to evaluate inside, dependencies first.
        let stop: BTreeSet<&str> = input_decisions.iter().map(|r| r.name.as_str()).collect();
        let mut order: Vec<&str> = Vec::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<(&str, bool)> = outputs
            .iter()
            .chain(&encapsulated)
            .rev()
            .map(|r| (r.name.as_str(), false))
            .collect();
        while let Some((n, done)) = stack.pop() {
            if done {
                order.push(n);
                continue;
            }
            if stop.contains(n) || !seen.insert(n) {
                continue;
            }
            let Some(d) = decision(n) else { continue };
            stack.push((n, true));
            for r in d.requires.iter().rev() {
                if decision(&r.name).is_some() {
                    stack.push((r.name.as_str(), false));
                } else if !input_data.iter().any(|i| i.name == r.name) {
                    let reason = format!(
                        "decision `{n}` inside it needs input data `{}`, which the service does not list as `inputData`",
                        r.name
                    );
                    self.unsupported(node, &reason);
                    return None;
                }
            }
        }
        let entries = order
            .iter()
            .filter_map(|n| decision(n))
            .map(|d| ContextEntry {
                name: d.name.clone(),
                type_ref: d.type_ref.clone(),
                body: d.body.clone(),
                loc: d.loc.clone(),
            })
            .collect();
        let result = match outputs.as_slice() {
            [one] => one.name.clone(),
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|o| format!("{}: {}", context_key(&o.name), o.name))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        };
        let loc = self.loc(node);
        Some(KnowledgeDef {
            name,
            description: self.child(node, "description").and_then(plain_text),
            params,
            type_ref: None,
            body: DecisionBody::Context(ContextDef {
                entries,
                result: Some(Feel::new(result, loc.clone())),
                loc: loc.clone(),
            }),
            loc,
        })
    }

    /// Names that must be distinct: types; inputs, knowledge and decisions together.
    fn check_unique(&mut self, model: &Model) {
        let mut errors = Vec::new();
        let mut seen: BTreeMap<&str, &Loc> = BTreeMap::new();
        for t in &model.types {
            if let Some(first) = seen.insert(&t.name, &t.loc) {
                errors.push((
                    t.loc.clone(),
                    format!(
                        "duplicate type name `{}`: already used at line {}",
                        t.name, first.line
                    ),
                ));
            }
        }
        let mut seen: BTreeMap<&str, &Loc> = BTreeMap::new();
        let graph = model
            .inputs
            .iter()
            .map(|i| (&i.name, &i.loc))
            .chain(model.knowledge.iter().map(|k| (&k.name, &k.loc)))
            .chain(model.decisions.iter().map(|d| (&d.name, &d.loc)));
        for (name, loc) in graph {
            if let Some(first) = seen.insert(name, loc) {
                errors.push((
                    loc.clone(),
                    format!(
                        "duplicate name `{name}`: already used at line {}",
                        first.line
                    ),
                ));
            }
        }
        for (loc, message) in errors {
            self.errors.push(SourceError::new(
                SourceErrorKind::DuplicateName,
                loc,
                message,
            ));
        }
    }

    /// An item definition (or component). A collection whose items carry allowed values or
    /// components gets a separate item type, `<name> item`, pushed to `extra`;
    /// `parent` is the enclosing definition's name for components.
    fn item_definition(
        &mut self,
        node: Node<'a, 'input>,
        parent: Option<&str>,
        extra: &mut Vec<TypeDef>,
    ) -> Option<TypeDef> {
        let name = self.name_of(node);
        if let Some(lang) = node.attribute("typeLanguage")
            && !FEEL_LANGUAGES.contains(&lang.trim())
        {
            self.unsupported(node, &format!("type language `{lang}`; only FEEL is"));
        }
        let function_type = self
            .child(node, "functionItem")
            .and_then(|f| self.function_item(f));
        let collection = node.attribute("isCollection") == Some("true");
        let components = self.children(node, "itemComponent");
        let type_ref = match self.child(node, "typeRef") {
            Some(t) => self.type_text(t, &plain_text(t).unwrap_or_default()),
            None => self.type_attr(node),
        };
        let allowed = ["allowedValues", "typeConstraint"]
            .iter()
            .filter_map(|c| self.child(node, c))
            .collect::<Vec<_>>();
        if allowed.len() > 1 {
            self.unsupported(node, "both `allowedValues` and `typeConstraint`");
        }
        let allowed = allowed.first().and_then(|a| self.text_child(*a));
        let loc = self.loc(node);
        let full_name = match (parent, &name) {
            (Some(p), Some(n)) => format!("{p} {n}"),
            (None, Some(n)) => n.clone(),
            (_, None) => String::new(),
        };
        let item_body = if let Some(f) = function_type {
            TypeBody::Ref(f)
        } else if components.is_empty() {
            TypeBody::Ref(Feel::new(
                type_ref.map_or_else(|| "Any".to_owned(), |t| t.text),
                loc.clone(),
            ))
        } else {
            if type_ref.is_some() {
                self.unsupported(
                    node,
                    "an item definition with both `typeRef` and `itemComponent`s",
                );
            }
            let fields: Vec<TypeDef> = components
                .iter()
                .filter_map(|c| self.item_definition(*c, Some(&full_name), extra))
                .collect();
            self.unique_fields(&fields);
            TypeBody::Fields(fields)
        };
        let (body, allowed) = match (collection, item_body) {
            (false, body) => (body, allowed),
            (true, TypeBody::Ref(item)) if allowed.is_none() => (
                TypeBody::Ref(Feel::new(format!("list<{}>", item.text), loc.clone())),
                None,
            ),
            (true, item_body) => {
                // The items need a type of their own (allowed values apply to each item).
                let item_name = format!("{full_name} item");
                extra.push(TypeDef {
                    name: item_name.clone(),
                    description: None,
                    body: item_body,
                    allowed,
                    loc: loc.clone(),
                });
                (
                    TypeBody::Ref(Feel::new(format!("list<{item_name}>"), loc.clone())),
                    None,
                )
            }
        };
        Some(TypeDef {
            name: name?,
            description: self.child(node, "description").and_then(plain_text),
            body,
            allowed,
            loc,
        })
    }

    /// A `functionItem` as a FEEL function type: `function<T1, T2> -> R`.
    fn function_item(&mut self, node: Node<'a, 'input>) -> Option<Feel> {
        let mut params = Vec::new();
        for p in self.children(node, "parameters") {
            let t = self
                .type_attr(p)
                .map_or_else(|| "Any".to_owned(), |t| t.text);
            params.push(t);
        }
        let result = match node.attribute("outputTypeRef") {
            Some(raw) => self.type_text(node, raw)?.text,
            None => "Any".to_owned(),
        };
        Some(Feel::new(
            format!("function<{}> -> {result}", params.join(", ")),
            self.loc(node),
        ))
    }

    fn unique_fields(&mut self, fields: &[TypeDef]) {
        let mut seen = BTreeSet::new();
        for f in fields {
            if !seen.insert(f.name.as_str()) {
                self.errors.push(SourceError::new(
                    SourceErrorKind::DuplicateName,
                    f.loc.clone(),
                    format!("duplicate component name `{}`", f.name),
                ));
            }
        }
    }

    fn input_data(&mut self, node: Node<'a, 'input>) -> Option<InputDef> {
        let name = self.name_of(node);
        let type_ref = self.variable_type(node);
        Some(InputDef {
            name: name?,
            description: self.child(node, "description").and_then(plain_text),
            type_ref,
            loc: self.loc(node),
        })
    }

    fn decision(&mut self, node: Node<'a, 'input>) -> Option<DecisionDef> {
        let name = self.name_of(node);
        let type_ref = self.variable_type(node);
        let mut requires = Vec::new();
        for child in self.elements(node).collect::<Vec<_>>() {
            match child.tag_name().name() {
                "informationRequirement" => {
                    for r in self.elements(child).collect::<Vec<_>>() {
                        if let Some(n) = self.requirement(r) {
                            requires.push(n);
                        }
                    }
                }
                "variable" => {}
                t if DOCUMENTATION.contains(&t) || EXPRESSIONS.contains(&t) => {}
                other => {
                    let reason = format!("`{other}` inside a decision");
                    self.unsupported(child, &reason);
                }
            }
        }
        let body = match self.expression_child(node) {
            Some(e) => self.body(e, name.as_deref().unwrap_or("output")),
            None => {
                self.unsupported(node, "a decision without decision logic (add a literal expression or a decision table)");
                None
            }
        };
        Some(DecisionDef {
            name: name?,
            description: self.child(node, "description").and_then(plain_text),
            type_ref,
            requires,
            body: body?,
            loc: self.loc(node),
        })
    }

    /// A `requiredInput` / `requiredDecision` reference.
    fn requirement(&mut self, node: Node<'a, 'input>) -> Option<NameRef> {
        let href = node.attribute("href").unwrap_or_default().trim();
        let Some(id) = href.strip_prefix('#') else {
            self.unsupported(
                node,
                &format!("the reference `{href}` to another model; imports are not supported"),
            );
            return None;
        };
        match self.ids.get(id) {
            Some(name) => Some(NameRef {
                name: name.clone(),
                loc: self.loc(node),
            }),
            None => {
                let message = format!(
                    "{} refers to `{href}`, but no input data or decision of this model has that id",
                    describe(node)
                );
                self.report(SourceErrorKind::MissingKey, node, message);
                None
            }
        }
    }

    fn knowledge(&mut self, node: Node<'a, 'input>) -> Option<KnowledgeDef> {
        let name = self.name_of(node);
        for child in self.elements(node).collect::<Vec<_>>() {
            match child.tag_name().name() {
                "variable" | "encapsulatedLogic" => {}
                t if DOCUMENTATION.contains(&t) => {}
                other => {
                    let reason = format!("`{other}` inside a business knowledge model");
                    self.unsupported(child, &reason);
                }
            }
        }
        let Some(logic) = self.child(node, "encapsulatedLogic") else {
            self.unsupported(
                node,
                "a business knowledge model without `encapsulatedLogic`",
            );
            return None;
        };
        let (params, body_node) = self.function_parts(logic)?;
        let Some(body_node) = body_node else {
            self.unsupported(logic, "a function definition without a body");
            return None;
        };
        let type_ref = match body_node.attribute("typeRef") {
            Some(_) => self.type_attr(body_node),
            None => self.type_attr(logic),
        };
        let body = self.body(body_node, name.as_deref().unwrap_or("output"));
        Some(KnowledgeDef {
            name: name?,
            description: self.child(node, "description").and_then(plain_text),
            params,
            type_ref,
            body: body?,
            loc: self.loc(node),
        })
    }

    /// Parameters and body of a `functionDefinition` (or `encapsulatedLogic`).
    fn function_parts(
        &mut self,
        node: Node<'a, 'input>,
    ) -> Option<(Vec<Param>, Option<Node<'a, 'input>>)> {
        if let Some(kind) = node.attribute("kind")
            && kind != "FEEL"
        {
            self.unsupported(
                node,
                &format!("functions of kind `{kind}`; only FEEL functions are"),
            );
            return None;
        }
        let mut params = Vec::new();
        let mut seen = BTreeSet::new();
        for p in self.children(node, "formalParameter") {
            let Some(name) = self.name_of(p) else {
                continue;
            };
            if !seen.insert(name.clone()) {
                let message = format!("duplicate parameter name `{name}`");
                self.report(SourceErrorKind::DuplicateName, p, message);
            }
            let type_ref = self.type_attr(p);
            params.push(Param {
                name,
                type_ref,
                loc: self.loc(p),
            });
        }
        Some((params, self.expression_child(node)))
    }

    /// The body of a decision, knowledge model or context entry named `name`.
    fn body(&mut self, node: Node<'a, 'input>, name: &str) -> Option<DecisionBody> {
        match node.tag_name().name() {
            "decisionTable" => self.table(node, name).map(DecisionBody::Table),
            "context" => self.context(node).map(DecisionBody::Context),
            "literalExpression" => {
                if !self.literal_ok(node) {
                    return None;
                }
                let feel = self
                    .text_child(node)
                    .unwrap_or_else(|| Feel::new("null", self.loc(node)));
                Some(DecisionBody::Expression(feel))
            }
            _ => {
                let text = self.feel(node)?;
                Some(DecisionBody::Expression(Feel::new(text, self.loc(node))))
            }
        }
    }

    /// Checks a literal expression's language and refuses imported values.
    fn literal_ok(&mut self, node: Node<'a, 'input>) -> bool {
        if let Some(i) = self.child(node, "importedValues") {
            self.unsupported(i, "imported values");
            return false;
        }
        self.check_language(node)
    }

    fn context(&mut self, node: Node<'a, 'input>) -> Option<ContextDef> {
        let entries_nodes = self.children(node, "contextEntry");
        let mut entries = Vec::new();
        let mut result = None;
        let mut ok = true;
        let mut seen = BTreeSet::new();
        let count = entries_nodes.len();
        for (i, e) in entries_nodes.into_iter().enumerate() {
            let expr = self.expression_child(e);
            match self.child(e, "variable") {
                Some(var) => {
                    let Some(name) = var
                        .attribute("name")
                        .map(normalise)
                        .filter(|n| !n.is_empty())
                    else {
                        let message = format!("{} has no `name`", describe(var));
                        self.report(SourceErrorKind::MissingKey, var, message);
                        ok = false;
                        continue;
                    };
                    if !seen.insert(name.clone()) {
                        let message = format!("duplicate context entry name `{name}`");
                        self.report(SourceErrorKind::DuplicateName, e, message);
                    }
                    let type_ref = self.type_attr(var);
                    let body = match expr {
                        Some(x) => self.body(x, &name),
                        None => Some(DecisionBody::Expression(Feel::new("null", self.loc(e)))),
                    };
                    match body {
                        Some(body) => entries.push(ContextEntry {
                            name,
                            type_ref,
                            body,
                            loc: self.loc(e),
                        }),
                        None => ok = false,
                    }
                }
                None if i + 1 == count => {
                    result = match expr {
                        Some(x) if x.tag_name().name() == "literalExpression" => {
                            if self.literal_ok(x) {
                                Some(
                                    self.text_child(x)
                                        .unwrap_or_else(|| Feel::new("null", self.loc(x))),
                                )
                            } else {
                                ok = false;
                                None
                            }
                        }
                        Some(x) => match self.feel(x) {
                            Some(text) => Some(Feel::new(text, self.loc(x))),
                            None => {
                                ok = false;
                                None
                            }
                        },
                        None => Some(Feel::new("null", self.loc(e))),
                    };
                }
                None => {
                    self.unsupported(
                        e,
                        "a context entry without a variable before the last entry (only the last entry may be the result)",
                    );
                    ok = false;
                }
            }
        }
        ok.then(|| ContextDef {
            entries,
            result,
            loc: self.loc(node),
        })
    }

    fn table(&mut self, node: Node<'a, 'input>, name: &str) -> Option<TableDef> {
        let hit = self.hit_policy(node);
        let mut inputs = Vec::new();
        for i in self.children(node, "input") {
            let expression = self
                .child(i, "inputExpression")
                .filter(|e| self.check_language(*e))
                .and_then(|e| self.text_child(e));
            let Some(expression) = expression else {
                let message = format!("{} has no `inputExpression` text", describe(i));
                self.report(SourceErrorKind::MissingKey, i, message);
                continue;
            };
            inputs.push(TableInput {
                expression,
                label: i.attribute("label").map(str::to_owned),
                values: self
                    .child(i, "inputValues")
                    .and_then(|v| self.text_child(v)),
                loc: self.loc(i),
            });
        }
        let output_nodes = self.children(node, "output");
        if output_nodes.is_empty() {
            let message = format!("{} has no `output`", describe(node));
            self.report(SourceErrorKind::EmptyValue, node, message);
        }
        let single = output_nodes.len() == 1;
        let mut outputs: Vec<TableOutput> = Vec::new();
        for o in &output_nodes {
            let out_name = o
                .attribute("name")
                .map(normalise)
                .filter(|n| !n.is_empty())
                .or_else(|| single.then(|| name.to_owned()));
            let Some(out_name) = out_name else {
                let message = format!(
                    "{} has no `name`; every output of a table with several outputs needs one",
                    describe(*o)
                );
                self.report(SourceErrorKind::MissingKey, *o, message);
                continue;
            };
            if outputs.iter().any(|x| x.name == out_name) {
                let message = format!("duplicate output name `{out_name}`");
                self.report(SourceErrorKind::DuplicateName, *o, message);
            }
            let default = self
                .child(*o, "defaultOutputEntry")
                .filter(|d| self.literal_ok(*d))
                .and_then(|d| self.text_child(d));
            let type_ref = self.type_attr(*o);
            outputs.push(TableOutput {
                name: out_name,
                type_ref,
                values: self
                    .child(*o, "outputValues")
                    .and_then(|v| self.text_child(v)),
                default,
                loc: self.loc(*o),
            });
        }
        let annotations: Vec<String> = self
            .children(node, "annotation")
            .iter()
            .map(|a| a.attribute("name").map(normalise).unwrap_or_default())
            .collect();
        let mut rules = Vec::new();
        let mut ids = BTreeSet::new();
        for (index, r) in self.children(node, "rule").into_iter().enumerate() {
            let rule = self.rule(r, index + 1, inputs.len(), output_nodes.len(), &annotations);
            if let Some(rule) = rule {
                if !ids.insert(rule.id.clone()) {
                    let message = format!("rule id `{}` is used twice in this table", rule.id);
                    self.report(SourceErrorKind::DuplicateRuleId, r, message);
                }
                rules.push(rule);
            }
        }
        if outputs.len() != output_nodes.len() || inputs.len() != self.children(node, "input").len()
        {
            return None;
        }
        Some(TableDef {
            hit: hit?,
            inputs,
            outputs,
            rules,
            loc: self.loc(node),
        })
    }

    fn hit_policy(&mut self, node: Node<'a, 'input>) -> Option<HitPolicy> {
        let hit = node.attribute("hitPolicy").map_or("UNIQUE", str::trim);
        let aggregation = node.attribute("aggregation").map(str::trim);
        let policy = match hit {
            "UNIQUE" => HitPolicy::Unique,
            "ANY" => HitPolicy::Any,
            "PRIORITY" => HitPolicy::Priority,
            "FIRST" => HitPolicy::First,
            "OUTPUT ORDER" => HitPolicy::OutputOrder,
            "RULE ORDER" => HitPolicy::RuleOrder,
            "COLLECT" => HitPolicy::Collect(None),
            other => {
                let message = format!("unknown hit policy `{other}`");
                self.report(SourceErrorKind::BadHitPolicy, node, message);
                return None;
            }
        };
        match (policy, aggregation) {
            (p, None) => Some(p),
            (HitPolicy::Collect(None), Some(a)) => {
                let agg = match a {
                    "SUM" => Aggregation::Sum,
                    "MIN" => Aggregation::Min,
                    "MAX" => Aggregation::Max,
                    "COUNT" => Aggregation::Count,
                    other => {
                        let message = format!("unknown aggregation `{other}`");
                        self.report(SourceErrorKind::BadHitPolicy, node, message);
                        return None;
                    }
                };
                Some(HitPolicy::Collect(Some(agg)))
            }
            (p, Some(a)) => {
                let message =
                    format!("aggregation `{a}` is only allowed with hit policy COLLECT, not {p}");
                self.report(SourceErrorKind::BadHitPolicy, node, message);
                None
            }
        }
    }

    fn rule(
        &mut self,
        node: Node<'a, 'input>,
        index: usize,
        n_inputs: usize,
        n_outputs: usize,
        annotations: &[String],
    ) -> Option<Rule> {
        let id = node
            .attribute("id")
            .map(normalise)
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| format!("r{index}"));
        let cell = |r: &mut Self, n: Node<'a, 'input>, empty: &str| -> Feel {
            r.check_language(n);
            r.text_child(n)
                .unwrap_or_else(|| Feel::new(empty, r.loc(n)))
        };
        let when: Vec<Feel> = self
            .children(node, "inputEntry")
            .into_iter()
            .map(|n| cell(self, n, "-"))
            .collect();
        let then: Vec<Feel> = self
            .children(node, "outputEntry")
            .into_iter()
            .map(|n| cell(self, n, "null"))
            .collect();
        let mut ok = true;
        for (what, cells, columns) in [
            ("input", when.len(), n_inputs),
            ("output", then.len(), n_outputs),
        ] {
            if cells != columns {
                let message = format!(
                    "rule `{id}` has {cells} {what} entr{} but the table has {columns} {what}{}",
                    if cells == 1 { "y" } else { "ies" },
                    if columns == 1 { "" } else { "s" }
                );
                self.report(SourceErrorKind::CellCount, node, message);
                ok = false;
            }
        }
        let mut notes = Vec::new();
        if let Some(d) = self.child(node, "description").and_then(plain_text) {
            notes.push(d);
        }
        let entries = self.children(node, "annotationEntry");
        for (i, a) in entries.iter().enumerate() {
            let Some(text) = self.text_child(*a).map(|f| f.text) else {
                continue;
            };
            match annotations
                .get(i)
                .filter(|n| !n.is_empty() && annotations.len() > 1)
            {
                Some(column) => notes.push(format!("{column}: {text}")),
                None => notes.push(text),
            }
        }
        ok.then(|| Rule {
            id,
            when,
            then,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            loc: self.loc(node),
        })
    }

    /// A boxed expression other than a table or a context with a result, as one FEEL text.
    fn feel(&mut self, node: Node<'a, 'input>) -> Option<String> {
        match node.tag_name().name() {
            "literalExpression" => {
                if !self.literal_ok(node) {
                    return None;
                }
                Some(
                    self.text_child(node)
                        .map_or_else(|| "null".to_owned(), |f| f.text),
                )
            }
            "invocation" => {
                let callee_node = self.expression_child(node);
                let callee = match callee_node {
                    Some(c) => self.feel(c)?,
                    None => {
                        self.unsupported(node, "an invocation without the invoked function");
                        return None;
                    }
                };
                let mut args = Vec::new();
                for b in self.children(node, "binding") {
                    let Some(p) = self.child(b, "parameter").and_then(|p| p.attribute("name"))
                    else {
                        let message = format!("{} has no `parameter` name", describe(b));
                        self.report(SourceErrorKind::MissingKey, b, message);
                        return None;
                    };
                    let value = match self.expression_child(b) {
                        Some(e) => paren(&self.feel(e)?),
                        None => "null".to_owned(),
                    };
                    args.push(format!("{}: {value}", normalise(p)));
                }
                Some(format!("{}({})", callee, args.join(", ")))
            }
            "list" => {
                let mut items = Vec::new();
                for e in self
                    .elements(node)
                    .filter(|e| EXPRESSIONS.contains(&e.tag_name().name()))
                    .collect::<Vec<_>>()
                {
                    items.push(paren(&self.feel(e)?));
                }
                Some(format!("[{}]", items.join(", ")))
            }
            "relation" => {
                let columns: Vec<String> = self
                    .children(node, "column")
                    .iter()
                    .map(|c| c.attribute("name").map(normalise).unwrap_or_default())
                    .collect();
                if let Some(i) = columns.iter().position(String::is_empty) {
                    let col = self
                        .children(node, "column")
                        .get(i)
                        .copied()
                        .unwrap_or(node);
                    let message = format!("{} has no `name`", describe(col));
                    self.report(SourceErrorKind::MissingKey, col, message);
                    return None;
                }
                let mut rows = Vec::new();
                for row in self.children(node, "row") {
                    let cells: Vec<Node<'a, 'input>> = self
                        .elements(row)
                        .filter(|e| EXPRESSIONS.contains(&e.tag_name().name()))
                        .collect();
                    if cells.len() != columns.len() {
                        let message = format!(
                            "a relation row has {} cells but the relation has {} columns",
                            cells.len(),
                            columns.len()
                        );
                        self.report(SourceErrorKind::CellCount, row, message);
                        return None;
                    }
                    let mut entries = Vec::new();
                    for (c, e) in columns.iter().zip(cells) {
                        entries.push(format!("{}: {}", context_key(c), paren(&self.feel(e)?)));
                    }
                    rows.push(format!("{{{}}}", entries.join(", ")));
                }
                Some(format!("[{}]", rows.join(", ")))
            }
            "context" => {
                let entries = self.children(node, "contextEntry");
                let mut parts = Vec::new();
                for e in entries {
                    let Some(var) = self.child(e, "variable") else {
                        self.unsupported(e, "a context with a result entry inside a list, relation, invocation or function body");
                        return None;
                    };
                    let name = var.attribute("name").map(normalise).unwrap_or_default();
                    let value = match self.expression_child(e) {
                        Some(x) => paren(&self.feel(x)?),
                        None => "null".to_owned(),
                    };
                    parts.push(format!("{}: {value}", context_key(&name)));
                }
                Some(format!("{{{}}}", parts.join(", ")))
            }
            "functionDefinition" => {
                let (params, body) = self.function_parts(node)?;
                let Some(body) = body else {
                    self.unsupported(node, "a function definition without a body");
                    return None;
                };
                let body = self.feel(body)?;
                let params: Vec<String> = params
                    .iter()
                    .map(|p| match &p.type_ref {
                        Some(t) => format!("{}: {}", p.name, t.text),
                        None => p.name.clone(),
                    })
                    .collect();
                Some(format!("function({}) {}", params.join(", "), paren(&body)))
            }
            "conditional" => {
                let part = |r: &mut Self, tag: &str| -> Option<String> {
                    let Some(n) = r.child(node, tag) else {
                        let message = format!("{} has no `{tag}`", describe(node));
                        r.report(SourceErrorKind::MissingKey, node, message);
                        return None;
                    };
                    r.child_feel(n)
                };
                let c = part(self, "if")?;
                let t = part(self, "then")?;
                let e = part(self, "else")?;
                Some(format!(
                    "if {} then {} else {}",
                    paren(&c),
                    paren(&t),
                    paren(&e)
                ))
            }
            "filter" => {
                let parts = self.parts(node, &["in", "match"])?;
                let [list, cond] = parts.as_slice() else {
                    return None;
                };
                Some(format!("{}[{}]", paren(list), cond))
            }
            tag @ ("for" | "some" | "every") => {
                let Some(var) = node
                    .attribute("iteratorVariable")
                    .map(normalise)
                    .filter(|v| !v.is_empty())
                else {
                    let message = format!("{} has no `iteratorVariable`", describe(node));
                    self.report(SourceErrorKind::MissingKey, node, message);
                    return None;
                };
                let (last, keyword) = if tag == "for" {
                    ("return", "return")
                } else {
                    ("satisfies", "satisfies")
                };
                let parts = self.parts(node, &["in", last])?;
                let [within, result] = parts.as_slice() else {
                    return None;
                };
                Some(format!(
                    "{tag} {var} in {} {keyword} {}",
                    paren(within),
                    paren(result)
                ))
            }
            "decisionTable" => {
                self.unsupported(
                    node,
                    "a decision table inside a list, relation, invocation, function body or context result; tables may be the body of a decision, knowledge model or context entry",
                );
                None
            }
            other => {
                let reason = format!("the boxed expression `{other}`");
                self.unsupported(node, &reason);
                None
            }
        }
    }

    /// The FEEL texts of the named child elements' expressions, in order.
    fn parts(&mut self, node: Node<'a, 'input>, tags: &[&str]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for tag in tags {
            let Some(n) = self.child(node, tag) else {
                let message = format!("{} has no `{tag}`", describe(node));
                self.report(SourceErrorKind::MissingKey, node, message);
                return None;
            };
            out.push(self.child_feel(n)?);
        }
        Some(out)
    }

    /// The FEEL text of the expression inside a wrapper element (`<if>`, `<in>`, …).
    fn child_feel(&mut self, node: Node<'a, 'input>) -> Option<String> {
        match self.expression_child(node) {
            Some(e) => self.feel(e),
            None => {
                let message = format!("{} has no expression", describe(node));
                self.report(SourceErrorKind::MissingKey, node, message);
                None
            }
        }
    }
}

/// A context key: the name itself when it is one plain word, else a string literal.
fn context_key(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        name.to_owned()
    } else {
        let mut s = String::new();
        crate::canonical::write_string(name, &mut s);
        s
    }
}

/// `text` in parentheses unless it is a single plain token; a line comment in it gets a
/// line break before the closing parenthesis.
fn paren(text: &str) -> String {
    let simple = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'));
    if simple {
        text.to_owned()
    } else if text.contains("//") {
        format!("({text}\n)")
    } else {
        format!("({text})")
    }
}

/// The text content of an element, trimmed; `None` when blank.
fn plain_text(node: Node<'_, '_>) -> Option<String> {
    let text: String = node
        .descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect();
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// "`decision` `Name` (id `_x`)" for messages.
fn describe(node: Node<'_, '_>) -> String {
    let mut s = format!("`{}`", node.tag_name().name());
    if let Some(name) = node.attribute("name") {
        s.push_str(&format!(" `{}`", normalise(name)));
    }
    if let Some(id) = node.attribute("id") {
        s.push_str(&format!(" (id `{id}`)"));
    }
    s
}
