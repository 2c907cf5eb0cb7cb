//! The key layout and the Lua scripts that change it: one round trip per write, atomic
//! across guards, each publishing the changed entry.
//!
//! Layout under `palisade:{<prefix>}:`
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `ban:<target>` | hash | `reason source first last hits expires bans` (`expires` empty: permanent) |
//! | `bans` | sorted set | every target, scored by expiry in ms (`+inf`: permanent) |
//! | `score:<client net>` | hash | `s` (score) and `at` (ms of `s`); expires once decayed |
//! | `book` | channel | JSON of each change: `{"op":"upsert",…fields}` or `{"op":"remove","target":…}` |
//! | `guard:<name>` | hash | a guard's last heartbeat; expires when it stops beating |
//! | `guards` | sorted set | every guard's name, scored by its last beat in ms (a day kept) |
//!
//! A ban hash outlives its ban by `repeat_memory` (its key TTL), because an expired ban is
//! what makes a repeat offender's next one longer; the sorted set lists every target for a
//! resync without `SCAN` and finds the forgotten ones for cleanup. Times are the caller's
//! clock (the `now` every `State` method takes), never the server's, and key TTLs are set
//! relative to that `now`.

use std::collections::HashMap;

use ::redis::Script;
use palisade_core::Timestamp;

use crate::ban::Ban;
use crate::net::parse_target;

/// Names of the keys and channel of one deployment.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    base: String,
}

impl Keys {
    /// The prefix is a hash tag (`palisade:{shop}:…`): every key of a deployment hashes to
    /// one Redis Cluster slot, so scripts may touch several at once (see `shards`).
    pub(crate) fn new(prefix: &str) -> Self {
        Keys {
            base: format!("palisade:{{{prefix}}}:"),
        }
    }

    pub(crate) fn ban(&self, target: &str) -> String {
        format!("{}ban:{target}", self.base)
    }

    pub(crate) fn ban_prefix(&self) -> String {
        format!("{}ban:", self.base)
    }

    pub(crate) fn index(&self) -> String {
        format!("{}bans", self.base)
    }

    pub(crate) fn score(&self, client: &str) -> String {
        format!("{}score:{client}", self.base)
    }

    pub(crate) fn channel(&self) -> String {
        format!("{}book", self.base)
    }

    /// Who created the book in this Redis (a random word, set once): if it changes or
    /// vanishes, Redis lost the book and the guards' copies are written back.
    pub(crate) fn epoch(&self) -> String {
        format!("{}epoch", self.base)
    }

    /// A shared rate limit's bucket (see `counters`).
    pub(crate) fn rate(&self, quota: &str, client: &str) -> String {
        format!("{}rl:{quota}:{client}", self.base)
    }

    /// A shared sliding-window count.
    pub(crate) fn window(&self, name: &str) -> String {
        format!("{}win:{name}", self.base)
    }

    /// The networks a user logged in from.
    pub(crate) fn known(&self, user: &str) -> String {
        format!("{}known:{user}", self.base)
    }

    /// A used "this wasn't me" link.
    pub(crate) fn used(&self, nonce: &str) -> String {
        format!("{}used:{nonce}", self.base)
    }

    /// Set while a count is past its threshold, so one guard acts on it.
    pub(crate) fn quiet(&self, name: &str) -> String {
        format!("{}quiet:{name}", self.base)
    }

    /// The hash of one guard's last heartbeat (see [`super::cluster`]).
    pub(crate) fn guard(&self, name: &str) -> String {
        format!("{}guard:{name}", self.base)
    }

    /// Every guard that heartbeat in the last day, scored by the ms of its last beat.
    pub(crate) fn guards(&self) -> String {
        format!("{}guards", self.base)
    }
}

/// Shared by the scripts: read a hash into a table; is an expired entry past memory; put a
/// ban (keeping first seen, hits and the ban count of a remembered entry) and publish it.
const COMMON: &str = r"
local function fields(key)
  local h = redis.call('HGETALL', key)
  if #h == 0 then return nil end
  local t = {}
  for i = 1, #h, 2 do t[h[i]] = h[i + 1] end
  return t
end
local function forgotten(b, now, memory)
  return b.expires ~= '' and tonumber(b.expires) + memory <= now
end
local function row(target, b)
  return {target, b.reason, b.source, b.first, b.last, b.hits, b.expires, b.bans}
end
local function put(key, index, chan, target, reason, source, now, expires, memory)
  local old = fields(key)
  if old and forgotten(old, now, memory) then old = nil end
  local b = {
    op = 'upsert', target = target, reason = reason, source = source,
    first = old and old.first or string.format('%d', now),
    last = string.format('%d', now),
    hits = old and old.hits or '0',
    expires = expires,
    bans = string.format('%d', (old and tonumber(old.bans) or 0) + 1),
  }
  redis.call('HSET', key, 'reason', b.reason, 'source', b.source, 'first', b.first,
    'last', b.last, 'hits', b.hits, 'expires', b.expires, 'bans', b.bans)
  if expires == '' then
    redis.call('PERSIST', key)
    redis.call('ZADD', index, '+inf', target)
  else
    local keep = tonumber(expires) + memory - now
    if keep < 1 then keep = 1 end
    redis.call('PEXPIRE', key, string.format('%d', keep))
    redis.call('ZADD', index, expires, target)
  end
  redis.call('PUBLISH', chan, cjson.encode(b))
  return row(target, b)
end
";

/// KEYS: ban hash, index. ARGV: target, reason, source, now, expires ('' permanent),
/// repeat memory (ms), channel.
const BAN: &str = r"
return put(KEYS[1], KEYS[2], ARGV[7], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5],
  tonumber(ARGV[6]))
";

