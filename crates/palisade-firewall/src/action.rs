//! The [`Action`] trait: one way of enforcing bans outside the guard.

use std::time::Duration;

use ipnet::IpNet;

use crate::error::ActionError;

/// One way of enforcing the black book outside the guard, like a fail2ban action: an nftables
/// set ([`crate::Nftables`]), shell commands ([`crate::CommandAction`]), or your own.
///
/// The [`crate::Enforcer`] decides what to ban and unban; an action only carries it out. A
/// failing call is logged and retried on the next sync, so implementations report failures
/// as [`ActionError`] and never panic.
pub trait Action: Send {
    /// A short, unique name; the enforcer's state file records which action applied which ban
    /// under this name, so renaming an action forgets what it applied.
    fn name(&self) -> &str;

    /// Prepares the action (creates the nftables table, runs a start command). Called once by
    /// [`crate::Enforcer::new`], and again on each sync until it succeeds.
    fn start(&mut self) -> Result<(), ActionError>;

    /// Bans `target` (an address or a network) for `ttl`, or for good when `None`. Called
    /// again for a target already banned when its expiry changed; `reason` is for humans.
    fn ban(
        &mut self,
        target: IpNet,
        ttl: Option<Duration>,
        reason: &str,
    ) -> Result<(), ActionError>;

    /// Lifts the ban of `target`. Lifting a ban the firewall already dropped (expired) is a
    /// success.
    fn unban(&mut self, target: IpNet) -> Result<(), ActionError>;

    /// Removes everything this action created (the nftables table, a stop command).
    fn stop(&mut self) -> Result<(), ActionError>;

    /// True when bans applied before a [`Action::start`] are still in force after it (commands
    /// changing a system the action does not reset); false when `start` begins from an empty
    /// firewall (nftables recreates its table), so the enforcer applies every ban again.
    fn persistent_across_start(&self) -> bool {
        true
    }
}

/// Whole seconds of `ttl`, rounded up so a ban never lifts early, and at least 1 (0 means
/// "permanent" to most firewalls).
pub fn ttl_seconds(ttl: Duration) -> u64 {
    let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_with_a_floor_of_one_second() {
        assert_eq!(ttl_seconds(Duration::ZERO), 1);
        assert_eq!(ttl_seconds(Duration::from_millis(1)), 1);
        assert_eq!(ttl_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(ttl_seconds(Duration::from_secs(3600)), 3600);
    }
}
