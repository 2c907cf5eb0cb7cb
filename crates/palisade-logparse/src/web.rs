//! Web server access logs in the common / combined formats (service `http`).

use crate::ip::parse_ip;
use crate::{Entry, Parser, Request};

/// nginx's and Apache's `combined` and `common` access logs:
/// `IP - user [28/Nov/2026:10:00:01 +0000] "GET /path?q HTTP/1.1" 404 153 "ref" "UA"`.
/// The Apache flavour also reads the `vhost_combined` form (`example.com:443 IP - - […] …`).
///
/// A malformed request line (TLS bytes sent to a plain port, `"-"`) still gives the address
/// and status, with an empty method and target.
#[derive(Debug, Clone)]
pub struct AccessLog {
    name: &'static str,
    vhost: bool,
}

impl AccessLog {
    /// nginx's access log.
    pub fn nginx() -> Self {
        AccessLog {
            name: "nginx",
            vhost: false,
        }
    }
    /// Apache's access log, with or without a leading `vhost:port`.
    pub fn apache() -> Self {
        AccessLog {
            name: "apache",
            vhost: true,
        }
    }
}

fn word(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// A `"…"` string at the start of `s` (escapes `\"` and `\\` skipped); its contents and the rest.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some((&s[1..i], &s[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

/// The request string: its closing quote is the one followed by ` NNN ` (a status), which
/// stays right even when a raw `"` inside the request was not escaped.
fn request_field(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'"', &b[from..]) {
        let q = from + off;
        let rest = &b[q + 1..];
        if rest.len() >= 4
            && rest[0] == b' '
            && rest[1..4].iter().all(u8::is_ascii_digit)
            && rest.get(4).is_none_or(|c| *c == b' ')
        {
            return Some((&s[..q], &s[q + 1..]));
        }
        from = q + 1;
    }
    None
}

fn split_request(r: &str) -> (&str, &str) {
    let Some((method, rest)) = r.split_once(' ') else {
        return ("", "");
    };
    if method.is_empty()
        || method.len() > 32
        || !method
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
    {
        return ("", "");
    }
    let target = match rest.rfind(" HTTP/") {
        Some(i) => &rest[..i],
        None => rest,
    };
    (method, target)
}

impl Parser for AccessLog {
    fn name(&self) -> &str {
        self.name
    }
    fn service(&self) -> &str {
        "http"
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (first, mut rest) = word(line);
        let ip = match parse_ip(first) {
            Some(ip) => ip,
            None if self.vhost => {
                let (second, r) = word(rest);
                rest = r;
                parse_ip(second)?
            }
            None => return None,
        };
        let (_ident, rest) = word(rest);
        let (user, rest) = word(rest);
        let rest = rest.strip_prefix('[')?;
        let rest = &rest[rest.find("] ")? + 2..];
        let (req, rest) = request_field(rest)?;
        let (method, target) = split_request(req);
        let (status, rest) = word(rest.trim_start());
        let status: u16 = status.parse().ok()?;
        let (_size, rest) = word(rest);
        let user_agent = quoted(rest)
            .and_then(|(_referer, r)| quoted(r.trim_start()))
            .map(|(ua, _)| ua)
            .filter(|ua| *ua != "-");
        let user = (user != "-" && !user.is_empty()).then_some(user);
        Some(Entry::Request(Request {
            ip,
            method,
            target,
            status,
            user,
            user_agent,
        }))
    }
}
