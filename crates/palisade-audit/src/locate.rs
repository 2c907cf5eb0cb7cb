//! The line of a package's entry in its lockfile, by a cheap text search, for SARIF regions
//! and `file:line` references. Best effort: `None` sends readers to the top of the file.
//!
//! Each format starts an entry with a recognisable header that names the package —
//! `"node_modules/ms": {`, `ms@^2.0.0:`, `name = "ms"`, `"ms": {` — and writes its version on
//! the first `version` line after it; pnpm keys and requirements lines carry both on one line.
//! A header whose next `version` line has another version is another copy of the package.

use std::borrow::Cow;

use palisade_lockfile::LockfileKind;

/// How far after a header its `version` line may be (Pipfile.lock lists hashes first).
const WINDOW: usize = 64;

/// The 1-based line of `name`@`version`'s entry in `text`, a lockfile of `kind`, if found.
#[cfg(test)]
pub(crate) fn package_line(
    text: &str,
    kind: LockfileKind,
    name: &str,
    version: &str,
) -> Option<u32> {
    LineIndex::new(text, kind).line(name, version)
}

/// A lockfile's lines, with the lines that could start an entry grouped by the package name
/// they name: built in one pass, so that finding the lines of many packages costs one lookup
/// each instead of a scan of the file each (a 3,000-package lockfile has thousands of lines
/// and can have hundreds of findings).
pub(crate) struct LineIndex<'t> {
    lines: Vec<&'t str>,
    kind: LockfileKind,
    /// (folded name, header line), sorted by name and then line: one allocation for the
    /// whole file. `None` for formats whose headers are scanned as before (pnpm: its keys mix
    /// name and version in several layouts).
    headers: Option<Vec<(Cow<'t, str>, usize)>>,
}

impl<'t> LineIndex<'t> {
    /// Splits `text` and indexes its headers.
    pub(crate) fn new(text: &'t str, kind: LockfileKind) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let headers = (kind != LockfileKind::PnpmLock).then(|| {
            let mut headers = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                for_each_header_name(line, kind, |name| headers.push((fold(name, kind), i)));
            }
            // Stable: equal names keep file order.
            headers.sort_by(|a, b| a.0.cmp(&b.0));
            headers
        });
        LineIndex {
            lines,
            kind,
            headers,
        }
    }

    /// The 1-based line of `name`@`version`'s entry, if found.
    pub(crate) fn line(&self, name: &str, version: &str) -> Option<u32> {
        match &self.headers {
            Some(headers) => {
                let key = fold(name, self.kind);
                let from = headers.partition_point(|(n, _)| *n < key);
                let candidates = headers[from..]
                    .iter()
                    .take_while(|(n, _)| *n == key)
                    .map(|&(_, line)| line);
                find(&self.lines, candidates, self.kind, name, version)
            }
            None => find(&self.lines, 0..self.lines.len(), self.kind, name, version),
        }
    }
}

/// Calls `f` with each package name a line would start an entry for, if it is a header of
/// `kind` (a superset: [`find`] checks each candidate exactly).
fn for_each_header_name<'t>(line: &'t str, kind: LockfileKind, mut f: impl FnMut(&'t str)) {
    match kind {
        LockfileKind::PackageLock | LockfileKind::NpmShrinkwrap | LockfileKind::PipfileLock => {
            if let Some((key, _)) = line
                .trim_start()
                .strip_prefix('"')
                .and_then(|rest| rest.split_once("\": {"))
            {
                f(key.rsplit("node_modules/").next().unwrap_or(key));
            }
        }
        LockfileKind::YarnLock => {
            if line.starts_with(' ') || !line.trim_end().ends_with(':') {
                return;
            }
            for spec in line.trim_end().trim_end_matches(':').split(", ") {
                let spec = spec.trim_start_matches('"');
                // `@scope/name@range`: the name's own `@` is its first character.
                if let Some(at) = spec.get(1..).and_then(|s| s.find('@')) {
                    f(&spec[..at + 1]);
                }
            }
        }
        LockfileKind::CargoLock | LockfileKind::PoetryLock => {
            if let Some(name) = line
                .trim()
                .strip_prefix("name = \"")
                .and_then(|rest| rest.strip_suffix('"'))
            {
                f(name);
            }
        }
        LockfileKind::Requirements => {
            if let Some((n, _)) = line.split_once("==") {
                f(n.split('[').next().unwrap_or(n).trim());
            }
        }
        _ => {}
    }
}

