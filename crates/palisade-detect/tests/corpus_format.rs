//! Validates the shape of the labelled corpus in `tests/corpus/*.jsonl` (repo root).
//!
//! Only the format is checked here: every line parses, ids are unique, labels are known, each
//! file is big enough. Detection rates are measured by `cargo bench --bench corpus`, never
//! asserted in tests.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::Value;

const FAMILIES: &[&str] = &[
    "sqli",
    "xss",
    "traversal",
    "rfi",
    "cmdi",
    "jndi",
    "php",
    "java_deser",
    "ssti",
    "sensitive_file",
    "scanner",
    "protocol",
];

/// File name → (labels allowed in it, minimum number of lines).
const FILES: &[(&str, &[&str], usize)] = &[
    ("sqli.jsonl", &["sqli"], 150),
    ("xss.jsonl", &["xss"], 150),
    ("traversal.jsonl", &["traversal"], 150),
    ("cmdi.jsonl", &["cmdi"], 150),
    ("rfi.jsonl", &["rfi"], 50),
    ("jndi.jsonl", &["jndi", "java_deser"], 50),
    ("php.jsonl", &["php"], 50),
    ("ssti.jsonl", &["ssti"], 50),
    ("sensitive_file.jsonl", &["sensitive_file"], 50),
    ("scanner.jsonl", &["scanner"], 50),
    ("protocol.jsonl", &["protocol"], 30),
    ("benign.jsonl", &["benign"], 1500),
];

/// Keys a corpus line may carry.
const KEYS: &[&str] = &[
    "id", "label", "method", "target", "headers", "body", "body_b64", "note", "category",
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn check_line(
    file: &str,
    n: usize,
    line: &str,
    allowed: &[&str],
) -> Result<(String, String), String> {
    let at = format!("{file}:{n}");
    let v: Value = serde_json::from_str(line).map_err(|e| format!("{at}: not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{at}: not an object"))?;
    for k in obj.keys() {
        if !KEYS.contains(&k.as_str()) {
            return Err(format!("{at}: unknown key {k:?}"));
        }
    }
    let s = |k: &str| obj.get(k).and_then(Value::as_str);
    let id = s("id")
        .filter(|x| !x.is_empty())
        .ok_or_else(|| format!("{at}: missing id"))?;
    let label = s("label").ok_or_else(|| format!("{at}: missing label"))?;
    if label != "benign" && !FAMILIES.contains(&label) {
        return Err(format!("{at}: unknown label {label:?}"));
    }
    if !allowed.contains(&label) {
        return Err(format!("{at}: label {label:?} does not belong in {file}"));
    }
    let method = s("method").ok_or_else(|| format!("{at}: missing method"))?;
    if method.is_empty() || method.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(format!("{at}: bad method {method:?}"));
    }
    let target = s("target").ok_or_else(|| format!("{at}: missing target"))?;
    if target.is_empty() {
        return Err(format!("{at}: empty target"));
    }
    if label == "benign" && s("category").is_none() {
        return Err(format!("{at}: benign line without category"));
    }
    if let Some(hs) = obj.get("headers") {
        let hs = hs
            .as_array()
            .ok_or_else(|| format!("{at}: headers is not an array"))?;
        for h in hs {
            let pair = h.as_array().filter(|p| p.len() == 2);
            let ok = pair
                .is_some_and(|p| p[0].as_str().is_some_and(|n| !n.is_empty()) && p[1].is_string());
            if !ok {
                return Err(format!("{at}: header must be [name, value]: {h}"));
            }
        }
    }
    match (obj.get("body"), obj.get("body_b64")) {
        (Some(_), Some(_)) => return Err(format!("{at}: both body and body_b64")),
        (Some(b), None) if !b.is_string() => return Err(format!("{at}: body is not a string")),
        (None, Some(b)) => {
            let b = b
                .as_str()
                .ok_or_else(|| format!("{at}: body_b64 is not a string"))?;
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| format!("{at}: body_b64: {e}"))?;
        }
        _ => {}
    }
    if let Some(note) = obj.get("note")
        && !note.is_string()
    {
        return Err(format!("{at}: note is not a string"));
    }
    Ok((id.to_owned(), label.to_owned()))
}

#[test]
fn corpus_files_are_well_formed() {
    let dir = corpus_dir();
    let mut ids = HashSet::new();
    let mut errors = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();

    for (file, allowed, min) in FILES {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let mut n_lines = 0;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                errors.push(format!("{file}:{}: blank line", i + 1));
                continue;
            }
            n_lines += 1;
            match check_line(file, i + 1, line, allowed) {
                Ok((id, label)) => {
                    if !ids.insert(id.clone()) {
                        errors.push(format!("{file}:{}: duplicate id {id:?}", i + 1));
                    }
                    *labels.entry(label).or_default() += 1;
                }
                Err(e) => errors.push(e),
            }
        }
        if n_lines < *min {
            errors.push(format!("{file}: {n_lines} lines, want at least {min}"));
        }
        counts.insert(file, n_lines);
    }

    // Every .jsonl in the directory must be one of the known files.
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".jsonl") && !FILES.iter().any(|(f, _, _)| *f == name) {
            errors.push(format!("{name}: unknown corpus file"));
        }
    }

    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert!(
        labels.get("java_deser").copied().unwrap_or(0) > 0,
        "no java_deser lines"
    );
}

#[test]
fn corpus_stays_small() {
    let total: u64 = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(
        total < 8 * 1024 * 1024,
        "corpus is {total} bytes, keep it under 8 MiB"
    );
}
