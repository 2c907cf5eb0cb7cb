//! Protocol anomalies visible in the request view: framing conflicts, bad lengths, odd
//! methods, missing Host, too many or too large headers, NUL in headers.

use super::Hits;
use crate::rules::RuleInfo;
use crate::{Family::Protocol as P, Request, Severity::*};

const MISSING_HOST: RuleInfo =
    RuleInfo::new("protocol-missing-host", P, 1, Warning, "no Host header");
const UNKNOWN_METHOD: RuleInfo = RuleInfo::new(
    "protocol-unknown-method",
    P,
    1,
    Error,
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
    "TRACE, TRACK, CONNECT, DEBUG and WebDAV methods",
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
    Error,
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
    let (mut host, mut ua, mut te) = (false, false, None);
    let mut cl: Option<&[u8]> = None;
    for &(name, value) in req.headers {
        work += (name.len() + value.len()) as u64;
        if name.eq_ignore_ascii_case("host") && !value.trim_ascii().is_empty() {
            host = true;
        } else if name.eq_ignore_ascii_case("user-agent") && !value.trim_ascii().is_empty() {
            ua = true;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            te = Some(value);
        } else if name.eq_ignore_ascii_case("content-length") {
            let v = value.trim_ascii();
            if v.is_empty() || !v.iter().all(u8::is_ascii_digit) || cl.is_some_and(|c| c != v) {
                hits.add(&BAD_CONTENT_LENGTH, name, 0..name.len());
            }
            cl = Some(v);
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

fn method(m: &str, hits: &mut Hits) {
    const KNOWN: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];
    const UNUSUAL: &[&str] = &[
        "TRACE",
        "TRACK",
        "CONNECT",
        "DEBUG",
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
    } else if UNUSUAL.contains(&m) {
        hits.add(&UNUSUAL_METHOD, m, 0..m.len());
    } else {
        hits.add(&UNKNOWN_METHOD, m, 0..m.len());
    }
}