/// KEYS: ban hash, index. ARGV: target, channel. Returns the removed entry or nil.
const UNBAN: &str = r"
local old = fields(KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if not old then return false end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], cjson.encode({op = 'remove', target = ARGV[1]}))
return row(ARGV[1], old)
";

/// KEYS: score hash, ban hash, index. ARGV: client net, reason, now, weight, threshold,
/// half-life (ms), base ttl (ms), ttl factor, max ttl (ms), repeat memory (ms), channel,
/// slack. The decision is made here, so offences from two guards at once add up to one
/// total and ban once. Returns the new ban or nil.
const RECORD: &str = r"
local now = tonumber(ARGV[3])
local memory = tonumber(ARGV[10])
local old = fields(KEYS[2])
if old and (old.expires == '' or tonumber(old.expires) > now) then return false end
local threshold = tonumber(ARGV[5])
local half = tonumber(ARGV[6])
local s = tonumber(redis.call('HGET', KEYS[1], 's') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or ARGV[3])
local dt = now - at
if dt < 0 then dt = 0 end
s = s * math.pow(2, -dt / half) + tonumber(ARGV[4])
if now > at then at = now end
if s < threshold * (1 - tonumber(ARGV[12])) then
  redis.call('HSET', KEYS[1], 's', string.format('%.17g', s), 'at', string.format('%d', at))
  -- Gone once decayed below 1% of the threshold.
  local halvings = math.log(s / (threshold * 0.01)) / math.log(2)
  if halvings < 1 then halvings = 1 end
  redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil(halvings * half)))
  return false
end
redis.call('DEL', KEYS[1])
local previous = 0
if old and not forgotten(old, now, memory) then previous = tonumber(old.bans) end
local ttl = tonumber(ARGV[7]) * math.pow(tonumber(ARGV[8]), previous)
if ttl > tonumber(ARGV[9]) then ttl = tonumber(ARGV[9]) end
return put(KEYS[2], KEYS[3], ARGV[11], ARGV[1], ARGV[2], 'rule', now,
  string.format('%d', math.floor(now + ttl)), memory)
";

/// KEYS: ban hashes. ARGV: hits, last seen per key. Hit counters are merged by maximum:
/// each guard counts its own refusals, so the stored value never double counts.
const HITS: &str = r"
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local h = tonumber(redis.call('HGET', key, 'hits') or '0')
    local l = tonumber(redis.call('HGET', key, 'last') or '0')
    if tonumber(ARGV[2 * i - 1]) > h then redis.call('HSET', key, 'hits', ARGV[2 * i - 1]) end
    if tonumber(ARGV[2 * i]) > l then redis.call('HSET', key, 'last', ARGV[2 * i]) end
  end
end
return 0
";

/// KEYS: index. ARGV: cutoff (now − repeat memory, ms), ban key prefix. Drops up to 1000
/// forgotten targets (their hashes have normally expired already).
const PURGE: &str = r"
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, t in ipairs(gone) do
  redis.call('DEL', ARGV[2] .. t)
  redis.call('ZREM', KEYS[1], t)
end
return #gone
";

/// The scripts, hashed once; `Script::invoke` sends `EVALSHA` and loads the script on
/// `NOSCRIPT` (a restarted or flushed server).
pub(crate) struct Scripts {
    pub(crate) ban: Script,
    pub(crate) unban: Script,
    pub(crate) record: Script,
    pub(crate) hits: Script,
    pub(crate) purge: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        let with_common = |body: &str| Script::new(&format!("{COMMON}\n{body}"));
        Scripts {
            ban: with_common(BAN),
            unban: with_common(UNBAN),
            record: with_common(RECORD),
            hits: Script::new(HITS),
            purge: Script::new(PURGE),
        }
    }
}

/// A ban as the scripts return it (`row`): target, reason, source, first, last, hits,
/// expires, bans. `None` when unreadable (a hand-edited hash): it is skipped.
pub(crate) fn ban_from_row(row: &[String]) -> Option<Ban> {
    let [target, reason, source, first, last, hits, expires, bans] = row else {
        return None;
    };
    Some(Ban {
        target: parse_target(target).ok()?,
        reason: reason.clone(),
        source: source.parse().ok()?,
        first_seen: Timestamp(first.parse().ok()?),
        last_seen: Timestamp(last.parse().ok()?),
        hits: hits.parse().unwrap_or(0),
        expires_at: match expires.as_str() {
            "" => None,
            t => Some(Timestamp(t.parse().ok()?)),
        },
        bans: bans.parse().unwrap_or(1),
    })
}

/// A ban from its hash (`HGETALL`) and target.
pub(crate) fn ban_from_hash(target: &str, h: &HashMap<String, String>) -> Option<Ban> {
    let get = |k: &str| h.get(k).cloned().unwrap_or_default();
    ban_from_row(&[
        target.to_owned(),
        get("reason"),
        get("source"),
        get("first"),
        get("last"),
        get("hits"),
        get("expires"),
        get("bans"),
    ])
}

/// A change read from the channel.
pub(crate) enum Message {
    Upsert(Ban),
    Remove(ipnet::IpNet),
}

/// Parses a channel message; `None` for anything this version cannot read.
pub(crate) fn parse_message(payload: &str) -> Option<Message> {
    let v: HashMap<String, String> = serde_json::from_str(payload).ok()?;
    let target = v.get("target")?;
    match v.get("op")?.as_str() {
        "remove" => Some(Message::Remove(parse_target(target).ok()?)),
        "upsert" => ban_from_hash(target, &v).map(Message::Upsert),
        _ => None,
    }
}

/// A target as stored: its canonical text.
pub(crate) fn target_key(target: &ipnet::IpNet) -> String {
    target.to_string()
}