/// The first of `candidates` that is `name`@`version`'s entry, as a 1-based line.
fn find(
    lines: &[&str],
    mut candidates: impl Iterator<Item = usize>,
    kind: LockfileKind,
    name: &str,
    version: &str,
) -> Option<u32> {
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let found = match kind {
        LockfileKind::PackageLock | LockfileKind::NpmShrinkwrap => {
            // v2/v3 keys end in `node_modules/<name>`; v1 nests `"<name>": {` objects. Both are
            // followed by `"version": "<version>"`.
            let keys = [format!("/{name}\": {{"), format!("\"{name}\": {{")];
            header_then_version(lines, &mut candidates, version, |l| {
                keys.iter().any(|k| l.contains(k.as_str()))
            })
        }
        LockfileKind::YarnLock => {
            // v1: `ms@^2.0.0, ms@~2.0.0:`; Berry: `"ms@npm:^2.0.0":`, unindented.
            let spec = format!("{name}@");
            header_then_version(lines, &mut candidates, version, |l| {
                !l.starts_with(' ')
                    && l.trim_end().ends_with(':')
                    && l.split(", ")
                        .any(|s| s.trim_start_matches('"').starts_with(spec.as_str()))
            })
        }
        LockfileKind::PnpmLock => {
            // `/ms/2.0.0:` (v5), `/ms@2.0.0:` (v6), `ms@2.0.0:` (v9), maybe quoted or with a
            // peer suffix.
            let keys = [
                format!("/{name}/{version}"),
                format!("/{name}@{version}"),
                format!("{name}@{version}"),
            ];
            candidates.find(|&i| {
                let l = lines[i];
                let key = l.trim_start().trim_start_matches(['\'', '"']);
                !l.starts_with("    ")
                    && keys.iter().any(|k| {
                        key.strip_prefix(k.as_str())
                            .is_some_and(|rest| rest.starts_with([':', '(', '_', '\'', '"']))
                    })
            })
        }
        LockfileKind::CargoLock | LockfileKind::PoetryLock => {
            let wanted = fold(name, kind);
            header_then_version(lines, &mut candidates, version, |l| {
                l.trim()
                    .strip_prefix("name = \"")
                    .and_then(|rest| rest.strip_suffix('"'))
                    .is_some_and(|n| fold(n, kind) == wanted)
            })
        }
        LockfileKind::PipfileLock => {
            let wanted = fold(name, kind);
            header_then_version(lines, &mut candidates, version, |l| {
                l.trim()
                    .strip_prefix('"')
                    .and_then(|rest| rest.split_once("\": {"))
                    .is_some_and(|(n, _)| fold(n, kind) == wanted)
            })
        }
        LockfileKind::Requirements => {
            let wanted = fold(name, kind);
            candidates.find(|&i| {
                lines[i].split_once("==").is_some_and(|(n, rest)| {
                    let n = n.split('[').next().unwrap_or(n);
                    fold(n.trim(), kind) == wanted
                        && rest.trim_start().starts_with(version)
                        && rest.trim_start()[version.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !is_version_char(c))
                })
            })
        }
        _ => None,
    };
    found.and_then(|i| u32::try_from(i + 1).ok())
}

/// The first line that `is_header` accepts and whose next `version` line names `version`.
fn header_then_version(
    lines: &[&str],
    candidates: &mut impl Iterator<Item = usize>,
    version: &str,
    is_header: impl Fn(&str) -> bool,
) -> Option<usize> {
    candidates.find(|&i| {
        let line = lines[i];
        if !is_header(line) {
            return false;
        }
        // A compact JSON entry keeps its version on the header line.
        if let Some(at) = line.find("\"version\"") {
            let field = &line[at..];
            let end = field.find([',', '}']).unwrap_or(field.len());
            return contains_token(&field[..end], version);
        }
        lines
            .iter()
            .skip(i + 1)
            .take(WINDOW)
            .find(|l| {
                let t = l.trim_start().trim_start_matches('"');
                t.starts_with("version")
            })
            .is_some_and(|l| contains_token(l, version))
    })
}

