//! When a log line says it was written. Traditional syslog timestamps carry neither a year nor
//! a zone: they are the host's local time, in the current year (or the last one, for a
//! December line read in January).

use chrono::{DateTime, Datelike, Local, NaiveDateTime, TimeZone};

/// The line's own time in ms since the epoch, `None` when it has no date this reads.
pub fn line_time(line: &str, now: DateTime<Local>) -> Option<i64> {
    match palisade_logparse::prefix::split_date(line) {
        (Some(date), _) => parse(date, now),
        (None, _) => access_log_time(line),
    }
}

/// The `[28/Nov/2026:10:00:01 +0000]` of the common and combined access-log formats, which
/// follows the address and user, near the start of the line.
fn access_log_time(line: &str) -> Option<i64> {
    let head = &line[..line.floor_char_boundary(line.len().min(512))];
    let open = head.find('[')?;
    let close = open + head[open..].find(']')?;
    let t = DateTime::parse_from_str(&head[open + 1..close], "%d/%b/%Y:%H:%M:%S %z").ok()?;
    Some(t.timestamp_millis())
}

fn parse(date: &str, now: DateTime<Local>) -> Option<i64> {
    let date = date.trim();
    if date.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return iso(date);
    }
    // `[Sat ]Nov 28 10:00:01[.123456][ 2026]`, the day possibly space-padded.
    let words: Vec<&str> = date.split_whitespace().collect();
    let words = match words.first() {
        Some(w)
            if w.len() == 3
                && words.len() >= 4
                && !w.ends_with(|c: char| c.is_ascii_digit())
                && is_weekday(w) =>
        {
            &words[1..]
        }
        _ => &words[..],
    };
    let (text, has_year) = match words {
        [mon, day, time, year] => (format!("{year} {mon} {day} {time}"), true),
        [mon, day, time] => (format!("{} {mon} {day} {time}", now.year()), false),
        _ => return None,
    };
    let naive = match NaiveDateTime::parse_from_str(&text, "%Y %b %d %H:%M:%S%.f") {
        Ok(n) => n,
        // Feb 29 of a year without one: the line is from the last leap year's.
        Err(_) if !has_year => {
            let (_, rest) = text.split_once(' ')?;
            let last = format!("{} {rest}", now.year() - 1);
            NaiveDateTime::parse_from_str(&last, "%Y %b %d %H:%M:%S%.f").ok()?
        }
        Err(_) => return None,
    };
    let mut t = local(naive);
    if !has_year && t > now.timestamp_millis() + 86_400_000 {
        // A line from last December, read in January.
        t = local(naive.with_year(naive.year() - 1)?);
    }
    Some(t)
}

/// A local wall-clock time in ms since the epoch; a time inside a daylight-saving gap (which
/// no clock showed) is read as UTC rather than dropped.
fn local(naive: NaiveDateTime) -> i64 {
    Local.from_local_datetime(&naive).earliest().map_or_else(
        || naive.and_utc().timestamp_millis(),
        |t| t.timestamp_millis(),
    )
}

fn is_weekday(w: &str) -> bool {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&w)
}

/// ISO 8601 / RFC 3339, with or without a zone (without: local time).
fn iso(date: &str) -> Option<i64> {
    let normal: String = date
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            // `2026/11/28` and `2026.11.28` (nginx's error log) → `2026-11-28`.
            (4 | 7, '/' | '.') => '-',
            (10, ' ') => 'T',
            _ => c,
        })
        .collect();
    if let Ok(t) = DateTime::parse_from_rfc3339(&normal) {
        return Some(t.timestamp_millis());
    }
    if let Ok(t) = DateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.timestamp_millis());
    }
    let naive = NaiveDateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(local(naive))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Local> {
        Local
            .from_local_datetime(
                &NaiveDateTime::parse_from_str("2026-11-28 12:00:00", "%Y-%m-%d %H:%M:%S").unwrap(),
            )
            .unwrap()
    }

    fn local(s: &str) -> i64 {
        Local
            .from_local_datetime(&NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap())
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn syslog_timestamps_are_local_time_this_year() {
        let l = "Nov 28 10:00:01 host sshd[1]: Failed password for x from 1.2.3.4 port 1 ssh2";
        assert_eq!(line_time(l, now()), Some(local("2026-11-28 10:00:01")));
        let padded = "Nov  1 00:13:23 host sshd[2]: Invalid user a from 1.2.3.4";
        assert_eq!(line_time(padded, now()), Some(local("2026-11-01 00:13:23")));
        // December read in late November: last year's.
        let dec = "Dec 31 23:59:59 host sshd[3]: x";
        assert_eq!(line_time(dec, now()), Some(local("2025-12-31 23:59:59")));
    }

    #[test]
    fn vsftpd_and_iso_timestamps() {
        let v = "Sat Nov 28 15:04:58 2026 [pid 1] [bob] FAIL LOGIN: Client \"1.2.3.4\"";
        assert_eq!(line_time(v, now()), Some(local("2026-11-28 15:04:58")));
        let iso = "2026-11-28T10:00:00.123456+01:00 host sshd[1]: x";
        assert_eq!(line_time(iso, now()), Some(1_795_856_400_123));
        let z = "2020-01-01T00:00:00Z app[1]: login failed";
        assert_eq!(line_time(z, now()), Some(1_577_836_800_000));
    }

    #[test]
    fn access_log_times_are_read_inside_the_line() {
        let l = "203.0.113.5 - bob [28/Nov/2026:10:00:01 +0100] \"GET / HTTP/1.1\" 401 5";
        assert_eq!(line_time(l, now()), Some(1_795_856_401_000));
        assert_eq!(line_time("203.0.113.5 - - [junk] \"GET /\"", now()), None);
        // A multi-byte character across the 512-byte scan limit.
        let long = format!("{}é [28/Nov/2026:10:00:01 +0100]", "x".repeat(511));
        assert_eq!(line_time(&long, now()), None);
    }

    #[test]
    fn lines_without_a_date_have_no_time() {
        assert_eq!(line_time("Failed password for x from 1.2.3.4", now()), None);
        assert_eq!(line_time("", now()), None);
        assert_eq!(line_time("Nov 99 10:00:01 host x", now()), None);
    }
}
