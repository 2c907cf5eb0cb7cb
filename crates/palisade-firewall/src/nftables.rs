//! The nftables action: one table owned by palisade, with a set per address family.
//!
//! [`Nftables::start`](crate::Action::start) loads the whole table in one `nft -f -` script, so
//! the kernel switches atomically from the old table (if any) to an empty new one:
//!
//! ```text
//! add table inet palisade
//! delete table inet palisade
//! table inet palisade {
//!     set banned4 { type ipv4_addr; flags interval, timeout; }
//!     set banned6 { type ipv6_addr; flags interval, timeout; }
//!     chain input {
//!         type filter hook input priority -10; policy accept;
//!         ip saddr @banned4 drop
//!         ip6 saddr @banned6 drop
//!     }
//! }
//! ```
//!
//! Bans become set elements with a kernel timeout, so an expired ban lifts even if palisade
//! is not running to lift it.
//!
//! Interval sets refuse overlapping elements (`10.0.0.0/8` and `10.1.2.3`), yet the black
//! book may hold both. The action therefore loads only the widest live networks: a ban inside
//! one already loaded is remembered but not loaded; a wider ban replaces the narrower ones it
//! covers; and when a wide ban lifts, the narrower ones still live are loaded again.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use ipnet::IpNet;

use crate::action::{Action, ttl_seconds};
use crate::error::{ActionError, FirewallError};
use crate::runner::{CommandLine, Runner};

/// The default table name (family `inet`).
pub const DEFAULT_TABLE: &str = "palisade";

/// What the firewall does with a packet from a banned source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NftVerdict {
    /// Silently discard it: a scanner learns nothing, and a connection attempt times out.
    #[default]
    Drop,
    /// Refuse it with an ICMP error: clients fail fast (friendlier to misbanned users).
    Reject,
}

impl NftVerdict {
    /// `drop` or `reject`, as nft and the config file spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            NftVerdict::Drop => "drop",
            NftVerdict::Reject => "reject",
        }
    }
}

impl std::str::FromStr for NftVerdict {
    type Err = FirewallError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "drop" => Ok(NftVerdict::Drop),
            "reject" => Ok(NftVerdict::Reject),
            other => Err(FirewallError::InvalidSetting {
                setting: "nftables.verdict",
                why: format!("`{other}`: use `drop` or `reject`"),
            }),
        }
    }
}

/// What the action knows about one ban it accepted.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// When the kernel drops it; `None`: never.
    deadline: Option<Instant>,
    /// In the kernel set (false: covered by a wider loaded ban, or waiting in `pending`).
    loaded: bool,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.deadline.is_none_or(|d| d > now)
    }
}

/// Enforces bans with an nftables table owned by palisade. See the [module docs](self).
#[derive(Debug)]
pub struct Nftables {
    runner: Runner,
    name: String,
    program: Vec<String>,
    table: String,
    verdict: NftVerdict,
    forward: bool,
    priority: i32,
    entries: BTreeMap<IpNet, Entry>,
    /// Live bans that should be loaded but whose load failed; retried on every call.
    pending: BTreeSet<IpNet>,
}

impl Nftables {
    /// The action named `nftables`, table `inet palisade`, input chain at priority -10,
    /// verdict `drop`, program `nft`.
    pub fn new(runner: Runner) -> Self {
        Nftables {
            runner,
            name: "nftables".to_owned(),
            program: vec!["nft".to_owned()],
            table: DEFAULT_TABLE.to_owned(),
            verdict: NftVerdict::Drop,
            forward: false,
            priority: -10,
            entries: BTreeMap::new(),
            pending: BTreeSet::new(),
        }
    }

