//! Date-times and durations of cases: RFC 3339 date-times with an offset, read and written
//! with the FEEL temporal values, and durations as exact seconds.
//!
//! Pipeline position: `process`. The core never reads the clock: every time comes from an
//! event's `at` or the caller's `now`. Times are compared as instants; a time computed from
//! another (a due date) keeps the other's offset.

use rust_decimal::Decimal;

use super::err::ApplyError;
use crate::value::temporal::{self, DateTime, Zone};
use crate::value::{DaysTimeDuration, Value, ops};

/// A point in time: its instant (UTC nanoseconds) and the date-time it was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct At {
    /// UTC nanoseconds since 1970-01-01.
    pub(crate) nanos: i128,
    /// The value, with its offset.
    pub(crate) value: DateTime,
}

impl At {
    /// Reads an RFC 3339 date-time with an offset (`Z` or `±hh:mm`).
    ///
    /// # Errors
    /// [`ApplyError::BadTime`] for anything else (no offset, a named zone, not a date-time).
    pub(crate) fn parse(text: &str) -> Result<At, ApplyError> {
        let bad = || ApplyError::BadTime {
            text: text.to_owned(),
        };
        let value = temporal::parse_date_time(text.trim()).ok_or_else(bad)?;
        if !matches!(value.zone, Some(Zone::Offset(_))) {
            return Err(bad());
        }
        let nanos = value.instant().ok_or_else(bad)?;
        Ok(At { nanos, value })
    }

    /// The date-time as text (`2024-05-01T09:30:00+02:00`, `…Z` for UTC).
    pub(crate) fn text(&self) -> String {
        temporal::format_date_time(&self.value)
    }

    /// This time plus `seconds` (kept in this time's offset); `None` out of range.
    pub(crate) fn plus(&self, seconds: Decimal) -> Option<At> {
        match ops::add(
            &Value::DateTime(self.value.clone()),
            &Value::DaysTime(DaysTimeDuration { seconds }),
        ) {
            Value::DateTime(value) => {
                let nanos = value.instant()?;
                Some(At { nanos, value })
            }
            _ => None,
        }
    }
}

/// The instant of a stored date-time text, `None` if it is not one.
pub(crate) fn nanos_of(text: &str) -> Option<i128> {
    At::parse(text).ok().map(|a| a.nanos)
}

/// A duration of `nanos` nanoseconds as ISO text (`P1DT2H`, `PT0S`).
pub(crate) fn duration_text(nanos: i128) -> String {
    match temporal::duration_from_nanos(nanos) {
        Some(d) => crate::value::duration::format_days_time(&d),
        None => "PT0S".to_owned(),
    }
}
