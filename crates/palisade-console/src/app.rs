//! The supervised app on the overview: what `palisade status` shows, worded for a page.

use palisade_core::AppStatus;
use serde::Serialize;

/// The app's status with human units.
#[derive(Debug, Serialize)]
pub(crate) struct AppView {
    name: String,
    state: String,
    pid: Option<u32>,
    uptime: Option<String>,
    restarts: u64,
    memory: Option<String>,
    last_exit: Option<String>,
}

impl From<&AppStatus> for AppView {
    fn from(s: &AppStatus) -> Self {
        AppView {
            name: s.name.clone(),
            state: s.state.clone(),
            pid: s.pid,
            uptime: s
                .uptime_secs
                .map(|u| humantime::format_duration(std::time::Duration::from_secs(u)).to_string()),
            restarts: s.restarts,
            memory: s
                .memory_bytes
                .map(|b| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))),
            last_exit: s
                .last_exit
                .as_ref()
                .map(|e| format!("{} ({})", e.kind, e.reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::app::{ExitKind, LastExit};

    #[test]
    fn words_the_status() {
        let s = AppStatus {
            name: "shop".into(),
            command: vec!["node".into(), "app.js".into()],
            state: "running".into(),
            pid: Some(42),
            supervisor_pid: 1,
            uptime_secs: Some(3723),
            restarts: 2,
            last_exit: Some(LastExit {
                kind: ExitKind::Code { code: 1 },
                at_ms: 0,
                reason: "crashed".into(),
            }),
            memory_bytes: Some(50 * 1024 * 1024),
            port: Some(3000),
            health_failures: 0,
        };
        let v = AppView::from(&s);
        assert_eq!(v.uptime.as_deref(), Some("1h 2m 3s"));
        assert_eq!(v.memory.as_deref(), Some("50.0 MiB"));
        assert_eq!(v.last_exit.as_deref(), Some("exit code 1 (crashed)"));
    }
}
