//! The DMN TCK conformance runner: test-case files (`testCases.xsd`) → typed FEEL values,
//! evaluated against the models they name, and compared with the expected results.
//!
//! Pipeline position: a consumer of `compile` and `decide`, used by `cpm tck`. Pure: the
//! caller reads the suite's files and hands their texts to [`run_folder`].
//!
//! Comparison follows FEEL equality (`=`) with two allowances for numbers, both reported by
//! [`NUMBER_RULE`]: expected values with more than 28 significant digits are rounded to 28
//! (cpm's decimals hold 28 to 29 digits), and expected values written with 15 to 17
//! significant digits (double precision, as most TCK tools compute) match an actual value
//! within a relative difference of 10⁻¹².

use std::str::FromStr;
use std::sync::Arc;

use roxmltree::{Document, Node};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::bundle::Bundle;
use crate::compile::{self, SourceText};
use crate::decide::{Engine, Options};
use crate::feel::eval::Limits;
use crate::source::{Loc, SourceError, SourceErrorKind, SourceErrors};
use crate::value::{Context, Value, duration, format_value, ops, temporal};

/// The namespace of TCK test-case files.
pub const TEST_NAMESPACE: &str = "http://www.omg.org/spec/DMN/20160719/testcase";

/// How numbers are compared, for the runner's output.
pub const NUMBER_RULE: &str = "numbers compare by value; expected values with more than 28 significant digits are rounded to 28, and expected values written with 15 to 17 significant digits (double precision) match an actual value within a relative difference of 1e-12";

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const MAX_DIGITS: u32 = 28;

/// A parsed test-case file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// The file path as given.
    pub path: String,
    /// The model file the tests are for (`modelName`), if given.
    pub model_name: Option<String>,
    /// The test cases, in file order.
    pub cases: Vec<Case>,
}

/// One `testCase`.
#[derive(Clone, Debug)]
pub struct Case {
    /// The `id` attribute (or the case's position, from 1).
    pub id: String,
    /// The `type` attribute: `decision` (default), `bkm` or `decisionService`.
    pub kind: String,
    /// The `invocableName` attribute: the decision service a `decisionService` case runs.
    pub invocable: Option<String>,
    /// Input data by (normalised) name.
    pub inputs: Context,
    /// The expected results.
    pub results: Vec<ResultNode>,
}

/// One `resultNode`: a decision (or other invocable) and its expected value.
#[derive(Clone, Debug)]
pub struct ResultNode {
    /// The node's (normalised) name.
    pub name: String,
    /// The `type` attribute (`decision` when absent).
    pub kind: String,
    /// `errorResult="true"`: the evaluation is expected to fail (or give null).
    pub error_result: bool,
    /// The expected value (`None` when the node has no `expected`).
    pub expected: Option<Value>,
    /// Whether an expected number was rounded to 28 significant digits.
    pub rounded: bool,
}

/// The result of one result node.
#[derive(Clone, Debug)]
pub struct NodeOutcome {
    /// The result node's name.
    pub node: String,
    /// Whether the actual value matched.
    pub passed: bool,
    /// The expected value, as FEEL text.
    pub expected: String,
    /// The actual value as FEEL text, or the error.
    pub actual: String,
    /// Whether the expected value was rounded to 28 significant digits.
    pub rounded: bool,
}

/// The result of one test case: it passes when every result node passes.
#[derive(Clone, Debug)]
pub struct CaseOutcome {
    /// The test-case file.
    pub file: String,
    /// The model file.
    pub model: String,
    /// The test case id (`-` when the file or model could not be used at all).
    pub case: String,
    /// One outcome per result node.
    pub nodes: Vec<NodeOutcome>,
    /// Why the case could not run, if so (the file or the model has errors).
    pub error: Option<String>,
}

impl CaseOutcome {
    /// Whether the case ran and every result node matched.
    pub fn passed(&self) -> bool {
        self.error.is_none() && !self.nodes.is_empty() && self.nodes.iter().all(|n| n.passed)
    }
}

