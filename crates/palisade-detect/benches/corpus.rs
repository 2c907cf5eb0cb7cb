//! Detection-rate / false-positive report over the labelled corpus in `tests/corpus/*.jsonl`.
//!
//! `cargo bench -p palisade-detect --bench corpus` (add `-- --verbose` or set `CORPUS_VERBOSE=1`
//! to list every miss and false positive with the rules that fired). `CORPUS_FILTER=sqli` limits
//! the run to files whose name contains the filter; `CORPUS_PARANOIA=1,2,3` picks the levels.
//!
//! This is a report, not a test: it always exits 0.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use palisade_detect::{DetectConfig, Engine, Request, Verdict};
use serde_json::Value;

/// Detection target from the issue.
const TARGET_DETECTION: f64 = 97.0;
/// False-positive ceiling from the issue.
const TARGET_FP: f64 = 0.5;

struct Case {
    file: String,
    id: String,
    label: String,
    category: String,
    note: String,
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Case {
    fn bytes(&self) -> usize {
        self.method.len()
            + self.target.len()
            + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 4)
                .sum::<usize>()
            + self.body.len()
    }
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn load() -> Vec<Case> {
    let dir = corpus_dir();
    let filter = std::env::var("CORPUS_FILTER").ok();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(e) => {
            eprintln!("cannot read {}: {e}", dir.display());
            return Vec::new();
        }
    };
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(f) = &filter
            && !file.contains(f.as_str())
        {
            continue;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cannot read {}: {e}", path.display());
                continue;
            }
        };
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parse_case(&file, line) {
                Ok(c) => cases.push(c),
                Err(e) => eprintln!("{file}:{}: skipped: {e}", n + 1),
            }
        }
    }
    cases
}

fn parse_case(file: &str, line: &str) -> Result<Case, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = s("id").ok_or("missing id")?;
    let label = s("label").ok_or("missing label")?;
    let method = s("method").unwrap_or_else(|| "GET".to_owned());
    let target = s("target").ok_or("missing target")?;
    let note = s("note").unwrap_or_default();
    let category = s("category").unwrap_or_else(|| match id.rfind('-') {
        Some(i) => id[..i].to_owned(),
        None => id.clone(),
    });
    let mut headers = Vec::new();
    if let Some(hs) = v.get("headers") {
        for h in hs.as_array().ok_or("headers is not an array")? {
            let pair = h.as_array().ok_or("header is not an array")?;
            let name = pair
                .first()
                .and_then(Value::as_str)
                .ok_or("bad header name")?;
            let value = pair
                .get(1)
                .and_then(Value::as_str)
                .ok_or("bad header value")?;
            headers.push((name.to_owned(), value.as_bytes().to_vec()));
        }
    }
    let body = if let Some(b) = s("body") {
        b.into_bytes()
    } else if let Some(b) = s("body_b64") {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|e| format!("body_b64: {e}"))?
    } else {
        Vec::new()
    };
    Ok(Case {
        file: file.to_owned(),
        id,
        label,
        category,
        note,
        method,
        target,
        headers,
        body,
    })
}

fn run(engine: &Engine, c: &Case) -> Verdict {
    let headers: Vec<(&str, &[u8])> = c
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    engine.inspect(&Request {
        method: &c.method,
        target: &c.target,
        headers: &headers,
        body: &c.body,
    })
}

