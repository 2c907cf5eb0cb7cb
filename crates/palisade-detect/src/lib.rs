//! Request inspection as a pure core: a request view goes in, findings with a score come out.
//!
//! No I/O, no async: the guard hands over what it has read (at most `body_limit` bytes of body)
//! and gets a [`Verdict`] back. A detection is data, not an error: blocking is the guard's job.
#![warn(missing_docs)]

mod api;

pub use api::*;
