//! FEEL durations: `days and time duration` and `years and months duration`.
//!
//! Pipeline position: value layer. Days and time durations are exact decimal seconds;
//! years and months durations are whole months. Both parse from and format to the XML
//! Schema lexical forms FEEL uses (`P1DT2H3M4.5S`, `-P1Y2M`), always in canonical form
//! (`PT24H` is shown as `P1D`, `P14M` as `P1Y2M`).

use rust_decimal::Decimal;

/// A days and time duration, as an exact (possibly fractional, possibly negative) number of
/// seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DaysTimeDuration {
    /// Total seconds.
    pub seconds: Decimal,
}

/// A years and months duration, as a whole (possibly negative) number of months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearsMonthsDuration {
    /// Total months.
    pub months: i64,
}

/// Splits an optional leading `-` and the mandatory `P`.
fn strip_prefix(s: &str) -> Option<(bool, &str)> {
    let (negative, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    Some((negative, rest.strip_prefix('P')?))
}

/// Reads `<digits>[.<digits>]<unit>` from the front of `s` if the unit is `unit`.
/// Returns the number text and the rest. Fractions are allowed only when `frac` is set.
fn component(s: &str, unit: char, frac: bool) -> Option<(Decimal, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let int_end = i;
    if frac && bytes.get(i) == Some(&b'.') {
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if !s.get(i..)?.starts_with(unit) {
        return None;
    }
    let mut text = s.get(..i)?;
    if text.ends_with('.') {
        text = s.get(..int_end)?;
    }
    let value = Decimal::from_str_exact(text).ok()?;
    Some((value, s.get(i + unit.len_utf8()..)?))
}

/// Reads an optional component; leaves `s` unchanged when absent.
fn optional(s: &mut &str, unit: char, frac: bool) -> Option<Option<Decimal>> {
    let starts_with_digit = s.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if !starts_with_digit {
        return Some(None);
    }
    match component(s, unit, frac) {
        Some((v, rest)) => {
            *s = rest;
            Some(Some(v))
        }
        None => Some(None),
    }
}

/// Parses a days and time duration: `P1DT2H3M4.5S`, `-PT1H`, `PT0.5S`.
pub fn parse_days_time(s: &str) -> Option<DaysTimeDuration> {
    let (negative, mut rest) = strip_prefix(s)?;
    let mut total = Decimal::ZERO;
    let mut any = false;
    if let Some(days) = optional(&mut rest, 'D', false)? {
        total = days.checked_mul(Decimal::from(86_400))?;
        any = true;
    }
    if let Some(after_t) = rest.strip_prefix('T') {
        rest = after_t;
        let mut any_time = false;
        for (unit, factor, frac) in [('H', 3600, false), ('M', 60, false), ('S', 1, true)] {
            if let Some(v) = optional(&mut rest, unit, frac)? {
                total = total.checked_add(v.checked_mul(Decimal::from(factor))?)?;
                any_time = true;
            }
        }
        if !any_time {
            return None;
        }
        any = true;
    }
    if !any || !rest.is_empty() {
        return None;
    }
    let seconds = if negative { -total } else { total };
    Some(DaysTimeDuration {
        seconds: normalize(seconds),
    })
}

/// Parses a years and months duration: `P1Y2M`, `-P3M`, `P14M`.
pub fn parse_years_months(s: &str) -> Option<YearsMonthsDuration> {
    let (negative, mut rest) = strip_prefix(s)?;
    let years = optional(&mut rest, 'Y', false)?;
    let months = optional(&mut rest, 'M', false)?;
    if (years.is_none() && months.is_none()) || !rest.is_empty() {
        return None;
    }
    let y = i64::try_from(years.unwrap_or_default()).ok()?;
    let m = i64::try_from(months.unwrap_or_default()).ok()?;
    let total = y.checked_mul(12)?.checked_add(m)?;
    Some(YearsMonthsDuration {
        months: if negative { -total } else { total },
    })
}

/// A decimal with trailing zeros removed and negative zero made positive.
pub(crate) fn normalize(d: Decimal) -> Decimal {
    if d.is_zero() {
        Decimal::ZERO
    } else {
        d.normalize()
    }
}

/// Canonical text of a decimal: no exponent, no trailing zeros, `0` for negative zero.
pub fn format_number(d: &Decimal) -> String {
    let mut out = String::new();
    write_number(&mut out, d);
    out
}

/// Writes the canonical text of a decimal ([`format_number`]) at the end of `out`, from
/// its digits (the same text as `Display` of the normalised decimal, without the
/// formatting machinery).
pub fn write_number(out: &mut String, d: &Decimal) {
    let d = normalize(*d);
    let mantissa = d.mantissa();
    if mantissa < 0 {
        out.push('-');
    }
    // 96 bits are at most 29 decimal digits.
    let mut buf = [b'0'; 40];
    let mut start = buf.len();
    let mut rest = mantissa.unsigned_abs();
    loop {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || start == 0 {
            break;
        }
    }
    let digits = buf.get(start..).unwrap_or_default();
    let push = |out: &mut String, bytes: &[u8]| {
        out.extend(bytes.iter().map(|&b| char::from(b)));
    };
    let scale = d.scale() as usize;
    if scale == 0 {
        push(out, digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        push(out, int);
        out.push('.');
        push(out, frac);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        push(out, digits);
    }
}

/// Formats a days and time duration canonically: `P1DT2H3M4.5S`, `-P2D`, `PT0S`.
pub fn format_days_time(d: &DaysTimeDuration) -> String {
    let total = normalize(d.seconds);
    if total.is_zero() {
        return "PT0S".to_owned();
    }
    let negative = total.is_sign_negative();
    let abs = total.abs();
    let day = Decimal::from(86_400);
    let days = (abs / day).trunc();
    let mut rem = abs - days * day;
    let hours = (rem / Decimal::from(3600)).trunc();
    rem -= hours * Decimal::from(3600);
    let minutes = (rem / Decimal::from(60)).trunc();
    let seconds = normalize(rem - minutes * Decimal::from(60));
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push('P');
    if !days.is_zero() {
        out.push_str(&format_number(&days));
        out.push('D');
    }
    if !(hours.is_zero() && minutes.is_zero() && seconds.is_zero()) {
        out.push('T');
        if !hours.is_zero() {
            out.push_str(&format_number(&hours));
            out.push('H');
        }
        if !minutes.is_zero() {
            out.push_str(&format_number(&minutes));
            out.push('M');
        }
        if !seconds.is_zero() {
            out.push_str(&format_number(&seconds));
            out.push('S');
        }
    }
    out
}

/// Formats a years and months duration canonically: `P1Y2M`, `-P3M`, `P0M`.
pub fn format_years_months(d: &YearsMonthsDuration) -> String {
    if d.months == 0 {
        return "P0M".to_owned();
    }
    let abs = d.months.unsigned_abs();
    let (years, months) = (abs / 12, abs % 12);
    let mut out = String::new();
    if d.months < 0 {
        out.push('-');
    }
    out.push('P');
    if years != 0 {
        out.push_str(&format!("{years}Y"));
    }
    if months != 0 {
        out.push_str(&format!("{months}M"));
    }
    out
}

impl DaysTimeDuration {
    /// A duration of `seconds` seconds.
    pub fn from_seconds(seconds: Decimal) -> Self {
        Self {
            seconds: normalize(seconds),
        }
    }
}

impl YearsMonthsDuration {
    /// A duration of `months` months.
    pub fn from_months(months: i64) -> Self {
        Self { months }
    }
}
