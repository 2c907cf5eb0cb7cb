//! `[[watch]]` (log sources), `[watching]` (their shared options) and `[[enforce]]`
//! (firewall and command actions): the file structs and their validation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use palisade_logparse::fail2ban::Fail2banFilter;
use palisade_logparse::{Outcome, Parser, RegexParser};
use palisade_watch::access::AccessSettings;
use palisade_watch::{SourceKind, SourceSpec};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::file::{FileConfig, humantime_serde};
use super::load::locate;
use super::runtime::Source;

/// One `[[watch]]` source.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchFile {
    /// Its name in events and offsets [default: the parser's name, or `watch<N>`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A log file, or a glob (`/var/log/nginx/*.log`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Read the systemd journal instead, with these matches (`_SYSTEMD_UNIT=ssh.service`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<Vec<String>>,
    /// A built-in parser: sshd, vsftpd, proftpd, pure-ftpd, postfix, dovecot, nginx, apache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parser: Option<String>,
    /// Custom regexes with named groups `ip` (required), `user`, `outcome`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
    /// A fail2ban `filter.d` file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail2ban_filter: Option<PathBuf>,
    /// The service its logins belong to (`ssh`, `ftp`, `mail`, `http`, or your own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// For `regex` without an `outcome` group: what a match means [default: failure].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeFile>,
}

/// `failure` or `success`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeFile {
    /// A failed login.
    Failure,
    /// A successful login.
    Success,
}

/// `[watching]`: options shared by every source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchingFile {
    /// How often sources are polled.
    #[serde(with = "humantime_serde")]
    pub poll: Duration,
    /// The read positions [default: `palisade-watch-offsets.json` beside the events database].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offsets: Option<PathBuf>,
    /// The journalctl program.
    pub journalctl: PathBuf,
    /// Access logs: the window of the counts below.
    #[serde(with = "humantime_serde")]
    pub access_window: Duration,
    /// Access logs: `404`s from one address within the window → a `scanner` event (0: off).
    pub not_found_burst: u32,
    /// Access logs: `403`s from one address within the window → a `scanner` event (0: off).
    pub forbidden_burst: u32,
    /// Access logs: run request lines through the detection engine (`[detect]`).
    pub detect: bool,
    /// Logins dated longer ago than this (the line's own timestamp) are not counted; "0s":
    /// no limit.
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
}

impl Default for WatchingFile {
    fn default() -> Self {
        let access = AccessSettings::default();
        WatchingFile {
            poll: Duration::from_millis(250),
            offsets: None,
            journalctl: PathBuf::from("journalctl"),
            access_window: access.window,
            not_found_burst: access.not_found,
            forbidden_burst: access.forbidden,
            detect: true,
            // Longer than any default window of `[auth]` (the prefix window is 10 minutes).
            max_age: Duration::from_secs(15 * 60),
        }
    }
}

/// One `[[enforce]]` action.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnforceFile {
    /// `nftables` or `command`.
    pub kind: String,
    /// Its name in the applied-bans file [default: the kind, then `-2`, `-3`…].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// nftables: the table palisade owns (family `inet`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// nftables: the program and its leading arguments [default: `["nft"]`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nft: Vec<String>,
    /// nftables: `drop` (default) or `reject`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// nftables: also filter forwarded traffic (containers, VMs).
    pub forward: bool,
    /// command: run once at start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// command: run for each ban (`{ip}`, `{cidr}`, `{ttl}`, `{family}`, `{reason}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ban: Option<String>,
    /// command: run for each unban.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unban: Option<String>,
    /// command: run once at stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
}

/// The sources, validated and their parsers built.
#[derive(Clone)]
pub struct WatchPlan {
    /// The sources.
    pub sources: Vec<SourceSpec>,
    /// Warnings to print (fail2ban regexes that could not be used).
    pub warnings: Vec<String>,
    /// Shared options.
    pub options: WatchingFile,
    /// The offsets file.
    pub offsets: PathBuf,
}

fn located(src: &Source<'_>, path: &[&str], message: String) -> ConfigError {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    let err = ConfigError::whole_file(src.name, message).with_key(path.join("."));
    match locate(src.text, &path) {
        Some(off) => err.at(src.text, off),
        None => err,
    }
}

