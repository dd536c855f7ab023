//! The shortest decimal text of a binary float, laid out as Rust's `Display` (`{}`) and
//! `LowerExp` (`{:e}`) lay it out, for the adapters whose formats carry floats (JS numbers,
//! MessagePack floats).
//!
//! Pipeline position: value layer, used by [`super::json_data`]. The digits are what
//! JavaScript's `String(x)` promises: the fewest that read back as the float and, of two
//! equally near, the even one. They come from zmij (dtolnay's shortest round-trip
//! formatter, already linked through serde_json). The standard library's formatter rounds
//! that rare tie up instead (`1125899906842624.25` → `…624.3`, where JavaScript writes
//! `…624.2`), and would add about 14 KB of code to the browser build.
//! `tests/value_json.rs` checks both forms on random floats.

/// A float type zmij formats: `f32` or `f64`.
pub trait Float: zmij::Float + Copy {}
impl Float for f32 {}
impl Float for f64 {}

/// The shortest digits that read back as `v` (ties to even), never an exponent, laid out as
/// `v.to_string()` does (`1e21` → `1000000000000000000000`, `-0.0` → `-0`). `v` must be
/// finite.
pub fn plain<F: Float>(v: F) -> String {
    let s = Shortest::of(v);
    let mut out = String::with_capacity(s.digits.len() + 8);
    if s.negative {
        out.push('-');
    }
    let n = s.digits.len() as i32;
    if s.digits.is_empty() {
        out.push('0');
    } else if s.point <= 0 {
        out.push_str("0.");
        push_zeros(&mut out, -s.point);
        out.push_str(&s.digits);
    } else if s.point < n {
        let (int, frac) = s.digits.split_at(s.point as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str(&s.digits);
        push_zeros(&mut out, s.point - n);
    }
    out
}

/// The digits of [`plain`] laid out as `format!("{v:e}")` does: `1e21`, `1.5e-8`, `0e0`.
/// `v` must be finite.
pub fn exponent<F: Float>(v: F) -> String {
    let s = Shortest::of(v);
    let mut out = String::with_capacity(s.digits.len() + 8);
    if s.negative {
        out.push('-');
    }
    let (first, rest) = s.digits.split_at(s.digits.len().min(1));
    if first.is_empty() {
        out.push_str("0e0");
        return out;
    }
    out.push_str(first);
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out.push('e');
    out.push_str(&(s.point - 1).to_string());
    out
}

fn push_zeros(out: &mut String, n: i32) {
    for _ in 0..n {
        out.push('0');
    }
}

/// A finite float as `0.DIGITS × 10^point`, DIGITS without leading or trailing zeros (empty
/// for zero).
struct Shortest {
    negative: bool,
    digits: String,
    point: i32,
}

impl Shortest {
    fn of<F: Float>(v: F) -> Shortest {
        let mut buffer = zmij::Buffer::new();
        Shortest::read(buffer.format_finite(v))
    }

    /// Reads zmij's text: `-`?, digits with at most one `.`, then `e±N` or `eN` or nothing.
    fn read(text: &str) -> Shortest {
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
            None => (text, 0),
        };
        let int_len = mantissa.find('.').unwrap_or(mantissa.len()) as i32;
        let all: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let leading = all.len() - all.trim_start_matches('0').len();
        let digits = all.trim_matches('0').to_owned();
        let point = if digits.is_empty() {
            0
        } else {
            int_len - leading as i32 + exp
        };
        Shortest {
            negative,
            digits,
            point,
        }
    }
}
