//! One zone's rules in the zone-data file, already parsed: jiff's TZif time zone laid out
//! field by field, so that an engine without the compiled-in database builds the zone
//! without jiff's TZif parser.
//!
//! Pipeline position: under [`super`], which writes a record per distinct zone (`cpm tzdata`)
//! and reads one the first time a name resolves to it.
//!
//! Why not ship the TZif bytes themselves: jiff's TZif parser checksums every zone with a
//! table-driven CRC-32, a 17 KB table that gzip cannot shrink, plus the parser itself:
//! ≈ 20 KB of the browser's decisions-only download. The file is written natively with
//! that parser (`write`), so the parsing is done once, by jiff, and the record holds its
//! result: version, checksum, abbreviations, local time types, the POSIX rule for times after
//! the last transition (as text, parsed again on reading with jiff's POSIX parser), and each
//! transition's instant and type. What jiff derives from those (each transition's kind and
//! civil start and end) is derived on reading by jiff's rule (`civil_bounds`). A test
//! compares every zone of the database, field by field, with jiff's own parse.
//!
//! The zone is handed to jiff through `TimeZone::__internal_from_tzif`, the constructor
//! jiff's own `jiff-static` uses for compiled-in zones. It is not part of jiff's public API,
//! so jiff and jiff-core are pinned to an exact version in the workspace; a new version is
//! taken only after this module's tests pass with it. It needs a `'static` zone: each zone
//! built is kept for the rest of the process (at most one per name in the file, ≈ 600).
//!
//! A record, little-endian: the TZif version (u8) and checksum (u32); the number of
//! abbreviations (u8), each as its length (u8) and text; the POSIX rule's length (u8, 0 for
//! none) and text; the number of local time types (u8), each as its offset in seconds (i32),
//! DST flag (u8), abbreviation index (u8) and indicator (u8: 0 local wall, 1 local standard,
//! 2 UT standard); the number of transitions (u32), their instants, then their local time type
//! indexes (u8 each). An instant is written as its distance in seconds from the one before
//! (from 0 for the first), zigzag-encoded (0, -1, 1, -2, … as 0, 1, 2, 3, …) in LEB128: most
//! distances are months, 3–4 bytes instead of 8, and the file gzips to half the size.

use jiff_core::tz::tzif::{
    self, DateTime, Indicator, LocalTimeType, MaybeNamedTimeZone, Timestamp, TransitionInfo,
    TransitionKind, Transitions,
};
use jiff_core::tz::{Abbreviation, Dst, Offset, TimeZoneId, posix};
use jiff_core::util::MaybeStaticSlice;

use super::{Reader, ZoneDataError};

