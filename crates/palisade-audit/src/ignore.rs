//! The ignore file, `.palisade-audit.toml`: advisories the project has looked at and accepted,
//! each with a reason and, optionally, an expiry date.
//!
//! ```toml
//! [[ignore]]
//! id = "GHSA-xxxx-xxxx-xxxx"   # the advisory's id or any alias (CVE, RUSTSEC, PYSEC, …)
//! reason = "only reachable through parse_untrusted(), which we never call"
//! expires = "2027-01-31"       # optional: ignored through that day, reported again after
//! package = "ms"               # optional: only for this package
//! ```
//!
//! An ignore whose date has passed stops ignoring and is reported as a warning, so an accepted
//! risk is looked at again rather than forgotten. Unknown keys are errors: a misspelt
//! `expries` must not silently make an ignore permanent.

use serde::Deserialize;
use toml::Spanned;

use palisade_advisory::{AdvisoryId, Ecosystem};

use crate::error::{AuditError, ErrorKind, line_col};
use palisade_core::date::Date;

/// The ignore file's conventional name, looked for beside the lockfiles.
pub const IGNORE_FILE_NAME: &str = ".palisade-audit.toml";

/// A parsed ignore file. [`Default`] is the empty one (nothing ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IgnoreFile {
    file: String,
    ignores: Vec<Ignore>,
}

/// One `[[ignore]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignore {
    /// The advisory id or alias it names, as written.
    pub id: String,
    /// Why the advisory is accepted (required, non-empty).
    pub reason: String,
    /// The last day it applies; from the next day on it is reported as expired and ignores
    /// nothing.
    pub expires: Option<Date>,
    /// Only this package (compared by the ecosystem's name rules: PEP 503 for PyPI).
    pub package: Option<String>,
    /// The ignore file it came from.
    pub file: String,
    /// The 1-based line of its `id`, for messages.
    pub line: u32,
}

impl Ignore {
    /// Whether this entry names the advisory (by its id or any alias, ignoring ASCII case:
    /// people type `cve-…`) and, when it is narrowed to a package, that package. Expiry is not
    /// considered here; see [`Ignore::is_expired`].
    pub fn matches(
        &self,
        advisory_id: &AdvisoryId,
        aliases: &[AdvisoryId],
        ecosystem: &Ecosystem,
        package: &str,
    ) -> bool {
        let id_matches = std::iter::once(advisory_id)
            .chain(aliases)
            .any(|id| id.as_str().eq_ignore_ascii_case(self.id.trim()));
        let package_matches = self.package.as_deref().is_none_or(|wanted| {
            ecosystem.normalise_name(wanted.trim()) == ecosystem.normalise_name(package)
        });
        id_matches && package_matches
    }

