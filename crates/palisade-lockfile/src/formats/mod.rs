//! One module per lockfile format; each builds a [`crate::graph::Graph`] and returns its
//! packages and the root's label.

mod cargo;
pub(crate) mod cargo_toml;
mod manifest;
mod npm;
pub(crate) mod package_json;
mod pipfile;
mod pnpm;
mod poetry;
mod requirements;
mod yarn_berry;
mod yarn_v1;

use crate::error::LockfileError;
use crate::model::{LockfileKind, Package};

pub(crate) fn parse(
    kind: LockfileKind,
    file: &str,
    text: &str,
    manifest: Option<&str>,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    // A UTF-8 byte order mark is not part of any format.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match kind {
        LockfileKind::CargoLock => cargo::parse(file, text),
        LockfileKind::PackageLock | LockfileKind::NpmShrinkwrap => npm::parse(file, text, manifest),
        LockfileKind::YarnLock if yarn_berry::is_berry(text) => {
            yarn_berry::parse(file, text, manifest)
        }
        LockfileKind::YarnLock => yarn_v1::parse(file, text, manifest),
        LockfileKind::PnpmLock => pnpm::parse(file, text),
        LockfileKind::PoetryLock => poetry::parse(file, text, manifest),
        LockfileKind::PipfileLock => pipfile::parse(file, text, manifest),
        LockfileKind::Requirements => requirements::parse(file, text),
    }
}
