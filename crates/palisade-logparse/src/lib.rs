//! Log lines → login outcomes and requests. Pure: text in, values out; no files are read
//! here except through the loader closure fail2ban filters are given.
//!
//! * [`builtin`] parsers for sshd, vsftpd, proftpd, pure-ftpd, postfix, dovecot, nginx and
//!   apache ([`BUILTIN`] lists their names);
//! * [`RegexParser`] for a custom log format;
//! * [`fail2ban::Fail2banFilter`] to reuse a fail2ban `filter.d` file.
//!
//! Every parser implements [`Parser`]: one line in, `Option<Entry>` out, never a panic, time
//! linear in the line (the `regex` crate only, no backtracking engine).
//!
//! # Example
//!
//! ```
//! use palisade_logparse::{builtin, Entry, Outcome};
//!
//! let sshd = builtin("sshd").unwrap();
//! let line = "Nov 28 10:00:01 gate sshd[812]: Failed password for invalid user a b from 192.0.2.7 port 52001 ssh2";
//! let Some(Entry::Login(login)) = sshd.parse(line) else { panic!() };
//! assert_eq!((login.user, login.outcome, login.kind), (Some("a b"), Outcome::Failure, "failed_password"));
//! assert_eq!(login.ip.to_string(), "192.0.2.7");
//! assert!(sshd.parse("Nov 28 10:00:01 gate CRON[1]: Failed password for root from 192.0.2.7 port 1 ssh2").is_none());
//! ```
#![warn(missing_docs)]

use std::net::IpAddr;

mod custom;
mod error;
pub mod fail2ban;
mod ftp;
mod ip;
mod mail;
pub mod prefix;
pub mod sshd;
mod web;

pub use custom::RegexParser;
pub use error::Error;
pub use ftp::{Proftpd, PureFtpd, Vsftpd};
pub use mail::{Dovecot, Postfix};
pub use sshd::Sshd;
pub use web::AccessLog;

/// How a login ended, as the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The credentials were refused (or the attempt was cut off before authenticating).
    Failure,
    /// The user logged in.
    Success,
}

/// One login attempt read from a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login<'a> {
    /// The client address (IPv4-mapped IPv6 canonicalised to IPv4).
    pub ip: IpAddr,
    /// The username, when the line names one.
    pub user: Option<&'a str>,
    /// Failure or success.
    pub outcome: Outcome,
    /// What the line said, as a short snake_case id (`failed_password`, `invalid_user`, …).
    pub kind: &'static str,
}

/// One request read from a web server's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The client address.
    pub ip: IpAddr,
    /// The method.
    pub method: &'a str,
    /// The request target as logged (path and query).
    pub target: &'a str,
    /// The status code.
    pub status: u16,
    /// The authenticated user (`%u` / `$remote_user`), when not `-`.
    pub user: Option<&'a str>,
    /// The User-Agent, when logged.
    pub user_agent: Option<&'a str>,
}

/// What a line means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A login attempt.
    Login(Login<'a>),
    /// A web request.
    Request(Request<'a>),
}

/// Reads lines of one kind of log.
pub trait Parser: Send + Sync {
    /// The parser's name (`sshd`, `vsftpd`, …, or the custom source's name).
    fn name(&self) -> &str;
    /// The service its logins belong to (`ssh`, `ftp`, `mail`, `http`, or configured).
    fn service(&self) -> &str;
    /// What the line means, `None` for lines of no interest. Never panics, linear time.
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>>;
}

/// The names [`builtin`] knows.
pub const BUILTIN: &[&str] = &[
    "sshd",
    "vsftpd",
    "proftpd",
    "pure-ftpd",
    "postfix",
    "dovecot",
    "nginx",
    "apache",
];

/// A built-in parser by name (one of [`BUILTIN`]).
pub fn builtin(name: &str) -> Option<Box<dyn Parser>> {
    Some(match name {
        "sshd" => Box::new(Sshd),
        "vsftpd" => Box::new(Vsftpd::new()),
        "proftpd" => Box::new(Proftpd::new()),
        "pure-ftpd" => Box::new(PureFtpd::new()),
        "postfix" => Box::new(Postfix::new()),
        "dovecot" => Box::new(Dovecot::new()),
        "nginx" => Box::new(AccessLog::nginx()),
        "apache" => Box::new(AccessLog::apache()),
        _ => return None,
    })
}
