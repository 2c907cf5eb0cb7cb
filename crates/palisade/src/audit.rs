//! `palisade audit`: find lockfiles, load the advisory database, report; `audit db import|status`
//! manage the database; `--watch` re-audits on change and emits `vulnerable_dependency` events.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use palisade_advisory::{Index, Severity as AdvisorySeverity, Wanted};
use palisade_audit::{AuditSettings, Date, FailOn, IgnoreFile, Report, Target, render};
use palisade_core::{Category, Event, Severity};
use palisade_lockfile::{Lockfile, kind_of};
use palisade_vulndb::{Database, SourceName};

use crate::Failure;
use crate::cli::{AuditArgs, AuditDbCommand, AuditFormat};

/// A database older than this gets a warning before the report.
pub(crate) const STALE: Duration = Duration::from_secs(7 * 24 * 3600);

/// `$PALISADE_ADVISORY_DB`, else `$PALISADE_HOME/advisories`.
fn default_database() -> PathBuf {
    std::env::var_os("PALISADE_ADVISORY_DB")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::apps::home().join("advisories"))
}

/// `palisade audit …`
pub fn run(args: AuditArgs) -> Result<(), Failure> {
    let database = args.database.clone().unwrap_or_else(default_database);
    match args.command {
        Some(AuditDbCommand::Db(db)) => match db {
            crate::cli::DbCommand::Import { source, name } => {
                import(&database, &source, name.as_deref())
            }
            crate::cli::DbCommand::Remove { name } => remove(&database, &name),
            crate::cli::DbCommand::Status { json } => status(&database, json),
        },
        None if args.watch => watch(&args, &database),
        None => {
            let (inputs, index) = match &args.osv_api {
                Some(url) => {
                    let inputs = read_inputs(&args)?;
                    let index = online_index(url, &inputs.reads)?;
                    (inputs, index)
                }
                None => {
                    // The database is checked first: without one, nothing else matters.
                    let db = open_database(&database)?;
                    let inputs = read_inputs(&args)?;
                    let index = load(&db, Some(&wanted(&inputs.reads)))?;
                    (inputs, index)
                }
            };
            let (report, _) = audit_inputs(&args, inputs, &index)?;
            crate::reports::save_audit(&args, &database, &report);
            let mut out = std::io::stdout().lock();
            let written = out
                .write_all(render_report(&report, args.output()).as_bytes())
                .and_then(|()| out.flush());
            match written {
                // `palisade audit | head` is not a failure.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(Failure::Runtime(anyhow::anyhow!("writing the report: {e}")));
                }
                _ => {}
            }
            let fail_on = args.fail_on.unwrap_or(FailOn::Low);
            // The report, index and lockfiles are left for the exit to free: dropping
            // thousands of small strings one by one was a tenth of a large audit.
            std::process::exit(i32::from(report.fails(&fail_on)));
        }
    }
}

fn import(database: &Path, source: &Path, name: Option<&str>) -> Result<(), Failure> {
    if !source.exists() {
        return Err(Failure::Input(format!(
            "{}: no such file or directory",
            source.display()
        )));
    }
    let name = name
        .map(SourceName::parse)
        .transpose()
        .map_err(|e| Failure::Input(format!("--name: {e}")))?;
    let mut db = Database::open(database).map_err(|e| Failure::Input(e.to_string()))?;
    let report = match name {
        Some(name) => db.import_as(source, name),
        None => db.import(source),
    }
    .map_err(|e| Failure::Input(format!("importing {}: {e}", source.display())))?;
    for e in &report.errors {
        eprintln!("warning: {e}");
    }
    let s = &report.source;
    println!(
        "imported {} ({}) from {}: {} records, {} withdrawn, {} advisories{}{}",
        s.name.as_str(),
        s.kind.as_str(),
        s.origin.display(),
        s.records,
        s.withdrawn,
        s.advisories,
        if report.failed > 0 {
            format!(", {} files failed", report.failed)
        } else {
            String::new()
        },
        if report.replaced.is_some() {
            " (replacing the earlier import)"
        } else {
            ""
        },
    );
    println!(
        "index: {} advisories from {} records in {}",
        report.index.advisories,
        report.index.records,
        database.display()
    );
    Ok(())
}

