//! OpenSSH's `sshd` (and `sshd-session`, its per-connection process since 9.8).
//!
//! # Failure policy
//!
//! A benchmark compares palisade's failure count with `fail2ban-regex` and Debian's
//! `filter.d/sshd.conf` (`mode = normal`, `publickey = nofail`), so a line counts as a failure
//! exactly when that filter's failregex matches it without `<F-NOFAIL>`:
//!
//! | line (after an optional `error: `, `fatal: `, `error: PAM: `) | [`Verdict`] | `kind` |
//! |---|---|---|
//! | `Failed password\|keyboard-interactive/pam\|none\|… for [invalid user ]U from IP …` | failure | `failed_password`, `failed_keyboard_interactive`, `failed_none`, `failed_other` |
//! | `Failed publickey for invalid user U from IP …` | failure | `failed_publickey_invalid_user` |
//! | `Failed publickey for U from IP …` (a valid user offering keys) | no-fail | `failed_publickey` |
//! | `Invalid user U from IP` / `Illegal user …` | failure | `invalid_user` |
//! | `Authentication failure for U from IP` (`error: PAM: …`) | failure | `authentication_failure` |
//! | `User not known to the underlying authentication module for U from IP` | failure | `unknown_user` |
//! | `User U from IP not allowed because …` (AllowUsers, DenyUsers, groups) | failure | `not_allowed` |
//! | `maximum authentication attempts exceeded for U from IP …` | failure | `max_auth_attempts` |
//! | `ROOT LOGIN REFUSED FROM IP` | failure | `root_login_refused` |
//! | `refused connect from NAME (IP)` (tcpwrappers) | failure | `refused_connect` |
//! | `Received disconnect from IP …: 3: …: Auth fail` | failure | `auth_fail_disconnect` |
//! | `Disconnecting … user U IP …: Change of username or service not allowed: …` | failure | `change_of_username` |
//! | `pam_unix(sshd:auth): authentication failure; … rhost=IP user=U` | no-fail | `pam_auth_failure` |
//! | `Connection closed/reset by …`, `Disconnected from … [preauth]` | no-fail | `connection_closed` |
//! | `Disconnecting authenticating user U IP …: Too many authentication failures` | no-fail | `too_many_auth_failures` |
//! | `Received disconnect from IP …: 11: …` | no-fail | `received_disconnect` |
//! | `Connection from IP port N on …` | no-fail | `connection_from` |
//! | `Accepted METHOD for U from IP …` | success | `accepted_password`, `accepted_publickey`, `accepted_keyboard_interactive`, `accepted_other` |
//!
//! So one wrong password for an unknown user is two failures (`Invalid user` and
//! `Failed password for invalid user`), as with fail2ban; the pam_unix line of the same attempt
//! and the closing `Connection closed … [preauth]` are not counted. [`Parser::parse`] returns
//! `None` for no-fail lines; [`Sshd::classify`] reports them.
//!
//! Known differences from `fail2ban-regex`: fail2ban tracks each connection (`<F-MLFID>`, the
//! host and pid) and turns no-fail lines into failures when one connection tries several users;
//! this parser is stateless. fail2ban 1.0.2's `_daemon = sshd` misses `sshd-session[…]:` lines
//! and lines without a syslog prefix; this parser reads both. Hostnames in place of addresses
//! (`UseDNS yes`) are ignored: there is no address to ban.
//!
//! # Security
//!
//! Usernames of unknown users are attacker-chosen and may contain spaces and ` from 1.2.3.4`:
//! the address is always taken after the *last* ` from `, which sshd writes itself.

use std::net::IpAddr;

use crate::ip::parse_ip;
use crate::prefix;
use crate::{Entry, Login, Outcome, Parser};

/// What an sshd line means for banning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Counts as a failed login.
    Failure,
    /// A login succeeded.
    Success,
    /// Names a client but is not a failure (fail2ban's `<F-NOFAIL>`).
    NoFail,
}

/// An sshd line with its verdict, including no-fail lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The client address.
    pub ip: IpAddr,
    /// The username, when the line names one.
    pub user: Option<&'a str>,
    /// Failure, success or no-fail.
    pub verdict: Verdict,
    /// The line's id (see the module table).
    pub kind: &'static str,
}

/// The sshd parser (service `ssh`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sshd;

impl Sshd {
    /// Reads a line; `None` for other programs' lines and lines that name no client.
    pub fn classify<'a>(&self, line: &'a str) -> Option<Event<'a>> {
        let (program, msg) = prefix::split_program(line);
        if let Some(p) = program
            && !is_sshd(p)
        {
            return None;
        }
        classify_message(msg)
    }
}

fn is_sshd(p: &str) -> bool {
    p.strip_prefix("sshd")
        .is_some_and(|r| r.is_empty() || r.starts_with('-'))
}

