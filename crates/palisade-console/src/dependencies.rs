//! The Dependencies page and `GET /api/v1/dependencies`: the latest `palisade audit` findings
//! with their fix advice, and the outdated packages, of every project that saved a report in
//! the reports directory (`$PALISADE_REPORTS`, else `$PALISADE_HOME/reports`).
//!
//! The files are read into small view structs of this crate rather than the audit crate's
//! types: its JSON wire types are write-only, and a console must show what it can of a report
//! from a newer or older palisade. Every field is defaulted; a file that is not JSON, not a
//! palisade report, or too large is listed by name as unreadable, never an error page.
//!
//! # Security
//!
//! Package names, advisory text and URLs come from lockfiles and advisory databases, i.e.
//! third parties: the template escapes every value, and only `http(s)` URLs become links.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::Console;
use crate::auth::Denied;
use crate::pages::blocking;

/// An audit older than this gets a warning: advisories published since are not in it.
const OLD: Duration = Duration::from_secs(7 * 24 * 3600);
/// A report larger than this is not read (a large monorepo's is a few MiB).
const MAX_FILE: u64 = 32 * 1024 * 1024;
/// Files read per request, at most: the directory is shared, but not meant to be a dump.
const MAX_FILES: usize = 500;
/// The newest audit report `schema_version` this page understands.
const AUDIT_SCHEMA: u32 = 1;

/// Everything the page and the API show.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Dependencies {
    /// The reports directory; `None` when the console was not given one.
    pub dir: Option<String>,
    /// Why the directory could not be listed, when it could not.
    pub problem: Option<String>,
    /// One entry per project with a saved report, by path.
    pub projects: Vec<ProjectView>,
    /// Files in the directory that are not readable reports.
    pub unreadable: Vec<Unreadable>,
    /// Report files left unread past [`MAX_FILES`].
    pub not_read: usize,
}

/// A project's latest audit and outdated check.
#[derive(Debug, Serialize)]
pub(crate) struct ProjectView {
    pub project: String,
    pub audit: Option<AuditView>,
    pub outdated: Option<OutdatedView>,
}

/// A saved `palisade audit`.
#[derive(Debug, Serialize)]
pub(crate) struct AuditView {
    pub file: String,
    pub ran_at: String,
    /// Whole days since it ran; `None` when its time is unreadable.
    pub age_days: Option<u64>,
    /// Older than a week (or of unknown age).
    pub old: bool,
    pub database: DatabaseView,
    pub lockfiles: Vec<String>,
    /// Vulnerabilities by severity (critical, unknown, high, moderate, low, none), then name.
    pub vulnerabilities: Vec<VulnerabilityView>,
    /// RustSec informational advisories and other warnings, counted only.
    pub warnings: u64,
}

/// The advisory data an audit ran against.
#[derive(Debug, Default, Serialize)]
pub(crate) struct DatabaseView {
    /// The OSV API asked instead of a local database.
    pub online: Option<String>,
    /// A source was older than a week, or there was none.
    pub stale: bool,
    pub sources: Vec<SourceView>,
}

/// One imported advisory source.
#[derive(Debug, Serialize)]
pub(crate) struct SourceView {
    pub name: String,
    pub age_days: u64,
    pub stale: bool,
}

/// A vulnerable package and the advisory it matches.
#[derive(Debug, Serialize)]
pub(crate) struct VulnerabilityView {
    pub severity: &'static str,
    pub package: String,
    pub version: String,
    pub ecosystem: String,
    pub lockfile: String,
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    /// The advisory's page, only when it is an `http(s)` URL.
    pub url: Option<String>,
    pub fixed_in: Option<String>,
    /// The fix advice, worded as `palisade audit` words it.
    pub fix: String,
    pub command: Option<String>,
}

/// A saved `palisade outdated`.
#[derive(Debug, Serialize)]
pub(crate) struct OutdatedView {
    pub file: String,
    pub ran_at: String,
    pub age_days: Option<u64>,
    /// Only the outdated rows (a report saved with `--all` also lists current ones).
    pub packages: Vec<OutdatedRow>,
    pub notes: Vec<String>,
    pub runtimes: Vec<RuntimeView>,
}

