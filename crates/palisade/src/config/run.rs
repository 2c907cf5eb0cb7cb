//! `[run]`: how `palisade run -- CMD` supervises the app. The file structs ([`RunFile`]),
//! and their validation into a [`RunPlan`]: everything the supervisor's [`RunSettings`]
//! needs except the command, which comes from the command line.
//!
//! Relative paths (`cwd`, `watch.paths`, `logs.dir`) stay relative: the supervisor resolves
//! them against palisade's working directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use palisade_supervisor::{HealthSettings, LogSettings, RestartPolicy, RunSettings, WatchSettings};

use super::error::ConfigError;
use super::file::{FileConfig, REDACTED};
use super::load::locate;
use super::runtime::Source;

mod file;

pub use file::{HealthFile, LogsFile, RunFile, WatchFile};

/// `[run]` validated: the supervisor's settings but for the command, plus what the guard
/// needs. Built by [`plan`] (and [`Runtime::build`](super::Runtime::build)).
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// `name`, when set.
    pub name: Option<String>,
    /// `port`, when set; otherwise the `run` command picks a free one.
    pub port: Option<u16>,
    /// `cwd`, as written.
    pub cwd: Option<PathBuf>,
    /// `env`.
    pub env: Vec<(OsString, OsString)>,
    /// The restart keys.
    pub restart: RestartPolicy,
    /// `[run.health]`; `None` when `enabled = false`.
    pub health: Option<HealthSettings>,
    /// `max_memory` in bytes.
    pub max_memory: Option<u64>,
    /// `memory_interval`.
    pub memory_interval: Duration,
    /// `[run.watch]`; `None` without `paths`.
    pub watch: Option<WatchSettings>,
    /// `[run.logs]`.
    pub logs: LogSettings,
    /// `stop_timeout`.
    pub stop_timeout: Duration,
    /// How long the guard holds an idempotent request while the app restarts.
    pub hold: Duration,
}

impl RunPlan {
    /// The supervisor's settings for `command`. `name` and `port` (from `--name` and
    /// `--port`) win over the file's; without a name from either, the app is named after the
    /// command's file name. `port` stays `None` when neither gives one: the caller picks a
    /// free port. Errors name the flag at fault.
    ///
    /// `handle_stop_signals` is left at [`RunSettings::new`]'s default (on); a caller whose
    /// guard owns SIGTERM/SIGINT switches it off.
    pub fn settings(
        &self,
        name: Option<String>,
        port: Option<u16>,
        command: Vec<OsString>,
    ) -> Result<RunSettings, ConfigError> {
        let Some(program) = command.first() else {
            return Err(ConfigError::whole_file(
                "<command>",
                "no command to run: give it after `--`",
            ));
        };
        let name = match name {
            Some(n) => {
                check_name(&n).map_err(|m| ConfigError::whole_file("--name", m))?;
                n
            }
            None => match &self.name {
                Some(n) => n.clone(),
                None => default_name(Path::new(program)),
            },
        };
        if port == Some(0) {
            return Err(ConfigError::whole_file(
                "--port",
                "port 0 is not a port the app can be reached on",
            )
            .with_hint("leave --port out and palisade picks a free port"));
        }
        let mut s = RunSettings::new(name, command);
        s.cwd = self.cwd.clone();
        s.env = self.env.clone();
        s.port = port.or(self.port);
        s.restart = self.restart.clone();
        s.health = self.health.clone();
        s.max_memory = self.max_memory;
        s.memory_interval = self.memory_interval;
        s.watch = self.watch.clone();
        s.logs = self.logs.clone();
        s.stop_timeout = self.stop_timeout;
        Ok(s)
    }
}

/// The app's name when none is given: the program's file name (`node` for
/// `/usr/bin/node`), or `app` when it has none.
fn default_name(program: &Path) -> String {
    program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| check_name(n).is_ok())
        .unwrap_or_else(|| "app".to_owned())
}

/// The name becomes part of log file names: no separators, no way out of `logs.dir`.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(format!("`{name}` is not a usable app name"));
    }
    if name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(format!(
            "the app name `{}` contains a path separator or a control character (it names the log files)",
            name.escape_debug()
        ));
    }
    Ok(())
}

fn located(src: &Source<'_>, path: &[&str], message: String) -> ConfigError {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    let err = ConfigError::whole_file(src.name, message).with_key(path.join("."));
    match locate(src.text, &path) {
        Some(off) => err.at(src.text, off),
        None => err,
    }
}

