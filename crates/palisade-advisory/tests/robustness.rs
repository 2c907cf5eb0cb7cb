//! No input panics: random text, mutated real records, and hostile version strings go through
//! every parser and matcher. A panic here would abort `palisade audit` on a bad database file.

use std::sync::LazyLock;

use palisade_advisory::{Ecosystem, Index, Requirement, compare_versions, osv, rustsec};
use proptest::prelude::*;

fn sample(dir: &str, ext: &str, every: usize) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    paths
        .iter()
        .step_by(every)
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// A few dozen real records of each format, to mutate.
static SEEDS: LazyLock<Vec<(u8, String)>> = LazyLock::new(|| {
    let mut seeds = Vec::new();
    seeds.extend(sample("osv/crates", "json", 60).into_iter().map(|t| (0, t)));
    seeds.extend(sample("osv/npm", "json", 10).into_iter().map(|t| (0, t)));
    seeds.extend(sample("osv/pypi", "yaml", 20).into_iter().map(|t| (1, t)));
    for krate in [
        "smallvec",
        "tokio-rustls",
        "hyper-staticfile",
        "abi_stable",
        "failure",
    ] {
        seeds.extend(
            sample(&format!("rustsec-advisory-db/crates/{krate}"), "md", 1)
                .into_iter()
                .map(|t| (2, t)),
        );
    }
    seeds
});

const ECOSYSTEMS: [&str; 4] = ["npm", "crates.io", "PyPI", "Maven"];

/// Versions that have broken parsers before: overflow, empty parts, odd separators.
fn hostile_version() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("18446744073709551615.18446744073709551615.18446744073709551615".to_owned()),
        Just("99999999999999999999999.0".to_owned()),
        Just("1.2.3-".to_owned()),
        Just("1!".to_owned()),
        Just("v".to_owned()),
        Just("".to_owned()),
        Just("*".to_owned()),
        Just("0".to_owned()),
        Just("1.0.post.dev.a".to_owned()),
        "[0-9.a-z!+*^~<>=|, -]{0,24}",
        "\\PC{0,16}",
    ]
}

fn parse(kind: u8, text: &str) -> Option<palisade_advisory::Advisory> {
    match kind {
        0 => osv::parse_json(text, "fuzz.json").ok(),
        1 => osv::parse_yaml(text, "fuzz.yaml").ok(),
        _ => rustsec::parse(text, "fuzz.md", rustsec::Collection::Crates).ok(),
    }
}

/// Edits on characters (never splitting one), so the text stays valid UTF-8.
fn mutate(text: &str, edits: &[(usize, usize, u8, String)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, len, op, insert) in edits {
        if chars.is_empty() {
            chars.extend(insert.chars());
            continue;
        }
        let at = at % chars.len();
        let end = (at + len % 16).min(chars.len());
        match op % 4 {
            0 => {
                chars.drain(at..end);
            }
            1 => {
                chars.splice(at..at, insert.chars());
            }
            2 => {
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
            _ => {
                chars.splice(at..end, insert.chars());
            }
        }
    }
    chars.into_iter().collect()
}

fn exercise(advisory: palisade_advisory::Advisory, versions: &[String]) {
    let index = Index::new([advisory.clone()]);
    for entry in &advisory.affected {
        for version in versions {
            let _ = entry.check(version);
            let _ = index.affected(&entry.ecosystem, &entry.package, version);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}", kind in 0u8..3) {
        let _ = parse(kind, &text);
        let _ = parse(kind, &format!("```toml\n{text}\n```\n# t\n"));
    }

    #[test]
    fn mutated_records_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<usize>(), any::<usize>(), any::<u8>(), "\\PC{0,8}|[{}\\[\\]\",:\\n -]{1,4}"), 1..6),
        versions in prop::collection::vec(hostile_version(), 1..4),
    ) {
        let (kind, text) = seed.get(&SEEDS);
        if let Some(advisory) = parse(*kind, &mutate(text, &edits)) {
            exercise(advisory, &versions);
        }
    }

    #[test]
    fn hostile_versions_and_requirements_never_panic(
        version in hostile_version(),
        other in hostile_version(),
        ecosystem in prop::sample::select(&ECOSYSTEMS[..]),
    ) {
        let ecosystem = Ecosystem::from_osv(ecosystem);
        let _ = compare_versions(&ecosystem, &version, &other);
        if let Ok(req) = Requirement::parse(&ecosystem, &other) {
            let _ = req.matches(&version);
        }
        let json = format!(
            r#"{{"id": "X-1", "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "p"}},
               "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": {other:?}}}, {{"fixed": {version:?}}}, {{"limit": {version:?}}}]}}],
               "versions": [{version:?}]}}]}}"#
        );
        if let Ok(advisory) = osv::parse_json(&json, "x.json") {
            exercise(advisory, &[version.clone(), other.clone()]);
        }
        let md = format!(
            "```toml\n[advisory]\nid = \"RUSTSEC-0000-0000\"\npackage = \"p\"\ndate = \"2020-01-01\"\n\
             [versions]\npatched = [{other:?}]\nunaffected = [{version:?}]\n```\n# t\n"
        );
        if let Ok(advisory) = rustsec::parse(&md, "x.md", rustsec::Collection::Crates) {
            exercise(advisory, &[version, other]);
        }
    }
}