impl Parser for Sshd {
    fn name(&self) -> &str {
        "sshd"
    }
    fn service(&self) -> &str {
        "ssh"
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let ev = self.classify(line)?;
        let outcome = match ev.verdict {
            Verdict::Failure => Outcome::Failure,
            Verdict::Success => Outcome::Success,
            Verdict::NoFail => return None,
        };
        Some(Entry::Login(Login {
            ip: ev.ip,
            user: ev.user,
            outcome,
            kind: ev.kind,
        }))
    }
}

fn ev<'a>(
    ip: IpAddr,
    user: Option<&'a str>,
    verdict: Verdict,
    kind: &'static str,
) -> Option<Event<'a>> {
    Some(Event {
        ip,
        user,
        verdict,
        kind,
    })
}

fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Classifies an sshd message (no prefix).
pub(crate) fn classify_message(msg: &str) -> Option<Event<'_>> {
    let mut m = msg.trim_end_matches(['\r', '\n']);
    // fail2ban's `__pref`: optional "error: " / "fatal: ", then optional "PAM: ".
    if let Some(r) = m
        .strip_prefix("error: ")
        .or_else(|| m.strip_prefix("fatal: "))
    {
        m = r.strip_prefix("PAM: ").unwrap_or(r);
    }
    let first = *m.as_bytes().first()?;
    match first {
        b'F' => failed(m),
        b'I' | b'i' => {
            let r = m
                .strip_prefix("Invalid user ")
                .or_else(|| m.strip_prefix("invalid user "))
                .or_else(|| m.strip_prefix("Illegal user "))
                .or_else(|| m.strip_prefix("illegal user "))?;
            let (user, ip, tail) = user_from_ip(r)?;
            suff(tail).then_some(())?;
            ev(ip, nonempty(user), Verdict::Failure, "invalid_user")
        }
        b'A' | b'a' => {
            if let Some(r) = m.strip_prefix("Accepted ") {
                let (method, r) = r.split_once(' ')?;
                let r = r.strip_prefix("for ")?;
                let (user, r) = r.split_once(' ')?;
                let r = r.strip_prefix("from ")?;
                let ip = parse_ip(r.split(' ').next()?)?;
                let kind = match method {
                    "password" => "accepted_password",
                    "publickey" => "accepted_publickey",
                    m if m.starts_with("keyboard-interactive") => "accepted_keyboard_interactive",
                    _ => "accepted_other",
                };
                return ev(ip, nonempty(user), Verdict::Success, kind);
            }
            let r = m.get(1..)?.strip_prefix("uthentication ")?;
            let r = r
                .strip_prefix("failure for ")
                .or_else(|| r.strip_prefix("error for "))
                .or_else(|| r.strip_prefix("failed for "))?;
            let (user, ip, mut tail) = user_from_ip(r)?;
            if let Some(t) = tail.strip_prefix(" via ") {
                tail = t.find(' ').map_or("", |i| &t[i..]);
            }
            suff(tail).then_some(())?;
            ev(
                ip,
                nonempty(user),
                Verdict::Failure,
                "authentication_failure",
            )
        }
        b'U' => {
            if let Some(r) =
                m.strip_prefix("User not known to the underlying authentication module for ")
            {
                let (user, ip, tail) = user_from_ip(r)?;
                suff(tail).then_some(())?;
                return ev(ip, nonempty(user), Verdict::Failure, "unknown_user");
            }
            let r = m.strip_prefix("User ")?;
            let i = r.rfind(" not allowed because ")?;
            let reason = &r[i + " not allowed because ".len()..];
            const REASONS: [&str; 5] = [
                "not listed in AllowUsers",
                "listed in DenyUsers",
                "not in any group",
                "a group is listed in DenyGroups",
                "none of user's groups are listed in AllowGroups",
            ];
            let rest = REASONS.iter().find_map(|p| reason.strip_prefix(p))?;
            suff(rest).then_some(())?;
            let (user, ip, tail) = user_from_ip(&r[..i])?;
            tail.is_empty().then_some(())?;
            ev(ip, nonempty(user), Verdict::Failure, "not_allowed")
        }
        b'm' => {
            let r = m.strip_prefix("maximum authentication attempts exceeded for ")?;
            let (user, ip, tail) = user_from_ip(r)?;
            let tail = on_port(tail);
            let tail = ssh_opt(tail);
            suff(tail).then_some(())?;
            ev(ip, nonempty(user), Verdict::Failure, "max_auth_attempts")
        }
        b'R' => {
            if let Some(r) = m.strip_prefix("ROOT LOGIN REFUSED FROM ") {
                let ip = parse_ip(r.split([' ', ',']).next()?)?;
                return ev(ip, Some("ROOT"), Verdict::Failure, "root_login_refused");
            }
            let r = m.strip_prefix("Received disconnect from ")?;
            received_disconnect(r)
        }
        b'r' => {
            let r = m.strip_prefix("refused connect from ")?;
            let (_, r) = r.split_once(" (")?;
            let ip = parse_ip(r.split(')').next()?)?;
            ev(ip, None, Verdict::Failure, "refused_connect")
        }
        b'p' => {
            let i = m.find("(sshd:auth): authentication failure;")?;
            let pam = &m[..i];
            (pam.len() > 4
                && pam.starts_with("pam_")
                && pam[4..].bytes().all(|b| b.is_ascii_lowercase()))
            .then_some(())?;
            let r = &m[i..];
            let j = r.find(" rhost=")?;
            let after = &r[j + 7..];
            let (host, after) = after.split_once(' ').unwrap_or((after, ""));
            let ip = parse_ip(host)?;
            let user = after
                .trim_start()
                .strip_prefix("user=")
                .and_then(|u| nonempty(u.split(' ').next().unwrap_or("")));
            ev(ip, user, Verdict::NoFail, "pam_auth_failure")
        }
        b'C' => {
            if let Some(r) = m.strip_prefix("Connection from ") {
                let ip = parse_ip(r.split(' ').next()?)?;
                return ev(ip, None, Verdict::NoFail, "connection_from");
            }
            let r = m
                .strip_prefix("Connection closed ")
                .or_else(|| m.strip_prefix("Connection reset "))?;
            closed(r.strip_prefix("by").or_else(|| r.strip_prefix("from"))?)
        }
        b'D' => {
            if let Some(r) = m.strip_prefix("Disconnected from") {
                return closed(r);
            }
            let r = m.strip_prefix("Disconnecting ")?;
            let r = r.strip_prefix("from ").unwrap_or(r);
            let r = r
                .strip_prefix("invalid user ")
                .or_else(|| r.strip_prefix("authenticating user "))?;
            let (user, r) = r.split_once(' ')?;
            let end = r.find(' ').unwrap_or(r.len());
            let (host, r) = (&r[..end], &r[end..]);
            let (host, r) = match host.strip_suffix(':') {
                Some(h) => (h, ""),
                None => (host, r),
            };
            let ip = parse_ip(host)?;
            let r = on_port_colon(r);
            let r = r.trim_start();
            if r.starts_with("Change of username or service not allowed:")
                && r.trim_end().ends_with("[preauth]")
            {
                ev(ip, nonempty(user), Verdict::Failure, "change_of_username")
            } else if r.starts_with("Too many authentication failures") {
                ev(
                    ip,
                    nonempty(user),
                    Verdict::NoFail,
                    "too_many_auth_failures",
                )
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `Failed METHOD for [invalid user ]USER from IP …`.
fn failed(m: &str) -> Option<Event<'_>> {
    let r = m.strip_prefix("Failed ")?;
    let (method, r) = r.split_once(' ')?;
    let r = r.strip_prefix("for ")?;
    let (invalid, r) = match r.strip_prefix("invalid user ") {
        Some(r) => (true, r),
        None => (false, r),
    };
    let (user, ip, tail) = user_from_ip(r)?;
    // A known user's name has no spaces or colons (fail2ban: `\S+` or `[^:]+`).
    if !invalid && user.contains([' ', ':']) {
        return None;
    }
    // After the address come ports, "ssh2" and maybe ": key details"; fail2ban accepts any
    // tail without " from ", which `rfind` already guarantees.
    let _ = tail;
    let (verdict, kind) = match method {
        "publickey" if invalid => (Verdict::Failure, "failed_publickey_invalid_user"),
        "publickey" => (Verdict::NoFail, "failed_publickey"),
        "password" => (Verdict::Failure, "failed_password"),
        "none" => (Verdict::Failure, "failed_none"),
        k if k.starts_with("keyboard-interactive") => {
            (Verdict::Failure, "failed_keyboard_interactive")
        }
        _ => (Verdict::Failure, "failed_other"),
    };
    ev(ip, nonempty(user), verdict, kind)
}

/// `USER from IP<tail>`, anchored on the last ` from ` (usernames are attacker-chosen).
/// The address ends at a space or the end of the line; the tail keeps its leading space.
fn user_from_ip(r: &str) -> Option<(&str, IpAddr, &str)> {
    let (user, after) = match r.rfind(" from ") {
        Some(i) => (&r[..i], &r[i + 6..]),
        // Empty username: "Invalid user  from 1.2.3.4" leaves "from 1.2.3.4" once the
        // double space was consumed by the prefix.
        None => ("", r.strip_prefix("from ")?),
    };
    let end = after.find(' ').unwrap_or(after.len());
    let ip = parse_ip(&after[..end])?;
    Some((user, ip, &after[end..]))
}

/// fail2ban's `__suff`: `(?: (?:port \d+|on \S+|\[preauth\])){0,3}\s*$`.
fn suff(mut t: &str) -> bool {
    for _ in 0..3 {
        if let Some(r) = t.strip_prefix(" [preauth]") {
            t = r;
        } else {
            let r = on_port_one(t);
            if r.len() == t.len() {
                break;
            }
            t = r;
        }
    }
    t.trim().is_empty()
}

/// One ` port N` or ` on X`.
fn on_port_one(t: &str) -> &str {
    if let Some(r) = t.strip_prefix(" port ") {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 {
            return &r[n..];
        }
    } else if let Some(r) = t.strip_prefix(" on ") {
        let n = r.find(char::is_whitespace).unwrap_or(r.len());
        if n > 0 {
            return &r[n..];
        }
    }
    t
}

/// `__on_port_opt`: `(?: (?:port \d+|on \S+)){0,2}`.
fn on_port(t: &str) -> &str {
    on_port_one(on_port_one(t))
}

/// Like [`on_port`], then an optional `:` (the "…port 22: Too many…" forms).
fn on_port_colon(t: &str) -> &str {
    let t = on_port(t);
    t.strip_prefix(':').unwrap_or(t)
}

/// `(?: ssh\d*)?`
fn ssh_opt(t: &str) -> &str {
    match t.strip_prefix(" ssh") {
        Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => t,
    }
}

/// `Received disconnect from IP[ port N]:[ ]CODE: …`.
fn received_disconnect(r: &str) -> Option<Event<'_>> {
    let end = r.find(' ').unwrap_or(r.len());
    let (ip, rest) = match r[..end].strip_suffix(':') {
        Some(h) => (parse_ip(h)?, &r[end..]),
        None => match parse_ip(&r[..end]) {
            Some(ip) => (
                ip,
                r[end..]
                    .strip_prefix(' ')
                    .map_or("", |_| on_port_colon(&r[end..])),
            ),
            None => {
                // "1.2.3.4:11: …" (no port, no space).
                let c = r.find(':')?;
                (parse_ip(&r[..c])?, &r[c + 1..])
            }
        },
    };
    let rest = rest.trim_start();
    if let Some(x) = rest.strip_prefix("3:") {
        if x.trim_end()
            .trim_end_matches(" [preauth]")
            .ends_with(": Auth fail")
            || x.contains(": Auth fail")
        {
            return ev(ip, None, Verdict::Failure, "auth_fail_disconnect");
        }
        return None;
    }
    rest.starts_with("11:").then_some(Event {
        ip,
        user: None,
        verdict: Verdict::NoFail,
        kind: "received_disconnect",
    })
}

/// `… by|from[ invalid|authenticating user USER] IP[ port N][ [preauth]]`, read from the right.
fn closed(r: &str) -> Option<Event<'_>> {
    let mut t = r.trim_end();
    t = t.strip_suffix(" [preauth]").unwrap_or(t);
    if let Some(i) = t.rfind(" port ")
        && t[i + 6..].bytes().all(|b| b.is_ascii_digit())
    {
        t = &t[..i];
    }
    let i = t.rfind(' ')?;
    let ip = parse_ip(&t[i + 1..])?;
    let head = &t[..i];
    let user = head
        .strip_prefix(" invalid user ")
        .or_else(|| head.strip_prefix(" authenticating user "))
        .or_else(|| head.strip_prefix(" user "));
    ev(
        ip,
        user.and_then(nonempty),
        Verdict::NoFail,
        "connection_closed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(line: &str) -> Option<(&'static str, Verdict, Option<&str>, String)> {
        Sshd.classify(line)
            .map(|e| (e.kind, e.verdict, e.user, e.ip.to_string()))
    }

    #[test]
    fn basics() {
        assert_eq!(
            k("Failed password for invalid user a b from 1.2.3.4 port 22 ssh2"),
            Some((
                "failed_password",
                Verdict::Failure,
                Some("a b"),
                "1.2.3.4".into()
            ))
        );
        assert_eq!(
            k("Invalid user  from 1.2.3.4 port 22").map(|x| x.2),
            Some(None)
        );
        assert_eq!(
            k("Received disconnect from 1.2.3.4 port 22:11: Bye Bye [preauth]").map(|x| x.1),
            Some(Verdict::NoFail)
        );
        assert_eq!(
            k("Received disconnect from 1.2.3.4 port 22:3: com.jcraft.jsch.JSchException: Auth fail [preauth]").map(|x| x.1),
            Some(Verdict::Failure)
        );
    }
}
