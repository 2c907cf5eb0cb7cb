//! Line prefixes: the timestamp, hostname and program tag syslog (or a daemon's own log file)
//! puts before the message.
//!
//! Parsers look at the program tag to ignore other programs' lines (a `CRON[1]:` line that
//! mentions "Failed password" is not sshd's) and at the message for the rest. A line with no
//! prefix at all (`sshd -D -E file`) is all message.
//!
//! # Example
//!
//! ```
//! use palisade_logparse::prefix::{split_date, split_program};
//!
//! let line = "Nov 28 10:00:01 gate sshd[812]: Failed password for root from 192.0.2.7 port 22 ssh2";
//! assert_eq!(split_program(line), (Some("sshd"), "Failed password for root from 192.0.2.7 port 22 ssh2"));
//! assert_eq!(split_program("Accepted publickey for bob from ::1 port 2 ssh2\r"),
//!            (None, "Accepted publickey for bob from ::1 port 2 ssh2"));
//! assert_eq!(split_date("2026-11-28T10:00:01.5+00:00 gate x"), (Some("2026-11-28T10:00:01.5+00:00"), " gate x"));
//! ```

use memchr::memchr;

/// A line taken apart. Every part borrows from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix<'a> {
    /// The leading timestamp, as written.
    pub date: Option<&'a str>,
    /// The hostname syslog wrote before the program tag.
    pub host: Option<&'a str>,
    /// The program name of the tag, without pid and colon (`sshd`, `postfix/smtpd`).
    pub program: Option<&'a str>,
    /// The pid of the tag, when it has one.
    pub pid: Option<&'a str>,
    /// The rest: what the program said (trailing `\r`/`\n` removed).
    pub message: &'a str,
}

/// Splits a line into its program name (if it has a syslog-style tag) and its message.
pub fn split_program(line: &str) -> (Option<&str>, &str) {
    let p = split(line);
    (p.program, p.message)
}

/// Takes a line apart into timestamp, hostname, program tag and message.
///
/// Without a timestamp, a first word is taken for a program tag only when it carries a pid
/// (`sshd[12]:`): a bare message such as `error: maximum authentication attempts …` starts
/// with a word ending in a colon too.
pub fn split(line: &str) -> Prefix<'_> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (date, rest) = split_date(line);
    let rest = rest.trim_start_matches(' ');
    let mut out = Prefix {
        date,
        host: None,
        program: None,
        pid: None,
        message: rest,
    };
    let (t1, after1) = word(rest);
    let need_pid = date.is_none();
    if let Some((prog, pid)) = tag(t1, need_pid) {
        out.program = Some(prog);
        out.pid = pid;
        out.message = after1;
        return out;
    }
    let (t2, after2) = word(after1);
    if !t1.is_empty()
        && let Some((prog, pid)) = tag(t2, need_pid)
    {
        out.host = Some(t1);
        out.program = Some(prog);
        out.pid = pid;
        out.message = after2;
    }
    out
}

/// The first space-delimited word and what follows it (leading spaces of the rest removed).
fn word(s: &str) -> (&str, &str) {
    match memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], s[i + 1..].trim_start_matches(' ')),
        None => (s, ""),
    }
}

/// Recognises `name:`, `name[pid]:`; returns name and pid.
fn tag(w: &str, need_pid: bool) -> Option<(&str, Option<&str>)> {
    let w = w.strip_suffix(':')?;
    let (name, pid) = match w.strip_suffix(']') {
        Some(inner) => {
            let open = inner.rfind('[')?;
            let pid = &inner[open + 1..];
            if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&inner[..open], Some(pid))
        }
        None if need_pid => return None,
        None => (w, None),
    };
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphabetic()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    ok.then_some((name, pid))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const DAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