fn family_name(f: &palisade_detect::Finding) -> String {
    serde_json::to_value(f.family)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

fn describe(v: &Verdict) -> String {
    if v.findings.is_empty() {
        return "no findings".to_owned();
    }
    v.findings
        .iter()
        .map(|f| {
            let loc = serde_json::to_string(&f.location).unwrap_or_default();
            format!("{}(+{}) @{} «{}»", f.rule, f.score, loc, f.excerpt)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out.replace('\n', "\\n").replace('\r', "\\r")
}

/// The generator writes `tamper=…`, `in …` and `encoding=…` into attack notes: detection broken
/// down along those axes shows which evasions or placements the engine misses.
fn note_dims(note: &str) -> [(&'static str, Option<String>); 3] {
    let field = |key: &str| {
        note.split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(key))
            .map(|v| v.trim().to_owned())
    };
    let placement = field("in ").map(|w| {
        let mut words = w.split_whitespace();
        let first = words.next().unwrap_or_default().to_owned();
        match (first.as_str(), words.next()) {
            ("multipart", Some("filename")) => "multipart filename".to_owned(),
            ("json", Some("\\u-escaped")) => "json \\u-escaped".to_owned(),
            ("query", Some("parameter")) => "query name".to_owned(),
            ("path", _) => "path".to_owned(),
            _ => first,
        }
    });
    [
        ("encoding", field("encoding=")),
        ("tamper", field("tamper=")),
        ("placement", placement),
    ]
}

#[derive(Default)]
struct Tally {
    count: usize,
    detected: usize,
    right_family: usize,
}

fn report(engine: &Engine, cases: &[Case], verbose: bool) {
    let paranoia = engine.config().paranoia;
    let threshold = engine.config().threshold;
    println!();
    println!("=== paranoia {paranoia}, threshold {threshold} ===");

    let mut by_label: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_category: BTreeMap<String, Tally> = BTreeMap::new();
    let mut fp_rules: HashMap<&'static str, usize> = HashMap::new();
    let mut miss_lines = Vec::new();
    let mut fp_lines = Vec::new();
    let mut wrong_family_lines = Vec::new();
    let mut by_dim: BTreeMap<(&'static str, String), Tally> = BTreeMap::new();

    for c in cases {
        let v = run(engine, c);
        if c.label == "benign" {
            let t = by_category.entry(c.category.clone()).or_default();
            t.count += 1;
            if v.over_threshold {
                t.detected += 1;
                for f in &v.findings {
                    *fp_rules.entry(f.rule).or_default() += 1;
                }
                fp_lines.push(format!(
                    "  FP   {:<28} score {:>3}  {} {}  [{}]\n         rules: {}",
                    c.id,
                    v.score,
                    c.method,
                    short(&c.target, 90),
                    short(&c.note, 60),
                    describe(&v)
                ));
            }
        } else {
            let t = by_label.entry(c.label.clone()).or_default();
            t.count += 1;
            let right = v.findings.iter().any(|f| family_name(f) == c.label);
            if v.over_threshold {
                t.detected += 1;
            } else {
                miss_lines.push(format!(
                    "  MISS {:<28} score {:>3}  {} {}  [{}]\n         rules: {}",
                    c.id,
                    v.score,
                    c.method,
                    short(&c.target, 90),
                    short(&c.note, 60),
                    describe(&v)
                ));
            }
            for (dim, value) in note_dims(&c.note) {
                if let Some(value) = value {
                    let d = by_dim.entry((dim, value)).or_default();
                    d.count += 1;
                    d.detected += usize::from(v.over_threshold);
                    d.right_family += usize::from(right);
                }
            }
            if right {
                t.right_family += 1;
            } else if v.over_threshold {
                wrong_family_lines.push(format!(
                    "  FAM  {:<28} ({}) rules: {}",
                    c.id,
                    c.label,
                    describe(&v)
                ));
            }
        }
    }

    println!();
    println!(
        "{:<16} {:>6} {:>10} {:>14}   (target: detected >= {TARGET_DETECTION}%)",
        "family", "count", "detected%", "right-family%"
    );
    println!("{}", "-".repeat(52));
    let mut all = Tally::default();
    for (label, t) in &by_label {
        let flag = if pct(t.detected, t.count) >= TARGET_DETECTION {
            " "
        } else {
            "!"
        };
        println!(
            "{:<16} {:>6} {:>9.1}%{} {:>13.1}%",
            label,
            t.count,
            pct(t.detected, t.count),
            flag,
            pct(t.right_family, t.count)
        );
        all.count += t.count;
        all.detected += t.detected;
        all.right_family += t.right_family;
    }
    println!("{}", "-".repeat(52));
    println!(
        "{:<16} {:>6} {:>9.1}%  {:>13.1}%",
        "ALL ATTACKS",
        all.count,
        pct(all.detected, all.count),
        pct(all.right_family, all.count)
    );

    if !by_dim.is_empty() {
        println!();
        println!("detection of generated attack lines by axis (from the notes):");
        let mut last = "";
        for ((dim, value), t) in &by_dim {
            if *dim != last {
                println!("  {dim}:");
                last = dim;
            }
            println!(
                "    {:<22} {:>5} {:>7.1}%  (right family {:>5.1}%)",
                value,
                t.count,
                pct(t.detected, t.count),
                pct(t.right_family, t.count)
            );
        }
    }

    println!();
    println!(
        "{:<24} {:>6} {:>6} {:>8}   (target: FP <= {TARGET_FP}%)",
        "benign category", "count", "FP", "FP%"
    );
    println!("{}", "-".repeat(50));
    let mut benign = Tally::default();
    for (cat, t) in &by_category {
        let flag = if pct(t.detected, t.count) <= TARGET_FP {
            " "
        } else {
            "!"
        };
        println!(
            "{:<24} {:>6} {:>6} {:>7.2}%{}",
            cat,
            t.count,
            t.detected,
            pct(t.detected, t.count),
            flag
        );
        benign.count += t.count;
        benign.detected += t.detected;
    }
    println!("{}", "-".repeat(50));
    println!(
        "{:<24} {:>6} {:>6} {:>7.2}%",
        "ALL BENIGN",
        benign.count,
        benign.detected,
        pct(benign.detected, benign.count)
    );

    if !fp_rules.is_empty() {
        let mut rules: Vec<_> = fp_rules.into_iter().collect();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        println!();
        println!("rules firing on false positives (benign requests over threshold):");
        for (rule, n) in rules.iter().take(15) {
            println!("  {n:>5}  {rule}");
        }
    }

    println!();
    println!(
        "summary p{paranoia}: detection {:.2}% (target >= {TARGET_DETECTION}%), false positives {:.2}% (target <= {TARGET_FP}%)",
        pct(all.detected, all.count),
        pct(benign.detected, benign.count)
    );

    if verbose {
        println!();
        println!("--- misses ({}) ---", miss_lines.len());
        for l in &miss_lines {
            println!("{l}");
        }
        println!();
        println!("--- false positives ({}) ---", fp_lines.len());
        for l in &fp_lines {
            println!("{l}");
        }
        println!();
        println!(
            "--- detected, but no finding of the labelled family ({}) ---",
            wrong_family_lines.len()
        );
        for l in &wrong_family_lines {
            println!("{l}");
        }
    } else if !miss_lines.is_empty() || !fp_lines.is_empty() {
        println!(
            "({} misses, {} false positives: run with -- --verbose or CORPUS_VERBOSE=1 to list them)",
            miss_lines.len(),
            fp_lines.len()
        );
    }
}

fn throughput(engine: &Engine, cases: &[Case]) {
    let bytes: usize = cases.iter().map(Case::bytes).sum();
    // Warm up once, then repeat whole passes for at least ~1 s (at most 50 passes).
    for c in cases {
        std::hint::black_box(run(engine, c));
    }
    let start = Instant::now();
    let mut passes = 0u32;
    let mut work = 0u64;
    while passes < 50 && (passes == 0 || start.elapsed() < Duration::from_secs(1)) {
        for c in cases {
            work = work.wrapping_add(std::hint::black_box(run(engine, c)).work);
        }
        passes += 1;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let reqs = (cases.len() as f64) * f64::from(passes);
    let mb = (bytes as f64) * f64::from(passes) / 1_000_000.0;
    println!(
        "throughput p{}: {} requests ({:.2} MB) x {} passes in {:.3} s: {:.0} req/s, {:.1} MB/s (work units per pass: {})",
        engine.config().paranoia,
        cases.len(),
        bytes as f64 / 1_000_000.0,
        passes,
        secs,
        reqs / secs,
        mb / secs,
        work / u64::from(passes.max(1))
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let verbose = args.iter().any(|a| a == "--verbose" || a == "-v")
        || std::env::var("CORPUS_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0");
    let levels: Vec<u8> = std::env::var("CORPUS_PARANOIA")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);

    let cases = load();
    let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        *per_file.entry(c.file.as_str()).or_default() += 1;
    }
    println!(
        "corpus: {} requests from {}",
        cases.len(),
        corpus_dir().display()
    );
    for (f, n) in &per_file {
        println!("  {f:<24} {n:>6}");
    }
    if cases.is_empty() {
        return;
    }

    for paranoia in levels {
        let config = DetectConfig {
            paranoia,
            ..DetectConfig::default()
        };
        let engine = match Engine::new(config) {
            Ok(e) => e,
            Err(e) => {
                println!("paranoia {paranoia}: engine refused config: {e}");
                continue;
            }
        };
        report(&engine, &cases, verbose);
        throughput(&engine, &cases);
    }
}
