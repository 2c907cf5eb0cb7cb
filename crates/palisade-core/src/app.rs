//! The supervised app as the guard and the admin API see it: whether it can take requests
//! now ([`Availability`]), what `palisade status` shows ([`AppStatus`]), and the controls
//! the admin API offers ([`AppControl`]).
//!
//! The supervisor owns the app; the guard only reads these, so neither crate depends on
//! the other.

use serde::{Deserialize, Serialize};

/// Whether the supervised app can take requests right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Running and accepting connections.
    Up,
    /// Started (or restarting) and not yet accepting connections: requests may wait a
    /// little for it.
    Starting,
    /// Not running, and not expected back before `retry_after_secs` (backoff, crash loop,
    /// stopped).
    Down {
        /// A client's sensible wait before retrying, for `Retry-After`.
        retry_after_secs: u32,
    },
}

impl Availability {
    /// True when requests can be proxied.
    pub fn is_up(self) -> bool {
        matches!(self, Availability::Up)
    }

    /// The `Retry-After` to send while the app cannot answer.
    pub fn retry_after_secs(self) -> u32 {
        match self {
            Availability::Up | Availability::Starting => 1,
            Availability::Down { retry_after_secs } => retry_after_secs.max(1),
        }
    }
}

/// How the app's last run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ExitKind {
    /// It exited with this code.
    Code {
        /// The exit code.
        code: i32,
    },
    /// A signal ended it.
    Signal {
        /// The signal's number.
        signal: i32,
        /// Its name, e.g. `SIGKILL`.
        name: String,
    },
}

impl std::fmt::Display for ExitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitKind::Code { code } => write!(f, "exit code {code}"),
            ExitKind::Signal { name, .. } => write!(f, "killed by {name}"),
        }
    }
}

/// The last exit the supervisor saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastExit {
    /// How it ended.
    #[serde(flatten)]
    pub kind: ExitKind,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Why the supervisor thinks it ended: `crashed`, `exited`, `unhealthy`, `memory`,
    /// `file_change`, `restart_requested`, `stopped`.
    pub reason: String,
}

/// What `palisade status` shows for one supervised app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    /// The app's name (`--name`).
    pub name: String,
    /// The command line.
    pub command: Vec<String>,
    /// `starting`, `running`, `backoff`, `crash_loop`, `stopping`, `stopped`.
    pub state: String,
    /// The app's process id (also its process group) while it runs.
    pub pid: Option<u32>,
    /// The supervisor's (`palisade run`'s) process id.
    pub supervisor_pid: u32,
    /// Seconds since the current run started.
    pub uptime_secs: Option<u64>,
    /// Restarts since `palisade run` started.
    pub restarts: u64,
    /// How the previous run ended.
    pub last_exit: Option<LastExit>,
    /// Resident memory of the app's whole process group, in bytes.
    pub memory_bytes: Option<u64>,
    /// The port the app was told to listen on (`PORT`).
    pub port: Option<u16>,
    /// Consecutive failed health checks.
    pub health_failures: u32,
}

/// Why a control request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError(pub String);

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ControlError {}

/// What the admin API may ask of a supervisor. Calls return at once; the work happens on
/// the supervisor's own thread.
pub trait AppControl: Send + Sync {
    /// The app's current status.
    fn status(&self) -> AppStatus;
    /// Restarts the app gracefully (stop, then start at once, with no backoff).
    fn restart(&self) -> Result<(), ControlError>;
    /// Stops the app gracefully, then `palisade run` itself.
    fn stop(&self) -> Result<(), ControlError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_at_least_a_second() {
        assert_eq!(Availability::Up.retry_after_secs(), 1);
        assert_eq!(
            Availability::Down {
                retry_after_secs: 0
            }
            .retry_after_secs(),
            1
        );
        assert_eq!(
            Availability::Down {
                retry_after_secs: 30
            }
            .retry_after_secs(),
            30
        );
    }

    #[test]
    fn status_serialises_last_exit_flat() {
        let exit = LastExit {
            kind: ExitKind::Signal {
                signal: 9,
                name: "SIGKILL".into(),
            },
            at_ms: 5,
            reason: "memory".into(),
        };
        let v = serde_json::to_value(&exit).unwrap();
        assert_eq!(v["kind"], "signal");
        assert_eq!(v["name"], "SIGKILL");
        assert_eq!(v["reason"], "memory");
        let back: LastExit = serde_json::from_value(v).unwrap();
        assert_eq!(back, exit);
    }
}
