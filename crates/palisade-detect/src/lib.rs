//! Request inspection as a pure core: a request view goes in, findings with a score come out.
//!
//! No I/O, no async: the guard hands over what it has read (at most `body_limit` bytes of body)
//! and gets a [`Verdict`] back. A detection is data, not an error: blocking is the guard's job.
//!
//! The pipeline: the request is split into values (path, query parameters and names, form
//! fields, JSON keys and strings, multipart fields and filenames, cookies, selected headers);
//! each value is [normalised](normalise) into bounded decoded forms; the attack families run on
//! the forms whose trigger characters are present; hits become [`Finding`]s, which
//! [`Exclusion`]s may drop, deduplicated per (rule, location) and scored CRS-style. Every rule
//! is listed by [`rules()`] and documented in docs/rules.md.
//!
//! # Security
//!
//! All work is linear in the input: decoding rounds are bounded ([`normalise::MAX_ROUNDS`]),
//! JSON depth is tracked to 32 levels, regexes are finite automata (no backtracking), and
//! findings are capped at [`MAX_FINDINGS`]. [`Verdict::work`] counts the work done so tests can
//! assert it.
#![warn(missing_docs)]

mod api;
mod config;
mod display;
mod excerpt;
mod families;
mod inspect;
mod location;
mod memo;
pub mod normalise;
mod parse;
mod rules;

pub use api::*;
pub use excerpt::MAX_EXCERPT;
pub use inspect::MAX_FINDINGS;
pub use rules::{RuleInfo, rules};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }
}
