//! Alert rules: which events notify whom, how often. Pure: events and times in,
//! notifications out; the pipeline stores them in each channel's outbox.
//!
//! A rule matches events (category, severity, path prefix, IP ranges), counts them per key
//! (per IP, per user, …) in a sliding window, fires when the count reaches its threshold, and
//! then stays quiet for that key for its cooldown — so a flood from one IP sends one message.
//! In digest mode a rule instead sends one summary per interval.

mod engine;
mod notification;
mod rule;

pub use engine::AlertEngine;
pub use notification::Notification;
pub use rule::{AlertRule, GroupBy, default_rules};
