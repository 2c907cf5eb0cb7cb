//! The applied set: which action applied which ban, with the expiry it was applied with,
//! persisted so a restarted palisade can lift what it applied before (a command action's
//! iptables rule outlives the process).
//!
//! The file is JSON, written to a temporary file and renamed over the old one, so a crash
//! leaves either the old or the new version:
//!
//! ```json
//! { "version": 1,
//!   "applied": { "192.0.2.7/32": { "iptables": 1700000900000, "nftables": null } } }
//! ```
//!
//! `null` is a permanent ban; numbers are milliseconds since the Unix epoch.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::FirewallError;

const VERSION: u32 = 1;

/// target → action name → expiry (ms) it was applied with.
pub(crate) type AppliedSet = BTreeMap<IpNet, BTreeMap<String, Option<i64>>>;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppliedFile {
    version: u32,
    applied: BTreeMap<String, BTreeMap<String, Option<i64>>>,
}

/// Reads the applied set; a missing file is an empty set.
pub(crate) fn load(path: &Path) -> Result<AppliedSet, FirewallError> {
    let fail = |why: String| FirewallError::StateFile {
        path: path.to_owned(),
        why,
    };
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(AppliedSet::new()),
        Err(e) => return Err(fail(e.to_string())),
    };
    let file: AppliedFile = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
    if file.version != VERSION {
        return Err(fail(format!(
            "version {} is not supported (expected {VERSION})",
            file.version
        )));
    }
    let mut set = AppliedSet::new();
    for (target, actions) in file.applied {
        let net: IpNet = target
            .parse()
            .map_err(|_| fail(format!("`{target}` is not an address or network")))?;
        set.insert(net.trunc(), actions);
    }
    Ok(set)
}

/// Writes the applied set atomically (temporary file in the same directory, then rename).
pub(crate) fn save(path: &Path, set: &AppliedSet) -> io::Result<()> {
    let file = AppliedFile {
        version: VERSION,
        applied: set
            .iter()
            .filter(|(_, actions)| !actions.is_empty())
            .map(|(net, actions)| (net.to_string(), actions.clone()))
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&json)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/applied.json");
        assert!(load(&path).unwrap().is_empty());
        let mut set = AppliedSet::new();
        set.entry("192.0.2.7/32".parse().unwrap())
            .or_default()
            .insert("cmd".to_owned(), Some(42));
        set.entry("2001:db8::/64".parse().unwrap())
            .or_default()
            .insert("nftables".to_owned(), None);
        save(&path, &set).unwrap();
        assert_eq!(load(&path).unwrap(), set);
        assert!(!temp_path(&path).exists());
    }

    #[test]
    fn corrupt_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("applied.json");
        fs::write(&path, "{not json").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("applied.json"), "{err}");
    }
}
