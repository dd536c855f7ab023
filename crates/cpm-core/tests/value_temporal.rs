//! Temporal values and durations: parsing, canonical text, arithmetic (DMN 1.5 table 57 and
//! 59 cases, mostly from the DMN TCK `0100-arithmetic` and `11xx` suites).

#![allow(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use common::*;
use cpm_core::value::Value;
use cpm_core::value::duration::{parse_days_time, parse_years_months};
use cpm_core::value::format_value;
use cpm_core::value::ops::{add, div, mul, neg, sub};
use cpm_core::value::temporal::{parse_date, parse_date_time, parse_temporal_literal, parse_time};

fn fmt(v: &Value) -> String {
    format_value(v)
}

#[test]
fn dates_parse_and_print() {
    for ok in [
        "2017-12-31",
        "2017-01-01",
        "-2017-12-31",
        "0001-01-01",
        "9999-12-31",
    ] {
        assert_eq!(
            parse_date(ok).map(|d| fmt(&Value::Date(d))).as_deref(),
            Some(ok)
        );
    }
    for bad in [
        "2012-12-25T",
        "",
        "2012/12/25",
        "9999999999-12-25",
        "2017-13-10",
        "2017-12-32",
        "998-12-31",
        "01211-12-31",
        "+2012-12-02",
        "2017-02-29",
        "10000-01-01",
    ] {
        assert!(parse_date(bad).is_none(), "{bad} should not parse");
    }
}

#[test]
fn times_parse_and_print() {
    let cases = [
        ("01:02:03", "01:02:03"),
        ("11:22:33.444", "11:22:33.444"),
        ("11:22:33.123456789", "11:22:33.123456789"),
        ("10:30:00.50", "10:30:00.5"),
        ("10:30:00.000", "10:30:00"),
        ("23:59:00Z", "23:59:00Z"),
        ("13:20:00+02:00", "13:20:00+02:00"),
        ("13:20:00-05:00", "13:20:00-05:00"),
        ("11:22:33-00:00", "11:22:33Z"),
        ("11:22:33+00:00", "11:22:33Z"),
        ("00:01:00@Europe/Paris", "00:01:00@Europe/Paris"),
        ("00:01:00@Etc/UTC", "00:01:00@Etc/UTC"),
        ("24:00:00", "00:00:00"),
    ];
    for (text, shown) in cases {
        let parsed = parse_time(text).map(Value::Time);
        assert_eq!(parsed.as_ref().map(fmt).as_deref(), Some(shown), "{text}");
    }
    for bad in [
        "",
        "23:59:60",
        "24:00:01",
        "24:01:00",
        "25:00:00",
        "00:60:00",
        "00:00:61",
        "7:00:00",
        "07:1:00",
        "07:01:2",
        "13:20:00@xyz/abc",
        "13:20:00+19:00",
        "13:20:00-19:00",
        "13:20:00+5:00",
        "13:20:00+5",
        "13:20:00+02:00@Europe/Paris",
        "7:20",
        "11:30:00T",
        "10:30:00.",
        "10:30:00.1234567891",
    ] {
        assert!(parse_time(bad).is_none(), "{bad} should not parse");
    }
}

