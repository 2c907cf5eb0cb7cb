//! From observed CSP violations to the sources worth adding (`palisade headers csp-suggest`).
//!
//! [`Suggestion::generate`] takes the current policy text and the violations (each with the
//! client that reported it) and proposes, per directive, the sources to add, with the evidence
//! for each, the reports it would not act on and why, and the whole proposed policy.
//!
//! # Rules
//!
//! - A blocked URL becomes its origin (`https://cdn.example.com`, the port only when not the
//!   scheme's default), never a path: CSP ignores paths after a redirect anyway, and a path
//!   list breaks at the next deploy. A URL the page's own origin covers becomes `'self'` (with
//!   CSP3's upgrades: an `https:`/`wss:` URL on an `http:` page's host). `data`/`blob`/
//!   `filesystem`/`mediastream` become `data:`, `blob:`, … but never in a script directive,
//!   where `data:` runs injected markup like `'unsafe-inline'` does.
//! - The effective directive is followed down CSP3's fallback list (`script-src-elem →
//!   script-src → default-src`, `worker-src → child-src → script-src → default-src`,
//!   `frame-src → child-src → default-src`, …) to the first directive the policy has. When that
//!   is `default-src`, a new specific directive is proposed, seeded with `default-src`'s
//!   sources plus the addition: `default-src` is never widened, since that would allow the
//!   source for every resource type. The new directive is `script-src`/`style-src` for the
//!   `-elem`/`-attr` variants (browsers without CSP3's split ignore those), else the effective
//!   directive itself. `base-uri`, `form-action` and `frame-ancestors` have no fallback.
//! - Not proposed: inline code (use `nonce = "auto"` or hashes), `eval` (refactor), Trusted
//!   Types violations, browser-extension and `about:` URLs (the visitor's browser, not the
//!   site), sources reported by fewer than `min_clients` distinct clients (one client alone is
//!   more likely an extension, a proxy or someone probing), host sources where `script-src`
//!   has `'strict-dynamic'` (browsers ignore them there), and sources the current policy
//!   already allows (reports from an older policy).
//! - Enforced and report-only violations count the same: report-only is how a policy is tried.
//!
//! # Example
//!
//! ```
//! use palisade_headers::report::{Blocked, Disposition, Violation};
//! use palisade_headers::suggest::{Observation, SuggestOptions, Suggestion};
//!
//! let seen = |client: &str| Observation {
//!     client: client.to_owned(),
//!     violation: Violation {
//!         document: "https://shop.example/".into(),
//!         blocked: Blocked::Url("https://cdn.example.net/app.js".into()),
//!         directive: "script-src-elem".into(),
//!         disposition: Disposition::Report,
//!         source_file: None, line: None, column: None, sample: None, status: None,
//!     },
//! };
//! let suggestion = Suggestion::generate(
//!     "default-src 'self';script-src 'self'",
//!     &[seen("192.0.2.1"), seen("192.0.2.2")],
//!     &SuggestOptions { min_clients: 2 },
//! );
//! assert_eq!(
//!     suggestion.proposed_policy,
//!     "default-src 'self';script-src 'self' https://cdn.example.net",
//! );
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;
use url::Url;

use crate::report::{Blocked, Violation};

/// One reported violation and who reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The reporting client (its IP address as text), to count distinct clients.
    pub client: String,
    /// The violation.
    pub violation: Violation,
}

/// Thresholds of [`Suggestion::generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuggestOptions {
    /// A source must be reported by at least this many distinct clients.
    pub min_clients: usize,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        Self { min_clients: 2 }
    }
}

/// The proposal: sources to add per directive, what was left out, and the resulting policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// How many violations were considered.
    pub reports: usize,
    /// The policy the suggestion starts from.
    pub current_policy: String,
    /// The current policy with the additions (equal to it when there are none).
    pub proposed_policy: String,
    /// Per directive, in the proposed policy's order.
    pub additions: Vec<DirectiveAddition>,
    /// What is not proposed, most reported first.
    pub rejected: Vec<Rejected>,
}

