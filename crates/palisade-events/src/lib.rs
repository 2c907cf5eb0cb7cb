//! palisade's event pipeline: every security event is stored locally (SQLite), shipped to the
//! sinks the team already watches, and turned into alerts by rules.
//!
//! ```text
//! guard/supervisor ─ Emit::emit ─► bounded channel ─► writer thread ─► SQLite (WAL)
//!                        │ (full)                       │ redact, alert rules, outbox
//!                        └──────► overflow spool ───────┘
//! SQLite ─► one worker per sink: read after its cursor ─► deliver (retry, backoff) ─► cursor
//! ```
//!
//! Nothing accepted is dropped while disk lasts: a full channel spills to the spool; a sink
//! that is down falls behind on disk and catches up in order. The bounds — retention
//! (`max_events`, `max_age`) and `spool_max_bytes` — are counted and logged when hit.
//!
//! # Security
//!
//! Every event is redacted ([`palisade_core::redact`]) before it is stored or spooled, so no
//! sink ever sees a password, token, cookie or `Authorization` value.
#![warn(missing_docs)]

pub mod alerts;
mod error;
mod metrics;
mod pipeline;
pub mod settings;
pub mod sinks;
mod spool;
pub mod store;

pub use error::{SinkError, StoreError};
pub use pipeline::{Emitter, Pipeline, StartError};
pub use settings::{EventFilter, EventsSettings};
pub use store::{EventQuery, Narrow, StatRow, Store, Stored, TopKey, TopList, TrafficRow};
