//! The guard's request lifecycle on pingora's phases (see docs/guard-phases.md).
//!
//! Order: connection (header deadline, per-IP limit, counted) → request id → client IP →
//! report link → black book → rate limit → body limit → detection → login observe →
//! supervised app's availability (`palisade run` only, `supervised.rs`) → upstream
//! (forwarded headers, auth headers) → login outcome, response headers policy → log/metrics.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderName, HeaderValue};
use palisade_auth::{Attempt, BREACHED_HEADER, Decision, Outcome, REPORT_PATH, RISK_HEADER};
use palisade_core::{Availability, Category, Emit, Event, RequestId, Severity, Timestamp};
use palisade_detect::Verdict;
use palisade_headers::{CSP_REPORT_PATH, CspNonce, NonceMode, Policy};
use palisade_state::ratelimit::{Decision as RateDecision, PolicyId, Quota};
use palisade_state::{BanSource, Offence, Verdict as BanVerdict};
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::{HttpPeer, ProxyHttp, Session};
use pingora::proxy::FailToProxy;
use pingora::{Error, ErrorSource, ErrorType, Result};

use crate::auth::Watched;
use crate::csp_report::{self, ReportBudget};
use crate::defence::{BanAnswer, Defences, RateLimitSettings, RateRefusal, RequestInfo};
use crate::detect::{self, DetectMode, DetectSettings, Detection, Inspection};
use crate::error_page;
use crate::forwarded::{Forwarded, TrustedProxies};
use crate::metrics::{GuardMetrics, InFlight};
use crate::respond::{self, BodyWork, ResponsePlan};
use crate::settings::{GuardSettings, Timeouts, Upstream};
use crate::supervised::{AppGate, Retry};

/// The header carrying the request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";
/// The request header that hands the app its CSP nonce when `nonce = true`.
pub const CSP_NONCE: &str = "x-csp-nonce";

/// Largest declared body read before contacting the upstream: pingora's retry buffer, which
/// replays it, holds 64 KiB.
const PREFETCH_MAX: usize = 64 * 1024;

/// Forwarding headers passed upstream only when a trusted proxy sent them.
///
/// `X-Original-URL` / `X-Rewrite-URL` are on the list because Symfony and IIS let them
/// replace the request path, a known way around path-based access rules.
const UNTRUSTED_ONLY_FROM_PROXIES: [HeaderName; 11] = [
    HeaderName::from_static("forwarded"),
    HeaderName::from_static("x-forwarded-prefix"),
    HeaderName::from_static("x-forwarded-ssl"),
    HeaderName::from_static("x-forwarded-scheme"),
    HeaderName::from_static("x-forwarded-protocol"),
    HeaderName::from_static("x-forwarded-server"),
    HeaderName::from_static("x-url-scheme"),
    HeaderName::from_static("front-end-https"),
    HeaderName::from_static("x-original-host"),
    HeaderName::from_static("x-original-url"),
    HeaderName::from_static("x-rewrite-url"),
];

// Parsed once: looking a header up by `&str` parses the name on every call.
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const RISK: HeaderName = HeaderName::from_static("x-palisade-auth-risk");
const BREACHED: HeaderName = HeaderName::from_static("x-palisade-breached-password");

/// The guard's [`ProxyHttp`] implementation.
pub struct Guard {
    upstream: Upstream,
    tls_listener: bool,
    listen_port: HeaderValue,
    trusted: TrustedProxies,
    timeouts: Timeouts,
    max_body: u64,
    headers: Arc<Policy>,
    metrics: Arc<GuardMetrics>,
    events: Arc<dyn Emit>,
    detect: Detection,
    /// Black book, rate limits and login monitor (shared with the admin API).
    defences: Arc<Defences>,
    /// Last known state of the upstream: events go out on changes, not per failed request.
    upstream_up: AtomicBool,
    /// The app `palisade run` supervises, when it does.
    app: Option<AppGate>,
    /// Some header set points CSP reports at the guard.
    csp_reports: bool,
    report_budget: ReportBudget,
}

/// What one request carries from phase to phase.
#[derive(Default)]
pub struct RequestCtx {
    request_id: Option<RequestId>,
    /// The id as a header value, made once and shared by the upstream request and the response.
    request_id_value: Option<HeaderValue>,
    forwarded: Option<Forwarded>,
    nonce: Option<CspNonce>,
    body_bytes: u64,
    upstream_sent: Option<Instant>,
    in_flight: Option<InFlight>,
    inspection: Inspection,
    /// The detection settings this request is inspected with (those in force when its
    /// headers arrived).
    detect: Option<Arc<DetectSettings>>,
    /// The body was read before connecting upstream (for inspection); its `Expect` is answered.
    body_prefetched: bool,
    /// The body read ahead, kept only for a watched login or account-change route.
    body: Option<Bytes>,
    /// The watched route this request is on.
    watched: Option<Watched>,
    /// The login attempt (its password already dropped), decided in `response_filter`.
    attempt: Option<(usize, Attempt)>,
    /// The acting user of an account change.
    change_user: Option<String>,
    /// `X-Palisade-Auth-Risk` for the upstream.
    risk: Option<&'static str>,
    /// `X-Palisade-Breached-Password` for the upstream.
    breached: Option<u64>,
    /// The one retry of a failed connect to a supervised app.
    app_retry: Retry,
    /// The client's connection is HTTPS (at the guard, or at a trusted proxy before it).
    https: bool,
    /// What the response body filter does (nonce rewriting, error scrubbing).
    body_work: BodyWork,
}

