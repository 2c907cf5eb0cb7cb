//! fail2ban `filter.d` files, read the way fail2ban reads them and matched with the `regex`
//! crate.
//!
//! # What is supported
//!
//! * The INI dialect: `key = value` / `key: value`, indented continuation lines, `#`/`;`
//!   comment lines and ` ;` inline comments, option names lowercased (configparser's default).
//! * `[INCLUDES]` `before`/`after` (relative to the including file's directory, recursively,
//!   with a cycle guard; a missing include is skipped as fail2ban does), and `X.local` read after
//!   `X.conf`.
//! * `[DEFAULT]`, `[Definition]`, `[Init]` (Init and caller options override Definition, as a
//!   jail's `filter = sshd[mode=aggressive]` does); `%(name)s` and `%(section/name)s`
//!   interpolation (from the section, then DEFAULT; depth ≤ 32); `<name>` tags of other options,
//!   nested (`<cmnfailed-<publickey>>`) and section-qualified (`<lt_file/__prefix_line>`).
//! * `<HOST>`, `<ADDR>`, `<IP4>`, `<IP6>`, `<DNS>`, `<CIDR>`, `<SUBNET>`, `<F-ID/>`, `<F-PORT/>`,
//!   `<F-…>…</F-…>` groups: `F-USER`, `F-ALT_USER`, `F-ALT_USER1..9` (the first non-empty one
//!   names the user), `F-NOFAIL` (a match that is not a failure: the line yields `None`),
//!   `F-MLFGAINED` (a success), `F-MLFFORGET`, `F-MLFID`, `F-CONTENT`, `F-ID`.
//! * `prefregex` (matched first; `failregex` then runs on its `F-CONTENT`), multi-line
//!   `failregex` / `ignoreregex` lists (first matching failregex wins; an ignoreregex match
//!   drops the line), `mode = …`.
//! * Dates: a leading timestamp is stripped (the text matched then starts with the space that
//!   followed it, as in fail2ban: `^\s*…` or `%(__prefix_line)s` absorb it) with [`crate::prefix::split_date`] whatever the
//!   `datepattern` says (`{^LN-BEG}` behaviour); custom strftime date patterns are not read.
//! * Python → `regex` crate rewrites and what is unsupported: see [`Fail2banFilter::supported_constructs`].
//!   An unsupported failregex line is recorded in [`Fail2banFilter::skipped`] and the rest used.
//!
//! `<HOST>` also matches DNS names (so lines match as in fail2ban), but a match whose host is a
//! name and not an address is dropped: this crate does not resolve names. Multi-line state
//! (`<F-MLFID>` connection tracking, `maxlines`) is not kept: each line stands alone.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//! use std::path::{Path, PathBuf};
//! use palisade_logparse::{fail2ban::Fail2banFilter, Entry, Parser};
//!
//! let files: HashMap<PathBuf, &str> = HashMap::from([(
//!     PathBuf::from("/f/myapp.conf"),
//!     "[Definition]\nfailregex = ^\\s*login failed for <F-USER>\\S+</F-USER> from <HOST>$\n",
//! )]);
//! let read = |p: &Path| files.get(p).map(|s| s.to_string())
//!     .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound));
//! let f = Fail2banFilter::load(Path::new("/f/myapp.conf"), &read)?;
//! let Some(Entry::Login(l)) = f.parse("Nov 28 10:00:01 login failed for bob from 192.0.2.1") else { panic!() };
//! assert_eq!((l.user, l.ip.to_string().as_str()), (Some("bob"), "192.0.2.1"));
//! # Ok::<(), palisade_logparse::Error>(())
//! ```

mod ini;
mod translate;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use regex::{Captures, Regex};

use crate::ip::parse_ip;
use crate::{Entry, Error, Login, Outcome, Parser};
use ini::{Ini, Value};

