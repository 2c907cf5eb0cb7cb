//! Work stays linear on adversarial input, and nothing panics on arbitrary bytes.
//! No timing assertions: `Verdict::work` counts what the engine did.

mod common;

use common::{Owned, engine};
use palisade_detect::{DetectConfig, Engine, Request, normalise};

/// Adversarial bodies of about `size` bytes, each with its content type.
fn adversarial(size: usize) -> Vec<(&'static str, Vec<u8>)> {
    let rep = |unit: &str| unit.repeat(size / unit.len()).into_bytes();
    vec![
        ("application/json", {
            let mut v = "[".repeat(size / 2).into_bytes();
            v.extend("]".repeat(size / 2).bytes());
            v
        }),
        ("application/json", rep("{\"a\":{\"b\":[\"' or 1=1--\",")),
        (
            "application/x-www-form-urlencoded",
            rep("q=%25252525252527&"),
        ),
        ("application/x-www-form-urlencoded", rep("a=1&")),
        ("text/plain", rep("((((((((")),
        ("text/plain", rep("''''\"\"\"\"")),
        ("text/plain", rep("&#&#&#x&#0")),
        ("text/plain", rep("<a on<a onx=<script")),
        ("text/plain", rep("${${${::-j}")),
        ("text/plain", rep("../..\\%2e%2e/")),
        (
            "multipart/form-data; boundary=zz",
            rep("--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx' or 1=1\r\n"),
        ),
    ]
}

fn work(engine: &Engine, content_type: &str, body: &[u8], query: &str) -> u64 {
    let headers: Vec<(&str, &[u8])> =
        vec![("Host", b"h"), ("Content-Type", content_type.as_bytes())];
    let target = format!("/p?{query}");
    engine
        .inspect(&Request {
            method: "POST",
            target: &target,
            headers: &headers,
            body,
        })
        .work
}

#[test]
fn work_grows_linearly() {
    let engine = Engine::new(DetectConfig {
        body_limit: 2 << 20,
        paranoia: 4,
        ..Default::default()
    })
    .unwrap();
    let small = adversarial(256 * 1024);
    let large = adversarial(1024 * 1024);
    for ((ct, s), (_, l)) in small.iter().zip(&large) {
        let qs = String::from_utf8_lossy(&s[..s.len().min(32 * 1024)]).replace(['#', '?'], "x");
        let ql = String::from_utf8_lossy(&l[..l.len().min(128 * 1024)]).replace(['#', '?'], "x");
        let ws = work(&engine, ct, s, &qs);
        let wl = work(&engine, ct, l, &ql);
        let label = String::from_utf8_lossy(&s[..40.min(s.len())]).into_owned();
        assert!(
            wl <= 10 * ws,
            "{ct} {label:?}: work(1 MiB) = {wl} > 2.5 × 4 × work(256 KiB) = {ws}"
        );
        let bytes = (l.len() + ql.len()) as u64;
        assert!(
            wl <= 200 * bytes,
            "{ct} {label:?}: work {wl} not bounded by c·size ({bytes} bytes)"
        );
        assert!(
            wl >= bytes / 2,
            "{ct} {label:?}: work {wl} does not count the input"
        );
    }
}

/// xorshift64*: deterministic pseudo-random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        // Bias towards the characters the decoders and lexers care about.
        const SPECIAL: &[u8] = b"%&#;=<>'\"()[]{}$\\/.:+-*@|`\n\r\t\0uxcU0123456789abcdefABCDEF";
        (0..n)
            .map(|_| {
                let r = self.next();
                if r.is_multiple_of(3) {
                    SPECIAL[(r >> 8) as usize % SPECIAL.len()]
                } else {
                    (r >> 16) as u8
                }
            })
            .collect()
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let engines: Vec<Engine> = (1..=4).map(engine).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let types = [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=a",
        "text/plain",
        "application/octet-stream",
    ];
    for i in 0..1500 {
        let len = (rng.next() % 300) as usize;
        let a = rng.bytes(len);
        let b = rng.bytes(len / 2);
        let _ = normalise::normalise(&a);
        let _ = normalise::decode(&a);
        let target = String::from_utf8_lossy(&b).into_owned();
        let method = String::from_utf8_lossy(&b[..b.len().min(6)]).into_owned();
        let headers: Vec<(&str, &[u8])> = vec![
            ("Content-Type", types[i % types.len()].as_bytes()),
            ("Cookie", &b),
            ("User-Agent", &a),
            ("Referer", &b),
        ];
        let req = Request {
            method: &method,
            target: &target,
            headers: &headers,
            body: &a,
        };
        let v = engines[i % 4].inspect(&req);
        assert!(v.findings.len() <= palisade_detect::MAX_FINDINGS);
        for f in &v.findings {
            assert!(f.excerpt.chars().count() <= palisade_detect::MAX_EXCERPT);
        }
    }
}

#[test]
fn body_limit_is_enforced_by_the_engine() {
    let e = Engine::new(DetectConfig {
        body_limit: 8,
        ..Default::default()
    })
    .unwrap();
    let req = Owned::post("/", "text/plain", "harmless' union select 1 from x--");
    assert!(req.inspect(&e).findings.is_empty());
}
