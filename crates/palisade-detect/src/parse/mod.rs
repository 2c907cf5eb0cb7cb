//! Parsers that split a request into named values: query strings and forms, JSON, multipart,
//! cookies. Each is one pass over its input and never fails: malformed input still yields what
//! can be read, because an attacker controls it.

pub(crate) mod cookie;
pub(crate) mod json;
pub(crate) mod multipart;
pub(crate) mod query;

/// What the body is, from its Content-Type (and a sniff when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind<'a> {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// JSON (`application/json`, `+json`, or sniffed).
    Json,
    /// `multipart/form-data` with its boundary.
    Multipart(&'a [u8]),
    /// Anything else that looks like text: inspected whole.
    Text,
    /// Binary: not inspected.
    Binary,
}

/// Classifies a body.
pub(crate) fn body_kind<'a>(content_type: Option<&'a [u8]>, body: &[u8]) -> BodyKind<'a> {
    if let Some(ct) = content_type {
        let essence = ct.split(|&b| b == b';').next().unwrap_or(b"").trim_ascii();
        let is = |t: &[u8]| essence.eq_ignore_ascii_case(t);
        if is(b"application/x-www-form-urlencoded") {
            return BodyKind::Form;
        }
        if is(b"multipart/form-data") {
            return multipart::boundary(ct).map_or(BodyKind::Text, BodyKind::Multipart);
        }
        if is(b"application/json") || memchr::memmem::find(essence, b"+json").is_some() {
            return BodyKind::Json;
        }
    }
    if !looks_textual(body) {
        return BodyKind::Binary;
    }
    if json::sniff(body) {
        BodyKind::Json
    } else if content_type.is_none() && looks_like_form(body) {
        BodyKind::Form
    } else {
        BodyKind::Text
    }
}

/// No NUL and mostly printable in the first KiB.
fn looks_textual(body: &[u8]) -> bool {
    let sample = &body[..body.len().min(1024)];
    if memchr::memchr(0, sample).is_some() {
        return false;
    }
    let odd = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    odd * 10 <= sample.len()
}

/// `a=b&c=d` with no blanks: what a form without Content-Type looks like.
fn looks_like_form(body: &[u8]) -> bool {
    let sample = &body[..body.len().min(1024)];
    memchr::memchr(b'=', sample).is_some() && !sample.iter().any(u8::is_ascii_whitespace)
}
