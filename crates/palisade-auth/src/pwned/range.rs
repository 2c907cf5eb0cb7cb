//! The k-anonymity range API: `GET {base}/range/{first five hex digits}` answers every
//! breached hash in that range as `SUFFIX:COUNT` lines. Only the five digits leave the process.
//! With `Add-Padding: true` the answer is padded with fake `SUFFIX:0` lines, which are ignored.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lru::LruCache;
use palisade_core::Timestamp;

use crate::pwned::PwnedError;
use crate::secret::PasswordHash;

/// Largest range body accepted (real ones are ~30–40 KiB with padding).
const MAX_BODY: usize = 4 << 20;

/// One range: the breached hashes sharing a five-digit prefix, sorted.
pub type Range = Arc<Vec<([u8; 20], u64)>>;

/// Parses a range answer for `prefix` (five hex digits). Padding (count 0) is dropped; a line
/// that is not `SUFFIX:COUNT` is an error (the server is not speaking the range format).
pub fn parse_range(prefix: &str, body: &str) -> Result<Vec<([u8; 20], u64)>, PwnedError> {
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || PwnedError::Upstream(format!("range {prefix}: bad line `{line:.60}`"));
        let (suffix, count) = line.split_once(':').ok_or_else(bad)?;
        if suffix.len() != 35 {
            return Err(bad());
        }
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            continue;
        }
        let full = format!("{prefix}{suffix}");
        let hash = PasswordHash::from_hex(&full).ok_or_else(bad)?;
        out.push((hash.0, count));
    }
    out.sort_unstable();
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// Ranges kept for a while: a bounded LRU whose entries also expire. Pure: time passed in.
#[derive(Debug)]
pub struct RangeCache {
    ranges: LruCache<[u8; 5], (i64, Range)>,
    ttl_ms: i64,
}

impl RangeCache {
    /// Keeps at most `cap` ranges, each for `ttl`.
    pub fn new(cap: NonZeroUsize, ttl: Duration) -> Self {
        RangeCache {
            ranges: LruCache::new(cap),
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
        }
    }

    fn key(prefix: &str) -> Option<[u8; 5]> {
        prefix.as_bytes().try_into().ok()
    }

    /// The cached range, if fresh.
    pub fn get(&mut self, prefix: &str, now: Timestamp) -> Option<Range> {
        let key = Self::key(prefix)?;
        match self.ranges.get(&key) {
            Some((at, range)) if now.0 < at.saturating_add(self.ttl_ms) => Some(range.clone()),
            Some(_) => {
                self.ranges.pop(&key);
                None
            }
            None => None,
        }
    }

    /// Stores a range fetched at `now`.
    pub fn insert(&mut self, prefix: &str, range: Range, now: Timestamp) {
        if let Some(key) = Self::key(prefix) {
            self.ranges.put(key, (now.0, range));
        }
    }

    /// Ranges held.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// Looks a hash up in a range.
pub fn find(range: &[([u8; 20], u64)], hash: &PasswordHash) -> Option<u64> {
    range
        .binary_search_by(|(h, _)| h.cmp(&hash.0))
        .ok()
        .map(|i| range[i].1)
}

/// An async client of a range API, with its cache. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct RangeClient {
    http: reqwest::Client,
    base: String,
    cache: Mutex<RangeCache>,
}

impl RangeClient {
    /// A client of `base` (`https://api.pwnedpasswords.com`), with a per-request timeout.
    pub fn new(base: &str, timeout: Duration, cache: RangeCache) -> Result<Self, PwnedError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PwnedError::Upstream(format!("building the HTTP client: {e}")))?;
        Ok(RangeClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            cache: Mutex::new(cache),
        })
    }

    /// The breach count for `hash` (`None`: not breached), from the cache or one request.
    pub async fn lookup(&self, hash: &PasswordHash) -> Result<Option<u64>, PwnedError> {
        let range = self.range(&hash.range_prefix(), Timestamp::now()).await?;
        Ok(find(&range, hash))
    }

    /// The range for a prefix, from the cache or fetched.
    pub async fn range(&self, prefix: &str, now: Timestamp) -> Result<Range, PwnedError> {
        if let Some(r) = self.lock().get(prefix, now) {
            return Ok(r);
        }
        let url = format!("{}/range/{prefix}", self.base);
        let resp = self
            .http
            .get(&url)
            .header("Add-Padding", "true")
            .send()
            .await
            .map_err(|e| PwnedError::Upstream(format!("GET {url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(PwnedError::Upstream(format!(
                "GET {url}: status {}",
                resp.status()
            )));
        }
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(PwnedError::Upstream(format!("GET {url}: body too large")));
        }
        let body = resp
            .text()
            .await
            .map_err(|e| PwnedError::Upstream(format!("GET {url}: {e}")))?;
        if body.len() > MAX_BODY {
            return Err(PwnedError::Upstream(format!("GET {url}: body too large")));
        }
        let range: Range = Arc::new(parse_range(prefix, &body)?);
        self.lock().insert(prefix, range.clone(), now);
        Ok(range)
    }

    /// Ranges cached.
    pub fn cached(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RangeCache> {
        // A panic while holding the lock cannot leave the cache inconsistent (one put/get).
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
