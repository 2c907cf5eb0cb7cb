//! FTP daemons: vsftpd, ProFTPD, Pure-FTPd (service `ftp`).

use regex::Regex;

use crate::ip::parse_ip;
use crate::prefix;
use crate::{Entry, Login, Outcome, Parser};

fn login<'a>(
    ip: std::net::IpAddr,
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

fn user_field(u: &str) -> Option<&str> {
    (!u.is_empty() && u != "?" && u != "-").then_some(u)
}

/// The message of a line when its program is `want` (or the line has no program tag).
fn message_of<'a>(line: &'a str, want: &str) -> Option<&'a str> {
    let (program, msg) = prefix::split_program(line);
    match program {
        Some(p) if p != want => None,
        _ => Some(msg),
    }
}

/// A `pam_*(DAEMON:auth): authentication failure; … rhost=IP [user=U]` message.
pub(crate) fn pam_failure<'a>(
    msg: &'a str,
    daemon: &str,
) -> Option<(std::net::IpAddr, Option<&'a str>)> {
    let rest = msg.strip_prefix("pam_")?;
    let open = rest.find('(')?;
    if !rest[..open].bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let rest = rest[open + 1..]
        .strip_prefix(daemon)?
        .strip_prefix(":auth): authentication failure;")?;
    let r = &rest[rest.find(" rhost=")? + 7..];
    let (host, after) = r.split_once(' ').unwrap_or((r, ""));
    let ip = parse_ip(host)?;
    let user = after
        .trim_start()
        .strip_prefix("user=")
        .map(|u| u.trim_end())
        .and_then(user_field);
    Some((ip, user))
}

/// vsftpd: its own `vsftpd.log` (`Sat Nov 28 10:00:01 2026 [pid 1] [bob] FAIL LOGIN: Client "1.2.3.4"`)
/// or syslog (`vsftpd[1]: [bob] OK LOGIN: …`), and its PAM failures. `CONNECT` lines are ignored.
#[derive(Debug, Clone, Default)]
pub struct Vsftpd {
    _private: (),
}

impl Vsftpd {
    /// The parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for Vsftpd {
    fn name(&self) -> &str {
        "vsftpd"
    }
    fn service(&self) -> &str {
        "ftp"
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (_, rest) = prefix::split_date(line);
        let rest = rest.trim_start();
        let msg = if rest.starts_with("[pid ") {
            rest
        } else {
            message_of(line, "vsftpd")?
        };
        if let Some((ip, user)) = pam_failure(msg, "vsftpd") {
            return login(ip, user, Outcome::Failure, "pam_auth_failure");
        }
        let msg = match msg.strip_prefix("[pid ") {
            Some(r) => r.split_once("] ")?.1,
            None => msg,
        };
        // The last keyword: a username could contain an earlier, forged one.
        let (i, outcome, kind, kw) = match (
            msg.rfind("FAIL LOGIN: Client \""),
            msg.rfind("OK LOGIN: Client \""),
        ) {
            (Some(f), Some(o)) if o > f => (o, Outcome::Success, "ok_login", "OK LOGIN: Client \""),
            (Some(f), _) => (f, Outcome::Failure, "fail_login", "FAIL LOGIN: Client \""),
            (None, Some(o)) => (o, Outcome::Success, "ok_login", "OK LOGIN: Client \""),
            (None, None) => return None,
        };
        let head = msg[..i].trim_end();
        let user = head
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .and_then(user_field);
        let after = &msg[i + kw.len()..];
        let ip = parse_ip(&after[..after.find('"')?])?;
        login(ip, user, outcome, kind)
    }
}

/// ProFTPD: `proftpd[1]: host (name[1.2.3.4]) - USER bob (Login failed): Incorrect password`,
/// `… USER bob: no such user found from …`, `… Maximum login attempts (3) exceeded`,
/// `… USER bob: Login successful.`
#[derive(Debug, Clone)]
pub struct Proftpd {
    head: Regex,
    failed: Regex,
    security: Regex,
}

