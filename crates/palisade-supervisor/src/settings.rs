//! What the supervisor is told: the command, the policy, and the checks. Built by the
//! binary from `palisade run` flags and the `[run]` config section.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::policy::RestartPolicy;

/// Everything the supervisor needs to run one app.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// The app's name, in events, logs and `palisade status`.
    pub name: String,
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// The app's working directory [default: palisade's].
    pub cwd: Option<PathBuf>,
    /// Extra environment for the app (`PORT` is added when `port` is set).
    pub env: Vec<(OsString, OsString)>,
    /// The port the app is told to listen on (`PORT`), and which readiness and health
    /// checks connect to on 127.0.0.1.
    pub port: Option<u16>,
    /// When and how fast to restart.
    pub restart: RestartPolicy,
    /// Restart on hang.
    pub health: Option<HealthSettings>,
    /// Restart when the process group's resident memory exceeds this many bytes.
    pub max_memory: Option<u64>,
    /// How often memory is sampled.
    pub memory_interval: Duration,
    /// Restart when watched files change.
    pub watch: Option<WatchSettings>,
    /// Where the app's output goes.
    pub logs: LogSettings,
    /// How long a stop waits after SIGTERM before SIGKILL.
    pub stop_timeout: Duration,
    /// Handle SIGTERM/SIGINT itself (stop the app, then end). Off when the guard owns those
    /// signals and stops the supervisor after draining.
    pub handle_stop_signals: bool,
}

impl RunSettings {
    /// Settings with defaults for `command`.
    pub fn new(name: impl Into<String>, command: Vec<OsString>) -> Self {
        RunSettings {
            name: name.into(),
            command,
            cwd: None,
            env: Vec::new(),
            port: None,
            restart: RestartPolicy::default(),
            health: None,
            max_memory: None,
            memory_interval: Duration::from_secs(5),
            watch: None,
            logs: LogSettings::default(),
            stop_timeout: Duration::from_secs(5),
            handle_stop_signals: true,
        }
    }
}

/// An HTTP health check against the app's port.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    /// The path requested, e.g. `/healthz`.
    pub path: String,
    /// Time between checks.
    pub interval: Duration,
    /// A check without a response within this is a failure.
    pub timeout: Duration,
    /// Consecutive failures that make the app unhealthy (and restarted).
    pub failures: u32,
    /// Checks don't count until the app has run this long (start-up time).
    pub grace: Duration,
    /// Responses with a status below this count as healthy (500: any non-5xx answer).
    pub max_status: u16,
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            path: "/".to_owned(),
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            failures: 3,
            grace: Duration::from_secs(30),
            max_status: 500,
        }
    }
}

/// Restart on file change.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSettings {
    /// Files and directories watched (recursively).
    pub paths: Vec<PathBuf>,
    /// Glob patterns of paths whose changes are ignored (matched against the path
    /// relative to the watched directory and against the file name).
    pub ignore: Vec<String>,
    /// Changes closer together than this make one restart.
    pub debounce: Duration,
}

/// The app's stdout and stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSettings {
    /// Directory of `<name>.out.log` and `<name>.err.log`; `None`: no files.
    pub dir: Option<PathBuf>,
    /// A file rotates once it grows past this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept per stream (`.1` is the newest).
    pub keep: usize,
    /// Echo the app's lines to palisade's own stdout and stderr.
    pub echo: bool,
    /// Last stderr lines carried in a crash event.
    pub tail_lines: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            dir: None,
            max_bytes: 10 << 20,
            keep: 5,
            echo: true,
            tail_lines: 20,
        }
    }
}