/// A parser for a source from its keys; `at` names the table for errors.
pub fn parser_for(
    w: &WatchFile,
    name: &str,
    relative_to: &Path,
    src: &Source<'_>,
    at: &[&str],
    warnings: &mut Vec<String>,
) -> Result<Arc<dyn Parser>, ConfigError> {
    let key = |k: &'static str| {
        let mut p = at.to_vec();
        p.push(k);
        p
    };
    let given = usize::from(w.parser.is_some())
        + usize::from(!w.regex.is_empty())
        + usize::from(w.fail2ban_filter.is_some());
    if given != 1 {
        return Err(located(
            src,
            at,
            "a source needs exactly one of `parser`, `regex` or `fail2ban_filter`".into(),
        ));
    }
    if let Some(p) = &w.parser {
        if w.service.is_some() {
            return Err(located(
                src,
                &key("service"),
                format!("`service` is fixed for the built-in parser `{p}`"),
            ));
        }
        return palisade_logparse::builtin(p).map(Arc::from).ok_or_else(|| {
            located(
                src,
                &key("parser"),
                format!(
                    "unknown parser `{p}` (built in: {})",
                    palisade_logparse::BUILTIN.join(", ")
                ),
            )
        });
    }
    if !w.regex.is_empty() {
        let outcome = match w.outcome {
            Some(OutcomeFile::Success) => Outcome::Success,
            _ => Outcome::Failure,
        };
        let service = w.service.clone().unwrap_or_else(|| name.to_owned());
        let patterns: Vec<&str> = w.regex.iter().map(String::as_str).collect();
        return RegexParser::with_patterns(name, &service, &patterns, outcome)
            .map(|p| Arc::new(p) as Arc<dyn Parser>)
            .map_err(|e| located(src, &key("regex"), e.to_string()));
    }
    let file = w.fail2ban_filter.as_deref().unwrap_or(Path::new(""));
    let file = if file.is_relative() {
        relative_to.join(file)
    } else {
        file.to_path_buf()
    };
    let filter = Fail2banFilter::load(&file, &|p: &Path| std::fs::read_to_string(p))
        .map_err(|e| located(src, &key("fail2ban_filter"), e.to_string()))?;
    for (line, reason) in filter.skipped() {
        warnings.push(format!(
            "{}: failregex not used ({reason}): {line}",
            file.display()
        ));
    }
    let filter = match &w.service {
        Some(s) => filter.with_service(s),
        None => filter,
    };
    Ok(Arc::new(filter))
}

/// Validates `[[watch]]` and `[watching]`.
pub fn plan(cfg: &FileConfig, src: &Source<'_>) -> Result<WatchPlan, ConfigError> {
    let relative_to = Path::new(src.name)
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut sources = Vec::new();
    let mut warnings = Vec::new();
    for (i, w) in cfg.watch.iter().enumerate() {
        let index = i.to_string();
        let at = ["watch", index.as_str()];
        let name = w
            .name
            .clone()
            .or_else(|| w.parser.clone())
            .unwrap_or_else(|| format!("watch{}", i + 1));
        if sources.iter().any(|s: &SourceSpec| s.name == name) {
            return Err(located(
                src,
                &at,
                format!("two sources are named `{name}`: give one a `name`"),
            ));
        }
        // Read positions are kept per file: two sources on one file would move each
        // other's.
        if let Some(p) = &w.path
            && let Some(other) = sources.iter().find(
                |s: &&SourceSpec| matches!(&s.kind, SourceKind::Files { pattern } if pattern == p),
            )
        {
            return Err(located(
                src,
                &at,
                format!(
                    "`{p}` is already read by source `{}`: one source per file (give it \
                     several `regex` patterns instead)",
                    other.name
                ),
            ));
        }
        let kind = match (&w.path, &w.journal) {
            (Some(p), None) if !p.trim().is_empty() => SourceKind::Files { pattern: p.clone() },
            (None, Some(matches)) => SourceKind::Journal {
                program: cfg.watching.journalctl.clone(),
                matches: matches.clone(),
            },
            _ => {
                return Err(located(
                    src,
                    &at,
                    "a source needs exactly one of `path` or `journal`".into(),
                ));
            }
        };
        let parser = parser_for(w, &name, &relative_to, src, &at, &mut warnings)?;
        sources.push(SourceSpec { name, kind, parser });
    }
    let offsets = cfg.watching.offsets.clone().unwrap_or_else(|| {
        cfg.events
            .database
            .with_file_name("palisade-watch-offsets.json")
    });
    if cfg.watching.poll.is_zero() {
        return Err(located(
            src,
            &["watching", "poll"],
            "`watching.poll` must be more than zero".into(),
        ));
    }
    Ok(WatchPlan {
        sources,
        warnings,
        options: cfg.watching.clone(),
        offsets,
    })
}

impl WatchPlan {
    /// The access-log thresholds.
    pub fn access(&self) -> AccessSettings {
        AccessSettings {
            window: self.options.access_window,
            not_found: self.options.not_found_burst,
            forbidden: self.options.forbidden_burst,
            ..AccessSettings::default()
        }
    }
}
