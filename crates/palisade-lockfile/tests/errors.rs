//! Malformed lockfiles give located errors (exact `file:line:column`), and no input panics.

mod common;

use palisade_lockfile::{ErrorKind, kind_of, parse, parse_with_manifest};

fn err(file: &str, text: &str) -> (String, ErrorKind) {
    let e = parse(file, text).expect_err("should fail");
    (e.to_string(), e.kind())
}

#[test]
fn json_errors() {
    assert_eq!(
        err(
            "package-lock.json",
            "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": { \"version\": 5 }\n  }\n}\n"
        ),
        (
            "package-lock.json:4:36: packages.node_modules/a.version: invalid type: integer `5`, expected a string"
                .into(),
            ErrorKind::Invalid
        )
    );
    assert_eq!(
        err(
            "package-lock.json",
            "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {},\n  }\n}\n"
        ),
        (
            "package-lock.json:5:3: trailing comma".into(),
            ErrorKind::Syntax
        )
    );
    assert_eq!(
        err(
            "package-lock.json",
            "{\n  \"lockfileVersion\": 7,\n  \"packages\": {}\n}\n"
        ),
        (
            "package-lock.json:2:3: unsupported lockfileVersion 7 (1, 2 and 3 are read)".into(),
            ErrorKind::Unsupported
        )
    );
    assert_eq!(
        err(
            "Pipfile.lock",
            "{\n  \"default\": {\n    \"a\": {\"version\": \"==1\"\n  }\n}\n"
        )
        .0,
        "Pipfile.lock:6:1: EOF while parsing an object"
    );
}

#[test]
fn toml_errors() {
    assert_eq!(
        err(
            "Cargo.lock",
            "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"b 2.0.0\",\n]\n"
        ),
        (
            "Cargo.lock:7:2: dependency \"b 2.0.0\" of a 1.0.0: no such package in this lockfile"
                .into(),
            ErrorKind::Invalid
        )
    );
    assert_eq!(
        err(
            "Cargo.lock",
            "version = 4\n\n[[package]]\nname = \"a\"\nversion = 1\n"
        )
        .0,
        "Cargo.lock:5:11: package[0].version: invalid type: integer `1`, expected a string"
    );
    assert_eq!(
        err("Cargo.lock", "version = 4\n\n[[package]\nname = \"a\"\n"),
        (
            "Cargo.lock:3:11: unclosed array table, expected `]`".into(),
            ErrorKind::Syntax
        )
    );
    assert_eq!(
        err("Cargo.lock", "version = 9\n"),
        (
            "Cargo.lock:1:11: unsupported Cargo.lock version 9 (1 to 4 are read)".into(),
            ErrorKind::Unsupported
        )
    );
    assert_eq!(
        err(
            "poetry.lock",
            "[[package]]\nname = \"a\"\n\n[metadata]\nlock-version = \"2.1\"\n"
        )
        .0,
        "poetry.lock:1:1: package[0]: missing field `version`"
    );
}

#[test]
fn yaml_errors() {
    assert_eq!(
        err(
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\n\npackages:\n  a@1.0.0:\n    resolution: {integrity: x\n"
        ),
        (
            "pnpm-lock.yaml:5:17: unclosed bracket '{'".into(),
            ErrorKind::Syntax
        )
    );
    assert_eq!(
        err("pnpm-lock.yaml", "lockfileVersion: '2.0'\n").0,
        "pnpm-lock.yaml:1:1: unsupported lockfileVersion 2.0 (5.x, 6.x and 9.x are read)"
    );
    assert_eq!(
        err(
            "yarn.lock",
            "__metadata:\n  version: 8\n\n\"a@npm:1\":\n  version: 1.0.0\n  dependencies: [x]\n"
        ),
        (
            "yarn.lock:6:17: a@npm:1.dependencies: expected mapping start".into(),
            ErrorKind::Invalid
        )
    );
    assert_eq!(
        err(
            "yarn.lock",
            "__metadata:\n  version: 8\n\n\"a@npm:1\":\n  version: 1.0.0\n"
        )
        .0,
        "yarn.lock:4:2: entry \"a@npm:1\" has no `resolution`"
    );
}

#[test]
fn yarn_v1_errors() {
    assert_eq!(
        err(
            "yarn.lock",
            "# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n   resolved \"x\"\n"
        ),
        (
            "yarn.lock:5:4: expected an indentation of 2 spaces, found 3".into(),
            ErrorKind::Syntax
        )
    );
    assert_eq!(
        err("yarn.lock", "a@^1:\n  version \"1.0.0\n").0,
        "yarn.lock:2:11: unterminated string"
    );
    assert_eq!(
        err("yarn.lock", "\na@^1:\n  resolved \"x\"\n"),
        (
            "yarn.lock:2:1: entry \"a@^1\" has no \"version\"".into(),
            ErrorKind::Invalid
        )
    );
    assert_eq!(
        err("yarn.lock", "a@^1, b@2 \"x\"\n").0,
        "yarn.lock:1:11: a list of keys must end with `:`"
    );
}

#[test]
fn requirements_errors() {
    assert_eq!(
        err(
            "requirements.txt",
            "# pinned\nflask==3.0.0\nrequests 2.31\n"
        ),
        (
            "requirements.txt:3:10: expected a version specifier after \"requests\"".into(),
            ErrorKind::Invalid
        )
    );
    assert_eq!(
        err("requirements.txt", "\n  ==1.0\n").0,
        "requirements.txt:2:3: expected a package name"
    );
}

#[test]
fn manifest_errors_name_the_manifest() {
    let e = parse_with_manifest("yarn.lock", "", Some("{\"name\": 3}")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "package.json:1:10: name: invalid type: integer `3`, expected a string"
    );
    let e = parse_with_manifest("poetry.lock", "", Some("[project\n")).unwrap_err();
    assert_eq!(
        (e.file(), e.line(), e.column()),
        ("pyproject.toml", Some(1), Some(9))
    );
}

/// A tiny deterministic generator (xorshift), so the fuzz-style test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// Every fixture, truncated at many points and mutated at random, through its parser (and
/// with its manifest mutated too): errors are fine, panics are not.
#[test]
fn no_input_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    let alphabet: &[u8] = b" \n\t:,\"'{}[]()@#=-_./\\|>~^*!&0123456789abcnpmfile:link:workspace:";
    for scenario in std::fs::read_dir(common::fixture_dir()).unwrap() {
        let dir = scenario.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let Some(kind) = kind_of(&name) else { continue };
            let text = std::fs::read_to_string(&path).unwrap();
            let manifest = kind
                .manifest()
                .and_then(|m| std::fs::read_to_string(dir.join(m)).ok());
            let bytes = text.as_bytes();
            // Truncations: every line end of the first 200 lines, and 40 random cuts.
            let mut cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).take(200).collect();
            cuts.extend((0..40).map(|_| rng.below(bytes.len())));
            for cut in cuts {
                let t = String::from_utf8_lossy(&bytes[..cut]);
                let _ = parse_with_manifest(&name, &t, manifest.as_deref());
                runs += 1;
            }
            // Mutations: overwrite, insert or delete a few bytes.
            for _ in 0..150 {
                let mut m = bytes.to_vec();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(m.len());
                    let c = alphabet[rng.below(alphabet.len())];
                    match rng.below(3) {
                        0 if at < m.len() => m[at] = c,
                        1 => m.insert(at.min(m.len()), c),
                        _ if at < m.len() => {
                            m.remove(at);
                        }
                        _ => {}
                    }
                }
                let t = String::from_utf8_lossy(&m);
                let _ = parse_with_manifest(&name, &t, manifest.as_deref());
                if let Some(manifest) = &manifest {
                    let mut mm = manifest.clone().into_bytes();
                    let at = rng.below(mm.len());
                    mm.truncate(at);
                    let _ = parse_with_manifest(&name, &text, Some(&String::from_utf8_lossy(&mm)));
                }
                runs += 1;
            }
        }
    }
    // Hostile shapes: deep nesting, huge indentation, empty and odd inputs, in every format.
    let deep_json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_yaml = format!("{}a", "- ".repeat(5_000));
    let deep_toml = format!("a = {}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_yarn: String = (0..2_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i * 2)))
        .collect();
    let hostile = [
        "", "\u{feff}", "\0", "\n\n\n", "\"", "-", "#", ":", &deep_json, &deep_yaml, &deep_toml,
        &deep_yarn,
    ];
    for name in [
        "Cargo.lock",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "Pipfile.lock",
        "requirements.txt",
    ] {
        for text in hostile {
            let _ = parse(name, text);
            runs += 1;
        }
    }
    assert!(runs > 5_000, "{runs}");
}
