//! The Dependencies page and `GET /api/v1/dependencies` against a live server on port 0,
//! reading report files written to a temporary directory the way `palisade audit` and
//! `palisade outdated` save them.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::Site;
use palisade_console::{Console, ConsoleSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "correct horse battery staple";
const HOSTILE: &str = "<script>alert(1)</script>";

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn days_ago(days: u64) -> String {
    rfc3339(SystemTime::now() - Duration::from_secs(days * 86_400))
}

/// A finding in `palisade audit --format json`'s shape (docs/audit-json.md).
fn finding(name: &str, version: &str, id: &str, severity: &str, url: &str, advice: &str) -> Value {
    json!({
        "package": {"name": name, "version": version, "ecosystem": "npm", "direct": true,
                    "dev": false, "path": ["web", format!("{name}@{version}")], "requested": "^1.0.0"},
        "advisory": {"id": id, "aliases": [format!("CVE-{id}")], "summary": format!("{name} is broken"),
                     "details": "", "url": url, "severity": severity, "cvss": null},
        "kind": "vulnerability", "informational": null, "fixed_in": "9.9.9",
        "advice": {"action": "bump-direct", "text": advice, "fixed": "9.9.9",
                   "command": null, "requirement": "1.0.0", "parent": null, "direct": null},
        "line": 3
    })
}

fn audit_file(project: &str, ran_at: &str, stale: bool, findings: Vec<Value>) -> Value {
    json!({
        "envelope_version": 1,
        "kind": "audit",
        "project": project,
        "ran_at": ran_at,
        "database": {"path": "/db", "online": null, "stale": stale, "sources": [
            {"name": "osv-npm", "kind": "osv", "age_days": if stale { 40 } else { 1 }, "stale": stale}
        ]},
        "report": {
            "schema_version": 1,
            "tool": {"name": "palisade", "version": "0.1.0"},
            "date": "2026-05-01",
            "summary": {"vulnerabilities": findings.len(), "warnings": 0},
            "lockfiles": [{"path": "web/package-lock.json", "kind": "package-lock.json",
                           "ecosystem": "npm", "vulnerabilities": findings, "warnings": []}],
            "expired_ignores": []
        }
    })
}

fn row(name: &str, current: &str, latest: &str, status: &str, jump: &str) -> Value {
    json!({"name": name, "alias": null, "kind": "normal", "requirement": "^1", "current": current,
           "wanted": current, "latest": latest, "latest_allowed": latest, "status": status,
           "jump": jump, "wanted_jump": "none", "fixes": [], "wanted_fixes": [], "unfixed": []})
}

fn write(dir: &Path, name: &str, doc: &Value) {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(doc).unwrap()).unwrap();
}

/// Two projects (one audited today, one a month ago against a stale database), an outdated
/// check, a corrupt file, a foreign one and a report still being written.
fn reports(dir: &Path) {
    write(
        dir,
        "audit-0001.json",
        &audit_file(
            "/srv/shop",
            &days_ago(0),
            false,
            vec![
                finding(
                    "low-pkg",
                    "1.0.0",
                    "GHSA-low",
                    "low",
                    "https://osv.dev/vulnerability/GHSA-low",
                    "update the lockfile only",
                ),
                finding(
                    HOSTILE,
                    "6.6.6",
                    "GHSA-evil",
                    "high",
                    "javascript:alert(1)",
                    HOSTILE,
                ),
                finding(
                    "crit-pkg",
                    "2.0.0",
                    "GHSA-crit",
                    "critical",
                    "https://osv.dev/vulnerability/GHSA-crit",
                    "bump crit-pkg to >= 9.9.9 (its requirement 1.0.0 excludes it)",
                ),
            ],
        ),
    );
    write(
        dir,
        "audit-0002.json",
        &audit_file("/srv/blog", &days_ago(30), true, vec![]),
    );
    write(
        dir,
        "outdated-0001.json",
        &json!({
            "envelope_version": 1, "kind": "outdated", "project": "/srv/shop", "ran_at": days_ago(0),
            "report": {
                "projects": [{"dir": "/srv/shop", "lockfile": "/srv/shop/package-lock.json",
                              "ecosystem": "npm", "notes": [], "dependencies": [
                    row("express", "4.18.0", "5.1.0", "outdated", "major"),
                    row("ms", "2.1.2", "2.1.3", "outdated", "patch"),
                    row("current-one", "1.0.0", "1.0.0", "uptodate", "none"),
                ]}],
                "runtimes": [{"name": "node", "version": "14.0.0", "supported": false,
                              "advice": "upgrade to node 22"}]
            }
        }),
    );
    std::fs::write(
        dir.join("audit-broken.json"),
        "{\"kind\": \"audit\", \"proj",
    )
    .unwrap();
    write(dir, "notes.json", &json!({"hello": "world"}));
    std::fs::write(dir.join(".audit-0003.json.77.tmp"), "{").unwrap();
}

async fn start(reports: Option<&Path>) -> Site {
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        reports: reports.map(Path::to_path_buf),
        ..Default::default()
    });
    Site::start(console, TOKEN).await
}

/// What minijinja's HTML escaping makes of text (it escapes `/` too).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// The page's `<section>` for a project.
fn section<'a>(body: &'a str, project: &str) -> &'a str {
    let heading = format!("<h2>{}</h2>", esc(project));
    body.split("<section")
        .find(|s| s.contains(&heading))
        .unwrap_or_else(|| panic!("no section for {project} in {body}"))
}

