//! Counters shared by every guard: GCRA rate limits and sliding-window counts (login
//! failures), each decision one `EVALSHA` on the I/O thread (see [`aio`](super::aio)).
//!
//! Layout under `palisade:{<prefix>}:`
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `rl:<quota>:<client net>` | string | the GCRA theoretical arrival time, µs; expires when the bucket is full again |
//! | `win:<name>` | sorted set | one member per event, scored by its time in ms; at most the threshold's count kept |
//! | `quiet:<name>` | string | set for one window when a count first reaches its threshold |
//! | `known:<user>` | sorted set | the networks a user logged in from, scored by last login (ms); at most `cap`, expires `keep` after the last |
//! | `used:<nonce>` | string | a "this wasn't me" link already used; expires with the link |
//!
//! Both scripts read the time from Redis (`TIME`), not from the guard: guards whose clocks
//! disagree by a few milliseconds still share one bucket exactly. (Redis 7 replicates a
//! script's effects, so reading the time before writing is allowed.)
//!
//! # Names
//!
//! A count's name may hold a username, which the client chose: names are cut at
//! [`MAX_NAME`] bytes so a long one cannot make a large key. (Two names alike in their first
//! [`MAX_NAME`] bytes then share a count: harmless for a login monitor.)

use std::net::IpAddr;
use std::time::Duration;

use ::redis::Script;

use super::{RedisState, ms, target_key};
use crate::error::StateError;
use crate::net::{client_net, normalize_ip};
use crate::ratelimit::Quota;

/// Longest count name kept, in bytes.
pub const MAX_NAME: usize = 200;

/// KEYS: one per quota, in order. ARGV: interval and tolerance in µs, per quota. Consumes
/// from each quota in turn; stops at the first that refuses (quotas before it keep their
/// consumption, as the local limiter does). Returns `{0}` when all allow, else
/// `{index (1-based), reset µs, retry-after µs}`.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local nxt = tat + interval
  local allow_at = nxt - tolerance
  if now < allow_at then
    return {i, string.format('%d', tat - now), string.format('%d', allow_at - now)}
  end
  local keep = math.ceil((nxt - now) / 1000)
  if keep < 1 then keep = 1 end
  redis.call('SET', key, string.format('%d', nxt), 'PX', string.format('%d', keep))
end
return {0}
";

/// KEYS: window set, quiet flag, per count. ARGV: window (ms), threshold, per count.
/// Adds one event to each window and returns `{count, first}` per count: the events within
/// the window (all guards), and 1 when this call is the first to reach the threshold in a
/// window (so one guard, not all, acts on it).
const TALLY: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #KEYS, 2 do
  local key, quiet = KEYS[i], KEYS[i + 1]
  local window = tonumber(ARGV[i])
  local threshold = tonumber(ARGV[i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  redis.call('ZADD', key, now, string.format('%d:%d:%d', t[1], t[2], n))
  n = n + 1
  -- Only reaching the threshold matters: older events beyond it need not be kept.
  if n > threshold then
    redis.call('ZREMRANGEBYRANK', key, 0, n - threshold - 1)
    n = threshold
  end
  redis.call('PEXPIRE', key, window)
  local first = 0
  if n >= threshold and redis.call('SET', quiet, '1', 'NX', 'PX', window) then first = 1 end
  out[#out + 1] = n
  out[#out + 1] = first
end
return out
";

/// KEYS: the user's networks. ARGV: network, keep (ms), cap. Records a successful login
/// and returns `{user known before, network known before}` (1/0).
const KNOWN: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local had = redis.call('ZCARD', KEYS[1])
local before = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
local cap = tonumber(ARGV[3])
if had + 1 > cap then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, had - cap) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {had > 0 and 1 or 0, before and 1 or 0}
";

/// KEYS: the link's used flag, the user's networks. ARGV: time to keep the flag (ms), the
/// reported network. Returns 1 when this call used the link (and forgot the network), 0
/// when it had been used already.
const REDEEM: &str = r"
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
";

/// The counters' scripts, hashed once.
pub(crate) struct CounterScripts {
    gcra: Script,
    tally: Script,
    known: Script,
    redeem: Script,
}

impl CounterScripts {
    /// Every script, to preload.
    pub(crate) fn all(&self) -> [&Script; 4] {
        [&self.gcra, &self.tally, &self.known, &self.redeem]
    }

    pub(crate) fn new() -> Self {
        CounterScripts {
            gcra: Script::new(GCRA),
            tally: Script::new(TALLY),
            known: Script::new(KNOWN),
            redeem: Script::new(REDEEM),
        }
    }
}

/// What every guard knew of a user before a successful login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KnownLogin {
    /// The user had logged in before, from anywhere.
    pub user_known: bool,
    /// The user had logged in before from this network.
    pub network_known: bool,
}

/// A shared rate limit's refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Which of the quotas passed refused (0-based).
    pub index: usize,
    /// Until the client's quota is fully restored.
    pub reset: Duration,
    /// Until the next request will be allowed.
    pub retry_after: Duration,
}

/// One count to add an event to: a name (what is counted, e.g. `ip:203.0.113.7`), its
/// window and the threshold that matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCount {
    /// What is counted; cut at [`MAX_NAME`] bytes.
    pub name: String,
    /// The sliding window.
    pub window: Duration,
    /// The count that triggers something (at least 1).
    pub threshold: u32,
}

