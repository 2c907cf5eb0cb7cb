//! `yarn.lock` v1 (yarn classic): its own indentation format, read by a small parser.
//!
//! ```text
//! "@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
//!   version "7.12.13"
//!   resolved "https://…/code-frame-7.12.13.tgz#…"
//!   dependencies:
//!     "@babel/highlight" "^7.12.13"
//! ```
//!
//! Each entry is headed by the specifiers (`name@range`, comma-separated, quoted when they hold
//! special characters) that resolved to it; a dependency `name "range"` points at the entry
//! whose header lists `name@range`. The lockfile records no roots: `package.json` says which
//! entries the project asked for.

use std::collections::HashMap;

use super::manifest::{self, Manifest};
use crate::error::{ErrorKind, LockfileError};
use crate::graph::{Graph, NodeId};
use crate::model::{Ecosystem, Package, Source};
use crate::names::{is_git, npm_alias, npm_requested, npm_source, split_spec};

/// Deeper than any yarn.lock (entries → fields → dependencies is 3); the bound keeps a hostile
/// file from building a deep tree.
const MAX_DEPTH: usize = 16;

/// A `key value` line or a `keys:` block, with its 1-based position.
#[derive(Debug)]
pub(crate) struct Node {
    pub keys: Vec<String>,
    pub line: u32,
    pub column: u32,
    pub value: Value,
}

#[derive(Debug)]
pub(crate) enum Value {
    Scalar(String),
    Block(Vec<Node>),
}

impl Node {
    fn field(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Block(children) => children.iter().find(|c| c.keys.iter().any(|k| k == key)),
            Value::Scalar(_) => None,
        }
    }

    fn scalar(&self, key: &str) -> Option<&str> {
        match self.field(key).map(|n| &n.value) {
            Some(Value::Scalar(s)) => Some(s),
            _ => None,
        }
    }

    /// `(name, range)` pairs of a dependencies block.
    fn pairs(&self, key: &str) -> Vec<(&str, &str)> {
        let Some(Node {
            value: Value::Block(children),
            ..
        }) = self.field(key)
        else {
            return Vec::new();
        };
        children
            .iter()
            .filter_map(|c| match (&c.value, c.keys.first()) {
                (Value::Scalar(v), Some(k)) => Some((k.as_str(), v.as_str())),
                _ => None,
            })
            .collect()
    }
}

type SyntaxError = (u32, u32, String);

#[derive(Debug, PartialEq)]
enum Token {
    Str(String),
    Colon,
    Comma,
}

/// Splits one line's content (after its indentation) into tokens; `column` is where the
/// content starts, for errors.
fn tokenize(content: &str, line: u32, column: u32) -> Result<Vec<(Token, u32)>, SyntaxError> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = content.char_indices().collect();
    let mut i = 0;
    let col = |i: usize| column.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
    while i < chars.len() {
        let (start, c) = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '#' if tokens.is_empty() => break,
            ':' => {
                tokens.push((Token::Colon, col(i)));
                i += 1;
            }
            ',' => {
                tokens.push((Token::Comma, col(i)));
                i += 1;
            }
            '"' => {
                let mut j = i + 1;
                let mut escaped = false;
                while j < chars.len() && (escaped || chars[j].1 != '"') {
                    escaped = !escaped && chars[j].1 == '\\';
                    j += 1;
                }
                if j >= chars.len() {
                    return Err((line, col(i), "unterminated string".to_owned()));
                }
                let end = chars[j].0 + 1;
                // yarn writes JSON strings.
                let s: String = serde_json::from_str(&content[start..end])
                    .map_err(|e| (line, col(i), format!("invalid string: {e}")))?;
                tokens.push((Token::Str(s), col(i)));
                i = j + 1;
            }
            _ => {
                let mut j = i;
                while j < chars.len() && !matches!(chars[j].1, ' ' | '\t' | ':' | ',') {
                    j += 1;
                }
                // A bare `a:b` (no space after the colon) is one word, like yarn's lexer reads
                // `integrity sha1-…`; a colon followed by a space or the end ends a key.
                while j < chars.len()
                    && chars[j].1 == ':'
                    && chars
                        .get(j + 1)
                        .is_some_and(|&(_, n)| !matches!(n, ' ' | '\t'))
                {
                    j += 1;
                    while j < chars.len() && !matches!(chars[j].1, ' ' | '\t' | ':' | ',') {
                        j += 1;
                    }
                }
                let end = chars.get(j).map_or(content.len(), |&(b, _)| b);
                tokens.push((Token::Str(content[start..end].to_owned()), col(i)));
                i = j;
            }
        }
    }
    Ok(tokens)
}

