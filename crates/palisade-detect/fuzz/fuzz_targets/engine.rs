//! The engine never panics on any request, and its verdict stays within its bounds.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_detect::{DetectConfig, Engine, Request, MAX_EXCERPT, MAX_FINDINGS};

static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();

const TYPES: &[&[u8]] = &[
    b"application/json",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=x",
    b"text/plain",
    b"",
];

fuzz_target!(|data: &[u8]| {
    let engines = ENGINES.get_or_init(|| {
        (1..=4).map(|p| Engine::new(DetectConfig { paranoia: p, ..Default::default() }).unwrap()).collect()
    });
    if data.len() < 2 {
        return;
    }
    // First byte picks the engine and content type; the rest splits into target, header, body.
    let (sel, rest) = (data[0], &data[1..]);
    let third = rest.len() / 3;
    let target = String::from_utf8_lossy(&rest[..third]);
    let header = &rest[third..2 * third];
    let body = &rest[2 * third..];
    let headers: Vec<(&str, &[u8])> = vec![
        ("Content-Type", TYPES[usize::from(sel >> 2) % TYPES.len()]),
        ("Cookie", header),
        ("User-Agent", header),
    ];
    let method = if sel & 0x80 == 0 { "POST" } else { "G\0T" };
    let v = engines[usize::from(sel & 3)].inspect(&Request { method, target: &target, headers: &headers, body });
    assert!(v.findings.len() <= MAX_FINDINGS);
    assert!(v.findings.iter().all(|f| f.excerpt.chars().count() <= MAX_EXCERPT));
    assert_eq!(v.score, v.findings.iter().map(|f| f.score).sum::<u32>());
});
