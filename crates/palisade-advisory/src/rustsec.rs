//! RustSec advisory-db files: Markdown with a ```` ```toml ```` front-matter block.
//!
//! The front matter holds `[advisory]` (id, package, date, url, references, categories,
//! keywords, aliases, related, cvss, informational, withdrawn, license), `[affected]` (arch,
//! os, functions) and `[versions]` (patched, unaffected). The Markdown after it starts with a
//! `# Title` (the summary); its first paragraph becomes the details.
//!
//! Checked as cargo-audit checks them, each error located in the file: ids, the `date`, the
//! CVSS vector, and every `patched`/`unaffected` requirement (see
//! [`RustSecVersions`] for the interval rule). Unknown keys are
//! ignored, so a field added to the database does not stop an audit.

use std::collections::BTreeMap;
use std::ops::Range as Span;

use serde::Deserialize;
use toml::Spanned;

use crate::ecosystem::Ecosystem;
use crate::error::{ParseError, ParseErrorKind};
use crate::id::AdvisoryId;
use crate::model::{self, Advisory, Affected, Informational, Kind, RustSecVersions};
use crate::severity::Cvss;
use crate::version::interval::Interval;

/// Which advisory-db collection a file comes from, which decides its ecosystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collection {
    /// `crates/`: crates on crates.io.
    Crates,
    /// `rust/`: the toolchain itself (`std`, `cargo`, `rustdoc`), as
    /// [`Ecosystem::RustToolchain`].
    Rust,
}

#[derive(Deserialize)]
struct RawFile {
    advisory: RawMeta,
    versions: RawVersions,
    #[serde(default)]
    affected: RawAffected,
}

#[derive(Deserialize)]
struct RawMeta {
    id: Spanned<String>,
    package: String,
    date: Spanned<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    related: Vec<Spanned<String>>,
    #[serde(default)]
    cvss: Option<Spanned<String>>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
}

#[derive(Deserialize)]
struct RawVersions {
    patched: Vec<Spanned<String>>,
    #[serde(default)]
    unaffected: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
struct RawAffected {
    #[serde(default)]
    arch: Vec<String>,
    #[serde(default)]
    os: Vec<String>,
    /// Function path → the version requirements in which it is vulnerable.
    #[serde(default)]
    functions: BTreeMap<String, Vec<String>>,
}

/// Parses one advisory file. `name` is how errors name the text (usually its path).
///
/// ```
/// use palisade_advisory::{rustsec, Ecosystem, Outcome};
///
/// let md = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\n\
///           date = \"2099-01-01\"\n\n[versions]\npatched = [\">= 1.2.0\"]\n```\n\n# Demo bug\n";
/// let advisory = rustsec::parse(md, "demo.md", rustsec::Collection::Crates).unwrap();
/// assert_eq!(advisory.summary, "Demo bug");
/// assert_eq!(advisory.check(&Ecosystem::CratesIo, "demo", "1.1.9"), Outcome::Affected);
/// assert_eq!(advisory.check(&Ecosystem::CratesIo, "demo", "1.2.0"), Outcome::NotAffected);
/// ```
pub fn parse(text: &str, name: &str, collection: Collection) -> Result<Advisory, ParseError> {
    let front = front_matter(text, name)?;
    let at =
        |span: Span<usize>, kind| ParseError::at_offset(name, text, front.start + span.start, kind);

    let raw: RawFile = toml::from_str(&text[front.clone()]).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        at(span, ParseErrorKind::Syntax(e.message().trim().to_owned()))
    })?;
    let meta = raw.advisory;

    let id_of = |s: &Spanned<String>| {
        AdvisoryId::parse(s.get_ref().trim())
            .ok_or_else(|| at(s.span(), ParseErrorKind::InvalidId(s.get_ref().clone())))
    };
    let id = id_of(&meta.id)?;
    let mut aliases = meta
        .aliases
        .iter()
        .map(id_of)
        .collect::<Result<Vec<_>, _>>()?;
    let mut related = meta
        .related
        .iter()
        .map(id_of)
        .collect::<Result<Vec<_>, _>>()?;
    for ids in [&mut aliases, &mut related] {
        ids.retain(|alias| alias != &id);
        ids.sort();
        ids.dedup();
    }
    if !is_date(meta.date.get_ref()) {
        let message = format!("date {:?} is not YYYY-MM-DD", meta.date.get_ref());
        return Err(at(meta.date.span(), ParseErrorKind::Syntax(message)));
    }
    let cvss = match &meta.cvss {
        Some(vector) => Some(Cvss::parse(vector.get_ref()).map_err(|reason| {
            let vector_text = vector.get_ref().clone();
            at(
                vector.span(),
                ParseErrorKind::InvalidCvss {
                    vector: vector_text,
                    reason,
                },
            )
        })?),
        None => None,
    };
    let requirements = |list: &[Spanned<String>]| {
        list.iter()
            .map(|req| match Interval::from_requirement(req.get_ref()) {
                Ok(_) => Ok(req.get_ref().trim().to_owned()),
                Err(reason) => Err(at(
                    req.span(),
                    ParseErrorKind::InvalidRequirement {
                        requirement: req.get_ref().clone(),
                        reason,
                    },
                )),
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let versions = RustSecVersions {
        patched: requirements(&raw.versions.patched)?,
        unaffected: requirements(&raw.versions.unaffected)?,
    };

    let (summary, details) = body(text, front.end, name)?;
    let ecosystem = match collection {
        Collection::Crates => Ecosystem::CratesIo,
        Collection::Rust => Ecosystem::RustToolchain,
    };
    let mut references: Vec<String> = meta.url.iter().cloned().collect();
    for reference in meta.references {
        if !references.contains(&reference) {
            references.push(reference);
        }
    }
    Ok(Advisory {
        id,
        aliases,
        related,
        summary,
        details,
        published: Some(meta.date.into_inner()),
        modified: None,
        withdrawn: meta.withdrawn,
        severity: cvss.as_ref().map(Cvss::severity),
        cvss,
        kind: match &meta.informational {
            Some(kind) => Kind::Informational(Informational::from_name(kind)),
            None => Kind::Vulnerability,
        },
        affected: vec![Affected {
            package: ecosystem.normalise_name(meta.package.trim()).into_owned(),
            ecosystem,
            ranges: Vec::new(),
            versions: Vec::new(),
            rustsec: Some(versions),
            functions: raw.affected.functions.into_keys().collect(),
            os: raw.affected.os,
            arch: raw.affected.arch,
        }],
        url: meta.url,
        references,
    })
}

/// The byte range of the TOML between the opening ```` ```toml ```` line and the closing
/// ```` ``` ```` line.
fn front_matter(text: &str, name: &str) -> Result<Span<usize>, ParseError> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut lines = line_spans(text, bom);
    let opening = lines
        .next()
        .filter(|l| text[l.clone()].trim_end() == "```toml");
    let Some(opening) = opening else {
        return Err(ParseError::at(name, 1, 1, ParseErrorKind::NoFrontMatter));
    };
    let start = opening.end + 1;
    for line in lines {
        if text[line.clone()].trim_end() == "```" {
            return Ok(start.min(line.start)..line.start);
        }
    }
    Err(ParseError::at(
        name,
        1,
        1,
        ParseErrorKind::UnclosedFrontMatter,
    ))
}

/// Byte ranges of lines (without their `\n`) from `from`.
fn line_spans(text: &str, from: usize) -> impl Iterator<Item = Span<usize>> + '_ {
    let mut start = from;
    std::iter::from_fn(move || {
        if start > text.len() {
            return None;
        }
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = start..end;
        start = end + 1;
        Some(line)
    })
}

