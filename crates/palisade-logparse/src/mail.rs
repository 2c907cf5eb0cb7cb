//! Mail daemons: Postfix SASL and Dovecot (service `mail`).

use std::net::IpAddr;

use crate::ftp::pam_failure;
use crate::ip::parse_ip;
use crate::prefix;
use crate::{Entry, Login, Outcome, Parser};

fn login<'a>(
    ip: IpAddr,
    user: Option<&'a str>,
    outcome: Outcome,
    kind: &'static str,
) -> Option<Entry<'a>> {
    Some(Entry::Login(Login {
        ip,
        user,
        outcome,
        kind,
    }))
}

/// `name[1.2.3.4]` or `name[1.2.3.4]:port` → the address.
fn bracketed_ip(s: &str) -> Option<IpAddr> {
    let open = s.find('[')?;
    let close = s[open..].find(']')? + open;
    parse_ip(&s[open + 1..close])
}

/// A `key=value` field, up to the next comma.
fn field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)?;
    let v = &s[i + key.len()..];
    let v = v.split(',').next().unwrap_or("").trim();
    (!v.is_empty()).then_some(v)
}

/// Postfix: `postfix/smtpd[1]: warning: unknown[1.2.3.4]: SASL LOGIN authentication failed: …`
/// (any `postfix*/…smtpd` program, any SASL mechanism) and the successful
/// `client=unknown[1.2.3.4], sasl_method=PLAIN, sasl_username=bob`.
///
/// Unlike fail2ban's `postfix.conf` in its default `mode = more`, SASL failures count: they
/// are the logins this parser is about. A failure because the auth server is unreachable does
/// not (it says nothing about the client).
#[derive(Debug, Clone, Default)]
pub struct Postfix {
    _private: (),
}

impl Postfix {
    /// The parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for Postfix {
    fn name(&self) -> &str {
        "postfix"
    }
    fn service(&self) -> &str {
        "mail"
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let (program, msg) = prefix::split_program(line);
        if !program.is_some_and(|p| p.starts_with("postfix")) {
            return None;
        }
        let msg = msg.trim_end();
        if let Some(r) = msg.strip_prefix("warning: ") {
            let i = r.find("]: SASL ")?;
            let ip = bracketed_ip(&r[..=i])?;
            let after = &r[i + 8..];
            let (mech, after) = after.split_once(' ')?;
            if mech.is_empty() || !after.starts_with("authentication failed") {
                return None;
            }
            let reason = &after["authentication failed".len()..];
            if reason.starts_with(": Connection lost to authentication server") {
                return None;
            }
            return login(
                ip,
                field(reason, "sasl_username="),
                Outcome::Failure,
                "sasl_auth_failed",
            );
        }
        let i = msg.find(": client=")?;
        let r = &msg[i + 9..];
        if !r.contains(", sasl_method=") {
            return None;
        }
        let ip = bracketed_ip(r.split(',').next()?)?;
        login(
            ip,
            field(r, "sasl_username="),
            Outcome::Success,
            "sasl_login",
        )
    }
}

/// Dovecot: `imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob>, …, rip=1.2.3.4`,
/// `pop3-login: Aborted login (auth failed, …)`, `auth: passwd-file(bob,1.2.3.4): unknown user`,
/// `auth-worker(12): pam(bob,1.2.3.4): pam_authenticate() failed: …`, PAM's
/// `authentication failure; … rhost=…`, and the successful `imap-login: Login: user=<bob>, …`.
#[derive(Debug, Clone, Default)]
pub struct Dovecot {
    _private: (),
}

impl Dovecot {
    /// The parser.
    pub fn new() -> Self {
        Self::default()
    }
}

fn strip_login_service(m: &str) -> &str {
    for s in [
        "imap-login: ",
        "pop3-login: ",
        "managesieve-login: ",
        "submission-login: ",
        "lmtp-login: ",
    ] {
        if let Some(r) = m.strip_prefix(s) {
            return r;
        }
    }
    m
}

