//! `palisade outdated`: find the project's manifests and lockfiles, ask the registries (npm,
//! cargo's sparse index) what they publish, and print what palisade-update computes — plus
//! whether node and rustc are still supported. `palisade update` starts the same way.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use palisade_advisory::{Index, Wanted};
use palisade_lockfile::{DeclaredSource, Ecosystem, Lockfile, Manifest, ManifestKind};
use palisade_registry::{
    CargoRegistry, CargoSources, Client, DiskCache, NpmConfig, Request, Settings, Versions,
};
use palisade_update::{Available, Date, Jump, Outdated, Published, Status};
use palisade_vulndb::Database;
use serde_json::json;

use crate::Failure;
use crate::cli::{OutdatedArgs, RegistryArgs};

/// A manifest with its lockfile.
pub(crate) struct Project {
    /// The directory of the manifest.
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// The Cargo workspace root's manifest, when the project is a member of one.
    pub workspace_root: Option<Manifest>,
    pub lockfile: Lockfile,
    /// The lockfile's path as shown.
    pub lockfile_path: PathBuf,
}

impl Project {
    pub(crate) fn ecosystem(&self) -> Ecosystem {
        self.manifest.kind.ecosystem()
    }
}

const NPM_LOCKFILES: [&str; 4] = [
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
];

/// The npm and Cargo projects in `dir`: `package.json` with a lockfile beside it, and
/// `Cargo.toml` with the `Cargo.lock` of its workspace (members of a workspace root included).
pub(crate) fn discover(dir: &Path) -> Result<Vec<Project>, Failure> {
    if !dir.is_dir() {
        return Err(Failure::Input(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    let mut projects = Vec::new();
    if dir.join("package.json").is_file() {
        let manifest = read_manifest(&dir.join("package.json"))?;
        let lockfile = NPM_LOCKFILES
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Failure::Input(format!(
                    "{}: package.json has no lockfile beside it (run `npm install` first)",
                    dir.display()
                ))
            })?;
        let lock = read_lockfile(&lockfile, Some(&dir.join("package.json")))?;
        projects.push(Project {
            dir: dir.to_path_buf(),
            manifest,
            workspace_root: None,
            lockfile: lock,
            lockfile_path: lockfile,
        });
    }
    if dir.join("Cargo.toml").is_file() {
        let manifest = read_manifest(&dir.join("Cargo.toml"))?;
        let (root_dir, root) = cargo_workspace_root(dir)?;
        let lockfile = root_dir.join("Cargo.lock");
        if !lockfile.is_file() {
            return Err(Failure::Input(format!(
                "{}: no Cargo.lock (run `cargo generate-lockfile` first)",
                root_dir.display()
            )));
        }
        let lock = read_lockfile(&lockfile, None)?;
        let members = if root_dir == dir {
            workspace_members(dir)?
        } else {
            Vec::new()
        };
        // Members inherit from this manifest when it is the workspace root.
        let members_root = root.clone().or_else(|| Some(manifest.clone()));
        // A virtual workspace root declares no dependencies of its own.
        if !manifest.dependencies.is_empty() || members.is_empty() {
            projects.push(Project {
                dir: dir.to_path_buf(),
                manifest,
                workspace_root: root,
                lockfile: lock.clone(),
                lockfile_path: lockfile.clone(),
            });
        }
        for member in members {
            projects.push(Project {
                manifest: read_manifest(&member.join("Cargo.toml"))?,
                dir: member,
                workspace_root: members_root.clone(),
                lockfile: lock.clone(),
                lockfile_path: lockfile.clone(),
            });
        }
    }
    if projects.is_empty() {
        return Err(Failure::Input(format!(
            "{}: no package.json or Cargo.toml",
            dir.display()
        )));
    }
    Ok(projects)
}

fn read_manifest(path: &Path) -> Result<Manifest, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", path.display())))?;
    palisade_lockfile::read_manifest(&path.display().to_string(), &text)
        .map_err(|e| Failure::Input(e.to_string()))
}

fn read_lockfile(path: &Path, manifest: Option<&Path>) -> Result<Lockfile, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", path.display())))?;
    let manifest = manifest.and_then(|m| std::fs::read_to_string(m).ok());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    palisade_lockfile::parse_with_manifest(name, &text, manifest.as_deref())
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))
}

