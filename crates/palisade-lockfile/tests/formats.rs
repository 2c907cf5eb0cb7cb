//! Every format and version, from the fixtures in `tests/fixtures/` (see its README for how
//! each was made): names, versions, aliases, sources, directness, dev flags and paths.

mod common;

use common::{ids, load, load_with, pkg, read};
use palisade_lockfile::{Ecosystem, LockfileKind, Source, parse, parse_with_manifest};

fn registry() -> Source {
    Source::Registry { url: None }
}

#[test]
fn cargo_lock_v1_to_v4_agree() {
    let v4 = load("cargo-v4", "Cargo.lock");
    assert_eq!(v4.kind, LockfileKind::CargoLock);
    assert_eq!(v4.root, None, "three local packages: no single root");
    for scenario in ["cargo-v1", "cargo-v2", "cargo-v3"] {
        let other = load(scenario, "Cargo.lock");
        assert_eq!(other.packages, v4.packages, "{scenario}");
    }
    assert_eq!(v4.packages.len(), 19);
    assert!(
        v4.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::CratesIo && !p.dev)
    );

    // Two versions of one crate, told apart by "name version" dependency strings.
    let old = pkg(&v4, "itoa@0.4.8");
    assert!(old.direct);
    assert_eq!(old.path, ["app@0.1.0", "itoa@0.4.8"]);
    let new = pkg(&v4, "itoa@1.0.19");
    assert!(!new.direct);
    assert_eq!(new.path, ["app@0.1.0", "serde_json@1.0.100", "itoa@1.0.19"]);
    assert_eq!(
        new.source,
        Source::Registry {
            url: Some("registry+https://github.com/rust-lang/crates.io-index".into())
        }
    );

    // Members and path dependencies are roots, not auditable.
    for local in ["app@0.1.0", "util@0.2.0", "vendored@0.3.0"] {
        let p = pkg(&v4, local);
        assert_eq!(p.source, Source::Workspace);
        assert!(!p.direct && !p.source.is_auditable());
        assert_eq!(p.path, [local]);
    }
    assert_eq!(
        pkg(&v4, "memchr@2.8.3").path,
        ["util@0.2.0", "memchr@2.8.3"]
    );
    assert_eq!(
        pkg(&v4, "cfg-if@1.0.5").path,
        ["vendored@0.3.0", "cfg-if@1.0.5"]
    );

    let git = pkg(&v4, "gitdep@0.5.0");
    assert!(
        matches!(&git.source, Source::Git { url } if url.ends_with("#0123456789abcdef0123456789abcdef01234567"))
    );
    assert!(!git.source.is_auditable());
    assert_eq!(
        pkg(&v4, "unicode-ident@1.0.27").path,
        [
            "app@0.1.0",
            "serde_json@1.0.100",
            "serde@1.0.229",
            "serde_core@1.0.229",
            "serde_derive@1.0.229",
            "proc-macro2@1.0.107",
            "unicode-ident@1.0.27"
        ]
    );
}

#[test]
fn cargo_single_root_names_the_lockfile() {
    let text = "version = 4\n\n[[package]]\nname = \"solo\"\nversion = \"0.1.0\"\ndependencies = [\"log\"]\n\n\
                [[package]]\nname = \"log\"\nversion = \"0.4.0\"\nsource = \"sparse+https://index.example.org/\"\n";
    let lock = parse("Cargo.lock", text).unwrap();
    assert_eq!(lock.root.as_deref(), Some("solo@0.1.0"));
    assert_eq!(pkg(&lock, "log@0.4.0").path, ["solo@0.1.0", "log@0.4.0"]);
}

/// What npm v2 and v3 (and yarn Berry, pnpm) agree on for the fixture project.
fn check_npm_project(lock: &palisade_lockfile::Lockfile, root: &str, registry: usize) {
    // `"lodash4": "npm:lodash@4.17.21"`: the real name.
    let lodash = pkg(lock, "lodash@4.17.21");
    assert!(lodash.direct);
    assert_eq!(lodash.path, [root, "lodash@4.17.21"]);
    assert!(!ids(lock).iter().any(|id| id.starts_with("lodash4")));
    // Nested duplicates of one name: each version once, with its own shortest path.
    assert_eq!(
        pkg(lock, "ms@2.0.0").path,
        [root, "debug@2.6.9", "ms@2.0.0"]
    );
    assert_eq!(
        pkg(lock, "ms@2.1.1").path,
        [root, "send@0.17.1", "ms@2.1.1"]
    );
    assert_eq!(
        pkg(lock, "inherits@2.0.4").path,
        [root, "send@0.17.1", "http-errors@1.7.3", "inherits@2.0.4"]
    );
    let minimist = pkg(lock, "minimist@1.2.5");
    assert!(minimist.direct && minimist.dev);
    assert!(
        pkg(lock, "is-number@7.0.0").direct,
        "optional dependencies are direct"
    );
    assert!(!pkg(lock, "send@0.17.1").dev);
    assert!(!pkg(lock, "scheduler@0.23.2").direct);
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    let registry_count = lock
        .packages
        .iter()
        .filter(|p| p.source.is_auditable())
        .count();
    assert_eq!(registry_count, registry);
}