/// Parses the whole file into its top-level entries.
pub(crate) fn parse_tree(text: &str) -> Result<Vec<Node>, SyntaxError> {
    // Open blocks: (indent of their children, children so far, the header that opened it).
    let mut stack: Vec<(usize, Vec<Node>, Option<Node>)> = vec![(0, Vec::new(), None)];
    for (n, raw) in text.lines().enumerate() {
        let line = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = raw.len() - content.len();
        let column = u32::try_from(indent + 1).unwrap_or(u32::MAX);
        if content.starts_with('\t') {
            return Err((line, column, "tab in indentation".to_owned()));
        }
        // Close the blocks this line is not inside of.
        while stack.len() > 1 && indent < stack.last().map_or(0, |s| s.0) {
            close(&mut stack);
        }
        let expected = stack.last().map_or(0, |s| s.0);
        if indent != expected {
            return Err((
                line,
                column,
                format!("expected an indentation of {expected} spaces, found {indent}"),
            ));
        }
        let node = line_node(tokenize(content, line, column)?, line, column)?;
        if matches!(node.value, Value::Block(_)) {
            if stack.len() > MAX_DEPTH {
                return Err((line, column, "nesting too deep".to_owned()));
            }
            stack.push((indent + 2, Vec::new(), Some(node)));
        } else if let Some(top) = stack.last_mut() {
            top.1.push(node);
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    Ok(stack.pop().map(|s| s.1).unwrap_or_default())
}

fn close(stack: &mut Vec<(usize, Vec<Node>, Option<Node>)>) {
    if let Some((_, children, Some(mut header))) = stack.pop() {
        header.value = Value::Block(children);
        if let Some(parent) = stack.last_mut() {
            parent.1.push(header);
        }
    }
}

/// A line's tokens as a node: `keys:` opens a block (returned with an empty one);
/// `key value` and `key: value` are scalars.
fn line_node(tokens: Vec<(Token, u32)>, line: u32, column: u32) -> Result<Node, SyntaxError> {
    let mut keys = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    loop {
        match iter.next() {
            Some((Token::Str(key), _)) => keys.push(key),
            Some((_, col)) => return Err((line, col, "expected a key".to_owned())),
            None => return Err((line, column, "expected a key".to_owned())),
        }
        match iter.next() {
            Some((Token::Comma, _)) => continue,
            Some((Token::Colon, col)) => {
                return match iter.next() {
                    None => Ok(Node {
                        keys,
                        line,
                        column,
                        value: Value::Block(Vec::new()),
                    }),
                    Some((Token::Str(value), _)) if keys.len() == 1 && iter.peek().is_none() => {
                        Ok(Node {
                            keys,
                            line,
                            column,
                            value: Value::Scalar(value),
                        })
                    }
                    Some(_) => Err((line, col + 1, "unexpected text after `:`".to_owned())),
                };
            }
            Some((Token::Str(value), col)) => {
                if keys.len() > 1 {
                    return Err((line, col, "a list of keys must end with `:`".to_owned()));
                }
                if let Some((_, col)) = iter.next() {
                    return Err((line, col, "unexpected text after the value".to_owned()));
                }
                return Ok(Node {
                    keys,
                    line,
                    column,
                    value: Value::Scalar(value),
                });
            }
            None => {
                return Err((
                    line,
                    column,
                    "expected a value or `:` after the key".to_owned(),
                ));
            }
        }
    }
}

pub(crate) fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let entries = parse_tree(text).map_err(|(line, column, message)| {
        LockfileError::at_line_col(file, line, column, ErrorKind::Syntax, message)
    })?;
    let manifest = manifest.map(manifest::package_json).transpose()?;

    let mut graph = Graph::new(Ecosystem::Npm);
    let mut by_spec: HashMap<&str, NodeId> = HashMap::new();
    let mut ids = Vec::new();
    for entry in &entries {
        if !matches!(entry.value, Value::Block(_)) {
            return Err(LockfileError::at_line_col(
                file,
                entry.line,
                entry.column,
                ErrorKind::Invalid,
                "expected an entry (`name@range:` and its fields)",
            ));
        }
        let Some(version) = entry.scalar("version") else {
            return Err(LockfileError::at_line_col(
                file,
                entry.line,
                entry.column,
                ErrorKind::Invalid,
                format!("entry {:?} has no \"version\"", entry.keys.join(", ")),
            ));
        };
        let first = entry.keys.first().map_or("", String::as_str);
        let (alias, range) = split_spec(first).ok_or_else(|| {
            LockfileError::at_line_col(
                file,
                entry.line,
                entry.column,
                ErrorKind::Invalid,
                format!("{first:?} is not a `name@range` specifier"),
            )
        })?;
        let name = npm_alias(range).map_or(alias, |(real, _)| real);
        let source = source_of(range, entry.scalar("resolved"));
        let id = graph.package(name, version, source);
        for key in &entry.keys {
            by_spec.insert(key, id);
        }
        ids.push((entry, id));
    }
    for &(entry, from) in &ids {
        for field in ["dependencies", "optionalDependencies"] {
            for (name, range) in entry.pairs(field) {
                // An optional dependency for another platform may be absent.
                if let Some(&to) = by_spec.get(format!("{name}@{range}").as_str()) {
                    graph.edge_requested(from, to, false, Some(npm_requested(range)));
                }
            }
        }
    }
    let root = manifest.as_ref().and_then(|m| m.root.clone());
    let root_id = graph.virtual_root(root.as_deref().unwrap_or("(root)"));
    roots_from(&mut graph, root_id, manifest.as_ref(), &by_spec);
    Ok((graph.finish(), root))
}

/// The root's edges: the manifest's dependencies, and every entry nothing depends on.
fn roots_from(
    graph: &mut Graph,
    root: NodeId,
    manifest: Option<&Manifest>,
    by_spec: &HashMap<&str, NodeId>,
) {
    let linked: Vec<(NodeId, bool, Option<&str>)> = manifest.map_or_else(Vec::new, |m| {
        m.deps
            .iter()
            .filter_map(|(name, range, dev)| {
                by_spec
                    .get(format!("{name}@{range}").as_str())
                    .map(|&id| (id, *dev, Some(npm_requested(range))))
            })
            .collect()
    });
    graph.attach_root(root, &linked, |_| Some(false));
}

/// Where an entry comes from: its range's protocol, else its `resolved` URL.
fn source_of(range: &str, resolved: Option<&str>) -> Source {
    if let Some(path) = range.strip_prefix("file:") {
        Source::Path {
            path: path.to_owned(),
        }
    } else if let Some(target) = range
        .strip_prefix("link:")
        .or_else(|| range.strip_prefix("portal:"))
    {
        Source::Link {
            target: target.to_owned(),
        }
    } else if let Some(resolved) = resolved {
        npm_source(Some(resolved))
    } else if is_git(range) {
        Source::Git {
            url: range.to_owned(),
        }
    } else {
        Source::Registry { url: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = tokenize(r#""a@^1", b@2:"#, 1, 1).unwrap();
        let strs: Vec<_> = t.into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            strs,
            [
                Token::Str("a@^1".into()),
                Token::Comma,
                Token::Str("b@2".into()),
                Token::Colon
            ]
        );
        let t = tokenize("integrity sha1-abc:def=", 1, 3).unwrap();
        assert_eq!(t[1], (Token::Str("sha1-abc:def=".into()), 13));
    }

    #[test]
    fn tree_and_errors() {
        let tree = parse_tree(
            "a@1:\n  version \"1\"\n  dependencies:\n    b \"^2\"\n\nb@^2:\n  version \"2.0.0\"\n",
        )
        .unwrap();
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].pairs("dependencies"), [("b", "^2")]);
        assert_eq!(tree[1].line, 6);
        assert_eq!(parse_tree("a@1:\n   version \"1\"\n").unwrap_err().0, 2);
        assert_eq!(
            parse_tree("a@1:\n  version \"1\n").unwrap_err(),
            (2, 11, "unterminated string".to_owned())
        );
    }
}