/// Parses a TCK test-case file.
///
/// # Errors
///
/// `xml-syntax` when the text is not XML, `unsupported-file` when the root is not a
/// `testCases` element of [`TEST_NAMESPACE`], `wrong-type` for values that cannot be read
/// (an unknown `xsi:type`, a malformed number or date).
pub fn parse_test_file(path: &str, text: &str) -> Result<TestFile, SourceErrors> {
    let file: Arc<str> = path.into();
    let err = |kind, row, col, message: String| {
        SourceErrors::new(vec![SourceError::new(
            kind,
            Loc::new(Arc::clone(&file), row, col),
            message,
        )])
    };
    let doc = Document::parse(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|e| {
        err(
            SourceErrorKind::XmlSyntax,
            e.pos().row,
            e.pos().col,
            format!("the file is not well-formed XML: {e}"),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "testCases" || root.tag_name().namespace() != Some(TEST_NAMESPACE)
    {
        return Err(err(
            SourceErrorKind::UnsupportedFile,
            1,
            1,
            format!("`{path}` is not a DMN TCK test-case file"),
        ));
    }
    let mut errors = Vec::new();
    let mut cases = Vec::new();
    let mut model_name = None;
    for node in elements(root) {
        match node.tag_name().name() {
            "modelName" => model_name = Some(text_of(node).trim().to_owned()),
            "testCase" => {
                let id = node
                    .attribute("id")
                    .map_or_else(|| (cases.len() + 1).to_string(), str::to_owned);
                let kind = node.attribute("type").unwrap_or("decision").to_owned();
                let mut inputs = Context::default();
                let mut results = Vec::new();
                for child in elements(node) {
                    let name = child.attribute("name").map(normalise).unwrap_or_default();
                    match child.tag_name().name() {
                        "inputNode" => match value_of(child) {
                            Ok((v, _)) => {
                                inputs.insert(name, v);
                            }
                            Err(m) => errors.push(at(&doc, &file, child, m)),
                        },
                        "resultNode" => {
                            let expected =
                                elements(child).find(|e| e.tag_name().name() == "expected");
                            let (expected, rounded) = match expected.map(value_of).transpose() {
                                Ok(Some((v, r))) => (Some(v), r),
                                Ok(None) => (None, false),
                                Err(m) => {
                                    errors.push(at(&doc, &file, child, m));
                                    (None, false)
                                }
                            };
                            results.push(ResultNode {
                                name,
                                kind: child.attribute("type").unwrap_or("decision").to_owned(),
                                error_result: child.attribute("errorResult") == Some("true"),
                                expected,
                                rounded,
                            });
                        }
                        _ => {}
                    }
                }
                cases.push(Case {
                    id,
                    kind,
                    invocable: node.attribute("invocableName").map(normalise),
                    inputs,
                    results,
                });
            }
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(TestFile {
            path: path.to_owned(),
            model_name,
            cases,
        })
    } else {
        Err(SourceErrors::new(errors))
    }
}

fn at(doc: &Document<'_>, file: &Arc<str>, node: Node<'_, '_>, message: String) -> SourceError {
    let pos = doc.text_pos_at(node.range().start);
    SourceError::new(
        SourceErrorKind::WrongType,
        Loc::new(Arc::clone(file), pos.row, pos.col),
        message,
    )
}

fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(TEST_NAMESPACE))
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

/// A `valueType` element (`inputNode`, `expected`, `component`, `item`) → its value, and
/// whether a number in it was rounded.
fn value_of(node: Node<'_, '_>) -> Result<(Value, bool), String> {
    if node.attribute((XSI, "nil")) == Some("true") {
        return Ok((Value::Null, false));
    }
    let mut rounded = false;
    let children: Vec<Node<'_, '_>> = elements(node).collect();
    if let Some(v) = children.iter().find(|c| c.tag_name().name() == "value") {
        return simple_value(*v);
    }
    if let Some(list) = children.iter().find(|c| c.tag_name().name() == "list") {
        if list.attribute((XSI, "nil")) == Some("true") {
            return Ok((Value::Null, false));
        }
        let mut items = Vec::new();
        for item in elements(*list).filter(|i| i.tag_name().name() == "item") {
            let (v, r) = value_of(item)?;
            rounded |= r;
            items.push(v);
        }
        return Ok((Value::list(items), rounded));
    }
    let components: Vec<_> = children
        .iter()
        .filter(|c| c.tag_name().name() == "component")
        .collect();
    if !components.is_empty() {
        let mut ctx = Context::default();
        for c in components {
            let name = c.attribute("name").map(normalise).unwrap_or_default();
            let (v, r) = value_of(*c)?;
            rounded |= r;
            ctx.insert(name, v);
        }
        return Ok((Value::context(ctx), rounded));
    }
    // No value at all: null.
    Ok((Value::Null, false))
}

/// A `value` element with its `xsi:type`.
fn simple_value(node: Node<'_, '_>) -> Result<(Value, bool), String> {
    if node.attribute((XSI, "nil")) == Some("true") {
        return Ok((Value::Null, false));
    }
    let text = text_of(node);
    let ty = node.attribute((XSI, "type")).unwrap_or("xsd:string");
    let local = ty.rsplit(':').next().unwrap_or(ty);
    let bad = |what: &str| format!("`{}` is not a valid {what}", text.trim());
    let t = text.trim();
    let value = match local {
        "string" | "anyURI" => Value::string(text.as_str()),
        "boolean" => match t {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad("boolean")),
        },
        "decimal" | "double" | "float" | "integer" | "int" | "long" | "short" => {
            let (d, rounded) = parse_number(t).ok_or_else(|| bad("number"))?;
            return Ok((Value::Number(d), rounded));
        }
        "date" => Value::Date(temporal::parse_date(t).ok_or_else(|| bad("date"))?),
        "dateTime" => {
            Value::DateTime(temporal::parse_date_time(t).ok_or_else(|| bad("date and time"))?)
        }
        "time" => Value::Time(temporal::parse_time(t).ok_or_else(|| bad("time"))?),
        "duration" | "dayTimeDuration" | "yearMonthDuration" => {
            if let Some(d) = duration::parse_days_time(t).filter(|_| local != "yearMonthDuration") {
                Value::DaysTime(d)
            } else if let Some(d) = duration::parse_years_months(t) {
                Value::YearsMonths(d)
            } else {
                return Err(bad("duration"));
            }
        }
        other => return Err(format!("values of type `{other}` are not supported")),
    };
    Ok((value, false))
}

/// Parses a decimal text, rounding to 28 significant digits when it has more.
fn parse_number(text: &str) -> Option<(Decimal, bool)> {
    if let Ok(d) = Decimal::from_str_exact(text) {
        return Some((d, false));
    }
    if text.contains(['e', 'E']) {
        return Decimal::from_scientific(text).ok().map(|d| (d, false));
    }
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let mut point = int.len();
    while digits.first() == Some(&0) && point > 0 {
        digits.remove(0);
        point -= 1;
    }
    let lead_zeros = digits.iter().take_while(|d| **d == 0).count();
    let keep = lead_zeros + MAX_DIGITS as usize;
    if digits.len() > keep {
        let round_up = digits.get(keep).is_some_and(|d| *d >= 5);
        digits.truncate(keep);
        if round_up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    point += 1;
                    break;
                }
                i -= 1;
                if let Some(d) = digits.get_mut(i) {
                    if *d == 9 {
                        *d = 0;
                    } else {
                        *d += 1;
                        break;
                    }
                }
            }
        }
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let body = if point == 0 {
        format!("0.{text}")
    } else if point >= text.len() {
        format!("{text}{}", "0".repeat(point - text.len()))
    } else {
        format!(
            "{}.{}",
            text.get(..point).unwrap_or_default(),
            text.get(point..).unwrap_or_default()
        )
    };
    let s = if neg { format!("-{body}") } else { body };
    Decimal::from_str_exact(&s)
        .or_else(|_| Decimal::from_str(&s))
        .ok()
        .map(|d| (d, true))
}