/// A loaded fail2ban filter, usable as a [`Parser`].
#[derive(Debug, Clone)]
pub struct Fail2banFilter {
    name: String,
    service: String,
    prefregex: Option<Compiled>,
    failregex: Vec<Compiled>,
    ignoreregex: Vec<Compiled>,
    skipped: Vec<(String, String)>,
}

/// One fail2ban regex line: its variants (see `translate`).
#[derive(Debug, Clone)]
struct Compiled {
    variants: Vec<(Regex, Vec<String>)>,
}

impl Compiled {
    fn captures<'a>(&self, text: &'a str) -> Option<Captures<'a>> {
        self.variants.iter().find_map(|(re, require)| {
            let c = re.captures(text)?;
            require
                .iter()
                .all(|g| group(re, &c, g).is_some())
                .then_some(c)
        })
    }
    fn captures_with<'a>(&self, text: &'a str) -> Option<(&Regex, Captures<'a>)> {
        self.variants.iter().find_map(|(re, require)| {
            let c = re.captures(text)?;
            require
                .iter()
                .all(|g| group(re, &c, g).is_some())
                .then_some((re, c))
        })
    }
}

/// A group by its fail2ban name, including the `name__dN` copies duplicate names became.
fn group<'a>(re: &Regex, c: &Captures<'a>, name: &str) -> Option<regex::Match<'a>> {
    if let Some(m) = c.name(name) {
        return Some(m);
    }
    re.capture_names()
        .flatten()
        .filter(|n| n.strip_prefix(name).is_some_and(|r| r.starts_with("__d")))
        .find_map(|n| c.name(n))
}

const MAX_DEPTH: usize = 32;
const MAX_LEN: usize = 1 << 20;

impl Fail2banFilter {
    /// Loads `path` (and its includes and `.local` overrides) through `read`.
    pub fn load(
        path: &Path,
        read: &dyn Fn(&Path) -> std::io::Result<String>,
    ) -> Result<Fail2banFilter, Error> {
        Self::load_with_options(path, read, &[])
    }