#[test]
fn package_lock_v3_and_v2() {
    for scenario in ["npm-v3", "npm-v2"] {
        let lock = load(scenario, "package-lock.json");
        assert_eq!(lock.kind, LockfileKind::PackageLock);
        assert_eq!(lock.root.as_deref(), Some("fixture-app@1.0.0"));
        check_npm_project(&lock, "fixture-app@1.0.0", 32);
        assert_eq!(lock.packages.len(), 35, "{scenario}");

        // `file:./local-lib` is installed as a link: not auditable, its own deps still are.
        let local = pkg(&lock, "local-lib@0.1.0");
        assert_eq!(
            local.source,
            Source::Link {
                target: "local-lib".into()
            }
        );
        assert!(local.direct);
        assert_eq!(
            pkg(&lock, "left-pad@1.3.0").path,
            ["fixture-app@1.0.0", "local-lib@0.1.0", "left-pad@1.3.0"]
        );
        // Workspace members are roots; their dependencies are direct, nested ones resolved
        // from the member's own node_modules first.
        assert_eq!(pkg(&lock, "@fixture/web@0.2.0").source, Source::Workspace);
        assert_eq!(
            pkg(&lock, "ms@2.1.3").path,
            ["@fixture/web@0.2.0", "ms@2.1.3"]
        );
        assert!(pkg(&lock, "semver@7.5.4").direct);
        assert_eq!(
            pkg(&lock, "yallist@4.0.0").path,
            [
                "@fixture/util@0.3.0",
                "semver@7.5.4",
                "lru-cache@6.0.0",
                "yallist@4.0.0"
            ]
        );
    }
    // v2 carries the v1 tree as well; both versions read the same.
    assert_eq!(
        load("npm-v2", "package-lock.json").packages,
        load("npm-v3", "package-lock.json").packages
    );
}

#[test]
fn npm_shrinkwrap_is_a_package_lock() {
    let text = read("npm-v3", "package-lock.json");
    let lock = parse("npm-shrinkwrap.json", &text).unwrap();
    assert_eq!(lock.kind, LockfileKind::NpmShrinkwrap);
    assert_eq!(lock.packages, load("npm-v3", "package-lock.json").packages);
}

#[test]
fn package_lock_v1() {
    let lock = load("npm-v1", "package-lock.json");
    assert_eq!(lock.root.as_deref(), Some("fixture-app@1.0.0"));
    // npm 6 knows no workspaces: their dependencies are missing.
    check_npm_project(&lock, "fixture-app@1.0.0", 28);
    let tarball = "https://registry.example.org/debug/-/debug-2.6.9.tgz";
    assert_eq!(
        pkg(&lock, "debug@2.6.9").source,
        Source::Registry {
            url: Some(tarball.into())
        }
    );
    // v1 records `file:` dependencies without their version.
    let local = pkg(&lock, "local-lib");
    assert_eq!(
        local.source,
        Source::Path {
            path: "local-lib".into()
        }
    );
    assert!(local.direct);

    // Without package.json: top-level entries nothing requires are the direct ones.
    let guessed = load_with("npm-v1", "package-lock.json", false);
    assert!(pkg(&guessed, "send@0.17.1").direct);
    assert!(pkg(&guessed, "minimist@1.2.5").dev);
    // debug is also required by send, so only the manifest can tell it is direct.
    assert!(!pkg(&guessed, "debug@2.6.9").direct);
    assert!(pkg(&lock, "debug@2.6.9").direct);
}

