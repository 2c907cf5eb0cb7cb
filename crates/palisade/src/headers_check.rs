//! `palisade headers check URL` (being written).

use crate::Failure;
use crate::cli::HeadersCheckArgs;

/// Fetches and grades the URL.
pub fn run(_args: HeadersCheckArgs) -> Result<(), Failure> {
    Err(Failure::Input("not yet built".into()))
}
