//! Test helpers shared by palisade's integration tests: a real upstream HTTP app on
//! 127.0.0.1 port 0, a guard started as its own process with a generated config, and local
//! cargo and npm registries ([`registry`]).
#![warn(missing_docs)]

mod blackhole;
mod guard;
mod raw;
pub mod registry;
mod upstream;

pub use blackhole::Blackhole;
pub use guard::{GuardProcess, free_port};
pub use raw::{RawResponse, raw_get};
pub use upstream::{LOGIN_PASSWORD, PAGE_SCRIPTS, STACK_TRACE, TestUpstream};
