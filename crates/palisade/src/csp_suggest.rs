//! `palisade headers csp-suggest` (being written).

use crate::Failure;
use crate::cli::CspSuggestArgs;

/// Proposes the CSP allowlist from stored reports.
pub fn run(_args: CspSuggestArgs) -> Result<(), Failure> {
    Err(Failure::Input("not yet built".into()))
}