#[test]
fn package_lock_non_registry_sources() {
    let text = r#"{
  "name": "app", "lockfileVersion": 3,
  "packages": {
    "": { "name": "app", "dependencies": { "g": "github:acme/g", "t": "https://example.org/t.tgz", "outside": "file:../outside", "scoped": "npm:@acme/real@^2" } },
    "node_modules/g": { "version": "1.0.0", "resolved": "git+ssh://git@example.org/acme/g.git#0123abc" },
    "node_modules/t": { "version": "2.0.0", "resolved": "https://example.org/t.tgz" },
    "node_modules/outside": { "resolved": "../outside", "link": true },
    "../outside": { "version": "3.0.0" },
    "node_modules/scoped": { "name": "@acme/real", "version": "2.1.0", "resolved": "https://mirror.example.org/@acme/real/-/real-2.1.0.tgz" }
  }
}"#;
    let lock = parse("package-lock.json", text).unwrap();
    assert!(matches!(pkg(&lock, "g@1.0.0").source, Source::Git { .. }));
    assert!(matches!(pkg(&lock, "t@2.0.0").source, Source::Url { .. }));
    assert_eq!(
        pkg(&lock, "outside@3.0.0").source,
        Source::Link {
            target: "../outside".into()
        }
    );
    let scoped = pkg(&lock, "@acme/real@2.1.0");
    assert!(scoped.direct && scoped.source.is_auditable());
    assert!(lock.packages.iter().all(|p| p.direct));
}

#[test]
fn yarn_v1() {
    let lock = load("yarn-v1", "yarn.lock");
    assert_eq!(lock.kind, LockfileKind::YarnLock);
    assert_eq!(lock.root.as_deref(), Some("fixture-app@1.0.0"));
    check_npm_project(&lock, "fixture-app@1.0.0", 32);
    assert_eq!(
        pkg(&lock, "local-lib@0.1.0").source,
        Source::Path {
            path: "./local-lib".into()
        }
    );
    // Workspace members are not in a v1 lockfile; what they alone asked for is still direct.
    assert!(pkg(&lock, "semver@7.5.4").direct);

    let guessed = load_with("yarn-v1", "yarn.lock", false);
    assert_eq!(guessed.root, None);
    assert!(pkg(&guessed, "send@0.17.1").direct);
    assert!(
        !pkg(&guessed, "minimist@1.2.5").dev,
        "dev needs package.json"
    );
    // debug is also send's dependency, so without package.json it is not known as direct.
    assert_eq!(
        pkg(&guessed, "ms@2.0.0").path,
        ["(root)", "send@0.17.1", "debug@2.6.9", "ms@2.0.0"]
    );
}

#[test]
fn yarn_v1_aliases_git_and_quoting() {
    let text = r#"# yarn lockfile v1


"@types/node@^20", "@types/node@^20.1":
  version "20.4.0"
  resolved "https://registry.example.org/@types/node/-/node-20.4.0.tgz#abc"

"legacy@npm:@acme/modern@^2":
  version "2.3.0"
  resolved "https://registry.example.org/@acme/modern/-/modern-2.3.0.tgz"
  dependencies:
    "@types/node" "^20.1"

"tool@github:acme/tool#v1":
  version "1.0.0"
  resolved "https://codeload.example.org/acme/tool/tar.gz/0123abc"

gitdep@git+https://example.org/acme/gitdep.git#main:
  version "0.1.0"
  resolved "git+https://example.org/acme/gitdep.git#0123abc"
"#;
    let manifest = r#"{"dependencies": {"legacy": "npm:@acme/modern@^2", "tool": "github:acme/tool#v1", "gitdep": "git+https://example.org/acme/gitdep.git#main"}}"#;
    let lock = parse_with_manifest("yarn.lock", text, Some(manifest)).unwrap();
    let modern = pkg(&lock, "@acme/modern@2.3.0");
    assert!(modern.direct && modern.source.is_auditable());
    assert_eq!(
        pkg(&lock, "@types/node@20.4.0").path,
        ["(root)", "@acme/modern@2.3.0", "@types/node@20.4.0"]
    );
    assert!(matches!(
        pkg(&lock, "tool@1.0.0").source,
        Source::Url { .. }
    ));
    assert!(matches!(
        pkg(&lock, "gitdep@0.1.0").source,
        Source::Git { .. }
    ));
}

