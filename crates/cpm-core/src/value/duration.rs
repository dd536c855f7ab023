//! FEEL durations: `days and time duration` and `years and months duration`.

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
