//! FEEL temporal values: `date`, `time` and `date and time`, with optional zones.
//!
//! Pipeline position: value layer. The parser hands `@"…"` literal text to
//! [`parse_temporal_literal`]; the built-ins (`date(…)`, `time(…)`, …) use the other parsers;
//! [`crate::value::ops`] does the arithmetic on top of the instant helpers defined here.
//!
//! Limits: years are restricted to jiff's range, -9999..=9999 (FEEL allows
//! ±999,999,999); fractional seconds keep at most 9 digits (nanoseconds). IANA zones are
//! resolved with the same tz database on every target, so every target agrees: compiled in,
//! or installed at run time from a file written from it ([`super::zones`]).

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil;
use jiff::tz::Offset;

pub use super::format::format_value;
use super::{DaysTimeDuration, Value};

/// A calendar date (proleptic Gregorian, years -999,999,999..=999,999,999 per FEEL;
/// this implementation supports jiff's range, years -9999..=9999).
pub type Date = jiff::civil::Date;

/// The zone of a time or date-time, kept as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Zone {
    /// A fixed offset from UTC in seconds (`Z` is offset 0).
    Offset(i32),
    /// An IANA zone name (`Europe/Paris`), resolved with the bundled tz database.
    Named(Arc<str>),
}

/// A FEEL `time`: a time of day with an optional zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    /// Local time of day.
    pub time: jiff::civil::Time,
    /// The zone, if any.
    pub zone: Option<Zone>,
}

/// A FEEL `date and time`: a local date-time with an optional zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Local date and time.
    pub datetime: jiff::civil::DateTime,
    /// The zone, if any.
    pub zone: Option<Zone>,
}

/// Nanoseconds in one second.
pub(crate) const NANOS_PER_SECOND: i128 = 1_000_000_000;
/// Nanoseconds in one day.
pub(crate) const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND;
/// The largest offset accepted from text or from `time(h, m, s, offset)`: 18 hours, as in
/// XML Schema and `java.time`.
pub(crate) const MAX_OFFSET_SECONDS: i32 = 18 * 3600;

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/// A cursor over ASCII-oriented temporal text.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            s: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Reads a run of ASCII digits (possibly empty).
    fn digits(&mut self) -> &'a [u8] {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or(&[])
    }

    /// Reads exactly `n` digits as a number.
    fn fixed(&mut self, n: usize) -> Option<i64> {
        let d = self.digits();
        if d.len() != n {
            return None;
        }
        digits_value(d)
    }

    fn rest(&self) -> &'a [u8] {
        self.s.get(self.pos..).unwrap_or(&[])
    }
}