#[test]
fn yarn_berry() {
    let lock = load("yarn-berry", "yarn.lock");
    assert_eq!(lock.root.as_deref(), Some("fixture-app@1.0.0"));
    check_npm_project(&lock, "fixture-app@1.0.0", 32);
    assert_eq!(pkg(&lock, "@fixture/web").source, Source::Workspace);
    assert_eq!(pkg(&lock, "ms@2.1.3").path, ["@fixture/web", "ms@2.1.3"]);
    assert_eq!(
        pkg(&lock, "local-lib@0.1.0").source,
        Source::Path {
            path: "./local-lib".into()
        }
    );
    assert!(pkg(&lock, "local-lib@0.1.0").direct);
    // Berry's own entry has no dev flag: package.json brings it.
    assert!(
        !pkg(
            &load_with("yarn-berry", "yarn.lock", false),
            "minimist@1.2.5"
        )
        .dev
    );
}

#[test]
fn yarn_berry_protocols() {
    let text = r#"__metadata:
  version: 6
  cacheKey: 8

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    resolve: "patch:resolve@npm%3A^1.22.0#~builtin<compat/resolve>"
    linked: "link:../linked"
    old-style: 1.0.0
  languageName: unknown
  linkType: soft

"resolve@patch:resolve@npm%3A^1.22.0#~builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#~builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
  languageName: node
  linkType: hard

"resolve@npm:^1.22.0":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"
  languageName: node
  linkType: hard

"linked@link:../linked::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "linked@link:../linked::locator=app%40workspace%3A."
  languageName: node
  linkType: soft

"old-style@npm:1.0.0":
  version: 1.0.0
  resolution: "old-style@npm:1.0.0"
  languageName: node
  linkType: hard
"#;
    let lock = parse("yarn.lock", text).unwrap();
    let resolve = pkg(&lock, "resolve@1.22.8");
    assert!(matches!(resolve.source, Source::Patched { .. }));
    assert!(resolve.source.is_auditable() && resolve.direct);
    assert!(matches!(
        pkg(&lock, "linked@0.0.0-use.local").source,
        Source::Link { .. }
    ));
    assert!(
        pkg(&lock, "old-style@1.0.0").direct,
        "metadata v4/v5 ranges without npm:"
    );
}

#[test]
fn pnpm_v5_v6_v9() {
    for scenario in ["pnpm-v5", "pnpm-v6", "pnpm-v9"] {
        let lock = load(scenario, "pnpm-lock.yaml");
        assert_eq!(lock.kind, LockfileKind::PnpmLock);
        assert_eq!(lock.root, None, "{scenario}");
        check_npm_project(&lock, "(root)", 32);
        // Importers are roots named by their folder; `link:` between them follows.
        assert_eq!(
            pkg(&lock, "ms@2.1.3").path,
            ["packages/web", "ms@2.1.3"],
            "{scenario}"
        );
        assert!(pkg(&lock, "semver@7.5.4").direct);
        // A peer-dependency variant (`_react@18.2.0`, `(react@18.2.0)`) is the one package.
        assert_eq!(
            ids(&lock)
                .iter()
                .filter(|i| i.starts_with("react-dom@"))
                .count(),
            1
        );
        // v5 keeps the directory dependency's version; later ones do not.
        let local = lock
            .packages
            .iter()
            .find(|p| p.name == "local-lib")
            .unwrap();
        assert_eq!(
            local.source,
            Source::Path {
                path: "local-lib".into()
            }
        );
        assert_eq!(local.path.len(), 2);
    }
}

