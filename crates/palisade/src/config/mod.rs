//! `palisade.toml`: the file structs (serde), their loading with located errors, and
//! their validation into the runtime settings the libraries take.
//!
//! Every key has a default, so an empty file is a valid configuration; every struct
//! denies unknown keys, so a misspelt security setting is an error rather than a
//! protection silently left off. docs/config.md documents each key.

pub mod auth;
pub mod detect;
mod error;
pub mod events;
mod file;
mod load;
pub mod protect;
pub mod run;
mod runtime;
pub mod watch;

pub use error::ConfigError;
pub use file::FileConfig;
pub use load::load_str;
pub use runtime::{Overrides, Runtime, Source};