/// The nearest directory at or above `dir` whose Cargo.toml has a `[workspace]` table (and
/// that manifest), else `dir` itself.
fn cargo_workspace_root(dir: &Path) -> Result<(PathBuf, Option<Manifest>), Failure> {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    for candidate in absolute.ancestors() {
        let toml_path = candidate.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&toml_path) else {
            continue;
        };
        if text
            .parse::<toml::Table>()
            .is_ok_and(|t| t.contains_key("workspace"))
        {
            let root = if candidate == absolute {
                None
            } else {
                Some(read_manifest(&toml_path)?)
            };
            let root_dir = if candidate == absolute {
                dir.to_path_buf()
            } else {
                candidate.to_path_buf()
            };
            return Ok((root_dir, root));
        }
    }
    Ok((dir.to_path_buf(), None))
}

/// The member directories of the workspace whose root is `dir` (`members` entries, with a
/// trailing `*` expanded; `exclude` honoured).
fn workspace_members(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(Vec::new());
    };
    let list = |key: &str| -> Vec<String> {
        table
            .get("workspace")
            .and_then(|w| w.get(key))
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let exclude: Vec<PathBuf> = list("exclude").iter().map(|e| dir.join(e)).collect();
    let mut members = Vec::new();
    for pattern in list("members") {
        let candidates: Vec<PathBuf> = match pattern.strip_suffix("/*") {
            Some(parent) => {
                let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir.join(parent))
                    .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                    .unwrap_or_default();
                dirs.sort();
                dirs
            }
            None => vec![dir.join(&pattern)],
        };
        for member in candidates {
            if member != dir
                && member.join("Cargo.toml").is_file()
                && !exclude.contains(&member)
                && !members.contains(&member)
            {
                members.push(member);
            }
        }
    }
    Ok(members)
}

/// The rows of one project, with the dependencies that could not be checked and why.
pub(crate) struct Checked {
    pub rows: Vec<Outdated>,
    pub notes: Vec<String>,
}

/// Asks the registries about every registry dependency of `projects` and computes the rows.
pub(crate) fn check(args: &RegistryArgs, projects: &[Project]) -> Result<Vec<Checked>, Failure> {
    let index = advisories(args, projects);
    let client = client(args, &args.path)?;
    let joined: Vec<_> = projects
        .iter()
        .map(|p| palisade_update::dependencies(&p.manifest, p.workspace_root.as_ref(), &p.lockfile))
        .collect();
    // One request per (ecosystem, name), whatever the number of projects naming it.
    let mut requests: BTreeMap<(Ecosystem, String), usize> = BTreeMap::new();
    for dep in joined.iter().flat_map(|j| &j.dependencies) {
        let next = requests.len();
        requests
            .entry((dep.ecosystem, dep.name.clone()))
            .or_insert(next);
    }
    let mut ordered: Vec<(&(Ecosystem, String), &usize)> = requests.iter().collect();
    ordered.sort_by_key(|(_, i)| **i);
    let list: Vec<Request> = ordered
        .iter()
        .map(|((ecosystem, name), _)| match ecosystem {
            Ecosystem::Npm => Request::Npm { name: name.clone() },
            _ => Request::Crate {
                name: name.clone(),
                registry: CargoRegistry::CratesIo,
            },
        })
        .collect();
    let answers = fetch(&client, &list)?;

    let mut out = Vec::new();
    for joined in joined {
        let mut checked = Checked {
            rows: Vec::new(),
            // Path and workspace dependencies are the project's own code: not worth a note.
            notes: joined
                .skipped
                .iter()
                .filter(|s| {
                    !matches!(
                        s.reason,
                        palisade_update::SkipReason::NotFromRegistry(
                            DeclaredSource::Path { .. } | DeclaredSource::Workspace
                        )
                    )
                })
                .map(|s| format!("{}: {}", s.key, skip_reason(&s.reason)))
                .collect(),
        };
        for dep in &joined.dependencies {
            let at = requests[&(dep.ecosystem, dep.name.clone())];
            let available = match &answers[at] {
                Ok(available) => available,
                Err(e) => {
                    checked.notes.push(format!("{}: {e}", dep.key()));
                    continue;
                }
            };
            match palisade_update::outdated(dep, available, &index) {
                Ok(row) => checked.rows.push(row),
                Err(e) => checked.notes.push(format!("{}: {e}", dep.key())),
            }
        }
        out.push(checked);
    }
    Ok(out)
}

fn skip_reason(reason: &palisade_update::SkipReason) -> String {
    use palisade_update::SkipReason;
    match reason {
        SkipReason::NotFromRegistry(source) => {
            format!("not from a registry ({source:?}): nothing to compare with")
        }
        SkipReason::NotLocked => "not in the lockfile (run the install first)".to_owned(),
        SkipReason::NotInWorkspace => {
            "`workspace = true`, but the workspace root does not declare it".to_owned()
        }
        other => format!("{other:?}"),
    }
}

