//! Custom parsers from regexes (the `regex` crate: linear time, no backreferences).

use regex::Regex;

use crate::ip::parse_ip;
use crate::{Entry, Error, Login, Outcome, Parser, prefix};

/// A parser built from one or more regexes with named groups: `ip` (required), `user` and
/// `outcome` (optional).
///
/// Each pattern is tried against the message after the syslog prefix, then, if none matched,
/// against the whole line. An `outcome` group decides the outcome case-insensitively
/// (`fail`, `failed`, `failure`, `denied`, `invalid`, `error`, `bad`, `refused` → failure;
/// `ok`, `success`, `succeeded`, `accepted`, `login`, `pass`, `passed` → success; anything
/// else ignores the line); without one, the default outcome applies. Logins get the kind
/// `custom`.
///
/// # Example
///
/// ```
/// use palisade_logparse::{Entry, Outcome, Parser, RegexParser};
///
/// let p = RegexParser::new("app", "web", r"login (?P<outcome>\w+) user=(?P<user>\S+) ip=(?P<ip>\S+)", Outcome::Failure)?;
/// let Some(Entry::Login(l)) = p.parse("Nov 28 10:00:01 h app[3]: login denied user=bob ip=192.0.2.9") else { panic!() };
/// assert_eq!((l.user, l.outcome), (Some("bob"), Outcome::Failure));
/// assert!(p.parse("app[3]: login maybe user=bob ip=192.0.2.9").is_none());
/// # Ok::<(), palisade_logparse::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RegexParser {
    name: String,
    service: String,
    patterns: Vec<Compiled>,
    default_outcome: Outcome,
}

#[derive(Debug, Clone)]
struct Compiled {
    re: Regex,
    ip: usize,
    user: Option<usize>,
    outcome: Option<usize>,
}

impl RegexParser {
    /// One pattern.
    pub fn new(
        name: &str,
        service: &str,
        pattern: &str,
        default_outcome: Outcome,
    ) -> Result<Self, Error> {
        Self::with_patterns(name, service, &[pattern], default_outcome)
    }

    /// Several patterns, tried in order.
    pub fn with_patterns(
        name: &str,
        service: &str,
        patterns: &[&str],
        default_outcome: Outcome,
    ) -> Result<Self, Error> {
        if patterns.is_empty() {
            return Err(Error::NoPattern {
                name: name.to_owned(),
            });
        }
        let patterns = patterns
            .iter()
            .map(|p| {
                let re = Regex::new(p).map_err(|e| Error::Regex {
                    pattern: (*p).to_owned(),
                    message: e.to_string(),
                })?;
                let idx = |n: &str| re.capture_names().position(|x| x == Some(n));
                let ip = idx("ip").ok_or_else(|| Error::MissingIpGroup {
                    pattern: (*p).to_owned(),
                })?;
                let (user, outcome) = (idx("user"), idx("outcome"));
                Ok(Compiled {
                    re,
                    ip,
                    user,
                    outcome,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(RegexParser {
            name: name.to_owned(),
            service: service.to_owned(),
            patterns,
            default_outcome,
        })
    }

    fn try_text<'a>(&self, text: &'a str) -> Option<Option<Entry<'a>>> {
        for p in &self.patterns {
            let Some(c) = p.re.captures(text) else {
                continue;
            };
            let ip = c.get(p.ip).and_then(|m| parse_ip(m.as_str().trim()));
            let outcome = match p.outcome.and_then(|i| c.get(i)) {
                Some(m) => outcome_word(m.as_str()),
                None => Some(self.default_outcome),
            };
            let (Some(ip), Some(outcome)) = (ip, outcome) else {
                return Some(None);
            };
            let user = p
                .user
                .and_then(|i| c.get(i))
                .map(|m| m.as_str())
                .filter(|u| !u.is_empty());
            return Some(Some(Entry::Login(Login {
                ip,
                user,
                outcome,
                kind: "custom",
            })));
        }
        None
    }
}

/// The outcome an `outcome` group's text names.
pub(crate) fn outcome_word(w: &str) -> Option<Outcome> {
    const FAIL: [&str; 8] = [
        "fail", "failed", "failure", "denied", "invalid", "error", "bad", "refused",
    ];
    const OK: [&str; 7] = [
        "ok",
        "success",
        "succeeded",
        "accepted",
        "login",
        "pass",
        "passed",
    ];
    let w = w.trim();
    if FAIL.iter().any(|f| f.eq_ignore_ascii_case(w)) {
        Some(Outcome::Failure)
    } else if OK.iter().any(|f| f.eq_ignore_ascii_case(w)) {
        Some(Outcome::Success)
    } else {
        None
    }
}

impl Parser for RegexParser {
    fn name(&self) -> &str {
        &self.name
    }
    fn service(&self) -> &str {
        &self.service
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (_, msg) = prefix::split_program(line);
        if let Some(r) = self.try_text(msg) {
            return r;
        }
        if msg.len() != line.len() {
            return self.try_text(line).flatten();
        }
        None
    }
}