    /// Whether `today` is after the expiry date.
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|last| today > last)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWire {
    #[serde(default)]
    ignore: Vec<EntryWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryWire {
    id: Spanned<String>,
    reason: Spanned<String>,
    /// A string (`"2027-01-31"`) or a TOML date literal (`2027-01-31`).
    expires: Option<Spanned<toml::Value>>,
    package: Option<Spanned<String>>,
}

impl IgnoreFile {
    /// Parses an ignore file's `text`; `file` names it in errors and warnings.
    ///
    /// ```
    /// use palisade_audit::{Date, IgnoreFile};
    ///
    /// let text = "[[ignore]]\nid = \"CVE-2099-0001\"\nreason = \"not reachable\"\n\
    ///             expires = \"2027-01-31\"\n";
    /// let file = IgnoreFile::parse(".palisade-audit.toml", text).unwrap();
    /// assert_eq!(file.ignores()[0].line, 2);
    /// assert!(!file.ignores()[0].is_expired(Date::parse("2027-01-31").unwrap()));
    /// assert!(file.ignores()[0].is_expired(Date::parse("2027-02-01").unwrap()));
    ///
    /// let err = IgnoreFile::parse(".palisade-audit.toml", "[[ignore]]\nid = \"X-1\"\nexpries = 1\n")
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with(".palisade-audit.toml:3:1: unknown field `expries`"));
    /// ```
    pub fn parse(file: &str, text: &str) -> Result<IgnoreFile, AuditError> {
        let wire: FileWire = toml::from_str(text).map_err(|e| {
            let kind = if e.message().contains("unknown field")
                || e.message().contains("missing field")
                || e.message().contains("invalid type")
            {
                ErrorKind::IgnoreInvalid
            } else {
                ErrorKind::IgnoreSyntax
            };
            let message = e.message().trim_end().to_owned();
            let offset = e.span().map_or(0, |s| s.start);
            AuditError::new(kind, message).located(file, text, offset)
        })?;
        let invalid = |offset: usize, message: String| {
            AuditError::new(ErrorKind::IgnoreInvalid, message).located(file, text, offset)
        };

        let mut ignores = Vec::with_capacity(wire.ignore.len());
        for entry in wire.ignore {
            let id_span = entry.id.span();
            let id = entry.id.into_inner().trim().to_owned();
            if AdvisoryId::parse(&id).is_none() {
                return Err(invalid(
                    id_span.start,
                    format!(
                        "`id` {id:?} is not an advisory id (GHSA-…, CVE-…, RUSTSEC-…, PYSEC-…)"
                    ),
                ));
            }
            let reason_span = entry.reason.span();
            let reason = entry.reason.into_inner().trim().to_owned();
            if reason.is_empty() {
                return Err(invalid(
                    reason_span.start,
                    format!("`reason` for {id} is empty: say why the advisory is accepted"),
                ));
            }
            let expires = match entry.expires {
                None => None,
                Some(value) => {
                    let span = value.span();
                    let date = match value.into_inner() {
                        toml::Value::String(s) => Date::parse(s.trim()).ok(),
                        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt
                            .date
                            .and_then(|d| Date::from_ymd(i32::from(d.year), d.month, d.day)),
                        _ => None,
                    };
                    Some(date.ok_or_else(|| {
                        invalid(
                            span.start,
                            "`expires` must be a date, YYYY-MM-DD (\"2027-01-31\")".to_owned(),
                        )
                    })?)
                }
            };
            let package = match entry.package {
                None => None,
                Some(p) => {
                    let span = p.span();
                    let name = p.into_inner().trim().to_owned();
                    if name.is_empty() {
                        return Err(invalid(span.start, "`package` is empty".to_owned()));
                    }
                    Some(name)
                }
            };
            ignores.push(Ignore {
                id,
                reason,
                expires,
                package,
                file: file.to_owned(),
                line: line_col(text, id_span.start).0,
            });
        }
        Ok(IgnoreFile {
            file: file.to_owned(),
            ignores,
        })
    }

    /// An ignore file built from entries (for callers that assemble ignores themselves).
    pub fn from_ignores(file: &str, ignores: Vec<Ignore>) -> IgnoreFile {
        IgnoreFile {
            file: file.to_owned(),
            ignores,
        }
    }

    /// The display name it was parsed under (empty for [`IgnoreFile::default`]).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The entries, in file order.
    pub fn ignores(&self) -> &[Ignore] {
        &self.ignores
    }

    /// The first entry, in file order, that matches and has not expired.
    pub(crate) fn active_match(
        &self,
        today: Date,
        advisory_id: &AdvisoryId,
        aliases: &[AdvisoryId],
        ecosystem: &Ecosystem,
        package: &str,
    ) -> Option<&Ignore> {
        self.ignores
            .iter()
            .find(|i| !i.is_expired(today) && i.matches(advisory_id, aliases, ecosystem, package))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = ".palisade-audit.toml";

    fn err(text: &str) -> String {
        IgnoreFile::parse(FILE, text).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_key() {
        let text = r#"
[[ignore]]
id = "GHSA-aaaa-bbbb-cccc"
reason = "  tests only  "

[[ignore]]
id = "PYSEC-2099-1"
reason = "accepted"
expires = 2027-01-31
package = "Some_Pkg"
"#;
        let file = IgnoreFile::parse(FILE, text).unwrap();
        assert_eq!(file.file(), FILE);
        let [a, b] = file.ignores() else {
            panic!("two entries")
        };
        assert_eq!(
            (a.id.as_str(), a.reason.as_str()),
            ("GHSA-aaaa-bbbb-cccc", "tests only")
        );
        assert_eq!((a.expires, a.line), (None, 3));
        assert_eq!(b.expires, Date::from_ymd(2027, 1, 31));
        assert_eq!(b.package.as_deref(), Some("Some_Pkg"));
        let id = AdvisoryId::parse("GHSA-zzzz-zzzz-zzzz").unwrap();
        let alias = AdvisoryId::parse("PYSEC-2099-1").unwrap();
        assert!(b.matches(
            &id,
            std::slice::from_ref(&alias),
            &Ecosystem::PyPI,
            "some-pkg"
        ));
        assert!(!b.matches(&id, std::slice::from_ref(&alias), &Ecosystem::PyPI, "other"));
        assert!(!b.matches(&id, &[], &Ecosystem::PyPI, "some-pkg"));
        assert!(IgnoreFile::parse(FILE, "").unwrap().ignores().is_empty());
    }

    #[test]
    fn errors_are_located() {
        assert_eq!(
            err("[[ignore]]\nid = \"CVE-1\"\n"),
            ".palisade-audit.toml:1:1: missing field `reason`"
        );
        assert!(
            err("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpries = \"2027-01-01\"\n")
                .starts_with(".palisade-audit.toml:4:1: unknown field `expries`")
        );
        assert!(
            err("[ignores]\n").starts_with(".palisade-audit.toml:1:2: unknown field `ignores`")
        );
        assert_eq!(
            err("[[ignore]]\nid = \"CVE-1\"\nreason = \"  \"\n"),
            ".palisade-audit.toml:3:10: `reason` for CVE-1 is empty: say why the advisory is accepted"
        );
        assert_eq!(
            err("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2027-02-30\"\n"),
            ".palisade-audit.toml:4:11: `expires` must be a date, YYYY-MM-DD (\"2027-01-31\")"
        );
        assert!(
            err("[[ignore]]\nid = \"CVE 1\"\nreason = \"r\"\n")
                .starts_with(".palisade-audit.toml:2:6: `id` \"CVE 1\" is not an advisory id")
        );
        let syntax = IgnoreFile::parse(FILE, "[[ignore]\n").unwrap_err();
        assert_eq!(syntax.kind(), ErrorKind::IgnoreSyntax);
        assert_eq!(syntax.line(), Some(1));
    }
}