#[test]
fn date_times_parse_and_print() {
    let cases = [
        ("2012-12-24", "2012-12-24T00:00:00"),
        ("2017-12-31T11:22:33", "2017-12-31T11:22:33"),
        ("-2017-12-31T11:22:33", "-2017-12-31T11:22:33"),
        ("2017-12-31T11:22:33.567Z", "2017-12-31T11:22:33.567Z"),
        ("2017-12-31T11:22:33+01:35", "2017-12-31T11:22:33+01:35"),
        (
            "-2017-12-31T11:22:33.456+01:35",
            "-2017-12-31T11:22:33.456+01:35",
        ),
        (
            "2011-12-31T10:15:30.123456789@Europe/Paris",
            "2011-12-31T10:15:30.123456789@Europe/Paris",
        ),
        ("2021-01-01T24:00:00", "2021-01-02T00:00:00"),
    ];
    for (text, shown) in cases {
        let parsed = parse_date_time(text).map(Value::DateTime);
        assert_eq!(parsed.as_ref().map(fmt).as_deref(), Some(shown), "{text}");
    }
    for bad in [
        "11:00:00",
        "2011-12-0310:15:30",
        "2011-12-03T10:15:30+01:00@Europe/Paris",
        "2017-00-10T11:22:33",
        "2017-12-31T24:00:01",
        "2017-12-31T13:20:00+05:0",
        "2017-12-31T07:2",
    ] {
        assert!(parse_date_time(bad).is_none(), "{bad} should not parse");
    }
}

#[test]
fn temporal_literals_pick_the_right_type() {
    assert!(matches!(
        parse_temporal_literal("2019-03-31"),
        Value::Date(_)
    ));
    assert!(matches!(
        parse_temporal_literal("2018-12-08T10:30:11"),
        Value::DateTime(_)
    ));
    assert!(matches!(
        parse_temporal_literal("10:30:11@Etc/UTC"),
        Value::Time(_)
    ));
    assert!(matches!(parse_temporal_literal("P10D"), Value::DaysTime(_)));
    assert!(matches!(
        parse_temporal_literal("-PT1H"),
        Value::DaysTime(_)
    ));
    assert!(matches!(
        parse_temporal_literal("P10Y"),
        Value::YearsMonths(_)
    ));
    assert!(parse_temporal_literal("foo").is_null());
}

#[test]
fn durations_print_canonically() {
    let days_time = [
        ("P1D", "P1D"),
        ("PT0.999S", "PT0.999S"),
        ("P1DT2H3M4.123456789S", "P1DT2H3M4.123456789S"),
        ("PT0S", "PT0S"),
        ("PT0.000S", "PT0S"),
        ("PT0.S", "PT0S"),
        ("P0D", "PT0S"),
        ("-P0D", "PT0S"),
        ("-PT1H2M", "-PT1H2M"),
        ("PT1000M", "PT16H40M"),
        ("PT24H", "P1D"),
        ("P2DT274M", "P2DT4H34M"),
        ("PT3600S", "PT1H"),
        ("-P2D", "-P2D"),
    ];
    for (text, shown) in days_time {
        let d = parse_days_time(text).map(Value::DaysTime);
        assert_eq!(d.as_ref().map(fmt).as_deref(), Some(shown), "{text}");
    }
    let years_months = [
        ("P1Y2M", "P1Y2M"),
        ("P0Y", "P0M"),
        ("-P1Y", "-P1Y"),
        ("P26M", "P2Y2M"),
        ("P1Y27M", "P3Y3M"),
        ("-P100M", "-P8Y4M"),
        ("P999999999M", "P83333333Y3M"),
    ];
    for (text, shown) in years_months {
        let d = parse_years_months(text).map(Value::YearsMonths);
        assert_eq!(d.as_ref().map(fmt).as_deref(), Some(shown), "{text}");
    }
    for bad in [
        "", "P", "P0", "1Y", "1D", "P1H", "P1S", "PT", "P1DT", "P1Y2D", "P1.5D",
    ] {
        assert!(parse_days_time(bad).is_none(), "{bad} days-time");
        assert!(parse_years_months(bad).is_none(), "{bad} years-months");
    }
}

/// `a op b` as text, with `@"…"` literals for both operands.
fn op(f: fn(&Value, &Value) -> Value, a: &str, b: &str) -> String {
    fmt(&f(&t(a), &t(b)))
}

