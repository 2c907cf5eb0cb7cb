//! palisade's app supervisor, the engine behind `palisade run`: forever/pm2 with better
//! defaults.
//!
//! The app runs in its own process group with `PORT` set; it is restarted on crash
//! (exponential backoff with jitter, crash-loop detection that keeps retrying at the ceiling
//! unless told to give up), on hang (HTTP health check), on memory (resident set of the whole
//! group) and on file change. Stops are graceful — SIGTERM to the group, SIGKILL after a
//! timeout — and leave no orphans, even ones that left the group: the supervisor is a child
//! subreaper, so they come back to it. Output is captured with timestamps into rotating files.
//!
//! The pure restart policy lives in [`policy`]; the rest is the I/O shell around it.
#![warn(missing_docs)]

mod child;
mod health;
mod logs;
pub mod policy;
mod proc;
mod settings;
mod supervisor;
mod watch;

pub use child::SpawnError;
pub use logs::Stream as LogStream;
pub use logs::log_path;
pub use policy::{Backoff, Decision, EndReason, RestartMode, RestartPolicy};
pub use settings::{HealthSettings, LogSettings, RunSettings, WatchSettings};
pub use supervisor::{StartError, Supervisor};