#[tokio::test]
async fn the_page_shows_findings_fix_advice_and_outdated_packages() {
    let dir = tempfile::tempdir().unwrap();
    reports(dir.path());
    let h = start(Some(dir.path())).await;

    // Same auth as the other pages and the API.
    let res = h.get("/console/dependencies", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = h.get("/api/v1/dependencies", "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let cookie = h.login_cookie().await;
    let body = h.ok_page("/console/dependencies", &cookie).await;

    let shop = section(&body, "/srv/shop");
    // By severity: critical, high, low, whatever order the file had.
    let at = |s: &str| shop.find(s).unwrap_or_else(|| panic!("{s} not in {shop}"));
    assert!(at("crit-pkg") < at(&esc(HOSTILE)) && at(&esc(HOSTILE)) < at("low-pkg"));
    assert!(shop.contains("<td>2.0.0</td>"), "installed version");
    assert!(
        shop.contains(&esc(
            "bump crit-pkg to >= 9.9.9 (its requirement 1.0.0 excludes it)"
        )),
        "fix advice: {shop}"
    );
    assert!(
        shop.contains(&format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">GHSA-crit</a>",
            esc("https://osv.dev/vulnerability/GHSA-crit")
        )),
        "{shop}"
    );
    assert!(shop.contains("CVE-GHSA-crit"), "aliases listed");
    // Only http(s) links: the hostile advisory's id stays text.
    assert!(!body.contains("javascript:"), "{body}");
    assert!(shop.contains("<td>GHSA-evil"), "{shop}");
    // Hostile package names and advice are text, never markup.
    assert!(!body.contains(HOSTILE));
    assert!(shop.contains(&esc(HOSTILE)));
    // Fresh: no warnings.
    assert!(!shop.contains("stale-audit") && !shop.contains("stale-database"));

    // Outdated: the major bump is flagged, current rows are left out.
    assert!(shop.contains("<td>express</td>"), "{shop}");
    assert!(shop.contains("<td>4.18.0</td>") && shop.contains("<td>5.1.0</td>"));
    let express = &shop[at("<td>express</td>")..];
    let express = &express[..express.find("</tr>").unwrap()];
    assert!(express.contains("major bump"), "{express}");
    let ms = &shop[at("<td>ms</td>")..];
    let ms = &ms[..ms.find("</tr>").unwrap()];
    assert!(ms.contains("patch") && !ms.contains("major bump"), "{ms}");
    assert!(!shop.contains("current-one"));
    assert!(shop.contains("node 14.0.0 is no longer supported"));

    let blog = section(&body, "/srv/blog");
    assert!(blog.contains("stale-audit"), "a month-old audit: {blog}");
    assert!(blog.contains("30 days old"), "{blog}");
    assert!(blog.contains("stale-database"), "{blog}");
    assert!(blog.contains("No known vulnerabilities"));
    assert!(blog.contains("run <code>palisade outdated</code> in"));

    // Corrupt and foreign files are named, not fatal; files being written are not read.
    let unreadable = &body[body.find("Unreadable reports").expect("unreadable list")..];
    assert!(unreadable.contains("audit-broken.json"), "{unreadable}");
    assert!(unreadable.contains("notes.json"), "{unreadable}");
    assert!(!body.contains(".tmp"));

    // The API says the same, from the same gathering.
    let doc = h.api_json("/api/v1/dependencies").await;
    let projects = doc["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 2, "{doc}");
    let shop = projects
        .iter()
        .find(|p| p["project"] == "/srv/shop")
        .unwrap();
    let vulns = shop["audit"]["vulnerabilities"].as_array().unwrap();
    let order: Vec<&str> = vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(order, ["GHSA-crit", "GHSA-evil", "GHSA-low"]);
    assert_eq!(vulns[0]["severity"], "critical");
    assert_eq!(vulns[0]["version"], "2.0.0");
    assert_eq!(
        vulns[0]["fix"],
        "bump crit-pkg to >= 9.9.9 (its requirement 1.0.0 excludes it)"
    );
    assert_eq!(vulns[1]["url"], Value::Null);
    assert_eq!(shop["audit"]["old"], false);
    let outdated = shop["outdated"]["packages"].as_array().unwrap();
    assert_eq!(outdated.len(), 2);
    assert_eq!(outdated[0]["package"], "express");
    assert_eq!(outdated[0]["major"], true);
    assert_eq!(outdated[0]["wanted"], "4.18.0");
    assert_eq!(outdated[0]["latest"], "5.1.0");
    let blog = projects
        .iter()
        .find(|p| p["project"] == "/srv/blog")
        .unwrap();
    assert_eq!(blog["audit"]["old"], true);
    assert_eq!(blog["audit"]["database"]["stale"], true);
    assert_eq!(blog["outdated"], Value::Null);
    let files: Vec<&str> = doc["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["audit-broken.json", "notes.json"]);
}

#[tokio::test]
async fn without_reports_the_page_says_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    // Not created yet: nobody has run an audit on this host.
    let missing = dir.path().join("reports");
    let h = start(Some(&missing)).await;
    let cookie = h.login_cookie().await;
    let body = h.ok_page("/console/dependencies", &cookie).await;
    assert!(
        body.contains("Run <code>palisade audit</code>\nin the project directory"),
        "{body}"
    );
    let doc = h.api_json("/api/v1/dependencies").await;
    assert_eq!(doc["projects"], json!([]));
    assert_eq!(doc["problem"], Value::Null);

    let h = start(None).await;
    let cookie = h.login_cookie().await;
    let body = h.ok_page("/console/dependencies", &cookie).await;
    assert!(body.contains("no reports directory"), "{body}");
    assert_eq!(h.api_json("/api/v1/dependencies").await["dir"], Value::Null);
}
