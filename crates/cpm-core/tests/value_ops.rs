//! Operators on values: numbers, equality (DMN TCK `0068-feel-equality`), ordering, range
//! membership, properties (`0074-feel-properties`), `instance of` (`0070`), `string()`.

#![allow(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use std::cmp::Ordering;

use common::*;
use cpm_core::feel::ast::TypeRef;
use cpm_core::value::ops::{
    add, compare, conforms, div, equal, in_range, mul, neg, pow, property, sub,
};
use cpm_core::value::{Range, Value, format_value};

fn fmt(v: &Value) -> String {
    format_value(v)
}

#[test]
fn number_arithmetic() {
    assert_eq!(fmt(&add(&n("1.2345"), &n("2.234"))), "3.4685");
    assert_eq!(fmt(&sub(&n("1.1234"), &n("-0.2345"))), "1.3579");
    assert_eq!(fmt(&mul(&n("10"), &n("-10"))), "-100");
    assert_eq!(fmt(&div(&n("100"), &n("0"))), "null");
    assert_eq!(
        fmt(&div(&n("1"), &n("3"))),
        "0.3333333333333333333333333333"
    );
    assert_eq!(
        fmt(&div(&n("2"), &n("3"))),
        "0.6666666666666666666666666667"
    );
    assert_eq!(
        fmt(&add(&n("79228162514264337593543950335"), &n("1"))),
        "null"
    );
    assert_eq!(
        fmt(&mul(&n("79228162514264337593543950335"), &n("2"))),
        "null"
    );
    assert_eq!(fmt(&add(&n("1"), &Value::Null)), "null");
    assert_eq!(fmt(&add(&s("foo"), &s("bar"))), "foobar");
    assert_eq!(fmt(&add(&s("1"), &n("1"))), "null");
    assert_eq!(fmt(&neg(&n("0"))), "0");
    assert_eq!(fmt(&neg(&s("a"))), "null");
}

#[test]
fn exponentiation() {
    assert_eq!(fmt(&pow(&n("5"), &n("2"))), "25");
    assert_eq!(fmt(&pow(&n("5"), &n("-2"))), "0.04");
    assert_eq!(fmt(&pow(&n("-5"), &n("2"))), "25");
    assert_eq!(fmt(&pow(&n("5"), &n("2.00"))), "25");
    assert_eq!(fmt(&pow(&n("5.5"), &n("2"))), "30.25");
    assert_eq!(fmt(&pow(&n("3"), &pow(&n("4"), &n("5")))), "null");
    assert_eq!(fmt(&pow(&pow(&n("3"), &n("4")), &n("5"))), "3486784401");
    assert_eq!(fmt(&pow(&n("0"), &n("-1"))), "null");
    assert_eq!(fmt(&pow(&n("2"), &n("1000"))), "null");
    assert_eq!(fmt(&pow(&n("1"), &n("100000"))), "1");
    assert_eq!(fmt(&pow(&n("-8"), &n("0.5"))), "null");
    let p = pow(&n("5"), &n("2.55"));
    let Value::Number(x) = p else {
        panic!("5 ** 2.55 should be a number");
    };
    let err = (x - rust_decimal::Decimal::new(6_058_617_166_606, 11)).abs();
    assert!(err < rust_decimal::Decimal::new(1, 8), "5 ** 2.55 = {x}");
}

#[test]
fn canonical_number_text() {
    assert_eq!(fmt(&n("1.50")), "1.5");
    assert_eq!(fmt(&n("-0.0")), "0");
    assert_eq!(fmt(&n("-0")), "0");
    assert_eq!(fmt(&n("100")), "100");
    assert_eq!(
        fmt(&n("0.0000000000000000000000000001")),
        "0.0000000000000000000000000001"
    );
    assert_eq!(fmt(&n("-12.3400")), "-12.34");
}

fn eq(a: &Value, x: &Value) -> String {
    fmt(&equal(a, x))
}