/// PyPI names compare PEP 503-normalised (`Jinja2` is `jinja2`); others exactly.
fn fold(name: &str, kind: LockfileKind) -> Cow<'_, str> {
    match kind {
        LockfileKind::PoetryLock | LockfileKind::PipfileLock | LockfileKind::Requirements => {
            Cow::Owned(palisade_lockfile::normalize_pypi_name(name))
        }
        _ => Cow::Borrowed(name),
    }
}

fn is_version_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+')
}

/// Whether `version` occurs in `line` as a whole version (`2.0.0` is not in `12.0.0` or
/// `2.0.0-rc.1`); a leading `==` (Pipfile.lock) is fine.
fn contains_token(line: &str, version: &str) -> bool {
    line.match_indices(version).any(|(start, _)| {
        let end = start + version.len();
        let before_ok = line[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_version_char(c));
        let after_ok = line[end..]
            .chars()
            .next()
            .is_none_or(|c| !is_version_char(c));
        before_ok && after_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_entries_in_each_style() {
        let npm = "{\n  \"packages\": {\n    \"\": {\n      \"dependencies\": { \"ms\": \"2.1.1\" }\n    },\n    \"node_modules/ms\": {\n      \"version\": \"2.1.3\"\n    },\n    \"node_modules/send/node_modules/ms\": {\n      \"version\": \"2.1.1\"\n    }\n  }\n}\n";
        let pl = LockfileKind::PackageLock;
        assert_eq!(package_line(npm, pl, "ms", "2.1.1"), Some(9));
        assert_eq!(package_line(npm, pl, "ms", "2.1.3"), Some(6));
        assert_eq!(package_line(npm, pl, "ms", "1.1.3"), None);
        let cargo = "[[package]]\nname = \"app\"\ndependencies = [\n \"itoa 1.0.19\",\n]\n\n[[package]]\nname = \"itoa\"\nversion = \"0.4.8\"\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.19\"\n";
        assert_eq!(
            package_line(cargo, LockfileKind::CargoLock, "itoa", "1.0.19"),
            Some(12)
        );
        let poetry = "[[package]]\nname = \"Jinja2\"\nversion = \"3.1.6\"\n";
        assert_eq!(
            package_line(poetry, LockfileKind::PoetryLock, "jinja2", "3.1.6"),
            Some(2)
        );
        let req = "flask==3.0.0 \\\n    --hash=sha256:x\nRequests[socks]==2.31.0\n";
        let rq = LockfileKind::Requirements;
        assert_eq!(package_line(req, rq, "requests", "2.31.0"), Some(3));
        assert_eq!(package_line(req, rq, "requests", "2.31"), None);
        let yarn =
            "ms-extra@^1:\n  version \"2.0.0\"\n\n\"ms@^2\", ms@~2.0.0:\n  version \"2.0.0\"\n";
        assert_eq!(
            package_line(yarn, LockfileKind::YarnLock, "ms", "2.0.0"),
            Some(4)
        );
        let pnpm =
            "packages:\n\n  /ms/2.0.0:\n    resolution: {}\n\n  /react-dom@18.2.0(react@18.2.0):\n";
        assert_eq!(
            package_line(pnpm, LockfileKind::PnpmLock, "ms", "2.0.0"),
            Some(3)
        );
        assert_eq!(
            package_line(pnpm, LockfileKind::PnpmLock, "react-dom", "18.2.0"),
            Some(6)
        );
        let pipfile = "{\n  \"default\": {\n    \"Flask\": {\n      \"hashes\": [\"a\"],\n      \"version\": \"==3.0.0\"\n    }\n  }\n}\n";
        assert_eq!(
            package_line(pipfile, LockfileKind::PipfileLock, "flask", "3.0.0"),
            Some(3)
        );
        assert_eq!(package_line("é", LockfileKind::YarnLock, "é", "1"), None);
        let compact = "{\"packages\": {\n  \"node_modules/a\": {\"version\": \"1.0.0\"},\n  \"node_modules/b\": {\"version\": \"1.0.0\"}}}";
        assert_eq!(package_line(compact, pl, "b", "1.0.0"), Some(3));
        assert_eq!(package_line(compact, pl, "b", "2.0.0"), None);
    }
}