    /// Uses table `inet <table>` (letters, digits and `_`, starting with a letter, at most 32).
    pub fn in_table(mut self, table: &str) -> Result<Self, FirewallError> {
        let valid = table.len() <= 32
            && table.starts_with(|c: char| c.is_ascii_alphabetic())
            && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(FirewallError::InvalidSetting {
                setting: "nftables.table",
                why: format!(
                    "`{table}`: use letters, digits and `_`, starting with a letter (at most 32)"
                ),
            });
        }
        self.table = table.to_owned();
        Ok(self)
    }

    /// Renames the action (the name the enforcer's state file records).
    pub fn named(mut self, name: &str) -> Result<Self, FirewallError> {
        self.name = valid_name(name)?;
        Ok(self)
    }

    /// Runs nft through this argv prefix instead of `nft`, e.g.
    /// `["ip", "netns", "exec", "ns1", "nft"]`.
    pub fn with_program<I, S>(mut self, argv: I) -> Result<Self, FirewallError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let argv: Vec<String> = argv.into_iter().map(Into::into).collect();
        if argv.first().is_none_or(|p| p.is_empty()) {
            return Err(FirewallError::InvalidSetting {
                setting: "nftables.program",
                why: "empty command".to_owned(),
            });
        }
        self.program = argv;
        Ok(self)
    }

    /// Answers banned packets with `verdict` instead of dropping them.
    pub fn with_verdict(mut self, verdict: NftVerdict) -> Self {
        self.verdict = verdict;
        self
    }

    /// Filters forwarded traffic too (a `forward` chain): needed on Docker and other router
    /// hosts, where published container ports are reached through forwarding, not input.
    pub fn guarding_forward(mut self) -> Self {
        self.forward = true;
        self
    }

    /// Hooks the chains at this priority (default -10: before the usual `filter` chains at 0,
    /// so a banned client is dropped before any accept rule).
    pub fn at_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// The table's name (family `inet`).
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The script [`Action::start`] loads: recreates the table empty, atomically.
    pub fn start_script(&self) -> String {
        let t = &self.table;
        let verdict = self.verdict.as_str();
        let mut s = String::new();
        // `add` first so `delete` succeeds whether or not the table exists.
        let _ = writeln!(s, "add table inet {t}");
        let _ = writeln!(s, "delete table inet {t}");
        let _ = writeln!(s, "table inet {t} {{");
        for (set, kind) in [("banned4", "ipv4_addr"), ("banned6", "ipv6_addr")] {
            let _ = writeln!(s, "\tset {set} {{");
            let _ = writeln!(s, "\t\ttype {kind}");
            let _ = writeln!(s, "\t\tflags interval, timeout");
            let _ = writeln!(s, "\t}}");
        }
        let hooks: &[&str] = if self.forward {
            &["input", "forward"]
        } else {
            &["input"]
        };
        for hook in hooks {
            let _ = writeln!(s, "\tchain {hook} {{");
            let _ = writeln!(
                s,
                "\t\ttype filter hook {hook} priority {}; policy accept;",
                self.priority
            );
            let _ = writeln!(s, "\t\tip saddr @banned4 {verdict}");
            let _ = writeln!(s, "\t\tip6 saddr @banned6 {verdict}");
            let _ = writeln!(s, "\t}}");
        }
        let _ = writeln!(s, "}}");
        s
    }

    fn script(&self, script: String) -> CommandLine {
        let mut argv = self.program.clone();
        argv.extend(["-f".to_owned(), "-".to_owned()]);
        CommandLine::new(argv).with_stdin(script)
    }

    fn set_of(&self, net: IpNet) -> String {
        let set = match net {
            IpNet::V4(_) => "banned4",
            IpNet::V6(_) => "banned6",
        };
        format!("inet {} {set}", self.table)
    }

    fn add_line(&self, net: IpNet, timeout: Option<u64>) -> String {
        let set = self.set_of(net);
        let elem = element(net);
        match timeout {
            Some(secs) => format!("add element {set} {{ {elem} timeout {secs}s }}\n"),
            None => format!("add element {set} {{ {elem} }}\n"),
        }
    }

    /// Deletes one element; one already gone (expired in the kernel) counts as deleted.
    fn delete(&self, net: IpNet) -> Result<(), ActionError> {
        let line = format!(
            "delete element {} {{ {} }}\n",
            self.set_of(net),
            element(net)
        );
        ignore_missing(self.runner.run(&self.script(line)))
    }

    /// A live accepted ban strictly wider than `net`.
    fn live_ancestor(&self, net: IpNet, now: Instant) -> Option<IpNet> {
        (0..net.prefix_len()).rev().find_map(|len| {
            let wider = IpNet::new(net.addr(), len).ok()?.trunc();
            self.entries
                .get(&wider)
                .filter(|e| e.is_live(now))
                .map(|_| wider)
        })
    }

    /// Accepted bans strictly inside `net`, in address order (wider first at equal address).
    fn descendants(&self, net: IpNet) -> Vec<(IpNet, Entry)> {
        let Ok(last) = IpNet::new(net.broadcast(), net.max_prefix_len()) else {
            return Vec::new();
        };
        self.entries
            .range(net..=last)
            .filter(|(n, _)| **n != net)
            .map(|(n, e)| (*n, *e))
            .collect()
    }

    /// Loads `nets` (each live and uncovered) in one script; on failure they wait in `pending`.
    fn load(&mut self, nets: Vec<IpNet>, now: Instant) -> Result<(), ActionError> {
        if nets.is_empty() {
            return Ok(());
        }
        let mut script = String::new();
        for net in &nets {
            let deadline = self.entries.get(net).and_then(|e| e.deadline);
            let timeout = deadline.map(|d| ttl_seconds(d.saturating_duration_since(now)));
            script.push_str(&self.add_line(*net, timeout));
        }
        match self.runner.run(&self.script(script)) {
            Ok(_) => {
                for net in nets {
                    self.pending.remove(&net);
                    if let Some(e) = self.entries.get_mut(&net) {
                        e.loaded = true;
                    }
                }
                Ok(())
            }
            Err(err) => {
                self.pending.extend(nets);
                Err(err)
            }
        }
    }

    /// Retries loads that failed earlier; a failure here is reported by the next one.
    fn flush_pending(&mut self, now: Instant) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let due: Vec<IpNet> = pending
            .into_iter()
            .filter(|net| {
                self.entries
                    .get(net)
                    .is_some_and(|e| e.is_live(now) && !e.loaded)
                    && self.live_ancestor(*net, now).is_none()
            })
            .collect();
        if let Err(err) = self.load(due, now) {
            tracing::warn!(action = %self.name, error = %err, "nftables: reloading bans failed");
        }
    }
}