#[test]
fn date_time_plus_durations() {
    let cases = [
        ("2021-01-01T10:10:10", "P1Y", "2022-01-01T10:10:10"),
        ("2021-01-01T10:10:10", "-P1M", "2020-12-01T10:10:10"),
        (
            "2021-01-01T10:10:10+11:00",
            "P1M",
            "2021-02-01T10:10:10+11:00",
        ),
        (
            "2021-01-01T10:10:10@Australia/Melbourne",
            "P1M",
            "2021-02-01T10:10:10@Australia/Melbourne",
        ),
        (
            "-2021-01-01T10:10:10+11:00",
            "-P1M",
            "-2022-12-01T10:10:10+11:00",
        ),
        ("2021-01-12T10:10:10", "P1DT1H", "2021-01-13T11:10:10"),
        ("2021-01-01T10:10:10", "-PT1H", "2021-01-01T09:10:10"),
        ("2021-01-01T24:00:00", "PT1S", "2021-01-02T00:00:01"),
        ("2021-01-01T24:00:00", "-PT1S", "2021-01-01T23:59:59"),
        (
            "2021-01-12T10:10:10@Australia/Melbourne",
            "P1DT1H",
            "2021-01-13T11:10:10@Australia/Melbourne",
        ),
        (
            "-2021-01-01T10:10:10+11:00",
            "-P1D",
            "-2022-12-31T10:10:10+11:00",
        ),
    ];
    for (a, d, want) in cases {
        assert_eq!(op(add, a, d), want, "{a} + {d}");
        assert_eq!(op(add, d, a), want, "{d} + {a}");
    }
}

#[test]
fn month_arithmetic_clamps_to_month_end() {
    assert_eq!(op(add, "2024-01-31", "P1M"), "2024-02-29");
    assert_eq!(op(add, "2023-01-31", "P1M"), "2023-02-28");
    assert_eq!(op(add, "2024-03-31", "-P1M"), "2024-02-29");
    assert_eq!(op(add, "2024-02-29", "P1Y"), "2025-02-28");
    assert_eq!(op(sub, "2024-05-31", "P3M"), "2024-02-29");
    assert_eq!(
        op(add, "2024-01-31T10:00:00Z", "P1M"),
        "2024-02-29T10:00:00Z"
    );
    assert_eq!(op(add, "9999-12-01", "P1M"), "null");
}

#[test]
fn date_plus_days_and_time_duration_stays_a_date() {
    assert_eq!(op(add, "2021-01-01", "P1D"), "2021-01-02");
    assert_eq!(op(add, "2021-01-01", "PT36H"), "2021-01-02");
    assert_eq!(op(add, "PT48H", "2021-01-01"), "2021-01-03");
    assert_eq!(op(sub, "2021-01-02", "PT1H"), "2021-01-01");
    assert_eq!(op(sub, "2021-01-02", "-PT1H"), "2021-01-02");
    assert_eq!(op(sub, "2021-01-02", "PT25H"), "2020-12-31");
    assert_eq!(op(sub, "2021-01-02", "-PT24H"), "2021-01-03");
    assert_eq!(op(sub, "2020-03-01", "PT24H"), "2020-02-29");
    assert_eq!(op(sub, "2021-01-02", "P1Y"), "2020-01-02");
}

#[test]
fn time_arithmetic_wraps_around_midnight() {
    assert_eq!(op(add, "10:15:00", "PT1H"), "11:15:00");
    assert_eq!(op(add, "10:15:00", "P1D"), "10:15:00");
    assert_eq!(op(add, "23:30:00+01:00", "PT1H"), "00:30:00+01:00");
    assert_eq!(op(sub, "00:30:00", "PT1H"), "23:30:00");
    assert_eq!(
        op(add, "10:15:00@Australia/Melbourne", "-PT1H"),
        "09:15:00@Australia/Melbourne"
    );
    assert_eq!(op(sub, "10:10:10", "09:10:10"), "PT1H");
    assert_eq!(op(sub, "10:10:10+11:00", "11:10:10+11:00"), "-PT1H");
    assert_eq!(op(sub, "10:00:00+01:00", "10:00:00Z"), "-PT1H");
    assert_eq!(op(sub, "10:00:00", "10:00:00Z"), "null");
    assert_eq!(op(add, "10:00:00", "P1Y"), "null");
}