fn status(database: &Path, json: bool) -> Result<(), Failure> {
    let db = Database::open(database).map_err(|e| Failure::Input(e.to_string()))?;
    let st = db.status();
    let now = SystemTime::now();
    if json {
        let sources: Vec<_> = st.sources.iter().map(|s| source_json(s, now)).collect();
        let doc = serde_json::json!({
            "database": st.dir.display().to_string(),
            "sources": sources,
            "advisories": st.index.map(|i| i.stats.advisories),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    println!("advisory database: {}", st.dir.display());
    if st.sources.is_empty() {
        println!("  empty: import data with `palisade audit db import PATH`");
        return Ok(());
    }
    println!(
        "  {:<16} {:<10} {:>8} {:>10} {:>12}  {:<22} ORIGIN",
        "SOURCE", "KIND", "RECORDS", "WITHDRAWN", "ADVISORIES", "NEWEST"
    );
    for s in &st.sources {
        let age = s.age_at(now);
        println!(
            "  {:<16} {:<10} {:>8} {:>10} {:>12}  {:<22} {}{}",
            s.name.as_str(),
            s.kind.as_str(),
            s.records,
            s.withdrawn,
            s.advisories,
            s.newest.as_deref().unwrap_or("-"),
            s.origin.display(),
            if age > STALE {
                format!("  (stale: {} days old)", age.as_secs() / 86_400)
            } else {
                String::new()
            }
        );
    }
    if let Some(i) = st.index {
        println!(
            "  index: {} advisories ({} records, {} withdrawn, {} merged), built {}",
            i.stats.advisories,
            i.stats.records,
            i.stats.withdrawn,
            i.stats.merged,
            humantime::format_rfc3339_seconds(i.built_at)
        );
    }
    Ok(())
}

/// One source as `db status --json` lists it (saved reports embed the same).
pub(crate) fn source_json(s: &palisade_vulndb::SourceStatus, now: SystemTime) -> serde_json::Value {
    serde_json::json!({
        "name": s.name.as_str(),
        "kind": s.kind.as_str(),
        "origin": s.origin.display().to_string(),
        "records": s.records,
        "withdrawn": s.withdrawn,
        "advisories": s.advisories,
        "failed": s.failed,
        "imported_at": humantime::format_rfc3339_seconds(s.imported_at).to_string(),
        "newest": s.newest,
        "age_days": s.age_at(now).as_secs() / 86_400,
        "stale": s.age_at(now) > STALE,
    })
}

fn remove(database: &Path, name: &str) -> Result<(), Failure> {
    let name = SourceName::parse(name).map_err(|e| Failure::Input(e.to_string()))?;
    let mut db = Database::open(database).map_err(|e| Failure::Input(e.to_string()))?;
    db.remove(&name)
        .map_err(|e| Failure::Input(e.to_string()))?;
    let left = db.status().sources.len();
    println!(
        "removed {} from {}; {left} source(s) left",
        name.as_str(),
        database.display()
    );
    if left == 0 {
        eprintln!(
            "warning: the database is empty: `palisade audit` fails until advisories are \
             imported again"
        );
    }
    Ok(())
}

/// Opens the database, warning about stale sources; an empty one is an input error (no data
/// must never read as "no vulnerabilities").
fn open_database(database: &Path) -> Result<Database, Failure> {
    let db = Database::open(database).map_err(|e| Failure::Input(e.to_string()))?;
    let st = db.status();
    if st.sources.is_empty() {
        return Err(Failure::Input(format!(
            "no advisory data in {}: import some with `palisade audit db import PATH` \
             (a directory of OSV records, an osv.dev all.zip, or a RustSec advisory-db checkout)",
            database.display()
        )));
    }
    for s in st.stale_sources_at(STALE, SystemTime::now()) {
        eprintln!(
            "warning: advisory source {} is {} days old; import a fresh copy",
            s.name.as_str(),
            s.age_at(SystemTime::now()).as_secs() / 86_400
        );
    }
    Ok(db)
}

/// Loads the index: only the advisories for `wanted` packages when given.
fn load(db: &Database, wanted: Option<&Wanted>) -> Result<Index, Failure> {
    let loaded = match wanted {
        Some(wanted) => db.load_for(wanted),
        None => db.load(),
    }
    .map_err(|e| Failure::Input(e.to_string()))?;
    if let Some(r) = &loaded.rebuilt {
        tracing::debug!("advisory index rebuilt: {}", r.reason);
    }
    Ok(loaded.index)
}

/// An index of the advisories an OSV API knows for the lockfiles' packages: one
/// `querybatch` pass for the ids, then the records themselves.
fn online_index(base_url: &str, reads: &[Read]) -> Result<Index, Failure> {
    use palisade_vulndb::osv_api::{Client, Query, Settings};
    let packages: Vec<(palisade_advisory::Ecosystem, &str, &str)> = reads
        .iter()
        .flat_map(|r| &r.lockfile.packages)
        .filter(|p| p.source.is_auditable() && !p.version.is_empty())
        .map(|p| {
            (
                palisade_advisory::Ecosystem::from_osv(p.ecosystem.as_str()),
                p.name.as_str(),
                p.version.as_str(),
            )
        })
        .collect();
    let queries: Vec<Query<'_>> = packages
        .iter()
        .map(|(ecosystem, name, version)| Query {
            ecosystem,
            name,
            version,
        })
        .collect();
    let online =
        |e: palisade_vulndb::DbError| Failure::Runtime(anyhow::anyhow!("OSV API {base_url}: {e}"));
    let client = Client::new(base_url, Settings::default())
        .map_err(|e| Failure::Input(format!("--osv-api {base_url}: {e}")))?;
    let ids: BTreeSet<String> = client
        .query_batch(&queries)
        .map_err(online)?
        .into_iter()
        .flatten()
        .collect();
    let fetched = client
        .fetch(ids.iter().map(String::as_str))
        .map_err(online)?;
    for e in &fetched.errors {
        eprintln!("warning: {e}");
    }
    Ok(Index::new(fetched.advisories))
}

/// The lockfiles under `root` (or `root` itself), skipping dependency and build trees and
/// honouring `.gitignore`.
fn find_lockfiles(root: &Path) -> Result<Vec<PathBuf>, Failure> {
    if root.is_file() {
        return match root.file_name().and_then(|n| n.to_str()).and_then(kind_of) {
            Some(_) => Ok(vec![root.to_path_buf()]),
            None => Err(Failure::Input(format!(
                "{}: not a lockfile palisade reads (Cargo.lock, package-lock.json, \
                 npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, poetry.lock, Pipfile.lock, \
                 requirements*.txt)",
                root.display()
            ))),
        };
    }
    if !root.is_dir() {
        return Err(Failure::Input(format!(
            "{}: no such file or directory",
            root.display()
        )));
    }
    let mut found = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some("node_modules" | "target" | ".git" | ".venv" | "venv" | "__pycache__")
            )
        })
        .build();
    for entry in walker {
        let entry =
            entry.map_err(|e| Failure::Input(format!("walking {}: {e}", root.display())))?;
        if entry.file_type().is_some_and(|t| t.is_file())
            && entry.file_name().to_str().and_then(kind_of).is_some()
        {
            found.push(entry.into_path());
        }
    }
    found.sort();
    Ok(found)
}

