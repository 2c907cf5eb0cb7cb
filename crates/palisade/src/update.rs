//! `palisade update --test CMD`: plan the updates `palisade outdated` finds
//! (palisade-update), try each in its own git worktree (palisade-updater), and print what
//! passed; with `--commit`, passing updates become branches.

use std::io::IsTerminal;
use std::time::Duration;

use palisade_lockfile::{DepKind, Ecosystem, LockfileKind};
use palisade_update::{PlanOptions, Step};
use palisade_updater::{
    Cancel, Change, Commit, Outcome, Section, Settings, Tool, Trial, UpdateError, Updater,
};
use serde_json::json;

use crate::Failure;
use crate::cli::UpdateArgs;
use crate::outdated::{Project, check, client, discover};

/// One tried step and how it went.
struct Tried {
    step: Step,
    result: Result<Trial, String>,
    branch: Option<String>,
}

/// `palisade update …`
pub fn run(args: UpdateArgs) -> Result<(), Failure> {
    let projects = discover(&args.registry.path)?;
    let checked = check(&args.registry, &projects)?;
    let cancel = Cancel::new();
    {
        let cancel = cancel.clone();
        let _ = crate::audit::ctrlc_on(move || cancel.cancel());
    }
    let mut tried: Vec<Tried> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for (project, checked) in projects.iter().zip(checked) {
        let Some(tool) = tool_for(project) else {
            notes.push(format!(
                "{}: {:?} projects are reported by `palisade outdated` but updated only with \
                 npm (package-lock.json) or cargo",
                project.dir.display(),
                project.lockfile.kind
            ));
            continue;
        };
        let options = PlanOptions {
            security_first: args.security_first,
            only: args.only.clone(),
            group_patch: args.group.as_deref() == Some("patch"),
        };
        let mut rows = checked.rows;
        // Peer dependencies are the host's to choose: installing one would add it to
        // `dependencies`.
        rows.retain(|r| r.kind != DepKind::Peer);
        if args.wanted {
            // Only what the declared ranges allow: the manifest stays as it is.
            rows.retain(|r| r.wanted.is_some() && r.wanted.as_deref() != Some(&r.current));
            for r in &mut rows {
                r.latest = r.wanted.clone();
                r.jump = r.wanted_jump;
                r.fixes = std::mem::take(&mut r.wanted_fixes);
                r.latest_allowed = true;
            }
        }
        let steps = palisade_update::plan(&rows, options);
        if steps.is_empty() {
            continue;
        }
        if args.dry_run {
            for step in &steps {
                println!("{}", describe(step));
            }
            continue;
        }
        tried.extend(try_project(&args, project, tool, steps, &cancel)?);
    }
    if args.dry_run {
        return Ok(());
    }
    print_results(&tried, &notes, args.json);
    Ok(())
}

/// npm projects with npm's own lockfile, and cargo projects.
fn tool_for(project: &Project) -> Option<Tool> {
    match (project.ecosystem(), project.lockfile.kind) {
        (Ecosystem::Npm, LockfileKind::PackageLock | LockfileKind::NpmShrinkwrap) => {
            Some(Tool::Npm)
        }
        (Ecosystem::CratesIo, _) => Some(Tool::Cargo),
        _ => None,
    }
}

