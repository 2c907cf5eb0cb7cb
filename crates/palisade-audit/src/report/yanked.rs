//! Yanked packages in a report: warnings, never vulnerabilities.

use super::{AffectedPackage, LockfileReport, Report};

/// An audited package whose locked version its registry yanked (withdrew from new
/// resolution, usually for a serious bug or a mistaken release). A warning, as in
/// cargo-audit: it never counts for [`Report::fails`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YankedPackage {
    /// The package.
    pub package: AffectedPackage,
    /// The 1-based line of the package's entry in the lockfile, when the text was given and the
    /// entry found.
    pub line: Option<u32>,
}

impl Report {
    /// Every yanked package with its lockfile, in report order.
    pub fn yanked(&self) -> impl Iterator<Item = (&LockfileReport, &YankedPackage)> {
        self.lockfiles
            .iter()
            .flat_map(|l| l.yanked.iter().map(move |y| (l, y)))
    }
}
