//! Packuments as the registry sends them. Only the fields palisade reads are named; serde
//! skips the rest without building them. Fields whose type varies across the registry's
//! long history are read as `Value` and interpreted in `packument.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// `application/vnd.npm.install-v1+json`: what npm install reads.
#[derive(Deserialize)]
pub(super) struct Abbreviated {
    pub name: String,
    #[serde(rename = "dist-tags", default)]
    pub dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub versions: BTreeMap<String, AbbreviatedVersion>,
    #[serde(default)]
    pub modified: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct AbbreviatedVersion {
    /// A message (deprecated), `""` or `false` (not deprecated).
    #[serde(default)]
    pub deprecated: Option<Value>,
    /// An object `{ "node": ">=14" }`; an array of strings in some very old packages.
    #[serde(default)]
    pub engines: Option<Value>,
    #[serde(rename = "hasInstallScript", default)]
    pub has_install_script: Option<Value>,
}

/// `application/json`: every field of every version.
#[derive(Deserialize)]
pub(super) struct Full {
    pub name: String,
    #[serde(rename = "dist-tags", default)]
    pub dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub repository: Option<Value>,
    #[serde(default)]
    pub homepage: Option<Value>,
    #[serde(default)]
    pub versions: BTreeMap<String, FullVersion>,
}

#[derive(Deserialize)]
pub(super) struct FullVersion {
    #[serde(default)]
    pub repository: Option<Value>,
    #[serde(default)]
    pub homepage: Option<Value>,
}
