//! Trying dependency updates against a project's test suite, as next-update and Greenkeeper
//! do, without touching the user's checkout.
//!
//! Each trial gets a fresh git worktree at HEAD (in a temporary directory), installs what the
//! lockfile records, applies the updates with npm or cargo, and runs the test command with a
//! timeout. A passing trial can become a branch with one commit; the worktree is removed in
//! every case — pass, fail, error or cancellation — so the user's working tree, index and
//! current branch never change.
//!
//! ```no_run
//! use std::time::Duration;
//! use palisade_updater::{Cancel, Change, Outcome, Section, Settings, Tool, Updater};
//!
//! let settings = Settings::new("npm test").with_timeout(Duration::from_secs(600));
//! let updater = Updater::new("my-app".as_ref(), settings, Cancel::new())?;
//! let change = Change {
//!     tool: Tool::Npm,
//!     name: "left-pad".into(),
//!     alias: None,
//!     from: "1.1.0".into(),
//!     to: "1.3.0".into(),
//!     section: Section::Normal,
//! };
//! let trial = updater.try_changes(&[&change], None)?;
//! if trial.outcome == Outcome::Passed {
//!     println!("{} passes", change.describe());
//! }
//! # Ok::<(), palisade_updater::UpdateError>(())
//! ```
#![warn(missing_docs)]

mod apply;
mod command;
mod error;
mod git;

use std::path::Path;
use std::time::Duration;

pub use apply::{Change, Section, Tool};
pub use command::{Cancel, Exit, Finished};
pub use error::UpdateError;
pub use git::{Repo, Worktree};

use apply::Tools;
use command::Limits;

/// How trials run.
#[derive(Clone, Debug)]
pub struct Settings {
    test: String,
    timeout: Duration,
    install_timeout: Duration,
    tail_lines: usize,
    env: Vec<(String, String)>,
    npm: String,
    cargo: String,
}

impl Settings {
    /// Trials that run `test` (a shell command line) in the project directory; 10 minutes
    /// for the tests and for each install step, the last 40 lines of output kept.
    pub fn new(test: impl Into<String>) -> Settings {
        Settings {
            test: test.into(),
            timeout: Duration::from_secs(600),
            install_timeout: Duration::from_secs(600),
            tail_lines: 40,
            env: Vec::new(),
            npm: "npm".into(),
            cargo: "cargo".into(),
        }
    }

    /// The test command's timeout: past it, the run counts as a failure.
    pub fn with_timeout(mut self, timeout: Duration) -> Settings {
        self.timeout = timeout;
        self
    }

    /// The timeout of each install or apply step.
    pub fn with_install_timeout(mut self, timeout: Duration) -> Settings {
        self.install_timeout = timeout;
        self
    }

    /// How many lines of output a result keeps.
    pub fn with_tail_lines(mut self, lines: usize) -> Settings {
        self.tail_lines = lines;
        self
    }

    /// An environment variable for every command (a registry URL, a shared
    /// `CARGO_TARGET_DIR` so trials do not rebuild every dependency).
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Settings {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The npm and cargo programs to run.
    pub fn with_programs(mut self, npm: impl Into<String>, cargo: impl Into<String>) -> Settings {
        self.npm = npm.into();
        self.cargo = cargo.into();
        self
    }
}

/// How a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The updates applied and the tests passed.
    Passed,
    /// The updates applied and the tests failed.
    Failed,
    /// The tests ran past the timeout.
    TimedOut,
    /// Installing or applying failed (a version that does not resolve, a registry error):
    /// the tests did not run.
    NotApplied,
}

/// The result of one trial.
#[derive(Clone, Debug)]
pub struct Trial {
    /// How it ended.
    pub outcome: Outcome,
    /// The last lines of the step that decided the outcome (the tests, or the failing
    /// install).
    pub tail: String,
    /// How long the trial took, worktree to cleanup.
    pub elapsed: Duration,
    /// The commit made on the requested branch, when the trial passed and one was asked for.
    pub commit: Option<String>,
}

