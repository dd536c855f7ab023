//! Parser tests: every construct, precedence, names with spaces, scoping, spans, errors and
//! the nesting limit. Expressions are compared through a compact S-expression rendering.

use std::fmt::Write as _;

use super::*;
use crate::feel::ast::{Args, Expr, ExprKind, IterationSource, Span, TypeRef, UnaryTest};

// ---- helpers ------------------------------------------------------------------------------

fn names(extra: &[&str]) -> Names {
    let mut names = Names::new();
    for name in extra {
        names.insert(name);
    }
    names
}

fn parse(text: &str) -> Expr {
    parse_with(text, &[])
}

fn parse_with(text: &str, extra: &[&str]) -> Expr {
    match parse_expression(text, &names(extra)) {
        Ok(e) => e,
        Err(e) => panic!("`{text}` failed: {} at {:?}", e.message, e.span),
    }
}

/// The S-expression of `text`.
fn sx(text: &str) -> String {
    render(&parse(text))
}

fn sx_with(text: &str, extra: &[&str]) -> String {
    render(&parse_with(text, extra))
}

fn err(text: &str) -> SyntaxError {
    err_with(text, &[])
}

fn err_with(text: &str, extra: &[&str]) -> SyntaxError {
    match parse_expression(text, &names(extra)) {
        Ok(e) => panic!("`{text}` parsed as {}", render(&e)),
        Err(e) => e,
    }
}

fn ut(text: &str) -> String {
    ut_with(text, &[])
}

fn ut_with(text: &str, extra: &[&str]) -> String {
    match parse_unary_tests(text, &names(extra)) {
        Ok(UnaryTests::Any) => "any".to_string(),
        Ok(UnaryTests::Positive(tests)) => render_tests(&tests),
        Ok(UnaryTests::Not(tests)) => format!("not {}", render_tests(&tests)),
        Err(e) => panic!("unary tests `{text}` failed: {} at {:?}", e.message, e.span),
    }
}

fn ut_err(text: &str) -> SyntaxError {
    match parse_unary_tests(text, &Names::new()) {
        Ok(t) => panic!("unary tests `{text}` parsed: {t:?}"),
        Err(e) => e,
    }
}

fn ty(text: &str) -> String {
    match parse_type_ref(text) {
        Ok(t) => render_type(&t),
        Err(e) => panic!("type `{text}` failed: {} at {:?}", e.message, e.span),
    }
}

fn span(start: usize, end: usize) -> Span {
    Span::new(start, end)
}

fn render_tests(tests: &[UnaryTest]) -> String {
    let parts: Vec<String> = tests.iter().map(render_test).collect();
    format!("<{}>", parts.join(" | "))
}

fn render_test(test: &UnaryTest) -> String {
    match test {
        UnaryTest::Compare(op, e) => format!("({} {})", cmp(*op), render(e)),
        UnaryTest::Expr(e) => render(e),
    }
}

fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

fn render_type(t: &TypeRef) -> String {
    match t {
        TypeRef::Any => "Any".into(),
        TypeRef::Null => "Null".into(),
        TypeRef::Named(n) => format!("`{n}`"),
        TypeRef::List(t) => format!("list<{}>", render_type(t)),
        TypeRef::Range(t) => format!("range<{}>", render_type(t)),
        TypeRef::Context(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, t)| format!("{k}: {}", render_type(t)))
                .collect();
            format!("context<{}>", parts.join(", "))
        }
        TypeRef::Function(params, result) => {
            let parts: Vec<String> = params.iter().map(render_type).collect();
            format!("function<{}> -> {}", parts.join(", "), render_type(result))
        }
    }
}

fn render_iterations(its: &[Iteration]) -> String {
    let mut out = String::new();
    for it in its {
        match &it.source {
            IterationSource::List(l) => write!(out, "({} {}) ", it.name, render(l)),
            IterationSource::Range { from, to } => {
                write!(out, "({} {}..{}) ", it.name, render(from), render(to))
            }
        }
        .unwrap();
    }
    out
}

fn render(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Number(n) => n.to_string(),
        ExprKind::String(s) => format!("{s:?}"),
        ExprKind::Temporal(s) => format!("@{s:?}"),
        ExprKind::Name(n) if n.contains(' ') => format!("`{n}`"),
        ExprKind::Name(n) => n.clone(),
        ExprKind::InputValue => "?".into(),
        ExprKind::Path(e, n) if n.contains(' ') => format!("(. {} `{n}`)", render(e)),
        ExprKind::Path(e, n) => format!("(. {} {n})", render(e)),
        ExprKind::Filter(e, f) => format!("([] {} {})", render(e), render(f)),
        ExprKind::Call(f, Args::Positional(args)) => {
            let mut out = format!("(call {}", render(f));
            for a in args {
                write!(out, " {}", render(a)).unwrap();
            }
            out + ")"
        }
        ExprKind::Call(f, Args::Named(args)) => {
            let mut out = format!("(call {}", render(f));
            for (n, a) in args {
                write!(out, " {n}: {}", render(a)).unwrap();
            }
            out + ")"
        }
        ExprKind::Neg(e) => format!("(neg {})", render(e)),
        ExprKind::Arith(op, a, b) => {
            let op = match op {
                ArithOp::Add => "+",
                ArithOp::Sub => "-",
                ArithOp::Mul => "*",
                ArithOp::Div => "/",
                ArithOp::Pow => "**",
            };
            format!("({op} {} {})", render(a), render(b))
        }
        ExprKind::Compare(op, a, b) => format!("({} {} {})", cmp(*op), render(a), render(b)),
        ExprKind::And(a, b) => format!("(and {} {})", render(a), render(b)),
        ExprKind::Or(a, b) => format!("(or {} {})", render(a), render(b)),
        ExprKind::Between { value, low, high } => format!(
            "(between {} {} {})",
            render(value),
            render(low),
            render(high)
        ),
        ExprKind::In(v, tests) => format!("(in {} {})", render(v), render_tests(tests)),
        ExprKind::InstanceOf(e, t) => format!("(instance-of {} {})", render(e), render_type(t)),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => format!(
            "(if {} {} {})",
            render(cond),
            render(then),
            render(otherwise)
        ),
        ExprKind::For(its, body) => format!("(for {}{})", render_iterations(its), render(body)),
        ExprKind::Quantified(q, its, body) => {
            let q = match q {
                Quantifier::Some => "some",
                Quantifier::Every => "every",
            };
            format!("({q} {}{})", render_iterations(its), render(body))
        }
        ExprKind::List(items) => {
            let parts: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", parts.join(" "))
        }
        ExprKind::Context(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}: {}", render(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        ExprKind::Range {
            start_closed,
            start,
            end,
            end_closed,
        } => format!(
            "{}{}..{}{}",
            if *start_closed { "[" } else { "(" },
            start.as_deref().map_or("_".to_string(), render),
            end.as_deref().map_or("_".to_string(), render),
            if *end_closed { "]" } else { ")" },
        ),
        ExprKind::FunctionDef { params, body } => {
            let parts: Vec<String> = params
                .iter()
                .map(|(n, t)| match t {
                    Some(t) => format!("{n}:{}", render_type(t)),
                    None => n.clone(),
                })
                .collect();
            format!("(fn ({}) {})", parts.join(", "), render(body))
        }
    }
}

