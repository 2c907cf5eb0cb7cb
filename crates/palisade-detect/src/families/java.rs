//! Java deserialisation: serialized-object magic in base64 (`rO0AB`) or hex (`aced0005`), and
//! the class names gadget chains and expression injections use.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::JavaDeser as J, Severity::*};

pub(crate) const SERIALIZED: RuleInfo = RuleInfo::new(
    "java-serialized-object",
    J,
    1,
    Critical,
    "Java serialization magic rO0AB / aced0005",
);
const GADGET_CLASS: RuleInfo = RuleInfo::new(
    "java-gadget-class",
    J,
    1,
    Critical,
    "java.lang.Runtime, ProcessBuilder, gadget-chain classes",
);

pub(crate) const RULES: &[RuleInfo] = &[SERIALIZED, GADGET_CLASS];

/// Case matters for base64: matched on the decoded form.
const DECODED: &[Pattern] = &[Pattern {
    rule: &SERIALIZED,
    regex: r"(?:^|[^A-Za-z0-9+/])rO0AB|(?i:\baced0005)|H4sIAAAAAAAA[A-Za-z0-9+/]{0,8}?(?:AKt|ArO)",
    gate: Gate::Anywhere,
}];

const FOLDED: &[Pattern] = &[Pattern {
    rule: &GADGET_CLASS,
    regex: r"\bjava\.lang\.(?:runtime|processbuilder|reflect\.|classloader)|\bgetruntime\s*\(\s*\)\s*\.\s*exec\b|\bysoserial\b|\borg\.apache\.commons\.collections\d?\.functors\b|\bcom\.sun\.org\.apache\.xalan\.internal\.xsltc\.trax\b|\bcom\.sun\.rowset\.jdbcrowsetimpl\b|\bjavax\.management\.badattributevalueexpexception\b|\borg\.codehaus\.groovy\.runtime\b|\bjava\.rmi\.server\.|\bsun\.rmi\.|\borg\.springframework\.beans\.factory\.config\b|\bjavax\.naming\.initialcontext\b|\bjavax\.script\.scriptenginemanager\b|@type\x22?\s*:\s*\x22(?:com\.sun|org\.apache|java\.|javax\.|com\.mchange)|\bt\s*\(\s*java\.lang\.|\b(?:ch\.qos\.logback\.core\.db|org\.apache\.xbean\.(?:propertyeditor|naming)|org\.springframework\.context\.support|com\.zaxxer\.hikari|org\.apache\.commons\.(?:configuration|dbcp)|org\.apache\.tomcat\.dbcp|org\.apache\.ibatis\.datasource|oracle\.jdbc\.(?:connector|rowset)|org\.hibernate\.(?:jmx|engine\.spi\.typedvalue)|net\.sf\.ehcache\.transaction|com\.caucho\.|br\.com\.anta\.|org\.apache\.openjpa\.ee|org\.apache\.shiro\.jndi|org\.apache\.log4j\.receivers\.db|org\.apache\.cxf\.jaxrs\.provider|org\.apache\.aries\.transaction|clojure\.(?:core|main)\$)\.?\w*",
    gate: Gate::Anywhere,
}];

/// The compiled Java deserialisation family.
#[derive(Debug)]
pub(crate) struct Java {
    decoded: Patterns,
    folded: Patterns,
    /// The serialization magics, folded (lower case), found before the case-sensitive set.
    magic: [memchr::memmem::Finder<'static>; 3],
    ysoserial: memchr::memmem::Finder<'static>,
}

impl Java {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            decoded: Patterns::new(DECODED, paranoia),
            folded: Patterns::new(FOLDED, paranoia),
            magic: [b"ro0ab".as_slice(), b"aced0005", b"h4siaaaaaaaa"]
                .map(memchr::memmem::Finder::new),
            ysoserial: memchr::memmem::Finder::new(b"ysoserial"),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        let mut work = 0;
        let d = v.folded.as_bytes();
        // Each magic holds a `0` or a `4`: the byte set rules most values out before searching.
        if v.has(b"04") && self.magic.iter().any(|m| m.find(d).is_some()) {
            work += self.decoded.check(v.decoded, hits);
        }
        // Every gadget pattern holds `.`, `(` or `@`, but for `ysoserial`.
        let possible = v.has(b".(@") || (v.has(b"y") && self.ysoserial.find(d).is_some());
        if possible && v.keyword(super::prefilter::JAVA) {
            work += self.folded.check(v.folded, hits);
        }
        work
    }
}
