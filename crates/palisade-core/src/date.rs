//! Calendar dates (UTC) for the pure crates, which read no clock: the caller passes today's
//! date ([`Date::from_unix_seconds`] of `SystemTime::now()`), so expiry dates and release
//! schedules are tested with fixed dates.

use std::fmt;
use std::str::FromStr;

/// Text that is not a `YYYY-MM-DD` date that exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError(pub String);

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid date {:?} (expected YYYY-MM-DD)", self.0)
    }
}

impl std::error::Error for DateError {}

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
    /// them with four digits. `const`, so built-in tables can hold checked dates.
    pub const fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        // Written out: `RangeInclusive::contains` is not `const`.
        let in_range = year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1;
        if in_range && day <= days_in_month(year, month) {
            Some(Date { year, month, day })
        } else {
            None
        }
    }

    /// A date of a built-in table: invalid ones fail to compile where used in a `const`.
    pub const fn known(year: i32, month: u8, day: u8) -> Date {
        match Date::from_ymd(year, month, day) {
            Some(date) => date,
            None => panic!("not a date"),
        }
    }

    /// The UTC date of a Unix time in seconds (`SystemTime::now()` in the caller); clamped to
    /// years 1 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> Date {
        Date::from_days(seconds.div_euclid(86_400))
    }

    /// Parses `YYYY-MM-DD` (ISO 8601's calendar date, as TOML and `date -I` write it).
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let invalid = || DateError(text.to_owned());
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shape_ok {
            return Err(invalid());
        }
        let number =
            |range: std::ops::Range<usize>| text[range].parse::<i32>().map_err(|_| invalid());
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (month, day) = (u8::try_from(month), u8::try_from(day));
        match (month, day) {
            (Ok(month), Ok(day)) => Date::from_ymd(year, month, day).ok_or_else(invalid),
            _ => Err(invalid()),
        }
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

    /// Days since 1970-01-01 (negative before): Howard Hinnant's `days_from_civil`.
    pub fn days(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400); // [0, 399]
        let month = i64::from(self.month);
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i64::from(self.day)
            - 1; // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01: Hinnant's `civil_from_days`, clamped to years 1 to
    /// 9999.
    pub fn from_days(days: i64) -> Date {
        let z = days.saturating_add(719_468);
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        match i32::try_from(year) {
            // Day and month fit u8 by the ranges above.
            Ok(year @ 1..=9999) => Date {
                year,
                month: month as u8,
                day: day as u8,
            },
            _ if year < 1 => Date::known(1, 1, 1),
            _ => Date::known(9999, 12, 31),
        }
    }

    /// The date `days` later (earlier when negative).
    pub fn plus_days(self, days: i64) -> Date {
        Date::from_days(self.days().saturating_add(days))
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_validate_display() {
        let d = Date::parse("2025-02-20").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2025, 2, 20));
        assert_eq!(d.to_string(), "2025-02-20");
        assert!(Date::parse("2024-02-29").is_ok());
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-1-01",
            "2025/01/01",
            "",
            "+025-01-01",
        ] {
            assert_eq!(Date::parse(bad), Err(DateError(bad.into())), "{bad}");
        }
    }

    #[test]
    fn day_arithmetic_round_trips() {
        assert_eq!(Date::known(1970, 1, 1).days(), 0);
        assert_eq!(Date::known(1969, 12, 31).days(), -1);
        assert_eq!(Date::known(2000, 3, 1).days(), 11_017);
        let mut d = Date::known(1999, 12, 25);
        for _ in 0..2000 {
            let next = d.plus_days(1);
            assert_eq!(next.days(), d.days() + 1);
            assert!(next > d);
            assert_eq!(Date::from_days(next.days()), next);
            d = next;
        }
        assert_eq!(
            Date::from_unix_seconds(1_709_251_199).to_string(),
            "2024-02-29"
        );
        assert_eq!(Date::from_unix_seconds(i64::MAX).to_string(), "9999-12-31");
        assert_eq!(Date::from_unix_seconds(i64::MIN).to_string(), "0001-01-01");
    }
}