    /// Like [`load`](Self::load), with options overriding the filter's (`[("mode", "aggressive")]`),
    /// as a jail's `filter = name[mode=aggressive]` does.
    pub fn load_with_options(
        path: &Path,
        read: &dyn Fn(&Path) -> std::io::Result<String>,
        options: &[(&str, &str)],
    ) -> Result<Fail2banFilter, Error> {
        let mut ini = Ini::default();
        let mut stack = Vec::new();
        read_file(path, read, &mut ini, &mut stack, true)?;
        if let Some(local) = local_of(path) {
            read_file(&local, read, &mut ini, &mut stack, false)?;
        }
        for (k, v) in options {
            ini.set(
                "Init",
                &k.to_lowercase(),
                Value {
                    text: (*v).to_owned(),
                    path: path.to_owned(),
                    line: 0,
                },
            );
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fail2ban")
            .to_owned();
        let resolver = Resolver { ini: &ini, path };
        let mut skipped = Vec::new();

        let prefregex = match resolver.option("prefregex")? {
            Some((text, v)) if !text.trim().is_empty() => {
                let c = compile(text.trim()).map_err(|e| Error::Filter {
                    path: v.path.clone(),
                    line: v.line,
                    message: format!("prefregex: {e}"),
                })?;
                if !c
                    .variants
                    .iter()
                    .all(|(re, _)| re.capture_names().any(|n| n == Some("content")))
                {
                    return Err(Error::Filter {
                        path: v.path.clone(),
                        line: v.line,
                        message: "prefregex has no <F-CONTENT> group".into(),
                    });
                }
                Some(c)
            }
            _ => None,
        };
        let Some((fail_text, fail_at)) = resolver.option("failregex")? else {
            return Err(Error::Filter {
                path: path.to_owned(),
                line: 0,
                message: "no failregex in [Definition]".into(),
            });
        };
        let mut failregex = Vec::new();
        for line in fail_text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match compile(line) {
                Ok(c) => failregex.push(c),
                Err(e) => skipped.push((line.to_owned(), e)),
            }
        }
        if failregex.is_empty() {
            let why = skipped
                .iter()
                .map(|(l, e)| format!("{l:?}: {e}"))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::Filter {
                path: fail_at.path.clone(),
                line: fail_at.line,
                message: format!("no usable failregex ({why})"),
            });
        }
        let mut ignoreregex = Vec::new();
        if let Some((text, _)) = resolver.option("ignoreregex")? {
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                match compile(line) {
                    Ok(c) => ignoreregex.push(c),
                    // A skipped ignoreregex would ban what the admin wanted ignored: keep the
                    // warning but never under-ignore silently — callers see it in `skipped`.
                    Err(e) => skipped.push((line.to_owned(), format!("ignoreregex: {e}"))),
                }
            }
        }
        let service = default_service(&stem);
        Ok(Fail2banFilter {
            name: stem,
            service,
            prefregex,
            failregex,
            ignoreregex,
            skipped,
        })
    }

    /// Sets the service the filter's logins belong to.
    pub fn with_service(mut self, service: &str) -> Self {
        self.service = service.to_owned();
        self
    }

    /// The failregex/ignoreregex lines that could not be used, with the reason (print them as
    /// warnings: those lines' failures go unseen).
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// How many failregex lines are in use.
    pub fn failregex_count(&self) -> usize {
        self.failregex.len()
    }

    /// What is supported, for `--help` texts and warnings.
    ///
    /// Supported as is: Python syntax the `regex` crate shares (groups, `(?P<name>…)`, classes,
    /// `\d\w\s\b`, inline flags `imsux`, lazy quantifiers). Rewritten exactly: `\Z`, escaped
    /// punctuation, a literal `{`, `{,n}`, `[`/`&`/`~` inside classes, `(?#…)`, the IPv6
    /// look-behind of `<HOST>`, `(?:(?!LIT).)*?` ("text without LIT"), conditionals
    /// `(?(name)…|…)` on named groups (by expansion; may miss a line, never adds one).
    /// Unsupported (line skipped): backreferences, other look-arounds, atomic groups,
    /// possessive quantifiers, `(?a)`/`(?L)`, `<SKIPLINES>`.
    pub fn supported_constructs() -> &'static str {
        "supported: Python regex syntax shared with the regex crate; <HOST> <ADDR> <IP4> <IP6> <DNS> <CIDR> <SUBNET> \
         <F-ID/> <F-PORT/> <F-USER> <F-ALT_USER[1-9]> <F-NOFAIL> <F-MLFGAINED> <F-MLFFORGET> <F-MLFID> <F-CONTENT> <F-ID>; \
         prefregex, failregex, ignoreregex, [INCLUDES] before/after, .local, [DEFAULT] [Definition] [Init], %(x)s, <tag>, mode; \
         rewritten: \\Z, (?:(?!LIT).)*?, (?(name)yes|no); \
         unsupported (line skipped): backreferences, other look-arounds, atomic groups, possessive quantifiers, <SKIPLINES>"
    }
}

fn default_service(stem: &str) -> String {
    let s = stem.to_ascii_lowercase();
    if s.contains("sshd") {
        "ssh".into()
    } else if s.contains("ftp") {
        "ftp".into()
    } else if ["postfix", "dovecot", "exim", "sendmail", "courier", "cyrus"]
        .iter()
        .any(|m| s.contains(m))
    {
        "mail".into()
    } else {
        stem.to_owned()
    }
}

fn local_of(path: &Path) -> Option<PathBuf> {
    (path.extension()? == "conf").then(|| path.with_extension("local"))
}

