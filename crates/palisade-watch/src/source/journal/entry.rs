//! journalctl's JSON entries → syslog-like lines.

use serde::Deserialize;
use serde_json::Value;

use crate::source::MAX_LINE;

/// One journal entry, as the reader thread hands it over.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) line: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) bytes: u64,
}

/// The fields of a journal entry we use; the others are skipped by the parser.
#[derive(Deserialize)]
struct Fields {
    #[serde(rename = "__CURSOR")]
    cursor: Option<String>,
    #[serde(rename = "MESSAGE")]
    message: Option<Value>,
    #[serde(rename = "SYSLOG_IDENTIFIER")]
    identifier: Option<Value>,
    #[serde(rename = "_COMM")]
    comm: Option<Value>,
    #[serde(rename = "_PID")]
    pid: Option<Value>,
    #[serde(rename = "SYSLOG_PID")]
    syslog_pid: Option<Value>,
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: Option<Value>,
}

pub(super) fn parse_entry(json: &[u8]) -> Option<Entry> {
    let fields: Fields = serde_json::from_slice(json).ok()?;
    let line = fields.message.as_ref().and_then(text).map(|message| {
        let ident = fields.identifier.as_ref().and_then(text);
        let ident = ident.or_else(|| fields.comm.as_ref().and_then(text));
        let pid = fields.pid.as_ref().and_then(text);
        let pid = pid.or_else(|| fields.syslog_pid.as_ref().and_then(text));
        let line = syslog_line(ident.as_deref(), pid.as_deref(), &message);
        // The entry's own time leads the line as an RFC 3339 timestamp (rsyslog's
        // high-precision format): parsers skip it, and `max_age` reads it.
        match fields.realtime.as_ref().and_then(text).and_then(rfc3339) {
            Some(at) => format!("{at} {line}"),
            None => line,
        }
    });
    Some(Entry {
        line,
        cursor: fields.cursor,
        bytes: json.len() as u64 + 1,
    })
}

/// journald's `__REALTIME_TIMESTAMP` (microseconds since the epoch) in RFC 3339, UTC.
fn rfc3339(micros: String) -> Option<String> {
    let t = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// `IDENT[PID]: MESSAGE`, one line, at most `MAX_LINE` bytes.
fn syslog_line(ident: Option<&str>, pid: Option<&str>, message: &str) -> String {
    let message = message.trim_end_matches(['\n', '\r']);
    let mut line = match (ident, pid) {
        (Some(ident), Some(pid)) => format!("{ident}[{pid}]: {message}"),
        (Some(ident), None) => format!("{ident}: {message}"),
        (None, _) => message.to_owned(),
    };
    if line.contains(['\n', '\r']) {
        line = line.replace(['\n', '\r'], " ");
    }
    if line.len() > MAX_LINE {
        let mut end = MAX_LINE;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    line
}

/// A field's value as text: journalctl prints a string, an array of bytes for binary data,
/// or an array of values for a field set several times (the first is used).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            let bytes: Vec<u8> = items
                .iter()
                .map(|b| {
                    b.as_u64()
                        .and_then(|b| u8::try_from(b).ok())
                        .unwrap_or(b'?')
                })
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Value::Array(items) => items.first().and_then(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::journal::child::read_bounded_line;
    use std::io;

    #[test]
    fn bounded_lines_are_cut_and_flagged() {
        let mut input = io::Cursor::new(b"short\nmuch too long\nlast".to_vec());
        let mut out = Vec::new();
        assert_eq!(
            read_bounded_line(&mut input, &mut out, 8).unwrap(),
            Some(false)
        );
        assert_eq!(out, b"short");
        assert_eq!(
            read_bounded_line(&mut input, &mut out, 8).unwrap(),
            Some(true)
        );
        assert_eq!(out, b"much too");
        assert_eq!(
            read_bounded_line(&mut input, &mut out, 8).unwrap(),
            Some(false)
        );
        assert_eq!(out, b"last");
        assert_eq!(read_bounded_line(&mut input, &mut out, 8).unwrap(), None);
    }

    #[test]
    fn the_entry_time_leads_the_line() {
        let e = parse_entry(
            br#"{"MESSAGE":"hi","SYSLOG_IDENTIFIER":"sshd","_PID":"7","__REALTIME_TIMESTAMP":"1795856400123456"}"#,
        )
        .unwrap();
        assert_eq!(
            e.line.as_deref(),
            Some("2026-11-28T09:00:00.123456Z sshd[7]: hi")
        );
    }

    #[test]
    fn entries_become_syslog_lines() {
        let line = |json: &str| parse_entry(json.as_bytes()).unwrap().line;
        assert_eq!(
            line(r#"{"MESSAGE":"hi","SYSLOG_IDENTIFIER":"sshd","_COMM":"x","_PID":"7"}"#)
                .as_deref(),
            Some("sshd[7]: hi")
        );
        assert_eq!(
            line(r#"{"MESSAGE":[104,255],"_COMM":"cron"}"#).as_deref(),
            Some("cron: h\u{fffd}")
        );
        assert_eq!(line(r#"{"MESSAGE":"a\nb\n"}"#).as_deref(), Some("a b"));
        assert_eq!(line(r#"{"MESSAGE":null,"_COMM":"x"}"#), None);
        assert_eq!(
            line(r#"{"MESSAGE":["one","two"],"SYSLOG_PID":"9","SYSLOG_IDENTIFIER":"s"}"#)
                .as_deref(),
            Some("s[9]: one")
        );
        assert!(parse_entry(b"-- No entries --").is_none());
    }
}