#[test]
fn pnpm_v9_non_registry_and_links() {
    let text = r#"lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      tool:
        specifier: github:acme/tool
        version: https://codeload.example.org/acme/tool/tar.gz/0123abc
      repo:
        specifier: git+https://example.org/acme/repo.git
        version: git+https://example.org/acme/repo.git#0123abc
      outside:
        specifier: link:../outside
        version: link:../outside

packages:
  tool@https://codeload.example.org/acme/tool/tar.gz/0123abc:
    resolution: {tarball: https://codeload.example.org/acme/tool/tar.gz/0123abc}
    version: 1.0.0
  repo@git+https://example.org/acme/repo.git#0123abc:
    resolution: {commit: 0123abc, repo: https://example.org/acme/repo.git, type: git}
    version: 2.0.0

snapshots:
  tool@https://codeload.example.org/acme/tool/tar.gz/0123abc: {}
  repo@git+https://example.org/acme/repo.git#0123abc: {}
"#;
    let lock = parse("pnpm-lock.yaml", text).unwrap();
    assert!(matches!(
        pkg(&lock, "tool@1.0.0").source,
        Source::Url { .. }
    ));
    assert_eq!(
        pkg(&lock, "repo@2.0.0").source,
        Source::Git {
            url: "https://example.org/acme/repo.git#0123abc".into()
        }
    );
    let outside = pkg(&lock, "outside");
    assert!(outside.direct && matches!(outside.source, Source::Link { .. }));
}

#[test]
fn poetry_lock() {
    let lock = load("poetry", "poetry.lock");
    assert_eq!(lock.kind, LockfileKind::PoetryLock);
    assert_eq!(lock.root.as_deref(), Some("fixture-py@0.1.0"));
    assert_eq!(lock.packages.len(), 19);
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::PyPI));
    let flask = pkg(&lock, "flask@3.0.0");
    assert!(flask.direct && !flask.dev);
    // `Jinja2 = ">=3.1.2"` in flask's dependencies: PEP 503 names link them.
    assert_eq!(
        pkg(&lock, "markupsafe@3.0.4").path,
        [
            "fixture-py@0.1.0",
            "flask@3.0.0",
            "jinja2@3.1.6",
            "markupsafe@3.0.4"
        ]
    );
    let pytest = pkg(&lock, "pytest@8.0.0");
    assert!(pytest.direct && pytest.dev);
    assert!(pkg(&lock, "pluggy@1.7.0").dev);
    let local = pkg(&lock, "localpkg@0.1.0");
    assert_eq!(
        local.source,
        Source::Path {
            path: "localpkg".into()
        }
    );
    assert_eq!(
        pkg(&lock, "six@1.16.0").path,
        ["fixture-py@0.1.0", "localpkg@0.1.0", "six@1.16.0"]
    );

    // Without pyproject.toml: what nothing depends on is direct; groups still say dev.
    let guessed = load_with("poetry", "poetry.lock", false);
    assert!(pkg(&guessed, "requests@2.31.0").direct);
    assert!(pkg(&guessed, "pytest@8.0.0").dev);
}

#[test]
fn poetry_lock_1x_categories_and_git() {
    let lock = load("poetry-v1", "poetry.lock");
    assert_eq!(lock.root.as_deref(), Some("legacy-app@1.2.0"));
    assert!(pkg(&lock, "iniconfig@2.0.0").dev);
    assert!(!pkg(&lock, "idna@3.4").dev);
    let toolbox = pkg(&lock, "toolbox@0.4.0");
    assert!(toolbox.direct);
    assert_eq!(
        toolbox.source,
        Source::Git {
            url: "https://example.org/acme/toolbox.git#9f2c1e0d4b7a6c5e3f1a2b3c4d5e6f708192a3b4"
                .into()
        }
    );
    // `Requests = "^2.28"` in toolbox: a name in another case still links.
    assert!(pkg(&lock, "requests@2.31.0").direct);
}

#[test]
fn pipfile_lock() {
    let lock = load("pipenv", "Pipfile.lock");
    assert_eq!(lock.kind, LockfileKind::PipfileLock);
    assert_eq!(lock.packages.len(), 16);
    let requests = pkg(&lock, "requests@2.31.0");
    assert!(requests.direct && !requests.dev);
    assert_eq!(requests.path, ["(root)", "requests@2.31.0"]);
    let pytest = pkg(&lock, "pytest@8.0.0");
    assert!(pytest.direct && pytest.dev);
    // No graph in a Pipfile.lock: transitive ones are on their own.
    let idna = pkg(&lock, "idna@3.20");
    assert!(!idna.direct);
    assert_eq!(idna.path, ["idna@3.20"]);
    assert!(pkg(&lock, "pluggy@1.7.0").dev);

    let bare = load_with("pipenv", "Pipfile.lock", false);
    assert!(bare.packages.iter().all(|p| !p.direct));

    let text = r#"{"default": {
        "tool": {"git": "https://example.org/acme/tool.git", "ref": "0123abc"},
        "mine": {"path": ".", "editable": true},
        "private": {"version": "==1.0", "index": "internal"}
    }, "develop": {}}"#;
    let lock = parse("Pipfile.lock", text).unwrap();
    assert!(matches!(pkg(&lock, "tool").source, Source::Git { .. }));
    assert_eq!(pkg(&lock, "mine").source, Source::Path { path: ".".into() });
    assert_eq!(
        pkg(&lock, "private@1.0").source,
        Source::Registry {
            url: Some("internal".into())
        }
    );
}