fn read_file(
    path: &Path,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
    ini: &mut Ini,
    stack: &mut Vec<PathBuf>,
    required: bool,
) -> Result<(), Error> {
    if stack.iter().any(|p| p == path) || stack.len() > 16 {
        return Ok(());
    }
    let text = match read(path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Read {
                path: path.to_owned(),
                source: e,
            });
        }
    };
    let file = ini::parse(&text, path)?;
    stack.push(path.to_owned());
    let dir = path.parent().unwrap_or(Path::new(""));
    let includes = |key: &str| -> Vec<PathBuf> {
        file.get_own("INCLUDES", key)
            .map(|v| v.text.split_whitespace().map(|f| dir.join(f)).collect())
            .unwrap_or_default()
    };
    for inc in includes("before") {
        read_file(&inc, read, ini, stack, false)?;
        if let Some(local) = local_of(&inc) {
            read_file(&local, read, ini, stack, false)?;
        }
    }
    for (section, opts) in &file.sections {
        if section == "INCLUDES" {
            continue;
        }
        if opts.is_empty() && ini.section(section).is_none() {
            ini.sections.push((section.clone(), Vec::new()));
        }
        for (k, v) in opts {
            ini.set(section, k, v.clone());
        }
    }
    for inc in includes("after") {
        read_file(&inc, read, ini, stack, false)?;
        if let Some(local) = local_of(&inc) {
            read_file(&local, read, ini, stack, false)?;
        }
    }
    stack.pop();
    Ok(())
}

/// Interpolation (`%(x)s`) and tag substitution (`<x>`) over the merged files.
struct Resolver<'a> {
    ini: &'a Ini,
    path: &'a Path,
}