#[test]
fn equality_follows_dmn_table() {
    assert_eq!(eq(&Value::Null, &Value::Null), "true");
    assert_eq!(eq(&b(true), &Value::Null), "false");
    assert_eq!(eq(&b(false), &n("0")), "null");
    assert_eq!(eq(&n("0"), &n("0.00")), "true");
    assert_eq!(eq(&n("-0"), &n("0")), "true");
    assert_eq!(eq(&n("100"), &s("100")), "null");
    assert_eq!(eq(&n("12300"), &n("1.23e4")), "true");
    assert_eq!(eq(&s("foo"), &s("Foo")), "false");
    assert_eq!(
        eq(&l(vec![n("1"), n("2")]), &l(vec![n("1"), n("2")])),
        "true"
    );
    assert_eq!(
        eq(&l(vec![n("1"), n("2")]), &l(vec![n("2"), n("1")])),
        "false"
    );
    assert_eq!(eq(&l(vec![n("1")]), &l(vec![n("1"), n("1")])), "false");
    assert_eq!(eq(&l(vec![]), &n("0")), "null");
    assert_eq!(
        eq(&l(vec![s("a"), n("1")]), &l(vec![n("1"), n("1")])),
        "null"
    );
    assert_eq!(
        eq(&l(vec![s("a"), n("1")]), &l(vec![n("1"), n("2")])),
        "false"
    );
    let foo_bar = c(vec![("foo", s("bar")), ("bar", s("baz"))]);
    let bar_foo = c(vec![("bar", s("baz")), ("foo", s("bar"))]);
    assert_eq!(eq(&foo_bar, &bar_foo), "true");
    assert_eq!(
        eq(
            &c(vec![("a", l(vec![n("3")]))]),
            &c(vec![("a", l(vec![n("3")])), ("b", s("x"))])
        ),
        "false"
    );
    assert_eq!(eq(&c(vec![]), &l(vec![])), "null");
    assert_eq!(eq(&t("P1D"), &t("PT24H")), "true");
    assert_eq!(eq(&t("P0D"), &t("-P0D")), "true");
    assert_eq!(eq(&t("P1Y"), &t("P12M")), "true");
    assert_eq!(eq(&t("P1Y"), &t("P365D")), "null");
    assert_eq!(eq(&t("2018-12-08"), &t("2018-12-08")), "true");
    assert_eq!(eq(&t("2018-12-08"), &t("2018-12-08T00:00:00")), "null");
    assert_eq!(eq(&t("10:30:00Z"), &t("10:30:00+00:00")), "true");
    assert_eq!(eq(&t("10:30:00.0000"), &t("10:30:00")), "true");
    assert_eq!(eq(&t("10:30:00"), &t("10:30:00Z")), "null");
    assert_eq!(eq(&rn("1", "10"), &rn("1", "10")), "true");
    assert_eq!(eq(&rn("1", "2"), &rn("1", "3")), "false");
    let below10 = r(false, None, Some(n("10")), false);
    let null_to_10 = r(false, Some(Value::Null), Some(n("10")), false);
    assert_eq!(eq(&below10, &below10.clone()), "true");
    assert_eq!(eq(&below10, &null_to_10), "false");
    assert_eq!(eq(&f("abs"), &f("abs")), "true");
    assert_eq!(eq(&f("abs"), &f("sqrt")), "false");
}

#[test]
fn date_times_compare_by_instant_across_zones() {
    let pairs = [
        (
            "2018-10-08T00:00:00+02:00",
            "2018-10-08T00:00:00@Europe/Paris",
            "true",
        ),
        (
            "2018-02-08T00:00:00+01:00",
            "2018-02-08T00:00:00@Europe/Paris",
            "true",
        ),
        (
            "2002-04-02T12:00:00@Australia/Melbourne",
            "2002-04-02T12:00:00@Australia/Sydney",
            "true",
        ),
        (
            "2018-12-08T00:00:00+00:00",
            "2018-12-08T00:00:00@Etc/UTC",
            "true",
        ),
        (
            "2002-04-02T12:00:00-01:00",
            "2002-04-02T17:00:00+04:00",
            "true",
        ),
        (
            "2002-04-02T23:00:00-04:00",
            "2002-04-03T02:00:00-01:00",
            "true",
        ),
        (
            "2018-12-08T00:00:00@Europe/Paris",
            "2018-12-08T00:00:00@Asia/Dhaka",
            "false",
        ),
        ("2018-12-08T00:00:00", "2018-12-08T00:00:00Z", "null"),
    ];
    for (x, y, want) in pairs {
        assert_eq!(eq(&t(x), &t(y)), want, "{x} = {y}");
    }
    let midnight = call("date and time", vec![s("2018-12-08")]);
    assert_eq!(eq(&midnight, &t("2018-12-08T00:00:00")), "true");
    assert_eq!(
        compare(&t("2021-06-01T12:00:00+02:00"), &t("2021-06-01T11:00:00Z")),
        Some(Ordering::Less)
    );
    assert_eq!(
        compare(
            &t("2021-06-01T12:00:00@Europe/Paris"),
            &t("2021-06-01T11:00:00Z")
        ),
        Some(Ordering::Less)
    );
    assert_eq!(
        compare(
            &t("2021-01-01T12:00:00@Europe/Paris"),
            &t("2021-01-01T10:30:00Z")
        ),
        Some(Ordering::Greater)
    );
    assert_eq!(
        compare(&t("2021-06-01T12:00:00"), &t("2021-06-01T11:00:00Z")),
        None
    );
    assert_eq!(compare(&t("2021-06-01"), &t("2021-06-01T11:00:00")), None);
}