/// An outdated dependency.
#[derive(Debug, Serialize)]
pub(crate) struct OutdatedRow {
    pub package: String,
    /// The manifest's directory (a workspace member, or the project itself).
    pub dir: String,
    pub ecosystem: String,
    pub kind: String,
    pub current: String,
    pub wanted: Option<String>,
    pub latest: Option<String>,
    pub jump: String,
    pub major: bool,
    /// Advisories the latest version fixes.
    pub fixes: Vec<String>,
}

/// node or rustc, and whether it is still supported.
#[derive(Debug, Serialize)]
pub(crate) struct RuntimeView {
    pub name: String,
    pub version: String,
    pub supported: bool,
    pub advice: String,
}

/// A file that is not a readable report.
#[derive(Debug, Serialize)]
pub(crate) struct Unreadable {
    pub file: String,
    pub error: String,
}

// What the saved files hold: only the fields shown, every one defaulted (see the module doc).

#[derive(Deserialize, Default)]
#[serde(default)]
struct FileWire {
    kind: String,
    project: String,
    ran_at: String,
    database: DatabaseWire,
    report: serde_json::Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DatabaseWire {
    online: Option<String>,
    stale: bool,
    sources: Vec<SourceWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SourceWire {
    name: String,
    age_days: u64,
    stale: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditWire {
    schema_version: u32,
    summary: SummaryWire,
    lockfiles: Vec<LockfileWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SummaryWire {
    warnings: u64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LockfileWire {
    path: String,
    vulnerabilities: Vec<FindingWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FindingWire {
    package: PackageWire,
    advisory: AdvisoryWire,
    fixed_in: Option<String>,
    advice: AdviceWire,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PackageWire {
    name: String,
    version: String,
    ecosystem: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AdvisoryWire {
    id: String,
    aliases: Vec<String>,
    summary: String,
    url: String,
    severity: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AdviceWire {
    text: String,
    command: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OutdatedWire {
    projects: Vec<OutdatedProjectWire>,
    runtimes: Vec<RuntimeWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OutdatedProjectWire {
    dir: String,
    ecosystem: String,
    dependencies: Vec<RowWire>,
    notes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RowWire {
    name: String,
    alias: Option<String>,
    kind: String,
    current: String,
    wanted: Option<String>,
    latest: Option<String>,
    status: String,
    jump: String,
    fixes: Vec<FixWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FixWire {
    id: String,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuntimeWire {
    name: String,
    version: String,
    supported: bool,
    advice: String,
}

/// The report order: critical first, then unknown (no data is not "low"), high, moderate,
/// low, none.
fn severity_rank(s: &str) -> (u8, &'static str) {
    match s {
        "critical" => (0, "critical"),
        "high" => (2, "high"),
        "moderate" => (3, "moderate"),
        "low" => (4, "low"),
        "none" => (5, "none"),
        _ => (1, "unknown"),
    }
}

fn http_url(url: String) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
}

fn age_days(ran_at: &str, now: SystemTime) -> Option<u64> {
    let at = humantime::parse_rfc3339_weak(ran_at).ok()?;
    // A time in the future (a clock set wrong) counts as now.
    Some(now.duration_since(at).unwrap_or_default().as_secs() / 86_400)
}

/// A parsed report file.
enum Saved {
    Audit(String, Box<AuditView>),
    Outdated(String, Box<OutdatedView>),
}

fn parse(file: &str, text: &str, now: SystemTime) -> Result<Saved, String> {
    let wire: FileWire = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if wire.project.is_empty() || wire.ran_at.is_empty() {
        return Err("not a palisade report (no project or time)".into());
    }
    let age = age_days(&wire.ran_at, now);
    match wire.kind.as_str() {
        "audit" => {
            let report: AuditWire = serde_json::from_value(wire.report)
                .map_err(|e| format!("not an audit report: {e}"))?;
            if report.schema_version == 0 || report.schema_version > AUDIT_SCHEMA {
                return Err(format!(
                    "audit report schema_version {} (this console reads 1 to {AUDIT_SCHEMA})",
                    report.schema_version
                ));
            }
            Ok(Saved::Audit(
                wire.project,
                Box::new(audit_view(file, wire.ran_at, age, wire.database, report)),
            ))
        }
        "outdated" => {
            let report: OutdatedWire = serde_json::from_value(wire.report)
                .map_err(|e| format!("not an outdated report: {e}"))?;
            Ok(Saved::Outdated(
                wire.project,
                Box::new(outdated_view(file, wire.ran_at, age, report)),
            ))
        }
        other => Err(format!("not a palisade report (kind {other:?})")),
    }
}

fn audit_view(
    file: &str,
    ran_at: String,
    age: Option<u64>,
    db: DatabaseWire,
    report: AuditWire,
) -> AuditView {
    let mut vulnerabilities = Vec::new();
    let mut lockfiles = Vec::new();
    for lf in report.lockfiles {
        for f in lf.vulnerabilities {
            vulnerabilities.push(VulnerabilityView {
                severity: severity_rank(&f.advisory.severity).1,
                package: f.package.name,
                version: f.package.version,
                ecosystem: f.package.ecosystem,
                lockfile: lf.path.clone(),
                id: f.advisory.id,
                aliases: f.advisory.aliases,
                summary: f.advisory.summary,
                url: http_url(f.advisory.url),
                fixed_in: f.fixed_in,
                fix: f.advice.text,
                command: f.advice.command,
            });
        }
        lockfiles.push(lf.path);
    }
    vulnerabilities.sort_by(|a, b| {
        (severity_rank(a.severity).0, &a.package, &a.version, &a.id).cmp(&(
            severity_rank(b.severity).0,
            &b.package,
            &b.version,
            &b.id,
        ))
    });
    AuditView {
        file: file.to_owned(),
        ran_at,
        old: age.is_none_or(|d| d >= OLD.as_secs() / 86_400),
        age_days: age,
        database: DatabaseView {
            online: db.online,
            stale: db.stale || db.sources.iter().any(|s| s.stale),
            sources: db
                .sources
                .into_iter()
                .map(|s| SourceView {
                    name: s.name,
                    age_days: s.age_days,
                    stale: s.stale,
                })
                .collect(),
        },
        lockfiles,
        vulnerabilities,
        warnings: report.summary.warnings,
    }
}

fn outdated_view(
    file: &str,
    ran_at: String,
    age: Option<u64>,
    report: OutdatedWire,
) -> OutdatedView {
    let mut packages = Vec::new();
    let mut notes = Vec::new();
    for p in report.projects {
        for r in p.dependencies {
            if r.status != "outdated" {
                continue;
            }
            packages.push(OutdatedRow {
                package: r.alias.unwrap_or(r.name),
                dir: p.dir.clone(),
                ecosystem: p.ecosystem.clone(),
                kind: r.kind,
                current: r.current,
                wanted: r.wanted,
                latest: r.latest,
                major: r.jump == "major",
                jump: r.jump,
                fixes: r
                    .fixes
                    .into_iter()
                    .map(|f| match f.severity {
                        Some(s) => format!("{} ({s})", f.id),
                        None => f.id,
                    })
                    .collect(),
            });
        }
        notes.extend(p.notes.into_iter().map(|n| format!("{}: {n}", p.dir)));
    }
    OutdatedView {
        file: file.to_owned(),
        ran_at,
        age_days: age,
        packages,
        notes,
        runtimes: report
            .runtimes
            .into_iter()
            .map(|r| RuntimeView {
                name: r.name,
                version: r.version,
                supported: r.supported,
                advice: r.advice,
            })
            .collect(),
    }
}

/// Reads one file, refusing what is too large to be a report.
fn read_capped(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut text = String::new();
    file.take(MAX_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read: {e}"))?;
    if text.len() as u64 > MAX_FILE {
        return Err(format!("larger than {} MiB", MAX_FILE / (1024 * 1024)));
    }
    Ok(text)
}

/// The saved reports in `dir` at `now`. Never fails: what cannot be read is said so.
pub(crate) fn gather(dir: Option<&Path>, now: SystemTime) -> Dependencies {
    let Some(dir) = dir else {
        return Dependencies::default();
    };
    let mut out = Dependencies {
        dir: Some(dir.display().to_string()),
        ..Dependencies::default()
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // Nothing saved yet: the page says which command to run.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.problem = Some(format!("cannot list {}: {e}", dir.display()));
            return out;
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        // Dot files are the reports being written (see the binary's `reports` module).
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    names.sort();
    if names.len() > MAX_FILES {
        out.not_read = names.len() - MAX_FILES;
        names.truncate(MAX_FILES);
    }
    let mut projects: BTreeMap<String, ProjectView> = BTreeMap::new();
    for name in names {
        let path = dir.join(&name);
        let parsed = match std::fs::metadata(&path) {
            Ok(m) if !m.is_file() => continue,
            Ok(_) => read_capped(&path).and_then(|text| parse(&name, &text, now)),
            Err(e) => Err(format!("cannot read: {e}")),
        };
        match parsed {
            Ok(Saved::Audit(p, view)) => {
                let entry = projects.entry(p.clone()).or_insert_with(|| empty(p));
                // Two files for one project (one copied by hand): the newer wins.
                if entry
                    .audit
                    .as_ref()
                    .is_none_or(|a| newer(&view.ran_at, &a.ran_at))
                {
                    entry.audit = Some(*view);
                }
            }
            Ok(Saved::Outdated(p, view)) => {
                let entry = projects.entry(p.clone()).or_insert_with(|| empty(p));
                if entry
                    .outdated
                    .as_ref()
                    .is_none_or(|o| newer(&view.ran_at, &o.ran_at))
                {
                    entry.outdated = Some(*view);
                }
            }
            Err(error) => out.unreadable.push(Unreadable { file: name, error }),
        }
    }
    out.projects = projects.into_values().collect();
    out
}

fn empty(project: String) -> ProjectView {
    ProjectView {
        project,
        audit: None,
        outdated: None,
    }
}

fn newer(a: &str, b: &str) -> bool {
    match (
        humantime::parse_rfc3339_weak(a),
        humantime::parse_rfc3339_weak(b),
    ) {
        (Ok(a), Ok(b)) => a > b,
        (Ok(_), Err(_)) => true,
        _ => false,
    }
}

async fn load(console: &Console) -> Dependencies {
    let dir = console.settings().reports.clone();
    blocking(move || Ok(gather(dir.as_deref(), SystemTime::now())))
        .await
        .unwrap_or_else(|e| Dependencies {
            problem: Some(e.message()),
            ..Dependencies::default()
        })
}

/// `GET /console/dependencies`
pub(crate) async fn page(State(console): State<Console>, headers: HeaderMap) -> Response {
    let Some((_, session)) = console.session(&headers) else {
        return Denied::Login.into_response();
    };
    let d = load(&console).await;
    console.render(
        StatusCode::OK,
        "dependencies.html",
        context! { csrf => session.csrf, nav => "dependencies", d },
    )
}

/// `GET /api/v1/dependencies`
pub(crate) async fn api(State(console): State<Console>, headers: HeaderMap) -> Response {
    if console.api_caller(&headers).is_none() {
        return Denied::Unauthorized.into_response();
    }
    Json(load(&console).await).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        humantime::parse_rfc3339("2026-05-10T00:00:00Z").unwrap()
    }

    #[test]
    fn foreign_and_broken_files_are_errors_not_panics() {
        for text in [
            "",
            "[]",
            "{}",
            "null",
            "{\"kind\": 5}",
            "{\"kind\": \"audit\", \"project\": \"/p\", \"ran_at\": \"x\"}",
            "{\"kind\": \"audit\", \"project\": \"/p\", \"ran_at\": \"x\", \"report\": []}",
            "{\"kind\": \"audit\", \"project\": \"/p\", \"ran_at\": \"x\", \"report\": {\"schema_version\": 2}}",
            "{\"kind\": \"shopping\", \"project\": \"/p\", \"ran_at\": \"x\"}",
        ] {
            assert!(parse("f.json", text, now()).is_err(), "{text}");
        }
    }

    #[test]
    fn an_audit_of_unknown_time_is_old_and_only_http_links() {
        let text = r#"{"kind": "audit", "project": "/p", "ran_at": "yesterday",
            "report": {"schema_version": 1, "lockfiles": [{"path": "a.lock", "vulnerabilities": [
              {"advisory": {"id": "X-1", "url": "javascript:alert(1)", "severity": "weird"}}]}]}}"#;
        let Ok(Saved::Audit(_, a)) = parse("f.json", text, now()) else {
            panic!("not an audit");
        };
        assert!(a.old);
        assert_eq!(a.vulnerabilities[0].url, None);
        assert_eq!(a.vulnerabilities[0].severity, "unknown");
    }

    #[test]
    fn ages_count_whole_days_and_the_future_is_now() {
        assert_eq!(age_days("2026-05-02T00:00:00Z", now()), Some(8));
        assert_eq!(age_days("2026-05-09T12:00:00Z", now()), Some(0));
        assert_eq!(age_days("2027-01-01T00:00:00Z", now()), Some(0));
        assert_eq!(age_days("soon", now()), None);
    }
}
