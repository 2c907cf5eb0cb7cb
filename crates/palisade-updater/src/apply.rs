//! Applying updates with each ecosystem's own tool, so the manifest and lockfile end up as
//! the user would have written them: `npm install name@version` (after `npm ci` in the fresh
//! worktree), `cargo update --precise` (and `cargo add` first when the declared requirement
//! does not allow the new version).

use std::path::Path;

use crate::command::{self, Cancel, Finished, Limits};
use crate::error::UpdateError;

/// A package ecosystem the updater knows how to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    /// npm (package.json + package-lock.json).
    Npm,
    /// cargo (Cargo.toml + Cargo.lock).
    Cargo,
}

/// Which section of the manifest a dependency is declared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Section {
    /// `dependencies`.
    #[default]
    Normal,
    /// `devDependencies` / `[dev-dependencies]`.
    Dev,
    /// `[build-dependencies]`.
    Build,
    /// `optionalDependencies`.
    Optional,
}

/// One update to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// npm or cargo.
    pub tool: Tool,
    /// The registry name.
    pub name: String,
    /// The name the manifest uses when it differs (an npm alias, a renamed cargo dependency).
    pub alias: Option<String>,
    /// The locked version now.
    pub from: String,
    /// The version to try.
    pub to: String,
    /// Where the manifest declares it.
    pub section: Section,
}

impl Change {
    /// `name from → to`.
    pub fn describe(&self) -> String {
        format!("{} {} → {}", self.name, self.from, self.to)
    }
}

/// The programs and limits apply steps run with.
#[derive(Clone, Debug)]
pub(crate) struct Tools<'a> {
    pub npm: &'a str,
    pub cargo: &'a str,
    pub env: &'a [(String, String)],
    pub limits: Limits,
    pub cancel: &'a Cancel,
}

/// Installs what the project's lockfile records, so the tests can run in a fresh worktree.
pub(crate) fn prepare(tool: Tool, dir: &Path, tools: &Tools<'_>) -> Result<Finished, UpdateError> {
    match tool {
        Tool::Npm => {
            let lockfile =
                dir.join("package-lock.json").exists() || dir.join("npm-shrinkwrap.json").exists();
            let install = if lockfile { "ci" } else { "install" };
            run(
                tools,
                tools.npm,
                &[install, "--no-audit", "--no-fund", "--prefer-offline"],
                dir,
            )
        }
        // cargo fetches what it needs when the tests build.
        Tool::Cargo => Ok(Finished {
            exit: command::Exit::Exited(Some(0)),
            tail: String::new(),
            elapsed: std::time::Duration::ZERO,
        }),
    }
}

/// Applies one change in `dir`; the output of the last step run.
pub(crate) fn apply(
    change: &Change,
    dir: &Path,
    tools: &Tools<'_>,
) -> Result<Finished, UpdateError> {
    match change.tool {
        Tool::Npm => {
            let spec = match &change.alias {
                Some(alias) => format!("{alias}@npm:{}@{}", change.name, change.to),
                None => format!("{}@{}", change.name, change.to),
            };
            let mut args = vec!["install", "--no-audit", "--no-fund", "--prefer-offline"];
            match change.section {
                Section::Dev => args.push("--save-dev"),
                Section::Optional => args.push("--save-optional"),
                Section::Normal | Section::Build => args.push("--save-prod"),
            }
            args.push(&spec);
            run(tools, tools.npm, &args, dir)
        }
        Tool::Cargo => {
            let from = format!("{}@{}", change.name, change.from);
            let precise = run(
                tools,
                tools.cargo,
                &["update", "--package", &from, "--precise", &change.to],
                dir,
            )?;
            if precise.exit.success() {
                return Ok(precise);
            }
            // The requirement in Cargo.toml does not allow the new version: raise it the way
            // a person would, with `cargo add`, then pin the exact version.
            let spec = format!("{}@{}", change.name, change.to);
            let mut args = vec!["add", spec.as_str()];
            match change.section {
                Section::Dev => args.push("--dev"),
                Section::Build => args.push("--build"),
                Section::Normal | Section::Optional => {}
            }
            if let Some(alias) = &change.alias {
                args.extend(["--rename", alias.as_str()]);
            }
            let added = run(tools, tools.cargo, &args, dir)?;
            if !added.exit.success() {
                return Ok(added);
            }
            // `name@to` when cargo add locked exactly that (a no-op then); plain `name` when it
            // chose another version. `name@to` first: with an old major still locked through
            // another dependency, plain `name` is ambiguous.
            let exact = run(
                tools,
                tools.cargo,
                &["update", "--package", &spec, "--precise", &change.to],
                dir,
            )?;
            if exact.exit.success() {
                return Ok(exact);
            }
            run(
                tools,
                tools.cargo,
                &["update", "--package", &change.name, "--precise", &change.to],
                dir,
            )
        }
    }
}

fn run(
    tools: &Tools<'_>,
    program: &str,
    args: &[&str],
    dir: &Path,
) -> Result<Finished, UpdateError> {
    command::run(program, args, dir, tools.env, &tools.limits, tools.cancel)
}
