use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::time::Duration;

use palisade_core::{Event, Severity, Timestamp};

use super::{AlertRule, Notification};

/// Keys tracked per rule at most: an attacker rotating IPs must not grow memory without bound.
const MAX_KEYS: usize = 50_000;

#[derive(Default)]
struct KeyState {
    hits: VecDeque<i64>,
    quiet_until: i64,
    last_seen: i64,
}

#[derive(Default)]
struct Digest {
    started: Option<i64>,
    count: u64,
    severity: Option<Severity>,
    by_category: HashMap<String, u64>,
    by_key: HashMap<String, u64>,
}

struct RuleState {
    rule: AlertRule,
    keys: HashMap<String, KeyState>,
    digest: Digest,
}

/// Runs every rule over the event stream. Time comes from the events and from [`tick`]'s
/// argument, never from a clock, so tests drive it exactly.
///
/// [`tick`]: AlertEngine::tick
pub struct AlertEngine {
    rules: Vec<RuleState>,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl AlertEngine {
    /// An engine for these rules.
    pub fn new(rules: Vec<AlertRule>) -> Self {
        AlertEngine {
            rules: rules
                .into_iter()
                .map(|rule| RuleState {
                    rule,
                    keys: HashMap::new(),
                    digest: Digest::default(),
                })
                .collect(),
        }
    }

    /// Feeds one (already redacted) event; returns `(channel, notification)` pairs to send.
    pub fn observe(&mut self, e: &Event) -> Vec<(String, Notification)> {
        let mut out = Vec::new();
        let now = e.time.0;
        for state in &mut self.rules {
            let rule = &state.rule;
            if !rule.matches(e) {
                continue;
            }
            let key = rule.group_by.key_of(e);
            if rule.digest.is_some() {
                let d = &mut state.digest;
                d.started.get_or_insert(now);
                d.count += 1;
                d.severity = d.severity.max(Some(e.severity));
                *d.by_category.entry(e.category.to_string()).or_default() += 1;
                if d.by_key.len() < MAX_KEYS || d.by_key.contains_key(&key) {
                    *d.by_key.entry(key).or_default() += 1;
                }
                continue;
            }
            if state.keys.len() >= MAX_KEYS && !state.keys.contains_key(&key) {
                evict(&mut state.keys, now, rule);
            }
            let ks = state.keys.entry(key.clone()).or_default();
            ks.last_seen = now;
            let window = ms(rule.window);
            while ks.hits.front().is_some_and(|t| *t <= now - window) {
                ks.hits.pop_front();
            }
            ks.hits.push_back(now);
            // Only the newest `threshold` hits matter.
            while ks.hits.len() > rule.threshold as usize {
                ks.hits.pop_front();
            }
            if ks.hits.len() as u32 >= rule.threshold && now >= ks.quiet_until {
                ks.quiet_until = now.saturating_add(ms(rule.cooldown));
                let count = ks.hits.len() as u64;
                ks.hits.clear();
                let n = fire(rule, e, &key, count);
                out.extend(rule.channels.iter().map(|c| (c.clone(), n.clone())));
            }
        }
        out
    }

    /// Sends the digests that are due at `now`.
    pub fn tick(&mut self, now: Timestamp) -> Vec<(String, Notification)> {
        let mut out = Vec::new();
        for state in &mut self.rules {
            let Some(interval) = state.rule.digest else {
                continue;
            };
            let Some(started) = state.digest.started else {
                continue;
            };
            if now.0 < started.saturating_add(ms(interval)) {
                continue;
            }
            let d = std::mem::take(&mut state.digest);
            let n = digest(&state.rule, d, interval);
            out.extend(state.rule.channels.iter().map(|c| (c.clone(), n.clone())));
        }
        out
    }
}

/// Drops keys that can no longer fire or be quiet; if the table is still full, the least
/// recently seen half goes.
fn evict(keys: &mut HashMap<String, KeyState>, now: i64, rule: &AlertRule) {
    let horizon = ms(rule.window).max(ms(rule.cooldown));
    keys.retain(|_, k| k.last_seen > now - horizon || k.quiet_until > now);
    if keys.len() >= MAX_KEYS {
        let mut seen: Vec<i64> = keys.values().map(|k| k.last_seen).collect();
        let mid = seen.len() / 2;
        let (_, median, _) = seen.select_nth_unstable(mid);
        let median = *median;
        keys.retain(|_, k| k.last_seen > median);
    }
}

fn fire(rule: &AlertRule, e: &Event, key: &str, count: u64) -> Notification {
    let title = e.title();
    let mut text = format!("{}\n\nrule: {}\n", e.message, rule.name);
    if count > 1 {
        let _ = writeln!(
            text,
            "events: {count} within {}",
            humantime_short(rule.window)
        );
    }
    text.push_str(&e.details());
    if !rule.cooldown.is_zero() {
        let _ = write!(
            text,
            "\nFurther alerts of this rule for the same {} are held for {}.",
            if key.is_empty() { "kind" } else { "key" },
            humantime_short(rule.cooldown)
        );
    }
    let mut n = Notification::new(&rule.name, e.severity, title, text);
    n.time = e.time;
    n.count = count;
    n.key = (!key.is_empty()).then(|| key.to_owned());
    n.event = Some(e.clone());
    n
}

fn digest(rule: &AlertRule, d: Digest, interval: Duration) -> Notification {
    let title = format!(
        "[palisade] digest {}: {} events in {}",
        rule.name,
        d.count,
        humantime_short(interval)
    );
    let mut text = format!("{title}\n\nby category:\n");
    let mut cats: Vec<_> = d.by_category.into_iter().collect();
    cats.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (c, n) in cats {
        let _ = writeln!(text, "  {c}: {n}");
    }
    let mut keys: Vec<_> = d
        .by_key
        .into_iter()
        .filter(|(k, _)| !k.is_empty())
        .collect();
    if !keys.is_empty() {
        keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(text, "\ntop keys:");
        for (k, n) in keys.into_iter().take(10) {
            let _ = writeln!(text, "  {k}: {n}");
        }
    }
    let mut n = Notification::new(
        &rule.name,
        d.severity.unwrap_or(Severity::Info),
        title,
        text,
    );
    n.count = d.count;
    n
}

fn humantime_short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
