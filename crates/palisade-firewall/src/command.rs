//! The command action: fail2ban-style `ban`/`unban` command templates run through
//! `/bin/sh -c`, for firewalls palisade has no built-in action for (iptables/ipset, firewalld,
//! a cloud security group, a notification).
//!
//! Placeholders (see [`crate::template`] for quoting rules):
//!
//! | placeholder | value |
//! |---|---|
//! | `{ip}` | the address, or the CIDR for a network (`192.0.2.7`, `2001:db8::/64`) |
//! | `{cidr}` | always with the prefix length (`192.0.2.7/32`) |
//! | `{ttl}` | seconds until the ban lifts, rounded up; `0` when permanent (and on unban) |
//! | `{family}` | `inet` or `inet6` |
//! | `{reason}` | the ban's reason, single-quoted for the shell; empty on unban |
//!
//! The same values are in the environment as `PALISADE_IP`, `PALISADE_CIDR`, `PALISADE_TTL`,
//! `PALISADE_FAMILY` and `PALISADE_REASON`, for scripts. `{{` and `}}` are literal braces
//! (`${{HOME}}`).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use palisade_firewall::{Action, CommandAction, Recorder, Runner};
//!
//! let recorder = Recorder::new();
//! let mut action = CommandAction::new(
//!     "ipset",
//!     Runner::recording(recorder.clone()),
//!     "ipset add -exist palisade {ip} timeout {ttl} comment {reason}",
//!     "ipset del -exist palisade {ip}",
//! )
//! .unwrap();
//! action
//!     .ban("192.0.2.7/32".parse().unwrap(), Some(Duration::from_secs(600)), "port scan")
//!     .unwrap();
//! assert_eq!(
//!     recorder.lines(),
//!     // The template's text is one `sh -c` argument, quoted again for display.
//!     [r"/bin/sh -c 'ipset add -exist palisade 192.0.2.7 timeout 600 comment '\''port scan'\'''"]
//! );
//! ```

use std::time::Duration;

use ipnet::IpNet;

use crate::action::{Action, ttl_seconds};
use crate::error::{ActionError, FirewallError};
use crate::nftables::valid_name;
use crate::runner::{CommandLine, Runner};
use crate::template::{Template, Values, clean_reason, family, ip_text};

/// Runs command templates to ban and unban. See the [module docs](self).
#[derive(Debug)]
pub struct CommandAction {
    name: String,
    runner: Runner,
    shell: Vec<String>,
    ban: Template,
    unban: Template,
    start: Option<Template>,
    stop: Option<Template>,
}

impl CommandAction {
    /// An action named `name` running `ban` and `unban` templates; placeholders are checked
    /// here, so a typo fails at startup rather than on the first ban.
    pub fn new(name: &str, runner: Runner, ban: &str, unban: &str) -> Result<Self, FirewallError> {
        Ok(CommandAction {
            name: valid_name(name)?,
            runner,
            shell: vec!["/bin/sh".to_owned(), "-c".to_owned()],
            ban: Template::parse("ban", ban, true)?,
            unban: Template::parse("unban", unban, true)?,
            start: None,
            stop: None,
        })
    }

    /// Runs `template` on start (e.g. `ipset create -exist palisade hash:net timeout 0`); it
    /// takes no placeholders.
    pub fn on_start(mut self, template: &str) -> Result<Self, FirewallError> {
        self.start = Some(Template::parse("start", template, false)?);
        Ok(self)
    }

    /// Runs `template` on stop (e.g. removing the rule the start command added); it takes no
    /// placeholders.
    pub fn on_stop(mut self, template: &str) -> Result<Self, FirewallError> {
        self.stop = Some(Template::parse("stop", template, false)?);
        Ok(self)
    }

    fn command(&self, template: &Template, values: Option<&Values<'_>>) -> CommandLine {
        let empty = Values {
            target: None,
            ttl: 0,
            reason: "",
        };
        let values = values.unwrap_or(&empty);
        let mut argv = self.shell.clone();
        argv.push(template.render(values));
        let mut cmd = CommandLine::new(argv);
        if let Some(target) = values.target {
            cmd = cmd
                .with_env("PALISADE_IP", ip_text(target))
                .with_env("PALISADE_CIDR", target.to_string())
                .with_env("PALISADE_FAMILY", family(target))
                .with_env("PALISADE_TTL", values.ttl.to_string())
                .with_env("PALISADE_REASON", clean_reason(values.reason));
        }
        cmd
    }

    fn run_optional(&self, template: Option<&Template>) -> Result<(), ActionError> {
        match template {
            Some(t) => self.runner.run(&self.command(t, None)).map(drop),
            None => Ok(()),
        }
    }
}

impl Action for CommandAction {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(&mut self) -> Result<(), ActionError> {
        self.run_optional(self.start.as_ref())
    }

    fn ban(
        &mut self,
        target: IpNet,
        ttl: Option<Duration>,
        reason: &str,
    ) -> Result<(), ActionError> {
        let values = Values {
            target: Some(target.trunc()),
            ttl: ttl.map_or(0, ttl_seconds),
            reason,
        };
        self.runner
            .run(&self.command(&self.ban, Some(&values)))
            .map(drop)
    }

    fn unban(&mut self, target: IpNet) -> Result<(), ActionError> {
        let values = Values {
            target: Some(target.trunc()),
            ttl: 0,
            reason: "",
        };
        self.runner
            .run(&self.command(&self.unban, Some(&values)))
            .map(drop)
    }

    fn stop(&mut self) -> Result<(), ActionError> {
        self.run_optional(self.stop.as_ref())
    }
}
