//! Fingerprints: the first token kinds of a value, folded, matched against attack shapes.
//!
//! Like libinjection, a value is read in three contexts — as is, as if spliced into a
//! single-quoted string, and into a double-quoted one (the last two only when the value holds
//! that quote) — because the attacker's text lands in one of them. Only the first
//! [`MAX_TOKENS`] folded tokens count: an injection must break out at its start, while prose
//! that discusses SQL has words first.
//!
//! The shapes are written from how injections work, not from a list of payloads: break out of
//! a literal (`s` or `1`, maybe `)`), then a logic operator with a comparison, a function call,
//! a set operator with a statement, a statement after `;`, or a comment that truncates the rest.

use regex::RegexSet;

use super::lexer::{Kind, Lexer};

/// Folded tokens kept in a fingerprint.
pub(crate) const MAX_TOKENS: usize = 8;

/// A string opened by the context quote longer than this is prose, not a breakout.
const MAX_PREFIX: usize = 48;

/// Shapes that are attacks at paranoia 1.
const STRONG: &[&str] = &[
    r"^[s1]\)*&\(*[1snv]o",  // ' or 1=1, 1 and 2>1, ' or x like
    r"^[s1]\)*&\(*[1sv]c",   // ' or 1--
    r"^s\)*&\(*[1v]$",       // ' or true
    r"^[s1]\)*[&o]\(*f\(",   // ' and sleep(, '+ascii(
    r"^[s1]\)*&\(*E",        // 1 and (select
    r"^[s1]?\)*U\(*E",       // union select
    r"^[s1]\)*;\(*E",        // '; drop
    r"^s\)*c$",              // admin'--
    r"^[s1]\)*B[1f]",        // 1 order by 3, 1 procedure analyse()
    r"^sos(?:[&c;)]|$)",     // a'='a
    r"^\(+E[1vfo(C]",        // (select 1)
    r"^Ev",                  // select @@version
    r"^[s1]\)*&\(*\(*sos",   // ') or ('a'='a
    r"^[s1]\)*[&o]\(*C",     // 1 and (case when
    r"^[s1]\)*[&o]\(+E",     // '+(select, 1=(select
    r"^[s1n]\)*k?,\(+E[^)]", // id,(select, name desc,(select
];

/// Looser shapes, for paranoia 2 and up.
const WEAK: &[&str] = &[
    r"^[s1]\)*&\(*[1snvf(]",
    r"^n\)*&\(*[1sn]o",
    r"^[s1n]\)*U",
    r"^s\)*c",
    r"^\(*E[nok]",
    r"^[1s]\)*;",
    // Bare statements with no breakout: a query pasted as a value, or a search phrase.
    r"^E[1f(]",
    r"^Eok",
];

/// Compiled shape sets.
#[derive(Debug)]
pub(crate) struct Shapes {
    strong: RegexSet,
    weak: RegexSet,
}

/// The result of fingerprinting one value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A strong shape matched (the fingerprint given).
    Strong(String),
    /// Only a weak shape matched.
    Weak(String),
    /// Nothing.
    None,
}

impl Shapes {
    pub(crate) fn new() -> Self {
        Self {
            strong: RegexSet::new(STRONG).expect("fingerprint shapes compile"),
            weak: RegexSet::new(WEAK).expect("fingerprint shapes compile"),
        }
    }

    /// Fingerprints `text` in each context; returns the verdict and the work done.
    pub(crate) fn check(&self, text: &str, weak: bool) -> (Verdict, u64) {
        let mut work = 0;
        let mut weak_hit = None;
        for quote in [None, Some(b'\''), Some(b'"')] {
            if let Some(q) = quote {
                match memchr::memchr(q, text.as_bytes()) {
                    // Prose before the quote: not a string being broken out of.
                    Some(p) if p > MAX_PREFIX || text[..p].matches(' ').count() > 4 => continue,
                    None => continue,
                    Some(_) => {}
                }
            }
            let (fp, used) = fingerprint(text, quote);
            work += used as u64;
            if self.strong.is_match(&fp) {
                return (Verdict::Strong(fp), work);
            }
            if weak && weak_hit.is_none() && self.weak.is_match(&fp) {
                weak_hit = Some(fp);
            }
        }
        (weak_hit.map_or(Verdict::None, Verdict::Weak), work)
    }
}

/// The folded fingerprint of `text` in a context, and the bytes lexed.
pub(crate) fn fingerprint(text: &str, quote: Option<u8>) -> (String, usize) {
    let mut lexer = Lexer::new(text, quote);
    let mut fp = String::with_capacity(MAX_TOKENS);
    let mut last: Kind = 0;
    let mut pending_comment = false;
    while fp.len() < MAX_TOKENS {
        let Some(k) = lexer.next_kind() else { break };
        if k == b'c' {
            pending_comment = true;
            continue;
        }
        // A comment followed by more code was only a separator.
        pending_comment = false;
        let k = match (last, k) {
            (b'n', b'n') | (b'o', b'o') | (b'U', b'a') | (b'B', b'b') => continue,
            (_, b'a' | b'b') => b'k',
            // A leading sign belongs to the number.
            (0, b'o')
                if matches!(
                    text.trim_start().as_bytes().first(),
                    Some(b'-' | b'+' | b'!' | b'~')
                ) =>
            {
                continue;
            }
            _ => k,
        };
        fp.push(k as char);
        last = k;
    }
    if pending_comment && fp.len() < MAX_TOKENS {
        fp.push('c');
    }
    (fp, lexer.consumed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(s: &str, q: Option<u8>) -> String {
        fingerprint(s, q).0
    }

    #[test]
    fn folds() {
        assert_eq!(fp("-1 union all select 1,2", None), "1UE1,1");
        assert_eq!(fp("admin'--", Some(b'\'')), "sc");
        assert_eq!(fp("1 order by 3 -- x", None), "1B1c");
        assert_eq!(fp("1/**/or/**/1=1", None), "1&1o1");
        assert_eq!(fp("a b c d", None), "n");
    }

    #[test]
    fn verdicts() {
        let s = Shapes::new();
        for attack in [
            "' or 1=1--",
            "1' or '1'='1",
            "x\" or \"a\"=\"a",
            "1 union select null",
            "admin'--",
            "1; drop table users",
            "') or ('a'='a",
            "1 and sleep(5)",
            "1' and if(1=1,sleep(4),0)-- ",
            "1 and (case when (1=1) then 1 else 0 end)=1",
            "'+(select top 1 name from sysobjects)+'",
            "id,(select password from users limit 1)",
            "1 procedure analyse()",
            "1\x0cor\x0c1=1",
        ] {
            assert!(
                matches!(s.check(attack, false).0, Verdict::Strong(_)),
                "{attack}"
            );
        }
        for benign in [
            "O'Brien",
            "rock 'n' roll",
            "1 or 2 items",
            "'Rock' and 'Roll'",
            "select your size",
            "it's -- great",
            "Tom & Jerry",
            "select * from reviews",
            "case study",
            "cheese, (select) varieties",
        ] {
            assert_eq!(s.check(benign, false).0, Verdict::None, "{benign}");
        }
    }
}