/// Validates `[run]`.
pub fn plan(cfg: &FileConfig, src: &Source<'_>) -> Result<RunPlan, ConfigError> {
    let r = &cfg.run;
    let err = |key: &str, message: String| located(src, &["run", key], message);
    let nonzero = |key: &str, d: Duration| {
        if d.is_zero() {
            Err(err(key, format!("`run.{key}` must be longer than zero")))
        } else {
            Ok(())
        }
    };

    if let Some(name) = &r.name {
        check_name(name).map_err(|m| err("name", m))?;
    }
    if r.port == Some(0) {
        return Err(err(
            "port",
            "`run.port` 0 is not a port the app can be reached on".into(),
        )
        .with_hint("leave `port` out and palisade picks a free port"));
    }
    if r.cwd.as_ref().is_some_and(|c| c.as_os_str().is_empty()) {
        return Err(err("cwd", "`run.cwd` is empty".into())
            .with_hint("leave `cwd` out to run the app in palisade's working directory"));
    }
    let mut env = Vec::with_capacity(r.env.len());
    for (key, value) in &r.env {
        let at = |m: String| located(src, &["run", "env", key], m);
        if key.is_empty() || key.contains(['=', '\0']) {
            return Err(at(format!(
                "`{}` is not an environment variable name",
                key.escape_debug()
            )));
        }
        if key == "PORT" {
            return Err(
                at("`PORT` is set by palisade".into()).with_hint("set `port` under [run] instead")
            );
        }
        if value.contains('\0') {
            return Err(at(format!("the value of `{key}` contains a NUL character")));
        }
        if value == REDACTED {
            return Err(at(format!(
                "`{REDACTED}` is what `config print` shows instead of a secret, not a value"
            ))
            .with_hint("write the variable's real value"));
        }
        env.push((OsString::from(key), OsString::from(value)));
    }

    if r.min_delay > r.max_delay {
        return Err(err(
            "min_delay",
            format!(
                "`run.min_delay` ({}) is longer than `run.max_delay` ({})",
                humantime::format_duration(r.min_delay),
                humantime::format_duration(r.max_delay)
            ),
        ));
    }
    nonzero("window", r.window)?;
    nonzero("stop_timeout", r.stop_timeout)?;
    if r.max_memory.is_some_and(|m| m.as_u64() == 0) {
        return Err(err(
            "max_memory",
            "`run.max_memory` must be more than zero".into(),
        )
        .with_hint("leave `max_memory` out for no limit"));
    }
    nonzero("memory_interval", r.memory_interval)?;

    let health = health(&r.health, src)?;
    let watch = watch(&r.watch, src)?;
    let logs = logs(&r.logs, src)?;
    Ok(RunPlan {
        name: r.name.clone(),
        port: r.port,
        cwd: r.cwd.clone(),
        env,
        restart: RestartPolicy {
            mode: r.restart,
            min_delay: r.min_delay,
            max_delay: r.max_delay,
            min_uptime: r.min_uptime,
            max_restarts: r.max_restarts,
            window: r.window,
            give_up: r.give_up,
        },
        health,
        max_memory: r.max_memory.map(|m| m.as_u64()),
        memory_interval: r.memory_interval,
        watch,
        logs,
        stop_timeout: r.stop_timeout,
        hold: r.hold,
    })
}

fn health(h: &HealthFile, src: &Source<'_>) -> Result<Option<HealthSettings>, ConfigError> {
    if !h.enabled {
        return Ok(None);
    }
    let err = |key: &str, message: String| located(src, &["run", "health", key], message);
    if !h.path.starts_with('/') || h.path.parse::<http::uri::PathAndQuery>().is_err() {
        return Err(err(
            "path",
            format!(
                "`run.health.path` `{}` is not a path starting with `/`",
                h.path.escape_debug()
            ),
        )
        .with_hint("e.g. \"/healthz\""));
    }
    for (key, d) in [("interval", h.interval), ("timeout", h.timeout)] {
        if d.is_zero() {
            return Err(err(
                key,
                format!("`run.health.{key}` must be longer than zero"),
            ));
        }
    }
    if h.failures == 0 {
        return Err(err(
            "failures",
            "`run.health.failures` must be at least 1".into(),
        ));
    }
    if !(200..=600).contains(&h.max_status) {
        return Err(err(
            "max_status",
            format!(
                "`run.health.max_status` {} is not between 200 and 600",
                h.max_status
            ),
        )
        .with_hint("statuses below it are healthy: 500 accepts any answer but a 5xx"));
    }
    Ok(Some(HealthSettings {
        path: h.path.clone(),
        interval: h.interval,
        timeout: h.timeout,
        failures: h.failures,
        grace: h.grace,
        max_status: h.max_status,
    }))
}

fn watch(w: &WatchFile, src: &Source<'_>) -> Result<Option<WatchSettings>, ConfigError> {
    // Checked even while watching is off, so that adding `paths` later cannot uncover an
    // old mistake.
    for (i, pattern) in w.ignore.iter().enumerate() {
        if let Err(e) = globset::Glob::new(pattern) {
            let kind = e.kind().to_string();
            return Err(located(
                src,
                &["run", "watch", "ignore", &i.to_string()],
                format!("`run.watch.ignore` pattern `{pattern}`: {kind}"),
            ));
        }
    }
    if let Some(i) = w.paths.iter().position(|p| p.as_os_str().is_empty()) {
        return Err(located(
            src,
            &["run", "watch", "paths", &i.to_string()],
            "`run.watch.paths` contains an empty path".into(),
        )
        .with_hint("write \".\" to watch the working directory"));
    }
    if w.paths.is_empty() {
        return Ok(None);
    }
    Ok(Some(WatchSettings {
        paths: w.paths.clone(),
        ignore: w.ignore.clone(),
        debounce: w.debounce,
    }))
}

fn logs(l: &LogsFile, src: &Source<'_>) -> Result<LogSettings, ConfigError> {
    let err = |key: &str, message: String| located(src, &["run", "logs", key], message);
    if l.max_size.as_u64() == 0 {
        return Err(err(
            "max_size",
            "`run.logs.max_size` must be more than zero".into(),
        ));
    }
    if l.keep == 0 {
        return Err(err("keep", "`run.logs.keep` must be at least 1".into())
            .with_hint("to write no files, set `enabled = false`"));
    }
    let files = l.enabled && !l.dir.as_os_str().is_empty();
    Ok(LogSettings {
        dir: files.then(|| l.dir.clone()),
        max_bytes: l.max_size.as_u64(),
        keep: l.keep,
        echo: l.echo,
        tail_lines: l.tail_lines,
    })
}

#[cfg(test)]
mod tests;
