//! Dependency updates, planned: see the crate description.
#![warn(missing_docs)]