/// One lockfile read: its display path, its text and the parse.
/// One lockfile, read and parsed.
pub(crate) struct Read {
    /// The path as the user sees it.
    pub(crate) path: String,
    pub(crate) text: String,
    pub(crate) lockfile: Lockfile,
}

fn read_lockfile(path: &Path) -> Result<Read, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", path.display())))?;
    let display = path
        .strip_prefix("./")
        .unwrap_or(path)
        .display()
        .to_string();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let manifest = kind_of(name)
        .and_then(|k| k.manifest())
        .map(|m| path.with_file_name(m))
        .and_then(|m| std::fs::read_to_string(m).ok());
    // Errors name the file as the user sees it.
    let lockfile = palisade_lockfile::parse_with_manifest(name, &text, manifest.as_deref())
        .map_err(|e| Failure::Input(relocate(&e.to_string(), name, &display)))?;
    Ok(Read {
        path: display,
        text,
        lockfile,
    })
}

/// Replaces the bare file name an error starts with by the path the user knows.
fn relocate(message: &str, name: &str, path: &str) -> String {
    match message.strip_prefix(name) {
        Some(rest) if rest.starts_with(':') => format!("{path}{rest}"),
        _ => message.to_owned(),
    }
}

fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Date::from_unix_seconds(secs)
}