/// Splits a leading timestamp off a line, the way fail2ban's `{^LN-BEG}` date detection does:
/// `rest` starts right after the timestamp (usually with the space that followed it), which is
/// what fail2ban's regexes are matched against.
///
/// Recognised: syslog `[Sat ]Nov 28 10:00:01[.123456][ 2026]` (day space-padded or not) and
/// ISO 8601 / RFC 3339 `2026-11-28T10:00:01[.123][Z|+00:00|+0000]` (also with `/` or `.`
/// between the date parts and a space instead of `T`, as nginx's error log writes).
pub fn split_date(line: &str) -> (Option<&str>, &str) {
    let b = line.as_bytes();
    let end = syslog_date(b).or_else(|| iso_date(b));
    match end {
        // Every end index is right after an ASCII byte, so it is a char boundary.
        Some(e) if line.is_char_boundary(e) => (Some(&line[..e]), &line[e..]),
        _ => (None, line),
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> bool {
    b.get(at..at + n)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

fn is(b: &[u8], at: usize, c: u8) -> bool {
    b.get(at) == Some(&c)
}

/// `hh:mm:ss` at `at`; returns the index after it (and after any `.frac`).
fn clock(b: &[u8], at: usize, frac_sep: &[u8]) -> Option<usize> {
    if !(digits(b, at, 2)
        && is(b, at + 2, b':')
        && digits(b, at + 3, 2)
        && is(b, at + 5, b':')
        && digits(b, at + 6, 2))
    {
        // fail2ban's %k accepts a one-digit hour.
        if digits(b, at, 1)
            && is(b, at + 1, b':')
            && digits(b, at + 2, 2)
            && is(b, at + 4, b':')
            && digits(b, at + 5, 2)
        {
            return Some(frac(b, at + 7, frac_sep));
        }
        return None;
    }
    Some(frac(b, at + 8, frac_sep))
}

fn frac(b: &[u8], at: usize, seps: &[u8]) -> usize {
    if b.get(at).is_some_and(|c| seps.contains(c)) && digits(b, at + 1, 1) {
        let mut i = at + 1;
        while digits(b, i, 1) {
            i += 1;
        }
        i
    } else {
        at
    }
}

fn syslog_date(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    if b.len() >= 4 && DAYS.iter().any(|d| &b[..3] == *d) && b[3] == b' ' {
        i = 4;
    }
    let mon = b.get(i..i + 3)?;
    if !MONTHS.iter().any(|m| mon == *m) || !is(b, i + 3, b' ') {
        return None;
    }
    i += 4;
    // Day: "28", " 8" or "8".
    if is(b, i, b' ') {
        i += 1;
    }
    if digits(b, i, 2) {
        i += 2;
    } else if digits(b, i, 1) {
        i += 1;
    } else {
        return None;
    }
    if !is(b, i, b' ') {
        return None;
    }
    i = clock(b, i + 1, b".")?;
    // vsftpd's own log: "Sat Nov 28 10:00:01 2026".
    if is(b, i, b' ') && digits(b, i + 1, 4) && !digits(b, i + 5, 1) && !is(b, i + 5, b':') {
        i += 5;
    }
    Some(i)
}

fn iso_date(b: &[u8]) -> Option<usize> {
    if !(digits(b, 0, 4) && digits(b, 5, 2) && digits(b, 8, 2)) {
        return None;
    }
    let sep = *b.get(4)?;
    if !matches!(sep, b'-' | b'/' | b'.') || !is(b, 7, sep) {
        return None;
    }
    let mut i = 10;
    match b.get(i) {
        Some(b'T') => i += 1,
        Some(b' ') => {
            i += 1;
            if is(b, i, b' ') {
                i += 1;
            }
        }
        _ => return None,
    }
    i = clock(b, i, b".,")?;
    // Zone: Z, +hh:mm, +hhmm, optionally after a space.
    let z = if is(b, i, b' ') && matches!(b.get(i + 1), Some(b'+' | b'-')) {
        i + 1
    } else {
        i
    };
    if is(b, z, b'Z') {
        return Some(z + 1);
    }
    if matches!(b.get(z), Some(b'+' | b'-')) && digits(b, z + 1, 2) {
        if is(b, z + 3, b':') && digits(b, z + 4, 2) {
            return Some(z + 6);
        }
        if digits(b, z + 3, 2) {
            return Some(z + 5);
        }
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            split_date("Nov 28 10:00:01 h"),
            (Some("Nov 28 10:00:01"), " h")
        );
        assert_eq!(
            split_date("Nov  8 10:00:01 h"),
            (Some("Nov  8 10:00:01"), " h")
        );
        assert_eq!(
            split_date("Sat Nov 28 10:00:01 2026 [pid 1]"),
            (Some("Sat Nov 28 10:00:01 2026"), " [pid 1]")
        );
        assert_eq!(
            split_date("2026-11-28T10:00:01Z x"),
            (Some("2026-11-28T10:00:01Z"), " x")
        );
        assert_eq!(
            split_date("2026/11/28 10:00:01 [error]"),
            (Some("2026/11/28 10:00:01"), " [error]")
        );
        assert_eq!(
            split_date("2026-11-28T10:00:01.123456+0000 x"),
            (Some("2026-11-28T10:00:01.123456+0000"), " x")
        );
        assert_eq!(split_date("Failed password"), (None, "Failed password"));
        assert_eq!(split_date("Nov 28 10:0"), (None, "Nov 28 10:0"));
    }

    #[test]
    fn programs() {
        let p = split("Nov 28 10:00:01 mx postfix/submission/smtpd[99]: warning: x");
        assert_eq!(
            (p.host, p.program, p.pid, p.message),
            (
                Some("mx"),
                Some("postfix/submission/smtpd"),
                Some("99"),
                "warning: x"
            )
        );
        assert_eq!(
            split_program("Nov 28 10:00:01 mx dovecot: imap-login: x"),
            (Some("dovecot"), "imap-login: x")
        );
        assert_eq!(
            split_program("error: maximum authentication"),
            (None, "error: maximum authentication")
        );
        assert_eq!(
            split_program("sshd-session[5]: Failed x"),
            (Some("sshd-session"), "Failed x")
        );
        assert_eq!(
            split_program("Nov 28 10:00:01 h CRON[1]: Failed"),
            (Some("CRON"), "Failed")
        );
    }
}
