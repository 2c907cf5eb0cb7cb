//! CSP violation reports, in both formats browsers send, as bounded [`Violation`]s.
//!
//! - `report-uri` (CSP2, still the only one Firefox sends): one `{"csp-report": {…}}` object
//!   with dashed keys, posted as `application/csp-report` (some browsers say
//!   `application/json`).
//! - `report-to` (the W3C Reporting API): a JSON array of reports posted as
//!   `application/reports+json`; the ones of `type` `"csp-violation"` carry a camelCase `body`.
//!   Other report types (deprecations, interventions) share the endpoint and are skipped.
//!
//! The body's shape decides the format, the content type only has to be one of the three.
//! Anything a browser may omit is optional and a field of the wrong type is skipped, because
//! browsers disagree and a report is still useful without its line number; a body that is not
//! JSON at all is an error. Reports are attacker-controlled input from anyone who can reach the
//! endpoint, so everything is bounded: at most [`MAX_REPORTS`] per body, strings cut to
//! [`MAX_FIELD_BYTES`] and samples to [`MAX_SAMPLE_CHARS`]. Query strings, fragments and
//! credentials are removed from URLs: they carry session tokens, reset links and e-mail
//! addresses that have no business in an event store.
//!
//! # Example
//!
//! ```
//! use palisade_headers::report::{Blocked, Disposition, parse_reports};
//!
//! let body = br#"{"csp-report": {
//!     "document-uri": "https://shop.example/cart?session=s3cret",
//!     "violated-directive": "script-src-elem",
//!     "effective-directive": "script-src-elem",
//!     "blocked-uri": "https://cdn.example/lib.js?v=3",
//!     "disposition": "report"
//! }}"#;
//! let violations = parse_reports("application/csp-report", body)?;
//! assert_eq!(violations[0].document, "https://shop.example/cart");
//! assert_eq!(violations[0].blocked, Blocked::Url("https://cdn.example/lib.js".into()));
//! assert_eq!(violations[0].disposition, Disposition::Report);
//! # Ok::<(), palisade_headers::report::ReportError>(())
//! ```

use std::fmt;

use serde_json::{Map, Value};

/// At most this many reports are read from one body; the rest are dropped.
pub const MAX_REPORTS: usize = 100;

/// Every string is cut to this many bytes (at a character boundary).
pub const MAX_FIELD_BYTES: usize = 512;

/// Code samples are cut to this many characters, as browsers do themselves.
pub const MAX_SAMPLE_CHARS: usize = 40;

/// A larger body is refused without being parsed.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A report body that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Not one of the content types browsers use for CSP reports.
    #[error(
        "unsupported content type {0:?}: CSP reports are application/csp-report, application/json or application/reports+json"
    )]
    ContentType(String),
    /// Over [`MAX_BODY_BYTES`].
    #[error("report body of {0} bytes is over the limit of {MAX_BODY_BYTES}")]
    TooLarge(usize),
    /// Not JSON.
    #[error("report body is not JSON: {0}")]
    Json(String),
    /// JSON, but neither a `csp-report` object nor a Reporting API array.
    #[error("report body is neither a {{\"csp-report\": …}} object nor an array of reports")]
    Shape,
}

/// Whether the violated policy was enforced or report-only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// `Content-Security-Policy`: the resource was blocked. Assumed when a browser omits it.
    #[default]
    Enforce,
    /// `Content-Security-Policy-Report-Only`: it loaded, and would be blocked.
    Report,
}

impl Disposition {
    /// `"enforce"` or `"report"`, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Enforce => "enforce",
            Disposition::Report => "report",
        }
    }

    fn parse(text: &str) -> Disposition {
        if text.eq_ignore_ascii_case("report") {
            Disposition::Report
        } else {
            Disposition::Enforce
        }
    }
}

