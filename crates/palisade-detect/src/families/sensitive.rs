//! Probes for sensitive files and paths, matched on the normalised URL path. The names live in
//! `data/sensitive-paths.txt`; `DetectConfig::sensitive_paths` adds more in the same syntax.

use std::collections::HashSet;

use aho_corasick::AhoCorasick;

use super::Hits;
use crate::rules::RuleInfo;
use crate::{Family::SensitiveFile, Severity::*};

const PROBE: RuleInfo = RuleInfo::new(
    "sensitive-file-probe",
    SensitiveFile,
    1,
    Critical,
    "a path naming a secret, backup or console",
);

pub(crate) const RULES: &[RuleInfo] = &[PROBE];

/// The built-in list.
pub(crate) const BUILT_IN: &str = include_str!("../../data/sensitive-paths.txt");

/// Compiled matchers for every entry kind.
#[derive(Debug)]
pub(crate) struct Sensitive {
    segments: HashSet<String>,
    suffixes: Vec<String>,
    /// `/a/b/` sequences, matched against `/path/` with segment boundaries.
    sequences: AhoCorasick,
}

/// Checks one entry's syntax; the message when it is wrong.
pub(crate) fn validate_entry(entry: &str) -> Result<(), &'static str> {
    let e = entry.trim();
    if e.is_empty() {
        return Err("empty entry");
    }
    if e.chars().any(char::is_whitespace) {
        return Err("blanks inside an entry");
    }
    if e == "*" || e == "/" {
        return Err("matches every path");
    }
    Ok(())
}

impl Sensitive {
    /// Compiles the built-in list plus `extra` (already validated).
    pub(crate) fn new(extra: &[String]) -> Self {
        let mut segments = HashSet::new();
        let mut suffixes = Vec::new();
        let mut sequences = Vec::new();
        let lines = BUILT_IN
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        for entry in lines.chain(extra.iter().map(|s| s.trim())) {
            let entry = entry.to_lowercase();
            if let Some(suffix) = entry.strip_prefix('*') {
                suffixes.push(suffix.to_owned());
            } else if entry.contains('/') {
                let mut seq = String::from("/");
                seq.push_str(entry.trim_matches('/'));
                seq.push('/');
                sequences.push(seq);
            } else {
                segments.insert(entry);
            }
        }
        let sequences = AhoCorasick::new(&sequences).expect("sensitive path automaton builds");
        Self {
            segments,
            suffixes,
            sequences,
        }
    }

    /// Checks a normalised path (lower case, starting with `/`); returns the work done.
    pub(crate) fn check(&self, path: &str, hits: &mut Hits) -> u64 {
        let mut offset = 0;
        for seg in path.split('/') {
            let start = offset;
            offset += seg.len() + 1;
            if seg.is_empty() || seg.len() > 255 {
                continue;
            }
            // `;params` are not part of the name a server resolves, nor trailing dots and blanks
            // (Windows drops them: `backup.sql.`).
            let name = seg.split(';').next().unwrap_or(seg);
            let name = name.trim_end_matches(['.', ' ']);
            if self.segments.contains(name)
                || self
                    .suffixes
                    .iter()
                    .any(|s| name.len() > s.len() && name.ends_with(s.as_str()))
            {
                hits.add(&PROBE, path, start..start + seg.len());
                return path.len() as u64;
            }
        }
        let mut padded = String::with_capacity(path.len() + 1);
        padded.push_str(path);
        padded.push('/');
        if let Some(m) = self.sequences.find(&padded) {
            hits.add(&PROBE, path, m.start()..m.end().min(path.len()));
        }
        2 * path.len() as u64
    }
}