/// The lockfiles an audit covers, read and parsed.
pub(crate) struct Inputs {
    root: PathBuf,
    files: Vec<PathBuf>,
    reads: Vec<Read>,
}

fn read_inputs(args: &AuditArgs) -> Result<Inputs, Failure> {
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let files = find_lockfiles(&root)?;
    if files.is_empty() {
        return Err(Failure::Input(format!(
            "no lockfile found under {}",
            root.display()
        )));
    }
    let reads = files
        .iter()
        .map(|f| read_lockfile(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Inputs { root, files, reads })
}

/// The packages whose advisories an audit of `reads` needs.
fn wanted(reads: &[Read]) -> Wanted {
    let mut wanted = Wanted::default();
    for read in reads {
        // The ecosystem `Report::generate` looks packages up in: the lockfile kind's.
        let ecosystem =
            palisade_advisory::Ecosystem::from_osv(read.lockfile.kind.ecosystem().as_str());
        for package in &read.lockfile.packages {
            if package.source.is_auditable() {
                wanted.insert(&ecosystem, &package.name);
            }
        }
    }
    wanted
}

/// Generates the report; also returns the paths it depends on.
fn audit_inputs(
    args: &AuditArgs,
    inputs: Inputs,
    index: &Index,
) -> Result<(Report, Vec<PathBuf>), Failure> {
    let Inputs { root, files, reads } = inputs;
    let ignore_path = args.ignore_file.clone().unwrap_or_else(|| {
        let dir = if root.is_file() {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            root.clone()
        };
        dir.join(palisade_audit::IGNORE_FILE_NAME)
    });
    let mut settings = AuditSettings::new(today());
    match std::fs::read_to_string(&ignore_path) {
        Ok(text) => {
            let name = ignore_path.display().to_string();
            let ignores =
                IgnoreFile::parse(&name, &text).map_err(|e| Failure::Input(e.to_string()))?;
            settings = settings.with_ignores(ignores);
        }
        Err(e) if args.ignore_file.is_some() => {
            return Err(Failure::Input(format!(
                "{}: cannot read: {e}",
                ignore_path.display()
            )));
        }
        Err(_) => {}
    }
    if args.no_dev {
        settings = settings.without_dev();
    }
    if args.yanked {
        settings = settings.with_yanked(crate::yanked::check(&reads));
    }
    let targets: Vec<Target<'_>> = reads
        .iter()
        .map(|r| Target::new(&r.path, &r.lockfile).with_text(&r.text))
        .collect();
    let report = Report::generate(index, &targets, &settings);
    let mut watched = files;
    watched.push(ignore_path);
    Ok((report, watched))
}

fn render_report(report: &Report, format: AuditFormat) -> String {
    match format {
        AuditFormat::Table => {
            let color = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            {
                render::Color::Ansi
            } else {
                render::Color::Never
            };
            render::table(report, color)
        }
        AuditFormat::Json => render::json(report),
        AuditFormat::Sarif => render::sarif(report),
        AuditFormat::Markdown => render::markdown(report),
    }
}

/// The identity of a finding across audits: new ones become events.
fn finding_keys(report: &Report) -> Vec<(String, Event)> {
    let mut out = Vec::new();
    for (lf, f) in report.vulnerabilities() {
        let key = format!(
            "{}|{}|{}|{}",
            lf.path,
            f.package.name,
            f.package.version,
            f.advisory.id.as_str()
        );
        let severity = match f.severity() {
            Some(AdvisorySeverity::Critical) => Severity::Critical,
            Some(AdvisorySeverity::High) | None => Severity::High,
            Some(AdvisorySeverity::Moderate) => Severity::Medium,
            Some(_) => Severity::Low,
        };
        let rating = f
            .severity()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown severity".into());
        let mut e = Event::new(
            Category::VulnerableDependency,
            severity,
            format!(
                "{}@{} in {}: {} ({rating}): {}",
                f.package.name,
                f.package.version,
                lf.path,
                f.advisory.id.as_str(),
                f.advisory.summary
            ),
        )
        .with_rule(f.advisory.id.as_str().to_owned())
        .with_field("package", f.package.name.clone())
        .with_field("version", f.package.version.clone())
        .with_field("ecosystem", f.package.ecosystem.to_string())
        .with_field("lockfile", lf.path.clone())
        .with_field("advisory", f.advisory.id.as_str().to_owned())
        .with_field("advice", f.advice.to_string())
        .with_field("path", f.package.path.join(" > "));
        if !f.advisory.aliases.is_empty() {
            let aliases: Vec<&str> = f.advisory.aliases.iter().map(|a| a.as_str()).collect();
            e = e.with_field("aliases", aliases.join(","));
        }
        if let Some(fixed) = &f.fixed_in {
            e = e.with_field("fixed_in", fixed.clone());
        }
        out.push((key, e));
    }
    out
}

/// A cheap fingerprint of the inputs: paths, sizes and modification times.
fn fingerprint(paths: &[PathBuf]) -> Vec<(PathBuf, Option<(u64, SystemTime)>)> {
    paths
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.len(), m.modified().ok()?)));
            (p.clone(), m)
        })
        .collect()
}

