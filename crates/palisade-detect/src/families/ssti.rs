//! Server-side template injection. Template syntax is common in benign input (notification
//! templates, docs, chat about templates), so a bare `{{ name }}` is data: only arithmetic
//! probes, expressions reaching the runtime (dunders, `config`, `Execute`, `system`) and
//! delimiter polyglots count at paranoia 1; any marker is a notice at paranoia 3.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::Ssti as F, Severity::*};

const ARITHMETIC_PROBE: RuleInfo = RuleInfo::new(
    "ssti-arithmetic-probe",
    F,
    1,
    Critical,
    "{{7*7}}, ${7*7}, <%= 7*7 %>, #{7*7}",
);
const OBJECT_ACCESS: RuleInfo = RuleInfo::new(
    "ssti-object-access",
    F,
    1,
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

const DELIMITER_PROBE: RuleInfo = RuleInfo::new(
    "ssti-delimiter-probe",
    F,
    1,
    Critical,
    "template openers of several engines in a row: ${{<%[%",
);

pub(crate) const RULES: &[RuleInfo] = &[ARITHMETIC_PROBE, OBJECT_ACCESS, DELIMITER_PROBE, MARKER];

const PATTERNS: &[Pattern] = &[
    Pattern {
        rule: &ARITHMETIC_PROBE,
        regex: r#"(?:\{\{|\$\{|#\{|<%=?|\{%|\*\{|@\(|\[\[)\s*['"]?\d+['"]?\s*[*/+-]\s*['"]?\d+['"]?\s*(?:\}\}|\}|%>|%\}|\)|\]\])"#,
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &OBJECT_ACCESS,
        regex: r"\{\{\s*(?:config|self|settings)\s*\}\}|<#assign[^>]{0,200}?(?:\?new\s*\(|freemarker\.)|freemarker\.template\.utility\.|<%=?\s*(?:system|exec|spawn|eval|io\.popen|file\.(?:read|open)|%x|`)|<%!?\s*import\s|\{%\s*(?:import\s|from\s+\S+\s+import\s)|\$class\.inspect|\{(?:php|system\s*\()|(?:\{\{|\$\{|#\{|<%|\{%|\*\{)[^}%]{0,200}?(?:__class__|\|\s*attr\s*\(|\|\s*(?:filter|map|reduce|sort)\s*\(\s*['\x22](?:system|exec|passthru|shell_exec|popen)|/x5f/x5f|constructor\s*\.\s*constructor|_self\s*\.\s*env|\bself\.module\b|\.forname\s*\(|__mro__|__subclasses__|__globals__|__builtins__|__init__|__import__|\.getclass\s*\(|\bt\s*\(\s*java\.|\bruntime\b|freemarker\.template\.utility\.execute|\bconfig\.items\s*\(|self\._templatereference|\brequest\.application\b|\bcycler\.|\bjoiner\.|\blipsum\.|\bnamespace\.__|\bos\.(?:popen|system))",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &DELIMITER_PROBE,
        regex: r"(?:\$\{|\{\{|<%|\[%|\{%|#\{)\s*(?:\$\{|\{\{|<%|\[%|\{%|#\{)",
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
        if !v.has(b"{%<") {
            return 0;
        }
        self.patterns.check(v.folded, hits)
    }
}
