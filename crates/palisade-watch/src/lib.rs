//! `palisade watch`: log sources followed across rotation and restarts, their lines parsed
//! into login observations for the login monitor and the black book.
//!
//! - [`source`]: files (glob paths, rename and copytruncate rotation, offsets persisted) and
//!   the systemd journal (`journalctl -f -o json` with a cursor).
//! - [`access`]: web access logs — bursts of `403`/`404` per address, attack probes in the
//!   request line through the detection engine.
//! - [`Watcher`]: one thread per source; what a line means goes to a [`Sink`], which the
//!   binary connects to the guard's login monitor and black book.
#![warn(missing_docs)]

pub mod access;
mod runner;
pub mod source;
mod time;

pub use time::line_time;

pub use runner::{
    Observation, Sink, SourceKind, SourceSpec, SourceStats, WatchError, WatchSettings, Watcher,
    run_once,
};