/// The registry client for a project directory, with the cache unless `--no-cache`.
pub(crate) fn client(args: &RegistryArgs, dir: &Path) -> Result<Client, Failure> {
    let env = |name: &str| std::env::var(name).ok();
    let npm = NpmConfig::load(dir, std::env::home_dir().as_deref(), env)
        .map_err(|e| Failure::Input(e.to_string()))?;
    let cargo_home = std::env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|h| h.join(".cargo")));
    let cargo = CargoSources::load(dir, cargo_home.as_deref())
        .map_err(|e| Failure::Input(e.to_string()))?;
    let settings = Settings {
        concurrency: args.concurrency.max(1),
        ..Settings::default()
    };
    let client = Client::new(settings, npm, cargo).map_err(|e| Failure::Input(e.to_string()))?;
    Ok(if args.no_cache {
        client
    } else {
        client.with_cache(
            DiskCache::new(crate::apps::home().join("cache").join("registry"))
                .with_ttl(args.cache_ttl),
        )
    })
}

/// Fetches every request with a progress bar on a terminal. A registry that is down is an
/// error for the whole command: a table with holes would read as "up to date".
fn fetch(client: &Client, requests: &[Request]) -> Result<Vec<Result<Available, String>>, Failure> {
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(requests.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix("asking the registries");
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(e.into()))?;
    let answers =
        runtime.block_on(client.fetch_all(requests, |done, _| bar.set_position(done as u64)));
    bar.finish_and_clear();
    let mut out = Vec::with_capacity(answers.len());
    for answer in answers {
        out.push(match answer {
            Ok(Versions::Npm(p)) => Ok(Available {
                latest_tag: p.latest().map(str::to_owned),
                versions: p
                    .versions
                    .iter()
                    .map(|v| Published {
                        version: v.version.clone(),
                        yanked_or_deprecated: v.deprecated.is_some(),
                    })
                    .collect(),
            }),
            Ok(Versions::Crate(c)) => Ok(Available {
                latest_tag: None,
                versions: c
                    .versions
                    .iter()
                    .map(|v| Published {
                        version: v.version.clone(),
                        yanked_or_deprecated: v.yanked,
                    })
                    .collect(),
            }),
            Err(e) if e.is_registry_down() => {
                return Err(Failure::Runtime(anyhow::anyhow!("{e}")));
            }
            Err(e) => Err(e.to_string()),
        });
    }
    Ok(out)
}

/// The advisories naming the projects' dependencies, or an empty index when no database was
/// imported (the rows then say nothing about fixes).
fn advisories(args: &RegistryArgs, projects: &[Project]) -> Index {
    let database = args
        .database
        .clone()
        .or_else(|| std::env::var_os("PALISADE_ADVISORY_DB").map(PathBuf::from))
        .unwrap_or_else(|| crate::apps::home().join("advisories"));
    let Ok(db) = Database::open(&database) else {
        return Index::new([]);
    };
    if db.status().sources.is_empty() {
        return Index::new([]);
    }
    let mut wanted = Wanted::default();
    for p in projects {
        let ecosystem = palisade_advisory::Ecosystem::from_osv(p.ecosystem().as_str());
        for package in &p.lockfile.packages {
            wanted.insert(&ecosystem, &package.name);
        }
    }
    db.load_for(&wanted)
        .map(|l| l.index)
        .unwrap_or_else(|_| Index::new([]))
}

pub(crate) fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Date::from_unix_seconds(secs)
}

/// `palisade outdated …`
pub fn run(args: OutdatedArgs) -> Result<(), Failure> {
    let projects = discover(&args.registry.path)?;
    let checked = check(&args.registry, &projects)?;
    let runtimes = runtimes();
    let any_outdated = checked
        .iter()
        .flat_map(|c| &c.rows)
        .any(Outdated::is_outdated);
    let doc = json!({
        "projects": projects.iter().zip(&checked).map(|(p, c)| json!({
            "dir": p.dir.display().to_string(),
            "lockfile": p.lockfile_path.display().to_string(),
            "ecosystem": p.ecosystem().as_str(),
            "dependencies": c.rows.iter().filter(|r| args.all || r.is_outdated()).map(row_json).collect::<Vec<_>>(),
            "notes": c.notes,
        })).collect::<Vec<_>>(),
        "runtimes": runtimes.iter().map(|r| json!({"name": r.name, "version": r.version, "supported": r.supported, "advice": r.advice})).collect::<Vec<_>>(),
    });
    crate::reports::save_outdated(&args, &doc);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| Failure::Runtime(e.into()))?
        );
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        for (p, c) in projects.iter().zip(&checked) {
            print!("{}", table(p, c, args.all, color));
        }
        for r in &runtimes {
            let mark = if r.supported { "ok" } else { "UNSUPPORTED" };
            println!("{} {}: {mark} — {}", r.name, r.version, r.advice);
        }
    }
    if any_outdated {
        std::process::exit(1);
    }
    Ok(())
}

