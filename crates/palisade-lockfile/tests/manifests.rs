//! `read_manifest`: every declaration form of `Cargo.toml` and `package.json` (fixtures
//! `manifest-cargo` and `manifest-npm`), malformed manifests as located errors, and no panics.

mod common;

use common::{fixture_dir, read};
use palisade_lockfile::{
    Declared, DeclaredSource, DepKind, Ecosystem, ErrorKind, Manifest, ManifestKind,
    manifest_kind_of, read_manifest,
};

fn find<'a>(deps: &'a [Declared], key: &str, kind: DepKind) -> &'a Declared {
    deps.iter()
        .find(|d| d.key() == key && d.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} dependency {key}"))
}

fn cargo_fixture() -> Manifest {
    read_manifest("Cargo.toml", &read("manifest-cargo", "Cargo.toml")).unwrap()
}

fn npm_fixture() -> Manifest {
    read_manifest("web/package.json", &read("manifest-npm", "package.json")).unwrap()
}

fn git(url: &str, reference: Option<&str>) -> DeclaredSource {
    DeclaredSource::Git {
        url: url.into(),
        reference: reference.map(Into::into),
    }
}

#[test]
fn kinds_come_from_the_file_name() {
    assert_eq!(
        manifest_kind_of("a/b/Cargo.toml"),
        Some(ManifestKind::CargoToml)
    );
    assert_eq!(
        manifest_kind_of("web\\package.json"),
        Some(ManifestKind::PackageJson)
    );
    assert_eq!(manifest_kind_of("cargo.toml"), None);
    assert_eq!(manifest_kind_of("package-lock.json"), None);
    assert_eq!(ManifestKind::CargoToml.ecosystem(), Ecosystem::CratesIo);
    assert_eq!(ManifestKind::PackageJson.ecosystem(), Ecosystem::Npm);
    let err = read_manifest("pyproject.toml", "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownFormat);
    assert_eq!(
        err.to_string(),
        "pyproject.toml: not a known manifest name (package.json, Cargo.toml)"
    );
}

#[test]
fn cargo_string_and_table_forms() {
    let m = cargo_fixture();
    assert_eq!(m.kind, ManifestKind::CargoToml);
    assert_eq!(m.name.as_deref(), Some("demo"));
    let deps = &m.dependencies;

    let serde = find(deps, "serde", DepKind::Normal);
    assert_eq!(serde.requirement, "1.0.100");
    assert_eq!(serde.source, DeclaredSource::Registry);
    assert_eq!(
        (serde.alias.as_deref(), serde.target.as_deref()),
        (None, None)
    );
    assert!(serde.default_features && serde.features.is_empty());

    let json = find(deps, "serde_json", DepKind::Normal);
    assert_eq!(json.requirement, "=1.0.120");
    assert_eq!(json.features, ["alloc"]);
    assert!(!json.default_features);

    let renamed = find(deps, "json5", DepKind::Normal);
    assert_eq!(renamed.name, "serde_json5");
    assert_eq!(renamed.alias.as_deref(), Some("json5"));
    assert_eq!(renamed.requirement, "~0.1.0");

    let regex = find(deps, "regex", DepKind::Optional);
    assert_eq!(regex.requirement, ">=1.5, <1.11");

    // `[dependencies.clap]` header tables read like inline ones.
    let clap = find(deps, "clap", DepKind::Normal);
    assert_eq!(
        (clap.requirement.as_str(), clap.features.as_slice()),
        ("4", &["derive".to_owned()][..])
    );

    assert_eq!(find(deps, "tiny", DepKind::Normal).requirement, "0.0.4");
    assert_eq!(
        find(deps, "beta", DepKind::Normal).requirement,
        "1.0.0-beta.2"
    );

    let private = find(deps, "private", DepKind::Normal);
    assert_eq!(private.registry.as_deref(), Some("corp"));
    assert_eq!(private.source, DeclaredSource::Registry);
}

#[test]
fn cargo_sources() {
    let m = cargo_fixture();
    let deps = &m.dependencies;
    let local = find(deps, "local", DepKind::Normal);
    assert_eq!(
        local.source,
        DeclaredSource::Path {
            path: "../local".into()
        }
    );
    assert_eq!(local.requirement, "");
    assert_eq!(
        find(deps, "forked", DepKind::Normal).source,
        git("https://example.org/forked.git", Some("fix"))
    );
    assert_eq!(
        find(deps, "pinned", DepKind::Normal).source,
        git("https://example.org/pinned", Some("0123abc"))
    );
    for key in ["tokio", "anyhow", "internal"] {
        let d = find(deps, key, DepKind::Normal);
        assert_eq!(d.source, DeclaredSource::Workspace, "{key}");
        assert_eq!(d.requirement, "", "{key}");
    }
    assert_eq!(find(deps, "tokio", DepKind::Normal).features, ["macros"]);
    assert!(!DeclaredSource::Workspace.is_registry());
}

#[test]
fn cargo_kinds_targets_and_order() {
    let m = cargo_fixture();
    let deps = &m.dependencies;
    // A crate may be both a normal and a dev dependency: two entries.
    assert_eq!(find(deps, "serde", DepKind::Dev).features, ["derive"]);
    assert_eq!(find(deps, "proptest", DepKind::Dev).requirement, "1");
    assert_eq!(find(deps, "cc", DepKind::Build).requirement, "1.0");

    let nix = find(deps, "nix", DepKind::Normal);
    assert_eq!(nix.target.as_deref(), Some("cfg(unix)"));
    let win = find(deps, "windows-sys", DepKind::Dev);
    assert_eq!(win.target.as_deref(), Some("cfg(windows)"));
    let winres = find(deps, "winres", DepKind::Build);
    assert_eq!(winres.target.as_deref(), Some("x86_64-pc-windows-gnu"));

    // Tables in file order, keys sorted within each; targets by name after the plain tables.
    let order: Vec<(&str, DepKind)> = deps.iter().map(|d| (d.key(), d.kind)).collect();
    let first_dev = order.iter().position(|o| o.1 == DepKind::Dev).unwrap();
    let first_build = order.iter().position(|o| o.1 == DepKind::Build).unwrap();
    assert!(first_dev < first_build);
    assert_eq!(order[0], ("anyhow", DepKind::Normal));
    assert_eq!(
        &order[order.len() - 3..],
        [
            ("nix", DepKind::Normal),
            ("windows-sys", DepKind::Dev),
            ("winres", DepKind::Build)
        ]
    );
    assert_eq!(deps.len(), 20);
}

#[test]
fn cargo_workspace_dependencies() {
    let m = cargo_fixture();
    let ws = &m.workspace_dependencies;
    assert_eq!(ws.len(), 3);
    let tokio = find(ws, "tokio", DepKind::Normal);
    assert_eq!(
        (tokio.requirement.as_str(), tokio.features.as_slice()),
        ("1.38", &["rt".to_owned()][..])
    );
    let internal = find(ws, "internal", DepKind::Normal);
    assert_eq!(
        internal.source,
        DeclaredSource::Path {
            path: "crates/internal".into()
        }
    );
    assert_eq!(internal.requirement, "0.2.0");

    // A virtual workspace root: no package, no dependencies of its own.
    let root = read_manifest("Cargo.toml", &read("cargo-v4", "Cargo.toml")).unwrap();
    assert_eq!(root.name, None);
    assert!(root.dependencies.is_empty() && root.workspace_dependencies.is_empty());
}

#[test]
fn cargo_old_underscore_table_names() {
    let m = read_manifest(
        "Cargo.toml",
        "[dev_dependencies]\na = \"1\"\n[build_dependencies]\nb = { version = \"2\", default_features = false }\n",
    )
    .unwrap();
    assert_eq!(find(&m.dependencies, "a", DepKind::Dev).requirement, "1");
    let b = find(&m.dependencies, "b", DepKind::Build);
    assert!(!b.default_features);
}

#[test]
fn npm_tables_and_specifiers() {
    let m = npm_fixture();
    assert_eq!(m.kind, ManifestKind::PackageJson);
    assert_eq!(m.name.as_deref(), Some("@demo/web"));
    assert!(m.workspace_dependencies.is_empty());
    let deps = &m.dependencies;
    assert_eq!(deps.len(), 19);

    let registry = |key: &str, kind: DepKind, requirement: &str| {
        let d = find(deps, key, kind);
        assert_eq!(d.source, DeclaredSource::Registry, "{key}");
        assert_eq!(d.requirement, requirement, "{key}");
        assert_eq!(d.name, key, "{key}");
    };
    registry("express", DepKind::Normal, "^4.18.2");
    registry("@types/node", DepKind::Normal, "~20.11.0");
    registry("react", DepKind::Normal, "18.2.0");
    registry("left-pad", DepKind::Normal, "*");
    registry("semver", DepKind::Normal, ">=7.5.2 <8 || ^6.3.1");
    registry("next", DepKind::Normal, "latest");
    registry("beta-lib", DepKind::Normal, "2.0.0-rc.1");
    registry("typescript", DepKind::Dev, "5.4.x");
    registry("jest", DepKind::Dev, "^29");
    registry("fsevents", DepKind::Optional, "^2.3.2");
    registry("react-dom", DepKind::Peer, "^18");

    let alias = find(deps, "lodash4", DepKind::Normal);
    assert_eq!(
        (alias.name.as_str(), alias.alias.as_deref()),
        ("lodash", Some("lodash4"))
    );
    assert_eq!(alias.requirement, "^4.17.21");
    assert_eq!(alias.source, DeclaredSource::Registry);

    let source = |key: &str| &find(deps, key, DepKind::Normal).source;
    assert_eq!(
        source("local-lib"),
        &DeclaredSource::Path {
            path: "../local-lib".into()
        }
    );
    assert_eq!(
        source("vendored"),
        &DeclaredSource::Path {
            path: "./vendor/vendored".into()
        }
    );
    assert_eq!(
        source("linked"),
        &DeclaredSource::Link {
            target: "../linked".into()
        }
    );
    assert_eq!(source("gh"), &git("expressjs/body-parser", Some("1.20.2")));
    assert_eq!(
        source("gitdep"),
        &git("git+https://example.org/gitdep.git", Some("v1.0.0"))
    );
    assert_eq!(
        source("tarball"),
        &DeclaredSource::Url {
            url: "https://example.org/tarball-1.0.0.tgz".into()
        }
    );
    assert_eq!(source("sibling"), &DeclaredSource::Workspace);
    // Non-registry specifiers keep what was written.
    assert_eq!(
        find(deps, "local-lib", DepKind::Normal).requirement,
        "file:../local-lib"
    );
    assert!(
        deps.iter()
            .all(|d| d.target.is_none() && d.registry.is_none() && d.default_features)
    );
}

#[test]
fn npm_lockfile_fixture_manifests_read() {
    for scenario in ["npm-v1", "npm-v2", "npm-v3", "yarn-v1", "yarn-berry"] {
        let m = read_manifest("package.json", &read(scenario, "package.json"))
            .unwrap_or_else(|e| panic!("{scenario}: {e}"));
        assert_eq!(m.name.as_deref(), Some("fixture-app"), "{scenario}");
        let lodash = find(&m.dependencies, "lodash4", DepKind::Normal);
        assert_eq!(lodash.name, "lodash");
    }
}

fn error(file: &str, text: &str) -> (String, ErrorKind) {
    let e = read_manifest(file, text).expect_err("should fail");
    (e.to_string(), e.kind())
}

#[test]
fn malformed_cargo_toml_errors_are_located() {
    use ErrorKind::{Invalid, Syntax};
    let cases: [(&str, &str, ErrorKind); 10] = [
        (
            "[dependencies]\nserde = 1\n",
            "Cargo.toml:2:9: dependencies.serde: invalid type: integer `1`, expected a version requirement string or a dependency table",
            Invalid,
        ),
        (
            "[package]\nname = \"x\"\n\n[dev-dependencies]\nrand = { version = 8 }\n",
            "Cargo.toml:5:20: dev-dependencies.rand.version: invalid type: integer `8`, expected a string",
            Invalid,
        ),
        (
            "[dependencies]\nserde = { features = [\"derive\"] }\n",
            "Cargo.toml:2:9: dependency (serde) specified without providing a local path, Git repository, version, or workspace dependency to use",
            Invalid,
        ),
        (
            "[dependencies]\nserde.workspace = false\n",
            "Cargo.toml:2:1: dependency (serde) has `workspace = false`: only `true` is allowed",
            Invalid,
        ),
        (
            "[dependencies]\nx = { workspace = true, version = \"1\" }\n",
            "Cargo.toml:2:5: dependency (x) specifies `workspace = true` and `version`: the workspace root declares it",
            Invalid,
        ),
        (
            "[workspace.dependencies]\nx = { workspace = true }\n",
            "Cargo.toml:2:5: dependency (x) in [workspace.dependencies] cannot itself be `workspace = true`",
            Invalid,
        ),
        (
            "[target.'cfg(unix)'.dependencies]\nnix = { git = \"https://example.org/nix\", path = \"../nix\" }\n",
            "Cargo.toml:2:7: dependency (nix) specifies both `git` and `path`: only one is allowed",
            Invalid,
        ),
        (
            "[dependencies]\ng = { git = \"https://example.org/g\", tag = \"v1\", rev = \"abc\" }\n",
            "Cargo.toml:2:5: dependency (g) specifies more than one of `branch`, `tag` and `rev`",
            Invalid,
        ),
        (
            "[dependencies]\nserde = \"1\"\nserde = \"2\"\n",
            "Cargo.toml:3:1: duplicate key",
            Syntax,
        ),
        (
            "[dependencies\nserde = \"1\"\n",
            "Cargo.toml:1:14: unclosed table, expected `]`",
            Syntax,
        ),
    ];
    for (text, message, kind) in cases {
        assert_eq!(
            error("Cargo.toml", text),
            (message.to_owned(), kind),
            "{text}"
        );
    }
}

#[test]
fn malformed_package_json_errors_are_located() {
    assert_eq!(
        error(
            "app/package.json",
            "{\n  \"dependencies\": {\n    \"a\": 1\n  }\n}"
        ),
        (
            "app/package.json:3:10: dependencies.a: invalid type: integer `1`, expected a string"
                .into(),
            ErrorKind::Invalid
        )
    );
    assert_eq!(
        error("package.json", "{\n  \"devDependencies\": [\"jest\"]\n}"),
        (
            "package.json:2:21: devDependencies: invalid type: sequence, expected a map".into(),
            ErrorKind::Invalid
        )
    );
    assert_eq!(
        error(
            "package.json",
            "{\n  \"dependencies\": {\n    \"a\": \"^1\",\n  }\n}"
        ),
        ("package.json:4:3: trailing comma".into(), ErrorKind::Syntax)
    );
    for alias in ["npm:", "npm:@^1"] {
        let text = format!(
            "{{\n  \"dependencies\": {{\n    \"ok\": \"1\",\n    \"bad\": \"{alias}\"\n  }}\n}}"
        );
        assert_eq!(
            error("package.json", &text),
            (
                format!("package.json:4:5: bad: alias {alias:?} names no package"),
                ErrorKind::Invalid
            )
        );
    }
}

/// A tiny deterministic generator (xorshift): mutations without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// Every manifest fixture, truncated and mutated: errors are fine, panics are not.
#[test]
fn no_manifest_input_panics() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let alphabet: &[u8] = b" \n\t:,\"'{}[]=.@#/^~*<>|01npm:file:workspacegitpathversion";
    let mut runs = 0;
    for scenario in std::fs::read_dir(fixture_dir()).unwrap() {
        let dir = scenario.unwrap().path();
        for name in ["Cargo.toml", "package.json"] {
            let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
                continue;
            };
            let bytes = text.as_bytes();
            for cut in 0..bytes.len() {
                let _ = read_manifest(name, &String::from_utf8_lossy(&bytes[..cut]));
                runs += 1;
            }
            for _ in 0..300 {
                let mut m = bytes.to_vec();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(m.len());
                    let c = alphabet[rng.below(alphabet.len())];
                    match rng.below(3) {
                        0 => m[at] = c,
                        1 => m.insert(at, c),
                        _ => {
                            m.remove(at);
                        }
                    }
                }
                let _ = read_manifest(name, &String::from_utf8_lossy(&m));
                runs += 1;
            }
        }
    }
    assert!(runs > 5_000, "{runs}");
}
