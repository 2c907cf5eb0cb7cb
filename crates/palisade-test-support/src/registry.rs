//! Package registries on 127.0.0.1, built by the test from real packages: a cargo sparse
//! index with `.crate` files made by `cargo package`, and an npm registry with packuments and
//! tarballs made by `npm pack`, both served by [`StaticServer`] exactly as the public
//! registries serve them (static JSON and archives over HTTP). cargo and npm install from
//! them with their own code paths; nothing is mocked.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use sha2::Digest;

/// Serves the files of a directory over HTTP/1.1 (GET and HEAD; `Connection: close`), and
/// records the paths asked for.
pub struct StaticServer {
    addr: SocketAddr,
    root: PathBuf,
    hits: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl StaticServer {
    /// Serves `root` on a free port.
    pub fn serve(root: &Path) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (root2, hits2, stop2) = (root.to_path_buf(), hits.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (root, hits) = (root2.clone(), hits2.clone());
                thread::spawn(move || {
                    let _ = answer(stream, &root, &hits);
                });
            }
        });
        StaticServer {
            addr,
            root: root.to_path_buf(),
            hits,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The directory served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn answer(stream: TcpStream, root: &Path, hits: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    if let Ok(mut h) = hits.lock() {
        h.push(path.to_owned());
    }
    let mut stream = stream;
    let file = (!path.contains(".."))
        .then(|| root.join(path.trim_start_matches('/')))
        .filter(|p| p.is_file());
    match file.and_then(|f| std::fs::read(f).ok()) {
        Some(body) => {
            let kind = if path.ends_with(".tgz") || path.ends_with("/download") {
                "application/octet-stream"
            } else {
                "application/json"
            };
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if method != "HEAD" {
                stream.write_all(&body)?;
            }
        }
        None => {
            stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
            )?;
        }
    }
    stream.flush()?;
    // Let the client read everything before the close.
    let mut rest = [0u8; 64];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.read(&mut rest);
    Ok(())
}

/// A cargo sparse registry: `config.json`, index files and `.crate` archives under one
/// directory, served by a [`StaticServer`].
pub struct CargoRegistry {
    dir: tempfile::TempDir,
    server: StaticServer,
}

impl CargoRegistry {
    /// An empty registry, served.
    pub fn new() -> CargoRegistry {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = StaticServer::serve(dir.path());
        let config = format!(
            r#"{{"dl": "{}/dl/{{crate}}/{{version}}/download", "api": null}}"#,
            server.url()
        );
        std::fs::write(dir.path().join("config.json"), config).expect("config.json");
        CargoRegistry { dir, server }
    }

    /// `sparse+http://127.0.0.1:PORT/`, for cargo's `[source]` or `[registries]` config.
    pub fn index_url(&self) -> String {
        format!("sparse+{}/", self.server.url())
    }

    /// The server (for its request log).
    pub fn server(&self) -> &StaticServer {
        &self.server
    }

    /// Publishes a library crate `name` `version` whose `src/lib.rs` is `lib_rs`, packaged by
    /// `cargo package`; `yanked` marks it yanked in the index.
    pub fn publish(&self, name: &str, version: &str, lib_rs: &str, yanked: bool) {
        let work = tempfile::tempdir().expect("tempdir");
        let krate = work.path().join(name);
        std::fs::create_dir_all(krate.join("src")).expect("mkdir");
        std::fs::write(
            krate.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n\
                 description = \"test crate\"\nlicense = \"MIT\"\n\n[workspace]\n"
            ),
        )
        .expect("Cargo.toml");
        std::fs::write(krate.join("src/lib.rs"), lib_rs).expect("lib.rs");
        let out = Command::new("cargo")
            .args([
                "package",
                "--no-verify",
                "--allow-dirty",
                "--offline",
                "--quiet",
            ])
            .current_dir(&krate)
            .env("CARGO_TARGET_DIR", work.path().join("target"))
            .output()
            .expect("cargo package");
        assert!(
            out.status.success(),
            "cargo package: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let archive = work
            .path()
            .join("target/package")
            .join(format!("{name}-{version}.crate"));
        let bytes = std::fs::read(&archive).expect("the .crate");
        let cksum = hex::encode(sha2::Sha256::digest(&bytes));
        let dl = self.dir.path().join("dl").join(name).join(version);
        std::fs::create_dir_all(&dl).expect("mkdir dl");
        std::fs::write(dl.join("download"), &bytes).expect("write .crate");
        let line = serde_json::json!({
            "name": name, "vers": version, "deps": [], "cksum": cksum,
            "features": {}, "yanked": yanked, "v": 2,
        });
        let index = self.dir.path().join(sparse_path(name));
        std::fs::create_dir_all(index.parent().expect("parent")).expect("mkdir index");
        let mut text = std::fs::read_to_string(&index).unwrap_or_default();
        text.push_str(&line.to_string());
        text.push('\n');
        std::fs::write(&index, text).expect("write index");
    }
}

impl Default for CargoRegistry {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the sparse protocol keeps a crate's index file.
pub fn sparse_path(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    }
}

/// An npm registry: one packument per package (served for both the abbreviated and the full
/// form) and `npm pack` tarballs, served by a [`StaticServer`].
pub struct NpmRegistry {
    dir: tempfile::TempDir,
    server: StaticServer,
    packuments: Mutex<BTreeMap<String, serde_json::Value>>,
}

impl NpmRegistry {
    /// An empty registry, served.
    pub fn new() -> NpmRegistry {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = StaticServer::serve(dir.path());
        NpmRegistry {
            dir,
            server,
            packuments: Mutex::new(BTreeMap::new()),
        }
    }

