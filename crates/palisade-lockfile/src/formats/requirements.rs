//! `requirements*.txt`: one requirement a line, as pip reads it.
//!
//! Only `name==version` (or `===`) pins one version; anything else (`flask>=2`, `flask`, a URL)
//! is reported as not auditable, with the requirement. Comments, options (`-r`, `-c`, `-e`,
//! `--index-url`, …), per-requirement `--hash` options, environment markers after `;`, extras
//! and `\` line continuations are understood. pip-compile (and `uv pip compile`) annotate each
//! pin with `# via` comments naming who needs it; when present they give the dependency graph:
//! `-r file`, `-c file` and `project (pyproject.toml)` stand for the project itself.

use std::collections::HashMap;

use crate::error::{ErrorKind, LockfileError};
use crate::graph::{Graph, NodeId};
use crate::model::{Ecosystem, Package, Source};
use crate::names::{is_git, normalize_pypi_name};

/// One logical line: continuations joined, with the position of its first character.
struct Logical {
    text: String,
    line: u32,
}

fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let line = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let (body, continued) = match raw.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        let logical = current.get_or_insert_with(|| Logical {
            text: String::new(),
            line,
        });
        // A comment ends the logical line even when continued lines follow it in the file.
        if !logical.text.is_empty() && body.trim_start().starts_with('#') {
            out.push(current.take().unwrap_or_else(|| Logical {
                text: String::new(),
                line,
            }));
            out.push(Logical {
                text: body.to_owned(),
                line,
            });
            continue;
        }
        logical.text.push_str(body);
        logical.text.push(' ');
        if !continued && let Some(done) = current.take() {
            out.push(done);
        }
    }
    out.extend(current);
    out
}

/// Cuts a comment: `#` at the start or after whitespace (a URL's `#egg=` fragment stays).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

#[derive(Debug)]
struct Requirement {
    name: String,
    version: String,
    source: Source,
}

/// Parses one requirement (comment and markers already cut); `Err` is (byte offset, message).
fn requirement(line: &str) -> Result<Option<Requirement>, (usize, String)> {
    let trimmed = line.trim_start();
    let start = line.len() - trimmed.len();
    // A bare URL or path: only its `#egg=name` says what it is.
    let spec = trimmed.split_whitespace().next().unwrap_or("");
    let bare_url = spec.find("://").is_some_and(|i| !spec[..i].contains('@'));
    if bare_url || spec.starts_with('.') || spec.starts_with('/') {
        let Some(egg) = spec.split("#egg=").nth(1) else {
            return Ok(None);
        };
        let name = normalize_pypi_name(egg.split(['&', '[']).next().unwrap_or(egg));
        let source = if is_git(spec) {
            Source::Git {
                url: spec.to_owned(),
            }
        } else if spec.contains("://") && !spec.starts_with("file:") {
            Source::Url {
                url: spec.to_owned(),
            }
        } else {
            Source::Path {
                path: spec.to_owned(),
            }
        };
        return Ok(Some(Requirement {
            name,
            version: String::new(),
            source,
        }));
    }
    let name_len = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(trimmed.len());
    if name_len == 0 {
        return Err((start, "expected a package name".to_owned()));
    }
    let name = normalize_pypi_name(&trimmed[..name_len]);
    let mut rest = trimmed[name_len..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let Some(end) = extras.find(']') else {
            return Err((line.len() - rest.len(), "unclosed `[` of extras".to_owned()));
        };
        rest = extras[end + 1..].trim_start();
    }
    let spec = rest.trim();
    let spec_at = line.len() - rest.len();
    if let Some(url) = spec.strip_prefix('@') {
        let url = url.trim().to_owned();
        let source = if is_git(&url) {
            Source::Git { url }
        } else if let Some(path) = url.strip_prefix("file://") {
            Source::Path {
                path: path.to_owned(),
            }
        } else {
            Source::Url { url }
        };
        return Ok(Some(Requirement {
            name,
            version: String::new(),
            source,
        }));
    }
    let operators = ["===", "==", "!=", "~=", "<=", ">=", "<", ">", "("];
    if !spec.is_empty() && !operators.iter().any(|op| spec.starts_with(op)) {
        return Err((
            spec_at,
            format!(
                "expected a version specifier after {:?}",
                &trimmed[..name_len]
            ),
        ));
    }
    let pinned = spec
        .strip_prefix("===")
        .or_else(|| spec.strip_prefix("=="))
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains([',', '*', ' ', '<', '>', '=', '!', '~']));
    Ok(Some(match pinned {
        Some(version) => Requirement {
            name,
            version: version.to_owned(),
            source: Source::Registry { url: None },
        },
        None => Requirement {
            source: Source::Unpinned {
                requirement: format!(
                    "{}{}",
                    &trimmed[..name_len],
                    spec.split_whitespace().collect::<String>()
                ),
            },
            name,
            version: String::new(),
        },
    }))
}