fn try_project(
    args: &UpdateArgs,
    project: &Project,
    tool: Tool,
    steps: Vec<Step>,
    cancel: &Cancel,
) -> Result<Vec<Tried>, Failure> {
    let mut settings = Settings::new(args.test.clone()).with_timeout(args.timeout);
    if tool == Tool::Cargo && std::env::var_os("CARGO_TARGET_DIR").is_none() {
        // One target directory for every trial: each worktree would otherwise rebuild every
        // dependency from scratch.
        let target = crate::apps::home().join("cache").join("update-target");
        settings = settings.with_env("CARGO_TARGET_DIR", target.display().to_string());
    }
    let updater = Updater::new(&project.dir, settings, cancel.clone())
        .map_err(|e| Failure::Input(e.to_string()))?;
    if let Ok(dirty) = updater.repo().uncommitted()
        && !dirty.is_empty()
    {
        eprintln!(
            "note: {} uncommitted change(s) are not part of the trials (they start from HEAD {})",
            dirty.len(),
            &updater.repo().head()[..12.min(updater.repo().head().len())]
        );
    }
    let progress = |text: String| {
        if std::io::stderr().is_terminal() || std::env::var_os("PALISADE_PROGRESS").is_some() {
            eprintln!("{text}");
        }
    };
    progress(format!("running the tests on HEAD first: {}", args.test));
    let baseline = updater.baseline(tool).map_err(cancelled)?;
    if baseline.outcome != Outcome::Passed {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "the tests do not pass in a clean checkout of HEAD without any update ({:?}); fix them first:\n{}",
            baseline.outcome,
            baseline.tail
        )));
    }
    let repositories = if args.commit {
        repositories(args, project, &steps)
    } else {
        Vec::new()
    };
    let changes_of = |step: &Step| -> Vec<Change> {
        step.updates
            .iter()
            .map(|u| Change {
                tool,
                name: u.name.clone(),
                alias: u.alias.clone(),
                from: u.from.clone(),
                to: u.to.clone(),
                section: match u.kind {
                    DepKind::Dev => Section::Dev,
                    DepKind::Build => Section::Build,
                    DepKind::Optional => Section::Optional,
                    _ => Section::Normal,
                },
            })
            .collect()
    };

    if args.together {
        let all: Vec<(Step, Change)> = steps
            .iter()
            .flat_map(|s| {
                changes_of(s).into_iter().map(|c| {
                    let one = Step {
                        updates: s
                            .updates
                            .iter()
                            .filter(|u| u.name == c.name)
                            .cloned()
                            .collect(),
                    };
                    (one, c)
                })
            })
            .collect();
        progress(format!("trying {} update(s) together", all.len()));
        let bisection = palisade_update::find_breaking(&all, |subset| {
            let changes: Vec<&Change> = subset.iter().map(|(_, c)| c).collect();
            updater
                .try_changes(&changes, None)
                .map(|t| t.outcome == Outcome::Passed)
        })
        .map_err(cancelled)?;
        progress(format!("{} test run(s) in all", bisection.runs + 1));
        let mut out: Vec<Tried> = Vec::new();
        let passed: Vec<&Change> = bisection.passed.iter().map(|(_, c)| c).collect();
        let mut branch = None;
        if args.commit && !passed.is_empty() {
            let name = format!("palisade/update-{}", digest(&passed));
            let step = Step {
                updates: bisection
                    .passed
                    .iter()
                    .flat_map(|(s, _)| s.updates.clone())
                    .collect(),
            };
            let message = palisade_update::commit_message(&step, None);
            // The passing updates together are tried once more, and committed if they pass.
            match updater.try_changes(
                &passed,
                Some(Commit {
                    branch: &name,
                    message: &message,
                }),
            ) {
                Ok(trial) if trial.commit.is_some() => branch = Some(name),
                Ok(trial) => eprintln!(
                    "note: the passing updates failed together ({:?}); no branch made",
                    trial.outcome
                ),
                Err(UpdateError::Cancelled) => return Err(cancelled(UpdateError::Cancelled)),
                Err(e) => eprintln!("note: no branch made: {e}"),
            }
        }
        let trial = |outcome| Trial {
            outcome,
            tail: String::new(),
            elapsed: Duration::ZERO,
            commit: None,
        };
        for (step, _) in &bisection.passed {
            out.push(Tried {
                step: step.clone(),
                result: Ok(trial(Outcome::Passed)),
                branch: branch.clone(),
            });
        }
        for (step, _) in &bisection.broken {
            out.push(Tried {
                step: step.clone(),
                result: Ok(trial(Outcome::Failed)),
                branch: None,
            });
        }
        return Ok(out);
    }

    let mut out = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let changes = changes_of(&step);
        let refs: Vec<&Change> = changes.iter().collect();
        let branch = args.commit.then(|| branch_name(&step));
        let message =
            palisade_update::commit_message(&step, repositories.get(i).and_then(|r| r.as_deref()));
        progress(format!(
            "trying {}",
            changes
                .iter()
                .map(Change::describe)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let commit = branch.as_deref().map(|b| Commit {
            branch: b,
            message: &message,
        });
        let result = match updater.try_changes(&refs, commit) {
            Ok(trial) => Ok(trial),
            Err(UpdateError::Cancelled) => return Err(cancelled(UpdateError::Cancelled)),
            Err(e) => Err(e.to_string()),
        };
        let branch = match &result {
            Ok(t) if t.commit.is_some() => branch,
            _ => None,
        };
        out.push(Tried {
            step,
            result,
            branch,
        });
    }
    Ok(out)
}

