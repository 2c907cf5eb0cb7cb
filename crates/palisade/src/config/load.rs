//! Reading `palisade.toml` into [`FileConfig`], turning serde's errors into located ones.

use super::error::ConfigError;
use super::file::FileConfig;

/// Parses config text; `name` is how errors refer to it.
pub fn load_str(text: &str, name: &str) -> Result<FileConfig, ConfigError> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(text, name, &e, None))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = (path != ".").then_some(path);
        toml_error(text, name, e.inner(), path)
    })
}

fn toml_error(text: &str, name: &str, e: &toml::de::Error, path: Option<String>) -> ConfigError {
    let raw = e.message().trim().to_owned();
    let mut err = ConfigError::whole_file(name, raw.clone());
    if let Some(unknown) = parse_unknown(&raw).filter(|u| u.what == "value") {
        // serde's path already ends at the key whose value is wrong.
        let key = path.clone().unwrap_or_default();
        err.message = format!("invalid value `{}` for `{key}`", unknown.name);
        err = err.with_key(key);
        let hint = match suggest(&unknown.name, &unknown.expected) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("expected one of {}", quote_list(&unknown.expected)),
        };
        err = err.with_hint(hint);
    } else if let Some(unknown) = parse_unknown(&raw) {
        let table = path
            .as_deref()
            .map(|p| {
                p.rsplit_once('.')
                    .map_or("", |(parent, _)| parent)
                    .to_owned()
            })
            .unwrap_or_default();
        let key = if table.is_empty() {
            unknown.name.clone()
        } else {
            format!("{table}.{}", unknown.name)
        };
        err.message = format!("unknown {} `{key}`", unknown.what);
        err = err.with_key(key);
        let hint = match suggest(&unknown.name, &unknown.expected) {
            Some(best) => format!("did you mean `{best}`?"),
            None if unknown.expected.is_empty() => "this table takes no keys".to_owned(),
            None => format!("expected one of {}", quote_list(&unknown.expected)),
        };
        err = err.with_hint(hint);
    } else if let Some(p) = path {
        err.message = format!("`{p}`: {raw}");
        err = err.with_key(p);
    }
    match e.span() {
        Some(span) => err.at(text, span.start),
        None => err,
    }
}

pub(crate) struct Unknown {
    pub what: &'static str,
    pub name: String,
    pub expected: Vec<String>,
}

/// Picks apart serde's "unknown field `x`, expected one of `a`, `b`" (and its variant twin).
pub(crate) fn parse_unknown(message: &str) -> Option<Unknown> {
    let (what, rest) = if let Some(r) = message.strip_prefix("unknown field `") {
        ("key", r)
    } else if let Some(r) = message.strip_prefix("unknown variant `") {
        ("value", r)
    } else {
        return None;
    };
    let (name, tail) = rest.split_once('`')?;
    let expected = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some(Unknown {
        what,
        name: name.to_owned(),
        expected,
    })
}

/// The closest expected name, if it is close enough to be a likely typo.
fn suggest<'a>(given: &str, expected: &'a [String]) -> Option<&'a str> {
    expected
        .iter()
        .map(|cand| (strsim::damerau_levenshtein(given, cand), cand))
        .filter(|(d, cand)| *d <= 2.max(cand.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The byte offset of a dotted key in the document, for errors found after parsing.
pub(crate) fn locate(text: &str, path: &[String]) -> Option<usize> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut found = None;
    let mut segments = path.iter().peekable();
    while let Some(seg) = segments.next() {
        let (key, value) = table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == seg.as_str())?;
        found = Some(key.span().start);
        let mut value = value.get_ref();
        // `[[headers.path]]` entries: the next segment is an index.
        if let toml::de::DeValue::Array(items) = value {
            // The array itself is what the error is about.
            let Some(idx) = segments.peek().and_then(|s| s.parse::<usize>().ok()) else {
                break;
            };
            segments.next();
            let item = items.get(idx)?;
            found = Some(item.span().start);
            value = item.get_ref();
        }
        match value {
            toml::de::DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_valid() {
        let cfg = load_str("", "palisade.toml").unwrap();
        assert_eq!(cfg.guard.listen.port(), 8080);
    }

    #[test]
    fn unknown_key_is_located_and_suggested() {
        let text = "[headers.hsts]\nmax_agee = 5\n";
        let err = load_str(text, "palisade.toml").unwrap_err();
        assert_eq!(err.position, Some((2, 1)));
        assert_eq!(err.key.as_deref(), Some("headers.hsts.max_agee"));
        assert_eq!(err.hint.as_deref(), Some("did you mean `max_age`?"));
        let shown = err.to_string();
        assert!(
            shown.starts_with("palisade.toml:2:1: unknown key `headers.hsts.max_agee`"),
            "{shown}"
        );
    }

    #[test]
    fn top_level_typo() {
        let err = load_str("[gaurd]\n", "p.toml").unwrap_err();
        assert_eq!(err.hint.as_deref(), Some("did you mean `guard`?"));
        assert_eq!(err.position, Some((1, 2)));
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = load_str("[guard.timeouts]\nclient_header = \"ten\"\n", "p.toml").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(2));
        assert_eq!(err.key.as_deref(), Some("guard.timeouts.client_header"));
        assert!(err.message.contains("invalid duration"), "{}", err.message);

        let err = load_str("[guard]\nlisten = \"nope\"\n", "p.toml").unwrap_err();
        assert_eq!(err.position, Some((2, 10)));
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = load_str("[guard\nlisten = 1", "p.toml").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(1));
    }

    #[test]
    fn locate_walks_tables_and_arrays() {
        let text = "[headers]\nx_frame_options = false\n[[headers.path]]\npath = \"/a\"\n[[headers.path]]\npath = \"b\"\n";
        let off = locate(
            text,
            &["headers".into(), "path".into(), "1".into(), "path".into()],
        )
        .unwrap();
        assert_eq!(&text[off..off + 4], "path");
        assert!(off > text.find("\"/a\"").unwrap());
    }
}
