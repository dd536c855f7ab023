//! The DMN 1.5 built-in library, group by group. Expected values follow the DMN 1.5 spec
//! and the DMN TCK level 3 suites (`0050`–`0098`, `1100`–`1156`).

#![allow(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use common::*;
use cpm_core::feel::builtins::{self, Invoke};
use cpm_core::feel::err::EvalError;
use cpm_core::value::Value;

const NULL: Value = Value::Null;

#[test]
fn library_is_sorted_complete_and_rejects_the_clock() {
    let names: Vec<&str> = builtins::all().iter().map(|b| b.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        names, sorted,
        "the table must be sorted and free of duplicates"
    );
    // The parser's list of built-in names and the library agree exactly: every name the
    // parser recognises is implemented, except the clock functions, which are refused.
    let mut parser_names: Vec<&str> = cpm_core::feel::names::BUILTIN_NAMES
        .iter()
        .copied()
        .filter(|n| builtins::unsupported(n).is_none())
        .collect();
    parser_names.sort_unstable();
    assert_eq!(names, parser_names);
    for name in &names {
        assert!(builtins::lookup(name).is_some(), "missing built-in {name}");
        assert_eq!(builtins::unsupported(name), None);
    }
    for name in ["now", "today"] {
        assert!(builtins::lookup(name).is_none());
        assert!(builtins::unsupported(name).is_some_and(|m| m.contains("clock")));
    }
    assert!(builtins::lookup("no such function").is_none());
}

#[test]
fn arity_and_named_arguments() {
    assert_eq!(calls("abs", vec![]), "null");
    assert_eq!(calls("abs", vec![n("1"), n("1")]), "null");
    assert_eq!(lit(&call_named("abs", vec![("n", n("-1"))])), "1");
    assert_eq!(lit(&call_named("abs", vec![("number", n("-1"))])), "null");
    assert_eq!(lit(&call_named("sqrt", vec![("number", n("4"))])), "2");
    assert_eq!(
        lit(&call_named(
            "modulo",
            vec![("dividend", n("10")), ("divisor", n("4"))]
        )),
        "2"
    );
    assert_eq!(
        lit(&call_named(
            "modulo",
            vec![("dividend", n("10")), ("foo", n("4"))]
        )),
        "null"
    );
    assert_eq!(
        lit(&call_named(
            "modulo",
            vec![("dividend", n("10")), ("dividend", n("4"))]
        )),
        "null"
    );
    assert_eq!(
        lit(&call_named(
            "substring",
            vec![("string", s("foobar")), ("start  position", n("3"))]
        )),
        r#""obar""#
    );
    assert_eq!(
        lit(&call_named(
            "number",
            vec![
                ("from", s("1.000.000,01")),
                ("decimal separator", s(",")),
                ("grouping separator", s("."))
            ]
        )),
        "1000000.01"
    );
    assert_eq!(
        lit(&call_named(
            "number",
            vec![("from", s("1")), ("decimal sep", s(","))]
        )),
        "null"
    );
    assert_eq!(
        lit(&call_named("time", vec![("from", s("12:45:00"))])),
        r#"@"12:45:00""#
    );
    assert_eq!(
        lit(&call_named(
            "time",
            vec![
                ("hour", n("11")),
                ("minute", n("59")),
                ("second", n("0")),
                ("offset", t("-PT2H"))
            ]
        )),
        r#"@"11:59:00-02:00""#
    );
    assert_eq!(
        lit(&call_named(
            "date",
            vec![("year", n("2017")), ("month", n("8")), ("day", n("30"))]
        )),
        r#"@"2017-08-30""#
    );
    assert_eq!(
        lit(&call_named("min", vec![("list", l(vec![n("3"), n("1")]))])),
        "1"
    );
    assert_eq!(
        lit(&call_named("all", vec![("l", l(vec![b(true)]))])),
        "null"
    );
    assert_eq!(
        lit(&call_named("is", vec![("value1", t("2021-02-13"))])),
        "false"
    );
}

