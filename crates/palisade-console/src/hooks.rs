//! What the console asks of the process serving it: the detection rules it may edit. The
//! binary implements this over its config file and its running guard; the console only
//! renders and forwards. (The supervised app is `palisade_core::AppControl`, shared with the
//! admin API.)

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The detection settings in force, as the Rules page shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RulesView {
    /// `off`, `monitor` or `block`.
    pub mode: String,
    /// 1–4.
    pub paranoia: u8,
    /// Anomaly score at which a request counts as an attack.
    pub threshold: u32,
    /// The `[[detect.exclude]]` entries in force, in file order.
    pub exclusions: Vec<ExclusionSpec>,
    /// The config file exclusions are written to; `None`: the console cannot edit rules
    /// (the guard was started without a file), and says so.
    pub config: Option<PathBuf>,
}

/// One false-positive exclusion, as in `[[detect.exclude]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionSpec {
    /// Path prefix; `None` for every path.
    pub path: Option<String>,
    /// Location selector (`query:q`, `form:comment`, `header:x-y`, …); `None` for every one.
    pub location: Option<String>,
    /// Rule ids (`sqli-union`, `xss-*`); empty for every rule.
    pub rules: Vec<String>,
}

/// Edits the detection rules of the running guard.
pub trait RulesControl: Send + Sync {
    /// The rules in force.
    fn view(&self) -> RulesView;
    /// Appends `exclusion` to the config file and reloads detection in place (connections
    /// stay open). On any error the file is left as it was; the message says what is wrong.
    fn add_exclusion(&self, exclusion: &ExclusionSpec) -> Result<(), String>;
}