/// What was blocked, from `blocked-uri`/`blockedURL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Blocked {
    /// An inline `<script>`, `<style>`, event handler or `javascript:` URL.
    Inline,
    /// `eval()`, `new Function()`, string `setTimeout`.
    Eval,
    /// WebAssembly compilation.
    WasmEval,
    /// `trusted-types-policy`: a Trusted Types policy name not allowed.
    TrustedTypesPolicy,
    /// `trusted-types-sink`: a string passed to a DOM sink without Trusted Types.
    TrustedTypesSink,
    /// A URL of a non-network scheme, which browsers report as the bare scheme: `data`,
    /// `blob`, `chrome-extension`, … (lowercase, without `:`).
    Scheme(String),
    /// An `http(s)`/`ws(s)` URL, without query, fragment or credentials.
    Url(String),
    /// Anything else, as reported (bounded).
    Other(String),
}

/// Non-network schemes browsers report bare (CSP3 "strip URL for use in reports" reduces a
/// non-HTTP(S) URL to its scheme); anything else bare is kept as [`Blocked::Other`], so a
/// stray word such as `self` never becomes a scheme.
const BARE_SCHEMES: &[&str] = &[
    "about",
    "blob",
    "chrome",
    "chrome-extension",
    "data",
    "edge",
    "file",
    "filesystem",
    "mediastream",
    "moz-extension",
    "ms-browser-extension",
    "resource",
    "safari-extension",
    "safari-web-extension",
];

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

impl Blocked {
    /// Classifies a reported `blocked-uri`/`blockedURL` (or a stored [`Blocked`] text).
    pub fn from_reported(raw: &str) -> Blocked {
        let raw = raw.trim();
        for (keyword, blocked) in [
            ("inline", Blocked::Inline),
            ("eval", Blocked::Eval),
            ("wasm-eval", Blocked::WasmEval),
            ("trusted-types-policy", Blocked::TrustedTypesPolicy),
            ("trusted-types-sink", Blocked::TrustedTypesSink),
        ] {
            if raw.eq_ignore_ascii_case(keyword) {
                return blocked;
            }
        }
        if let Some((scheme, rest)) = raw.split_once(':')
            && is_scheme(scheme)
        {
            let scheme = scheme.to_ascii_lowercase();
            return match scheme.as_str() {
                "http" | "https" | "ws" | "wss" if rest.starts_with("//") => {
                    Blocked::Url(bounded(&strip_url(raw), MAX_FIELD_BYTES))
                }
                "http" | "https" | "ws" | "wss" => {
                    Blocked::Other(bounded(&strip_url(raw), MAX_FIELD_BYTES))
                }
                _ => Blocked::Scheme(bounded(&scheme, MAX_FIELD_BYTES)),
            };
        }
        let lower = raw.to_ascii_lowercase();
        if BARE_SCHEMES.contains(&lower.as_str()) {
            return Blocked::Scheme(lower);
        }
        Blocked::Other(bounded(raw, MAX_FIELD_BYTES))
    }
}

impl fmt::Display for Blocked {
    /// The reported form; a scheme gets its `:` back (`data:`), which is also how CSP writes
    /// it, and which [`Blocked::from_reported`] reads back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocked::Inline => f.write_str("inline"),
            Blocked::Eval => f.write_str("eval"),
            Blocked::WasmEval => f.write_str("wasm-eval"),
            Blocked::TrustedTypesPolicy => f.write_str("trusted-types-policy"),
            Blocked::TrustedTypesSink => f.write_str("trusted-types-sink"),
            Blocked::Scheme(scheme) => write!(f, "{scheme}:"),
            Blocked::Url(text) | Blocked::Other(text) => f.write_str(text),
        }
    }
}

/// One CSP violation, trimmed for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The page that violated, without query or fragment; empty when not reported.
    pub document: String,
    /// What was blocked.
    pub blocked: Blocked,
    /// The effective directive (`script-src-elem`), else the first token of the violated
    /// directive; lowercase; empty when neither was reported.
    pub directive: String,
    /// Enforced or report-only.
    pub disposition: Disposition,
    /// The script that caused it, without query or fragment.
    pub source_file: Option<String>,
    /// Line in `source_file`.
    pub line: Option<u64>,
    /// Column in `source_file`.
    pub column: Option<u64>,
    /// The first characters of the blocked inline code (with `'report-sample'`).
    pub sample: Option<String>,
    /// HTTP status of the document.
    pub status: Option<u16>,
}