/// The number of significant digits of `d`.
fn significant_digits(d: &Decimal) -> u32 {
    let m = d.mantissa().unsigned_abs();
    if m == 0 {
        return 1;
    }
    let mut n = 0;
    let mut x = m;
    while x > 0 {
        x /= 10;
        n += 1;
    }
    // Trailing zeros of the mantissa are not significant.
    let mut x = m;
    while x % 10 == 0 {
        x /= 10;
        n -= 1;
    }
    n
}

/// `d` rounded to `digits` significant digits (half away from zero).
fn round_significant(d: &Decimal, digits: u32) -> Decimal {
    let m = d.mantissa().unsigned_abs();
    let mut total = 0u32;
    let mut x = m;
    while x > 0 {
        x /= 10;
        total += 1;
    }
    if total <= digits {
        return *d;
    }
    let drop = total - digits;
    let scale = d.scale();
    if drop <= scale {
        d.round_dp_with_strategy(scale - drop, RoundingStrategy::MidpointAwayFromZero)
    } else {
        // Rounding to the left of the decimal point: round the integer value at 10^k.
        let k = drop - scale;
        let Some(p) = 10u64.checked_pow(k).map(Decimal::from) else {
            return *d;
        };
        let q = (*d / p).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        q.checked_mul(p).unwrap_or(*d)
    }
}

