//! The git side: the repository a project is in, throwaway worktrees at its HEAD, and the
//! branch a passing update becomes. The user's working tree, index and current branch are
//! never touched: everything happens in a worktree of its own, removed afterwards (also on
//! errors and cancellation, by `Drop`).

use std::os::unix::process::CommandExt;
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
        // Records of worktrees a killed run could not remove.
        let _ = git_in(dir, &["worktree", "prune"]);
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
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.top)
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("refs/heads/{name}"));
        for key in crate::command::GIT_ENV {
            command.env_remove(key);
        }
        let status = command.output().map_err(|e| UpdateError::Spawn {
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

    /// Commits `paths` (relative to the project: the manifest and lockfile an update
    /// changed) as one commit, then points a new branch `branch` at it. Paths git ignores are
    /// left out (a library may not track its lockfile); nothing else the install or the tests
    /// wrote is committed. The branch is created only once the commit exists, so a failed
    /// commit leaves no branch behind.
    pub fn commit_to_branch(
        &self,
        branch: &str,
        message: &str,
        paths: &[&str],
    ) -> Result<String, UpdateError> {
        git_in(&self.path, &["check-ref-format", "--branch", branch])?;
        for path in paths {
            let full = self.project.join(path);
            let full = path_str(&full)?;
            if !self.project.join(path).exists()
                || git_in(&self.path, &["check-ignore", "--quiet", "--", full]).is_ok()
            {
                continue;
            }
            git_in(&self.path, &["add", "--", full])?;
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
        let commit = git_in(&self.path, &["rev-parse", "HEAD"])?;
        // `update-ref` with an empty old value refuses to move an existing branch.
        let reference = format!("refs/heads/{branch}");
        git_in(&self.path, &["update-ref", &reference, &commit, ""])?;
        Ok(commit)
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let Some(path) = self.path.to_str() else {
            return;
        };
        let removed = git_in(
            &self.top,
            &["worktree", "remove", "--force", "--force", path],
        );
        if removed.is_err() {
            // Tests may leave read-only directories behind; make them writable, then remove.
            make_writable(&self.path);
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = git_in(&self.top, &["worktree", "prune"]);
        }
    }
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700));
            make_writable(&path);
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
    let mut command = Command::new("git");
    // Its own process group: a Ctrl-C in the terminal reaches palisade, which decides, and
    // never interrupts git half-way through a worktree or a commit.
    command.arg("-C").arg(dir).args(args).process_group(0);
    for key in crate::command::GIT_ENV {
        command.env_remove(key);
    }
    let out = command.output().map_err(|e| UpdateError::Spawn {
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