impl Resolver<'_> {
    /// A Definition option, fully resolved, and where it was set.
    fn option(&self, key: &str) -> Result<Option<(String, Value)>, Error> {
        let Some(v) = self.lookup_tag(key).cloned() else {
            return Ok(None);
        };
        let sec = self.section_of(key);
        let text = self.interpolate(&v.text, sec, &v, 0)?;
        let text = self.tags(&text, &v, 0)?;
        Ok(Some((text, v)))
    }

    fn section_of(&self, key: &str) -> &'static str {
        if self.ini.get_own("Init", key).is_some() {
            "Init"
        } else {
            "Definition"
        }
    }

    /// A `<key>` tag's raw value: Init, then Definition, then DEFAULT.
    fn lookup_tag(&self, key: &str) -> Option<&Value> {
        self.ini
            .get_own("Init", key)
            .or_else(|| self.ini.get("Definition", key))
    }

    fn err(&self, at: &Value, message: String) -> Error {
        Error::Filter {
            path: if at.line == 0 {
                self.path.to_owned()
            } else {
                at.path.clone()
            },
            line: at.line,
            message,
        }
    }

    fn interpolate(
        &self,
        text: &str,
        section: &str,
        at: &Value,
        depth: usize,
    ) -> Result<String, Error> {
        if depth > MAX_DEPTH {
            return Err(self.err(at, "interpolation too deep (a loop?)".into()));
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find('%') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(r) = after.strip_prefix('%') {
                out.push('%');
                rest = r;
                continue;
            }
            let Some(r) = after.strip_prefix('(') else {
                out.push('%');
                rest = after;
                continue;
            };
            let Some(end) = r.find(")s") else {
                return Err(self.err(
                    at,
                    format!(
                        "bad interpolation near {:?}",
                        &rest[i..rest.len().min(i + 30)]
                    ),
                ));
            };
            let name = r[..end].to_lowercase();
            rest = &r[end + 2..];
            let (sec, key) = match name.split_once('/') {
                Some((s, k)) => (s.to_owned(), k.to_owned()),
                None => (section.to_owned(), name.clone()),
            };
            let sec_name = self
                .ini
                .sections
                .iter()
                .map(|(s, _)| s.as_str())
                .find(|s| s.eq_ignore_ascii_case(&sec))
                .unwrap_or(sec.as_str())
                .to_owned();
            let Some(v) = self.ini.get(&sec_name, &key).or_else(|| {
                if sec_name == "Init" {
                    self.ini.get("Definition", &key)
                } else {
                    None
                }
            }) else {
                return Err(self.err(
                    at,
                    format!("%({name})s refers to an option not set in [{sec_name}] or [DEFAULT]"),
                ));
            };
            let sub = self.interpolate(&v.text, &sec_name, at, depth + 1)?;
            out.push_str(&sub);
            if out.len() > MAX_LEN {
                return Err(self.err(at, "value too long after interpolation".into()));
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// fail2ban's `substituteRecursiveTags`: innermost `<name>` first, until nothing changes.
    fn tags(&self, text: &str, at: &Value, _depth: usize) -> Result<String, Error> {
        let mut cur = text.to_owned();
        for _ in 0..MAX_DEPTH * 4 {
            let mut changed = false;
            let mut out = String::with_capacity(cur.len());
            let mut rest = cur.as_str();
            while let Some(i) = rest.find('<') {
                out.push_str(&rest[..i]);
                let after = &rest[i + 1..];
                let end = after.find(['<', '>']);
                match end {
                    Some(j) if after.as_bytes()[j] == b'>' => {
                        let name = &after[..j];
                        if let Some(value) = self.tag_value(name, at)? {
                            out.push_str(&value);
                            changed = true;
                        } else {
                            out.push('<');
                            out.push_str(name);
                            out.push('>');
                        }
                        rest = &after[j + 1..];
                    }
                    _ => {
                        out.push('<');
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            if out.len() > MAX_LEN {
                return Err(self.err(at, "value too long after tag substitution".into()));
            }
            cur = out;
            if !changed {
                return Ok(cur);
            }
        }
        Err(self.err(at, "tag substitution does not settle (a loop?)".into()))
    }

    fn tag_value(&self, name: &str, at: &Value) -> Result<Option<String>, Error> {
        if name.is_empty()
            || name.contains(|c: char| c.is_whitespace() || "()[]{}\\?*+|^$".contains(c))
        {
            return Ok(None);
        }
        let key = name.to_lowercase();
        let (v, sec) = match key.split_once('/') {
            Some((s, k)) => {
                let sec_name = self
                    .ini
                    .sections
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .find(|x| x.eq_ignore_ascii_case(s));
                match sec_name.and_then(|sn| self.ini.get(sn, k).map(|v| (v, sn.to_owned()))) {
                    Some(x) => x,
                    None => return Ok(None),
                }
            }
            None => {
                // fail2ban's own tags (HOST, F-USER, …) are upper case; options are lower case.
                if name != key {
                    return Ok(None);
                }
                match self.lookup_tag(&key) {
                    Some(v) => (v, self.section_of(&key).to_owned()),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(self.interpolate(&v.text, &sec, at, 0)?))
    }
}

/// fail2ban tags → Python regex → `regex` crate variants.
fn compile(line: &str) -> Result<Compiled, String> {
    let py = translate::resolve_tags(line)?;
    let variants = translate::translate(&py)?;
    let mut out = Vec::with_capacity(variants.len());
    for v in variants {
        let re = regex::RegexBuilder::new(&v.pattern)
            .size_limit(1 << 24)
            .build()
            .map_err(|e| format!("regex crate: {e}"))?;
        out.push((re, v.require));
    }
    Ok(Compiled { variants: out })
}

impl Parser for Fail2banFilter {
    fn name(&self) -> &str {
        &self.name
    }
    fn service(&self) -> &str {
        &self.service
    }
    fn parse<'a>(&self, line: &'a str) -> Option<Entry<'a>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (_, text) = crate::prefix::split_date(line);
        let pre = match &self.prefregex {
            Some(p) => Some(p.captures_with(text)?),
            None => None,
        };
        let content = match &pre {
            Some((re, c)) => group(re, c, "content")?.as_str(),
            None => text,
        };
        for fr in &self.failregex {
            let Some((re, c)) = fr.captures_with(content) else {
                continue;
            };
            if self
                .ignoreregex
                .iter()
                .any(|ig| ig.captures(content).is_some())
            {
                return None;
            }
            let get = |name: &str| {
                group(re, &c, name)
                    .or_else(|| pre.as_ref().and_then(|(pr, pc)| group(pr, pc, name)))
            };
            if get("mlfgained").is_none() && get("nofail").is_some() {
                return None;
            }
            let outcome = if get("mlfgained").is_some() {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            let host = get("ip4").or_else(|| get("ip6")).or_else(|| get("dns"))?;
            let ip = parse_ip(host.as_str())?;
            let mut user = get("user").map(|m| m.as_str()).filter(|u| !u.is_empty());
            if user.is_none() {
                let mut alts: Vec<&str> = re
                    .capture_names()
                    .flatten()
                    .filter(|n| n.starts_with("alt_user"))
                    .collect();
                if let Some((pr, _)) = &pre {
                    alts.extend(
                        pr.capture_names()
                            .flatten()
                            .filter(|n| n.starts_with("alt_user")),
                    );
                }
                alts.sort_unstable();
                user = alts
                    .iter()
                    .filter_map(|n| get(n))
                    .map(|m| m.as_str())
                    .find(|u| !u.is_empty());
            }
            let kind = if outcome == Outcome::Success {
                "fail2ban_gained"
            } else {
                "fail2ban"
            };
            return Some(Entry::Login(Login {
                ip,
                user,
                outcome,
                kind,
            }));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(files: &[(&str, &str)]) -> Result<Fail2banFilter, Error> {
        let map: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
            .collect();
        let read = move |p: &Path| {
            map.get(p)
                .cloned()
                .ok_or_else(|| std::io::Error::from(ErrorKind::NotFound))
        };
        Fail2banFilter::load(Path::new(files[0].0), &read)
    }

    #[test]
    fn includes_tags_and_interpolation() {
        let f = load(&[
            ("/f/app.conf", "[INCLUDES]\nbefore = common.conf\n[DEFAULT]\n_daemon = app\n[Definition]\nfailregex = ^%(__prefix_line)s<what-<mode>> <F-USER>\\S+</F-USER> from <HOST>\n  ^<F-NOFAIL>ok</F-NOFAIL> from <HOST>\n  ^x(?=y) <HOST>\nwhat-normal = bad login\nmode = normal\n"),
            ("/f/common.conf", "[DEFAULT]\n__prefix_line = \\s*(?:\\S+\\s+)?<_daemon>(?:\\[\\d+\\])?:\\s+ ; comment\n"),
        ])
        .unwrap();
        assert_eq!(f.skipped().len(), 1);
        assert_eq!(f.service(), "app");
        let Some(Entry::Login(l)) = f.parse("Nov 28 10:00:01 h app[1]: bad login bob from 1.2.3.4")
        else {
            panic!("{f:?}")
        };
        assert_eq!(l.user, Some("bob"));
        assert!(
            f.parse("Nov 28 10:00:01 h app[1]: ok from 1.2.3.4")
                .is_none()
        );
        assert!(
            f.parse("Nov 28 10:00:01 h app[1]: bad login bob from host.example")
                .is_none()
        );
    }

    #[test]
    fn errors() {
        let e = load(&[("/f/a.conf", "[Definition]\nfailregex = (?P=x) <HOST>\n")]).unwrap_err();
        assert!(e.to_string().contains("/f/a.conf:2"), "{e}");
        let e = load(&[("/f/a.conf", "[Definition]\nfailregex = %(nope)s <HOST>\n")]).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = load(&[("/f/a.conf", "[Definition]\njunk line\n")]).unwrap_err();
        assert!(e.to_string().contains(":2:"), "{e}");
        // Include cycles terminate.
        load(&[(
            "/f/a.conf",
            "[INCLUDES]\nbefore = a.conf\n[Definition]\nfailregex = <HOST>\n",
        )])
        .unwrap();
    }
}
