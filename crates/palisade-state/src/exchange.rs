//! Import and export of the black book: CSV (`ip_or_cidr,reason,source,expires_at`), JSON,
//! and plain lists of addresses (one or more per line, as fail2ban's `banip` output and
//! CrowdSec blocklists give them).
//!
//! Parsing is separate from applying: [`parse`] turns text into [`BanRequest`]s (or a
//! [`ParseError`] naming the line), and [`crate::State::import`] applies them.
//!
//! # Example
//!
//! ```
//! use palisade_core::Timestamp;
//! use palisade_state::exchange::{parse, Format, ImportDefaults};
//!
//! let csv = "ip_or_cidr,reason,source,expires_at\n\
//!            203.0.113.7,\"sqli, twice\",rule,2030-01-01T00:00:00Z\n\
//!            198.51.100.0/24,spam,import,\n";
//! let bans = parse(csv, Format::Csv, &ImportDefaults::default()).unwrap();
//! assert_eq!(bans.len(), 2);
//! assert_eq!(bans[0].reason, "sqli, twice");
//! assert_eq!(bans[1].expires_at, None);
//!
//! let err = parse("10.0.0.1\nnot-an-ip\n", Format::Plain, &ImportDefaults::default());
//! assert_eq!(err.unwrap_err().to_string(), "line 2: `not-an-ip` is not an IP address or CIDR network");
//! # let _ = Timestamp(0);
//! ```

use std::fmt::Write as _;
use std::str::FromStr;

use ipnet::IpNet;
use palisade_core::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};

use crate::ban::{Ban, BanRequest, BanSource};
use crate::error::ParseError;
use crate::net::parse_target;

/// The CSV header line.
pub const CSV_HEADER: &str = "ip_or_cidr,reason,source,expires_at";

/// A file format for import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `ip_or_cidr,reason,source,expires_at` with a header line; `expires_at` RFC 3339 or
    /// empty for permanent.
    Csv,
    /// An array of objects: `target` (or `ip`, `value`), `reason`, `source`, `expires_at`.
    Json,
    /// Addresses and networks separated by whitespace; `#` starts a comment.
    Plain,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "plain" | "txt" | "list" => Ok(Format::Plain),
            _ => Err(format!(
                "`{s}` is not a black book format (csv, json, plain)"
            )),
        }
    }
}

/// What imported entries get when the file does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportDefaults {
    /// Source for plain lists and empty CSV/JSON fields. Default [`BanSource::Import`].
    pub source: BanSource,
    /// Reason for plain lists and empty fields. Default `imported`.
    pub reason: String,
    /// Expiry for plain lists and entries without one. Default `None` (permanent).
    pub expires_at: Option<Timestamp>,
}

impl Default for ImportDefaults {
    fn default() -> Self {
        ImportDefaults {
            source: BanSource::Import,
            reason: "imported".to_owned(),
            expires_at: None,
        }
    }
}

/// How a target is written: a bare address for a host, CIDR otherwise (what other tools read).
pub fn display_target(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// Renders bans in `format`.
pub fn export(bans: &[Ban], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Plain => {
            for b in bans {
                out.push_str(&display_target(&b.target));
                out.push('\n');
            }
        }
        Format::Csv => {
            out.push_str(CSV_HEADER);
            out.push('\n');
            for b in bans {
                let expires = b.expires_at.map(Timestamp::rfc3339).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{},{},{},{}",
                    display_target(&b.target),
                    csv_field(&b.reason),
                    b.source,
                    expires
                );
            }
        }
        Format::Json => {
            let wire: Vec<WireOut<'_>> = bans.iter().map(WireOut::from).collect();
            // Serialising plain strings and numbers cannot fail.
            out = serde_json::to_string_pretty(&wire).unwrap_or_default();
            out.push('\n');
        }
    }
    out
}

/// Parses an import file.
pub fn parse(
    text: &str,
    format: Format,
    defaults: &ImportDefaults,
) -> Result<Vec<BanRequest>, ParseError> {
    match format {
        Format::Plain => parse_plain(text, defaults),
        Format::Csv => parse_csv(text, defaults),
        Format::Json => parse_json(text, defaults),
    }
}

fn parse_plain(text: &str, d: &ImportDefaults) -> Result<Vec<BanRequest>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for token in line.split(|c: char| c.is_whitespace() || c == ',') {
            if token.is_empty() {
                continue;
            }
            let target = parse_target(token).map_err(|m| ParseError::new(i + 1, m))?;
            out.push(BanRequest::permanent(target, d.source, d.reason.clone()).until(d.expires_at));
        }
    }
    Ok(out)
}

fn parse_csv(text: &str, d: &ImportDefaults) -> Result<Vec<BanRequest>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_csv(line).map_err(|m| ParseError::new(n, m))?;
        if n == 1 && fields.first().is_some_and(|f| f.trim() == "ip_or_cidr") {
            continue;
        }
        if !(1..=4).contains(&fields.len()) {
            return Err(ParseError::new(
                n,
                format!(
                    "expected up to 4 fields ({CSV_HEADER}), found {}",
                    fields.len()
                ),
            ));
        }
        let field = |k: usize| fields.get(k).map(|f| f.trim()).filter(|f| !f.is_empty());
        let target = parse_target(field(0).unwrap_or("")).map_err(|m| ParseError::new(n, m))?;
        let reason = field(1).map_or_else(|| d.reason.clone(), str::to_owned);
        let source = match field(2) {
            Some(s) => s.parse().map_err(|m: String| ParseError::new(n, m))?,
            None => d.source,
        };
        let expires_at = match field(3) {
            Some(s) => Some(parse_time(s).map_err(|m| ParseError::new(n, m))?),
            None => d.expires_at,
        };
        out.push(BanRequest::permanent(target, source, reason).until(expires_at));
    }
    Ok(out)
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    humantime::parse_rfc3339_weak(s)
        .map(Timestamp::from)
        .map_err(|_| format!("`{s}` is not an RFC 3339 time (like 2030-01-31T12:00:00Z)"))
}

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside fields).
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".to_owned()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => return Err(format!("unexpected `{c}` after a quoted field")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