/// The value of a run of ASCII digits, `None` on overflow or when empty.
fn digits_value(d: &[u8]) -> Option<i64> {
    if d.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &b in d {
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    Some(v)
}

/// Parses `[-]YYYY-MM-DD` at the cursor (year: at least 4 digits, no leading zero when
/// longer, no `+`).
fn read_date(c: &mut Cursor<'_>) -> Option<Date> {
    let negative = c.eat(b'-');
    let year_digits = c.digits();
    if year_digits.len() < 4 || (year_digits.len() > 4 && year_digits.first() == Some(&b'0')) {
        return None;
    }
    let year = digits_value(year_digits)?;
    let year = if negative { -year } else { year };
    if !c.eat(b'-') {
        return None;
    }
    let month = c.fixed(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.fixed(2)?;
    make_date(year, month, day)
}

/// A date from numeric parts, `None` when out of range.
pub(crate) fn make_date(year: i64, month: i64, day: i64) -> Option<Date> {
    let year = i16::try_from(year).ok()?;
    let month = i8::try_from(month).ok()?;
    let day = i8::try_from(day).ok()?;
    Date::new(year, month, day).ok()
}

/// Parses `hh:mm:ss[.fffffffff]` at the cursor. Returns the time and whether it was the
/// end-of-day form `24:00:00`.
fn read_clock(c: &mut Cursor<'_>) -> Option<(civil::Time, bool)> {
    let hour = c.fixed(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.fixed(2)?;
    if !c.eat(b':') {
        return None;
    }
    let second = c.fixed(2)?;
    let mut nanos: i64 = 0;
    if c.eat(b'.') {
        let frac = c.digits();
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        nanos = digits_value(frac)?;
        for _ in frac.len()..9 {
            nanos *= 10;
        }
    }
    if hour == 24 {
        return (minute == 0 && second == 0 && nanos == 0)
            .then_some((civil::Time::midnight(), true));
    }
    let t = civil::Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()?;
    Some((t, false))
}

/// Parses an optional zone suffix (`Z`, `±hh:mm[:ss]`, `@Area/City`) that must end the text.
/// `Some(None)` means no zone; `None` means the suffix is invalid.
fn read_zone(c: &mut Cursor<'_>) -> Option<Option<Zone>> {
    match c.peek() {
        None => Some(None),
        Some(b'Z') => {
            c.pos += 1;
            c.at_end().then_some(Some(Zone::Offset(0)))
        }
        Some(sign @ (b'+' | b'-')) => {
            c.pos += 1;
            let h = c.fixed(2)?;
            if !c.eat(b':') {
                return None;
            }
            let m = c.fixed(2)?;
            let s = if c.eat(b':') { c.fixed(2)? } else { 0 };
            if m > 59 || s > 59 || !c.at_end() {
                return None;
            }
            let total = i32::try_from(h * 3600 + m * 60 + s).ok()?;
            if total > MAX_OFFSET_SECONDS {
                return None;
            }
            Some(Some(Zone::Offset(if sign == b'-' {
                -total
            } else {
                total
            })))
        }
        Some(b'@') => {
            let name = std::str::from_utf8(c.rest().get(1..)?).ok()?;
            c.pos = c.s.len();
            named_zone(name).map(Some)
        }
        Some(_) => None,
    }
}

/// A named zone, validated against the tz database ([`super::zones`]) and stored under its
/// canonical spelling.
pub fn named_zone(name: &str) -> Option<Zone> {
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    let tz = super::zones::lookup(name)?;
    let canonical = tz.iana_name().unwrap_or(name);
    Some(Zone::Named(Arc::from(canonical)))
}

/// Parses a FEEL date string: `2024-01-31`, `-0044-03-15`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut c = Cursor::new(s);
    let d = read_date(&mut c)?;
    c.at_end().then_some(d)
}

/// Parses a FEEL time string: `10:30:00`, `10:30:00.123`, `10:30:00+01:00`, `10:30:00Z`,
/// `10:30:00@Europe/Paris`. `24:00:00` is read as midnight.
pub fn parse_time(s: &str) -> Option<Time> {
    let mut c = Cursor::new(s);
    let (time, _) = read_clock(&mut c)?;
    let zone = read_zone(&mut c)?;
    Some(Time { time, zone })
}

/// Parses a FEEL date and time string: `2024-01-31T10:30:00[.fff][Z|±hh:mm|@Zone/Name]`.
/// A bare date gives midnight without zone; `T24:00:00` is midnight of the next day.
pub fn parse_date_time(s: &str) -> Option<DateTime> {
    let mut c = Cursor::new(s);
    let date = read_date(&mut c)?;
    if c.at_end() {
        return Some(DateTime {
            datetime: date.to_datetime(civil::Time::midnight()),
            zone: None,
        });
    }
    if !c.eat(b'T') {
        return None;
    }
    let (time, end_of_day) = read_clock(&mut c)?;
    let zone = read_zone(&mut c)?;
    let date = if end_of_day {
        date.tomorrow().ok()?
    } else {
        date
    };
    Some(DateTime {
        datetime: date.to_datetime(time),
        zone,
    })
}

/// Parses the text of an `@"…"` literal: a date, a date and time, a time, a days and time
/// duration or a years and months duration. `Null` when none matches.
pub fn parse_temporal_literal(s: &str) -> Value {
    if let Some(d) = parse_date(s) {
        return Value::Date(d);
    }
    if let Some(dt) = parse_date_time(s) {
        return Value::DateTime(dt);
    }
    if let Some(t) = parse_time(s) {
        return Value::Time(t);
    }
    if let Some(d) = super::duration::parse_days_time(s) {
        return Value::DaysTime(d);
    }
    if let Some(d) = super::duration::parse_years_months(s) {
        return Value::YearsMonths(d);
    }
    Value::Null
}

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

/// Formats a date as `YYYY-MM-DD` (`-YYYY-MM-DD` for negative years).
pub fn format_date(d: Date) -> String {
    let y = i32::from(d.year());
    let sign = if y < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{:02}-{:02}",
        y.unsigned_abs(),
        d.month(),
        d.day()
    )
}

/// Formats a local time of day: `hh:mm:ss`, with fractional seconds only when non-zero.
pub fn format_clock(t: civil::Time) -> String {
    let mut out = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let nanos = t.subsec_nanosecond();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out
}

/// Formats a zone suffix: `Z`, `+01:00`, `-02:45:55`, `@Europe/Paris`.
pub fn format_zone(z: &Zone) -> String {
    match z {
        Zone::Offset(0) => "Z".to_owned(),
        Zone::Offset(secs) => {
            let sign = if *secs < 0 { '-' } else { '+' };
            let a = secs.unsigned_abs();
            let (h, m, s) = (a / 3600, (a / 60) % 60, a % 60);
            if s == 0 {
                format!("{sign}{h:02}:{m:02}")
            } else {
                format!("{sign}{h:02}:{m:02}:{s:02}")
            }
        }
        Zone::Named(name) => format!("@{name}"),
    }
}

/// Formats a time: `10:30:00`, `10:30:00.5+01:00`, `10:30:00@Europe/Paris`.
pub fn format_time(t: &Time) -> String {
    let mut out = format_clock(t.time);
    if let Some(z) = &t.zone {
        out.push_str(&format_zone(z));
    }
    out
}

/// Formats a date and time: `2024-01-31T10:30:00Z`.
pub fn format_date_time(dt: &DateTime) -> String {
    let mut out = format_date(dt.datetime.date());
    out.push('T');
    out.push_str(&format_clock(dt.datetime.time()));
    if let Some(z) = &dt.zone {
        out.push_str(&format_zone(z));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Instants and local arithmetic
// ---------------------------------------------------------------------------------------

/// Nanoseconds since 1970-01-01T00:00:00 of a local date-time read as if it were UTC.
pub(crate) fn local_nanos(dt: civil::DateTime) -> Option<i128> {
    Offset::UTC
        .to_timestamp(dt)
        .ok()
        .map(Timestamp::as_nanosecond)
}

/// The local date-time `n` nanoseconds after 1970-01-01T00:00:00, `None` out of range.
pub(crate) fn from_local_nanos(n: i128) -> Option<civil::DateTime> {
    let ts = Timestamp::from_nanosecond(n).ok()?;
    let dt = Offset::UTC.to_datetime(ts);
    (-9999..=9999).contains(&dt.year()).then_some(dt)
}

/// The instant (UTC nanoseconds) of a local date-time in a zone. Times in a DST gap are
/// moved forward and times in a fold take the earlier offset (jiff's "compatible" rule).
pub(crate) fn instant_in(dt: civil::DateTime, z: &Zone) -> Option<i128> {
    match z {
        Zone::Offset(s) => Some(local_nanos(dt)? - i128::from(*s) * NANOS_PER_SECOND),
        Zone::Named(name) => {
            let tz = super::zones::lookup(name)?;
            tz.to_timestamp(dt).ok().map(Timestamp::as_nanosecond)
        }
    }
}

/// The local date-time of an instant seen in a zone.
pub(crate) fn local_in(instant: i128, z: &Zone) -> Option<civil::DateTime> {
    match z {
        Zone::Offset(s) => from_local_nanos(instant + i128::from(*s) * NANOS_PER_SECOND),
        Zone::Named(name) => {
            let tz = super::zones::lookup(name)?;
            let ts = Timestamp::from_nanosecond(instant).ok()?;
            let dt = tz.to_datetime(ts);
            (-9999..=9999).contains(&dt.year()).then_some(dt)
        }
    }
}

/// The UTC offset (seconds) in effect in zone `z` at local date-time `dt`.
pub(crate) fn offset_at(dt: civil::DateTime, z: &Zone) -> Option<i32> {
    match z {
        Zone::Offset(s) => Some(*s),
        Zone::Named(_) => {
            let instant = instant_in(dt, z)?;
            let local = local_nanos(dt)?;
            i32::try_from((local - instant) / NANOS_PER_SECOND).ok()
        }
    }
}

impl DateTime {
    /// The instant (UTC nanoseconds since the epoch), when the value has a zone.
    pub fn instant(&self) -> Option<i128> {
        instant_in(self.datetime, self.zone.as_ref()?)
    }
}

/// Nanoseconds since midnight of a local time of day.
pub(crate) fn clock_nanos(t: civil::Time) -> i128 {
    (i128::from(t.hour()) * 3600 + i128::from(t.minute()) * 60 + i128::from(t.second()))
        * NANOS_PER_SECOND
        + i128::from(t.subsec_nanosecond())
}

/// The local time of day `n` nanoseconds after midnight, wrapping around 24 hours.
pub(crate) fn clock_from_nanos(n: i128) -> Option<civil::Time> {
    let n = n.rem_euclid(NANOS_PER_DAY);
    let secs = n / NANOS_PER_SECOND;
    let nanos = n % NANOS_PER_SECOND;
    civil::Time::new(
        i8::try_from(secs / 3600).ok()?,
        i8::try_from((secs / 60) % 60).ok()?,
        i8::try_from(secs % 60).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()
}

/// The reference date used to resolve a named zone for a time without date: 1970-01-01.
fn reference_date() -> Date {
    Date::constant(1970, 1, 1)
}

/// A time's position normalised to UTC, in nanoseconds (may fall outside 0..24h): used to
/// compare and subtract zoned times. A named zone is resolved on 1970-01-01.
pub(crate) fn time_utc_nanos(t: &Time) -> Option<i128> {
    let z = t.zone.as_ref()?;
    let offset = offset_at(reference_date().to_datetime(t.time), z)?;
    Some(clock_nanos(t.time) - i128::from(offset) * NANOS_PER_SECOND)
}

/// Adds `months` to a date, clamping the day to the end of the resulting month.
pub(crate) fn add_months(d: Date, months: i64) -> Option<Date> {
    let total = i64::from(d.year())
        .checked_mul(12)?
        .checked_add(i64::from(d.month()) - 1)?
        .checked_add(months)?;
    let year = total.div_euclid(12);
    let month = total.rem_euclid(12) + 1;
    if !(-9999..=9999).contains(&year) {
        return None;
    }
    let first = make_date(year, month, 1)?;
    let day = i64::from(d.day()).min(i64::from(first.days_in_month()));
    make_date(year, month, day)
}

/// Whole months from `from` to `to`, counting only complete months (Java's
/// `Period.between` rule on the calendar dates).
pub(crate) fn months_between(from: Date, to: Date) -> i64 {
    let mut months = (i64::from(to.year()) * 12 + i64::from(to.month()))
        - (i64::from(from.year()) * 12 + i64::from(from.month()));
    let days = i64::from(to.day()) - i64::from(from.day());
    if months > 0 && days < 0 {
        months -= 1;
    } else if months < 0 && days > 0 {
        months += 1;
    }
    months
}

/// Converts a days and time duration to whole nanoseconds (digits beyond nanoseconds are
/// truncated), `None` when it does not fit.
pub(crate) fn duration_nanos(d: &DaysTimeDuration) -> Option<i128> {
    let n = d
        .seconds
        .checked_mul(rust_decimal::Decimal::from(1_000_000_000_i64))?
        .trunc();
    i128::try_from(n).ok()
}

/// A days and time duration of `n` nanoseconds.
pub(crate) fn duration_from_nanos(n: i128) -> Option<DaysTimeDuration> {
    let seconds = rust_decimal::Decimal::try_from_i128_with_scale(n, 9).ok()?;
    Some(DaysTimeDuration {
        seconds: seconds.normalize(),
    })
}

/// A date-time at midnight of `d`, without zone.
pub(crate) fn midnight(d: Date) -> civil::DateTime {
    d.to_datetime(civil::Time::midnight())
}

/// A date read as a date-time at midnight UTC, for subtraction with zoned date-times.
pub(crate) fn date_as_utc(d: Date) -> DateTime {
    DateTime {
        datetime: midnight(d),
        zone: Some(Zone::Offset(0)),
    }
}
