//! Errors: a command that failed ([`ActionError`]) and a configuration or state file that is
//! wrong ([`FirewallError`]).

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// A firewall command that did not do its job. Never fatal: the enforcer logs it and tries
/// again on the next sync.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// The program could not be started (missing binary, permissions).
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line, shell-quoted.
        command: String,
        /// Why the operating system refused.
        #[source]
        source: io::Error,
    },
    /// The program ran and reported a failure.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// The command line, shell-quoted.
        command: String,
        /// The exit status as the system reports it (`exit status: 1`, `signal: 9 (SIGKILL)`).
        status: String,
        /// Its standard error, trimmed and bounded.
        stderr: String,
    },
    /// The program did not finish in time and was killed with its process group.
    #[error("`{command}` did not finish within {after:?} and was killed")]
    Timeout {
        /// The command line, shell-quoted.
        command: String,
        /// The limit it exceeded.
        after: Duration,
    },
    /// Waiting for the program failed.
    #[error("waiting for `{command}`: {source}")]
    Wait {
        /// The command line, shell-quoted.
        command: String,
        /// The error from the operating system.
        #[source]
        source: io::Error,
    },
}

impl ActionError {
    /// The command line this error is about.
    pub fn command(&self) -> &str {
        match self {
            ActionError::Spawn { command, .. }
            | ActionError::Failed { command, .. }
            | ActionError::Timeout { command, .. }
            | ActionError::Wait { command, .. } => command,
        }
    }

    /// The program's standard error, when it ran and failed.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            ActionError::Failed { stderr, .. } => Some(stderr),
            _ => None,
        }
    }
}

/// palisade-firewall misconfigured, or its state file unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FirewallError {
    /// A command template names a placeholder that does not exist.
    #[error(
        "the {template} template uses unknown placeholder `{{{placeholder}}}` \
         (known: {{ip}}, {{cidr}}, {{ttl}}, {{family}}, {{reason}}; write `{{{{` for a literal `{{`)"
    )]
    UnknownPlaceholder {
        /// Which template (`ban`, `unban`, `start`, `stop`).
        template: &'static str,
        /// The name between the braces.
        placeholder: String,
    },
    /// A command template is unusable for another reason (empty, placeholder where none
    /// applies, `{reason}` inside quotes).
    #[error("the {template} template is invalid: {why}")]
    InvalidTemplate {
        /// Which template (`ban`, `unban`, `start`, `stop`).
        template: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Another setting is out of range or malformed.
    #[error("invalid firewall setting `{setting}`: {why}")]
    InvalidSetting {
        /// The setting.
        setting: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Two actions share a name, so the applied set could not tell them apart.
    #[error("two firewall actions are named `{0}`; names must be unique")]
    DuplicateAction(String),
    /// The applied-set file cannot be read or parsed.
    #[error("firewall state file {}: {why}", path.display())]
    StateFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
}
