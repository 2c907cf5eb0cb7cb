//! Protocol anomalies visible in the request view: framing conflicts, bad lengths, odd
//! methods, missing Host, too many or too large headers, NUL in headers.

use super::Hits;
use crate::rules::RuleInfo;
use crate::{Family::Protocol as P, Request, Severity::*};

const MISSING_HOST: RuleInfo = RuleInfo::new(
    "protocol-missing-host",
    P,
    1,
    Critical,
    "no or empty Host header",
);
const BAD_HOST: RuleInfo = RuleInfo::new(
    "protocol-bad-host",
    P,
    1,
    Critical,
    "a Host that is no host name, IP literal or port",
);
const DANGEROUS_METHOD: RuleInfo = RuleInfo::new(
    "protocol-dangerous-method",
    P,
    1,
    Critical,
    "TRACE, TRACK, DEBUG, CONNECT sent to a web application",
);
const BAD_HEADER_NAME: RuleInfo = RuleInfo::new(
    "protocol-bad-header-name",
    P,
    1,
    Critical,
    "a header name that is not an HTTP token (`Content-Length `)",
);
const HOP_BY_HOP_ABUSE: RuleInfo = RuleInfo::new(
    "protocol-hop-by-hop-abuse",
    P,
    1,
    Critical,
    "Connection naming framing or routing headers (Transfer-Encoding, Content-Length, Host)",
);
const RANGE_ABUSE: RuleInfo = RuleInfo::new(
    "protocol-range-abuse",
    P,
    1,
    Critical,
    "a Range header with more than 20 ranges",
);
const BAD_TARGET: RuleInfo = RuleInfo::new(
    "protocol-bad-target",
    P,
    1,
    Critical,
    "blanks, control characters, `\\` or invalid percent escapes in the request target",
);
const BODY_WITHOUT_SEMANTICS: RuleInfo = RuleInfo::new(
    "protocol-get-with-body",
    P,
    1,
    Error,
    "GET or HEAD with a body",
);
const UNKNOWN_METHOD: RuleInfo = RuleInfo::new(
    "protocol-unknown-method",
    P,
    1,
    Critical,
    "a method not in HTTP or WebDAV",
);
const INVALID_METHOD: RuleInfo = RuleInfo::new(
    "protocol-invalid-method",
    P,
    1,
    Critical,
    "a method that is not an HTTP token",
);
const UNUSUAL_METHOD: RuleInfo = RuleInfo::new(
    "protocol-unusual-method",
    P,
    2,
    Warning,
    "WebDAV and other unusual methods (PROPFIND, MKCOL, PURGE …)",
);
const CL_TE: RuleInfo = RuleInfo::new(
    "protocol-cl-te",
    P,
    1,
    Critical,
    "Content-Length together with Transfer-Encoding",
);
const BAD_CONTENT_LENGTH: RuleInfo = RuleInfo::new(
    "protocol-bad-content-length",
    P,
    1,
    Critical,
    "non-numeric or conflicting Content-Length",
);
const BAD_TRANSFER_ENCODING: RuleInfo = RuleInfo::new(
    "protocol-bad-transfer-encoding",
    P,
    1,
    Critical,
    "Transfer-Encoding other than chunked last",
);
const HEADER_COUNT: RuleInfo = RuleInfo::new(
    "protocol-header-count",
    P,
    1,
    Critical,
    "more than 100 headers",
);
const HEADER_SIZE: RuleInfo = RuleInfo::new(
    "protocol-header-size",
    P,
    1,
    Error,
    "a header value over 8 KiB",
);
const NUL_IN_HEADER: RuleInfo = RuleInfo::new(
    "protocol-nul-in-header",
    P,
    1,
    Critical,
    "NUL or bare CR/LF in a header name or value",
);
const MISSING_USER_AGENT: RuleInfo = RuleInfo::new(
    "protocol-missing-user-agent",
    P,
    2,
    Notice,
    "no or empty User-Agent",
);

pub(crate) const RULES: &[RuleInfo] = &[
    MISSING_HOST,
    BAD_HOST,
    DANGEROUS_METHOD,
    BAD_HEADER_NAME,
    HOP_BY_HOP_ABUSE,
    RANGE_ABUSE,
    BAD_TARGET,
    BODY_WITHOUT_SEMANTICS,
    UNKNOWN_METHOD,
    INVALID_METHOD,
    UNUSUAL_METHOD,
    CL_TE,
    BAD_CONTENT_LENGTH,
    BAD_TRANSFER_ENCODING,
    HEADER_COUNT,
    HEADER_SIZE,
    NUL_IN_HEADER,
    MISSING_USER_AGENT,
];

const MAX_HEADERS: usize = 100;
const MAX_HEADER_VALUE: usize = 8 * 1024;

