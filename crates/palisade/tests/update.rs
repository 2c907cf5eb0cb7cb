//! `palisade outdated` and `palisade update` as users run them, against registries on
//! 127.0.0.1 built from real packages (a cargo sparse index with `cargo package` archives, an
//! npm registry with `npm pack` tarballs): one update passes the project's tests, one breaks
//! them; only the passing one gets a branch and the checkout never changes.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::registry::{CargoProject, NpmRegistry};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

fn commit_all(dir: &Path) {
    git(dir, &["init", "--quiet", "--initial-branch", "main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "init"]);
}

/// A command with an isolated palisade home, cargo home and npm cache.
fn palisade(dir: &Path, home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env("PALISADE_HOME", home.join("palisade"))
        .env("PALISADE_ADVISORY_DB", home.join("no-advisories"))
        .env("CARGO_HOME", home.join("cargo"))
        .env("CARGO_TARGET_DIR", home.join("target"))
        .env("npm_config_cache", home.join("npm-cache"))
        .env("npm_config_update_notifier", "false")
        .env("HOME", home)
        .stdin(Stdio::null());
    c
}

/// The JSON a successful `palisade update --json` printed.
fn succeeded(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The result of the step that updates `name`.
fn result_of(doc: &serde_json::Value, name: &str) -> serde_json::Value {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["updates"][0]["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name}: {doc}"))
        .clone()
}

fn run(dir: &Path, home: &Path, args: &[&str]) -> Output {
    palisade(dir, home, args).output().unwrap()
}

fn cargo_project() -> CargoProject {
    CargoProject::good_and_bad()
}

#[test]
fn cargo_outdated_then_update_branches_only_the_passing_one() {
    let project = cargo_project();
    let (p, home) = (project.dir.path(), project.home.path());

    let out = run(p, home, &["outdated", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "outdated exits 1: {}",
        text(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["projects"][0]["dependencies"].as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(row("good")["latest"], "1.0.1");
    assert_eq!(row("good")["wanted"], "1.0.1");
    assert_eq!(row("good")["jump"], "patch");
    assert_eq!(row("bad")["latest"], "2.0.0");
    assert_eq!(row("bad")["wanted"], "1.0.0");
    assert_eq!(row("bad")["jump"], "major");
    let asked = project.registry.server().hits();
    assert!(asked.iter().any(|h| h == "/go/od/good"), "{asked:?}");

    let head = git(p, &["rev-parse", "HEAD"]);
    let lock_before = std::fs::read_to_string(p.join("Cargo.lock")).unwrap();
    // As from a git hook (husky, pre-push): GIT_DIR and GIT_INDEX_FILE point at the user's
    // repository, and must not steer the trials' git commands into it.
    let out = palisade(
        p,
        home,
        &[
            "update",
            "--test",
            "cargo test --quiet",
            "--commit",
            "--json",
        ],
    )
    .env("GIT_DIR", p.join(".git"))
    .env("GIT_INDEX_FILE", p.join(".git/index"))
    .output()
    .unwrap();
    let doc = succeeded(&out);
    let result = |name: &str| result_of(&doc, name);
    assert_eq!(result("good")["outcome"], "passed");
    assert_eq!(result("good")["branch"], "palisade/update-good-1.0.1");
    assert_eq!(result("bad")["outcome"], "failed");
    assert!(result("bad")["branch"].is_null());
    assert!(
        result("bad")["tail"]
            .as_str()
            .unwrap()
            .contains("total_is_two")
    );

    assert_eq!(
        git(p, &["branch", "--list", "palisade/*"]),
        "palisade/update-good-1.0.1"
    );
    assert!(
        git(p, &["show", "palisade/update-good-1.0.1:Cargo.lock"])
            .contains("name = \"good\"\nversion = \"1.0.1\"")
    );
    assert_eq!(git(p, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(p, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(git(p, &["status", "--porcelain"]), "");
    assert_eq!(
        std::fs::read_to_string(p.join("Cargo.lock")).unwrap(),
        lock_before
    );
    assert_eq!(git(p, &["worktree", "list"]).lines().count(), 1);
}

#[test]
fn together_bisects_to_the_breaking_update() {
    let project = cargo_project();
    let (p, home) = (project.dir.path(), project.home.path());
    let out = run(
        p,
        home,
        &[
            "update",
            "--test",
            "cargo test --quiet",
            "--together",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes: Vec<(String, String)> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["updates"][0]["name"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&("good".into(), "passed".into())),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&("bad".into(), "failed".into())),
        "{outcomes:?}"
    );
}

#[test]
fn sigint_during_a_trial_leaves_no_worktree() {
    let project = cargo_project();
    let (p, home) = (project.dir.path(), project.home.path());
    let marker = home.join("started");
    let test = format!("touch {}; sleep 60", marker.display());
    let mut child = palisade(p, home, &["update", "--test", &test])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the baseline run to start, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !marker.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(marker.exists(), "the test command never started");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(git(p, &["worktree", "list"]).lines().count(), 1);
    assert_eq!(git(p, &["status", "--porcelain"]), "");
}

#[test]
fn a_registry_that_is_down_is_a_clear_error() {
    let project = cargo_project();
    let (p, home) = (project.dir.path(), project.home.path());
    let index = project.registry.index_url();
    drop(project.registry);
    let started = Instant::now();
    let out = run(p, home, &["outdated", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(index.trim_start_matches("sparse+").trim_end_matches('/')),
        "{err}"
    );
    assert!(err.contains("unreachable"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn npm_outdated_then_update_with_npm_install() {
    let registry = NpmRegistry::new();
    registry.publish("left-pad-ok", "1.0.0", "module.exports = () => 1;\n", true);
    registry.publish("left-pad-ok", "1.0.1", "module.exports = () => 1;\n", true);
    registry.publish("breaks-api", "1.0.0", "module.exports = () => 1;\n", true);
    registry.publish("breaks-api", "2.0.0", "module.exports = () => 2;\n", true);
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join(".npmrc"), format!("registry={}\n", registry.url())).unwrap();
    std::fs::write(
        p.join("package.json"),
        r#"{"name": "app", "version": "1.0.0", "private": true,
  "scripts": {"test": "node test.js"},
  "dependencies": {"left-pad-ok": "1.0.0", "breaks-api": "^1.0.0"}}"#,
    )
    .unwrap();
    std::fs::write(
        p.join("test.js"),
        "const a = require('left-pad-ok')(), b = require('breaks-api')();\n\
         if (a + b !== 2) { console.error('total is ' + (a + b)); process.exit(1); }\n",
    )
    .unwrap();
    std::fs::write(p.join(".gitignore"), "node_modules/\n").unwrap();
    let install = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund"])
        .current_dir(p)
        .env("npm_config_cache", home.path().join("npm-cache"))
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "npm install: {}",
        text(&install.stderr)
    );
    commit_all(p);

    let out = run(p, home.path(), &["outdated", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["projects"][0]["dependencies"].as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(row("left-pad-ok")["latest"], "1.0.1");
    assert_eq!(row("left-pad-ok")["wanted"], "1.0.0"); // pinned exactly
    assert_eq!(row("breaks-api")["latest"], "2.0.0");

    let out = run(
        p,
        home.path(),
        &["update", "--test", "npm test", "--commit", "--json"],
    );
    let doc = succeeded(&out);
    let result = |name: &str| result_of(&doc, name);
    assert_eq!(result("left-pad-ok")["outcome"], "passed", "{doc}");
    assert_eq!(result("breaks-api")["outcome"], "failed", "{doc}");
    assert_eq!(
        git(p, &["branch", "--list", "palisade/*"]),
        "palisade/update-left-pad-ok-1.0.1"
    );
    let manifest = git(
        p,
        &["show", "palisade/update-left-pad-ok-1.0.1:package.json"],
    );
    assert!(manifest.contains("1.0.1"), "{manifest}");
    let message = git(
        p,
        &[
            "log",
            "-1",
            "--format=%B",
            "palisade/update-left-pad-ok-1.0.1",
        ],
    );
    assert!(
        message.starts_with("Update left-pad-ok from 1.0.0 to 1.0.1 (patch"),
        "{message}"
    );
    assert!(
        message.contains("https://github.com/example/left-pad-ok"),
        "{message}"
    );
    assert_eq!(git(p, &["status", "--porcelain"]), "");
    assert_eq!(git(p, &["worktree", "list"]).lines().count(), 1);
}