#[test]
fn ordering() {
    assert_eq!(compare(&n("1"), &n("1.0")), Some(Ordering::Equal));
    assert_eq!(compare(&s("a"), &s("b")), Some(Ordering::Less));
    assert_eq!(compare(&s("Z"), &s("a")), Some(Ordering::Less));
    assert_eq!(
        compare(&s("\u{FFFF}"), &s("\u{10000}")),
        Some(Ordering::Less)
    );
    assert_eq!(compare(&t("P1D"), &t("PT25H")), Some(Ordering::Less));
    assert_eq!(compare(&t("P1Y"), &t("P13M")), Some(Ordering::Less));
    assert_eq!(compare(&t("P1Y"), &t("P1D")), None);
    assert_eq!(compare(&b(true), &b(false)), None);
    assert_eq!(compare(&n("1"), &s("1")), None);
    assert_eq!(compare(&Value::Null, &Value::Null), None);
    assert_eq!(
        compare(&t("10:00:00+01:00"), &t("09:30:00Z")),
        Some(Ordering::Less)
    );
}

fn range(start_closed: bool, start: Option<Value>, end: Option<Value>, end_closed: bool) -> Range {
    Range {
        start,
        start_closed,
        end,
        end_closed,
    }
}

#[test]
fn range_membership() {
    let closed = range(true, Some(n("1")), Some(n("10")), true);
    let open = range(false, Some(n("1")), Some(n("10")), false);
    assert_eq!(fmt(&in_range(&n("1"), &closed)), "true");
    assert_eq!(fmt(&in_range(&n("10"), &closed)), "true");
    assert_eq!(fmt(&in_range(&n("1"), &open)), "false");
    assert_eq!(fmt(&in_range(&n("10"), &open)), "false");
    assert_eq!(fmt(&in_range(&n("5"), &open)), "true");
    assert_eq!(fmt(&in_range(&n("11"), &closed)), "false");
    assert_eq!(fmt(&in_range(&s("5"), &closed)), "null");
    assert_eq!(fmt(&in_range(&Value::Null, &closed)), "null");
    let below = range(false, None, Some(n("10")), false);
    assert_eq!(fmt(&in_range(&n("-1000"), &below)), "true");
    assert_eq!(fmt(&in_range(&n("10"), &below)), "false");
    let dates = range(true, Some(t("2024-01-01")), None, false);
    assert_eq!(fmt(&in_range(&t("2024-06-01"), &dates)), "true");
    assert_eq!(fmt(&in_range(&t("2023-06-01"), &dates)), "false");
}

#[test]
fn properties() {
    let d = t("2018-12-10");
    assert_eq!(fmt(&property(&d, "year")), "2018");
    assert_eq!(fmt(&property(&d, "weekday")), "1");
    let dt = t("2018-12-10T10:30:01.5+05:00");
    assert_eq!(fmt(&property(&dt, "month")), "12");
    assert_eq!(fmt(&property(&dt, "hour")), "10");
    assert_eq!(fmt(&property(&dt, "second")), "1.5");
    assert_eq!(fmt(&property(&dt, "time offset")), "PT5H");
    assert_eq!(fmt(&property(&dt, "timezone")), "null");
    let paris = t("2018-07-10T10:30:00@Europe/Paris");
    assert_eq!(fmt(&property(&paris, "time offset")), "PT2H");
    assert_eq!(fmt(&property(&paris, "timezone")), "Europe/Paris");
    assert_eq!(
        fmt(&property(&t("2018-12-10T10:30:00"), "time offset")),
        "null"
    );
    assert_eq!(fmt(&property(&t("10:30:00-01:00"), "time offset")), "-PT1H");
    assert_eq!(fmt(&property(&t("10:30:00"), "minute")), "30");
    assert_eq!(fmt(&property(&t("P1Y2M"), "years")), "1");
    assert_eq!(fmt(&property(&t("-P1Y2M"), "months")), "-2");
    assert_eq!(fmt(&property(&t("P1Y"), "days")), "null");
    assert_eq!(fmt(&property(&t("P1DT2H3M4.5S"), "days")), "1");
    assert_eq!(fmt(&property(&t("P1DT2H3M4.5S"), "hours")), "2");
    assert_eq!(fmt(&property(&t("P1DT2H3M4.5S"), "minutes")), "3");
    assert_eq!(fmt(&property(&t("P1DT2H3M4.5S"), "seconds")), "4.5");
    assert_eq!(fmt(&property(&t("-PT2H"), "hours")), "-2");
    assert_eq!(fmt(&property(&t("P1D"), "years")), "null");
    let below = r(false, None, Some(n("10")), true);
    assert_eq!(fmt(&property(&below, "start")), "null");
    assert_eq!(fmt(&property(&below, "end")), "10");
    assert_eq!(fmt(&property(&below, "start included")), "false");
    assert_eq!(fmt(&property(&below, "end included")), "true");
    assert_eq!(fmt(&property(&c(vec![("a", s("foo"))]), "a")), "foo");
    assert_eq!(fmt(&property(&n("1"), "year")), "null");
}

