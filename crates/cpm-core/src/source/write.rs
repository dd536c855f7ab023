//! Writing a typed [`Model`] back as YAML source text that [`super::load`] reads into the same
//! model (positions aside).
//!
//! Pipeline position: the reverse of `source` loading; used by the DMN importer
//! ([`crate::dmn::convert`]) to produce readable model files. Strings that YAML would read as
//! something else (numbers, booleans, null, indicators, `: ` and ` #` inside) are quoted;
//! multi-line FEEL texts become literal blocks so their lines stay as written.

use std::fmt::Write as _;

use super::{ContextDef, DecisionBody, Feel, Model, Rule, TableDef, TestCase, TypeBody, TypeDef};

/// The model as YAML source text.
pub fn to_yaml(model: &Model) -> String {
    let mut w = Writer::default();
    w.key(0, "model", &model.name);
    w.opt(0, "description", model.description.as_deref());
    if !model.types.is_empty() {
        w.line(0, "types:");
        for t in &model.types {
            w.type_def(2, t);
        }
    }
    if !model.inputs.is_empty() {
        w.line(0, "inputs:");
        for i in &model.inputs {
            w.key(2, "- name", &i.name);
            w.opt(4, "description", i.description.as_deref());
            w.opt_feel(4, "type", i.type_ref.as_ref());
        }
    }
    if !model.knowledge.is_empty() {
        w.line(0, "knowledge:");
        for k in &model.knowledge {
            w.key(2, "- name", &k.name);
            w.opt(4, "description", k.description.as_deref());
            if !k.params.is_empty() {
                w.line(4, "params:");
                for p in &k.params {
                    w.key(6, "- name", &p.name);
                    w.opt_feel(8, "type", p.type_ref.as_ref());
                }
            }
            w.opt_feel(4, "type", k.type_ref.as_ref());
            w.body(4, &k.body);
        }
    }
    if !model.decisions.is_empty() {
        w.line(0, "decisions:");
        for d in &model.decisions {
            w.key(2, "- name", &d.name);
            w.opt(4, "description", d.description.as_deref());
            w.opt_feel(4, "type", d.type_ref.as_ref());
            if !d.requires.is_empty() {
                let names: Vec<Feel> = d
                    .requires
                    .iter()
                    .map(|r| Feel::new(r.name.clone(), r.loc.clone()))
                    .collect();
                w.cells(4, "requires", &names);
            }
            w.body(4, &d.body);
        }
    }
    if !model.tests.is_empty() {
        w.line(0, "tests:");
        for t in &model.tests {
            w.test(2, t);
        }
    }
    w.out
}

#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{:indent$}{text}", "");
    }

    /// `key: value` with the value quoted as needed (a literal block when multi-line).
    fn key(&mut self, indent: usize, key: &str, value: &str) {
        // A `- key` item puts its mapping's keys two columns further in.
        let block_indent = if key.starts_with('-') {
            indent + 2
        } else {
            indent
        } + 2;
        let _ = write!(self.out, "{:indent$}{key}: ", "");
        match block(value, block_indent) {
            Some(b) => self.out.push_str(&b),
            None => {
                self.out.push_str(&block_scalar(value));
                self.out.push('\n');
            }
        }
    }

    /// `- value` in a block list.
    fn item(&mut self, indent: usize, value: &str) {
        let _ = write!(self.out, "{:indent$}- ", "");
        match block(value, indent + 2) {
            Some(b) => self.out.push_str(&b),
            None => {
                self.out.push_str(&scalar(value));
                self.out.push('\n');
            }
        }
    }

    fn opt(&mut self, indent: usize, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.key(indent, key, v);
        }
    }

    fn opt_feel(&mut self, indent: usize, key: &str, value: Option<&Feel>) {
        if let Some(v) = value {
            self.key(indent, key, &v.text);
        }
    }

    fn type_def(&mut self, indent: usize, t: &TypeDef) {
        self.key(indent, "- name", &t.name);
        let inner = indent + 2;
        self.opt(inner, "description", t.description.as_deref());
        match &t.body {
            TypeBody::Ref(r) => self.key(inner, "type", &r.text),
            TypeBody::Fields(fields) => {
                self.line(inner, "fields:");
                for f in fields {
                    self.type_def(inner + 2, f);
                }
            }
        }
        self.opt_feel(inner, "allowed", t.allowed.as_ref());
    }

    fn body(&mut self, indent: usize, body: &DecisionBody) {
        match body {
            DecisionBody::Expression(e) => self.key(indent, "expression", &e.text),
            DecisionBody::Table(t) => self.table(indent, t),
            DecisionBody::Context(c) => self.context(indent, c),
        }
    }

    fn context(&mut self, indent: usize, c: &ContextDef) {
        if c.entries.is_empty() {
            self.line(indent, "context: []");
        } else {
            self.line(indent, "context:");
            for e in &c.entries {
                self.key(indent + 2, "- name", &e.name);
                self.opt_feel(indent + 4, "type", e.type_ref.as_ref());
                self.body(indent + 4, &e.body);
            }
        }
        self.opt_feel(indent, "result", c.result.as_ref());
    }

    fn table(&mut self, indent: usize, t: &TableDef) {
        self.line(indent, "table:");
        let i = indent + 2;
        self.key(i, "hit", t.hit.name());
        if !t.inputs.is_empty() {
            self.line(i, "inputs:");
            for input in &t.inputs {
                self.key(i + 2, "- expression", &input.expression.text);
                self.opt(i + 4, "label", input.label.as_deref());
                self.opt_feel(i + 4, "values", input.values.as_ref());
            }
        }
        self.line(i, "outputs:");
        for o in &t.outputs {
            self.key(i + 2, "- name", &o.name);
            self.opt_feel(i + 4, "type", o.type_ref.as_ref());
            self.opt_feel(i + 4, "values", o.values.as_ref());
            self.opt_feel(i + 4, "default", o.default.as_ref());
        }
        if t.rules.is_empty() {
            self.line(i, "rules: []");
        } else {
            self.line(i, "rules:");
            for r in &t.rules {
                self.rule(i + 2, r);
            }
        }
    }

    fn rule(&mut self, indent: usize, r: &Rule) {
        self.key(indent, "- id", &r.id);
        let i = indent + 2;
        if !r.when.is_empty() {
            self.cells(i, "when", &r.when);
        }
        self.cells(i, "then", &r.then);
        self.opt(i, "note", r.note.as_deref());
    }

    /// A list of cells: one flow line when every cell fits on it, else a block list.
    fn cells(&mut self, indent: usize, key: &str, cells: &[Feel]) {
        let flow: Option<Vec<String>> = cells
            .iter()
            .map(|c| (!c.text.contains('\n')).then(|| scalar(&c.text)))
            .collect();
        match flow {
            Some(items) if items.iter().map(String::len).sum::<usize>() < 80 => {
                self.line(indent, &format!("{key}: [{}]", items.join(", ")));
            }
            _ => {
                self.line(indent, &format!("{key}:"));
                for c in cells {
                    self.item(indent + 2, &c.text);
                }
            }
        }
    }

    fn test(&mut self, indent: usize, t: &TestCase) {
        self.key(indent, "- name", &t.name);
        let i = indent + 2;
        self.opt(i, "description", t.description.as_deref());
        if !t.input.is_empty() {
            let input = serde_json::Value::Object(t.input.clone());
            self.line(
                i,
                &format!("input: {}", crate::canonical::to_string(&input)),
            );
        }
        let mut expect = serde_json::Map::new();
        for e in &t.expect {
            expect.insert(e.decision.clone(), e.value.clone());
        }
        let expect = serde_json::Value::Object(expect);
        self.line(
            i,
            &format!("expect: {}", crate::canonical::to_string(&expect)),
        );
    }
}