/// The sources to add to one directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectiveAddition {
    /// The directive, e.g. `script-src`.
    pub directive: String,
    /// Not in the current policy: proposed instead of widening `default-src`.
    pub new_directive: bool,
    /// For a new directive, the `default-src` sources it starts from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seeded_from_default_src: Vec<String>,
    /// The additions, most reported first.
    pub sources: Vec<Addition>,
}

/// One source expression to add, and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addition {
    /// The source expression, e.g. `https://cdn.example.com`, `'self'`, `data:`.
    pub source: String,
    /// Violations it would have prevented.
    pub reports: usize,
    /// Distinct clients that reported them.
    pub clients: usize,
    /// A page where it happened.
    pub example_document: String,
}

/// Reports not acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The reported effective directive (for [`RejectReason::TooFewClients`], the directive
    /// it would have gone to).
    pub directive: String,
    /// What was blocked as reported (for [`RejectReason::TooFewClients`], the source).
    pub blocked: String,
    /// Why, as a stable id.
    pub reason: RejectReason,
    /// Why, for humans.
    pub explanation: String,
    /// How many violations.
    pub reports: usize,
    /// From how many distinct clients.
    pub clients: usize,
}

/// Why reports are not turned into an addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// Inline script or style.
    Inline,
    /// `eval` or WebAssembly compilation.
    Eval,
    /// A Trusted Types violation.
    TrustedTypes,
    /// A browser extension's URL.
    BrowserExtension,
    /// An `about:` URL.
    About,
    /// A scheme a page has no reason to load from, or `data:` in a script directive.
    UnsafeScheme,
    /// Nothing that can be written as a source expression.
    NotASource,
    /// Fewer distinct clients than `min_clients`.
    TooFewClients,
    /// `'strict-dynamic'` makes browsers ignore host sources in `script-src`.
    StrictDynamic,
    /// The current policy already allows it.
    AlreadyAllowed,
    /// The current policy does not restrict this directive.
    NotRestricted,
    /// A directive that takes no source list, is reported as `default-src` itself, or unknown.
    UnknownDirective,
}

impl RejectReason {
    fn explain(self, min_clients: usize) -> String {
        match self {
            RejectReason::Inline => "inline code: use a nonce (nonce = \"auto\") or hashes rather than 'unsafe-inline'".to_owned(),
            RejectReason::Eval => "eval: refactor the code that evaluates strings; add 'unsafe-eval' (or 'wasm-unsafe-eval') only knowingly".to_owned(),
            RejectReason::TrustedTypes => "Trusted Types: fix the code or the trusted-types policy; no source allows it".to_owned(),
            RejectReason::BrowserExtension => "a browser extension's URL: the visitor's browser, not the site".to_owned(),
            RejectReason::About => "about: URLs are the browser's own".to_owned(),
            RejectReason::UnsafeScheme => "not a scheme to allow here (data: in a script directive runs injected markup)".to_owned(),
            RejectReason::NotASource => "not a URL that can be written as a source".to_owned(),
            RejectReason::TooFewClients => format!("reported by fewer than {min_clients} distinct clients"),
            RejectReason::StrictDynamic => "script-src has 'strict-dynamic', which makes browsers ignore host sources: load it from a nonced script".to_owned(),
            RejectReason::AlreadyAllowed => "the current policy already allows it (reported under an older policy?)".to_owned(),
            RejectReason::NotRestricted => "the current policy does not restrict this directive".to_owned(),
            RejectReason::UnknownDirective => "not a directive a source can be added to".to_owned(),
        }
    }
}

/// CSP3 "directive fallback list" of an effective directive.
fn fallback_chain(directive: &str) -> Option<&'static [&'static str]> {
    Some(match directive {
        "script-src-elem" => &["script-src-elem", "script-src", "default-src"],
        "script-src-attr" => &["script-src-attr", "script-src", "default-src"],
        "style-src-elem" => &["style-src-elem", "style-src", "default-src"],
        "style-src-attr" => &["style-src-attr", "style-src", "default-src"],
        "worker-src" => &["worker-src", "child-src", "script-src", "default-src"],
        "frame-src" => &["frame-src", "child-src", "default-src"],
        "fenced-frame-src" => &["fenced-frame-src", "frame-src", "child-src", "default-src"],
        "script-src" => &["script-src", "default-src"],
        "style-src" => &["style-src", "default-src"],
        "child-src" => &["child-src", "default-src"],
        "connect-src" => &["connect-src", "default-src"],
        "font-src" => &["font-src", "default-src"],
        "img-src" => &["img-src", "default-src"],
        "manifest-src" => &["manifest-src", "default-src"],
        "media-src" => &["media-src", "default-src"],
        "object-src" => &["object-src", "default-src"],
        "prefetch-src" => &["prefetch-src", "default-src"],
        _ => return None,
    })
}