/// Checks the request line and framing. The excerpt for header problems is the header name.
pub(crate) fn check(req: &Request<'_>, hits: &mut Hits) -> u64 {
    let mut work = req.method.len() as u64;
    method(req.method, hits);
    work += target(req.target, hits);
    let (mut host, mut ua, mut te) = (false, false, None);
    let mut cl: Option<&[u8]> = None;
    for &(name, value) in req.headers {
        work += (name.len() + value.len()) as u64;
        if !is_token(name) {
            hits.add(&BAD_HEADER_NAME, name, 0..name.len());
        }
        if name.eq_ignore_ascii_case("host") && !value.trim_ascii().is_empty() {
            host = true;
            if !value.trim_ascii().iter().all(|&b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
            }) {
                hits.add(&BAD_HOST, name, 0..name.len());
            }
        } else if name.eq_ignore_ascii_case("user-agent") && !value.trim_ascii().is_empty() {
            ua = true;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if te.is_some() {
                hits.add(&BAD_TRANSFER_ENCODING, name, 0..name.len());
            }
            te = Some(value);
        } else if name.eq_ignore_ascii_case("content-length") {
            let v = value.trim_ascii();
            // More than 15 digits overflows what servers parse (and is no real body).
            if v.is_empty()
                || v.len() > 15
                || !v.iter().all(u8::is_ascii_digit)
                || cl.is_some_and(|c| c != v)
            {
                hits.add(&BAD_CONTENT_LENGTH, name, 0..name.len());
            }
            cl = Some(v);
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            let named = v
                .split(|&b| b == b',')
                .map(<[u8]>::trim_ascii)
                .any(|t| matches!(t, b"transfer-encoding" | b"content-length" | b"host"));
            if named {
                hits.add(&HOP_BY_HOP_ABUSE, name, 0..name.len());
            }
        } else if name.eq_ignore_ascii_case("range")
            && value.iter().filter(|&&b| b == b',').count() >= 20
        {
            hits.add(&RANGE_ABUSE, name, 0..name.len());
        }
        if value.len() > MAX_HEADER_VALUE {
            hits.add(&HEADER_SIZE, name, 0..name.len());
        }
        if memchr::memchr3(0, b'\r', b'\n', value).is_some()
            || memchr::memchr3(0, b'\r', b'\n', name.as_bytes()).is_some()
        {
            hits.add(&NUL_IN_HEADER, name, 0..name.len());
        }
    }
    if req.headers.len() > MAX_HEADERS {
        hits.add(&HEADER_COUNT, "", 0..0);
    }
    if !host {
        hits.add(&MISSING_HOST, "", 0..0);
    }
    if !ua {
        hits.add(&MISSING_USER_AGENT, "", 0..0);
    }
    let has_body = !req.body.is_empty() || cl.is_some_and(|c| c.iter().any(|&b| b != b'0'));
    if has_body && matches!(req.method, "GET" | "HEAD") {
        hits.add(&BODY_WITHOUT_SEMANTICS, req.method, 0..req.method.len());
    }
    if let Some(te) = te {
        if cl.is_some() {
            hits.add(&CL_TE, "transfer-encoding", 0..17);
        }
        let last = te.rsplit(|&b| b == b',').next().unwrap_or(b"").trim_ascii();
        if !last.eq_ignore_ascii_case(b"chunked") {
            let shown = String::from_utf8_lossy(te);
            hits.add(&BAD_TRANSFER_ENCODING, &shown, 0..shown.len());
        }
    }
    work
}

/// Whether `s` is an HTTP token (RFC 9110 `tchar`s).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks the request target: no blank, control character or backslash (no client sends them
/// unencoded), and every `%` starting an escape.
fn target(t: &str, hits: &mut Hits) -> u64 {
    let b = t.as_bytes();
    let bad_byte = b.iter().any(|&c| c <= b' ' || c == 0x7f);
    let path_end = memchr::memchr(b'?', b).unwrap_or(b.len());
    let backslash = memchr::memchr(b'\\', &b[..path_end]).is_some();
    let bad_percent = memchr::memchr_iter(b'%', b).any(|i| {
        let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
        let unicode = matches!(b.get(i + 1), Some(b'u' | b'U')) && (2..6).all(|k| hex(i + k));
        !(unicode || (hex(i + 1) && hex(i + 2)))
    });
    if bad_byte || backslash || bad_percent {
        hits.add(&BAD_TARGET, t, 0..t.len().min(64));
    }
    b.len() as u64
}

fn method(m: &str, hits: &mut Hits) {
    const KNOWN: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];
    const DANGEROUS: &[&str] = &["TRACE", "TRACK", "CONNECT", "DEBUG"];
    const UNUSUAL: &[&str] = &[
        "PROPFIND",
        "PROPPATCH",
        "MKCOL",
        "COPY",
        "MOVE",
        "LOCK",
        "UNLOCK",
        "SEARCH",
        "REPORT",
        "MKACTIVITY",
        "CHECKOUT",
        "MERGE",
        "ACL",
        "PURGE",
    ];
    let token = !m.is_empty()
        && m.len() <= 32
        && m.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        hits.add(&INVALID_METHOD, m, 0..m.len());
    } else if KNOWN.contains(&m) {
    } else if DANGEROUS.contains(&m) {
        hits.add(&DANGEROUS_METHOD, m, 0..m.len());
    } else if UNUSUAL.contains(&m) {
        hits.add(&UNUSUAL_METHOD, m, 0..m.len());
    } else {
        hits.add(&UNKNOWN_METHOD, m, 0..m.len());
    }
}
