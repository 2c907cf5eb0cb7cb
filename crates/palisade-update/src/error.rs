//! The crate's one error type: input palisade cannot interpret. What the checks find (an
//! outdated dependency, an end-of-life runtime) is data, never an error.

use palisade_advisory::RequirementError;
use palisade_lockfile::Ecosystem;

/// A version, requirement or date that cannot be read, or an ecosystem without update rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// A locked or published version that is not valid in its ecosystem.
    #[error("{name}: invalid {ecosystem} version {version:?}")]
    InvalidVersion {
        /// The package.
        name: String,
        /// Its ecosystem.
        ecosystem: Ecosystem,
        /// The version as given.
        version: String,
    },
    /// A declared requirement that does not parse in its ecosystem's syntax.
    #[error("{name}: {source}")]
    InvalidRequirement {
        /// The package.
        name: String,
        /// The parser's complaint.
        source: RequirementError,
    },
    /// An npm dist-tag other than `latest` (`next`, `beta`): the registry data palisade is given
    /// carries only `latest`, so what the tag allows is unknown.
    #[error("{name}: requirement is the dist-tag {tag:?}; only \"latest\" is known")]
    UnknownDistTag {
        /// The package.
        name: String,
        /// The tag as written.
        tag: String,
    },
    /// An ecosystem palisade has no update rules for (PyPI, for now).
    #[error("{0}: palisade does not compute updates for this ecosystem")]
    UnsupportedEcosystem(Ecosystem),
    /// A runtime version that cannot be read (`node --version`, `rustc --version` output).
    #[error("invalid {runtime} version {version:?}")]
    InvalidRuntimeVersion {
        /// `Node.js` or `rustc`.
        runtime: &'static str,
        /// The version as given.
        version: String,
    },
}