/// Why a zone cannot be written as a record.
#[cfg(feature = "bundled-tzdb")]
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum WriteError {
    /// jiff's TZif parser refused the data.
    #[error("jiff cannot parse the TZif data: {0}")]
    Tzif(String),
    /// jiff read a POSIX rule, but the data does not end with it as `\n<rule>\n`.
    #[error("the TZif data does not end with its POSIX rule")]
    NoRuleFooter,
    /// A count or text does not fit its field.
    #[error("{0} does not fit the zone-data format")]
    TooLarge(&'static str),
}

/// Appends the record of the zone whose TZif data is `data`, parsed by jiff.
#[cfg(feature = "bundled-tzdb")]
pub(super) fn write(data: &[u8], out: &mut Vec<u8>) -> Result<(), WriteError> {
    let tz = tzif::TimeZone::parse(data).map_err(|e| WriteError::Tzif(e.to_string()))?;
    out.push(tz.version);
    out.extend_from_slice(&tz.checksum.to_le_bytes());
    let len = |n: usize, what| u8::try_from(n).map_err(|_| WriteError::TooLarge(what));
    out.push(len(tz.designations.len(), "the number of abbreviations")?);
    for abbreviation in tz.designations.iter() {
        out.push(len(abbreviation.len(), "an abbreviation")?);
        out.extend_from_slice(abbreviation.as_bytes());
    }
    let rule = if tz.posix_tz.is_some() {
        posix_footer(data).ok_or(WriteError::NoRuleFooter)?
    } else {
        ""
    };
    out.push(len(rule.len(), "the POSIX rule")?);
    out.extend_from_slice(rule.as_bytes());
    out.push(len(tz.types.len(), "the number of local time types")?);
    for t in tz.types.iter() {
        out.extend_from_slice(&t.offset.seconds().to_le_bytes());
        out.push(u8::from(t.dst.is_dst()));
        out.push(t.designation);
        out.push(match t.indicator {
            Indicator::LocalWall => 0,
            Indicator::LocalStandard => 1,
            Indicator::UTStandard => 2,
        });
    }
    let transitions = &tz.transitions;
    let count = u32::try_from(transitions.timestamps.len())
        .map_err(|_| WriteError::TooLarge("the number of transitions"))?;
    out.extend_from_slice(&count.to_le_bytes());
    let mut previous = 0i64;
    for t in transitions.timestamps.iter() {
        write_varint(t.as_second().wrapping_sub(previous), out);
        previous = t.as_second();
    }
    out.extend(transitions.infos.iter().map(|info| info.type_index));
    Ok(())
}

/// Appends `n` zigzag-encoded as LEB128.
#[cfg(feature = "bundled-tzdb")]
fn write_varint(n: i64, out: &mut Vec<u8>) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    loop {
        let low = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// The POSIX TZ string at the end of TZif data (version 2 and later end with
/// `\n<rule>\n`); a rule has no newline in it.
#[cfg(feature = "bundled-tzdb")]
fn posix_footer(data: &[u8]) -> Option<&str> {
    let body = data.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|&b| b == b'\n')? + 1;
    std::str::from_utf8(&body[start..]).ok()
}

/// The zone `name` from its record; checks every index against the lengths it indexes
/// into and that the transitions are in order, so that no record, however made, makes
/// jiff index out of bounds.
pub(super) fn read(name: &str, bytes: &[u8]) -> Result<MaybeNamedTimeZone, ZoneDataError> {
    let damaged = ZoneDataError::Damaged;
    let mut at = Reader { bytes, pos: 0 };
    let version = at.byte()?;
    let checksum = at.u32()?;
    let count = at.byte()?;
    let mut designations = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let len = usize::from(at.byte()?);
        let text = std::str::from_utf8(at.take(len)?)
            .map_err(|_| damaged("an abbreviation is not text"))?;
        designations.push(Abbreviation::new_or_heap(text));
    }
    let rule_len = usize::from(at.byte()?);
    let posix_tz = match at.take(rule_len)? {
        [] => None,
        rule => Some(
            posix::TimeZone::parse(rule)
                .map_err(|_| damaged("a POSIX time zone rule is invalid"))?,
        ),
    };
    let count = at.byte()?;
    let mut types = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let offset =
            Offset::from_seconds(at.i32()?).map_err(|_| damaged("an offset is out of range"))?;
        let dst = Dst::from(at.byte()? != 0);
        let designation = at.byte()?;
        if usize::from(designation) >= designations.len() {
            return Err(damaged("an abbreviation index is out of range"));
        }
        let indicator = match at.byte()? {
            0 => Indicator::LocalWall,
            1 => Indicator::LocalStandard,
            2 => Indicator::UTStandard,
            _ => return Err(damaged("a local time type indicator is unknown")),
        };
        types.push(LocalTimeType {
            offset,
            dst,
            designation,
            indicator,
        });
    }
    let count = at.u32()? as usize;
    // Each transition takes 2 bytes at least: a count the record cannot hold is refused
    // before anything is allocated for it.
    if count == 0 || count.saturating_mul(2) > at.bytes.len() - at.pos {
        return Err(damaged("a zone's transition count is wrong"));
    }
    let mut timestamps = Vec::with_capacity(count);
    let mut second = 0i64;
    for _ in 0..count {
        second = second
            .checked_add(read_varint(&mut at)?)
            .ok_or(damaged("a transition instant is out of range"))?;
        let t = Timestamp::from_second(second)
            .map_err(|_| damaged("a transition instant is out of range"))?;
        if timestamps.last().is_some_and(|&last| last >= t) {
            return Err(damaged("the transitions are not in order"));
        }
        timestamps.push(t);
    }
    let mut offsets = Vec::with_capacity(count);
    let mut infos = Vec::with_capacity(count);
    for &type_index in at.take(count)? {
        let t = types
            .get(usize::from(type_index))
            .ok_or(damaged("a local time type index is out of range"))?;
        offsets.push(t.offset);
        infos.push(TransitionInfo {
            type_index,
            kind: TransitionKind::Unambiguous,
        });
    }
    if at.pos != bytes.len() {
        return Err(damaged("a zone record has bytes after its end"));
    }
    let (civil_starts, civil_ends) = civil_bounds(&timestamps, &offsets, &mut infos);
    let tz = tzif::TimeZone {
        version,
        checksum,
        designations: MaybeStaticSlice::heap(designations.into_boxed_slice()),
        posix_tz,
        types: MaybeStaticSlice::heap(types.into_boxed_slice()),
        transitions: Transitions {
            timestamps: MaybeStaticSlice::heap(timestamps.into_boxed_slice()),
            civil_starts: MaybeStaticSlice::heap(civil_starts.into_boxed_slice()),
            civil_ends: MaybeStaticSlice::heap(civil_ends.into_boxed_slice()),
            infos: MaybeStaticSlice::heap(infos.into_boxed_slice()),
        },
    };
    Ok(tz.into_named(TimeZoneId::new_or_heap(name)))
}