/// Directives with a source list that do not fall back to `default-src` (CSP3).
const NO_FALLBACK: &[&str] = &["base-uri", "form-action", "frame-ancestors"];

const EXTENSION_SCHEMES: &[&str] = &[
    "chrome-extension",
    "moz-extension",
    "safari-extension",
    "safari-web-extension",
    "ms-browser-extension",
];

/// Schemes a page legitimately loads from that are written as scheme sources.
const LOCAL_SCHEMES: &[&str] = &["data", "blob", "filesystem", "mediastream"];

/// Where `data:` lets injected markup run script.
fn is_script_directive(name: &str) -> bool {
    name.starts_with("script-src") || name == "worker-src" || name == "object-src"
}

/// One directive of the current policy.
#[derive(Debug, Clone)]
struct Directive {
    name: String,
    /// As written, trimmed: an untouched directive is copied as it was.
    text: String,
    sources: Vec<String>,
}

/// The current policy, directives in order. Only the first of duplicate names counts, as in
/// browsers.
#[derive(Debug, Clone)]
struct CurrentPolicy {
    directives: Vec<Directive>,
    separator: &'static str,
}

impl CurrentPolicy {
    fn parse(text: &str) -> CurrentPolicy {
        let directives = text
            .split(';')
            .filter_map(|part| {
                let mut tokens = part.split_ascii_whitespace();
                let name = tokens.next()?.to_ascii_lowercase();
                Some(Directive {
                    name,
                    text: part.trim().to_owned(),
                    sources: tokens.map(str::to_owned).collect(),
                })
            })
            .collect();
        CurrentPolicy {
            directives,
            separator: if text.contains("; ") { "; " } else { ";" },
        }
    }

    fn get(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }
}

/// Where an addition goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Target {
    directive: String,
    /// `Some(default-src's sources)` for a new directive.
    seeded: Option<Vec<String>>,
}

fn target(policy: &CurrentPolicy, effective: &str) -> Result<Target, RejectReason> {
    if NO_FALLBACK.contains(&effective) {
        return match policy.get(effective) {
            Some(_) => Ok(Target {
                directive: effective.to_owned(),
                seeded: None,
            }),
            None => Err(RejectReason::NotRestricted),
        };
    }
    let chain = fallback_chain(effective).ok_or(RejectReason::UnknownDirective)?;
    for name in chain {
        let Some(found) = policy.get(name) else {
            continue;
        };
        if *name != "default-src" {
            return Ok(Target {
                directive: (*name).to_owned(),
                seeded: None,
            });
        }
        let directive = match effective {
            "script-src-elem" | "script-src-attr" => "script-src",
            "style-src-elem" | "style-src-attr" => "style-src",
            other => other,
        };
        let seed = found
            .sources
            .iter()
            .filter(|s| !s.eq_ignore_ascii_case("'none'"))
            .cloned()
            .collect();
        return Ok(Target {
            directive: directive.to_owned(),
            seeded: Some(seed),
        });
    }
    Err(RejectReason::NotRestricted)
}

