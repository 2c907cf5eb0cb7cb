//! The response side of the guard beyond headers: which header set a response gets (by
//! scheme and path), the nonce written into HTML (`nonce = "auto"`), and the upstream's 5xx
//! pages replaced by a clean one (`scrub_errors`).

use std::io::Read as _;
use std::sync::{Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue};
use palisade_core::{Category, Event, Severity};
use palisade_headers::cookies::{CookiePolicy, Rewrite};
use palisade_headers::{
    CspNonce, DEFAULT_REWRITE_MEMORY, HeaderSet, NonceMode, NonceRewriter, UpstreamPolicy,
    helmet_case,
};
use pingora::http::ResponseHeader;

use crate::error_page;

/// How much of a scrubbed 5xx page is kept for the event log (after decoding).
const SCRUB_KEEP: usize = 16 * 1024;

/// What the response body filter does.
#[derive(Debug, Default)]
pub(crate) enum BodyWork {
    /// The body passes as the upstream sends it.
    #[default]
    Pass,
    /// HTML getting the nonce. (The Mutex only makes the context `Sync`, as pingora asks;
    /// it is reached through `get_mut`, never locked.)
    Nonce(Box<Mutex<NonceRewriter>>),
    /// A 5xx page being replaced; the original is kept (bounded) for the event.
    Scrub(Box<Scrub>),
}

/// A 5xx page in the course of being replaced.
#[derive(Debug)]
pub(crate) struct Scrub {
    page: Bytes,
    original: BytesMut,
    original_len: usize,
    encoding: Option<String>,
    /// The event, completed with the original body at the end of the stream.
    event: Option<Event>,
}

/// Whether the response is HTML the nonce can be written into.
pub(crate) fn is_rewritable_html(resp: &ResponseHeader) -> bool {
    let html = resp
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| t == "text/html" || t == "application/xhtml+xml");
    let status = resp.status.as_u16();
    html && !matches!(status, 204 | 304) && identity_encoded(&resp.headers)
}

fn identity_encoded(headers: &HeaderMap) -> bool {
    headers.get_all(CONTENT_ENCODING).iter().all(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .all(|e| e.trim().eq_ignore_ascii_case("identity"))
        })
    })
}

/// Whether a request is a page load (navigation, iframe) rather than an API or asset fetch:
/// browsers ask for HTML by name only then.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html") || v.contains("application/xhtml+xml"))
}

/// The body is about to change length: drop the upstream's framing and validators.
fn body_changes(resp: &mut ResponseHeader, http2: bool, http10: bool) {
    resp.remove_header(&CONTENT_LENGTH);
    // A strong validator names bytes the client will not get.
    resp.remove_header(&http::header::ETAG);
    if !http2 && !http10 {
        let _ = resp.insert_header(TRANSFER_ENCODING, "chunked");
    }
}

/// What the body filter should do with this response, and the header changes that go with it.
pub(crate) struct ResponsePlan<'a> {
    pub set: &'a HeaderSet,
    pub nonce: Option<&'a CspNonce>,
    pub head: bool,
    pub http2: bool,
    pub http10: bool,
}