    /// `http://127.0.0.1:PORT/`, for `.npmrc`'s `registry=`.
    pub fn url(&self) -> String {
        format!("{}/", self.server.url())
    }

    /// The server (for its request log).
    pub fn server(&self) -> &StaticServer {
        &self.server
    }

    /// Publishes `name@version` whose `index.js` is `index_js`, packed by `npm pack`, and
    /// makes it `latest` unless `tag_latest` is false. `repository` goes in the packument.
    pub fn publish(&self, name: &str, version: &str, index_js: &str, tag_latest: bool) {
        let work = tempfile::tempdir().expect("tempdir");
        let manifest = serde_json::json!({
            "name": name, "version": version, "main": "index.js", "license": "MIT",
            "repository": {"type": "git", "url": format!("git+https://github.com/example/{name}.git")},
        });
        std::fs::write(work.path().join("package.json"), manifest.to_string())
            .expect("package.json");
        std::fs::write(work.path().join("index.js"), index_js).expect("index.js");
        let out = Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(work.path())
            .current_dir(work.path())
            .output()
            .expect("npm pack");
        assert!(
            out.status.success(),
            "npm pack: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .last()
            .unwrap_or("")
            .to_owned();
        let bytes = std::fs::read(work.path().join(&file)).expect("the tarball");
        let tarball_name = format!("{}-{version}.tgz", name.replace('/', "-"));
        let tarballs = self.dir.path().join("-");
        std::fs::create_dir_all(&tarballs).expect("mkdir");
        std::fs::write(tarballs.join(&tarball_name), &bytes).expect("write tarball");
        let shasum = hex::encode(sha1::Sha1::digest(&bytes));
        let integrity = format!(
            "sha512-{}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                sha2::Sha512::digest(&bytes)
            )
        );
        let mut packuments = self.packuments.lock().expect("lock");
        let doc = packuments.entry(name.to_owned()).or_insert_with(|| {
            serde_json::json!({"name": name, "dist-tags": {}, "versions": {},
                "repository": {"type": "git", "url": format!("git+https://github.com/example/{name}.git")}})
        });
        doc["versions"][version] = serde_json::json!({
            "name": name, "version": version, "main": "index.js",
            "dist": {"tarball": format!("{}/-/{tarball_name}", self.server.url()),
                     "shasum": shasum, "integrity": integrity},
        });
        if tag_latest {
            doc["dist-tags"]["latest"] = serde_json::json!(version);
        }
        let file = self.dir.path().join(name.replace('/', "%2f"));
        std::fs::write(file, doc.to_string()).expect("write packument");
    }
}

impl Default for NpmRegistry {
    fn default() -> Self {
        Self::new()
    }
}

/// A cargo project in a git repository (branch `main`, one commit) on a local registry that
/// replaces crates.io: `good` 1.0.0 → 1.0.1 keeps its tests passing, `bad` 1.0.0 → 2.0.0
/// (outside `bad = "1.0.0"`) breaks them. cargo runs with `CARGO_HOME` under [`Self::home`].
pub struct CargoProject {
    /// The registry (drop it to take it down).
    pub registry: CargoRegistry,
    /// A scratch directory: `cargo/` is the `CARGO_HOME`.
    pub home: tempfile::TempDir,
    /// The project.
    pub dir: tempfile::TempDir,
}

impl CargoProject {
    /// Publishes the crates, writes the project, locks `good` at 1.0.0 and commits.
    pub fn good_and_bad() -> CargoProject {
        let registry = CargoRegistry::new();
        for (name, version, value) in [
            ("good", "1.0.0", 1),
            ("good", "1.0.1", 1),
            ("bad", "1.0.0", 1),
            ("bad", "2.0.0", 2),
        ] {
            let lib = format!("pub fn value() -> u32 {{ {value} }}\n");
            registry.publish(name, version, &lib, false);
        }
        let home = tempfile::tempdir().expect("tempdir");
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        for d in ["src", ".cargo", "tests"] {
            std::fs::create_dir_all(p.join(d)).expect("mkdir");
        }
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\ngood = \"1.0.0\"\nbad = \"1.0.0\"\n\n[workspace]\n"
                    .to_owned(),
            ),
            (
                ".cargo/config.toml",
                format!(
                    "[source.crates-io]\nreplace-with = \"local\"\n\n[source.local]\n\
                     registry = \"{}\"\n",
                    registry.index_url()
                ),
            ),
            (
                "src/lib.rs",
                "pub fn total() -> u32 { good::value() + bad::value() }\n".to_owned(),
            ),
            (
                "tests/total.rs",
                "#[test]\nfn total_is_two() { assert_eq!(app::total(), 2); }\n".to_owned(),
            ),
            (".gitignore", "target/\n".to_owned()),
        ];
        for (path, text) in files {
            std::fs::write(p.join(path), text).expect("write");
        }
        let cargo_home = home.path().join("cargo");
        let run = |program: &str, args: &[&str]| {
            let out = Command::new(program)
                .args(args)
                .current_dir(p)
                .env("CARGO_HOME", &cargo_home)
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "{program} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run("cargo", &["generate-lockfile"]);
        run(
            "cargo",
            &["update", "--package", "good", "--precise", "1.0.0"],
        );
        let id = ["-c", "user.name=t", "-c", "user.email=t@t"];
        run("git", &["init", "--quiet", "--initial-branch", "main"]);
        run("git", &[&id[..], &["add", "."]].concat());
        run(
            "git",
            &[&id[..], &["commit", "--quiet", "-m", "init"]].concat(),
        );
        CargoProject {
            registry,
            home,
            dir,
        }
    }

    /// The `CARGO_HOME` the project was locked with.
    pub fn cargo_home(&self) -> PathBuf {
        self.home.path().join("cargo")
    }
}