fn named(x: &str) -> TypeRef {
    TypeRef::Named(x.to_owned())
}

#[test]
fn instance_of() {
    assert!(!conforms(&Value::Null, &TypeRef::Any));
    assert!(conforms(&Value::Null, &TypeRef::Null));
    assert!(!conforms(&Value::Null, &named("number")));
    assert!(conforms(&n("1"), &TypeRef::Any));
    assert!(conforms(&n("1"), &named("number")));
    assert!(!conforms(&n("1"), &named("string")));
    assert!(conforms(&t("2018-12-08"), &named("date")));
    assert!(!conforms(&t("2018-12-08"), &named("date and time")));
    assert!(conforms(&t("P1D"), &named("days and time duration")));
    assert!(!conforms(&t("P1D"), &named("years and months duration")));
    assert!(conforms(&t("P1Y"), &named("years and months duration")));
    assert!(!conforms(&n("1"), &named("tNumberList")));
    let list_number = TypeRef::List(Box::new(named("number")));
    assert!(conforms(&l(vec![n("1"), n("2")]), &list_number));
    assert!(!conforms(&l(vec![n("1"), s("2")]), &list_number));
    assert!(!conforms(&n("1"), &list_number));
    assert!(!conforms(&l(vec![n("1")]), &named("number")));
    let ctx_type = TypeRef::Context(vec![
        ("a".into(), named("string")),
        ("b".into(), named("string")),
    ]);
    assert!(conforms(&c(vec![("a", s("a")), ("b", s("b"))]), &ctx_type));
    assert!(!conforms(&c(vec![("a", s("a"))]), &ctx_type));
    assert!(conforms(
        &rn("1", "3"),
        &TypeRef::Range(Box::new(named("number")))
    ));
    assert!(!conforms(
        &rn("1", "3"),
        &TypeRef::Range(Box::new(named("string")))
    ));
    let fun = TypeRef::Function(vec![], Box::new(TypeRef::Any));
    assert!(conforms(&f("abs"), &fun));
    assert!(!conforms(&n("1"), &fun));
}

#[test]
fn string_form_of_values() {
    assert_eq!(fmt(&l(vec![n("1"), n("2")])), "[1, 2]");
    assert_eq!(
        fmt(&l(vec![s("a"), t("2024-01-31")])),
        r#"["a", @"2024-01-31"]"#
    );
    assert_eq!(
        fmt(&c(vec![("a", n("1")), ("b c", s("x")), ("x-y", b(true))])),
        r#"{a: 1, b c: "x", "x-y": true}"#
    );
    assert_eq!(fmt(&r(true, Some(n("1")), Some(n("10")), false)), "[1..10)");
    assert_eq!(fmt(&r(false, None, Some(n("10")), false)), "< 10");
    assert_eq!(
        fmt(&r(true, Some(t("2024-01-01")), None, false)),
        r#">= @"2024-01-01""#
    );
    assert_eq!(
        fmt(&t("2024-01-31T10:30:00.5+01:00")),
        "2024-01-31T10:30:00.5+01:00"
    );
    assert_eq!(fmt(&s("a\"b")), "a\"b");
    assert_eq!(fmt(&l(vec![s("a\"b\n")])), r#"["a\"b\n"]"#);
}
