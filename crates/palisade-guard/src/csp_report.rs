//! `POST /.palisade/csp-report`: browsers' CSP violation reports, stored as events.
//!
//! Both formats browsers send are read (`report-uri`'s `application/csp-report` and the
//! Reporting API's `application/reports+json`, parsed by `palisade-headers`). Reports are
//! untrusted input from anyone: the body is capped, each request yields at most the parser's
//! cap of reports, and a guard-wide budget bounds how many reach the event store per second
//! (a page with a broken policy reports on every load; an attacker can post in a loop).

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use bytes::BytesMut;
use palisade_core::{Category, Emit, Event, Severity};
use pingora::prelude::Session;

/// Largest report body read.
pub(crate) const MAX_REPORT_BODY: usize = 64 * 1024;

/// Reports stored per second, guard-wide (burst of the same size).
const REPORTS_PER_SECOND: f64 = 50.0;

/// A token bucket over the whole guard.
#[derive(Debug)]
pub(crate) struct ReportBudget {
    state: Mutex<(Instant, f64)>,
}

impl ReportBudget {
    pub(crate) fn new() -> Self {
        ReportBudget {
            state: Mutex::new((Instant::now(), REPORTS_PER_SECOND)),
        }
    }

    /// Takes up to `wanted` tokens; returns how many were granted.
    fn take(&self, wanted: usize) -> usize {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let refill = now.duration_since(state.0).as_secs_f64() * REPORTS_PER_SECOND;
        state.0 = now;
        state.1 = (state.1 + refill).min(REPORTS_PER_SECOND);
        let granted = (state.1.floor() as usize).min(wanted);
        state.1 -= granted as f64;
        granted
    }
}

/// Reads and stores one report request; returns the status to answer with.
pub(crate) async fn receive(
    session: &mut Session,
    events: &dyn Emit,
    budget: &ReportBudget,
    client: IpAddr,
    request_id: &str,
) -> u16 {
    if session.req_header().method != http::Method::POST {
        return 405;
    }
    let content_type = session
        .req_header()
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut body = BytesMut::new();
    loop {
        match session.as_mut().read_request_body().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_REPORT_BODY {
                    return 413;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(_) => return 400,
        }
    }
    let violations = match palisade_headers::report::parse_reports(&content_type, &body) {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!("CSP report refused: {e}");
            return 400;
        }
    };
    let granted = budget.take(violations.len());
    if granted < violations.len() {
        tracing::debug!(
            dropped = violations.len() - granted,
            "CSP reports over the guard-wide budget"
        );
    }
    for violation in violations.into_iter().take(granted) {
        let mut event = Event::new(Category::CspViolation, Severity::Low, violation.message())
            .with_source_ip(client)
            .with_field("request_id", request_id.to_owned());
        for (key, value) in violation.to_fields() {
            event = event.with_field(key, value);
        }
        events.emit(event);
    }
    204
}

#[cfg(test)]
mod tests {
    use super::ReportBudget;

    #[test]
    fn the_budget_caps_a_burst() {
        let budget = ReportBudget::new();
        assert_eq!(budget.take(30), 30);
        assert_eq!(budget.take(100), 20);
        assert_eq!(budget.take(5), 0);
    }
}
