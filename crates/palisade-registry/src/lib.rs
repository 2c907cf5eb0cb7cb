//! Package registry clients: see the crate description.
#![warn(missing_docs)]