/// A branch and commit message for a passing trial.
#[derive(Clone, Copy, Debug)]
pub struct Commit<'a> {
    /// The new branch's name.
    pub branch: &'a str,
    /// The commit message.
    pub message: &'a str,
}

/// Runs trials for one project.
#[derive(Debug)]
pub struct Updater {
    repo: Repo,
    settings: Settings,
    cancel: Cancel,
}

impl Updater {
    /// An updater for the project in `dir` (inside a git repository with at least one
    /// commit). `cancel` stops the running step and the trial.
    pub fn new(dir: &Path, settings: Settings, cancel: Cancel) -> Result<Updater, UpdateError> {
        let repo = Repo::discover(dir)?;
        Ok(Updater {
            repo,
            settings,
            cancel,
        })
    }

    /// The repository, at the commit trials start from.
    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// Runs the tests on HEAD with no change: when they fail already, every update would
    /// look broken, so callers check this first (as next-update does).
    pub fn baseline(&self, tool: Tool) -> Result<Trial, UpdateError> {
        self.trial(tool, &[], None)
    }

    /// Applies `changes` together in a fresh worktree and runs the tests; on a pass, commits
    /// them to `commit`'s new branch when given.
    pub fn try_changes(
        &self,
        changes: &[&Change],
        commit: Option<Commit<'_>>,
    ) -> Result<Trial, UpdateError> {
        let tool = changes.first().map_or(Tool::Npm, |c| c.tool);
        self.trial(tool, changes, commit)
    }

    fn trial(
        &self,
        tool: Tool,
        changes: &[&Change],
        commit: Option<Commit<'_>>,
    ) -> Result<Trial, UpdateError> {
        self.cancel.check()?;
        if let Some(c) = commit
            && self.repo.has_branch(c.branch)?
        {
            return Err(UpdateError::BranchExists(c.branch.to_owned()));
        }
        let started = std::time::Instant::now();
        let worktree = self.repo.worktree()?;
        let dir = worktree.project();
        let tools = Tools {
            npm: &self.settings.npm,
            cargo: &self.settings.cargo,
            env: &self.settings.env,
            limits: Limits {
                timeout: self.settings.install_timeout,
                tail_lines: self.settings.tail_lines,
            },
            cancel: &self.cancel,
        };
        let not_applied = |step: Finished| Trial {
            outcome: Outcome::NotApplied,
            tail: step.tail,
            elapsed: started.elapsed(),
            commit: None,
        };
        let prepared = apply::prepare(tool, dir, &tools)?;
        if !prepared.exit.success() {
            return Ok(not_applied(prepared));
        }
        for change in changes {
            let applied = apply::apply(change, dir, &tools)?;
            if !applied.exit.success() {
                return Ok(not_applied(applied));
            }
        }
        let limits = Limits {
            timeout: self.settings.timeout,
            tail_lines: self.settings.tail_lines,
        };
        let tested = command::run_shell(
            &self.settings.test,
            dir,
            &self.settings.env,
            &limits,
            &self.cancel,
        )?;
        let outcome = match tested.exit {
            Exit::TimedOut => Outcome::TimedOut,
            ref exit if exit.success() => Outcome::Passed,
            _ => Outcome::Failed,
        };
        let commit = match commit {
            Some(c) if outcome == Outcome::Passed => {
                let paths: &[&str] = match tool {
                    Tool::Npm => &["package.json", "package-lock.json", "npm-shrinkwrap.json"],
                    Tool::Cargo => &["Cargo.toml", "Cargo.lock"],
                };
                Some(worktree.commit_to_branch(c.branch, c.message, paths)?)
            }
            _ => None,
        };
        drop(worktree);
        Ok(Trial {
            outcome,
            tail: tested.tail,
            elapsed: started.elapsed(),
            commit,
        })
    }
}
