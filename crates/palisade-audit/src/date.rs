//! Calendar dates (UTC), for ignore expiry: the one notion of time the audit needs.
//!
//! The crate reads no clock: the caller passes today's date in
//! [`AuditSettings`](crate::AuditSettings), usually from [`Date::from_unix_seconds`] of
//! `SystemTime::now()`, so expiry is tested with fixed dates.

use std::fmt;
use std::str::FromStr;

use crate::error::{AuditError, ErrorKind};

/// A proleptic Gregorian calendar date, ordered chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order gives the derived `Ord` its chronological meaning.
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists (`2027-02-29` does not). Years 1 to 9999, as ISO 8601 writes
    /// them with four digits.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The UTC date of a Unix time in seconds (negative before 1970).
    pub fn from_unix_seconds(seconds: i64) -> Date {
        let days = seconds.div_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // Clamped: a clock before year 1 or after 9999 is not worth an error.
        Date::from_ymd(year, month, day).unwrap_or(if year < 1 {
            Date {
                year: 1,
                month: 1,
                day: 1,
            }
        } else {
            Date {
                year: 9999,
                month: 12,
                day: 31,
            }
        })
    }

    /// Parses `YYYY-MM-DD` (ISO 8601's calendar date, as TOML and `date -I` write it).
    pub fn parse(text: &str) -> Result<Date, AuditError> {
        let invalid = || {
            AuditError::new(
                ErrorKind::InvalidDate,
                format!("invalid date {text:?} (expected YYYY-MM-DD)"),
            )
        };
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(invalid());
        }
        let year: i32 = text[0..4].parse().map_err(|_| invalid())?;
        let month: u8 = text[5..7].parse().map_err(|_| invalid())?;
        let day: u8 = text[8..10].parse().map_err(|_| invalid())?;
        Date::from_ymd(year, month, day).ok_or_else(invalid)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl FromStr for Date {
    type Err = AuditError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 → (year, month, day): Howard Hinnant's `civil_from_days`, exact over
/// the whole range without loops.
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    let year = i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX });
    // Both fit u8 by the ranges above.
    (year, month as u8, day as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_validates_and_orders() {
        let d = Date::parse("2027-01-31").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2027, 1, 31));
        assert_eq!(d.to_string(), "2027-01-31");
        assert!(Date::parse("2024-02-29").is_ok());
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-1-31",
            "27-01-31",
            "2027/01/31",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2026-12-31").unwrap() < d);
        assert!(Date::parse("2027-02-01").unwrap() > d);
    }

    #[test]
    fn unix_seconds_to_utc_dates() {
        assert_eq!(Date::from_unix_seconds(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_seconds(-1).to_string(), "1969-12-31");
        // 2024-02-29T23:59:59Z and one second later.
        assert_eq!(
            Date::from_unix_seconds(1_709_251_199).to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::from_unix_seconds(1_709_251_200).to_string(),
            "2024-03-01"
        );
        assert_eq!(
            Date::from_unix_seconds(4_102_444_800).to_string(),
            "2100-01-01"
        );
        assert_eq!(Date::from_unix_seconds(i64::MAX).to_string(), "9999-12-31");
        assert_eq!(Date::from_unix_seconds(i64::MIN).to_string(), "0001-01-01");
    }
}
