//! SQL injection: a lexer and fingerprints ([`fingerprint`]) plus heuristics for the
//! constructs injections need ([`heuristics`]).

mod fingerprint;
mod heuristics;
mod lexer;

use super::pattern::Patterns;
use super::{Hits, View};
use crate::rules::RuleInfo;

pub(crate) use rules::RULES;

/// The rules of this family.
pub(crate) mod rules {
    use crate::rules::RuleInfo;
    use crate::{Family::Sqli, Severity::*};

    pub(crate) const FINGERPRINT: RuleInfo = RuleInfo::new(
        "sqli-fingerprint",
        Sqli,
        1,
        Critical,
        "SQL token fingerprint of a breakout",
    );
    pub(crate) const FINGERPRINT_WEAK: RuleInfo = RuleInfo::new(
        "sqli-fingerprint-weak",
        Sqli,
        2,
        Warning,
        "looser SQL token fingerprint",
    );
    pub(crate) const UNION_SELECT: RuleInfo =
        RuleInfo::new("sqli-union-select", Sqli, 1, Critical, "UNION [ALL] SELECT");
    pub(crate) const TAUTOLOGY: RuleInfo = RuleInfo::new(
        "sqli-tautology",
        Sqli,
        1,
        Critical,
        "OR/AND with a constant comparison",
    );
    pub(crate) const STACKED_QUERY: RuleInfo = RuleInfo::new(
        "sqli-stacked-query",
        Sqli,
        1,
        Critical,
        "a second statement after `;`",
    );
    pub(crate) const TIME_BASED: RuleInfo = RuleInfo::new(
        "sqli-time-based",
        Sqli,
        1,
        Critical,
        "SLEEP, BENCHMARK, pg_sleep, WAITFOR DELAY",
    );
    pub(crate) const COMMENT_TRUNCATION: RuleInfo = RuleInfo::new(
        "sqli-comment-truncation",
        Sqli,
        1,
        Critical,
        "quote then comment at the end",
    );
    pub(crate) const SYSTEM_TABLE: RuleInfo = RuleInfo::new(
        "sqli-system-table",
        Sqli,
        1,
        Critical,
        "information_schema and system catalogs",
    );
    pub(crate) const ERROR_BASED: RuleInfo = RuleInfo::new(
        "sqli-error-based",
        Sqli,
        1,
        Critical,
        "extractvalue, updatexml and kin",
    );
    pub(crate) const MSSQL_PROCEDURE: RuleInfo = RuleInfo::new(
        "sqli-mssql-procedure",
        Sqli,
        1,
        Critical,
        "xp_cmdshell and dangerous procedures",
    );
    pub(crate) const FILE_ACCESS: RuleInfo = RuleInfo::new(
        "sqli-file-access",
        Sqli,
        1,
        Critical,
        "LOAD_FILE, INTO OUTFILE, COPY … PROGRAM",
    );
    pub(crate) const PROBE_FUNCTION: RuleInfo = RuleInfo::new(
        "sqli-probe-function",
        Sqli,
        2,
        Error,
        "string/metadata function after a breakout",
    );

    pub(crate) const RULES: &[RuleInfo] = &[
        FINGERPRINT,
        FINGERPRINT_WEAK,
        UNION_SELECT,
        TAUTOLOGY,
        STACKED_QUERY,
        TIME_BASED,
        COMMENT_TRUNCATION,
        SYSTEM_TABLE,
        ERROR_BASED,
        MSSQL_PROCEDURE,
        FILE_ACCESS,
        PROBE_FUNCTION,
    ];
}

/// Characters without which no fingerprint shape can match.
const TRIGGERS: &[u8] = b"'\"();=<>#*/-@|&!^~+%`";

/// The compiled SQL injection family.
#[derive(Debug)]
pub(crate) struct Sqli {
    shapes: fingerprint::Shapes,
    patterns: Patterns,
    paranoia: u8,
    union: memchr::memmem::Finder<'static>,
    select: memchr::memmem::Finder<'static>,
    prose_call: ProseCall,
}