impl ResponsePlan<'_> {
    /// Starts the nonce rewriting of an HTML response. Returns the nonce the CSP header must
    /// carry: `None` when the response is not rewritten (the policy then goes out without a
    /// nonce, which is stricter, and a JSON body never names one).
    pub(crate) fn nonce_body(&self, resp: &mut ResponseHeader, work: &mut BodyWork) -> bool {
        let Some(nonce) = self.nonce else {
            return false;
        };
        match self.set.nonce_mode() {
            NonceMode::Off => false,
            // The app writes the nonce into its pages itself.
            NonceMode::Header => true,
            NonceMode::Auto => {
                if !is_rewritable_html(resp) {
                    return false;
                }
                if !self.head {
                    body_changes(resp, self.http2, self.http10);
                    let rewriter = NonceRewriter::new(nonce, DEFAULT_REWRITE_MEMORY);
                    *work = BodyWork::Nonce(Box::new(Mutex::new(rewriter)));
                }
                true
            }
        }
    }

    /// Replaces a 5xx answer's headers with those of palisade's page and prepares the body.
    pub(crate) fn scrub(
        &self,
        resp: &mut ResponseHeader,
        work: &mut BodyWork,
        request_id: &str,
        event: Event,
    ) {
        let status = resp.status.as_u16();
        let page = Bytes::from(error_page::render(status, request_id));
        let encoding = resp
            .headers
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .filter(|e| e != "identity");
        for name in [
            CONTENT_ENCODING,
            CONTENT_LENGTH,
            TRANSFER_ENCODING,
            CONTENT_TYPE,
            http::header::ETAG,
            http::header::LAST_MODIFIED,
            http::header::CONTENT_LANGUAGE,
            http::header::CONTENT_DISPOSITION,
            HeaderName::from_static("x-powered-by"),
        ] {
            resp.remove_header(&name);
        }
        let _ = resp.insert_header(CONTENT_TYPE, "text/html; charset=utf-8");
        let _ = resp.insert_header(CONTENT_LENGTH, page.len().to_string());
        let _ = resp.insert_header(http::header::CACHE_CONTROL, "no-store");
        *work = BodyWork::Scrub(Box::new(Scrub {
            page: if self.head { Bytes::new() } else { page },
            original: BytesMut::new(),
            original_len: 0,
            encoding,
            event: Some(event),
        }));
    }
}

impl BodyWork {
    /// Transforms one chunk of the upstream body; returns the finished scrub event, if any.
    pub(crate) fn filter(
        &mut self,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
    ) -> Option<Event> {
        match self {
            BodyWork::Pass => None,
            BodyWork::Nonce(rewriter) => {
                let rewriter = rewriter.get_mut().unwrap_or_else(PoisonError::into_inner);
                let mut out = match body.take() {
                    Some(chunk) => rewriter.write(&chunk),
                    None => Vec::new(),
                };
                if end_of_stream {
                    out.extend(rewriter.finish());
                }
                *body = Some(Bytes::from(out));
                None
            }
            BodyWork::Scrub(scrub) => {
                if let Some(chunk) = body.take() {
                    scrub.original_len += chunk.len();
                    let room = (4 * SCRUB_KEEP).saturating_sub(scrub.original.len());
                    scrub
                        .original
                        .extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                if !end_of_stream {
                    *body = Some(Bytes::new());
                    return None;
                }
                *body = Some(std::mem::take(&mut scrub.page));
                scrub.event.take().map(|e| scrub.complete(e))
            }
        }
    }
}

impl Scrub {
    fn complete(&self, event: Event) -> Event {
        let (text, note) = decode(&self.original, self.encoding.as_deref());
        let mut text = text;
        if text.len() > SCRUB_KEEP {
            let mut cut = SCRUB_KEEP;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        let mut event = event
            .with_field("upstream_body", text)
            .with_field("upstream_body_bytes", self.original_len.to_string());
        if let Some(note) = note {
            event = event.with_field("upstream_body_note", note);
        }
        event
    }
}

/// The kept original as text: gzip and deflate are undone (bounded), other codings noted.
fn decode(raw: &[u8], encoding: Option<&str>) -> (String, Option<String>) {
    let limit = (SCRUB_KEEP + 4) as u64;
    let mut out = Vec::new();
    let decoded = match encoding {
        None => return (String::from_utf8_lossy(raw).into_owned(), None),
        Some("gzip" | "x-gzip") => flate2::read::GzDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut out),
        Some("deflate") => flate2::read::ZlibDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut out),
        Some(other) => {
            return (
                String::new(),
                Some(format!("{other}-encoded body not kept")),
            );
        }
    };
    match decoded {
        // A page cut at the capture limit decodes up to the cut: that is still the useful part.
        Ok(_) | Err(_) if !out.is_empty() => (String::from_utf8_lossy(&out).into_owned(), None),
        _ => (String::new(), Some("undecodable body not kept".to_owned())),
    }
}