#[test]
fn conversions() {
    assert_eq!(calls("date", vec![s("2017-12-31")]), r#"@"2017-12-31""#);
    assert_eq!(calls("date", vec![s("-2017-01-01")]), r#"@"-2017-01-01""#);
    assert_eq!(
        calls("date", vec![t("2017-08-14T14:25:00.123456789")]),
        r#"@"2017-08-14""#
    );
    assert_eq!(
        calls("date", vec![n("2017"), n("12"), n("31")]),
        r#"@"2017-12-31""#
    );
    assert_eq!(
        calls("date", vec![n("-2017"), n("1"), n("1")]),
        r#"@"-2017-01-01""#
    );
    for bad in [
        vec![NULL],
        vec![],
        vec![s("2012-12-25T")],
        vec![n("1")],
        vec![l(vec![])],
        vec![n("2017"), n("13"), n("31")],
        vec![n("2017"), n("-8"), n("2")],
        vec![n("2017"), NULL, n("1")],
        vec![n("2017"), n("1.5"), n("1")],
    ] {
        assert_eq!(calls("date", bad.clone()), "null", "date({bad:?})");
    }
    assert_eq!(
        calls("date and time", vec![s("2012-12-24")]),
        r#"@"2012-12-24T00:00:00""#
    );
    assert_eq!(
        calls(
            "date and time",
            vec![t("2017-01-01"), t("23:59:01@Europe/Paris")]
        ),
        r#"@"2017-01-01T23:59:01@Europe/Paris""#
    );
    assert_eq!(
        calls(
            "date and time",
            vec![t("2017-08-10T10:20:00+02:00"), t("23:59:01")]
        ),
        r#"@"2017-08-10T23:59:01""#
    );
    assert_eq!(
        calls("date and time", vec![t("2017-08-10T10:20:00"), NULL]),
        "null"
    );
    assert_eq!(calls("date and time", vec![s("11:00:00")]), "null");
    assert_eq!(calls("time", vec![s("11:22:33.444")]), r#"@"11:22:33.444""#);
    assert_eq!(
        calls("time", vec![t("2017-08-10T10:20:00+01:00")]),
        r#"@"10:20:00+01:00""#
    );
    assert_eq!(calls("time", vec![t("2017-08-10")]), r#"@"00:00:00Z""#);
    assert_eq!(
        calls("time", vec![n("12"), n("0"), n("0"), NULL]),
        r#"@"12:00:00""#
    );
    assert_eq!(
        calls("time", vec![n("11"), n("59"), n("45"), t("PT0H")]),
        r#"@"11:59:45Z""#
    );
    assert_eq!(
        calls("time", vec![n("11"), n("59"), n("45"), t("-PT2H45M55S")]),
        r#"@"11:59:45-02:45:55""#
    );
    assert_eq!(
        calls("time", vec![n("12"), n("59"), n("1.3"), t("-PT1H")]),
        r#"@"12:59:01.3-01:00""#
    );
    assert_eq!(calls("time", vec![n("24"), n("59"), n("45"), NULL]), "null");
    assert_eq!(calls("time", vec![n("23"), n("59"), n("60"), NULL]), "null");
    assert_eq!(
        calls("time", vec![n("12"), n("0"), n("0"), t("PT19H")]),
        "null"
    );
    assert_eq!(
        calls("time", vec![NULL, n("11"), n("45"), t("P0D")]),
        "null"
    );
    assert_eq!(calls("time", vec![n("2017")]), "null");

    assert_eq!(
        calls("number", vec![s("1.000.000,01"), s("."), s(",")]),
        "1000000.01"
    );
    assert_eq!(
        calls("number", vec![s("1 000 000.01"), s(" "), s(".")]),
        "1000000.01"
    );
    assert_eq!(
        calls("number", vec![s("1,000,000.01"), s(" "), s(".")]),
        "null"
    );
    assert_eq!(
        calls("number", vec![s("1,000,000.01"), s(":"), s(".")]),
        "null"
    );
    assert_eq!(
        calls("number", vec![s("1,000,000.01"), n("123"), s(".")]),
        "null"
    );
    assert_eq!(
        calls("number", vec![s("1000000.01"), NULL, s(".")]),
        "1000000.01"
    );
    assert_eq!(
        calls("number", vec![s("1,000,000"), s(","), NULL]),
        "1000000"
    );
    assert_eq!(
        calls("number", vec![s("1,000,000.00"), s(","), s(",")]),
        "null"
    );
    assert_eq!(
        calls("number", vec![s("foo,bar.001"), s("."), s(",")]),
        "null"
    );
    assert_eq!(calls("number", vec![s("1.000.000,01"), s(".")]), "null");
    assert_eq!(calls("number", vec![s("-12.5")]), "-12.5");
    assert_eq!(calls("number", vec![s("1e3")]), "1000");
    assert_eq!(calls("number", vec![s("abc")]), "null");
    assert_eq!(calls("number", vec![n("123")]), "null");

    assert_eq!(calls("string", vec![n("-0.0")]), r#""0""#);
    assert_eq!(calls("string", vec![n("1.50")]), r#""1.5""#);
    assert_eq!(calls("string", vec![t("P0D")]), r#""PT0S""#);
    assert_eq!(
        calls("string", vec![l(vec![n("1"), s("a")])]),
        r#""[1, \"a\"]""#
    );
    assert_eq!(calls("string", vec![NULL]), "null");
    assert_eq!(calls("string", vec![f("abs")]), "null");

    assert_eq!(
        calls("duration", vec![s("P1DT2H3M4.123456789S")]),
        r#"@"P1DT2H3M4.123456789S""#
    );
    assert_eq!(calls("duration", vec![s("P26M")]), r#"@"P2Y2M""#);
    assert_eq!(calls("duration", vec![s("P")]), "null");
    assert_eq!(calls("duration", vec![n("2017")]), "null");

    let ymd = |a: &str, b: &str| calls("years and months duration", vec![t(a), t(b)]);
    assert_eq!(ymd("2011-12-22", "2013-08-24"), r#"@"P1Y8M""#);
    assert_eq!(ymd("2013-08-24", "2011-12-22"), r#"@"-P1Y8M""#);
    assert_eq!(ymd("2016-01-01", "2016-01-01"), r#"@"P0M""#);
    assert_eq!(
        ymd("2016-09-30T23:25:00", "2017-12-28T12:12:12"),
        r#"@"P1Y2M""#
    );
    assert_eq!(
        ymd("2014-12-31T23:59:59", "2019-10-01T12:32:59"),
        r#"@"P4Y9M""#
    );
    assert_eq!(
        ymd("-2016-01-30T09:05:00", "-2017-02-28T02:02:02"),
        r#"@"-P11M""#
    );
    assert_eq!(
        ymd("2014-12-31T23:59:59", "-2019-10-01T12:32:59"),
        r#"@"-P4033Y2M""#
    );
    assert_eq!(
        ymd("2017-09-05T10:20:00-01:00", "-2019-10-01T12:32:59+02:00"),
        r#"@"-P4035Y11M""#
    );
    assert_eq!(
        ymd("2014-12-31T23:59:59", "2016-12-31T00:00:01"),
        r#"@"P2Y""#
    );
    assert_eq!(ymd("2013-08-24", "2017-12-15T00:59:59"), r#"@"P4Y3M""#);
    assert_eq!(
        calls("years and months duration", vec![t("2017-08-11"), NULL]),
        "null"
    );
}

#[test]
fn boolean_not() {
    assert_eq!(calls("not", vec![b(true)]), "false");
    assert_eq!(calls("not", vec![b(false)]), "true");
    assert_eq!(calls("not", vec![NULL]), "null");
    assert_eq!(calls("not", vec![n("1")]), "null");
}

#[test]
fn substring_counts_code_points() {
    let sub = |x: &str, args: Vec<Value>| {
        let mut all = vec![s(x)];
        all.extend(args);
        calls("substring", all)
    };
    assert_eq!(sub("foobar", vec![n("3")]), r#""obar""#);
    assert_eq!(sub("foobar", vec![n("3"), n("3")]), r#""oba""#);
    assert_eq!(sub("foobar", vec![n("-2"), n("1")]), r#""a""#);
    assert_eq!(sub("foob r", vec![n("-2"), n("1")]), r#"" ""#);
    assert_eq!(sub("foobar", vec![n("-6"), n("6")]), r#""foobar""#);
    assert_eq!(sub("foobar", vec![n("3"), n("3.8")]), r#""oba""#);
    assert_eq!(sub("foobar", vec![n("6")]), r#""r""#);
    assert_eq!(sub("foobar", vec![n("7")]), r#""""#);
    assert_eq!(sub("foobar", vec![n("3"), n("100")]), r#""obar""#);
    assert_eq!(sub("foobar", vec![n("0")]), "null");
    assert_eq!(sub("foobar", vec![n("8")]), "null");
    assert_eq!(sub("foobar", vec![n("-7")]), "null");
    assert_eq!(sub("foobar", vec![n("1"), n("-1")]), "null");
    assert_eq!(sub("\u{1F40E}foo", vec![n("2")]), r#""foo""#);
    assert_eq!(sub("a\u{1F40E}b", vec![n("2"), n("1")]), "\"\u{1F40E}\"");
    assert_eq!(sub("a\u{1F40E}b", vec![n("-1")]), r#""b""#);
    assert_eq!(calls("string length", vec![s("\u{1F40E}\u{1F600}")]), "2");
    assert_eq!(calls("string length", vec![s("")]), "0");
    assert_eq!(calls("string length", vec![n("1")]), "null");
}

#[test]
fn string_functions() {
    assert_eq!(calls("upper case", vec![s("aBc4ß")]), r#""ABC4SS""#);
    assert_eq!(calls("lower case", vec![s("ABc4Ä")]), r#""abc4ä""#);
    assert_eq!(
        calls("substring before", vec![s("foobar"), s("bar")]),
        r#""foo""#
    );
    assert_eq!(
        calls("substring before", vec![s("foobar"), s("x")]),
        r#""""#
    );
    assert_eq!(calls("substring before", vec![s("abc"), s("")]), r#""""#);
    assert_eq!(
        calls("substring after", vec![s("foobar"), s("o")]),
        r#""obar""#
    );
    assert_eq!(calls("substring after", vec![s("abc"), s("")]), r#""abc""#);
    assert_eq!(calls("substring after", vec![s(""), s("a")]), r#""""#);
    assert_eq!(calls("contains", vec![s("foobar"), s("bar")]), "true");
    assert_eq!(calls("contains", vec![s(""), s("")]), "true");
    assert_eq!(calls("contains", vec![s(""), s("ab")]), "false");
    assert_eq!(calls("contains", vec![NULL, s("bar")]), "null");
    assert_eq!(
        calls("contains", vec![s("\u{1F40E}\u{1F600}"), s("\u{1F600}")]),
        "true"
    );
    assert_eq!(calls("starts with", vec![s("foobar"), s("fo")]), "true");
    assert_eq!(calls("ends with", vec![s("foobar"), s("r")]), "true");
    assert_eq!(calls("ends with", vec![s("foobar"), n("1")]), "null");
    assert_eq!(
        calls("split", vec![s("John Doe"), s("\\s")]),
        r#"["John", "Doe"]"#
    );
    assert_eq!(
        calls("split", vec![s("a;b;c;;"), s(";")]),
        r#"["a", "b", "c", "", ""]"#
    );
    assert_eq!(calls("split", vec![s("foo"), NULL]), "null");
    assert_eq!(
        calls(
            "string join",
            vec![l(vec![s("a"), s("b"), s("c")]), s(" and ")]
        ),
        r#""a and b and c""#
    );
    assert_eq!(
        calls("string join", vec![l(vec![s("a"), NULL, s("c")])]),
        r#""ac""#
    );
    assert_eq!(
        calls("string join", vec![l(vec![s("a"), NULL, s("c")]), s("X")]),
        r#""aXc""#
    );
    assert_eq!(calls("string join", vec![l(vec![]), s("X")]), r#""""#);
    assert_eq!(calls("string join", vec![l(vec![s("a")]), NULL]), r#""a""#);
    assert_eq!(calls("string join", vec![l(vec![n("1")]), s("X")]), "null");
    assert_eq!(calls("string join", vec![s("a"), s("X")]), r#""a""#);
    assert_eq!(calls("string join", vec![NULL]), "null");
}

#[test]
fn regular_expressions() {
    let m = |input: &str, pattern: &str, flags: Option<&str>| {
        let mut args = vec![s(input), s(pattern)];
        if let Some(f) = flags {
            args.push(s(f));
        }
        calls("matches", args)
    };
    assert_eq!(m("abracadabra", "bra", None), "true");
    assert_eq!(
        calls("matches", vec![s("abracadabra"), s("bra"), NULL]),
        "true"
    );
    assert_eq!(m("abracadabra", "^a.*a$", None), "true");
    assert_eq!(m("abracadabra", "bra", Some("p")), "null");
    assert_eq!(m("\nabcd\ndefg\n", "^$", Some("m")), "true");
    assert_eq!(m("abcd\n\ndefg\n ", "^$", Some("m")), "true");
    assert_eq!(m("Mary\rJones", "Mary.Jones", None), "false");
    assert_eq!(m("Mary\nJones", "Mary.Jones", Some("s")), "true");
    assert_eq!(m("abc", "ABC", Some("i")), "true");
    assert_eq!(m("Q", "[^Q]", Some("i")), "false");
    assert_eq!(m("hello world", "hello\\ sworld", Some("x")), "true");
    assert_eq!(m("hello world", "he ll o[ ]worl d", Some("x")), "true");
    assert_eq!(m("a+b", "a+b", Some("q")), "true");
    assert_eq!(m("aab", "a+b", Some("q")), "false");
    assert_eq!(m("a&b~c#", "[&~#]", None), "true");
    assert_eq!(m("_", "\\w", None), "false");
    assert_eq!(m("$", "\\w", None), "true");
    assert_eq!(m("é", "\\w", None), "true");
    assert_eq!(m("a", "a[^b]", None), "false");
    assert_eq!(m("a ", "a[^b]", None), "true");
    // Unsupported constructs are rejected (null), never matched wrongly.
    assert_eq!(m("aA", "(a)\\1", Some("i")), "null");
    assert_eq!(m("h", "(.)\\3", None), "null");
    assert_eq!(m("x", "[A-Z-[OI]]", Some("i")), "null");
    assert_eq!(m("hello world", "\\p{IsBasicLatin}+", None), "null");
    assert_eq!(m("abc", "(", None), "null");
    assert_eq!(m("input", "pattern", Some(" ")), "null");
    assert_eq!(calls("matches", vec![s("input"), l(vec![])]), "null");
    assert_eq!(calls("matches", vec![s("input")]), "null");

    let rep = |input: &str, pattern: &str, replacement: &str| {
        calls("replace", vec![s(input), s(pattern), s(replacement)])
    };
    assert_eq!(rep("abcd", "(ab)|(a)", "[1=$1][2=$2]"), r#""[1=ab][2=]cd""#);
    assert_eq!(rep("foobar", "^fo*b*", "#"), r##""#ar""##);
    assert_eq!(rep("abracadabra", "a.*?a", "*"), r#""*c*bra""#);
    assert_eq!(rep("abracadabra", "a(.)", "a$1$1"), r#""abbraccaddabbra""#);
    assert_eq!(rep("AAAA", "A+?", "b"), r#""bbbb""#);
    assert_eq!(rep("darted", "^(.*?)d(.*)$", "$1c$2"), r#""carted""#);
    assert_eq!(
        rep("0123456789", "(\\d{3})(\\d{3})(\\d{4})", "($1) $2-$3"),
        r#""(012) 345-6789""#
    );
    assert_eq!(
        rep("facetiously", "[iouy]", "[$0]"),
        r#""facet[i][o][u]sl[y]""#
    );
    assert_eq!(rep("abc", "b", "\\$"), r#""a$c""#);
    assert_eq!(rep("abc", "b", "$"), "null");
    assert_eq!(rep("abc", "b", "\\x"), "null");
    assert_eq!(rep("abc", "(b)", "$12"), r#""ab2c""#);
    assert_eq!(
        calls("replace", vec![s("abc"), s("[A-Z]"), s("#"), s("i")]),
        "\"###\""
    );
    assert_eq!(
        calls("replace", vec![s("a b c d "), s("[a-z]"), s("#"), s("x")]),
        r##""# # # # ""##
    );
}

fn nums(xs: &[&str]) -> Value {
    l(xs.iter().map(|x| n(x)).collect())
}

#[test]
fn list_functions() {
    let abc = l(vec![s("a"), s("b"), s("c")]);
    assert_eq!(calls("list contains", vec![abc.clone(), s("b")]), "true");
    assert_eq!(
        calls("list contains", vec![l(vec![n("1"), NULL]), NULL]),
        "true"
    );
    assert_eq!(calls("list contains", vec![abc.clone(), n("1")]), "false");
    assert_eq!(calls("count", vec![abc.clone()]), "3");
    assert_eq!(calls("count", vec![l(vec![])]), "0");
    assert_eq!(calls("min", vec![nums(&["6", "14", "-3"])]), "-3");
    assert_eq!(calls("min", vec![n("6"), n("14"), n("-3")]), "-3");
    assert_eq!(
        calls("max", vec![l(vec![s("a"), s("c"), s("b")])]),
        r#""c""#
    );
    assert_eq!(
        calls("max", vec![l(vec![t("P1D"), t("PT25H")])]),
        r#"@"P1DT1H""#
    );
    assert_eq!(calls("min", vec![l(vec![n("1"), s("a")])]), "null");
    assert_eq!(calls("min", vec![l(vec![])]), "null");
    assert_eq!(calls("min", vec![l(vec![b(true)])]), "null");
    assert_eq!(calls("sum", vec![nums(&["6", "14", "-3"])]), "17");
    assert_eq!(calls("sum", vec![n("1")]), "1");
    assert_eq!(calls("sum", vec![l(vec![])]), "null");
    assert_eq!(calls("sum", vec![l(vec![n("1"), NULL])]), "null");
    assert_eq!(
        calls("mean", vec![nums(&["6", "14", "-3"])]),
        "5.6666666666666666666666666667"
    );
    assert_eq!(calls("mean", vec![l(vec![])]), "null");
    assert_eq!(
        calls("all", vec![l(vec![b(true), b(false), b(true)])]),
        "false"
    );
    assert_eq!(calls("all", vec![l(vec![b(true), NULL])]), "null");
    assert_eq!(calls("all", vec![l(vec![b(false), n("123")])]), "false");
    assert_eq!(calls("all", vec![l(vec![])]), "true");
    assert_eq!(calls("all", vec![b(true), b(true)]), "true");
    assert_eq!(calls("all", vec![n("123")]), "null");
    assert_eq!(calls("all", vec![]), "null");
    assert_eq!(calls("any", vec![l(vec![b(false), b(true)])]), "true");
    assert_eq!(calls("any", vec![l(vec![n("123"), b(false)])]), "null");
    assert_eq!(calls("any", vec![l(vec![])]), "false");
    assert_eq!(
        calls("sublist", vec![abc.clone(), n("1"), n("2")]),
        r#"["a", "b"]"#
    );
    assert_eq!(
        calls("sublist", vec![abc.clone(), n("-1"), n("1")]),
        r#"["c"]"#
    );
    assert_eq!(calls("sublist", vec![abc.clone(), n("2")]), r#"["b", "c"]"#);
    assert_eq!(calls("sublist", vec![abc.clone(), n("4")]), "null");
    assert_eq!(
        calls("append", vec![abc.clone(), s("x"), n("1")]),
        r#"["a", "b", "c", "x", 1]"#
    );
    assert_eq!(
        calls("append", vec![l(vec![l(vec![s("w")])]), l(vec![s("t")])]),
        r#"[["w"], ["t"]]"#
    );
    assert_eq!(
        calls("concatenate", vec![abc.clone(), l(vec![s("x")])]),
        r#"["a", "b", "c", "x"]"#
    );
    assert_eq!(
        calls("concatenate", vec![l(vec![abc.clone()]), l(vec![s("x")])]),
        r#"[["a", "b", "c"], "x"]"#
    );
    assert_eq!(calls("concatenate", vec![abc.clone(), NULL]), "null");
    assert_eq!(
        calls("insert before", vec![abc.clone(), n("2"), s("x")]),
        r#"["a", "x", "b", "c"]"#
    );
    assert_eq!(
        calls("insert before", vec![abc.clone(), n("-1"), s("x")]),
        r#"["a", "b", "x", "c"]"#
    );
    assert_eq!(
        calls("insert before", vec![abc.clone(), n("4"), s("x")]),
        "null"
    );
    assert_eq!(calls("remove", vec![abc.clone(), n("2")]), r#"["a", "c"]"#);
    assert_eq!(calls("remove", vec![abc.clone(), n("0")]), "null");
    assert_eq!(calls("reverse", vec![abc.clone()]), r#"["c", "b", "a"]"#);
    assert_eq!(
        calls("index of", vec![nums(&["1", "2", "3", "2"]), n("2")]),
        "[2, 4]"
    );
    assert_eq!(calls("index of", vec![abc.clone(), s("x")]), "[]");
    assert_eq!(
        calls("union", vec![l(vec![s("x"), s("a")]), abc.clone()]),
        r#"["x", "a", "b", "c"]"#
    );
    assert_eq!(
        calls("distinct values", vec![nums(&["1", "2", "1.0", "3", "2"])]),
        "[1, 2, 3]"
    );
    assert_eq!(
        calls(
            "distinct values",
            vec![l(vec![c(vec![("a", n("1"))]), c(vec![("a", n("1"))])])]
        ),
        "[{a: 1}]"
    );
    assert_eq!(
        calls(
            "flatten",
            vec![l(vec![
                l(vec![s("w"), s("x")]),
                l(vec![l(vec![s("y")])]),
                s("z")
            ])]
        ),
        r#"["w", "x", "y", "z"]"#
    );
}

#[test]
fn statistics() {
    assert_eq!(
        calls("product", vec![nums(&["6", "3", "9", "6", "6"])]),
        "5832"
    );
    assert_eq!(
        calls("product", vec![nums(&["2.5", "1", "2.5", "3"])]),
        "18.75"
    );
    assert_eq!(calls("product", vec![n("2"), n("3"), n("4")]), "24");
    assert_eq!(calls("product", vec![l(vec![])]), "null");
    assert_eq!(calls("median", vec![nums(&["8", "2", "5", "3", "4"])]), "4");
    assert_eq!(calls("median", vec![nums(&["6", "1", "2", "3"])]), "2.5");
    assert_eq!(calls("median", vec![n("4")]), "4");
    assert_eq!(calls("median", vec![l(vec![])]), "null");
    assert_eq!(calls("median", vec![l(vec![n("1"), s("foo")])]), "null");
    // sqrt(13 / 3) = 2.08166599946613273528229770697…
    assert_eq!(
        calls("stddev", vec![nums(&["2", "4", "7", "5"])]),
        "2.081665999466132735282297707"
    );
    assert_eq!(calls("stddev", vec![nums(&["47"])]), "null");
    assert_eq!(calls("mode", vec![nums(&["6", "3", "9", "6", "6"])]), "[6]");
    assert_eq!(
        calls("mode", vec![nums(&["3", "6", "1", "9", "6", "1", "3"])]),
        "[1, 3, 6]"
    );
    assert_eq!(calls("mode", vec![l(vec![])]), "[]");
    assert_eq!(calls("mode", vec![n("6")]), "[6]");
    assert_eq!(calls("mode", vec![l(vec![n("1"), s("foo")])]), "null");
}

#[test]
fn sort_and_list_replace_call_back() {
    // `before(a, b)` on points is `a < b`: a valid `precedes`.
    assert_eq!(
        calls("sort", vec![nums(&["3", "1", "4", "1", "5"]), f("before")]),
        "[1, 1, 3, 4, 5]"
    );
    assert_eq!(
        calls("sort", vec![nums(&["3", "1", "4"]), f("after")]),
        "[4, 3, 1]"
    );
    assert_eq!(
        calls(
            "sort",
            vec![
                l(vec![s("a"), s("A"), s("10"), s("9"), s("Aa"), s("8")]),
                f("before")
            ]
        ),
        r#"["10", "8", "9", "A", "Aa", "a"]"#
    );
    assert_eq!(calls("sort", vec![nums(&["2", "1"])]), "[1, 2]");
    assert_eq!(calls("sort", vec![l(vec![n("2"), s("a")])]), "null");
    assert_eq!(calls("sort", vec![nums(&["2", "1"]), f("abs")]), "null");
    assert_eq!(calls("sort", vec![l(vec![])]), "[]");
    let mut mock = Mock::new();
    let big: Vec<Value> = (0..200).rev().map(|i| n(&i.to_string())).collect();
    let sorted = builtins::call_positional(
        builtins::lookup("sort").expect("sort"),
        vec![l(big), f("before")],
        &mut mock,
    )
    .expect("within budget");
    assert_eq!(lit(&property_first(&sorted)), "0");
    assert!(
        mock.invocations <= 200 * 8,
        "merge sort uses n log n comparisons"
    );

    assert_eq!(
        calls("list replace", vec![nums(&["1", "2", "3"]), n("2"), n("4")]),
        "[1, 4, 3]"
    );
    assert_eq!(
        calls(
            "list replace",
            vec![nums(&["1", "2", "3"]), n("-1"), n("4")]
        ),
        "[1, 2, 4]"
    );
    assert_eq!(
        calls(
            "list replace",
            vec![nums(&["1", "2", "3"]), n("2.5"), n("4")]
        ),
        "[1, 4, 3]"
    );
    assert_eq!(
        calls("list replace", vec![nums(&["1", "2", "3"]), n("0"), n("4")]),
        "null"
    );
    assert_eq!(
        calls("list replace", vec![nums(&["1", "2", "3"]), s("2"), n("4")]),
        "null"
    );
    assert_eq!(
        calls("list replace", vec![nums(&["1", "2", "3"]), n("3"), NULL]),
        "[1, 2, null]"
    );
    assert_eq!(calls("list replace", vec![n("1"), n("1"), n("5")]), "[5]");
    // `before(item, newItem)`: replace every item smaller than 5.
    assert_eq!(
        calls(
            "list replace",
            vec![nums(&["2", "4", "7", "8"]), f("before"), n("5")]
        ),
        "[5, 5, 7, 8]"
    );
    assert_eq!(
        calls("list replace", vec![nums(&["2", "4"]), f("abs"), n("5")]),
        "null"
    );
    assert_eq!(
        lit(&call_named(
            "list replace",
            vec![
                ("position", n("2")),
                ("newItem", n("4")),
                ("list", nums(&["1", "2", "3"]))
            ]
        )),
        "[1, 4, 3]"
    );
    assert_eq!(
        lit(&call_named(
            "list replace",
            vec![
                ("position", n("2")),
                ("newItem", n("4")),
                ("list", nums(&["1", "2", "3"])),
                ("foo", n("1"))
            ]
        )),
        "null"
    );
}

fn property_first(v: &Value) -> Value {
    match v {
        Value::List(items) => items.first().cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

#[test]
fn numeric_functions() {
    assert_eq!(
        calls(
            "decimal",
            vec![cpm_core::value::ops::div(&n("1"), &n("3")), n("2")]
        ),
        "0.33"
    );
    assert_eq!(
        calls(
            "decimal",
            vec![cpm_core::value::ops::div(&n("1"), &n("3")), n("2.5")]
        ),
        "0.33"
    );
    assert_eq!(calls("decimal", vec![n("1.5"), n("0")]), "2");
    assert_eq!(calls("decimal", vec![n("2.5"), n("0")]), "2");
    assert_eq!(calls("decimal", vec![n("0.515"), n("2")]), "0.52");
    assert_eq!(calls("decimal", vec![n("1234"), n("-2")]), "1200");
    assert_eq!(calls("decimal", vec![n("1250"), n("-2")]), "1200");
    assert_eq!(calls("floor", vec![n("-1.5")]), "-2");
    assert_eq!(calls("floor", vec![n("-1.56"), n("1")]), "-1.6");
    assert_eq!(calls("floor", vec![n("1.56"), NULL]), "null");
    assert_eq!(calls("floor", vec![s("1.5")]), "null");
    assert_eq!(calls("ceiling", vec![n("-1.5")]), "-1");
    assert_eq!(calls("ceiling", vec![n("-0.3333")]), "0");
    assert_eq!(calls("ceiling", vec![n("1.56"), n("1")]), "1.6");
    assert_eq!(calls("round up", vec![n("5.5"), n("0")]), "6");
    assert_eq!(calls("round up", vec![n("-5.5"), n("0")]), "-6");
    assert_eq!(calls("round up", vec![n("1.121"), n("2")]), "1.13");
    assert_eq!(calls("round up", vec![n("5.5"), n("6176")]), "5.5");
    assert_eq!(calls("round up", vec![n("5.5"), n("6177")]), "null");
    assert_eq!(calls("round up", vec![n("5.5"), n("-6112")]), "null");
    assert_eq!(calls("round up", vec![n("5.5"), n("-100")]), "null");
    assert_eq!(calls("round down", vec![n("5.5"), n("-100")]), "0");
    assert_eq!(calls("round down", vec![n("-1.126"), n("2")]), "-1.12");
    assert_eq!(calls("round half up", vec![n("-5.5"), n("0")]), "-6");
    assert_eq!(calls("round half up", vec![n("1.121"), n("2")]), "1.12");
    assert_eq!(calls("round half down", vec![n("5.5"), n("0")]), "5");
    assert_eq!(calls("round half down", vec![n("-2.5"), n("0")]), "-2");
    assert_eq!(calls("round half down", vec![n("-1.126"), n("2")]), "-1.13");
    assert_eq!(calls("round half down", vec![n("1234"), NULL]), "null");
    assert_eq!(calls("abs", vec![n("-1")]), "1");
    assert_eq!(calls("abs", vec![t("-P1D")]), r#"@"P1D""#);
    assert_eq!(calls("abs", vec![t("-P1Y")]), r#"@"P1Y""#);
    assert_eq!(calls("abs", vec![t("2018-12-06")]), "null");
    assert_eq!(calls("modulo", vec![n("-5"), n("3")]), "1");
    assert_eq!(calls("modulo", vec![n("5"), n("-3")]), "-1");
    assert_eq!(calls("modulo", vec![n("10"), n("-4")]), "-2");
    assert_eq!(calls("modulo", vec![n("-12"), n("-5")]), "-2");
    assert_eq!(calls("modulo", vec![n("-10.1"), n("4.5")]), "3.4");
    assert_eq!(calls("modulo", vec![n("10.1"), n("-4.5")]), "-3.4");
    assert_eq!(calls("modulo", vec![n("10"), n("0")]), "null");
    assert_eq!(calls("sqrt", vec![n("4")]), "2");
    assert_eq!(calls("sqrt", vec![n("0")]), "0");
    assert_eq!(calls("sqrt", vec![n("-1")]), "null");
    assert_eq!(calls("log", vec![n("0")]), "null");
    assert_eq!(calls("log", vec![n("-1")]), "null");
    assert!(calls("log", vec![n("4")]).starts_with("1.386294361"));
    assert!(calls("exp", vec![n("4")]).starts_with("54.598150033"));
    assert!(calls("exp", vec![n("-1")]).starts_with("0.367879441"));
    assert_eq!(calls("exp", vec![n("0")]), "1");
    assert_eq!(calls("exp", vec![n("1000")]), "null");
    assert_eq!(calls("odd", vec![n("-1")]), "true");
    assert_eq!(calls("odd", vec![n("0")]), "false");
    assert_eq!(calls("even", vec![n("-2")]), "true");
    assert_eq!(calls("even", vec![n("1.5")]), "null");
    assert_eq!(calls("even", vec![s("4")]), "null");
    assert_eq!(calls("abs", vec![l(vec![n("-3")])]), "3");
}

#[test]
fn date_functions() {
    assert_eq!(calls("is", vec![n("1"), n("1")]), "true");
    assert_eq!(
        calls("is", vec![t("2012-12-25"), t("2012-12-25T00:00:00Z")]),
        "false"
    );
    assert_eq!(
        calls("is", vec![t("23:00:50Z"), t("23:00:50+00:00")]),
        "true"
    );
    assert_eq!(calls("is", vec![t("23:00:50"), t("23:00:50Z")]), "false");
    assert_eq!(
        calls("is", vec![t("23:00:50@Etc/GMT"), t("23:00:50Z")]),
        "false"
    );
    assert_eq!(
        calls(
            "is",
            vec![
                t("23:00:50@Australia/Melbourne"),
                t("23:00:50@Australia/Sydney")
            ]
        ),
        "false"
    );
    assert_eq!(
        calls(
            "is",
            vec![
                t("2002-04-02T12:00:00-01:00"),
                t("2002-04-02T17:00:00+04:00")
            ]
        ),
        "false"
    );
    assert_eq!(calls("is", vec![t("P1D"), t("PT24H")]), "true");
    assert_eq!(calls("is", vec![t("P0Y"), t("P0D")]), "false");
    assert_eq!(calls("day of year", vec![t("2020-12-31")]), "366");
    assert_eq!(calls("day of year", vec![t("2019-09-17T10:10:10")]), "260");
    assert_eq!(calls("day of year", vec![s("foo")]), "null");
    assert_eq!(calls("day of week", vec![t("2019-09-17")]), r#""Tuesday""#);
    assert_eq!(calls("day of week", vec![t("2019-09-22")]), r#""Sunday""#);
    assert_eq!(
        calls("month of year", vec![t("2019-09-17T10:10:10")]),
        r#""September""#
    );
    assert_eq!(calls("week of year", vec![t("2019-09-17")]), "38");
    assert_eq!(calls("week of year", vec![t("2003-12-29")]), "1");
    assert_eq!(calls("week of year", vec![t("2010-01-01")]), "53");
    assert_eq!(calls("week of year", vec![t("2005-01-01")]), "53");
    assert_eq!(calls("week of year", vec![t("2005-01-03")]), "1");
    assert_eq!(calls("week of year", vec![NULL]), "null");
}

fn rng(text: &str) -> Value {
    call("range", vec![s(text)])
}

#[test]
fn range_functions() {
    let cases: &[(&str, Value, Value, &str)] = &[
        ("before", n("1"), n("10"), "true"),
        ("before", n("10"), n("1"), "false"),
        ("before", n("1"), rng("[1..10]"), "false"),
        ("before", n("1"), rng("(1..10]"), "true"),
        ("before", rng("[1..10)"), n("10"), "true"),
        ("before", rng("[1..10]"), rng("[10..20]"), "false"),
        ("before", rng("[1..10)"), rng("[10..20]"), "true"),
        ("before", rng("[1..10]"), rng("[15..20]"), "true"),
        ("after", n("12"), rng("[1..10]"), "true"),
        ("after", n("10"), rng("[1..10)"), "true"),
        ("after", rng("(11..20]"), n("11"), "true"),
        ("after", rng("[11..20]"), n("11"), "false"),
        ("after", rng("[11..20]"), rng("[1..10]"), "true"),
        ("after", rng("(10..20]"), rng("[1..10]"), "true"),
        ("meets", rng("[1..5]"), rng("[5..10]"), "true"),
        ("meets", rng("[1..5)"), rng("[5..10]"), "false"),
        ("meets", rng("[1..5]"), rng("[6..10]"), "false"),
        ("met by", rng("[5..10]"), rng("[1..5]"), "true"),
        ("met by", rng("(5..10]"), rng("[1..5]"), "false"),
        ("overlaps", rng("[1..5]"), rng("[3..8]"), "true"),
        ("overlaps", rng("[3..5]"), rng("[1..8]"), "true"),
        ("overlaps", rng("[1..5]"), rng("[6..8]"), "false"),
        ("overlaps", rng("[1..5]"), rng("[5..8]"), "true"),
        ("overlaps", rng("[1..5]"), rng("(5..8]"), "false"),
        ("overlaps before", rng("[1..5]"), rng("[3..8]"), "true"),
        ("overlaps before", rng("[1..5]"), rng("[6..8]"), "false"),
        ("overlaps before", rng("[1..5]"), rng("[5..8]"), "true"),
        ("overlaps before", rng("[1..5]"), rng("(5..8]"), "false"),
        ("overlaps before", rng("[1..5)"), rng("(1..5]"), "true"),
        ("overlaps before", rng("(1..5]"), rng("[1..5]"), "false"),
        ("overlaps after", rng("[3..8]"), rng("[1..5]"), "true"),
        ("overlaps after", rng("[6..8]"), rng("[1..5]"), "false"),
        ("overlaps after", rng("[5..8]"), rng("[1..5]"), "true"),
        ("overlaps after", rng("(5..8]"), rng("[1..5]"), "false"),
        ("overlaps after", rng("(1..5]"), rng("[1..5)"), "true"),
        ("finishes", n("10"), rng("[1..10]"), "true"),
        ("finishes", n("10"), rng("[1..10)"), "false"),
        ("finishes", rng("[5..10]"), rng("[1..10]"), "true"),
        ("finishes", rng("[5..10)"), rng("[1..10]"), "false"),
        ("finishes", rng("[1..10]"), rng("[1..10]"), "true"),
        ("finishes", rng("(1..10]"), rng("[1..10]"), "true"),
        ("finished by", rng("[1..10]"), n("10"), "true"),
        ("finished by", rng("[1..10]"), rng("[5..10]"), "true"),
        ("finished by", rng("[1..10]"), rng("(1..10]"), "true"),
        ("finished by", rng("[1..10)"), rng("[5..10]"), "false"),
        ("includes", rng("[1..10]"), n("5"), "true"),
        ("includes", rng("(1..10]"), n("1"), "false"),
        ("includes", rng("[1..10]"), rng("[4..6]"), "true"),
        ("includes", rng("(1..10]"), rng("(1..5]"), "true"),
        ("includes", rng("(1..10]"), rng("[1..5]"), "false"),
        ("during", n("5"), rng("[1..10]"), "true"),
        ("during", n("1"), rng("(1..10]"), "false"),
        ("during", rng("[4..6]"), rng("[1..10]"), "true"),
        ("during", rng("[1..10]"), rng("(1..10]"), "false"),
        ("starts", n("1"), rng("[1..10]"), "true"),
        ("starts", n("1"), rng("(1..10]"), "false"),
        ("starts", rng("[1..5]"), rng("[1..10]"), "true"),
        ("starts", rng("(1..5]"), rng("[1..10]"), "false"),
        ("starts", rng("[1..10]"), rng("[1..10]"), "true"),
        ("starts", rng("[1..10)"), rng("[1..10]"), "true"),
        ("started by", rng("[1..10]"), n("1"), "true"),
        ("started by", rng("[1..10]"), rng("[1..5]"), "true"),
        ("started by", rng("[1..10]"), rng("(1..5]"), "false"),
        ("coincides", n("5"), n("5"), "true"),
        ("coincides", n("3"), n("4"), "false"),
        ("coincides", rng("[1..5]"), rng("[1..5]"), "true"),
        ("coincides", rng("(1..5)"), rng("[1..5]"), "false"),
        ("before", n("1"), s("a"), "null"),
        ("meets", n("1"), rng("[1..5]"), "null"),
        ("includes", rng("[1..10]"), NULL, "null"),
    ];
    for (name, x, y, want) in cases {
        assert_eq!(
            &calls(name, vec![x.clone(), y.clone()]),
            want,
            "{name}({}, {})",
            lit(x),
            lit(y)
        );
    }
    let below10 = r(false, None, Some(n("10")), false);
    assert_eq!(calls("includes", vec![below10.clone(), n("-1000")]), "true");
    assert_eq!(calls("before", vec![below10.clone(), n("10")]), "true");
    assert_eq!(calls("after", vec![below10.clone(), n("-1000")]), "false");
    assert_eq!(calls("coincides", vec![below10.clone(), below10]), "true");
}

#[test]
fn range_from_text() {
    assert_eq!(lit(&rng("[1..3]")), "[1..3]");
    assert_eq!(lit(&rng(" ( 18 .. 21 ] ")), "(18..21]");
    assert_eq!(lit(&rng("]18..21[")), "(18..21)");
    assert_eq!(lit(&rng("[\"a\"..\"c\"]")), r#"["a".."c"]"#);
    assert_eq!(
        lit(&rng("[@\"1970-01-01\"..@\"1970-01-02\"]")),
        r#"[@"1970-01-01"..@"1970-01-02"]"#
    );
    assert_eq!(
        lit(&rng("[date(\"1970-01-01\")..date(\"1970-01-02\")]")),
        r#"[@"1970-01-01"..@"1970-01-02"]"#
    );
    assert_eq!(
        lit(&rng(
            "[date and time(\"1970-01-01T00:00:00\")..@\"1970-01-02T00:00:00\"]"
        )),
        r#"[@"1970-01-01T00:00:00"..@"1970-01-02T00:00:00"]"#
    );
    assert_eq!(
        lit(&rng("[duration(\"P1D\")..@\"P2D\"]")),
        r#"[@"P1D"..@"P2D"]"#
    );
    assert_eq!(lit(&rng("[\"a\\\"..\"..\"z\"]")), r#"["a\"..".."z"]"#);
    for bad in [
        "[..2]",
        "[1..]",
        "",
        " ",
        ">=10",
        "[1..\"b\"]",
        "[3..1]",
        "[\"z\"..\"a\"]",
        "[@\"P2D\"..@\"P1D\"]",
        "[null..null]",
        "[date(string(\"1970-01-01\"))..date(\"1970-01-02\")]",
        "[@\"1970-01-01\"..@\"1970-01-02T00:00:00\"]",
    ] {
        assert_eq!(lit(&rng(bad)), "null", "range({bad:?})");
    }
    assert_eq!(calls("range", vec![rn("1", "3")]), "null");
    assert_eq!(calls("range", vec![s("[1..3]"), s("foo")]), "null");
    assert_eq!(
        lit(&cpm_core::value::ops::equal(
            &rng("[18..21)"),
            &r(true, Some(n("18")), Some(n("21")), false)
        )),
        "true"
    );
}

#[test]
fn context_functions() {
    let ab = c(vec![("a", s("foo")), ("b", s("bar"))]);
    assert_eq!(calls("get value", vec![ab.clone(), s("a")]), r#""foo""#);
    assert_eq!(calls("get value", vec![ab.clone(), s("x")]), "null");
    assert_eq!(calls("get value", vec![ab.clone(), n("1")]), "null");
    assert_eq!(calls("get value", vec![s("foo"), s("foo")]), "null");
    assert_eq!(
        calls("get entries", vec![ab.clone()]),
        r#"[{key: "a", value: "foo"}, {key: "b", value: "bar"}]"#
    );
    assert_eq!(calls("get entries", vec![c(vec![])]), "[]");
    assert_eq!(calls("get entries", vec![l(vec![n("1")])]), "null");
    let entry = |k: Value, v: Value| c(vec![("key", k), ("value", v)]);
    assert_eq!(
        calls(
            "context",
            vec![l(vec![entry(s("a"), n("1")), entry(s("b"), n("2"))])]
        ),
        "{a: 1, b: 2}"
    );
    assert_eq!(
        calls(
            "context",
            vec![l(vec![entry(s("a"), n("1")), entry(s("a"), n("2"))])]
        ),
        "null"
    );
    assert_eq!(calls("context", vec![entry(s("a"), n("1"))]), "{a: 1}");
    assert_eq!(calls("context", vec![c(vec![("value", n("1"))])]), "null");
    assert_eq!(calls("context", vec![entry(NULL, n("1"))]), "null");
    assert_eq!(calls("context", vec![c(vec![("key", s("a"))])]), "null");
    assert_eq!(calls("context", vec![entry(s("a"), NULL)]), "{a: null}");
    assert_eq!(calls("context", vec![entry(s(""), n("1"))]), r#"{"": 1}"#);
    assert_eq!(calls("context", vec![s("foo")]), "null");

    let abc = c(vec![("a", n("1")), ("b", n("2")), ("c", n("3"))]);
    assert_eq!(
        calls("context put", vec![abc.clone(), s("b"), n("3")]),
        "{a: 1, b: 3, c: 3}"
    );
    assert_eq!(
        calls("context put", vec![abc.clone(), s("d"), n("4")]),
        "{a: 1, b: 2, c: 3, d: 4}"
    );
    assert_eq!(calls("context put", vec![c(vec![]), NULL, n("1")]), "null");
    assert_eq!(calls("context put", vec![c(vec![]), s("a")]), "null");
    assert_eq!(
        calls("context put", vec![l(vec![]), s("a"), n("1")]),
        "null"
    );
    let nested = c(vec![("x", n("1")), ("y", c(vec![("a", n("0"))]))]);
    let path = |keys: &[&str]| l(keys.iter().map(|k| s(k)).collect());
    assert_eq!(
        calls(
            "context put",
            vec![nested.clone(), path(&["y", "a"]), n("2")]
        ),
        "{x: 1, y: {a: 2}}"
    );
    assert_eq!(
        calls(
            "context put",
            vec![nested.clone(), path(&["y", "b"]), n("2")]
        ),
        "{x: 1, y: {a: 0, b: 2}}"
    );
    assert_eq!(
        calls("context put", vec![nested.clone(), path(&[]), n("2")]),
        "null"
    );
    assert_eq!(
        calls(
            "context put",
            vec![nested.clone(), l(vec![s("y"), NULL]), n("2")]
        ),
        "null"
    );
    assert_eq!(
        calls(
            "context put",
            vec![nested.clone(), path(&["y", "a", "b", "c"]), n("2")]
        ),
        "null"
    );
    assert_eq!(
        calls(
            "context put",
            vec![nested.clone(), path(&["z", "a"]), n("2")]
        ),
        "null"
    );
    assert_eq!(
        lit(&call_named(
            "context put",
            vec![
                ("context", nested.clone()),
                ("keys", path(&["y", "a"])),
                ("value", n("2"))
            ]
        )),
        "{x: 1, y: {a: 2}}"
    );
    assert_eq!(
        lit(&call_named(
            "context put",
            vec![
                ("context", nested.clone()),
                ("key", path(&["y", "a"])),
                ("value", n("2"))
            ]
        )),
        "null"
    );
    assert_eq!(
        lit(&call_named(
            "context put",
            vec![("context", c(vec![])), ("key", s("a")), ("value", n("1"))]
        )),
        "{a: 1}"
    );

    assert_eq!(
        calls(
            "context merge",
            vec![l(vec![c(vec![("a", n("1"))]), c(vec![("b", n("2"))])])]
        ),
        "{a: 1, b: 2}"
    );
    assert_eq!(
        calls(
            "context merge",
            vec![l(vec![c(vec![("a", n("1"))]), c(vec![("a", n("2"))])])]
        ),
        "{a: 2}"
    );
    assert_eq!(
        calls(
            "context merge",
            vec![l(vec![
                c(vec![("a", c(vec![("aa", n("1"))]))]),
                c(vec![("a", c(vec![("bb", n("2"))]))])
            ])]
        ),
        "{a: {bb: 2}}"
    );
    assert_eq!(
        calls("context merge", vec![c(vec![("a", n("1"))])]),
        "{a: 1}"
    );
    assert_eq!(calls("context merge", vec![nums(&["1", "2"])]), "null");
    assert_eq!(calls("context merge", vec![NULL]), "null");
}

/// A mock whose `invoke` always fails, to check errors propagate.
struct Failing;

impl Invoke for Failing {
    fn invoke(&mut self, _: &Value, _: Vec<Value>) -> Result<Value, EvalError> {
        Err(EvalError::DepthExceeded { limit: 1 })
    }

    fn charge(&mut self, _: u64) -> Result<(), EvalError> {
        Ok(())
    }
}

#[test]
fn fuel_is_charged_and_errors_propagate() {
    let big = l((0..10_000).map(|i| n(&i.to_string())).collect());
    let sum = builtins::lookup("sum").expect("sum");
    let mut mock = Mock::with_budget(100);
    assert!(matches!(
        builtins::call_positional(sum, vec![big.clone()], &mut mock),
        Err(EvalError::FuelExhausted { budget: 100 })
    ));
    let mut mock = Mock::new();
    builtins::call_positional(sum, vec![big], &mut mock).expect("unbounded budget");
    assert!(mock.used >= 10_000);

    let long = s(&"a".repeat(100_000));
    let mut mock = Mock::with_budget(1000);
    let upper = builtins::lookup("upper case").expect("upper case");
    assert!(builtins::call_positional(upper, vec![long], &mut mock).is_err());

    let sort = builtins::lookup("sort").expect("sort");
    assert!(matches!(
        builtins::call_positional(sort, vec![nums(&["2", "1"]), f("before")], &mut Failing),
        Err(EvalError::DepthExceeded { limit: 1 })
    ));
    let replace = builtins::lookup("list replace").expect("list replace");
    assert!(matches!(
        builtins::call_positional(
            replace,
            vec![nums(&["2", "1"]), f("before"), n("1")],
            &mut Failing
        ),
        Err(EvalError::DepthExceeded { limit: 1 })
    ));
}
