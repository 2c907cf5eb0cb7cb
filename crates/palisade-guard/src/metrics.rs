//! The guard's Prometheus metrics.
//!
//! Handles are looked up once at start-up and kept, so the per-request cost is an
//! atomic add rather than a registry lookup.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::GuardError;

/// Upstream latency buckets, seconds: from a local app's sub-millisecond answers to
/// the 60 s default response timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Installs the process-wide Prometheus recorder; call once, before [`GuardMetrics::new`].
pub fn install_recorder() -> Result<PrometheusHandle, GuardError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("palisade_upstream_latency_seconds".into()),
            LATENCY_BUCKETS,
        )
        .map_err(|e| GuardError::Metrics(e.to_string()))?
        .install_recorder()
        .map_err(|e| GuardError::Metrics(e.to_string()))
}

/// The guard's metric handles.
pub struct GuardMetrics {
    by_class: [Counter; 6],
    /// Responses sent, readable (the Prometheus counters are write-only from here): the
    /// console's requests per hour.
    served: AtomicU64,
    upstream_latency: Histogram,
    upstream_connect_errors: Counter,
    upstream_protocol_errors: Counter,
    upstream_timeouts: Counter,
    open_connections: Gauge,
    inflight: Gauge,
    inflight_value: AtomicI64,
    header_timeouts: Counter,
    body_too_large: Counter,
    chunk_peak: Gauge,
    chunk_peak_value: AtomicU64,
    inspected: Counter,
    flagged: Counter,
    blocked: Counter,
    /// Requests refused by detection, the black book or a rate limit (for heartbeats).
    refused: AtomicU64,
}

impl GuardMetrics {
    /// Registers every metric (so they show as zero before the first request).
    pub fn new() -> Self {
        let class = |c: &'static str| metrics::counter!("palisade_requests_total", "class" => c);
        let m = GuardMetrics {
            by_class: [
                class("1xx"),
                class("2xx"),
                class("3xx"),
                class("4xx"),
                class("5xx"),
                class("other"),
            ],
            served: AtomicU64::new(0),
            upstream_latency: metrics::histogram!("palisade_upstream_latency_seconds"),
            upstream_connect_errors: metrics::counter!("palisade_upstream_errors_total", "kind" => "connect"),
            upstream_protocol_errors: metrics::counter!("palisade_upstream_errors_total", "kind" => "protocol"),
            upstream_timeouts: metrics::counter!("palisade_upstream_errors_total", "kind" => "timeout"),
            open_connections: metrics::gauge!("palisade_open_connections"),
            inflight: metrics::gauge!("palisade_inflight_requests"),
            inflight_value: AtomicI64::new(0),
            inspected: metrics::counter!("palisade_detect_inspected_total"),
            flagged: metrics::counter!("palisade_detect_over_threshold_total"),
            blocked: metrics::counter!("palisade_detect_blocked_total"),
            header_timeouts: metrics::counter!("palisade_client_header_timeouts_total"),
            body_too_large: metrics::counter!("palisade_request_body_too_large_total"),
            chunk_peak: metrics::gauge!("palisade_body_buffer_peak_bytes"),
            chunk_peak_value: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        };
        metrics::describe_counter!(
            "palisade_requests_total",
            "Responses sent, by status class."
        );
        metrics::describe_histogram!(
            "palisade_upstream_latency_seconds",
            "Time from sending a request upstream to its response headers."
        );
        metrics::describe_gauge!("palisade_open_connections", "Open client connections.");
        metrics::describe_gauge!(
            "palisade_body_buffer_peak_bytes",
            "Largest body chunk the guard has held at once (bodies are streamed, never buffered whole)."
        );
        for c in &m.by_class {
            c.increment(0);
        }
        m
    }

    /// A response with `status` went to the client.
    pub fn response(&self, status: u16) {
        let i = match status {
            100..=199 => 0,
            200..=299 => 1,
            300..=399 => 2,
            400..=499 => 3,
            500..=599 => 4,
            _ => 5,
        };
        self.by_class[i].increment(1);
        self.served.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests refused since start (detection, black book, rate limits).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Responses sent since start.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// The upstream answered with headers after `latency`.
    pub fn upstream_latency(&self, latency: Duration) {
        self.upstream_latency.record(latency.as_secs_f64());
    }

    /// The upstream could not be reached: refused, unroutable, TLS failed (502).
    pub fn upstream_connect_error(&self) {
        self.upstream_connect_errors.increment(1);
    }

    /// The upstream was reached but broke the exchange: reset, invalid response (502).
    pub fn upstream_protocol_error(&self) {
        self.upstream_protocol_errors.increment(1);
    }

    /// The upstream was too slow (504).
    pub fn upstream_timeout(&self) {
        self.upstream_timeouts.increment(1);
    }

    pub(crate) fn connection_opened(&self) {
        self.open_connections.increment(1.0);
    }

    pub(crate) fn connection_closed(&self) {
        self.open_connections.decrement(1.0);
    }

    fn request_started(&self) {
        self.inflight_value.fetch_add(1, Ordering::Relaxed);
        self.inflight.increment(1.0);
    }

    fn request_finished(&self) {
        self.inflight_value.fetch_sub(1, Ordering::Relaxed);
        self.inflight.decrement(1.0);
    }

    /// Requests between their headers and their last byte, right now.
    pub fn inflight(&self) -> i64 {
        self.inflight_value.load(Ordering::Relaxed)
    }

    pub(crate) fn header_timeout(&self) {
        self.header_timeouts.increment(1);
    }

    /// One request inspected; per-rule finding counts.
    pub(crate) fn findings(&self, verdict: &palisade_detect::Verdict) {
        self.inspected.increment(1);
        if verdict.over_threshold {
            self.flagged.increment(1);
        }
        for f in &verdict.findings {
            metrics::counter!("palisade_detect_findings_total", "rule" => f.rule).increment(1);
        }
    }

    /// One request refused by detection.
    pub(crate) fn blocked(&self) {
        self.blocked.increment(1);
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn body_too_large(&self) {
        self.body_too_large.increment(1);
    }

    /// One request refused because the client is in the black book.
    pub(crate) fn banned(&self) {
        metrics::counter!("palisade_blackbook_refused_total").increment(1);
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// One request refused by a rate limit.
    pub(crate) fn rate_limited(&self) {
        metrics::counter!("palisade_ratelimit_refused_total").increment(1);
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// One request answered `503` because the supervised app was not up.
    pub(crate) fn app_unavailable(&self) {
        metrics::counter!("palisade_app_unavailable_total").increment(1);
    }

    /// One connection refused by the per-client connection limit.
    pub(crate) fn connection_refused(&self) {
        metrics::counter!("palisade_connlimit_refused_total").increment(1);
    }

    /// Records the size of a body chunk the guard is holding.
    pub(crate) fn body_chunk(&self, len: usize) {
        let len = len as u64;
        if self.chunk_peak_value.fetch_max(len, Ordering::Relaxed) < len {
            self.chunk_peak.set(len as f64);
        }
    }
}

/// Counts a request in flight for as long as it lives.
///
/// A drop guard rather than a decrement in the logging phase, so a request that ends
/// any way at all — including a panic unwinding its task — leaves the count, and
/// graceful shutdown never waits out the drain window for a request long gone.
pub struct InFlight(Arc<GuardMetrics>);

impl InFlight {
    /// Counts one more request in flight.
    pub fn start(metrics: &Arc<GuardMetrics>) -> Self {
        metrics.request_started();
        InFlight(metrics.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

impl Default for GuardMetrics {
    fn default() -> Self {
        Self::new()
    }
}