/// The `# Title` after the front matter, and the first paragraph of what follows it.
fn body(text: &str, front_end: usize, name: &str) -> Result<(String, String), ParseError> {
    // Skip the closing fence line itself.
    let after = text[front_end..]
        .find('\n')
        .map_or(text.len(), |i| front_end + i + 1);
    for line in line_spans(text, after) {
        let content = text[line.clone()].trim();
        if let Some(title) = content.strip_prefix("# ") {
            let rest = &text[(line.end + 1).min(text.len())..];
            return Ok((title.trim().to_owned(), model::short_details(rest)));
        }
        if !content.is_empty() {
            break;
        }
    }
    Err(ParseError::at_offset(
        name,
        text,
        after,
        ParseErrorKind::MissingTitle,
    ))
}

/// RFC 3339 full-date: `YYYY-MM-DD`.
fn is_date(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\n\
        date = \"2099-01-01\"\ninformational = \"unsound\"\n\n[versions]\npatched = [\">= 1.2.0\"]\n\
        unaffected = [\"< 0.5\"]\n```\n\n# Demo\n\nFirst paragraph.\n\nSecond.\n";

    #[test]
    fn reads_front_matter_and_body() {
        let a = parse(GOOD, "good.md", Collection::Crates).unwrap();
        assert_eq!(a.summary, "Demo");
        assert_eq!(a.details, "First paragraph.");
        assert_eq!(a.kind, Kind::Informational(Informational::Unsound));
        let rs = a.affected[0].rustsec.as_ref().unwrap();
        assert_eq!(rs.patched, [">= 1.2.0"]);
        assert_eq!(rs.unaffected, ["< 0.5"]);
    }

    #[test]
    fn errors_point_into_the_file() {
        let bad_req = GOOD.replace("\">= 1.2.0\"", "\">= 1.0, >= 2.0\"");
        let e = parse(&bad_req, "x.md", Collection::Crates).unwrap_err();
        assert_eq!((e.line, e.column), (9, 12), "{e}");
        assert!(matches!(e.kind, ParseErrorKind::InvalidRequirement { .. }));

        let bad_toml = GOOD.replace("package = \"demo\"", "package = demo");
        let e = parse(&bad_toml, "x.md", Collection::Crates).unwrap_err();
        assert_eq!(e.line, 4, "{e}");

        let e = parse("# no front matter", "x.md", Collection::Crates).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::NoFrontMatter);
        let e = parse("```toml\n[advisory]\n", "x.md", Collection::Crates).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::UnclosedFrontMatter);
        let e = parse(&GOOD.replace("# Demo", "Demo"), "x.md", Collection::Crates).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::MissingTitle);
        let e = parse(
            &GOOD.replace("2099-01-01", "Jan 1"),
            "x.md",
            Collection::Crates,
        )
        .unwrap_err();
        assert_eq!(e.line, 5);
    }
}
