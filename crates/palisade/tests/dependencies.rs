//! The console's Dependencies page end to end: the real `palisade audit` and `palisade
//! outdated` save their reports in `$PALISADE_REPORTS` (one file per kind and project, the
//! audit's report exactly what `--format json` prints), and a `palisade guard` whose console
//! reads that directory serves them on `/api/v1/dependencies` and `/console/dependencies`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::registry::StaticServer;
use palisade_test_support::{TestUpstream, console, free_port};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");
const TOKEN: &str = "dependencies-test-token-0123456789";
const ADVISORY: &str = "GHSA-9wv6-86v2-598j";

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A host: palisade's home, its advisory database and its reports directory, all temporary.
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new() -> Host {
        let host = Host {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = host.run(
            host.dir.path(),
            &["audit", "db", "import", shared("osv/npm").to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        host
    }

    fn reports(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(cwd)
            .env("PALISADE_HOME", self.dir.path().join("home"))
            .env("PALISADE_ADVISORY_DB", self.dir.path().join("db"))
            .env("PALISADE_REPORTS", self.reports())
            .env("PALISADE_LOG", "warn")
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        c
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(cwd, args).output().unwrap()
    }

    /// The saved reports: (file name, document).
    fn saved(&self) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = std::fs::read_dir(self.reports())
            .map(|rd| {
                rd.map(|e| e.unwrap())
                    .map(|e| {
                        let name = e.file_name().into_string().unwrap();
                        let doc = serde_json::from_slice(&std::fs::read(e.path()).unwrap())
                            .unwrap_or_else(|e| panic!("{name}: {e}"));
                        (name, doc)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

const PACKAGE_JSON: &str =
    r#"{ "name": "shop", "version": "1.0.0", "dependencies": { "path-to-regexp": "^1.7.0" } }"#;

const PACKAGE_LOCK: &str = r#"{
  "name": "shop",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "shop", "version": "1.0.0", "dependencies": { "path-to-regexp": "^1.7.0" } },
    "node_modules/path-to-regexp": { "version": "1.8.0" }
  }
}
"#;

/// An npm project whose only dependency has a known vulnerability (fixed in 1.9.0, which
/// `^1.7.0` allows) and a new major version.
fn project(registry: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), PACKAGE_JSON).unwrap();
    std::fs::write(dir.path().join("package-lock.json"), PACKAGE_LOCK).unwrap();
    std::fs::write(dir.path().join(".npmrc"), format!("registry={registry}\n")).unwrap();
    dir
}

/// An npm registry serving one packument: path-to-regexp up to 8.2.0.
fn registry() -> (tempfile::TempDir, StaticServer) {
    let root = tempfile::tempdir().unwrap();
    let versions: serde_json::Map<String, Value> = ["1.7.0", "1.8.0", "1.9.0", "8.2.0"]
        .iter()
        .map(|v| {
            (
                (*v).to_owned(),
                json!({"name": "path-to-regexp", "version": v}),
            )
        })
        .collect();
    let packument = json!({
        "name": "path-to-regexp", "dist-tags": {"latest": "8.2.0"}, "versions": versions,
    });
    std::fs::write(root.path().join("path-to-regexp"), packument.to_string()).unwrap();
    let server = StaticServer::serve(root.path());
    (root, server)
}

/// A `palisade guard` with the console on, reading `host`'s reports directory.
struct Guard {
    child: Child,
    admin: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Guard {
    fn start(host: &Host, upstream: &str) -> Guard {
        let dir = tempfile::tempdir().unwrap();
        let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let admin = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let config = dir.path().join("palisade.toml");
        std::fs::write(
            &config,
            format!(
                "[guard]\nlisten = \"{listen}\"\nupstream = \"{upstream}\"\n\n\
                 [admin]\nlisten = \"{admin}\"\ntoken = \"{TOKEN}\"\n"
            ),
        )
        .unwrap();
        let child = host
            .command(dir.path(), &["guard", "--config", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut guard = Guard {
            child,
            admin,
            _dir: dir,
        };
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(admin).is_err() {
            if let Ok(Some(status)) = guard.child.try_wait() {
                panic!("guard exited during start-up: {status}");
            }
            assert!(Instant::now() < until, "the guard did not start");
            std::thread::sleep(Duration::from_millis(25));
        }
        guard
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn audit_and_outdated_reports_reach_the_console() {
    let host = Host::new();
    let (_registry_root, registry) = registry();
    let project = project(&format!("{}/", registry.url()));
    let p = project.path();

    // The audit finds the vulnerability (exit 1) and saves what `--format json` prints.
    let out = host.run(p, &["audit"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let saved = host.saved();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let (name, doc) = &saved[0];
    assert!(
        name.starts_with("audit-") && name.ends_with(".json"),
        "{name}"
    );
    let canonical = std::fs::canonicalize(p).unwrap();
    assert_eq!(doc["kind"], "audit");
    assert_eq!(doc["project"], canonical.display().to_string());
    assert!(
        humantime::parse_rfc3339(doc["ran_at"].as_str().unwrap()).is_ok(),
        "{doc}"
    );
    // The shared snapshot's age depends on today's date: stale is whatever its source says.
    let stale = doc["database"]["sources"][0]["stale"].clone();
    assert!(stale.is_boolean(), "{doc}");
    assert_eq!(doc["database"]["stale"], stale, "{doc}");
    assert_eq!(doc["database"]["sources"][0]["name"], "osv-npm", "{doc}");
    let json = host.run(p, &["audit", "--json", "--no-save"]);
    let printed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        doc["report"], printed,
        "the saved report is the printed one"
    );
    let finding = &printed["lockfiles"][0]["vulnerabilities"][0];
    assert_eq!(finding["advisory"]["id"], ADVISORY);
    let advice = finding["advice"]["text"].as_str().unwrap().to_owned();
    assert!(advice.contains("npm update path-to-regexp"), "{advice}");

    // `--no-save` leaves the directory alone; a lockfile as PATH is its directory's project.
    std::fs::remove_dir_all(host.reports()).unwrap();
    let out = host.run(p, &["audit", "--no-save"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(host.saved().is_empty());
    let out = host.run(p, &["audit", "package-lock.json"]);
    assert_eq!(out.status.code(), Some(1));
    let out = host.run(p, &["audit"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(host.saved().len(), 1, "one file per project");

    // `palisade outdated` saves its own file for the same project.
    let out = host.run(p, &["outdated"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let saved = host.saved();
    assert_eq!(saved.len(), 2, "{saved:?}");
    let (name, outdated) = &saved[1];
    assert!(name.starts_with("outdated-"), "{name}");
    assert_eq!(outdated["project"], canonical.display().to_string());
    let row = &outdated["report"]["projects"][0]["dependencies"][0];
    assert_eq!(row["name"], "path-to-regexp", "{outdated}");
    assert_eq!(row["latest"], "8.2.0");

    // A saving problem is a warning, never a failed audit.
    let blocked = host.dir.path().join("not-a-dir");
    std::fs::write(&blocked, "").unwrap();
    let out = host
        .command(p, &["audit"])
        .env("PALISADE_REPORTS", &blocked)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("warning: report not saved"),
        "{}",
        text(&out.stderr)
    );

    // The console of a guard on this host shows both.
    let upstream = TestUpstream::start();
    let guard = Guard::start(&host, &upstream.url());
    let console = console::Client::new(guard.admin, TOKEN);
    let doc = console.api_json("/api/v1/dependencies").await;
    assert_eq!(doc["dir"], host.reports().display().to_string(), "{doc}");
    assert_eq!(doc["unreadable"], json!([]), "{doc}");
    let shop = &doc["projects"][0];
    assert_eq!(shop["project"], canonical.display().to_string(), "{doc}");
    let vuln = &shop["audit"]["vulnerabilities"][0];
    assert_eq!(vuln["id"], ADVISORY, "{doc}");
    assert_eq!(vuln["version"], "1.8.0");
    assert_eq!(vuln["fix"], advice.as_str());
    assert_eq!(shop["audit"]["old"], false);
    assert_eq!(shop["audit"]["database"]["stale"], stale);
    let row = &shop["outdated"]["packages"][0];
    assert_eq!(row["package"], "path-to-regexp", "{doc}");
    assert_eq!(row["current"], "1.8.0");
    assert_eq!(row["wanted"], "1.9.0");
    assert_eq!(row["latest"], "8.2.0");
    assert_eq!(row["major"], true);

    let session = console.login_cookie().await;
    let page = console.get("/console/dependencies", &session).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(ADVISORY), "{page}");
    assert!(page.contains("major bump"), "{page}");
    assert!(page.contains("npm update path-to-regexp"), "{page}");
}
