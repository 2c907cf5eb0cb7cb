//! The crate's one error type, and the helpers that give every error a line and column.

use std::fmt;

/// What went wrong, broadly; the message says exactly what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file name is not a lockfile (or manifest) this crate knows ([`crate::kind_of`] or
    /// [`crate::manifest_kind_of`] gave `None`).
    UnknownFormat,
    /// Not well-formed TOML, JSON, YAML or yarn v1 syntax.
    Syntax,
    /// Well-formed, but not what the format says: a wrong type, a missing field, a dependency
    /// on a package that is not in the file.
    Invalid,
    /// A format version this crate does not read.
    Unsupported,
}

/// A lockfile (or manifest) that could not be read, with where: `file:line:column: message`.
///
/// Lines and columns are 1-based; the column counts characters. Both are `None` only for
/// [`ErrorKind::UnknownFormat`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockfileError {
    file: String,
    position: Option<(u32, u32)>,
    kind: ErrorKind,
    message: String,
}

impl LockfileError {
    /// The display name of the file at fault: the lockfile's, or the manifest's.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line.
    pub fn line(&self) -> Option<u32> {
        self.position.map(|p| p.0)
    }

    /// The 1-based column, in characters.
    pub fn column(&self) -> Option<u32> {
        self.position.map(|p| p.1)
    }

    /// What went wrong, broadly.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What went wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn unknown_format(file: &str) -> Self {
        LockfileError {
            file: file.to_owned(),
            position: None,
            kind: ErrorKind::UnknownFormat,
            message: "not a known lockfile name (Cargo.lock, package-lock.json, \
                      npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, poetry.lock, Pipfile.lock, \
                      requirements*.txt)"
                .to_owned(),
        }
    }

    pub(crate) fn unknown_manifest(file: &str) -> Self {
        LockfileError {
            file: file.to_owned(),
            position: None,
            kind: ErrorKind::UnknownFormat,
            message: "not a known manifest name (package.json, Cargo.toml)".to_owned(),
        }
    }

    /// An error at a 1-based line and column.
    pub(crate) fn at_line_col(
        file: &str,
        line: u32,
        column: u32,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        LockfileError {
            file: file.to_owned(),
            position: Some((line.max(1), column.max(1))),
            kind,
            message: message.into(),
        }
    }

    /// An error at a byte offset of `text`.
    pub(crate) fn at(
        file: &str,
        text: &str,
        offset: usize,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_col(text, offset);
        Self::at_line_col(file, line, column, kind, message)
    }
}

impl fmt::Display for LockfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LockfileError {}

/// 1-based line and character column of a byte offset, as `u32`s (see
/// [`palisade_core::text::line_col`]).
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let (line, column) = palisade_core::text::line_col(text, offset);
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// The byte offset of the last of `needles`, each searched for after the previous one: a
/// best-effort way to point at a key of an already parsed JSON or YAML document
/// (`["\"packages\"", "\"node_modules/a\"", "\"version\""]`). Stops at the last needle found,
/// so the error points at least at the enclosing entry.
pub(crate) fn locate(text: &str, needles: &[&str]) -> usize {
    let mut at = 0;
    let mut found = 0;
    for needle in needles {
        match text[at..].find(needle) {
            Some(i) => {
                found = at + i;
                at = found + needle.len();
            }
            None => break,
        }
    }
    found
}

/// Syntax and type errors from serde_json, with the JSON path of the value at fault.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, LockfileError> {
    // Fast path without path tracking; a failure is read again below to name the bad key.
    let mut de = serde_json::Deserializer::from_str(text);
    if let Ok(value) = T::deserialize(&mut de)
        && de.end().is_ok()
    {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => {
            // Trailing garbage after the document.
            de.end().map_err(|e| json_error(file, e, "."))?;
            Ok(value)
        }
        Err(e) => {
            let path = e.path().to_string();
            Err(json_error(file, e.into_inner(), &path))
        }
    }
}

