//! The Observatory's CSP parser (`src/analyzer/cspParser.js`), ported rule for rule: several
//! policies are merged into the one effective policy they enforce together (a source counts
//! only if every policy allows it), repeated directives make a policy invalid except
//! `report-uri`/`report-to`, and an empty `*-src` means `'none'`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A directive name → its sources (lowercased).
pub(crate) type Directives = BTreeMap<String, BTreeSet<String>>;

/// The effective policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed {
    pub(crate) directives: Directives,
    /// A `report-uri` or `report-to` was repeated within one policy.
    pub(crate) duplicates: bool,
}

/// A policy the Observatory cannot parse (`csp-header-invalid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// The Observatory rejects any policy shorter than its shortest useful one (`img-src` less one).
const SHORTEST_POLICY: usize = "img-src".len() - 1;

const ALLOWED_DUPLICATES: [&str; 2] = ["report-uri", "report-to"];

/// Directives a `<meta>` policy may not set: browsers ignore them there.
const DISALLOWED_IN_META: [&str; 3] = ["frame-ancestors", "report-uri", "sandbox"];

#[derive(Debug, Clone)]
struct Source {
    text: String,
    policy: usize,
    keep: bool,
}

/// Parses and merges `policies` (each one serialized policy).
pub(crate) fn parse<S: AsRef<str>>(policies: &[S]) -> Result<Parsed, Invalid> {
    let policies: Vec<String> = policies
        .iter()
        .map(|p| p.as_ref().replace(['\r', '\n'], "").trim().to_owned())
        .collect();
    if policies.is_empty() {
        return Ok(Parsed::default());
    }
    if policies
        .iter()
        .any(|p| p.encode_utf16().count() < SHORTEST_POLICY)
    {
        return Err(Invalid);
    }

    let mut merged: BTreeMap<String, Vec<Source>> = BTreeMap::new();
    let mut duplicates = false;
    for (index, policy) in policies.iter().enumerate() {
        let mut seen = HashSet::new();
        for entry in policy.split(';') {
            let mut tokens = entry.split_whitespace();
            let Some(first) = tokens.next() else {
                continue;
            };
            let directive = first.to_lowercase();
            if !seen.insert(directive.clone()) {
                if ALLOWED_DUPLICATES.contains(&directive.as_str()) {
                    duplicates = true;
                } else {
                    return Err(Invalid);
                }
            }
            let keep = index == 0;
            let mut values: Vec<Source> = tokens
                .map(|t| Source {
                    text: t.to_lowercase(),
                    policy: index,
                    keep,
                })
                .collect();
            if values.is_empty() && directive.ends_with("-src") {
                values.push(Source {
                    text: "'none'".to_owned(),
                    policy: index,
                    keep,
                });
            }
            let mut combined = if index == 0 {
                values
            } else {
                let mut earlier = merged.remove(&directive).unwrap_or_default();
                earlier.extend(values);
                earlier
            };
            combined.sort_by(|a, b| collate(&a.text, &b.text));
            for i in 1..combined.len() {
                let (prev, cur) = (&combined[i - 1], &combined[i]);
                // Within one policy, `https://a.example/x` adds nothing next to
                // `https://a.example/`; across policies a source must appear in both.
                let superfluous = prev.policy == cur.policy && cur.text.starts_with(&prev.text);
                let in_both = prev.policy != cur.policy && path_part_match(&prev.text, &cur.text)?;
                if superfluous {
                    combined[i].keep = false;
                }
                if in_both {
                    combined[i].keep = true;
                }
            }
            combined.retain(|s| s.keep);
            if index == 0 && policies.len() > 1 {
                // Later policies must re-confirm every source of the first.
                for source in &mut combined {
                    source.keep = false;
                }
            }
            merged.insert(directive, combined);
        }
    }

    let directives = merged
        .into_iter()
        .map(|(directive, sources)| {
            let set: BTreeSet<String> = if sources.is_empty() {
                BTreeSet::from(["'none'".to_owned()])
            } else {
                sources.into_iter().map(|s| s.text).collect()
            };
            (directive, set)
        })
        .collect();
    Ok(Parsed {
        directives,
        duplicates,
    })
}

/// Parses `<meta>` policies, dropping the directives browsers ignore in them.
pub(crate) fn parse_meta<S: AsRef<str>>(policies: &[S]) -> Result<Parsed, Invalid> {
    let mut parsed = parse(policies)?;
    for directive in DISALLOWED_IN_META {
        parsed.directives.remove(directive);
    }
    Ok(parsed)
}

