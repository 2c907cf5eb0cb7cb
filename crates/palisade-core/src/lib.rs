//! palisade's shared vocabulary: the ids, the security [`Event`] and the [`Emit`] trait that
//! every other crate speaks.
//!
//! This crate does no I/O and has no async runtime, so that pure cores (headers,
//! detection, lockfiles) and I/O shells (guard, events, supervisor) can all depend on it.
//!
//! # Example
//!
//! ```
//! use palisade_core::RequestId;
//!
//! // A well-formed id from a trusted front proxy is kept as it is…
//! let kept = RequestId::from_incoming("req-42").unwrap();
//! assert_eq!(kept.as_str(), "req-42");
//! // …a hostile one is refused, and the guard makes its own.
//! assert!(RequestId::from_incoming("a\r\nSet-Cookie: x").is_none());
//! assert_eq!(RequestId::generate().as_str().len(), 36);
//! ```
#![warn(missing_docs)]

pub mod app;
pub mod date;
mod event;
pub mod redact;
mod request_id;
pub mod text;

pub use app::{AppControl, AppStatus, Availability, ControlError};
pub use event::{
    BadCategory, Category, Discard, DurableFuture, Ecs, Emit, Event, EventId, Severity, Timestamp,
};
pub use request_id::RequestId;