/// A count after adding one event, across every guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Events within the window (at most the threshold: older ones are not kept).
    pub count: u32,
    /// This event is the first to reach the threshold in its window: act on it here.
    pub first: bool,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

fn cut(name: &str) -> &str {
    if name.len() <= MAX_NAME {
        return name;
    }
    let mut end = MAX_NAME;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

impl RedisState {
    /// Runs one of the counters' scripts with `keys` and numeric `args` on the I/O thread;
    /// the answer is a list of integers.
    async fn numbers(
        &self,
        script: fn(&CounterScripts) -> &Script,
        keys: Vec<String>,
        args: Vec<u64>,
    ) -> Result<Vec<i64>, StateError> {
        self.shared
            .run(move |s, mut conn| async move {
                let mut call = script(&s.counters).prepare_invoke();
                for k in &keys {
                    call.key(k);
                }
                for a in &args {
                    call.arg(a);
                }
                call.invoke_async(&mut conn).await
            })
            .await
            .map_err(StateError::Redis)
    }

    /// One request from `ip` against `quotas` (the global quota, then a route's), shared
    /// by every guard: `None` when all allow. An error (Redis down, slow or refusing) means
    /// "decide locally"; it costs at most the configured timeout, and nothing while Redis
    /// is known to be down.
    pub async fn rate_limit(
        &self,
        quotas: &[&Quota],
        ip: IpAddr,
        ipv6_prefix: u8,
    ) -> Result<Option<Refusal>, StateError> {
        if quotas.is_empty() {
            return Ok(None);
        }
        let client = target_key(&client_net(normalize_ip(ip), ipv6_prefix));
        let keys: Vec<String> = quotas
            .iter()
            .map(|q| self.shared.keys.rate(q.name(), &client))
            .collect();
        let args: Vec<u64> = quotas
            .iter()
            .flat_map(|q| [micros(q.interval()), micros(q.window())])
            .collect();
        let answer = self.numbers(|c| &c.gcra, keys, args).await?;
        Ok(match answer.as_slice() {
            [i, reset, retry] if *i >= 1 => Some(Refusal {
                index: usize::try_from(*i - 1).unwrap_or(0),
                reset: Duration::from_micros(u64::try_from(*reset).unwrap_or(0)),
                retry_after: Duration::from_micros(u64::try_from(*retry).unwrap_or(0)),
            }),
            _ => None,
        })
    }

    /// Adds one event to each count (one round trip for all) and returns them as every
    /// guard sees them. An error means "count locally" (see [`RedisState::rate_limit`]).
    pub async fn tally(&self, counts: &[WindowCount]) -> Result<Vec<Tally>, StateError> {
        if counts.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys = Vec::with_capacity(counts.len() * 2);
        let mut args = Vec::with_capacity(counts.len() * 2);
        for c in counts {
            let name = cut(&c.name);
            keys.push(self.shared.keys.window(name));
            keys.push(self.shared.keys.quiet(name));
            args.push(ms(c.window).max(1));
            args.push(u64::from(c.threshold.max(1)));
        }
        let answer = self.numbers(|c| &c.tally, keys, args).await?;
        Ok(answer
            .chunks_exact(2)
            .map(|pair| Tally {
                count: u32::try_from(pair[0]).unwrap_or(u32::MAX),
                first: pair[1] == 1,
            })
            .collect())
    }
}

impl RedisState {
    /// Records a successful login of `user` from `network` for every guard, keeping at most
    /// `cap` networks per user for `keep` after their last login, and says what was known
    /// before. An error means "decide locally".
    pub async fn known_login(
        &self,
        user: &str,
        network: &str,
        keep: Duration,
        cap: u32,
    ) -> Result<KnownLogin, StateError> {
        let key = self.shared.keys.known(cut(user));
        let network = network.to_owned();
        let answer: Vec<i64> = self
            .shared
            .run(move |s, mut conn| async move {
                s.counters
                    .known
                    .key(&key)
                    .arg(&network)
                    .arg(ms(keep).max(1))
                    .arg(cap.max(1))
                    .invoke_async(&mut conn)
                    .await
            })
            .await
            .map_err(StateError::Redis)?;
        Ok(KnownLogin {
            user_known: answer.first() == Some(&1),
            network_known: answer.get(1) == Some(&1),
        })
    }

    /// Uses a "this wasn't me" link once across every guard: true for the first call with
    /// `nonce` (the user's `network` is then forgotten), false after. The flag is kept for
    /// `ttl` (the link's remaining life). An error means "decide locally".
    pub async fn redeem_once(
        &self,
        nonce: &str,
        ttl: Duration,
        user: &str,
        network: &str,
    ) -> Result<bool, StateError> {
        let used = self.shared.keys.used(cut(nonce));
        let known = self.shared.keys.known(cut(user));
        let network = network.to_owned();
        let first: i64 = self
            .shared
            .run(move |s, mut conn| async move {
                s.counters
                    .redeem
                    .key(&used)
                    .key(&known)
                    .arg(ms(ttl).max(1))
                    .arg(&network)
                    .invoke_async(&mut conn)
                    .await
            })
            .await
            .map_err(StateError::Redis)?;
        Ok(first == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let long = "é".repeat(150);
        let c = cut(&long);
        assert!(c.len() <= MAX_NAME && c.len() >= MAX_NAME - 1);
        assert!(long.starts_with(c));
        assert_eq!(cut("ip:1.2.3.4"), "ip:1.2.3.4");
    }
}
