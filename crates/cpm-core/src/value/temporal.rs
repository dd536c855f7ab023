//! FEEL temporal values: `date`, `time` and `date and time`, with optional zones.

use std::sync::Arc;

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