/// Adds the missing flags to the app's `Set-Cookie` headers (order kept).
pub(crate) fn harden_cookies(policy: &CookiePolicy, resp: &mut ResponseHeader, https: bool) {
    let set_cookie = http::header::SET_COOKIE;
    if !resp.headers.contains_key(&set_cookie) {
        return;
    }
    let mut changed = false;
    let values: Vec<HeaderValue> = resp
        .headers
        .get_all(&set_cookie)
        .iter()
        .map(|value| match policy.rewrite(value.as_bytes(), https) {
            Rewrite::Rewritten { value, .. } => {
                changed = true;
                value
            }
            Rewrite::Flagged(notes) => {
                tracing::debug!(
                    ?notes,
                    "a Set-Cookie palisade cannot repair on this response"
                );
                value.clone()
            }
            Rewrite::Unchanged => value.clone(),
        })
        .collect();
    if !changed {
        return;
    }
    resp.remove_header(&set_cookie);
    for value in values {
        let _ = resp.append_header(set_cookie.clone(), value);
    }
}

/// Builds the 5xx event (completed with the original body once it has been read).
pub(crate) fn upstream_error_event(status: u16) -> Event {
    Event::new(
        Category::UpstreamError,
        Severity::Medium,
        format!("the app answered {status}; its page was replaced by palisade's"),
    )
    .with_field("status", status.to_string())
}

/// Adds a header set to a response (helmet's spelling for the names it adds).
/// `nonce` only when the response's body carries it.
///
/// A `304` gets no CSP when the policy uses nonces: the browser merges a 304's headers into
/// the cached response, and a fresh nonce there would no longer match the cached page.
pub(crate) fn apply_headers(set: &HeaderSet, resp: &mut ResponseHeader, nonce: Option<&CspNonce>) {
    let keep = set.upstream_policy() == UpstreamPolicy::Keep;
    let skip_csp = set.wants_nonce() && resp.status == http::StatusCode::NOT_MODIFIED;
    for name in set.removes() {
        resp.remove_header(name);
    }
    let mut put = |name: &HeaderName, value: &HeaderValue| {
        let csp = name == http::header::CONTENT_SECURITY_POLICY
            || name == http::header::CONTENT_SECURITY_POLICY_REPORT_ONLY;
        if skip_csp && csp {
            return;
        }
        if !(keep && resp.headers.contains_key(name)) {
            // insert_header only fails on an invalid value; ours are pre-validated.
            let _ = match helmet_case(name) {
                Some(spelled) => resp.insert_header(spelled, value.clone()),
                None => resp.insert_header(name.clone(), value.clone()),
            };
        }
    };
    match nonce.filter(|_| set.wants_nonce()) {
        None => set.headers().iter().for_each(|(n, v)| put(n, v)),
        Some(nonce) => {
            let mut with_nonce = HeaderMap::new();
            set.apply(&mut with_nonce, Some(nonce));
            with_nonce.iter().for_each(|(n, v)| put(n, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn gzip_originals_are_decoded_for_the_event() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"TypeError: x is undefined\n    at /app/index.js:3:9")
            .unwrap();
        let raw = gz.finish().unwrap();
        let (text, note) = decode(&raw, Some("gzip"));
        assert!(text.starts_with("TypeError: x is undefined"), "{text}");
        assert!(note.is_none());
        let (text, note) = decode(b"\x00\x01", Some("br"));
        assert!(text.is_empty());
        assert_eq!(note.as_deref(), Some("br-encoded body not kept"));
    }

    #[test]
    fn only_identity_html_is_rewritten() {
        let mut resp = ResponseHeader::build(200, None).unwrap();
        resp.insert_header("content-type", "text/html; charset=utf-8")
            .unwrap();
        assert!(is_rewritable_html(&resp));
        resp.insert_header("content-encoding", "gzip").unwrap();
        assert!(!is_rewritable_html(&resp));
        let mut json = ResponseHeader::build(200, None).unwrap();
        json.insert_header("content-type", "application/json")
            .unwrap();
        assert!(!is_rewritable_html(&json));
        let mut not_modified = ResponseHeader::build(304, None).unwrap();
        not_modified
            .insert_header("content-type", "text/html")
            .unwrap();
        assert!(!is_rewritable_html(&not_modified));
    }
}
