//! The pipeline's counters, named once. Handles are resolved once and cached, so the hot
//! path pays an atomic add, not a registry lookup.

use metrics::{Counter, Gauge, counter, gauge};

/// Counters of the pipeline as a whole.
#[derive(Clone)]
pub(crate) struct PipelineMetrics {
    pub accepted: Counter,
    pub spooled: Counter,
    pub dropped: Counter,
    pub stored: Counter,
    pub store_errors: Counter,
    pub expired: Counter,
}

impl PipelineMetrics {
    pub fn new() -> Self {
        PipelineMetrics {
            accepted: counter!("palisade_events_accepted_total"),
            spooled: counter!("palisade_events_spooled_total"),
            dropped: counter!("palisade_events_dropped_total"),
            stored: counter!("palisade_events_stored_total"),
            store_errors: counter!("palisade_events_store_errors_total"),
            expired: counter!("palisade_events_expired_total"),
        }
    }
}

/// Counters of one sink.
#[derive(Clone)]
pub(crate) struct SinkMetrics {
    pub shipped: Counter,
    pub failed: Counter,
    pub skipped: Counter,
    pub backlog: Gauge,
}

impl SinkMetrics {
    pub fn new(sink: &str) -> Self {
        let sink = sink.to_owned();
        SinkMetrics {
            shipped: counter!("palisade_sink_shipped_total", "sink" => sink.clone()),
            failed: counter!("palisade_sink_failures_total", "sink" => sink.clone()),
            skipped: counter!("palisade_sink_lost_total", "sink" => sink.clone()),
            backlog: gauge!("palisade_sink_backlog", "sink" => sink),
        }
    }
}