fn json_error(file: &str, e: serde_json::Error, path: &str) -> LockfileError {
    let kind = match e.classify() {
        serde_json::error::Category::Data => ErrorKind::Invalid,
        _ => ErrorKind::Syntax,
    };
    // serde_json's Display appends " at line L column C"; the location goes in front.
    let message = strip_json_position(&e.to_string());
    let message = if kind == ErrorKind::Invalid && path != "." {
        format!("{path}: {message}")
    } else {
        message
    };
    LockfileError::at_line_col(
        file,
        u32::try_from(e.line()).unwrap_or(u32::MAX),
        u32::try_from(e.column()).unwrap_or(u32::MAX),
        kind,
        message,
    )
}

fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Syntax and type errors from toml, with the TOML path of the value at fault.
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, LockfileError> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(file, text, e, false))?;
    // Tracking the path costs a third of the parse; it is only needed to name a bad key, so
    // the document is read again with it only after a failure.
    if let Ok(value) = T::deserialize(de) {
        return Ok(value);
    }
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(file, text, e, false))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        // `toml::Spanned` reaches its value through a private field name; it is no key of the
        // document.
        let path = e
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "");
        let inner = e.into_inner();
        let mut err = toml_error(file, text, inner, true);
        if path != "." {
            err.message = format!("{path}: {}", err.message);
        }
        err
    })
}

fn toml_error(file: &str, text: &str, e: toml::de::Error, data: bool) -> LockfileError {
    let offset = e.span().map_or(0, |s| s.start);
    let kind = if data {
        ErrorKind::Invalid
    } else {
        ErrorKind::Syntax
    };
    LockfileError::at(file, text, offset, kind, e.message().trim_end().to_owned())
}

/// Syntax and type errors from serde-saphyr (YAML).
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, LockfileError> {
    let mut budget = serde_saphyr::budget::Budget::default();
    // The defaults suit config files; a monorepo's lockfile has hundreds of thousands of nodes.
    budget.max_events = 50_000_000;
    budget.max_nodes = 20_000_000;
    let mut options = serde_saphyr::options::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    let mut path = String::new();
    let result = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    });
    result.map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((1, 1), |l| (saturate(l.line()), saturate(l.column())));
        let kind = yaml_kind(&e);
        let message = yaml_message(&e);
        let message = if kind == ErrorKind::Invalid && !path.is_empty() && path != "." {
            format!("{path}: {message}")
        } else {
            message
        };
        LockfileError::at_line_col(file, line, column, kind, message)
    })
}

fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Type errors are the document's content being wrong; everything else is its syntax.
fn yaml_kind(e: &serde_saphyr::Error) -> ErrorKind {
    use serde_saphyr::Error as E;
    if matches!(
        e,
        E::Unexpected { .. }
            | E::SerdeInvalidType { .. }
            | E::SerdeInvalidValue { .. }
            | E::SerdeInvalidLength { .. }
            | E::SerdeUnknownVariant { .. }
            | E::SerdeUnknownField { .. }
            | E::SerdeMissingField { .. }
            | E::NullIntoString { .. }
            | E::InvalidScalar { .. }
            | E::Message { .. }
    ) {
        ErrorKind::Invalid
    } else {
        ErrorKind::Syntax
    }
}

/// serde-saphyr's message without its own location.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "line 2 column 12: expected string scalar"
    let first = match first.find(": ") {
        Some(i) if first.starts_with("line ") => &first[i + 2..],
        _ => first,
    };
    // … or after it: "unclosed bracket '{' at line 5, column 17".
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let text = "ab\nçd\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 2)); // after the two-byte ç
        assert_eq!(line_col(text, 4), (2, 1)); // inside ç: back to its start
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn locate_follows_needles_in_order() {
        let text = "{\"a\": {\"version\": 1}, \"b\": {\"version\": 2}}";
        let at = locate(text, &["\"b\"", "\"version\""]);
        assert_eq!(&text[at..at + 9], "\"version\"");
        assert!(at > text.find("\"b\"").unwrap());
    }
}
