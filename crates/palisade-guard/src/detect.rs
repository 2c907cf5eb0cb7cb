//! The detection phase's glue: the guard's view of a request for `palisade-detect`, the
//! verdict turned into an event, and the mode that decides whether a verdict blocks.

use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use bytes::BytesMut;
use ipnet::IpNet;
use palisade_core::{Category, Event, Severity};
use palisade_detect::{Engine, Family, Request, Verdict};
use pingora::http::RequestHeader;

/// What the guard does with a verdict over the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectMode {
    /// Record the event, forward the request.
    Monitor,
    /// Record the event, answer 403.
    Block,
}

/// Detection settings, validated.
#[derive(Debug, Clone)]
pub struct DetectSettings {
    /// Monitor or block (off is `None` in `GuardSettings::detect`).
    pub mode: DetectMode,
    /// The compiled rules.
    pub engine: Arc<Engine>,
    /// Clients never inspected (health checkers, internal scanners you run yourself).
    pub allow: Vec<IpNet>,
}

impl DetectSettings {
    /// Bytes of body held back for inspection at most.
    pub fn body_window(&self) -> usize {
        self.engine.config().body_limit
    }

    /// True when this client is exempt.
    pub fn allowed(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|n| n.contains(&ip))
    }
}

/// The detection settings in force, shared by the proxy and whoever reloads them. Each
/// request takes the settings current when its headers arrive and keeps them to its end, so
/// a reload never inspects half a request with old rules and half with new ones, and
/// connections stay open across it.
#[derive(Debug, Clone, Default)]
pub struct Detection(Arc<ArcSwapOption<DetectSettings>>);

impl Detection {
    /// A handle holding `settings` (`None`: detection off).
    pub fn new(settings: Option<DetectSettings>) -> Detection {
        Detection(Arc::new(ArcSwapOption::new(settings.map(Arc::new))))
    }

    /// The settings in force now.
    pub fn current(&self) -> Option<Arc<DetectSettings>> {
        self.0.load_full()
    }

    /// Puts `settings` in force for every request that starts from now on.
    pub fn replace(&self, settings: Option<DetectSettings>) {
        self.0.store(settings.map(Arc::new));
    }
}

/// Where a request is in its inspection.
#[derive(Debug, Default)]
pub(crate) enum Inspection {
    /// Not inspected (detection off, or the client is allowed).
    #[default]
    Skipped,
    /// Headers seen; body chunks are held back here until the window is full or the body ends.
    Holding(BytesMut),
    /// Decided: the request goes on.
    Done,
}

/// Runs the engine over the request head and the body bytes held so far.
pub(crate) fn inspect(engine: &Engine, req: &RequestHeader, body: &[u8]) -> Verdict {
    let mut headers: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    // HTTP/2 carries the host as the `:authority` pseudo-header, not `Host`: give the engine
    // the same view as HTTP/1 so it does not see a "missing Host".
    let authority = req.uri.authority().map(|a| a.as_str());
    if let Some(authority) = authority
        && !req.headers.contains_key(http::header::HOST)
    {
        headers.push(("host", authority.as_bytes()));
    }
    let target = String::from_utf8_lossy(req.raw_path());
    engine.inspect(&Request {
        method: req.method.as_str(),
        target: &target,
        headers: &headers,
        body,
    })
}

/// The event for a verdict over the threshold.
pub fn event(verdict: &Verdict, blocked: bool) -> Event {
    let families: Vec<Family> = verdict.findings.iter().map(|f| f.family).collect();
    let category = if families.contains(&Family::Scanner)
        && families
            .iter()
            .all(|f| matches!(f, Family::Scanner | Family::Protocol))
    {
        Category::Scanner
    } else if families.contains(&Family::SensitiveFile)
        && families.iter().all(|f| {
            matches!(
                f,
                Family::SensitiveFile | Family::Scanner | Family::Protocol
            )
        })
    {
        Category::SensitiveFileProbe
    } else {
        Category::MaliciousTraffic
    };
    let mut names: Vec<&str> = Vec::new();
    for f in &verdict.findings {
        if !names.contains(&f.family.as_str()) {
            names.push(f.family.as_str());
        }
    }
    let action = if blocked { "blocked" } else { "detected" };
    let message = format!(
        "{} {action} (score {})",
        if names.is_empty() {
            "attack".to_owned()
        } else {
            names.join(", ")
        },
        verdict.score
    );
    let severity = if blocked {
        Severity::High
    } else {
        Severity::Medium
    };
    let mut e = Event::new(category, severity, message)
        .with_field("score", verdict.score.to_string())
        .with_field("action", action)
        .with_field("outcome", if blocked { "failure" } else { "unknown" });
    for (i, f) in verdict.findings.iter().take(8).enumerate() {
        if !e.rules.iter().any(|r| r == f.rule) {
            e.rules.push(f.rule.to_owned());
        }
        e.fields.insert(
            format!("finding.{}", i + 1),
            format!("{} at {}: {}", f.rule, f.location, f.excerpt),
        );
    }
    e
}
