//! Breached passwords: a local HIBP-format file (text and imported index) and a range API
//! served by axum on 127.0.0.1.

use std::io::Write;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use palisade_auth::pwned::{self, Pwned, PwnedFile, RangeCache, RangeClient};
use palisade_auth::{Password, PasswordHash};
use palisade_core::Timestamp;
use sha1::{Digest, Sha1};

fn hash(p: &str) -> PasswordHash {
    Password::from(p).sha1()
}

/// A sorted HIBP-format file: the given passwords plus `filler` pseudo-random hashes.
fn hibp_file(
    dir: &std::path::Path,
    known: &[(&str, u64)],
    filler: usize,
    crlf: bool,
) -> std::path::PathBuf {
    let mut lines: Vec<([u8; 20], u64)> = known.iter().map(|(p, c)| (hash(p).0, *c)).collect();
    for i in 0..filler {
        lines.push((
            Sha1::digest(format!("filler-{i}")).into(),
            (i % 1000) as u64 + 1,
        ));
    }
    lines.sort();
    let path = dir.join("pwned.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for (h, c) in lines {
        write!(
            f,
            "{}:{c}{}",
            hex::encode_upper(h),
            if crlf { "\r\n" } else { "\n" }
        )
        .unwrap();
    }
    f.flush().unwrap();
    path
}

const KNOWN: &[(&str, u64)] = &[
    ("password", 9_545_824),
    ("123456", 37_359_195),
    ("hunter2", 24_230),
];

fn check_file(f: &PwnedFile) {
    for (p, c) in KNOWN {
        assert_eq!(f.lookup(&hash(p)).unwrap(), Some(*c), "{p}");
    }
    for p in ["correct horse battery staple 93!", "", "zz"] {
        assert_eq!(f.lookup(&hash(p)).unwrap(), None, "{p}");
    }
    // Hashes around the edges of the key space.
    assert_eq!(f.lookup(&PasswordHash([0; 20])).unwrap(), None);
    assert_eq!(f.lookup(&PasswordHash([0xff; 20])).unwrap(), None);
    // Every filler entry is found.
    for i in (0..2000).step_by(97) {
        let h = PasswordHash(Sha1::digest(format!("filler-{i}")).into());
        assert_eq!(
            f.lookup(&h).unwrap(),
            Some((i % 1000) as u64 + 1),
            "filler {i}"
        );
    }
}

#[test]
fn local_text_file_and_index() {
    for crlf in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let text = hibp_file(dir.path(), KNOWN, 2000, crlf);
        let f = PwnedFile::open(&text).unwrap();
        assert!(!f.is_index());
        check_file(&f);

        let idx = dir.path().join("pwned.idx");
        let stats = pwned::import(&text, &idx).unwrap();
        assert_eq!(stats.hashes, 2003);
        assert_eq!(std::fs::metadata(&idx).unwrap().len(), stats.bytes);
        let f = PwnedFile::open(&idx).unwrap();
        assert!(f.is_index());
        check_file(&f);
    }
}

