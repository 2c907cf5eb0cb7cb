//! `palisade audit` as users run it: a database imported from the shared RustSec and OSV
//! snapshots, lockfiles in a project tree, every output format, exit codes and `--watch`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn palisade(dir: &Path, db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("PALISADE_ADVISORY_DB", db)
        .env("PALISADE_HOME", dir.join("home"))
        .env("PALISADE_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One database for all tests (importing takes a moment): RustSec and the npm OSV records.
fn database() -> &'static Path {
    static DB: OnceLock<tempfile::TempDir> = OnceLock::new();
    DB.get_or_init(|| {
        let db = tempfile::tempdir().unwrap();
        let here = tempfile::tempdir().unwrap();
        for source in ["rustsec-advisory-db", "osv/npm"] {
            let out = palisade(
                here.path(),
                db.path(),
                &["audit", "db", "import", shared(source).to_str().unwrap()],
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        db
    })
    .path()
}

const CARGO_LOCK: &str = r#"version = 4

[[package]]
name = "demo"
version = "0.1.0"
dependencies = [
 "smallvec",
 "tinyvec",
]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tinyvec"
version = "1.8.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

const PACKAGE_LOCK: &str = r#"{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "web", "version": "1.0.0", "dependencies": { "path-to-regexp": "^1.7.0" } },
    "node_modules/path-to-regexp": { "version": "1.8.0" }
  }
}
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), CARGO_LOCK).unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    std::fs::write(dir.path().join("web/package-lock.json"), PACKAGE_LOCK).unwrap();
    // Dependency trees are not walked.
    std::fs::create_dir_all(dir.path().join("web/node_modules/x")).unwrap();
    std::fs::write(
        dir.path().join("web/node_modules/x/package-lock.json"),
        "not even json",
    )
    .unwrap();
    dir
}

