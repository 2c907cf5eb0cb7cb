//! The public vocabulary: request view, findings, verdict, configuration.

use serde::Serialize;

/// What the engine sees of one request. Borrowed: the guard keeps ownership.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Method as sent (`GET`, `POST`, …).
    pub method: &'a str,
    /// The raw request target: path and query, still percent-encoded.
    pub target: &'a str,
    /// Headers in arrival order, names as sent.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// At most `body_limit` bytes of the body (empty when there is none).
    pub body: &'a [u8],
}

/// Family of attack a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Family {
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
    /// Path traversal and local file inclusion.
    Traversal,
    /// Remote file inclusion.
    Rfi,
    /// OS command injection.
    Cmdi,
    /// Log4Shell-style JNDI lookups.
    Jndi,
    /// PHP code injection and wrappers.
    Php,
    /// Java deserialisation markers.
    JavaDeser,
    /// Server-side template injection.
    Ssti,
    /// Probes for sensitive files and paths.
    SensitiveFile,
    /// Scanner and attack-tool fingerprints.
    Scanner,
    /// HTTP protocol anomalies.
    Protocol,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    Notice,
    /// Suspicious.
    Warning,
    /// Likely an attack.
    Error,
    /// An attack.
    Critical,
}

/// Where in the request a finding was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Location {
    /// The URL path.
    Path,
    /// A query parameter value (its name given).
    Query(String),
    /// A query parameter name.
    QueryName(String),
    /// An `application/x-www-form-urlencoded` field value (its name given).
    Form(String),
    /// A JSON string or key, by JSON pointer (e.g. `/user/name`).
    Json(String),
    /// A multipart/form-data field (its name given).
    Multipart(String),
    /// A multipart filename (the field name given).
    Filename(String),
    /// A header value (its lowercased name given).
    Header(String),
    /// A cookie value (its name given).
    Cookie(String),
    /// The body as a whole (unparsed content types).
    Body,
    /// The request line or framing (protocol anomalies).
    Request,
}

/// One rule match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule id, e.g. `sqli-union-select` (documented in docs/rules.md).
    pub rule: &'static str,
    /// The rule's family.
    pub family: Family,
    /// The lowest paranoia level at which the rule runs (1–4).
    pub paranoia: u8,
    /// How bad it is.
    pub severity: Severity,
    /// Where it matched.
    pub location: Location,
    /// A short excerpt of the normalised input around the match (≤ 64 chars, control chars escaped).
    pub excerpt: String,
    /// What the finding adds to the anomaly score.
    pub score: u32,
}

/// The engine's answer for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Every finding, at most one per (rule, location).
    pub findings: Vec<Finding>,
    /// Sum of the findings' scores.
    pub score: u32,
    /// `score >= threshold`: the guard blocks in block mode.
    pub over_threshold: bool,
    /// Units of work the engine did (bytes scanned, decode steps): grows linearly with input.
    pub work: u64,
}

/// Engine configuration, already validated (the binary maps its TOML onto this).
#[derive(Debug, Clone)]
pub struct DetectConfig {
    /// Paranoia level 1–4: higher levels add rules.
    pub paranoia: u8,
    /// Inbound anomaly score threshold (default 5).
    pub threshold: u32,
    /// Bytes of body inspected at most (default 64 KiB).
    pub body_limit: usize,
    /// Header names (lowercase) inspected besides User-Agent, Referer and X-Forwarded-For.
    pub extra_headers: Vec<String>,
    /// Extra sensitive path names, added to the built-in list.
    pub sensitive_paths: Vec<String>,
    /// False-positive exclusions.
    pub exclusions: Vec<Exclusion>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            paranoia: 1,
            threshold: 5,
            body_limit: 64 * 1024,
            extra_headers: Vec::new(),
            sensitive_paths: Vec::new(),
            exclusions: Vec::new(),
        }
    }
}

/// Turns rules off for some requests, e.g. `path = "/api/notes"`, `location = "json:/body"`,
/// `rules = ["sqli-*"]`.
#[derive(Debug, Clone, Default)]
pub struct Exclusion {
    /// Path prefix (`/api/notes` matches `/api/notes` and `/api/notes/…`); `None` for every path.
    pub path: Option<String>,
    /// Location selector: `query:NAME`, `form:NAME`, `json:/POINTER`, `header:NAME`,
    /// `cookie:NAME`, `multipart:NAME`, `path`, `body`; `None` for every location.
    pub location: Option<String>,
    /// Rule id patterns, `*` as a trailing wildcard (`sqli-*`); empty for every rule.
    pub rules: Vec<String>,
}

/// Configuration the engine refuses.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    /// Which field (`paranoia`, `exclusions[2].rules[0]`, …).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The compiled engine: build once, share across threads (`Send + Sync`).
///
/// # Example
///
/// ```
/// use palisade_detect::{DetectConfig, Engine, Family, Request};
///
/// let engine = Engine::new(DetectConfig::default()).unwrap();
/// let headers: &[(&str, &[u8])] = &[("Host", b"shop.example"), ("User-Agent", b"Mozilla/5.0")];
/// let req = Request { method: "GET", target: "/items?id=1%20UNION%20SELECT%20password%20FROM%20users", headers, body: b"" };
/// let verdict = engine.inspect(&req);
/// assert!(verdict.over_threshold);
/// assert!(verdict.findings.iter().any(|f| f.rule == "sqli-union-select" && f.family == Family::Sqli));
/// ```
#[derive(Debug)]
pub struct Engine {
    config: DetectConfig,
    compiled: crate::inspect::Compiled,
}

impl Engine {
    /// Validates `config` and compiles the rules it enables (regex sets, automata, the
    /// sensitive-path list). Errors name the offending field.
    pub fn new(config: DetectConfig) -> Result<Self, ConfigError> {
        let exclusions = crate::config::validate(&config)?;
        let compiled = crate::inspect::Compiled {
            families: crate::families::Families::new(config.paranoia),
            sensitive: crate::families::sensitive::Sensitive::new(&config.sensitive_paths),
            scanner: crate::families::scanner::Scanner::new(),
            exclusions,
        };
        Ok(Self { config, compiled })
    }

    /// The configuration the engine was built with.
    pub fn config(&self) -> &DetectConfig {
        &self.config
    }

    /// Inspects one request.
    pub fn inspect(&self, request: &Request<'_>) -> Verdict {
        crate::inspect::run(&self.config, &self.compiled, request)
    }
}