impl Guard {
    /// Builds the guard from its settings.
    pub(crate) fn new(
        settings: &GuardSettings,
        metrics: Arc<GuardMetrics>,
        events: Arc<dyn Emit>,
        defences: Arc<Defences>,
        app: Option<AppGate>,
        detection: Detection,
    ) -> Self {
        Guard {
            upstream: settings.upstream.clone(),
            tls_listener: settings.tls.is_some(),
            listen_port: HeaderValue::from(settings.listen.port()),
            trusted: settings.trusted_proxies.clone(),
            timeouts: settings.timeouts,
            max_body: settings.max_request_body,
            headers: settings.headers.clone(),
            metrics,
            events,
            detect: detection,
            defences,
            upstream_up: AtomicBool::new(true),
            app,
            csp_reports: settings.headers.collects_csp_reports(),
            report_budget: ReportBudget::new(),
        }
    }

    fn request_id<'a>(&self, ctx: &'a mut RequestCtx) -> &'a RequestId {
        ctx.request_id.get_or_insert_with(RequestId::generate)
    }

    fn request_id_value(&self, ctx: &mut RequestCtx) -> HeaderValue {
        if let Some(v) = &ctx.request_id_value {
            return v.clone();
        }
        // A RequestId is [A-Za-z0-9._:=+/-] only, always a valid header value.
        let value = HeaderValue::from_str(self.request_id(ctx).as_str())
            .unwrap_or_else(|_| HeaderValue::from_static("invalid"));
        ctx.request_id_value = Some(value.clone());
        value
    }

    /// Detection on the request head. A request without a body, or with a small declared one
    /// (read here, before the upstream is contacted, and replayed to it by pingora's retry
    /// buffer), is decided now; a larger or chunked body is held back chunk by chunk in
    /// `request_body_filter` up to the inspection window. Returns `Ok(true)` when answered.
    async fn detect_head(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        detect: &DetectSettings,
        declared: Option<u64>,
    ) -> Result<bool> {
        let client = ctx
            .forwarded
            .as_ref()
            .map_or(IpAddr::from([0, 0, 0, 0]), |f| f.client_ip);
        if detect.allowed(client) {
            return Ok(false);
        }
        let req = session.req_header();
        let chunked = req
            .headers
            .get(http::header::TRANSFER_ENCODING)
            .is_some_and(|v| !v.as_bytes().is_empty());
        let has_body = chunked || declared.is_some_and(|n| n > 0);
        if !has_body {
            ctx.inspection = Inspection::Done;
            let verdict = detect::inspect(&detect.engine, req, &[]);
            return self.refuse_if(session, ctx, detect, verdict).await;
        }
        let window = detect.body_window().min(PREFETCH_MAX);
        if !chunked && declared.is_some_and(|n| n as usize <= window) {
            if session
                .req_header()
                .headers
                .get(http::header::EXPECT)
                .is_some()
            {
                session.as_mut().write_continue_response().await?;
            }
            session.as_mut().enable_retry_buffering();
            let mut body = bytes::BytesMut::new();
            while let Some(chunk) = session.as_mut().read_request_body().await? {
                body.extend_from_slice(&chunk);
                if body.len() > window {
                    break;
                }
            }
            ctx.body_prefetched = true;
            ctx.inspection = Inspection::Done;
            let verdict = detect::inspect(&detect.engine, session.req_header(), &body);
            if ctx.watched.is_some() {
                ctx.body = Some(body.freeze());
            }
            return self.refuse_if(session, ctx, detect, verdict).await;
        }
        ctx.inspection = Inspection::Holding(bytes::BytesMut::new());
        Ok(false)
    }

    /// [`act`](Self::act), answering 403 now when it says to refuse.
    async fn refuse_if(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        detect: &DetectSettings,
        verdict: Verdict,
    ) -> Result<bool> {
        if self.act(session, ctx, detect, verdict).await? {
            self.send_page(session, ctx, 403).await;
            return Ok(true);
        }
        Ok(false)
    }

    /// Holds body chunks back until the inspection window is full or the body ends, then
    /// decides: the held bytes go upstream in one piece, or the request is refused with 403.
    async fn detect_body(
        &self,
        session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let Some(detect) = ctx.detect.clone() else {
            return Ok(());
        };
        let Inspection::Holding(held) = &mut ctx.inspection else {
            return Ok(());
        };
        if let Some(chunk) = body.take() {
            held.extend_from_slice(&chunk);
        }
        let window = detect.body_window();
        if held.len() < window && !end_of_stream {
            // An empty chunk tells pingora to send nothing yet.
            *body = Some(Bytes::new());
            return Ok(());
        }
        let held = std::mem::take(held).freeze();
        ctx.inspection = Inspection::Done;
        let verdict = detect::inspect(
            &detect.engine,
            session.req_header(),
            &held[..held.len().min(window)],
        );
        if self.act(session, ctx, &detect, verdict).await? {
            // The page is sent by `fail_to_proxy`; the upstream request is abandoned.
            return Error::e_explain(ErrorType::HTTPStatus(403), "blocked by detection");
        }
        *body = Some(held);
        Ok(())
    }

    /// Records a verdict over the threshold; returns whether to refuse the request (block mode).
    async fn act(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        detect: &DetectSettings,
        verdict: Verdict,
    ) -> Result<bool> {
        self.metrics.findings(&verdict);
        if !verdict.over_threshold {
            return Ok(false);
        }
        let blocked = detect.mode == DetectMode::Block;
        let req = session.req_header();
        let mut event = detect::event(&verdict, blocked).with_request(
            self.request_id(ctx).as_str().to_owned(),
            req.method.as_str(),
            host_of(req),
            String::from_utf8_lossy(req.raw_path()).into_owned(),
        );
        if let Some(f) = &ctx.forwarded {
            event = event.with_source_ip(f.client_ip);
            let offence = Offence::new(f.client_ip, event.category.clone(), event.message.clone());
            let info = self.request_info(session, ctx);
            self.defences.offence_async(&offence, Some(&info)).await;
        }
        if !blocked {
            self.events.emit(event);
            return Ok(false);
        }
        self.metrics.blocked();
        // Stored before the 403 leaves: whatever the client saw was recorded.
        self.events.emit_durable(event).await;
        Ok(true)
    }

    /// The request, for events.
    fn request_info(&self, session: &Session, ctx: &mut RequestCtx) -> RequestInfo {
        let req = session.req_header();
        RequestInfo {
            id: self.request_id(ctx).as_str().to_owned(),
            method: req.method.as_str().to_owned(),
            host: host_of(req),
            path: String::from_utf8_lossy(req.raw_path()).into_owned(),
        }
    }

    /// `/.palisade/report/{token}`: a user says a login was not theirs. A valid, unused
    /// token bans the login's IP and raises a critical event; anything else gets one
    /// generic page (which kind of invalid is nobody's business). Returns `Ok(true)` when
    /// the path was ours.
    async fn report_link(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        let Some(auth) = self.defences.auth.as_ref().filter(|a| a.reports_enabled()) else {
            return Ok(false);
        };
        let path = session.req_header().uri.path();
        let Some(token) = path.strip_prefix(REPORT_PATH) else {
            return Ok(false);
        };
        let token = token.to_owned();
        let mut info = self.request_info(session, ctx);
        // The token is a capability: never in an event.
        info.path = REPORT_PATH.to_owned();
        let cluster = self.defences.cluster().map(|c| &**c);
        let (status, title, text) = match auth.redeem(&token, cluster).await {
            Ok(decision) => {
                if let Some((ip, ttl)) = decision.ban() {
                    let reason = decision.to_event().message;
                    self.defences
                        .ban_ip_async(ip, ttl, BanSource::Report, &reason, Some(&info))
                        .await;
                }
                let mut event = decision.to_event().with_request(
                    info.id.clone(),
                    info.method.clone(),
                    info.host.clone(),
                    info.path.clone(),
                );
                if let Some(f) = &ctx.forwarded {
                    event = event.with_field("reported_from", f.client_ip.to_string());
                }
                self.events.emit_durable(event).await;
                (
                    200,
                    "Thank you",
                    "The sign-in was reported and its address is blocked. Please change your password now.",
                )
            }
            Err(e) => {
                tracing::info!("report link refused: {e}");
                (
                    400,
                    "This link cannot be used",
                    "It is invalid, has expired, or was already used.",
                )
            }
        };
        let body = error_page::render_notice(title, text, self.request_id(ctx).as_str());
        self.send_body(session, ctx, status, body, &[]).await;
        Ok(true)
    }

    /// Stores the CSP violation reports of one request and answers it (204 when read).
    async fn csp_report(&self, session: &mut Session, ctx: &mut RequestCtx, client: IpAddr) {
        let id = self.request_id(ctx).as_str().to_owned();
        let status =
            csp_report::receive(session, &*self.events, &self.report_budget, client, &id).await;
        if status == 204 {
            let Ok(mut resp) = ResponseHeader::build(204, Some(2)) else {
                return;
            };
            let _ = resp.insert_header(REQUEST_ID, self.request_id_value(ctx));
            let _ = resp.insert_header("cache-control", "no-store");
            if session
                .write_response_header(Box::new(resp), true)
                .await
                .is_err()
            {
                tracing::debug!("client left before the CSP report was acknowledged");
            }
        } else {
            self.send_page(session, ctx, status).await;
        }
    }

    /// The black book: a banned client is answered at once, before any other work.
    async fn blackbook(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        ip: IpAddr,
    ) -> Result<bool> {
        let Some(book) = &self.defences.book else {
            return Ok(false);
        };
        let now = Timestamp::now();
        let BanVerdict::Banned(ban) = book.state.check(ip, now) else {
            return Ok(false);
        };
        self.metrics.banned();
        match book.answer {
            BanAnswer::Forbidden => self.send_page(session, ctx, 403).await,
            BanAnswer::TooManyRequests => {
                let body = error_page::render(429, self.request_id(ctx).as_str());
                let extra: Vec<(&'static str, String)> = ban
                    .remaining(now)
                    .map(|d| ("retry-after", d.as_secs().max(1).to_string()))
                    .into_iter()
                    .collect();
                self.send_body(session, ctx, 429, body, &extra).await;
            }
            BanAnswer::Tarpit(delay) => {
                tokio::time::sleep(delay).await;
                self.send_page(session, ctx, 403).await;
            }
        }
        Ok(true)
    }

    /// Rate limits: the global quota and the first matching rule; over either → `429`.
    async fn rate_limit(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        ip: IpAddr,
    ) -> Result<bool> {
        let Some(limits) = &self.defences.limits else {
            return Ok(false);
        };
        if self
            .defences
            .book
            .as_ref()
            .is_some_and(|b| b.state.is_allowlisted(ip))
        {
            return Ok(false);
        }
        let req = session.req_header();
        let rule = limits.rule(&req.method, req.uri.path()).map(|r| r.policy);
        let policies: Vec<PolicyId> = limits.global.into_iter().chain(rule).collect();
        let refused = match self.shared_rate_limit(limits, &policies, ip).await {
            Some(answer) => answer,
            None => policies.iter().find_map(|&policy| {
                let d = limits.limiter.check(policy, ip, Instant::now());
                (!d.allowed).then(|| RateRefusal::of(&d))
            }),
        };
        let Some(RateRefusal {
            name,
            retry,
            policy,
            state,
        }) = refused
        else {
            return Ok(false);
        };
        self.metrics.rate_limited();
        let info = self.request_info(session, ctx);
        self.defences.rate_limited(ip, &name, &info).await;
        let mut extra = vec![("ratelimit-policy", policy), ("ratelimit", state)];
        if let Some(r) = retry {
            extra.push(("retry-after", r));
        }
        let body = error_page::render(429, self.request_id(ctx).as_str());
        self.send_body(session, ctx, 429, body, &extra).await;
        Ok(true)
    }

    /// The rate-limit decision shared by every guard through Redis: `Some(answer)` when
    /// Redis gave it, `None` to decide with the local limiter (no Redis configured, or it
    /// is down or slow: counting per guard is the fail-open fallback).
    async fn shared_rate_limit(
        &self,
        limits: &RateLimitSettings,
        policies: &[PolicyId],
        ip: IpAddr,
    ) -> Option<Option<RateRefusal>> {
        let cluster = self.defences.cluster()?;
        let quotas: Vec<&Quota> = policies
            .iter()
            .filter_map(|&p| limits.limiter.quota(p))
            .collect();
        match cluster
            .rate_limit(&quotas, ip, limits.limiter.ipv6_prefix())
            .await
        {
            Ok(refusal) => Some(refusal.and_then(|r| {
                let quota = quotas.get(r.index)?;
                let d = RateDecision {
                    allowed: false,
                    remaining: 0,
                    reset: r.reset,
                    retry_after: Some(r.retry_after),
                    quota,
                };
                Some(RateRefusal::of(&d))
            })),
            Err(e) => {
                tracing::debug!("shared rate limit unavailable, limiting locally: {e}");
                None
            }
        }
    }

    /// Reads a small declared body ahead (as detection does), for a login route's selectors.
    async fn read_small_body(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<()> {
        if ctx.body_prefetched || !matches!(ctx.inspection, Inspection::Skipped | Inspection::Done)
        {
            return Ok(());
        }
        let req = session.req_header();
        let chunked = req
            .headers
            .get(http::header::TRANSFER_ENCODING)
            .is_some_and(|v| !v.as_bytes().is_empty());
        let declared = req
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let Some(n) = declared.filter(|n| !chunked && *n > 0 && *n <= PREFETCH_MAX) else {
            return Ok(());
        };
        if req.headers.get(http::header::EXPECT).is_some() {
            session.as_mut().write_continue_response().await?;
        }
        session.as_mut().enable_retry_buffering();
        let mut body = bytes::BytesMut::with_capacity(n);
        while let Some(chunk) = session.as_mut().read_request_body().await? {
            body.extend_from_slice(&chunk);
            if body.len() > PREFETCH_MAX {
                break;
            }
        }
        ctx.body_prefetched = true;
        ctx.body = Some(body.freeze());
        Ok(())
    }

    /// Login monitoring, request side: reads the attempt, answers `429` for a username under
    /// attack (when configured), checks the password against the breach corpus (then drops
    /// it), and keeps the attempt for `response_filter`.
    async fn auth_observe(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        ip: IpAddr,
    ) -> Result<bool> {
        let (Some(auth), Some(watched)) = (&self.defences.auth, ctx.watched) else {
            return Ok(false);
        };
        self.read_small_body(session, ctx).await?;
        let body = ctx.body.take().unwrap_or_default();
        let req = session.req_header();
        let target = String::from_utf8_lossy(req.raw_path()).into_owned();
        let i = match watched {
            Watched::Change(i) => {
                ctx.change_user = auth
                    .settings
                    .routes
                    .account_change
                    .get(i)
                    .and_then(|r| r.user(&target, &req.headers, &body));
                return Ok(false);
            }
            Watched::Login(i) => i,
        };
        let Some(route) = auth.settings.routes.login.get(i) else {
            return Ok(false);
        };
        let Some(mut attempt) = route.extract(&req.method, &target, &req.headers, &body) else {
            return Ok(false);
        };
        drop(body);
        let risk = auth.risk(&attempt.username, ip);
        ctx.risk = risk.header_value();
        if risk.block {
            let extra: Vec<(&'static str, String)> = risk
                .retry_after
                .map(|d| ("retry-after", d.as_secs().max(1).to_string()))
                .into_iter()
                .collect();
            let body = error_page::render(429, self.request_id(ctx).as_str());
            self.send_body(session, ctx, 429, body, &extra).await;
            return Ok(true);
        }
        // The password's only use: its SHA-1, taken at once; the password is dropped (zeroed).
        let hash = attempt.password.take().map(|p| p.sha1());
        if let Some(hash) = hash.filter(|_| auth.pwned_enabled())
            && let Some(count) = auth.breach_count(hash).await
        {
            attempt.set_breach_count(count);
            ctx.breached = Some(count);
            if auth.block_breached() {
                let info = self.request_info(session, ctx);
                let decision = Decision::BreachedPassword {
                    user: attempt.username.clone(),
                    ip,
                    count,
                    outcome: Outcome::Unknown,
                };
                let event = decision
                    .to_event()
                    .with_request(info.id, info.method, info.host, info.path)
                    .with_field("action", "blocked");
                self.events.emit_durable(event).await;
                self.send_page(session, ctx, 403).await;
                return Ok(true);
            }
        }
        ctx.attempt = Some((i, attempt));
        Ok(false)
    }

    /// Login monitoring, response side: the outcome from the app's answer, then the
    /// monitor's decisions (events, bans, mails).
    async fn auth_outcome(&self, session: &Session, resp: &ResponseHeader, ctx: &mut RequestCtx) {
        let Some(auth) = &self.defences.auth else {
            return;
        };
        let Some(ip) = ctx.forwarded.as_ref().map(|f| f.client_ip) else {
            return;
        };
        let decisions = match (ctx.attempt.take(), ctx.watched) {
            (Some((i, attempt)), _) => {
                let Some(route) = auth.settings.routes.login.get(i) else {
                    return;
                };
                let outcome = route.outcome(resp.status, &resp.headers);
                let cluster = self.defences.cluster().map(|c| &**c);
                auth.observe_shared(&attempt, outcome, ip, cluster).await
            }
            (None, Some(Watched::Change(i))) => {
                let succeeded = auth
                    .settings
                    .routes
                    .account_change
                    .get(i)
                    .is_some_and(|r| r.succeeded(resp.status, &resp.headers));
                if !succeeded {
                    return;
                }
                auth.account_change(i, ctx.change_user.as_deref(), ip)
                    .into_iter()
                    .collect()
            }
            _ => return,
        };
        if decisions.is_empty() {
            return;
        }
        let info = self.request_info(session, ctx);
        self.defences.decide_async(decisions, Some(&info)).await;
    }

    /// Records the upstream going down or coming back, once per change.
    fn upstream_state(&self, up: bool, session: &Session, ctx: &RequestCtx, why: &str) {
        if self.upstream_up.swap(up, Ordering::AcqRel) == up {
            return;
        }
        let event = if up {
            Event::new(
                Category::Other("upstream_up".into()),
                Severity::Info,
                format!("upstream {} answers again", self.upstream.url),
            )
        } else {
            let req = session.req_header();
            let mut e = Event::new(
                Category::UpstreamDown,
                Severity::High,
                format!("upstream {} is down: {why}", self.upstream.url),
            )
            .with_request(
                ctx.request_id
                    .as_ref()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                req.method.as_str(),
                host_of(req),
                req.uri.path(),
            );
            if let Some(f) = &ctx.forwarded {
                e = e.with_source_ip(f.client_ip);
            }
            e
        };
        if up {
            tracing::info!(upstream = %self.upstream.url, "upstream is back");
        } else {
            tracing::error!(upstream = %self.upstream.url, "upstream is down: {why}");
        }
        self.events
            .emit(event.with_field("upstream", self.upstream.url.clone()));
    }

    /// The response phase's changes beyond the request id: the header set for the request's
    /// path and scheme, the nonce rewriting of HTML, and the scrubbing of 5xx pages.
    fn harden_response(&self, session: &Session, resp: &mut ResponseHeader, ctx: &mut RequestCtx) {
        let status = resp.status.as_u16();
        let set = self
            .headers
            .for_request(session.req_header().uri.path(), ctx.https);
        let scrub = (set.scrub_errors() && status >= 500).then(|| {
            let info = self.request_info(session, ctx);
            let mut event = respond::upstream_error_event(status).with_request(
                info.id.clone(),
                info.method,
                info.host,
                info.path,
            );
            if let Some(f) = &ctx.forwarded {
                event = event.with_source_ip(f.client_ip);
            }
            (info.id, event)
        });
        let req = session.req_header();
        let plan = ResponsePlan {
            set,
            nonce: ctx.nonce.as_ref(),
            head: req.method == http::Method::HEAD,
            http2: session.is_http2(),
            http10: req.version == http::Version::HTTP_10,
        };
        let nonce_on_page = match scrub {
            Some((id, event)) => {
                plan.scrub(resp, &mut ctx.body_work, &id, event);
                false
            }
            None => plan.nonce_body(resp, &mut ctx.body_work),
        };
        let nonce = ctx.nonce.as_ref().filter(|_| nonce_on_page);
        respond::apply_headers(set, resp, nonce);
        if let Some(cookies) = set.cookies() {
            respond::harden_cookies(cookies, resp, ctx.https);
        }
    }

    /// `503` with `Retry-After` for a supervised app that is not up; the outage is recorded
    /// once (`upstream_down`), not per request.
    async fn app_unavailable(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        now: Availability,
    ) {
        self.metrics.app_unavailable();
        let why = match now {
            Availability::Up => "connection failed".to_owned(),
            Availability::Starting => "the app is starting".to_owned(),
            Availability::Down { retry_after_secs } => {
                format!("the app is not running (back in about {retry_after_secs} s)")
            }
        };
        self.upstream_state(false, session, ctx, &why);
        let body = error_page::render(503, self.request_id(ctx).as_str());
        let retry = [("retry-after", now.retry_after_secs().to_string())];
        self.send_body(session, ctx, 503, body, &retry).await;
    }

    /// Sends a small page of palisade's own (413, 502, 504…), with the policy applied.
    async fn send_page(&self, session: &mut Session, ctx: &mut RequestCtx, status: u16) {
        let body = error_page::render(status, self.request_id(ctx).as_str());
        self.send_body(session, ctx, status, body, &[]).await;
    }

    /// Sends `body` (a page of ours) with `status`, the policy and `extra` headers.
    async fn send_body(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        status: u16,
        body: String,
        extra: &[(&'static str, String)],
    ) {
        let Ok(mut resp) = ResponseHeader::build(status, Some(6 + extra.len())) else {
            return;
        };
        for (name, value) in extra {
            let _ = resp.insert_header(*name, value.as_str());
        }
        let _ = resp.insert_header("content-type", "text/html; charset=utf-8");
        let _ = resp.insert_header(CONTENT_LENGTH, body.len().to_string());
        let _ = resp.insert_header("cache-control", "no-store");
        let _ = resp.insert_header(REQUEST_ID, self.request_id_value(ctx));
        let set = self
            .headers
            .for_request(session.req_header().uri.path(), ctx.https);
        // Our pages carry no script: their CSP needs no nonce.
        respond::apply_headers(set, &mut resp, None);
        // The request is being refused: do not keep reading a body we will not use.
        session.set_keepalive(None);
        if session
            .write_response_header(Box::new(resp), false)
            .await
            .is_ok()
        {
            let _ = session
                .write_response_body(Some(Bytes::from(body)), true)
                .await;
        }
    }
}

/// What a failed request comes down to, by which side failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// A phase of ours refused the request with this status (413…).
    Refused(u16),
    /// The upstream did not connect or answer in time: 504.
    UpstreamTimeout,
    /// The upstream could not be reached (refused, no route, TLS): 502.
    UpstreamUnreachable,
    /// The upstream was reached but broke the exchange: 502.
    UpstreamBroken,
    /// The client went away or stalled: nobody to answer.
    ClientGone,
    /// The client broke the protocol (e.g. sent data after its body): 400.
    ClientError,
    /// palisade itself failed: 500.
    Internal,
}

/// Classifies by side first: pingora reuses error types across sides (a client that
/// sends bytes after its body is a `ConnectError` from downstream), and blaming the
/// upstream for a client's doing would let any client fake an outage in the metrics.
fn classify(e: &Error) -> Failure {
    if let ErrorType::HTTPStatus(code) = e.etype() {
        return Failure::Refused(*code);
    }
    match e.esource() {
        ErrorSource::Upstream => match e.etype() {
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout => Failure::UpstreamTimeout,
            ErrorType::ConnectRefused
            | ErrorType::ConnectNoRoute
            | ErrorType::ConnectError
            | ErrorType::TLSHandshakeFailure
            | ErrorType::TLSHandshakeTimedout
            | ErrorType::InvalidCert
            | ErrorType::HandshakeError => Failure::UpstreamUnreachable,
            _ => Failure::UpstreamBroken,
        },
        ErrorSource::Downstream => match e.etype() {
            ErrorType::WriteError
            | ErrorType::ReadError
            | ErrorType::ConnectionClosed
            | ErrorType::ReadTimedout
            | ErrorType::WriteTimedout => Failure::ClientGone,
            _ => Failure::ClientError,
        },
        ErrorSource::Internal | ErrorSource::Unset => Failure::Internal,
    }
}

#[async_trait]
impl ProxyHttp for Guard {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx::default()
    }

    async fn early_request_filter(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        ctx.in_flight = Some(InFlight::start(&self.metrics));
        // pingora turns keep-alive off for `Connection: close`, HTTP/1.0 and during
        // shutdown; only a connection it would keep gets our idle limit.
        if session.get_keepalive().is_some() {
            session.set_keepalive(Some(self.timeouts.keepalive.as_secs()));
        }
        session.set_read_timeout(Some(self.timeouts.client_body));
        session.set_write_timeout(Some(self.timeouts.client_send));
        Ok(())
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        let req = session.req_header();
        ctx.request_id = req
            .headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(RequestId::from_incoming);
        self.request_id(ctx);

        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip())
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        let xff = req
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let forwarded = self.trusted.resolve(peer, xff);
        let client = forwarded.client_ip;
        ctx.https = self.tls_listener || (forwarded.peer_trusted && forwarded_https(&req.headers));
        ctx.forwarded = Some(forwarded);

        if self.report_link(session, ctx).await? {
            return Ok(true);
        }
        if self.blackbook(session, ctx, client).await? {
            return Ok(true);
        }
        if self.rate_limit(session, ctx, client).await? {
            return Ok(true);
        }

        if self.csp_reports && session.req_header().uri.path() == CSP_REPORT_PATH {
            self.csp_report(session, ctx, client).await;
            return Ok(true);
        }

        let req = session.req_header();
        if self
            .headers
            .for_request(req.uri.path(), ctx.https)
            .wants_nonce()
        {
            ctx.nonce = Some(CspNonce::generate());
        }
        if let Some(auth) = &self.defences.auth {
            ctx.watched = auth.watched(&req.method, &String::from_utf8_lossy(req.raw_path()));
        }

        let declared = req
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_body) {
            self.metrics.body_too_large();
            self.send_page(session, ctx, 413).await;
            return Ok(true);
        }
        ctx.detect = self.detect.current();
        if let Some(detect) = ctx.detect.clone()
            && self.detect_head(session, ctx, &detect, declared).await?
        {
            return Ok(true);
        }
        if self.auth_observe(session, ctx, client).await? {
            return Ok(true);
        }
        // Last, so a request the defences refuse never waits for the app.
        if let Some(app) = &self.app
            && let Err(now) = app.admit(&session.req_header().method).await
        {
            self.app_unavailable(session, ctx, now).await;
            return Ok(true);
        }
        Ok(false)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        if let Some(app) = &self.app {
            app.before_connect(&mut ctx.app_retry).await;
        }
        let mut peer = HttpPeer::new(
            self.upstream.addr,
            self.upstream.tls,
            self.upstream.host.clone(),
        );
        peer.options.connection_timeout = Some(self.timeouts.upstream_connect);
        peer.options.read_timeout = Some(self.timeouts.upstream_response);
        peer.options.idle_timeout = Some(Duration::from_secs(60));
        ctx.upstream_sent = Some(Instant::now());
        Ok(Box::new(peer))
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if ctx.body_prefetched {
            // The client already got its `100 Continue` from the guard, which read the body.
            upstream_request.remove_header("expect");
        }
        let trusted = ctx.forwarded.as_ref().is_some_and(|f| f.peer_trusted);
        if let Some(f) = &ctx.forwarded {
            upstream_request.insert_header("x-forwarded-for", f.x_forwarded_for.as_str())?;
            upstream_request.insert_header("x-real-ip", f.client_ip.to_string())?;
        }
        let incoming = &session.req_header().headers;
        let keep = |name: &HeaderName| trusted && incoming.contains_key(name);
        if !keep(&X_FORWARDED_PROTO) {
            let proto = if self.tls_listener { "https" } else { "http" };
            upstream_request.insert_header("x-forwarded-proto", proto)?;
        }
        // A trusted proxy that named the scheme or host but no port (nginx's default)
        // knows the public port and we do not: inventing ours would send the app's
        // redirects to https://host:8080.
        let proxy_spoke = keep(&X_FORWARDED_PROTO) || keep(&X_FORWARDED_HOST);
        if !keep(&X_FORWARDED_PORT) && !proxy_spoke {
            upstream_request.insert_header("x-forwarded-port", self.listen_port.clone())?;
        }
        if !keep(&X_FORWARDED_HOST) {
            // HTTP/2 carries the host in :authority, not in a Host header.
            let host = incoming.get(HOST).cloned().or_else(|| {
                let uri = &session.req_header().uri;
                uri.authority()
                    .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            });
            match host {
                Some(host) => upstream_request.insert_header("x-forwarded-host", host)?,
                None => {
                    upstream_request.remove_header("x-forwarded-host");
                }
            }
        }
        if !trusted {
            // Other spellings of the same claims, which frameworks also honour
            // (RFC 7239 Forwarded, Rails/Spring's prefix and SSL flags): from an
            // untrusted client they are forgeries.
            for name in &UNTRUSTED_ONLY_FROM_PROXIES {
                if upstream_request.headers.contains_key(name) {
                    upstream_request.remove_header(name);
                }
            }
        }
        upstream_request.insert_header(REQUEST_ID, self.request_id_value(ctx))?;
        // The login-monitoring headers are ours to set: a client's own are removed.
        upstream_request.remove_header(&RISK);
        upstream_request.remove_header(&BREACHED);
        if let Some(risk) = ctx.risk {
            upstream_request.insert_header(RISK_HEADER, risk)?;
        }
        if let Some(count) = ctx.breached {
            upstream_request.insert_header(BREACHED_HEADER, count.to_string())?;
        }
        let set = self
            .headers
            .for_request(session.req_header().uri.path(), ctx.https);
        if set.nonce_mode() == NonceMode::Auto && respond::wants_html(incoming) {
            // The nonce is written into the page as it streams: it must arrive uncompressed.
            upstream_request.remove_header(&http::header::ACCEPT_ENCODING);
        }
        match &ctx.nonce {
            Some(nonce) => upstream_request.insert_header(CSP_NONCE, nonce.as_str())?,
            // Never let a client choose the nonce the app will trust.
            None => {
                upstream_request.remove_header(CSP_NONCE);
            }
        }
        Ok(())
    }

    async fn request_body_filter(
        &self,
        session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if let Some(chunk) = body {
            self.metrics.body_chunk(chunk.len());
            ctx.body_bytes += chunk.len() as u64;
            // Once the upstream accepted an upgrade, the "body" is the client's half of a
            // long-lived tunnel (WebSocket frames); capping it would cut healthy
            // connections. Before that (or if the upstream refused), the limit holds, so
            // an `Upgrade` header cannot smuggle a large body past it.
            if !session.was_upgraded() && ctx.body_bytes > self.max_body {
                self.metrics.body_too_large();
                return Error::e_explain(
                    ErrorType::HTTPStatus(413),
                    format!("request body over {} bytes", self.max_body),
                );
            }
        }
        if matches!(ctx.inspection, Inspection::Holding(_)) && !session.was_upgraded() {
            self.detect_body(session, body, end_of_stream, ctx).await?;
        }
        Ok(())
    }

    async fn upstream_response_filter(
        &self,
        _session: &mut Session,
        _upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if let Some(sent) = ctx.upstream_sent.take() {
            self.metrics.upstream_latency(sent.elapsed());
        }
        if !self.upstream_up.load(Ordering::Relaxed) {
            self.upstream_state(true, _session, ctx, "");
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        self.harden_response(session, upstream_response, ctx);
        upstream_response.insert_header(REQUEST_ID, self.request_id_value(ctx))?;
        if ctx.watched.is_some() {
            self.auth_outcome(session, upstream_response, ctx).await;
        }
        Ok(())
    }

    fn response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<Option<Duration>> {
        if let Some(chunk) = body {
            self.metrics.body_chunk(chunk.len());
        }
        if let Some(event) = ctx.body_work.filter(body, end_of_stream) {
            self.events.emit(event);
        }
        Ok(None)
    }

    fn suppress_error_log(&self, _session: &Session, _ctx: &RequestCtx, error: &Error) -> bool {
        // A refused request (413…) or a client that hung up is the client's doing and is
        // counted in metrics; logging each at error level would let any client flood the log.
        matches!(error.etype(), ErrorType::HTTPStatus(code) if *code < 500)
            || error.esource() == &ErrorSource::Downstream
    }

    fn fail_to_connect(
        &self,
        session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        // Nothing of the request has reached the app yet, so trying again is safe.
        if let Some(app) = &self.app {
            let replayable = !session.as_ref().retry_buffer_truncated();
            let method = &session.req_header().method;
            if app.retry(method, replayable, &mut ctx.app_retry) {
                e.set_retry(true);
            }
        }
        e
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        ctx: &mut RequestCtx,
    ) -> FailToProxy {
        let code = match classify(e) {
            Failure::Refused(code) => code,
            Failure::UpstreamTimeout => {
                self.metrics.upstream_timeout();
                504
            }
            Failure::UpstreamUnreachable => {
                self.metrics.upstream_connect_error();
                // A supervised app that died a moment ago is restarting: say when to retry.
                if let Some(app) = &self.app
                    && session.response_written().is_none()
                {
                    self.app_unavailable(session, ctx, app.now()).await;
                    return FailToProxy {
                        error_code: 503,
                        can_reuse_downstream: false,
                    };
                }
                self.upstream_state(false, session, ctx, "connection failed");
                502
            }
            Failure::UpstreamBroken => {
                self.metrics.upstream_protocol_error();
                502
            }
            Failure::ClientGone => 0,
            Failure::ClientError => 400,
            Failure::Internal => 500,
        };
        // Once response headers went out, a second status cannot be sent.
        if code > 0 && session.response_written().is_none() {
            self.send_page(session, ctx, code).await;
        }
        FailToProxy {
            error_code: code,
            can_reuse_downstream: false,
        }
    }

    async fn logging(&self, session: &mut Session, _e: Option<&Error>, ctx: &mut RequestCtx) {
        if let Some(stream) = session.stream() {
            crate::conn::request_finished(stream);
        }
        if let Some(resp) = session.response_written() {
            self.metrics.response(resp.status.as_u16());
        }
        ctx.in_flight = None;
    }
}

/// Whether a trusted proxy says the client used HTTPS (the first `X-Forwarded-Proto` hop is
/// the client's).
fn forwarded_https(headers: &http::HeaderMap) -> bool {
    headers
        .get(&X_FORWARDED_PROTO)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// The host the client asked for: `Host`, or the authority of an absolute-form target.
fn host_of(req: &RequestHeader) -> Option<String> {
    req.headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri.host().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::{Failure, classify};
    use pingora::{Error, ErrorType};

    #[test]
    fn failures_are_blamed_on_the_side_that_failed() {
        let cases = [
            (
                Error::new(ErrorType::HTTPStatus(413)),
                Failure::Refused(413),
            ),
            (
                Error::new_up(ErrorType::ConnectTimedout),
                Failure::UpstreamTimeout,
            ),
            (
                Error::new_up(ErrorType::ReadTimedout),
                Failure::UpstreamTimeout,
            ),
            (
                Error::new_up(ErrorType::ConnectRefused),
                Failure::UpstreamUnreachable,
            ),
            (
                Error::new_up(ErrorType::ConnectionClosed),
                Failure::UpstreamBroken,
            ),
            // pingora's "sent data after end of body" is a downstream ConnectError.
            (
                Error::new_down(ErrorType::ConnectError),
                Failure::ClientError,
            ),
            (
                Error::new_down(ErrorType::ReadTimedout),
                Failure::ClientGone,
            ),
            (
                Error::new_down(ErrorType::ConnectionClosed),
                Failure::ClientGone,
            ),
            (Error::new(ErrorType::InternalError), Failure::Internal),
        ];
        for (error, expected) in cases {
            assert_eq!(classify(&error), expected, "{error}");
        }
    }
}