#[test]
fn tiny_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    // One line, no trailing newline.
    let one = dir.path().join("one.txt");
    std::fs::write(&one, format!("{}:3", hash("password").to_hex_upper())).unwrap();
    let f = PwnedFile::open(&one).unwrap();
    assert_eq!(f.lookup(&hash("password")).unwrap(), Some(3));
    assert_eq!(f.lookup(&hash("nope")).unwrap(), None);
    // Empty file: nothing is breached.
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(
        PwnedFile::open(&empty).unwrap().lookup(&hash("x")).unwrap(),
        None
    );
    // Not a HIBP file: refused at open.
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello world\n").unwrap();
    assert!(PwnedFile::open(&junk).is_err());
    // Unsorted: import names the line.
    let unsorted = dir.path().join("unsorted.txt");
    let (a, b) = (hash("a").to_hex_upper(), hash("b").to_hex_upper());
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    std::fs::write(&unsorted, format!("{hi}:1\n{lo}:1\n")).unwrap();
    let e = pwned::import(&unsorted, dir.path().join("x.idx"))
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:") && e.contains("not sorted"), "{e}");
    // A truncated index is refused.
    let text = hibp_file(dir.path(), KNOWN, 10, false);
    let idx = dir.path().join("t.idx");
    pwned::import(&text, &idx).unwrap();
    let bytes = std::fs::read(&idx).unwrap();
    std::fs::write(&idx, &bytes[..bytes.len() - 5]).unwrap();
    assert!(PwnedFile::open(&idx).is_err());
    // Missing file: an error naming it.
    let e = PwnedFile::open(dir.path().join("missing"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing"), "{e}");
}

#[test]
fn range_parsing_drops_padding() {
    let h = hash("password").to_hex_upper();
    let body = format!(
        "{}:10\r\n0000000000000000000000000000000000A:0\r\n{}:3\r\n",
        &h[5..],
        "F".repeat(35)
    );
    let r = pwned::parse_range(&h[..5], &body).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(pwned::find(&r, &hash("password")), Some(10));
    assert!(pwned::parse_range(&h[..5], "<html>nope</html>").is_err());
}

#[test]
fn range_cache_is_bounded_and_expires() {
    let mut c = RangeCache::new(NonZeroUsize::new(2).unwrap(), Duration::from_secs(60));
    let r = Arc::new(Vec::new());
    c.insert("AAAAA", r.clone(), Timestamp(0));
    c.insert("BBBBB", r.clone(), Timestamp(0));
    c.insert("CCCCC", r.clone(), Timestamp(0));
    assert_eq!(c.len(), 2);
    assert!(c.get("AAAAA", Timestamp(1)).is_none());
    assert!(c.get("CCCCC", Timestamp(59_999)).is_some());
    assert!(c.get("CCCCC", Timestamp(60_000)).is_none());
}

/// A range API on 127.0.0.1: serves `password` (count 10) with padding, counts requests and
/// records whether `Add-Padding` was sent.
async fn range_server() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    use axum::extract::Path;
    use axum::http::HeaderMap;
    use axum::routing::get;
    let hits = Arc::new(AtomicUsize::new(0));
    let padded = Arc::new(AtomicUsize::new(0));
    let (h2, p2) = (hits.clone(), padded.clone());
    let app = axum::Router::new().route(
        "/range/{prefix}",
        get(move |Path(prefix): Path<String>, headers: HeaderMap| {
            let (hits, padded) = (h2.clone(), p2.clone());
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                if headers.get("add-padding").is_some_and(|v| v == "true") {
                    padded.fetch_add(1, Ordering::SeqCst);
                }
                let target = hash("password").to_hex_upper();
                let mut body = String::new();
                if prefix == target[..5] {
                    body.push_str(&format!("{}:10\r\n", &target[5..]));
                }
                for i in 0..50 {
                    body.push_str(&format!("{:035X}:0\r\n", i));
                }
                body
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits, padded)
}

#[tokio::test]
async fn range_api_with_cache() {
    let (base, hits, padded) = range_server().await;
    let client = RangeClient::new(
        &base,
        Duration::from_secs(5),
        RangeCache::new(NonZeroUsize::new(16).unwrap(), Duration::from_secs(3600)),
    )
    .unwrap();
    assert_eq!(client.lookup(&hash("password")).await.unwrap(), Some(10));
    assert_eq!(client.lookup(&hash("password")).await.unwrap(), Some(10));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "second lookup from the cache"
    );
    assert_eq!(padded.load(Ordering::SeqCst), 1);
    assert_eq!(
        client
            .lookup(&hash("not in any breach, hopefully 7"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(client.cached(), 2);

    // File first, then the API.
    let dir = tempfile::tempdir().unwrap();
    let text = hibp_file(dir.path(), &[("hunter2", 5)], 10, false);
    let both = Pwned {
        file: Some(Arc::new(PwnedFile::open(&text).unwrap())),
        api: Some(Arc::new(client)),
    };
    assert_eq!(both.check(&hash("hunter2")).await.unwrap(), Some(5));
    assert_eq!(both.check(&hash("password")).await.unwrap(), Some(10));

    // An API that is down is an upstream error, not "not breached".
    let down = RangeClient::new(
        "http://127.0.0.1:9",
        Duration::from_millis(500),
        RangeCache::new(NonZeroUsize::new(1).unwrap(), Duration::from_secs(1)),
    )
    .unwrap();
    let e = down.lookup(&hash("password")).await.unwrap_err();
    assert!(e.to_string().starts_with("pwned passwords API"), "{e}");
}