fn row_json(r: &Outdated) -> serde_json::Value {
    let fixes = |f: &[palisade_update::Fix]| {
        f.iter()
            .map(|f| json!({"id": f.id.as_str(), "severity": f.severity.map(|s| s.to_string())}))
            .collect::<Vec<_>>()
    };
    json!({
        "name": r.name,
        "alias": r.alias,
        "kind": format!("{:?}", r.kind).to_lowercase(),
        "requirement": r.requirement,
        "current": r.current,
        "wanted": r.wanted,
        "latest": r.latest,
        "latest_allowed": r.latest_allowed,
        "status": format!("{:?}", r.status).to_lowercase(),
        "jump": r.jump.as_str(),
        "wanted_jump": r.wanted_jump.as_str(),
        "fixes": fixes(&r.fixes),
        "wanted_fixes": fixes(&r.wanted_fixes),
        "unfixed": fixes(&r.unfixed),
    })
}

fn table(project: &Project, checked: &Checked, all: bool, color: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({})",
        project.dir.display(),
        project.manifest.kind_name()
    );
    let rows: Vec<&Outdated> = checked
        .rows
        .iter()
        .filter(|r| all || r.is_outdated())
        .collect();
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "  all {} dependencies are up to date",
            checked.rows.len()
        );
    } else {
        let header = [
            "package", "current", "wanted", "latest", "jump", "kind", "fixes",
        ];
        let cells: Vec<[String; 7]> = rows
            .iter()
            .map(|r| {
                [
                    r.key().to_owned(),
                    r.current.clone(),
                    r.wanted.clone().unwrap_or_else(|| "-".into()),
                    r.latest.clone().unwrap_or_else(|| "-".into()),
                    match r.status {
                        Status::Outdated => r.jump.as_str().to_owned(),
                        other => format!("{other:?}").to_lowercase(),
                    },
                    format!("{:?}", r.kind).to_lowercase(),
                    r.fixes
                        .iter()
                        .map(|f| match f.severity {
                            Some(s) => format!("{} ({s})", f.id.as_str()),
                            None => f.id.as_str().to_owned(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..7)
            .map(|i| {
                cells
                    .iter()
                    .map(|c| c[i].chars().count())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |c: &[&str]| {
            let mut s = String::from(" ");
            for (i, cell) in c.iter().enumerate() {
                let _ = write!(s, " {cell:<w$}", w = widths[i]);
            }
            s.trim_end().to_owned()
        };
        let _ = writeln!(out, "{}", line(&header));
        for (r, c) in rows.iter().zip(&cells) {
            let refs: Vec<&str> = c.iter().map(String::as_str).collect();
            let text = line(&refs);
            let paint = match (color, r.jump) {
                (false, _) => None,
                (true, Jump::Major) => Some("31"),
                (true, Jump::Minor) => Some("33"),
                (true, Jump::Patch) => Some("32"),
                (true, _) => None,
            };
            match paint {
                Some(code) => {
                    let _ = writeln!(out, "\x1b[{code}m{text}\x1b[0m");
                }
                None => {
                    let _ = writeln!(out, "{text}");
                }
            }
        }
    }
    for note in &checked.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    out.push('\n');
    out
}

/// A runtime on PATH and whether it is still supported.
struct Runtime {
    name: &'static str,
    version: String,
    supported: bool,
    advice: String,
}

/// `node --version` and `rustc --version`, when installed, against the shipped schedules.
fn runtimes() -> Vec<Runtime> {
    let version_of = |program: &str| -> Option<String> {
        let out = std::process::Command::new(program)
            .arg("--version")
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let today = today();
    let mut out = Vec::new();
    if let Some(v) = version_of("node")
        && let Ok(status) = palisade_update::node_status(&v, today)
    {
        out.push(Runtime {
            name: "node",
            supported: !matches!(status.status, palisade_update::NodePhase::EndOfLife),
            version: v.trim_start_matches('v').to_owned(),
            advice: status.advice,
        });
    }
    if let Some(v) = version_of("rustc") {
        let version = v.split_whitespace().nth(1).unwrap_or(&v).to_owned();
        if let Ok(status) = palisade_update::rustc_status(&version, today) {
            out.push(Runtime {
                name: "rustc",
                supported: status.supported,
                version,
                advice: status.advice,
            });
        }
    }
    out
}

trait KindName {
    fn kind_name(&self) -> &'static str;
}

impl KindName for Manifest {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            ManifestKind::PackageJson => "npm",
            ManifestKind::CargoToml => "cargo",
            _ => "manifest",
        }
    }
}