fn csv_field(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ");
    if s.contains([',', '"']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[derive(Serialize)]
struct WireOut<'a> {
    target: String,
    reason: &'a str,
    source: BanSource,
    expires_at: Option<String>,
    first_seen: String,
    last_seen: String,
    hits: u64,
    bans: u32,
}

impl<'a> From<&'a Ban> for WireOut<'a> {
    fn from(b: &'a Ban) -> Self {
        WireOut {
            target: display_target(&b.target),
            reason: &b.reason,
            source: b.source,
            expires_at: b.expires_at.map(Timestamp::rfc3339),
            first_seen: b.first_seen.rfc3339(),
            last_seen: b.last_seen.rfc3339(),
            hits: b.hits,
            bans: b.bans,
        }
    }
}

/// An imported entry; validated while deserialising so serde_json reports the position.
#[derive(Deserialize)]
struct WireIn {
    #[serde(alias = "ip", alias = "value")]
    target: WireTarget,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    source: Option<BanSource>,
    #[serde(default)]
    expires_at: Option<WireTime>,
}

struct WireTarget(IpNet);

impl<'de> Deserialize<'de> for WireTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_target(&s)
            .map(WireTarget)
            .map_err(serde::de::Error::custom)
    }
}

struct WireTime(Timestamp);

impl<'de> Deserialize<'de> for WireTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_time(&s)
            .map(WireTime)
            .map_err(serde::de::Error::custom)
    }
}

fn parse_json(text: &str, d: &ImportDefaults) -> Result<Vec<BanRequest>, ParseError> {
    let items: Vec<WireIn> = serde_json::from_str(text).map_err(|e| {
        // serde_json appends " at line L column C"; the line goes into our own field.
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        ParseError::new(e.line(), msg)
    })?;
    Ok(items
        .into_iter()
        .map(|w| {
            BanRequest::permanent(
                w.target.0,
                w.source.unwrap_or(d.source),
                w.reason
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| d.reason.clone()),
            )
            .until(w.expires_at.map(|t| t.0).or(d.expires_at))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ban(target: &str, reason: &str, expires: Option<i64>) -> Ban {
        Ban {
            target: parse_target(target).unwrap(),
            reason: reason.to_owned(),
            source: BanSource::Manual,
            first_seen: Timestamp(1_700_000_000_000),
            last_seen: Timestamp(1_700_000_000_000),
            hits: 3,
            expires_at: expires.map(Timestamp),
            bans: 1,
        }
    }

    #[test]
    fn every_format_round_trips() {
        let bans = vec![
            ban(
                "203.0.113.7",
                "sqli, \"quoted\"\nnext",
                Some(1_900_000_000_000),
            ),
            ban("2001:db8::/32", "v6 net", None),
        ];
        for format in [Format::Csv, Format::Json, Format::Plain] {
            let text = export(&bans, format);
            let back = parse(&text, format, &ImportDefaults::default()).unwrap();
            assert_eq!(back.len(), 2, "{format:?}: {text}");
            assert_eq!(back[0].target, bans[0].target);
            assert_eq!(back[1].target, bans[1].target);
            if format != Format::Plain {
                // CSV has no multi-line fields: line breaks become spaces; JSON keeps them.
                let reason = if format == Format::Csv {
                    "sqli, \"quoted\" next"
                } else {
                    "sqli, \"quoted\"\nnext"
                };
                assert_eq!(back[0].reason, reason);
                assert_eq!(back[0].source, BanSource::Manual);
                assert_eq!(back[0].expires_at, bans[0].expires_at);
                assert_eq!(back[1].expires_at, None);
            }
        }
    }

    #[test]
    fn errors_name_the_line() {
        let d = ImportDefaults::default();
        let e = parse(
            "ip_or_cidr,reason,source,expires_at\n1.2.3.4,x,rule,\n1.2.3.5,x,bogus,\n",
            Format::Csv,
            &d,
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("bogus"), "{e}");
        let e = parse("1.2.3.4,\"open\n", Format::Csv, &d).unwrap_err();
        assert_eq!(e.to_string(), "line 1: unterminated quoted field");
        let e = parse("1.2.3.4,a,rule,tomorrow\n", Format::Csv, &d).unwrap_err();
        assert!(e.message.contains("RFC 3339"), "{e}");
        let e = parse(
            "[\n {\"ip\": \"1.2.3.4\"},\n {\"ip\": \"1.2.3\"}\n]",
            Format::Json,
            &d,
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("1.2.3"), "{e}");
    }

    #[test]
    fn plain_lists_from_fail2ban_and_crowdsec() {
        let d = ImportDefaults::default();
        // fail2ban-client get <jail> banip: one line, space separated.
        let bans = parse("192.0.2.1 192.0.2.2\t198.51.100.0/24\n", Format::Plain, &d).unwrap();
        assert_eq!(bans.len(), 3);
        // A blocklist with comments and blank lines.
        let bans = parse("# crowdsec\n\n2001:db8::1  # bad\n;\n", Format::Plain, &d);
        assert!(bans.is_err(), "`;` is not an address");
        let bans = parse("# crowdsec\n\n2001:db8::1  # bad\n", Format::Plain, &d).unwrap();
        assert_eq!(bans[0].source, BanSource::Import);
        assert_eq!(bans[0].reason, "imported");
    }
}