/// The source expression for what was blocked, or why there is none.
fn source_for(blocked: &Blocked, document: &str) -> Result<String, RejectReason> {
    match blocked {
        Blocked::Inline => Err(RejectReason::Inline),
        Blocked::Eval | Blocked::WasmEval => Err(RejectReason::Eval),
        Blocked::TrustedTypesPolicy | Blocked::TrustedTypesSink => Err(RejectReason::TrustedTypes),
        Blocked::Scheme(scheme) if EXTENSION_SCHEMES.contains(&scheme.as_str()) => {
            Err(RejectReason::BrowserExtension)
        }
        Blocked::Scheme(scheme) if scheme == "about" => Err(RejectReason::About),
        Blocked::Scheme(scheme) if LOCAL_SCHEMES.contains(&scheme.as_str()) => {
            Ok(format!("{scheme}:"))
        }
        Blocked::Scheme(_) => Err(RejectReason::UnsafeScheme),
        Blocked::Url(url) => {
            let url = Url::parse(url).map_err(|_| RejectReason::NotASource)?;
            let host = url.host_str().ok_or(RejectReason::NotASource)?;
            if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
                return Err(RejectReason::NotASource);
            }
            if Url::parse(document).is_ok_and(|doc| self_matches(&doc, &url)) {
                return Ok("'self'".to_owned());
            }
            Ok(match url.port() {
                Some(port) => format!("{}://{host}:{port}", url.scheme()),
                None => format!("{}://{host}", url.scheme()),
            })
        }
        Blocked::Other(_) => Err(RejectReason::NotASource),
    }
}

/// CSP3's `'self'` match: the same origin, or the same host with a secure upgrade.
fn self_matches(doc: &Url, url: &Url) -> bool {
    if doc.origin() == url.origin() {
        return true;
    }
    let same_host = doc.host_str().is_some() && doc.host_str() == url.host_str();
    let same_port =
        doc.port() == url.port() || doc.port_or_known_default() == url.port_or_known_default();
    let upgrade = matches!(url.scheme(), "https" | "wss")
        || (doc.scheme() == "http" && matches!(url.scheme(), "http" | "ws"));
    same_host && same_port && upgrade
}

/// Whether a source list already allows `source` (as [`source_for`] writes it). Paths in
/// host sources count as not allowing the whole origin.
fn allows(list: &[String], source: &str) -> bool {
    let network = source.contains("://");
    list.iter().any(|have| {
        have.eq_ignore_ascii_case(source)
            || (have == "*" && (network || source == "'self'"))
            || (network && host_source_allows(have, source))
    })
}

/// CSP3 scheme-part matching: `http:` also allows `https:`, `ws:` also `wss:`/`http(s):`.
fn scheme_allows(have: &str, want: &str) -> bool {
    have.eq_ignore_ascii_case(want)
        || matches!(
            (have.to_ascii_lowercase().as_str(), want),
            ("http", "https") | ("ws", "wss" | "http" | "https") | ("wss", "https")
        )
}

fn host_source_allows(have: &str, origin: &str) -> bool {
    let Some((want_scheme, want_rest)) = origin.split_once("://") else {
        return false;
    };
    let (want_host, want_port) = split_port(want_rest);
    // A scheme source: `https:`.
    if let Some(scheme) = have.strip_suffix(':')
        && !scheme.contains('/')
    {
        return scheme_allows(scheme, want_scheme);
    }
    let rest = match have.split_once("://") {
        Some((scheme, rest)) if scheme_allows(scheme, want_scheme) => rest,
        Some(_) => return false,
        // No scheme means the page's own, not known here: counted as a match, so at worst a
        // source is not proposed.
        None => have,
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if !(path.is_empty() || path == "/") {
        return false;
    }
    let (host, port) = split_port(authority);
    let host_ok = match host.strip_prefix("*.") {
        Some(parent) => {
            want_host.len() > parent.len() + 1
                && want_host
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", parent.to_ascii_lowercase()))
        }
        None => host == "*" || host.eq_ignore_ascii_case(want_host),
    };
    host_ok && (port == Some("*") || port == want_port)
}

/// `host[:port]` → (host, port); IPv6 brackets kept with the host.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    }
}

/// Whether `'strict-dynamic'` in the target's list makes browsers ignore any source added
/// there: they then ignore host and scheme sources, `'self'` and `'unsafe-inline'` alike.
fn strict_dynamic_ignores(target: &Target, current: &[String]) -> bool {
    target.directive.starts_with("script-src")
        && current
            .iter()
            .any(|s| s.eq_ignore_ascii_case("'strict-dynamic'"))
}

/// Reports of one kind, with their distinct clients.
#[derive(Debug, Default)]
struct Tally<'a> {
    reports: usize,
    clients: HashSet<&'a str>,
    example: Option<&'a str>,
    /// Order of first appearance, for a stable output.
    first: usize,
}

