//! Server-side template injection. Template syntax is common in benign input (docs, chat
//! about templates), so these rules run only from paranoia 2.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::Ssti as F, Severity::*};

const ARITHMETIC_PROBE: RuleInfo = RuleInfo::new(
    "ssti-arithmetic-probe",
    F,
    2,
    Critical,
    "{{7*7}}, ${7*7}, <%= 7*7 %>, #{7*7}",
);
const OBJECT_ACCESS: RuleInfo = RuleInfo::new(
    "ssti-object-access",
    F,
    2,
    Critical,
    "template expressions reaching __class__, getClass(), Runtime",
);
const MARKER: RuleInfo = RuleInfo::new(
    "ssti-marker",
    F,
    3,
    Notice,
    "any template expression marker",
);

pub(crate) const RULES: &[RuleInfo] = &[ARITHMETIC_PROBE, OBJECT_ACCESS, MARKER];

const PATTERNS: &[Pattern] = &[
    Pattern {
        rule: &ARITHMETIC_PROBE,
        regex: r#"(?:\{\{|\$\{|#\{|<%=?|\{%|\*\{|@\()\s*['"]?\d+['"]?\s*[*+/-]\s*['"]?\d+['"]?\s*(?:\}\}|\}|%>|%\}|\))"#,
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &OBJECT_ACCESS,
        regex: r"(?:\{\{|\$\{|#\{|<%|\{%|\*\{)[^}%]{0,200}?(?:__class__|__mro__|__subclasses__|__globals__|__builtins__|__init__|__import__|\.getclass\s*\(|\bt\s*\(\s*java\.|\bruntime\b|freemarker\.template\.utility\.execute|\bconfig\.items\s*\(|self\._templatereference|\brequest\.application\b|\bcycler\.|\bjoiner\.|\blipsum\.|\bnamespace\.__|\bos\.(?:popen|system))",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &MARKER,
        regex: r"\{\{.{0,200}?\}\}|\$\{.{0,200}?\}|<%.{0,200}?%>|#\{.{0,200}?\}|\{%.{0,200}?%\}",
        gate: Gate::Anywhere,
    },
];

/// The compiled SSTI family.
#[derive(Debug)]
pub(crate) struct Ssti {
    patterns: Patterns,
}

impl Ssti {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            patterns: Patterns::new(PATTERNS, paranoia),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        if !v.has(b"{%") {
            return 0;
        }
        self.patterns.check(v.folded, hits)
    }
}
