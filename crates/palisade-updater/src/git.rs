//! The git side: the repository a project is in, throwaway worktrees at its HEAD, and the
//! branch a passing update becomes. The user's working tree, index and current branch are
//! never touched: everything happens in a worktree of its own, removed afterwards (also on
//! errors and cancellation, by `Drop`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::UpdateError;

/// The repository a project lives in.
#[derive(Clone, Debug)]
pub struct Repo {
    top: PathBuf,
    /// The project directory, relative to `top`.
    rel: PathBuf,
    head: String,
}

impl Repo {
    /// The repository containing `dir`, at its current HEAD commit.
    pub fn discover(dir: &Path) -> Result<Repo, UpdateError> {
        let not_repo = |message: String| UpdateError::NotARepository {
            dir: dir.to_path_buf(),
            message,
        };
        let top =
            git_in(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| not_repo(e.to_string()))?;
        let prefix =
            git_in(dir, &["rev-parse", "--show-prefix"]).map_err(|e| not_repo(e.to_string()))?;
        let head = git_in(dir, &["rev-parse", "--verify", "HEAD"])
            .map_err(|_| not_repo("the repository has no commit yet".into()))?;
        Ok(Repo {
            top: PathBuf::from(top),
            rel: PathBuf::from(prefix),
            head,
        })
    }

    /// The top of the work tree.
    pub fn top(&self) -> &Path {
        &self.top
    }

    /// The commit every trial starts from.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Tracked files with uncommitted changes (they are not part of any trial).
    pub fn uncommitted(&self) -> Result<Vec<String>, UpdateError> {
        let out = git_in(
            &self.top,
            &["status", "--porcelain", "--untracked-files=no"],
        )?;
        Ok(out
            .lines()
            .filter_map(|l| l.get(3..))
            .map(str::to_owned)
            .collect())
    }

    /// Whether a local branch of that name exists.
    pub fn has_branch(&self, name: &str) -> Result<bool, UpdateError> {
        let status = Command::new("git")
            .arg("-C")
            .arg(&self.top)
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("refs/heads/{name}"))
            .output()
            .map_err(|e| UpdateError::Spawn {
                command: "git rev-parse".into(),
                source: e,
            })?;
        Ok(status.status.success())
    }

    /// A new worktree at HEAD, detached, in a temporary directory.
    pub fn worktree(&self) -> Result<Worktree, UpdateError> {
        let dir = tempfile::Builder::new()
            .prefix("palisade-update-")
            .tempdir()
            .map_err(|e| UpdateError::io("creating a temporary directory", e))?;
        let path = dir.path().join("tree");
        git_in(
            &self.top,
            &[
                "worktree",
                "add",
                "--quiet",
                "--detach",
                path_str(&path)?,
                &self.head,
            ],
        )?;
        Ok(Worktree {
            top: self.top.clone(),
            project: path.join(&self.rel),
            path,
            _dir: dir,
        })
    }
}

/// A worktree at the trial's commit; removed (with git's record of it) when dropped.
#[derive(Debug)]
pub struct Worktree {
    top: PathBuf,
    path: PathBuf,
    project: PathBuf,
    _dir: tempfile::TempDir,
}

impl Worktree {
    /// The project directory inside the worktree.
    pub fn project(&self) -> &Path {
        &self.project
    }

    /// The worktree's root.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commits the changes to tracked files (and `extra` paths, relative to the project) as
    /// one commit on a new branch `branch`.
    pub fn commit_to_branch(
        &self,
        branch: &str,
        message: &str,
        extra: &[&str],
    ) -> Result<String, UpdateError> {
        git_in(&self.path, &["checkout", "--quiet", "-b", branch])?;
        git_in(&self.path, &["add", "--update"])?;
        for path in extra {
            let full = self.project.join(path);
            if full.exists() {
                git_in(&self.path, &["add", "--", path_str(&full)?])?;
            }
        }
        let mut args: Vec<&str> = Vec::new();
        // A machine without a git identity still gets its branch, attributed to palisade.
        let has_identity = git_in(&self.path, &["config", "user.email"]).is_ok();
        if !has_identity {
            args.extend([
                "-c",
                "user.name=palisade",
                "-c",
                "user.email=palisade@localhost",
            ]);
        }
        // The test command already ran; the repository's hooks are for people's commits.
        args.extend(["commit", "--quiet", "--no-verify", "-m", message]);
        git_in(&self.path, &args)?;
        git_in(&self.path, &["rev-parse", "HEAD"])
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let removed = Command::new("git")
            .arg("-C")
            .arg(&self.top)
            .args(["worktree", "remove", "--force", "--force"])
            .arg(&self.path)
            .output();
        if !removed.is_ok_and(|o| o.status.success()) {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = Command::new("git")
                .arg("-C")
                .arg(&self.top)
                .args(["worktree", "prune"])
                .output();
        }
    }
}

fn path_str(path: &Path) -> Result<&str, UpdateError> {
    path.to_str().ok_or_else(|| {
        UpdateError::io(
            format!("{}", path.display()),
            std::io::Error::other("not valid UTF-8"),
        )
    })
}

/// `git -C dir args…`, its trimmed stdout, or its stderr as the error.
pub(crate) fn git_in(dir: &Path, args: &[&str]) -> Result<String, UpdateError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| UpdateError::Spawn {
            command: "git".into(),
            source: e,
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(UpdateError::Git {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}
