//! Registry answers kept on disk for a while, so that running `palisade outdated` twice in a
//! row asks the registry once.
//!
//! One file per request URL (and `Accept` variant: an abbreviated and a full packument are
//! different documents), named by the SHA-256 of both so that no package or registry name
//! reaches the file system. The file is a JSON header line (URL, fetch time, `ETag`,
//! `Last-Modified`) followed by the body as the registry sent it.
//!
//! Within the TTL an answer is used without asking; past it, the request carries
//! `If-None-Match` / `If-Modified-Since` and a `304 Not Modified` renews the entry. Files are
//! written to a temporary file in the same directory and renamed over the old one, so a
//! reader never sees half a file; a file that does not parse (truncated, another version's
//! format, a hash collision) is treated as absent, never as an error.
//!
//! # Security
//!
//! Answers from private registries are cached like public ones. Files are created readable by
//! their owner only (on Unix); the directory is the caller's choice. Credentials are never
//! written: they are request headers, and only answers are stored.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format written; files of another format are ignored (and overwritten).
const FORMAT: u32 = 1;

/// Registry answers on disk, fresh for a TTL.
///
/// ```
/// use std::time::Duration;
/// use palisade_registry::DiskCache;
///
/// let cache = DiskCache::new("/tmp/palisade/cache/registry").with_ttl(Duration::from_secs(60));
/// assert_eq!(cache.ttl(), Duration::from_secs(60));
/// assert_eq!(DiskCache::DEFAULT_TTL, Duration::from_secs(15 * 60));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskCache {
    dir: PathBuf,
    ttl: Duration,
}

impl DiskCache {
    /// How long an answer is used without asking the registry again, unless configured.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

    /// A cache in `dir` (created on first write) with [`DiskCache::DEFAULT_TTL`].
    pub fn new(dir: impl Into<PathBuf>) -> DiskCache {
        DiskCache {
            dir: dir.into(),
            ttl: DiskCache::DEFAULT_TTL,
        }
    }

    /// The same cache with another TTL. Zero revalidates every answer (a `304` still saves
    /// the download).
    pub fn with_ttl(self, ttl: Duration) -> DiskCache {
        DiskCache { ttl, ..self }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How long an answer stays fresh.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub(crate) fn load(&self, key: &CacheKey) -> Option<Entry> {
        let bytes = std::fs::read(self.dir.join(&key.file)).ok()?;
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let header: Header = serde_json::from_slice(&bytes[..newline]).ok()?;
        if header.format != FORMAT || header.url != key.url || header.accept != key.accept {
            return None;
        }
        Some(Entry {
            fetched_at_ms: header.fetched_at_ms,
            etag: header.etag,
            last_modified: header.last_modified,
            body: bytes[newline + 1..].to_vec(),
        })
    }

    /// Writes `entry`. Failures are returned for the caller to ignore: a read-only or full
    /// disk makes the next run slower, not wrong.
    pub(crate) fn store(&self, key: &CacheKey, entry: &Entry) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let header = Header {
            format: FORMAT,
            url: key.url.clone(),
            accept: key.accept.clone(),
            fetched_at_ms: entry.fetched_at_ms,
            etag: entry.etag.clone(),
            last_modified: entry.last_modified.clone(),
        };
        // tempfile creates the file with mode 0600 on Unix.
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        serde_json::to_writer(&mut file, &header)?;
        file.write_all(b"\n")?;
        file.write_all(&entry.body)?;
        file.as_file().sync_data()?;
        file.persist(self.dir.join(&key.file))
            .map_err(|e| e.error)?;
        Ok(())
    }

    pub(crate) fn is_fresh(&self, entry: &Entry, now_ms: u64) -> bool {
        // An entry from the future (the clock went back) is not trusted as fresh.
        now_ms >= entry.fetched_at_ms
            && u128::from(now_ms - entry.fetched_at_ms) < self.ttl.as_millis()
    }
}

/// Which file holds the answer to one request.
#[derive(Clone, Debug)]
pub(crate) struct CacheKey {
    /// The URL as shown in errors (no user info): kept in the header to detect collisions.
    url: String,
    accept: String,
    file: String,
}

impl CacheKey {
    pub(crate) fn new(url: &reqwest::Url, accept: &str) -> CacheKey {
        let mut hash = Sha256::new();
        hash.update(accept.as_bytes());
        hash.update(b"\n");
        hash.update(url.as_str().as_bytes());
        CacheKey {
            url: crate::error::display_url(url),
            accept: accept.to_owned(),
            file: hex::encode(hash.finalize()),
        }
    }
}

/// One cached answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// When it was fetched or last revalidated, in milliseconds since the Unix epoch.
    pub fetched_at_ms: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    url: String,
    accept: String,
    fetched_at_ms: u64,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// Milliseconds since the Unix epoch; 0 for a clock before it (every entry is then stale).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str) -> CacheKey {
        CacheKey::new(&reqwest::Url::parse(url).unwrap(), "application/json")
    }

    fn entry(body: &[u8]) -> Entry {
        Entry {
            fetched_at_ms: 1_000_000,
            etag: Some("\"abc\"".into()),
            last_modified: None,
            body: body.to_vec(),
        }
    }

    #[test]
    fn entries_round_trip_and_keys_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().join("nested/cache"));
        let (a, b) = (
            key("https://r.example/left-pad"),
            key("https://r.example/@s%2fx"),
        );
        cache.store(&a, &entry(b"{\"a\":1}\n{\"b\":2}")).unwrap();
        assert_eq!(cache.load(&a), Some(entry(b"{\"a\":1}\n{\"b\":2}")));
        assert_eq!(cache.load(&b), None);
        let other_accept = CacheKey::new(
            &reqwest::Url::parse("https://r.example/left-pad").unwrap(),
            "application/vnd.npm.install-v1+json",
        );
        assert_eq!(cache.load(&other_accept), None);
        // File names are hashes: nothing of the package name reaches the file system.
        let names: Vec<String> = std::fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 1);
        assert!(names[0].len() == 64 && names[0].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn corrupt_files_are_absent_not_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path());
        let k = key("https://r.example/left-pad");
        for junk in [
            &b""[..],
            b"no newline",
            b"{not json}\nbody",
            b"{\"format\":99}\nx",
        ] {
            std::fs::write(dir.path().join(&k.file), junk).unwrap();
            assert_eq!(cache.load(&k), None);
        }
        cache.store(&k, &entry(b"fresh")).unwrap();
        assert_eq!(cache.load(&k).unwrap().body, b"fresh");
    }

    #[test]
    fn freshness_follows_the_ttl() {
        let cache = DiskCache::new("unused").with_ttl(Duration::from_secs(10));
        let e = entry(b"");
        assert!(cache.is_fresh(&e, 1_000_000));
        assert!(cache.is_fresh(&e, 1_009_999));
        assert!(!cache.is_fresh(&e, 1_010_000));
        assert!(!cache.is_fresh(&e, 999_999), "from the future");
        assert!(
            !cache
                .clone()
                .with_ttl(Duration::ZERO)
                .is_fresh(&e, 1_000_000)
        );
    }

    #[test]
    fn user_info_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path());
        let k = key("https://me:hunter2@r.example/x");
        cache.store(&k, &entry(b"")).unwrap();
        let text = std::fs::read_to_string(dir.path().join(&k.file)).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
    }
}
