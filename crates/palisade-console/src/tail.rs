//! The live tail: `GET /api/v1/events/stream` sends each newly stored event that passes the
//! filters as a Server-Sent Event (`event: event`, `id: <seq>`, `data: <row JSON>`); a
//! reconnecting browser resumes after `Last-Event-ID`. The store is polled, so the tail works
//! whichever process (guard, `palisade watch`) wrote the events.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};

use crate::Console;
use crate::pages::blocking;
use crate::query::{self, EventFilter, EventParams, EventView};

/// How often the store is looked at.
const POLL: Duration = Duration::from_millis(250);
/// Open tails at most: each holds a task and polls SQLite.
pub const MAX_TAILS: usize = 32;

/// Counts open tails; a slot is given back when its stream is dropped (the client left).
#[derive(Debug, Default)]
pub(crate) struct Tails(Arc<AtomicUsize>);

struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Tails {
    fn take(&self) -> Option<Slot> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        if n >= MAX_TAILS {
            self.0.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Slot(self.0.clone()))
    }
}

struct Cursor {
    console: Console,
    filter: EventFilter,
    seq: i64,
    _slot: Slot,
}

pub(crate) async fn stream(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<EventParams>, QueryRejection>,
) -> Response {
    if console.api_caller(&headers).is_none() {
        return crate::auth::Denied::Unauthorized.into_response();
    }
    let filter = match crate::api::filter_of(params) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let Some(slot) = console.tails().take() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "error": "too many live tails open" })),
        )
            .into_response();
    };
    let db = console.settings().events_db.clone();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let seq = match resume {
        Some(seq) => seq,
        None => match blocking(move || query::last_seq(db.as_deref())).await {
            Ok(seq) => seq,
            Err(e) => return e.into_response(),
        },
    };
    let cursor = Cursor {
        console,
        filter,
        seq,
        _slot: slot,
    };
    Sse::new(events(cursor))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// New events, forever (until the client goes away and the stream is dropped).
fn events(cursor: Cursor) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(cursor, |mut c| async move {
        loop {
            let db = c.console.settings().events_db.clone();
            let filter = c.filter.clone();
            let seq = c.seq;
            match blocking(move || query::events_after(db.as_deref(), &filter, seq)).await {
                Ok((rows, next)) => {
                    c.seq = next;
                    if !rows.is_empty() {
                        let batch: Vec<Result<SseEvent, Infallible>> =
                            rows.iter().map(|s| Ok(sse_event(s))).collect();
                        return Some((stream::iter(batch), c));
                    }
                }
                Err(e) => tracing::debug!("live tail: {e:?}"),
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .flatten()
}

fn sse_event(s: &palisade_events::Stored) -> SseEvent {
    let view = EventView::from(s);
    let data = serde_json::to_string(&view).unwrap_or_else(|_| "{}".to_owned());
    SseEvent::default()
        .event("event")
        .id(s.seq.to_string())
        .data(data)
}