/// A literal block (`|-`, `|`, `|+`) for multi-line text that a literal block can hold exactly, as the
/// rest of the line after `key: ` and the following lines.
fn block(text: &str, indent: usize) -> Option<String> {
    if !text.contains('\n') || text.chars().any(|c| needs_escape(c) && c != '\n') {
        return None;
    }
    let body = text.trim_end_matches('\n');
    if body.is_empty() || body.lines().any(|l| l.trim().is_empty() && !l.is_empty()) {
        // Lines of only spaces could be taken for indentation; use a quoted scalar.
        return None;
    }
    let trailing = text.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    if body.starts_with(' ') {
        // Would need an indentation indicator; a quoted scalar is simpler to get right.
        return None;
    }
    let mut out = format!("|{chomp}\n");
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{:indent$}{line}", "");
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    Some(out)
}

/// Characters a plain or single-quoted scalar cannot hold as themselves.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// A one-line YAML scalar in block context (flow indicators are allowed inside plain
/// scalars there).
fn block_scalar(s: &str) -> String {
    scalar_in(s, false)
}

/// A one-line YAML scalar inside a flow list: plain when YAML reads it back as the same string, else
/// single-quoted, or double-quoted with escapes when it holds line breaks or control
/// characters.
fn scalar(s: &str) -> String {
    scalar_in(s, true)
}

fn scalar_in(s: &str, flow: bool) -> String {
    if s.chars().any(needs_escape) {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if needs_escape(c) => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        return out;
    }
    if is_plain_safe(s, flow) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Whether `s` can be written as a plain scalar and read back as the same string.
fn is_plain_safe(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || s.contains('\t') {
        return false;
    }
    // Indicators, and anything that could start a number (`-5`, `.5`, `+1`, `0x1F`).
    if "-?:,[]{}#&*!|><='\"%@`.+".contains(first) || first.is_ascii_digit() {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if flow && s.chars().any(|c| ",[]{}".contains(c)) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | ".inf" | ".nan"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_only_when_safe() {
        assert_eq!(scalar("Age"), "Age");
        assert_eq!(scalar("Order Total"), "Order Total");
        assert_eq!(scalar("-"), "'-'");
        assert_eq!(scalar(">= 18"), "'>= 18'");
        assert_eq!(scalar("\"Approved\""), "'\"Approved\"'");
        assert_eq!(scalar("true"), "'true'");
        assert_eq!(scalar("Null"), "'Null'");
        assert_eq!(scalar("12"), "'12'");
        assert_eq!(scalar("a: b"), "'a: b'");
        assert_eq!(scalar("a #b"), "'a #b'");
        assert_eq!(scalar("it's"), "it's");
        assert_eq!(scalar("'x'"), "'''x'''");
        assert_eq!(scalar("a\u{1}b"), "\"a\\u0001b\"");
        assert_eq!(scalar(""), "''");
        assert_eq!(scalar("<18"), "'<18'");
        assert_eq!(scalar("f(a, b)"), "'f(a, b)'");
        assert_eq!(block_scalar("f(a, b)"), "f(a, b)");
        assert_eq!(block_scalar("[1, 2]"), "'[1, 2]'");
    }

    #[test]
    fn literal_blocks_keep_lines() {
        assert_eq!(block("a\n  b", 4).as_deref(), Some("|-\n    a\n      b\n"));
        assert_eq!(block("a\n", 2).as_deref(), Some("|\n  a\n"));
        assert_eq!(block(" a\nb", 2), None);
        assert_eq!(block("one line", 2), None);
        assert_eq!(block("a\n  \nb", 2), None);
    }
}
