//! Enforcement of the black book beyond the guard, like fail2ban's actions but driven by the
//! black book instead of a jail.
//!
//! - [`Action`]: one way of enforcing bans — [`Nftables`] (a table owned by palisade, a set per
//!   address family, kernel timeouts) or [`CommandAction`] (ban/unban command templates).
//! - [`Runner`]: how actions run commands — for real, bounded by a timeout, or as a dry run
//!   that prints (`would run: …`) or records them.
//! - [`Enforcer`]: the sync engine. It diffs the black book's active bans against what each
//!   action applied, persists that applied set, and survives restarts: bans that expired while
//!   palisade was down are lifted, and actions that start empty get every ban again.
//!
//! A failing command is never fatal: it is logged, reported in the [`SyncReport`] and retried
//! on the next sync.
//!
//! # Example
//!
//! ```
//! use palisade_core::Timestamp;
//! use palisade_firewall::{Action, Enforcer, Nftables, Recorder, Runner};
//! use palisade_state::{Ban, BanSource};
//!
//! let recorder = Recorder::new();
//! let nft = Nftables::new(Runner::recording(recorder.clone()));
//! let mut enforcer = Enforcer::without_state(vec![Box::new(nft) as Box<dyn Action>]).unwrap();
//! let now = Timestamp(1_700_000_000_000);
//! let ban = Ban {
//!     target: "203.0.113.7/32".parse().unwrap(),
//!     reason: "sqli in query".into(),
//!     source: BanSource::Rule,
//!     first_seen: now,
//!     last_seen: now,
//!     hits: 0,
//!     expires_at: Some(Timestamp(now.0 + 3_600_000)),
//!     bans: 1,
//! };
//! let report = enforcer.sync(&[ban], now);
//! assert_eq!(report.banned, 1);
//! assert_eq!(enforcer.next_expiry(), Some(Timestamp(now.0 + 3_600_000)));
//! let lines = recorder.lines();
//! assert!(lines[0].starts_with("nft -f - <<'EOF'\nadd table inet palisade\n"));
//! assert_eq!(
//!     lines[1],
//!     "nft -f - <<'EOF'\nadd element inet palisade banned4 { 203.0.113.7 timeout 3600s }\nEOF"
//! );
//! ```
//!
//! # Security
//!
//! nft runs from an argv, never through a shell. Command templates do run through
//! `/bin/sh -c`: addresses are inert there by construction, and `{reason}` (which an attacker
//! can influence) is single-quoted, with templates that would break that quoting refused at
//! construction (see [`CommandAction`]).
#![warn(missing_docs)]

mod action;
mod applied;
pub mod command;
mod enforcer;
mod error;
pub mod nftables;
mod runner;
pub mod template;

pub use action::{Action, ttl_seconds};
pub use command::CommandAction;
pub use enforcer::{Enforcer, Failure, Operation, SyncReport};
pub use error::{ActionError, FirewallError};
pub use nftables::{NftVerdict, Nftables};
pub use runner::{CommandLine, DEFAULT_TIMEOUT, Recorder, Runner, shell_quote};