#[test]
fn a_tree_is_audited_and_vulnerabilities_exit_1() {
    let dir = project();
    let out = palisade(dir.path(), database(), &["audit"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("RUSTSEC-2021-0003"), "{stdout}");
    assert!(stdout.contains("smallvec@1.6.0"), "{stdout}");
    assert!(stdout.contains("1.6.1"), "fix version: {stdout}");
    assert!(stdout.contains("path-to-regexp@1.8.0"), "{stdout}");
    assert!(stdout.contains("GHSA-9wv6-86v2-598j"), "{stdout}");
    assert!(!stdout.contains("tinyvec@"), "{stdout}");
    // npm's requirement ^1.7.0 allows 1.9.0: the lockfile alone needs updating.
    assert!(stdout.contains("npm update path-to-regexp"), "{stdout}");
}

#[test]
fn json_is_the_documented_schema() {
    let dir = project();
    let out = palisade(dir.path(), database(), &["audit", "--json", "Cargo.lock"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema_version"], 1);
    let findings = &doc["lockfiles"][0]["vulnerabilities"];
    let ids: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["advisory"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"RUSTSEC-2021-0003"), "{ids:?}");
}

#[test]
fn sarif_and_markdown_render() {
    let dir = project();
    let out = palisade(dir.path(), database(), &["audit", "--sarif"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());
    let out = palisade(dir.path(), database(), &["audit", "--markdown"]);
    let md = text(&out.stdout);
    assert!(
        md.contains("| ") && md.contains("RUSTSEC-2021-0003"),
        "{md}"
    );
}

#[test]
fn fail_on_sets_the_threshold_and_ignores_need_a_reason() {
    let dir = project();
    // CVSS 9.8: critical. path-to-regexp's advisory is high.
    let out = palisade(
        dir.path(),
        database(),
        &["audit", "--fail-on", "critical", "web"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    std::fs::write(
        dir.path().join(".palisade-audit.toml"),
        "[[ignore]]\nid = \"CVE-2021-25900\"\nreason = \"not reachable\"\n\n\
         [[ignore]]\nid = \"GHSA-9wv6-86v2-598j\"\nreason = \"internal routes only\"\n",
    )
    .unwrap();
    let out = palisade(dir.path(), database(), &["audit"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    std::fs::write(
        dir.path().join(".palisade-audit.toml"),
        "[[ignore]]\nid = \"CVE-2021-25900\"\n",
    )
    .unwrap();
    let out = palisade(dir.path(), database(), &["audit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(".palisade-audit.toml:1:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_input_exits_2_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"x\"\nversion = 1\n",
    )
    .unwrap();
    let out = palisade(dir.path(), database(), &["audit"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("Cargo.lock:5:"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    let out = palisade(dir.path(), empty.path(), &["audit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no advisory data"));

    let none = tempfile::tempdir().unwrap();
    let out = palisade(none.path(), database(), &["audit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no lockfile found"));

    let out = palisade(dir.path(), database(), &["audit", "--fail-on", "severe"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn db_status_lists_the_sources() {
    let dir = tempfile::tempdir().unwrap();
    let out = palisade(dir.path(), database(), &["audit", "db", "status", "--json"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"rustsec") && names.contains(&"osv-npm"),
        "{names:?}"
    );
}

#[test]
fn db_import_as_a_name_then_remove_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), CARGO_LOCK).unwrap();
    let rustsec = shared("rustsec-advisory-db");
    let out = palisade(
        dir.path(),
        db.path(),
        &[
            "audit",
            "db",
            "import",
            "--name",
            "mirror",
            rustsec.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = palisade(dir.path(), db.path(), &["audit", "db", "status", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["sources"][0]["name"], "mirror");
    // smallvec 1.6.0 is affected while the source is there.
    assert_eq!(
        palisade(dir.path(), db.path(), &["audit"]).status.code(),
        Some(1)
    );

    let out = palisade(dir.path(), db.path(), &["audit", "db", "remove", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no advisory source named"),
        "{}",
        text(&out.stderr)
    );
    let out = palisade(dir.path(), db.path(), &["audit", "db", "remove", "mirror"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("database is empty"));
    // No data is an error, never a clean bill of health.
    let out = palisade(dir.path(), db.path(), &["audit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no advisory data"));

    let out = palisade(
        dir.path(),
        db.path(),
        &["audit", "db", "import", "--name", "Bad Name!", "."],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn yanked_crates_come_from_the_registry_cargo_is_configured_with() {
    use palisade_test_support::registry::CargoRegistry;
    let registry = CargoRegistry::new();
    registry.publish("tinyvec", "1.8.0", "", true);
    registry.publish("tinyvec", "1.8.1", "", false);
    registry.publish("smallvec", "1.6.0", "", false);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), CARGO_LOCK).unwrap();
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        format!(
            "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"{}\"\n",
            registry.index_url()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .env("PALISADE_ADVISORY_DB", database())
            .env("PALISADE_HOME", dir.path().join("home"))
            .env("CARGO_HOME", dir.path().join("cargo-home"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&["audit", "--yanked", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lockfile = &doc["lockfiles"][0];
    assert_eq!(lockfile["yanked_checked"], true);
    let yanked: Vec<String> = lockfile["yanked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| {
            format!(
                "{}@{}",
                y["package"]["name"].as_str().unwrap(),
                y["package"]["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(yanked, ["tinyvec@1.8.0"]);
    let asked = registry.server().hits();
    assert!(asked.iter().any(|p| p == "/ti/ny/tinyvec"), "{asked:?}");

    // Without the flag nothing is asked; with the registry gone the audit still runs and says so.
    let before = registry.server().hits().len();
    let out = run(&["audit", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["lockfiles"][0]["yanked_checked"], false);
    assert_eq!(registry.server().hits().len(), before);
    drop(registry);
    std::fs::remove_dir_all(dir.path().join("home")).unwrap();
    let out = run(&["audit", "--yanked"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("yanked crates of Cargo.lock not checked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn watch_records_new_findings_as_events() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.lock"),
        CARGO_LOCK.replace("1.6.0", "1.6.1"),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["audit", "--watch", "--interval", "200ms"])
        .current_dir(dir.path())
        .env("PALISADE_ADVISORY_DB", database())
        // Saved reports go under the test's own home, never the user's.
        .env("PALISADE_HOME", dir.path().join("home"))
        .env("PALISADE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    // The lockfile changes to a vulnerable version: one new finding, one event.
    std::fs::write(dir.path().join("Cargo.lock"), CARGO_LOCK).unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    let events = loop {
        let out = palisade(
            dir.path(),
            database(),
            &[
                "events",
                "--json",
                "--database",
                "palisade.db",
                "--category",
                "vulnerable_dependency",
            ],
        );
        let lines: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if !lines.is_empty() || Instant::now() > until {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert_eq!(events.len(), 1, "{events:?}");
    let doc = events[0].to_string();
    assert!(
        doc.contains("RUSTSEC-2021-0003") && doc.contains("smallvec"),
        "{doc}"
    );
}

/// A stand-in for api.osv.dev on 127.0.0.1, speaking its protocol: `POST /v1/querybatch`
/// answers the ids of every record naming the package (the version is left to palisade, as
/// a real server filters more but never less), `GET /v1/vulns/{id}` the record.
const OSV_DOUBLE: &str = r#"
import http.server, json, os, sys
port, folder = int(sys.argv[1]), sys.argv[2]
records = {}
for f in os.listdir(folder):
    if f.endswith(".json"):
        r = json.load(open(os.path.join(folder, f)))
        records[r["id"]] = r
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, doc):
        body = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        queries = json.loads(self.rfile.read(int(self.headers["content-length"])))["queries"]
        results = []
        for q in queries:
            p = q["package"]
            ids = [{"id": i, "modified": r.get("modified", "")} for i, r in records.items()
                   if any(a["package"]["name"] == p["name"] and a["package"]["ecosystem"] == p["ecosystem"]
                          for a in r.get("affected", []))]
            results.append({"vulns": ids} if ids else {})
        self.reply({"results": results})
    def do_GET(self):
        self.reply(records[self.path.rsplit("/", 1)[1]])
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
"#;

#[test]
fn the_osv_api_can_be_asked_instead_of_the_database() {
    let port = palisade_test_support::free_port();
    let mut server = Command::new("python3")
        .args(["-c", OSV_DOUBLE, &port.to_string()])
        .arg(shared("osv/npm"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "the OSV double did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let dir = project();
    let empty = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let out = palisade(
        dir.path(),
        empty.path(),
        &["audit", "--json", "--osv-api", &url, "web"],
    );
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = doc["lockfiles"][0]["vulnerabilities"].to_string();
    assert!(found.contains("GHSA-9wv6-86v2-598j"), "{found}");
}
