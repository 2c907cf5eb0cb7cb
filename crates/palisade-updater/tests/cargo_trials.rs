//! Trials of a real cargo project against a local sparse registry: `good` 1.0.0 → 1.0.1
//! passes the project's tests, `bad` 1.0.0 → 2.0.0 breaks them. Only the passing update
//! becomes a branch; the user's checkout never changes; a cancelled trial leaves no worktree.

use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use palisade_test_support::registry::CargoProject;
use palisade_updater::{
    Cancel, Change, Commit, Outcome, Section, Settings, Tool, UpdateError, Updater,
};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

struct Project {
    inner: CargoProject,
    env: Vec<(String, String)>,
}

fn project() -> Project {
    let inner = CargoProject::good_and_bad();
    let env = vec![
        (
            "CARGO_HOME".to_owned(),
            inner.cargo_home().display().to_string(),
        ),
        (
            "CARGO_TARGET_DIR".to_owned(),
            inner.home.path().join("target").display().to_string(),
        ),
        ("CARGO_TERM_COLOR".to_owned(), "never".to_owned()),
    ];
    Project { inner, env }
}

fn settings(test: &str, env: &[(String, String)]) -> Settings {
    let mut s = Settings::new(test).with_timeout(Duration::from_secs(300));
    for (k, v) in env {
        s = s.with_env(k.clone(), v.clone());
    }
    s
}

fn change(name: &str, from: &str, to: &str) -> Change {
    Change {
        tool: Tool::Cargo,
        name: name.into(),
        alias: None,
        from: from.into(),
        to: to.into(),
        section: Section::Normal,
    }
}

#[test]
fn only_the_passing_update_becomes_a_branch_and_the_checkout_is_untouched() {
    let project = project();
    let p = project.inner.dir.path();
    let before_lock = std::fs::read_to_string(p.join("Cargo.lock")).unwrap();
    let head = git(p, &["rev-parse", "HEAD"]);
    let updater = Updater::new(
        p,
        settings("cargo test --quiet", &project.env),
        Cancel::new(),
    )
    .unwrap();

    let baseline = updater.baseline(Tool::Cargo).unwrap();
    assert_eq!(baseline.outcome, Outcome::Passed, "{}", baseline.tail);

    let good = change("good", "1.0.0", "1.0.1");
    let passed = updater
        .try_changes(
            &[&good],
            Some(Commit {
                branch: "palisade/update-good-1.0.1",
                message: "Update good from 1.0.0 to 1.0.1 (patch)",
            }),
        )
        .unwrap();
    assert_eq!(passed.outcome, Outcome::Passed, "{}", passed.tail);
    let commit = passed.commit.expect("a commit on the branch");

    // bad 2.0.0 is outside `bad = "1.0.0"`: cargo add raises the requirement, the tests fail.
    let bad = change("bad", "1.0.0", "2.0.0");
    let failed = updater
        .try_changes(
            &[&bad],
            Some(Commit {
                branch: "palisade/update-bad-2.0.0",
                message: "Update bad",
            }),
        )
        .unwrap();
    assert_eq!(failed.outcome, Outcome::Failed, "{}", failed.tail);
    assert!(failed.tail.contains("total_is_two"), "{}", failed.tail);
    assert!(failed.commit.is_none());

    // The branch holds the new lockfile; nothing else changed.
    let branches = git(p, &["branch", "--list", "palisade/*"]);
    assert_eq!(branches.trim(), "palisade/update-good-1.0.1");
    assert_eq!(git(p, &["rev-parse", "palisade/update-good-1.0.1"]), commit);
    let lock_on_branch = git(p, &["show", "palisade/update-good-1.0.1:Cargo.lock"]);
    assert!(lock_on_branch.contains("name = \"good\"\nversion = \"1.0.1\""));
    assert_eq!(
        git(
            p,
            &["log", "-1", "--format=%s", "palisade/update-good-1.0.1"]
        ),
        "Update good from 1.0.0 to 1.0.1 (patch)"
    );
    assert_eq!(git(p, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(p, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(git(p, &["status", "--porcelain"]), "");
    assert_eq!(
        std::fs::read_to_string(p.join("Cargo.lock")).unwrap(),
        before_lock
    );
    assert_eq!(git(p, &["worktree", "list"]).lines().count(), 1);

    // The same branch again is refused, not overwritten.
    let again = updater.try_changes(
        &[&good],
        Some(Commit {
            branch: "palisade/update-good-1.0.1",
            message: "again",
        }),
    );
    assert!(matches!(again, Err(UpdateError::BranchExists(_))));
}

#[test]
fn a_cancelled_trial_leaves_no_worktree_behind() {
    let project = project();
    let p = project.inner.dir.path();
    let cancel = Cancel::new();
    let updater = Updater::new(p, settings("sleep 60", &project.env), cancel.clone()).unwrap();
    let flag = cancel.clone();
    let canceller = thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        flag.cancel();
    });
    let started = Instant::now();
    let result = updater.try_changes(&[&change("good", "1.0.0", "1.0.1")], None);
    canceller.join().unwrap();
    assert!(matches!(result, Err(UpdateError::Cancelled)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(50));
    assert_eq!(git(p, &["worktree", "list"]).lines().count(), 1);
    assert_eq!(git(p, &["status", "--porcelain"]), "");
}

#[test]
fn outside_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Updater::new(dir.path(), Settings::new("true"), Cancel::new()).unwrap_err();
    assert!(err.to_string().contains("not in a git repository"), "{err}");
}
