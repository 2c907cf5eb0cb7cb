//! Log4Shell-style lookups. Nested lookups (`${lower:j}`, `${::-j}`, `${env:X:-j}`) are
//! resolved to their default or argument first, a bounded number of times, so every
//! obfuscation of `${jndi:` collapses to it.

use regex::Regex;

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::Jndi as J, Severity::*};

const LOOKUP: RuleInfo = RuleInfo::new(
    "jndi-lookup",
    J,
    1,
    Critical,
    "${jndi:ldap://…} after resolving nested lookups",
);
const NESTED_LOOKUP: RuleInfo = RuleInfo::new(
    "jndi-nested-lookup",
    J,
    1,
    Critical,
    "a lookup nested in a lookup: ${${…}…}",
);
const ENV_LOOKUP: RuleInfo = RuleInfo::new(
    "jndi-env-lookup",
    J,
    1,
    Error,
    "${env:…}, ${sys:…}, ${java:…} and other Log4j lookups",
);

pub(crate) const RULES: &[RuleInfo] = &[LOOKUP, NESTED_LOOKUP, ENV_LOOKUP];

const PATTERNS: &[Pattern] = &[
    Pattern {
        rule: &LOOKUP,
        regex: r"\$\{\s*jndi\s*:\s*(?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?|ldap)\b|\$\{\s*jndi\s*:",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &NESTED_LOOKUP,
        regex: r"\$\{[^}]{0,32}\$\{",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &ENV_LOOKUP,
        regex: r"\$\{\s*(?:env|sys|java|main|bundle|ctx|docker|k8s|kubernetes|log4j|marker|sd|spring|web|base64|lower|upper|date|jvmrunargs|map|event)\s*:",
        gate: Gate::Anywhere,
    },
];

/// Rounds of nested-lookup resolution.
const MAX_RESOLVE: usize = 6;

/// The compiled JNDI family.
#[derive(Debug)]
pub(crate) struct Jndi {
    patterns: Patterns,
    /// An innermost lookup with a default (`${x:-d}`) or a case/date function.
    inner: Regex,
}

impl Jndi {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            patterns: Patterns::new(PATTERNS, paranoia),
            inner: Regex::new(r"\$\{(?:[^${}]*?:-([^${}]*)|(?:lower|upper)\s*:([^${}]*)|date\s*:\s*'([^'${}]*)')\}")
                .expect("jndi pattern compiles"),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        let f = v.folded;
        // The byte set first: most values have no `$` at all.
        if !v.has(b"$") || memchr::memmem::find(f.as_bytes(), b"${").is_none() {
            return 0;
        }
        let mut work = self.patterns.check(f, hits);
        let mut resolved = std::borrow::Cow::Borrowed(f);
        for _ in 0..MAX_RESOLVE {
            work += resolved.len() as u64;
            let next = self
                .inner
                .replace_all(&resolved, |c: &regex::Captures<'_>| {
                    c.iter()
                        .skip(1)
                        .flatten()
                        .next()
                        .map_or(String::new(), |m| m.as_str().to_owned())
                });
            if next == resolved {
                break;
            }
            resolved = std::borrow::Cow::Owned(next.into_owned());
        }
        if resolved != f {
            work += self.patterns.check(&resolved, hits);
        }
        work
    }
}