impl Action for Nftables {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(&mut self) -> Result<(), ActionError> {
        self.runner.run(&self.script(self.start_script()))?;
        self.entries.clear();
        self.pending.clear();
        Ok(())
    }

    fn ban(
        &mut self,
        target: IpNet,
        ttl: Option<Duration>,
        _reason: &str,
    ) -> Result<(), ActionError> {
        let target = target.trunc();
        let now = Instant::now();
        self.flush_pending(now);
        let deadline = ttl.and_then(|t| now.checked_add(t));
        if self.live_ancestor(target, now).is_some() {
            // Already dropped by a wider ban; loaded again if that one lifts first.
            self.entries.insert(
                target,
                Entry {
                    deadline,
                    loaded: false,
                },
            );
            self.pending.remove(&target);
            return Ok(());
        }
        // The kernel refuses overlapping intervals: narrower loaded bans make way.
        let covered: Vec<IpNet> = self
            .descendants(target)
            .into_iter()
            .filter(|(_, e)| e.loaded)
            .map(|(n, _)| n)
            .collect();
        for net in &covered {
            self.delete(*net)?;
            if let Some(e) = self.entries.get_mut(net) {
                e.loaded = false;
            }
        }
        let reloading = self
            .entries
            .get(&target)
            .is_some_and(|e| e.loaded && e.is_live(now));
        let timeout = ttl.map(ttl_seconds);
        let add = self.add_line(target, timeout);
        let script = if reloading {
            // Older kernels keep an element's old timeout on a second `add`: replace it.
            format!(
                "{add}delete element {} {{ {} }}\n{add}",
                self.set_of(target),
                element(target)
            )
        } else {
            add
        };
        if let Err(err) = self.runner.run(&self.script(script)) {
            // The narrower bans were unloaded for this one: put them back on the next call.
            self.pending.extend(covered);
            return Err(err);
        }
        self.entries.insert(
            target,
            Entry {
                deadline,
                loaded: true,
            },
        );
        self.pending.remove(&target);
        for (net, _) in self.descendants(target) {
            self.pending.remove(&net);
        }
        Ok(())
    }

    fn unban(&mut self, target: IpNet) -> Result<(), ActionError> {
        let target = target.trunc();
        let now = Instant::now();
        match self.entries.get(&target) {
            Some(e) if !e.loaded => {}
            // Loaded, or unknown to this run: make sure the kernel no longer has it.
            _ => self.delete(target)?,
        }
        self.entries.remove(&target);
        self.pending.remove(&target);
        if self.live_ancestor(target, now).is_none() {
            // Narrower bans it covered are enforced again.
            let mut cover: Option<IpNet> = None;
            let mut promote = Vec::new();
            for (net, e) in self.descendants(target) {
                if cover.is_some_and(|c| c.contains(&net)) || !e.is_live(now) {
                    continue;
                }
                cover = Some(net);
                if !e.loaded {
                    promote.push(net);
                }
            }
            self.load(promote, now)?;
        }
        self.flush_pending(now);
        Ok(())
    }

    fn stop(&mut self) -> Result<(), ActionError> {
        let mut argv = self.program.clone();
        argv.extend(["delete", "table", "inet", &self.table].map(str::to_owned));
        ignore_missing(self.runner.run(&CommandLine::new(argv)))?;
        self.entries.clear();
        self.pending.clear();
        Ok(())
    }

    fn persistent_across_start(&self) -> bool {
        // `start` recreates the table empty.
        false
    }
}

