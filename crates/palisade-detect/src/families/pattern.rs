//! Regex rules: one `RegexSet` per family and form finds which rules match, then each matching
//! rule's own regex finds where (for the excerpt and the context gate).

use regex::{Regex, RegexSet, RegexSetBuilder};

use super::Hits;
use crate::rules::RuleInfo;

/// Where a match must sit to count at paranoia 1 (from paranoia 2 on, anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Anywhere.
    Anywhere,
    /// Injection context, not prose: at most two words before the match, or a string-breaking
    /// quote or bracket right before it with at most six words before that.
    NotProse,
    /// At the start of the value, or right after `=`, a quote, `(`, `<` or `>`, as a URL in
    /// an attribute or parameter would be.
    ValueStart,
    /// Shell context: at most six words before the match. Deeper inside natural-language text
    /// (a forum post, a code fence in a ticket) a separator and a command are prose; the
    /// dangerous arguments (`/etc/passwd`, `/bin/sh`, `/dev/tcp`) have rules of their own.
    Shell,
    /// A quote that closes an attribute the application opened: unbalanced in the value. A
    /// quote closing one opened inside the value (`<p style="…">`) is ordinary HTML.
    UnbalancedQuote,
}

/// One regex rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pattern {
    pub rule: &'static RuleInfo,
    pub regex: &'static str,
    pub gate: Gate,
}

/// Compiled patterns for one form of the value.
#[derive(Debug)]
pub(crate) struct Patterns {
    set: RegexSet,
    items: Vec<(Pattern, Regex)>,
    paranoia: u8,
}

/// Matches examined per rule and value before giving up on the gate: keeps the cost linear.
const MAX_TRIES: usize = 4;

/// Patterns in one set at most, so the set's match flags fit in a stack array (a `SetMatches`
/// would allocate for every value checked).
const MAX_SET: usize = 16;

impl Patterns {
    /// Compiles the patterns whose rules run at `paranoia`. The patterns are static; a bad one is
    /// a bug caught by every test, hence `expect`.
    pub(crate) fn new(list: &[Pattern], paranoia: u8) -> Self {
        let items: Vec<(Pattern, Regex)> = list
            .iter()
            .filter(|p| p.rule.paranoia <= paranoia)
            .map(|p| {
                (
                    *p,
                    Regex::new(p.regex).unwrap_or_else(|e| panic!("{}: {e}", p.rule.id)),
                )
            })
            .collect();
        assert!(
            items.len() <= MAX_SET,
            "more than {MAX_SET} patterns in a set"
        );
        let set = RegexSetBuilder::new(items.iter().map(|(p, _)| p.regex))
            .size_limit(64 << 20)
            .build()
            .expect("rule patterns compile");
        Self {
            set,
            items,
            paranoia,
        }
    }

    /// Checks `text`; returns the work done.
    pub(crate) fn check(&self, text: &str, hits: &mut Hits) -> u64 {
        self.check_with(text, hits, false)
    }

    /// Checks `text`, with the context gates off when `relaxed` (the value is already known to
    /// be an injection, so prose gates only cost detections).
    pub(crate) fn check_with(&self, text: &str, hits: &mut Hits, relaxed: bool) -> u64 {
        if self.items.is_empty() {
            return 0;
        }
        let mut work = text.len() as u64;
        let mut matched = [false; MAX_SET];
        let matched = &mut matched[..self.items.len()];
        if !self.set.matches_read_at(matched, text, 0) {
            return work;
        }
        for (idx, _) in matched.iter().enumerate().filter(|(_, m)| **m) {
            let (p, re) = &self.items[idx];
            if hits.has(p.rule) {
                continue;
            }
            for m in re.find_iter(text).take(MAX_TRIES) {
                work += m.end() as u64;
                if relaxed || self.paranoia >= 2 || gate_passes(p.gate, text, m.start()) {
                    hits.add(p.rule, text, m.range());
                    break;
                }
            }
        }
        work
    }
}

/// Whether a match at `start` of `text` passes `gate`.
pub(crate) fn gate_passes(gate: Gate, text: &str, start: usize) -> bool {
    let prefix = text[..start].trim_end();
    match gate {
        Gate::Anywhere => true,
        Gate::NotProse => {
            if words_at_most(prefix, 2) {
                return true;
            }
            let breaks =
                prefix.ends_with(['\'', '"', ')', '`']) || text[start..].starts_with(['\'', '"']);
            breaks && words_at_most(prefix, 6)
        }
        Gate::Shell => words_at_most(prefix, 6),
        Gate::UnbalancedQuote => match text[start..].chars().next() {
            Some(q @ ('"' | '\'' | '`')) => text[..start].matches(q).count() % 2 == 0,
            _ => true,
        },
        Gate::ValueStart => {
            prefix.is_empty()
                || prefix.ends_with(['=', '\'', '"', '(', '<', '>', '`', ':'])
                || text[start..].starts_with(['"', '\'', '='])
        }
    }
}

/// Whether `s` has at most `n` blank-separated words (stops counting early).
fn words_at_most(s: &str, n: usize) -> bool {
    s.split_ascii_whitespace().nth(n).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_prose_gate() {
        let t = "1 union select";
        assert!(gate_passes(Gate::NotProse, t, 2));
        let t = "in my notes on sql i learnt that union select is";
        assert!(!gate_passes(Gate::NotProse, t, t.find("union").unwrap()));
        let t = "john o'neil' union select";
        assert!(gate_passes(Gate::NotProse, t, t.find("union").unwrap()));
    }

    #[test]
    fn unbalanced_quote_gate() {
        let t = "x\"><script>";
        assert!(gate_passes(Gate::UnbalancedQuote, t, 1));
        let t = "<p style=\"a:b\"><em>hi</em>";
        assert!(!gate_passes(
            Gate::UnbalancedQuote,
            t,
            t.find("\">").unwrap()
        ));
        assert!(gate_passes(Gate::UnbalancedQuote, "--><img", 0));
    }

    #[test]
    fn shell_gate() {
        assert!(gate_passes(Gate::Shell, "127.0.0.1; id", 9));
        let t = "we run it on a box (using ubuntu 22.04 & bash 5.1)";
        assert!(!gate_passes(Gate::Shell, t, t.find('&').unwrap()));
    }

    #[test]
    fn value_start_gate() {
        assert!(gate_passes(Gate::ValueStart, "javascript:x", 0));
        assert!(gate_passes(Gate::ValueStart, "<a href=javascript:x", 8));
        assert!(!gate_passes(
            Gate::ValueStart,
            "book javascript: the good parts",
            5
        ));
    }
}