/// Matcher for [`PROSE_CALL`] whose first following word is none of [`SQL_FOLLOWERS`].
#[derive(Debug)]
struct ProseCall(regex::Regex);

impl ProseCall {
    fn is_match(&self, folded: &str) -> bool {
        let Some(m) = self.0.find(folded) else {
            return false;
        };
        let after = &folded[..m.end()];
        let after = &after[after.find(')').map_or(0, |p| p + 1)..];
        let first = after.split_whitespace().next().unwrap_or_default();
        !SQL_FOLLOWERS.contains(&first)
    }
}

impl Sqli {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            shapes: fingerprint::Shapes::new(),
            patterns: Patterns::new(heuristics::PATTERNS, paranoia),
            paranoia,
            union: memchr::memmem::Finder::new(b"union"),
            select: memchr::memmem::Finder::new(b"select"),
            prose_call: ProseCall(regex::Regex::new(PROSE_CALL).expect("prose call regex")),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        // The byte set first; the keyword search (finders built once) only without triggers.
        if !v.has(TRIGGERS)
            && self.union.find(v.folded.as_bytes()).is_none()
            && self.select.find(v.folded.as_bytes()).is_none()
        {
            return 0;
        }
        let mut work = 0;
        // What the application sees, and the fully decoded form when it differs.
        let weak = self.paranoia >= 2;
        let mut texts = [Some(v.seen), None, None];
        if v.decoded != v.seen {
            texts[1] = Some(v.decoded);
        }
        // Fullwidth quotes and letters (`＇ ＯＲ`) reach databases that fold Unicode as ASCII:
        // the folded form (which maps them) is read too.
        if memchr::memchr(0xef, v.decoded.as_bytes()).is_some() {
            texts[2] = Some(v.folded);
        }
        for text in texts.into_iter().flatten() {
            let (verdict, w) = self.shapes.check(text, weak);
            work += w;
            match verdict {
                fingerprint::Verdict::Strong(fp) => add_fp(hits, &rules::FINGERPRINT, text, &fp),
                fingerprint::Verdict::Weak(fp) => add_fp(hits, &rules::FINGERPRINT_WEAK, text, &fp),
                fingerprint::Verdict::None => {}
            }
        }
        // A value that fingerprints as an injection needs no prose gate.
        let relaxed = hits.has(&rules::FINGERPRINT);
        if v.keyword(super::prefilter::SQLI) {
            work += self.patterns.check_with(v.folded, hits, relaxed);
            if !relaxed && self.paranoia < 2 && self.prose_call.is_match(v.folded) {
                hits.list.retain(|(r, _)| r.id != rules::TIME_BASED.id);
            }
        }
        work
    }
}

/// A delay function called at the very start of the value and followed by plain words that
/// do not continue SQL: a phrase (`sleep(5) in python`), not a query.
const PROSE_CALL: &str =
    r"^(?:sleep|pg_sleep|benchmark)\s*\([^()]{0,16}\)\s+[a-z]{2,}\s+[a-z]{2,}\b";

/// SQL words that may follow a delay call in an injection.
const SQL_FOLLOWERS: &[&str] = &[
    "and",
    "or",
    "xor",
    "union",
    "order",
    "group",
    "limit",
    "having",
    "from",
    "into",
    "procedure",
    "like",
    "is",
    "not",
    "then",
    "else",
    "end",
    "when",
    "as",
];

/// A fingerprint hit's excerpt is the value's start (where the breakout is).
fn add_fp(hits: &mut Hits, rule: &'static RuleInfo, text: &str, _fp: &str) {
    let end = text.char_indices().nth(48).map_or(text.len(), |(i, _)| i);
    hits.add(rule, text, 0..end);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_call_followed_by_words_is_a_phrase() {
        let p = ProseCall(regex::Regex::new(PROSE_CALL).unwrap());
        assert!(p.is_match("sleep(5) in python threads"));
        assert!(p.is_match("sleep(5) in python"));
        assert!(!p.is_match("sleep(5) and 1=1 --"));
        assert!(!p.is_match("sleep(5)-- -"));
        assert!(!p.is_match("1 and sleep(5) in python"));
    }
}