#[test]
fn differences_of_dates_and_date_times() {
    let cases = [
        ("2021-01-02T10:10:10", "2021-01-01T10:10:10", "P1D"),
        (
            "2021-01-02T10:10:10@Europe/Paris",
            "2021-01-01T10:10:10",
            "null",
        ),
        ("2021-01-02T10:10:10+02:00", "2021-01-01T10:10:10", "null"),
        (
            "2021-01-02T10:10:10@Europe/Paris",
            "2021-01-01T10:10:10@Asia/Dhaka",
            "P1DT5H",
        ),
        (
            "2021-01-02T10:10:10+01:00",
            "2021-01-01T10:10:10@Europe/Paris",
            "P1D",
        ),
        ("2021-01-02T00:00:00Z", "2021-01-02", "PT0S"),
        ("2021-01-01T00:00:00", "2021-01-02", "null"),
        (
            "2021-01-02T10:10:10@Europe/Paris",
            "2021-01-01",
            "P1DT9H10M10S",
        ),
        ("2021-01-02T10:10:10+01:00", "1995-01-01", "P9498DT9H10M10S"),
        ("2021-01-02", "2021-01-01T10:10:10", "null"),
        ("2021-01-02", "2021-01-01T10:10:10+11:00", "P1DT49M50S"),
        (
            "2021-01-02",
            "1995-01-01T10:10:10@Australia/Melbourne",
            "P9498DT49M50S",
        ),
        ("2021-01-02", "1995-01-01", "P9498D"),
    ];
    for (a, b, want) in cases {
        assert_eq!(op(sub, a, b), want, "{a} - {b}");
    }
}

#[test]
fn named_zones_add_exact_time_across_dst() {
    // Europe/Paris moved to summer time on 2021-03-28 at 02:00 (+01:00 → +02:00).
    assert_eq!(
        op(add, "2021-03-27T12:00:00@Europe/Paris", "PT24H"),
        "2021-03-28T13:00:00@Europe/Paris"
    );
    assert_eq!(
        op(add, "2021-03-27T12:00:00@Europe/Paris", "P1D"),
        "2021-03-28T13:00:00@Europe/Paris"
    );
    // Years and months durations follow the local calendar.
    assert_eq!(
        op(add, "2021-02-28T12:00:00@Europe/Paris", "P1M"),
        "2021-03-28T12:00:00@Europe/Paris"
    );
    // A fixed offset does not change.
    assert_eq!(
        op(add, "2021-03-27T12:00:00+01:00", "PT24H"),
        "2021-03-28T12:00:00+01:00"
    );
    // Across the change, 12:00 to 12:00 local is 23 hours.
    assert_eq!(
        op(
            sub,
            "2021-03-28T12:00:00@Europe/Paris",
            "2021-03-27T12:00:00@Europe/Paris"
        ),
        "PT23H"
    );
}

