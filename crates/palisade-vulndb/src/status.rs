//! What the database holds and how old it is: [`Status`], for `palisade audit db status` and the
//! staleness warning before an audit.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use palisade_advisory::MergeStats;

use crate::name::{SourceKind, SourceName};

/// The database's sources and its merged index, as last written.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// The database directory.
    pub dir: PathBuf,
    /// The stored sources, in merge order (RustSec first, then by name).
    pub sources: Vec<SourceStatus>,
    /// The last index build, if any.
    pub index: Option<IndexSummary>,
}

/// One stored source.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceStatus {
    /// The name it is stored under.
    pub name: SourceName,
    /// What it was imported from.
    pub kind: SourceKind,
    /// The directory or archive it was imported from (absolute).
    pub origin: PathBuf,
    /// Records imported (withdrawn ones included).
    pub records: usize,
    /// Of those, withdrawn records (left out of the index).
    pub withdrawn: usize,
    /// Advisories these records make on their own, after merging records of one issue.
    pub advisories: usize,
    /// Record files that failed to parse at import and were left out.
    pub failed: usize,
    /// When it was imported.
    pub imported_at: SystemTime,
    /// The newest `modified` date among its records (or `published`, for RustSec's TOML,
    /// which has no modification date), as written. Dates after the import are ignored, so a
    /// record with a bogus future date cannot make an old snapshot look fresh.
    pub newest: Option<String>,
}

/// The merged index over all sources, as last built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndexSummary {
    /// When it was built.
    pub built_at: SystemTime,
    /// Records in, withdrawn, merged, advisories out.
    pub stats: MergeStats,
}

impl SourceStatus {
    /// When the data was last current: the newest record date when there is one, else the
    /// import time.
    pub fn current_at(&self) -> SystemTime {
        self.newest
            .as_deref()
            .and_then(parse_date)
            .unwrap_or(self.imported_at)
    }

    /// How old the data is at `now`: time since [`current_at`](Self::current_at).
    ///
    /// This is the age of the snapshot, not of the import: a dump from last year imported
    /// today is a year old. Databases without modification dates (RustSec's TOML) are dated by
    /// their newest publication, so a fresh checkout looks as old as its last advisory.
    pub fn age_at(&self, now: SystemTime) -> Duration {
        now.duration_since(self.current_at()).unwrap_or_default()
    }

    /// [`age_at`](Self::age_at) now.
    pub fn age(&self) -> Duration {
        self.age_at(SystemTime::now())
    }
}

impl Status {
    /// Whether there are no sources.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Records over all sources.
    pub fn records(&self) -> usize {
        self.sources.iter().map(|s| s.records).sum()
    }

    /// The sources older than `max_age` at `now`.
    pub fn stale_sources_at(&self, max_age: Duration, now: SystemTime) -> Vec<&SourceStatus> {
        self.sources
            .iter()
            .filter(|s| s.age_at(now) > max_age)
            .collect()
    }

    /// Whether any source is older than `max_age` at `now`, or there are none (no data is
    /// never fresh).
    pub fn stale_at(&self, max_age: Duration, now: SystemTime) -> bool {
        self.is_empty() || !self.stale_sources_at(max_age, now).is_empty()
    }

    /// [`stale_at`](Self::stale_at) now. The binary warns when this holds for 7 days.
    pub fn stale(&self, max_age: Duration) -> bool {
        self.stale_at(max_age, SystemTime::now())
    }
}

/// An RFC 3339 date or date-time (`2024-05-01`, `2024-05-01T12:00:00Z`,
/// `2024-05-01T12:00:00.123+02:00`) as a time, to the second; fractions and offsets are
/// ignored (staleness is counted in days).
pub(crate) fn parse_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = b.get(range)?;
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
        })
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    if b.len() >= 19 && matches!(b[10], b'T' | b't' | b' ') && b[13] == b':' && b[16] == b':' {
        let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h < 24 && m < 60 && s < 61 {
            seconds += h * 3600 + m * 60 + s;
        }
    }
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Days from 1970-01-01 to a date (Howard Hinnant's `days_from_civil`), for years ≥ 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_to_the_second() {
        let at = |s| parse_date(s).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(at("1970-01-01"), Some(0));
        assert_eq!(at("2000-03-01"), Some(951_868_800));
        assert_eq!(at("2024-02-29T12:30:05Z"), Some(1_709_209_805));
        assert_eq!(at("2024-02-29T12:30:05.123456Z"), Some(1_709_209_805));
        assert_eq!(at("2024-02-29 12:30:05+02:00"), Some(1_709_209_805));
        assert_eq!(at("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "24-01-01xx",
            "abcd-01-01",
            "1969-12-31",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    fn source(newest: Option<&str>, imported_at: SystemTime) -> SourceStatus {
        SourceStatus {
            name: SourceName::parse("x").unwrap(),
            kind: SourceKind::OsvDir,
            origin: PathBuf::from("/x"),
            records: 1,
            withdrawn: 0,
            advisories: 1,
            failed: 0,
            imported_at,
            newest: newest.map(str::to_owned),
        }
    }

    #[test]
    fn age_counts_from_the_newest_record() {
        let day = Duration::from_secs(86_400);
        let newest = parse_date("2026-08-20").unwrap();
        let imported = newest + 30 * day;
        let old = source(Some("2026-08-20"), imported);
        assert_eq!(old.age_at(imported), 30 * day);
        let undated = source(None, imported);
        assert_eq!(undated.age_at(imported + day), day);

        let status = Status {
            dir: PathBuf::new(),
            sources: vec![old, undated],
            index: None,
        };
        let week = 7 * day;
        assert!(status.stale_at(week, imported));
        assert_eq!(status.stale_sources_at(week, imported).len(), 1);
        assert!(!status.stale_at(week, newest + day));
        let empty = Status {
            dir: PathBuf::new(),
            sources: vec![],
            index: None,
        };
        assert!(empty.stale_at(week, imported));
    }
}
