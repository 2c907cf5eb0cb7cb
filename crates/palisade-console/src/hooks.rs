//! What the console asks of the process serving it: the detection rules it may edit and the
//! apps it supervises. The binary implements these over its config file, its running guard
//! and its supervisor; the console only renders and forwards.

use std::path::PathBuf;
use std::time::Duration;

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

/// One supervised app, as the overview shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AppView {
    /// The app's name.
    pub name: String,
    /// `running`, `starting`, `backoff`, `stopped`, …
    pub state: String,
    /// Whether it serves (running and, when health-checked, healthy).
    pub up: bool,
    /// The current process, if one runs.
    pub pid: Option<u32>,
    /// Restarts since the supervisor started.
    pub restarts: u64,
    /// Resident memory of the process tree, when known.
    pub memory_bytes: Option<u64>,
    /// How long the current process has run.
    #[serde(serialize_with = "secs::serialize", rename = "uptime_secs")]
    pub uptime: Option<Duration>,
}

/// The supervisor's view of its apps.
pub trait AppStatus: Send + Sync {
    /// Every supervised app.
    fn apps(&self) -> Vec<AppView>;
}

mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }
}
