//! Runtime settings: validated by the binary from `[events]`, `[[sinks]]` and `[[alerts]]`.

use std::path::PathBuf;
use std::time::Duration;

use palisade_core::{Category, Severity};

use crate::alerts::AlertRule;
use crate::sinks::SinkSettings;

/// Everything the pipeline needs to start.
#[derive(Debug, Clone)]
pub struct EventsSettings {
    /// The SQLite database (created when missing).
    pub database: PathBuf,
    /// Where the overflow spool lives (events that found the channel full).
    pub spool_dir: PathBuf,
    /// Events the hot path can hand over before spilling to the spool.
    pub channel_capacity: usize,
    /// Events written per SQLite transaction at most.
    pub batch_max: usize,
    /// Events older than this are deleted.
    pub max_age: Duration,
    /// At most this many events are kept; older ones are deleted first.
    pub max_events: u64,
    /// The overflow spool's size limit; past it events are dropped (and counted, and logged).
    pub spool_max_bytes: u64,
    /// Stamped on every event that has no instance name yet.
    pub instance: Option<String>,
    /// Where events and alerts are shipped.
    pub sinks: Vec<SinkSettings>,
    /// When to notify whom.
    pub alerts: Vec<AlertRule>,
}

impl EventsSettings {
    /// Defaults for a database at `database`, with the spool beside it.
    pub fn new(database: impl Into<PathBuf>) -> Self {
        let database = database.into();
        let spool_dir = spool_dir_for(&database);
        EventsSettings {
            database,
            spool_dir,
            channel_capacity: 65_536,
            batch_max: 4_096,
            max_age: Duration::from_secs(90 * 24 * 3600),
            max_events: 5_000_000,
            spool_max_bytes: 1 << 30,
            instance: None,
            sinks: Vec::new(),
            alerts: Vec::new(),
        }
    }
}

/// `events.db` → `events.db.spool/`.
pub fn spool_dir_for(database: &std::path::Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".spool");
    database.with_file_name(name)
}

/// Which events a consumer wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Only these categories (empty: all).
    pub categories: Vec<Category>,
    /// Only at least this severity.
    pub min_severity: Severity,
}

impl EventFilter {
    /// Every event.
    pub fn all() -> Self {
        EventFilter {
            categories: Vec::new(),
            min_severity: Severity::Info,
        }
    }

    /// True when the event passes.
    pub fn matches(&self, event: &palisade_core::Event) -> bool {
        event.severity >= self.min_severity
            && (self.categories.is_empty() || self.categories.contains(&event.category))
    }
}
