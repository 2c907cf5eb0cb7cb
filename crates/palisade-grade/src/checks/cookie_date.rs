//! The cookie date format (RFC 6265 §5.1.1), which browsers and the Observatory's cookie jar
//! parse leniently: `Thu, 01-Jan-1970 00:00:00 GMT`, `Thursday, 01 Jan 70 …` all work.

use palisade_core::date::Date;

/// Seconds since the Unix epoch, or `None` when the date is not one.
pub(crate) fn parse(value: &str) -> Option<i64> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in value.split(is_delimiter).filter(|t| !t.is_empty()) {
        if time.is_none()
            && let Some(t) = parse_time(token)
        {
            time = Some(t);
        } else if day.is_none()
            && let Some(d) = leading_digits(token, 1, 2)
        {
            day = Some(d);
        } else if month.is_none()
            && let Some(m) = parse_month(token)
        {
            month = Some(m);
        } else if year.is_none()
            && let Some(y) = leading_digits(token, 2, 4)
        {
            year = Some(y);
        }
    }
    let (hour, minute, second) = time?;
    let (day, month, mut year) = (day?, month?, year?);
    if (70..=99).contains(&year) {
        year += 1900;
    } else if year <= 69 {
        year += 2000;
    }
    if year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = Date::from_ymd(
        i32::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )?;
    Some(date.days() * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn is_delimiter(c: char) -> bool {
    matches!(c, '\t' | ' '..='/' | ';'..='@' | '['..='`' | '{'..='~')
}

/// `1*max DIGIT` of at least `min` digits, optionally followed by a non-digit and anything.
fn leading_digits(token: &str, min: usize, max: usize) -> Option<i64> {
    let digits = token.bytes().take_while(u8::is_ascii_digit).count();
    if digits < min || digits > max {
        return None;
    }
    token[..digits].parse().ok()
}

/// `hh:mm:ss`, each field one or two digits.
fn parse_time(token: &str) -> Option<(i64, i64, i64)> {
    let mut fields = token.splitn(3, ':');
    let hour = leading_digits(fields.next()?, 1, 2)?;
    let minute = fields.next()?;
    let minute_digits = minute.len();
    if !(1..=2).contains(&minute_digits) || !minute.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let second = leading_digits(fields.next()?, 1, 2)?;
    Some((hour, minute.parse().ok()?, second))
}

fn parse_month(token: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = token.get(..3)?.to_ascii_lowercase();
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    i64::try_from(index).ok().map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_the_usual_formats() {
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse("Thu, 01-Jan-1970 00:00:01 GMT"), Some(1));
        assert_eq!(parse("Wed, 21 Oct 2015 07:28:00 GMT"), Some(1_445_412_480));
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
    }

    #[test]
    fn rejects_non_dates() {
        assert_eq!(parse("tomorrow"), None);
        assert_eq!(parse("Thu, 32 Jan 2020 00:00:00 GMT"), None);
        assert_eq!(parse("Thu, 01 Jan 2020"), None);
    }
}
