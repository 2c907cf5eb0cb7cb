//! Runtime currency: is the Node.js or Rust toolchain the project runs on still supported?
//!
//! Dependencies are only half of staying current: an end-of-life runtime gets no security
//! fixes however fresh the lockfile is. The data ships in the crate (Node.js's release
//! schedule; Rust's six-week cadence as a formula) and the caller passes today's [`Date`], so
//! the answers are testable and nothing is fetched.

mod node;
mod rustc;

pub use node::{NODE_SCHEDULE, NodeLine, NodePhase, RuntimeStatus, node_status};
pub use palisade_core::date::Date;
pub use rustc::{RustcStatus, latest_rustc_on, rustc_release_date, rustc_status};