impl<'a> Tally<'a> {
    fn add(&mut self, index: usize, observation: &'a Observation) {
        if self.reports == 0 {
            self.first = index;
        }
        self.reports += 1;
        self.clients.insert(&observation.client);
        if self.example.is_none() && !observation.violation.document.is_empty() {
            self.example = Some(&observation.violation.document);
        }
    }
}

impl Suggestion {
    /// Proposes additions to `current_policy` (a CSP header value) from `observations`.
    pub fn generate(
        current_policy: &str,
        observations: &[Observation],
        options: &SuggestOptions,
    ) -> Suggestion {
        let policy = CurrentPolicy::parse(current_policy);
        let mut accepted: HashMap<(Target, String), Tally<'_>> = HashMap::new();
        let mut rejected: HashMap<(String, String, RejectReason), Tally<'_>> = HashMap::new();
        for (index, observation) in observations.iter().enumerate() {
            let v = &observation.violation;
            match plan(&policy, v) {
                Ok(key) => accepted.entry(key).or_default().add(index, observation),
                Err(reason) => rejected
                    .entry((v.directive.clone(), v.blocked.to_string(), reason))
                    .or_default()
                    .add(index, observation),
            }
        }

        let mut by_target: Vec<(Target, Vec<Addition>)> = Vec::new();
        let mut rejected: Vec<Rejected> = rejected
            .into_iter()
            .map(|((directive, blocked, reason), tally)| {
                rejection(directive, blocked, reason, &tally, options)
            })
            .collect();
        let mut accepted: Vec<_> = accepted.into_iter().collect();
        accepted.sort_by_key(|(_, tally)| tally.first);
        for ((target, source), tally) in accepted {
            if tally.clients.len() < options.min_clients {
                rejected.push(rejection(
                    target.directive,
                    source,
                    RejectReason::TooFewClients,
                    &tally,
                    options,
                ));
                continue;
            }
            let addition = Addition {
                source,
                reports: tally.reports,
                clients: tally.clients.len(),
                example_document: tally.example.unwrap_or_default().to_owned(),
            };
            match by_target.iter_mut().find(|(t, _)| *t == target) {
                Some((_, list)) => list.push(addition),
                None => by_target.push((target, vec![addition])),
            }
        }
        rejected.sort_by(|a, b| {
            b.reports
                .cmp(&a.reports)
                .then_with(|| a.directive.cmp(&b.directive))
                .then_with(|| a.blocked.cmp(&b.blocked))
        });
        for (_, list) in &mut by_target {
            list.sort_by(|a, b| {
                b.reports
                    .cmp(&a.reports)
                    .then_with(|| a.source.cmp(&b.source))
            });
        }

        let (proposed_policy, order) = propose(&policy, &by_target);
        let mut additions: Vec<DirectiveAddition> = by_target
            .into_iter()
            .map(|(target, sources)| DirectiveAddition {
                new_directive: target.seeded.is_some(),
                seeded_from_default_src: target.seeded.unwrap_or_default(),
                directive: target.directive,
                sources,
            })
            .collect();
        additions.sort_by_key(|a| order.iter().position(|d| *d == a.directive));
        Suggestion {
            reports: observations.len(),
            current_policy: current_policy.to_owned(),
            proposed_policy,
            additions,
            rejected,
        }
    }

    /// The suggestion for humans: additions with their evidence, what was left out, and the
    /// proposed policy.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} CSP violation report(s) considered.", self.reports);
        if self.additions.is_empty() {
            out.push_str("\nNothing to add to the policy.\n");
        }
        for addition in &self.additions {
            if addition.new_directive {
                let _ = writeln!(
                    out,
                    "\nNew directive {} (instead of widening default-src; starts from default-src's sources: {}):",
                    addition.directive,
                    if addition.seeded_from_default_src.is_empty() {
                        "none".to_owned()
                    } else {
                        addition.seeded_from_default_src.join(" ")
                    }
                );
            } else {
                let _ = writeln!(out, "\nAdd to {}:", addition.directive);
            }
            let width = addition
                .sources
                .iter()
                .map(|s| s.source.len())
                .max()
                .unwrap_or(0);
            for source in &addition.sources {
                let _ = write!(
                    out,
                    "  {:<width$}  {} report(s) from {} client(s)",
                    source.source, source.reports, source.clients
                );
                if !source.example_document.is_empty() {
                    let _ = write!(out, ", e.g. on {}", source.example_document);
                }
                out.push('\n');
            }
        }
        if !self.rejected.is_empty() {
            out.push_str("\nNot proposed:\n");
            for r in &self.rejected {
                let _ = writeln!(
                    out,
                    "  {} {}  {} report(s) from {} client(s): {}",
                    if r.directive.is_empty() {
                        "?"
                    } else {
                        &r.directive
                    },
                    r.blocked,
                    r.reports,
                    r.clients,
                    r.explanation
                );
            }
        }
        if !self.additions.is_empty() {
            let _ = write!(
                out,
                "\nCurrent policy:\n  {}\nProposed policy:\n  {}\n",
                self.current_policy, self.proposed_policy
            );
        }
        out
    }
}