/// Orders sources like `Intl.Collator("en").compare`, which the Observatory sorts with: the
/// order decides which sources end up adjacent, and so which are merged. For the lowercase
/// ASCII of CSP sources the CLDR root collation is a per-character order: blanks,
/// punctuation, symbols, digits, letters.
fn collate(a: &str, b: &str) -> Ordering {
    a.chars()
        .map(collation_rank)
        .cmp(b.chars().map(collation_rank))
}

fn collation_rank(c: char) -> u32 {
    const ORDER: &str =
        "\t\n\u{b}\u{c}\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";
    ORDER
        .find(c)
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(1000 + u32::from(c))
}

/// The Observatory's `pathPartMatch`: whether source `b` is covered by source `a`, path
/// segment by segment (a trailing `/` on `a` matches any longer path).
fn path_part_match(a: &str, b: &str) -> Result<bool, Invalid> {
    if a.is_empty() || (a == "/" && b.is_empty()) {
        return Ok(true);
    }
    let exact = !a.ends_with('/');
    let mut parts_a: Vec<&str> = a.split('/').collect();
    let parts_b: Vec<&str> = b.split('/').collect();
    if parts_a.len() > parts_b.len() || (exact && parts_a.len() != parts_b.len()) {
        return Ok(false);
    }
    if !exact {
        parts_a.pop();
    }
    for (pa, pb) in parts_a.iter().zip(&parts_b) {
        if decode_uri_component(pa)? != decode_uri_component(pb)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// JavaScript's `decodeURIComponent`, which throws (making the whole policy invalid there) on
/// a malformed escape.
fn decode_uri_component(s: &str) -> Result<String, Invalid> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(Invalid)?;
            let hex = std::str::from_utf8(hex).map_err(|_| Invalid)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| Invalid)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(parsed: &Parsed, directive: &str) -> Vec<String> {
        parsed.directives[directive].iter().cloned().collect()
    }

    #[test]
    fn empty_source_list_is_none_and_sources_are_lowercased() {
        let p = parse(&["default-src; script-src 'SELF' HTTPS://CDN.example"]).unwrap();
        assert_eq!(sources(&p, "default-src"), ["'none'"]);
        assert_eq!(sources(&p, "script-src"), ["'self'", "https://cdn.example"]);
    }

    #[test]
    fn repeated_directive_is_invalid_but_repeated_report_uri_is_a_warning() {
        assert_eq!(
            parse(&["script-src 'self'; script-src 'none'"]).unwrap_err(),
            Invalid
        );
        let p = parse(&["default-src 'self'; report-uri /a; report-uri /b"]).unwrap();
        assert!(p.duplicates);
    }

    #[test]
    fn too_short_policy_is_invalid() {
        assert!(parse(&["a b"]).is_err());
        assert!(parse(&[""]).is_err());
    }

    #[test]
    fn two_policies_keep_only_sources_in_both() {
        let p = parse(&[
            "script-src 'self' https://a.example/ https://b.example",
            "script-src https://a.example/js/app.js 'self'",
        ])
        .unwrap();
        assert_eq!(
            sources(&p, "script-src"),
            ["'self'", "https://a.example/js/app.js"]
        );
    }

    #[test]
    fn directive_only_in_a_later_policy_is_none() {
        let p = parse(&["default-src 'self'", "img-src https:"]).unwrap();
        assert_eq!(sources(&p, "img-src"), ["'none'"]);
        assert_eq!(sources(&p, "default-src"), ["'self'"]);
    }

    #[test]
    fn malformed_escape_in_compared_paths_is_invalid() {
        assert!(
            parse(&[
                "img-src https://a.example/%zz",
                "img-src https://a.example/%zz"
            ])
            .is_err()
        );
    }

    #[test]
    fn meta_policies_drop_header_only_directives() {
        let p = parse_meta(&["default-src 'self'; frame-ancestors 'none'; sandbox"]).unwrap();
        assert!(!p.directives.contains_key("frame-ancestors"));
        assert!(!p.directives.contains_key("sandbox"));
        assert!(p.directives.contains_key("default-src"));
    }

    #[test]
    fn collation_puts_punctuation_before_digits_and_letters() {
        assert_eq!(collate("'self'", "https:"), Ordering::Less);
        assert_eq!(collate("https:", "https://a"), Ordering::Less);
        assert_eq!(collate("a:b", "a.b"), Ordering::Less);
    }
}
