//! JSON in and out: exact numbers, canonical text, depth limit, stability.

#![allow(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use common::*;
use cpm_core::value::json::{
    MAX_JSON_DEPTH, from_json, parse_number_text, to_canonical_json, to_json,
};
use cpm_core::value::{Function, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn parse(text: &str) -> Value {
    let j: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    from_json(&j).expect("convertible JSON")
}

#[test]
fn numbers_are_exact_from_their_text() {
    assert_eq!(lit(&parse("0.1")), "0.1");
    assert_eq!(lit(&parse("1.50")), "1.5");
    assert_eq!(lit(&parse("1e2")), "100");
    assert_eq!(lit(&parse("-2.5E-3")), "-0.0025");
    assert_eq!(lit(&parse("-0")), "0");
    assert_eq!(
        lit(&parse("12345678901234567890123456789")),
        "12345678901234567890123456789"
    );
    assert_eq!(
        lit(&parse("1.0000000000000000000000000001")),
        "1.0000000000000000000000000001"
    );
    assert_eq!(lit(&parse("1e-28")), "0.0000000000000000000000000001");
    assert_eq!(lit(&parse("100e-30")), "0.0000000000000000000000000001");
}

#[test]
fn numbers_that_do_not_fit_are_errors() {
    for text in [
        "1e400",
        "123456789012345678901234567890",
        "1e-29",
        "0.00000000000000000000000000001",
    ] {
        let j: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        let err = from_json(&j).expect_err(text);
        let message = err.to_string();
        assert!(
            message.starts_with("number `") && message.contains("does not fit"),
            "{message}"
        );
        let tail = &text[text.len() - 3..];
        assert!(message.contains(tail), "{message} names the value");
    }
    assert_eq!(parse_number_text("abc"), None);
    assert_eq!(parse_number_text("1.2.3"), None);
    assert_eq!(parse_number_text("."), None);
    assert_eq!(parse_number_text("1e"), None);
    assert_eq!(parse_number_text("7.5"), Some(Decimal::new(75, 1)));
}

#[test]
fn nesting_is_limited() {
    let deep_ok = format!(
        "{}{}",
        "[".repeat(MAX_JSON_DEPTH),
        "]".repeat(MAX_JSON_DEPTH)
    );
    let j: serde_json::Value = serde_json::from_str(&deep_ok).expect("valid JSON");
    assert!(from_json(&j).is_ok());
    let too_deep = format!(
        "{}{}",
        "[".repeat(MAX_JSON_DEPTH + 2),
        "]".repeat(MAX_JSON_DEPTH + 2)
    );
    let j: serde_json::Value = serde_json::from_str(&too_deep).expect("valid JSON");
    assert!(
        from_json(&j)
            .expect_err("too deep")
            .to_string()
            .contains("deeper than 64")
    );
}

#[test]
fn objects_keep_document_order_and_strings_stay_strings() {
    let v = parse(r#"{"b": "2024-01-01", "a": [1, true, null]}"#);
    assert_eq!(lit(&v), r#"{b: "2024-01-01", a: [1, true, null]}"#);
}

#[test]
fn canonical_json_is_compact_sorted_and_exact() {
    let v = c(vec![
        ("zeta", n("1.50")),
        ("alpha", l(vec![n("1e2"), n("-0.0"), s("a\"\\\n\t\u{1}é")])),
        ("Beta", t("2024-01-31T10:30:00@Europe/Paris")),
        ("é", t("P1DT2H")),
        ("ym", t("P0Y")),
        ("time", t("10:30:00.5Z")),
        (
            "range",
            r(true, Some(t("2024-01-01")), Some(t("2024-12-31")), false),
        ),
        ("below", r(false, None, Some(n("5")), false)),
        ("fn", Value::Function(Function::Builtin("abs"))),
        ("nothing", Value::Null),
        ("nested", c(vec![("b", b(false)), ("a", b(true))])),
    ]);
    assert_eq!(
        to_canonical_json(&v),
        concat!(
            r#"{"Beta":"2024-01-31T10:30:00@Europe/Paris","alpha":[100,0,"a\"\\\n\t\u0001é"],"#,
            r#""below":"< 5","fn":null,"nested":{"a":true,"b":false},"nothing":null,"#,
            r#""range":"[@\"2024-01-01\"..@\"2024-12-31\")","time":"10:30:00.5Z","ym":"P0M","#,
            r#""zeta":1.5,"é":"P1DT2H"}"#
        )
    );
}

#[test]
fn canonical_strings_match_serde_json() {
    let tricky = "quote\" backslash\\ nl\n cr\r tab\t bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f} é 😀 \u{2028}";
    assert_eq!(
        to_canonical_json(&s(tricky)),
        serde_json::to_string(tricky).expect("serializable")
    );
}

#[test]
fn to_json_has_exact_numbers() {
    let v = l(vec![n("0.1"), n("1.50"), s("x"), t("P1Y")]);
    assert_eq!(
        serde_json::to_string(&to_json(&v)).expect("serializable"),
        r#"[0.1,1.5,"x","P1Y"]"#
    );
    let round = from_json(&to_json(&v)).expect("convertible");
    assert_eq!(to_canonical_json(&round), r#"[0.1,1.5,"x","P1Y"]"#);
}

proptest! {
    #[test]
    fn canonical_json_of_decimals_is_stable(mantissa in any::<i64>(), scale in 0u32..=28) {
        let d = Decimal::new(mantissa, scale);
        let first = to_canonical_json(&Value::Number(d));
        let j: serde_json::Value = serde_json::from_str(&first).expect("canonical text is JSON");
        let back = from_json(&j).expect("fits");
        prop_assert_eq!(to_canonical_json(&back), first.clone());
        prop_assert!(!first.contains(['e', 'E']));
        let Value::Number(x) = back else { panic!("number expected") };
        prop_assert_eq!(x, d);
    }

    #[test]
    fn canonical_json_of_wide_decimals_is_stable(hi in any::<u32>(), mid in any::<u32>(), lo in any::<u32>(), negative in any::<bool>(), scale in 0u32..=28) {
        let d = Decimal::from_parts(lo, mid, hi, negative, scale);
        let first = to_canonical_json(&Value::Number(d));
        let j: serde_json::Value = serde_json::from_str(&first).expect("canonical text is JSON");
        let back = from_json(&j).expect("fits");
        prop_assert_eq!(to_canonical_json(&back), first);
    }
}

/// The number reader as it was first written (building the digits as text), kept as the
/// oracle for the allocation-free one.
fn reference_number(text: &str) -> Option<Decimal> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => {
            let exp_text = rest.get(i + 1..)?;
            let exp_text = exp_text.strip_prefix('+').unwrap_or(exp_text);
            if exp_text.is_empty() || exp_text.len() > 6 {
                return None;
            }
            (rest.get(..i)?, exp_text.parse::<i64>().ok()?)
        }
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut digits = format!("{int_part}{frac_part}");
    let mut scale = i64::try_from(frac_part.len()).ok()? - exponent;
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some(Decimal::ZERO);
    }
    digits = trimmed.to_owned();
    while scale > 28 && digits.ends_with('0') {
        digits.pop();
        scale -= 1;
    }
    if scale > 28 {
        return None;
    }
    if scale < 0 {
        if digits.len() as i64 - scale > 29 {
            return None;
        }
        for _ in 0..(-scale) {
            digits.push('0');
        }
        scale = 0;
    }
    if digits.len() > 29 {
        return None;
    }
    let mantissa: i128 = digits.parse().ok()?;
    let mantissa = if negative { -mantissa } else { mantissa };
    let d = Decimal::try_from_i128_with_scale(mantissa, u32::try_from(scale).ok()?).ok()?;
    Some(if d.is_zero() {
        Decimal::ZERO
    } else {
        d.normalize()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Number texts of every shape (leading and trailing zeros, long fractions, exponents
    /// either way, too many digits) read as the first implementation read them.
    #[test]
    fn number_text_reads_as_the_reference(
        sign in prop_oneof![Just(""), Just("-"), Just("+")],
        int in "[0-9]{0,32}",
        frac in proptest::option::of("[0-9]{0,32}"),
        exp in proptest::option::of((prop_oneof![Just("e"), Just("E")], prop_oneof![Just(""), Just("+"), Just("-")], 0u32..45)),
    ) {
        let mut text = format!("{sign}{int}");
        if let Some(frac) = &frac {
            text.push('.');
            text.push_str(frac);
        }
        if let Some((e, s, n)) = &exp {
            text.push_str(&format!("{e}{s}{n}"));
        }
        let got = parse_number_text(&text);
        let want = reference_number(&text);
        prop_assert_eq!(got.map(|d| (d, d.scale())), want.map(|d| (d, d.scale())), "{}", text);
    }

    /// Zeros around the digits, the case the reader handles without building text.
    #[test]
    fn zero_padded_numbers_read_as_the_reference(
        lead in 0usize..20, digits in "[1-9][0-9]{0,10}", trail in 0usize..40, frac_len in 0usize..40, exp in -40i64..40,
    ) {
        let body = format!("{}{digits}{}", "0".repeat(lead), "0".repeat(trail));
        let cut = frac_len.min(body.len());
        let (i, f) = body.split_at(body.len() - cut);
        let text = format!("{i}.{f}e{exp}");
        prop_assert_eq!(parse_number_text(&text).map(|d| (d, d.scale())), reference_number(&text).map(|d| (d, d.scale())), "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Numbers are written as `Display` writes the normalised decimal (what they were
    /// written with before), for every width, sign and scale.
    #[test]
    fn numbers_are_written_as_display_writes_them(
        hi in prop_oneof![Just(0u32), any::<u32>()], mid in prop_oneof![Just(0u32), any::<u32>()],
        lo in any::<u32>(), negative in any::<bool>(), scale in 0u32..=28,
    ) {
        let d = Decimal::from_parts(lo, mid, hi, negative, scale);
        let want = if d.is_zero() { "0".to_owned() } else { d.normalize().to_string() };
        prop_assert_eq!(cpm_core::value::duration::format_number(&d), want);
    }
}

/// 2^50 + 0.25: its shortest texts `…624.2` and `…624.3` are equally near.
const TIE: f64 = 1_125_899_906_842_624.0 + 0.25;

/// Floats of every magnitude: subnormals, powers of ten, integers, the extremes.
fn special_floats() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        0.1,
        0.3,
        1.0,
        100.0,
        1e21,
        1e-7,
        1.5e-8,
        123_456_789.0,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        5e-324,
        9_007_199_254_740_993.0,
        TIE,
    ];
    for e in -30..=30 {
        v.push(10f64.powi(e));
        v.push(-2.5 * 10f64.powi(e));
    }
    v
}

/// The significant digits of a float's text (no sign, point, exponent or zeros around).
fn significant(text: &str) -> String {
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_matches('0').to_owned()
}

/// What JavaScript's `String(x)` promises for the digits, which `float_text` gives in
/// Rust's layouts: the fewest digits that read back as `x`; when two such are equally
/// near, the even one (Rust's own formatter rounds that tie up: `...624.3`).
fn check_float_text<F>(x: F, display: &str, plain: &str, exponent: Option<(&str, &str)>)
where
    F: std::str::FromStr + PartialEq + std::fmt::Debug,
    <F as std::str::FromStr>::Err: std::fmt::Debug,
{
    assert_eq!(
        plain.parse::<F>().expect("a number"),
        x,
        "{plain} reads back"
    );
    let (ours, std) = (significant(plain), significant(display));
    if ours != std {
        assert_eq!(ours.len(), std.len(), "{plain} vs {display}: as short");
        let last = ours.bytes().last().unwrap_or(b'0');
        assert!(
            (last - b'0') % 2 == 0,
            "{plain} vs {display}: the tie goes to even"
        );
    }
    // The layout is the standard library's: only the digits may differ.
    let shape = |t: &str| t.replace(|c: char| c.is_ascii_digit(), "");
    assert_eq!(shape(plain), shape(display), "{plain} vs {display}");
    if let Some((exponent, display_exp)) = exponent {
        assert_eq!(
            exponent.parse::<F>().expect("a number"),
            x,
            "{exponent} reads back"
        );
        assert_eq!(significant(exponent), ours, "{exponent}: the same digits");
        assert_eq!(
            exponent.split('e').nth(1),
            display_exp.split('e').nth(1),
            "{exponent} vs {display_exp}: the same exponent"
        );
    }
}

#[test]
fn float_text_is_the_shortest_text_that_reads_back() {
    use cpm_core::value::float_text::{exponent, plain};
    for x in special_floats() {
        let e = exponent(x);
        check_float_text(x, &x.to_string(), &plain(x), Some((&e, &format!("{x:e}"))));
        #[expect(clippy::cast_possible_truncation, reason = "f32 cases from f64 ones")]
        let y = x as f32;
        if y.is_finite() {
            check_float_text(y, &y.to_string(), &plain(y), None);
        }
    }
    // What `String(1125899906842624.25)` gives in JavaScript (a tie between .2 and .3).
    assert_eq!(plain(TIE), "1125899906842624.2");
    assert_eq!(plain(0.1), "0.1");
    assert_eq!(plain(1e21), "1000000000000000000000");
    assert_eq!(exponent(1e21), "1e21");
    assert_eq!(exponent(-1.5e-8), "-1.5e-8");
    assert_eq!(plain(-0.0), "-0");
    assert_eq!(exponent(0.0), "0e0");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20000))]

    /// Any finite float, from its bits.
    #[test]
    fn float_text_of_any_float_is_the_shortest_text_that_reads_back(bits in any::<u64>(), bits32 in any::<u32>()) {
        use cpm_core::value::float_text::{exponent, plain};
        let x = f64::from_bits(bits);
        if x.is_finite() {
            let e = exponent(x);
            check_float_text(x, &x.to_string(), &plain(x), Some((&e, &format!("{x:e}"))));
        }
        let y = f32::from_bits(bits32);
        if y.is_finite() {
            check_float_text(y, &y.to_string(), &plain(y), None);
        }
    }
}