impl Default for Proftpd {
    fn default() -> Self {
        Self::new()
    }
}

impl Proftpd {
    /// The parser.
    pub fn new() -> Self {
        // Fixed patterns checked by the tests: compiling them cannot fail at run time.
        #[allow(clippy::unwrap_used)]
        Self {
            head: Regex::new(r"^\S+ \(\S*\[([^\]\s]+)\]\)[: -]+ (.+)$").unwrap(),
            failed: Regex::new(
                r"^USER (.*?)(?: \(Login failed\))?: (?:[uU]ser not authorized for login|[nN]o such user found|[iI]ncorrect password|[pP]assword expired|[aA]ccount disabled|[iI]nvalid shell: '\S+'|[uU]ser in \S+|[lL]imit (?:access|configuration) denies login|[nN]ot a UserAlias|[mM]aximum login length exceeded)",
            )
            .unwrap(),
            security: Regex::new(r"^SECURITY VIOLATION: (.*?) login attempted").unwrap(),
        }
    }
}

impl Parser for Proftpd {
    fn name(&self) -> &str {
        "proftpd"
    }
    fn service(&self) -> &str {
        "ftp"
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let msg = message_of(line, "proftpd")?.trim_end();
        // Prefilter before any regex: every interesting line names USER, SECURITY or Maximum.
        if !(msg.contains(" USER ") || msg.contains(" SECURITY ") || msg.contains(" Maximum ")) {
            return None;
        }
        let c = self.head.captures(msg)?;
        let ip = parse_ip(c.get(1)?.as_str())?;
        let content = c.get(2)?.as_str();
        if let Some(u) = content.strip_prefix("USER ")
            && let Some(user) = u.strip_suffix(": Login successful.")
        {
            return login(ip, user_field(user), Outcome::Success, "login_successful");
        }
        if let Some(f) = self.failed.captures(content) {
            let user = f.get(1).map(|m| m.as_str()).and_then(user_field);
            let kind = if content.contains("o such user") {
                "no_such_user"
            } else {
                "login_failed"
            };
            return login(ip, user, Outcome::Failure, kind);
        }
        if let Some(s) = self.security.captures(content) {
            return login(
                ip,
                s.get(1).map(|m| m.as_str()).and_then(user_field),
                Outcome::Failure,
                "security_violation",
            );
        }
        if content.starts_with("Maximum login attempts (") && content.contains(") exceeded") {
            return login(ip, None, Outcome::Failure, "max_login_attempts");
        }
        None
    }
}

/// Pure-FTPd: `pure-ftpd: (?@1.2.3.4) [WARNING] Authentication failed for user [bob]`,
/// `(bob@1.2.3.4) [INFO] bob is now logged in`.
#[derive(Debug, Clone, Default)]
pub struct PureFtpd {
    _private: (),
}

impl PureFtpd {
    /// The parser.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Parser for PureFtpd {
    fn name(&self) -> &str {
        "pure-ftpd"
    }
    fn service(&self) -> &str {
        "ftp"
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let msg = message_of(line, "pure-ftpd")?.trim_end();
        let inner = msg.strip_prefix('(')?;
        let close = inner.find(") [")?;
        let (who, rest) = (&inner[..close], &inner[close + 2..]);
        let at = who.rfind('@')?;
        let ip = parse_ip(&who[at + 1..])?;
        if let Some(r) = rest.strip_prefix("[WARNING] Authentication failed for user [") {
            let user = r.strip_suffix(']').and_then(user_field);
            return login(ip, user, Outcome::Failure, "authentication_failed");
        }
        if let Some(r) = rest.strip_prefix("[INFO] ")
            && let Some(user) = r.strip_suffix(" is now logged in")
        {
            return login(ip, user_field(user), Outcome::Success, "logged_in");
        }
        None
    }
}