#[test]
fn duration_arithmetic() {
    assert_eq!(op(add, "P1D", "P2D"), "P3D");
    assert_eq!(op(add, "PT24H", "P1D"), "P2D");
    assert_eq!(op(sub, "-P1D", "PT2H"), "-P1DT2H");
    assert_eq!(op(add, "P1Y", "-P2M"), "P10M");
    assert_eq!(op(sub, "-P1Y", "P2M"), "-P1Y2M");
    assert_eq!(op(add, "P1Y", "P1D"), "null");
    assert_eq!(fmt(&mul(&n("1.5"), &t("P4DT1H"))), "P6DT1H30M");
    assert_eq!(fmt(&mul(&t("PT23H"), &n("2.5"))), "P2DT9H30M");
    assert_eq!(fmt(&mul(&n("-2.5"), &t("P1Y11M"))), "-P4Y9M");
    assert_eq!(fmt(&mul(&n("1.5"), &t("P2M"))), "P3M");
    assert_eq!(fmt(&div(&t("P10Y11M"), &n("2.5"))), "P4Y4M");
    assert_eq!(fmt(&div(&t("P10Y11M"), &n("-2.5"))), "-P4Y4M");
    assert_eq!(fmt(&div(&t("P10DT23H"), &n("2.5"))), "P4DT9H12M");
    assert_eq!(fmt(&div(&t("P10D"), &t("P5D"))), "2");
    assert_eq!(fmt(&div(&t("P10Y"), &t("P5Y"))), "2");
    assert_eq!(fmt(&div(&t("P10D"), &t("P0D"))), "null");
    assert_eq!(fmt(&div(&t("P10D"), &n("0"))), "null");
    assert_eq!(fmt(&div(&t("P10D"), &t("P1Y"))), "null");
    assert_eq!(fmt(&div(&n("10"), &t("P1D"))), "null");
    assert_eq!(fmt(&neg(&t("P1DT1H"))), "-P1DT1H");
    assert_eq!(fmt(&neg(&t("-P1Y"))), "P1Y");
}

#[test]
fn invalid_combinations_are_null() {
    let samples = [
        n("10"),
        s("10"),
        b(true),
        t("2021-01-01"),
        t("2021-01-01T10:10:10"),
        t("10:10:10"),
        l(vec![n("10")]),
        c(vec![("a", n("10"))]),
        t("P1D"),
        t("P1Y"),
        rn("1", "10"),
        f("abs"),
        Value::Null,
    ];
    // Every pair not listed in DMN 1.5 tables 57 and 59 gives null.
    for x in &samples {
        for y in &samples {
            for (name, opf) in [
                ("+", add as fn(&Value, &Value) -> Value),
                ("-", sub),
                ("*", mul),
                ("/", div),
            ] {
                let result = opf(x, y);
                let defined = matches!(
                    (name, x, y),
                    ("+" | "-" | "*" | "/", Value::Number(_), Value::Number(_))
                        | ("+", Value::String(_), Value::String(_))
                        | ("+" | "-", Value::DaysTime(_), Value::DaysTime(_))
                        | ("+" | "-", Value::YearsMonths(_), Value::YearsMonths(_))
                        | ("/", Value::DaysTime(_), Value::DaysTime(_))
                        | ("/", Value::YearsMonths(_), Value::YearsMonths(_))
                        | (
                            "+" | "-",
                            Value::Date(_) | Value::DateTime(_),
                            Value::DaysTime(_) | Value::YearsMonths(_)
                        )
                        | (
                            "+",
                            Value::DaysTime(_) | Value::YearsMonths(_),
                            Value::Date(_) | Value::DateTime(_)
                        )
                        | ("+" | "-", Value::Time(_), Value::DaysTime(_))
                        | ("+", Value::DaysTime(_), Value::Time(_))
                        | ("-", Value::Date(_), Value::Date(_))
                        | ("-", Value::DateTime(_), Value::DateTime(_))
                        | ("-", Value::Time(_), Value::Time(_))
                        | (
                            "*" | "/",
                            Value::DaysTime(_) | Value::YearsMonths(_),
                            Value::Number(_)
                        )
                        | (
                            "*",
                            Value::Number(_),
                            Value::DaysTime(_) | Value::YearsMonths(_)
                        )
                );
                assert_eq!(!result.is_null(), defined, "{} {name} {}", lit(x), lit(y));
            }
        }
    }
}

#[test]
fn zone_names_are_validated_and_canonical() {
    let shown = parse_time("10:00:00@europe/paris").map(|t| fmt(&Value::Time(t)));
    assert_eq!(shown.as_deref(), Some("10:00:00@Europe/Paris"));
    assert!(parse_time("10:00:00@Not/AZone").is_none());
    assert!(parse_time("10:00:00@").is_none());
}