pub(crate) fn parse(
    file: &str,
    text: &str,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let mut graph = Graph::new(Ecosystem::PyPI);
    // (node, the names its `# via` annotation lists)
    let mut nodes: Vec<(NodeId, Vec<String>)> = Vec::new();
    let mut in_via_list = false;
    let mut annotated = false;
    for logical in logical_lines(text) {
        let trimmed = logical.text.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let body = comment.trim();
            let via = if body == "via" {
                in_via_list = true;
                None
            } else if let Some(who) = body.strip_prefix("via ") {
                in_via_list = false;
                Some(who)
            } else if in_via_list && comment.starts_with("   ") {
                Some(body)
            } else {
                in_via_list = false;
                None
            };
            if let (Some(who), Some((_, vias))) = (via, nodes.last_mut()) {
                annotated = true;
                vias.push(who.trim().to_owned());
            }
            continue;
        }
        in_via_list = false;
        let content = strip_comment(&logical.text);
        if content.trim().is_empty() {
            continue;
        }
        // Options: `-r other.txt`, `-e .`, `--index-url …`; their packages are not pinned here.
        if content.trim_start().starts_with('-') {
            nodes.push((usize::MAX, Vec::new()));
            continue;
        }
        // Per-requirement options (`--hash=…`) and environment markers.
        let content = match content.find(" --") {
            Some(i) => &content[..i],
            None => content,
        };
        let content = content.split(';').next().unwrap_or(content);
        match requirement(content) {
            Ok(Some(r)) => {
                let id = graph.package(&r.name, &r.version, r.source);
                nodes.push((id, Vec::new()));
            }
            Ok(None) => nodes.push((usize::MAX, Vec::new())),
            Err((offset, message)) => {
                let column = logical.text[..offset.min(logical.text.len())]
                    .chars()
                    .count()
                    + 1;
                return Err(LockfileError::at_line_col(
                    file,
                    logical.line,
                    u32::try_from(column).unwrap_or(u32::MAX),
                    ErrorKind::Invalid,
                    message,
                ));
            }
        }
    }

    let root = graph.virtual_root("(root)");
    let mut by_name: HashMap<String, NodeId> = HashMap::new();
    for &(id, _) in &nodes {
        if id != usize::MAX {
            by_name.insert(graph.name(id).to_owned(), id);
        }
    }
    for (id, vias) in nodes {
        if id == usize::MAX {
            continue;
        }
        if !annotated || vias.is_empty() {
            graph.edge(root, id, false);
            continue;
        }
        for via in vias {
            let project = via.starts_with("-r ") || via.starts_with("-c ") || via.ends_with(')');
            let from = if project {
                Some(root)
            } else {
                let name = via.split_whitespace().next().unwrap_or("");
                by_name.get(&normalize_pypi_name(name)).copied()
            };
            graph.edge(from.unwrap_or(root), id, false);
        }
    }
    Ok((graph.finish(), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pin_or_explain() {
        let r = requirement("Flask[async]==3.0.0").unwrap().unwrap();
        assert_eq!((r.name.as_str(), r.version.as_str()), ("flask", "3.0.0"));
        let r = requirement("requests >=2, <3").unwrap().unwrap();
        assert_eq!(
            r.source,
            Source::Unpinned {
                requirement: "requests>=2,<3".into()
            }
        );
        let r = requirement("click").unwrap().unwrap();
        assert_eq!(
            r.source,
            Source::Unpinned {
                requirement: "click".into()
            }
        );
        let r = requirement("pkg @ git+https://example.org/pkg.git@v1")
            .unwrap()
            .unwrap();
        assert!(matches!(r.source, Source::Git { .. }));
        let r = requirement("foo==1.*").unwrap().unwrap();
        assert!(matches!(r.source, Source::Unpinned { .. }));
        assert_eq!(requirement("requests 2.0").unwrap_err().0, 9);
        assert_eq!(requirement("  ==1").unwrap_err().0, 2);
        assert_eq!(requirement("x[a==1").unwrap_err().0, 1);
    }

    #[test]
    fn comments_keep_url_fragments() {
        assert_eq!(strip_comment("a==1 # pinned"), "a==1 ");
        assert_eq!(
            strip_comment("https://x/y.whl#egg=y"),
            "https://x/y.whl#egg=y"
        );
    }
}