/// A zigzag LEB128 number (see the module doc): at most 10 bytes, and no bits beyond 64.
fn read_varint(at: &mut Reader<'_>) -> Result<i64, ZoneDataError> {
    let mut z = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = at.byte()?;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 {
            break;
        }
        z |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(((z >> 1) as i64) ^ -((z & 1) as i64));
        }
    }
    Err(ZoneDataError::Damaged("a transition instant is malformed"))
}

/// Each transition's kind and the civil datetimes where it starts and ends, as jiff's TZif
/// parser derives them: the first transition is unambiguous and starts at the minimum; a
/// later one that moves the offset forward opens a gap, one that moves it back a fold.
fn civil_bounds(
    timestamps: &[Timestamp],
    offsets: &[Offset],
    infos: &mut [TransitionInfo],
) -> (Vec<DateTime>, Vec<DateTime>) {
    let mut starts = vec![DateTime::MIN];
    let mut ends = vec![DateTime::MIN];
    for (i, (&t, pair)) in timestamps
        .iter()
        .skip(1)
        .zip(offsets.windows(2))
        .enumerate()
    {
        let (before, after) = (pair[0], pair[1]);
        let (kind, start, end) = if before == after {
            let at = t.to_datetime(before);
            (TransitionKind::Unambiguous, at, at)
        } else if before < after {
            (
                TransitionKind::Gap,
                t.to_datetime(before),
                t.to_datetime(after),
            )
        } else {
            (
                TransitionKind::Fold,
                t.to_datetime(after),
                t.to_datetime(before),
            )
        };
        if let Some(info) = infos.get_mut(i + 1) {
            info.kind = kind;
        }
        starts.push(start);
        ends.push(end);
    }
    (starts, ends)
}

/// A jiff time zone from the record of zone `name`, kept for the rest of the process.
pub(super) fn time_zone(name: &str, bytes: &[u8]) -> Result<jiff::tz::TimeZone, ZoneDataError> {
    let zone: &'static MaybeNamedTimeZone = Box::leak(Box::new(read(name, bytes)?));
    Ok(jiff::tz::TimeZone::__internal_from_tzif(zone))
}