/// The event field names of [`Violation::to_fields`].
pub mod field {
    /// [`Violation::directive`](super::Violation::directive)
    pub const DIRECTIVE: &str = "csp_directive";
    /// [`Violation::blocked`](super::Violation::blocked), as displayed
    pub const BLOCKED: &str = "csp_blocked";
    /// [`Violation::document`](super::Violation::document)
    pub const DOCUMENT: &str = "csp_document";
    /// [`Violation::disposition`](super::Violation::disposition): `enforce` or `report`
    pub const DISPOSITION: &str = "csp_disposition";
    /// [`Violation::source_file`](super::Violation::source_file)
    pub const SOURCE_FILE: &str = "csp_source_file";
    /// [`Violation::line`](super::Violation::line)
    pub const LINE: &str = "csp_line";
    /// [`Violation::column`](super::Violation::column)
    pub const COLUMN: &str = "csp_column";
    /// [`Violation::sample`](super::Violation::sample)
    pub const SAMPLE: &str = "csp_sample";
    /// [`Violation::status`](super::Violation::status)
    pub const STATUS: &str = "csp_status";
}

impl Violation {
    /// Flat `(name, value)` pairs for an event's fields; absent values are left out.
    pub fn to_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            (field::DIRECTIVE, self.directive.clone()),
            (field::BLOCKED, self.blocked.to_string()),
            (field::DOCUMENT, self.document.clone()),
            (field::DISPOSITION, self.disposition.as_str().to_owned()),
        ];
        let optional = [
            (field::SOURCE_FILE, self.source_file.clone()),
            (field::LINE, self.line.map(|n| n.to_string())),
            (field::COLUMN, self.column.map(|n| n.to_string())),
            (field::SAMPLE, self.sample.clone()),
            (field::STATUS, self.status.map(|n| n.to_string())),
        ];
        fields.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name, v))),
        );
        fields
    }

    /// Reads back what [`to_fields`](Self::to_fields) stored; `None` without a directive and a
    /// blocked value. Stored text is bounded again: the store may hold anything.
    pub fn from_fields(get: impl Fn(&str) -> Option<String>) -> Option<Violation> {
        let directive = get(field::DIRECTIVE).filter(|d| !d.is_empty())?;
        let blocked = get(field::BLOCKED)?;
        let number = |name: &str| get(name).and_then(|v| v.trim().parse::<u64>().ok());
        Some(Violation {
            document: bounded(
                &strip_url(&get(field::DOCUMENT).unwrap_or_default()),
                MAX_FIELD_BYTES,
            ),
            blocked: Blocked::from_reported(&blocked),
            directive: bounded(&directive.to_ascii_lowercase(), MAX_FIELD_BYTES),
            disposition: get(field::DISPOSITION)
                .map_or(Disposition::Enforce, |d| Disposition::parse(&d)),
            source_file: get(field::SOURCE_FILE).map(|s| bounded(&strip_url(&s), MAX_FIELD_BYTES)),
            line: number(field::LINE),
            column: number(field::COLUMN),
            sample: get(field::SAMPLE).map(|s| sample(&s)),
            status: number(field::STATUS).and_then(|n| u16::try_from(n).ok()),
        })
    }

    /// One line for an event message, e.g.
    /// `script-src-elem blocked https://cdn.example/x.js on https://shop.example/ (report-only)`.
    pub fn message(&self) -> String {
        let mut line = format!("{} blocked {}", self.directive_or_unknown(), self.blocked);
        if !self.document.is_empty() {
            line.push_str(" on ");
            line.push_str(&self.document);
        }
        if self.disposition == Disposition::Report {
            line.push_str(" (report-only)");
        }
        line.replace(['\r', '\n'], " ")
    }

    fn directive_or_unknown(&self) -> &str {
        if self.directive.is_empty() {
            "CSP"
        } else {
            &self.directive
        }
    }
}