/// Whether `a` differs from `e` by at most `|e| · 10⁻¹²`.
fn within_double_precision(e: &Decimal, a: &Decimal) -> bool {
    let tolerance = e.abs() * Decimal::new(1, 12);
    a.checked_sub(*e).is_some_and(|d| d.abs() <= tolerance)
}

/// Whether `actual` matches `expected` (FEEL equality, numbers as in [`NUMBER_RULE`]).
pub fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            if e == a || round_significant(a, MAX_DIGITS) == *e {
                return true;
            }
            let digits = significant_digits(e);
            (15..=17).contains(&digits) && within_double_precision(e, a)
        }
        (Value::List(e), Value::List(a)) => {
            e.len() == a.len() && e.iter().zip(a.iter()).all(|(x, y)| matches(x, y))
        }
        (Value::Context(e), Value::Context(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|w| matches(v, w)))
        }
        _ => matches!(ops::equal(expected, actual), Value::Bool(true)),
    }
}

/// Runs every test file of one TCK folder against the folder's `.dmn` models.
///
/// Each model is compiled on its own (so decision names need only be unique per model). A
/// test file's `modelName` picks the model; without one, the folder must hold exactly one
/// model. Result nodes of type `decision` are evaluated with [`Engine::decide_values`];
/// `decisionService` cases invoke the service (converted to a knowledge model) with the
/// case's inputs as named arguments; `bkm` result nodes fail with a message saying they are
/// not supported.
pub fn run_folder(models: &[SourceText], tests: &[SourceText], limits: Limits) -> Vec<CaseOutcome> {
    let mut out = Vec::new();
    let mut engines: Vec<(String, Result<Engine, String>)> = Vec::new();
    for m in models {
        let engine = compile::compile(std::slice::from_ref(m))
            .map_err(|e| {
                e.errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .and_then(|c| Bundle::new(c.program).map_err(|e| e.to_string()))
            .map(Engine::new);
        engines.push((m.path.clone(), engine));
    }
    for t in tests {
        let fail = |model: &str, error: String| CaseOutcome {
            file: t.path.clone(),
            model: model.to_owned(),
            case: "-".to_owned(),
            nodes: Vec::new(),
            error: Some(error),
        };
        let file = match parse_test_file(&t.path, &t.text) {
            Ok(f) => f,
            Err(e) => {
                out.push(fail("-", e.to_string()));
                continue;
            }
        };
        let chosen = match &file.model_name {
            Some(name) => engines
                .iter()
                .find(|(p, _)| p.rsplit('/').next() == Some(name.as_str())),
            None if engines.len() == 1 => engines.first(),
            None => None,
        };
        let Some((model_path, engine)) = chosen else {
            let name = file.model_name.as_deref().unwrap_or("(none)");
            out.push(fail(
                name,
                format!("no model file `{name}` beside the test file"),
            ));
            continue;
        };
        let model = model_path
            .rsplit('/')
            .next()
            .unwrap_or(model_path)
            .to_owned();
        let engine = match engine {
            Ok(e) => e,
            Err(e) => {
                out.push(fail(&model, format!("the model does not compile: {e}")));
                continue;
            }
        };
        for case in &file.cases {
            out.push(run_case(engine, case, &file.path, &model, limits));
        }
    }
    out
}

/// The value of output decision `node` in a decision service's result: the entry of that
/// name when the service returns a context of its outputs, else the result itself.
fn service_output(value: Value, node: &str) -> Value {
    match &value {
        Value::Context(ctx) if ctx.len() > 1 || ctx.contains_key(node) => {
            ctx.get(node).cloned().unwrap_or(Value::Null)
        }
        _ => value,
    }
}

fn run_case(engine: &Engine, case: &Case, file: &str, model: &str, limits: Limits) -> CaseOutcome {
    let options = Options {
        explain: false,
        limits,
    };
    let mut nodes = Vec::new();
    for r in &case.results {
        let expected = r
            .expected
            .as_ref()
            .map_or_else(|| "null".to_owned(), format_value);
        let result = match (case.kind.as_str(), &case.invocable) {
            ("decisionService", Some(service)) => engine
                .invoke(service, &case.inputs, &options)
                .map(|v| Some(service_output(v, &r.name))),
            ("decision", _) if r.kind == "decision" => engine
                .decide_values(&r.name, &case.inputs, &options)
                .map(|d| Some(d.output)),
            _ => Ok(None),
        };
        let (passed, actual) = match result {
            Ok(Some(output)) => {
                let want = r.expected.clone().unwrap_or(Value::Null);
                let ok = matches(&want, &output) || (r.error_result && output.is_null());
                (ok, format_value(&output))
            }
            Ok(None) => {
                let kind = if case.kind == "decision" {
                    &r.kind
                } else {
                    &case.kind
                };
                (
                    false,
                    format!("error: result nodes of type `{kind}` are not supported"),
                )
            }
            Err(e) => (r.error_result, format!("error: {e}")),
        };
        nodes.push(NodeOutcome {
            node: r.name.clone(),
            passed,
            expected,
            actual,
            rounded: r.rounded,
        });
    }
    CaseOutcome {
        file: file.to_owned(),
        model: model.to_owned(),
        case: case.id.clone(),
        nodes,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap_or_default()
    }

    #[test]
    fn long_decimals_round_to_28_digits() {
        let (d, r) = parse_number("0.33333333333333333333333333333333").unwrap_or_default();
        assert!(r);
        assert_eq!(d, num("0.3333333333333333333333333333"));
        let (d, r) = parse_number("0.66666666666666666666666666666666").unwrap_or_default();
        assert!(r);
        assert_eq!(d, num("0.6666666666666666666666666667"));
        let (d, r) = parse_number("12.5").unwrap_or_default();
        assert!(!r);
        assert_eq!(d, num("12.5"));
        assert_eq!(parse_number("1.2e3").map(|x| x.0), Some(num("1200")));
        assert_eq!(parse_number("abc"), None);
    }

    #[test]
    fn numbers_match_by_value_and_double_precision() {
        let n = |s: &str| Value::Number(num(s));
        assert!(matches(&n("10"), &n("10.00")));
        assert!(!matches(&n("10"), &n("10.4")));
        assert!(matches(&n("2778.69354943277"), &n("2778.693549432766768")));
        assert!(matches(
            &n("562.707359373292"),
            &n("562.7073593732659271562143311")
        ));
        assert!(!matches(&n("2778.69354943277"), &n("2778.6935494")));
        assert!(!matches(&n("2.5"), &n("2.5000000000001")));
        assert!(matches(&Value::Null, &Value::Null));
        assert!(!matches(&Value::Null, &n("0")));
    }

    #[test]
    fn parses_typed_values() {
        let text = r#"<testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <modelName>m.dmn</modelName>
  <testCase id="a">
    <inputNode name="Loan"><component name="amount"><value xsi:type="xsd:decimal">100</value></component>
      <component name="when"><value xsi:type="xsd:date">2024-01-31</value></component></inputNode>
    <inputNode name="Tags"><list><item><value xsi:type="xsd:string">x</value></item><item><value xsi:nil="true"/></item></list></inputNode>
    <resultNode name="Out" type="decision"><expected><value xsi:type="xsd:boolean">true</value></expected></resultNode>
  </testCase>
</testCases>"#;
        let f = parse_test_file("t.xml", text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.model_name.as_deref(), Some("m.dmn"));
        let case = &f.cases[0];
        assert_eq!(
            format_value(&case.inputs["Loan"]),
            "{amount: 100, when: @\"2024-01-31\"}"
        );
        assert_eq!(format_value(&case.inputs["Tags"]), "[\"x\", null]");
        assert!(matches(
            case.results[0].expected.as_ref().unwrap_or(&Value::Null),
            &Value::Bool(true)
        ));
    }
}
