//! Console sessions: random ids in a bounded in-memory table, each with its own CSRF token.
//!
//! In memory on purpose: a restart logs everyone out, which is the safe failure for an admin
//! console, and nothing secret ever reaches disk. The table is bounded so a script posting the
//! right token in a loop cannot grow it without limit; the oldest session goes first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// At most this many live sessions; logging in past it evicts the oldest.
pub const MAX_SESSIONS: usize = 1_000;

/// How long a session lives after login (12 h), also the cookie's `Max-Age`.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// The name of the session cookie.
pub const COOKIE_NAME: &str = "palisade_session";

/// One logged-in browser.
#[derive(Clone)]
pub struct Session {
    /// The token every state-changing request of this session must echo.
    pub csrf: String,
    created: Instant,
    // Creation order: ties of `Instant` on coarse clocks must not make eviction arbitrary.
    serial: u64,
}

// Debug output never shows session ids or CSRF tokens: a logged `Console` must not hand out
// a way in.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("csrf", &"<redacted>")
            .field("age", &self.created.elapsed())
            .finish()
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("live", &self.len())
            .finish()
    }
}

/// The live sessions, keyed by their cookie value.
#[derive(Default)]
pub struct Sessions {
    table: Mutex<HashMap<String, Session>>,
    next_serial: std::sync::atomic::AtomicU64,
}

impl Sessions {
    /// Starts a session; returns its id (the cookie value) or `None` when the OS has no
    /// randomness to give, in which case no session can be safely created.
    pub fn create(&self) -> Option<(String, Session)> {
        let id = random_token()?;
        let session = Session {
            csrf: random_token()?,
            created: Instant::now(),
            serial: self
                .next_serial
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        let mut table = self.lock();
        let now = Instant::now();
        table.retain(|_, s| now.duration_since(s.created) < SESSION_TTL);
        while table.len() >= MAX_SESSIONS {
            let oldest = table
                .iter()
                .min_by_key(|(_, s)| s.serial)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => table.remove(&k),
                None => break,
            };
        }
        table.insert(id.clone(), session.clone());
        Some((id, session))
    }

    /// The live session with this id, if any (expired ones are dropped on sight).
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut table = self.lock();
        let session = table.get(id)?;
        if session.created.elapsed() >= SESSION_TTL {
            table.remove(id);
            return None;
        }
        Some(session.clone())
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Number of live (or not yet swept) sessions.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nobody is logged in.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters (each operation is one insert or remove), so keep serving.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 32 random bytes, base64url without padding (43 characters).
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Compares secrets in time that depends only on their lengths, so a network attacker cannot
/// learn a token byte by byte from response timings.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod throttle_tests {
    use super::*;

    #[test]
    fn engages_after_max_failures_and_stays_bounded() {
        let t = Throttle::default();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed();
        }
        assert!(!t.engaged());
        t.failed();
        assert!(t.engaged());
        for _ in 0..100 {
            t.failed();
        }
        assert_eq!(t.failures.lock().unwrap().len(), MAX_FAILURES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn table_is_bounded_and_evicts_the_oldest() {
        let sessions = Sessions::default();
        let (first, _) = sessions.create().unwrap();
        for _ in 0..MAX_SESSIONS {
            sessions.create().unwrap();
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
        assert!(sessions.get(&first).is_none());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let sessions = Sessions::default();
        let (id, s) = sessions.create().unwrap();
        let out = format!("{sessions:?} {s:?}");
        assert!(!out.contains(&id));
        assert!(!out.contains(&s.csrf));
    }

    #[test]
    fn remove_ends_a_session() {
        let sessions = Sessions::default();
        let (id, s) = sessions.create().unwrap();
        assert_eq!(sessions.get(&id).unwrap().csrf, s.csrf);
        sessions.remove(&id);
        assert!(sessions.get(&id).is_none());
    }
}

/// Wrong tokens tolerated per [`THROTTLE_WINDOW`] before every token is refused until the
/// window has passed: guessing the admin token online stays hopeless even for a long token's
/// weaker cousin (a short passphrase someone chose).
pub const MAX_FAILURES: usize = 10;

/// The window [`MAX_FAILURES`] counts over.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(60);

/// Recent wrong-token attempts, process-wide (the admin listener is loopback by default, so a
/// per-address count would mostly see 127.0.0.1). Bounded: at most [`MAX_FAILURES`] instants.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<std::collections::VecDeque<Instant>>,
}

impl Throttle {
    /// Whether attempts are refused now (too many recent failures).
    pub fn engaged(&self) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        while f.front().is_some_and(|t| t.elapsed() >= THROTTLE_WINDOW) {
            f.pop_front();
        }
        f.len() >= MAX_FAILURES
    }

    /// Records a wrong token.
    pub fn failed(&self) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.len() >= MAX_FAILURES {
            f.pop_front();
        }
        f.push_back(Instant::now());
    }
}