/// Parses a report body posted to the CSP report endpoint.
///
/// `content_type` is the request's `Content-Type` (parameters ignored). Returns the
/// violations it holds, at most [`MAX_REPORTS`]; non-CSP reports of a Reporting API batch are
/// skipped.
pub fn parse_reports(content_type: &str, body: &[u8]) -> Result<Vec<Violation>, ReportError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        essence.as_str(),
        "application/csp-report" | "application/json" | "application/reports+json"
    ) {
        return Err(ReportError::ContentType(bounded(content_type, 100)));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(ReportError::TooLarge(body.len()));
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| ReportError::Json(e.to_string()))?;
    match json {
        Value::Object(mut object) => match object.remove("csp-report") {
            Some(Value::Object(report)) => Ok(vec![legacy(&report)]),
            _ => Err(ReportError::Shape),
        },
        Value::Array(reports) => Ok(reports
            .iter()
            .filter_map(Value::as_object)
            .filter(|r| r.get("type").and_then(Value::as_str) == Some("csp-violation"))
            .filter_map(|r| r.get("body").and_then(Value::as_object))
            .take(MAX_REPORTS)
            .map(reporting_api)
            .collect()),
        _ => Err(ReportError::Shape),
    }
}

/// Names of the same fields in the two formats.
struct Keys {
    document: &'static str,
    blocked: &'static str,
    effective: &'static str,
    violated: Option<&'static str>,
    disposition: &'static str,
    source_file: &'static str,
    line: &'static str,
    column: &'static str,
    sample: &'static str,
    status: &'static str,
}

fn legacy(report: &Map<String, Value>) -> Violation {
    violation(
        report,
        &Keys {
            document: "document-uri",
            blocked: "blocked-uri",
            effective: "effective-directive",
            violated: Some("violated-directive"),
            disposition: "disposition",
            source_file: "source-file",
            line: "line-number",
            column: "column-number",
            sample: "script-sample",
            status: "status-code",
        },
    )
}

fn reporting_api(body: &Map<String, Value>) -> Violation {
    violation(
        body,
        &Keys {
            document: "documentURL",
            blocked: "blockedURL",
            effective: "effectiveDirective",
            violated: None,
            disposition: "disposition",
            source_file: "sourceFile",
            line: "lineNumber",
            column: "columnNumber",
            sample: "sample",
            status: "statusCode",
        },
    )
}

fn violation(map: &Map<String, Value>, keys: &Keys) -> Violation {
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    let number = |key: &str| map.get(key).and_then(Value::as_u64);
    let directive = text(keys.effective)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .or_else(|| {
            // CSP2 browsers report the whole violated directive, sources included.
            keys.violated
                .and_then(text)
                .and_then(|v| v.split_ascii_whitespace().next())
        })
        .unwrap_or_default();
    Violation {
        document: bounded(
            &strip_url(text(keys.document).unwrap_or_default()),
            MAX_FIELD_BYTES,
        ),
        blocked: Blocked::from_reported(text(keys.blocked).unwrap_or_default()),
        directive: bounded(&directive.to_ascii_lowercase(), MAX_FIELD_BYTES),
        disposition: text(keys.disposition).map_or(Disposition::Enforce, Disposition::parse),
        source_file: text(keys.source_file)
            .filter(|s| !s.is_empty())
            .map(|s| bounded(&strip_url(s), MAX_FIELD_BYTES)),
        line: number(keys.line),
        column: number(keys.column),
        sample: text(keys.sample).filter(|s| !s.is_empty()).map(sample),
        status: number(keys.status).and_then(|n| u16::try_from(n).ok()),
    }
}

/// The first [`MAX_SAMPLE_CHARS`] characters.
fn sample(text: &str) -> String {
    match text.char_indices().nth(MAX_SAMPLE_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

/// At most `max` bytes, cut at a character boundary.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_owned()
}

/// The URL without query, fragment or `user:password@`.
fn strip_url(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    if let Some(scheme_end) = url.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = url[authority_start..]
            .find('/')
            .map_or(url.len(), |i| authority_start + i);
        if let Some(at) = url[authority_start..authority_end].rfind('@') {
            let mut stripped = String::with_capacity(url.len());
            stripped.push_str(&url[..authority_start]);
            stripped.push_str(&url[authority_start + at + 1..]);
            return stripped;
        }
    }
    url.to_owned()
}