// ---- literals -----------------------------------------------------------------------------

#[test]
fn number_literals() {
    assert_eq!(sx("1"), "1");
    assert_eq!(sx("1.5"), "1.5");
    assert_eq!(sx(".5"), "0.5");
    assert_eq!(sx("-5"), "-5");
    assert_eq!(sx("- 5"), "(neg 5)");
    assert_eq!(sx("--5"), "(neg -5)");
    assert_eq!(sx("-0"), "0");
    assert_eq!(sx("1.23e4"), "12300");
    assert_eq!(sx("12300 = 1.23e+4"), "(= 12300 12300)");
    assert_eq!(sx("1.23e-4"), "0.000123");
    assert_eq!(
        parse("0.1").kind,
        ExprKind::Number(Decimal::from_str_exact("0.1").unwrap())
    );
}

#[test]
fn string_literals() {
    assert_eq!(sx(r#""abc""#), r#""abc""#);
    assert_eq!(sx(r#""a\"b\\c\nd\re\tf\'g""#), r#""a\"b\\c\nd\re\tf'g""#);
    assert_eq!(sx(r#""\u00e9\uD83D\uDE00\U01F40E""#), "\"é😀🐎\"");
    assert_eq!(sx(r#""\d{3}""#), r#""\\d{3}""#);
}

#[test]
fn keyword_literals_and_temporal() {
    assert_eq!(sx("true"), "true");
    assert_eq!(sx("false"), "false");
    assert_eq!(sx("null"), "null");
    assert_eq!(sx(r#"@"2024-01-31""#), r#"@"2024-01-31""#);
    assert_eq!(
        parse(r#"@"10:30:00@Europe/Paris""#).kind,
        ExprKind::Temporal("10:30:00@Europe/Paris".into())
    );
    assert_eq!(
        sx(r#"@"P1D" + date("2024-01-01")"#),
        r#"(+ @"P1D" (call date "2024-01-01"))"#
    );
}

#[test]
fn comments() {
    assert_eq!(sx("1 + /* 1 + */ 1"), "(+ 1 1)");
    assert_eq!(sx("1 + // eol comment\n 1"), "(+ 1 1)");
    assert_eq!(sx("\n/*\nintro\n*/\n1 + 1 // and stuff\n"), "(+ 1 1)");
}

// ---- precedence and associativity --------------------------------------------------------

#[test]
fn arithmetic_precedence() {
    assert_eq!(sx("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(sx("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_eq!(sx("a - b - c"), "(- (- a b) c)");
    assert_eq!(sx("a / b / c"), "(/ (/ a b) c)");
    assert_eq!(sx("a * b / c * d"), "(* (/ (* a b) c) d)");
    assert_eq!(sx("5+2**5+3"), "(+ (+ 5 (** 2 5)) 3)");
    assert_eq!(sx("1.2*10**3"), "(* 1.2 (** 10 3))");
    assert_eq!(sx("a-b"), "(- a b)");
    assert_eq!(sx("a - -b"), "(- a (neg b))");
    assert_eq!(sx("a--5"), "(- a -5)");
}

#[test]
fn exponent_is_left_associative_and_below_negation() {
    assert_eq!(sx("3 ** 4 ** 5"), "(** (** 3 4) 5)");
    assert_eq!(sx("-3 ** 2"), "(** -3 2)");
    assert_eq!(sx("-a ** 2"), "(** (neg a) 2)");
    assert_eq!(sx("10**-5"), "(** 10 -5)");
    assert_eq!(sx("(1+r/12)**-n"), "(** (+ 1 (/ r 12)) (neg n))");
    assert_eq!(
        sx("(p*r/12)/(1-(1+r/12)**-n)"),
        "(/ (/ (* p r) 12) (- 1 (** (+ 1 (/ r 12)) (neg n))))"
    );
}

#[test]
fn boolean_and_comparison_precedence() {
    assert_eq!(sx("a or b and c"), "(or a (and b c))");
    assert_eq!(sx("a and b or c"), "(or (and a b) c)");
    assert_eq!(sx("a or b or c"), "(or (or a b) c)");
    assert_eq!(sx("a = b and c != d"), "(and (= a b) (!= c d))");
    assert_eq!(sx("a + 1 < b * 2"), "(< (+ a 1) (* b 2))");
    assert_eq!(sx("a <= b"), "(<= a b)");
    assert_eq!(sx("a >= b"), "(>= a b)");
    assert_eq!(sx("a > b"), "(> a b)");
    assert_eq!(sx("not(a) or b"), "(or (call not a) b)");
    assert_eq!(
        sx("(2*2=2**2) or (3*2=3**2)"),
        "(or (= (* 2 2) (** 2 2)) (= (* 3 2) (** 3 2)))"
    );
}

#[test]
fn between() {
    assert_eq!(sx("x between 1 and 10"), "(between x 1 10)");
    assert_eq!(
        sx("x between a + 1 and b * 2"),
        "(between x (+ a 1) (* b 2))"
    );
    assert_eq!(sx("x between 1 and 10 and y"), "(and (between x 1 10) y)");
    assert_eq!(
        err("x between 1 or 10").message,
        "expected `and` between the bounds of `between`, found `or`"
    );
}

#[test]
fn instance_of_binds_between_comparison_and_addition() {
    assert_eq!(sx("x instance of number"), "(instance-of x `number`)");
    assert_eq!(
        sx("a + b instance of number"),
        "(instance-of (+ a b) `number`)"
    );
    assert_eq!(
        sx("x instance of number = true"),
        "(= (instance-of x `number`) true)"
    );
    assert_eq!(
        sx("x instance of date and time and y"),
        "(and (instance-of x `date and time`) y)"
    );
    assert_eq!(
        sx("x instance of years and months duration or y"),
        "(or (instance-of x `years and months duration`) y)"
    );
    assert_eq!(
        sx("x instance of days and time duration"),
        "(instance-of x `days and time duration`)"
    );
    assert_eq!(sx("x instance of date"), "(instance-of x `date`)");
    assert_eq!(
        sx("x instance of list<number>"),
        "(instance-of x list<`number`>)"
    );
    assert_eq!(
        sx("x instance of context<a: number, first name: list<string>>"),
        "(instance-of x context<a: `number`, first name: list<`string`>>)"
    );
    assert_eq!(
        sx("x instance of range<date>"),
        "(instance-of x range<`date`>)"
    );
    assert_eq!(
        sx("f instance of function<number, string> -> boolean"),
        "(instance-of f function<`number`, `string`> -> `boolean`)"
    );
    assert_eq!(sx("x instance of Any"), "(instance-of x Any)");
    assert_eq!(sx("x instance of Null"), "(instance-of x Null)");
    assert_eq!(sx("x instance of tPerson"), "(instance-of x `tPerson`)");
    assert_eq!(
        sx("x instance of ns.tPerson"),
        "(instance-of x `ns.tPerson`)"
    );
    assert_eq!(
        sx_with("x instance of Loan Type", &["Loan Type"]),
        "(instance-of x `Loan Type`)"
    );
    assert_eq!(
        err("x instance number").message,
        "expected `of` after `instance`, found `number`"
    );
}

#[test]
fn postfix_chains() {
    assert_eq!(sx("a.b.c"), "(. (. a b) c)");
    assert_eq!(sx("f(x).y[1]"), "([] (. (call f x) y) 1)");
    assert_eq!(sx("-a.b"), "(neg (. a b))");
    assert_eq!(sx("l[item > 5].name"), "(. ([] l (> item 5)) name)");
    assert_eq!(sx("f(1)(2)"), "(call (call f 1) 2)");
    assert_eq!(sx("(function(x) x + 1)(2)"), "(call (fn (x) (+ x 1)) 2)");
    assert_eq!(sx("[1, 2, 3][-1]"), "([] [1 2 3] -1)");
    assert_eq!(sx("?.limit"), "(. ? limit)");
    assert_eq!(sx("{a: 1}.a"), "(. {a: 1} a)");
    assert_eq!(
        sx("date(\"2024-01-01\").year"),
        "(. (call date \"2024-01-01\") year)"
    );
}

#[test]
fn long_operator_chains_count_towards_the_nesting_limit() {
    // A chain is as deep as it is long once built (`((a + a) + a) + …`): long chains are
    // refused up front, so no consumer (evaluation, serialization, drop) meets a tree deeper
    // than MAX_NESTING.
    let fits = vec!["a"; MAX_NESTING as usize - 2].join(" + ");
    assert!(matches!(
        parse(&fits).kind,
        ExprKind::Arith(ArithOp::Add, ..)
    ));
    for op in [" + ", " * ", " or ", " and ", " ** ", " = "] {
        let text = vec!["a"; 50_000].join(op);
        let started = std::time::Instant::now();
        let err = parse_expression(&text, &Names::new()).unwrap_err();
        assert!(
            err.message.contains("nests deeper"),
            "{op}: {}",
            err.message
        );
        assert!(started.elapsed().as_secs() < 10);
    }
}

// ---- names --------------------------------------------------------------------------------

#[test]
fn names_with_spaces_need_declaring() {
    assert_eq!(
        sx_with("Customer Age > 18", &["Customer Age"]),
        "(> `Customer Age` 18)"
    );
    assert_eq!(
        sx_with("Customer   Age\n> 18", &["Customer Age"]),
        "(> `Customer Age` 18)"
    );
    let e = err("Customer Age > 18");
    assert_eq!(
        e.message,
        "expected the end of the expression, found `Age`; if `Customer Age` is one name, it must be declared"
    );
    assert_eq!(e.span, span(9, 12));
}

#[test]
fn builtin_names_longest_match() {
    assert_eq!(
        sx(r#"date and time("2024-01-01T10:00:00")"#),
        r#"(call `date and time` "2024-01-01T10:00:00")"#
    );
    assert_eq!(sx("date and x"), "(and date x)");
    assert_eq!(sx("date and time and x"), "(and `date and time` x)");
    assert_eq!(sx("string length(s) > 3"), "(> (call `string length` s) 3)");
    assert_eq!(
        sx("years and months duration(a, b)"),
        "(call `years and months duration` a b)"
    );
    assert_eq!(sx("round half up(1.5, 0)"), "(call `round half up` 1.5 0)");
    assert_eq!(sx("overlaps before(a, b)"), "(call `overlaps before` a b)");
    assert_eq!(sx("overlaps(a, b)"), "(call overlaps a b)");
    assert_eq!(sx("day of week(d)"), "(call `day of week` d)");
    assert_eq!(sx("get value(m, \"k\")"), "(call `get value` m \"k\")");
    assert_eq!(sx("is(a, b)"), "(call is a b)");
    assert_eq!(sx("met by(a, b)"), "(call `met by` a b)");
    assert_eq!(
        sx("context put(c, \"k\", 1)"),
        "(call `context put` c \"k\" 1)"
    );
}

#[test]
fn names_with_symbols() {
    assert_eq!(
        sx_with("Income/Expenses * 2", &["Income/Expenses"]),
        "(* Income/Expenses 2)"
    );
    assert_eq!(sx("Income/Expenses"), "(/ Income Expenses)");
    // Whitespace is part of the name's spelling: `Income / Expenses` stays a division.
    assert_eq!(
        sx_with("Income / Expenses", &["Income/Expenses"]),
        "(/ Income Expenses)"
    );
    assert_eq!(
        sx_with("Self-Employed", &["Self-Employed"]),
        "Self-Employed"
    );
    assert_eq!(sx("Self-Employed"), "(- Self Employed)");
    assert_eq!(sx_with("a.b + 1", &["a.b"]), "(+ a.b 1)");
    assert_eq!(
        sx_with("Customer's Age + 1", &["Customer's Age"]),
        "(+ `Customer's Age` 1)"
    );
    assert_eq!(
        sx_with("Customer’s Age", &["Customer’s Age"]),
        "`Customer’s Age`"
    );
    assert_eq!(
        sx_with("Loan 2 Amount - 1", &["Loan 2 Amount"]),
        "(- `Loan 2 Amount` 1)"
    );
    assert_eq!(sx_with("A+B Rating", &["A+B Rating"]), "`A+B Rating`");
}

#[test]
fn keywords_next_to_names() {
    let declared = &["Customer Age", "Loan Amounts", "Terms and Conditions"];
    assert_eq!(
        sx_with("if Customer Age > 18 then Customer Age else 0", declared),
        "(if (> `Customer Age` 18) `Customer Age` 0)"
    );
    assert_eq!(
        sx_with("for x in Loan Amounts return x", declared),
        "(for (x `Loan Amounts`) x)"
    );
    assert_eq!(
        sx_with("Customer Age in [18..65]", declared),
        "(in `Customer Age` <[18..65]>)"
    );
    assert_eq!(
        sx_with("Customer Age between 18 and 65", declared),
        "(between `Customer Age` 18 65)"
    );
    assert_eq!(
        sx_with("Terms and Conditions and Customer Age > 1", declared),
        "(and `Terms and Conditions` (> `Customer Age` 1))"
    );
    assert_eq!(
        sx_with("Customer Age instance of number", declared),
        "(instance-of `Customer Age` `number`)"
    );
    // A declared name beginning with a keyword wins (longest match).
    assert_eq!(
        sx_with("true value = 1", &["true value"]),
        "(= `true value` 1)"
    );
    assert_eq!(sx_with("true", &["true value"]), "true");
}

#[test]
fn path_names_with_spaces() {
    assert_eq!(
        sx_with("Customer.Full Name", &["Full Name"]),
        "(. Customer `Full Name`)"
    );
    assert_eq!(sx("t.time offset"), "(. t `time offset`)");
    assert_eq!(
        sx("[1..2].start included and r.end included"),
        "(and (. [1..2] `start included`) (. r `end included`))"
    );
    // Properties are only names after `.`.
    assert!(
        err("time offset")
            .message
            .contains("`time offset` is one name")
    );
    assert_eq!(
        sx("{monthly fee: 10}.monthly fee"),
        "(. {monthly fee: 10} `monthly fee`)"
    );
}

// ---- scoping ------------------------------------------------------------------------------

#[test]
fn context_keys_scope_over_later_entries() {
    assert_eq!(
        sx("{ monthly fee: 10, yearly fee: monthly fee * 12 }"),
        "{monthly fee: 10, yearly fee: (* `monthly fee` 12)}"
    );
    assert_eq!(
        sx(r#"{ "monthly fee": 10, "yearly": monthly fee * 12 }"#),
        "{monthly fee: 10, yearly: (* `monthly fee` 12)}"
    );
    let e = err_with("if Customer Age Group > 1 then 1 else 0", &["Customer Age"]);
    assert_eq!(
        e.message,
        "expected `then` after the condition of `if`, found `Group`; if `Customer Age Group` is one name, it must be declared"
    );
    // Keys of an inner context are not in scope after it.
    let e = err("{ a b: 1, c: { d: a b, e f: d }, g: e f }");
    assert!(e.message.contains("`e f` is one name"), "{}", e.message);
    // A key is not in scope in its own value, nor after the context.
    assert!(err("{ a b: a b }").message.contains("`a b` is one name"));
    assert!(
        err("[{ a b: 1 }, a b]")
            .message
            .contains("`a b` is one name")
    );
    // Nested contexts see the outer keys.
    assert_eq!(sx("{ a b: 1, c: { d: a b } }"), "{a b: 1, c: {d: `a b`}}");
    assert_eq!(sx("{}"), "{}");
    assert_eq!(sx(r#"{"a": 1, "b c": "x"}"#), r#"{a: 1, b c: "x"}"#);
    assert_eq!(sx("{🐎: \"bar\"}"), "{🐎: \"bar\"}");
}

#[test]
fn iteration_variables_and_parameters_scope_over_the_body() {
    assert_eq!(
        sx("for unit price in prices return unit price * 2"),
        "(for (unit price prices) (* `unit price` 2))"
    );
    assert_eq!(
        sx("for i in 1..3, j in 1..i return i * j"),
        "(for (i 1..3) (j 1..i) (* i j))"
    );
    assert_eq!(
        sx("some order line in lines satisfies order line.qty > 1"),
        "(some (order line lines) (> (. `order line` qty) 1))"
    );
    assert_eq!(sx("every x y in l satisfies x y"), "(every (x y l) `x y`)");
    assert_eq!(
        sx(r#"function(first name, last name) first name + " " + last name"#),
        r#"(fn (first name, last name) (+ (+ `first name` " ") `last name`))"#
    );
    // Out of scope after the construct.
    assert!(
        err("[function(unit price) unit price, unit price]")
            .message
            .contains("`unit price` is one name")
    );
    assert!(
        err("[for a b in l return a b, a b]")
            .message
            .contains("`a b` is one name")
    );
}

#[test]
fn named_arguments() {
    assert_eq!(
        sx(r#"substring(string: "abc", start position: 2)"#),
        r#"(call substring string: "abc" start position: 2)"#
    );
    assert_eq!(sx("f(a: 1, b: g(c: 2))"), "(call f a: 1 b: (call g c: 2))");
    assert_eq!(sx("f()"), "(call f)");
    assert_eq!(
        err("f(a: 1, 2)").message,
        "cannot mix named and positional arguments in the call of `f`"
    );
    assert_eq!(
        err("f(1, a: 2)").message,
        "cannot mix named and positional arguments in the call of `f`"
    );
    assert_eq!(
        err("f(a: 1, a: 2)").message,
        "duplicate argument `a` in the call of `f`"
    );
}

// ---- in, ranges, lists --------------------------------------------------------------------

#[test]
fn in_operator() {
    assert_eq!(sx("x in < 5"), "(in x <(< 5)>)");
    assert_eq!(sx("x in [1..5]"), "(in x <[1..5]>)");
    assert_eq!(sx(r#"x in "a""#), r#"(in x <"a">)"#);
    assert_eq!(sx("x in (1, 2, [5..10])"), "(in x <1 | 2 | [5..10]>)");
    assert_eq!(sx("x in (1..5]"), "(in x <(1..5]>)");
    assert_eq!(sx("x in (< 5, >= 10)"), "(in x <(< 5) | (>= 10)>)");
    assert_eq!(sx("x in (= 3, != 4)"), "(in x <(= 3) | (!= 4)>)");
    assert_eq!(sx("x in [1, 2] and y"), "(and (in x <[1 2]>) y)");
    assert_eq!(sx("x in y + 1"), "(in x <(+ y 1)>)");
    assert_eq!(sx("x in (a)"), "(in x <a>)");
    assert_eq!(sx("x in ]1..5["), "(in x <(1..5)>)");
    assert_eq!(sx("x in [1..5] = true"), "(= (in x <[1..5]>) true)");
    assert_eq!(
        err("x in (1, 2").message,
        "expected `,` or `)` in the tests after `in`, found the end of the text"
    );
}

#[test]
fn ranges() {
    assert_eq!(sx("[1..10]"), "[1..10]");
    assert_eq!(sx("[1..10)"), "[1..10)");
    assert_eq!(sx("(1..10]"), "(1..10]");
    assert_eq!(sx("(1..10)"), "(1..10)");
    assert_eq!(sx("]1..10["), "(1..10)");
    assert_eq!(sx("]1..10]"), "(1..10]");
    assert_eq!(sx("[1..10["), "[1..10)");
    assert_eq!(sx("[a + 1 .. b * 2]"), "[(+ a 1)..(* b 2)]");
    assert_eq!(sx("[1..list[2]]"), "[1..([] list 2)]");
    assert_eq!(sx("[\"a\"..\"c\"]"), "[\"a\"..\"c\"]");
    assert_eq!(
        sx(r#"[date("2020-01-01")..@"2021-01-01")"#),
        r#"[(call date "2020-01-01")..@"2021-01-01")"#
    );
    assert_eq!(sx("[18..21] = (18..21]"), "(= [18..21] (18..21])");
    assert_eq!(sx("[-5..-1]"), "[-5..-1]");
    // One-sided range literals.
    assert_eq!(sx("< 5"), "(_..5)");
    assert_eq!(sx("<= 5"), "(_..5]");
    assert_eq!(sx("> x"), "(x.._)");
    assert_eq!(sx(">= x + 1"), "[(+ x 1).._)");
    assert_eq!(sx("[< 5, > 10]"), "[(_..5) (10.._)]");
    let e = err("[1..5");
    assert_eq!(
        e.message,
        "expected `]`, `)` or `[` to close the range, found the end of the text"
    );
    assert_eq!(
        err("]1 5]").message,
        "expected `..` in the range, found `5`"
    );
    assert_eq!(
        err("(=10) = [10..10]").message,
        "range literals written `= …` are not supported in expressions; `=` can start a unary test (in a decision table input cell or after `in`)"
    );
    assert!(
        err("!= 5")
            .message
            .starts_with("range literals written `!= …`")
    );
}

#[test]
fn lists() {
    assert_eq!(sx("[]"), "[]");
    assert_eq!(sx("[1]"), "[1]");
    assert_eq!(sx("[1, \"a\", [true, null]]"), "[1 \"a\" [true null]]");
    assert_eq!(
        err("[1, 2").message,
        "expected `,` or `]` in the list, found the end of the text"
    );
    assert_eq!(err("[1, 2,]").message, "expected an expression, found `]`");
}

// ---- for, some, every, if, function -------------------------------------------------------

#[test]
fn iterations() {
    let e = parse("for x in 1..10 return x");
    let ExprKind::For(its, _) = &e.kind else {
        panic!("{e:?}")
    };
    assert!(matches!(its[0].source, IterationSource::Range { .. }));
    assert_eq!(sx("for x in 1..10 return x"), "(for (x 1..10) x)");
    assert_eq!(
        sx("for x in [1,2], y in [3] return x + y"),
        "(for (x [1 2]) (y [3]) (+ x y))"
    );
    assert_eq!(sx("for x in l return x + 1"), "(for (x l) (+ x 1))");
    assert_eq!(
        sx("for i in 0..4 return if i = 0 then 1 else i * partial[-1]"),
        "(for (i 0..4) (if (= i 0) 1 (* i ([] partial -1))))"
    );
    assert_eq!(
        sx("some x in [1,2] satisfies x > 1"),
        "(some (x [1 2]) (> x 1))"
    );
    assert_eq!(
        sx("every x in l, y in m satisfies x < y"),
        "(every (x l) (y m) (< x y))"
    );
    assert_eq!(
        err("for x [1] return x").message,
        "expected `in` after the iteration variable `x`, found `[`"
    );
    assert_eq!(
        err("for x in [1] x").message,
        "expected `return` after the iterations of `for`, found `x`"
    );
    assert_eq!(
        err("some x in l 1").message,
        "expected `satisfies` after the iterations of `some`, found `1`"
    );
    assert_eq!(
        err("for in l return 1").message,
        "expected the name of an iteration variable, found `in`"
    );
}

#[test]
fn if_expressions_extend_right() {
    assert_eq!(sx("if c then a else b"), "(if c a b)");
    assert_eq!(sx("if a then b else c + 1"), "(if a b (+ c 1))");
    assert_eq!(sx("1 + if a then 1 else 2 + 3"), "(+ 1 (if a 1 (+ 2 3)))");
    assert_eq!(
        sx("if a then if b then 1 else 2 else 3"),
        "(if a (if b 1 2) 3)"
    );
    assert_eq!(
        sx("if a > 1 and b then x or y else null"),
        "(if (and (> a 1) b) (or x y) null)"
    );
    assert_eq!(
        err("if a then b").message,
        "expected `else` after the `then` branch of `if`, found the end of the text"
    );
    assert_eq!(
        err("if a b else c").message,
        "expected `then` after the condition of `if`, found `b`; if `a b` is one name, it must be declared"
    );
}

#[test]
fn function_definitions() {
    assert_eq!(
        sx("function(a, b: number) a + b"),
        "(fn (a, b:`number`) (+ a b))"
    );
    assert_eq!(sx("function() 1"), "(fn () 1)");
    assert_eq!(
        sx("function(d: date and time, l: list<number>) d"),
        "(fn (d:`date and time`, l:list<`number`>) d)"
    );
    assert_eq!(
        sx("function(x) function(y) x + y"),
        "(fn (x) (fn (y) (+ x y)))"
    );
    let e = err(r#"function(x) external {java: {class: "a", method signature: "b"}}"#);
    assert_eq!(e.message, "external functions are not supported");
    assert_eq!(e.span, span(12, 20));
    assert_eq!(err("function(a, a) 1").message, "duplicate parameter `a`");
    assert_eq!(
        err("function x").message,
        "expected `(` after `function`, found `x`"
    );
}

// ---- input value --------------------------------------------------------------------------

#[test]
fn input_value() {
    assert_eq!(sx("? + 1"), "(+ ? 1)");
    assert_eq!(sx("? > 5 and ? < 10"), "(and (> ? 5) (< ? 10))");
    assert_eq!(parse("?").kind, ExprKind::InputValue);
}

// ---- unary tests --------------------------------------------------------------------------

#[test]
fn unary_tests() {
    assert_eq!(ut("-"), "any");
    assert_eq!(ut("  -  "), "any");
    assert_eq!(ut("-5"), "<-5>");
    assert_eq!(ut("- 5"), "<(neg 5)>");
    assert_eq!(ut("< 5"), "<(< 5)>");
    assert_eq!(ut("<5"), "<(< 5)>");
    assert_eq!(ut(">= @\"2024-01-01\""), "<(>= @\"2024-01-01\")>");
    assert_eq!(ut("!= \"x\""), "<(!= \"x\")>");
    assert_eq!(ut("= 5"), "<(= 5)>");
    assert_eq!(ut(r#""a""#), r#"<"a">"#);
    assert_eq!(ut(r#""a", "b""#), r#"<"a" | "b">"#);
    assert_eq!(ut("[1..10)"), "<[1..10)>");
    assert_eq!(ut("]1..5[, 7"), "<(1..5) | 7>");
    assert_eq!(ut("null"), "<null>");
    assert_eq!(ut("? > 5 and ? < 10"), "<(and (> ? 5) (< ? 10))>");
    assert_eq!(ut("< 5, > 10"), "<(< 5) | (> 10)>");
    assert_eq!(ut("<= x + 1"), "<(<= (+ x 1))>");
    assert_eq!(ut("true"), "<true>");
    assert_eq!(
        ut_with("< Credit Limit", &["Credit Limit"]),
        "<(< `Credit Limit`)>"
    );
    assert_eq!(ut("date(\"2020-01-01\")"), "<(call date \"2020-01-01\")>");
    assert_eq!(ut("count(?) > 1"), "<(> (call count ?) 1)>");
}

#[test]
fn negated_unary_tests() {
    assert_eq!(ut(r#"not("a", "b")"#), r#"not <"a" | "b">"#);
    assert_eq!(ut("not(< 5)"), "not <(< 5)>");
    assert_eq!(ut(" not ( [1..5], >10 ) "), "not <[1..5] | (> 10)>");
    assert_eq!(ut("not(null)"), "not <null>");
    // `not(…)` followed by more is a call of the `not` function in a positive test.
    assert_eq!(ut("not(?) = true"), "<(= (call not ?) true)>");
    assert_eq!(ut("not(?), false"), "<(call not ?) | false>");
}

#[test]
fn unary_test_errors() {
    let e = ut_err("");
    assert_eq!(
        e.message,
        "expected a unary test, found an empty cell; write `-` to match any value"
    );
    assert_eq!(ut_err("   ").span, span(3, 3));
    assert_eq!(
        ut_err("-, 5").message,
        "`-` (any value) must be the only test of a cell"
    );
    assert_eq!(
        ut_err("1 2").message,
        "expected `,` or the end of the unary tests, found `2`"
    );
    assert_eq!(
        ut_err("not(1, 2").message,
        "expected `,` or `)` after the tests of `not(…)`, found the end of the text"
    );
    assert_eq!(
        ut_err("<").message,
        "expected an expression, found the end of the text"
    );
    assert_eq!(ut_err("\"a\",").span, span(4, 4));
}

// ---- types --------------------------------------------------------------------------------

#[test]
fn type_refs() {
    assert_eq!(ty("number"), "`number`");
    assert_eq!(ty("  date and time "), "`date and time`");
    assert_eq!(ty("list<number>"), "list<`number`>");
    assert_eq!(ty("list<list<string>>"), "list<list<`string`>>");
    assert_eq!(
        ty("context<first name: string, age: number>"),
        "context<first name: `string`, age: `number`>"
    );
    assert_eq!(ty("context<>"), "context<>");
    assert_eq!(ty("range<date>"), "range<`date`>");
    assert_eq!(
        ty("function<number> -> string"),
        "function<`number`> -> `string`"
    );
    assert_eq!(ty("function<>->Any"), "function<> -> Any");
    assert_eq!(
        ty("function<list<number>, Any> -> function<number> -> Null"),
        "function<list<`number`>, Any> -> function<`number`> -> Null"
    );
    assert_eq!(ty("Loan Type"), "`Loan Type`");
    assert_eq!(ty("ns.tPerson"), "`ns.tPerson`");
    assert_eq!(ty("Any"), "Any");
    assert_eq!(ty("Null"), "Null");
}

#[test]
fn type_ref_errors() {
    let e = parse_type_ref("list<number").unwrap_err();
    assert_eq!(
        e.message,
        "expected `>` to close `list<`, found the end of the text"
    );
    let e = parse_type_ref("context<a number>").unwrap_err();
    assert_eq!(
        e.message,
        "expected `:` after the key `a number`, found `>`"
    );
    let e = parse_type_ref("function<number>").unwrap_err();
    assert_eq!(
        e.message,
        "expected `->` and the result type after `function<…>`, found the end of the text"
    );
    assert_eq!(
        parse_type_ref("").unwrap_err().message,
        "expected a type, found the end of the text"
    );
    assert_eq!(
        parse_type_ref("number, string").unwrap_err().message,
        "expected the end of the type, found `,`"
    );
    assert_eq!(
        parse_type_ref("context<a: number, a: string>")
            .unwrap_err()
            .message,
        "duplicate context key `a`"
    );
}

// ---- spans --------------------------------------------------------------------------------

#[test]
fn spans_are_byte_offsets() {
    let e = parse("1 + 2");
    assert_eq!(e.span, span(0, 5));
    let ExprKind::Arith(_, a, b) = &e.kind else {
        panic!()
    };
    assert_eq!((a.span, b.span), (span(0, 1), span(4, 5)));

    let e = parse_with("  Customer  Age * 2", &["Customer Age"]);
    let ExprKind::Arith(_, a, _) = &e.kind else {
        panic!()
    };
    assert_eq!(a.span, span(2, 15));
    assert_eq!(e.span, span(2, 19));

    assert_eq!(parse("-5").span, span(0, 2));
    assert_eq!(parse("(a)").span, span(0, 3));
    assert_eq!(parse("f(x, y)").span, span(0, 7));
    assert_eq!(parse("a.b").span, span(0, 3));
    assert_eq!(parse("l[1]").span, span(0, 4));
    assert_eq!(parse("{a: 1}").span, span(0, 6));
    assert_eq!(parse("[1..5)").span, span(0, 6));
    assert_eq!(parse("< 5").span, span(0, 3));
    assert_eq!(parse("x in (1, 2)").span, span(0, 11));
    assert_eq!(parse("x instance of list<number>").span, span(0, 26));
    assert_eq!(parse("if a then b else c").span, span(0, 18));
    assert_eq!(parse("for x in l return x").span, span(0, 19));
    assert_eq!(parse("function(x) x").span, span(0, 13));
    // Multi-byte characters: offsets are bytes.
    let e = parse("\"é\" + ü");
    let ExprKind::Arith(_, a, b) = &e.kind else {
        panic!()
    };
    assert_eq!((a.span, b.span), (span(0, 4), span(7, 9)));

    let Ok(UnaryTests::Positive(tests)) = parse_unary_tests(" < 10, [1..2]", &Names::new()) else {
        panic!()
    };
    let UnaryTest::Compare(CmpOp::Lt, endpoint) = &tests[0] else {
        panic!()
    };
    assert_eq!(endpoint.span, span(3, 5));
    let UnaryTest::Expr(range) = &tests[1] else {
        panic!()
    };
    assert_eq!(range.span, span(7, 13));
}

// ---- errors -------------------------------------------------------------------------------

#[test]
fn error_messages_point_at_the_offending_token() {
    let e = err("f(1]");
    assert_eq!(
        e.message,
        "expected `)` after the arguments of `f`, found `]`"
    );
    assert_eq!(e.span, span(3, 4));
    let e = err("string length(\"a\"]");
    assert_eq!(
        e.message,
        "expected `)` after the arguments of `string length`, found `]`"
    );
    let e = err("a # b");
    assert_eq!(e.message, "unknown character `#`");
    assert_eq!(e.span, span(2, 3));
    let e = err("\"abc");
    assert_eq!(e.message, "unterminated string literal");
    assert_eq!(e.span, span(0, 4));
    let e = err("1 +");
    assert_eq!(
        e.message,
        "expected an expression, found the end of the text"
    );
    assert_eq!(e.span, span(3, 3));
    let e = err("(1 + 2");
    assert_eq!(
        e.message,
        "expected `)` to close `(`, found the end of the text"
    );
    let e = err("1 2");
    assert_eq!(e.message, "expected the end of the expression, found `2`");
    assert_eq!(e.span, span(2, 3));
    assert_eq!(
        err("").message,
        "expected an expression, found the end of the text"
    );
    assert_eq!(err("then").message, "expected an expression, found `then`");
    assert_eq!(
        err("'a'").message,
        "expected an expression, found `'`; FEEL strings use double quotes"
    );
    assert_eq!(err("{a: 1, a: 2}").message, "duplicate context key `a`");
    assert_eq!(err("{a: 1, a: 2}").span, span(7, 8));
    assert_eq!(
        err("{a 1}").message,
        "expected `:` after the context key `a 1`, found `}`"
    );
    assert_eq!(
        err("{a: 1 b: 2}").message,
        "expected `,` or `}` in the context, found `b`"
    );
    assert_eq!(
        err("{1: 2}").message,
        "expected a context key (a name or a string), found `1`"
    );
    assert_eq!(
        err("a.1").message,
        "expected the end of the expression, found `.1`"
    );
    assert_eq!(
        err("a.").message,
        "expected a name after `.`, found the end of the text"
    );
    assert_eq!(
        err("l[1").message,
        "expected `]` after the filter, found the end of the text"
    );
    assert!(err("1 ! 2").message.starts_with("unknown character `!`"));
    let long = format!("{}(1]", "x".repeat(100));
    assert_eq!(
        err(&long).message,
        format!(
            "expected `)` after the arguments of `{}…`, found `]`",
            "x".repeat(40)
        )
    );
}

// ---- nesting limit ------------------------------------------------------------------------

fn assert_too_deep(text: &str) {
    let e = parse_expression(text, &Names::new()).unwrap_err();
    assert_eq!(
        e.message,
        "expression nests deeper than 100 levels",
        "{}",
        &text[..40.min(text.len())]
    );
}

#[test]
fn nesting_up_to_the_limit_parses() {
    // The whole expression is level 1; each parenthesis adds one.
    let text = format!("{}1{}", "(".repeat(99), ")".repeat(99));
    assert_eq!(sx(&text), "1");
    let text = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert_too_deep(&text);
    let text = format!("{}5", "-".repeat(62));
    assert!(parse_expression(&text, &Names::new()).is_ok());
    assert_eq!(MAX_NESTING, 100);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    const N: usize = 100_000;
    assert_too_deep(&"(".repeat(N));
    assert_too_deep(&format!("{}1{}", "(".repeat(N), ")".repeat(N)));
    assert_too_deep(&format!("{}5", "-".repeat(N)));
    assert_too_deep(&format!("{}5", "- ".repeat(N)));
    assert_too_deep(&"[".repeat(N));
    assert_too_deep(&"{a:".repeat(N));
    assert_too_deep(&"< ".repeat(N));
    assert_too_deep(&"if a then b else ".repeat(N));
    assert_too_deep(&"for x in l return ".repeat(N));
    assert_too_deep(&"function() ".repeat(N));
    assert_too_deep(&"f(".repeat(N));
    assert_too_deep(&"x in (".repeat(N));
    assert_too_deep(&format!("a{}", ".b".repeat(N)));
    assert_too_deep(&format!("f{}", "()".repeat(N)));
    assert_too_deep(&format!("l{}", "[1]".repeat(N)));
    assert_too_deep(&format!("x instance of {}number", "list<".repeat(N)));
    assert_too_deep(&"-(".repeat(N));
    let e = parse_unary_tests(&"not(".repeat(N), &Names::new()).unwrap_err();
    assert_eq!(e.message, "expression nests deeper than 100 levels");
    let e = parse_type_ref(&"list<".repeat(N)).unwrap_err();
    assert_eq!(e.message, "expression nests deeper than 100 levels");
}

#[test]
fn deep_nesting_error_points_at_the_level_that_is_too_deep() {
    let e = parse_expression(&"(".repeat(150), &Names::new()).unwrap_err();
    assert_eq!(e.span, span(100, 101));
}

// ---- robustness ---------------------------------------------------------------------------

/// Checks that every span of `e` lies within `len` bytes and covers its children.
fn check_spans(e: &Expr, len: usize) {
    assert!(
        e.span.start <= e.span.end && e.span.end as usize <= len,
        "{e:?}"
    );
    let mut children: Vec<&Expr> = Vec::new();
    match &e.kind {
        ExprKind::Path(a, _) | ExprKind::Neg(a) | ExprKind::InstanceOf(a, _) => children.push(a),
        ExprKind::Filter(a, b)
        | ExprKind::Arith(_, a, b)
        | ExprKind::Compare(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => children.extend([&**a, &**b]),
        ExprKind::Call(f, args) => {
            children.push(f);
            match args {
                Args::Positional(args) => children.extend(args),
                Args::Named(args) => children.extend(args.iter().map(|(_, a)| a)),
            }
        }
        ExprKind::Between { value, low, high } => children.extend([&**value, &**low, &**high]),
        ExprKind::In(v, tests) => {
            children.push(v);
            for t in tests {
                match t {
                    UnaryTest::Compare(_, e) | UnaryTest::Expr(e) => children.push(e),
                }
            }
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => children.extend([&**cond, &**then, &**otherwise]),
        ExprKind::For(its, body) | ExprKind::Quantified(_, its, body) => {
            for it in its {
                match &it.source {
                    IterationSource::List(l) => children.push(l),
                    IterationSource::Range { from, to } => children.extend([from, to]),
                }
            }
            children.push(body);
        }
        ExprKind::List(items) => children.extend(items),
        ExprKind::Context(entries) => children.extend(entries.iter().map(|(_, v)| v)),
        ExprKind::Range { start, end, .. } => {
            children.extend(start.as_deref());
            children.extend(end.as_deref());
        }
        ExprKind::FunctionDef { body, .. } => children.push(body),
        _ => {}
    }
    for child in children {
        assert!(
            e.span.start <= child.span.start && child.span.end <= e.span.end,
            "child {child:?} outside {e:?}"
        );
        check_spans(child, len);
    }
}

#[test]
fn random_token_soup_never_panics() {
    const PIECES: &[&str] = &[
        "a",
        "b c",
        "Customer Age",
        "date and time",
        "1",
        "-",
        "-5",
        ".5",
        "1.5e3",
        "\"s\"",
        "@\"P1D\"",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        ".",
        "..",
        "+",
        "*",
        "**",
        "/",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "?",
        "'",
        "->",
        "if",
        "then",
        "else",
        "for",
        "in",
        "return",
        "some",
        "every",
        "satisfies",
        "and",
        "or",
        "not",
        "between",
        "instance",
        "of",
        "function",
        "external",
        "null",
        "true",
        "false",
        "list<",
        "context<",
        "x:",
        "é",
        "🐎",
        "/*c*/",
        "//c\n",
        " ",
        "\"\\u00e9\"",
        "\"\\uD83D\"",
    ];
    let names = names(&["Customer Age", "b c"]);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..20_000 {
        let count = 1 + next(14);
        let mut text = String::new();
        for _ in 0..count {
            text.push_str(PIECES[next(PIECES.len())]);
            if next(3) > 0 {
                text.push(' ');
            }
        }
        match parse_expression(&text, &names) {
            Ok(e) => {
                ok += 1;
                check_spans(&e, text.len());
            }
            Err(e) => {
                failed += 1;
                assert!(e.span.start <= e.span.end && e.span.end as usize <= text.len());
                assert!(
                    text.is_char_boundary(e.span.start as usize),
                    "{text:?} {e:?}"
                );
                assert!(!e.message.is_empty() && !e.message.ends_with('.'));
            }
        }
        if let Err(e) = parse_unary_tests(&text, &names) {
            assert!(e.span.end as usize <= text.len());
        }
        if let Err(e) = parse_type_ref(&text) {
            assert!(e.span.end as usize <= text.len());
        }
    }
    // The soup must exercise both outcomes.
    assert!(ok > 100 && failed > 100, "ok {ok}, failed {failed}");
}

#[test]
fn tck_style_expressions_have_consistent_spans() {
    for text in [
        "for i in 0..4 return if i = 0 then 1 else i * partial[-1]",
        "{ a: 1, b: { c: a + 1 }, d: [a, b.c][item > 1] }",
        "x in (1, < 5, [2..3), ]4..5[) and y instance of list<number>",
        "some x in [1, 2] satisfies every y in [x] satisfies y between 1 and x",
        "function(a: number, b) a ** -b + f(x: 1).y",
        "date and time(\"2024-01-01T00:00:00\").time offset",
    ] {
        check_spans(&parse(text), text.len());
    }
}
