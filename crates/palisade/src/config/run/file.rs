//! `[run]`'s file structs: what `palisade.toml` may say, with the supervisor's defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use palisade_supervisor::{HealthSettings, LogSettings, RestartMode, RestartPolicy, RunSettings};
use serde::{Deserialize, Serialize};

use crate::config::file::{REDACTED, exact_size, humantime_serde};

/// `[run]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunFile {
    /// The app's name in events, log file names and `palisade status` [default: the
    /// command's file name].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The port the app is told to listen on (`PORT`) [default: a free one].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The app's working directory [default: palisade's].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// `always`, `on-failure` or `never`.
    pub restart: RestartMode,
    /// The first restart delay; it doubles per consecutive failure.
    #[serde(with = "humantime_serde")]
    pub min_delay: Duration,
    /// The longest restart delay.
    #[serde(with = "humantime_serde")]
    pub max_delay: Duration,
    /// A run this long was stable: the next failure starts the backoff over.
    #[serde(with = "humantime_serde")]
    pub min_uptime: Duration,
    /// More failures than this within `window` is a crash loop.
    pub max_restarts: u32,
    /// The window `max_restarts` counts over.
    #[serde(with = "humantime_serde")]
    pub window: Duration,
    /// Stop for good on a crash loop instead of retrying at `max_delay`.
    pub give_up: bool,
    /// How long a stop waits after SIGTERM before SIGKILL.
    #[serde(with = "humantime_serde")]
    pub stop_timeout: Duration,
    /// Restart when the app's resident memory exceeds this [default: no limit].
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "some_exact_size"
    )]
    pub max_memory: Option<ByteSize>,
    /// How often memory is sampled.
    #[serde(with = "humantime_serde")]
    pub memory_interval: Duration,
    /// How long an idempotent request waits for a restarting app before a 503 (0: never).
    #[serde(with = "humantime_serde")]
    pub hold: Duration,
    /// Extra environment for the app.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "redacted_env"
    )]
    pub env: BTreeMap<String, String>,
    /// Restart on hang.
    pub health: HealthFile,
    /// Restart on file change.
    pub watch: WatchFile,
    /// The app's output.
    pub logs: LogsFile,
}

impl Default for RunFile {
    fn default() -> Self {
        let s = RunSettings::new("", Vec::new());
        let r = RestartPolicy::default();
        RunFile {
            name: None,
            port: None,
            cwd: None,
            restart: r.mode,
            min_delay: r.min_delay,
            max_delay: r.max_delay,
            min_uptime: r.min_uptime,
            max_restarts: r.max_restarts,
            window: r.window,
            give_up: r.give_up,
            stop_timeout: s.stop_timeout,
            max_memory: s.max_memory.map(ByteSize::b),
            memory_interval: s.memory_interval,
            hold: Duration::from_secs(2),
            env: BTreeMap::new(),
            health: HealthFile::default(),
            watch: WatchFile::default(),
            logs: LogsFile::default(),
        }
    }
}

/// `[run.health]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthFile {
    /// Check at all.
    pub enabled: bool,
    /// The path requested (`GET`), starting with `/`.
    pub path: String,
    /// Time between checks.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// A check without an answer within this fails.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Consecutive failures that restart the app.
    pub failures: u32,
    /// Checks don't count until the app has run this long.
    #[serde(with = "humantime_serde")]
    pub grace: Duration,
    /// Statuses below this are healthy.
    pub max_status: u16,
}

impl Default for HealthFile {
    fn default() -> Self {
        let h = HealthSettings::default();
        HealthFile {
            enabled: true,
            path: h.path,
            interval: h.interval,
            timeout: h.timeout,
            failures: h.failures,
            grace: h.grace,
            max_status: h.max_status,
        }
    }
}

/// `[run.watch]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchFile {
    /// Files and directories watched; none (the default) switches watching off.
    pub paths: Vec<PathBuf>,
    /// Globs of changes ignored.
    pub ignore: Vec<String>,
    /// Changes closer together than this make one restart.
    #[serde(with = "humantime_serde")]
    pub debounce: Duration,
}

impl Default for WatchFile {
    fn default() -> Self {
        WatchFile {
            paths: Vec::new(),
            ignore: DEFAULT_IGNORE.iter().map(|s| s.to_string()).collect(),
            debounce: Duration::from_millis(500),
        }
    }
}

/// Changes never worth a restart: version control, dependencies, logs (the app's own would
/// restart it in a loop) and editors' scratch files.
pub const DEFAULT_IGNORE: &[&str] = &[".git/**", "node_modules/**", "*.log", "*.swp", "*~"];

/// `[run.logs]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogsFile {
    /// Write log files at all.
    pub enabled: bool,
    /// Directory of `<name>.out.log` and `<name>.err.log`; `""`: no files.
    pub dir: PathBuf,
    /// A file rotates once past this size.
    #[serde(serialize_with = "exact_size")]
    pub max_size: ByteSize,
    /// Rotated files kept per stream.
    pub keep: usize,
    /// Echo the app's lines to palisade's stdout and stderr.
    pub echo: bool,
    /// Last stderr lines carried in a crash event.
    pub tail_lines: usize,
}

impl Default for LogsFile {
    fn default() -> Self {
        let l = LogSettings::default();
        LogsFile {
            enabled: true,
            dir: PathBuf::from("logs"),
            max_size: ByteSize::b(l.max_bytes),
            keep: l.keep,
            echo: l.echo,
            tail_lines: l.tail_lines,
        }
    }
}

fn some_exact_size<S: serde::Serializer>(size: &Option<ByteSize>, s: S) -> Result<S::Ok, S::Error> {
    match size {
        Some(size) => exact_size(size, s),
        None => s.serialize_none(),
    }
}

/// `config print` shows no secret: values of secret-named variables (`API_KEY`,
/// `DB_PASSWORD`) and values with credentials in them (`postgres://user:pw@db/app`).
fn redacted_env<S: serde::Serializer>(
    env: &BTreeMap<String, String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let shown: BTreeMap<&str, &str> = env
        .iter()
        .map(|(k, v)| {
            let secret = palisade_core::redact::is_secret_name(k)
                || palisade_core::redact::redact_text(v) != v.as_str();
            (k.as_str(), if secret { REDACTED } else { v.as_str() })
        })
        .collect();
    shown.serialize(s)
}