fn rejection(
    directive: String,
    blocked: String,
    reason: RejectReason,
    tally: &Tally<'_>,
    options: &SuggestOptions,
) -> Rejected {
    Rejected {
        directive,
        blocked,
        reason,
        explanation: reason.explain(options.min_clients),
        reports: tally.reports,
        clients: tally.clients.len(),
    }
}

/// Where one violation's source would go, or why nowhere.
fn plan(policy: &CurrentPolicy, v: &Violation) -> Result<(Target, String), RejectReason> {
    let source = source_for(&v.blocked, &v.document)?;
    if v.directive == "default-src" {
        // Which resource type it was is unknown, and default-src is never widened.
        return Err(RejectReason::UnknownDirective);
    }
    let target = target(policy, &v.directive)?;
    if source == "data:" && is_script_directive(&target.directive) {
        return Err(RejectReason::UnsafeScheme);
    }
    let current: &[String] = match &target.seeded {
        Some(seed) => seed,
        None => policy
            .get(&target.directive)
            .map_or(&[][..], |d| d.sources.as_slice()),
    };
    if allows(current, &source) {
        return Err(RejectReason::AlreadyAllowed);
    }
    if strict_dynamic_ignores(&target, current) {
        return Err(RejectReason::StrictDynamic);
    }
    Ok((target, source))
}

/// The proposed policy text and its directive order.
fn propose(policy: &CurrentPolicy, by_target: &[(Target, Vec<Addition>)]) -> (String, Vec<String>) {
    let render = |name: &str, sources: Vec<&str>| {
        if sources.is_empty() {
            name.to_owned()
        } else {
            format!("{name} {}", sources.join(" "))
        }
    };
    let with_additions = |base: &[String], additions: &[Addition]| -> Vec<String> {
        let mut sources: Vec<String> = if additions.is_empty() {
            base.to_vec()
        } else {
            // 'none' with other sources is an error browsers warn about.
            base.iter()
                .filter(|s| !s.eq_ignore_ascii_case("'none'"))
                .cloned()
                .collect()
        };
        sources.extend(additions.iter().map(|a| a.source.clone()));
        sources
    };
    let mut new: Vec<&(Target, Vec<Addition>)> = by_target
        .iter()
        .filter(|(t, _)| t.seeded.is_some())
        .collect();
    new.sort_by(|a, b| a.0.directive.cmp(&b.0.directive));

    let mut parts = Vec::with_capacity(policy.directives.len() + new.len());
    let mut order = Vec::with_capacity(parts.capacity());
    let mut seen = HashSet::new();
    for directive in &policy.directives {
        let first = seen.insert(directive.name.as_str());
        let additions = by_target
            .iter()
            .find(|(t, _)| first && t.seeded.is_none() && t.directive == directive.name);
        match additions {
            Some((_, list)) => {
                let sources = with_additions(&directive.sources, list);
                parts.push(render(
                    &directive.name,
                    sources.iter().map(String::as_str).collect(),
                ));
            }
            None => parts.push(directive.text.clone()),
        }
        order.push(directive.name.clone());
        if first && directive.name == "default-src" {
            for (target, list) in &new {
                let sources = with_additions(target.seeded.as_deref().unwrap_or_default(), list);
                parts.push(render(
                    &target.directive,
                    sources.iter().map(String::as_str).collect(),
                ));
                order.push(target.directive.clone());
            }
        }
    }
    (parts.join(policy.separator), order)
}