/// The repository link of each step's package (npm's full packument), for commit messages.
fn repositories(args: &UpdateArgs, project: &Project, steps: &[Step]) -> Vec<Option<String>> {
    if project.ecosystem() != Ecosystem::Npm {
        return vec![None; steps.len()];
    }
    let Ok(client) = client(&args.registry, &project.dir) else {
        return vec![None; steps.len()];
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return vec![None; steps.len()];
    };
    steps
        .iter()
        .map(|s| match s.updates.as_slice() {
            [one] => runtime
                .block_on(client.npm_metadata(&one.name))
                .ok()
                .and_then(|m| m.repository),
            _ => None,
        })
        .collect()
}

/// `palisade/update-<pkg>-<version>`, or `palisade/update-patch-<digest>` for a group; npm
/// scopes become plain path segments.
fn branch_name(step: &Step) -> String {
    let clean = |s: &str| {
        s.trim_start_matches('@')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/') {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
    };
    match step.updates.as_slice() {
        [one] => format!("palisade/update-{}-{}", clean(&one.name), clean(&one.to)),
        many => {
            let changes: Vec<String> = many
                .iter()
                .map(|u| format!("{}@{}", u.name, &u.to))
                .collect();
            format!("palisade/update-patch-{}", digest(&changes))
        }
    }
}

/// A short, stable name for a set of updates, so group branches from different runs differ.
fn digest<T: std::fmt::Debug>(items: &[T]) -> String {
    use sha2::Digest;
    let text = format!("{items:?}");
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..4])
}

fn describe(step: &Step) -> String {
    let parts: Vec<String> = step
        .updates
        .iter()
        .map(|u| {
            let fixes: Vec<&str> = u.fixes.iter().map(|f| f.id.as_str()).collect();
            format!(
                "{} {} → {} ({}){}",
                u.name,
                u.from,
                &u.to,
                u.jump.as_str(),
                if fixes.is_empty() {
                    String::new()
                } else {
                    format!(" fixes {}", fixes.join(", "))
                }
            )
        })
        .collect();
    parts.join("; ")
}

fn cancelled(e: UpdateError) -> Failure {
    match e {
        UpdateError::Cancelled => {
            eprintln!("cancelled: the running command was stopped and its worktree removed");
            std::process::exit(130);
        }
        other => Failure::Runtime(other.into()),
    }
}

fn print_results(tried: &[Tried], notes: &[String], as_json: bool) {
    let outcome = |t: &Tried| match &t.result {
        Ok(trial) => match trial.outcome {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed out",
            Outcome::NotApplied => "not applied",
        },
        Err(_) => "error",
    };
    if as_json {
        let doc = json!({
            "results": tried.iter().map(|t| json!({
                "updates": t.step.updates.iter().map(|u| json!({
                    "name": u.name, "from": u.from, "to": u.to, "jump": u.jump.as_str(),
                    "fixes": u.fixes.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "outcome": outcome(t),
                "branch": t.branch,
                "commit": t.result.as_ref().ok().and_then(|r| r.commit.clone()),
                "seconds": t.result.as_ref().map(|r| r.elapsed.as_secs_f64()).unwrap_or(0.0),
                "tail": match &t.result { Ok(r) => r.tail.clone(), Err(e) => e.clone() },
            })).collect::<Vec<_>>(),
            "notes": notes,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    if tried.is_empty() {
        println!("nothing to update");
    }
    for t in tried {
        let time = t
            .result
            .as_ref()
            .map(|r| format!("{:.1}s", r.elapsed.as_secs_f64()))
            .unwrap_or_default();
        let branch = t
            .branch
            .as_deref()
            .map(|b| format!("  → {b}"))
            .unwrap_or_default();
        println!("{:<11} {}  {time}{branch}", outcome(t), describe(&t.step));
    }
    for t in tried {
        let tail = match &t.result {
            Ok(r) if r.outcome != Outcome::Passed && !r.tail.is_empty() => &r.tail,
            Err(e) => e,
            _ => continue,
        };
        println!("\n--- {} ({}):", describe(&t.step), outcome(t));
        let lines: Vec<&str> = tail.lines().collect();
        for line in &lines[lines.len().saturating_sub(15)..] {
            println!("  {line}");
        }
    }
    for note in notes {
        println!("note: {note}");
    }
}
