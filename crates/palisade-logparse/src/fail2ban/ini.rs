//! The configparser dialect of fail2ban's `.conf`/`.local` files.

use std::path::{Path, PathBuf};

use crate::Error;

/// One option value and where it was set.
#[derive(Debug, Clone)]
pub(crate) struct Value {
    pub text: String,
    pub path: PathBuf,
    pub line: usize,
}

/// Sections in file order; later files override earlier keys.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ini {
    pub sections: Vec<(String, Vec<(String, Value)>)>,
}

impl Ini {
    pub fn section(&self, name: &str) -> Option<&[(String, Value)]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// An option of a section (no DEFAULT fallback).
    pub fn get_own(&self, section: &str, key: &str) -> Option<&Value> {
        self.section(section)?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// configparser's lookup: the section, then `[DEFAULT]`.
    pub fn get(&self, section: &str, key: &str) -> Option<&Value> {
        self.get_own(section, key)
            .or_else(|| self.get_own("DEFAULT", key))
    }

    pub fn set(&mut self, section: &str, key: &str, value: Value) {
        let idx = match self.sections.iter().position(|(n, _)| n == section) {
            Some(i) => i,
            None => {
                self.sections.push((section.to_owned(), Vec::new()));
                self.sections.len() - 1
            }
        };
        let sec = &mut self.sections[idx].1;
        match sec.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => sec.push((key.to_owned(), value)),
        }
    }
}

/// Parses one file into a fresh [`Ini`].
pub(crate) fn parse(text: &str, path: &Path) -> Result<Ini, Error> {
    let mut ini = Ini::default();
    let mut section: Option<String> = None;
    let mut current: Option<(String, String, usize)> = None;
    let flush =
        |ini: &mut Ini, section: &Option<String>, cur: &mut Option<(String, String, usize)>| {
            if let (Some(s), Some((k, v, line))) = (section, cur.take()) {
                ini.set(
                    s,
                    &k,
                    Value {
                        text: v.trim().to_owned(),
                        path: path.to_owned(),
                        line,
                    },
                );
            }
        };
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = strip_inline_comment(raw.trim_end_matches('\r'));
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if indented && current.is_some() {
            if let Some((_, v, _)) = current.as_mut() {
                v.push('\n');
                v.push_str(trimmed);
            }
            continue;
        }
        flush(&mut ini, &section, &mut current);
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            section = Some(name.trim().to_owned());
            if !ini.sections.iter().any(|(s, _)| s == name.trim()) {
                ini.sections.push((name.trim().to_owned(), Vec::new()));
            }
            continue;
        }
        let Some(sep) = trimmed.find(['=', ':']) else {
            return Err(Error::Filter {
                path: path.to_owned(),
                line: line_no,
                message: format!("expected `key = value`, found {trimmed:?}"),
            });
        };
        if section.is_none() {
            return Err(Error::Filter {
                path: path.to_owned(),
                line: line_no,
                message: "option before any [section]".into(),
            });
        }
        // configparser's default optionxform lowercases option names.
        let key = trimmed[..sep].trim().to_lowercase();
        if key.is_empty() {
            return Err(Error::Filter {
                path: path.to_owned(),
                line: line_no,
                message: "empty option name".into(),
            });
        }
        current = Some((key, trimmed[sep + 1..].trim().to_owned(), line_no));
    }
    flush(&mut ini, &section, &mut current);
    Ok(ini)
}

/// fail2ban sets `inline_comment_prefixes = ";"`: a `;` after whitespace starts a comment.
fn strip_inline_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for i in 1..b.len() {
        if b[i] == b';' && (b[i - 1] == b' ' || b[i - 1] == b'\t') {
            return &line[..i];
        }
    }
    line
}
