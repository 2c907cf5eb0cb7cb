//! Dependency updates, planned: which updates exist, what they fix, in which order to try
//! them, which of several breaks the tests, and whether the runtime itself is still
//! supported — the pure core of `palisade outdated` and `palisade update --test`.
//!
//! No I/O: registry data, the advisory index, test outcomes and today's date are passed in
//! (registry clients, git worktrees and test runs live in the I/O shells). The pieces, in the
//! order the commands use them:
//!
//! 1. **Join** a manifest ([`palisade_lockfile::read_manifest`]) with its lockfile:
//!    [`dependencies`] gives each registry dependency's declared requirement and locked
//!    version, and says why the others are skipped.
//! 2. **Compare** each with what its registry offers ([`Available`]): [`outdated`] computes
//!    `wanted` (what the requirement allows, as npm or Cargo would pick it), `latest`, the
//!    [`Jump`] to each, and the advisories each would fix ([`Fix`]).
//! 3. **Plan** the updates ([`plan`]): security fixes first, patch updates optionally grouped,
//!    each [`Step`] one test run; [`commit_message`] words a step that passed.
//! 4. **Bisect** a failing `--together` run ([`find_breaking`]) in about `log2(n)` runs.
//! 5. **Runtimes**: [`node_status`] (Node.js release schedule) and [`rustc_status`] (Rust's
//!    six-week train).
//!
//! # Example
//!
//! ```
//! use palisade_advisory::Index;
//! use palisade_lockfile::{DepKind, Ecosystem};
//! use palisade_update::{
//!     Available, Dependency, Jump, PlanOptions, Published, Status, commit_message, outdated,
//!     plan,
//! };
//!
//! let dependency = Dependency {
//!     name: "tokio".into(), alias: None, ecosystem: Ecosystem::CratesIo,
//!     kind: DepKind::Normal, requirement: "1.38".into(), current: "1.38.0".into(),
//! };
//! let available = Available {
//!     versions: ["1.38.0", "1.38.1", "1.39.0", "1.40.0", "2.0.0-alpha.1"]
//!         .into_iter().map(Published::new)
//!         .chain([Published::yanked("1.41.0")])
//!         .collect(),
//!     latest_tag: None,
//! };
//! let row = outdated(&dependency, &available, &Index::new([])).unwrap();
//! assert_eq!(row.status, Status::Outdated);
//! assert_eq!(row.wanted.as_deref(), Some("1.40.0")); // ^1.38, 1.41.0 is yanked
//! assert_eq!(row.latest.as_deref(), Some("1.40.0")); // stable only
//! assert_eq!(row.jump, Jump::Minor);
//!
//! let steps = plan(&[row], PlanOptions::default());
//! assert_eq!(
//!     commit_message(&steps[0], None),
//!     "Update tokio from 1.38.0 to 1.40.0 (minor)"
//! );
//! ```
//!
//! # Security
//!
//! Registry data and manifests are untrusted: versions that do not parse are skipped,
//! requirements that do not parse are errors for that dependency only, and a repository URL
//! from a registry reaches a commit message only as a plain `https://` link.
#![warn(missing_docs)]

mod bisect;
mod commit;
mod error;
mod fixes;
mod join;
mod jump;
mod outdated;
mod plan;
mod runtime;

pub use bisect::{Bisection, find_breaking};
pub use commit::commit_message;
pub use error::UpdateError;
pub use fixes::Fix;
pub use join::{Joined, SkipReason, Skipped, dependencies};
pub use jump::Jump;
pub use outdated::{Available, Dependency, Outdated, Published, Status, outdated};
pub use plan::{PlanOptions, Step, Update, plan};
pub use runtime::{
    Date, NODE_SCHEDULE, NodeLine, NodePhase, RuntimeStatus, RustcStatus, latest_rustc_on,
    node_status, rustc_release_date, rustc_status,
};