/// `palisade audit --watch`: like Snyk monitor, re-audits when a lockfile, the ignore file or
/// the advisory database changes, and emits an event for each new finding.
fn watch(args: &AuditArgs, database: &Path) -> Result<(), Failure> {
    let loaded = crate::commands::load_config(args.config.as_deref())?;
    let events = crate::config::events::settings(
        &loaded.config,
        &crate::config::Source {
            name: &loaded.name,
            text: &loaded.text,
        },
    )?;
    let (emit, flush) = crate::commands::start_events(events)?;
    let interval = args.interval;
    let db_files = [database.join("meta.json"), database.join("index.postcard")];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut last_inputs = None;
    let mut last_db = None;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc_on(move || stop.store(true, std::sync::atomic::Ordering::SeqCst));
    }
    let mut index = load(&open_database(database)?, None)?;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let db_now = fingerprint(&db_files);
        if last_db.as_ref().is_some_and(|l| l != &db_now) {
            index = load(&open_database(database)?, None)?;
        }
        let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
        let inputs = find_lockfiles(&root).map(|f| fingerprint(&f)).ok();
        if last_inputs.is_none() || last_inputs != inputs || last_db.as_ref() != Some(&db_now) {
            match read_inputs(args).and_then(|inputs| audit_inputs(args, inputs, &index)) {
                Ok((report, _)) => {
                    print!("{}", render_report(&report, args.output()));
                    crate::reports::save_audit(args, database, &report);
                    let mut new = 0;
                    let current = finding_keys(&report);
                    let keys: BTreeSet<String> = current.iter().map(|(k, _)| k.clone()).collect();
                    for (key, event) in current {
                        if !seen.contains(&key) {
                            emit.emit(event);
                            new += 1;
                        }
                    }
                    if new > 0 {
                        eprintln!("{new} new finding(s) recorded as vulnerable_dependency events");
                    }
                    seen = keys;
                }
                Err(Failure::Input(msg)) => eprintln!("error: {msg}"),
                Err(Failure::Runtime(e)) => eprintln!("error: {e:#}"),
            }
            last_inputs = inputs;
            last_db = Some(db_now);
        }
        let until = std::time::Instant::now() + interval;
        while std::time::Instant::now() < until && !stop.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    flush();
    Ok(())
}

/// Runs `f` on SIGINT or SIGTERM (from a small thread with its own runtime); a second signal
/// exits at once with 130, for when stopping gracefully takes too long. Returns once the
/// handlers are installed, so no signal falls into the default action (an abrupt exit that
/// would skip cleanup).
pub(crate) fn ctrlc_on(f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<bool>();
    std::thread::Builder::new()
        .name("palisade-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let _ = ready_tx.send(false);
                return;
            };
            rt.block_on(async {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    let _ = ready_tx.send(false);
                    return;
                };
                let _ = ready_tx.send(true);
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
                // Handled from another thread: this one waits for a second signal.
                std::thread::spawn(f);
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
                eprintln!("second signal: exiting now");
                std::process::exit(130);
            });
        })?;
    match ready_rx.recv_timeout(Duration::from_secs(5)) {
        Ok(true) => Ok(()),
        _ => Err(std::io::Error::other(
            "signal handlers could not be installed",
        )),
    }
}