/// How nft writes `net`: a bare address for a single host, CIDR otherwise.
fn element(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// Treats "it is not there" as success: the kernel may have expired the element already.
fn ignore_missing(result: Result<String, ActionError>) -> Result<(), ActionError> {
    match result {
        Ok(_) => Ok(()),
        Err(err)
            if err.stderr().is_some_and(|s| {
                s.contains("No such file or directory") || s.contains("does not exist")
            }) =>
        {
            Ok(())
        }
        Err(err) => Err(err),
    }
}

pub(crate) fn valid_name(name: &str) -> Result<String, FirewallError> {
    if name.is_empty() || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(FirewallError::InvalidSetting {
            setting: "name",
            why: format!("`{name}`: an action name is a non-empty word"),
        });
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Recorder;

    fn recorded() -> (Nftables, Recorder) {
        let rec = Recorder::new();
        (Nftables::new(Runner::recording(rec.clone())), rec)
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn start_script_is_one_atomic_recreation() {
        let (nft, _) = recorded();
        let s = nft.start_script();
        assert!(s.starts_with("add table inet palisade\ndelete table inet palisade\n"));
        assert!(s.contains("flags interval, timeout"));
        assert!(s.contains("type filter hook input priority -10; policy accept;"));
        assert!(s.contains("ip saddr @banned4 drop"));
        assert!(s.contains("ip6 saddr @banned6 drop"));
        assert!(!s.contains("forward"));
        let s = nft
            .with_verdict(NftVerdict::Reject)
            .guarding_forward()
            .start_script();
        assert!(s.contains("hook forward"));
        assert!(s.contains("ip6 saddr @banned6 reject"));
    }

    #[test]
    fn ban_and_unban_commands() {
        let (mut nft, rec) = recorded();
        nft.ban(
            net("192.0.2.7/32"),
            Some(Duration::from_millis(3_599_001)),
            "x",
        )
        .unwrap();
        nft.ban(net("2001:db8::/64"), None, "x").unwrap();
        nft.unban(net("192.0.2.7/32")).unwrap();
        assert_eq!(
            rec.take(),
            [
                "nft -f - <<'EOF'\nadd element inet palisade banned4 { 192.0.2.7 timeout 3600s }\nEOF",
                "nft -f - <<'EOF'\nadd element inet palisade banned6 { 2001:db8::/64 }\nEOF",
                "nft -f - <<'EOF'\ndelete element inet palisade banned4 { 192.0.2.7 }\nEOF",
            ]
        );
    }

    #[test]
    fn narrower_bans_are_shadowed_and_reloaded() {
        let (mut nft, rec) = recorded();
        nft.ban(net("10.1.2.3/32"), None, "").unwrap();
        // The wider ban replaces the narrower one in the kernel.
        nft.ban(net("10.0.0.0/8"), Some(Duration::from_secs(60)), "")
            .unwrap();
        // Inside a loaded ban: nothing to run.
        nft.ban(net("10.9.0.0/16"), None, "").unwrap();
        let lines = rec.take();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[1].contains("delete element inet palisade banned4 { 10.1.2.3 }"));
        assert!(lines[2].contains("{ 10.0.0.0/8 timeout 60s }"));
        // Lifting the wide ban loads both narrower ones again.
        nft.unban(net("10.0.0.0/8")).unwrap();
        let lines = rec.take();
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[1].contains("add element inet palisade banned4 { 10.1.2.3 }"));
        assert!(lines[1].contains("add element inet palisade banned4 { 10.9.0.0/16 }"));
        // A shadowed ban lifted alone runs nothing.
        nft.ban(net("10.0.0.0/8"), None, "").unwrap();
        rec.take();
        nft.unban(net("10.9.0.0/16")).unwrap();
        assert!(rec.take().is_empty());
    }

    #[test]
    fn reban_replaces_the_timeout() {
        let (mut nft, rec) = recorded();
        nft.ban(net("192.0.2.7/32"), Some(Duration::from_secs(10)), "")
            .unwrap();
        nft.ban(net("192.0.2.7/32"), Some(Duration::from_secs(20)), "")
            .unwrap();
        let lines = rec.take();
        assert_eq!(
            lines[1],
            "nft -f - <<'EOF'\n\
             add element inet palisade banned4 { 192.0.2.7 timeout 20s }\n\
             delete element inet palisade banned4 { 192.0.2.7 }\n\
             add element inet palisade banned4 { 192.0.2.7 timeout 20s }\nEOF"
        );
    }

    #[test]
    fn settings_are_validated() {
        let (nft, _) = recorded();
        assert!(nft.in_table("bad name").is_err());
        let (nft, _) = recorded();
        assert!(nft.with_program(Vec::<String>::new()).is_err());
        let (nft, _) = recorded();
        assert_eq!(nft.in_table("pal_1").unwrap().table(), "pal_1");
        assert_eq!("reject".parse::<NftVerdict>().unwrap(), NftVerdict::Reject);
        assert!("accept".parse::<NftVerdict>().is_err());
    }
}