#[test]
fn requirements_from_pip_compile() {
    let lock = load("requirements", "requirements.txt");
    assert_eq!(lock.kind, LockfileKind::Requirements);
    assert_eq!(lock.packages.len(), 12);
    assert!(lock.packages.iter().all(|p| p.source == registry()));
    // `# via -r requirements.in` is direct; `# via flask` is flask's.
    assert!(pkg(&lock, "flask@3.0.0").direct);
    assert_eq!(
        pkg(&lock, "markupsafe@3.0.4").path,
        ["(root)", "flask@3.0.0", "jinja2@3.1.6", "markupsafe@3.0.4"]
    );
    assert!(!pkg(&lock, "certifi@2026.10.19.post1").direct);
}

#[test]
fn requirements_by_hand() {
    let lock = load("requirements", "requirements-dev.txt");
    assert_eq!(
        ids(&lock),
        [
            "coverage@7.4.1",
            "localtool",
            "mypy",
            "pkg-from-git",
            "pytest@8.0.0",
            "ruff",
            "zope-interface@6.1"
        ]
    );
    assert!(lock.packages.iter().all(|p| p.direct && p.path.len() == 2));
    assert_eq!(
        pkg(&lock, "ruff").source,
        Source::Unpinned {
            requirement: "ruff>=0.3,<0.5".into()
        }
    );
    assert_eq!(
        pkg(&lock, "mypy").source.to_string(),
        "unpinned requirement mypy: not auditable"
    );
    assert!(matches!(
        pkg(&lock, "pkg-from-git").source,
        Source::Git { .. }
    ));
    assert!(matches!(pkg(&lock, "localtool").source, Source::Url { .. }));
}

#[test]
fn pep503_names_everywhere() {
    let lock = parse(
        "requirements.txt",
        "Flask_SQLAlchemy==3.1.1\nzope.interface==6.1\n",
    )
    .unwrap();
    assert_eq!(ids(&lock), ["flask-sqlalchemy@3.1.1", "zope-interface@6.1"]);
    assert_eq!(
        palisade_lockfile::normalize_pypi_name("Ruamel.YAML__clib"),
        "ruamel-yaml-clib"
    );
}

/// `requested` is the requirement the parent on the recorded path declared, where the format
/// records one: npm, yarn and pnpm importers write ranges; pnpm's package edges only resolved
/// versions; poetry its packages' constraints; Cargo.lock none.
#[test]
fn requested_is_the_parents_requirement() {
    let npm_family = [
        ("npm-v1", "package-lock.json"),
        ("npm-v2", "package-lock.json"),
        ("npm-v3", "package-lock.json"),
        ("yarn-v1", "yarn.lock"),
        ("yarn-berry", "yarn.lock"),
        ("pnpm-v5", "pnpm-lock.yaml"),
        ("pnpm-v6", "pnpm-lock.yaml"),
        ("pnpm-v9", "pnpm-lock.yaml"),
    ];
    for (scenario, file) in npm_family {
        let lock = load(scenario, file);
        let requested = |id: &str| pkg(&lock, id).requested.clone();
        assert_eq!(
            requested("debug@2.6.9").as_deref(),
            Some("2.6.9"),
            "{scenario}"
        );
        // The alias `"lodash4": "npm:lodash@4.17.21"` asks for lodash 4.17.21.
        assert_eq!(
            requested("lodash@4.17.21").as_deref(),
            Some("4.17.21"),
            "{scenario}"
        );
        let transitive = requested("ms@2.1.1");
        if scenario.starts_with("pnpm") {
            assert_eq!(transitive, None, "{scenario}");
        } else {
            assert_eq!(transitive.as_deref(), Some("2.1.1"), "{scenario}");
        }
    }
    // send@0.17.1 asks for escape-html ~1.0.3 (npm 6 and yarn v1 reach it through send).
    let v1 = load("npm-v1", "package-lock.json");
    assert_eq!(
        pkg(&v1, "escape-html@1.0.3").requested.as_deref(),
        Some("~1.0.3")
    );
    // Without package.json, yarn v1's guessed root edges carry no requirement.
    let bare = load_with("yarn-v1", "yarn.lock", false);
    assert_eq!(pkg(&bare, "send@0.17.1").requested, None);

    let poetry = load("poetry", "poetry.lock");
    assert_eq!(
        pkg(&poetry, "jinja2@3.1.6").requested.as_deref(),
        Some(">=3.1.2")
    );
    assert_eq!(pkg(&poetry, "flask@3.0.0").requested, None);

    let cargo = load("cargo-v4", "Cargo.lock");
    assert!(cargo.packages.iter().all(|p| p.requested.is_none()));
}