impl Parser for Dovecot {
    fn name(&self) -> &str {
        "dovecot"
    }
    fn service(&self) -> &str {
        "mail"
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let (program, msg) = prefix::split_program(line);
        let mut m = msg.trim_end();
        match program {
            None | Some("dovecot" | "dovecot-auth" | "auth" | "auth-worker") => {}
            Some(p) if p.ends_with("-login") => {}
            Some(_) => return None,
        }
        m = m.strip_prefix("dovecot: ").unwrap_or(m);
        // "auth: " or "auth-worker(12): " (the worker id is optional).
        if let Some(r) = m.strip_prefix("auth") {
            let r = r.strip_prefix("-worker").unwrap_or(r);
            let r = match r.strip_prefix('(') {
                Some(x) => x.split_once(')').map_or(r, |(_, x)| x),
                None => r,
            };
            if let Some(r) = r.strip_prefix(": ") {
                m = r;
            }
        }
        m = strip_login_service(m);
        m = m.strip_prefix("Info: ").unwrap_or(m);
        if let Some(r) = m.strip_prefix("Login: ") {
            let ip = parse_ip(field(r, "rip=")?)?;
            let user = field(r, "user=<").map(|u| u.trim_end_matches('>'));
            return login(ip, user, Outcome::Success, "login");
        }
        let starts = [
            "Aborted login",
            "Disconnected",
            "Remote closed connection",
            "Client has quit the connection",
        ];
        if starts.iter().any(|s| m.starts_with(s)) {
            if !m.contains("(auth failed,")
                && !m.contains("(tried to use disallowed")
                && !m.contains("(proxy dest auth failed)")
            {
                return None;
            }
            let ip = parse_ip(field(m, "rip=")?)?;
            let user = user_angle(m);
            return login(ip, user, Outcome::Failure, "auth_failed");
        }
        if let Some((ip, user)) = pam_failure(m, "dovecot") {
            return login(ip, user, Outcome::Failure, "pam_auth_failure");
        }
        if let Some(r) = m.strip_prefix("authentication failure; ") {
            let ip = parse_ip(r.split(" rhost=").nth(1)?.split(' ').next()?)?;
            let user = r
                .split(" user=")
                .nth(1)
                .map(str::trim)
                .filter(|u| !u.is_empty());
            return login(ip, user, Outcome::Failure, "pam_auth_failure");
        }
        // "passdb(user,ip[,session]): reason".
        let open = m.find('(')?;
        let name = &m[..open];
        if name.len() < 3
            || name.len() > 15
            || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        {
            return None;
        }
        let (args, reason) = m[open + 1..].split_once("): ")?;
        let (user, ip) = user_ip_args(args)?;
        let r = reason.to_ascii_lowercase();
        let failed = if name == "pam" {
            r.starts_with("pam_authenticate() failed:")
        } else {
            r.starts_with("unknown user")
                || r.starts_with("invalid credentials")
                || r.starts_with("password mismatch")
        };
        failed.then(|| {
            Entry::Login(Login {
                ip,
                user,
                outcome: Outcome::Failure,
                kind: if r.starts_with("unknown user") {
                    "unknown_user"
                } else {
                    "password_mismatch"
                },
            })
        })
    }
}

/// `user=<bob>` (a username may contain `>`: the value ends at the last `>` before `,`).
fn user_angle(m: &str) -> Option<&str> {
    let i = m.find("user=<")?;
    let r = &m[i + 6..];
    let end = r.find(">, ").or_else(|| r.rfind('>'))?;
    let u = &r[..end];
    (!u.is_empty()).then_some(u)
}

/// `user,ip[,session]`: the address is the last field that parses (usernames may hold commas).
fn user_ip_args(args: &str) -> Option<(Option<&str>, IpAddr)> {
    let mut end = args.len();
    while let Some(c) = args[..end].rfind(',') {
        let cand = &args[c + 1..end];
        if let Some(ip) = parse_ip(cand) {
            let user = &args[..c];
            return Some(((!user.is_empty()).then_some(user), ip));
        }
        end = c;
    }
    None
}
